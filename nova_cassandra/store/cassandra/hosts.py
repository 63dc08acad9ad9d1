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

Each node's state lives in the static columns of its ``compute_nodes``
partition.  Claims share the partition (see ``schema``), so every write here
is a lightweight transaction: a plain write would race the Paxos rounds of
concurrent claims.
"""

import dataclasses

from cassandra import query
from oslo_serialization import jsonutils

from nova_cassandra import exception
from nova_cassandra.store import base
from nova_cassandra.store.cassandra import changes
from nova_cassandra.store.cassandra import session as session_mod

_NODE_COLUMNS = ('node_uuid', 'host', 'nodename', 'generation', 'updated_at',
                 'capacity', 'reserved', 'allocation_ratio', 'used', 'state')

# INSERT INTO compute_nodes (node_uuid, host, ..., generation, updated_at)
# VALUES (?, ?, ..., 1, toTimestamp(now())) IF NOT EXISTS
_CREATE = """
INSERT INTO {ks}.compute_nodes (node_uuid, host, nodename, capacity,
    reserved, allocation_ratio, used, state, generation, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, toTimestamp(now()))
IF NOT EXISTS"""

_UPDATE = """
UPDATE {ks}.compute_nodes
SET host = ?, nodename = ?, capacity = ?, reserved = ?,
    allocation_ratio = ?, used = ?, state = ?, generation = ?,
    updated_at = toTimestamp(now())
WHERE node_uuid = ?
IF generation = ?"""

# Inside the update's batch: the compute took these claims over.
_FOLD = """
DELETE FROM {ks}.compute_nodes WHERE node_uuid = ? AND consumer_uuid = ?"""

_GET = ('SELECT DISTINCT %s FROM {ks}.compute_nodes WHERE node_uuid = ?'
        % ', '.join(_NODE_COLUMNS))

_LIST = 'SELECT DISTINCT %s FROM {ks}.compute_nodes' % ', '.join(_NODE_COLUMNS)

# A compute service reported its state to nova's service group.
_REPORT = """
INSERT INTO {ks}.compute_services (host, reported_at)
VALUES (?, toTimestamp(now()))"""

_HEARTBEATS = 'SELECT host, reported_at FROM {ks}.compute_services'

_PAGE_SIZE = 1000


def refused(result, node_uuid, expected):
    """The error of a refused conditional write (see ``base.refused``).

    Its row carries the generation found; a missing partition answers with
    ``[applied]`` alone.
    """
    return base.refused(node_uuid, expected,
                        getattr(result.one(), 'generation', None))


class HostStore(session_mod.Statements, base.HostStore):
    """Reads and compare-and-set writes of ``compute_nodes`` host state."""

    def __init__(self, session, keyspace):
        super().__init__(session, keyspace)
        self.changes = changes.ChangeLog(session, keyspace)
        self._create = self.prepare(_CREATE)
        self._update = self.prepare(_UPDATE)
        self._fold = self.prepare(_FOLD)
        self._get = self.prepare(_GET, session_mod.FAST_READ)
        self._get_latest = self.prepare(_GET)
        self._list = self.prepare(_LIST, session_mod.FAST_READ, _PAGE_SIZE)
        self._report = self.prepare(_REPORT)
        self._heartbeats = self.prepare(_HEARTBEATS, session_mod.FAST_READ,
                                        _PAGE_SIZE)

    def create(self, record):
        """Store a new node's state at generation 1.

        Raises ``HostExists`` if it has one, or ``InvalidHostRecord``.
        """
        record.check()
        result = self.execute(self._create, (
            record.node_uuid, record.host, record.nodename, record.capacity,
            record.reserved, record.allocation_ratio, record.used,
            jsonutils.dumps(record.state)))
        if not session_mod.applied(result):
            raise exception.HostExists(node=record.node_uuid)
        self.changes.append(record.node_uuid)
        return dataclasses.replace(record, generation=1)

    def update(self, record, fold=()):
        """Replace a node's state if it is still at ``record.generation``.

        ``fold`` lists consumer UUIDs whose claims the new state accounts
        for: their claim rows are deleted in the same conditional batch.
        Returns the record at its new generation.  Raises ``HostNotFound``,
        or ``HostConflict`` (carrying the generation found) when something
        else wrote the node since ``record`` was read, or
        ``InvalidHostRecord``.
        """
        record.check()
        new_generation = record.generation + 1
        update, profile = self._update
        params = (record.host, record.nodename, record.capacity,
                  record.reserved, record.allocation_ratio, record.used,
                  jsonutils.dumps(record.state), new_generation,
                  record.node_uuid, record.generation)
        if fold:
            statement = query.BatchStatement()
            statement.add(update, params)
            for consumer_uuid in fold:
                statement.add(self._fold[0], (record.node_uuid, consumer_uuid))
            params = None
        else:
            statement = update
        result = self.session.execute(statement, params,
                                      execution_profile=profile)
        if not session_mod.applied(result):
            raise refused(result, record.node_uuid, record.generation)
        self.changes.append(record.node_uuid, new_generation)
        return dataclasses.replace(record, generation=new_generation)

    def get(self, node_uuid, latest=False):
        """A node's state: fast (``read_consistency``) or ``latest``."""
        row = self.execute(self._get_latest if latest else self._get,
                           (node_uuid,)).one()
        if row is None or row.generation is None:
            raise exception.HostNotFound(node=node_uuid)
        return base.HostRecord.from_row(row)

    def list(self):
        """Every node's state, read in pages at ``read_consistency``."""
        for row in self.execute(self._list):
            if row.generation is not None:
                yield base.HostRecord.from_row(row)

    def report(self, host):
        """Record that compute service ``host`` is alive, as of now."""
        self.execute(self._report, (host,))

    def heartbeats(self):
        """``{host: when it last reported}`` of every compute service."""
        return {row.host: row.reported_at
                for row in self.execute(self._heartbeats)}
