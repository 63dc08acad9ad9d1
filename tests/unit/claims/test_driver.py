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

import dataclasses
from unittest import mock
import uuid

from nova import exception as nova_exception
from nova import objects
from nova.scheduler import utils
from oslo_config import fixture as config_fixture
import testtools

from nova_cassandra.claims import driver
from nova_cassandra import exception
from nova_cassandra.scheduler import host_view
from nova_cassandra.store import backends
from nova_cassandra.store import base

objects.register_all()

NODE_A, NODE_B = uuid.uuid4(), uuid.uuid4()
SMALL = {'VCPU': 1, 'MEMORY_MB': 512, 'DISK_GB': 1}


def usage(node, vcpus, used, host='h'):
    return base.NodeUsage(base.HostRecord(
        node_uuid=node, host=host, nodename=str(node),
        capacity={'VCPU': vcpus, 'MEMORY_MB': 4096, 'DISK_GB': 100},
        used={'VCPU': used}, generation=1), [])


def on_store(test, driver_cls, open_stores):
    """Bind ``driver_cls`` to its store as ``open_stores(conf)`` opens it."""
    test.patch(driver_cls, 'backend', dataclasses.replace(
        driver_cls.backend, open_stores=open_stores))


def request_spec(extra_specs=None, **fields):
    """A RequestSpec for SMALL, as nova's request filters leave it."""
    flavor = objects.Flavor(vcpus=1, memory_mb=512, root_gb=1,
                            ephemeral_gb=0, swap=0,
                            extra_specs=extra_specs or {})
    spec = objects.RequestSpec(
        flavor=flavor, is_bfv=False, requested_resources=[],
        image=objects.ImageMeta(properties=objects.ImageMetaProps()),
        **fields)
    spec.root_required.add('OWNER_NOVA')
    spec.root_forbidden.add('COMPUTE_STATUS_DISABLED')
    return spec


