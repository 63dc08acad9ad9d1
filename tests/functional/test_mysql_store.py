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

"""The sharded MySQL store on the stack's real MariaDB.

Racing scheduler processes never double book; the same race without the
generation condition does (so the race can fail); expired claims stop
counting; a connection killed between the compare-and-set and the claim
row leaves neither behind.
"""

import concurrent.futures
import functools
import os
import subprocess
import sys
import tempfile
import time
import types
import uuid

import fixtures
import sqlalchemy as sa
from sqlalchemy import pool
from testtools.content import text_content

from nova_cassandra.claims import capacity
from nova_cassandra.claims import node_claim
from nova_cassandra.conf import mysql as mysql_conf
from nova_cassandra import exception
from nova_cassandra.store import base as store_base
from nova_cassandra.store.mysql import changes as sql_changes
from nova_cassandra.store.mysql import claims
from nova_cassandra.store.mysql import database as database_mod
from nova_cassandra.store.mysql import hosts as sql_hosts
from nova_cassandra.store.mysql import schema
from tests.functional import base
from tests.functional import test_claims

ONE_VCPU = test_claims.ONE_VCPU


def mysql_options(**overrides):
    """``[mysql_store]`` at its defaults but for ``overrides``."""
    values = {opt.dest: opt.default for opt in mysql_conf.ALL_OPTS}
    values.update(overrides)
    return types.SimpleNamespace(**values)


def _server_url():
    """The stack's MariaDB (nova's API database URL, no database)."""
    return sa.engine.make_url(
        base.nova_conf()['api_database']['connection']).set(database='')


class MySQLDatabase(fixtures.Fixture):
    """A database of its own on the stack's MariaDB, synced with ``shards``.

    Or on the server at ``server`` (an SQLAlchemy URL without a database).
    Raises (fails the test) with how to start MariaDB when it is absent.
    """

    def __init__(self, shards=1, server=None):
        super().__init__()
        self.shards = shards
        self.server = server

    def _setUp(self):
        server = sa.engine.make_url(self.server) if self.server else (
            _server_url())
        self.name = name = 'test_%s' % uuid.uuid4().hex[:16]
        self.admin = sa.create_engine(server, poolclass=pool.NullPool)
        self.addCleanup(self.admin.dispose)
        try:
            self.execute('CREATE DATABASE %s' % name)
        except sa.exc.OperationalError as e:
            raise AssertionError('%s; %s' % (e, base.HOW_TO_START))
        self.addCleanup(self.execute, 'DROP DATABASE IF EXISTS %s' % name)
        self.url = server.set(database=name).render_as_string(
            hide_password=False)
        self.conf = mysql_options(connection=self.url, shards=self.shards)
        self.database = database_mod.Database(self.conf)
        self.addCleanup(self.database.dispose)
        with self.database.writer() as connection:
            schema.sync(connection, self.shards)

    def execute(self, sql):
        """Run ``sql`` in a session of its own; the rows it returns."""
        with self.admin.begin() as connection:
            result = connection.execute(sa.text(sql))
            return result.all() if result.returns_rows else []


class UnconditionalClaimStore(claims.ClaimStore):
    """A ClaimStore whose claims skip the compare-and-set (test only).

    What the race test must catch: the generation is bumped whatever it
    was, ``test_claims.RACE_WINDOW_SECONDS`` after the read, so claims
    made on the same read all land.
    """

    @staticmethod
    def _bump(connection, nodes, node_uuid, generation):
        time.sleep(test_claims.RACE_WINDOW_SECONDS)
        # UPDATE compute_nodes_<shard> SET generation = generation + 1
        # WHERE node_uuid = ?
        connection.execute(nodes.update().where(
            nodes.c.node_uuid == node_uuid).values(
                generation=nodes.c.generation + 1))
        return True


def _mysql_store(url, shards, store_cls):
    """A ``store_cls`` on a database facade of its own (in a child)."""
    conf = mysql_options(connection=url, shards=shards)
    return store_cls(database_mod.Database(conf))


