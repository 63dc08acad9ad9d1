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

"""``nova-cassandra-manage hosts backfill`` on the stack's nova databases."""

import os
import re
import subprocess
import sys
import uuid

import fixtures
from nova import context as nova_context
from nova import objects

from nova_cassandra.store import base as store_base
from nova_cassandra.store.cassandra import hosts
from tests.functional import base


class TestHostsBackfill(base.TestCase):

    def setUp(self):
        super().setUp()
        nova = self.useFixture(base.NovaDatabases())
        self.context = nova.context
        nova_context.set_target_cell(self.context, nova.cell)
        self.cassandra = self.useFixture(base.CassandraKeyspace())
        self.store = hosts.HostStore(self.cassandra.session,
                                     self.cassandra.keyspace)

    def _node(self, vcpus_used, instances):
        host = 'nc-backfill-%s' % uuid.uuid4().hex[:8]
        service = objects.Service(self.context, host=host,
                                  binary='nova-compute', topic='compute')
        service.create()
        self.addCleanup(service.destroy)
        node = objects.ComputeNode(
            self.context, uuid=str(uuid.uuid4()), host=host,
            hypervisor_hostname=host + '.node', service_id=service.id,
            vcpus=8, memory_mb=16384, local_gb=100,
            vcpus_used=vcpus_used, memory_mb_used=512 * instances,
            local_gb_used=0, hypervisor_type='fake', hypervisor_version=1,
            cpu_info='{}', cpu_allocation_ratio=4.0,
            ram_allocation_ratio=1.5, disk_allocation_ratio=1.0)
        node.create()
        self.addCleanup(node.destroy)
        uuids = []
        for _ in range(instances):
            instance = objects.Instance(
                self.context, uuid=str(uuid.uuid4()), host=host,
                node=node.hypervisor_hostname, compute_id=node.id,
                project_id='backfill',
                user_id='backfill')
            instance.create()
            self.addCleanup(instance.destroy)
            uuids.append(instance.uuid)
        return node, sorted(uuids)

    def _backfill(self):
        config = self.useFixture(fixtures.TempDir()).join('keyspace.conf')
        with open(config, 'w') as f:
            f.write('[cassandra]\nkeyspace = %s\n' % self.cassandra.keyspace)
        manage = os.path.join(os.path.dirname(sys.executable),
                              'nova-cassandra-manage')
        result = subprocess.run(
            [manage, '--config-file', base.NOVA_CONF, '--config-file', config,
             'hosts', 'backfill'],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(0, result.returncode, result.stderr)
        # Other tests' fleets may share the cell database: count ours only.
        created, present = map(int, re.fullmatch(
            r'Created (\d+) host rows; (\d+) nodes already had one.\n',
            result.stdout).groups())
        return created, present

    def test_backfill_creates_missing_rows_and_keeps_published_ones(self):
        node, instances = self._node(vcpus_used=2, instances=2)
        published, _ = self._node(vcpus_used=0, instances=0)
        self.store.create(store_base.HostRecord(
            node_uuid=uuid.UUID(published.uuid), host=published.host,
            nodename=published.hypervisor_hostname,
            capacity={'VCPU': 8}, used={'VCPU': 5}))

        created, present = self._backfill()
        self.assertGreaterEqual(created, 1)
        self.assertGreaterEqual(present, 1)

        record = self.store.get(uuid.UUID(node.uuid), latest=True)
        self.assertEqual(1, record.generation)
        self.assertEqual({'VCPU': 8, 'MEMORY_MB': 16384, 'DISK_GB': 100},
                         record.capacity)
        self.assertEqual(2, record.used['VCPU'])
        self.assertEqual({'VCPU': 4.0, 'MEMORY_MB': 1.5, 'DISK_GB': 1.0},
                         record.allocation_ratio)
        self.assertEqual(instances, record.state['instances'])
        self.assertEqual(
            node.uuid,
            record.state['compute_node']['nova_object.data']['uuid'])
        # A row the compute published is newer than the databases.
        kept = self.store.get(uuid.UUID(published.uuid), latest=True)
        self.assertEqual({'VCPU': 5}, kept.used)

        _, present = self._backfill()
        self.assertGreaterEqual(present, 2)
        self.assertEqual(1, self.store.get(uuid.UUID(node.uuid),
                                           latest=True).generation)
