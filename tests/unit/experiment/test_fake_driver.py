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

import json
import os
import types

import fixtures
from nova.compute import provider_tree
from nova.virt import fake
import testtools

from nova_cassandra_experiment import fake_driver


class TestFleetDriver(testtools.TestCase):

    def setUp(self):
        super().setUp()
        conf = fake_driver.CONF
        for name, value in (('fleet_id', 'f1'), ('first_node', 4),
                            ('node_count', 3)):
            conf.set_override(name, value, 'experiment_fleet')
        self.addCleanup(conf.clear_override, 'fleet_id', 'experiment_fleet')
        self.addCleanup(conf.clear_override, 'first_node',
                        'experiment_fleet')
        self.addCleanup(conf.clear_override, 'node_count',
                        'experiment_fleet')
        self.useFixture(fixtures.MockPatchObject(
            fake.FakeDriver, '_get_allocation_ratios',
            return_value={'VCPU': 4.0, 'MEMORY_MB': 1.0, 'DISK_GB': 1.0}))
        self.driver = fake_driver.FleetDriver(virtapi=None)
        self.driver.init_host('nc-exp-compute-1')

    def test_nodes_and_stable_uuids(self):
        nodes = ['nc-exp-node-00004', 'nc-exp-node-00005',
                 'nc-exp-node-00006']
        self.assertEqual(nodes, self.driver.get_available_nodes())
        by_uuid = self.driver.get_nodenames_by_uuid()
        self.assertEqual(sorted(nodes), sorted(by_uuid.values()))
        self.assertEqual(fake_driver.node_uuid('f1', nodes[0]),
                         self.driver.get_available_resource(nodes[0])['uuid'])
        self.assertNotEqual(fake_driver.node_uuid('f2', nodes[0]),
                            fake_driver.node_uuid('f1', nodes[0]))

    def test_sizes_are_heterogeneous_and_reported(self):
        sizes = {n: fake_driver.node_size(i) for i, n in
                 zip(range(4, 7), self.driver.get_available_nodes())}
        self.assertEqual(3, len({s.memory_mb for s in sizes.values()}))
        tree = provider_tree.ProviderTree()
        for name, size in sizes.items():
            tree.new_root(name, fake_driver.node_uuid('f1', name))
            self.driver.update_provider_tree(tree, name)
            inventory = tree.data(name).inventory
            self.assertEqual(size.memory_mb, inventory['MEMORY_MB']['total'])
            self.assertEqual(size.vcpus, inventory['VCPU']['max_unit'])
            self.assertEqual(size.local_gb, inventory['DISK_GB']['total'])
            resources = self.driver.get_available_resource(name)
            self.assertEqual(size.vcpus, resources['vcpus'])
            self.assertEqual(size.memory_mb, resources['memory_mb'])


class TestFill(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'fill.json')
        fake_driver.CONF.set_override('fill_file', self.path,
                                      'experiment_fleet')
        self.addCleanup(fake_driver.CONF.clear_override, 'fill_file',
                        'experiment_fleet')

    def _node(self):
        # As the tracker leaves a node after counting its instances.
        return types.SimpleNamespace(
            uuid='n1', vcpus=16, memory_mb=4096, local_gb=100,
            vcpus_used=2, memory_mb_used=512 + 1024, local_gb_used=10,
            free_ram_mb=4096 - 1536, free_disk_gb=90)

    def test_no_file_no_fill(self):
        node = self._node()
        fake_driver.add_fill(node)
        self.assertEqual(vars(self._node()), vars(node))

    def test_fill_counts_as_used_and_follows_the_file(self):
        with open(self.path, 'w') as f:
            json.dump({'n1': {'VCPU': 8, 'MEMORY_MB': 2048}}, f)
        node = self._node()
        fake_driver.add_fill(node)
        self.assertEqual((10, 3584, 10, 512, 90),
                         (node.vcpus_used, node.memory_mb_used,
                          node.local_gb_used, node.free_ram_mb,
                          node.free_disk_gb))
        # A file written again is read again (a newer modification time).
        with open(self.path, 'w') as f:
            json.dump({'n1': {'DISK_GB': 40}}, f)
        os.utime(self.path, ns=(1, os.stat(self.path).st_mtime_ns + 1))
        node = self._node()
        fake_driver.add_fill(node)
        self.assertEqual((2, 50), (node.vcpus_used, node.free_disk_gb))
