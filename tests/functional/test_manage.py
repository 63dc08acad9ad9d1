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

"""``nova-cassandra-manage`` as a deployer runs it, on the real cluster.

Its refusals of bad options are in ``test_bad_input``.
"""

import os
import subprocess
import sys
import uuid

import fixtures

from nova_cassandra.store.cassandra import schema
from tests.functional import base


class TestManage(base.TestCase):

    def _manage(self, options, *command):
        config = self.useFixture(fixtures.TempDir()).join('nova.conf')
        with open(config, 'w') as f:
            f.write('[cassandra]\n%s\n' % options)
        manage = os.path.join(os.path.dirname(sys.executable),
                              'nova-cassandra-manage')
        return subprocess.run([manage, '--config-file', config]
                              + list(command),
                              capture_output=True, text=True, timeout=60)

    def test_sync_version_status_on_a_new_keyspace(self):
        keyspace = 'manage_%s' % uuid.uuid4().hex[:12]
        options = 'keyspace = %s' % keyspace
        before = self._manage(options, 'status')
        self.assertEqual(1, before.returncode)
        self.assertIn("Keyspace '%s' does not exist" % keyspace, before.stderr)

        sync = self._manage(options, 'db', 'sync')
        self.assertEqual(0, sync.returncode, sync.stderr)
        self.assertIn('Applied schema migrations: %s' % ', '.join(
            str(m.version) for m in schema.MIGRATIONS), sync.stdout)
        self.addCleanup(base.cassandra_keyspace_drop, keyspace)

        version = self._manage(options, 'db', 'version')
        self.assertEqual(str(schema.LATEST), version.stdout.strip())

        status = self._manage(options, 'status')
        self.assertEqual(0, status.returncode, status.stderr)
        self.assertIn('Cassandra 5.0', status.stdout)
        self.assertIn("'replication_factor': '1'", status.stdout)
        self.assertIn('Host rows:      0', status.stdout)
        self.assertIn('Heartbeats:     0 compute service(s)\n', status.stdout)
