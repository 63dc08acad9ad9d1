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

"""The devstack plugin's phases, run by devstack's own code.

``devstack_real.sh`` sources a devstack checkout (``DEVSTACK_DIR``, by
default the snapshot in the shared folder beside this checkout) and runs
the phases as stack.sh, unstack.sh and clean.sh do; its overrides block
names what stands in for what cannot exist here (systemd, sudo, /etc/nova,
pip and tempest, which need the network).  Cassandra really starts, on
127.0.0.9 beside the stack's own node, nova's config files (under a
temporary DEST) are really edited and read back with devstack's
``iniget``, and the keyspace is really created.
"""

import configparser
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys

import fixtures
import nova

from nova_cassandra.patching import series
from nova_cassandra.store.cassandra import schema
from tests.functional import base

ADDRESS = '127.0.0.9'
HARNESS = os.path.join(os.path.dirname(__file__), 'devstack_real.sh')
MANAGE = os.path.join(os.path.dirname(sys.executable), 'nova-cassandra-manage')


def _devstack_dir():
    """``DEVSTACK_DIR``, else the shared snapshot beside this checkout.

    A clone made elsewhere (``git clone . /tmp/ci``) looks beside the
    checkout it was cloned from too.
    """
    if 'DEVSTACK_DIR' in os.environ:
        return os.environ['DEVSTACK_DIR']
    checkouts = [base.REPO_DIR]
    origin = subprocess.run(
        ['git', '-C', base.REPO_DIR, 'config', '--get', 'remote.origin.url'],
        capture_output=True, text=True).stdout.strip()
    if os.path.isdir(origin):
        checkouts.append(os.path.abspath(origin))
    candidates = [os.path.join(os.path.dirname(checkout), 'shared',
                               'devstack') for checkout in checkouts]
    for candidate in candidates:
        if os.path.isfile(os.path.join(candidate, 'functions')):
            return candidate
    return candidates[0]


def _listening(address, port):
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((address, port)) == 0


