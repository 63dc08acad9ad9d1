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

"""The keyspace's tables, as numbered migrations, and the version check.

``sync`` creates the keyspace and applies the migrations it lacks,
recording each in ``schema_migrations``; ``check`` is what services call at
start-up (see ``store.migrations``).
"""

import collections
import functools

from cassandra import InvalidRequest
from cassandra import protocol

from nova_cassandra import exception
from nova_cassandra.store.cassandra import session as session_mod
from nova_cassandra.store import migrations

Migration = collections.namedtuple('Migration', 'version description cql')

# Each compute node is one partition.  Its static columns are the node's
# state and ``generation``; its clustering rows (one per consumer) are the
# open claims on it.  Every write to a partition is a lightweight
# transaction on ``generation``, so a claim checks and takes resources in
# one conditional write.
MIGRATIONS = (
    Migration(1, 'compute node state and claims, one partition per node', [
        """
        CREATE TABLE IF NOT EXISTS {ks}.compute_nodes (
            node_uuid uuid,
            consumer_uuid uuid,
            host text STATIC,
            nodename text STATIC,
            generation bigint STATIC,
            updated_at timestamp STATIC,
            capacity map<text, bigint> STATIC,
            reserved map<text, bigint> STATIC,
            allocation_ratio map<text, double> STATIC,
            used map<text, bigint> STATIC,
            state text STATIC,
            claim map<text, bigint>,
            claimed_at timestamp,
            PRIMARY KEY (node_uuid, consumer_uuid)
        ) WITH comment = 'nova-cassandra: host state and claims'
        """,
    ]),
    # One row per nova-compute, written each time it reports to nova's
    # service group: its liveness, whatever its resource audits do.
    Migration(2, 'compute services heartbeat, one row per host', [
        """
        CREATE TABLE IF NOT EXISTS {ks}.compute_services (
            host text PRIMARY KEY,
            reported_at timestamp
        ) WITH comment = 'nova-cassandra: compute services heartbeat'
        """,
    ]),
    # Which nodes changed when, for schedulers that keep a copy of every
    # node (see ``changes``): one partition per shard and time bucket, rows
    # expire once every reader has long moved past them.
    Migration(3, 'host changes log, one partition per shard and bucket', [
        """
        CREATE TABLE IF NOT EXISTS {ks}.host_changes (
            bucket bigint,
            shard int,
            changed_at timeuuid,
            node_uuid uuid,
            PRIMARY KEY ((bucket, shard), changed_at)
        ) WITH CLUSTERING ORDER BY (changed_at ASC)
          AND default_time_to_live = 3600
          AND compaction = {{'class': 'TimeWindowCompactionStrategy',
                            'compaction_window_unit': 'MINUTES',
                            'compaction_window_size': 10}}
          AND comment = 'nova-cassandra: which nodes changed when'
        """,
    ]),
    # The generation a change made and the claim that made it, so views
    # add claims to their copy of a node instead of reading it again.
    Migration(4, 'generation and claim in the host changes log', [
        """
        ALTER TABLE {ks}.host_changes ADD IF NOT EXISTS (
            generation bigint, consumer_uuid uuid, claim map<text, bigint>)
        """,
    ]),
)

LATEST = MIGRATIONS[-1].version

# Seconds a schema change may take: the coordinator waits for every node
# to agree on the new schema, slower than any row read or write.
DDL_TIMEOUT = 60

_CREATE_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS {ks}.schema_migrations (
    version int PRIMARY KEY,
    description text,
    applied_at timestamp
)"""
_RECORD = """
INSERT INTO {ks}.schema_migrations (version, description, applied_at)
VALUES (%s, %s, toTimestamp(now()))"""
_VERSIONS = 'SELECT version FROM {ks}.schema_migrations'


def _replication_cql(replication):
    """``{'class': 'SimpleStrategy', ...}`` as a CQL map literal."""
    def literal(value):
        return "'%s'" % str(value).replace("'", "''")
    return '{%s}' % ', '.join('%s: %s' % (literal(k), literal(v))
                              for k, v in sorted(replication.items()))


def version(session, keyspace):
    """The keyspace's schema version; 0 when ``db sync`` never ran."""
    if session.cluster.metadata.keyspaces.get(keyspace) is None:
        raise exception.KeyspaceNotFound(keyspace=keyspace)
    try:
        rows = session.execute(_VERSIONS.format(ks=keyspace),
                               execution_profile=session_mod.WRITE)
    except InvalidRequest:
        return 0
    return max((row.version for row in rows), default=0)


