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

import gc
import json
import os
import time

import fixtures
import testtools

from nova_cassandra import metrics


class TestSnapshots(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                'metrics')
        metrics.CONF.set_override('snapshot_dir', self.dir, 'metrics')
        metrics.CONF.set_override('snapshot_interval', 0.1, 'metrics')
        self.addCleanup(metrics.CONF.clear_override, 'snapshot_dir',
                        'metrics')
        self.addCleanup(metrics.CONF.clear_override, 'snapshot_interval',
                        'metrics')
        self.useFixture(fixtures.MockPatchObject(metrics, '_WRITER_PID'))
        self.useFixture(fixtures.MockPatchObject(metrics, '_GC_COUNTS', {}))
        self.addCleanup(self._stop_counting_collections)
        self.useFixture(fixtures.MockPatch('atexit.register'))
        # One write, not one every 0.1 s for the rest of the test run.
        self.writes = self.useFixture(fixtures.MockPatchObject(
            metrics, '_write_every',
            side_effect=lambda directory, interval:
            metrics.write_snapshot(directory))).mock

    @staticmethod
    def _stop_counting_collections():
        if metrics._count_collection in gc.callbacks:
            gc.callbacks.remove(metrics._count_collection)

    def _read(self, pid):
        with open(metrics.snapshot_path(self.dir, pid)) as f:
            return json.load(f)

    def test_first_count_starts_writing_this_process_s_file(self):
        before = metrics.snapshot().get('test_counted', 0)
        metrics.count('test_counted', 3)
        deadline = time.monotonic() + 10
        while not os.path.exists(metrics.snapshot_path(self.dir,
                                                       os.getpid())):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        found = self._read(os.getpid())
        self.assertEqual(os.getpid(), found['pid'])
        self.assertEqual(before + 3, found['counts']['test_counted'])
        metrics.count('test_counted')
        self.writes.assert_called_once_with(self.dir, 0.1)

    def test_a_forked_child_counts_from_zero_in_a_file_of_its_own(self):
        metrics.count('test_forked', 5)
        pid = os.fork()
        if pid == 0:
            try:
                metrics.count('test_forked')
                metrics.write_snapshot(self.dir)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        counts = self._read(pid)['counts']
        self.assertEqual(1, counts.pop('test_forked'))
        self.assertEqual([], [name for name in counts
                              if not name.startswith('gc_')])
        self.assertGreaterEqual(metrics.snapshot()['test_forked'], 5)

    def test_a_writing_process_counts_its_collections(self):
        gc.collect()
        self.assertNotIn('gc_collections_2', metrics.snapshot())
        metrics.count('test_collected')
        gc.collect()
        gc.collect()
        counts = metrics.snapshot()
        self.assertGreaterEqual(counts['gc_collections_2'], 2)
        self.assertGreaterEqual(counts['gc_cpu_us_2'], 0)


class TestHistogram(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.MockPatchObject(
            metrics, '_COUNTS', metrics.collections.Counter()))

    def test_percentiles_of_histograms_added_across_processes(self):
        for value in [0.5] * 50 + [3] * 49 + [1900]:
            metrics.observe('lag', value)
        other = {'lag_le_3.2': 100, 'lag_le_inf': 1, 'lagged': 7}
        counts = metrics.snapshot()
        added = {name: counts.get(name, 0) + other.get(name, 0)
                 for name in set(counts) | set(other)}
        self.assertEqual({'lag_le_1.0': 50, 'lag_le_3.2': 149,
                          'lag_le_1995.3': 1, 'lag_le_inf': 1,
                          'lagged': 7}, added)
        self.assertEqual((1.0, 3.2, 1995.3, float('inf')),
                         tuple(metrics.percentile(added, 'lag', share)
                               for share in (0.2, 0.9, 0.995, 1)))
        self.assertIsNone(metrics.percentile({'lagged': 7}, 'lag', 0.5))
