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

"""Drift between the store's live claims and placement's allocations.

The store is the truth for claims; with ``placement_allocations = async``
placement learns of them from the background writer (``placement_mirror``),
which gives up on a consumer after ``MAX_ATTEMPTS`` and dies with its
process.  ``nova-cassandra-manage placement reconcile`` finds a live claim
whose node holds no allocation of its consumer and writes it, with the
owner nova's API database records for the instance, as the writer would.
Allocations on the store's nodes that no live claim accounts for are
reported and left alone: instances a compute took its claim over for,
migrations and other services own those.
"""

import dataclasses
import time

from oslo_log import log as logging

from nova_cassandra.claims import placement_mirror

LOG = logging.getLogger(__name__)


def claimed(usages):
    """``{node: {consumer: resources}}`` of the live claims, as strings."""
    return {str(usage.record.node_uuid): {
        str(claim.consumer_uuid): dict(claim.resources)
        for claim in usage.claims} for usage in usages}


def compare(claims, allocations):
    """``(missing, unclaimed)``: sorted ``(node, consumer)`` pairs.

    ``claims`` and ``allocations``: ``{node: {consumer: resources}}`` of
    the store's live claims and of placement, on the same nodes.
    ``missing``: claims whose node holds no allocation of the consumer;
    ``unclaimed``: allocations of consumers with no claim on the node.
    """
    missing = sorted((node, consumer)
                     for node, consumers in claims.items()
                     for consumer in consumers
                     if consumer not in allocations.get(node, {}))
    unclaimed = sorted((node, consumer)
                       for node, consumers in allocations.items()
                       for consumer in consumers
                       if consumer not in claims.get(node, {}))
    return missing, unclaimed


@dataclasses.dataclass
class Result:
    nodes: int = 0
    claims: int = 0
    missing: int = 0
    # Missing, younger than the cut-off: the writer's to write.
    recent: int = 0
    written: int = 0
    # Missing, and nova knows no owner for the consumer: not written.
    ownerless: int = 0
    failed: int = 0
    unclaimed: int = 0


def reconcile(usages, allocations_of, owner_of, cutoff, dry_run,
              writer=None):
    """Write the allocations the live claims in ``usages`` miss.

    ``allocations_of(node)``: placement's ``{consumer: resources}`` on a
    node; ``owner_of(consumer)``: ``(project_id, user_id)`` or None;
    claims taken after ``cutoff`` (a datetime, the store's clock) are left
    to the writer.  Returns a ``Result``; logs each pair it counts.
    """
    usages = list(usages)
    result = Result(nodes=len(usages))
    live = claimed(usages)
    recent = {str(claim.consumer_uuid) for usage in usages
              for claim in usage.claims if claim.claimed_at >= cutoff}
    allocations = {node: allocations_of(node) for node in live}
    missing, unclaimed = compare(live, allocations)
    result.claims = sum(len(consumers) for consumers in live.values())
    result.unclaimed = len(unclaimed)
    for node, consumer in unclaimed:
        LOG.info('Allocation of %s on node %s has no claim in the store; '
                 'left alone.', consumer, node)
    writes = {}
    result.missing = len(missing)
    for node, consumer in missing:
        if consumer in recent:
            result.recent += 1
            continue
        owner = owner_of(consumer)
        if owner is None:
            LOG.warning('Claim of %s on node %s has no allocation, and nova '
                        'knows no owner for it: not written.', consumer, node)
            result.ownerless += 1
            continue
        LOG.warning('Claim of %s on node %s has no allocation%s.', consumer,
                    node, '' if dry_run else '; writing it')
        writes.setdefault(consumer, placement_mirror.Write(
            consumer, {}, *owner)).allocations[node] = {
                'resources': live[node][consumer]}
    if not dry_run:
        refused = _write(writer or placement_mirror.Writer(),
                         list(writes.values()))
        result.written = len(writes) - len(refused)
        result.failed = len(refused)
    return result


def _write(writer, writes):
    """Write ``writes`` as the mirror would retry them; the refused."""
    for attempt in range(placement_mirror.MAX_ATTEMPTS):
        if attempt:
            time.sleep(placement_mirror.backoff(attempt))
        _, writes = writer.write(writes)
        if not writes:
            break
    for write in writes:
        LOG.error('Could not write the allocation of %s to placement: %s',
                  write.consumer, write.allocations)
    return writes
