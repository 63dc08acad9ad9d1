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

"""nova's databases, opened as ``nova.config.parse_args`` opens them."""

from nova.db.api import api as api_db_api
from nova.db.main import api as main_db_api
from nova import objects
import oslo_messaging as messaging
from oslo_utils import importutils


def configure(conf):
    """Let nova's objects reach the API and cell databases ``conf`` names.

    For commands that parse nova's configuration files themselves: nova's
    services do this in ``nova.config.parse_args``.
    """
    profiler = importutils.try_import('osprofiler.opts')
    if profiler:
        profiler.set_defaults(conf)
    # Registers [DEFAULT] transport_url, which cell mappings read.
    messaging.TransportURL.parse(conf)
    objects.register_all()
    main_db_api.configure(conf)
    api_db_api.configure(conf)
