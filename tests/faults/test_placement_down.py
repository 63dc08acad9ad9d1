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

"""Placement down while schedulers place with the placement mirror.

Two scheduler processes on the Cassandra store, on nodes and a placement
API of the test's own: one hands its claims to placement in the background
(``placement_allocations = async``), one writes them before it answers
(``sync``).  Placement is stopped for ``DOWN`` seconds, then started again.
The ``async`` scheduler must go on placing and its mirror catch up once
placement is back; ``sync`` refuses while placement is away and releases
what it claimed (it stops before placement is back: two schedulers writing
the same four providers make placement refuse batches for conflicts, which
is not this test's subject).  After the run the store's claims and placement's
allocations must be the same (drift 0), none lost, nothing over capacity.
"""

import time

from nova_cassandra.claims import checker
from tests.faults import base

# 20 s in CI; README's figure is of a 60 s outage (the issue's).
DOWN = base.window('NC_FAULTS_PLACEMENT_DOWN', 20)
BEFORE, AFTER = 5, 10
PACE = 0.2


class TestPlacementDown(base.MirrorTestCase):

    NODES = 4

    def _caught_up(self, consumers):
        """Whether placement holds an allocation of every one."""
        held = set()
        for allocations in self.placement.allocations(self.nodes).values():
            held.update(allocations)
        return consumers <= held

    def test_scheduling_goes_on_and_the_mirror_catches_up(self):
        schedulers = {mode: self.scheduler(
            mode, {'placement_allocations': mode}, pace=PACE)
            for mode in ('async', 'sync')}
        for scheduler in schedulers.values():
            scheduler.wait_placed(1, 60)
        time.sleep(BEFORE)
        self.placement.stop()
        down = time.monotonic()  # requests from now on find it gone
        time.sleep(DOWN)
        # sync has shown what it does; its writes would only race the
        # mirror's for the same providers once placement is back.
        results = {'sync': schedulers['sync'].stop()}
        back = time.monotonic()  # from now on requests may find it back
        self.placement.start()
        up = time.monotonic()
        # What async answered before placement came back, mirrored since?
        placed = {o['consumer'] for o in schedulers['async'].outcomes()[0]
                  if o['node'] and o['started'] < up}
        while not self._caught_up(placed):
            self.assertLess(time.monotonic() - up, 120)
            time.sleep(0.5)
        caught_up = time.monotonic() - up
        time.sleep(max(0, up + AFTER - time.monotonic()))
        results['async'] = schedulers['async'].stop()

        placed = {}
        for outcomes, _ in results.values():
            placed.update((o['consumer'], o['node']) for o in outcomes
                          if o['node'])
        usages, missing, unclaimed = self.drift()
        stored = {str(c.consumer_uuid): str(u.record.node_uuid)
                  for u in usages for c in u.claims}
        phases = {mode: base.phases(outcomes, down, back)
                  for mode, (outcomes, _) in results.items()}
        counters = results['async'][1]
        figures = {'%s %s' % (mode, phase): base.summary(outcomes)
                   for mode, found in phases.items()
                   for phase, outcomes in found.items()}
        figures.update(
            placement_down_seconds='%.1f (stopped for %d s, then started)'
            % (up - down, DOWN),
            mirror_caught_up_seconds_after_placement_back='%.1f' % caught_up,
            mirror=' '.join('%s=%s' % (name, counters.get(
                'mirror_' + name, 0)) for name in (
                    'queued', 'written', 'retries', 'failed', 'posts')),
            sync_refusals=sorted({o['reason'] for o in phases['sync'][
                'during'] if o['reason']}),
            drift='%d claims without allocation, %d allocations without '
                  'claim' % (len(missing), len(unclaimed)),
            lost=len(set(placed.items()) - set(stored.items())),
            over_capacity=checker.offenders(usages))
        base.report(self, 'placement-down', **figures)

        # async: placing went on, nothing refused, the mirror caught up.
        during = phases['async']['during']
        self.assertTrue(during)
        self.assertEqual([], [o for o in during if not o['node']])
        self.assertGreater(counters.get('mirror_retries', 0), 0)
        self.assertEqual(0, counters.get('mirror_failed', 0))
        # sync: refused while placement was away.
        self.assertTrue(phases['sync']['during'])
        self.assertEqual([], [o for o in phases['sync']['during']
                              if o['node'] or o['error']])
        # Every answer holds, sync's refusals left no claim, no drift.
        self.assertEqual(placed, stored)
        self.assertEqual(([], []), (missing, unclaimed))
        self.assertEqual([], checker.offenders(usages))
