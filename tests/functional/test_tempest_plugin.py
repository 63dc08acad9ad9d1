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

"""The tempest plugin, run by tempest against the project's own stack.

``tempest run`` (tempest from PyPI) runs the plugin's concurrent boot
scenario against real nova services started here: nova-api (unchanged,
keystonemiddleware's authtoken in its pipeline) under gunicorn,
nova-conductor, two nova-compute with nova's ``SmallFakeDriver`` and two
nova-scheduler with the Cassandra host manager and claims.  They use the
stack's MariaDB, RabbitMQ, placement and Cassandra, in databases, a vhost
and a keyspace of this run's own.  The stack has no keystone, glance or
neutron: ``nova_cassandra_experiment.standins`` answers the few calls made
to them (tokens, one image, no ports).
"""

import os
import re
import subprocess
import sys
import textwrap
import time
import urllib.parse
import uuid

import fixtures
import requests
import sqlalchemy
from testtools import content

from nova_cassandra_experiment import end_to_end
from nova_cassandra_experiment import processes
from nova_cassandra_experiment import schedulers as schedulers_mod
from nova_cassandra_experiment import standins
from tests.functional import base

COMPUTES = 2
SCHEDULERS = 2
# One server per request: nova places a multi-server request all or
# nothing, so requests of several servers racing for the last room can
# each take part of it and all be refused (seen in CI with 4 requests of 5
# servers for room for 16: every request lost its fifth server).
BOOT_REQUESTS = 20
SERVERS_PER_REQUEST = 1
FLAVOR = {'id': 'nc-tempest', 'name': 'nc-tempest', 'vcpus': 1, 'ram': 512,
          'disk': 1}
READY_TIMEOUT = 120
TEST_ID = ('nova_cassandra_tempest_plugin.tests.scenario.test_concurrent_boot'
           '.ConcurrentBootTest.test_concurrent_boots_stay_within_capacity')

TEMPEST_CONF = """\
[DEFAULT]
log_file = {dir}/tempest.log

[auth]
use_dynamic_credentials = False
test_accounts_file = {dir}/accounts.yaml

[identity]
auth_version = v3
uri_v3 = {identity}/v3

[service_available]
nova = True
nova_cassandra = True
glance = False
neutron = False
cinder = False
swift = False

[compute]
image_ref = {image}
flavor_ref = {flavor}
max_microversion = latest
build_timeout = 120
build_interval = 1

[nova_cassandra]
scheduler_services = {schedulers}
boot_requests = {requests}
servers_per_request = {servers}
"""

ACCOUNTS = """\
- username: demo
  project_name: demo
  password: demo
  roles: [member]
- username: admin
  project_name: admin
  password: admin
  roles: [admin]
"""


def _run(argv, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True,
                            timeout=300, **kwargs)
    if result.returncode:
        raise AssertionError('%s exited %d: %s' % (
            ' '.join(argv), result.returncode, result.stderr[-3000:]))
    return result.stdout


