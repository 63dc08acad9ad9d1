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

"""Two allocation writes racing for a provider with room for one of them.

Run as ``python placement_race.py DATABASE_URL`` with the placement to try
first on ``sys.path``; ``DATABASE_URL`` names an empty database. Placement's
WSGI application, in this process, gets a provider with one VCPU; two
threads PUT an allocation of one VCPU each for their own consumer. The first
is held inside its allocation transaction, right after its first read of the
provider's usage, until the second has written and committed; then it goes
on, meets a provider generation conflict and retries. Prints, as JSON, the
status each write got and the VCPU the provider ends up with used.

Stock placement 16.0.0 retries inside the transaction whose snapshot predates
the second write, so both writes land: 2 used of 1. A placement that checks
capacity against current usage answers the first one 409.
"""

import json
import sys
import threading
import uuid

from oslo_config import cfg
import webob

from placement import conf as placement_conf
from placement import db_api
from placement import deploy
from placement.objects import allocation as alloc_obj

MICROVERSION = 'placement 1.28'
HOLD_TIMEOUT = 30


def _request(app, method, path, body=None):
    req = webob.Request.blank(path, method=method)
    req.headers['X-Auth-Token'] = 'admin'
    req.headers['OpenStack-API-Version'] = MICROVERSION
    if body is not None:
        req.content_type = 'application/json'
        req.body = json.dumps(body).encode()
    response = req.get_response(app)
    return response.status_int, response.json if response.body else None


def _app(url):
    conf = cfg.ConfigOpts()
    placement_conf.register_opts(conf)
    conf.set_default('connection', url, group='placement_database')
    conf.set_default('sync_on_startup', True, group='placement_database')
    conf.set_default('auth_strategy', 'noauth2', group='api')
    conf([], project='placement', default_config_files=[])
    db_api.configure(conf)
    return deploy.loadapp(conf)


def _hold_first_writer(first):
    """Stop ``first`` after its first usage read until the event is set.

    Returns (the event ``first`` sets when it is held, the one to set to
    let it go on).
    """
    held, release = threading.Event(), threading.Event()
    read_usage = alloc_obj._provider_usage_summary

    def _usage_then_hold(ctx, provider_ids, rcs):
        usage = read_usage(ctx, provider_ids, rcs)
        if threading.current_thread() is first and not held.is_set():
            held.set()
            if not release.wait(HOLD_TIMEOUT):
                raise RuntimeError('the first writer was never released')
        return usage

    alloc_obj._provider_usage_summary = _usage_then_hold
    return held, release


def race(url):
    app = _app(url)
    rp_uuid = str(uuid.uuid4())
    _request(app, 'POST', '/resource_providers',
             {'name': 'race', 'uuid': rp_uuid})
    _request(app, 'PUT', '/resource_providers/%s/inventories' % rp_uuid,
             {'resource_provider_generation': 0,
              'inventories': {'VCPU': {'total': 1}}})
    statuses = {}

    def write(name):
        statuses[name], _ = _request(
            app, 'PUT', '/allocations/%s' % uuid.uuid4(),
            {'allocations': {rp_uuid: {'resources': {'VCPU': 1}}},
             'project_id': str(uuid.uuid4()), 'user_id': str(uuid.uuid4()),
             'consumer_generation': None})

    first = threading.Thread(target=write, args=('first',))
    held, release = _hold_first_writer(first)
    first.start()
    if not held.wait(HOLD_TIMEOUT):
        raise RuntimeError('the first writer never read the usage')
    write('second')
    release.set()
    first.join()
    _, usages = _request(app, 'GET',
                         '/resource_providers/%s/usages' % rp_uuid)
    return {'first': statuses['first'], 'second': statuses['second'],
            'used': usages['usages'].get('VCPU', 0), 'capacity': 1}


if __name__ == '__main__':
    print(json.dumps(race(sys.argv[1])))
