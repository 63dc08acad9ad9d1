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

"""The sharded MySQL store's pieces that need no server."""

import types
import uuid

from oslo_config import cfg
from sqlalchemy.dialects import mysql
import testtools

from nova_cassandra.conf import mysql as mysql_conf
from nova_cassandra import exception
from nova_cassandra.store import backends
from nova_cassandra.store import base as store_base
from nova_cassandra.store.mysql import claims
from nova_cassandra.store.mysql import database
from nova_cassandra.store.mysql import schema


def _options(**overrides):
    """What ``Database`` reads of ``[mysql_store]``, at the defaults."""
    values = {opt.dest: opt.default for opt in mysql_conf.store_opts}
    values.update(overrides)
    return types.SimpleNamespace(**values)


def _sql(statement):
    return str(statement.compile(dialect=mysql.dialect()))


class TestDatabase(testtools.TestCase):

    def test_connection_is_required(self):
        e = self.assertRaises(cfg.RequiredOptError, database.Database,
                              _options())
        self.assertIn('mysql_store', str(e))

    def test_nodes_go_to_their_uuid_modulo_shards(self):
        db = database.Database(_options(connection='mysql+pymysql://u:p@h/d',
                                        shards=4))
        self.assertEqual(4, len(db.shards))
        node = uuid.UUID(int=4 * 1000 + 3)
        self.assertIs(db.shards[3], db.shard(node))
        self.assertEqual('compute_nodes_3', db.shard(node).nodes.name)
        self.assertEqual('claims_3', db.shard(node).claims.name)
        spread = {db.shard(uuid.uuid4()).nodes.name for _ in range(200)}
        self.assertEqual({'compute_nodes_%d' % i for i in range(4)}, spread)

    def test_url_hides_the_password(self):
        db = database.Database(_options(
            connection='mysql+pymysql://nova:secret@db/nova_cassandra'))
        self.assertNotIn('secret', db.url)
        self.assertIn('db/nova_cassandra', db.url)


class TestStatements(testtools.TestCase):
    """The compare-and-set is in the SQL itself, not in Python."""

    def setUp(self):
        super().setUp()
        self.nodes, self.table = schema.shard_tables(0)

    def test_claim_bumps_only_the_generation_it_read(self):
        statements = []
        connection = types.SimpleNamespace(
            execute=lambda s: statements.append(s) or
            types.SimpleNamespace(rowcount=0))
        self.assertFalse(claims.ClaimStore._bump(
            connection, self.nodes, uuid.uuid4(), 7))
        sql = _sql(statements[0])
        self.assertIn('SET generation=(compute_nodes_0.generation + %s)',
                      sql)
        self.assertIn('compute_nodes_0.generation = %s', sql)

    def test_live_claims_are_the_unexpired_ones(self):
        sql = _sql(claims._usage_query((self.nodes, self.table)))
        self.assertIn('LEFT OUTER JOIN claims_0', sql)
        self.assertIn('claims_0.expires_at > utc_timestamp(%s)', sql)

    def test_claims_are_keyed_by_node_and_consumer(self):
        self.assertEqual(['node_uuid', 'consumer_uuid'],
                         [c.name for c in self.table.primary_key])
        self.assertIn('expires_at',
                      {c.name for i in self.table.indexes for c in i.columns})


class TestRows(testtools.TestCase):
    """SQL rows decode as the CQL ones do, through the same code."""

    def test_node_row_makes_a_host_record(self):
        node = uuid.uuid4()
        values = dict(node_uuid=node, host='h', nodename='n',
                      capacity={'VCPU': 2}, reserved={}, allocation_ratio={},
                      used={'VCPU': 1}, state='{"instances": []}',
                      generation=3, updated_at=None)
        # SQLAlchemy rows, like the driver's, have _asdict().
        record = store_base.HostRecord.from_row(
            types.SimpleNamespace(_asdict=lambda: dict(values)))
        self.assertEqual({'instances': []}, record.state)
        self.assertEqual(3, record.generation)

    def test_joined_rows_group_into_usages(self):
        node = uuid.uuid4()
        base = dict(node_uuid=node, host='h', nodename='n', generation=2,
                    capacity={'VCPU': 4}, reserved={}, allocation_ratio={},
                    used={'VCPU': 1})
        rows = [types.SimpleNamespace(consumer_uuid=uuid.uuid4(),
                                      claim={'VCPU': 1}, claimed_at=None,
                                      **base) for _ in range(2)]
        [usage] = store_base.usages(rows)
        self.assertEqual(2, usage.claimed('VCPU'))
        self.assertEqual(2, usage.record.generation)


class TestBackends(testtools.TestCase):

    def test_mysql_backend_is_the_sql_store(self):
        self.assertIs(backends.MYSQL, backends.BY_NAME['mysql'])
        self.assertEqual('mysql_store', backends.MYSQL.group)
        self.assertIn(exception.MySQLUnavailable,
                      backends.MYSQL.unavailable)
