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

import uuid

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


def migration(instance_uuid, source, dest):
    """A migration of ``instance_uuid`` between (host, node) pairs."""
    return objects.Migration(
        instance_uuid=instance_uuid, source_compute=source[0],
        source_node=source[1], dest_compute=dest[0], dest_node=dest[1])


class TestBuild(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.flags = self.useFixture(config_fixture.Config(host_record.CONF))
        self.flags.config(reserved_host_memory_mb=512, reserved_host_cpus=0,
                          reserved_host_disk_mb=0)

    def test_amounts_exclude_what_the_tracker_counts_as_reserved(self):
        node = compute_node()
        instances = [str(uuid.uuid4()) for _ in range(2)]
        record = host_record.build(node, instances, ())
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
        migrations = (
            migration(incoming, ('compute2', 'node3'), ('compute1', 'node1')),
            migration(elsewhere, ('compute2', 'node3'),
                      ('compute1', 'node2')))
        record = host_record.build(compute_node(), [here], migrations)
        self.assertEqual(sorted([here, incoming]), record.state['instances'])

    def test_instances_that_left_are_not_on_the_node(self):
        # The tracker's statistics still count a confirmed move's instance.
        moved, stays = (str(uuid.uuid4()) for _ in range(2))
        record = host_record.build(compute_node(), [moved, stays], (),
                                   left={moved})
        self.assertEqual([stays], record.state['instances'])

    def test_same_node(self):
        self.assertTrue(host_record.same_node(migration(
            None, ('compute1', 'node1'), ('compute1', 'node1'))))
        self.assertFalse(host_record.same_node(migration(
            None, ('compute1', 'node1'), ('compute1', 'node2'))))
        self.assertFalse(host_record.same_node(None))

    def test_state_carries_the_compute_node_object(self):
        topology = objects.NUMATopology(cells=[objects.NUMACell(
            id=0, cpuset=set([0, 1]), pcpuset=set(), memory=1024,
            cpu_usage=0, memory_usage=0, siblings=[set([0]), set([1])],
            mempages=[], pinned_cpus=set())])
        node = compute_node(numa_topology=topology._to_json())
        record = host_record.build(node, (), ())
        restored = objects.ComputeNode.obj_from_primitive(
            record.state['compute_node'])
        self.assertEqual(node.uuid, restored.uuid)
        self.assertEqual(node.cpu_allocation_ratio,
                         restored.cpu_allocation_ratio)
        self.assertEqual(
            topology.cells[0].cpuset,
            objects.NUMATopology.obj_from_db_obj(
                restored.numa_topology).cells[0].cpuset)

    def test_content_is_the_record_but_when_it_was_built(self):
        node = compute_node()
        first, again = (host_record.build(node, (), ()) for _ in range(2))
        again.state['changed_at'] = first.state['changed_at'] + 60
        self.assertNotEqual(first, again)
        self.assertEqual(host_record.content(first),
                         host_record.content(again))
        node.vcpus_used += 1
        self.assertNotEqual(
            host_record.content(first),
            host_record.content(host_record.build(node, (), ())))
