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

"""The ``claims`` preset: schedulers racing for claims, timed phase by phase.

K processes take claims on the same nodes of the experiment's keyspace
(and of its MySQL database, 1 and 4 shards, when MariaDB answers) through
``node_claim.claim``, as the cassandra claims driver does for
``select_destinations``: each request tries the nodes in its own seeded
order until one takes it.  Nodes are sized so that the requests fill them
to ``FILL``: on few nodes ("hot") nearly every claim races another.  Each
request's time is split into reads of the node's usage and its
compare-and-set writes; the independent checker reads every node back
after each run.
"""

import collections
import math
import multiprocessing
import queue
import random
import time
import uuid

from nova_cassandra.claims import node_claim
from nova_cassandra.conf import cassandra as cassandra_conf
from nova_cassandra import metrics
from nova_cassandra.store import base
from nova_cassandra.store.cassandra import claims as claims_store
from nova_cassandra.store.cassandra import session as session_mod
from nova_cassandra_experiment import stats

SCENARIOS = {'hot': 4, 'spread': 200}
FILL = 0.95
ONE_VCPU = {'VCPU': 1, 'MEMORY_MB': 512}
CLAIM_TTL = 600
RUN_TIMEOUT = 600


class TimedStore:
    """A ``ClaimStore`` whose reads and compare-and-sets are timed."""

    def __init__(self, store):
        self._store = store
        self.read = stats.Latencies()
        self.cas = stats.Latencies()

    def node_usage(self, node_uuid):
        return self.read.time(self._store.node_usage, node_uuid)

    def claim(self, *args):
        return self.cas.time(self._store.claim, *args)


def cassandra_store(options, store_class=claims_store.ClaimStore):
    """A ``store_class`` on a session of its own (in a racing process).

    ``options``: ``[cassandra]`` option values (a dict), keyspace included.
    """
    conf = cassandra_conf.standalone(**options)
    return store_class(session_mod.connect(conf.cassandra),
                       conf.cassandra.keyspace)


def scheduler(make_store, nodes, requests, seed, results, start):
    """One racing process; puts its placements and figures on ``results``.

    ``make_store``: a picklable callable returning the ``ClaimStore``.
    """
    store = make_store()
    start.wait(60)  # every process connected: now they race
    order = random.Random(seed)
    placed = []
    split = {'claim': [], 'read': [], 'cas': []}
    started = time.time()
    for _ in range(requests):
        consumer = uuid.uuid4()
        timed = TimedStore(store)
        begin = time.perf_counter()
        for node in order.sample(nodes, len(nodes)):
            if node_claim.claim(timed, node, consumer, ONE_VCPU, CLAIM_TTL):
                placed.append((str(consumer), str(node)))
                break
        split['claim'].append(time.perf_counter() - begin)
        split['read'].append(sum(timed.read.samples))
        split['cas'].append(sum(timed.cas.samples))
    results.put({'placed': placed, 'split': split, 'started': started,
                 'finished': time.time(),
                 'counters': metrics.snapshot()})


def _outcomes(procs, results, timeout):
    """Each process's results; raises if one dies or time runs out."""
    outcomes = []
    deadline = time.monotonic() + timeout
    while len(outcomes) < len(procs):
        try:
            outcomes.append(results.get(timeout=1))
        except queue.Empty:
            failed = [p.exitcode for p in procs if p.exitcode]
            if failed:
                raise RuntimeError('a racing process exited with status %d'
                                   % failed[0])
            if time.monotonic() > deadline:
                raise RuntimeError('the race took over %d s' % timeout)
    return outcomes


def race(make_store, nodes, processes, requests, timeout=RUN_TIMEOUT):
    """``processes`` schedulers × ``requests``; their merged results.

    ``placed`` (consumer, node) pairs, summed ``counters``, the race's
    wall ``seconds`` and each request's time ``split`` by phase.
    """
    ctx = multiprocessing.get_context('spawn')
    results = ctx.Queue()
    start = ctx.Barrier(processes)
    procs = [ctx.Process(target=scheduler, args=(
        make_store, nodes, requests, seed, results, start))
        for seed in range(processes)]
    for proc in procs:
        proc.start()
    try:
        outcomes = _outcomes(procs, results, timeout)
    finally:
        for proc in procs:
            proc.join(30)
            if proc.is_alive():
                proc.kill()
    merged = {'placed': [], 'counters': collections.Counter(),
              'split': {'claim': [], 'read': [], 'cas': []},
              'seconds': max(o['finished'] for o in outcomes)
              - min(o['started'] for o in outcomes)}
    for outcome in outcomes:
        merged['placed'] += outcome['placed']
        merged['counters'].update(outcome['counters'])
        for phase, samples in outcome['split'].items():
            merged['split'][phase] += samples
    return merged


def _create_nodes(store, count, slots):
    return [store.create(base.HostRecord(
        node_uuid=uuid.uuid4(), host='nc-race-%d' % index,
        nodename='nc-race-%d' % index,
        capacity={'VCPU': slots, 'MEMORY_MB': 512 * slots},
        allocation_ratio={'VCPU': 1.0, 'MEMORY_MB': 1.0})).node_uuid
        for index in range(count)]


def run(states, schedulers, requests, progress=print):
    """Every store × scenario × K; a figure dict per run.

    ``states``: (label, ``CassandraState``-like) pairs, whose store is
    recreated empty for each run.
    """
    figures = []
    for label, state in states:
        for scenario, count in sorted(SCENARIOS.items()):
            slots = math.ceil(requests / count / FILL)
            for k in schedulers:
                progress('%s, %s: %d nodes of %d slots, K=%d, %d requests'
                         % (label, scenario, count, slots, k, requests))
                state.recreate()
                nodes = _create_nodes(state.hosts, count, slots)
                result = race(state.store_factory(), nodes, k, requests // k)
                figures.append(_figures(result, store=label,
                                        scenario=scenario, nodes=count,
                                        slots=slots, schedulers=k,
                                        requests=requests,
                                        offenders=state.check()))
    return figures


def _figures(result, **run):
    counters = dict(result['counters'])
    attempts = counters.get('claims', 0) + counters.get('conflicts', 0)
    return dict(
        run, placed=len(result['placed']),
        seconds=round(result['seconds'], 3),
        claims_per_s=round(len(result['placed']) / result['seconds'], 1),
        cas_attempts=attempts,
        conflict_rate=round(counters.get('conflicts', 0) / attempts, 4)
        if attempts else 0,
        counters=counters,
        latency={phase: stats.Latencies(samples).summary()
                 for phase, samples in result['split'].items()})
