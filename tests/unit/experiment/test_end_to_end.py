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

import testtools

from nova_cassandra_experiment import end_to_end


def _inventory(total, reserved=0, ratio=1.0, max_unit=None):
    return {'total': total, 'reserved': reserved, 'allocation_ratio': ratio,
            'max_unit': max_unit or total}


class TestFits(testtools.TestCase):

    def test_the_scarcest_class_bounds_each_provider(self):
        resources = end_to_end.flavor_resources(end_to_end.FLAVOR)
        inventories = {
            # memory: (65536 - 512) // 32768 = 1; VCPU would allow 8
            'small': {'VCPU': _inventory(16, ratio=4.0),
                      'MEMORY_MB': _inventory(65536, 512),
                      'DISK_GB': _inventory(1000)},
            # disk: 250 // 100 = 2
            'disky': {'VCPU': _inventory(64, ratio=4.0),
                      'MEMORY_MB': _inventory(262144, 512),
                      'DISK_GB': _inventory(250)},
        }
        self.assertEqual(3, end_to_end.fits(inventories, resources))

    def test_a_server_over_max_unit_fits_nowhere(self):
        inventories = {'rp': {'VCPU': _inventory(64, ratio=4.0, max_unit=4),
                              'MEMORY_MB': _inventory(262144),
                              'DISK_GB': _inventory(4000)}}
        self.assertEqual(0, end_to_end.fits(
            inventories, end_to_end.flavor_resources(end_to_end.FLAVOR)))

    def test_the_fleet_sizes_hold_fewer_servers_than_a_pass_boots(self):
        # What the pass's docstring promises: the schedulers race for the
        # last room of the fleet (nova reserves 512 MB of each node).
        from nova_cassandra_experiment import fake_driver
        inventories = {
            i: {'VCPU': _inventory(size.vcpus, ratio=4.0),
                'MEMORY_MB': _inventory(size.memory_mb, 512),
                'DISK_GB': _inventory(size.local_gb)}
            for i, size in enumerate(fake_driver.SIZES[:end_to_end.NODES])}
        fit = end_to_end.fits(
            inventories, end_to_end.flavor_resources(end_to_end.FLAVOR))
        self.assertEqual(14, fit)
        self.assertLess(fit, 20)
