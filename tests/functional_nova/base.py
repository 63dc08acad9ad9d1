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

"""nova's in-process services with nova-cassandra swapped in.

nova's integrated test base runs API, conductor, scheduler and computes in
one process (sqlite cell databases, in-process placement, nova's fake virt
driver); the patch series (patches/) must be applied to the nova installed
here: ``nova-cassandra-manage patches apply``.  Host state and claims go to
the stack's real Cassandra, in a keyspace of the test's own.
"""

from nova.tests.functional import integrated_helpers

from nova_cassandra.compute import publisher
from nova_cassandra.store import backends
from nova_cassandra.store.cassandra import claims as claims_store
from nova_cassandra.store.cassandra import hosts
from tests.functional import base


class CassandraIntegratedTestBase(integrated_helpers._IntegratedTestBase):

    ADMIN_API = True
    microversion = 'latest'
    compute_driver = 'fake.MediumFakeDriver'
    # [cassandra] options beyond the test's keyspace.
    CASSANDRA_FLAGS = {}

    def _setup_services(self):
        self.ks = self.useFixture(base.CassandraKeyspace())
        self.useFixture(base.ProcessStores())
        # What the computes had not written yet must not reach the next
        # test's keyspace.
        self.addCleanup(publisher.stop_all, 10)
        self.flags(keyspace=self.ks.keyspace, group='cassandra',
                   **self.CASSANDRA_FLAGS)
        self.flags(host_manager='cassandra', claims_driver='cassandra',
                   group='scheduler')
        self.flags(resource_tracker_hooks=['cassandra'], group='compute')
        self.flags(servicegroup_report_hooks=['cassandra'])
        self.flags(track_instance_changes=False, group='filter_scheduler')
        super()._setup_services()
        # Tests start from the state the computes published on start-up.
        self._published()
        self.store = hosts.HostStore(self.ks.session, self.ks.keyspace)
        self.claims = claims_store.ClaimStore(self.ks.session,
                                              self.ks.keyspace)
        self.flavor = self._create_flavor(vcpu=1, memory_mb=512, disk=1,
                                          ephemeral=0)

    def _published(self, timeout=10):
        """Wait until the computes' hook wrote what it was given."""
        self.assertTrue(publisher.for_backend(
            backends.CASSANDRA).wait_published(timeout))

    def _start_compute(self, host, cell_name=None):
        """Start a compute, as stock does, once its node is in the store.

        Stock's compute node is in the database when the service has
        started; the hook writes its row from a thread of its own, a moment
        later, and a request scheduled before then cannot see the node.
        """
        compute = super()._start_compute(host, cell_name=cell_name)
        self._published()
        return compute
