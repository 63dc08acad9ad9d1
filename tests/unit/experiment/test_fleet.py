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
        chunks = fleet.fill_chunks(self.INVENTORIES, 0.7, {})
        for rc, inventory in self.INVENTORIES.items():
            self.assertEqual(int(0.7 * checker.capacity(inventory)),
                             sum(c.get(rc, 0) for c in chunks))
            self.assertTrue(all(c.get(rc, 0) <= inventory['max_unit']
                                for c in chunks))
        # 0.7 * 64 = 44 VCPU over max_unit 16: three consumers.
        self.assertEqual(3, len(chunks))

    def test_nothing_to_fill(self):
        self.assertEqual([], fleet.fill_chunks(self.INVENTORIES, 0, {}))

    def test_room_is_left_free(self):
        room = {'MEMORY_MB': 16384, 'DISK_GB': 160}
        chunks = fleet.fill_chunks(self.INVENTORIES, 0.95, room)
        used = {rc: sum(c.get(rc, 0) for c in chunks)
                for rc in self.INVENTORIES}
        # 65024 MB: the fill stops 16384 MB short, not at 95 %.
        self.assertEqual(65024 - 16384, used['MEMORY_MB'])
        self.assertEqual(1000 - 160, used['DISK_GB'])
        # Classes with more room than asked for fill to the share.
        self.assertEqual(int(0.95 * 64), used['VCPU'])

    def test_no_room_to_fill(self):
        self.assertEqual([], fleet.fill_chunks(
            self.INVENTORIES, 0.5, {'VCPU': 64, 'MEMORY_MB': 65024,
                                    'DISK_GB': 1000}))


class TestFillBatches(testtools.TestCase):

    def test_each_provider_s_consumers_in_one_batch(self):
        inventories = {'rp%03d' % i: TestFillChunks.INVENTORIES
                       for i in range(2 * fleet.FILL_BATCH + 1)}
        filled, batches = fleet.fill_batches(inventories, 0.7, {})
        self.assertEqual([fleet.FILL_BATCH, fleet.FILL_BATCH, 1],
                         [len({rp for rp, _ in batch.values()})
                          for batch in batches])
        # Three consumers per provider (see TestFillChunks), none twice.
        consumers = [c for batch in batches for c in batch]
        self.assertEqual(3 * len(inventories), len(set(consumers)))
        for rp_uuid in inventories:
            used = {}
            for rp, resources in (w for batch in batches
                                  for w in batch.values()):
                if rp == rp_uuid:
                    for rc, amount in resources.items():
                        used[rc] = used.get(rc, 0) + amount
            self.assertEqual(filled[rp_uuid], used)
