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

"""A ``HostManager`` whose ``HostState`` objects come from the host rows.

Enabled in nova-scheduler's nova.conf with::

    [scheduler]
    host_manager = cassandra    # or mysql, the sharded MySQL store

    [filter_scheduler]
    # Instance lists come with the host rows: computes need not cast them.
    track_instance_changes = false

Host states are built from the scheduler's host view
(``nova_cassandra.scheduler.host_view``), for the candidates the claims
driver hands nova, in place of the compute nodes stock nova reads from
every cell database; the ``ComputeNode`` objects are those the computes
published (see ``nova_cassandra.compute.host_record``).  When the filters
leave none of the candidates, the next ones are filtered.  The nova-compute
services (their status and last report) of the candidates' hosts are read
from the cell databases, one query per cell (see ``compute_services``).
Aggregates and cell mappings are kept as stock nova keeps them, and the
computes' instance-info casts are not needed.  Stock filters and weighers
run unchanged on the ``HostState`` objects stock ``_get_host_states``
builds from these, with each node's open claims (placed, not yet on the
compute) counted as used, as the claims driver counts them when it decides
what fits: the weighers then see what placement would count, and the
requests a scheduler answers at once do not all weigh the node one of them
has just claimed on as the emptiest.
"""

import collections
import copy
import gc
import uuid as uuid_mod
import weakref

from nova import exception as nova_exception
from nova import objects
from nova.scheduler import host_manager
from oslo_log import log as logging
from oslo_serialization import jsonutils

from nova_cassandra.compute import host_record
from nova_cassandra import conf as nc_conf
from nova_cassandra import metrics
from nova_cassandra.scheduler import compute_services
from nova_cassandra.scheduler import host_view
from nova_cassandra.store import backends

CONF = nc_conf.CONF
LOG = logging.getLogger(__name__)

# What ``_with_claimed`` takes, in its order.
CLAIMED_CLASSES = (host_record.VCPU, host_record.MEMORY_MB,
                   host_record.DISK_GB)

# A node's state as published (its JSON, decoded ComputeNode and instance
# uuids), and the ComputeNode built from it with ``claimed`` counted.
_Decoded = collections.namedtuple(
    '_Decoded', 'state_json published instances claimed compute')


