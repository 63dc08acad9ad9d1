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

"""The nodes a request fits, handed to nova a batch at a time.

A batch is, for each node, what nova reads of placement's answer: one
allocation request, and the node's uuid among the provider summaries' keys
(nova reads nothing else of them: ``ClaimsDriver.get_candidates``,
patches/0003).  The first batch goes to nova as the claims driver's
candidates; the host manager asks for the next ones when nova's filters
leave none (see ``CassandraHostManager.get_filtered_hosts``).
"""

import itertools

from nova_cassandra import metrics


class Candidates:
    """Draws batches of ``batch_size`` from ``fitting`` (``NodeUsage``s)."""

    def __init__(self, fitting, resources, batch_size):
        self._fitting = iter(fitting)
        self._resources = resources
        self._batch_size = batch_size
        # Shared with nova: the manager reads these dicts, batches extend
        # them in place.
        self.allocation_requests = {}
        self.provider_summaries = {}

    def next_batch(self):
        """Node uuids (strings) of the next batch; empty when none is left."""
        batch = [self._add(usage) for usage in
                 itertools.islice(self._fitting, self._batch_size)]
        metrics.count('candidates', len(batch))
        return batch

    def _add(self, usage):
        node = str(usage.record.node_uuid)
        self.allocation_requests[node] = [{
            'allocations': {node: {'resources': dict(self._resources)}},
            'mappings': {'': [node]}}]
        self.provider_summaries[node] = {}
        return node
