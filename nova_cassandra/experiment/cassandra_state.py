"""What the ``cassandra`` set-up keeps in Cassandra, for the experiment.

The set-up runs in a keyspace of its own, recreated for each fleet.  The
fleet's pre-fill goes into Cassandra as long-lived claims (beside the same
allocations in placement), the stream's claims are released between runs,
and after each run the independent checker reads usage and claims back.
"""

import functools
import statistics
import time
import uuid

from oslo_serialization import jsonutils

from nova_cassandra.claims import cassandra_claim
from nova_cassandra.claims import checker
from nova_cassandra.experiment import claim_race
from nova_cassandra.experiment import stats
from nova_cassandra.store import claims as claims_store
from nova_cassandra.store import hosts
from nova_cassandra.store import schema
from nova_cassandra.store import session as session_mod

KEYSPACE = 'nova_cassandra_experiment'
# The pre-fill outlives any run.
FILL_TTL = 7 * 24 * 3600


class CassandraState:
    """The experiment's view of the set-up's keyspace."""

    def __init__(self, conf):
        self._conf = conf
        self._session = session_mod.connect(conf.cassandra)
        self._hosts = None
        self._claims = None

    def recreate(self):
        """An empty keyspace at the schema version, before a fleet starts."""
        self._session.execute('DROP KEYSPACE IF EXISTS %s' % KEYSPACE)
        schema.sync(self._session, KEYSPACE, self._conf.cassandra.replication)
        self._hosts = hosts.HostStore(self._session, KEYSPACE)
        self._claims = claims_store.ClaimStore(self._session, KEYSPACE)

    @property
    def hosts(self):
        """The ``HostStore`` of the keyspace (once ``recreate`` ran)."""
        return self._hosts

    @property
    def claims(self):
        """The ``ClaimStore`` of the keyspace (once ``recreate`` ran)."""
        return self._claims

    def store_factory(self):
        """A picklable callable making a ``ClaimStore`` of the keyspace."""
        return functools.partial(
            claim_race.cassandra_store,
            {name: self._conf.cassandra[name] for name in self._conf.cassandra
             if name != 'keyspace'} | {'keyspace': KEYSPACE})

    def wait_for_nodes(self, node_uuids, timeout):
        """Wait until the fleet's computes published every node."""
        wanted = {uuid.UUID(n) for n in node_uuids}
        deadline = time.monotonic() + timeout
        while True:
            missing = wanted - {r.node_uuid for r in self._hosts.list()}
            if not missing:
                return
            if time.monotonic() > deadline:
                raise RuntimeError('%d nodes never published host state to '
                                   'Cassandra' % len(missing))
            time.sleep(2)

    def fill(self, claims_by_node):
        """Claim ``{node: [(consumer, resources), ...]}`` for good."""
        for node, claims in sorted(claims_by_node.items()):
            for consumer, resources in claims:
                if not cassandra_claim.claim(
                        self._claims, uuid.UUID(node), uuid.UUID(consumer),
                        resources, FILL_TTL):
                    raise RuntimeError('pre-fill does not fit on node %s'
                                       % node)

    def claimed(self, consumers):
        """The consumers among ``consumers`` that hold a claim."""
        return {str(consumer) for _, consumer in cassandra_claim.held_by(
            self._claims, {uuid.UUID(c) for c in consumers})}

    def release(self, consumers):
        """Release every claim these consumers hold."""
        cassandra_claim.release_all(self._claims,
                                    {uuid.UUID(c) for c in consumers})

    def visibility(self, seconds):
        """How long computes' changes take to show in the schedulers' read.

        Reads the host rows as ``CassandraHostManager`` does, back to back,
        for ``seconds``; each node whose record was rebuilt (a new
        ``state['changed_at']``) since the previous read gives one sample:
        the time from the change to the read that showed it.  Returns
        (samples in seconds, mean time of one read in seconds: the
        samples' resolution).
        """
        changed_at = {}
        delays = []
        reads = stats.Latencies()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            rows = reads.time(lambda: list(self._hosts.rows()))
            now = time.time()
            for row in rows:
                known = changed_at.get(row.node_uuid)
                if known is not None and known[0] == row.generation:
                    continue
                changed = jsonutils.loads(row.state)['changed_at']
                changed_at[row.node_uuid] = (row.generation, changed)
                if known is not None and known[1] != changed:
                    delays.append(now - changed)
        return delays, statistics.fmean(reads.samples)

    def allocations(self):
        """``{node: {consumer: resources}}`` as the store counts usage.

        What the checker reads from placement, for the set-ups that write
        no allocations there: the node's usage as its compute published it
        (consumer ``used``) and each live claim.
        """
        found = {}
        for usage in self._claims.all_usage():
            node = found[str(usage.record.node_uuid)] = {
                'used': dict(usage.record.used)}
            for claim in usage.claims:
                node[str(claim.consumer_uuid)] = dict(claim.resources)
        return found

    def check(self):
        """Invariant breaches found in Cassandra (``claims.checker``)."""
        return checker.offenders(self._claims.all_usage())

    def close(self):
        self._session.cluster.shutdown()
