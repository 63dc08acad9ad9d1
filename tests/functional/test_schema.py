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

"""Schema migrations and the version check on a real Cassandra."""

import time
import uuid

from nova_cassandra import exception
from nova_cassandra.store.cassandra import changes
from nova_cassandra.store.cassandra import hosts
from nova_cassandra.store.cassandra import schema
from tests.functional import base
from tests.functional import test_claims


class TestSchema(base.TestCase):

    def setUp(self):
        super().setUp()
        self.ks = self.useFixture(base.CassandraKeyspace())

    def _sync(self):
        return schema.sync(self.ks.session, self.ks.keyspace,
                           self.ks.conf.cassandra.replication)

    def test_synced_keyspace_is_at_latest(self):
        self.assertEqual(schema.LATEST,
                         schema.version(self.ks.session, self.ks.keyspace))
        schema.check(self.ks.session, self.ks.keyspace)
        tables = self.ks.session.cluster.metadata.keyspaces[
            self.ks.keyspace].tables
        self.assertIn('compute_nodes', tables)

    def test_sync_is_idempotent(self):
        self.assertEqual([], self._sync())

    def test_schema_newer_than_code(self):
        self.ks.session.execute(
            'INSERT INTO %s.schema_migrations (version, description) '
            "VALUES (%d, 'from the future')"
            % (self.ks.keyspace, schema.LATEST + 1))
        e = self.assertRaises(exception.SchemaVersionMismatch, schema.check,
                              self.ks.session, self.ks.keyspace)
        self.assertIn('upgrade nova-cassandra', str(e))
        self.assertRaises(exception.SchemaVersionMismatch, self._sync)

    def test_schema_older_than_code(self):
        self.ks.session.execute('TRUNCATE %s.schema_migrations'
                                % self.ks.keyspace)
        e = self.assertRaises(exception.SchemaVersionMismatch, schema.check,
                              self.ks.session, self.ks.keyspace)
        self.assertIn('db sync', str(e))
        self.assertEqual(list(range(1, schema.LATEST + 1)), self._sync())
        schema.check(self.ks.session, self.ks.keyspace)

    def test_upgrade_from_version_1_keeps_host_rows(self):
        store = hosts.HostStore(self.ks.session, self.ks.keyspace)
        node = store.create(test_claims._node(4))
        # What version 1 left: no heartbeat table, no changes log.
        for table in ('compute_services', 'host_changes'):
            self.ks.session.execute('DROP TABLE %s.%s'
                                    % (self.ks.keyspace, table))
        self.ks.session.execute('DELETE FROM %s.schema_migrations '
                                'WHERE version IN (2, 3, 4)'
                                % self.ks.keyspace)
        e = self.assertRaises(exception.SchemaVersionMismatch, schema.check,
                              self.ks.session, self.ks.keyspace)
        self.assertIn('db sync', str(e))
        self.assertEqual([2, 3, 4], self._sync())
        schema.check(self.ks.session, self.ks.keyspace)
        self.assertEqual(node.capacity,
                         store.get(node.node_uuid, latest=True).capacity)
        store.report('compute1')
        self.assertEqual({'compute1'}, set(store.heartbeats()))

    def test_upgrade_from_version_3_keeps_the_changes_log(self):
        node = uuid.uuid4()
        log = changes.ChangeLog(self.ks.session, self.ks.keyspace)
        log.append(node)
        # What version 3 left: a log of node uuids only.
        self.ks.session.execute(
            'ALTER TABLE %s.host_changes DROP (generation, consumer_uuid, '
            'claim)' % self.ks.keyspace)
        self.ks.session.execute('DELETE FROM %s.schema_migrations '
                                'WHERE version = 4' % self.ks.keyspace)
        self.assertRaises(exception.SchemaVersionMismatch, schema.check,
                          self.ks.session, self.ks.keyspace)
        self.assertEqual([4], self._sync())
        schema.check(self.ks.session, self.ks.keyspace)
        # The driver's statements were prepared on the old table: a new
        # log prepares them on the new one.
        log = changes.ChangeLog(self.ks.session, self.ks.keyspace)
        log.append(node, 7, node, {'VCPU': 1})
        deadline = time.monotonic() + 10
        while True:
            logged = [(c.generation, c.consumer_uuid, c.resources)
                      for c in log.since(time.time() - 60)]
            if len(logged) == 2:
                break
            self.assertLess(time.monotonic(), deadline, logged)
            time.sleep(0.05)
        self.assertEqual([(None, None, None), (7, node, {'VCPU': 1})],
                         logged)

    def test_missing_keyspace(self):
        self.assertRaises(exception.KeyspaceNotFound, schema.check,
                          self.ks.session, 'no_such_keyspace')
