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

"""The scheduler experiment's ``smoke`` preset: stock nova, stock tuned, and
nova-cassandra.

The same seeded stream goes through real nova-scheduler processes for each
set-up.  nova-cassandra must never over-commit (checked in Cassandra and in
placement).  Stock nova's figures are what the experiment measures, races
included: its violations are reported, not asserted away.
"""

import json
import os
import signal
import subprocess
import sys

import fixtures

from tests.functional import base

RUN_TIMEOUT = 900


class TestExperiment(base.TestCase):

    TIMEOUT = RUN_TIMEOUT + 60

    def _experiment(self, *args):
        base.nova_conf()  # fails with how to start the stack if absent
        self.output_dir = self.useFixture(fixtures.TempDir()).path
        command = [os.path.join(os.path.dirname(sys.executable),
                                'nova-cassandra-experiment'),
                   '--config-file', base.NOVA_CONF,
                   '--output-dir', self.output_dir] + list(args)
        return subprocess.Popen(command, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)

    def test_roundtrip_preset_reads_back_what_it_wrote(self):
        output, _ = self._experiment('--preset', 'roundtrip').communicate(
            timeout=RUN_TIMEOUT)
        with open(os.path.join(self.output_dir,
                               'experiment-roundtrip.json')) as f:
            result = json.load(f)
        self.assertEqual(0, result['mismatches'], output)
        self.assertEqual(200, result['operations']['update_lwt']['count'])
        self.assertIn('update_lwt', output)

    def test_smoke_preset_runs_every_setup(self):
        process = self._experiment('--preset', 'smoke',
                                   '--setups', 'stock,stock-tuned,cassandra')
        try:
            output, _ = process.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            # SIGTERM: the experiment stops the services it started.
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=60)
            self.fail('the smoke preset took over %ds:\n%s'
                      % (RUN_TIMEOUT, output))
        path = os.path.join(self.output_dir, 'experiment-smoke.json')
        # A run that died before its results says why in its output.
        self.assertTrue(os.path.exists(path), output)
        # The console is the progress bars and the tables: no log line and
        # no Python warning (the logs go to experiment.log).
        self.assertNotRegex(output, r' \d+ (DEBUG|INFO|WARNING|ERROR) ')
        self.assertNotRegex(output, r'\w+Warning: ')
        with open(path) as f:
            result = json.load(f)
        runs = {(run['setup'], run['schedulers']): run
                for run in result['runs']}
        self.assertEqual({(name, 2) for name in
                          ('stock', 'stock-tuned', 'cassandra')},
                         set(runs), output)
        for (name, _), run in runs.items():
            self.assertTrue(result['setups'][name]['available'])
            self.assertEqual(50, run['hosts'])
            self.assertEqual(0, run['errors'],
                             '%s\n%s' % (output, run['first_errors']))
            # Every request either landed or got NoValidHost, the
            # oversized ones (which fit no node) among the true ones.
            self.assertEqual(run['requests'], run['placed'] +
                             run['novalidhost_true'] +
                             run['novalidhost_false'])
            self.assertGreaterEqual(run['novalidhost_true'],
                                    run['novalidhost_expected'])
            self.assertGreater(run['novalidhost_expected'], 0)
            self.assertGreater(run['placed'], run['requests'] // 2, output)
            self.assertGreater(run['cpu_ms']['schedulers'], 0)
            # The box's busy time covers what the groups used.
            self.assertGreaterEqual(run['cpu_busy_ms'],
                                    0.9 * sum(run['cpu_ms'].values()))
            self.assertLessEqual(0, run['cpu_unaccounted_share'])
            self.assertLess(run['cpu_unaccounted_share'], 1)
        # stock-tuned's own placement served its claims, counted as
        # placement's CPU.
        self.assertGreater(runs['stock-tuned', 2]['cpu_ms']['placement'], 0)
        # Stock nova counts nothing of nova-cassandra's.
        self.assertEqual({}, runs['stock', 2]['counters'])
        # The store's claims and placement's allocations agree.
        self.assertEqual(0, runs['cassandra', 2]['mirror_drift'], output)
        self.assertNotIn('mirror_drift', runs['stock', 2])
        # The records kept as the run went: the same as the final ones.
        with open(os.path.join(self.output_dir, 'run-smoke',
                               'runs.jsonl')) as f:
            self.assertEqual(result['runs'], [json.loads(line) for line in f])
        cassandra = runs['cassandra', 2]
        self.assertEqual([], cassandra['capacity_changes'], output)
        self.assertEqual([], cassandra['capacity_violations'], output)
        self.assertEqual([], cassandra['cassandra_offenders'], output)
        self.assertEqual(0, cassandra['missing_allocations'], output)
        self.assertEqual(0, cassandra['novalidhost_false'], output)
        self.assertGreater(cassandra['cpu_ms']['cassandra'], 0)
        # Its schedulers' counters: a claim per placement at least.
        self.assertGreaterEqual(cassandra['counters']['claims'],
                                cassandra['placed'])
        self.assertEqual(
            round(cassandra['counters']['claims'] / 60, 2),
            cassandra['per_request']['claims'])
        self.assertIn('cassandra / stock at 50 hosts, K=2', output)
        self.assertIn('cassandra / stock-tuned at 50 hosts, K=2', output)
        # Then each set-up booted and deleted servers through nova-api.
        passes = {p['setup']: p for p in result['end_to_end']}
        self.assertEqual({'stock', 'stock-tuned', 'cassandra'}, set(passes),
                         output)
        for name, e2e in passes.items():
            self.assertEqual(20, e2e['servers'])
            self.assertEqual(0, e2e['errors'], e2e['first_errors'])
            self.assertEqual(e2e['servers'], e2e['active'] +
                             e2e['novalidhost_true'] +
                             e2e['novalidhost_false'])
            self.assertEqual(0, e2e['missing_allocations'], output)
            self.assertEqual(0, e2e['leaked_allocations'], output)
        cassandra = passes['cassandra']
        self.assertEqual(cassandra['fit'], cassandra['active'], output)
        self.assertEqual([], cassandra['capacity_violations'], output)
        self.assertEqual([], cassandra['store_offenders'], output)
        self.assertEqual(0, cassandra['leaked_claims'], output)
        self.assertIn('End to end through nova-api', output)
        # The progress bar: in a log, a line per tenth of each run.
        self.assertEqual(10 * len(runs), output.count('/60 requests, '),
                         output)
        self.assertTrue(os.path.exists(
            os.path.join(self.output_dir, 'experiment-smoke.png')))
