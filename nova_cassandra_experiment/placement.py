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

"""The placement records the experiment reads and writes, over HTTP.

Through nova's own report client, so it talks to placement exactly as
nova.conf's ``[placement]`` section tells nova to.
"""

from concurrent import futures

from nova.scheduler.client import report

# Microversions: allocations with consumer generations, project and user.
ALLOCATIONS_VERSION = '1.28'
READ_VERSION = '1.14'


# Calls the experiment makes to placement at once, reading or writing a
# record per provider or consumer.
WORKERS = 8


class PlacementError(Exception):
    pass


def each(func, items):
    """``{item: func(item)}``, ``WORKERS`` calls at a time."""
    items = list(items)
    with futures.ThreadPoolExecutor(WORKERS) as pool:
        return dict(zip(items, pool.map(func, items)))


class Placement:

    def __init__(self):
        self.client = report.SchedulerReportClient()

    def _get(self, url):
        response = self.client.get(url, version=READ_VERSION)
        if response is None or response.status_code != 200:
            raise PlacementError('GET %s: %s' % (url, _describe(response)))
        return response.json()

    def providers(self, name_prefix):
        """``{uuid: name}`` of the resource providers named ``prefix*``."""
        return {rp['uuid']: rp['name']
                for rp in self._get('/resource_providers')[
                    'resource_providers']
                if rp['name'].startswith(name_prefix)}

    def inventories(self, rp_uuid):
        """``{resource class: inventory record}`` of one provider."""
        return self._get('/resource_providers/%s/inventories'
                         % rp_uuid)['inventories']

    def allocations(self, rp_uuid):
        """``{consumer uuid: {resource class: amount}}`` on one provider."""
        return {consumer: record['resources'] for consumer, record in
                self._get('/resource_providers/%s/allocations'
                          % rp_uuid)['allocations'].items()}

    def allocate(self, consumer, rp_uuid, resources, project_id, user_id):
        """Give a new consumer ``resources`` on one provider."""
        url = '/allocations/%s' % consumer
        response = self.client.put(
            url, {'allocations': {rp_uuid: {'resources': resources}},
                  'project_id': project_id, 'user_id': user_id,
                  'consumer_generation': None},
            version=ALLOCATIONS_VERSION)
        if response is None or response.status_code != 204:
            raise PlacementError('PUT %s: %s' % (url, _describe(response)))

    def _delete(self, url, version):
        response = self.client.delete(url, version=version)
        if response is None or response.status_code not in (204, 404):
            raise PlacementError('DELETE %s: %s'
                                 % (url, _describe(response)))

    def delete_allocations(self, consumer):
        self._delete('/allocations/%s' % consumer, ALLOCATIONS_VERSION)

    def delete_provider(self, rp_uuid):
        self._delete('/resource_providers/%s' % rp_uuid, READ_VERSION)


def _describe(response):
    if response is None:
        return 'placement unreachable'
    return 'HTTP %d %s' % (response.status_code, response.text[:200])
