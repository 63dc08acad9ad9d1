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
from unittest import mock

import fixtures
import testtools

from nova_cassandra_experiment import presets
from nova_cassandra_experiment import runner


class TestDrained(testtools.TestCase):

    def test_drained_once_every_queued_write_is_accounted_for(self):
        self.assertTrue(runner._drained({}))
        self.assertFalse(runner._drained({'mirror_queued': 3,
                                          'mirror_written': 2}))
        self.assertTrue(runner._drained({
            'mirror_queued': 5, 'mirror_written': 2, 'mirror_failed': 1,
            'mirror_cancelled': 2, 'mirror_retries': 7}))


class TestWarmUpPass(testtools.TestCase):
    """The runs of one fleet, with and without a warm-up pass."""

    def setUp(self):
        super().setUp()
        self.run_dir = self.useFixture(fixtures.TempDir()).path
        fleet = self.useFixture(fixtures.MockPatchObject(
            runner.fleet_mod, 'Fleet')).mock.return_value
        fleet.hosts = 10
        self.calls = []
        self.useFixture(fixtures.MockPatchObject(
            runner.db_statistics, 'recount',
            lambda conf: self.calls.append(('recount',))))

    def _runs(self, warm_up_pass):
        preset = presets.Preset('test', hosts=(10,), schedulers=(1, 4),
                                requests=10, warm_up_pass=warm_up_pass)
        experiment = runner.Experiment.__new__(runner.Experiment)
        experiment.preset = preset
        experiment.conf = experiment.placement = mock.Mock()
        experiment.progress = lambda line: None
        experiment.stream, experiment.warmup = [], []

        def run_once(setup, fleet, k, run_dir, state, placement_pids):
            self.calls.append(('run', k, os.path.relpath(run_dir,
                                                         self.run_dir)))
            return {'placed': 1, 'placements_per_s': 1.0, 'latency': {},
                    'novalidhost_true': 0, 'novalidhost_false': 0,
                    'errors': 0, 'capacity_changes': [],
                    'capacity_violations': [], 'k': k}

        experiment._run_once = run_once
        experiment._reset = lambda *args: self.calls.append(('reset',))
        experiment._state = lambda setup: None
        experiment._fill_share = lambda capacity: 0.5
        return experiment._run_fleet_on(mock.Mock(), 10, self.run_dir,
                                        set())

    def test_without_warm_up_every_run_is_counted(self):
        runs = self._runs(False)
        self.assertEqual([1, 4], [run['k'] for run in runs])
        self.assertEqual([('recount',), ('run', 1, '.'), ('reset',),
                          ('run', 4, '.')], self.calls)

    def test_warm_up_pass_runs_first_and_is_not_counted(self):
        runs = self._runs(True)
        self.assertEqual([1, 4], [run['k'] for run in runs])
        # The pass has a directory of its own; every counted run starts
        # from the reset fleet.  The statistics are recounted before any.
        self.assertEqual([('recount',), ('run', 1, 'warm-up'), ('reset',),
                          ('run', 1, '.'), ('reset',), ('run', 4, '.')],
                         self.calls)
        with open(os.path.join(self.run_dir, 'warm-up',
                               'record.json')) as f:
            self.assertEqual(1, json.load(f)['k'])
