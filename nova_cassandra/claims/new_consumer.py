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
"""

from keystoneauth1 import exceptions as ks_exc
from nova.scheduler.client import report
from oslo_log import log as logging
from oslo_utils import versionutils

LOG = logging.getLogger(__name__)

_CONSUMER_GENERATION = versionutils.convert_version_to_tuple(
    report.CONSUMER_GENERATION_VERSION)


class NewConsumerClient(object):
    """nova's report client, claiming for a new consumer in one PUT.

    Given to nova's ``utils.claim_resources`` in place of the report client
    it wraps; only ``claim_resources`` differs.
    """

    def __init__(self, client):
        self._client = client

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
                response = self._client.put(
                    '/allocations/%s' % consumer_uuid, payload,
                    version=allocation_request_version,
                    global_request_id=context.global_id)
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
