"""The scheduler experiment's ``smoke`` preset: stock nova and nova-cassandra.

The same seeded stream goes through real nova-scheduler processes for both
set-ups.  nova-cassandra must never over-commit (checked in Cassandra and in
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

    def test_smoke_preset_runs_both_setups(self):
        process = self._experiment('--preset', 'smoke',
                                   '--setups', 'stock,cassandra')
        try:
            output, _ = process.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            # SIGTERM: the experiment stops the services it started.
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=60)
            self.fail('the smoke preset took over %ds:\n%s'
                      % (RUN_TIMEOUT, output))
        with open(os.path.join(self.output_dir,
                               'experiment-smoke.json')) as f:
            result = json.load(f)
        runs = {(run['setup'], run['schedulers']): run
                for run in result['runs']}
        self.assertEqual({('stock', 1), ('stock', 2), ('cassandra', 1),
                          ('cassandra', 2)}, set(runs), output)
        for (name, _), run in runs.items():
            self.assertTrue(result['setups'][name]['available'])
            self.assertEqual(50, run['hosts'])
            self.assertEqual(0, run['errors'], output)
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
        # The records kept as the run went: the same as the final ones.
        with open(os.path.join(self.output_dir, 'run-smoke',
                               'runs.jsonl')) as f:
            self.assertEqual(result['runs'], [json.loads(line) for line in f])
        for k in (1, 2):
            cassandra = runs['cassandra', k]
            self.assertEqual([], cassandra['capacity_changes'], output)
            self.assertEqual([], cassandra['capacity_violations'], output)
            self.assertEqual([], cassandra['cassandra_offenders'], output)
            self.assertEqual(0, cassandra['missing_allocations'], output)
            self.assertEqual(0, cassandra['novalidhost_false'], output)
            self.assertGreater(cassandra['cpu_ms']['cassandra'], 0)
            self.assertIn('cassandra / stock at 50 hosts, K=%d' % k, output)
        # Then each set-up booted and deleted servers through nova-api.
        passes = {p['setup']: p for p in result['end_to_end']}
        self.assertEqual({'stock', 'cassandra'}, set(passes), output)
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
        # The progress bar: in a log, a line per tenth of each of 4 runs.
        self.assertEqual(40, output.count('/60 requests, '), output)
        self.assertTrue(os.path.exists(
            os.path.join(self.output_dir, 'experiment-smoke.png')))
