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

"""The ``reads`` preset: a scheduler's cost per request as hosts grow.

For each host count, simulated compute nodes are written where each
manager reads them: services, compute nodes and host mappings in nova's
databases (as computes register them), and their host rows in a scratch
keyspace (as ``hosts backfill`` writes them).  Then each subject serves
the same number of requests in turn, timed (wall and this process's CPU):

- stock ``HostManager``: ``get_host_states_by_uuids`` for the nodes
  placement would name (``max_placement_results``: nova's default 1000,
  then the plugin's bound), fully consumed;
- nova-cassandra: the claims driver's ``get_candidates`` (its host view
  brought up to date from the changes log) and ``CassandraHostManager``'s
  host states for those candidates; between requests, untimed, a claim on
  one of them, as a real request would take.  Before the first request,
  untimed, it builds the host state of every node once, as a running
  scheduler has: a node's stored state is decoded again only when its
  compute publishes a new one.

Store rows read per request come from ``nova_cassandra.metrics``.  Every
record written is removed at the end.
"""

import random
import time
import uuid

from nova import context as nova_context
from nova import objects
from nova.scheduler import host_manager
from oslo_log import log as logging

from nova_cassandra.claims import driver as claims_driver
from nova_cassandra.compute import host_record
from nova_cassandra import conf as nc_conf
from nova_cassandra import metrics
from nova_cassandra.scheduler import host_manager as cassandra_host_manager
from nova_cassandra.scheduler import host_view
from nova_cassandra.store.cassandra import hosts as hosts_store
from nova_cassandra_experiment import presets
from nova_cassandra_experiment import stats

CONF = nc_conf.CONF

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
            free_ram_mb=131072 - 512 * (index % 64), free_disk_gb=2000,
            supported_hv_specs=[],
            hypervisor_type='fake', hypervisor_version=1,
            cpu_info='{}', cpu_allocation_ratio=4.0,
            ram_allocation_ratio=1.5, disk_allocation_ratio=1.0)
        node.create()
        self.records.append(node)
        self.node_uuids.append(node.uuid)
        # Every field set, as a compute's tracker holds it.
        self.store.create(host_record.from_compute_node(
            objects.ComputeNode.get_by_uuid(cctxt, node.uuid), []))

    def destroy(self):
        with nova_context.target_cell(self.context, self.cell):
            for record in reversed(self.records):
                record.destroy()


# [scheduler] max_placement_results: nova's default, and the bound a
# careful deployer sets (presets.MAX_CANDIDATES, the plugin's default).
STOCK_CANDIDATES = 1000


class _Stock:
    """Stock nova's share of a request once placement has answered."""

    def __init__(self, name, candidates, fleet):
        self.name = name
        self.candidates = candidates
        self.fleet = fleet
        self.manager = host_manager.HostManager()
        # As computes do periodically: after a second matching sync stock
        # nova trusts its cached instance list of a host instead of
        # reading it from the database per request.
        for host in fleet.hosts * 2:
            self.manager.sync_instance_info(fleet.context, host, [])

    def request(self):
        """Host states of as many nodes as placement would name."""
        uuids = random.sample(self.fleet.node_uuids,
                              min(self.candidates, self.fleet.count))
        states = list(self.manager.get_host_states_by_uuids(
            self.fleet.context, uuids, None))
        if len(states) != len(uuids):
            raise RuntimeError('%s built %d host states of %d nodes' % (
                self.name, len(states), len(uuids)))

    def after(self):
        """Nothing: stock's claim is placement's, not measured here."""


class _Plugin:
    """nova-cassandra's whole request: candidates, then their host states.

    Between requests (untimed) it claims on a candidate, so the next
    request's view reads a changes log with something in it.
    """

    name = 'nova-cassandra'

    def __init__(self, fleet):
        self.fleet = fleet
        self.manager = cassandra_host_manager.CassandraHostManager()
        self.claims = claims_driver.CassandraClaims()
        self.spec = _request_spec()
        self._last = None
        # The nodes of an earlier fleet left the store unlogged.
        host_view.get_view(self.claims.backend).expire()
        # A scheduler that has been running has decoded every node once;
        # a node is decoded again only when its compute publishes it.
        list(self.manager.get_host_states_by_uuids(
            fleet.context, fleet.node_uuids, None))

    def request(self):
        by_rp, _, _ = self.claims.get_candidates(self.fleet.context,
                                                 self.spec, self.manager)
        states = list(self.manager.get_host_states_by_uuids(
            self.fleet.context, list(by_rp), self.spec))
        if not states or len(states) != len(by_rp):
            raise RuntimeError('%s built %d host states of %d candidates'
                               % (self.name, len(states), len(by_rp)))
        chosen = random.choice(states)
        self._last = chosen, by_rp[chosen.uuid][0]

    def after(self):
        host_state, alloc_req = self._last
        self.claims.claim(self.fleet.context, host_state.uuid, self.spec,
                          str(uuid.uuid4()), alloc_req)


def _request_spec():
    """A small flavor's RequestSpec, as nova's request filters leave it."""
    flavor = objects.Flavor(vcpus=1, memory_mb=512, root_gb=1,
                            ephemeral_gb=0, swap=0, extra_specs={})
    spec = objects.RequestSpec(
        flavor=flavor, is_bfv=False, requested_resources=[],
        image=objects.ImageMeta(properties=objects.ImageMetaProps()),
        num_instances=1, instance_uuid=str(uuid.uuid4()))
    spec.root_required.add('OWNER_NOVA')
    spec.root_forbidden.add('COMPUTE_STATUS_DISABLED')
    return spec


def _timed(subject, requests):
    """Wall latencies, CPU and store rows read of ``requests`` requests."""
    latencies = stats.Latencies()
    cpu = 0.0
    before = metrics.snapshot()
    for _ in range(requests):
        started = time.process_time()
        latencies.time(subject.request)
        cpu += time.process_time() - started
        subject.after()
    after = metrics.snapshot()
    rows = sum(after.get(name, 0) - before.get(name, 0)
               for name in ('view_rows_read', 'rows_read'))
    return dict(latencies.summary(), cpu_ms=1000 * cpu / requests,
                rows_per_request=rows / requests)


def run(session, keyspace, host_counts, requests):
    """Time each subject at each host count; return a figure per pair.

    The plugin's claims are not mirrored to placement
    (``placement_allocations = off``): placement's share of a request is
    not in any figure here, stock's (``GET /allocation_candidates``)
    neither.
    """
    context = nova_context.get_admin_context()
    cell = next(c for c in objects.CellMappingList.get_all(context)
                if not c.is_cell0())
    store = hosts_store.HostStore(session, keyspace)
    CONF.set_override('placement_allocations', 'off', 'cassandra')
    results = []
    for count in host_counts:
        fleet = Fleet(context, cell, store, count)
        try:
            fleet.create()
            for subject in (
                    _Stock('HostManager', STOCK_CANDIDATES, fleet),
                    _Stock('HostManager, %d candidates'
                           % presets.MAX_CANDIDATES,
                           presets.MAX_CANDIDATES, fleet),
                    _Plugin(fleet)):
                first = _timed(subject, 1)
                results.append(dict(
                    _timed(subject, requests), hosts=count,
                    manager=subject.name, first_ms=first['p50_ms']))
        finally:
            fleet.destroy()
            session.execute('TRUNCATE %s.compute_nodes' % keyspace)
    return results