class TestMySQLClaims(test_claims.ClaimStoreTests, base.TestCase):
    """The claim store contract, plus what is particular to SQL."""

    SHARDS = 4
    UNCONDITIONAL = UnconditionalClaimStore
    # Enough slots for the race to measure claims/s.
    RACE_REQUESTS = 40
    RACE_SLOTS = 40

    def setUp(self):
        super().setUp()
        self.db = self.useFixture(MySQLDatabase(self.SHARDS))
        self.hosts = sql_hosts.HostStore(self.db.database)
        self.claims = claims.ClaimStore(self.db.database)

    def store_factory(self, store_cls):
        return functools.partial(_mysql_store, self.db.url, self.SHARDS,
                                 store_cls)

    def test_manage_commands_read_the_store(self):
        """check capacity and claims reap with --backend mysql."""
        node = self._create(1).node_uuid
        self.assertTrue(node_claim.claim(self.claims, node, uuid.uuid4(),
                                         ONE_VCPU, 300))
        with tempfile.NamedTemporaryFile('w', suffix='.conf') as conf:
            conf.write('[mysql_store]\nconnection = %s\nshards = %d\n'
                       % (self.db.url, self.SHARDS))
            conf.flush()

            def manage(*args):
                return subprocess.run(
                    [os.path.join(os.path.dirname(sys.executable),
                                  'nova-cassandra-manage'),
                     '--config-file', conf.name] + list(args) +
                    ['--backend', 'mysql'], capture_output=True, text=True)

            clean = manage('check', 'capacity')
            self.assertEqual(0, clean.returncode, clean.stderr)
            self.assertIn('1 nodes checked, 0 offenders.', clean.stdout)
            # A second claim over capacity, written behind the store's
            # back, and an expired one.
            UnconditionalClaimStore(self.db.database).claim(
                node, 0, uuid.uuid4(), ONE_VCPU, 300)
            self.claims.claim(node, 3, uuid.uuid4(), ONE_VCPU, 0)
            dirty = manage('check', 'capacity')
            self.assertEqual(1, dirty.returncode, dirty.stderr)
            self.assertIn('VCPU 2 taken > 1 allowed', dirty.stdout)
            reap = manage('claims', 'reap', '--older-than', '0')
            self.assertEqual(0, reap.returncode, reap.stderr)
        self.assertIn('Released 2 claims', reap.stdout)
        self.assertIn('Deleted 1 expired claims.', reap.stdout)
        self.assertEqual([], self.claims.node_usage(node).claims)

    def test_expired_claims_stop_counting_and_are_deleted(self):
        nodes = [self._create(1).node_uuid for _ in range(2)]
        for node in nodes:
            self.assertTrue(node_claim.claim(
                self.claims, node, uuid.uuid4(), ONE_VCPU, 1))
            self.assertFalse(capacity.fits(self.claims.node_usage(node),
                                           ONE_VCPU))
        time.sleep(1.5)
        for node in nodes:
            usage = self.claims.node_usage(node)
            self.assertEqual([], usage.claims)
            self.assertTrue(capacity.fits(usage, ONE_VCPU))
        # The compute's next write deletes its node's expired claims, the
        # reaper the rest.
        self.hosts.update(self.hosts.get(nodes[0]))
        self.assertEqual(1, self.claims.delete_expired())
        self.assertEqual(0, self.claims.delete_expired())

    def test_update_at_a_stale_generation_changes_nothing(self):
        node = self._create(2)
        consumer = uuid.uuid4()
        self.assertTrue(node_claim.claim(self.claims, node.node_uuid,
                                         consumer, ONE_VCPU, 300))
        stale = dict(vars(node), used={'VCPU': 2})
        e = self.assertRaises(exception.HostConflict, self.hosts.update,
                              store_base.HostRecord(**stale), fold=[consumer])
        self.assertEqual(2, e.kwargs['found'])
        usage = self.claims.node_usage(node.node_uuid)
        self.assertEqual(1, len(usage.claims))
        self.assertEqual(0, usage.record.used['VCPU'])

    def test_nodes_spread_over_the_shards(self):
        records = [self._create(1) for _ in range(40)]
        per_shard = [self.db.execute('SELECT COUNT(*) FROM %s.compute_nodes_%d'
                                     % (self.db.name, shard))[0][0]
                     for shard in range(self.SHARDS)]
        self.assertEqual(40, sum(per_shard))
        self.assertNotIn(0, per_shard)
        self.assertEqual({r.node_uuid for r in records},
                         {r.node_uuid for r in self.hosts.list()})
        self.assertEqual(40, len(list(self.claims.all_usage())))

    def test_invalid_record_never_reaches_a_row(self):
        bad = test_claims._node(1)
        bad.used = {'VCPU': -1}
        self.assertRaises(exception.InvalidHostRecord, self.hosts.create, bad)
        self.assertEqual([], list(self.hosts.list()))

    def test_existing_node_and_update_of_unknown_node(self):
        node = self._create(1)
        self.assertRaises(exception.HostExists, self.hosts.create, node)
        self.assertRaises(exception.HostNotFound, self.hosts.update,
                          test_claims._node(1))

    def test_scheduler_statements_are_compiled_once(self):
        """A claim, a release and a log read reuse compiled statements.

        What a scheduler runs on each request: compiling one again costs
        more than running it.
        """
        first = self._create(1).node_uuid
        shard = self.db.database.shard(first)
        second = first
        while second == first or self.db.database.shard(second) != shard:
            second = self._create(1).node_uuid
        now = time.time()

        def schedule(node):
            consumer = uuid.uuid4()
            self.assertTrue(node_claim.claim(self.claims, node, consumer,
                                             ONE_VCPU, 300))
            self.claims.changes.since(now)
            self.assertTrue(self.claims.release(node, consumer))

        schedule(first)
        executed = []

        def record(conn, cursor, statement, parameters, context, many):
            executed.append((context.cache_hit.name, statement))

        sa.event.listen(sa.engine.Engine, 'after_cursor_execute', record)
        self.addCleanup(sa.event.remove, sa.engine.Engine,
                        'after_cursor_execute', record)
        schedule(second)
        self.assertNotEqual([], executed)
        self.assertEqual([], [(hit, statement)
                              for hit, statement in executed
                              if hit != 'CACHE_HIT'])


