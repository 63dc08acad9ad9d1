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

"""Resource claims: rows in a node's partition, taken by compare-and-set.

A claim is a clustering row (``consumer_uuid``) of the node's
``compute_nodes`` partition.  Taking one is a single-partition conditional
batch: the node's ``generation`` is checked and bumped and the claim row
written, so no two schedulers can both take the last resources of a node.
Claims are written with a TTL: a claim whose build never reaches the compute
(crashed scheduler, lost request) stops counting when it expires.  The
compute folds a claim into the node's usage when it publishes the instance
(see ``HostStore.update(..., fold=...)``).
"""

from nova_cassandra.store import base
from nova_cassandra.store.cassandra import changes
from nova_cassandra.store.cassandra import hosts
from nova_cassandra.store.cassandra import session as session_mod

_USAGE_COLUMNS = ('node_uuid', 'host', 'nodename', 'generation', 'capacity',
                  'reserved', 'allocation_ratio', 'used', 'state',
                  'consumer_uuid', 'claim', 'claimed_at')

# One row per open claim, each repeating the node's static columns; a node
# without claims reads as one row whose consumer_uuid is null.
_NODE_USAGE = ('SELECT %s FROM {ks}.compute_nodes WHERE node_uuid = ?'
               % ', '.join(_USAGE_COLUMNS))

_ALL_USAGE = 'SELECT %s FROM {ks}.compute_nodes' % ', '.join(_USAGE_COLUMNS)

_CLAIM = """
BEGIN BATCH
  UPDATE {ks}.compute_nodes SET generation = ?
  WHERE node_uuid = ? IF generation = ?;
  INSERT INTO {ks}.compute_nodes (node_uuid, consumer_uuid, claim, claimed_at)
  VALUES (?, ?, ?, toTimestamp(now())) USING TTL ?;
APPLY BATCH"""

_RELEASE = """
DELETE FROM {ks}.compute_nodes
WHERE node_uuid = ? AND consumer_uuid = ?
IF EXISTS"""

# The coordinator's clock, which claims are stamped and expire by.
_NOW = 'SELECT toTimestamp(now()) AS now FROM system.local'

_PAGE_SIZE = 1000


class ClaimStore(session_mod.Statements, base.ClaimStore):
    """Reads node usage with claims; takes and releases claims.

    Every statement runs at the write consistency: a claim must see the
    claims before it.
    """

    def __init__(self, session, keyspace):
        super().__init__(session, keyspace)
        self.changes = changes.ChangeLog(session, keyspace)
        self._node_usage = self.prepare(_NODE_USAGE)
        self._all_usage = self.prepare(_ALL_USAGE, fetch_size=_PAGE_SIZE)
        self._claim = self.prepare(_CLAIM)
        self._release = self.prepare(_RELEASE)
        self._now = self.prepare(_NOW)

    def node_usages(self, node_uuids):
        """The nodes' amounts and live claims, read at the write quorum.

        One read per node, up to ``session.CONCURRENT_READS`` at a time.
        """
        for rows in self.execute_each(self._node_usage,
                                      [(node_uuid,) for node_uuid in
                                       node_uuids]):
            yield from base.usages(rows)

    def all_usage(self):
        """Every node's amounts and live claims, in pages (for checks)."""
        return base.usages(self.execute(self._all_usage))

    def claim(self, node_uuid, generation, consumer_uuid, resources, ttl):
        """Take ``resources`` for ``consumer_uuid`` if the node is unchanged.

        Returns the node's new generation.  Raises ``HostConflict`` (with
        the generation found) when the node changed since ``generation``
        was read, ``HostNotFound`` when it has no row.
        """
        result = self.execute(self._claim, (
            generation + 1, node_uuid, generation,
            node_uuid, consumer_uuid, resources, ttl))
        if not session_mod.applied(result):
            raise hosts.refused(result, node_uuid, generation)
        self.changes.append(node_uuid, generation + 1, consumer_uuid,
                            resources)
        return generation + 1

    def now(self):
        """The store's time (UTC): claims' ``claimed_at`` is on its clock."""
        return self.execute(self._now).one().now

    def release(self, node_uuid, consumer_uuid):
        """Delete a claim; True if there was one."""
        released = session_mod.applied(
            self.execute(self._release, (node_uuid, consumer_uuid)))
        if released:
            self.changes.append(node_uuid)
        return released
