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

"""nova's own services with nova-cassandra swapped in, on a real Cassandra.

A test path of its own: importing nova's functional tests monkey-patches
the process with eventlet, which the other functional tests must not share.
"""


import functools
import traceback
import uuid

import fixtures
from nova import context as nova_context
from nova import objects
from nova.scheduler import host_manager
from nova.tests.functional.api import client

from nova_cassandra.claims import capacity
from nova_cassandra.claims import node_claim
from tests.functional_nova import base as nova_base

# Cell database reads stock HostManager makes for every request; only those
# made on the scheduler's behalf are counted (computes make them too).  The
# compute services are read as stock reads them, once per cell and request.
_CELL_READS = (
    (objects.ComputeNodeList, 'get_all_by_uuids'),
    (objects.ComputeNodeList, 'get_all'),
    (objects.InstanceList, 'get_uuids_by_host'),
)


class TestNovaWithCassandra(nova_base.CassandraIntegratedTestBase):

    def _setup_services(self):
        self.flags(allow_resize_to_same_host=True)
        super()._setup_services()
        self.cell_reads = []
        for cls, name in _CELL_READS:
            self.useFixture(fixtures.MockPatchObject(
                cls, name, side_effect=self._cell_read(cls, name)))

    def _cell_read(self, cls, name):
        real = getattr(cls, name)

        def counted(*args, **kwargs):
            if any('/nova/scheduler/' in frame.filename
                   for frame in traceback.extract_stack()):
                self.cell_reads.append(name)
            return real(*args, **kwargs)
        return counted

    def _record(self, host='compute'):
        """The host row of ``host``'s only node, read at quorum."""
        self._published()
        [node] = [r.node_uuid for r in self.store.list() if r.host == host]
        return self.store.get(node, latest=True)

    def _host_state(self, host='compute'):
        manager = self.scheduler.manager.host_manager
        ctxt = nova_context.get_admin_context()
        [state] = [s for s in manager.get_host_states_by_uuids(
            ctxt, None, None) if s.host == host]
        return state

    def test_scheduler_loads_nova_cassandra(self):
        manager = self.scheduler.manager
        self.assertEqual('CassandraHostManager',
                         type(manager.host_manager).__name__)
        self.assertEqual('CassandraClaims',
                         type(manager.claims_driver).__name__)

    def test_boot_and_delete_show_in_cassandra_and_host_state(self):
        before = self._record()
        server = self._create_server(flavor_id=self.flavor, networks='none')
        record = self._record()
        self.assertEqual({'VCPU': 1, 'MEMORY_MB': 512, 'DISK_GB': 1},
                         record.used)
        self.assertEqual([server['id']], record.state['instances'])
        self.assertGreater(record.generation, before.generation)
        self.assertEqual([], self.claims.node_usage(record.node_uuid).claims)
        self.assertEqual([], self.cell_reads)

        state = self._host_state()
        self.assertEqual(1, state.vcpus_used)
        self.assertEqual(8192 - 512 - 512, state.free_ram_mb)
        self.assertEqual(1, state.num_instances)
        self.assertEqual({server['id']}, set(state.instances))
        # placement_allocations = sync: placement has the allocation too.
        self.assertEqual(
            {'VCPU': 1, 'MEMORY_MB': 512, 'DISK_GB': 1},
            self._get_allocations_by_server_uuid(server['id'])[
                str(record.node_uuid)]['resources'])

        self._delete_server(server)
        record = self._record()
        self.assertEqual({'VCPU': 0, 'MEMORY_MB': 0, 'DISK_GB': 0},
                         record.used)
        self.assertEqual([], record.state['instances'])
        self.assertEqual(0, self._host_state().vcpus_used)

    def test_resize_counts_both_flavors_until_confirmed(self):
        server = self._create_server(flavor_id=self.flavor, networks='none')
        bigger = self._create_flavor(vcpu=2, memory_mb=1024, disk=2,
                                     ephemeral=0)
        self._resize_server(server, bigger)
        self.assertEqual({'VCPU': 3, 'MEMORY_MB': 1536, 'DISK_GB': 3},
                         self._record().used)
        self._confirm_resize(server)
        self.assertEqual({'VCPU': 2, 'MEMORY_MB': 1024, 'DISK_GB': 2},
                         self._record().used)
        self.assertEqual(2, self._host_state().vcpus_used)

    def _open_claims(self):
        self._published()
        return [(u.record.host, str(c.consumer_uuid))
                for u in self.claims.all_usage() for c in u.claims]

    def _used_vcpus(self):
        self._published()
        return {r.host: r.used['VCPU'] for r in self.store.list()}

    def _migrated(self):
        """A server cold-migrated from compute to compute2, to confirm."""
        server = self._create_server(flavor_id=self.flavor, networks='none',
                                     host='compute')
        self._start_compute('compute2')
        self.flags(allow_resize_to_same_host=False)
        server = self._migrate_server(server)
        self.assertEqual('compute2', server['OS-EXT-SRV-ATTR:host'])
        # Both nodes hold it until the move is confirmed or reverted, and
        # the destination's claim is folded into its usage.
        self.assertEqual({'compute': 1, 'compute2': 1}, self._used_vcpus())
        self.assertEqual([], self._open_claims())
        return server

    def test_cold_migrate_confirmed_frees_the_source(self):
        self._confirm_resize(self._migrated())
        self.assertEqual({'compute': 0, 'compute2': 1}, self._used_vcpus())
        self.assertEqual(1, self._host_state('compute2').vcpus_used)
        self.assertEqual(0, self._host_state('compute').vcpus_used)
        self.assertEqual([], self._open_claims())

    def test_cold_migrate_reverted_frees_the_destination(self):
        self._revert_resize(self._migrated())
        self.assertEqual({'compute': 1, 'compute2': 0}, self._used_vcpus())
        self.assertEqual([], self._record('compute2').state['instances'])
        self.assertEqual([], self._open_claims())

    def test_unshelve_claims_through_cassandra_again(self):
        server = self._create_server(flavor_id=self.flavor, networks='none')
        self._shelve_server(server)
        self.assertEqual({'compute': 0}, self._used_vcpus())
        self._unshelve_server(server)
        self.assertEqual({'compute': 1}, self._used_vcpus())
        self.assertEqual([server['id']], self._record().state['instances'])
        self.assertEqual([], self._open_claims())

    def test_evacuate_claims_on_the_destination(self):
        server = self._create_server(flavor_id=self.flavor, networks='none',
                                     host='compute')
        self._start_compute('compute2')
        self.computes['compute'].stop()
        [service] = self.api.get_services(host='compute',
                                          binary='nova-compute')
        self.api.put_service(service['id'], {'forced_down': True})
        # Since microversion 2.95 an evacuated server arrives stopped.
        server = self._evacuate_server(server, expected_host='compute2')
        record = self._record('compute2')
        self.assertEqual(1, record.used['VCPU'])
        self.assertEqual([server['id']], record.state['instances'])
        self.assertEqual([], self._open_claims())

    def _evacuate_forced_to_compute2(self):
        """Evacuate a new server on compute to compute2, forcing the host.

        Forcing bypasses the scheduler: conductor claims the destination
        through the claims driver (patches/0004). Returns the server and
        the evacuation request, to be sent.
        """
        server = self._create_server(flavor_id=self.flavor, networks='none',
                                     host='compute')
        self.computes['compute'].stop()
        [service] = self.api.get_services(host='compute',
                                          binary='nova-compute')
        self.api.put_service(service['id'], {'forced_down': True})
        # The last microversion with force.
        self.api.microversion = '2.67'
        return server, functools.partial(
            self.api.post_server_action, server['id'],
            {'evacuate': {'host': 'compute2', 'force': True}})

    def test_forced_evacuate_claims_through_the_driver(self):
        self._start_compute('compute2')
        server, evacuate = self._evacuate_forced_to_compute2()
        evacuate()
        self._wait_for_server_parameter(
            server, {'OS-EXT-SRV-ATTR:host': 'compute2', 'status': 'ACTIVE'})
        self._wait_for_migration_status(server, ['done'])
        record = self._record('compute2')
        self.assertEqual(1, record.used['VCPU'])
        self.assertEqual([], self._open_claims())

    def test_forced_evacuate_refused_when_the_store_has_no_room(self):
        # compute2's memory is held by a claim placement does not know of.
        self._start_compute('compute2')
        record = self._record('compute2')
        room = (capacity.limit(record, 'MEMORY_MB')
                - record.used.get('MEMORY_MB', 0))
        self.assertTrue(node_claim.claim(
            self.claims, record.node_uuid, uuid.uuid4(), {'MEMORY_MB': room},
            300))
        server, evacuate = self._evacuate_forced_to_compute2()
        # Conductor's NoValidHost reaches the API: casts are calls here.
        e = self.assertRaises(client.OpenStackApiException, evacuate)
        self.assertIn('NoValidHost', str(e))
        server = self.api.get_server(server['id'])
        self.assertEqual('compute', server['OS-EXT-SRV-ATTR:host'])
        self.assertEqual(0, self._record('compute2').used['VCPU'])

    def test_anti_affinity_multi_create_lands_on_two_hosts(self):
        self._start_compute('compute2')
        group = self.api.post_server_groups(
            {'name': 'spread', 'policy': 'anti-affinity'})
        request = self._build_server(flavor_id=self.flavor, networks='none')
        request.update(min_count=2, max_count=2)
        self.api.post_server({'server': request,
                              'os:scheduler_hints': {'group': group['id']}})
        servers = self._wait_for_servers(2)
        hosts_used = {s['OS-EXT-SRV-ATTR:host'] for s in servers}
        self.assertEqual({'compute', 'compute2'}, hosts_used)
        for host in hosts_used:
            record = self._record(host)
            self.assertEqual(1, len(record.state['instances']))
            self.assertEqual(1, record.used['VCPU'])
            self.assertEqual(1, self._host_state(host).num_instances)
        self.assertEqual([], self.cell_reads)

    def test_stock_filters_and_weighers_agree_with_stock_host_manager(self):
        """Same hosts, same request: same survivors, same weights."""
        self._start_compute('compute2')
        self._start_compute('compute3')
        bigger = self._create_flavor(vcpu=2, memory_mb=2048, disk=20,
                                     ephemeral=0)
        server = self._create_server(flavor_id=bigger, networks='none')
        self._create_server(flavor_id=self.flavor, networks='none')
        self._published()
        ctxt = nova_context.get_admin_context()
        spec = objects.RequestSpec.get_by_instance_uuid(ctxt, server['id'])

        def ranking(manager):
            states = list(manager.get_host_states_by_uuids(ctxt, None,
                                                           spec))
            passed = manager.get_filtered_hosts(states, spec)
            weighed = manager.get_weighed_hosts(passed, spec)
            return sorted((round(w.weight, 9), w.obj.host, w.obj.free_ram_mb,
                           w.obj.vcpus_used, w.obj.num_instances)
                          for w in weighed)

        cassandra = ranking(self.scheduler.manager.host_manager)
        stock = ranking(host_manager.HostManager())
        self.assertEqual(3, len(stock))
        self.assertEqual(stock, cassandra)

    def test_multi_create_that_does_not_all_fit_claims_nothing(self):
        """Room for two of three: as stock nova, all or nothing."""
        # 4000 MB each: 7680 MB free × ram ratio 1.5 holds two.
        large = self._create_flavor(vcpu=1, memory_mb=4000, disk=1,
                                    ephemeral=0)
        request = self._build_server(flavor_id=large, networks='none')
        request.update(min_count=3, max_count=3)
        self.api.post_server({'server': request})
        servers = self.api.get_servers()
        self.assertEqual(3, len(servers))
        for server in servers:
            server = self._wait_for_state_change(server, 'ERROR')
            self.assertIn('No valid host', server['fault']['message'])
        self.assertEqual([], self._open_claims())
        self.assertEqual({'compute': 0}, self._used_vcpus())

    def test_no_room_is_no_valid_host_and_nothing_is_claimed(self):
        huge = self._create_flavor(vcpu=1, memory_mb=16384, disk=1,
                                   ephemeral=0)
        server = self._create_server(flavor_id=huge, networks='none',
                                     expected_state='ERROR')
        self.assertIn('No valid host', server['fault']['message'])
        usage = self.claims.node_usage(self._record().node_uuid)
        self.assertEqual([], usage.claims)
        self.assertEqual(0, usage.record.used['VCPU'])

    def _wait_for_servers(self, count):
        for _ in range(100):
            servers = self.api.get_servers()
            if (len(servers) == count and
                    all(s['status'] == 'ACTIVE' for s in servers)):
                return servers
            self._wait_for_state_change(servers[0], 'ACTIVE')
        self.fail('servers did not all become ACTIVE: %s' % servers)
