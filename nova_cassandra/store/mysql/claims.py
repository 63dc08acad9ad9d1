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

"""Resource claims: rows of the node's shard, taken by compare-and-set.

The SQL twin of ``store.cassandra.claims``.  Taking a claim is one short
transaction: the node's ``generation`` is checked and bumped by one
``UPDATE`` (no row matched: another writer got there first) and the claim
row inserted, so no two schedulers can both take the last resources of a
node.  A claim carries ``expires_at`` (database clock): expired claims stop
counting at once and are deleted when the compute next writes the node or
when ``delete_expired`` runs (``nova-cassandra-manage claims reap``).
"""

import collections

import sqlalchemy as sa

from nova_cassandra.store import base
from nova_cassandra.store.mysql import changes
from nova_cassandra.store.mysql import database as database_mod
from nova_cassandra.store.mysql import hosts

_NOW = database_mod.NOW


def _usage_query(shard):
    """Node rows outer-joined to their live claims, one row per claim.

    A node without live claims reads as one row whose consumer_uuid is
    null (what ``base.usages`` groups).
    """
    nodes, table = shard
    # SELECT n.node_uuid, n.host, n.nodename, n.generation, n.capacity,
    #        n.reserved, n.allocation_ratio, n.used, n.state, c.consumer_uuid,
    #        c.resources AS claim, c.claimed_at
    # FROM compute_nodes_<shard> AS n
    # LEFT OUTER JOIN claims_<shard> AS c
    #   ON c.node_uuid = n.node_uuid AND c.expires_at > UTC_TIMESTAMP(6)
    return sa.select(
        nodes.c.node_uuid, nodes.c.host, nodes.c.nodename,
        nodes.c.generation, nodes.c.capacity, nodes.c.reserved,
        nodes.c.allocation_ratio, nodes.c.used, nodes.c.state,
        table.c.consumer_uuid,
        table.c.resources.label('claim'), table.c.claimed_at,
    ).select_from(nodes.outerjoin(table, sa.and_(
        table.c.node_uuid == nodes.c.node_uuid, table.c.expires_at > _NOW)))


def _upsert(table):
    """The claim row's insert (or replacement) into ``table``.

    Text, not ``sqlalchemy.dialects.mysql.insert()``: SQLAlchemy never
    caches the compiled form of the dialect's ``Insert`` (its
    ``inherit_cache`` is False), so that statement was compiled again on
    every claim: a third of the claim's CPU in a scheduler.
    """
    return sa.text(
        'INSERT INTO %s (node_uuid, consumer_uuid, resources, claimed_at, '
        'expires_at) '
        'VALUES (:node_uuid, :consumer_uuid, :resources, UTC_TIMESTAMP(6), '
        'TIMESTAMPADD(SECOND, :ttl, UTC_TIMESTAMP(6))) '
        'ON DUPLICATE KEY UPDATE resources = VALUES(resources), '
        'claimed_at = VALUES(claimed_at), expires_at = VALUES(expires_at)'
        % table.name).bindparams(
            sa.bindparam('node_uuid', type_=table.c.node_uuid.type),
            sa.bindparam('consumer_uuid', type_=table.c.consumer_uuid.type),
            sa.bindparam('resources', type_=table.c.resources.type),
            sa.bindparam('ttl', type_=sa.Integer))


class ClaimStore(base.ClaimStore):
    """Reads node usage with claims; takes and releases claims."""

    def __init__(self, database):
        self.database = database
        self.changes = changes.ChangeLog(database)
        # Built once: each is run by every claim on its shard.
        self._upserts = {shard.claims: _upsert(shard.claims)
                         for shard in database.shards}

    def node_usages(self, node_uuids):
        """The nodes' amounts and live claims, one query per shard."""
        by_shard = collections.defaultdict(list)
        for node_uuid in node_uuids:
            by_shard[self.database.shard(node_uuid)].append(node_uuid)
        for shard, uuids in by_shard.items():
            with self.database.reader() as connection:
                # ... WHERE n.node_uuid IN (?, ...) ORDER BY n.node_uuid
                rows = connection.execute(_usage_query(shard).where(
                    shard.nodes.c.node_uuid.in_(uuids)).order_by(
                        shard.nodes.c.node_uuid)).all()
            yield from base.usages(rows)

    def all_usage(self):
        """Every node's amounts and live claims, shard by shard."""
        for shard in self.database.shards:
            with self.database.reader() as connection:
                # ... ORDER BY n.node_uuid
                rows = connection.execute(_usage_query(shard).order_by(
                    shard.nodes.c.node_uuid)).all()
            yield from base.usages(rows)

    def claim(self, node_uuid, generation, consumer_uuid, resources, ttl):
        """Take ``resources`` for ``consumer_uuid`` if the node is unchanged.

        Returns the node's new generation.  Raises ``HostConflict`` (with
        the generation found) when the node changed since ``generation``
        was read, ``HostNotFound`` when it has no row.  Nothing is written
        unless both statements commit.
        """
        nodes, table = self.database.shard(node_uuid)
        with self.database.writer() as connection:
            if not self._bump(connection, nodes, node_uuid, generation):
                raise hosts.refused(connection, nodes, node_uuid,
                                    generation)
            connection.execute(self._upserts[table], {
                'node_uuid': node_uuid, 'consumer_uuid': consumer_uuid,
                'resources': resources, 'ttl': ttl})
            changes.append(connection, node_uuid, generation + 1,
                           consumer_uuid, resources)
        return generation + 1

    @staticmethod
    def _bump(connection, nodes, node_uuid, generation):
        """The compare-and-set: True if the node was at ``generation``."""
        # UPDATE compute_nodes_<shard> SET generation = generation + 1
        # WHERE node_uuid = ? AND generation = ?
        return connection.execute(
            nodes.update()
            .where(nodes.c.node_uuid == node_uuid,
                   nodes.c.generation == generation)
            .values(generation=nodes.c.generation + 1)).rowcount == 1

    def release(self, node_uuid, consumer_uuid):
        """Delete a claim; True if there was a live one."""
        table = self.database.shard(node_uuid).claims
        with self.database.writer() as connection:
            # DELETE FROM claims_<shard>
            # WHERE node_uuid = ? AND consumer_uuid = ?
            #   AND expires_at > UTC_TIMESTAMP(6)
            released = connection.execute(table.delete().where(
                table.c.node_uuid == node_uuid,
                table.c.consumer_uuid == consumer_uuid,
                table.c.expires_at > _NOW)).rowcount == 1
            if released:
                changes.append(connection, node_uuid)
            return released

    def now(self):
        """The database's time (UTC): claims' ``claimed_at`` is on it."""
        with self.database.reader() as connection:
            # SELECT UTC_TIMESTAMP(6)
            return connection.execute(sa.select(_NOW)).scalar_one()

    def delete_expired(self):
        """Delete every expired claim row; return how many."""
        deleted = 0
        for _, table in self.database.shards:
            with self.database.writer() as connection:
                # DELETE FROM claims_<shard>
                # WHERE expires_at <= UTC_TIMESTAMP(6)
                deleted += connection.execute(table.delete().where(
                    table.c.expires_at <= _NOW)).rowcount
        return deleted
