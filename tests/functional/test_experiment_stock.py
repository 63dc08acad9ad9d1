"""The scheduler experiment's ``ci`` preset on the stock set-up."""

import json
import os
import signal
import subprocess
import sys

import fixtures

from tests.functional import base

RUN_TIMEOUT = 170


class TestStockExperiment(base.TestCase):

    TIMEOUT = RUN_TIMEOUT + 60

    def test_ci_preset_places_without_violations(self):
        base.nova_conf()  # fails with how to start the stack if absent
        output_dir = self.useFixture(fixtures.TempDir()).path
        command = [os.path.join(os.path.dirname(sys.executable),
                                'nova-cassandra-experiment'),
                   '--config-file', base.NOVA_CONF, '--preset', 'ci',
                   '--setups', 'stock', '--output-dir', output_dir]
        process = subprocess.Popen(command, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        try:
            output, _ = process.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            # SIGTERM: the experiment stops the services it started.
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=60)
            self.fail('the ci preset took over %ds:\n%s'
                      % (RUN_TIMEOUT, output))
        self.assertEqual(0, process.returncode, output)
        with open(os.path.join(output_dir, 'experiment-ci.json')) as f:
            result = json.load(f)
        self.assertTrue(result['setups']['stock']['available'])
        run, = result['runs']
        self.assertEqual(('stock', 2, 20), (run['setup'], run['schedulers'],
                                            run['hosts']))
        self.assertEqual([], run['capacity_violations'], output)
        self.assertEqual(0, run['missing_allocations'], output)
        self.assertEqual(0, run['errors'], output)
        # Every request either landed or got NoValidHost, the oversized
        # ones (which fit no node) among the true NoValidHosts.
        self.assertEqual(run['requests'], run['placed'] +
                         run['novalidhost_true'] + run['novalidhost_false'])
        self.assertGreaterEqual(run['novalidhost_true'],
                                run['novalidhost_expected'])
        self.assertGreater(run['novalidhost_expected'], 0)
        self.assertGreater(run['placed'], run['requests'] // 2, output)
        self.assertGreater(run['cpu_ms']['schedulers'], 0)
        self.assertTrue(os.path.exists(
            os.path.join(output_dir, 'experiment-ci.png')))