class TestTempestPlugin(base.TestCase):

    TIMEOUT = 600

    def setUp(self):
        super().setUp()
        self.stack = base.nova_conf()
        self.run_id = 'nct%s' % uuid.uuid4().hex[:8]
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.addCleanup(self._attach_logs)
        self.api_url = 'http://127.0.0.1:%d' % end_to_end.free_port()
        self.api = end_to_end.API(self.api_url)
        self.placement_url = self.stack['placement']['endpoint_override']
        self.standins = standins.StandIns(
            {'compute': self.api_url + '/v2.1',
             'placement': self.placement_url})
        self.standins.start()
        self.addCleanup(self.standins.stop)
        self.config_files = [base.NOVA_CONF,
                             os.path.join(self.dir, 'nova-tempest.conf')]
        processes.write_conf(self.config_files[1], self._nova_conf())

    def _attach_logs(self):
        for name in sorted(os.listdir(self.dir)):
            if name.endswith('.log'):
                with open(os.path.join(self.dir, name)) as f:
                    self.addDetail(name, content.text_content(
                        f.read()[-4000:]))

    def _db_url(self, name):
        url = sqlalchemy.engine.make_url(
            self.stack['api_database']['connection'])
        return url.set(database=name)

    def _transport_url(self):
        url = urllib.parse.urlsplit(self.stack['DEFAULT']['transport_url'])
        return urllib.parse.urlunsplit(url._replace(path='/' + self.run_id))

    def _nova_conf(self):
        return dict(self.standins.nova_conf(), **{
            'DEFAULT': {'transport_url': self._transport_url(),
                        'compute_driver': 'fake.SmallFakeDriver',
                        'servicegroup_report_hooks': 'cassandra',
                        'update_resources_interval': 20,
                        'periodic_fuzzy_delay': 0},
            'api_database': {'connection': self._db_url(
                self.run_id + '_api').render_as_string(False)},
            'database': {'connection': self._db_url(
                self.run_id).render_as_string(False)},
            'quota': {'instances': -1, 'cores': -1, 'ram': -1},
            'cassandra': {'keyspace': self.run_id},
            'scheduler': {'host_manager': 'cassandra',
                          'claims_driver': 'cassandra'},
            'filter_scheduler': {'track_instance_changes': False},
            'compute': {'resource_tracker_hooks': 'cassandra'},
            'oslo_concurrency': {'lock_path': os.path.join(self.dir,
                                                           'lock')},
        })

    def _manage(self, command, *args):
        argv = [processes.venv_command(command)]
        for path in self.config_files:
            argv += ['--config-file', path]
        return _run(argv + list(args))

    def _create_databases(self):
        engine = sqlalchemy.create_engine(self._db_url(None))
        self.addCleanup(engine.dispose)
        for name in ('_api', '_cell0', ''):
            database = self.run_id + name
            with engine.begin() as connection:
                connection.exec_driver_sql(
                    'CREATE DATABASE `%s` CHARACTER SET utf8mb4' % database)
            self.addCleanup(self._drop_database, engine, database)
        self._manage('nova-manage', 'api_db', 'sync')
        self._manage('nova-manage', 'cell_v2', 'map_cell0',
                     '--database_connection', self._db_url(
                         self.run_id + '_cell0').render_as_string(False))
        self._manage('nova-manage', 'db', 'sync')
        self._manage('nova-manage', 'cell_v2', 'create_cell',
                     '--name', 'cell1')

    @staticmethod
    def _drop_database(engine, database):
        with engine.begin() as connection:
            connection.exec_driver_sql('DROP DATABASE `%s`' % database)

    def _rabbitmqctl(self, *args):
        script = ('source tools/lib/common && source tools/lib/rabbitmq && '
                  'rabbitmqctl_local "$@"')
        _run(['bash', '-c', script, 'rabbitmqctl'] + list(args),
             cwd=base.REPO_DIR)

    def _create_vhost(self):
        user = urllib.parse.urlsplit(self._transport_url()).username
        self._rabbitmqctl('add_vhost', self.run_id)
        self.addCleanup(self._rabbitmqctl, 'delete_vhost', self.run_id)
        self._rabbitmqctl('set_permissions', '-p', self.run_id, user,
                          '.*', '.*', '.*')

    def _placement(self, method, path):
        response = requests.request(
            method, self.placement_url + path, timeout=30,
            headers={'X-Auth-Token': self.stack['placement']['token'],
                     'OpenStack-API-Version': 'placement 1.14'})
        response.raise_for_status()
        return response.json() if response.content else None

    def _our_providers(self):
        return [rp['uuid'] for rp in self._placement(
            'GET', '/resource_providers')['resource_providers']
            if rp['name'].startswith(self.run_id)]

    def _delete_providers(self):
        for rp in self._our_providers():
            for consumer in self._placement(
                    'GET', '/resource_providers/%s/allocations'
                    % rp)['allocations']:
                self._placement('DELETE', '/allocations/%s' % consumer)
            self._placement('DELETE', '/resource_providers/%s' % rp)

    def _status(self, line):
        """The count ``nova-cassandra-manage status`` gives on ``line``."""
        status = self._manage('nova-cassandra-manage', 'status')
        return int(status.split(line + ':')[1].split()[0])

    def _start_services(self, group):
        def start(name, command, conf=None):
            group.start(processes.Process(
                name, command, self.config_files, conf or {}, self.dir))

        start('conductor', [processes.venv_command('nova-conductor')],
              {'DEFAULT': {'host': self.run_id + '-conductor'},
               'conductor': {'workers': 1}})
        for i in range(COMPUTES):
            host = '%s-compute-%d' % (self.run_id, i)
            start(host, [processes.venv_command('nova-compute')],
                  {'DEFAULT': {'host': host, 'state_path': os.path.join(
                      self.dir, host)}})
        start('api', [sys.executable, '-m',
                      'nova_cassandra_experiment.nova_api',
                      '--bind', self.api_url.split('//')[1]])
        group.wait_for('%d compute providers in placement' % COMPUTES,
                       lambda: len(self._our_providers()) == COMPUTES,
                       READY_TIMEOUT)
        self._manage('nova-manage', 'cell_v2', 'discover_hosts')
        group.wait_for('%d host rows in Cassandra' % COMPUTES,
                       lambda: self._status('Host rows') == COMPUTES,
                       READY_TIMEOUT)
        # nova-compute's reports to the service group, through the hook.
        group.wait_for('%d heartbeats in Cassandra' % COMPUTES,
                       lambda: self._status('Heartbeats') == COMPUTES,
                       READY_TIMEOUT)
        group.wait_for('nova-api', self.api.answers, READY_TIMEOUT)

    def _tempest(self):
        workspace = os.path.join(self.dir, 'tempest')
        tempest = processes.venv_command('tempest')
        _run([tempest, 'init', '--name', self.run_id, '--workspace-path',
              os.path.join(self.dir, 'workspace.yaml'), workspace])
        with open(os.path.join(workspace, 'accounts.yaml'), 'w') as f:
            f.write(ACCOUNTS)
        with open(os.path.join(workspace, 'etc', 'tempest.conf'), 'w') as f:
            f.write(TEMPEST_CONF.format(
                dir=workspace, identity=self.standins.catalog['identity'],
                image=standins.IMAGE_ID, flavor=FLAVOR['id'],
                schedulers=SCHEDULERS, requests=BOOT_REQUESTS,
                servers=SERVERS_PER_REQUEST))
        return subprocess.run(
            [tempest, 'run', '--concurrency', '1', '--regex',
             '^nova_cassandra_tempest_plugin\\.'],
            cwd=workspace, capture_output=True, text=True, timeout=400)

    def test_concurrent_boot_scenario_passes_on_our_stack(self):
        self._create_databases()
        self._create_vhost()
        self.addCleanup(base.cassandra_keyspace_drop, self.run_id)
        self._manage('nova-cassandra-manage', 'db', 'sync')
        self.addCleanup(self._delete_providers)
        group = processes.ProcessGroup()
        self.addCleanup(group.stop)
        self._start_services(group)
        schedulers = schedulers_mod.Schedulers(
            SCHEDULERS, self.config_files,
            {'filter_scheduler': {'track_instance_changes': False}},
            self.dir, self._transport_url())
        self.addCleanup(schedulers.stop)
        schedulers.start_all([], 0, READY_TIMEOUT)
        self.api.call('POST', '/flavors', json={'flavor': FLAVOR})

        started = time.monotonic()
        result = self._tempest()
        elapsed = time.monotonic() - started
        output = result.stdout + result.stderr
        # Quoted: tempest's own stestr totals, printed with this test's
        # details when it fails, are not the suite's (tools/run-tests.sh).
        quoted = textwrap.indent(output, '| ')
        self.addDetail('tempest', content.text_content(
            '%s\n(tempest run: %.0f s)' % (quoted, elapsed)))
        self.assertEqual(0, result.returncode,
                         'tempest run failed; calls the stand-ins did not '
                         'serve: %s' % self.standins.unexpected)
        self.assertIn(TEST_ID, output)
        self.assertIn('Passed: 1', output)
        self.assertIn('Skipped: 0', output)
        self.assertEqual([], self.standins.unexpected)
        # Capacity is 16 servers (2 nodes of 2 vCPUs at ratio 4.0): the
        # schedulers raced for the last room, and some requests found none.
        with open(os.path.join(self.dir, 'tempest', 'tempest.log')) as f:
            summary = re.search(r'(\d+) servers from \d+ requests: ACTIVE '
                                r'per node (\{.*\}), (\d+) ERROR', f.read())
        self.addDetail('summary', content.text_content(summary.group(0)))
        self.assertGreater(int(summary.group(3)), 0)
        group.check_alive()
        schedulers.check_alive()
