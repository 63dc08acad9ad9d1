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

"""One Cassandra ``Cluster``/``Session`` per process, from ``[cassandra]``.

Requests name an execution profile for what they do instead of setting
consistency levels one by one:

``FAST_READ``
    host state reads for filtering, at ``read_consistency``;
``WRITE``
    conditional writes, committed at ``write_consistency`` after a Paxos
    round at ``serial_consistency``; also the default profile, used for
    schema changes and reads that must see the latest write.

Both return rows as named tuples (``named_tuples``).
"""

import collections
import functools
import sys

from cassandra import cluster as cluster_mod
from cassandra import concurrent
from cassandra import connection
from cassandra import ConsistencyLevel
from cassandra import DriverException
from cassandra import policies
from oslo_config import cfg
from oslo_log import log as logging

from nova_cassandra.conf import cassandra as cassandra_conf
from nova_cassandra import exception

LOG = logging.getLogger(__name__)

FAST_READ = 'fast_read'
WRITE = cluster_mod.EXEC_PROFILE_DEFAULT
# Statements in flight at once in ``Statements.execute_each``.
CONCURRENT_READS = 32

# What a request to the cluster raises when the cluster cannot answer it:
# too few replicas, a timeout, every node down.
DRIVER_ERRORS = (DriverException, cluster_mod.NoHostAvailable,
                 connection.OperationTimedOut)

# What a service gets when it cannot use the keyspace right now: the errors
# above, or no connection, no keyspace, a schema it does not know.
UNAVAILABLE = DRIVER_ERRORS + (exception.CassandraUnavailable,
                               exception.KeyspaceNotFound,
                               exception.SchemaVersionMismatch)


class Statements:
    """CQL statements prepared once on a session, each with its profile.

    The base of the store's classes: a statement is prepared at start-up
    (``prepare``) and run under the execution profile named for what it
    does (``execute``).
    """

    def __init__(self, session, keyspace):
        self.session = session
        self.keyspace = keyspace

    def prepare(self, cql, profile=WRITE, fetch_size=None):
        """``(statement, profile)``: ``cql`` prepared on keyspace ``{ks}``.

        ``fetch_size``: rows per page, for reads of a whole table.
        """
        statement = self.session.prepare(cql.format(ks=self.keyspace))
        if fetch_size is not None:
            statement.fetch_size = fetch_size
        return statement, profile

    def execute(self, prepared, params=None):
        """Run a ``prepare``-d statement under its profile; its result."""
        statement, profile = prepared
        return self.session.execute(statement, params,
                                    execution_profile=profile)

    def execute_each(self, prepared, params):
        """Run a ``prepare``-d statement once per item of ``params``.

        ``CONCURRENT_READS`` at a time; their results, in order.  Raises
        the first error any of them meets.
        """
        statement, profile = prepared
        results = concurrent.execute_concurrent_with_args(
            self.session, statement, params, concurrency=CONCURRENT_READS,
            execution_profile=profile)
        return [result for _, result in results]


def applied(result):
    """Whether a conditional write or batch was applied (``[applied]``).

    The driver's ``ResultSet.was_applied`` knows only its own row factories.
    """
    return result.one()[0]


@functools.lru_cache(maxsize=256)
def _row_class(column_names):
    return collections.namedtuple('Row', column_names, rename=True)


def named_tuples(column_names, rows):
    """Rows as named tuples, one class per list of columns.

    The driver's default ``named_tuple_factory`` makes a new ``namedtuple``
    class for every result, ~30 us on its I/O thread each time.  A column
    whose name is not an identifier is named for its position: ``_0`` for
    the ``[applied]`` of a conditional write.
    """
    return list(map(_row_class(tuple(column_names))._make, rows))


def _level(name):
    return ConsistencyLevel.name_to_value[name]


def _load_balancing_policy(conf):
    return policies.TokenAwarePolicy(
        policies.DCAwareRoundRobinPolicy(local_dc=conf.local_datacenter))


