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

"""The MySQL store's host changes log (see ``store.cassandra.changes``).

Each write that changes a node appends a row in its own transaction, so
the log never misses a committed change.  Rows are stamped by the database
clock; readers look back ``base.OVERLAP_SECONDS`` (a host view: once a
second, and a moment on its other reads; see ``scheduler.host_view``) and
skip the ids they have seen, so a transaction that commits after a later
one is still read.
Rows older than ``RETENTION_SECONDS`` are deleted now and then by writers.
"""

import datetime
import random

import sqlalchemy as sa

from nova_cassandra.store import base
from nova_cassandra.store.mysql import database as database_mod
from nova_cassandra.store.mysql import schema

RETENTION_SECONDS = 3600
# One append in this many also deletes the rows past retention.
_PURGE_EVERY = 1000

_TABLE = schema.HOST_CHANGES
# SELECT id, changed_at, node_uuid, generation, consumer_uuid, resources
# FROM host_changes WHERE changed_at > ? ORDER BY changed_at
# Built once: every refresh of every host view runs it.
_SINCE = (sa.select(_TABLE.c.id, _TABLE.c.changed_at, _TABLE.c.node_uuid,
                    _TABLE.c.generation, _TABLE.c.consumer_uuid,
                    _TABLE.c.resources)
          .where(_TABLE.c.changed_at > sa.bindparam('start'))
          .order_by(_TABLE.c.changed_at))


def append(connection, node_uuid, generation=None, consumer_uuid=None,
           resources=None):
    """Record, in ``connection``'s transaction, that the node changed.

    ``generation``: the node's generation the change made, if it moved it;
    ``consumer_uuid`` and ``resources``: the claim that did (see
    ``base.Change``).
    """
    # INSERT INTO host_changes (node_uuid, changed_at, generation,
    #     consumer_uuid, resources)
    # VALUES (?, UTC_TIMESTAMP(6), ?, ?, ?)
    connection.execute(_TABLE.insert().values(
        node_uuid=node_uuid, changed_at=database_mod.NOW,
        generation=generation, consumer_uuid=consumer_uuid,
        resources=resources))
    if random.randrange(_PURGE_EVERY) == 0:
        # DELETE FROM host_changes
        # WHERE changed_at < UTC_TIMESTAMP(6) - INTERVAL ? SECOND
        connection.execute(_TABLE.delete().where(
            _TABLE.c.changed_at < sa.func.timestampadd(
                sa.text('SECOND'), -RETENTION_SECONDS, database_mod.NOW)))


class ChangeLog(base.ChangeLog):
    """Reads the ``host_changes`` table."""

    def __init__(self, database):
        self._database = database

    def since(self, seconds, seen=(), lookback=base.OVERLAP_SECONDS):
        """The ``base.Change`` entries after ``seconds``, oldest first.

        Reads ``lookback`` seconds further back; the ids in ``seen`` are
        skipped.
        """
        start = datetime.datetime.fromtimestamp(
            seconds - lookback, datetime.timezone.utc)
        with self._database.reader() as connection:
            rows = connection.execute(
                _SINCE, {'start': start.replace(tzinfo=None)})
            return [base.Change(
                row.id,
                row.changed_at.replace(
                    tzinfo=datetime.timezone.utc).timestamp(),
                row.node_uuid, row.generation, row.consumer_uuid,
                row.resources)
                for row in rows if row.id not in seen]
