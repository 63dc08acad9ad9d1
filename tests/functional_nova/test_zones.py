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

"""Two schedulers with nova-cassandra in a cloud of two availability zones.

nova 34 has no AvailabilityZoneFilter: a requested zone is a placement
``member_of`` that the claims driver must apply itself, and a disabled
compute is dropped by its service status, not by an audit of its rows.
"""

import itertools
from unittest import mock

import fixtures
from nova.tests import fixtures as nova_fixtures

from tests.functional_nova import base as nova_base

ZONES = {'zone1': ('zone1-a', 'zone1-b'), 'zone2': ('compute', 'zone2-a')}
SERVERS = 40


class TestTwoSchedulersTwoZones(nova_base.CassandraIntegratedTestBase):

    def _setup_services(self):
        self.flags(instances=-1, cores=-1, ram=-1, group='quota')
        # Room for every server in zone1 alone: 2 nodes of 10 VCPU x 4.
        self.flags(compute_driver='fake.MediumFakeDriver')
        super()._setup_services()  # API, conductor, a scheduler, 'compute'
        # A second scheduler service.  nova's fake transport hands all of a
        # topic's calls to whichever listener polls first, so conductor's
        # requests are given to each scheduler in turn, as RabbitMQ shares
        # them out (the spec as a copy, as the RPC layer would pass it).
        second = self.useFixture(nova_fixtures.ServiceFixture(
            'scheduler', host='scheduler2')).service
        self.handled = {}
        schedulers = itertools.cycle([self.scheduler, second])

        def select_destinations(context, spec_obj, instance_uuids,
                                **kwargs):
            scheduler = next(schedulers)
            self.handled[scheduler.host] = (
                self.handled.get(scheduler.host, 0) + 1)
            return scheduler.manager.select_destinations(
                context, spec_obj=spec_obj.obj_clone(),
                instance_uuids=instance_uuids, **kwargs)
        self.useFixture(fixtures.MockPatchObject(
            self.conductor.manager.compute_task_mgr.query_client,
            'select_destinations', side_effect=select_destinations))
        for zone, hosts in ZONES.items():
            aggregate = self._create_aggregate(zone, availability_zone=zone)
            for host in hosts:
                if host not in self.computes:
                    self._start_compute(host)
                self.admin_api.add_host_to_aggregate(aggregate, host)
        self.small = self._create_flavor(vcpu=1, memory_mb=128, disk=1,
                                         ephemeral=0)

    def _boot(self, count, zone):
        ids = [self.api.post_server({'server': self._build_server(
            flavor_id=self.small, networks='none', az=zone)})['id']
            for _ in range(count)]
        return [self._wait_for_state_change({'id': server_id}, 'ACTIVE')
                for server_id in ids]

    def test_zone1_servers_land_in_zone1_and_never_on_a_disabled_host(self):
        servers = self._boot(SERVERS, 'zone1')
        hosts = [server['OS-EXT-SRV-ATTR:host'] for server in servers]
        self.assertEqual(set(ZONES['zone1']), set(hosts))
        self.assertEqual({'scheduler', 'scheduler2'}, set(self.handled))
        self.assertEqual(SERVERS, sum(self.handled.values()))

        # Disabled through the API: no audit of its rows has run since.
        disabled = ZONES['zone1'][0]
        [service] = self.admin_api.get_services(host=disabled,
                                                binary='nova-compute')
        self.admin_api.put_service(service['id'], {'status': 'disabled'})
        with mock.patch.object(self.computes[disabled].manager,
                               'update_available_resource') as audit:
            servers = self._boot(10, 'zone1')
        audit.assert_not_called()
        self.assertEqual({ZONES['zone1'][1]},
                         {server['OS-EXT-SRV-ATTR:host']
                          for server in servers})
