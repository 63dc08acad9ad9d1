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

"""Host state rows on a real Cassandra: compare-and-set, reads, paging."""

import concurrent.futures
import uuid

from nova_cassandra import exception
from nova_cassandra.store import base as store_base
from nova_cassandra.store.cassandra import hosts
from tests.functional import base


def _record(**kwargs):
    values = dict(node_uuid=uuid.uuid4(), host='compute1', nodename='node1',
                  capacity={'VCPU': 16, 'MEMORY_MB': 32768, 'DISK_GB': 500},
                  reserved={'MEMORY_MB': 512},
                  allocation_ratio={'VCPU': 4.0, 'MEMORY_MB': 1.0,
                                    'DISK_GB': 1.0},
                  used={'VCPU': 0, 'MEMORY_MB': 0, 'DISK_GB': 0},
                  state={'hypervisor_type': 'fake', 'num_instances': 0})
    values.update(kwargs)
    return store_base.HostRecord(**values)


class TestHostStore(base.TestCase):

    def setUp(self):
        super().setUp()
        self.ks = self.useFixture(base.CassandraKeyspace())
        self.store = hosts.HostStore(self.ks.session, self.ks.keyspace)

    def test_create_then_read_back_exactly(self):
        record = self.store.create(_record())
        self.assertEqual(1, record.generation)
        for latest in (False, True):
            read = self.store.get(record.node_uuid, latest=latest)
            self.assertEqual(record.capacity, read.capacity)
            self.assertEqual(record.reserved, read.reserved)
            self.assertEqual(record.allocation_ratio, read.allocation_ratio)
            self.assertEqual(record.state, read.state)
            self.assertEqual(1, read.generation)
            self.assertIsNotNone(read.updated_at)

    def test_create_twice_is_refused(self):
        record = self.store.create(_record())
        self.assertRaises(exception.HostExists, self.store.create,
                          _record(node_uuid=record.node_uuid, host='other'))
        self.assertEqual('compute1', self.store.get(record.node_uuid).host)

    def test_update_bumps_generation(self):
        record = self.store.create(_record())
        record.used['VCPU'] = 4
        updated = self.store.update(record)
        self.assertEqual(2, updated.generation)
        read = self.store.get(record.node_uuid, latest=True)
        self.assertEqual(4, read.used['VCPU'])
        self.assertEqual(2, read.generation)

    def test_stale_update_is_refused_and_changes_nothing(self):
        record = self.store.create(_record())
        self.store.update(record)
        record.used['VCPU'] = 99
        e = self.assertRaises(exception.HostConflict, self.store.update,
                              record)
        self.assertEqual(2, e.kwargs['found'])
        self.assertEqual(0, self.store.get(record.node_uuid,
                                           latest=True).used['VCPU'])

    def test_unknown_node(self):
        missing = uuid.uuid4()
        self.assertRaises(exception.HostNotFound, self.store.get, missing)
        self.assertRaises(exception.HostNotFound, self.store.update,
                          _record(node_uuid=missing, generation=1))

    def test_concurrent_writers_lose_no_update(self):
        """Eight writers each add 1 VCPU ten times, retrying on conflict."""
        node = self.store.create(_record()).node_uuid
        conflicts = []

        def add_one():
            while True:
                record = self.store.get(node, latest=True)
                record.used['VCPU'] += 1
                try:
                    return self.store.update(record)
                except exception.HostConflict:
                    conflicts.append(1)

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: add_one(), range(80)))
        final = self.store.get(node, latest=True)
        self.assertEqual(80, final.used['VCPU'])
        self.assertEqual(81, final.generation)

    def test_list_pages_through_every_node(self):
        self.patch(hosts, '_PAGE_SIZE', 7)
        created = {self.store.create(_record(nodename='n%d' % i)).node_uuid
                   for i in range(25)}
        listed = {r.node_uuid for r in self.store.list()}
        self.assertEqual(created, listed)
