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

from unittest import mock
import uuid

import fixtures
from oslo_config import fixture as config_fixture
import testtools

from nova_cassandra.compute import hook
from nova_cassandra.compute import host_record
from tests.unit.compute import test_host_record


class TestChanged(testtools.TestCase):
    """What the hook publishes from what the resource tracker gives it."""

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(config_fixture.Config(host_record.CONF))
        self.conf.config(reserved_host_memory_mb=0, reserved_host_cpus=0,
                         reserved_host_disk_mb=0)
        self.publisher = mock.Mock()
        self.useFixture(fixtures.MonkeyPatch(
            'nova_cassandra.compute.publisher.for_backend',
            lambda backend: self.publisher))
        self.hook = hook.CassandraHostStateHook()
        self.node = test_host_record.compute_node()

    def _published(self, change, instance_uuid, migration, instance_uuids):
        self.publisher.reset_mock()
        self.hook.changed(
            mock.sentinel.ctx, self.node, change,
            instance=mock.Mock(uuid=instance_uuid), migration=migration,
            instance_uuids=frozenset(instance_uuids), migrations=())
        (record,), kwargs = self.publisher.publish.call_args
        return record.state['instances'], kwargs['fold']

    def test_a_dropped_move_leaves_the_node_unless_within_it(self):
        moved, stays = (str(uuid.uuid4()) for _ in range(2))
        away = test_host_record.migration(
            moved, ('compute1', 'node1'), ('compute2', 'node2'))
        within = test_host_record.migration(
            moved, ('compute1', 'node1'), ('compute1', 'node1'))
        self.assertEqual(
            ([stays], []),
            self._published('drop_move_claim', moved, away, [moved, stays]))
        self.assertEqual(
            (sorted([moved, stays]), []),
            self._published('drop_move_claim', moved, within,
                            [moved, stays]))

    def test_a_claim_folds_the_schedulers_claim(self):
        built = str(uuid.uuid4())
        self.assertEqual(
            ([built], [uuid.UUID(built)]),
            self._published('instance_claim', built, None, [built]))
        self.node.vcpus_used += 1
        self.assertEqual(
            ([built], []),
            self._published('update_usage', built, None, [built]))

    def _audit(self):
        self.publisher.reset_mock()
        self.hook.changed(mock.sentinel.ctx, self.node,
                          'update_available_resource')
        return self.publisher.publish.call_count

    def test_an_unchanged_node_is_not_published_again(self):
        self.assertEqual(1, self._audit())
        self.assertEqual(0, self._audit())
        self.node.memory_mb_used += 512
        self.assertEqual(1, self._audit())
        self.assertEqual(0, self._audit())

    def test_an_unchanged_node_folding_a_claim_is_published(self):
        built = str(uuid.uuid4())
        self.assertEqual(([built], []),
                         self._published('update_usage', built, None,
                                         [built]))
        self.assertEqual(([built], [uuid.UUID(built)]),
                         self._published('instance_claim', built, None,
                                         [built]))

    def test_an_unchanged_node_is_published_again_after_the_interval(self):
        self.conf.config(host_state_republish_interval=60,
                         group='cassandra')
        clock = self.useFixture(fixtures.MockPatch(
            'time.monotonic', return_value=1000.0)).mock
        self.assertEqual(1, self._audit())
        clock.return_value += 59
        self.assertEqual(0, self._audit())
        clock.return_value += 1
        self.assertEqual(1, self._audit())

    def test_interval_zero_publishes_every_audit(self):
        self.conf.config(host_state_republish_interval=0, group='cassandra')
        self.assertEqual([1, 1], [self._audit(), self._audit()])

    def test_republish_all_publishes_every_node_at_its_next_audit(self):
        self.assertEqual([1, 0], [self._audit(), self._audit()])
        self.hook.republish_all()
        self.assertEqual([1, 0], [self._audit(), self._audit()])