def _factor(value):
    """A replication factor option (``'3'`` or transient ``'3/1'``)."""
    try:
        return int(str(value).split('/')[0])
    except ValueError:
        return None  # Cassandra refuses it with its own words


def replicas_beyond_nodes(hosts, replication):
    """``(where, factor, nodes)`` of a replication more nodes than exist.

    ``hosts``: the cluster's nodes (the driver's ``Host`` objects).  A
    keyspace with more replicas than nodes in a datacenter is created, but
    no quorum write to it succeeds, so no claim ever would.  ``None`` when
    every datacenter has nodes enough, or the strategy is not one of
    Cassandra's two.
    """
    per_dc = collections.Counter(host.datacenter for host in hosts)
    options = {k: v for k, v in replication.items() if k != 'class'}
    strategy = replication.get('class', '').rsplit('.', 1)[-1]
    if strategy == 'SimpleStrategy':
        wanted = {'the cluster': (_factor(options.get('replication_factor',
                                                      0)),
                                  sum(per_dc.values()))}
    elif strategy == 'NetworkTopologyStrategy':
        default = options.pop('replication_factor', None)
        factors = dict.fromkeys(per_dc, default) if default else {}
        factors.update(options)
        # A datacenter the cluster does not know Cassandra refuses itself.
        wanted = {'datacenter %s' % dc: (_factor(factor), per_dc[dc])
                  for dc, factor in factors.items() if dc in per_dc}
    else:
        return None
    for where, (factor, nodes) in sorted(wanted.items()):
        if factor is not None and factor > nodes:
            return where, factor, nodes
    return None


def sync(session, keyspace, replication):
    """Create the keyspace if needed and apply the missing migrations.

    Returns the list of versions applied.  Raises ``InvalidReplication``
    when Cassandra refuses ``replication``, and ``ReplicationBeyondNodes``,
    creating nothing, when it asks more replicas than there are nodes.
    """
    if session.cluster.metadata.keyspaces.get(keyspace) is None:
        beyond = replicas_beyond_nodes(session.cluster.metadata.all_hosts(),
                                       replication)
        if beyond:
            raise exception.ReplicationBeyondNodes(
                keyspace=keyspace, replication=replication,
                where=beyond[0], factor=beyond[1], nodes=beyond[2])
    try:
        session.execute(
            'CREATE KEYSPACE IF NOT EXISTS %s WITH replication = %s'
            % (keyspace, _replication_cql(replication)),
            execution_profile=session_mod.WRITE, timeout=DDL_TIMEOUT)
    except protocol.ConfigurationException as e:
        raise exception.InvalidReplication(
            keyspace=keyspace, replication=replication, reason=e.message)
    session.execute(_CREATE_MIGRATIONS.format(ks=keyspace),
                    execution_profile=session_mod.WRITE, timeout=DDL_TIMEOUT)
    # A node that has just (re)joined may not agree on the schema yet, and
    # the driver then leaves its metadata without the new keyspace: wait.
    session.cluster.refresh_keyspace_metadata(
        keyspace, max_schema_agreement_wait=DDL_TIMEOUT)

    def apply(migration):
        for statement in migration.cql:
            session.execute(statement.format(ks=keyspace),
                            execution_profile=session_mod.WRITE,
                            timeout=DDL_TIMEOUT)
        session.execute(_RECORD.format(ks=keyspace),
                        (migration.version, migration.description),
                        execution_profile=session_mod.WRITE)

    found = version(session, keyspace)
    return migrations.sync(MIGRATIONS, found, apply,
                           _mismatch(keyspace, found))


def check(session, keyspace):
    """Raise ``SchemaVersionMismatch`` unless the keyspace is at ``LATEST``."""
    found = version(session, keyspace)
    migrations.check(MIGRATIONS, found, 'nova-cassandra-manage db sync',
                     _mismatch(keyspace, found))


def _mismatch(keyspace, found):
    """The keyspace's ``SchemaVersionMismatch``, but its ``action``."""
    return functools.partial(exception.SchemaVersionMismatch,
                             keyspace=keyspace, found=found, expected=LATEST)
