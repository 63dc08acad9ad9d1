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

import json
import os
import time
from unittest import mock
import uuid

import fixtures
import testtools

from nova_cassandra.claims import node_claim
from nova_cassandra import exception
from nova_cassandra import metrics
from nova_cassandra.store import base
from nova_cassandra_experiment import schedulers

LOG = '''\
2026-01-01 INFO nova.scheduler.host_manager [-] Received a sync request \
from an unknown host 'nc-exp-compute-0'. Re-created its InstanceList.
2026-01-01 WARNING nova.scheduler.client.report [-] Failed to save \
allocation for 1f0e. Got HTTP 409: {"errors": [{"status": 409, "title": \
"Conflict", "detail": "There was a conflict when trying to complete your \
request.\\n\\n consumer generation conflict", "code": \
"placement.concurrent_update"}]}
2026-01-01 WARNING nova.scheduler.client.report [-] Failed to save \
allocation for 2a0e. Got HTTP 409: {"errors": [{"status": 409, "detail": \
"Unable to allocate inventory: Unable to create allocation for 'MEMORY_MB' \
on resource provider 'x'. The requested amount would exceed the capacity.",\
 "code": "placement.undefined_code"}]}
2026-01-01 ERROR nova.scheduler.client.report [-] Failed scheduler client \
operation claim_resources: out of retries
'''


class TestClaimConflicts(testtools.TestCase):

    def test_store_claims_races_by_kind(self):
        store = mock.Mock()
        full = base.NodeUsage(base.HostRecord(
            node_uuid=uuid.uuid4(), host='h', nodename='n',
            capacity={'VCPU': 1}, used={'VCPU': 1}, generation=1), [])
        free = base.NodeUsage(base.HostRecord(
            node_uuid=uuid.uuid4(), host='h', nodename='n',
            capacity={'VCPU': 4}, used={'VCPU': 0}, generation=1), [])
        store.claim.side_effect = exception.HostConflict(
            node='n', expected=1, found=2)
        before = metrics.snapshot()
        # Every attempt loses the race, then the node is found full.
        store.node_usage.return_value = free
        self.assertFalse(node_claim.claim(
            store, free.record.node_uuid, uuid.uuid4(), {'VCPU': 1}, 60))
        store.node_usage.return_value = full
        self.assertFalse(node_claim.claim(
            store, full.record.node_uuid, uuid.uuid4(), {'VCPU': 1}, 60))
        counted = {name: count - before.get(name, 0)
                   for name, count in metrics.snapshot().items()}
        attempts = node_claim.CONFLICT_RETRY_COUNT + 1
        self.assertEqual({'generation_conflicts': attempts,
                          'capacity_conflicts': 1, 'out_of_retries': 1},
                         schedulers.claim_conflicts('', counted))
        # Placement's refusals logged by nova add to the store's.
        self.assertEqual({'generation_conflicts': attempts + 1,
                          'capacity_conflicts': 2, 'out_of_retries': 2},
                         schedulers.claim_conflicts(LOG, counted))

    def test_counts_by_kind(self):
        self.assertEqual({'generation_conflicts': 1, 'capacity_conflicts': 1,
                          'out_of_retries': 1},
                         schedulers.claim_conflicts(LOG))

    def test_nothing_refused(self):
        self.assertEqual({'generation_conflicts': 0, 'capacity_conflicts': 0,
                          'out_of_retries': 0},
                         schedulers.claim_conflicts('INFO all good\n'))

    def test_computes_down(self):
        self.assertEqual(2, schedulers.computes_down(
            'WARNING nova.scheduler.filters.compute_filter [-] (c1, n1) '
            'ram: 1 has not been heard from in a while\n'
            'INFO all good\n'
            'WARNING nova.scheduler.filters.compute_filter [-] (c1, n2) '
            'ram: 1 has not been heard from in a while\n'))

    def test_unknown_host_pattern(self):
        self.assertEqual(['nc-exp-compute-0'],
                         schedulers._UNKNOWN_HOST.findall(LOG))


class TestReadCounters(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def _write(self, pid, written_at, counts):
        with open(os.path.join(self.dir, 'nova-scheduler-%d.json' % pid),
                  'w') as f:
            json.dump({'pid': pid, 'written_at': written_at,
                       'counts': counts}, f)

    def test_a_service_s_processes_add_up(self):
        now = time.time()
        self._write(1, now, {'rows_read': 3})
        self._write(2, now + 1, {'rows_read': 4, 'candidates': 50})
        self.assertEqual({'rows_read': 7, 'candidates': 50},
                         schedulers.read_counters(self.dir, now, timeout=0))

    def test_waits_for_a_write_after_since(self):
        now = time.time()
        self._write(1, now - 5, {'claims': 1})
        sleeps = []

        def written(seconds):
            sleeps.append(seconds)
            self._write(1, now + 1, {'claims': 2})
        self.useFixture(fixtures.MockPatch('time.sleep',
                                           side_effect=written))
        self.assertEqual({'claims': 2},
                         schedulers.read_counters(self.dir, now, timeout=10))
        self.assertEqual(1, len(sleeps))

    def test_nothing_written(self):
        self.assertEqual({}, schedulers.read_counters(
            os.path.join(self.dir, 'absent'), time.time(), timeout=0))