class TestCassandraClaims(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(config_fixture.Config(driver.CONF))
        self.store = mock.Mock(changes=None)
        self.store.all_usage.return_value = [usage(NODE_A, 4, 4),
                                             usage(NODE_B, 4, 1)]
        self.patch(backends, '_PER_PROCESS', {})
        on_store(self, driver.CassandraClaims,
                 lambda conf: base.Stores(None, self.store, None))
        self.patch(driver.report, 'report_client_singleton', mock.Mock())
        self.driver = driver.CassandraClaims()
        # placement's candidates and cleanup are faked, its claim is nova's
        # (utils.claim_resources, patched by the tests that claim).
        self.placement = self.driver._placement
        for name in ('get_candidates', 'cleanup'):
            self.patch(self.placement, name, mock.Mock())
        self.spec = request_spec()

    def test_candidates_are_the_nodes_with_room(self):
        by_rp, summaries, version = self.driver.get_candidates(
            None, self.spec, None)
        self.assertEqual([str(NODE_B)], list(by_rp))
        self.assertEqual([str(NODE_B)], list(summaries))
        [alloc_req] = by_rp[str(NODE_B)]
        self.assertEqual({str(NODE_B): {'resources': SMALL}},
                         alloc_req['allocations'])
        self.assertEqual({'': [str(NODE_B)]}, alloc_req['mappings'])
        self.assertEqual('1.36', version)

    def test_candidates_are_at_most_max_candidates_drawn_at_random(self):
        driver.CONF.set_override('max_candidates', 3, 'cassandra')
        self.store.all_usage.return_value = [
            usage(uuid.uuid4(), 4, 1) for _ in range(20)]
        offers = {}
        host_manager = mock.Mock(offer_more=lambda ctx, spec, found:
                                 offers.update(found=found))
        drawn = set()
        for _ in range(10):
            by_rp, summaries, _ = self.driver.get_candidates(
                None, self.spec, host_manager)
            self.assertEqual(3, len(by_rp))
            self.assertEqual(set(by_rp), set(summaries))
            drawn.update(by_rp)
        # Ten requests drawing 3 of 20 at random do not all draw the same.
        self.assertGreater(len(drawn), 3)
        # The next batches hold the other nodes, each once.
        found = offers['found']
        rest = []
        while batch := found.next_batch():
            rest.extend(batch)
        self.assertEqual(20, len(set(by_rp) | set(rest)))
        self.assertEqual(17, len(rest))

    def test_no_room_anywhere_is_no_valid_host(self):
        self.store.all_usage.return_value = [usage(NODE_A, 4, 4)]
        self.assertRaises(nova_exception.NoValidHost,
                          self.driver.get_candidates, None, self.spec, None)

    def test_beyond_every_node_is_no_valid_host_without_a_walk(self):
        self.patch(host_view.HostView, 'walk',
                   mock.Mock(side_effect=AssertionError('walked')))
        self.spec.flavor.memory_mb = 8192
        self.assertRaises(nova_exception.NoValidHost,
                          self.driver.get_candidates, None, self.spec, None)

    def _aggregates(self, hosts_by_uuid):
        def get_by_uuid(context, aggregate_uuid):
            if aggregate_uuid not in hosts_by_uuid:
                raise nova_exception.AggregateNotFound(
                    aggregate_id=aggregate_uuid)
            return objects.Aggregate(uuid=aggregate_uuid,
                                     hosts=hosts_by_uuid[aggregate_uuid])
        self.patch(objects.Aggregate, 'get_by_uuid', get_by_uuid)

    def test_availability_zone_is_an_aggregate_of_the_host(self):
        self.store.all_usage.return_value = [
            usage(NODE_A, 4, 1, host='h1'), usage(NODE_B, 4, 1, host='h2')]
        self._aggregates({'zone1': ['h1'], 'zone2': ['h2'], 'zone3': []})
        self.spec.requested_destination = objects.Destination(
            aggregates=['zone2,zone3'])
        by_rp, _, _ = self.driver.get_candidates(None, self.spec, None)
        self.assertEqual([str(NODE_B)], list(by_rp))
        self.spec.requested_destination = objects.Destination(
            forbidden_aggregates={'zone2'})
        by_rp, _, _ = self.driver.get_candidates(None, self.spec, None)
        self.assertEqual([str(NODE_A)], list(by_rp))
        self.spec.requested_destination = objects.Destination(
            aggregates=['zone1', 'zone2'])
        self.assertRaises(nova_exception.NoValidHost,
                          self.driver.get_candidates, None, self.spec, None)
        self.placement.get_candidates.assert_not_called()

    def test_an_aggregate_nova_does_not_know_is_placement_s(self):
        # A routed network's segment is an aggregate in placement only.
        self._aggregates({})
        self.spec.requested_destination = objects.Destination(
            aggregates=['segment'])
        self.assertIs(self.placement.get_candidates.return_value,
                      self.driver.get_candidates('ctx', self.spec, None))
        self.store.all_usage.assert_not_called()

    def test_traits_are_answered_by_placement(self):
        self.spec = request_spec({'trait:HW_CPU_X86_VMX': 'required'})
        self.assertIs(self.placement.get_candidates.return_value,
                      self.driver.get_candidates('ctx', self.spec, None))
        self.placement.get_candidates.assert_called_once_with(
            'ctx', self.spec, None)
        self.store.all_usage.assert_not_called()

    def test_placement_without_candidates_says_why_it_was_asked(self):
        self.spec.requested_resources = [objects.RequestGroup(
            requester_id='port', resources={'NET_BW_EGR_KILOBIT_PER_SEC': 1})]
        self.placement.get_candidates.side_effect = (
            nova_exception.NoValidHost(reason=''))
        e = self.assertRaises(nova_exception.NoValidHost,
                              self.driver.get_candidates, None, self.spec,
                              None)
        self.assertIn('request groups', str(e))

    def test_nested_allocation_goes_to_placement_even_when_off(self):
        driver.CONF.set_override('placement_allocations', 'off',
                                 'cassandra')
        claim = mock.Mock(return_value=True)
        self.patch(driver.node_claim, 'claim', claim)
        claim_resources = mock.Mock(return_value=True)
        self.patch(utils, 'claim_resources', claim_resources)
        alloc_req = {'allocations': {
            str(NODE_B): {'resources': SMALL},
            str(NODE_A): {'resources': {'NET_BW_EGR_KILOBIT_PER_SEC': 1}}}}
        self.assertTrue(self.driver.claim(
            None, str(NODE_B), self.spec, str(uuid.uuid4()),
            alloc_req))
        self.assertEqual(SMALL, claim.call_args[0][3])
        claim_resources.assert_called_once()

    def test_pcpu_is_claimed_in_placement_the_rest_in_the_store(self):
        claim = mock.Mock(return_value=True)
        self.patch(driver.node_claim, 'claim', claim)
        self.patch(utils, 'claim_resources', mock.Mock(return_value=True))
        alloc_req = {'allocations': {str(NODE_B): {'resources': {
            'PCPU': 2, 'MEMORY_MB': 512}}}}
        self.assertTrue(self.driver.claim(
            None, str(NODE_B), self.spec, str(uuid.uuid4()),
            alloc_req))
        self.assertEqual({'MEMORY_MB': 512}, claim.call_args[0][3])
        utils.claim_resources.assert_called_once()

    def _claim(self):
        alloc_req = {'allocations': {str(NODE_B): {'resources': SMALL}}}
        return self.driver.claim(None, str(NODE_B), self.spec,
                                 str(uuid.uuid4()), alloc_req)

    def test_claim_on_a_deleted_host_moves_on(self):
        self.patch(driver.node_claim, 'claim',
                   mock.Mock(side_effect=exception.HostNotFound(node='x')))
        self.assertFalse(self._claim())

    def test_placement_refusal_releases_the_cassandra_claim(self):
        self.patch(driver.node_claim, 'claim',
                   mock.Mock(return_value=True))
        self.patch(utils, 'claim_resources', mock.Mock(return_value=False))
        self.assertFalse(self._claim())
        self.store.release.assert_called_once()

    def _claimed_with(self, **spec_fields):
        """The report client a sync claim hands nova's claim_resources."""
        self.patch(driver.node_claim, 'claim', mock.Mock(return_value=True))
        self.patch(utils, 'claim_resources', mock.Mock(return_value=True))
        for field, value in spec_fields.items():
            setattr(self.spec, field, value)
        self.assertTrue(self._claim())
        (_context, client, spec, *_), _ = utils.claim_resources.call_args
        self.assertIs(self.spec, spec)
        return client

    def test_a_new_server_is_claimed_for_a_new_consumer(self):
        client = self._claimed_with()
        self.assertIsInstance(client, driver.new_consumer.NewConsumerClient)
        self.assertIs(self.placement.placement_client, client._client)

    def test_a_move_is_claimed_as_nova_does(self):
        # An evacuation's consumer holds the host it leaves.
        client = self._claimed_with(ignore_hosts=['source'])
        self.assertIs(self.placement.placement_client, client)

    def _store_claims_in_mode(self, mode):
        """Store claims succeed; returns placement's ``claim_resources``."""
        driver.CONF.set_override('placement_allocations', mode, 'cassandra')
        self.patch(driver.node_claim, 'claim', mock.Mock(return_value=True))
        claim_resources = mock.Mock()
        self.patch(utils, 'claim_resources', claim_resources)
        return claim_resources

    def test_placement_off_never_calls_placement(self):
        claim_resources = self._store_claims_in_mode('off')
        self.assertTrue(self._claim())
        claim_resources.assert_not_called()

    def test_async_hands_the_allocation_to_the_mirror(self):
        claim_resources = self._store_claims_in_mode('async')
        mirror = mock.Mock()
        self.patch(driver.placement_mirror, 'get_mirror', lambda: mirror)
        self.spec.project_id, self.spec.user_id = 'project', 'user'
        self.assertTrue(self._claim())
        claim_resources.assert_not_called()
        (write,), _ = mirror.submit.call_args
        self.assertEqual(({str(NODE_B): {'resources': SMALL}}, 'project',
                          'user'),
                         (write.allocations, write.project_id,
                          write.user_id))

    def test_cleanup_releases_the_consumers_claims_and_allocations(self):
        mine, other = uuid.uuid4(), uuid.uuid4()
        node_a, node_b = self.store.all_usage.return_value
        node_a.claims = [base.Claim(mine, SMALL, None),
                         base.Claim(other, SMALL, None)]
        node_b.claims = [base.Claim(mine, SMALL, None)]
        # The request that took them loaded the scheduler's host view.
        host_view.get_view(self.driver.backend).refresh()
        mirror = mock.Mock()
        mirror.cancel.side_effect = lambda consumers: (
            self.store.release.assert_not_called())
        self.patch(driver.placement_mirror, 'get_mirror', lambda: mirror)
        self.driver.cleanup('ctx', [str(mine)])
        # Its queued writes dropped before anything is released.
        mirror.cancel.assert_called_once_with([str(mine)])
        self.assertEqual([mock.call(NODE_A, mine), mock.call(NODE_B, mine)],
                         self.store.release.call_args_list)
        self.placement.cleanup.assert_called_once_with('ctx', [str(mine)])

    def _claim_forced(self, claimed=True, placement_error=None):
        self.patch(driver.node_claim, 'claim',
                   mock.Mock(return_value=claimed))
        self.patch(self.placement, 'claim_on_destination',
                   mock.Mock(side_effect=placement_error))
        self.instance = objects.Instance(uuid=str(uuid.uuid4()))
        self.source, self.dest = (objects.ComputeNode(uuid=str(node))
                                  for node in (NODE_A, NODE_B))
        # PCPU is placement's alone.
        self.allocs = {str(NODE_A): {'resources': dict(SMALL, PCPU=1)}}
        self.driver.claim_on_destination(
            'ctx', self.instance, self.source, self.dest,
            source_allocations=self.allocs)

    def test_a_forced_destination_is_claimed_in_the_store_then_placement(
            self):
        self._claim_forced()
        self.assertEqual(
            (NODE_B, uuid.UUID(self.instance.uuid), SMALL),
            driver.node_claim.claim.call_args[0][1:4])
        self.placement.claim_on_destination.assert_called_once_with(
            'ctx', self.instance, self.source, self.dest,
            source_allocations=self.allocs, consumer_generation=None)

    def test_a_forced_destination_without_room_is_no_valid_host(self):
        self.assertRaises(nova_exception.NoValidHost, self._claim_forced,
                          claimed=False)
        self.placement.claim_on_destination.assert_not_called()

    def test_placement_refusing_a_forced_destination_releases_it(self):
        self.assertRaises(
            nova_exception.NoValidHost, self._claim_forced,
            placement_error=nova_exception.NoValidHost(reason='full'))
        self.store.release.assert_called_once_with(
            NODE_B, uuid.UUID(self.instance.uuid))


class TestMySQLClaims(testtools.TestCase):
    """The same driver bound to the sharded MySQL store and its options."""

    def setUp(self):
        super().setUp()
        self.useFixture(config_fixture.Config(driver.CONF))
        self.store = mock.Mock(changes=None)
        self.store.all_usage.return_value = [usage(NODE_B, 4, 1)]
        self.patch(backends, '_PER_PROCESS', {})
        on_store(self, driver.MySQLClaims,
                 lambda conf: base.Stores(None, self.store, None))
        on_store(self, driver.CassandraClaims,
                 mock.Mock(side_effect=AssertionError('Cassandra used')))
        self.patch(driver.report, 'report_client_singleton', mock.Mock())
        self.driver = driver.MySQLClaims()
        self.spec = request_spec()

    def test_claims_on_the_sql_store_with_its_ttl(self):
        driver.CONF.set_override('claim_ttl', 42, 'mysql_store')
        driver.CONF.set_override('placement_allocations', 'off',
                                 'mysql_store')
        claim = mock.Mock(return_value=True)
        self.patch(driver.node_claim, 'claim', claim)
        by_rp, _, _ = self.driver.get_candidates(None, self.spec, None)
        [alloc_req] = by_rp[str(NODE_B)]
        self.assertTrue(self.driver.claim(
            None, str(NODE_B), self.spec, str(uuid.uuid4()),
            alloc_req))
        self.assertIs(self.store, claim.call_args[0][0])
        self.assertEqual(42, claim.call_args[0][4])

    def test_unreachable_database_is_no_valid_host_naming_it(self):
        self.store.all_usage.side_effect = exception.MySQLUnavailable(
            url='mysql+pymysql://db/x', reason='gone')
        e = self.assertRaises(nova_exception.NoValidHost,
                              self.driver.get_candidates, None, self.spec,
                              None)
        self.assertIn('mysql store', str(e))
        self.assertIn('gone', str(e))
