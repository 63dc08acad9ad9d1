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
import random
import time

from nova.scheduler.client import report

# Microversions: allocations with consumer generations, project and user.
ALLOCATIONS_VERSION = '1.28'
READ_VERSION = '1.14'
# Many consumers' allocations removed in one POST, without their
# generations (the last before consumer generations).
RELEASE_VERSION = '1.27'
# Consumers one such POST releases, and the project and user it names
# (placement requires them; it drops each consumer left without
# allocations).
RELEASE_BATCH = 200
RELEASER = 'nc-experiment'
# Times a release batch is sent while placement answers 409 (another batch
# changed one of its providers meanwhile) or 5xx (its database gave up the
# transaction, e.g. a deadlock with the fleet's writes; nothing was
# written).
RELEASE_ATTEMPTS = 5


# Calls the experiment makes to placement at once, reading or writing a
# record per provider or consumer.
WORKERS = 8


class PlacementError(Exception):
    pass


def in_parallel(func, items):
    """``[func(item) for item in items]``, ``WORKERS`` calls at a time."""
    with futures.ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(func, items))


def each(func, items):
    """``{item: func(item)}``, ``WORKERS`` calls at a time."""
    items = list(items)
    return dict(zip(items, in_parallel(func, items)))


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

    def allocate(self, writes, project_id, user_id):
        """Give new consumers their resources, in one ``POST /allocations``.

        ``writes``: ``{consumer uuid: (rp_uuid, {resource class:
        amount})}``; placement writes all of them or none.
        """
        response = self.client.post(
            '/allocations',
            {consumer: {'allocations': {rp_uuid: {'resources': resources}},
                        'project_id': project_id, 'user_id': user_id,
                        'consumer_generation': None}
             for consumer, (rp_uuid, resources) in writes.items()},
            version=ALLOCATIONS_VERSION)
        if response is None or response.status_code != 204:
            raise PlacementError('POST /allocations (%d consumers): %s'
                                 % (len(writes), _describe(response)))

    def release(self, consumers):
        """Remove every allocation of ``consumers``.

        ``RELEASE_BATCH`` consumers per ``POST /allocations``, in the order
        given (consumers listed provider by provider put each provider in
        as few batches as can be), ``WORKERS`` calls at a time.  Batches
        sharing a provider race for its generation: one placement refuses
        (409), or fails with its transaction rolled back (5xx, such as a
        database deadlock), is sent again, up to ``RELEASE_ATTEMPTS`` times.
        """
        consumers = list(consumers)
        in_parallel(self._release, [
            consumers[i:i + RELEASE_BATCH]
            for i in range(0, len(consumers), RELEASE_BATCH)])

    def release_held(self, rp_uuids, consumers=None):
        """Remove the allocations ``consumers`` hold on these providers.

        ``consumers``: a set, or None for every consumer.  Only consumers
        that hold an allocation are released: placement creates a consumer
        it does not know, with no allocations, that a later request for it
        as a new consumer then conflicts with.  Provider by provider, so
        that release batches seldom share one.
        """
        held = each(self.allocations, rp_uuids)
        self.release(dict.fromkeys(
            consumer for rp_uuid in sorted(held) for consumer in held[rp_uuid]
            if consumers is None or consumer in consumers))

    def _release(self, consumers):
        body = {consumer: {'allocations': {}, 'project_id': RELEASER,
                           'user_id': RELEASER} for consumer in consumers}
        for attempt in range(1, RELEASE_ATTEMPTS + 1):
            response = self.client.post('/allocations', body,
                                        version=RELEASE_VERSION)
            if response is None or not (response.status_code == 409
                                        or response.status_code >= 500):
                break
            time.sleep(random.uniform(0, 0.1 * attempt))
        if response is None or response.status_code != 204:
            raise PlacementError('POST /allocations (%d consumers '
                                 'released): %s'
                                 % (len(consumers), _describe(response)))

    def _delete(self, url, version):
        response = self.client.delete(url, version=version)
        if response is None or response.status_code not in (204, 404):
            raise PlacementError('DELETE %s: %s'
                                 % (url, _describe(response)))

    def delete_provider(self, rp_uuid):
        self._delete('/resource_providers/%s' % rp_uuid, READ_VERSION)


def _describe(response):
    if response is None:
        return 'placement unreachable'
    return 'HTTP %d %s' % (response.status_code, response.text[:200])