class StoreHostManager(host_manager.HostManager):
    """Builds host states from the rows computes publish to the store.

    Refuses to start when the store cannot be reached or its schema does
    not match.  Every node's published state is decoded at start, in the
    parent of the forked workers, so that a new scheduler's first requests
    cost what later ones do.  While running, a read that fails makes the
    request fail with ``NoValidHost`` naming the reason.  Bound to a store
    by ``backends.bind``, as the entry points load it.
    """

    backend = None

    def __init__(self):
        super().__init__()
        young = CONF[self.backend.group].gc_young_threshold
        if young:
            gc.set_threshold(young, *gc.get_threshold()[1:])
        self.backend.stores()
        # node uuid -> _Decoded: a node whose stored state did not change
        # is not decoded again.
        self._decoded_rows = {}
        # host -> {uuid: Instance} on its nodes, from the last read.
        self._host_instances = {}
        # RequestSpec -> (context, Candidates) of the request the claims
        # driver is answering, for get_filtered_hosts to widen.
        self._offers = weakref.WeakKeyDictionary()
        view = host_view.get_view(self.backend)
        view.refresh()
        for usage in view.nodes():
            self._decoded(usage)

    def _init_instance_info(self, computes_by_cell=None):
        """Instance lists come with the host rows: nothing to preload."""

    def update_instance_info(self, context, host_name, instance_info):
        """Ignored: the host row carries the node's instances."""

    def delete_instance_info(self, context, host_name, instance_uuid):
        """Ignored: the host row carries the node's instances."""

    def sync_instance_info(self, context, host_name, instance_uuids):
        """Ignored: the host row carries the node's instances."""

    def offer_more(self, context, spec_obj, candidates):
        """Let this request's filters widen to ``candidates``' next batches.

        Called by the claims driver, which has brought the host view up to
        date for the request.
        """
        self._offers[spec_obj] = (context, candidates)

    def get_host_states_by_uuids(self, context, compute_uuids, spec_obj):
        """Stock's, on a host view brought up to date for the request."""
        if spec_obj is None or spec_obj not in self._offers:
            try:
                host_view.get_view(self.backend).refresh()
            except self.backend.unavailable as e:
                raise nova_exception.NoValidHost(
                    reason='host state cannot be read from the %s store: %s'
                           % (self.backend.name, e))
        return super().get_host_states_by_uuids(context, compute_uuids,
                                                spec_obj)

    def get_filtered_hosts(self, hosts, spec_obj, index=0):
        """Stock's filters; the next candidates when they leave none.

        A request is refused only when no node it fits passes them.
        """
        filtered = super().get_filtered_hosts(hosts, spec_obj, index)
        context, candidates = self._offers.get(spec_obj, (None, None))
        while not filtered and candidates is not None:
            batch = candidates.next_batch()
            if not batch:
                break
            metrics.count('widened')
            more = list(self.get_host_states_by_uuids(context, batch,
                                                      spec_obj))
            for host in more:
                host.allocation_candidates = copy.deepcopy(
                    candidates.allocation_requests[host.uuid])
            filtered = super().get_filtered_hosts(more, spec_obj, index)
        return filtered

    def _get_computes_for_cells(self, context, cells, compute_uuids):
        """Compute nodes of ``cells`` from the host view, and their services.

        Stock nova reads both from each cell database; the compute nodes
        here are those of ``compute_uuids`` (every node when None) in the
        scheduler's host view.  The nova-compute services of their hosts are
        read from the cell databases on every request: their ``disabled``
        and ``forced_down`` are what nova-api has just set, and their last
        report is the service group's, so ``ComputeFilter`` drops a
        disabled, forced-down or silent compute exactly when stock does.
        Stock ``get_host_states_by_uuids`` and ``_get_host_states`` then
        build the ``HostState`` objects.
        """
        view = host_view.get_view(self.backend)
        if compute_uuids is None:
            usages = view.nodes()
        else:
            usages = [usage for usage in
                      (view.get(uuid_mod.UUID(u)) for u in compute_uuids)
                      if usage is not None]
        cell_uuids = {cell.uuid for cell in cells}
        computes = {cell_uuid: [] for cell_uuid in cell_uuids}
        instances = {}
        for usage in usages:
            host = usage.record.host
            try:
                cell = self._get_cell_mapping_for_host(context, host)
            except nova_exception.HostMappingNotFound:
                LOG.debug('Host %s is not mapped to a cell yet, skipping it.',
                          host)
                continue
            if cell.uuid not in cell_uuids:
                continue
            compute, node_instances = self._decoded(usage)
            computes[cell.uuid].append(compute)
            instances.setdefault(host, set()).update(node_instances)
        for host, uuids in instances.items():
            known = self._host_instances.get(host, {})
            if known.keys() != uuids:
                # Replaced, not changed: a concurrent request keeps its own.
                self._host_instances[host] = {
                    uuid: known.get(uuid) or objects.Instance(context,
                                                              uuid=uuid)
                    for uuid in uuids}
        metrics.count('host_states_built', len(usages))
        hosts = None if compute_uuids is None else instances.keys()
        return computes, compute_services.on_hosts(context, cells, hosts)

    def _get_instance_info(self, context, compute):
        """The host's instances, as its rows listed them.

        Shared by the requests while the host's list does not change, as
        stock shares the lists the computes send it.
        """
        return self._host_instances.get(compute.host, {})

    def _decoded(self, usage):
        """(ComputeNode, instance uuids) of a node as the view holds it.

        The ComputeNode counts the node's open claims as used.  The state
        the compute published is decoded once per change of it: a node
        whose claims alone changed since the last request costs a shallow
        copy, and one that did not change costs nothing.
        """
        claimed = tuple(usage.claimed(resource_class)
                        for resource_class in CLAIMED_CLASSES)
        decoded = self._decoded_rows.get(usage.record.node_uuid)
        if decoded is None or decoded.state_json != usage.state_json:
            state = jsonutils.loads(usage.state_json or '{}')
            decoded = _Decoded(
                usage.state_json,
                objects.ComputeNode.obj_from_primitive(state['compute_node']),
                state['instances'], None, None)
            metrics.count('host_states_decoded')
        if decoded.claimed != claimed:
            decoded = decoded._replace(
                claimed=claimed,
                compute=_with_claimed(decoded.published, *claimed))
            self._decoded_rows[usage.record.node_uuid] = decoded
        return decoded.compute, decoded.instances


def _with_claimed(published, vcpus, memory_mb, disk_gb):
    """``published`` (ComputeNode), amounts claimed on it counted as used.

    A shallow copy when anything is claimed: the copy shares the values of
    every other field, and its record of changed fields, with
    ``published``; the host manager only reads either.
    """
    if not (vcpus or memory_mb or disk_gb):
        return published
    compute = copy.copy(published)
    compute.vcpus_used += vcpus
    compute.memory_mb_used += memory_mb
    compute.free_ram_mb -= memory_mb
    compute.local_gb_used += disk_gb
    compute.free_disk_gb -= disk_gb
    if compute.disk_available_least is not None:
        compute.disk_available_least -= disk_gb
    return compute


CassandraHostManager = backends.bind(StoreHostManager, backends.CASSANDRA)
MySQLHostManager = backends.bind(StoreHostManager, backends.MYSQL)
