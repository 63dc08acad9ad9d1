from unittest import mock
import uuid

import fixtures
from nova import context as context_module
from nova import exception as nova_exception
from nova import objects
import testtools

from nova_cassandra.scheduler import host_manager

CELL = mock.Mock(uuid='cell1')


def _row(host):
    return mock.Mock(host=host, node_uuid=uuid.uuid4(), generation=1)


def _service(host, **status):
    return objects.Service(host=host, binary='nova-compute', **status)


class TestComputesFromRows(testtools.TestCase):

    def setUp(self):
        super().setUp()
        # What __init__ sets up, without nova's databases or a store.
        self.manager = host_manager.CassandraHostManager.__new__(
            host_manager.CassandraHostManager)
        self.manager._host_instances = {}
        self.manager.backend = mock.Mock()
        self.rows = []
        self.services = {CELL.uuid: []}
        store = self.manager.backend.hosts.get_store.return_value
        store.rows.side_effect = lambda: iter(self.rows)
        self.gathered = self.useFixture(fixtures.MockPatchObject(
            context_module, 'scatter_gather_cells',
            side_effect=lambda ctxt, cells, timeout, fn: self.services)).mock
        self.useFixture(fixtures.MockPatchObject(
            self.manager, '_get_cell_mapping_for_host', return_value=CELL))
        self.useFixture(fixtures.MockPatchObject(
            self.manager, '_decoded',
            side_effect=lambda row: (row.node_uuid, {str(row.node_uuid)})))

    def test_nodes_from_rows_services_from_the_cell_databases(self):
        # A service disabled or forced down a moment ago is what the
        # filters see, whatever the host rows last carried.
        self.rows = [_row('h1'), _row('h1'), _row('h2')]
        self.services = {CELL.uuid: [
            _service('h1', disabled=True, forced_down=False),
            _service('h2', disabled=False, forced_down=True)]}
        computes, services = self.manager._get_computes_for_cells(
            mock.sentinel.context, [CELL], None)
        self.assertEqual([row.node_uuid for row in self.rows],
                         computes[CELL.uuid])
        self.assertTrue(services['h1'].disabled)
        self.assertTrue(services['h2'].forced_down)
        self.assertEqual({str(row.node_uuid) for row in self.rows[:2]},
                         self.manager._host_instances['h1'])
        self.gathered.assert_called_once_with(
            mock.sentinel.context, [CELL], context_module.CELL_TIMEOUT,
            mock.ANY)

    def test_only_the_wanted_nodes(self):
        self.rows = [_row('h1'), _row('h2')]
        computes, _ = self.manager._get_computes_for_cells(
            mock.sentinel.context, [CELL], [str(self.rows[1].node_uuid)])
        self.assertEqual([self.rows[1].node_uuid], computes[CELL.uuid])

    def test_a_cell_that_fails_contributes_no_services(self):
        self.services = {CELL.uuid: context_module.did_not_respond_sentinel}
        self.rows = [_row('h1')]
        _, services = self.manager._get_computes_for_cells(
            mock.sentinel.context, [CELL], None)
        self.assertEqual({}, services)

    def test_unreadable_rows_fail_the_request(self):
        self.manager.backend.unavailable = (OSError,)
        self.manager.backend.name = 'cassandra'
        store = self.manager.backend.hosts.get_store.return_value
        store.rows.side_effect = OSError('node down')
        error = self.assertRaises(
            nova_exception.NoValidHost,
            self.manager._get_computes_for_cells,
            mock.sentinel.context, [CELL], None)
        self.assertIn('host state cannot be read from the cassandra store: '
                      'node down', str(error))
