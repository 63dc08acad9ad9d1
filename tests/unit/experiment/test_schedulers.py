import testtools

from nova_cassandra.experiment import schedulers

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


class TestClaimConflicts(testtools.TestCase):

    def test_counts_by_kind(self):
        self.assertEqual({'generation_conflicts': 1, 'capacity_conflicts': 1,
                          'out_of_retries': 1},
                         schedulers.claim_conflicts(LOG))

    def test_nothing_refused(self):
        self.assertEqual({'generation_conflicts': 0, 'capacity_conflicts': 0,
                          'out_of_retries': 0},
                         schedulers.claim_conflicts('INFO all good\n'))

    def test_unknown_host_pattern(self):
        self.assertEqual(['nc-exp-compute-0'],
                         schedulers._UNKNOWN_HOST.findall(LOG))
