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

"""Stand-ins for keystone, glance and neutron, for a stack without them.

One HTTP server on loopback answers only what tempest, keystonemiddleware
and nova call when servers with ``networks='none'`` boot and are deleted:

* identity (``/identity``): version discovery, ``POST /v3/auth/tokens``
  (any password) and ``GET /v3/auth/tokens``.  A token is
  ``<user>:<project>``, what placement's ``noauth2`` reads; ``admin`` has
  the admin role, everyone has member and reader.  The catalog lists the
  endpoints given to the constructor.
* image (``/image``): one public image, ``IMAGE_ID``.
* network (``/network``): every collection (ports, networks, ...) empty.

Anything else gets a 404 and is recorded in ``unexpected``.
"""

import datetime
import http.server
import json
import re
import threading
import urllib.parse

IMAGE_ID = '6f5cd2c2-0f6b-4d0e-9a0e-6c2b7a1d0c11'
_DOMAIN = {'id': 'default', 'name': 'Default'}
_TIME = '%Y-%m-%dT%H:%M:%S.%fZ'


def _image():
    return {'id': IMAGE_ID, 'name': 'nc-tempest-image', 'status': 'active',
            'visibility': 'public', 'protected': False, 'os_hidden': False,
            'size': 1024, 'virtual_size': None, 'min_disk': 0, 'min_ram': 0,
            'disk_format': 'raw', 'container_format': 'bare',
            'owner': 'admin', 'tags': [], 'checksum': None,
            'created_at': '2026-01-01T00:00:00Z',
            'updated_at': '2026-01-01T00:00:00Z',
            'file': '/v2/images/%s/file' % IMAGE_ID,
            'schema': '/v2/schemas/image'}


class StandIns(http.server.ThreadingHTTPServer):
    """The server; ``start()`` runs it in a thread, ``stop()`` ends it."""

    daemon_threads = True

    def __init__(self, catalog):
        """``catalog``: ``{service type: endpoint URL}`` besides ours."""
        super().__init__(('127.0.0.1', 0), _Handler)
        self.url = 'http://127.0.0.1:%d' % self.server_address[1]
        self.catalog = dict(catalog, identity=self.url + '/identity',
                            image=self.url + '/image',
                            network=self.url + '/network')
        self.unexpected = []

    def start(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def stop(self):
        self.shutdown()
        self.server_close()

    def nova_conf(self):
        """nova.conf sections that point nova's services at the stand-ins.

        nova 34's API pipeline has keystonemiddleware only: nova-api checks
        tokens with the identity stand-in, as the ``nova`` service user.
        """
        identity = self.catalog['identity']
        return {
            'api': {'auth_strategy': 'keystone'},
            'keystone_authtoken': {
                'www_authenticate_uri': identity, 'auth_url': identity,
                'auth_type': 'password', 'username': 'nova',
                'password': 'nova', 'project_name': 'service',
                'user_domain_name': 'Default',
                'project_domain_name': 'Default'},
            'glance': {'api_servers': self.catalog['image']},
            'neutron': {'endpoint_override': self.catalog['network'],
                        'auth_type': 'admin_token', 'token': 'admin:admin'}}

    def token(self, token):
        user, _sep, project = token.partition(':')
        now = datetime.datetime.now(datetime.timezone.utc)
        roles = ['member', 'reader'] + (['admin'] if user == 'admin' else [])
        return {'token': {
            'methods': ['password'],
            'issued_at': now.strftime(_TIME),
            'expires_at': (now + datetime.timedelta(days=1)).strftime(_TIME),
            'user': {'id': user, 'name': user, 'domain': _DOMAIN},
            'project': {'id': project, 'name': project, 'domain': _DOMAIN},
            'roles': [{'id': role, 'name': role} for role in roles],
            'catalog': [
                {'type': kind, 'name': kind, 'id': kind, 'endpoints': [
                    {'id': '%s-%s' % (kind, interface),
                     'interface': interface, 'region': 'RegionOne',
                     'region_id': 'RegionOne', 'url': url}
                    for interface in ('public', 'internal', 'admin')]}
                for kind, url in sorted(self.catalog.items())]}}

    def version(self):
        return {'id': 'v3.14', 'status': 'stable',
                'updated': '2020-04-07T00:00:00Z',
                'links': [{'rel': 'self',
                           'href': self.url + '/identity/v3/'}],
                'media-types': [{
                    'base': 'application/json',
                    'type': 'application/vnd.openstack.identity-v3+json'}]}


class _Handler(http.server.BaseHTTPRequestHandler):

    def log_message(self, format, *args):
        pass

    def _reply(self, status, body=None, headers=()):
        data = json.dumps(body).encode() if body is not None else b''
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _unexpected(self):
        self.server.unexpected.append('%s %s' % (self.command, self.path))
        self._reply(404, {'error': 'not served by the stand-in'})

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path.rstrip('/')
        if path == '/identity':
            self._reply(300, {'versions': {'values': [
                self.server.version()]}})
        elif path == '/identity/v3':
            self._reply(200, {'version': self.server.version()})
        elif path == '/identity/v3/auth/tokens':
            token = self.headers.get('X-Subject-Token', '')
            self._reply(200, self.server.token(token),
                        [('X-Subject-Token', token)])
        elif path == '/image/v2/images/' + IMAGE_ID:
            self._reply(200, _image())
        elif path == '/image/v2/schemas/image':
            # nova keeps the image's schema properties, the rest becomes
            # image properties.
            self._reply(200, {'name': 'image', 'additionalProperties': True,
                              'properties': {name: {} for name in _image()}})
        elif re.fullmatch(r'/network/v2\.0/[a-z_-]+', path):
            self._reply(200, {path.rsplit('/', 1)[1]: []})
        else:
            self._unexpected()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        if self.path.rstrip('/') != '/identity/v3/auth/tokens':
            return self._unexpected()
        auth = json.loads(body)['auth']
        user = auth['identity']['password']['user']['name']
        project = auth.get('scope', {}).get('project', {}).get('name', user)
        token = '%s:%s' % (user, project)
        self._reply(201, self.server.token(token),
                    [('X-Subject-Token', token)])
