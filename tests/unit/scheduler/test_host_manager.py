import datetime
from unittest import mock
import uuid

import fixtures
import testtools

from nova_cassandra.scheduler import host_manager

NOW = datetime.datetime(2026, 12, 1, 14, 0, 0)
CELL = mock.Mock(uuid='cell1')


def _row(host, seconds_ago):
    return mock.Mock(host=host, node_uuid=uuid.uuid4(), generation=1,
                     updated_at=NOW - datetime.timedelta(seconds=seconds_ago))


class TestComputesFromRows(testtools.TestCase):

    def setUp(self):
        super().setUp()
        # What __init__ sets up, without nova's databases or a store.
        self.manager = host_manager.CassandraHostManager.__new__(
            host_manager.CassandraHostManager)
        self.manager._host_instances = {}
        self.manager.backend = mock.Mock()
        self.rows = []
        self.manager.backend.hosts.get_store.return_value.rows.side_effect = (
            lambda: iter(self.rows))
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
        self.assertEqual(NOW - datetime.timedelta(seconds=10),
                         services['h1']['updated_at'])
        self.assertEqual(services['h1']['updated_at'],
                         services['h1']['last_seen_up'])
        self.assertEqual(NOW - datetime.timedelta(seconds=300),
                         services['h2']['updated_at'])
