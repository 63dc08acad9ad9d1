import fixtures
from nova.compute import provider_tree
from nova.virt import fake
import testtools

from nova_cassandra.experiment import fake_driver


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
