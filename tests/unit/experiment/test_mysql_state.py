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

import types

import testtools

from nova_cassandra_experiment import mysql_state
from nova_cassandra_experiment import presets

CONF = types.SimpleNamespace(api_database=types.SimpleNamespace(
    connection='mysql+pymysql://nova:pw@127.0.0.1:3306/nova_api'
               '?charset=utf8mb4'))


def _setup(name):
    setup, = [s for s in presets.SETUPS if s.name == name]
    return setup


class TestMySQLSetups(testtools.TestCase):

    def test_one_and_four_shards_on_the_mysql_entry_points(self):
        for name, shards in (('mysql-1', 1), ('mysql-4', 4)):
            setup = _setup(name)
            self.assertEqual(('mysql',), setup.services)
            self.assertEqual({'host_manager': 'mysql',
                              'claims_driver': 'mysql'},
                             setup.scheduler_conf['scheduler'])
            self.assertEqual('mysql', setup.compute_conf['compute'][
                'resource_tracker_hooks'])
            self.assertEqual('mysql', setup.compute_conf['DEFAULT'][
                'servicegroup_report_hooks'])
            for overrides in (setup.scheduler_conf, setup.compute_conf):
                self.assertEqual(shards, overrides['mysql_store']['shards'])

    def test_bind_gives_every_process_the_experiment_database(self):
        setup = mysql_state.bind(_setup('mysql-4'), CONF)
        url = ('mysql+pymysql://nova:pw@127.0.0.1:3306/'
               'nova_cassandra_experiment?charset=utf8mb4')
        for overrides in (setup.scheduler_conf, setup.compute_conf):
            self.assertEqual(url, overrides['mysql_store']['connection'])
            self.assertEqual(4, overrides['mysql_store']['shards'])
        self.assertNotIn('connection',
                         _setup('mysql-4').scheduler_conf['mysql_store'])

    def test_bind_leaves_other_setups_alone(self):
        cassandra = _setup('cassandra')
        self.assertIs(cassandra, mysql_state.bind(cassandra, CONF))
