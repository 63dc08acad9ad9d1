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

import threading
import time
from unittest import mock
import uuid

from oslo_config import fixture as config_fixture
import testtools

from nova_cassandra.claims import node_claim
from nova_cassandra import conf as nc_conf
from nova_cassandra import exception
from nova_cassandra.scheduler import host_view
from nova_cassandra.store import base

# Seconds a test waits for its threads.
WAIT = 10


def _usage(node_uuid, generation=1, used=0):
    return base.NodeUsage(base.HostRecord(
        node_uuid=node_uuid, host='h', nodename='n', capacity={'VCPU': 4},
        used={'VCPU': used}, generation=generation), [])


class FakeStore:
    """A store's reads, counted; ``log`` is its changes log."""

    def __init__(self, nodes):
        self.nodes = {usage.record.node_uuid: usage for usage in nodes}
        self.log = []
        self.full_reads = 0
        # Nodes read again, and in how many reads.
        self.node_reads = []
        self.reads = 0
        # (seconds, lookback) of each read of the log.
        self.log_reads = []
        self.changes = mock.Mock(since=self._since)

    def _since(self, seconds, seen=(), lookback=base.OVERLAP_SECONDS):
        self.log_reads.append((seconds, lookback))
        return [change for change in self.log
                if change.changed_at > seconds - lookback
                and change.change_id not in seen]

    def all_usage(self):
        self.full_reads += 1
        return list(self.nodes.values())

    def node_usages(self, node_uuids):
        self.reads += 1
        self.node_reads.extend(node_uuids)
        return [self.nodes[node_uuid] for node_uuid in node_uuids
                if node_uuid in self.nodes]

    def change(self, usage, consumer_uuid=None, resources=None,
               generation=True):
        """Store ``usage``; log it with the claim that made it, if any.

        ``generation`` False logs no generation, as a release does.
        """
        self.nodes[usage.record.node_uuid] = usage
        self.log.append(base.Change(
            uuid.uuid4(), time.time(), usage.record.node_uuid,
            usage.record.generation if generation else None, consumer_uuid,
            resources))


