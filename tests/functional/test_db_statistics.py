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

"""The experiment's recount of table statistics, on the stack's MariaDB."""

from oslo_config import cfg

from nova_cassandra_experiment import db_statistics
from tests.functional import base


class TestRecount(base.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(base.NovaDatabases())

    def test_every_table_a_fleet_fills_is_analyzed(self):
        self.assertEqual(
            {'nova.compute_nodes': 'OK', 'nova.services': 'OK',
             'placement.resource_providers': 'OK',
             'placement.inventories': 'OK', 'placement.consumers': 'OK',
             'placement.allocations': 'OK'},
            db_statistics.recount(cfg.CONF))

    def test_a_table_not_analyzed_is_named(self):
        self.patch(db_statistics, 'NOVA_TABLES',
                   db_statistics.NOVA_TABLES + ('no_such_table',))
        e = self.assertRaises(db_statistics.RecountFailed,
                              db_statistics.recount, cfg.CONF)
        self.assertIn("nova.no_such_table: Table 'nova.no_such_table' "
                      "doesn't exist", str(e))
