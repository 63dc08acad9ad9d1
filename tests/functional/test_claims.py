#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""Claims by lightweight transaction on a real Cassandra: no double booking."""

import functools
import multiprocessing
import os
import signal
import time
import uuid

from testtools.content import text_content

from nova_cassandra.claims import capacity
from nova_cassandra.claims import checker
from nova_cassandra.claims import node_claim
from nova_cassandra import exception
from nova_cassandra.store import base as store_base
from nova_cassandra.store.cassandra import claims
from nova_cassandra.store.cassandra import hosts
from nova_cassandra.store.cassandra import session as session_mod
from nova_cassandra_experiment import claim_race
from tests.functional import base

ONE_VCPU = claim_race.ONE_VCPU
# How long an unconditional (test-only) claim waits between its read and
# its write, as a busy scheduler may: with plain writes of a millisecond,
# racing processes could take turns without ever overlapping (seen on a
# 2-core box in Cassandra, and in MySQL once its claim got faster).
RACE_WINDOW_SECONDS = 0.02


def _node(vcpus):
    return store_base.HostRecord(
        node_uuid=uuid.uuid4(), host='compute1', nodename='n%d' % vcpus,
        capacity={'VCPU': vcpus, 'MEMORY_MB': 65536},
        reserved={'MEMORY_MB': 0}, allocation_ratio={'VCPU': 1.0},
        used={'VCPU': 0, 'MEMORY_MB': 0})


class UnconditionalClaimStore(claims.ClaimStore):
    """A ClaimStore whose claims skip the compare-and-set (test only).

    What the race test must catch: the same read-check-write with a plain
    write instead of a lightweight transaction, written
    ``RACE_WINDOW_SECONDS`` after the read.
    """

    def __init__(self, session, keyspace):
        super().__init__(session, keyspace)
        self._plain = self.prepare(
            'INSERT INTO {ks}.compute_nodes (node_uuid, consumer_uuid, claim, '
            'claimed_at) VALUES (?, ?, ?, toTimestamp(now())) USING TTL ?')

    def claim(self, node_uuid, generation, consumer_uuid, resources, ttl):
        time.sleep(RACE_WINDOW_SECONDS)
        self.execute(self._plain, (node_uuid, consumer_uuid, resources, ttl))
        return generation


def _claim_then_hang(keyspace, node, consumer, ttl, claimed):
    """A scheduler that claims, then never answers (until SIGKILL)."""
    conf = base.cassandra_options(keyspace=keyspace)
    store = claims.ClaimStore(session_mod.connect(conf.cassandra), keyspace)
    if node_claim.claim(store, node, consumer, ONE_VCPU, ttl):
        claimed.set()
    time.sleep(600)


