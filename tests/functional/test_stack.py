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

"""The stack nova runs on: MariaDB, RabbitMQ and placement, as configured."""

import uuid

from oslo_config import cfg
import oslo_messaging as messaging
import pymysql
import requests
import sqlalchemy.engine

from tests.functional import base


def _connect(url):
    url = sqlalchemy.engine.make_url(url)
    return pymysql.connect(host=url.host, port=url.port, user=url.username,
                           password=url.password, database=url.database)


class TestNovaDatabases(base.TestCase):

    def test_cells_are_mapped(self):
        conf = base.nova_conf()
        with _connect(conf['api_database']['connection']) as db:
            with db.cursor() as cursor:
                cursor.execute('SELECT name, database_connection '
                               'FROM cell_mappings ORDER BY name')
                cells = dict(cursor.fetchall())
        self.assertEqual({'cell0', 'cell1'}, set(cells))
        self.assertIn('/nova_cell0', cells['cell0'])
        self.assertIn('/nova?', cells['cell1'])

    def test_nova_and_placement_schemas_are_synced(self):
        conf = base.nova_conf()
        expected = {'nova': 'compute_nodes', 'nova_cell0': 'instances',
                    'nova_api': 'request_specs', 'placement': 'allocations'}
        with _connect(conf['database']['connection']) as db:
            with db.cursor() as cursor:
                for database, table in expected.items():
                    cursor.execute(
                        'SELECT COUNT(*) FROM information_schema.tables '
                        'WHERE table_schema = %s AND table_name = %s',
                        (database, table))
                    self.assertEqual((1,), cursor.fetchone(), database)


class TestPlacement(base.TestCase):

    def test_placement_answers_with_noauth(self):
        endpoint = base.nova_conf()['placement']['endpoint_override']
        versions = requests.get(endpoint, headers={'X-Auth-Token': 'admin'},
                                timeout=10).json()['versions']
        self.assertEqual('CURRENT', versions[0]['status'])
        # nova 34 needs microversion 1.39 (root_required, OWNER_NOVA).
        major, minor = map(int, versions[0]['max_version'].split('.'))
        self.assertGreaterEqual((major, minor), (1, 39))
        providers = requests.get(
            endpoint + '/resource_providers',
            headers={'X-Auth-Token': 'admin',
                     'OpenStack-API-Version': 'placement 1.39'}, timeout=10)
        self.assertEqual(200, providers.status_code)


class _Echo:
    target = messaging.Target(version='1.0')

    def echo(self, ctxt, value):
        return value


class TestRabbitMQ(base.TestCase):

    def test_rpc_round_trip_on_nova_vhost(self):
        # oslo.messaging registers its tracing options on the global CONF
        # only, as nova's services use it: so do we.
        url = base.nova_conf()['DEFAULT']['transport_url']
        transport = messaging.get_rpc_transport(cfg.CONF, url=url)
        self.addCleanup(transport.cleanup)
        target = messaging.Target(topic='nc-test-%s' % uuid.uuid4().hex,
                                  server='server1')
        server = messaging.get_rpc_server(transport, target, [_Echo()],
                                          executor='threading')
        server.start()
        self.addCleanup(server.wait)
        self.addCleanup(server.stop)
        client = messaging.get_rpc_client(transport, target, timeout=20)
        self.assertEqual({'n': 42}, client.call({}, 'echo', value={'n': 42}))
