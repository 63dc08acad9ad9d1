"""A ``HostManager`` whose ``HostState`` objects come from the host rows.

Enabled in nova-scheduler's nova.conf with::

    [scheduler]
    host_manager = cassandra    # or mysql, the sharded MySQL store

    [filter_scheduler]
    # Instance lists come with the host rows: computes need not cast them.
    track_instance_changes = false

Each scheduling request reads the host rows once, in pages, at
``[cassandra] read_consistency``, in place of the compute nodes stock nova
reads from every cell database; the ``ComputeNode`` objects are those the
computes published (see ``nova_cassandra.compute.host_record``).  The
nova-compute services (their status and last report) are read from the cell
databases as stock reads them, one query per cell.  Aggregates and cell
mappings are kept as stock nova keeps them, and the computes' instance-info
casts are not needed.  Stock filters and weighers run unchanged on the
``HostState`` objects stock ``_get_host_states`` builds from these.
"""

from nova import context as context_module
from nova import exception as nova_exception
from nova import objects
from nova.scheduler import host_manager
from oslo_log import log as logging

from nova_cassandra.store import backends
from nova_cassandra.store import hosts

LOG = logging.getLogger(__name__)


class CassandraHostManager(host_manager.HostManager):
    """Builds host states from the rows computes publish to Cassandra.

    Refuses to start when Cassandra cannot be reached or its schema does not
    match; while running, a read that fails makes the request fail with
    ``NoValidHost`` naming the reason.
    """

    backend = backends.CASSANDRA

    def __init__(self):
        super().__init__()
        self.backend.hosts.get_store()
        # node uuid -> (generation, ComputeNode, instances): rows
        # whose generation has not moved are not decoded again.
        self._decoded_rows = {}
        # host -> instance uuids on its nodes, from the last read.
        self._host_instances = {}

    def _init_instance_info(self, computes_by_cell=None):
        """Instance lists come with the host rows: nothing to preload."""

    def update_instance_info(self, context, host_name, instance_info):
        """Ignored: the host row carries the node's instances."""

    def delete_instance_info(self, context, host_name, instance_uuid):
        """Ignored: the host row carries the node's instances."""

    def sync_instance_info(self, context, host_name, instance_uuids):
        """Ignored: the host row carries the node's instances."""

    def _get_computes_for_cells(self, context, cells, compute_uuids):
        """Compute nodes of ``cells`` from the host rows, services as stock.

        Stock nova reads both from each cell database; this reads every
        host row once and keeps those of ``compute_uuids`` (all when None).
        The nova-compute services are read as stock reads them, one query
        per cell: their ``disabled`` and ``forced_down`` are what nova-api
        has just set, and their last report is the service group's, so
        ``ComputeFilter`` drops a disabled, forced-down or silent compute
        exactly when stock does.  Stock ``get_host_states_by_uuids`` and
        ``_get_host_states`` then build the ``HostState`` objects.
        """
        services = self._compute_services(context, cells)
        wanted = None if compute_uuids is None else set(compute_uuids)
        try:
            rows = [row for row in self.backend.hosts.get_store().rows()
                    if wanted is None or str(row.node_uuid) in wanted]
        except self.backend.unavailable as e:
            raise nova_exception.NoValidHost(
                reason='host state cannot be read from the %s store: %s'
                       % (self.backend.name, e))
        cell_uuids = {cell.uuid for cell in cells}
        computes = {cell_uuid: [] for cell_uuid in cell_uuids}
        instances = {}
        for row in rows:
            try:
                cell = self._get_cell_mapping_for_host(context, row.host)
            except nova_exception.HostMappingNotFound:
                LOG.debug('Host %s is not mapped to a cell yet, skipping it.',
                          row.host)
                continue
            if cell.uuid not in cell_uuids:
                continue
            compute, node_instances = self._decoded(row)
            computes[cell.uuid].append(compute)
            instances.setdefault(row.host, set()).update(node_instances)
        # Replaced per host: a concurrent request sees the newest list.
        self._host_instances.update(instances)
        return computes, services

    @staticmethod
    def _compute_services(context, cells):
        """``{host: Service}`` of the nova-compute services of ``cells``."""
        results = context_module.scatter_gather_cells(
            context, cells, context_module.CELL_TIMEOUT,
            lambda cctxt: objects.ServiceList.get_by_binary(
                cctxt, 'nova-compute', include_disabled=True))
        services = {}
        for cell_uuid, result in results.items():
            if context_module.is_cell_failure_sentinel(result):
                LOG.warning('Failed to get compute services for cell %s',
                            cell_uuid)
            else:
                services.update({service.host: service
                                 for service in result})
        return services

    def _get_instance_info(self, context, compute):
        """The host's instances, as its rows listed them."""
        return {uuid: objects.Instance(context, uuid=uuid)
                for uuid in self._host_instances.get(compute.host, ())}

    def _decoded(self, row):
        """(ComputeNode, instance uuids) of a host row.

        Decoded once per generation of the node: rows that did not change
        since the last request cost no JSON or object deserialization.
        """
        cached = self._decoded_rows.get(row.node_uuid)
        if cached is None or cached[0] != row.generation:
            state = hosts.HostRecord.from_row(row).state
            cached = self._decoded_rows[row.node_uuid] = (
                row.generation,
                objects.ComputeNode.obj_from_primitive(state['compute_node']),
                state['instances'])
        return cached[1:]


class MySQLHostManager(CassandraHostManager):
    """The same host states from the sharded MySQL store (``mysql``)."""

    backend = backends.MYSQL
