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

import testtools

from nova_cassandra.store import base
from nova_cassandra.store.cassandra import hosts

Row = collections.namedtuple('Row', hosts._NODE_COLUMNS)


class TestHostRecord(testtools.TestCase):

    def test_from_row_decodes_state_and_empty_maps(self):
        node = uuid.uuid4()
        row = Row(node_uuid=node, host='cmp1', nodename='n1', generation=3,
                  updated_at=None, capacity={'VCPU': 8}, reserved=None,
                  allocation_ratio=None, used=None,
                  state='{"hypervisor_type": "fake"}')
        record = base.HostRecord.from_row(row)
        self.assertEqual(node, record.node_uuid)
        self.assertEqual(3, record.generation)
        self.assertEqual({'VCPU': 8}, record.capacity)
        self.assertEqual({}, record.reserved)
        self.assertEqual({}, record.used)
        self.assertEqual({'hypervisor_type': 'fake'}, record.state)
