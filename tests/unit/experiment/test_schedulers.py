import logging
from unittest import mock
import uuid

import testtools

from nova_cassandra.claims import cassandra_claim
from nova_cassandra import exception
from nova_cassandra.experiment import schedulers
from nova_cassandra.store import claims as claims_store
from nova_cassandra.store import hosts

LOG = '''\
2026-01-01 INFO nova.scheduler.host_manager [-] Received a sync request \
from an unknown host 'nc-exp-compute-0'. Re-created its InstanceList.
2026-01-01 WARNING nova.scheduler.client.report [-] Failed to save \
allocation for 1f0e. Got HTTP 409: {"errors": [{"status": 409, "title": \
"Conflict", "detail": "There was a conflict when trying to complete your \
request.\\n\\n consumer generation conflict", "code": \
"placement.concurrent_update"}]}
2026-01-01 WARNING nova.scheduler.client.report [-] Failed to save \
allocation for 2a0e. Got HTTP 409: {"errors": [{"status": 409, "detail": \
"Unable to allocate inventory: Unable to create allocation for 'MEMORY_MB' \
on resource provider 'x'. The requested amount would exceed the capacity.",\
 "code": "placement.undefined_code"}]}
2026-01-01 ERROR nova.scheduler.client.report [-] Failed scheduler client \
operation claim_resources: out of retries
'''


class _Captured(logging.Handler):
    """Log lines as a scheduler's log file has them."""

    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append('2026-01-01 INFO %s [-] %s' % (
            record.name, record.getMessage()))


class TestClaimConflicts(testtools.TestCase):

    def test_store_claims_races_by_kind(self):
        store = mock.Mock()
        full = claims_store.NodeUsage(hosts.HostRecord(
            node_uuid=uuid.uuid4(), host='h', nodename='n',
            capacity={'VCPU': 1}, used={'VCPU': 1}, generation=1), [])
        free = claims_store.NodeUsage(hosts.HostRecord(
            node_uuid=uuid.uuid4(), host='h', nodename='n',
            capacity={'VCPU': 4}, used={'VCPU': 0}, generation=1), [])
        store.claim.side_effect = exception.HostConflict(
            node='n', expected=1, found=2)
        captured = _Captured()
        logger = logging.getLogger(cassandra_claim.__name__)
        logger.addHandler(captured)
        self.addCleanup(logger.removeHandler, captured)
        self.addCleanup(logger.setLevel, logger.level)
        logger.setLevel(logging.INFO)
        # Every attempt loses the race, then the node is found full.
        store.node_usage.return_value = free
        self.assertFalse(cassandra_claim.claim(
            store, free.record.node_uuid, uuid.uuid4(), {'VCPU': 1}, 60))
        store.node_usage.return_value = full
        self.assertFalse(cassandra_claim.claim(
            store, full.record.node_uuid, uuid.uuid4(), {'VCPU': 1}, 60))
        attempts = cassandra_claim.CONFLICT_RETRY_COUNT + 1
        self.assertEqual({'generation_conflicts': attempts,
                          'capacity_conflicts': 1, 'out_of_retries': 1},
                         schedulers.claim_conflicts(
                             '\n'.join(captured.lines)))

    def test_counts_by_kind(self):
        self.assertEqual({'generation_conflicts': 1, 'capacity_conflicts': 1,
                          'out_of_retries': 1},
                         schedulers.claim_conflicts(LOG))

    def test_nothing_refused(self):
        self.assertEqual({'generation_conflicts': 0, 'capacity_conflicts': 0,
                          'out_of_retries': 0},
                         schedulers.claim_conflicts('INFO all good\n'))

    def test_computes_down(self):
        self.assertEqual(2, schedulers.computes_down(
            'WARNING nova.scheduler.filters.compute_filter [-] (c1, n1) '
            'ram: 1 has not been heard from in a while\n'
            'INFO all good\n'
            'WARNING nova.scheduler.filters.compute_filter [-] (c1, n2) '
            'ram: 1 has not been heard from in a while\n'))

    def test_unknown_host_pattern(self):
        self.assertEqual(['nc-exp-compute-0'],
                         schedulers._UNKNOWN_HOST.findall(LOG))
