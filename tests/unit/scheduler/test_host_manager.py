import datetime
from unittest import mock
import uuid

import fixtures
from nova import exception as nova_exception
import testtools

from nova_cassandra.scheduler import host_manager

NOW = datetime.datetime(2026, 12, 1, 14, 0, 0)
CELL = mock.Mock(uuid='cell1')


def _ago(seconds):
    return NOW - datetime.timedelta(seconds=seconds)


def _row(host, seconds_ago):
    return mock.Mock(host=host, node_uuid=uuid.uuid4(), generation=1,
                     updated_at=_ago(seconds_ago))


class TestComputesFromRows(testtools.TestCase):

    def setUp(self):
        super().setUp()
        # What __init__ sets up, without nova's databases or a store.
        self.manager = host_manager.CassandraHostManager.__new__(
            host_manager.CassandraHostManager)
        self.manager._host_instances = {}
        self.manager.backend = mock.Mock()
        self.rows = []
        self.heartbeats = {}
        store = self.manager.backend.hosts.get_store.return_value
        store.rows.side_effect = lambda: iter(self.rows)
        store.heartbeats.side_effect = lambda: self.heartbeats
        self.useFixture(fixtures.MockPatchObject(
            self.manager, '_get_cell_mapping_for_host', return_value=CELL))
        self.useFixture(fixtures.MockPatchObject(
            self.manager, '_decoded',
            side_effect=lambda row: (row.node_uuid, {'disabled': False}, [])))

    def test_service_last_heard_from_at_its_newest_row(self):
        # A compute still auditing its many nodes is up as long as any of
        # them was written lately, whatever order the rows come back in.
        self.rows = [_row('h1', 10), _row('h1', 200), _row('h2', 300),
                     _row('h1', 90)]
        computes, services = self.manager._get_computes_for_cells(
            mock.sentinel.context, [CELL], None)
        self.assertEqual([row.node_uuid for row in self.rows],
                         computes[CELL.uuid])
        self.assertEqual(_ago(10), services['h1']['updated_at'])
        self.assertEqual(services['h1']['updated_at'],
                         services['h1']['last_seen_up'])
        self.assertEqual(_ago(300), services['h2']['updated_at'])

    def test_heartbeat_keeps_a_compute_with_late_audits_up(self):
        # h1's audits are late but it reported to the service group 5 s
        # ago; h2's rows are newer than its last report.
        self.rows = [_row('h1', 200), _row('h1', 300), _row('h2', 20)]
        self.heartbeats = {'h1': _ago(5), 'h2': _ago(400), 'gone': _ago(1)}
        _, services = self.manager._get_computes_for_cells(
            mock.sentinel.context, [CELL], None)
        self.assertEqual({'h1', 'h2'}, set(services))
        self.assertEqual(_ago(5), services['h1']['last_seen_up'])
        self.assertEqual(_ago(20), services['h2']['last_seen_up'])

    def test_unreadable_heartbeats_fail_the_request(self):
        self.manager.backend.unavailable = (OSError,)
        self.manager.backend.name = 'cassandra'
        store = self.manager.backend.hosts.get_store.return_value
        store.heartbeats.side_effect = OSError('node down')
        self.rows = [_row('h1', 10)]
        error = self.assertRaises(
            nova_exception.NoValidHost,
            self.manager._get_computes_for_cells,
            mock.sentinel.context, [CELL], None)
        self.assertIn('host state cannot be read from the cassandra store: '
                      'node down', str(error))
