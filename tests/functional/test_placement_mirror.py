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

"""The placement mirror and ``placement reconcile`` on the stack's placement.

Allocations go through nova's report client to the placement
``tools/stack.sh`` serves, on a resource provider of each test's own; the
reconciler reads the claims of a keyspace of its own.
"""

import collections
import os
import subprocess
import sys
import uuid

import fixtures
from nova import objects
from nova.scheduler.client import report

from nova_cassandra.claims import node_claim
from nova_cassandra.claims import placement_mirror
from nova_cassandra import metrics
from nova_cassandra.store import base as store_base
from nova_cassandra.store.cassandra import claims as claims_store
from nova_cassandra.store.cassandra import hosts
from tests.functional import base

SMALL = {'VCPU': 1, 'MEMORY_MB': 256}


class TestPlacementMirror(base.TestCase):

    def setUp(self):
        super().setUp()
        self.nova = self.useFixture(base.NovaDatabases())
        # A client of this test's configuration, not an earlier test's.
        self.useFixture(fixtures.MonkeyPatch(
            'nova.scheduler.client.report.PLACEMENTCLIENT', None))
        self.client = report.report_client_singleton()
        self.node = str(uuid.uuid4())
        self._check(self.client.post(
            '/resource_providers', {'uuid': self.node,
                                    'name': 'mirror-%s' % self.node},
            version='1.20'), 200)
        self.addCleanup(self.client.delete,
                        '/resource_providers/%s' % self.node)
        self._check(self.client.put(
            '/resource_providers/%s/inventories' % self.node,
            {'resource_provider_generation': 0, 'inventories': {
                'VCPU': {'total': 64}, 'MEMORY_MB': {'total': 65536}}}),
            200)
        self.consumers = []

    def _check(self, response, status):
        self.assertEqual(status, response.status_code, response.text)

    def _consumer(self):
        consumer = str(uuid.uuid4())
        self.consumers.append(consumer)
        # Before the provider's delete: it refuses while allocations last.
        self.addCleanup(self.client.delete, '/allocations/%s' % consumer)
        return consumer

    def _allocations(self):
        response = self.client.get('/resource_providers/%s/allocations'
                                   % self.node)
        self._check(response, 200)
        return {consumer: record['resources'] for consumer, record
                in response.json()['allocations'].items()}

    def _mirror(self, consumers):
        mirror = placement_mirror.Mirror()
        for consumer in consumers:
            mirror.submit(placement_mirror.Write(
                consumer, {self.node: {'resources': SMALL}}, 'project',
                'user'))
        self.assertTrue(mirror.flush(60))

    def test_writer_leaves_placement_with_exactly_its_claims(self):
        self.useFixture(fixtures.MockPatchObject(metrics, '_COUNTS',
                                                 collections.Counter()))
        consumers = [self._consumer() for _ in range(40)]
        self._mirror(consumers)
        self.assertEqual({consumer: SMALL for consumer in consumers},
                         self._allocations())
        counts = metrics.snapshot()
        self.assertEqual(
            (40, 40), (counts['mirror_queued'], counts['mirror_written']))
        self.assertNotIn('mirror_failed', counts)
        self.assertIsNotNone(metrics.percentile(counts, 'mirror_lag_ms',
                                                0.99))

    def _manage(self, keyspace, *command):
        config = self.useFixture(fixtures.TempDir()).join('nova.conf')
        with open(config, 'w') as f:
            f.write('[cassandra]\nkeyspace = %s\n' % keyspace)
        return subprocess.run(
            [os.path.join(os.path.dirname(sys.executable),
                          'nova-cassandra-manage'),
             '--config-file', base.NOVA_CONF, '--config-file', config]
            + list(command), capture_output=True, text=True, timeout=90)

    def _request_spec(self, consumer):
        spec = objects.RequestSpec(
            self.nova.context, instance_uuid=consumer, project_id='project',
            user_id='user', flavor=objects.Flavor(
                vcpus=1, memory_mb=256, root_gb=0, ephemeral_gb=0, swap=0,
                extra_specs={}))
        spec.create()
        self.addCleanup(spec.destroy)

    def test_reconcile_repairs_an_allocation_deleted_behind_its_back(self):
        ks = self.useFixture(base.CassandraKeyspace())
        hosts.HostStore(ks.session, ks.keyspace).create(store_base.HostRecord(
            node_uuid=uuid.UUID(self.node), host='compute1',
            nodename='node1', capacity={'VCPU': 64, 'MEMORY_MB': 65536},
            used={}))
        store = claims_store.ClaimStore(ks.session, ks.keyspace)
        kept, lost, ownerless = (self._consumer() for _ in range(3))
        for consumer in (kept, lost, ownerless):
            self.assertTrue(node_claim.claim(
                store, uuid.UUID(self.node), uuid.UUID(consumer), SMALL,
                300))
        for consumer in (kept, lost):
            self._request_spec(consumer)
        # Another service's allocation on the node, no claim in the store.
        other = self._consumer()
        self._mirror([kept, lost, other])
        self._check(self.client.delete('/allocations/%s' % lost), 204)

        result = self._manage(ks.keyspace, 'placement', 'reconcile',
                              '--dry-run', '--older-than', '0')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('1 nodes, 3 live claims.', result.stdout)
        self.assertIn('2 claims without an allocation, 0 of them younger '
                      'than 0 s (left to the schedulers): dry run, nothing '
                      "written; 1 without an owner in nova's API database.",
                      result.stdout)
        self.assertIn('1 allocations on these nodes without a live claim',
                      result.stdout)
        self.assertEqual({kept, other}, set(self._allocations()))

        # Claims younger than the default cut-off are the writers'.
        result = self._manage(ks.keyspace, 'placement', 'reconcile')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('2 claims without an allocation, 2 of them younger '
                      'than 60 s', result.stdout)
        self.assertEqual({kept, other}, set(self._allocations()))

        result = self._manage(ks.keyspace, 'placement', 'reconcile',
                              '--older-than', '0')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('(left to the schedulers): 1 written, 0 failed; 1 '
                      'without an owner', result.stdout)
        self.assertEqual({kept: SMALL, lost: SMALL, other: SMALL},
                         self._allocations())
        response = self.client.get('/allocations/%s' % lost,
                                   version='1.28')
        self.assertEqual(('project', 'user'),
                         (response.json()['project_id'],
                          response.json()['user_id']))
