from unittest import mock
import uuid

from nova import exception as nova_exception
from nova import objects
from nova.scheduler import utils
from oslo_config import fixture as config_fixture
import testtools

from nova_cassandra.claims import cassandra
from nova_cassandra import exception
from nova_cassandra.store import claims as claims_store
from nova_cassandra.store import hosts
from nova_cassandra.store.sql import claims as sql_claims

objects.register_all()

NODE_A, NODE_B = uuid.uuid4(), uuid.uuid4()
SMALL = {'VCPU': 1, 'MEMORY_MB': 512, 'DISK_GB': 1}


def usage(node, vcpus, used):
    return claims_store.NodeUsage(hosts.HostRecord(
        node_uuid=node, host='h', nodename=str(node),
        capacity={'VCPU': vcpus, 'MEMORY_MB': 4096, 'DISK_GB': 100},
        used={'VCPU': used}, generation=1), [])


class FakeRequest:
    def __init__(self, resources, traits=()):
        self._resources = resources
        self.all_required_traits = set(traits)

    def merged_resources(self):
        return dict(self._resources)


class TestCassandraClaims(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(config_fixture.Config(cassandra.CONF))
        self.store = mock.Mock()
        self.store.all_usage.return_value = [usage(NODE_A, 4, 4),
                                             usage(NODE_B, 4, 1)]
        self.patch(claims_store, 'get_store', lambda: self.store)
        self.request = FakeRequest(SMALL)
        self.patch(utils, 'resources_from_request_spec',
                   lambda *a, **k: self.request)
        self.patch(cassandra.report, 'report_client_singleton', mock.Mock())
        self.driver = cassandra.CassandraClaims()
        self.spec = objects.RequestSpec(requested_resources=[])

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

    def test_no_room_anywhere_is_no_valid_host(self):
        self.store.all_usage.return_value = [usage(NODE_A, 4, 4)]
        self.assertRaises(nova_exception.NoValidHost,
                          self.driver.get_candidates, None, self.spec, None)

    def test_required_traits_are_refused_with_the_reason(self):
        self.request = FakeRequest(SMALL, ['HW_CPU_X86_AVX512F',
                                           'COMPUTE_STATUS_DISABLED'])
        e = self.assertRaises(nova_exception.NoValidHost,
                              self.driver.get_candidates, None, self.spec,
                              None)
        self.assertIn('HW_CPU_X86_AVX512F', str(e))
        self.assertNotIn('COMPUTE_STATUS_DISABLED', str(e))

    def test_request_groups_are_refused(self):
        self.spec = objects.RequestSpec(
            requested_resources=[objects.RequestGroup(requester_id='port')])
        self.assertRaises(nova_exception.NoValidHost,
                          self.driver.get_candidates, None, self.spec, None)

    def _claim(self):
        host_state = mock.Mock(uuid=str(NODE_B))
        alloc_req = {'allocations': {str(NODE_B): {'resources': SMALL}}}
        return self.driver.claim(None, host_state, self.spec,
                                 str(uuid.uuid4()), alloc_req)

    def test_claim_on_a_deleted_host_moves_on(self):
        self.patch(cassandra.cassandra_claim, 'claim',
                   mock.Mock(side_effect=exception.HostNotFound(node='x')))
        self.assertFalse(self._claim())

    def test_placement_refusal_releases_the_cassandra_claim(self):
        self.patch(cassandra.cassandra_claim, 'claim',
                   mock.Mock(return_value=True))
        self.patch(utils, 'claim_resources', mock.Mock(return_value=False))
        self.assertFalse(self._claim())
        self.store.release.assert_called_once()

    def test_placement_off_never_calls_placement(self):
        cassandra.CONF.set_override('placement_allocations', 'off',
                                    'cassandra')
        self.patch(cassandra.cassandra_claim, 'claim',
                   mock.Mock(return_value=True))
        claim_resources = mock.Mock()
        self.patch(utils, 'claim_resources', claim_resources)
        self.assertTrue(self._claim())
        claim_resources.assert_not_called()

    def test_cleanup_releases_the_consumers_claims_and_allocations(self):
        mine, other = uuid.uuid4(), uuid.uuid4()
        node_a, node_b = self.store.all_usage.return_value
        node_a.claims = [claims_store.Claim(mine, SMALL, None),
                         claims_store.Claim(other, SMALL, None)]
        node_b.claims = [claims_store.Claim(mine, SMALL, None)]
        self.driver.cleanup('ctx', [str(mine)])
        self.assertEqual([mock.call(NODE_A, mine), mock.call(NODE_B, mine)],
                         self.store.release.call_args_list)
        delete = self.driver.placement_client.delete_allocation_for_instance
        delete.assert_called_once_with('ctx', str(mine), force=True)


class TestMySQLClaims(testtools.TestCase):
    """The same driver bound to the sharded MySQL store and its options."""

    def setUp(self):
        super().setUp()
        self.useFixture(config_fixture.Config(cassandra.CONF))
        self.store = mock.Mock()
        self.store.all_usage.return_value = [usage(NODE_B, 4, 1)]
        self.patch(sql_claims, 'get_store', lambda: self.store)
        self.patch(claims_store, 'get_store',
                   mock.Mock(side_effect=AssertionError('Cassandra used')))
        self.patch(utils, 'resources_from_request_spec',
                   lambda *a, **k: FakeRequest(SMALL))
        self.patch(cassandra.report, 'report_client_singleton', mock.Mock())
        self.driver = cassandra.MySQLClaims()
        self.spec = objects.RequestSpec(requested_resources=[])

    def test_claims_on_the_sql_store_with_its_ttl(self):
        cassandra.CONF.set_override('claim_ttl', 42, 'mysql_store')
        cassandra.CONF.set_override('placement_allocations', 'off',
                                    'mysql_store')
        claim = mock.Mock(return_value=True)
        self.patch(cassandra.cassandra_claim, 'claim', claim)
        by_rp, _, _ = self.driver.get_candidates(None, self.spec, None)
        [alloc_req] = by_rp[str(NODE_B)]
        self.assertTrue(self.driver.claim(
            None, mock.Mock(uuid=str(NODE_B)), self.spec, str(uuid.uuid4()),
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
