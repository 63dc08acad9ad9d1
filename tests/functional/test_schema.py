"""Schema migrations and the version check on a real Cassandra."""

from nova_cassandra import exception
from nova_cassandra.store import schema
from tests.functional import base


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

    def test_missing_keyspace(self):
        self.assertRaises(exception.KeyspaceNotFound, schema.check,
                          self.ks.session, 'no_such_keyspace')
