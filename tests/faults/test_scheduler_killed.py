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

"""A scheduler SIGKILLed with claims and placement writes in flight.

A scheduler process on the Cassandra store claims back to back and hands
its claims to a placement API of the test's own in the background
(``placement_allocations = async``, ``claim_ttl = TTL``).  Placement is
stalled (SIGSTOP), so that the mirror's write hangs in flight and the
claims after it wait in its queue, and the scheduler is SIGKILLed: what
it queued dies with it.  ``nova-cassandra-manage placement reconcile``
must write what placement misses (drift 0 after it), and no claim may
outlive its TTL: a claim the compute never takes over (this test has no
compute) frees its room by itself.
"""

import signal
import subprocess
import time

import fixtures
from nova import exception as nova_exception
from nova import objects

from nova_cassandra.claims import checker
from nova_cassandra_experiment import processes
from tests.faults import base
from tests.functional import base as functional_base

TTL = 30
STALL = 2  # seconds of claims queued behind the hung write


class TestSchedulerKilled(base.MirrorTestCase):

    def forget_consumers(self):
        super().forget_consumers()
        for consumer in self.consumers:
            try:
                objects.RequestSpec.get_by_instance_uuid(
                    self.nova.context, consumer).destroy()
            except nova_exception.RequestSpecNotFound:
                pass

    def _reconcile(self):
        config = self.useFixture(fixtures.TempDir()).join('nova.conf')
        processes.write_conf(config, {
            'cassandra': {'keyspace': self.keyspace},
            'placement': {'endpoint_override': self.placement.url}})
        return subprocess.run(
            [processes.venv_command('nova-cassandra-manage'),
             '--config-file', functional_base.NOVA_CONF,
             '--config-file', config, 'placement', 'reconcile',
             '--older-than', '0'],
            capture_output=True, text=True, timeout=90)

    def test_nothing_leaks_and_reconcile_repairs_placement(self):
        scheduler = self.scheduler('async', {
            'claim_ttl': TTL, 'placement_allocations': 'async'},
            request_specs=True)
        scheduler.wait_placed(10, 60)
        self.addCleanup(self.placement.signal, signal.SIGCONT)
        self.placement.signal(signal.SIGSTOP)
        time.sleep(STALL)
        scheduler.kill()
        killed = time.monotonic()
        self.placement.signal(signal.SIGCONT)
        outcomes, _ = scheduler.outcomes()
        placed = {(o['consumer'], o['node']) for o in outcomes if o['node']}

        usages, lost_writes, _ = self.drift()
        self.consumers.update(str(c.consumer_uuid)
                              for u in usages for c in u.claims)
        stored = {(str(c.consumer_uuid), str(u.record.node_uuid))
                  for u in usages for c in u.claims}
        started = time.monotonic()
        result = self._reconcile()
        reconcile_seconds = time.monotonic() - started
        _, missing, unclaimed = self.drift()
        # No claim outlives its TTL: the room comes back by itself.
        while any(u.claims for u in self.claims.all_usage()):
            self.assertLess(time.monotonic() - killed, TTL + 15)
            time.sleep(0.5)
        claims_gone = time.monotonic() - killed
        usages = list(self.claims.all_usage())
        base.report(
            self, 'scheduler-killed',
            answered=len(outcomes), placed=len(placed),
            claims_at_kill=len(stored),
            claims_without_allocation_at_kill=len(lost_writes),
            # Its summary: the last lines, after one log line per claim.
            reconcile='%s (%.1f s)' % (' / '.join(
                result.stdout.splitlines()[-4:]), reconcile_seconds),
            drift_after_reconcile='%d claims without allocation, %d '
                                  'allocations without claim' % (
                                      len(missing), len(unclaimed)),
            lost=len(placed - stored),
            claims_gone_seconds_after_kill='%.1f (claim_ttl %d)'
                                           % (claims_gone, TTL),
            over_capacity=checker.offenders(usages))
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual(set(), placed - stored)
        # The queue died with the scheduler: placement missed claims.
        self.assertTrue(lost_writes)
        self.assertEqual(([], []), (missing, unclaimed))
        self.assertLess(claims_gone, TTL + 5)
        self.assertEqual([], checker.offenders(usages))
