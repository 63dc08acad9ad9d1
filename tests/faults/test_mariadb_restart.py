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

"""The MariaDB under the ``mysql`` store restarted while schedulers claim.

Two scheduler processes race for the same nodes in the sharded MySQL store
(placement left out: ``placement_allocations = off``), on a MariaDB of the
test's own that is stopped as an operator stops it and started again.
Scheduling must resume by itself; every claim a scheduler answered must be
in the store; nothing over capacity.
"""

import time
import uuid

from nova_cassandra.claims import checker
from nova_cassandra.store.mysql import claims
from nova_cassandra.store.mysql import hosts
from tests.faults import base
from tests.functional import base as functional_base
from tests.functional import test_mysql_store

SHARDS = 2
NODES = 4
BEFORE, AFTER = 3, 5
PACE = 0.05


class TestMariaDBRestart(functional_base.TestCase):

    TIMEOUT = 300

    def test_claims_resume_by_themselves(self):
        mariadb = self.useFixture(base.MariaDB())
        db = self.useFixture(test_mysql_store.MySQLDatabase(
            SHARDS, server=mariadb.url()))
        store = claims.ClaimStore(db.database)
        for _ in range(NODES):
            hosts.HostStore(db.database).create(base.node_record(
                uuid.uuid4()))
        schedulers = [self.useFixture(base.Scheduler('scheduler-%d' % i, {
            'scheduler': {'claims_driver': 'mysql'},
            'mysql_store': {'connection': db.url, 'shards': SHARDS,
                            'placement_allocations': 'off'}}, pace=PACE))
            for i in range(2)]
        for scheduler in schedulers:
            scheduler.wait_placed(5, 60)
        time.sleep(BEFORE)
        stopping = time.monotonic()
        mariadb.restart()
        back = time.monotonic()
        # Each scheduler places again, by itself.
        resumed = []
        for scheduler in schedulers:
            while not any(o['node'] and o['started'] >= back
                          for o in scheduler.outcomes()[0]):
                self.assertLess(time.monotonic() - back, 60)
                time.sleep(0.2)
            resumed.append(min(o['started'] + o['seconds'] for o in
                               scheduler.outcomes()[0]
                               if o['node'] and o['started'] >= back) - back)
        time.sleep(AFTER)
        outcomes = []
        for scheduler in schedulers:
            outcomes += scheduler.stop()[0]

        usages = list(store.all_usage())
        stored = {(str(c.consumer_uuid), str(u.record.node_uuid))
                  for u in usages for c in u.claims}
        placed = {(o['consumer'], o['node']) for o in outcomes if o['node']}
        found = base.phases(outcomes, stopping, back)
        base.report(
            self, 'mariadb-restart',
            restart_seconds='%.1f' % (back - stopping),
            placing_again_seconds_after_restart=' '.join(
                '%.2f' % s for s in resumed),
            refusals=sorted({o['reason'] for o in outcomes if o['reason']}),
            errors=sorted({o['error'] for o in outcomes if o['error']}),
            lost=len(placed - stored),
            # Claims whose commit the scheduler did not see: they expire.
            unanswered=len(stored - placed),
            over_capacity=checker.offenders(usages),
            **{phase: base.summary(found[phase]) for phase in found})
        self.assertEqual([], [o for o in outcomes if o['error']])
        self.assertTrue(any(o['node'] for o in found['after']))
        self.assertEqual(set(), placed - stored)
        self.assertEqual([], checker.offenders(usages))
