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

"""The independent invariant check over what Cassandra holds.

For every node and resource class, usage plus live claims stays within
``(capacity - reserved) * allocation_ratio``; and no consumer holds claims
on two nodes.  It reads the rows afresh (quorum) and shares no state with
the schedulers whose work it checks.
"""

import collections

from nova_cassandra.claims import capacity


def offenders(usages):
    """Lines describing every breach of the invariants; empty if none."""
    lines = []
    nodes_by_consumer = collections.defaultdict(list)
    for usage in usages:
        for resource_class, taken, room in capacity.violations(usage):
            lines.append('node %s (%s): %s %d taken > %d allowed'
                         % (usage.record.node_uuid, usage.record.nodename,
                            resource_class, taken, room))
        for claim in usage.claims:
            nodes_by_consumer[claim.consumer_uuid].append(
                usage.record.node_uuid)
    for consumer, nodes in sorted(nodes_by_consumer.items()):
        if len(nodes) > 1:
            lines.append('consumer %s claimed on %d nodes: %s'
                         % (consumer, len(nodes),
                            ', '.join(str(n) for n in nodes)))
    return lines
