"""The ``reads`` preset: one scheduling request's host state read, timed.

For each host count, simulated compute nodes are written where each
manager reads them: services, compute nodes and host mappings in nova's
databases (as computes register them), and their host rows in a scratch
keyspace (as ``hosts backfill`` writes them).  Then stock ``HostManager``
and ``CassandraHostManager`` each serve the same requests in turn: the
timed call is ``get_host_states_by_uuids`` for every node, what
nova-scheduler calls once per request before filtering, fully consumed.
Every record written is removed at the end.
"""

import uuid

from nova import context as nova_context
from nova import objects
from nova.scheduler import host_manager
from oslo_log import log as logging

from nova_cassandra.compute import host_record
from nova_cassandra.experiment import stats
from nova_cassandra.scheduler import host_manager as cassandra_host_manager
from nova_cassandra.store import hosts as hosts_store

LOG = logging.getLogger(__name__)

HOST = 'nc-reads-%s-%d'
NODES_PER_HOST = 25


class Fleet:
    """Compute nodes in nova's databases and in the host rows."""

    def __init__(self, context, cell, store, count):
        self.context = context
        self.cell = cell
        self.store = store
        self.count = count
        self.tag = uuid.uuid4().hex[:8]
        self.records = []
        self.hosts = []
        self.node_uuids = []

    def create(self):
        with nova_context.target_cell(self.context, self.cell) as cctxt:
            for first in range(0, self.count, NODES_PER_HOST):
                host = HOST % (self.tag, first // NODES_PER_HOST)
                service = objects.Service(cctxt, host=host,
                                          binary='nova-compute',
                                          topic='compute')
                service.create()
                self.records.append(service)
                mapping = objects.HostMapping(
                    self.context, host=host, cell_mapping=self.cell)
                mapping.create()
                self.records.append(mapping)
                self.hosts.append(host)
                for index in range(first,
                                   min(first + NODES_PER_HOST, self.count)):
                    self._create_node(cctxt, service, index)

    def _create_node(self, cctxt, service, index):
        node = objects.ComputeNode(
            cctxt, uuid=str(uuid.uuid4()), host=service.host,
            hypervisor_hostname='%s-node%d' % (service.host, index),
            service_id=service.id, vcpus=32, memory_mb=131072,
            local_gb=2000, vcpus_used=index % 32,
            memory_mb_used=512 * (index % 64), local_gb_used=0,
            hypervisor_type='fake', hypervisor_version=1,
            cpu_info='{}', cpu_allocation_ratio=4.0,
            ram_allocation_ratio=1.5, disk_allocation_ratio=1.0)
        node.create()
        self.records.append(node)
        self.node_uuids.append(node.uuid)
        self.store.create(host_record.from_compute_node(node, []))

    def destroy(self):
        with nova_context.target_cell(self.context, self.cell):
            for record in reversed(self.records):
                record.destroy()


def _timed(manager, context, node_uuids, requests):
    latencies = stats.Latencies()
    for _ in range(requests):
        states = latencies.time(lambda: list(manager.get_host_states_by_uuids(
            context, node_uuids, None)))
        if len(states) != len(node_uuids):
            raise RuntimeError('%s read %d host states of %d nodes' % (
                type(manager).__name__, len(states), len(node_uuids)))
    return latencies


def run(session, keyspace, host_counts, requests):
    """Time both managers at each host count; return a figure per pair."""
    context = nova_context.get_admin_context()
    cell = next(c for c in objects.CellMappingList.get_all(context)
                if not c.is_cell0())
    store = hosts_store.HostStore(session, keyspace)
    results = []
    for count in host_counts:
        fleet = Fleet(context, cell, store, count)
        try:
            fleet.create()
            for manager_class in (host_manager.HostManager,
                                  cassandra_host_manager.CassandraHostManager):
                manager = manager_class()
                # As computes do periodically: after a second matching
                # sync stock nova trusts its cached instance list of a host
                # instead of reading it from the database per request.
                for host in fleet.hosts * 2:
                    manager.sync_instance_info(context, host, [])
                first = _timed(manager, context, fleet.node_uuids, 1)
                steady = _timed(manager, context, fleet.node_uuids, requests)
                results.append(dict(
                    steady.summary(), hosts=count,
                    manager=manager_class.__name__,
                    first_ms=1000 * first.samples[0]))
        finally:
            fleet.destroy()
            session.execute('TRUNCATE %s.compute_nodes' % keyspace)
    return results
