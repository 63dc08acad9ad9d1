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

"""The store stalls while a compute builds: nova-compute does not wait.

nova's services in one process (see ``base``), on the stack's real
Cassandra.  The scheduler claims a node in the store; then, as the
compute's ResourceTracker claims the instance, the Cassandra node is paused
(SIGSTOP, at most ``PAUSE_AT_MOST`` seconds: other tests share it).  The
claim returns at once and the build completes; once the node is resumed
the node's row carries the instance, the scheduler's claim folded into it.
"""

import contextlib
import time

import fixtures
from nova.compute import resource_tracker
from testtools import content

from tests.functional import base
from tests.functional_nova import base as nova_base

PAUSE_AT_MOST = 10
CLAIM_BAR = 1.0  # seconds an instance claim may take with the store paused


class TestStoreStall(nova_base.CassandraIntegratedTestBase):

    def test_instance_claim_does_not_wait_for_a_paused_store(self):
        [node] = [r.node_uuid for r in self.store.list()]
        before = self.store.get(node, latest=True)
        pause = contextlib.ExitStack()
        self.addCleanup(pause.close)
        paused, claim_seconds = [], []
        real_claim = resource_tracker.ResourceTracker.instance_claim

        def instance_claim(tracker, *args, **kwargs):
            paused.append(pause.enter_context(
                base.cassandra_paused(PAUSE_AT_MOST)))
            started = time.monotonic()
            try:
                return real_claim(tracker, *args, **kwargs)
            finally:
                claim_seconds.append(time.monotonic() - started)

        self.useFixture(fixtures.MonkeyPatch(
            'nova.compute.resource_tracker.ResourceTracker.instance_claim',
            instance_claim))
        server = self._create_server(flavor_id=self.flavor, networks='none')
        # Built from start to end while the store could not answer.
        self.assertTrue(base.stopped(paused[0]))
        pause.close()
        self.addDetail('instance-claim-seconds',
                       content.text_content('%.3f' % claim_seconds[0]))
        self.assertEqual(1, len(claim_seconds))
        self.assertLess(claim_seconds[0], CLAIM_BAR)

        self._published(timeout=30)
        record = self.store.get(node, latest=True)
        self.assertGreater(record.generation, before.generation)
        self.assertEqual({'VCPU': 1, 'MEMORY_MB': 512, 'DISK_GB': 1},
                         record.used)
        self.assertEqual([server['id']], record.state['instances'])
        # Folded, not expired: the claim's TTL is minutes.
        self.assertEqual([], self.claims.node_usage(node).claims)
