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

"""A scheduler's host view kept current from the real changes log."""

import dataclasses
import time
from unittest import mock
import uuid

from nova_cassandra.claims import node_claim
from nova_cassandra import metrics
from nova_cassandra.scheduler import host_view
from nova_cassandra.store import base as base_store
from nova_cassandra.store.cassandra import changes
from nova_cassandra.store.cassandra import claims
from nova_cassandra.store.cassandra import hosts
from nova_cassandra.store.mysql import claims as sql_claims
from nova_cassandra.store.mysql import hosts as sql_hosts
from tests.functional import base
from tests.functional import test_claims
from tests.functional import test_mysql_store

ONE_VCPU = test_claims.ONE_VCPU


class HostViewTests:
    """What a view must see of a store; subclasses give the stores."""

    def start(self, host_store, claim_store, other_claim_store):
        # Two schedulers: this test's view and another process's claims.
        self.hosts, self.claims = host_store, claim_store
        self.other = other_claim_store
        self.nodes = [self.hosts.create(test_claims._node(2))
                      for _ in range(3)]
        backend = mock.Mock(group='cassandra')
        backend.stores.return_value.claims = self.claims
        self.view = host_view.HostView(backend)
        self.view.refresh()

    def _until(self, seen):
        """Refresh until ``seen()``: appends are not waited for."""
        deadline = time.monotonic() + 10
        while not seen():
            self.assertLess(time.monotonic(), deadline,
                            'the view never saw the change')
            time.sleep(0.05)
            self.view.refresh()

    def _claims_on(self, node):
        return [c.consumer_uuid for c in
                self.view.get(node.node_uuid).claims]

    def test_changes_reach_the_view_without_reading_every_node(self):
        before = metrics.snapshot()
        consumer = uuid.uuid4()
        node_claim.claim(self.other, self.nodes[0].node_uuid, consumer,
                         ONE_VCPU, 60)
        published = self.hosts.update(dataclasses.replace(
            self.nodes[1], used={'VCPU': 2, 'MEMORY_MB': 0}))
        self._until(lambda: self._claims_on(self.nodes[0]) == [consumer]
                    and self.view.get(self.nodes[1].node_uuid).record
                    .generation == published.generation)
        self.assertEqual(2, self.view.get(
            self.nodes[1].node_uuid).record.used['VCPU'])
        after = metrics.snapshot()
        self.assertEqual(before.get('view_full_reads'),
                         after.get('view_full_reads'))
        # The two nodes named, maybe read again after a later append.
        self.assertLessEqual(after['view_rows_read']
                             - before['view_rows_read'], 4)
        self.other.release(self.nodes[0].node_uuid, consumer)
        self._until(lambda: self._claims_on(self.nodes[0]) == [])

    def test_another_scheduler_s_claim_reaches_the_view_unread(self):
        before = metrics.snapshot()
        node, consumer = self.nodes[0].node_uuid, uuid.uuid4()
        self.assertTrue(node_claim.claim(self.other, node, consumer,
                                         ONE_VCPU, 60))
        self._until(lambda: self._claims_on(self.nodes[0]) == [consumer])
        after = metrics.snapshot()
        self.assertEqual(before.get('view_rows_read'),
                         after.get('view_rows_read'))
        self.assertEqual(before.get('view_claims_applied', 0) + 1,
                         after['view_claims_applied'])
        self.assertEqual(self.claims.node_usage(node).record.generation,
                         self.view.get(node).record.generation)
        # A release is read: the node as stored says what is left.
        self.other.release(node, consumer)
        self._until(lambda: self._claims_on(self.nodes[0]) == [])
        self.assertEqual(after.get('view_rows_read', 0) + 1,
                         metrics.snapshot()['view_rows_read'])

    def test_the_log_carries_claims_and_generations(self):
        start = time.time() - 1
        node, consumer = self.nodes[1].node_uuid, uuid.uuid4()
        self.other.claim(node, 1, consumer, ONE_VCPU, 60)
        self.hosts.update(dataclasses.replace(self.nodes[1], generation=2))
        self.other.release(node, consumer)
        wanted = [(2, consumer, ONE_VCPU), (3, None, None),
                  (None, None, None)]
        deadline = time.monotonic() + 10
        while True:
            entries = self.claims.changes.since(start)
            logged = [(c.generation, c.consumer_uuid, c.resources)
                      for c in entries if c.node_uuid == node]
            # Its creation first, without a generation: a new node is read.
            if logged[1:] == wanted:
                break
            self.assertLess(time.monotonic(), deadline, logged)
            time.sleep(0.05)
        self.assertEqual((None, None, None), logged[0])
        # A reader gets only the entries it has not seen.
        seen = {change.change_id for change in entries[::2]}
        self.assertEqual(
            [c.change_id for c in entries if c.change_id not in seen],
            [c.change_id for c in self.claims.changes.since(start, seen)])

    def test_a_stale_view_loses_the_compare_and_set_then_claims(self):
        node = self.nodes[2].node_uuid
        self.assertTrue(node_claim.claim(self.other, node, uuid.uuid4(),
                                         ONE_VCPU, 60))
        # The view has not refreshed: its generation is one behind.
        conflicts = metrics.snapshot().get('conflicts', 0)
        self.assertTrue(node_claim.claim(self.claims, node,
                                         uuid.uuid4(), ONE_VCPU, 60,
                                         self.view))
        self.assertEqual(conflicts + 1, metrics.snapshot()['conflicts'])
        # Both claims count; a third does not fit on two VCPUs.
        self.assertEqual(2, len(self.view.get(node).claims))
        self.assertFalse(node_claim.claim(self.claims, node,
                                          uuid.uuid4(), ONE_VCPU, 60,
                                          self.view))
        self.assertEqual(2, len(self.claims.node_usage(node).claims))


