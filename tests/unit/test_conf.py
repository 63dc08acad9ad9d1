from oslo_config import cfg
from oslo_config import fixture as config_fixture
import testtools

from nova_cassandra.conf import cassandra
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
        [(group, listed)] = opts.list_opts()
        self.assertEqual('cassandra', group.name)
        self.assertEqual({o.dest for o in cassandra.ALL_OPTS},
                         {o.dest for o in listed})
        for opt in listed:
            self.assertTrue(opt.help, opt.dest)
