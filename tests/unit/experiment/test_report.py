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

import os

import fixtures
import testtools

from nova_cassandra_experiment import report


def _run(setup, k, rate, p99):
    return {'setup': setup, 'hosts': 50, 'schedulers': k, 'requests': 100,
            'placed': 95, 'placements_per_s': rate,
            'latency': {'p50_ms': 10.0, 'p95_ms': 20.0, 'p99_ms': p99},
            'claims': {'generation_conflicts': 2, 'capacity_conflicts': 1,
                       'out_of_retries': 0},
            'computes_down': 3,
            'novalidhost_true': 5, 'novalidhost_expected': 5,
            'novalidhost_false': 0, 'capacity_violations': [], 'errors': 0,
            'cpu_ms_per_placement': {'schedulers': 12.5, 'placement': 3.0,
                                     'cassandra': None},
            'cpu_unaccounted_share': 0.042}


class TestRunsReport(testtools.TestCase):

    RUNS = [_run('stock', 1, 20.0, 90.0), _run('stock', 2, 25.5, 150.0)]

    def test_runs_table(self):
        lines = report.runs_table(self.RUNS).splitlines()
        self.assertEqual(3, len(lines))
        self.assertIn('place/s', lines[0])
        self.assertEqual(['stock', '50', '2', '95/100', '25.5', '10', '20',
                          '150', '2', '1', '3', '5', '(5', 'by', 'design)',
                          '0',
                          '0', '0', '-', '-', '-', '-'], lines[2].split())

    def test_per_request_counts_of_the_plugin(self):
        run = dict(self.RUNS[0], setup='cassandra', per_request={
            'rows_read': 0.5, 'view_rows_read': 2.0, 'candidates': 50.0,
            'host_states_built': 12.25, 'claims': 0.9,
            'gc_collections_0': 3.0, 'gc_cpu_us_0': 120.0,
            'gc_cpu_us_2': 1500.5})
        self.assertEqual(['2.5', '12.2', '50.0', '1.62'],
                         report.runs_table([run]).splitlines()[1].split()[-4:])

    def test_cpu_table(self):
        runs = [dict(self.RUNS[0], yardstick_ms=15.24), self.RUNS[1]]
        lines = report.cpu_table(runs).splitlines()
        self.assertEqual(['set-up', 'hosts', 'K', 'cassandra', 'placement',
                          'schedulers', 'total', 'unaccounted', 'yardstick',
                          'ms'], lines[0].split())
        self.assertEqual(['stock', '50', '1', '-', '3.0', '12.5', '15.5',
                          '4%', '15.2'], lines[1].split())
        # A run recorded before the yardstick existed.
        self.assertEqual('-', lines[2].split()[-1])

    def test_mirror_table_one_row_per_run_that_writes_placement(self):
        mirror = {'claims_without_allocation': 0,
                  'allocations_without_claim': 1, 'queued': 95,
                  'written': 95, 'failed': 0, 'retries': 2, 'cancelled': 0,
                  'posts': 40,
                  'lag_p50_ms': 12.6, 'lag_p99_ms': 50.1}
        runs = [dict(self.RUNS[0], setup='cassandra-async', mirror=mirror),
                dict(self.RUNS[1], setup='cassandra',
                     mirror=dict(mirror, lag_p50_ms=None, lag_p99_ms=None)),
                self.RUNS[0]]
        lines = report.mirror_table(runs).splitlines()
        self.assertEqual(3, len(lines))
        self.assertEqual(['cassandra-async', '50', '1', '0', '1', '95', '40',
                          '2', '0', '13', '50'], lines[1].split())
        self.assertEqual(['-', '-'], lines[2].split()[-2:])
        self.assertEqual('', report.mirror_table(self.RUNS))

    def test_visibility_table_one_row_per_fleet(self):
        figures = {'count': 50, 'p50_ms': 4.25, 'p99_ms': 12.0,
                   'read_ms': 3.5}
        runs = [dict(self.RUNS[0], setup='cassandra', visibility=figures),
                dict(self.RUNS[1], setup='cassandra', visibility=figures),
                self.RUNS[0]]
        lines = report.visibility_table(runs).splitlines()
        self.assertEqual(2, len(lines))
        self.assertEqual(['cassandra', '50', '50', '4.2', '12.0', '3.5'],
                         lines[1].split())
        self.assertEqual('', report.visibility_table(self.RUNS))

    def test_reads_table_with_cpu_against_stock_host_manager(self):
        figures = {'p50_ms': 1.0, 'p99_ms': 2.0, 'rows_per_request': 1.0}
        results = [
            dict(figures, manager='HostManager', hosts=100, cpu_ms=40.0),
            dict(figures, manager='nova-cassandra', hosts=100, cpu_ms=10.0),
            dict(figures, manager='nova-cassandra', hosts=1000, cpu_ms=5.0)]
        lines = report.reads_table(results).splitlines()
        self.assertEqual(4, len(lines))
        self.assertEqual('x4.0 less', lines[2].split(None, 6)[-1].strip())
        # No stock figure at 1000 hosts: no ratio.
        self.assertEqual('-', lines[3].split()[-1])

    def test_claims_table(self):
        latency = {'count': 10, 'p50_ms': 4.0, 'p99_ms': 9.5}
        figure = {'store': 'mysql-4', 'scenario': 'hot', 'nodes': 4,
                  'schedulers': 8,
                  'placed': 400, 'requests': 400, 'claims_per_s': 123.45,
                  'conflict_rate': 0.125, 'counters': {'gave_up': 2},
                  'latency': {'claim': latency, 'read': latency,
                              'cas': latency},
                  'offenders': ['node x: VCPU over capacity']}
        lines = report.claims_table([figure]).splitlines()
        self.assertEqual(['mysql-4', 'hot', '4', '8', '400/400', '123.5',
                          '12.5%', '2',
                          '4.0', '9.5', '4.0', '4.0', '9.5', '1'],
                         lines[1].split())

    def test_plot_is_written(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'p.png')
        report.write_runs_plot(self.RUNS, 'test', path)
        with open(path, 'rb') as f:
            self.assertEqual(b'\x89PNG', f.read(4))


class TestEndToEndReport(testtools.TestCase):

    def test_one_row_per_setup(self):
        passes = [{'setup': 'cassandra', 'servers': 20, 'fit': 14,
                   'active': 14, 'novalidhost_true': 6,
                   'novalidhost_false': 0, 'capacity_violations': [],
                   'store_offenders': [{'node': 'n'}],
                   'missing_allocations': 0, 'errors': 0,
                   'boot_seconds': 12.34, 'delete_seconds': 5.0,
                   'leaked_allocations': 0, 'leaked_claims': 1}]
        lines = report.end_to_end_table(passes).splitlines()
        self.assertEqual(2, len(lines))
        self.assertEqual(['cassandra', '14/20', '(14', 'fit)', '6', '0', '1',
                          '0', '0', '12.3', '5.0', '0', 'allocations,', '1',
                          'claims'], lines[1].split())
