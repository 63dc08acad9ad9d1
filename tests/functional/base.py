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

"""Fixtures for tests against the real servers ``tools/stack.sh up`` starts."""

import atexit
import configparser
import contextlib
import os
import signal
import subprocess
import uuid

import fixtures
from nova import context as nova_context
from nova import objects
from nova import rpc
from oslo_config import cfg
import testtools

from nova_cassandra.cmd import nova_db
from nova_cassandra.conf import cassandra as cassandra_conf
from nova_cassandra import exception
from nova_cassandra.store import backends
from nova_cassandra.store import base as store_base
from nova_cassandra.store.cassandra import schema
from nova_cassandra.store.cassandra import session as session_mod

REPO_DIR = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
NOVA_CONF = os.environ.get(
    'NOVA_CONF', os.path.join(REPO_DIR, '.work', 'etc', 'nova', 'nova.conf'))
HOW_TO_START = 'start the stack with: bash tools/stack.sh up'
CASSANDRA_PIDFILE = os.path.join(REPO_DIR, '.work', 'cassandra', 'node',
                                 'cassandra.pid')


def nova_conf():
    """The stack's nova.conf, parsed; fails the test when it is missing."""
    if not os.path.exists(NOVA_CONF):
        raise AssertionError('%s does not exist: %s'
                             % (NOVA_CONF, HOW_TO_START))
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(NOVA_CONF)
    return parser


def cassandra_options(**overrides):
    """A ``ConfigOpts`` with ``[cassandra]`` registered and overridden."""
    return cassandra_conf.standalone(**overrides)


def cassandra_keyspace_drop(keyspace):
    """Drop a keyspace a test created through another client."""
    session = session_mod.connect(cassandra_options().cassandra)
    try:
        session.execute('DROP KEYSPACE IF EXISTS %s' % keyspace)
    finally:
        session.cluster.shutdown()


@contextlib.contextmanager
def cassandra_paused(longest=10):
    """The stack's Cassandra node stalled (SIGSTOP) while the block runs.

    Other tests and services share the node: it is resumed (SIGCONT) when
    the block ends and, should this process hang or die, by a process of
    its own after ``longest`` seconds.  Yields the node's pid.
    """
    with open(CASSANDRA_PIDFILE) as f:
        pid = int(f.read())
    guard = subprocess.Popen(
        ['sh', '-c', 'sleep %d; kill -CONT %d' % (longest, pid)],
        start_new_session=True)
    os.kill(pid, signal.SIGSTOP)
    try:
        yield pid
    finally:
        os.kill(pid, signal.SIGCONT)
        guard.kill()
        guard.wait()


def stopped(pid):
    """True while process ``pid`` is stopped by a signal."""
    with open('/proc/%d/stat' % pid) as f:
        return f.read().rpartition(')')[2].split()[0] == 'T'


class CassandraKeyspace(fixtures.Fixture):
    """A session on the stack's Cassandra and a synced keyspace of its own.

    Raises (fails the test) with how to start Cassandra when it is absent.
    """

    def __init__(self, **overrides):
        super().__init__()
        self.overrides = overrides

    def _setUp(self):
        self.keyspace = 'test_%s' % uuid.uuid4().hex[:16]
        self.conf = cassandra_options(keyspace=self.keyspace,
                                      **self.overrides)
        try:
            self.session = session_mod.connect(self.conf.cassandra)
        except exception.CassandraUnavailable as e:
            raise AssertionError('%s; %s' % (e, HOW_TO_START))
        self.addCleanup(self.session.cluster.shutdown)
        schema.sync(self.session, self.keyspace,
                    self.conf.cassandra.replication)
        self.addCleanup(self.session.execute,
                        'DROP KEYSPACE IF EXISTS %s' % self.keyspace)


class ProcessKeyspace(fixtures.Fixture):
    """This process's keyspace on the stack's Cassandra, emptied per test.

    Made and synced once per process, dropped when the process exits, and
    as each test starts its tables that hold rows are truncated, all but
    ``schema_migrations`` (the synced version services check): for suites
    of many short tests, where a keyspace made and dropped per test is
    seconds of schema changes each.
    """

    made = None

    def _setUp(self):
        if ProcessKeyspace.made is None:
            made = CassandraKeyspace()
            made.setUp()
            atexit.register(made.cleanUp)
            ProcessKeyspace.made = made
        self.keyspace = ProcessKeyspace.made.keyspace
        session = ProcessKeyspace.made.session
        for row in session.execute(
                'SELECT table_name FROM system_schema.tables '
                'WHERE keyspace_name = %s', (self.keyspace,)):
            table = '%s.%s' % (self.keyspace, row.table_name)
            if (row.table_name != 'schema_migrations' and
                    session.execute('SELECT * FROM %s LIMIT 1' % table)):
                session.execute('TRUNCATE %s' % table)


class ProcessStores(fixtures.Fixture):
    """This process's stores and host views made afresh, closed after."""

    def _setUp(self):
        made = {}
        self.useFixture(fixtures.MockPatchObject(backends, '_PER_PROCESS',
                                                 made))
        self.addCleanup(lambda: [stores.close() for stores in made.values()
                                 if isinstance(stores, store_base.Stores)])


class NovaDatabases(fixtures.Fixture):
    """nova's objects on the stack's databases, as nova.conf names them."""

    configured = False

    def _setUp(self):
        nova_conf()  # fails with how to start the stack if absent
        cfg.CONF([], project='nova', default_config_files=[NOVA_CONF])
        self.addCleanup(cfg.CONF.reset)
        if not NovaDatabases.configured:  # engines start once a process
            nova_db.configure(cfg.CONF)
            NovaDatabases.configured = True
        rpc.init(cfg.CONF)  # services notify when they are created
        self.addCleanup(rpc.cleanup)
        self.context = nova_context.get_admin_context()
        self.cell = next(c for c in objects.CellMappingList.get_all(
            self.context) if not c.is_cell0())


class TestCase(testtools.TestCase):
    """Functional tests: real servers, bounded by a per-test timeout."""

    TIMEOUT = 120

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(self.TIMEOUT, gentle=True))
