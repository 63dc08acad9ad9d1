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

import testtools

from nova_cassandra.store import base


def _usage(generation, claims=()):
    return base.NodeUsage(base.HostRecord(
        node_uuid=uuid.uuid4(), host='h', nodename='n',
        capacity={'VCPU': 8}, generation=generation), list(claims), '{}')


def _change(generation, consumer_uuid=None, resources=None):
    return base.Change(uuid.uuid4(), 0.0, uuid.uuid4(), generation,
                       consumer_uuid, resources)


class TestChangeAppliedTo(testtools.TestCase):

    def test_a_claim_on_the_generation_held_is_added(self):
        consumer = uuid.uuid4()
        usage = _usage(4)
        applied = _change(5, consumer, {'VCPU': 2}).applied_to(usage)
        self.assertEqual(5, applied.record.generation)
        self.assertEqual([(consumer, {'VCPU': 2})],
                         [(c.consumer_uuid, c.resources)
                          for c in applied.claims])
        self.assertEqual('{}', applied.state_json)
        # The usage held is not changed in place: readers may hold it.
        self.assertEqual((4, []), (usage.record.generation, usage.claims))

    def test_a_claim_replaces_the_consumer_s_claim_as_stores_do(self):
        consumer = uuid.uuid4()
        usage = _usage(4, [base.Claim(consumer, {'VCPU': 2}, None)])
        applied = _change(5, consumer, {'VCPU': 3}).applied_to(usage)
        self.assertEqual(3, applied.claimed('VCPU'))

    def test_a_change_held_already_is_the_usage_held(self):
        usage = _usage(6)
        self.assertIs(usage, _change(6, uuid.uuid4(), {'VCPU': 1})
                      .applied_to(usage))
        self.assertIs(usage, _change(5).applied_to(usage))

    def test_what_only_a_read_tells(self):
        usage = _usage(4)
        # A claim past a generation missed; a new state; a release or an
        # older writer's entry, which carry no generation.
        for change in (_change(6, uuid.uuid4(), {'VCPU': 1}), _change(5),
                       _change(None, uuid.uuid4())):
            self.assertIsNone(change.applied_to(usage), change)


class TestNodeUsageClaimed(testtools.TestCase):

    def test_the_open_claims_are_summed_per_class(self):
        usage = _usage(3, [
            base.Claim(uuid.uuid4(), {'VCPU': 2, 'MEMORY_MB': 512}, None),
            base.Claim(uuid.uuid4(), {'VCPU': 1}, None)])
        self.assertEqual(3, usage.claimed('VCPU'))
        self.assertEqual(512, usage.claimed('MEMORY_MB'))
        self.assertEqual(0, usage.claimed('DISK_GB'))

    def test_a_claim_replaced_counts_once_in_the_new_usage(self):
        consumer = uuid.uuid4()
        usage = _usage(3, [base.Claim(consumer, {'VCPU': 2}, None)])
        self.assertEqual(2, usage.claimed('VCPU'))
        replaced = usage.with_claim(4, consumer, {'VCPU': 4})
        self.assertEqual(4, replaced.claimed('VCPU'))
        self.assertEqual(2, usage.claimed('VCPU'))
