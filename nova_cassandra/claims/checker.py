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