class ClaimStoreTests:
    """What every ClaimStore must do; the test case provides the store.

    Subclasses set ``hosts`` and ``claims`` (stores on the test's own
    keyspace or database), ``UNCONDITIONAL`` (the store class without the
    compare-and-set) and ``store_factory(store_cls)``: a picklable callable
    that makes a ``store_cls`` in a scheduler process.
    """

    # Race: per process requests, and 1-VCPU slots on each of 3 nodes.
    RACE_REQUESTS = 50
    RACE_SLOTS = 5

    def _create(self, vcpus):
        return self.hosts.create(_node(vcpus))

    def _race(self, store_cls, processes=4, nodes=3, requests=None,
              slots=None):
        """``processes`` schedulers × ``requests`` for nodes × slots VCPUs.

        Returns (placements, usages after, summed counters, seconds the
        slowest process raced).
        """
        requests = requests or self.RACE_REQUESTS
        slots = slots or self.RACE_SLOTS
        node_uuids = [self._create(slots).node_uuid for _ in range(nodes)]
        result = claim_race.race(self.store_factory(store_cls), node_uuids,
                                 processes, requests, timeout=90)
        return (result['placed'], list(self.claims.all_usage()),
                result['counters'], result['seconds'])

    def test_racing_schedulers_fill_exactly_and_never_double_book(self):
        """4 processes race for 3 nodes' slots of 1 VCPU."""
        placed, usages, counters, seconds = self._race(type(self.claims))
        slots = 3 * self.RACE_SLOTS
        self.assertEqual(slots, len(placed))
        self.assertEqual(slots, len({consumer for consumer, _ in placed}))
        self.assertEqual(3, len(usages))
        self.assertEqual([], checker.offenders(usages))
        for usage in usages:
            self.assertEqual(self.RACE_SLOTS, usage.claimed('VCPU'))
        stored = {(str(c.consumer_uuid), str(u.record.node_uuid))
                  for u in usages for c in u.claims}
        self.assertEqual(set(placed), stored)
        self.assertEqual(slots, counters['claims'])
        attempts = counters['claims'] + counters['conflicts']
        self.addDetail('claim-figures', text_content(
            '%s; %.1f claims/s; %.1f%% of %d compare-and-sets conflicted'
            % (dict(counters), counters['claims'] / seconds,
               100.0 * counters['conflicts'] / attempts, attempts)))

    def test_racing_on_many_nodes_places_all_that_fits(self):
        """4 processes × 55 requests for 100 nodes × 2 slots: 20 too many.

        Every slot is taken once; the 20 left over found every node full
        (a true NoValidHost), none was refused while a slot was free.
        """
        placed, usages, counters, _ = self._race(
            type(self.claims), nodes=100, requests=55, slots=2)
        self.assertEqual(200, len(placed))
        self.assertEqual(200, len({consumer for consumer, _ in placed}))
        self.assertEqual([], checker.offenders(usages))
        self.assertEqual([2] * 100, [u.claimed('VCPU') for u in usages])
        self.assertEqual(0, counters.get('gave_up', 0))
        self.addDetail('claim-counters', text_content(str(dict(counters))))

    def test_race_without_the_condition_does_double_book(self):
        """The same race without the condition: the check must catch it.

        As many requests as the conditional race: on a loaded box fewer let
        the processes take turns often enough that none overlapped (the
        store's write window makes them overlap on any box).
        """
        placed, usages, _, _ = self._race(self.UNCONDITIONAL)
        self.assertGreater(len(placed), 15)
        self.assertNotEqual([], checker.offenders(usages))

    def test_claim_that_does_not_fit_is_refused(self):
        node = self._create(2).node_uuid
        self.assertFalse(node_claim.claim(
            self.claims, node, uuid.uuid4(), {'VCPU': 3}, 300))
        self.assertFalse(node_claim.claim(
            self.claims, node, uuid.uuid4(), {'PCI_DEVICE': 1}, 300))
        self.assertEqual([], self.claims.node_usage(node).claims)

    def test_stale_generation_is_refused(self):
        node = self._create(4)
        self.claims.claim(node.node_uuid, 1, uuid.uuid4(), ONE_VCPU, 300)
        e = self.assertRaises(
            exception.HostConflict, self.claims.claim,
            node.node_uuid, 1, uuid.uuid4(), ONE_VCPU, 300)
        self.assertEqual(2, e.kwargs['found'])
        self.assertEqual(1, len(self.claims.node_usage(node.node_uuid).claims))

    def test_release_frees_the_claim(self):
        node = self._create(1).node_uuid
        consumer = uuid.uuid4()
        self.assertTrue(node_claim.claim(self.claims, node, consumer,
                                         ONE_VCPU, 300))
        self.assertFalse(node_claim.claim(self.claims, node,
                                          uuid.uuid4(), ONE_VCPU, 300))
        self.assertTrue(self.claims.release(node, consumer))
        self.assertFalse(self.claims.release(node, consumer))
        self.assertTrue(node_claim.claim(self.claims, node,
                                         uuid.uuid4(), ONE_VCPU, 300))

    def test_compute_folds_claim_into_usage_atomically(self):
        node = self._create(2)
        consumer = uuid.uuid4()
        self.assertTrue(node_claim.claim(self.claims, node.node_uuid,
                                         consumer, ONE_VCPU, 300))
        usage = self.claims.node_usage(node.node_uuid)
        record = self.hosts.get(node.node_uuid, latest=True)
        record.used = {'VCPU': 1, 'MEMORY_MB': 512}
        self.hosts.update(record, fold=[consumer])
        usage = self.claims.node_usage(node.node_uuid)
        self.assertEqual([], usage.claims)
        self.assertEqual(1, usage.record.used['VCPU'])
        self.assertEqual(3, usage.record.generation)

    def test_nodes_read_together_with_their_claims(self):
        nodes = [self._create(4).node_uuid for _ in range(3)]
        consumer = uuid.uuid4()
        self.assertTrue(node_claim.claim(self.claims, nodes[1], consumer,
                                         ONE_VCPU, 300))
        unknown = uuid.uuid4()
        usages = {usage.record.node_uuid: usage for usage in
                  self.claims.node_usages(nodes + [unknown])}
        # The unknown node is left out; each other one as read alone.
        self.assertEqual(set(nodes), set(usages))
        for node in nodes:
            self.assertEqual(self.claims.node_usage(node), usages[node])
        self.assertEqual([consumer], [
            claim.consumer_uuid for claim in usages[nodes[1]].claims])
        self.assertRaises(exception.HostNotFound, self.claims.node_usage,
                          unknown)

    def test_unknown_node(self):
        self.assertRaises(exception.HostNotFound,
                          node_claim.claim, self.claims, uuid.uuid4(),
                          uuid.uuid4(), ONE_VCPU, 300)

    def test_heartbeat_is_each_computes_last_report(self):
        self.assertEqual({}, self.hosts.heartbeats())
        self.hosts.report('compute1')
        first = self.hosts.heartbeats()['compute1']
        time.sleep(0.01)
        self.hosts.report('compute2')
        self.hosts.report('compute1')
        beats = self.hosts.heartbeats()
        self.assertEqual({'compute1', 'compute2'}, set(beats))
        self.assertGreater(beats['compute1'], first)
        # The host manager compares heartbeats with host rows: one clock,
        # the store's.
        node = self._create(1)
        self.assertGreaterEqual(
            self.hosts.get(node.node_uuid, latest=True).updated_at,
            beats['compute1'])


