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

import datetime
import uuid

import testtools

from nova_cassandra.claims import reconcile
from nova_cassandra.store import base

SMALL = {'VCPU': 1}
OLD = datetime.datetime(2026, 1, 1)
NEW = datetime.datetime(2026, 1, 2)


def usage(node, *claims):
    return base.NodeUsage(base.HostRecord(
        node_uuid=node, host='h', nodename=str(node),
        capacity={'VCPU': 8}, used={}, generation=1),
        [base.Claim(consumer, SMALL, at) for consumer, at in claims])


class Writer:

    def __init__(self, refuse=()):
        self.refuse = set(refuse)
        self.written = []

    def write(self, writes):
        self.written += [w for w in writes if w.consumer not in self.refuse]
        return ([w for w in writes if w.consumer not in self.refuse],
                [w for w in writes if w.consumer in self.refuse])


class TestReconcile(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.patch(reconcile.placement_mirror, 'FIRST_BACKOFF', 0)
        self.node, self.other_node = uuid.uuid4(), uuid.uuid4()
        (self.held, self.lost, self.young, self.ownerless,
         self.refused) = (uuid.uuid4() for _ in range(5))
        self.usages = [
            usage(self.node, (self.held, OLD), (self.lost, OLD),
                  (self.young, NEW), (self.ownerless, OLD)),
            usage(self.other_node, (self.refused, OLD))]
        self.placement = {str(self.node): {str(self.held): SMALL,
                                           'instance': SMALL},
                          str(self.other_node): {}}

    def _owner(self, consumer):
        return None if consumer == str(self.ownerless) else ('p', 'u')

    def test_compare_finds_drift_both_ways(self):
        self.assertEqual(
            ([('a', 'lost')], [('a', 'other'), ('b', 'stray')]),
            reconcile.compare({'a': {'held': SMALL, 'lost': SMALL}},
                              {'a': {'held': SMALL, 'other': SMALL},
                               'b': {'stray': SMALL}}))

    def test_writes_old_missing_claims_with_their_owner(self):
        writer = Writer(refuse={str(self.refused)})
        result = reconcile.reconcile(
            self.usages, self.placement.__getitem__, self._owner, NEW,
            dry_run=False, writer=writer)
        self.assertEqual(
            reconcile.Result(nodes=2, claims=5, missing=4, recent=1,
                             written=1, ownerless=1, failed=1, unclaimed=1),
            result)
        lost = [w for w in writer.written if w.consumer == str(self.lost)]
        self.assertEqual([({str(self.node): {'resources': SMALL}}, 'p',
                           'u')],
                         [(w.allocations, w.project_id, w.user_id)
                          for w in lost])
        self.assertEqual(1, len(writer.written))

    def test_dry_run_writes_nothing(self):
        writer = Writer()
        result = reconcile.reconcile(
            self.usages, self.placement.__getitem__, self._owner, NEW,
            dry_run=True, writer=writer)
        self.assertEqual((4, 0, 0), (result.missing, result.written,
                                     result.failed))
        self.assertEqual([], writer.written)
