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

import dataclasses
import threading
import time
import uuid

from cassandra import OperationTimedOut
import testtools

from nova_cassandra.compute import publisher
from nova_cassandra import exception
from nova_cassandra.store import backends
from nova_cassandra.store import base

WAIT = 10  # seconds a test waits for the writing thread, at most

DOWN = exception.CassandraUnavailable(contact_points='127.0.0.1', port=9042,
                                      reason='down')


class FakeStore:
    """In-memory HostStore with the same compare-and-set rules.

    ``failures``: errors the next writes raise, one each.  While ``gate``
    is clear, a write waits for it (a store that hangs).
    """

    def __init__(self):
        self.rows = {}
        # (node, used VCPU, sorted fold) of every update, in order.
        self.writes = []
        self.failures = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()

    def hang(self):
        """The next write hangs until ``gate`` is set."""
        self.entered.clear()
        self.gate.clear()

    def _answer(self):
        self.entered.set()
        assert self.gate.wait(WAIT), 'the test never opened the gate'
        if self.failures:
            raise self.failures.pop(0)

    def create(self, record):
        self._answer()
        if record.node_uuid in self.rows:
            raise exception.HostExists(node=record.node_uuid)
        self.rows[record.node_uuid] = dataclasses.replace(record,
                                                          generation=1)
        return self.rows[record.node_uuid]

    def update(self, record, fold=()):
        self._answer()
        stored = self.rows.get(record.node_uuid)
        if stored is None:
            raise exception.HostNotFound(node=record.node_uuid)
        if stored.generation != record.generation:
            raise exception.HostConflict(node=record.node_uuid,
                                         expected=record.generation,
                                         found=stored.generation)
        self.writes.append((record.node_uuid, record.used['VCPU'],
                            sorted(fold)))
        self.rows[record.node_uuid] = dataclasses.replace(
            record, generation=record.generation + 1)
        return self.rows[record.node_uuid]

    def get(self, node_uuid, latest=False):
        return self.rows[node_uuid]

    def bump(self, node_uuid):
        """What a scheduler's claim does to the generation."""
        row = self.rows[node_uuid]
        self.rows[node_uuid] = dataclasses.replace(
            row, generation=row.generation + 1)


class RecordedBackOff(publisher.Publisher):
    """Records the back-off delays instead of waiting them out."""

    def __init__(self, *args):
        super().__init__(*args)
        self.delays = []

    def _back_off(self, delay):
        self.delays.append(delay)


def record(node_uuid=None, vcpus_used=0):
    return base.HostRecord(node_uuid=node_uuid or uuid.uuid4(),
                           host='compute1', nodename='node1',
                           capacity={'VCPU': 8}, used={'VCPU': vcpus_used})


