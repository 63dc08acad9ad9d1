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

"""Clocks off by minutes, on a real Cassandra: the store's clock decides.

Claims expire by their TTL, which Cassandra counts; claim and host rows are
written by lightweight transactions, stamped by the coordinator's Paxos
ballot; heartbeats are ``toTimestamp(now())``, written with the
coordinator's timestamp.  A scheduler, a compute or a reporting compute
service runs here in a process whose clock is ``SKEW`` seconds off (see
``skewed_clock``), before or after one whose clock is right, and nothing
may tell.
"""

import datetime
import subprocess
import sys
import uuid

from nova_cassandra.claims import node_claim
from nova_cassandra.store import base as store_base
from nova_cassandra.store.cassandra import claims as claims_store
from nova_cassandra.store.cassandra import hosts
from tests.functional import base

SKEW = 600
CLAIM_TTL = 60
# How far apart the store's clock and a stamp it made just now may read.
CLOSE = datetime.timedelta(seconds=5)


class TestClockSkew(base.TestCase):

    def setUp(self):
        super().setUp()
        self.ks = self.useFixture(base.CassandraKeyspace())
        self.hosts = hosts.HostStore(self.ks.session, self.ks.keyspace)
        self.claims = claims_store.ClaimStore(self.ks.session,
                                              self.ks.keyspace)
        self.node = uuid.uuid4()
        self.hosts.create(store_base.HostRecord(
            node_uuid=self.node, host='compute1', nodename='node1',
            capacity={'VCPU': 8}, used={'VCPU': 0}))

    def _skewed(self, seconds, action, *args):
        """Run ``action`` on a clock ``seconds`` off (see skewed_clock)."""
        result = subprocess.run(
            [sys.executable, '-m', 'tests.functional.skewed_clock',
             str(seconds), self.ks.keyspace, action] + [str(a) for a in args],
            cwd=base.REPO_DIR, capture_output=True, text=True, timeout=60)
        self.assertEqual(0, result.returncode, result.stderr)

    def _claims(self):
        return {c.consumer_uuid: c
                for c in self.claims.node_usage(self.node).claims}

    def _used(self):
        return self.hosts.get(self.node, latest=True).used['VCPU']

    def test_claims_of_a_scheduler_off_by_minutes_live_their_ttl(self):
        for skew in (SKEW, -SKEW):
            consumer = uuid.uuid4()
            before = self.claims.now()
            self._skewed(skew, 'claim', self.node, consumer, CLAIM_TTL)
            after = self.claims.now()
            # Stamped by the store's clock, and expiring by it.
            claimed_at = self._claims()[consumer].claimed_at
            self.assertTrue(before <= claimed_at <= after,
                            (before, claimed_at, after))
            ttl = self.ks.session.execute(
                'SELECT TTL(claimed_at) AS ttl FROM %s.compute_nodes WHERE '
                'node_uuid = %%s AND consumer_uuid = %%s' % self.ks.keyspace,
                (self.node, consumer)).one().ttl
            elapsed = (self.claims.now() - before).total_seconds()
            self.assertTrue(CLAIM_TTL - elapsed - 1 <= ttl <= CLAIM_TTL,
                            (ttl, elapsed))

    def test_compute_off_by_minutes_neither_frees_nor_loses_claims(self):
        behind, ahead = uuid.uuid4(), uuid.uuid4()
        self.assertTrue(node_claim.claim(
            self.claims, self.node, behind, {'VCPU': 1}, CLAIM_TTL))
        # A compute whose clock is behind publishes after a write stamped
        # right, one ahead before one: every write lands, and only the
        # claims folded go.
        self._skewed(-SKEW, 'publish', self.node, 1)
        self.assertEqual((1, {behind}), (self._used(), set(self._claims())))
        self._skewed(SKEW, 'publish', self.node, 2, behind)
        self.assertEqual((2, set()), (self._used(), set(self._claims())))
        self.assertTrue(node_claim.claim(
            self.claims, self.node, ahead, {'VCPU': 1}, CLAIM_TTL))
        self.assertEqual({ahead}, set(self._claims()))
        self._skewed(-SKEW, 'publish', self.node, 3, ahead)
        self.assertEqual((3, set()), (self._used(), set(self._claims())))

    def test_heartbeat_of_a_compute_off_by_minutes_is_recorded(self):
        # A compute service restarted with its clock set back, or a host
        # name moved to a host whose clock is behind: its reports must
        # not lose to the older ones.
        self.hosts.report('compute1')
        last = self.hosts.heartbeats()['compute1']
        for skew in (-SKEW, SKEW, -SKEW):
            self._skewed(skew, 'report', 'compute1')
            reported = self.hosts.heartbeats()['compute1']
            self.assertGreater(reported, last)
            self.assertLess(abs(reported - self.claims.now()), CLOSE)
            last = reported
