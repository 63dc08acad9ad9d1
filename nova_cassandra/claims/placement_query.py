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

"""What placement's allocation candidates query asks of a compute node.

nova turns a request's constraints into a ``GET /allocation_candidates``
query (``nova.scheduler.utils.ResourceRequest``, with what the request
filters of ``nova.scheduler.request_filter`` add to the ``RequestSpec``).
For a compute node that is a provider on its own, this module answers that
query from the host rows and from nova's aggregates:

* resources: the node's VCPU, MEMORY_MB and DISK_GB (``capacity.fits``);
* ``in_tree``: the node a forced or targeted move names;
* ``member_of`` (any-of groups, all required) and forbidden aggregates:
  availability zones, tenant isolation, isolated aggregates.  nova's host
  aggregates are the placement aggregates of their hosts' nodes: nova-api
  writes both, its own database first.
* ``OWNER_NOVA`` required: every host row is written by a nova-compute.
* ``COMPUTE_STATUS_DISABLED`` forbidden: the host manager reads the
  services' status from the cell databases with each request, so
  ``ComputeFilter`` drops a disabled compute as soon as nova-api disabled
  it, as stock drops it in placement.

Everything else is known to placement alone and is left to its query
(``needs_placement`` says why): request groups (ports with a resource
request, accelerators, numbered flavor groups), ``same_subtree``, resource
classes other than the node's three, and traits, which operators set on
providers in placement and computes learn of only every
``[compute] resource_provider_association_refresh`` seconds.
"""

from nova import exception
from nova import objects

from nova_cassandra.compute import host_record

# Traits nova asks of every compute node, answered as the docstring says.
NOVA_REQUIRED = frozenset(['OWNER_NOVA'])
NOVA_FORBIDDEN = frozenset(['COMPUTE_STATUS_DISABLED'])


def needs_placement(spec_obj, request):
    """Why only placement can answer ``request``, or None.

    :param spec_obj: the ``RequestSpec``, after the request filters ran
    :param request: its ``ResourceRequest``
    """
    group = request.get_request_group(None)
    reasons = []
    if request.get_num_of_suffixed_groups():
        reasons.append('request groups')
    if spec_obj.same_subtree:
        reasons.append('same_subtree')
    classes = set(group.resources) - host_record.RESOURCE_CLASSES
    if classes:
        reasons.append('resource classes %s' % ', '.join(sorted(classes)))
    traits = (group.required_traits | group.forbidden_traits
              | (spec_obj.root_required - NOVA_REQUIRED)
              | (spec_obj.root_forbidden - NOVA_FORBIDDEN))
    if traits:
        reasons.append('traits %s' % ', '.join(sorted(traits)))
    return '; '.join(reasons) or None


class NodeQuery:
    """The node-level part of one request's query: tree and aggregates.

    Aggregate membership is read from nova's API database with the request,
    where nova-api writes it before it writes placement's: exact, whatever
    casts the scheduler missed.  ``placement_only`` says why placement must
    answer instead (an aggregate nova does not know, such as a routed
    network's segment), or is None.
    """

    def __init__(self, context, request):
        group = request.get_request_group(None)
        self._in_tree = group.in_tree
        self.placement_only = None
        hosts = {}
        for aggregate_uuid in set().union(group.forbidden_aggregates,
                                          *group.aggregates):
            try:
                hosts[aggregate_uuid] = set(objects.Aggregate.get_by_uuid(
                    context, aggregate_uuid).hosts)
            except exception.AggregateNotFound:
                self.placement_only = ('aggregate %s unknown to nova'
                                       % aggregate_uuid)
                return
        # Each any-of group as the hosts of its aggregates together.
        self._member_of = [set().union(*(hosts[u] for u in any_of))
                           for any_of in group.aggregates]
        self._forbidden = set().union(
            *(hosts[u] for u in group.forbidden_aggregates))

    def matches(self, record):
        """True if the node of ``record`` (a ``HostRecord``) qualifies."""
        if self._in_tree and str(record.node_uuid) != self._in_tree:
            return False
        return (all(record.host in hosts for hosts in self._member_of)
                and record.host not in self._forbidden)
