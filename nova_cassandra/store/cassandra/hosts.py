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
import datetime
import math
import os
import threading
import uuid

from cassandra import query
from oslo_serialization import jsonutils

from nova_cassandra import conf as nc_conf
from nova_cassandra import exception
from nova_cassandra.store import base
from nova_cassandra.store.cassandra import changes
from nova_cassandra.store.cassandra import schema
from nova_cassandra.store.cassandra import session as session_mod

CONF = nc_conf.CONF

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

# Amounts are bigint columns; names are as long as nova's own columns allow.
AMOUNT_MAX = 2 ** 63 - 1
NAME_MAX = 255


def amounts_problem(amounts):
    """Why ``{resource class: amount}`` is not a set of counts, or None."""
    for resource_class, amount in amounts.items():
        if (isinstance(amount, bool) or not isinstance(amount, int)
                or not 0 <= amount <= AMOUNT_MAX):
            return '%s is %r, not a count from 0 to %d' % (
                resource_class, amount, AMOUNT_MAX)
    return None


def refused(result, node_uuid, expected):
    """``HostConflict`` or ``HostNotFound`` for a refused compare-and-set.

    ``result``: the refused conditional write's, whose row carries the
    generation found; a missing partition answers with ``[applied]`` alone.
    """
    found = getattr(result.one(), 'generation', None)
    if found is None:
        return exception.HostNotFound(node=node_uuid)
    return exception.HostConflict(node=node_uuid, expected=expected,
                                  found=found)


@dataclasses.dataclass
class HostRecord:
    """One compute node's state as stored: amounts per resource class."""

    node_uuid: uuid.UUID
    host: str
    nodename: str
    capacity: dict
    reserved: dict = dataclasses.field(default_factory=dict)
    allocation_ratio: dict = dataclasses.field(default_factory=dict)
    used: dict = dataclasses.field(default_factory=dict)
    state: dict = dataclasses.field(default_factory=dict)
    generation: int = 0
    updated_at: datetime.datetime = None

    @classmethod
    def from_row(cls, row):
        values = row._asdict()
        values['state'] = jsonutils.loads(values['state'] or '{}')
        for column in ('capacity', 'reserved', 'allocation_ratio', 'used'):
            values[column] = dict(values[column] or {})
        return cls(**values)

    def check(self):
        """Raise ``InvalidHostRecord`` unless every field can be stored.

        A negative or non-finite amount or ratio would make every reader's
        capacity arithmetic wrong (or raise), so it never reaches a row.
        """
        for name in ('host', 'nodename'):
            value = getattr(self, name)
            if not isinstance(value, str) or not 0 < len(value) <= NAME_MAX:
                self._invalid('%s must be a name of 1 to %d characters'
                              % (name, NAME_MAX))
        for name in ('capacity', 'reserved', 'used'):
            problem = amounts_problem(getattr(self, name))
            if problem:
                self._invalid('%s: %s' % (name, problem))
        for resource_class, ratio in self.allocation_ratio.items():
            if (not isinstance(ratio, (int, float))
                    or not math.isfinite(ratio) or ratio < 0):
                self._invalid('allocation_ratio: %s is %r, not a finite '
                              'number >= 0' % (resource_class, ratio))

    def _invalid(self, reason):
        raise exception.InvalidHostRecord(node=self.node_uuid, reason=reason)


class HostStore(base.HostStore):
    """Reads and compare-and-set writes of ``compute_nodes`` host state."""

    def __init__(self, session, keyspace):
        self.session = session
        self.keyspace = keyspace
        self.changes = changes.ChangeLog(session, keyspace)

        def prepare(cql, profile):
            statement = session.prepare(cql.format(ks=keyspace))
            return statement, profile

        self._create = prepare(_CREATE, session_mod.WRITE)
        self._update = prepare(_UPDATE, session_mod.WRITE)
        self._fold = prepare(_FOLD, session_mod.WRITE)
        self._get = prepare(_GET, session_mod.FAST_READ)
        self._get_latest = prepare(_GET, session_mod.WRITE)
        self._list = prepare(_LIST, session_mod.FAST_READ)
        self._report = prepare(_REPORT, session_mod.WRITE)
        self._heartbeats = prepare(_HEARTBEATS, session_mod.FAST_READ)

    def _execute(self, prepared, params):
        statement, profile = prepared
        return self.session.execute(statement, params,
                                    execution_profile=profile)

    def create(self, record):
        """Store a new node's state at generation 1.

        Raises ``HostExists`` if it has one, or ``InvalidHostRecord``.
        """
        record.check()
        result = self._execute(self._create, (
            record.node_uuid, record.host, record.nodename, record.capacity,
            record.reserved, record.allocation_ratio, record.used,
            jsonutils.dumps(record.state)))
        if not result.was_applied:
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
        if not result.was_applied:
            raise refused(result, record.node_uuid, record.generation)
        self.changes.append(record.node_uuid)
        return dataclasses.replace(record, generation=new_generation)

    def get(self, node_uuid, latest=False):
        """A node's state: fast (``read_consistency``) or ``latest``."""
        row = self._execute(self._get_latest if latest else self._get,
                            (node_uuid,)).one()
        if row is None or row.generation is None:
            raise exception.HostNotFound(node=node_uuid)
        return HostRecord.from_row(row)

    def list(self):
        """Every node's state, read in pages at ``read_consistency``."""
        statement, profile = self._list
        statement.fetch_size = _PAGE_SIZE
        for row in self.session.execute(statement,
                                        execution_profile=profile):
            if row.generation is not None:
                yield HostRecord.from_row(row)

    def report(self, host):
        """Record that compute service ``host`` is alive, as of now."""
        self._execute(self._report, (host,))

    def heartbeats(self):
        """``{host: when it last reported}`` of every compute service."""
        statement, profile = self._heartbeats
        statement.fetch_size = _PAGE_SIZE
        return {row.host: row.reported_at for row in self.session.execute(
            statement, execution_profile=profile)}


_STORE = None
_STORE_PID = None
_STORE_LOCK = threading.Lock()


def get_store():
    """This process's ``HostStore`` on ``[cassandra]``, made on first use.

    Connecting checks the keyspace's schema version, so a service never
    reads or writes rows of a schema it does not know.  A forked child (nova
    services fork their workers after building their managers) gets a
    connection of its own: the parent's driver threads do not survive a
    fork.  Raises ``CassandraUnavailable``, ``KeyspaceNotFound`` or
    ``SchemaVersionMismatch``; the next call tries again.
    """
    global _STORE, _STORE_PID
    with _STORE_LOCK:
        if _STORE is None or _STORE_PID != os.getpid():
            keyspace = CONF.cassandra.keyspace
            session = session_mod.connect(CONF.cassandra)
            try:
                schema.check(session, keyspace)
            except Exception:
                session.cluster.shutdown()
                raise
            _STORE, _STORE_PID = HostStore(session, keyspace), os.getpid()
        return _STORE
