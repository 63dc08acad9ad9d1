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

"""Bounded candidates: filters that reject every candidate widen the draw.

With ``[cassandra] max_candidates = 1`` the claims driver hands nova one
node per request, drawn at random.  Two of three computes are disabled,
which only nova's ComputeFilter knows (through the services), so most
draws are rejected by the filters: the scheduler must take the next
candidates rather than answer NoValidHost.
"""

from nova_cassandra import metrics
from tests.functional_nova import base as nova_base

# What host3 holds (MediumFakeDriver: 2 VCPU at a ratio of 4).
SERVERS = 8


class TestFiltersWidenTheCandidates(nova_base.CassandraIntegratedTestBase):

    CASSANDRA_FLAGS = {'max_candidates': 1}

    def _setup_services(self):
        self.flags(instances=-1, cores=-1, ram=-1, group='quota')
        super()._setup_services()  # API, conductor, a scheduler, 'compute'
        for host in ('host2', 'host3'):
            self._start_compute(host)
        self._published()
        for host in ('compute', 'host2'):
            [service] = self.admin_api.get_services(host=host,
                                                    binary='nova-compute')
            self.admin_api.put_service(service['id'],
                                       {'status': 'disabled'})

    def test_every_server_lands_on_the_one_enabled_host(self):
        widened = metrics.snapshot().get('widened', 0)
        ids = [self.api.post_server({'server': self._build_server(
            flavor_id=self.flavor, networks='none')})['id']
            for _ in range(SERVERS)]
        servers = [self._wait_for_state_change({'id': server_id}, 'ACTIVE')
                   for server_id in ids]
        self.assertEqual({'host3'}, {server['OS-EXT-SRV-ATTR:host']
                                     for server in servers})
        # Drawing host3 first every time has a chance of (1/3)**8.
        self.assertGreater(metrics.snapshot().get('widened', 0), widened)


class TestServicesOfTheCandidatesOnly(nova_base.CassandraIntegratedTestBase):

    CASSANDRA_FLAGS = {'max_candidates': 1}

    def _setup_services(self):
        self.flags(instances=-1, cores=-1, ram=-1, group='quota')
        super()._setup_services()
        for host in ('host2', 'host3'):
            self._start_compute(host)
        self._published()

    def test_one_service_read_per_request(self):
        # Stock reads the three nova-compute services for every request.
        before = metrics.snapshot().get('services_read', 0)
        for _ in range(3):
            server = self._create_server(flavor_id=self.flavor,
                                         networks='none')
            self.assertEqual('ACTIVE', server['status'])
        self.assertEqual(3, metrics.snapshot().get('services_read', 0) -
                         before)
