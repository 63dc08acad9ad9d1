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


def _inventory(total, reserved=0, ratio=1.0, max_unit=None):
    return {'total': total, 'reserved': reserved, 'allocation_ratio': ratio,
            'max_unit': max_unit or total}


INVENTORIES = {
    'rp1': {'VCPU': _inventory(16, ratio=4.0),
            'MEMORY_MB': _inventory(65536, reserved=512)},
    'rp2': {'VCPU': _inventory(32, ratio=4.0),
            'MEMORY_MB': _inventory(131072, reserved=512)},
}


class TestCapacity(testtools.TestCase):

    def test_ratio_applies_after_reserved(self):
        self.assertEqual(64, checker.capacity(_inventory(16, 0, 4.0)))
        self.assertEqual(90, checker.capacity(_inventory(100, 10, 1.0)))
        self.assertEqual(135, checker.capacity(_inventory(100, 10, 1.5)))


class TestViolations(testtools.TestCase):

    def test_full_but_not_over_is_fine(self):
        allocations = {'rp1': {'fill': {'MEMORY_MB': 60000},
                               'vm1': {'MEMORY_MB': 5024, 'VCPU': 64}}}
        self.assertEqual([], checker.violations(INVENTORIES, allocations))

    def test_planted_double_booking_is_found(self):
        # Two schedulers each saw 8 GiB free on rp1 and both took it.
        allocations = {'rp1': {'fill': {'MEMORY_MB': 57024},
                               'vm1': {'MEMORY_MB': 8192},
                               'vm2': {'MEMORY_MB': 8192}},
                       'rp2': {'vm3': {'MEMORY_MB': 8192}}}
        self.assertEqual(
            [checker.Violation('rp1', 'MEMORY_MB', 73408, 65024)],
            checker.violations(INVENTORIES, allocations))

    def test_allocation_without_inventory_is_a_violation(self):
        allocations = {'rp2': {'vm1': {'DISK_GB': 1}}}
        self.assertEqual([checker.Violation('rp2', 'DISK_GB', 1, 0)],
                         checker.violations(INVENTORIES, allocations))


class TestCapacityChanges(testtools.TestCase):

    def test_same_capacity_is_no_change(self):
        # Other fields (max_unit here) do not change what fits.
        after = {'rp1': dict(INVENTORIES['rp1'],
                             VCPU=_inventory(16, ratio=4.0, max_unit=8))}
        self.assertEqual([], checker.capacity_changes(INVENTORIES, after))

    def test_shrunk_and_new_inventories_are_reported(self):
        after = {'rp1': dict(INVENTORIES['rp1'],
                             MEMORY_MB=_inventory(65536, reserved=4096),
                             DISK_GB=_inventory(100))}
        self.assertEqual(
            [{'rp_uuid': 'rp1', 'resource_class': 'DISK_GB',
              'before': None, 'after': 100},
             {'rp_uuid': 'rp1', 'resource_class': 'MEMORY_MB',
              'before': 65024, 'after': 61440}],
            checker.capacity_changes(INVENTORIES, after))


class TestCheck(testtools.TestCase):

    def test_verdict(self):
        allocations = {
            'rp1': {'fill': {'MEMORY_MB': 65024}},   # full
            'rp2': {'fill': {'MEMORY_MB': 126000},   # 4560 MB left
                    'vm1': {'MEMORY_MB': 512}},
        }
        verdict = checker.check(
            INVENTORIES, allocations,
            placed={'vm1': 'rp2',      # as reported
                    'vm2': 'rp1'},     # reported, but nothing allocated
            refused={'big': {'MEMORY_MB': 8192},     # fits nowhere: true
                     'small': {'MEMORY_MB': 2048},   # fits rp2: false
                     'wide': {'VCPU': 200}})         # over max_unit: true
        self.assertEqual({'capacity_violations': [],
                          'missing_allocations': 1,
                          'novalidhost_true': 2,
                          'novalidhost_false': 1}, verdict)

    def test_placement_split_across_providers_is_missing(self):
        allocations = {'rp1': {'vm1': {'VCPU': 1}},
                       'rp2': {'vm1': {'VCPU': 1}}}
        verdict = checker.check(INVENTORIES, allocations,
                                placed={'vm1': 'rp1'}, refused={})
        self.assertEqual(1, verdict['missing_allocations'])


class _Placement:
    """What ``checker.read`` asks of placement, from dictionaries."""

    def __init__(self, inventories, allocations):
        self.inventories = inventories.get
        self.allocations = lambda rp: allocations.get(rp, {})


class TestJudge(testtools.TestCase):

    def test_placement_s_allocations_come_back_with_the_verdict(self):
        allocations = {'rp1': {'vm1': {'MEMORY_MB': 512}}}
        inventories, read, verdict = checker.judge(
            _Placement(INVENTORIES, allocations), ['rp1', 'rp2'],
            placed={'vm1': 'rp1'}, refused={})
        self.assertEqual(INVENTORIES, inventories)
        self.assertEqual(dict(allocations, rp2={}), read)
        self.assertEqual(0, verdict['missing_allocations'])

    def test_store_judges_but_placement_s_allocations_come_back(self):
        allocations = {'rp1': {'vm1': {'MEMORY_MB': 512}}}
        store = {'rp1': {'vm1': {'MEMORY_MB': 512}},
                 'rp2': {'vm2': {'MEMORY_MB': 200000}}}
        _, read, verdict = checker.judge(
            _Placement(INVENTORIES, allocations), ['rp1', 'rp2'],
            placed={'vm1': 'rp1', 'vm2': 'rp2'}, refused={},
            store_allocations=lambda: store)
        self.assertEqual(dict(allocations, rp2={}), read)
        self.assertEqual(['rp2'], [v['rp_uuid'] for v in
                                   verdict['capacity_violations']])
        self.assertIsNone(verdict['missing_allocations'])
