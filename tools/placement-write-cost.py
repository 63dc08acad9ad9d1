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

"""CPU of placement per allocation write, by patches and consumers per call.

Serves the stack's placement database (``bash tools/stack.sh up``) with
copies of the installed placement carrying the first N patches of
``patches/placement/series``, one ``--patches`` N after the other, as the
experiment serves a set-up's own placement.  Each writes new consumers'
allocations as schedulers claim them, one provider each: one consumer per
``PUT /allocations/{consumer_uuid}``, and N per ``POST /allocations``.  It
prints the CPU placement's processes and MariaDB used per call, in rounds
that alternate the copies, then deletes what it wrote::

    PYTHONPATH=. .tox/functional/bin/python tools/placement-write-cost.py \\
        --patches 2,3
"""

import argparse
import os
import random
import tempfile
import uuid

import requests

from nova_cassandra.patching import operations
from nova_cassandra.patching import series
from nova_cassandra.patching import trees
from nova_cassandra_experiment import cpu
from nova_cassandra_experiment import placement_api
from tests.functional import base

# nova's claims use its allocation candidates' microversion, 1.36.
HEADERS = {'X-Auth-Token': 'admin',
           'OpenStack-API-Version': 'placement 1.36'}
PROVIDERS = 100
WRITES = 100
RESOURCES = {'VCPU': 1, 'MEMORY_MB': 512}


class Writes:
    """Providers, and the consumers written to them through ``url``."""

    def __init__(self):
        self.url = None
        self.http = requests.Session()
        self.http.headers.update(HEADERS)
        self.providers = []
        self.consumers = []
        self.project, self.user = str(uuid.uuid4()), str(uuid.uuid4())

    def call(self, method, path, body=None):
        response = self.http.request(method, self.url + path, json=body,
                                     timeout=60)
        response.raise_for_status()

    def create_providers(self):
        for _ in range(PROVIDERS):
            rp = str(uuid.uuid4())
            self.call('POST', '/resource_providers',
                      {'uuid': rp, 'name': 'write-cost-' + rp})
            self.providers.append(rp)
            self.call('PUT', '/resource_providers/%s/inventories' % rp,
                      {'resource_provider_generation': 0,
                       'inventories': {'VCPU': {'total': 100000},
                                       'MEMORY_MB': {'total': 10 ** 8}}})

    def _new(self):
        consumer = str(uuid.uuid4())
        self.consumers.append(consumer)
        return consumer, {
            'allocations': {random.choice(self.providers):
                            {'resources': RESOURCES}},
            'project_id': self.project, 'user_id': self.user,
            'consumer_generation': None}

    def write(self, per_call):
        """One call: a PUT for one consumer, a POST for more."""
        if per_call == 1:
            consumer, body = self._new()
            self.call('PUT', '/allocations/' + consumer, body)
        else:
            self.call('POST', '/allocations',
                      dict(self._new() for _ in range(per_call)))

    def delete(self):
        for consumer in self.consumers:
            self.call('DELETE', '/allocations/' + consumer)
        for rp in self.providers:
            self.call('DELETE', '/resource_providers/' + rp)


def _server(patches, root):
    """A placement API on a copy with the series' first ``patches``."""
    path = os.path.join(root, 'patches-%d' % patches)
    operations.apply(trees.copy_installed(path, 'placement'),
                     series.read_series(project='placement')[:patches])
    run_dir = os.path.join(root, 'run-%d' % patches)
    os.mkdir(run_dir)
    return placement_api.Server([base.NOVA_CONF], {}, run_dir, path)


def _cost_ms(server, writes, per_call):
    """CPU ms per call of placement's processes and of MariaDB."""
    window = cpu.Window({'placement': server.pids()})
    window.start()
    for _ in range(WRITES):
        writes.write(per_call)
    used = window.stop()
    return used['placement'] / WRITES, used['mariadb'] / WRITES


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--patches', default='0,%d' % len(
        series.read_series(project='placement')),
        help='first patches of the series each copy carries, '
             'comma-separated (default: none, then all)')
    parser.add_argument('--per-call', default='1,5,20',
                        help='consumers per call (default 1,5,20)')
    parser.add_argument('--rounds', type=int, default=3,
                        help='rounds over the copies and sizes (default 3)')
    args = parser.parse_args()
    counts = [int(n) for n in args.patches.split(',')]
    sizes = [int(n) for n in args.per_call.split(',')]
    writes = Writes()
    with tempfile.TemporaryDirectory() as root:
        servers = {}
        try:
            for n in counts:
                servers[n] = _server(n, root)
                servers[n].start_all(60)
            writes.url = servers[counts[0]].url
            writes.create_providers()
            print('patches  per call  placement ms/call  mariadb ms/call')
            for _ in range(args.rounds):
                for size in sizes:
                    for n in counts:
                        writes.url = servers[n].url
                        writes.write(size)  # this size's path warmed
                        placement, mariadb = _cost_ms(servers[n], writes,
                                                      size)
                        print('%7d  %8d  %17.2f  %15.2f'
                              % (n, size, placement, mariadb), flush=True)
        finally:
            if servers:
                writes.url = next(iter(servers.values())).url
                writes.delete()
            for server in servers.values():
                server.stop()


if __name__ == '__main__':
    main()
