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

"""Compute node host state rows, written by compare-and-set on generation.

The SQL twin of ``store.cassandra.hosts``: a node's row lives in its
shard's ``compute_nodes_<shard>`` table; claims bump the same
``generation``, so a compute's update is conditioned on it too.
"""

import dataclasses

from oslo_db import exception as db_exc
from oslo_serialization import jsonutils
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from nova_cassandra import exception
from nova_cassandra.store import base
from nova_cassandra.store.mysql import changes
from nova_cassandra.store.mysql import database as database_mod
from nova_cassandra.store.mysql import schema

_AMOUNTS = ('capacity', 'reserved', 'allocation_ratio', 'used')


def _columns(table):
    """The node columns in ``HostRecord`` order (``state`` still JSON)."""
    return [table.c[f.name] for f in dataclasses.fields(base.HostRecord)]


def _values(record):
    values = {name: getattr(record, name) for name in _AMOUNTS}
    values.update(host=record.host, nodename=record.nodename,
                  state=jsonutils.dumps(record.state),
                  updated_at=database_mod.NOW)
    return values


def generation(connection, nodes, node_uuid):
    """The node's generation as stored, or None without a row."""
    # SELECT generation FROM compute_nodes_<shard> WHERE node_uuid = ?
    return connection.execute(
        sa.select(nodes.c.generation).where(
            nodes.c.node_uuid == node_uuid)).scalar()


def refused(connection, nodes, node_uuid, expected):
    """The error of a refused compare-and-set (see ``base.refused``)."""
    return base.refused(node_uuid, expected,
                        generation(connection, nodes, node_uuid))


class HostStore(base.HostStore):
    """Reads and compare-and-set writes of the shards' host state rows."""

    def __init__(self, database):
        self.database = database

    def create(self, record):
        """Store a new node's state at generation 1.

        Raises ``HostExists`` if it has one, or ``InvalidHostRecord``.
        """
        record.check()
        nodes = self.database.shard(record.node_uuid).nodes
        try:
            with self.database.writer() as connection:
                # INSERT INTO compute_nodes_<shard> (node_uuid, generation,
                #     capacity, reserved, allocation_ratio, used, host,
                #     nodename, state, updated_at)
                # VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))
                connection.execute(nodes.insert().values(
                    node_uuid=record.node_uuid, generation=1,
                    **_values(record)))
                changes.append(connection, record.node_uuid)
        except db_exc.DBDuplicateEntry:
            raise exception.HostExists(node=record.node_uuid)
        return dataclasses.replace(record, generation=1)

    def update(self, record, fold=()):
        """Replace a node's state if it is still at ``record.generation``.

        ``fold`` lists consumer UUIDs whose claims the new state accounts
        for: their claim rows, and the node's expired ones, are deleted in
        the same transaction.  Returns the record at its new generation.
        Raises ``HostNotFound``, or ``HostConflict`` (carrying the
        generation found) when something else wrote the node since
        ``record`` was read, or ``InvalidHostRecord``.
        """
        record.check()
        nodes, claims = self.database.shard(record.node_uuid)
        with self.database.writer() as connection:
            # UPDATE compute_nodes_<shard>
            # SET capacity = ?, reserved = ?, allocation_ratio = ?, used = ?,
            #     host = ?, nodename = ?, state = ?,
            #     updated_at = UTC_TIMESTAMP(6), generation = generation + 1
            # WHERE node_uuid = ? AND generation = ?
            updated = connection.execute(
                nodes.update()
                .where(nodes.c.node_uuid == record.node_uuid,
                       nodes.c.generation == record.generation)
                .values(generation=nodes.c.generation + 1,
                        **_values(record))).rowcount
            if updated != 1:
                raise refused(connection, nodes, record.node_uuid,
                              record.generation)
            # DELETE FROM claims_<shard>
            # WHERE node_uuid = ?
            #   AND (consumer_uuid IN (...) OR expires_at <= UTC_TIMESTAMP(6))
            connection.execute(claims.delete().where(
                claims.c.node_uuid == record.node_uuid,
                sa.or_(claims.c.consumer_uuid.in_(list(fold)),
                       claims.c.expires_at <= database_mod.NOW)))
            changes.append(connection, record.node_uuid,
                           record.generation + 1)
        return dataclasses.replace(record, generation=record.generation + 1)

    def get(self, node_uuid, latest=False):
        """A node's state (every read is the latest committed one)."""
        nodes = self.database.shard(node_uuid).nodes
        with self.database.reader() as connection:
            # SELECT node_uuid, host, ..., updated_at
            # FROM compute_nodes_<shard> WHERE node_uuid = ?
            row = connection.execute(sa.select(*_columns(nodes)).where(
                nodes.c.node_uuid == node_uuid)).one_or_none()
        if row is None:
            raise exception.HostNotFound(node=node_uuid)
        return base.HostRecord.from_row(row)

    def list(self):
        """Every node's state, shard by shard."""
        for nodes, _ in self.database.shards:
            with self.database.reader() as connection:
                # SELECT node_uuid, host, ..., updated_at
                # FROM compute_nodes_<shard>
                rows = connection.execute(
                    sa.select(*_columns(nodes))).all()
            for row in rows:
                yield base.HostRecord.from_row(row)

    def report(self, host):
        """Record that compute service ``host`` is alive, as of now."""
        services = schema.COMPUTE_SERVICES
        with self.database.writer() as connection:
            # INSERT INTO compute_services (host, reported_at)
            # VALUES (?, UTC_TIMESTAMP(6))
            # ON DUPLICATE KEY UPDATE reported_at = UTC_TIMESTAMP(6)
            connection.execute(
                mysql.insert(services)
                .values(host=host, reported_at=database_mod.NOW)
                .on_duplicate_key_update(reported_at=database_mod.NOW))

    def heartbeats(self):
        """``{host: when it last reported}`` of every compute service."""
        services = schema.COMPUTE_SERVICES
        with self.database.reader() as connection:
            # SELECT host, reported_at FROM compute_services
            return dict(connection.execute(
                sa.select(services.c.host, services.c.reported_at)).all())
