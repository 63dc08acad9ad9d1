import collections
import uuid

import testtools

from nova_cassandra.store import hosts

Row = collections.namedtuple('Row', hosts._NODE_COLUMNS)


class TestHostRecord(testtools.TestCase):

    def test_from_row_decodes_state_and_empty_maps(self):
        node = uuid.uuid4()
        row = Row(node_uuid=node, host='cmp1', nodename='n1', generation=3,
                  updated_at=None, capacity={'VCPU': 8}, reserved=None,
                  allocation_ratio=None, used=None,
                  state='{"hypervisor_type": "fake"}')
        record = hosts.HostRecord.from_row(row)
        self.assertEqual(node, record.node_uuid)
        self.assertEqual(3, record.generation)
        self.assertEqual({'VCPU': 8}, record.capacity)
        self.assertEqual({}, record.reserved)
        self.assertEqual({}, record.used)
        self.assertEqual({'hypervisor_type': 'fake'}, record.state)
