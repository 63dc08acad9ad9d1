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

"""nova's fake virt driver as a fleet: many nodes of a few sizes per service.

``nova.virt.fake.FakeDriver`` gives every node the same huge size and a
node uuid that changes with each process.  The experiment wants hosts of a
few capacities (as a real cloud has) and uuids that stay put for the life
of one fleet, so that placement's resource providers and nova's
``compute_nodes`` rows agree across restarts of a compute service.

nova loads drivers from ``nova.virt`` only: the fleet's ``nova-compute``
(``nova_cassandra_experiment.compute``) registers this module as
``nova.virt.<ALIAS>`` and sets ``compute_driver = <ALIAS>.FleetDriver``.

The experiment's pre-fill is usage the computes count, as they count their
instances': ``add_fill`` adds each node's share of ``fill_file`` to what
the resource tracker finds at each audit.
"""

import collections
import json
import os
import uuid

from nova.virt import fake
import os_resource_classes as orc
from oslo_config import cfg

ALIAS = 'nc_experiment_fleet'
NODE_PREFIX = 'nc-exp-node-'
NODE_NAME = NODE_PREFIX + '%05d'

NodeSize = collections.namedtuple('NodeSize',
                                  'name vcpus memory_mb local_gb')

# Node i has size SIZES[i % len(SIZES)]: half medium, a quarter each of
# small and large.
SIZES = (NodeSize('small', 16, 65536, 1000),
         NodeSize('medium', 32, 131072, 2000),
         NodeSize('large', 64, 262144, 4000),
         NodeSize('medium', 32, 131072, 2000))

fleet_group = cfg.OptGroup('experiment_fleet',
                           help='The nodes one fleet compute service runs.')
fleet_opts = [
    cfg.StrOpt('fleet_id', default='',
               help='Names the fleet; node uuids derive from it.'),
    cfg.IntOpt('first_node', default=0, min=0,
               help='Index of the first node of this compute service.'),
    cfg.IntOpt('node_count', default=1, min=1,
               help='How many nodes this compute service runs.'),
    cfg.StrOpt('fill_file',
               help='JSON file of ``{node uuid: {resource class: amount}}``'
                    ' each audit counts as used on top of instances; '
                    'read when it changes, absent means none.'),
    cfg.StrOpt('republish_file',
               help='File the fleet rewrites to have every node published '
                    'to the store at its next audit, changed or not.'),
]

CONF = cfg.CONF
CONF.register_group(fleet_group)
CONF.register_opts(fleet_opts, group=fleet_group)


# (modification time, contents) of the fill file last read.
_FILL = [None, {}]


def _fill():
    """(modification time, fill) of the fill file, read when it changed."""
    path = CONF.experiment_fleet.fill_file
    try:
        mtime = os.stat(path).st_mtime_ns if path else None
    except FileNotFoundError:
        mtime = None
    if mtime is None:
        return None, {}
    if _FILL[0] != mtime:
        with open(path) as f:
            _FILL[:] = mtime, json.load(f)
    return tuple(_FILL)


def fill_of(node_uuid):
    """The node's pre-fill, ``{resource class: amount}`` (may be empty)."""
    return _fill()[1].get(node_uuid, {})


def fill_written():
    """When the fill file was last written (ns), or None if there is none."""
    return _fill()[0]


def republish_request():
    """What ``republish_file`` holds, or None if nothing.

    Each new content asks for every node to be published at its next audit.
    """
    path = CONF.experiment_fleet.republish_file
    if not path:
        return None
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def add_fill(compute_node):
    """Count the node's pre-fill as used, as the tracker counts instances."""
    fill = fill_of(compute_node.uuid)
    compute_node.vcpus_used += fill.get(orc.VCPU, 0)
    compute_node.memory_mb_used += fill.get(orc.MEMORY_MB, 0)
    compute_node.local_gb_used += fill.get(orc.DISK_GB, 0)
    compute_node.free_ram_mb = (compute_node.memory_mb
                                - compute_node.memory_mb_used)
    compute_node.free_disk_gb = (compute_node.local_gb
                                 - compute_node.local_gb_used)


def node_size(index):
    return SIZES[index % len(SIZES)]


def node_uuid(fleet_id, nodename):
    return str(uuid.uuid5(uuid.NAMESPACE_URL,
                          'nc-experiment:%s/%s' % (fleet_id, nodename)))


class FleetDriver(fake.FakeDriver):
    """Nodes ``first_node`` .. ``first_node + node_count - 1``, sized."""

    def init_host(self, host):
        super().init_host(host)
        opts = CONF.experiment_fleet
        indexes = range(opts.first_node, opts.first_node + opts.node_count)
        self._sizes = {NODE_NAME % i: node_size(i) for i in indexes}
        self._set_nodes(list(self._sizes))

    def get_available_resource(self, nodename):
        resources = super().get_available_resource(nodename)
        if resources:
            size = self._sizes[nodename]
            resources.update(
                vcpus=size.vcpus, memory_mb=size.memory_mb,
                local_gb=size.local_gb,
                uuid=node_uuid(CONF.experiment_fleet.fleet_id, nodename))
        return resources

    def update_provider_tree(self, provider_tree, nodename,
                             allocations=None):
        super().update_provider_tree(provider_tree, nodename, allocations)
        size = self._sizes[nodename]
        inventory = provider_tree.data(nodename).inventory
        for rc, total in ((orc.VCPU, size.vcpus),
                          (orc.MEMORY_MB, size.memory_mb),
                          (orc.DISK_GB, size.local_gb)):
            inventory[rc].update(total=total, max_unit=total)
        provider_tree.update_inventory(nodename, inventory)

    def get_nodenames_by_uuid(self, refresh=False):
        fleet_id = CONF.experiment_fleet.fleet_id
        return {node_uuid(fleet_id, n): n for n in self.get_available_nodes()}
