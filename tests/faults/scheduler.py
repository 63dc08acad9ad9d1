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

"""A scheduler process: the claims driver as nova-scheduler calls it.

  python -m tests.faults.scheduler --outcomes PATH --stop-file PATH
      [--pace S] [--request-specs] --config-file nova.conf ...

Loads the claims driver ``[scheduler] claims_driver`` names through its
entry point and sends it one-VCPU requests, one after the other, until the
stop file exists: the driver's candidates (``get_candidates``), then its
claim on each in turn until one holds, as nova's scheduler does after its
filters and weighers (not run here).  With ``--request-specs`` each
request's ``RequestSpec`` is first written to nova's API database, as
nova-api writes it before scheduling.  Each request ends as a JSON line in
the outcomes file, written at once (a process killed keeps what it
answered): ``consumer``, ``node`` (null when refused), ``reason`` (of a
refusal), ``error`` (any other exception), ``started`` (monotonic clock,
the same for every process of the machine) and ``seconds``.  Once stopped
it waits for the placement mirror to drain and appends ``{"counters":
...}`` (``nova_cassandra.metrics``).
"""

import argparse
import json
import os
import sys
import time
import uuid

from nova import conf as nova_conf
from nova import context as nova_context
from nova import exception as nova_exception
from nova import objects
from oslo_log import log as logging
from stevedore import driver as stevedore_driver

from nova_cassandra.claims import placement_mirror
from nova_cassandra.cmd import nova_db
from nova_cassandra import metrics

CONF = nova_conf.CONF
PROJECT_ID = 'faults-project'
USER_ID = 'faults-user'
# Seconds the placement mirror gets to drain once the requests stop.
DRAIN_TIMEOUT = 120
FLAVOR = {'vcpus': 1, 'memory_mb': 512, 'root_gb': 1}


def request_spec(context, consumer, create):
    """A one-VCPU request, as nova's request filters leave it."""
    spec = objects.RequestSpec(
        context, instance_uuid=consumer, project_id=PROJECT_ID,
        user_id=USER_ID, num_instances=1, is_bfv=False,
        requested_resources=[],
        image=objects.ImageMeta(properties=objects.ImageMetaProps()),
        flavor=objects.Flavor(ephemeral_gb=0, swap=0, extra_specs={},
                              **FLAVOR))
    if create:
        spec.create()
    spec.root_required.add('OWNER_NOVA')
    spec.root_forbidden.add('COMPUTE_STATUS_DISABLED')
    return spec


def schedule(driver, context, spec):
    """``(node, reason)``: the node claimed, or None and why not."""
    try:
        by_node, _, version = driver.get_candidates(context, spec, None)
    except nova_exception.NoValidHost as e:
        return None, str(e)
    for node, alloc_reqs in by_node.items():
        if driver.claim(context, node, spec,
                        spec.instance_uuid, alloc_reqs[0],
                        allocation_request_version=version):
            return node, None
    return None, 'no candidate could be claimed'


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--outcomes', required=True)
    parser.add_argument('--stop-file', required=True)
    parser.add_argument('--pace', type=float, default=0.0,
                        help='seconds between two requests')
    parser.add_argument('--request-specs', action='store_true')
    args, rest = parser.parse_known_args()
    logging.register_options(CONF)
    CONF(rest, project='nova')
    logging.setup(CONF, 'nova')
    nova_db.configure(CONF)
    objects.register_all()
    driver = stevedore_driver.DriverManager(
        'nova.scheduler.claims', CONF.scheduler.claims_driver,
        invoke_on_load=True).driver
    context = nova_context.RequestContext(user_id=USER_ID,
                                          project_id=PROJECT_ID,
                                          is_admin=True)
    with open(args.outcomes, 'w') as out:
        while not os.path.exists(args.stop_file):
            consumer = str(uuid.uuid4())
            started = time.monotonic()
            outcome = {'consumer': consumer, 'node': None, 'reason': None,
                       'error': None, 'started': started}
            try:
                spec = request_spec(context, consumer, args.request_specs)
                outcome['node'], outcome['reason'] = schedule(
                    driver, context, spec)
            except Exception as e:
                outcome['error'] = '%s: %s' % (type(e).__name__, e)
            outcome['seconds'] = time.monotonic() - started
            out.write(json.dumps(outcome) + '\n')
            out.flush()
            time.sleep(args.pace)
        placement_mirror.get_mirror().flush(DRAIN_TIMEOUT)
        out.write(json.dumps({'counters': metrics.snapshot()}) + '\n')


if __name__ == '__main__':
    sys.exit(main())
