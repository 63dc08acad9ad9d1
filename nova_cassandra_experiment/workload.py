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

"""The seeded stream of boot requests and the driver that sends them.

Every set-up and every K gets the same stream: the same instance uuids and
flavors in the same order, from one seed.  The driver sends each request
through nova's own ``SchedulerQueryClient`` (the ``select_destinations``
RPC the conductor makes for a boot) with a real ``RequestSpec``, a fixed
number of requests in flight, and times each call.
"""

import collections
from concurrent import futures
import random
import time
import uuid

from nova import context as nova_context
from nova import objects
from nova.scheduler.client import query

from nova_cassandra_experiment import fake_driver

Flavor = collections.namedtuple('Flavor', 'name vcpus memory_mb root_gb')
Request = collections.namedtuple('Request', 'instance_uuid flavor')
# node: the chosen resource provider's uuid, None when the call failed;
# error: None, NOVALIDHOST or the other exception's text.
Outcome = collections.namedtuple('Outcome', 'request seconds node error')

FLAVORS = (Flavor('m1.small', 1, 2048, 20),
           Flavor('m1.medium', 2, 4096, 40),
           Flavor('m1.large', 4, 8192, 80),
           Flavor('m1.xlarge', 8, 16384, 160))
# Twice the memory of the largest node: no host can ever hold it.
OVERSIZED = Flavor('x.oversized', 8, 2 * max(
    size.memory_mb for size in fake_driver.SIZES), 160)

NOVALIDHOST = 'NoValidHost'
PROJECT_ID = 'nc-experiment'
USER_ID = 'nc-experiment'


def stream(seed, count, oversized_share):
    """``count`` requests; ``round(count * oversized_share)`` cannot fit."""
    rng = random.Random(seed)
    oversized = set(rng.sample(range(count), round(count * oversized_share)))
    return [Request(str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    OVERSIZED if i in oversized else rng.choice(FLAVORS))
            for i in range(count)]


def resources(flavor):
    """Placement resource amounts a flavor asks for."""
    return {'VCPU': flavor.vcpus, 'MEMORY_MB': flavor.memory_mb,
            'DISK_GB': flavor.root_gb}


def demand(requests):
    """Total resources of the requests that some host could hold."""
    total = collections.Counter()
    for request in requests:
        if request.flavor is not OVERSIZED:
            total.update(resources(request.flavor))
    return dict(total)


def drive(requests, call, concurrency, timeout, done=None):
    """Send every request through ``call``, ``concurrency`` at a time.

    ``call(request)`` returns the chosen node's uuid or raises; ``done()``,
    if given, is called as each request finishes.  Returns the outcomes,
    in stream order, and the wall-clock seconds the whole stream took.
    Requests not started within ``timeout`` seconds fail.
    """
    deadline = time.monotonic() + timeout

    def send(request):
        if time.monotonic() > deadline:
            return Outcome(request, 0.0, None, 'not sent: run timed out')
        start = time.perf_counter()
        try:
            node, error = call(request), None
        except Exception as e:
            node = None
            error = NOVALIDHOST if _is_novalidhost(e) else (
                '%s: %s' % (type(e).__name__, e))
        return Outcome(request, time.perf_counter() - start, node, error)

    def one(request):
        outcome = send(request)
        if done:
            done()
        return outcome

    start = time.perf_counter()
    with futures.ThreadPoolExecutor(concurrency) as pool:
        outcomes = list(pool.map(one, requests))
    return outcomes, time.perf_counter() - start


def _is_novalidhost(error):
    # RPC re-raises the scheduler's NoValidHost as NoValidHost_Remote.
    return type(error).__name__.startswith(NOVALIDHOST)


class SchedulerCaller:
    """``select_destinations`` through nova's scheduler RPC client.

    Needs nova's CONF parsed (transport_url, database for the API) and
    ``nova.rpc`` initialised.
    """

    def __init__(self):
        self.client = query.SchedulerQueryClient()
        self.context = nova_context.RequestContext(
            user_id=USER_ID, project_id=PROJECT_ID, is_admin=True)

    def request_spec(self, request):
        flavor = request.flavor
        return objects.RequestSpec.from_components(
            self.context, request.instance_uuid,
            image={'properties': {}, 'min_ram': 0, 'min_disk': 0},
            flavor=objects.Flavor(
                name=flavor.name, flavorid=flavor.name, vcpus=flavor.vcpus,
                memory_mb=flavor.memory_mb, root_gb=flavor.root_gb,
                ephemeral_gb=0, swap=0, extra_specs={}),
            numa_topology=None,
            pci_requests=objects.InstancePCIRequests(requests=[]),
            filter_properties={}, instance_group=None,
            availability_zone=None, project_id=PROJECT_ID, user_id=USER_ID)

    def __call__(self, request):
        selections = self.client.select_destinations(
            self.context, self.request_spec(request),
            [request.instance_uuid], return_objects=True,
            return_alternates=True)
        return selections[0][0].compute_node_uuid
