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

from oslo_config import cfg
from oslo_config import fixture as config_fixture
import testtools

from nova_cassandra.conf import cassandra
from nova_cassandra.conf import mysql
from nova_cassandra.conf import opts


class TestCassandraOptions(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(
            config_fixture.Config(cfg.ConfigOpts())).conf
        cassandra.register_opts(self.conf)

    def test_defaults_are_a_local_single_node(self):
        group = self.conf.cassandra
        self.assertEqual(['127.0.0.1'], group.contact_points)
        self.assertEqual(9042, group.port)
        self.assertEqual('LOCAL_ONE', group.read_consistency)
        self.assertEqual('SERIAL', group.serial_consistency)

    def test_bad_consistency_level_is_rejected(self):
        self.assertRaises(ValueError, self.conf.set_override,
                          'read_consistency', 'MOST', 'cassandra')

    def test_serial_level_must_be_serial(self):
        self.assertRaises(ValueError, self.conf.set_override,
                          'serial_consistency', 'QUORUM', 'cassandra')

    def test_keyspace_must_be_a_cql_identifier(self):
        for bad in ('a;drop', '1abc', 'a' * 49, 'ks-name', ''):
            self.assertRaises(ValueError, self.conf.set_override,
                              'keyspace', bad, 'cassandra')

    def test_list_opts_covers_every_option(self):
        listed = {group.name: opts for group, opts in opts.list_opts()}
        self.assertEqual({'cassandra', 'mysql_store', 'metrics'},
                         set(listed))
        self.assertEqual({o.dest for o in cassandra.ALL_OPTS},
                         {o.dest for o in listed['cassandra']})
        self.assertEqual({o.dest for o in mysql.ALL_OPTS},
                         {o.dest for o in listed['mysql_store']})
        for group_opts in listed.values():
            for opt in group_opts:
                self.assertTrue(opt.help, opt.dest)


class TestMySQLStoreOptions(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(
            config_fixture.Config(cfg.ConfigOpts())).conf
        mysql.register_opts(self.conf)

    def test_one_shard_and_no_connection_by_default(self):
        self.assertEqual(1, self.conf.mysql_store.shards)
        self.assertIsNone(self.conf.mysql_store.connection)

    def test_claim_options_as_for_cassandra(self):
        self.assertEqual(300, self.conf.mysql_store.claim_ttl)
        self.assertEqual('sync', self.conf.mysql_store.placement_allocations)

    def test_shards_must_be_positive(self):
        self.assertRaises(ValueError, self.conf.set_override,
                          'shards', 0, 'mysql_store')
