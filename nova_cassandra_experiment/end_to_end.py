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

"""The end-to-end pass: servers booted and deleted through nova-api.

The scheduler runs call ``select_destinations`` directly.  This pass goes
the way a user's boot goes, for each set-up: nova-api (nova's WSGI
application under gunicorn, its tokens checked by the identity stand-in)
takes the boot requests, ``nova-conductor`` schedules them through K
nova-schedulers of the set-up, and a small fleet of nova-computes builds
the servers with the fleet driver.  The fleet holds fewer servers of the
pass's flavor than are booted, so the schedulers race for the last room.

With every server ACTIVE or in ERROR, placement's records are checked as
after a run (no provider over capacity, every ACTIVE server's allocation
on its node, each NoValidHost true or false), and the set-up's store as
well.  Then every server is deleted and nothing may be left of them: no
allocation in placement, no claim in the store.
"""

from concurrent import futures
import os
import socket
import sys
import time
import uuid

import requests

from nova_cassandra_experiment import checker
from nova_cassandra_experiment import fleet as fleet_mod
from nova_cassandra_experiment import processes
from nova_cassandra_experiment import schedulers as schedulers_mod
from nova_cassandra_experiment import standins as standins_mod

# 2 nova-computes of 2 nodes, the fleet's sizes: small, medium, large,
# medium hold 1 + 3 + 7 + 3 = 14 servers of FLAVOR (memory bounds them).
NODES = 4
NODES_PER_COMPUTE = 2
SCHEDULERS = 2
FLAVOR = {'name': 'nc-e2e', 'vcpus': 8, 'ram': 32768, 'disk': 100}
# How nova-conductor words a NoValidHost in the server's fault.
NOVALIDHOST = 'No valid host'
# Seconds to wait for nova-api, builds and deletes, each.
TIMEOUT = 180
# A stand-in token: user and project admin, with the admin role.
HEADERS = {'X-Auth-Token': 'admin:admin',
           # networks='none' is microversion 2.37.
           'OpenStack-API-Version': 'compute 2.37'}