class TestHostView(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(config_fixture.Config(nc_conf.CONF))
        self.a, self.b = uuid.uuid4(), uuid.uuid4()
        self.store = FakeStore([_usage(self.a), _usage(self.b)])
        backend = mock.Mock(group='cassandra')
        backend.stores.return_value.claims = self.store
        self.view = host_view.HostView(backend)

    def test_changes_re_read_only_the_nodes_they_name(self):
        self.view.refresh()
        self.store.change(_usage(self.a, generation=2, used=3))
        self.view.refresh()
        self.view.refresh()
        self.assertEqual(1, self.store.full_reads)
        # Read once: the second refresh skips the change it has seen.
        self.assertEqual([self.a], self.store.node_reads)
        self.assertEqual(3, self.view.get(self.a).record.used['VCPU'])

    def test_a_claim_in_the_log_is_added_without_a_read(self):
        self.view.refresh()
        consumer = uuid.uuid4()
        claimed = _usage(self.a).with_claim(2, consumer, {'VCPU': 3})
        self.store.change(claimed, consumer, {'VCPU': 3})
        self.view.refresh()
        self.assertEqual([], self.store.node_reads)
        self.assertEqual(claimed, self.view.get(self.a))

    def test_a_change_the_view_holds_is_not_read(self):
        self.view.refresh()
        # This scheduler's own claim, noted when taken, then logged.
        claimed = _usage(self.a).with_claim(2, uuid.uuid4(), {'VCPU': 1})
        self.view.note(claimed)
        self.store.change(claimed, claimed.claims[0].consumer_uuid,
                          {'VCPU': 1})
        self.view.refresh()
        self.assertEqual([], self.store.node_reads)
        self.assertIs(claimed, self.view.get(self.a))

    def test_a_claim_on_a_generation_not_held_reads_the_node_once(self):
        self.view.refresh()
        # The view missed generation 2: the claims after it are read.
        self.store.change(_usage(self.a, generation=2, used=1))
        del self.store.log[:]
        for generation in (3, 4):
            consumer = uuid.uuid4()
            self.store.change(
                _usage(self.a, generation=generation, used=1).with_claim(
                    generation, consumer, {'VCPU': 1}),
                consumer, {'VCPU': 1})
        self.view.refresh()
        self.assertEqual([self.a], self.store.node_reads)
        self.assertEqual(4, self.view.get(self.a).record.generation)
        self.assertEqual(1, self.view.get(self.a).record.used['VCPU'])

    def test_a_release_reads_the_node(self):
        consumer = uuid.uuid4()
        self.store.nodes[self.a] = _usage(self.a).with_claim(
            2, consumer, {'VCPU': 2})
        self.view.refresh()
        # A release does not move the generation: only a read tells what
        # the node holds now.
        self.store.change(_usage(self.a, generation=2), consumer,
                          generation=False)
        self.view.refresh()
        self.assertEqual([self.a], self.store.node_reads)
        self.assertEqual([], self.view.get(self.a).claims)

    def test_nodes_changed_are_read_together_and_deleted_ones_leave(self):
        self.view.refresh()
        self.store.change(_usage(self.a, generation=2, used=3))
        del self.store.nodes[self.b]
        self.store.log.append(
            base.Change(uuid.uuid4(), time.time(), self.b, None, None, None))
        self.view.refresh()
        self.assertEqual(1, self.store.reads)
        self.assertEqual({self.a, self.b}, set(self.store.node_reads))
        self.assertEqual(3, self.view.get(self.a).record.used['VCPU'])
        self.assertIsNone(self.view.get(self.b))
        self.assertEqual([self.a], [u.record.node_uuid
                                    for u in self.view.walk()])

    def test_full_read_every_reload_interval_and_without_a_log(self):
        nc_conf.CONF.set_override('host_view_reload_interval', 1, 'cassandra')
        self.view.refresh()
        with mock.patch('time.time', return_value=time.time() + 2):
            self.view.refresh()
        self.assertEqual(2, self.store.full_reads)
        self.store.changes = None
        self.view.refresh()
        self.assertEqual(3, self.store.full_reads)

    def test_refreshes_read_a_tail_of_the_log_and_sweep_once_a_second(self):
        start = time.time()
        with mock.patch('time.time', return_value=start):
            self.view.refresh()
            self.store.change(_usage(self.a, generation=2))
            self.view.refresh()
        newest = self.store.log[-1].changed_at
        with mock.patch('time.time',
                        return_value=start + host_view.SWEEP_SECONDS):
            self.view.refresh()
        self.assertEqual(
            # The full read's, then a tail past the newest change read...
            [(start, base.OVERLAP_SECONDS),
             (start - host_view.QUIET_LOOKBACK_SECONDS,
              host_view.TAIL_SECONDS),
             # ...then a sweep from the margin before the last sweep's start.
             (newest, newest - start + base.OVERLAP_SECONDS)],
            self.store.log_reads)

    def test_a_change_landing_late_is_read_by_the_next_sweep(self):
        start = time.time()
        with mock.patch('time.time', return_value=start):
            self.view.refresh()
        with mock.patch('time.time', return_value=start + 0.5):
            self.store.change(_usage(self.b, generation=2, used=1))
            self.view.refresh()
        # Stamped before the change just read, beyond the tail, appended
        # (visible) only now.
        self.store.change(_usage(self.a, generation=2, used=3))
        late = self.store.log.pop()
        self.store.log.append(late._replace(
            changed_at=start + 0.5 - 2 * host_view.TAIL_SECONDS))
        with mock.patch('time.time', return_value=start + 0.6):
            self.view.refresh()
        self.assertEqual(0, self.view.get(self.a).record.used['VCPU'])
        with mock.patch('time.time',
                        return_value=start + host_view.SWEEP_SECONDS):
            self.view.refresh()
        self.assertEqual(3, self.view.get(self.a).record.used['VCPU'])
        self.assertEqual(1, self.store.full_reads)

    def test_an_older_generation_does_not_replace_a_newer_one(self):
        self.view.note(_usage(self.a, generation=5, used=2))
        self.view.note(_usage(self.a, generation=4, used=0))
        self.assertEqual(2, self.view.get(self.a).record.used['VCPU'])

    def test_largest_limits_follow_nodes_and_their_capacity(self):
        self.view.refresh()
        self.assertEqual({'VCPU': 4}, self.view.largest_limits())
        c = uuid.uuid4()
        big = _usage(c)
        big.record.capacity['VCPU'] = 16
        self.view.note(big)
        self.assertEqual({'VCPU': 16}, self.view.largest_limits())
        halved = _usage(c, generation=2)
        halved.record.capacity['VCPU'] = 16
        halved.record.allocation_ratio['VCPU'] = 0.5
        self.view.note(halved)
        self.assertEqual({'VCPU': 8}, self.view.largest_limits())
        # A claim or a usage change alone keeps them.
        with mock.patch.object(host_view.capacity,
                               'largest_limits') as computed:
            self.view.note(_usage(self.a, generation=2, used=3))
            self.assertEqual({'VCPU': 8}, self.view.largest_limits())
        computed.assert_not_called()
        self.store.log.append(
            base.Change(uuid.uuid4(), time.time(), c, None, None, None))
        self.view.refresh()
        self.assertIsNone(self.view.get(c))
        self.assertEqual({'VCPU': 4}, self.view.largest_limits())

    def test_walk_visits_every_node_once(self):
        nodes = [_usage(uuid.uuid4()) for _ in range(12)]
        for usage in nodes:
            self.view.note(usage)
        for _ in range(5):
            walked = [u.record.node_uuid for u in self.view.walk()]
            self.assertEqual(sorted(u.record.node_uuid for u in nodes),
                             sorted(walked))

    def test_a_claim_noted_during_a_full_read_is_kept(self):
        def all_usage():
            self.view.note(_usage(self.a, generation=5, used=2))
            return [_usage(self.a), _usage(self.b)]
        self.store.all_usage = all_usage
        self.view.refresh()
        self.assertEqual(5, self.view.get(self.a).record.generation)
        self.assertEqual(1, self.view.get(self.b).record.generation)


class TestSharedReads(testtools.TestCase):
    """Concurrent refreshes, with real threads, on a log read held open."""

    def setUp(self):
        super().setUp()
        self.useFixture(config_fixture.Config(nc_conf.CONF))
        self.store = FakeStore([_usage(uuid.uuid4())])
        backend = mock.Mock(group='cassandra')
        backend.stores.return_value.claims = self.store
        self.view = host_view.HostView(backend)
        self.view.refresh()  # the full read
        self.log_reads = 0
        self.read_out = threading.Event()
        self.release_read = threading.Event()
        self.failures = []
        self.errors = []
        self.store.changes = mock.Mock(since=self._since)

    def _since(self, seconds, seen=(), lookback=None):
        self.log_reads += 1
        if self.log_reads == 1:
            self.read_out.set()
            self.release_read.wait(WAIT)
        if self.failures:
            raise self.failures.pop()
        return []

    def _refresh(self):
        try:
            self.view.refresh()
        except Exception as e:
            self.errors.append(e)

    def _refresh_while_one_is_out(self, waiting):
        threads = [threading.Thread(target=self._refresh)]
        threads[0].start()
        self.assertTrue(self.read_out.wait(WAIT))
        for _ in range(waiting):
            threads.append(threading.Thread(target=self._refresh))
            threads[-1].start()
        deadline = time.monotonic() + WAIT
        while (len(self.view._reads._waiters) < waiting
               and time.monotonic() < deadline):
            time.sleep(0.01)
        self.release_read.set()
        for thread in threads:
            thread.join(WAIT)
            self.assertFalse(thread.is_alive())

    def test_refreshes_waiting_for_a_read_share_the_next(self):
        self._refresh_while_one_is_out(waiting=3)
        # The read out when they asked may have missed what they wait
        # for: one more read, shared by the three.
        self.assertEqual(2, self.log_reads)
        self.assertEqual([], self.errors)

    def test_a_failed_read_leaves_the_next_to_a_waiting_refresh(self):
        self.failures.append(exception.CassandraUnavailable(
            contact_points='127.0.0.1', port=9042, reason='down'))
        self._refresh_while_one_is_out(waiting=2)
        self.assertEqual(2, self.log_reads)
        self.assertEqual(1, len(self.errors))
        self.assertIsInstance(self.errors[0], exception.CassandraUnavailable)


class TestOptimisticClaim(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.node = uuid.uuid4()
        self.view = host_view.HostView(mock.Mock())
        self.view.note(_usage(self.node, generation=3, used=1))
        self.store = mock.Mock()

    def test_first_attempt_on_the_view_s_generation_reads_nothing(self):
        self.store.claim.return_value = 4
        consumer = uuid.uuid4()
        self.assertTrue(node_claim.claim(
            self.store, self.node, consumer, {'VCPU': 2}, 60, self.view))
        self.store.node_usage.assert_not_called()
        self.assertEqual(3, self.store.claim.call_args[0][1])
        # The view counts the claim taken, at the generation it made.
        held = self.view.get(self.node)
        self.assertEqual(4, held.record.generation)
        self.assertEqual({'VCPU': 2}, held.claims[0].resources)
        self.assertEqual(consumer, held.claims[0].consumer_uuid)

    def test_a_lost_compare_and_set_re_reads_the_node(self):
        self.store.claim.side_effect = [
            exception.HostConflict(node=self.node, expected=3, found=5), 6]
        self.store.node_usage.return_value = _usage(self.node, generation=5,
                                                    used=1)
        self.assertTrue(node_claim.claim(
            self.store, self.node, uuid.uuid4(), {'VCPU': 2}, 60, self.view))
        self.assertEqual([3, 5], [c[0][1] for c in
                                  self.store.claim.call_args_list])
        self.assertEqual(6, self.view.get(self.node).record.generation)

    def test_no_room_after_a_re_read_claims_nothing(self):
        self.store.claim.side_effect = exception.HostConflict(
            node=self.node, expected=3, found=5)
        self.store.node_usage.return_value = _usage(self.node, generation=5,
                                                    used=4)
        self.assertFalse(node_claim.claim(
            self.store, self.node, uuid.uuid4(), {'VCPU': 2}, 60, self.view))
        self.assertEqual(1, self.store.claim.call_count)
        self.assertEqual(4, self.view.get(self.node).record.used['VCPU'])
