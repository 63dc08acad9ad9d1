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

"""Host rows for a cloud's existing compute nodes, from nova's databases.

A cloud that turns nova-cassandra on already has compute nodes: until each
compute's next resource audit publishes its node, ``hosts backfill`` copies
them from the cell databases (``nova-cassandra-manage hosts backfill``).
Rows a compute already published are newer than the databases: they are
left alone.
"""

from nova import context as nova_context
from nova import objects
from oslo_log import log as logging

from nova_cassandra.compute import host_record
from nova_cassandra import exception

LOG = logging.getLogger(__name__)


def host_records(context):
    """A ``HostRecord`` per compute node of every cell but cell0."""
    for cell in objects.CellMappingList.get_all(context):
        if cell.is_cell0():
            continue
        with nova_context.target_cell(context, cell) as cell_context:
            services = {service.host: service for service in
                        objects.ServiceList.get_by_binary(
                            cell_context, 'nova-compute',
                            include_disabled=True)}
            for node in objects.ComputeNodeList.get_all(cell_context):
                service = services.get(node.host)
                if service is None:
                    LOG.warning('Skipping node %s: its compute service %s '
                                'is deleted.', node.uuid, node.host)
                    continue
                instances = objects.InstanceList.get_by_host_and_node(
                    cell_context, node.host, node.hypervisor_hostname,
                    expected_attrs=[])
                yield host_record.from_compute_node(
                    node, [i.uuid for i in instances])


def backfill(context, store):
    """Create the host row of every node lacking one.

    Returns (rows created, rows already there).
    """
    created = present = 0
    for record in host_records(context):
        try:
            store.create(record)
        except exception.HostExists:
            present += 1
        else:
            created += 1
    return created, present
