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

"""One copy of every node per scheduler process, kept current from the store.

The claims driver draws candidates from it and the host manager builds
``HostState`` objects from it, so no request reads every node.  The view is
read in full at first use and again every ``host_view_reload_interval``
seconds (a backstop); in between, each refresh reads the store's changes
log (``store.cassandra.changes``, ``store.mysql.changes``): it adds the
claims the log carries to the nodes they were taken on, skips the changes
it already holds (its own claims) and re-reads the other nodes it names,
together (``ClaimStore.node_usages``: concurrent reads on Cassandra, one
query per shard on MySQL), at the write consistency level.  A refresh reads
the log from a moment before the newest change it has seen; once a second
it sweeps further back, for the changes that land late.

Concurrent requests share reads: a request waits for a read that started
after it asked (one that is out when it asks is not enough), and the
requests waiting for the same read do not make one each.  The store is read
without the lock that guards the nodes, so claims noting the nodes they
changed never wait for the store.

Staleness is safe: a claim is a compare-and-set on the node's generation as
stored, so a node the view thinks has room but has not loses the
compare-and-set, and the claim re-reads it (``note``) before retrying.
"""

import math
import random
import threading
import time

from nova_cassandra.claims import capacity
from nova_cassandra import conf as nc_conf
from nova_cassandra import metrics
from nova_cassandra.store import backends
from nova_cassandra.store import base

CONF = nc_conf.CONF

# How far back of its own clock a view reads a quiet change log.
QUIET_LOOKBACK_SECONDS = 60
# A refresh reads the log from the newest change it has seen, less
# TAIL_SECONDS (changes appended at once land a moment out of order); every
# SWEEP_SECONDS, from base.OVERLAP_SECONDS before where the last sweep read
# from, so a change that lands that much later than it was stamped is still
# read, within a sweep, without every refresh reading it again.
TAIL_SECONDS = 0.25
SWEEP_SECONDS = 1.0


