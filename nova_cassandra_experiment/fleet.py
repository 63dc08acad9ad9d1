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

"""The fake compute fleet: real nova-compute services, many nodes each.

One ``nova-conductor`` (computes reach the database through it) and
``ceil(hosts / nodes_per_compute)`` ``nova-compute`` services running the
fleet driver.  They register compute nodes and resource providers as real
computes do, and send the schedulers their instance info.  A synthetic
fleet is one process that writes the same records for thousands of nodes
without their audits, and changes each node at a set rate instead
(``synthetic_fleet``).  Every record of the fleet (providers, allocations,
services, host mappings) is removed before it starts and after it stops.
"""

import collections
import json
import os
import sys
import uuid

from nova import context as nova_context
from nova import exception as nova_exception
from nova import objects
from nova.objects import host_mapping
from oslo_log import log as logging

from nova_cassandra.compute import host_record
from nova_cassandra_experiment import checker
from nova_cassandra_experiment import fake_driver
from nova_cassandra_experiment import placement as placement_mod
from nova_cassandra_experiment import processes

LOG = logging.getLogger(__name__)

COMPUTE_HOST = 'nc-exp-compute-%d'
CONDUCTOR_HOST = 'nc-exp-conductor'
FILL_PROJECT = 'nc-experiment-fill'
# Providers whose pre-fill one ``POST /allocations`` writes.
FILL_BATCH = 50
# How often each compute casts its instance list to the schedulers.  nova's
# default is 120 s; 10 s lets a new scheduler trust the casts (its second
# sync from a host marks it up to date) before it is measured.
SYNC_INTERVAL = 10
# Every set-up's computes run their resource audit this often, from the
# start (nova delays periodic tasks by up to 60 s otherwise).  Stock's audit
# saves a compute node when it changed, a plugin's publishes it to its store
# when it changed: the same work on the same clock for all.  A plugin's
# computes publish an unchanged node again after
# ``host_state_republish_interval`` (600 s, as deployed), or at the next
# audit once the fleet asks them to (``Fleet.republish``).
AUDIT_INTERVAL = 20
COMPUTE_CONF = {'DEFAULT': {
    'compute_driver': fake_driver.ALIAS + '.FleetDriver',
    'update_resources_interval': AUDIT_INTERVAL,
    'periodic_fuzzy_delay': 0,
    'scheduler_instance_sync_interval': SYNC_INTERVAL,
}}


def purge(placement):
    """Remove every provider, allocation, service and mapping of fleets."""
    context = nova_context.get_admin_context()
    providers = placement.providers(fake_driver.NODE_PREFIX)
    placement.release_held(providers)
    placement_mod.each(placement.delete_provider, providers)
    for service in objects.ServiceList.get_all(context):
        if service.host.startswith(('nc-exp-compute-', CONDUCTOR_HOST)):
            try:
                objects.HostMapping.get_by_host(context,
                                                service.host).destroy()
            except nova_exception.HostMappingNotFound:
                pass
            service.destroy()


