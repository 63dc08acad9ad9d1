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

import testtools

from nova_cassandra_experiment import projection

# Measured on one run of stock at K = 1, 100 hosts (ms per placement).
STOCK = {'cassandra': 40.0, 'driver': 5.0, 'fleet': 17.0, 'mariadb': 17.0,
         'placement': 83.0, 'rabbitmq': 4.0, 'schedulers': 55.0}


class TestProjection(testtools.TestCase):

    def test_the_least_served_group_is_the_bottleneck(self):
        # One scheduler: 1000 / 55 ms; placement on 8 cores: 8000 / 83.
        self.assertEqual((1000 / 55.0, 'schedulers'),
                         projection.project(STOCK, 1))
        self.assertEqual((8000 / 83.0, 'placement'),
                         projection.project(STOCK, 64))

    def test_the_fleet_and_the_driver_limit_nothing(self):
        rate, bottleneck = projection.project({'fleet': 500.0,
                                               'driver': 500.0,
                                               'schedulers': 10.0}, 2)
        self.assertEqual((200.0, 'schedulers'), (rate, bottleneck))

    def test_rows_use_each_set_up_s_run_with_the_most_schedulers(self):
        runs = [
            {'setup': 'stock', 'hosts': 100, 'schedulers': 1, 'placed': 9,
             'cpu_ms_per_placement': {'schedulers': 1000.0}},
            {'setup': 'stock', 'hosts': 100, 'schedulers': 4, 'placed': 9,
             'cpu_ms_per_placement': STOCK},
            # Placed nothing: no CPU per placement to speak of.
            {'setup': 'cassandra', 'hosts': 100, 'schedulers': 8,
             'placed': 0, 'cpu_ms_per_placement': {}},
        ]
        rows = projection.table_rows(runs, scheduler_counts=(4, 64))
        self.assertEqual(2, len(rows))
        self.assertEqual(('stock', '100', '4', '73/s schedulers',
                          '96/s placement'), rows[1])

    def test_cassandra_limits_only_the_set_ups_that_use_it(self):
        cpu = dict(STOCK, cassandra=500.0)
        runs = [dict(setup=setup, hosts=100, schedulers=8, placed=9,
                     cpu_ms_per_placement=cpu)
                for setup in ('stock', 'cassandra')]
        rows = projection.table_rows(runs, scheduler_counts=(8,))
        self.assertEqual({'stock': '96/s placement',
                          'cassandra': '16/s cassandra'},
                         {row[0]: row[3] for row in rows[1:]})