def _profiles(conf):
    def profile(consistency):
        return cluster_mod.ExecutionProfile(
            load_balancing_policy=_load_balancing_policy(conf),
            consistency_level=consistency,
            serial_consistency_level=_level(conf.serial_consistency),
            request_timeout=conf.request_timeout,
            row_factory=named_tuples)

    return {
        FAST_READ: profile(_level(conf.read_consistency)),
        WRITE: profile(_level(conf.write_consistency)),
    }


def _connection_class():
    """The driver's I/O loop for how this process runs *now*.

    cassandra-driver picks its event loop when it is imported; a process
    that eventlet monkey-patches afterwards (nova services in eventlet mode
    import plugins in any order) would deadlock on a thread-based loop.
    """
    if 'eventlet' in sys.modules:
        from eventlet import patcher
        if patcher.is_monkey_patched('socket'):
            from cassandra.io import eventletreactor
            return eventletreactor.EventletConnection
    return cluster_mod.Cluster.connection_class


def _protocol_version(connection_class):
    """Native protocol v5, but v4 on the eventlet loop.

    v5 frames are checksummed segments; on the eventlet loop the driver
    once dropped a connection with "CRC mismatch on header" (PYTHON-1337,
    seen here in an eventlet-patched nova functional test).  Nothing this
    project sends needs v5.
    """
    if connection_class.__module__ == 'cassandra.io.eventletreactor':
        return 4
    return 5


def connect(conf):
    """Return a ``Session`` on the cluster ``conf`` (``CONF.cassandra``) names.

    No keyspace is set: statements name it, so a session also serves
    ``db sync`` before the keyspace exists.  Every ``[cassandra]`` option is
    validated first, so a bad value fails before any connection is tried.
    Raises ``oslo_config.cfg.Error`` or ``CassandraUnavailable``.
    """
    for opt in cassandra_conf.ALL_OPTS:
        getattr(conf, opt.dest)
    if not conf.contact_points:
        raise cfg.RequiredOptError('contact_points',
                                   cassandra_conf.cassandra_group)
    connection_class = _connection_class()
    cluster = cluster_mod.Cluster(
        contact_points=conf.contact_points,
        port=conf.port,
        connect_timeout=conf.connect_timeout,
        execution_profiles=_profiles(conf),
        connection_class=connection_class,
        protocol_version=_protocol_version(connection_class))
    try:
        session = cluster.connect()
    except (cluster_mod.NoHostAvailable, OSError) as e:
        reason = _reason(e, cluster, conf.local_datacenter)
        cluster.shutdown()
        raise exception.CassandraUnavailable(
            contact_points=','.join(conf.contact_points), port=conf.port,
            reason=reason)
    # Plain writes (heartbeats) are stamped by the coordinator's clock, as
    # conditional ones are by their Paxos ballot: with the driver's
    # default, this host's clock, a process whose clock is behind writes
    # rows that lose to older ones.
    session.use_client_timestamp = False
    LOG.debug('Connected to Cassandra cluster %s',
              cluster.metadata.cluster_name)
    return session


def _reason(error, cluster, local_datacenter):
    """Why ``cluster.connect()`` failed, in one line.

    A ``local_datacenter`` no node is in leaves the driver no node to use
    (it reaches some, but ignores them): say so.  Else the first per-host
    error of a ``NoHostAvailable``, else the error.
    """
    datacenters = {host.datacenter for host in cluster.metadata.all_hosts()
                   if host.datacenter}
    if datacenters and local_datacenter not in (None, *datacenters):
        return ('no node is in local_datacenter %s (datacenters found: %s)'
                % (local_datacenter, ', '.join(sorted(datacenters))))
    errors = getattr(error, 'errors', None)
    if isinstance(errors, dict) and errors:
        host, cause = next(iter(errors.items()))
        return '%s: %s' % (host, cause)
    return str(error)
