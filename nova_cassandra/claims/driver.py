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

"""The ``cassandra`` and ``mysql`` claims drivers: claims on host rows.

Enabled in nova-scheduler's nova.conf with::

    [scheduler]
    claims_driver = cassandra    # or mysql, the sharded MySQL store

It implements nova's ``nova.scheduler.claims.ClaimsDriver`` (patches/0003).
Evacuations and live migrations forced to a host claim there too
(``claim_on_destination``).  Candidates are drawn from the scheduler's host
view (``nova_cassandra.scheduler.host_view``): at most ``max_candidates``
nodes, at random among those whose usage plus live claims leaves room for
the request, more if nova's filters leave none of them (see
``candidates``).  A claim is a compare-and-set on the chosen node on the
generation the view holds (see ``node_claim``), then, as
``placement_allocations`` (``[cassandra]`` or ``[mysql_store]``) says, the
same allocation in placement: before answering (``sync``, a server's first
allocation in one call, with those of the requests claiming meanwhile, see
``new_consumer``) or by the process's background writer (``async``, see
``placement_mirror``).

Host rows carry VCPU, MEMORY_MB and DISK_GB of the compute node itself; the
query placement would run is applied to them with nova's aggregates (see
``placement_query``).  A request that asks for more (request groups for
ports or accelerators, traits, other resource classes) gets placement's own
candidates, and its claim is taken in both: the node's classes by
compare-and-set in the store, the whole allocation in placement.
"""

import uuid

from nova import exception as nova_exception
from nova.scheduler import claims
from nova.scheduler.client import report
from nova.scheduler import utils
from oslo_log import log as logging
from oslo_utils import excutils

from nova_cassandra.claims import candidates
from nova_cassandra.claims import capacity
from nova_cassandra.claims import new_consumer
from nova_cassandra.claims import node_claim
from nova_cassandra.claims import placement_mirror
from nova_cassandra.claims import placement_query
from nova_cassandra.compute import host_record
from nova_cassandra import conf as nc_conf
from nova_cassandra import exception
from nova_cassandra import metrics
from nova_cassandra.scheduler import host_view
from nova_cassandra.store import backends

CONF = nc_conf.CONF
LOG = logging.getLogger(__name__)