class TestClaims(ClaimStoreTests, base.TestCase):

    UNCONDITIONAL = UnconditionalClaimStore

    def setUp(self):
        super().setUp()
        self.ks = self.useFixture(base.CassandraKeyspace())
        self.hosts = hosts.HostStore(self.ks.session, self.ks.keyspace)
        self.claims = claims.ClaimStore(self.ks.session, self.ks.keyspace)

    def store_factory(self, store_cls):
        return functools.partial(claim_race.cassandra_store,
                                 {'keyspace': self.ks.keyspace},
                                 store_cls)

    def test_scheduler_killed_after_its_claim_frees_capacity_in_ttl(self):
        node = self._create(1).node_uuid
        ctx = multiprocessing.get_context('spawn')
        claimed = ctx.Event()
        ttl = 4
        proc = ctx.Process(target=_claim_then_hang, args=(
            self.ks.keyspace, node, uuid.uuid4(), ttl, claimed))
        proc.start()
        self.addCleanup(proc.join, 10)
        self.assertTrue(claimed.wait(60))
        os.kill(proc.pid, signal.SIGKILL)
        killed = time.monotonic()
        self.assertFalse(capacity.fits(self.claims.node_usage(node),
                                       ONE_VCPU))
        while not capacity.fits(self.claims.node_usage(node), ONE_VCPU):
            self.assertLess(time.monotonic() - killed, ttl + 5)
            time.sleep(0.2)
        self.addDetail('recovery-seconds',
                       text_content('%.1f' % (time.monotonic() - killed)))
        self.assertTrue(node_claim.claim(self.claims, node, uuid.uuid4(),
                                         ONE_VCPU, 300))

    def test_expired_claim_stops_counting(self):
        node = self._create(1).node_uuid
        self.assertTrue(node_claim.claim(self.claims, node, uuid.uuid4(),
                                         ONE_VCPU, 2))
        self.assertFalse(capacity.fits(self.claims.node_usage(node),
                                       ONE_VCPU))
        time.sleep(3)
        usage = self.claims.node_usage(node)
        self.assertEqual([], usage.claims)
        self.assertTrue(capacity.fits(usage, ONE_VCPU))
