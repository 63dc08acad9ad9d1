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
