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

"""A compute node's state, as the ResourceTracker holds it, as a host row.

The row carries two views of the node:

* amounts per resource class (``capacity``, ``reserved``, ``used``,
  ``allocation_ratio``), what claims are checked against;
* ``state``: the ``ComputeNode`` object itself, serialized by nova's object
  model, plus the node's instance UUIDs, from which
  the scheduler rebuilds the ``HostState`` stock filters and weighers read.
"""

import dataclasses
import time
import uuid

from nova import conf as nova_conf

from nova_cassandra.store import base

CONF = nova_conf.CONF

VCPU = 'VCPU'
MEMORY_MB = 'MEMORY_MB'
DISK_GB = 'DISK_GB'
# What a host row counts, on the compute node's own provider.
RESOURCE_CLASSES = frozenset([VCPU, MEMORY_MB, DISK_GB])


def _reserved():
    """Amounts the operator keeps for the host, per resource class.

    The ResourceTracker counts them in ``*_used`` (it starts each audit at
    these values), so they are subtracted from ``used`` below.
    """
    return {VCPU: CONF.reserved_host_cpus,
            MEMORY_MB: CONF.reserved_host_memory_mb,
            DISK_GB: CONF.reserved_host_disk_mb // 1024}


def build(compute_node, instance_uuids, migrations, left=()):
    """The ``HostRecord`` of ``compute_node`` as its tracker now sees it.

    The arguments are those the ResourceTracker gives its hooks:

    :param compute_node: the ``objects.ComputeNode`` just persisted
    :param instance_uuids: the instances the tracker's statistics count on
        the node
    :param migrations: the migrations the tracker tracks to or from the
        node
    :param left: instances among ``instance_uuids`` that left the node: the
        tracker's statistics keep a confirmed or reverted move's instance
        until its next audit
    """
    node = (compute_node.host, compute_node.hypervisor_hostname)
    # An instance moving here (resize, migration, evacuation) is on the
    # node for affinity as soon as the tracker counts its usage here.
    incoming = {migration.instance_uuid for migration in migrations
                if (migration.dest_compute, migration.dest_node) == node}
    return from_compute_node(
        compute_node, (set(instance_uuids) | incoming) - set(left))


def same_node(migration):
    """Whether ``migration`` (or None) moves an instance within its node."""
    return (migration is not None
            and migration.source_compute == migration.dest_compute
            and migration.source_node == migration.dest_node)


def content(record):
    """``record`` without when it was built: equal for equal node states."""
    state = {key: value for key, value in record.state.items()
             if key != 'changed_at'}
    return dataclasses.replace(record, state=state)


def from_compute_node(compute_node, instances):
    """The ``HostRecord`` of ``compute_node``, hosting ``instances`` (UUIDs).

    ``state['changed_at']`` (seconds since the epoch) is when the record
    was built, right after the change: the experiment measures how long a
    change takes to be seen from it.
    """
    reserved = _reserved()
    used = {VCPU: compute_node.vcpus_used,
            MEMORY_MB: compute_node.memory_mb_used,
            DISK_GB: compute_node.local_gb_used}
    return base.HostRecord(
        node_uuid=uuid.UUID(compute_node.uuid),
        host=compute_node.host,
        nodename=compute_node.hypervisor_hostname,
        capacity={VCPU: compute_node.vcpus,
                  MEMORY_MB: compute_node.memory_mb,
                  DISK_GB: compute_node.local_gb},
        reserved=reserved,
        allocation_ratio={VCPU: compute_node.cpu_allocation_ratio,
                          MEMORY_MB: compute_node.ram_allocation_ratio,
                          DISK_GB: compute_node.disk_allocation_ratio},
        used={rc: max(0, used[rc] - reserved[rc]) for rc in used},
        state={'compute_node': compute_node.obj_to_primitive(),
               'instances': sorted(instances),
               'changed_at': time.time()})
