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

from nova_cassandra_experiment import checker
from nova_cassandra_experiment import fleet


def _inventory(total, ratio, reserved=0):
    return {'total': total, 'reserved': reserved, 'allocation_ratio': ratio,
            'max_unit': total}


class TestFillChunks(testtools.TestCase):

    INVENTORIES = {'VCPU': _inventory(16, 4.0),
                   'MEMORY_MB': _inventory(65536, 1.0, reserved=512),
                   'DISK_GB': _inventory(1000, 1.0)}

    def test_chunks_add_up_and_respect_max_unit(self):
        chunks = fleet.fill_chunks(self.INVENTORIES, 0.7)
        for rc, inventory in self.INVENTORIES.items():
            self.assertEqual(int(0.7 * checker.capacity(inventory)),
                             sum(c.get(rc, 0) for c in chunks))
            self.assertTrue(all(c.get(rc, 0) <= inventory['max_unit']
                                for c in chunks))
        # 0.7 * 64 = 44 VCPU over max_unit 16: three consumers.
        self.assertEqual(3, len(chunks))

    def test_nothing_to_fill(self):
        self.assertEqual([], fleet.fill_chunks(self.INVENTORIES, 0))
