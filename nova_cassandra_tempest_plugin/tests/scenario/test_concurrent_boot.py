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

"""Servers booted at once, placed by racing schedulers, fit their hosts.

Several multi-create requests are sent together, so that several
nova-scheduler processes place them at the same time.  Once every server is
ACTIVE or ERROR, no host may be over its capacity, as placement, the
hypervisors and the servers themselves account it; every ERROR must be a
NoValidHost (the cloud was full), never a failed build.
"""

from concurrent import futures
import time

from oslo_log import log as logging
from tempest.common import waiters
from tempest import config
from tempest.lib.common import api_microversion_fixture
from tempest.lib.common import api_version_utils
from tempest.lib.common.utils import data_utils
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc
from tempest import test

CONF = config.CONF
LOG = logging.getLogger(__name__)

# What the hypervisors and flavors count of each placement resource class.
_HYPERVISOR_USAGE = {'VCPU': 'vcpus_used', 'MEMORY_MB': 'memory_mb_used',
                     'DISK_GB': 'local_gb_used'}
_FLAVOR_USAGE = {'VCPU': 'vcpus', 'MEMORY_MB': 'ram', 'DISK_GB': 'disk'}


def _capacity(inventory):
    return int((inventory['total'] - inventory['reserved']) *
               inventory['allocation_ratio'])


