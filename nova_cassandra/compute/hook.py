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

"""The ResourceTracker hook that publishes host state to the store.

Enabled in nova-compute's nova.conf with::

    [compute]
    resource_tracker_hooks = cassandra    # or mysql, the sharded MySQL store

The ResourceTracker calls ``changed`` after every change it persists
(instance claims, aborts, move claims and their drops, usage updates, the
periodic audit and start-up), inside its lock, so nodes are published in
the order their state changed.  The hook only builds the node's record and
hands it to the process's publisher (see ``publisher``), which writes it
from a thread of its own: nothing under the lock waits on the store.

Most periodic audits change nothing: a record with the same content as the
node's last one, folding no claim, is published again only after
``host_state_republish_interval`` (as nova saves a compute node only when it
changed), so an idle fleet costs the store and the schedulers' host views
next to nothing.
"""

import time
import uuid

from oslo_log import log as logging

from nova_cassandra.compute import host_record
from nova_cassandra.compute import publisher
from nova_cassandra import conf as nc_conf
from nova_cassandra.store import backends

CONF = nc_conf.CONF
LOG = logging.getLogger(__name__)

# A move claim given up (confirmed on the source, reverted on the
# destination).
DROPS_MOVE = 'drop_move_claim'

# Changes after which the instance's usage on the node is what the tracker
# counts (a claim that succeeded) or nothing (a claim given up): either way
# the scheduler's claim for it on this node is over.
FOLDS_CLAIM = frozenset(['instance_claim', 'rebuild_claim', 'resize_claim',
                         'live_migration_claim', 'abort_instance_claim'])


class HostStateHook:
    """Publishes a node's ``HostRecord`` whenever its tracker changes it.

    Bound to a store by ``backends.bind``, as the entry points load it.
    """

    backend = None

    def __init__(self):
        self._publisher = publisher.for_backend(self.backend)
        # node UUID -> (content, time.monotonic()) of its last record
        # published.  The tracker calls hooks under its lock: one at a time.
        self._last_published = {}

    def changed(self, context, compute_node, change, instance=None,
                migration=None, instance_uuids=frozenset(), migrations=()):
        """Publish ``compute_node``'s state after ``change``."""
        # A dropped move leaves the instance on the other end, unless it
        # never left the node (a resize to the same node).
        left = ({instance.uuid} if change == DROPS_MOVE
                and not host_record.same_node(migration) else ())
        record = host_record.build(compute_node, instance_uuids, migrations,
                                   left=left)
        fold = []
        if instance is not None and change in FOLDS_CLAIM:
            fold = [uuid.UUID(instance.uuid)]
        content = host_record.content(record)
        last = self._last_published.get(record.node_uuid)
        interval = CONF[self.backend.group].host_state_republish_interval
        if (not fold and last is not None and last[0] == content
                and time.monotonic() - last[1] < interval):
            LOG.debug('Host state of node %s unchanged after %s',
                      compute_node.hypervisor_hostname, change)
            return
        LOG.debug('Publishing host state of node %s after %s',
                  compute_node.hypervisor_hostname, change)
        self._publisher.publish(record, fold=fold)
        self._last_published[record.node_uuid] = (content, time.monotonic())

    def republish_all(self):
        """Publish every node at its next change or audit, changed or not.

        For a store that lost rows (restored, emptied) and should get them
        back before ``host_state_republish_interval`` has passed.
        """
        self._last_published.clear()


CassandraHostStateHook = backends.bind(HostStateHook, backends.CASSANDRA)
MySQLHostStateHook = backends.bind(HostStateHook, backends.MYSQL)
