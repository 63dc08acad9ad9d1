"""A 3-node ring on 127.0.0.1-3 from ``tools/cassandra.sh ring 3``.

Starting the ring stops the single node (they share 127.0.0.1:9042); the
functional tox env starts the single node again.
"""

import os
import signal
import subprocess
import sys
import time
import uuid

from cassandra import cluster as cluster_mod
from cassandra import ConsistencyLevel
from cassandra import policies
from cassandra import query

from tests.functional import base

RING = ('127.0.0.1', '127.0.0.2', '127.0.0.3')
CASSANDRA_DIR = os.path.join(base.REPO_DIR, '.work', 'cassandra')


def _cassandra_sh(*args):
    env = dict(os.environ, NC_PYTHON=sys.executable)
    script = os.path.join(base.REPO_DIR, 'tools', 'cassandra.sh')
    subprocess.run(['bash', script] + list(args), check=True, env=env,
                   timeout=600)


def _session(address):
    cluster = cluster_mod.Cluster(
        [address], protocol_version=5,
        load_balancing_policy=policies.WhiteListRoundRobinPolicy([address]))
    return cluster.connect()


class TestRing(base.TestCase):

    TIMEOUT = 600

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        started = time.monotonic()
        _cassandra_sh('ring', '3')
        cls.ring_start_seconds = time.monotonic() - started

    def test_each_node_sees_two_peers(self):
        for address in RING:
            session = _session(address)
            self.addCleanup(session.cluster.shutdown)
            peers = {str(row.peer) for row in
                     session.execute('SELECT peer FROM system.peers_v2')}
            self.assertEqual(set(RING) - {address}, peers)

    def test_lwt_survives_one_node_killed(self):
        session = _session('127.0.0.1')
        self.addCleanup(session.cluster.shutdown)
        keyspace = 'ring_%s' % uuid.uuid4().hex[:12]
        session.execute(
            "CREATE KEYSPACE %s WITH replication = "
            "{'class': 'SimpleStrategy', 'replication_factor': 3}" % keyspace)
        session.execute('CREATE TABLE %s.t (k int PRIMARY KEY, v int)'
                        % keyspace)

        def cas(cql):
            statement = query.SimpleStatement(
                cql % keyspace, consistency_level=ConsistencyLevel.QUORUM,
                serial_consistency_level=ConsistencyLevel.SERIAL)
            return session.execute(statement).was_applied

        insert = 'INSERT INTO %s.t (k, v) VALUES (1, {}) IF NOT EXISTS'
        self.assertTrue(cas(insert.format(0)))
        self.assertFalse(cas(insert.format(9)))

        with open(os.path.join(CASSANDRA_DIR, 'ring3', 'cassandra.pid')) as f:
            os.kill(int(f.read()), signal.SIGKILL)
        self.addCleanup(_cassandra_sh, 'ring', '3')  # rejoin for later tests
        # A quorum (2 of 3) remains: compare-and-set still decides.
        self.assertTrue(cas('UPDATE %s.t SET v = 1 WHERE k = 1 IF v = 0'))
        self.assertFalse(cas('UPDATE %s.t SET v = 2 WHERE k = 1 IF v = 0'))
        row = session.execute(query.SimpleStatement(
            'SELECT v FROM %s.t WHERE k = 1' % keyspace,
            consistency_level=ConsistencyLevel.QUORUM)).one()
        self.assertEqual(1, row.v)