class TestCassandraHostView(HostViewTests, base.TestCase):

    def setUp(self):
        super().setUp()
        ks = self.useFixture(base.CassandraKeyspace())
        self.start(hosts.HostStore(ks.session, ks.keyspace),
                   claims.ClaimStore(ks.session, ks.keyspace),
                   claims.ClaimStore(ks.session, ks.keyspace))


class TestMySQLHostView(HostViewTests, base.TestCase):

    def setUp(self):
        super().setUp()
        db = self.useFixture(test_mysql_store.MySQLDatabase(2))
        self.start(sql_hosts.HostStore(db.database),
                   sql_claims.ClaimStore(db.database),
                   sql_claims.ClaimStore(db.database))


class TestCassandraChangeLog(base.TestCase):
    """The log's buckets, as writers with clocks apart append to them."""

    def setUp(self):
        super().setUp()
        ks = self.useFixture(base.CassandraKeyspace())
        self.log = changes.ChangeLog(ks.session, ks.keyspace)
        # The start of the current bucket: writers a little apart around
        # it append to different buckets.
        self.boundary = (changes.bucket(time.time())
                         * changes.BUCKET_SECONDS)

    def _clock(self, seconds):
        """Run as a process whose clock reads ``seconds``."""
        return mock.patch.object(
            changes, 'time', mock.Mock(**{'time.return_value': seconds}))

    def _append_at(self, node_uuid, seconds):
        with self._clock(seconds):
            self.log.append(node_uuid)

    def _read_at(self, reader, expected):
        """The entries a reader whose clock reads ``reader`` gets.

        Reads again (for up to 10 s) until they are of the nodes
        ``expected``, and fails if they never are.
        """
        deadline = time.monotonic() + 10
        while True:
            with self._clock(reader):
                entries = self.log.since(reader)
            if {change.node_uuid for change in entries} == expected:
                return entries
            self.assertLess(time.monotonic(), deadline,
                            'read %s, not the appends of %s'
                            % (entries, expected))
            time.sleep(0.05)

    def test_a_read_before_a_bucket_ends_reads_writers_ahead(self):
        margin = base_store.OVERLAP_SECONDS
        reader = self.boundary - margin / 8
        here, ahead = uuid.uuid4(), uuid.uuid4()
        self._append_at(here, reader)
        self._append_at(ahead, reader + margin * 7 / 8)
        entries = self._read_at(reader, {here, ahead})
        self.assertEqual(2, len({change.change_id for change in entries}))
        # Stamped by the coordinator's clock, not the writers'.
        for change in entries:
            self.assertLess(abs(change.changed_at - time.time()), 30)
        # Nothing after: the read bounds the time as well as the buckets.
        self.assertEqual([], self.log.since(time.time() + margin + 1))

    def test_a_read_after_a_bucket_starts_reads_writers_behind(self):
        margin = base_store.OVERLAP_SECONDS
        reader = self.boundary + margin / 8
        here, behind = uuid.uuid4(), uuid.uuid4()
        self._append_at(here, reader)
        self._append_at(behind, reader - margin * 7 / 8)
        self._read_at(reader, {here, behind})

    def test_a_read_leaves_buckets_past_the_margin_alone(self):
        # A read costs Cassandra one partition read per bucket (and shard):
        # a reader more than the margin before the end of its bucket does
        # not read the next one.
        margin = base_store.OVERLAP_SECONDS
        reader = self.boundary - 2 * margin
        here, beyond = uuid.uuid4(), uuid.uuid4()
        # Appended first, so it has landed when the other one is read.
        self._append_at(beyond, self.boundary + margin / 8)
        self._append_at(here, reader)
        self._read_at(reader, {here})
