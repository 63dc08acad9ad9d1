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

"""The store's tables, one pair per shard, as numbered migrations.

Node ``n`` lives in shard ``n.int % shards``: its state and ``generation``
in ``compute_nodes_<shard>``, its open claims in ``claims_<shard>``.  A
claim bumps the node's generation (compare-and-set) and inserts its claim
row in one transaction.  The number of shards is recorded when the tables
are created (one ``shards`` row each) and checked by every service, since
a service with another number would look for nodes in the wrong tables.
"""

import collections
import functools

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from nova_cassandra import exception
from nova_cassandra.store import migrations

_METADATA = sa.MetaData()

_MIGRATIONS_TBL = sa.Table(
    'schema_migrations', _METADATA,
    sa.Column('version', sa.Integer, primary_key=True, autoincrement=False),
    sa.Column('description', sa.String(255), nullable=False),
    sa.Column('applied_at', mysql.DATETIME(fsp=6), nullable=False,
              server_default=sa.text('CURRENT_TIMESTAMP(6)')),
    mysql_engine='InnoDB')

_SHARDS_TBL = sa.Table(
    'shards', _METADATA,
    sa.Column('shard', sa.Integer, primary_key=True, autoincrement=False),
    mysql_engine='InnoDB')

Shard = collections.namedtuple('Shard', 'nodes claims')

# One row per nova-compute, written each time it reports to nova's service
# group: its liveness, whatever its resource audits do.  Not sharded: one
# small row per compute, read whole by every scheduling request.
COMPUTE_SERVICES = sa.Table(
    'compute_services', sa.MetaData(),
    sa.Column('host', sa.String(255), primary_key=True),
    sa.Column('reported_at', mysql.DATETIME(fsp=6), nullable=False),
    mysql_engine='InnoDB')


# Which nodes changed when, for schedulers that keep a copy of every node
# (see ``nova_cassandra.store.mysql.changes``).  Not sharded: written in the
# transaction of each change, read by time.
HOST_CHANGES = sa.Table(
    'host_changes', sa.MetaData(),
    sa.Column('id', sa.BigInteger, primary_key=True, autoincrement=True),
    sa.Column('node_uuid', sa.Uuid, nullable=False),
    sa.Column('changed_at', mysql.DATETIME(fsp=6), nullable=False,
              index=True),
    # The generation the change made and the claim that made it (see
    # ``nova_cassandra.store.base.Change``); added by migration 4.
    sa.Column('generation', sa.BigInteger, nullable=True),
    sa.Column('consumer_uuid', sa.Uuid, nullable=True),
    sa.Column('resources', sa.JSON(none_as_null=True), nullable=True),
    mysql_engine='InnoDB')


def shard_tables(shard):
    """The (``compute_nodes_<shard>``, ``claims_<shard>``) tables."""
    metadata = sa.MetaData()
    nodes = sa.Table(
        'compute_nodes_%d' % shard, metadata,
        sa.Column('node_uuid', sa.Uuid, primary_key=True),
        sa.Column('host', sa.String(255), nullable=False),
        sa.Column('nodename', sa.String(255), nullable=False),
        sa.Column('generation', sa.BigInteger, nullable=False),
        sa.Column('updated_at', mysql.DATETIME(fsp=6), nullable=False),
        sa.Column('capacity', sa.JSON, nullable=False),
        sa.Column('reserved', sa.JSON, nullable=False),
        sa.Column('allocation_ratio', sa.JSON, nullable=False),
        sa.Column('used', sa.JSON, nullable=False),
        # The ComputeNode object and more, decoded only by readers that
        # need it (see store.base.HostRecord.from_row).
        sa.Column('state', mysql.MEDIUMTEXT, nullable=False),
        mysql_engine='InnoDB')
    claims = sa.Table(
        'claims_%d' % shard, metadata,
        sa.Column('node_uuid', sa.Uuid, primary_key=True),
        sa.Column('consumer_uuid', sa.Uuid, primary_key=True),
        sa.Column('resources', sa.JSON, nullable=False),
        sa.Column('claimed_at', mysql.DATETIME(fsp=6), nullable=False),
        sa.Column('expires_at', mysql.DATETIME(fsp=6), nullable=False,
                  index=True),
        mysql_engine='InnoDB')
    return Shard(nodes, claims)