def fill_chunks(inventories, share, room):
    """``share`` of a node's capacity as allocations placement accepts.

    The fill leaves the node at least ``room`` (``{resource class:
    amount}``) free.  One consumer may hold at most ``max_unit`` of a
    class, so the fill is split evenly over as few consumers as that
    allows.
    """
    amounts = {rc: max(0, min(int(share * checker.capacity(inventory)),
                              checker.capacity(inventory) - room.get(rc, 0)))
               for rc, inventory in inventories.items()}
    count = max(-(-amount // inventories[rc]['max_unit'])
                for rc, amount in amounts.items())
    return [{rc: amount // count + (i < amount % count)
             for rc, amount in amounts.items()
             if amount // count + (i < amount % count)}
            for i in range(count)]


def fill_batches(inventories, share, room):
    """Every provider's pre-fill (``fill_chunks``): ``(filled, batches)``.

    ``filled``: ``{rp_uuid: {resource class: amount}}``; ``batches``: the
    fill consumers, ``{consumer uuid: (rp_uuid, resources)}`` per
    ``POST /allocations``, each holding every consumer of ``FILL_BATCH``
    providers, so batches written at once never race for a provider.
    """
    filled = {}
    batches = collections.defaultdict(dict)
    for n, (rp_uuid, inventory) in enumerate(sorted(inventories.items())):
        used = collections.Counter()
        for i, resources in enumerate(fill_chunks(inventory, share, room)):
            consumer = str(uuid.uuid5(uuid.NAMESPACE_URL,
                                      'fill/%s/%d' % (rp_uuid, i)))
            batches[n // FILL_BATCH][consumer] = rp_uuid, resources
            used.update(resources)
        filled[rp_uuid] = dict(used)
    return filled, list(batches.values())


def _replace(path, text):
    """Write ``path`` whole: its readers never see a partial file."""
    with open(path + '.new', 'w') as f:
        f.write(text)
    os.replace(path + '.new', path)


class Fleet(processes.ProcessGroup):

    def __init__(self, hosts, nodes_per_compute, config_files, compute_conf,
                 conductor_conf, run_dir, placement, churn_interval=None):
        """``churn_interval`` (seconds, 0 for none): a synthetic fleet."""
        super().__init__()
        self.churn_interval = churn_interval
        self.hosts = hosts
        self.nodes_per_compute = nodes_per_compute
        self.config_files = config_files
        self.compute_conf = compute_conf
        # The set-up's claims driver and store: reschedules' alternates
        # and forced destinations are claimed by the conductor.
        self.conductor_conf = conductor_conf
        self.run_dir = run_dir
        self.placement = placement
        self.fleet_id = uuid.uuid4().hex
        self.fill_path = os.path.join(run_dir, 'fill.json')
        self.republish_path = os.path.join(run_dir, 'republish')
        self.providers = {}

    @property
    def compute_hosts(self):
        return [COMPUTE_HOST % i for i in
                range(-(-self.hosts // self.nodes_per_compute))]

    def _fleet_conf(self, first, count):
        """``[experiment_fleet]`` of the service running these nodes."""
        return {'experiment_fleet': {
            'fleet_id': self.fleet_id, 'first_node': first,
            'node_count': count, 'fill_file': self.fill_path,
            'republish_file': self.republish_path}}

    def start_all(self, timeout):
        purge(self.placement)
        if self.churn_interval is None:
            self._start_computes()
        else:
            self.start(processes.Process(
                'synthetic-fleet',
                [sys.executable, '-m',
                 'nova_cassandra_experiment.synthetic_fleet'],
                self.config_files, processes.merge_conf(
                    COMPUTE_CONF, self._fleet_conf(0, self.hosts),
                    {'experiment_fleet': {
                        'nodes_per_compute': self.nodes_per_compute,
                        'churn_interval': self.churn_interval}},
                    self.compute_conf),
                self.run_dir))
        self.wait_for('%d resource providers in placement' % self.hosts,
                      self._registered, timeout, interval=2)
        mappings = host_mapping.discover_hosts(
            nova_context.get_admin_context())
        LOG.info('fleet of %d nodes up; %d compute hosts mapped',
                 self.hosts, len(mappings))

    def _start_computes(self):
        self.start(processes.Process(
            'conductor', [processes.venv_command('nova-conductor')],
            self.config_files, processes.merge_conf(
                self.conductor_conf, {'DEFAULT': {'host': CONDUCTOR_HOST},
                                      'conductor': {'workers': 1}}),
            self.run_dir))
        for i, host in enumerate(self.compute_hosts):
            first = i * self.nodes_per_compute
            count = min(self.nodes_per_compute, self.hosts - first)
            self.start(processes.Process(
                host, [sys.executable,
                       '-m', 'nova_cassandra_experiment.compute'],
                self.config_files, processes.merge_conf(
                    COMPUTE_CONF, {'DEFAULT': {'host': host}},
                    self._fleet_conf(first, count), self.compute_conf),
                self.run_dir))

    def _registered(self):
        providers = self.placement.providers(fake_driver.NODE_PREFIX)
        if len(providers) < self.hosts:
            return False
        self.inventories = placement_mod.each(self.placement.inventories,
                                              providers)
        self.providers = providers
        return all(self.inventories.values())

    def fill(self, share, room, timeout):
        """Fill ``share`` of every node's capacity, as instances would.

        Each node keeps at least ``room`` free (``fill_chunks``).  Each
        node's fill is allocated in placement to fill consumers and
        written to ``fill_path``, which its compute counts as used from
        its next audit on.  Returns ``{rp_uuid: {resource class:
        amount}}`` once nova's compute nodes all count it.
        """
        filled, batches = fill_batches(self.inventories, share, room)
        placement_mod.in_parallel(lambda batch: self.placement.allocate(
            batch, FILL_PROJECT, FILL_PROJECT), batches)
        _replace(self.fill_path, json.dumps(filled))
        self.wait_for('the pre-fill counted by %d compute nodes'
                      % self.hosts, lambda: self._counted(filled), timeout,
                      interval=2)
        return filled

    def _counted(self, filled):
        """Whether every node's compute counts its fill as used."""
        counted = {node.uuid: checker.nonzero(
            host_record.from_compute_node(node, ()).used)
            for node in objects.ComputeNodeList.get_all(
                nova_context.get_admin_context())}
        return all(counted.get(rp_uuid) == checker.nonzero(used)
                   for rp_uuid, used in filled.items())

    def republish(self):
        """Have every node published to the store at its next audit.

        The plugin's computes publish only what changed; a store emptied
        between two runs gets every row back within one audit interval.
        """
        _replace(self.republish_path, uuid.uuid4().hex)

    def capacity(self):
        """Total capacity of the fleet per resource class."""
        total = {}
        for inventories in self.inventories.values():
            for rc, inventory in inventories.items():
                total[rc] = total.get(rc, 0) + checker.capacity(inventory)
        return total

    def stop(self):
        super().stop()
        purge(self.placement)