def free_port():
    """A TCP port on loopback that nothing listens on (yet)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def flavor_resources(flavor):
    """Placement resource amounts of a nova-api flavor body."""
    return {'VCPU': flavor['vcpus'], 'MEMORY_MB': flavor['ram'],
            'DISK_GB': flavor['disk']}


def fits(inventories, resources):
    """How many servers of ``resources`` fit on empty providers."""
    total = 0
    for rp_inventories in inventories.values():
        total += min(
            checker.capacity(rp_inventories[rc]) // amount
            if amount <= rp_inventories[rc]['max_unit'] else 0
            for rc, amount in resources.items())
    return total


class API:
    """The few compute API calls of the pass."""

    def __init__(self, url):
        self.url = url

    def call(self, method, path, **kwargs):
        response = requests.request(method, self.url + '/v2.1' + path,
                                    headers=HEADERS, timeout=60, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def answers(self):
        try:
            # nova builds its application on the first request.
            return requests.get(self.url, timeout=60).ok
        except requests.ConnectionError:
            return False

    def servers(self, name):
        """``{id: server}`` of the servers named ``name``, with details."""
        return {s['id']: s for s in self.call(
            'GET', '/servers/detail', params={'name': '^%s$' % name})[
                'servers']}


class EndToEnd(processes.ProcessGroup):
    """One pass for one set-up; ``run()`` returns its record."""

    def __init__(self, setup, conf, placement, state, run_dir, servers,
                 concurrency):
        super().__init__()
        self.setup = setup
        self.conf = conf
        self.placement = placement
        self.state = state
        self.run_dir = run_dir
        self.servers = servers
        self.concurrency = concurrency
        self.api = API('http://127.0.0.1:%d' % free_port())
        # Servers of the pass are found by this name.
        self.name = 'nc-e2e-%s-%s' % (setup.name, uuid.uuid4().hex[:8])

    def run(self):
        os.makedirs(self.run_dir, exist_ok=True)
        standins = standins_mod.StandIns({})
        standins.start()
        config_files = list(self.conf.config_file) + [
            self._services_conf(standins)]
        fleet = fleet_mod.Fleet(NODES, NODES_PER_COMPUTE, config_files,
                                self.setup.compute_conf,
                                self.setup.scheduler_conf, self.run_dir,
                                self.placement)
        schedulers = schedulers_mod.Schedulers(
            SCHEDULERS, config_files, self.setup.scheduler_conf,
            self.run_dir, self.conf.transport_url)
        try:
            if self.state:
                self.state.recreate()
            fleet.start_all(timeout=TIMEOUT)
            if self.state:
                self.state.wait_for_nodes(dict.fromkeys(fleet.providers, {}),
                                          fleet.compute_hosts, TIMEOUT)
            schedulers.start_all(fleet.compute_hosts,
                                 fleet_mod.SYNC_INTERVAL, TIMEOUT)
            self.start(processes.Process(
                'nova-api', [sys.executable, '-m',
                             'nova_cassandra_experiment.nova_api',
                             '--bind', self.api.url.split('//')[1]],
                config_files, {}, self.run_dir))
            self.wait_for('nova-api', self.api.answers, TIMEOUT)
            return self._boot_check_delete(fleet)
        finally:
            self.stop()
            schedulers.stop()
            fleet.stop()
            standins.stop()

    def _services_conf(self, standins):
        """Where nova finds the stand-ins; no quota to hit."""
        path = os.path.join(self.run_dir, 'services.conf')
        processes.write_conf(path, dict(
            standins.nova_conf(),
            quota={'instances': -1, 'cores': -1, 'ram': -1}))
        return path

    def _boot_check_delete(self, fleet):
        flavor = self.api.call('POST', '/flavors', json={'flavor': dict(
            FLAVOR, name='%s-%s' % (FLAVOR['name'], fleet.fleet_id))})[
                'flavor']
        try:
            record = self._boot_and_check(fleet, flavor)
            record.update(self._delete_and_check(fleet))
            return record
        finally:
            self.api.call('DELETE', '/flavors/%s' % flavor['id'])

    def _boot(self, flavor):
        self.api.call('POST', '/servers', json={'server': {
            'name': self.name, 'imageRef': standins_mod.IMAGE_ID,
            'flavorRef': flavor['id'], 'networks': 'none'}})

    def _settled(self):
        servers = self.api.servers(self.name)
        return (len(servers) == self.servers and
                all(s['status'] in ('ACTIVE', 'ERROR')
                    for s in servers.values()))

    def _boot_and_check(self, fleet, flavor):
        started = time.monotonic()
        with futures.ThreadPoolExecutor(self.concurrency) as pool:
            list(pool.map(self._boot, [flavor] * self.servers))
        self.wait_for('%d servers ACTIVE or ERROR' % self.servers,
                      self._settled, TIMEOUT)
        seconds = time.monotonic() - started
        servers = self.api.servers(self.name)
        nodes = {name: rp for rp, name in fleet.providers.items()}
        active = {sid: nodes[s['OS-EXT-SRV-ATTR:hypervisor_hostname']]
                  for sid, s in servers.items() if s['status'] == 'ACTIVE'}
        faults = {sid: s.get('fault', {}).get('message', '')
                  for sid, s in servers.items() if s['status'] == 'ERROR'}
        resources = flavor_resources(flavor)
        refused = {sid: resources for sid, fault in faults.items()
                   if fault.startswith(NOVALIDHOST)}
        errors = [fault for sid, fault in faults.items()
                  if sid not in refused]
        inventories, _, verdict = checker.judge(
            self.placement, fleet.providers, active, refused,
            store_allocations=(None if self.setup.writes_placement
                               else self.state.allocations))
        record = {'setup': self.setup.name, 'servers': self.servers,
                  'fit': fits(inventories, resources),
                  'active': len(active), 'boot_seconds': round(seconds, 2),
                  'errors': len(errors), 'first_errors': errors[:3],
                  'store_offenders': self.state.check() if self.state
                  else []}
        record.update(verdict)
        return record

    def _delete_and_check(self, fleet):
        servers = list(self.api.servers(self.name))
        started = time.monotonic()
        with futures.ThreadPoolExecutor(self.concurrency) as pool:
            list(pool.map(
                lambda sid: self.api.call('DELETE', '/servers/%s' % sid),
                servers))
        self.wait_for('%d servers deleted' % len(servers),
                      lambda: not self.api.servers(self.name), TIMEOUT)
        seconds = time.monotonic() - started
        # The compute drops a server's allocations as it finishes
        # deleting it; give the last one a moment.
        deadline = time.monotonic() + fleet_mod.SYNC_INTERVAL
        while True:
            leaked = self._left_of(fleet, servers)
            if not any(leaked.values()) or time.monotonic() > deadline:
                break
            time.sleep(1)
        return dict(leaked, delete_seconds=round(seconds, 2))

    def _left_of(self, fleet, servers):
        _, allocations = checker.read(self.placement, fleet.providers)
        held = set().union(*allocations.values())
        return {'leaked_allocations': len(held & set(servers)),
                'leaked_claims': len(self.state.claimed(servers))
                if self.state else 0}
