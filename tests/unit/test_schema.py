import testtools

from nova_cassandra.store import schema


class TestMigrations(testtools.TestCase):

    def test_versions_are_consecutive_from_one(self):
        versions = [m.version for m in schema.MIGRATIONS]
        self.assertEqual(list(range(1, len(versions) + 1)), versions)
        self.assertEqual(versions[-1], schema.LATEST)

    def test_statements_name_the_keyspace(self):
        for migration in schema.MIGRATIONS:
            for statement in migration.cql:
                self.assertIn('{ks}.', statement)

    def test_replication_literal_quotes_values(self):
        self.assertEqual(
            "{'class': 'SimpleStrategy', 'replication_factor': '3'}",
            schema._replication_cql({'replication_factor': 3,
                                     'class': 'SimpleStrategy'}))
        self.assertEqual("{'class': 'x''); DROP'}",
                         schema._replication_cql({'class': "x'); DROP"}))
