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

import collections
import gc
from unittest import mock
import uuid

import fixtures
from nova import context as context_module
from nova import exception as nova_exception
from nova import objects
from oslo_serialization import jsonutils
import testtools

from nova_cassandra.claims import candidates
from nova_cassandra import metrics
from nova_cassandra.scheduler import host_manager
from nova_cassandra.scheduler import host_view
from nova_cassandra.store import backends
from nova_cassandra.store import base

CELL = mock.Mock(uuid='cell1')


def _row(host):
    return base.NodeUsage(base.HostRecord(
        node_uuid=uuid.uuid4(), host=host, nodename=host,
        capacity={'VCPU': 4}, generation=1), [])


def _service(host, **status):
    return objects.Service(host=host, binary='nova-compute', **status)


def _manager():
    """A host manager as __init__ sets it up, without databases or store."""
    manager = host_manager.CassandraHostManager.__new__(
        host_manager.CassandraHostManager)
    manager._decoded_rows = {}
    manager._host_instances = {}
    return manager


class TestComputesFromRows(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.manager = _manager()
        self.manager._offers = {}
        self.manager.backend = mock.Mock(group='cassandra')
        self.manager.backend.name = 'cassandra'
        self.manager.backend.unavailable = (OSError,)
        self.patch(backends, '_PER_PROCESS', {})
        self.rows = []
        self.services = {CELL.uuid: []}
        self.store = self.manager.backend.stores.return_value.claims
        self.store.changes = None
        self.store.all_usage.side_effect = lambda: iter(self.rows)
        self.gathered = self.useFixture(fixtures.MockPatchObject(
            context_module, 'scatter_gather_cells',
            side_effect=lambda ctxt, cells, timeout, fn: self.services)).mock
        self.useFixture(fixtures.MockPatchObject(
            self.manager, '_get_cell_mapping_for_host', return_value=CELL))
        self.useFixture(fixtures.MockPatchObject(
            self.manager, '_decoded',
            side_effect=lambda row: (row.record.node_uuid,
                                     {str(row.record.node_uuid)})))

    def _computes(self, compute_uuids=None):
        host_view.get_view(self.manager.backend).refresh()
        return self.manager._get_computes_for_cells(
            mock.sentinel.context, [CELL], compute_uuids)

    def test_nodes_from_rows_services_from_the_cell_databases(self):
        # A service disabled or forced down a moment ago is what the
        # filters see, whatever the host rows last carried.
        self.rows = [_row('h1'), _row('h1'), _row('h2')]
        self.services = {CELL.uuid: [
            _service('h1', disabled=True, forced_down=False),
            _service('h2', disabled=False, forced_down=True)]}
        computes, services = self._computes()
        self.assertEqual([row.record.node_uuid for row in self.rows],
                         computes[CELL.uuid])
        self.assertTrue(services['h1'].disabled)
        self.assertTrue(services['h2'].forced_down)
        self.assertEqual({str(row.record.node_uuid) for row in self.rows[:2]},
                         set(self.manager._host_instances['h1']))
        self.gathered.assert_called_once_with(
            mock.sentinel.context, [CELL], context_module.CELL_TIMEOUT,
            mock.ANY)

    def test_instances_are_built_again_only_when_their_host_changes(self):
        self.rows = [_row('h1'), _row('h2')]
        self._computes()
        h1, h2 = (self.manager._get_instance_info(None, row.record)
                  for row in self.rows)
        self.rows.append(_row('h2'))
        self._computes()
        self.assertIs(h1, self.manager._get_instance_info(
            None, self.rows[0].record))
        now = self.manager._get_instance_info(None, self.rows[1].record)
        self.assertEqual({str(row.record.node_uuid) for row in self.rows[1:]},
                         set(now))
        for uuid_ in h2:
            self.assertIs(h2[uuid_], now[uuid_])

    def test_only_the_wanted_nodes(self):
        self.rows = [_row('h1'), _row('h2')]
        computes, _ = self._computes([str(self.rows[1].record.node_uuid)])
        self.assertEqual([self.rows[1].record.node_uuid],
                         computes[CELL.uuid])

    def test_a_cell_that_fails_contributes_no_services(self):
        self.services = {CELL.uuid: context_module.did_not_respond_sentinel}
        self.rows = [_row('h1')]
        _, services = self._computes()
        self.assertEqual({}, services)

    def test_unreadable_rows_fail_the_request(self):
        self.store.all_usage.side_effect = OSError('node down')
        error = self.assertRaises(
            nova_exception.NoValidHost,
            self.manager.get_host_states_by_uuids,
            mock.sentinel.context, None, None)
        self.assertIn('host state cannot be read from the cassandra store: '
                      'node down', str(error))

    def test_filters_leaving_no_candidate_widen_to_the_next_ones(self):
        self.rows = [_row('h%d' % i) for i in range(5)]
        host_view.get_view(self.manager.backend).refresh()
        found = candidates.Candidates(iter(self.rows), {'VCPU': 1}, 2)
        first = found.next_batch()
        spec = objects.RequestSpec()
        self.manager.offer_more(mock.sentinel.context, spec, found)
        # Stock filters pass h4 only; host states are built per uuid.
        filtered = []
        self.patch(host_manager.host_manager.HostManager,
                   'get_filtered_hosts',
                   lambda _, hosts, spec_obj, index: [
                       h for h in hosts if h.host == 'h4'])
        built = []

        def host_states(context, uuids, spec_obj):
            built.append(list(uuids))
            return [mock.Mock(uuid=u, host=self._host(u)) for u in uuids]

        self.patch(self.manager, 'get_host_states_by_uuids', host_states)
        filtered = self.manager.get_filtered_hosts(
            iter([mock.Mock(host='h0'), mock.Mock(host='h1')]), spec)
        self.assertEqual(['h4'], [h.host for h in filtered])
        self.assertEqual(2, len(first))
        # h2, h3 then h4: two more batches, never the first one again.
        self.assertEqual([2, 1], [len(b) for b in built])
        self.assertEqual(found.allocation_requests[filtered[0].uuid],
                         filtered[0].allocation_candidates)

    def test_no_widening_beyond_the_nodes_the_request_fits(self):
        self.rows = [_row('h0')]
        found = candidates.Candidates(iter(self.rows), {'VCPU': 1}, 2)
        found.next_batch()
        spec = objects.RequestSpec()
        self.manager.offer_more(mock.sentinel.context, spec, found)
        self.patch(host_manager.host_manager.HostManager,
                   'get_filtered_hosts', lambda *args: [])
        self.assertEqual([], self.manager.get_filtered_hosts(iter([]), spec))

    def _host(self, node_uuid):
        return next(row.record.host for row in self.rows
                    if str(row.record.node_uuid) == node_uuid)


class TestStart(testtools.TestCase):
    """A new scheduler has every node decoded before its first request."""

    def setUp(self):
        super().setUp()
        self.patch(metrics, '_COUNTS', collections.Counter())
        self.patch(backends, '_PER_PROCESS', {})
        self.useFixture(fixtures.MockPatchObject(
            host_manager.host_manager.HostManager, '__init__',
            return_value=None))
        backend = mock.Mock(group='cassandra', unavailable=(OSError,))
        backend.name = 'cassandra'
        self.store = backend.stores.return_value.claims
        self.store.changes = None
        self.manager_class = type('Manager', (host_manager.StoreHostManager,),
                                  {'backend': backend})
        # The test process's collector stays as it is.
        self.set_threshold = self.useFixture(
            fixtures.MockPatch('gc.set_threshold')).mock

    def test_every_node_decoded_once(self):
        state_json = jsonutils.dumps({
            'compute_node': objects.ComputeNode(vcpus=4).obj_to_primitive(),
            'instances': []})
        rows = [base.NodeUsage(_row('h%d' % i).record, [], state_json)
                for i in range(3)]
        self.store.all_usage.return_value = rows
        manager = self.manager_class()
        self.assertEqual(3, metrics.snapshot()['host_states_decoded'])
        for row in rows:
            manager._decoded(row)
        self.assertEqual(3, metrics.snapshot()['host_states_decoded'])

    def test_an_unreadable_store_stops_the_start(self):
        self.store.all_usage.side_effect = OSError('node down')
        self.assertRaisesRegex(OSError, 'node down', self.manager_class)

    def _start_with_young_threshold(self, young):
        host_manager.CONF.set_override('gc_young_threshold', young,
                                       'cassandra')
        self.addCleanup(host_manager.CONF.clear_override,
                        'gc_young_threshold', 'cassandra')
        self.store.all_usage.return_value = []
        self.manager_class()

    def test_the_young_generation_threshold_is_set_at_start(self):
        self._start_with_young_threshold(20000)
        self.set_threshold.assert_called_once_with(
            20000, *gc.get_threshold()[1:])

    def test_0_leaves_the_interpreter_s_thresholds(self):
        self._start_with_young_threshold(0)
        self.set_threshold.assert_not_called()


class TestDecoded(testtools.TestCase):
    """Host states count the claims placed on a node and not yet on it."""

    def setUp(self):
        super().setUp()
        self.manager = _manager()
        self.patch(metrics, '_COUNTS', collections.Counter())
        compute = objects.ComputeNode(
            vcpus=4, vcpus_used=1, memory_mb=4096, memory_mb_used=1024,
            free_ram_mb=3072, local_gb=40, local_gb_used=10, free_disk_gb=30,
            disk_available_least=25)
        self.state_json = jsonutils.dumps(
            {'compute_node': compute.obj_to_primitive(), 'instances': ['i']})
        self.record = _row('h1').record

    def _decoded(self, *claims):
        return self.manager._decoded(base.NodeUsage(
            self.record,
            [base.Claim(uuid.uuid4() if c is None else c, resources, None)
             for c, resources in claims],
            self.state_json))

    def test_without_claims_the_node_as_the_compute_published_it(self):
        compute, instances = self._decoded()
        self.assertEqual((1, 1024, 3072, 10, 30, 25, ['i']),
                         (compute.vcpus_used, compute.memory_mb_used,
                          compute.free_ram_mb, compute.local_gb_used,
                          compute.free_disk_gb, compute.disk_available_least,
                          instances))

    def test_open_claims_count_as_used(self):
        compute, _ = self._decoded(
            (None, {'VCPU': 2, 'MEMORY_MB': 512, 'DISK_GB': 5}),
            (None, {'VCPU': 1, 'MEMORY_MB': 256}))
        self.assertEqual((4, 1792, 2304, 15, 25, 20),
                         (compute.vcpus_used, compute.memory_mb_used,
                          compute.free_ram_mb, compute.local_gb_used,
                          compute.free_disk_gb, compute.disk_available_least))

    def test_decoded_once_per_published_state(self):
        claim = (uuid.uuid4(), {'MEMORY_MB': 512})
        first, _ = self._decoded(claim)
        self.assertIs(first, self._decoded(claim)[0])
        second, _ = self._decoded(claim, (None, {'MEMORY_MB': 512}))
        self.assertEqual(2048, second.memory_mb_used)
        self.assertEqual(1536, first.memory_mb_used)
        unclaimed, _ = self._decoded()
        self.assertEqual(1024, unclaimed.memory_mb_used)
        self.assertEqual(1, metrics.snapshot()['host_states_decoded'])
        self.state_json = self.state_json.replace('["i"]', '["j"]')
        compute, instances = self._decoded(claim)
        self.assertEqual((1536, ['j']), (compute.memory_mb_used, instances))
        self.assertEqual(2, metrics.snapshot()['host_states_decoded'])