class ConcurrentBootTest(api_version_utils.BaseMicroversionTest,
                         test.BaseTestCase):
    """Racing schedulers never put a host over its capacity."""

    credentials = ['primary', 'admin']
    # networks='none': the servers need no port, on any cloud.
    min_microversion = '2.37'
    max_microversion = 'latest'

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.service_available.nova:
            raise cls.skipException('nova is not available')
        if not CONF.service_available.nova_cassandra:
            raise cls.skipException('nova-cassandra is not enabled')
        api_version_utils.check_skip_with_microversion(
            cls.min_microversion, cls.max_microversion,
            CONF.compute.min_microversion, CONF.compute.max_microversion)

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.servers_client = cls.os_primary.servers_client
        cls.admin_servers_client = cls.os_admin.servers_client
        cls.flavors_client = cls.os_admin.flavors_client
        cls.hypervisor_client = cls.os_admin.hypervisor_client
        cls.services_client = cls.os_admin.services_client
        cls.providers_client = cls.os_admin.resource_providers_client

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.request_microversion = (
            api_version_utils.select_request_microversion(
                cls.min_microversion, CONF.compute.min_microversion))

    def setUp(self):
        super().setUp()
        self.useFixture(api_microversion_fixture.APIMicroversionFixture(
            compute_microversion=self.request_microversion))

    def _require_schedulers(self):
        services = self.services_client.list_services(
            binary='nova-scheduler')['services']
        up = [s['host'] for s in services
              if s['state'] == 'up' and s['status'] == 'enabled']
        if len(up) < CONF.nova_cassandra.scheduler_services:
            raise self.skipException(
                '%d nova-scheduler service(s) up, [nova_cassandra] '
                'scheduler_services = %d' % (
                    len(up), CONF.nova_cassandra.scheduler_services))
        return up

    def _servers(self, prefix):
        servers = self.admin_servers_client.list_servers(
            detail=True, all_tenants=True, name='^' + prefix)['servers']
        return [s for s in servers if s['name'].startswith(prefix)]

    def _delete_servers(self, prefix):
        servers = self._servers(prefix)
        for server in servers:
            try:
                self.servers_client.delete_server(server['id'])
            except lib_exc.NotFound:
                pass
        for server in servers:
            waiters.wait_for_server_termination(self.servers_client,
                                                server['id'])

    def _boot(self, name, flavor):
        count = CONF.nova_cassandra.servers_per_request
        self.servers_client.create_server(
            name=name, imageRef=CONF.compute.image_ref, flavorRef=flavor,
            min_count=count, max_count=count, networks='none')

    def _wait_built(self, prefix, expected):
        deadline = time.time() + CONF.compute.build_timeout
        while True:
            servers = self._servers(prefix)
            if (len(servers) == expected and
                    all(s['status'] in ('ACTIVE', 'ERROR') for s in servers)):
                return servers
            if time.time() > deadline:
                raise lib_exc.TimeoutException(
                    '%d of %d servers ACTIVE or ERROR after %d s' % (
                        sum(s['status'] in ('ACTIVE', 'ERROR')
                            for s in servers),
                        expected, CONF.compute.build_timeout))
            time.sleep(CONF.compute.build_interval)

    def _inventories(self):
        """``{node: (provider uuid, {resource class: inventory})}``

        Of this cloud's compute nodes only: placement may serve others.
        """
        nodes = {h['hypervisor_hostname'] for h in
                 self.hypervisor_client.list_hypervisors()['hypervisors']}
        providers = self.providers_client.list_resource_providers()[
            'resource_providers']
        return {p['name']: (p['uuid'],
                            self.providers_client
                            .list_resource_provider_inventories(
                                p['uuid'])['inventories'])
                for p in providers if p['name'] in nodes}

    def _placement_overuse(self, inventories):
        over = []
        for name, (uuid, inventory) in inventories.items():
            usages = self.providers_client.list_resource_provider_usages(
                uuid)['usages']
            over += ['placement: %s %s %d > %d' % (
                name, rc, used, _capacity(inventory[rc]))
                for rc, used in usages.items()
                if rc in inventory and used > _capacity(inventory[rc])]
        return over

    def _hypervisor_overuse(self, inventories):
        """What the computes account, against placement's capacity.

        ``*_used`` counts the host's reservation (memory, disk) or not
        (vCPUs): either way it is at most reserved + capacity.
        """
        over = []
        for hypervisor in self.hypervisor_client.list_hypervisors(
                detail=True)['hypervisors']:
            name = hypervisor['hypervisor_hostname']
            inventory = inventories.get(name, (None, {}))[1]
            for rc, used in _HYPERVISOR_USAGE.items():
                if rc not in inventory or used not in hypervisor:
                    continue
                limit = inventory[rc]['reserved'] + _capacity(inventory[rc])
                if hypervisor[used] > limit:
                    over.append('hypervisor: %s %s %d > %d' % (
                        name, used, hypervisor[used], limit))
        return over

    @staticmethod
    def _active_per_node(servers):
        per_node = {}
        for server in servers:
            if server['status'] == 'ACTIVE':
                node = server['OS-EXT-SRV-ATTR:hypervisor_hostname']
                per_node[node] = per_node.get(node, 0) + 1
        return per_node

    def _servers_overuse(self, per_node, flavor, inventories):
        """Our ACTIVE servers alone, per node, against its capacity."""
        over = []
        for node, count in sorted(per_node.items()):
            inventory = inventories.get(node, (None, {}))[1]
            for rc, field in _FLAVOR_USAGE.items():
                need = count * flavor[field]
                if rc in inventory and need > _capacity(inventory[rc]):
                    over.append('servers: %s %d x %s %d > %d' % (
                        node, count, field, flavor[field],
                        _capacity(inventory[rc])))
        return over

    @decorators.idempotent_id('3f0cb7c5-2a4e-4b53-9e4c-6f1b1c9a7d21')
    def test_concurrent_boots_stay_within_capacity(self):
        self._require_schedulers()
        flavor_ref = (CONF.nova_cassandra.flavor_ref or
                      CONF.compute.flavor_ref)
        flavor = self.flavors_client.show_flavor(flavor_ref)['flavor']
        prefix = data_utils.rand_name(prefix=CONF.resource_name_prefix,
                                      name='nc-concurrent')
        requests = CONF.nova_cassandra.boot_requests
        expected = requests * CONF.nova_cassandra.servers_per_request
        self.addCleanup(self._delete_servers, prefix)

        with futures.ThreadPoolExecutor(requests) as pool:
            list(pool.map(self._boot,
                          ['%s-r%d' % (prefix, i) for i in range(requests)],
                          [flavor_ref] * requests))
        servers = self._wait_built(prefix, expected)
        per_node = self._active_per_node(servers)
        LOG.info('%d servers from %d requests: ACTIVE per node %s, %d ERROR',
                 expected, requests, per_node,
                 sum(s['status'] == 'ERROR' for s in servers))

        failed = [(s['name'], s.get('fault', {}).get('message'))
                  for s in servers if s['status'] == 'ERROR' and
                  'No valid host' not in s.get('fault', {}).get('message',
                                                                '')]
        self.assertEqual([], failed, 'servers in ERROR, not for lack of room')
        self.assertTrue(per_node, 'no server of %d became ACTIVE' % expected)
        inventories = self._inventories()
        self.assertEqual(
            [], self._placement_overuse(inventories) +
            self._hypervisor_overuse(inventories) +
            self._servers_overuse(per_node, flavor, inventories))
