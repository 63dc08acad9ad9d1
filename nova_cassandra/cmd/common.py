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

"""What every nova-cassandra command does around its work."""

import sys

from cassandra import protocol
from oslo_config import cfg
from oslo_log import log as logging

from nova_cassandra import conf as nc_conf
from nova_cassandra import exception
from nova_cassandra.store.cassandra import session as session_mod

CONF = nc_conf.CONF


def main(prog, argv, func):
    """Run ``func()`` as command ``prog`` and return its exit status.

    Parses nova's config files and the command line, sets up logging, and
    turns errors into one line on stderr: exit 1 for a cluster or schema
    problem, 2 for bad configuration.
    """
    logging.register_options(CONF)
    try:
        CONF(sys.argv[1:] if argv is None else argv, project='nova', prog=prog)
        logging.set_defaults(default_log_levels=(
            logging.get_default_log_levels() + ['cassandra=CRITICAL']))
        logging.setup(CONF, prog)
        return func() or 0
    except cfg.Error as e:
        print('ERROR: bad configuration: %s' % e, file=sys.stderr)
        return 2
    except exception.NovaCassandraError as e:
        print('ERROR: %s' % e, file=sys.stderr)
        return 1
    # Some refusals reach us as the server's message itself (e.g. an
    # unknown replication class), not as one of the driver's exceptions.
    except session_mod.DRIVER_ERRORS + (protocol.ErrorMessage,) as e:
        print('ERROR: Cassandra request failed: %s' % e, file=sys.stderr)
        return 1
