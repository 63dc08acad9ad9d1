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

"""The nova-compute services of the hosts a request looks at.

Stock nova reads every nova-compute service of every cell for each request
(``ServiceList.get_by_binary``), whatever the number of candidates.  The
host manager needs only those of its candidates' hosts: their ``disabled``
and ``forced_down`` as nova-api has just set them, and their last report,
so they are still read from the cell databases on every request, but with
the hosts named in the query.  The cost then follows the candidates, not
the fleet.  The rows are read with a Core select built once (building it
cost more than running it), not an ORM query: the ``Service`` objects are
built from them as stock builds them from the models, without the ORM's
per-row bookkeeping nobody uses.
"""

from nova import context as context_module
from nova.db.main import api as db_api
from nova.db.main import models
from nova import objects
from nova.objects import base
from oslo_log import log as logging
import sqlalchemy as sa

from nova_cassandra import metrics

LOG = logging.getLogger(__name__)

BINARY = 'nova-compute'


_SERVICES = models.Service.__table__
# SELECT * FROM services WHERE `binary` = 'nova-compute' AND deleted = 0
_ALL_COMPUTES = sa.select(_SERVICES).where(_SERVICES.c.binary == BINARY,
                                           _SERVICES.c.deleted == 0)
# ... AND host IN (...)
_COMPUTES_ON_HOSTS = _ALL_COMPUTES.where(
    _SERVICES.c.host.in_(sa.bindparam('hosts', expanding=True)))


@db_api.pick_context_manager_reader
def _service_rows(context, hosts):
    """Rows (mappings) of the nova-compute services on ``hosts`` in one cell.

    Deleted services are left out, as stock's ``model_query`` leaves them.
    """
    if hosts is None:
        result = context.session.execute(_ALL_COMPUTES)
    else:
        result = context.session.execute(_COMPUTES_ON_HOSTS,
                                         {'hosts': hosts})
    return result.mappings().all()


def on_hosts(context, cells, hosts=None):
    """``{host: Service}`` of the nova-compute services on ``hosts``.

    Disabled services are included, as stock includes them.  ``hosts`` None
    means every host of ``cells``.  A cell that fails or does not answer is
    logged and left out, as stock leaves it out.
    """
    if hosts is not None:
        hosts = sorted(hosts)
        if not hosts:
            return {}

    def read(cctxt):
        return base.obj_make_list(cctxt, objects.ServiceList(cctxt),
                                  _service_rows(cctxt, hosts))

    results = context_module.scatter_gather_cells(
        context, cells, context_module.CELL_TIMEOUT, read)
    services = {}
    for cell_uuid, result in results.items():
        if context_module.is_cell_failure_sentinel(result):
            LOG.warning('Failed to get compute services for cell %s',
                        cell_uuid)
        else:
            services.update({service.host: service for service in result})
    metrics.count('services_read', len(services))
    return services