class StoreClaims(claims.ClaimsDriver):
    """Claims resources with compare-and-set on the nodes' rows.

    Written once for both stores; the entry points load the subclasses
    ``bind`` makes, whose ``backend`` says which.
    """

    backend = None

    def __init__(self):
        self._store()  # refuse to start without the store
        self._conf = CONF[self.backend.group]
        self._placement = claims.PlacementClaims()
        self._new_consumers = new_consumer.Batcher()

    def _store(self):
        return self.backend.stores().claims

    def get_candidates(self, context, spec_obj, host_manager):
        """The nodes placement would list for the request.

        Answered from the host rows and nova's aggregates when the query
        asks nothing else of a node (see ``placement_query``), by
        placement's own query otherwise.
        """
        request = utils.resources_from_request_spec(
            context, spec_obj, host_manager, enable_pinning_translate=True)
        why = placement_query.needs_placement(spec_obj, request)
        query = None if why else placement_query.NodeQuery(context, request)
        why = why or query.placement_only
        if why:
            LOG.debug('Asking placement for candidates: %s', why)
            return self._placement_candidates(context, spec_obj,
                                              host_manager, why)
        resources = request.merged_resources()
        view = host_view.get_view(self.backend)
        try:
            view.refresh()
        except self.backend.unavailable as e:
            raise nova_exception.NoValidHost(
                reason='claims cannot be read from the %s store: %s'
                       % (self.backend.name, e))
        metrics.count('requests')
        if capacity.beyond(view.largest_limits(), resources):
            metrics.count('beyond_every_node')
            raise nova_exception.NoValidHost(reason='')
        found = candidates.Candidates(
            (usage for usage in view.walk()
             if query.matches(usage.record)
             and capacity.fits(usage, resources)),
            resources, self._conf.max_candidates)
        if not found.next_batch():
            raise nova_exception.NoValidHost(reason='')
        # With nova-cassandra's host manager, filters may widen to more.
        offer_more = getattr(host_manager, 'offer_more', None)
        if offer_more is not None:
            offer_more(context, spec_obj, found)
        return (found.allocation_requests, found.provider_summaries,
                report.SAME_SUBTREE_VERSION)

    def _placement_candidates(self, context, spec_obj, host_manager, why):
        try:
            return self._placement.get_candidates(context, spec_obj,
                                                  host_manager)
        except nova_exception.NoValidHost:
            raise nova_exception.NoValidHost(
                reason='placement has no candidate for a request that '
                       'needs its query (%s)' % why)

    def claim(self, context, compute_node_uuid, spec_obj, instance_uuid,
              alloc_req, allocation_request_version=None):
        """Take the resources on the node, then mirror them to placement.

        Only the node's own VCPU, MEMORY_MB and DISK_GB are in the store:
        an allocation that also takes other providers or classes (request
        groups, PCPU) is written to placement before answering, whatever
        ``placement_allocations`` says, as placement alone checks those.
        """
        node = compute_node_uuid
        requested = alloc_req['allocations'][node]['resources']
        resources = {rc: amount for rc, amount in requested.items()
                     if rc in host_record.RESOURCE_CLASSES}
        placement_only = (len(alloc_req['allocations']) > 1
                          or len(resources) < len(requested))
        try:
            claimed = node_claim.claim(
                self._store(), uuid.UUID(node), uuid.UUID(instance_uuid),
                resources, self._conf.claim_ttl,
                host_view.get_view(self.backend))
        except exception.HostNotFound:
            LOG.warning('Node %s lost its host row; trying another host.',
                        node)
            return False
        except self.backend.unavailable as e:
            # A timed-out compare-and-set may still have been applied: the
            # claim then expires unused, it never over-commits.
            LOG.error('Claim on node %s failed, trying another host: %s',
                      node, e)
            return False
        if not claimed:
            return False
        mode = self._conf.placement_allocations
        if mode == 'sync' or placement_only:
            if not self._claim_in_placement(
                    context, spec_obj, instance_uuid, alloc_req,
                    allocation_request_version):
                self._store().release(uuid.UUID(node),
                                      uuid.UUID(instance_uuid))
                return False
        elif mode == 'async':
            # The user as nova's utils.claim_resources picks it.
            user_id = spec_obj.user_id if 'user_id' in spec_obj else None
            placement_mirror.get_mirror().submit(placement_mirror.Write(
                instance_uuid,
                {rp: {'resources': dict(alloc['resources'])}
                 for rp, alloc in alloc_req['allocations'].items()},
                spec_obj.project_id, user_id or context.user_id))
        return True

    def _claim_in_placement(self, context, spec_obj, instance_uuid,
                            alloc_req, allocation_request_version):
        """nova's claim in placement, in one call for a new consumer.

        A move's consumer holds the host it leaves (its request spec says
        which), so its claim is nova's own, which reads the consumer first.
        """
        client = self._placement.placement_client
        if not ('ignore_hosts' in spec_obj and spec_obj.ignore_hosts):
            client = new_consumer.NewConsumerClient(client,
                                                    self._new_consumers)
        return utils.claim_resources(
            context, client, spec_obj, instance_uuid, alloc_req,
            allocation_request_version=allocation_request_version)

    def cleanup(self, context, instance_uuids):
        """Release the claims of ``instance_uuids`` (and their allocations).

        They are claims this scheduler took in the request it answers, so
        its host view knows where they are.  Their writes still queued for
        placement are dropped first, so the delete is the last word.
        """
        placement_mirror.get_mirror().cancel(instance_uuids)
        node_claim.release_all(
            self._store(), host_view.get_view(self.backend).nodes(),
            {uuid.UUID(u) for u in instance_uuids})
        # Even when 'off': requests placement answered have allocations.
        self._placement.cleanup(context, instance_uuids)

    def claim_on_destination(self, context, instance, source_node, dest_node,
                             source_allocations=None,
                             consumer_generation=None):
        """Claim the instance's usage on a forced destination, then placement.

        The amounts are the instance's allocation on its source node (read
        from placement when not given), for the classes host rows count.
        Placement then gets the whole allocation, as stock nova copies it;
        should it refuse, the store's claim is released.
        """
        if source_allocations is None:
            source_allocations = (
                self._placement.placement_client.get_allocs_for_consumer(
                    context, instance.uuid)['allocations'])
        requested = source_allocations.get(source_node.uuid, {}).get(
            'resources', {})
        resources = {rc: amount for rc, amount in requested.items()
                     if rc in host_record.RESOURCE_CLASSES}
        node, consumer = uuid.UUID(dest_node.uuid), uuid.UUID(instance.uuid)
        try:
            claimed = node_claim.claim(self._store(), node, consumer,
                                       resources, self._conf.claim_ttl)
        except (exception.HostNotFound, self.backend.unavailable) as e:
            raise nova_exception.NoValidHost(
                reason='cannot claim on node %s in the %s store: %s'
                       % (node, self.backend.name, e))
        if not claimed:
            raise nova_exception.NoValidHost(
                reason='node %s has no room for instance %s in the %s store'
                       % (node, consumer, self.backend.name))
        try:
            self._placement.claim_on_destination(
                context, instance, source_node, dest_node,
                source_allocations=source_allocations,
                consumer_generation=consumer_generation)
        except Exception:
            with excutils.save_and_reraise_exception():
                self._store().release(node, consumer)


CassandraClaims = backends.bind(StoreClaims, backends.CASSANDRA)
MySQLClaims = backends.bind(StoreClaims, backends.MYSQL)
