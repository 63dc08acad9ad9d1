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

"""Taking a claim on one node by compare-and-set, and releasing claims.

Read the node's usage and claims, check the request fits, write the claim
conditioned on the generation read.  A lost compare-and-set means another
scheduler (or the compute) changed the node: read it again and re-check, at
most ``CONFLICT_RETRY_COUNT`` times, then let the caller move on to its next
weighed host.
"""

from oslo_log import log as logging

from nova_cassandra.claims import capacity
from nova_cassandra import exception
from nova_cassandra import metrics
from nova_cassandra.store import base

LOG = logging.getLogger(__name__)

CONFLICT_RETRY_COUNT = 3


def claim(store, node_uuid, consumer_uuid, resources, ttl, view=None):
    """Take ``resources`` on the node for the consumer; True if taken.

    With a ``view`` (the scheduler's ``HostView``), the first
    compare-and-set is on the generation the view holds, the node is read
    from the store only after a lost one, and the view learns what is read
    and what is taken; without, the node is read before each attempt.
    False when they do not fit, or the node kept changing under us for
    every retry.  Raises ``HostNotFound`` for a node without a row, and
    ``InvalidClaim`` for a negative amount (it would free capacity others
    then over-commit) or a TTL under a second (0 would never expire).
    """
    problem = base.amounts_problem(resources)
    if problem is None and (isinstance(ttl, bool) or not isinstance(ttl, int)
                            or ttl < 1):
        problem = 'TTL %r is not a whole number of seconds >= 1' % (ttl,)
    if problem:
        raise exception.InvalidClaim(consumer=consumer_uuid, node=node_uuid,
                                     reason=problem)
    usage = view and view.get(node_uuid)
    for attempt in range(CONFLICT_RETRY_COUNT + 1):
        if usage is None:
            usage = store.node_usage(node_uuid)
            metrics.count('rows_read')
            if view:
                view.note(usage)
        if not capacity.fits(usage, resources):
            LOG.info('Node %s no longer has room for %s.', node_uuid,
                     consumer_uuid)
            metrics.count('no_fit')
            return False
        try:
            generation = store.claim(node_uuid, usage.record.generation,
                                     consumer_uuid, resources, ttl)
        except exception.HostConflict:
            LOG.info('Claim for %s on node %s lost its compare-and-set '
                     '(attempt %d of %d).', consumer_uuid, node_uuid,
                     attempt + 1, CONFLICT_RETRY_COUNT + 1)
            metrics.count('conflicts')
            if attempt < CONFLICT_RETRY_COUNT:
                metrics.count('retries')
            usage = None
            continue
        metrics.count('claims')
        if view:
            view.note(usage.with_claim(generation, consumer_uuid,
                                       resources))
        return True
    LOG.info('Node %s changed on every one of %d claim attempts for %s; '
             'trying another host.', node_uuid, CONFLICT_RETRY_COUNT + 1,
             consumer_uuid)
    metrics.count('gave_up')
    return False


def held_by(usages, consumer_uuids):
    """``(node uuid, consumer uuid)`` of each claim these consumers hold.

    ``usages``: the ``NodeUsage`` of every node (a store's ``all_usage()``
    or a host view's ``nodes()``).
    """
    wanted = set(consumer_uuids)
    return [(usage.record.node_uuid, held.consumer_uuid)
            for usage in usages for held in usage.claims
            if held.consumer_uuid in wanted]


def release_all(store, usages, consumer_uuids):
    """Release every claim these consumers hold on ``usages``' nodes."""
    for node_uuid, consumer_uuid in held_by(usages, consumer_uuids):
        store.release(node_uuid, consumer_uuid)