class TestPublisher(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.store = FakeStore()
        self.publisher = RecordedBackOff(lambda: self.store,
                                         backends.CASSANDRA.unavailable)
        self.addCleanup(self.publisher.stop, WAIT)

    def _published(self):
        self.assertTrue(self.publisher.wait_published(WAIT))

    def _hang_on_first_write(self, node):
        """The store hangs while writing ``node``'s first update."""
        self.store.rows[node] = dataclasses.replace(record(node),
                                                    generation=1)
        self.store.hang()
        self.publisher.publish(record(node, 1))
        self.assertTrue(self.store.entered.wait(WAIT))

    def test_first_publish_creates_then_updates(self):
        node = uuid.uuid4()
        self.publisher.publish(record(node, 1))
        self._published()
        self.publisher.publish(record(node, 2))
        self._published()
        self.assertEqual(2, self.store.rows[node].used['VCPU'])
        self.assertEqual(2, self.store.rows[node].generation)

    def test_claims_bumping_the_generation_do_not_lose_the_update(self):
        node = uuid.uuid4()
        self.publisher.publish(record(node, 1))
        self._published()
        self.store.bump(node)
        self.store.bump(node)
        self.publisher.publish(record(node, 3))
        self._published()
        self.assertEqual(3, self.store.rows[node].used['VCPU'])
        self.assertEqual(4, self.store.rows[node].generation)

    def test_row_created_elsewhere_is_adopted(self):
        node = uuid.uuid4()
        self.store.create(record(node))
        self.publisher.publish(record(node, 5))
        self._published()
        self.assertEqual(5, self.store.rows[node].used['VCPU'])

    def test_row_deleted_elsewhere_is_recreated(self):
        node = uuid.uuid4()
        self.publisher.publish(record(node, 1))
        self._published()
        del self.store.rows[node]
        self.publisher.publish(record(node, 2))
        self._published()
        self.assertEqual(2, self.store.rows[node].used['VCPU'])

    def test_invalid_record_is_refused_and_kept_nowhere(self):
        bad = record()
        bad.capacity = {'VCPU': -1}
        self.assertRaises(exception.InvalidHostRecord,
                          self.publisher.publish, bad)
        self._published()
        self.assertEqual({}, self.store.rows)

    def test_publish_returns_while_the_store_hangs(self):
        node = uuid.uuid4()
        self._hang_on_first_write(node)
        started = time.monotonic()
        for used in range(2, 102):
            self.publisher.publish(record(node, used), fold=[uuid.uuid4()])
        self.assertLess(time.monotonic() - started, 0.5)
        self.assertFalse(self.publisher.wait_published(0.1))
        self.store.gate.set()
        self._published()
        self.assertEqual(101, self.store.rows[node].used['VCPU'])

    def test_records_of_a_node_are_coalesced_with_their_folds(self):
        node = uuid.uuid4()
        self._hang_on_first_write(node)
        claims = [uuid.uuid4() for _ in range(3)]
        for used, claim in enumerate(claims, start=2):
            self.publisher.publish(record(node, used), fold=[claim])
        self.publisher.publish(record(node, 5))
        self.store.gate.set()
        self._published()
        # The write in flight, then the newest record with every fold.
        self.assertEqual([(node, 1, []), (node, 5, sorted(claims))],
                         self.store.writes)

    def test_fold_of_a_deleted_instance_survives_an_outage(self):
        node, claim = uuid.uuid4(), uuid.uuid4()
        self.publisher.publish(record(node, 0))
        self._published()
        self.store.failures = [DOWN] * 5 + [OperationTimedOut('timed out')]
        self.store.hang()
        # Claimed by the compute (folded), then deleted, while the store
        # is away: the newest record no longer has the instance, but the
        # scheduler's claim for it must still go.
        self.publisher.publish(record(node, 1), fold=[claim])
        self.assertTrue(self.store.entered.wait(WAIT))
        self.publisher.publish(record(node, 0))
        self.store.gate.set()
        self._published()
        self.assertEqual([(node, 0, [claim])], self.store.writes)
        self.assertEqual(6, len(self.publisher.delays))

    def test_fold_written_once_is_not_written_again(self):
        node, claim = uuid.uuid4(), uuid.uuid4()
        self.publisher.publish(record(node, 0))
        self._published()
        self.publisher.publish(record(node, 1), fold=[claim])
        self._published()
        self.publisher.publish(record(node, 2))
        self._published()
        self.assertEqual([(node, 1, [claim]), (node, 2, [])],
                         self.store.writes)

    def test_back_off_doubles_to_the_maximum_and_resets(self):
        self.patch(publisher, 'RETRY_MAX_DELAY', 4 * publisher.
                   RETRY_INITIAL_DELAY)
        node = uuid.uuid4()
        self.publisher.publish(record(node, 0))
        self._published()
        self.store.failures = [DOWN] * 5
        self.publisher.publish(record(node, 1))
        self._published()
        self.store.failures = [DOWN]
        self.publisher.publish(record(node, 2))
        self._published()
        first = publisher.RETRY_INITIAL_DELAY
        self.assertEqual([first, 2 * first, 4 * first, 4 * first, 4 * first,
                          first], self.publisher.delays)
        self.assertEqual([(node, 1, []), (node, 2, [])], self.store.writes)

    def test_nodes_are_written_in_the_order_they_changed(self):
        a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        for node in (b, c):
            self.publisher.publish(record(node, 0))
        self._published()
        self._hang_on_first_write(a)
        self.publisher.publish(record(b, 1))
        self.publisher.publish(record(c, 1))
        self.publisher.publish(record(a, 2))
        self.publisher.publish(record(b, 2))
        self.store.gate.set()
        self._published()
        self.assertEqual([(a, 1, []), (b, 2, []), (c, 1, []), (a, 2, [])],
                         self.store.writes)

    def test_failed_change_is_retried_first_and_never_goes_back(self):
        a, b = uuid.uuid4(), uuid.uuid4()
        for node in (a, b):
            self.publisher.publish(record(node, 0))
        self._published()
        self.store.hang()
        self.store.failures = [DOWN]
        self.publisher.publish(record(a, 1))
        self.assertTrue(self.store.entered.wait(WAIT))
        self.publisher.publish(record(b, 1))
        self.publisher.publish(record(a, 2))
        self.store.gate.set()
        self._published()
        self.assertEqual([(a, 2, []), (b, 1, [])], self.store.writes)

    def test_conflicts_on_every_attempt_are_retried_with_back_off(self):
        node = uuid.uuid4()
        self.publisher.publish(record(node, 0))
        self._published()
        self.store.failures = [exception.HostConflict(
            node=node, expected=1, found=1)] * publisher.CONFLICT_RETRY_COUNT
        self.publisher.publish(record(node, 1))
        self._published()
        self.assertEqual([publisher.RETRY_INITIAL_DELAY],
                         self.publisher.delays)
        self.assertEqual([(node, 1, [])], self.store.writes)

    def test_one_publisher_per_process_and_store(self):
        self.addCleanup(publisher.stop_all, WAIT)
        cassandra = publisher.for_backend(backends.CASSANDRA)
        self.assertIs(cassandra, publisher.for_backend(backends.CASSANDRA))
        self.assertIsNot(cassandra, publisher.for_backend(backends.MYSQL))


class TestPublisherOnMySQL(testtools.TestCase):

    def test_mysql_outage_is_retried_in_the_background(self):
        store = FakeStore()
        store.failures = [exception.MySQLUnavailable(url='db', reason='down')]
        pub = RecordedBackOff(lambda: store, backends.MYSQL.unavailable)
        self.addCleanup(pub.stop, WAIT)
        node = uuid.uuid4()
        pub.publish(record(node, 5))
        self.assertTrue(pub.wait_published(WAIT))
        self.assertEqual(5, store.rows[node].used['VCPU'])
        self.assertEqual([publisher.RETRY_INITIAL_DELAY], pub.delays)
