import dataclasses
import threading
import uuid

from cassandra import OperationTimedOut
import testtools

from nova_cassandra.compute import publisher
from nova_cassandra import exception
from nova_cassandra.store import backends
from nova_cassandra.store import hosts


class FakeStore:
    """In-memory HostStore with the same compare-and-set rules."""

    def __init__(self):
        self.rows = {}
        self.writes = 0
        self.folded = []

    def create(self, record):
        if record.node_uuid in self.rows:
            raise exception.HostExists(node=record.node_uuid)
        self.rows[record.node_uuid] = dataclasses.replace(record,
                                                          generation=1)
        return self.rows[record.node_uuid]

    def update(self, record, fold=()):
        stored = self.rows.get(record.node_uuid)
        if stored is None:
            raise exception.HostNotFound(node=record.node_uuid)
        if stored.generation != record.generation:
            raise exception.HostConflict(node=record.node_uuid,
                                         expected=record.generation,
                                         found=stored.generation)
        self.writes += 1
        self.folded.extend(fold)
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


def record(node_uuid=None, vcpus_used=0):
    return hosts.HostRecord(node_uuid=node_uuid or uuid.uuid4(),
                            host='compute1', nodename='node1',
                            capacity={'VCPU': 8}, used={'VCPU': vcpus_used})


class TestPublisher(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.store = FakeStore()
        self.publisher = publisher.Publisher(lambda: self.store)

    def test_first_publish_creates_then_updates(self):
        node = uuid.uuid4()
        self.publisher.publish(record(node, 1))
        self.publisher.publish(record(node, 2))
        self.assertEqual(2, self.store.rows[node].used['VCPU'])
        self.assertEqual(2, self.store.rows[node].generation)

    def test_claims_bumping_the_generation_do_not_lose_the_update(self):
        node = uuid.uuid4()
        self.publisher.publish(record(node, 1))
        self.store.bump(node)
        self.store.bump(node)
        self.publisher.publish(record(node, 3))
        self.assertEqual(3, self.store.rows[node].used['VCPU'])
        self.assertEqual(4, self.store.rows[node].generation)

    def test_row_created_elsewhere_is_adopted(self):
        node = uuid.uuid4()
        self.store.create(record(node))
        self.publisher.publish(record(node, 5))
        self.assertEqual(5, self.store.rows[node].used['VCPU'])

    def test_row_deleted_elsewhere_is_recreated(self):
        node = uuid.uuid4()
        self.publisher.publish(record(node, 1))
        del self.store.rows[node]
        self.publisher.publish(record(node, 2))
        self.assertEqual(2, self.store.rows[node].used['VCPU'])

    def test_outage_keeps_latest_and_republishes_when_back(self):
        self.patch(publisher, 'RETRY_INITIAL_DELAY', 0.01)
        failures = [exception.CassandraUnavailable(
            contact_points='127.0.0.1', port=9042, reason='down')] * 2 + [
            OperationTimedOut('timed out')]
        recovered = threading.Event()

        def get_store():
            if failures:
                raise failures.pop(0)
            recovered.set()
            return self.store

        self.publisher = publisher.Publisher(get_store)
        node_a, node_b = uuid.uuid4(), uuid.uuid4()
        self.publisher.publish(record(node_a, 1))
        self.publisher.publish(record(node_a, 2))  # supersedes 1
        self.publisher.publish(record(node_b, 7))
        self.assertTrue(recovered.wait(10))
        for _ in range(200):
            if len(self.store.rows) == 2:
                break
            threading.Event().wait(0.01)
        self.assertEqual(2, self.store.rows[node_a].used['VCPU'])
        self.assertEqual(7, self.store.rows[node_b].used['VCPU'])
        self.assertEqual(1, self.store.rows[node_a].generation)

    def test_fold_goes_with_the_write_and_survives_superseding(self):
        node = uuid.uuid4()
        first, second = uuid.uuid4(), uuid.uuid4()
        self.publisher.publish(record(node, 1))
        self.store.bump(node)
        self.publisher.publish(record(node, 2), fold=[first])
        self.assertEqual([first], self.store.folded)

        failing = [True]
        self.publisher = publisher.Publisher(
            lambda: (_ for _ in ()).throw(exception.CassandraUnavailable(
                contact_points='x', port=1, reason='down'))
            if failing else self.store)
        self.patch(publisher.threading, 'Thread', FakeThread)
        self.publisher.publish(record(node, 3), fold=[second])
        self.publisher.publish(record(node, 4), fold=[first])
        failing.clear()
        self.publisher._retry()
        self.assertEqual(4, self.store.rows[node].used['VCPU'])
        self.assertEqual(first, self.store.folded[0])
        self.assertEqual({first, second}, set(self.store.folded[1:]))


class FakeThread:
    """Runs nothing: the test calls the retry loop itself."""

    def __init__(self, target, daemon):
        pass

    def start(self):
        pass


class TestPublisherOnMySQL(testtools.TestCase):

    def test_mysql_outage_is_retried_in_the_background(self):
        store = FakeStore()
        down = [True]

        def get_store():
            if down:
                raise exception.MySQLUnavailable(url='db', reason='down')
            return store

        self.patch(publisher.threading, 'Thread', FakeThread)
        pub = publisher.Publisher(get_store, backends.MYSQL.unavailable)
        node = uuid.uuid4()
        pub.publish(record(node, 5))
        self.assertEqual({}, store.rows)
        down.clear()
        pub._retry()
        self.assertEqual(5, store.rows[node].used['VCPU'])
