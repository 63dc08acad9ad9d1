"""The devstack plugin's phases, run for real under a devstack stand-in.

``devstack_harness.sh`` provides the devstack functions plugin.sh calls;
Cassandra really starts (on 127.0.0.9, beside the stack's own node), nova's
config files are really edited and the keyspace really created.  To run the
phases under a real devstack instead, see README "Using with devstack".
"""

import configparser
import os
import socket
import subprocess
import sys

import fixtures

from nova_cassandra.store import schema
from tests.functional import base

ADDRESS = '127.0.0.9'


def _listening(address, port):
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((address, port)) == 0


class TestDevstackPlugin(base.TestCase):

    TIMEOUT = 400

    def setUp(self):
        super().setUp()
        self.dest = self.useFixture(fixtures.TempDir()).path
        self.data = os.path.join(self.dest, 'data')
        os.makedirs(self.data)
        self.nova_conf = os.path.join(self.dest, 'nova.conf')
        self.cpu_conf = os.path.join(self.dest, 'nova-cpu.conf')
        self.tempest_conf = os.path.join(self.dest, 'tempest.conf')
        for path in (self.nova_conf, self.cpu_conf, self.tempest_conf):
            open(path, 'w').close()
        self.env = dict(
            os.environ, DEST=self.dest, DATA_DIR=self.data,
            NOVA_CASSANDRA_DIR=base.REPO_DIR, NOVA_CONF=self.nova_conf,
            NOVA_CPU_CONF=self.cpu_conf, TEMPEST_CONFIG=self.tempest_conf,
            SERVICE_LISTEN_ADDRESS=ADDRESS, CASSANDRA_HEAP='512M',
            NC_CACHE_DIR=os.path.expanduser('~/.cache/nova-cassandra'),
            PATH=os.path.dirname(sys.executable) + ':' + os.environ['PATH'])
        self.addCleanup(self._phase, 'clean')

    def _phase(self, *phase):
        harness = os.path.join(os.path.dirname(__file__),
                               'devstack_harness.sh')
        return subprocess.run(['bash', harness] + list(phase), env=self.env,
                              capture_output=True, text=True, timeout=300)

    def _ini(self, path):
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(path)
        return parser

    def test_post_config_starts_cassandra_and_switches_nova_over(self):
        result = self._phase('stack', 'post-config')
        self.assertEqual(0, result.returncode, result.stderr[-3000:])
        self.assertTrue(_listening(ADDRESS, 9042))

        nova = self._ini(self.nova_conf)
        self.assertEqual('cassandra', nova['scheduler']['host_manager'])
        self.assertEqual('cassandra', nova['scheduler']['claims_driver'])
        self.assertEqual('2', nova['scheduler']['workers'])
        self.assertEqual('False',
                         nova['filter_scheduler']['track_instance_changes'])
        self.assertEqual(ADDRESS, nova['cassandra']['contact_points'])
        cpu = self._ini(self.cpu_conf)
        self.assertEqual('cassandra',
                         cpu['compute']['resource_tracker_hooks'])
        self.assertEqual('cassandra',
                         cpu['DEFAULT']['servicegroup_report_hooks'])
        self.assertEqual('20', cpu['DEFAULT']['update_resources_interval'])
        self.assertEqual('0', cpu['DEFAULT']['periodic_fuzzy_delay'])

        status = subprocess.run(
            [os.path.join(os.path.dirname(sys.executable),
                          'nova-cassandra-manage'),
             '--config-file', self.nova_conf, 'status'],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(0, status.returncode, status.stderr)
        self.assertIn('Schema version: %d' % schema.LATEST, status.stdout)

        # extra runs once nova does: the stack's nova databases stand in.
        stack = base.nova_conf()
        nova['api_database'] = stack['api_database']
        nova['database'] = stack['database']
        with open(self.nova_conf, 'w') as f:
            nova.write(f)
        result = self._phase('stack', 'extra')
        self.assertEqual(0, result.returncode, result.stderr[-3000:])
        self.assertRegex(result.stdout,
                         r'Created \d+ host rows; \d+ nodes already had one')

        result = self._phase('stack', 'test-config')
        self.assertEqual(0, result.returncode, result.stderr[-3000:])
        tempest = self._ini(self.tempest_conf)
        self.assertEqual('True',
                         tempest['service_available']['nova_cassandra'])
        self.assertEqual('1', tempest['nova_cassandra']['scheduler_services'])
        self.assertEqual('4', tempest['nova_cassandra']['boot_requests'])

        result = self._phase('unstack')
        self.assertEqual(0, result.returncode, result.stderr[-3000:])
        self.assertFalse(_listening(ADDRESS, 9042))

        result = self._phase('clean')
        self.assertEqual(0, result.returncode, result.stderr[-3000:])
        self.assertFalse(os.path.exists(os.path.join(self.data,
                                                     'nova-cassandra')))
