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

"""A server's first allocation written to placement in one call.

nova's report client reads the consumer before every claim (``GET
/allocations/{consumer}``), because the consumer of an evacuation already
holds its source host and the claim must add to it.  A server being built
has no allocation yet: its claim can be written at once for a new consumer
(``consumer_generation`` None), and placement itself refuses it if the
consumer turns out to exist.  Only then is nova's read-then-write needed.

Concurrent requests of one scheduler process share those writes
(``Batcher``): a claim that finds no write out goes alone, as one ``PUT``;
claims that arrive while one is out queue, and the next call writes them
all in one ``POST /allocations``.  Placement writes such a batch in one
transaction, so a refused batch is written again one ``PUT`` per consumer:
each claim still gets placement's own answer for it.  Counters
(``metrics``): ``new_consumer_calls`` (calls to placement) and
``new_consumer_batched`` (claims written by a call with others).
"""

import threading

from keystoneauth1 import exceptions as ks_exc
from nova.scheduler.client import report
from oslo_log import log as logging
from oslo_utils import versionutils

from nova_cassandra import metrics

LOG = logging.getLogger(__name__)

_CONSUMER_GENERATION = versionutils.convert_version_to_tuple(
    report.CONSUMER_GENERATION_VERSION)


class _Write(object):
    """A new consumer's allocation and, once written, placement's answer."""

    def __init__(self, client, consumer_uuid, payload, version,
                 global_request_id):
        self.client = client
        self.consumer_uuid = consumer_uuid
        self.payload = payload
        self.version = version
        self.global_request_id = global_request_id
        self.response = None
        self.error = None
        # Set when answered, or when this write is to send the next batch.
        self.ready = threading.Event()
        self.sends = False

    def put(self):
        """Write this consumer alone."""
        metrics.count('new_consumer_calls')
        try:
            self.response = self.client.put(
                '/allocations/%s' % self.consumer_uuid, self.payload,
                version=self.version,
                global_request_id=self.global_request_id)
        except ks_exc.ClientException as e:
            self.error = e


class Batcher(object):
    """New consumers' allocations, many per call when claims overlap."""

    def __init__(self):
        self._lock = threading.Lock()
        self._queued = []
        self._sending = False

    def write(self, client, context, consumer_uuid, payload, version):
        """Placement's response to ``payload``, written for a new consumer.

        Raises keystoneauth1's ``ClientException`` when placement cannot be
        reached.
        """
        write = _Write(client, consumer_uuid, payload, version,
                       context.global_id)
        with self._lock:
            self._queued.append(write)
            write.sends = not self._sending
            self._sending = True
        if not write.sends:
            write.ready.wait()
        if write.sends:
            self._send_queued()
        if write.error is not None:
            raise write.error
        return write.response

    def _send_queued(self):
        with self._lock:
            batch, self._queued = self._queued, []
        try:
            _send(batch)
        except Exception as e:
            for write in batch:
                if write.response is None and write.error is None:
                    write.error = e
        finally:
            with self._lock:
                if self._queued:
                    # The first claim that waited sends what queued since.
                    self._queued[0].sends = True
                    self._queued[0].ready.set()
                else:
                    self._sending = False
            for write in batch:
                write.ready.set()


def _send(batch):
    """Write ``batch`` in one call if placement takes it, else one by one."""
    first = batch[0]
    if (len(batch) > 1
            and len({w.consumer_uuid for w in batch}) == len(batch)
            and all(w.version == first.version for w in batch)):
        metrics.count('new_consumer_calls')
        try:
            response = first.client.post(
                '/allocations', {w.consumer_uuid: w.payload for w in batch},
                version=first.version,
                global_request_id=first.global_request_id)
        except ks_exc.ClientException as e:
            for write in batch:
                write.error = e
            return
        if response.status_code == 204:
            metrics.count('new_consumer_batched', len(batch))
            for write in batch:
                write.response = response
            return
        LOG.debug('Placement refused %d new consumers in one call (HTTP %s);'
                  ' writing them one by one.', len(batch),
                  response.status_code)
    for write in batch:
        write.put()


class NewConsumerClient(object):
    """nova's report client, claiming for a new consumer in one PUT.

    Given to nova's ``utils.claim_resources`` in place of the report client
    it wraps; only ``claim_resources`` differs.  ``batcher`` is shared by
    the requests whose writes may go together.
    """

    def __init__(self, client, batcher=None):
        self._client = client
        self._batcher = batcher or Batcher()

    def claim_resources(self, context, consumer_uuid, alloc_request,
                        project_id, user_id, allocation_request_version,
                        consumer_generation=None):
        """Claim as nova's report client does, without its first read.

        The allocation is PUT for a new consumer.  Whatever placement
        answers other than 204 (the consumer exists, a provider changed
        meanwhile, no room) is retried by nova's ``claim_resources``, which
        reads the consumer first.  Placement unreachable is False.
        """
        if (consumer_generation is None and allocation_request_version
                and versionutils.convert_version_to_tuple(
                    allocation_request_version) >= _CONSUMER_GENERATION):
            payload = dict(alloc_request, project_id=project_id,
                           user_id=user_id, consumer_generation=None)
            try:
                response = self._batcher.write(
                    self._client, context, consumer_uuid, payload,
                    allocation_request_version)
            except ks_exc.ClientException as e:
                LOG.error('Cannot write the allocation of %s to placement: '
                          '%s', consumer_uuid, e)
                return False
            if response.status_code == 204:
                return True
            LOG.debug('Placement refused %s as a new consumer (HTTP %s); '
                      'claiming as nova does.', consumer_uuid,
                      response.status_code)
        return self._client.claim_resources(
            context, consumer_uuid, alloc_request, project_id, user_id,
            allocation_request_version=allocation_request_version,
            consumer_generation=consumer_generation)