class TestLostConnection(base.TestCase):

    def setUp(self):
        super().setUp()
        self.db = self.useFixture(MySQLDatabase(1))
        self.hosts = sql_hosts.HostStore(self.db.database)
        self.claims = claims.ClaimStore(self.db.database)

    def test_connection_killed_mid_claim_leaves_no_half_claim(self):
        """KILL the claim's connection between its UPDATE and its INSERT."""
        node = self.hosts.create(test_claims._node(2)).node_uuid
        consumer = uuid.uuid4()
        table = self.db.database.shard(node).claims
        # Another session holds the claim row's key, uncommitted: the
        # claim's INSERT waits on it after its UPDATE bumped the generation.
        blocker = sa.create_engine(self.db.url, poolclass=pool.NullPool)
        self.addCleanup(blocker.dispose)
        with blocker.connect() as other:
            other.begin()
            other.execute(table.insert().values(
                node_uuid=node, consumer_uuid=consumer, resources={},
                claimed_at=database_mod.NOW, expires_at=database_mod.NOW))
            with concurrent.futures.ThreadPoolExecutor(1) as pool_:
                claim = pool_.submit(self.claims.claim, node, 1, consumer,
                                     ONE_VCPU, 300)
                deadline = time.monotonic() + 30
                while True:
                    waiting = self.db.execute(
                        "SELECT ID FROM information_schema.PROCESSLIST "
                        "WHERE INFO LIKE 'INSERT INTO claims_0%'")
                    if waiting:
                        break
                    self.assertLess(time.monotonic(), deadline)
                    time.sleep(0.1)
                self.db.execute('KILL %d' % waiting[0][0])
                e = self.assertRaises(exception.MySQLUnavailable,
                                      claim.result, 30)
            self.addDetail('claim-error', text_content(str(e)))
            other.rollback()
        usage = self.claims.node_usage(node)
        self.assertEqual(1, usage.record.generation)
        self.assertEqual([], usage.claims)
        # The pool replaces the dead connection: the next claim works.
        self.assertTrue(node_claim.claim(self.claims, node, consumer,
                                         ONE_VCPU, 300))
        self.assertEqual(2, self.claims.node_usage(node).record.generation)


