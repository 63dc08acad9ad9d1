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

import collections
import uuid

from nova.compute import stats as compute_stats
from nova import objects
from oslo_config import fixture as config_fixture
import testtools

from nova_cassandra.compute import host_record

objects.register_all()


def compute_node(**overrides):
    values = dict(
        uuid=str(uuid.uuid4()), host='compute1', hypervisor_hostname='node1',
        vcpus=16, memory_mb=32768, local_gb=500, vcpus_used=4,
        memory_mb_used=8704, local_gb_used=40, free_disk_gb=460,
        free_ram_mb=24064, cpu_allocation_ratio=4.0,
        ram_allocation_ratio=1.5, disk_allocation_ratio=1.0,
        hypervisor_type='fake', hypervisor_version=1000, cpu_info='{}',
        disk_available_least=460, host_ip='127.0.0.1', running_vms=2,
        current_workload=0, stats={'num_instances': '2'},
        supported_hv_specs=[], numa_topology=None, metrics='[]',
        pci_device_pools=objects.PciDevicePoolList(objects=[]))
    values.update(overrides)
    return objects.ComputeNode(**values)


class FakeTracker:
    """The parts of a ResourceTracker a host record reads."""

    def __init__(self, nodename, instance_uuids, migrations=None):
        self.stats = collections.defaultdict(compute_stats.Stats)
        self.stats[nodename].states.update(
            {u: {'vm_state': 'active'} for u in instance_uuids})
        self.tracked_migrations = migrations or {}


class TestBuild(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.flags = self.useFixture(config_fixture.Config(host_record.CONF))
        self.flags.config(reserved_host_memory_mb=512, reserved_host_cpus=0,
                          reserved_host_disk_mb=0)

    def test_amounts_exclude_what_the_tracker_counts_as_reserved(self):
        node = compute_node()
        instances = [str(uuid.uuid4()) for _ in range(2)]
        record = host_record.build(FakeTracker('node1', instances), node)
        self.assertEqual(uuid.UUID(node.uuid), record.node_uuid)
        self.assertEqual(('compute1', 'node1'), (record.host, record.nodename))
        self.assertEqual({'VCPU': 16, 'MEMORY_MB': 32768, 'DISK_GB': 500},
                         record.capacity)
        self.assertEqual({'VCPU': 0, 'MEMORY_MB': 512, 'DISK_GB': 0},
                         record.reserved)
        # memory_mb_used 8704 includes the 512 MB reserved.
        self.assertEqual({'VCPU': 4, 'MEMORY_MB': 8192, 'DISK_GB': 40},
                         record.used)
        self.assertEqual({'VCPU': 4.0, 'MEMORY_MB': 1.5, 'DISK_GB': 1.0},
                         record.allocation_ratio)
        self.assertEqual(sorted(instances), record.state['instances'])

    def test_instances_moving_to_the_node_are_on_it(self):
        here, incoming, elsewhere = (str(uuid.uuid4()) for _ in range(3))
        migrations = {
            incoming: objects.Migration(
                source_compute='compute2', source_node='node3',
                dest_compute='compute1', dest_node='node1'),
            elsewhere: objects.Migration(
                source_compute='compute2', source_node='node3',
                dest_compute='compute1', dest_node='node2')}
        record = host_record.build(
            FakeTracker('node1', [here], migrations), compute_node())
        self.assertEqual(sorted([here, incoming]), record.state['instances'])
        # Reverted: the tracker drops the move claim, then the migration.
        record = host_record.build(
            FakeTracker('node1', [here], migrations), compute_node(),
            dropped={incoming})
        self.assertEqual([here], record.state['instances'])

    def test_a_confirmed_move_leaves_the_source_node(self):
        # The tracker still counts the instance in its stats when it runs
        # the hooks of drop_move_claim_at_source.
        moved, stays, resized = (str(uuid.uuid4()) for _ in range(3))
        migrations = {
            moved: objects.Migration(
                source_compute='compute1', source_node='node1',
                dest_compute='compute2', dest_node='node2'),
            resized: objects.Migration(
                source_compute='compute1', source_node='node1',
                dest_compute='compute1', dest_node='node1')}
        tracker = FakeTracker('node1', [moved, stays, resized], migrations)
        for dropped, left in ((moved, [stays, resized]),
                              (resized, [moved, stays, resized])):
            record = host_record.build(tracker, compute_node(),
                                       dropped={dropped})
            self.assertEqual(sorted(left), record.state['instances'])

    def test_state_carries_the_compute_node_object(self):
        topology = objects.NUMATopology(cells=[objects.NUMACell(
            id=0, cpuset=set([0, 1]), pcpuset=set(), memory=1024,
            cpu_usage=0, memory_usage=0, siblings=[set([0]), set([1])],
            mempages=[], pinned_cpus=set())])
        node = compute_node(numa_topology=topology._to_json())
        record = host_record.build(FakeTracker('node1', []), node)
        restored = objects.ComputeNode.obj_from_primitive(
            record.state['compute_node'])
        self.assertEqual(node.uuid, restored.uuid)
        self.assertEqual(node.cpu_allocation_ratio,
                         restored.cpu_allocation_ratio)
        self.assertEqual(
            topology.cells[0].cpuset,
            objects.NUMATopology.obj_from_db_obj(
                restored.numa_topology).cells[0].cpuset)