class TestDevstackPlugin(base.TestCase):

    TIMEOUT = 600

    def setUp(self):
        super().setUp()
        self.devstack_dir = _devstack_dir()
        if not os.path.isfile(os.path.join(self.devstack_dir, 'functions')):
            self.fail('no devstack checkout at %s: the snapshot lives in the '
                      'shared folder beside this checkout or the one it was '
                      'cloned from (../shared/devstack); else git clone '
                      'https://opendev.org/openstack/devstack and set '
                      'DEVSTACK_DIR to it'
                      % self.devstack_dir)
        self.dest = self.useFixture(fixtures.TempDir()).path
        # Where fetch_plugins would have cloned the plugin.
        os.symlink(base.REPO_DIR, os.path.join(self.dest, 'nova-cassandra'))
        self.nova_conf = os.path.join(self.dest, 'etc', 'nova', 'nova.conf')
        self.cpu_conf = os.path.join(self.dest, 'etc', 'nova',
                                     'nova-cpu.conf')
        self.cell_conf = os.path.join(self.dest, 'etc', 'nova',
                                      'nova_cell1.conf')
        self.tempest_conf = os.path.join(self.dest, 'tempest', 'etc',
                                         'tempest.conf')
        self.env = dict(
            PATH=os.environ['PATH'], HOME=os.environ['HOME'],
            DEVSTACK_DIR=self.devstack_dir, DEST=self.dest,
            DEVSTACK_VENV=sys.prefix, HOST_IP=ADDRESS, CASSANDRA_HEAP='512M',
            NC_CACHE_DIR=os.path.expanduser('~/.cache/nova-cassandra'))
        self.addCleanup(self._kill_cassandra)
        self.addCleanup(self._run, 'clean')

    def _run(self, *args, **env):
        """Run ``devstack_real.sh *args``; the output when it failed."""
        result = subprocess.run(['bash', HARNESS] + list(args),
                                env=dict(self.env, **env),
                                capture_output=True, text=True, timeout=500)
        self.assertEqual(0, result.returncode,
                         result.stdout[-2000:] + result.stderr[-3000:])
        return result

    def _iniget(self, path, *options):
        """``{(section, option): value}`` as devstack's iniget reads them."""
        script = ('source "$1/functions"; file=$2; shift 2; '
                  'while (($#)); do iniget "$file" "$1" "$2"; shift 2; done')
        args = [arg for option in options for arg in option]
        result = subprocess.run(
            ['bash', '-c', script, 'iniget', self.devstack_dir, path] + args,
            capture_output=True, text=True, check=True, timeout=60)
        return dict(zip(options, result.stdout.split('\n')))

    def _kill_cassandra(self):
        """Kill the node a broken unstack or clean phase left running."""
        pidfile = os.path.join(self.dest, 'status',
                               'devstack@n-cassandra.service.pid')
        try:
            with open(pidfile) as f:
                os.kill(int(f.read()), signal.SIGKILL)
        except (OSError, ValueError):
            pass

    def _nova_tree(self):
        """devstack's nova checkout: the installed nova, series reverted."""
        site = os.path.dirname(os.path.dirname(nova.__file__))
        tree = os.path.join(self.dest, 'nova')
        ignore = shutil.ignore_patterns('__pycache__')
        shutil.copytree(os.path.join(site, 'nova'),
                        os.path.join(tree, 'nova'), ignore=ignore)
        dist_info = 'nova-%s.dist-info' % series.NOVA_VERSION
        for path in glob.glob(os.path.join(site, dist_info)):
            shutil.copytree(path, os.path.join(tree, dist_info))
        subprocess.run([MANAGE, 'patches', 'revert', '--nova-path', tree],
                       capture_output=True, check=True, timeout=120)

    def _nova_confs(self):
        """nova's config files as devstack has them by post-config.

        nova.conf with the stack's databases (extra runs once nova does),
        nova-cpu.conf as an earlier run left it, a copy of nova.conf, and
        the cell conductor's nova_cell1.conf (devstack's superconductor
        default).
        """
        stack = base.nova_conf()
        conf = configparser.ConfigParser(interpolation=None)
        for section in ('database', 'api_database'):
            conf[section] = {'connection': stack[section]['connection']}
        os.makedirs(os.path.dirname(self.nova_conf))
        for path in (self.nova_conf, self.cpu_conf, self.cell_conf):
            with open(path, 'w') as f:
                conf.write(f)

    def test_stack_unstack_clean(self):
        self._nova_tree()
        self._nova_confs()

        result = self._run('stack')
        with open(os.path.join(self.dest, 'pip_install.log')) as f:
            self.assertEqual(['-e %s/%s' % (self.dest, project)
                              for project in ('nova-cassandra', 'nova')],
                             f.read().splitlines())
        self.assertIn('Applied the patch series to nova %s'
                      % series.NOVA_VERSION, result.stdout)
        self.assertTrue(_listening(ADDRESS, 9042))
        self.assertRegex(result.stdout,
                         r'Created \d+ host rows; \d+ nodes already had one')

        computes = {
            ('cassandra', 'contact_points'): ADDRESS,
            ('cassandra', 'keyspace'): 'nova_cassandra',
            ('compute', 'resource_tracker_hooks'): 'cassandra',
            ('DEFAULT', 'servicegroup_report_hooks'): 'cassandra',
            ('DEFAULT', 'update_resources_interval'): '20',
            ('DEFAULT', 'periodic_fuzzy_delay'): '0',
        }
        self.assertEqual(computes, self._iniget(self.cpu_conf, *computes))
        schedulers = {
            ('scheduler', 'host_manager'): 'cassandra',
            ('scheduler', 'claims_driver'): 'cassandra',
            ('scheduler', 'workers'): '2',
            ('filter_scheduler', 'track_instance_changes'): 'False',
            **computes,
        }
        self.assertEqual(schedulers, self._iniget(self.nova_conf, *schedulers))
        conductors = {
            ('cassandra', 'contact_points'): ADDRESS,
            ('cassandra', 'keyspace'): 'nova_cassandra',
            ('scheduler', 'claims_driver'): 'cassandra',
        }
        self.assertEqual(conductors, self._iniget(self.cell_conf, *conductors))
        tempest = {
            ('compute', 'min_compute_nodes'): '1',
            ('compute-feature-enabled', 'scheduler_enabled_filters'): 'all',
            ('service_available', 'nova_cassandra'): 'True',
            ('nova_cassandra', 'scheduler_services'): '1',
            ('nova_cassandra', 'boot_requests'): '4',
        }
        self.assertEqual(tempest, self._iniget(self.tempest_conf, *tempest))

        status = subprocess.run(
            [MANAGE, '--config-file', self.nova_conf, 'status'],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(0, status.returncode, status.stderr)
        self.assertIn('Schema version: %d' % schema.LATEST, status.stdout)

        self._run('unstack')
        self.assertFalse(_listening(ADDRESS, 9042))

        self._run('clean')
        self.assertFalse(os.path.exists(
            os.path.join(self.dest, 'data', 'nova-cassandra')))

    def test_test_config_without_tempest(self):
        self._run('stack', 'test-config', ENABLED_SERVICES='')
        self.assertFalse(os.path.exists(self.tempest_conf))