class TestSchemaChecks(base.TestCase):

    def test_another_shard_count_is_refused(self):
        db = self.useFixture(MySQLDatabase(4))
        database = database_mod.Database(
            mysql_options(connection=db.url, shards=2))
        self.addCleanup(database.dispose)
        e = self.assertRaises(exception.MySQLSchemaMismatch, database.check)
        self.assertIn('set [mysql_store] shards = 4', str(e))
        with database.writer() as connection:
            self.assertRaises(exception.MySQLSchemaMismatch, schema.sync,
                              connection, 2)

    def test_unsynced_database_is_refused(self):
        db = self.useFixture(MySQLDatabase(1))
        db.execute('DROP TABLE %s.schema_migrations' % db.name)
        e = self.assertRaises(exception.MySQLSchemaMismatch,
                              db.database.check)
        self.assertIn("run 'nova-cassandra-manage mysql sync'", str(e))

    def test_upgrade_from_version_1_keeps_host_rows(self):
        db = self.useFixture(MySQLDatabase(2))
        store = sql_hosts.HostStore(db.database)
        node = store.create(test_claims._node(4))
        # What version 1 left: no heartbeat table, no changes log.
        for table in ('compute_services', 'host_changes'):
            db.execute('DROP TABLE %s.%s' % (db.name, table))
        db.execute('DELETE FROM %s.schema_migrations '
                   'WHERE version IN (2, 3, 4)' % db.name)
        e = self.assertRaises(exception.MySQLSchemaMismatch,
                              db.database.check)
        self.assertIn("run 'nova-cassandra-manage mysql sync'", str(e))
        with db.database.writer() as connection:
            self.assertEqual([2, 3, 4], schema.sync(connection, 2))
        db.database.check()
        self.assertEqual(node.capacity, store.get(node.node_uuid).capacity)
        store.report('compute1')
        self.assertEqual({'compute1'}, set(store.heartbeats()))

    def test_upgrade_from_version_3_keeps_the_changes_log(self):
        db = self.useFixture(MySQLDatabase(1))
        node = sql_hosts.HostStore(db.database).create(test_claims._node(4))
        # What version 3 left: a log of node uuids only.
        db.execute('ALTER TABLE %s.host_changes DROP COLUMN generation, '
                   'DROP COLUMN consumer_uuid, DROP COLUMN resources'
                   % db.name)
        db.execute('DELETE FROM %s.schema_migrations WHERE version = 4'
                   % db.name)
        self.assertRaises(exception.MySQLSchemaMismatch, db.database.check)
        with db.database.writer() as connection:
            self.assertEqual([4], schema.sync(connection, 1))
        db.database.check()
        consumer = uuid.uuid4()
        claims.ClaimStore(db.database).claim(
            node.node_uuid, 1, consumer, {'VCPU': 1}, 60)
        self.assertEqual(
            [(node.node_uuid, None, None, None),
             (node.node_uuid, 2, consumer, {'VCPU': 1})],
            [(c.node_uuid, c.generation, c.consumer_uuid, c.resources)
             for c in sql_changes.ChangeLog(db.database).since(
                 time.time() - 60)])

    def test_unreachable_server_is_named(self):
        url = _server_url().set(port=1, database='x')
        database = database_mod.Database(mysql_options(
            connection=url.render_as_string(hide_password=False)))
        e = self.assertRaises(exception.MySQLUnavailable, database.check)
        self.assertIn('127.0.0.1:1', str(e))
        self.assertNotIn('nova-cassandra@', str(e))
