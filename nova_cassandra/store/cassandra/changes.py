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

"""The host changes log: which nodes changed, when, for host views.

Every write that changes what a scheduler would decide about a node (its
state, a claim taken or released) appends the node's uuid here, after the
write itself succeeded, with the generation it made and the claim it took
(see ``base.Change``).  A scheduler's ``HostView`` reads the log
incrementally instead of every node per request, and adds the claims it
reads to its copy of their nodes instead of reading them again.

Rows are bucketed by the writer's clock (``BUCKET_SECONDS`` buckets, split
into ``SHARDS`` partitions so no single replica takes every append) and
stamped with the coordinator's ``now()``.  Readers start from the newest
entry they have seen, look back a margin of ``base.OVERLAP_SECONDS`` (a
host view: once a second, and a moment on its other reads; see
``scheduler.host_view``) and skip the entries they have seen, so an append
that lands a little late, or stamped by a coordinator whose clock is a
little behind, is still read.
They read the buckets of that margin on both sides of their own clock, so
the appends of a writer whose clock is up to the margin ahead or behind
are read as well; every other bucket is left alone (a read costs Cassandra
one partition read per bucket and shard).
An entry that is never read (a writer that died between its write and the
append, clocks further apart than the margin) leaves the view stale until
the next change of that node or its periodic full reload; stale is safe,
the compare-and-set of a claim checks the node as stored.
"""

import time

from cassandra import query
from cassandra import util as cassandra_util
from oslo_log import log as logging

from nova_cassandra.store import base
from nova_cassandra.store.cassandra import session as session_mod

LOG = logging.getLogger(__name__)

BUCKET_SECONDS = 60
SHARDS = 4

_APPEND = """
INSERT INTO {ks}.host_changes (bucket, shard, changed_at, node_uuid,
                               generation, consumer_uuid, claim)
VALUES (?, ?, now(), ?, ?, ?, ?)"""

_SINCE = """
SELECT changed_at, node_uuid, generation, consumer_uuid, claim
FROM {ks}.host_changes
WHERE bucket IN ? AND shard IN ? AND changed_at > minTimeuuid(?)"""


def _unset(value):
    """``value``, or the driver's unset marker (a null is a tombstone)."""
    return query.UNSET_VALUE if value is None else value


def bucket(seconds):
    """The bucket an entry written at ``seconds`` (epoch) belongs to."""
    return int(seconds // BUCKET_SECONDS)


def _not_logged(error, node_uuid):
    LOG.warning('Change of node %s not logged: %s', node_uuid, error)


class ChangeLog(session_mod.Statements, base.ChangeLog):
    """Appends to and reads the ``host_changes`` table."""

    def __init__(self, session, keyspace):
        super().__init__(session, keyspace)
        self._append = self.prepare(_APPEND)
        self._since = self.prepare(_SINCE)

    def append(self, node_uuid, generation=None, consumer_uuid=None,
               resources=None):
        """Record that the node changed, without waiting for the write.

        ``generation``: the node's generation the change made, if it moved
        it; ``consumer_uuid`` and ``resources``: the claim that did (see
        ``base.Change``).  A lost append only delays when views see the
        change.
        """
        statement, profile = self._append
        future = self.session.execute_async(
            statement, (bucket(time.time()), node_uuid.int % SHARDS,
                        node_uuid, _unset(generation), _unset(consumer_uuid),
                        _unset(resources)),
            execution_profile=profile)
        future.add_errback(_not_logged, node_uuid)

    def since(self, seconds, seen=(), lookback=base.OVERLAP_SECONDS):
        """The ``base.Change`` entries after ``seconds``, oldest first.

        Reads ``lookback`` seconds further back, and the buckets of writers
        whose clocks are up to ``OVERLAP_SECONDS`` ahead; the ids
        (timeuuids) in ``seen`` are skipped before they are decoded.
        """
        start = seconds - lookback
        buckets = list(range(bucket(start),
                             bucket(time.time() + base.OVERLAP_SECONDS) + 1))
        rows = self.execute(self._since, (buckets, list(range(SHARDS)),
                                          int(start * 1000)))
        return sorted(
            (base.Change(row.changed_at,
                         cassandra_util.unix_time_from_uuid1(row.changed_at),
                         row.node_uuid, row.generation, row.consumer_uuid,
                         row.claim)
             for row in rows if row.changed_at not in seen),
            key=lambda change: change.changed_at)
