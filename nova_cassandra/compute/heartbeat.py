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

"""The servicegroup report hook that writes the computes' heartbeat.

Enabled in nova-compute's nova.conf with::

    [DEFAULT]
    servicegroup_report_hooks = cassandra    # or mysql

Each time a nova-compute reports its state to nova's service group (every
``report_interval`` seconds, from a thread of its own), the hook records
the report's time in the store's ``compute_services`` table.  The host
manager takes a compute's liveness from it, so a compute whose resource
audits run late is not taken for dead.
"""

from oslo_log import log as logging

from nova_cassandra.store import backends

LOG = logging.getLogger(__name__)

COMPUTE_BINARY = 'nova-compute'


class Heartbeat:
    """Records each report of a nova-compute as its heartbeat.

    Bound to a store by ``backends.bind``, as the entry points load it.
    """

    backend = None

    def __init__(self):
        self._failing = False

    def reported(self, service_ref):
        """Record that ``service_ref``'s compute service is alive now."""
        if service_ref.binary != COMPUTE_BINARY:
            return
        try:
            self.backend.stores().hosts.report(service_ref.host)
        except self.backend.unavailable as e:
            # The next report tries again; say so once, not every time.
            if not self._failing:
                LOG.warning('Cannot record the heartbeat of compute service '
                            '%s in the %s store, will retry with each '
                            'report: %s', service_ref.host,
                            self.backend.name, e)
            self._failing = True
            return
        if self._failing:
            LOG.info('Recording the heartbeat of compute service %s in the '
                     '%s store again.', service_ref.host, self.backend.name)
        self._failing = False


CassandraHeartbeat = backends.bind(Heartbeat, backends.CASSANDRA)
MySQLHeartbeat = backends.bind(Heartbeat, backends.MYSQL)
