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

"""A compute that dies between the scheduler's claim and its own build.

nova's services in one process (see ``base``), on the
stack's real Cassandra: the scheduler claims, the build request reaches a
compute that never runs it, the compute goes away.  The claim must stop
counting within ``[cassandra] claim_ttl``, and the restarted compute's
ResourceTracker hook must put the node's true state back in its row.
"""

import time

import fixtures
from nova import context as nova_context
from nova import objects
from testtools import content

from nova_cassandra.claims import checker
from tests.functional_nova import base as nova_base

CLAIM_TTL = 10  # the smallest [cassandra] claim_ttl allows


class TestComputeCrash(nova_base.CassandraIntegratedTestBase):

    CASSANDRA_FLAGS = {'claim_ttl': CLAIM_TTL}

    def _wait(self, what, predicate, timeout):
        """Seconds until ``predicate()`` holds; fails after ``timeout``."""
        started = time.monotonic()
        while not predicate():
            self.assertLess(time.monotonic() - started, timeout,
                            'waiting for %s' % what)
            time.sleep(0.2)
        return time.monotonic() - started

    def test_claim_expires_and_restart_republishes_true_state(self):
        [node] = [r.node_uuid for r in self.store.list()]
        # The build request reaches the compute, which dies before its
        # ResourceTracker claim (the write that folds the scheduler's).
        self.useFixture(fixtures.MockPatch(
            'nova.compute.manager.ComputeManager.build_and_run_instance'))
        server = self._create_server(flavor_id=self.flavor, networks='none',
                                     expected_state='BUILD')
        self._wait('the scheduler claim', lambda: [
            str(c.consumer_uuid) for c in
            self.claims.node_usage(node).claims] == [server['id']], 30)

        # No leak: the claim stops counting within its TTL.
        seconds = self._wait('the claim to expire',
                             lambda: not self.claims.node_usage(node).claims,
                             CLAIM_TTL + 5)
        self.addDetail('claim-gone-after-seconds',
                       content.text_content('%.1f' % seconds))
        self.assertEqual([], checker.offenders(list(self.claims.all_usage())))

        # While the compute is away its row goes stale (here: wrong).
        stale = self.store.get(node, latest=True)
        stale.used = dict(stale.used, VCPU=7)
        stale = self.store.update(stale)

        self.compute = self.restart_compute_service(self.compute)
        truth = objects.ComputeNode.get_by_uuid(
            nova_context.get_admin_context(), str(node))
        self._wait('the restarted compute to republish', lambda: (
            self.store.get(node, latest=True).generation > stale.generation),
            30)
        record = self.store.get(node, latest=True)
        self.assertEqual(truth.vcpus_used, record.used['VCPU'])
        self.assertEqual(truth.memory_mb_used - 512, record.used['MEMORY_MB'])
        self.assertEqual([], self.claims.node_usage(node).claims)