def _create_shards(connection, shards):
    for shard in range(shards):
        for table in shard_tables(shard):
            table.create(connection, checkfirst=True)
        # INSERT INTO shards (shard) VALUES (?)
        connection.execute(_SHARDS_TBL.insert().values(shard=shard))


def _create_compute_services(connection, shards):
    COMPUTE_SERVICES.create(connection, checkfirst=True)


def _create_host_changes(connection, shards):
    HOST_CHANGES.create(connection, checkfirst=True)


def _add_change_columns(connection, shards):
    """Add to ``host_changes`` the columns it lacks.

    None when migration 3 created it with this code.
    """
    present = {column['name'] for column
               in sa.inspect(connection).get_columns(HOST_CHANGES.name)}
    for column in HOST_CHANGES.columns:
        if column.name not in present:
            # ALTER TABLE host_changes ADD COLUMN <name> <type> NULL
            connection.execute(sa.text('ALTER TABLE %s ADD COLUMN %s %s NULL'
                                       % (HOST_CHANGES.name, column.name,
                                          column.type.compile(
                                              connection.dialect))))


Migration = collections.namedtuple('Migration', 'version description apply')

MIGRATIONS = (
    Migration(1, 'compute node state and claims, sharded by node',
              _create_shards),
    Migration(2, 'compute services heartbeat, one row per host',
              _create_compute_services),
    Migration(3, 'host changes log', _create_host_changes),
    Migration(4, 'generation and claim in the host changes log',
              _add_change_columns),
)

LATEST = MIGRATIONS[-1].version


def version(connection):
    """(schema version, number of shards); (0, 0) before the first sync."""
    if not sa.inspect(connection).has_table(_MIGRATIONS_TBL.name):
        return 0, 0
    # SELECT MAX(version) FROM schema_migrations
    found = connection.execute(
        sa.select(sa.func.max(_MIGRATIONS_TBL.c.version))).scalar()
    # SELECT COUNT(*) FROM shards
    shards = connection.execute(
        sa.select(sa.func.count()).select_from(_SHARDS_TBL)).scalar()
    return found or 0, shards


def _mismatch(connection, found, found_shards, shards):
    """The ``MySQLSchemaMismatch`` of this database, but its ``action``."""
    return functools.partial(
        exception.MySQLSchemaMismatch,
        url=connection.engine.url.render_as_string(hide_password=True),
        found=found, found_shards=found_shards, expected=LATEST,
        expected_shards=shards)


def sync(connection, shards):
    """Apply the migrations the database lacks; return their versions.

    Refuses (``MySQLSchemaMismatch``) a database synced with another number
    of shards or by newer code: resharding is not supported.
    """
    _METADATA.create_all(connection, checkfirst=True)
    found, found_shards = version(connection)
    mismatch = _mismatch(connection, found, found_shards, shards)
    if found and found_shards != shards:
        raise mismatch(action='set [mysql_store] shards = %d; the store '
                       'cannot be resharded in place.' % found_shards)

    def apply(migration):
        migration.apply(connection, shards)
        # INSERT INTO schema_migrations (version, description)
        # VALUES (?, ?)
        connection.execute(_MIGRATIONS_TBL.insert().values(
            version=migration.version, description=migration.description))

    return migrations.sync(MIGRATIONS, found, apply, mismatch)


def check(connection, shards):
    """Raise ``MySQLSchemaMismatch`` unless at ``LATEST`` with ``shards``."""
    found, found_shards = version(connection)
    mismatch = _mismatch(connection, found, found_shards, shards)
    migrations.check(MIGRATIONS, found, 'nova-cassandra-manage mysql sync',
                     mismatch)
    if found_shards != shards:
        raise mismatch(action='set [mysql_store] shards = %d.'
                       % found_shards)
