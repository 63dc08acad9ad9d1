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

import collections

import testtools

from nova_cassandra import exception
from nova_cassandra.store.cassandra import schema as cassandra_schema
from nova_cassandra.store import migrations
from nova_cassandra.store.mysql import schema as mysql_schema

Migration = collections.namedtuple('Migration', 'version description')
MIGRATIONS = (Migration(1, 'one'), Migration(2, 'two'), Migration(3, 'x'))


def mismatch(**kwargs):
    return exception.SchemaVersionMismatch(keyspace='ks', found=9,
                                           expected=3, **kwargs)


class TestSync(testtools.TestCase):

    def test_applies_what_the_store_lacks_in_order(self):
        applied = []
        self.assertEqual([2, 3], migrations.sync(
            MIGRATIONS, 1, lambda m: applied.append(m.description),
            mismatch))
        self.assertEqual(['two', 'x'], applied)

    def test_a_current_store_gets_nothing(self):
        self.assertEqual([], migrations.sync(MIGRATIONS, 3, self.fail,
                                             mismatch))

    def test_a_store_synced_by_newer_code_is_refused(self):
        e = self.assertRaises(exception.SchemaVersionMismatch,
                              migrations.sync, MIGRATIONS, 4, self.fail,
                              mismatch)
        self.assertIn('upgrade nova-cassandra before syncing', str(e))


class TestCheck(testtools.TestCase):

    def test_current(self):
        migrations.check(MIGRATIONS, 3, 'sync it', mismatch)

    def test_older_store_names_the_sync_command(self):
        e = self.assertRaises(exception.SchemaVersionMismatch,
                              migrations.check, MIGRATIONS, 2, 'sync it',
                              mismatch)
        self.assertIn("run 'sync it'.", str(e))

    def test_newer_store_asks_for_an_upgrade_here(self):
        e = self.assertRaises(exception.SchemaVersionMismatch,
                              migrations.check, MIGRATIONS, 4, 'sync it',
                              mismatch)
        self.assertIn('upgrade nova-cassandra on this host', str(e))


class TestStoresMigrations(testtools.TestCase):

    def test_both_stores_number_theirs_from_one(self):
        for schema in (cassandra_schema, mysql_schema):
            self.assertEqual(
                list(range(1, len(schema.MIGRATIONS) + 1)),
                [m.version for m in schema.MIGRATIONS])
            self.assertEqual(schema.MIGRATIONS[-1].version, schema.LATEST)