class HostView:
    """Every node's usage, claims and state (``NodeUsage``), by node uuid."""

    def __init__(self, backend):
        self.backend = backend
        # Held while the nodes change, never while the store is read.
        self._lock = threading.RLock()
        # Reads of the store: one at a time, numbered from 1 as they start;
        # the number of the last that succeeded.
        self._reads = threading.Condition()
        self._reading = False
        self._reads_started = 0
        self._read_done = 0
        self._nodes = {}
        # Node uuids in a list replaced, never changed in place, so walks
        # that started before a node came or went go on undisturbed.
        self._order = ()
        # ``capacity.largest_limits`` of the nodes; None once a node came,
        # went or changed what it can hold.
        self._largest = None
        # Change ids read, kept while a read may return them again.
        self._seen = {}
        self._read_from = None
        # When the last sweep of the log was, and where it read from.
        self._swept_at = None
        self._swept_from = None
        # The store (connection, keyspace) the view was read from, when.
        self._loaded_from = None
        self._loaded_at = None

    def refresh(self):
        """Bring the view up to date with a read of the store started now.

        Returns once a read that started after this call has succeeded,
        this caller's or a concurrent caller's.  Raises what the store
        raises when it cannot answer (``backend.unavailable``).
        """
        with self._reads:
            wanted = self._reads_started + 1
            while self._reading and self._read_done < wanted:
                self._reads.wait()
            if self._read_done >= wanted:
                metrics.count('view_reads_shared')
                return
            self._reading = True
            self._reads_started += 1
            number = self._reads_started
        succeeded = False
        try:
            self._read()
            succeeded = True
        finally:
            with self._reads:
                self._reading = False
                if succeeded:
                    self._read_done = number
                self._reads.notify_all()

    def _read(self):
        store = self.backend.stores().claims
        now = time.time()
        interval = CONF[self.backend.group].host_view_reload_interval
        if (store.changes is None or store is not self._loaded_from
                or now - self._loaded_at >= interval):
            self._load(store, now)
            return
        lookback = TAIL_SECONDS
        sweep = now - self._swept_at >= SWEEP_SECONDS
        if sweep:
            lookback = max(lookback, self._read_from - self._swept_from
                           + base.OVERLAP_SECONDS)
        fresh = store.changes.since(self._read_from, self._seen, lookback)
        self._reread(store, self._apply(fresh))
        if sweep:
            self._swept_at, self._swept_from = now, self._read_from
        self._remember(fresh, now)
        metrics.count('view_changes_read', len(fresh))

    def _apply(self, changes):
        """Apply ``changes`` in order; the nodes they leave to be read.

        A node is read once, after its changes: its row has them all.
        """
        unknown = set()
        with self._lock:
            for change in changes:
                held = self._nodes.get(change.node_uuid)
                if held is None or change.node_uuid in unknown:
                    unknown.add(change.node_uuid)
                    continue
                usage = change.applied_to(held)
                if usage is None:
                    unknown.add(change.node_uuid)
                elif usage is not held:
                    self._nodes[change.node_uuid] = usage
                    metrics.count('view_claims_applied')
        return unknown

    def expire(self):
        """Make the next refresh read every node."""
        self._loaded_from = None

    def _load(self, store, now):
        # Changes logged before the full read are in it: mark them seen.
        if store.changes is not None:
            self._seen, self._read_from = {}, None
            self._swept_at = self._swept_from = now
            self._remember(store.changes.since(now), now)
        nodes = {usage.record.node_uuid: usage
                 for usage in store.all_usage()}
        metrics.count('view_rows_read', len(nodes))
        metrics.count('view_full_reads')
        with self._lock:
            # A claim noted during the read may be newer than what it read.
            for node_uuid, held in self._nodes.items():
                read = nodes.get(node_uuid)
                if (read is not None
                        and held.record.generation > read.record.generation):
                    nodes[node_uuid] = held
            self._nodes = nodes
            self._order = tuple(nodes)
            self._largest = None
        self._loaded_from, self._loaded_at = store, now

    def _reread(self, store, node_uuids):
        """Read ``node_uuids`` again, together; drop those deleted."""
        if not node_uuids:
            return
        metrics.count('view_rows_read', len(node_uuids))
        gone = set(node_uuids)
        for usage in store.node_usages(node_uuids):
            gone.discard(usage.record.node_uuid)
            self.note(usage)
        if gone:
            with self._lock:
                for node_uuid in gone:
                    self._nodes.pop(node_uuid, None)
                self._order = tuple(n for n in self._order if n not in gone)
                self._largest = None

    def _remember(self, entries, now):
        """Mark ``entries`` seen; move where the next read starts.

        The next read starts at the newest entry seen, by the store's
        clock, so a scheduler whose clock is behind reads no more and one
        whose clock is ahead misses nothing; when the log is quiet, at
        most ``QUIET_LOOKBACK_SECONDS`` before this process's ``now`` (an
        idle view on Cassandra reads one or two of its log's buckets), not
        everything since its last entry.  Ids are kept as far back as the
        next sweep reads.
        """
        self._read_from = max(
            [self._read_from or 0, now - QUIET_LOOKBACK_SECONDS]
            + [change.changed_at for change in entries])
        horizon = (min(self._read_from, self._swept_from)
                   - 2 * base.OVERLAP_SECONDS)
        self._seen = {change_id: seen_at
                      for change_id, seen_at in self._seen.items()
                      if seen_at > horizon}
        self._seen.update((change.change_id, change.changed_at)
                          for change in entries)

    def note(self, usage):
        """Take ``usage`` (``NodeUsage``) as the node's newest state.

        Ignored when the view holds a later generation of the node.
        """
        node_uuid = usage.record.node_uuid
        with self._lock:
            held = self._nodes.get(node_uuid)
            if (held is not None
                    and held.record.generation > usage.record.generation):
                return
            self._nodes[node_uuid] = usage
            if held is None:
                self._order = self._order + (node_uuid,)
            if held is None or _limits(held.record) != _limits(usage.record):
                self._largest = None

    def get(self, node_uuid):
        """The node's ``NodeUsage``, or None."""
        return self._nodes.get(node_uuid)

    def largest_limits(self):
        """``{resource class: the largest limit}`` among the nodes.

        What no node can hold is refused without a walk (``capacity.beyond``).
        Computed again only after a node came, went or changed its
        capacity, reserved amounts or allocation ratios.
        """
        with self._lock:
            if self._largest is None:
                self._largest = capacity.largest_limits(self._nodes.values())
            return self._largest

    def nodes(self):
        """Every node's ``NodeUsage``."""
        return list(self._nodes.values())

    def walk(self):
        """Every node's ``NodeUsage`` once, in an order random per call.

        A random start and a random stride prime to the number of nodes:
        concurrent requests start their candidates in different places.
        """
        order = self._order
        count = len(order)
        if not count:
            return
        stride = random.randrange(1, count + 1)
        while math.gcd(stride, count) != 1:
            stride = random.randrange(1, count + 1)
        position = random.randrange(count)
        for _ in range(count):
            usage = self._nodes.get(order[position])
            if usage is not None:
                yield usage
            position = (position + stride) % count


def _limits(record):
    """What ``capacity.limit`` reads of a ``HostRecord``."""
    return record.capacity, record.reserved, record.allocation_ratio


def get_view(backend):
    """This process's ``HostView`` of ``backend``'s store (one per fork)."""
    return backends.per_process(('host view', backend.name),
                                lambda: HostView(backend))
