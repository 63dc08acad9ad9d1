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

"""What the ``cassandra`` set-up keeps in Cassandra, for the experiment.

The set-up runs in a keyspace of its own, recreated for each fleet.  The
fleet's pre-fill is usage the computes publish in their host rows, as a
cloud's instances are; the store's claims are the stream's alone.  Between
two runs every table but the schema's is truncated and the computes
re-publish their nodes: the next run reads no tombstone of the last one.
After each run the independent checker reads usage and claims back.
"""

import functools
import statistics
import time
import types
import uuid

from oslo_serialization import jsonutils

from nova_cassandra.claims import checker
from nova_cassandra.scheduler import host_view
from nova_cassandra.store import base
from nova_cassandra.store.cassandra import claims as claims_store
from nova_cassandra.store.cassandra import hosts
from nova_cassandra.store.cassandra import schema
from nova_cassandra.store.cassandra import session as session_mod
from nova_cassandra_experiment import checker as experiment_checker
from nova_cassandra_experiment import claim_race
from nova_cassandra_experiment import stats

KEYSPACE = 'nova_cassandra_experiment'
# Kept by ``reset``: what says the keyspace is at the schema version.
SCHEMA_TABLES = frozenset(['schema_migrations'])


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

    def wait_for_nodes(self, used, compute_hosts, timeout):
        """Wait until the computes published every node and a heartbeat.

        ``used``: ``{node uuid: {resource class: amount}}``, what each
        node's row must count as used (its pre-fill), claims aside.
        """
        wanted = {uuid.UUID(node): experiment_checker.nonzero(amounts)
                  for node, amounts in used.items()}
        deadline = time.monotonic() + timeout
        while True:
            found = {usage.record.node_uuid:
                     experiment_checker.nonzero(usage.record.used)
                     for usage in self._claims.all_usage()}
            missing = [node for node, amounts in wanted.items()
                       if found.get(node) != amounts]
            silent = set(compute_hosts) - set(self._hosts.heartbeats())
            if not missing and not silent:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    '%d nodes never published their host state (with '
                    'their pre-fill) to the store, %d compute hosts no '
                    'heartbeat' % (len(missing), len(silent)))
            time.sleep(2)

    def empty(self):
        """Empty every table but the schema's.

        A truncated table's data files are dropped whole: no tombstone of
        the run before is left to read.  The computes create their rows
        again when they republish them (``fleet.Fleet.republish``).
        """
        tables = self._session.cluster.metadata.keyspaces[KEYSPACE].tables
        for table in sorted(set(tables) - SCHEMA_TABLES):
            self._session.execute('TRUNCATE %s.%s' % (KEYSPACE, table),
                                  execution_profile=session_mod.WRITE)

    def claimed(self, consumers):
        """The consumers among ``consumers`` that hold a claim."""
        wanted = {uuid.UUID(c) for c in consumers}
        return {str(held.consumer_uuid) for usage in self._claims.all_usage()
                for held in usage.claims if held.consumer_uuid in wanted}

    def visibility(self, seconds):
        """How long computes' changes take to reach a scheduler's host view.

        Refreshes a ``HostView`` of the store, as the claims driver does
        per request, back to back for ``seconds``; each node whose record
        was rebuilt (a new ``state['changed_at']``) since the previous
        refresh gives one sample: the time from the change to the refresh
        that showed it.  Returns (samples in seconds, mean time of one
        refresh in seconds: the samples' resolution).
        """
        view = host_view.HostView(types.SimpleNamespace(
            group='cassandra',
            stores=lambda: base.Stores(None, self._claims, None)))
        view.refresh()
        seen = {usage.record.node_uuid: usage.state_json
                for usage in view.nodes()}
        delays = []
        refreshes = stats.Latencies()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            refreshes.time(view.refresh)
            now = time.time()
            for usage in view.nodes():
                node = usage.record.node_uuid
                if seen.get(node) == usage.state_json:
                    continue
                if node in seen:
                    changed = jsonutils.loads(usage.state_json)['changed_at']
                    delays.append(now - changed)
                seen[node] = usage.state_json
        return delays, statistics.fmean(refreshes.samples)

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
