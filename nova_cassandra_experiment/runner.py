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

"""The scheduler experiment: every available set-up × hosts × K, measured.

For each host count a fleet is started per set-up and pre-filled so that
the warm-up and the stream's requests that can fit bring it to the
preset's target fill.  The pre-fill is usage the computes count (and
allocations in placement), as a cloud's instances are.  Each (set-up, K)
run then starts from the same state: what the run before placed is
deleted from placement and the set-up's store is emptied and re-published
by the computes (``CassandraState.reset``), K fresh schedulers start, get
warm-up requests, and the seeded stream goes through
``select_destinations`` while CPU is counted.  A preset with
``warm_up_pass`` first sends the stream once, as a run at the first K
that no result counts, so the first measured run finds the services and
the store as warm as the last.  The schedulers stop and
placement's records (or the store's) are checked; for a set-up with a
store that writes placement, the store's claims are compared with
placement's allocations of the run's consumers (``mirror``: both must
hold the same, whether placement is written before answering or in the
background), after the schedulers' background writers drained.
"""

import contextlib
import dataclasses
import json
import os

from nova import rpc
from oslo_log import log as logging

from nova_cassandra.claims import reconcile
from nova_cassandra.cmd import nova_db
from nova_cassandra import exception
from nova_cassandra import metrics
from nova_cassandra.patching import operations
from nova_cassandra.patching import series
from nova_cassandra.patching import trees
from nova_cassandra.store.cassandra import session as session_mod
from nova_cassandra_experiment import cassandra_state
from nova_cassandra_experiment import checker
from nova_cassandra_experiment import cpu
from nova_cassandra_experiment import db_statistics
from nova_cassandra_experiment import end_to_end
from nova_cassandra_experiment import fleet as fleet_mod
from nova_cassandra_experiment import mysql_state
from nova_cassandra_experiment import placement as placement_mod
from nova_cassandra_experiment import placement_api
from nova_cassandra_experiment import processes
from nova_cassandra_experiment import progress
from nova_cassandra_experiment import schedulers as schedulers_mod
from nova_cassandra_experiment import stats
from nova_cassandra_experiment import workload
from nova_cassandra_experiment import yardstick

LOG = logging.getLogger(__name__)

READY_TIMEOUT = 180
# Seconds the schedulers' placement writers get to drain after a run: more
# than a write's retries take (``placement_mirror.MAX_ATTEMPTS``).
DRAIN_TIMEOUT = 120
# The writers' histogram of claim-to-written delays (``placement_mirror``).
MIRROR_LAG = 'mirror_lag_ms'
# Visibility is measured over the time each node takes to be republished,
# and this.
VISIBILITY_MARGIN = 5


def _cassandra_answers(conf):
    session_mod.connect(conf.cassandra).cluster.shutdown()


# Extra services a set-up may need: name -> check that raises if absent.
SERVICE_CHECKS = {'cassandra': _cassandra_answers,
                  'mysql': mysql_state.answers}


def availability(setups, conf):
    """``{name: None if available else why not}``."""
    found = {}
    for setup in setups:
        unknown = setup.unknown_options(conf)
        found[setup.name] = (
            'nova lacks %s (patch series not applied)' % ', '.join(unknown)
            if unknown else None)
        placement_conf = placement_api.stack_conf(conf.config_file)
        if ((setup.placement_conf or setup.placement_patched)
                and not os.path.exists(placement_conf)):
            found[setup.name] = 'no %s to tune' % placement_conf
        for service in setup.services:
            if found[setup.name] is None:
                try:
                    SERVICE_CHECKS[service](conf)
                except (exception.NovaCassandraError,
                        *session_mod.DRIVER_ERRORS) as e:
                    found[setup.name] = '%s unavailable: %s' % (service, e)
    return found


class Experiment:

    def __init__(self, preset, conf, run_dir, progress=print):
        self.preset = preset
        self.conf = conf
        self.run_dir = run_dir
        self.progress = progress
        nova_db.configure(conf)
        rpc.set_defaults(control_exchange='nova')
        rpc.init(conf)
        # The driver's patience with one select_destinations call.
        conf.set_override('long_rpc_timeout', preset.run_timeout)
        self.placement = placement_mod.Placement()
        self.caller = workload.SchedulerCaller()
        self.stream = workload.stream(preset.seed, preset.requests,
                                      preset.oversized)
        self.warmup = workload.stream(preset.seed + 1,
                                      2 * max(preset.schedulers), 0)

    def run(self, setups):
        """Run every set-up; return the per-run records.

        Each fleet's records are also appended to ``runs.jsonl`` in the
        run directory as soon as they exist, so a long run cut short
        keeps what it measured.
        """
        runs = []
        os.makedirs(self.run_dir, exist_ok=True)
        with open(os.path.join(self.run_dir, 'runs.jsonl'), 'w') as log:
            for hosts in self.preset.hosts:
                for setup in setups:
                    fleet_runs = self._run_fleet(setup, hosts)
                    log.writelines(json.dumps(r) + '\n' for r in fleet_runs)
                    log.flush()
                    runs += fleet_runs
        return runs

    @contextlib.contextmanager
    def _placement_of(self, setup, run_dir):
        """``(setup, pids)``: with a placement of its own if it tunes one.

        ``setup`` is bound to its services (``mysql_state.bind``, the
        placement's endpoint); ``pids`` roots that placement's processes.
        """
        setup = mysql_state.bind(setup, self.conf)
        if not (setup.placement_conf or setup.placement_patched):
            yield setup, set()
            return
        placement_path = None
        if setup.placement_patched:
            placement_path = os.path.join(run_dir, 'placement')
            operations.apply(
                trees.copy_installed(placement_path, 'placement'),
                series.read_series(project='placement'))
        server = placement_api.Server(self.conf.config_file,
                                      setup.placement_conf, run_dir,
                                      placement_path)
        try:
            server.start_all(READY_TIMEOUT)
            yield dataclasses.replace(
                setup,
                scheduler_conf=processes.merge_conf(setup.scheduler_conf,
                                                    server.nova_conf()),
                compute_conf=processes.merge_conf(setup.compute_conf,
                                                  server.nova_conf())
            ), server.pids()
        finally:
            server.stop()

    def _run_fleet(self, setup, hosts):
        run_dir = os.path.join(self.run_dir, '%s-%d' % (setup.name, hosts))
        os.makedirs(run_dir, exist_ok=True)
        with self._placement_of(setup, run_dir) as (setup, placement_pids):
            return self._run_fleet_on(setup, hosts, run_dir, placement_pids)

    def _run_fleet_on(self, setup, hosts, run_dir, placement_pids):
        fleet = fleet_mod.Fleet(hosts, self.preset.nodes_per_compute,
                                self.conf.config_file, setup.compute_conf,
                                setup.scheduler_conf, run_dir,
                                self.placement, self.preset.churn_interval)
        state = self._state(setup)
        try:
            self.progress('%s, %d hosts: starting the fleet' %
                          (setup.name, hosts))
            if state:
                state.recreate()
            fleet.start_all(timeout=120 + hosts)
            share = self._fill_share(fleet.capacity())
            # Every node keeps room for the largest flavor: on a fleet
            # much larger than the stream, a fill to the target share
            # would leave none that holds it.
            filled = fleet.fill(share, workload.resources(
                workload.FLAVORS[-1]), timeout=120 + hosts)
            if state:
                state.wait_for_nodes(filled, fleet.compute_hosts,
                                     timeout=120 + hosts)
            db_statistics.recount(self.conf)
            if self.preset.warm_up_pass:
                self._warm_up(setup, fleet, run_dir, state, placement_pids)
            runs = []
            for i, k in enumerate(self.preset.schedulers):
                if i or self.preset.warm_up_pass:
                    self._reset(fleet, filled, state)
                self.progress('%s, %d hosts, K=%d: running %d requests'
                              % (setup.name, hosts, k, len(self.stream)))
                record = self._run_once(setup, fleet, k, run_dir, state,
                                        placement_pids)
                record.update(hosts=hosts, prefill=round(share, 4))
                self.progress('  ' + _one_line(record))
                runs.append(record)
            if state:
                visibility = self._visibility(setup, fleet, state)
                for record in runs:
                    record['visibility'] = visibility
            return runs
        finally:
            fleet.stop()
            if state:
                state.close()

    def _warm_up(self, setup, fleet, run_dir, state, placement_pids):
        """The stream at the first K, as a run, counted in no result.

        Its record goes to ``warm-up/record.json`` in the fleet's run
        directory (a violation there is still one to look at).
        """
        k = self.preset.schedulers[0]
        self.progress('%s, %d hosts, K=%d: warm-up pass of %d requests, '
                      'not counted' % (setup.name, fleet.hosts, k,
                                       len(self.stream)))
        warm_up_dir = os.path.join(run_dir, 'warm-up')
        os.makedirs(warm_up_dir, exist_ok=True)
        record = self._run_once(setup, fleet, k, warm_up_dir, state,
                                placement_pids)
        with open(os.path.join(warm_up_dir, 'record.json'), 'w') as out:
            json.dump(record, out, indent=1)
        self.progress('  ' + _one_line(record))

    def _state(self, setup):
        """The experiment's view of the set-up's store, if it has one."""
        if 'cassandra' in setup.services:
            return cassandra_state.CassandraState(self.conf)
        if 'mysql' in setup.services:
            return mysql_state.MySQLState(self.conf, setup)
        return None

    def end_to_end(self, setups):
        """Each set-up's pass through nova-api (``end_to_end``): records."""
        passes = []
        for setup in setups:
            self.progress('%s: booting and deleting %d servers through '
                          'nova-api' % (setup.name,
                                        self.preset.end_to_end_servers))
            run_dir = os.path.join(self.run_dir, '%s-e2e' % setup.name)
            os.makedirs(run_dir, exist_ok=True)
            with self._placement_of(setup, run_dir) as (setup, _pids):
                state = self._state(setup)
                try:
                    record = end_to_end.EndToEnd(
                        setup, self.conf, self.placement, state, run_dir,
                        self.preset.end_to_end_servers,
                        self.preset.concurrency).run()
                finally:
                    if state:
                        state.close()
            self.progress('  %(active)d ACTIVE (%(fit)d fit), NoValidHost '
                          '%(novalidhost_true)d true / %(novalidhost_false)d '
                          'false, %(errors)d errors; left after delete: '
                          '%(leaked_allocations)d allocations, '
                          '%(leaked_claims)d claims' % record)
            passes.append(record)
        return passes

    def _visibility(self, setup, fleet, state):
        """Change-to-read delays of one republishing of every node."""
        seconds = fleet_mod.AUDIT_INTERVAL + VISIBILITY_MARGIN
        self.progress('%s, %d hosts: measuring host state visibility for '
                      '%d s' % (setup.name, fleet.hosts, seconds))
        fleet.republish()
        delays, read_seconds = state.visibility(seconds)
        return dict(stats.Latencies(delays).summary(),
                    read_ms=round(1000 * read_seconds, 2))

    def _fill_share(self, capacity):
        requests = self.stream + self.warmup
        demand = workload.demand(requests)
        share = self.preset.target_fill - max(
            amount / capacity[rc] for rc, amount in demand.items())
        if share < 0:
            raise ValueError('%d requests need more than %.0f%% of the '
                             'fleet' % (len(requests),
                                        100 * self.preset.target_fill))
        return share

    def _reset(self, fleet, filled, state):
        """Back to the fleet as pre-filled, with no trace of the last run.

        The stream's and the warm-up's consumers are released in placement,
        since each run sends both again as new consumers; the store is
        emptied (no tombstones left for the next run to read) and the
        computes publish their nodes to it again.
        """
        self.placement.release_held(
            fleet.providers,
            {r.instance_uuid for r in self.stream + self.warmup})
        if state:
            self.progress('  emptying the store; the computes re-publish '
                          'their %d nodes' % fleet.hosts)
            state.empty()
            fleet.republish()
            state.wait_for_nodes(filled, fleet.compute_hosts,
                                 120 + fleet.hosts)

    def _run_once(self, setup, fleet, k, run_dir, state, placement_pids):
        schedulers = schedulers_mod.Schedulers(
            k, self.conf.config_file, setup.scheduler_conf,
            os.path.join(run_dir, 'k%d' % k), self.conf.transport_url)
        os.makedirs(schedulers.run_dir, exist_ok=True)
        box_ms = yardstick.measure()
        try:
            schedulers.start_all(fleet.compute_hosts,
                                 fleet_mod.SYNC_INTERVAL, READY_TIMEOUT)
            workload.drive(self.warmup, self.caller, k, READY_TIMEOUT)
            schedulers.mark()
            window = cpu.Window(dict(
                {'schedulers': schedulers.pids(), 'fleet': fleet.pids()},
                **({'placement': placement_pids} if placement_pids
                   else {})))
            window.start()
            outcomes, seconds = workload.drive(
                self.stream, self.caller, self.preset.concurrency,
                self.preset.run_timeout,
                done=progress.Bar(len(self.stream)).step)
            # The writes in the background are part of the run's work.
            schedulers.wait_for(
                "the schedulers' placement writers to drain",
                lambda: _drained(schedulers.counted()), DRAIN_TIMEOUT)
            cpu_ms = window.stop()
            counted = schedulers.counted()
            conflicts = schedulers.claim_conflicts(counted)
            down = schedulers.computes_down()
        finally:
            schedulers.stop()
        inventories, allocations, verdict = checker.judge(
            self.placement, fleet.providers,
            placed={o.request.instance_uuid: o.node
                    for o in outcomes if o.node},
            refused={o.request.instance_uuid:
                     workload.resources(o.request.flavor)
                     for o in outcomes if o.error == workload.NOVALIDHOST},
            store_allocations=(None if setup.writes_placement
                               else state.allocations))
        verdict['cassandra_offenders'] = state.check() if state else []
        verdict['capacity_changes'] = checker.capacity_changes(
            fleet.inventories, inventories)
        verdict['computes_down'] = down
        if state and setup.writes_placement:
            verdict['mirror'] = self._mirror(allocations, state, counted)
            verdict['mirror_drift'] = (
                verdict['mirror']['claims_without_allocation']
                + verdict['mirror']['allocations_without_claim'])
        record = _record(setup.name, k, outcomes, seconds, cpu_ms, conflicts,
                         verdict)
        record.update(yardstick_ms=box_ms,
                      cpu_busy_ms=round(window.busy_ms),
                      cpu_unaccounted_share=round(window.unaccounted, 3),
                      counters=counted, per_request={
                          name: round(count / len(outcomes), 2)
                          for name, count in sorted(counted.items())
                          if not metrics.is_bucket(name, MIRROR_LAG)})
        return record

    def _mirror(self, allocations, state, counted):
        """The store's claims against placement's, and the writers' figures.

        ``allocations``: placement's, by provider, as the verdict read them.
        Drift: claims of the run's consumers (warm-up and stream) with no
        allocation on their node, and allocations of theirs with no claim.
        """
        consumers = {r.instance_uuid for r in self.stream + self.warmup}
        claims = {node: {c: r for c, r in held.items() if c in consumers}
                  for node, held in state.allocations().items()}
        allocated = {rp: {c: r for c, r in held.items() if c in consumers}
                     for rp, held in allocations.items()}
        missing, unclaimed = reconcile.compare(claims, allocated)
        figures = {name: counted.get('mirror_' + name, 0) for name in
                   ('queued', 'written', 'failed', 'retries', 'cancelled',
                    'posts')}
        figures.update(
            lag_p50_ms=metrics.percentile(counted, MIRROR_LAG, 0.5),
            lag_p99_ms=metrics.percentile(counted, MIRROR_LAG, 0.99),
            claims_without_allocation=len(missing),
            allocations_without_claim=len(unclaimed))
        return figures


def _drained(counted):
    """Whether every allocation queued for placement was written or not."""
    return counted.get('mirror_queued', 0) <= sum(
        counted.get('mirror_' + name, 0)
        for name in ('written', 'failed', 'cancelled'))


def _record(setup, k, outcomes, seconds, cpu_ms, conflicts, verdict):
    placed = sum(1 for o in outcomes if o.node)
    errors = [o.error for o in outcomes
              if o.error not in (None, workload.NOVALIDHOST)]
    record = {
        'setup': setup, 'schedulers': k, 'requests': len(outcomes),
        'placed': placed, 'seconds': round(seconds, 3),
        'placements_per_s': round(placed / seconds, 2),
        'latency': stats.Latencies([o.seconds for o in outcomes]).summary(),
        'novalidhost_expected': sum(
            1 for o in outcomes if o.request.flavor is workload.OVERSIZED),
        'errors': len(errors), 'first_errors': errors[:3],
        'claims': conflicts,
        'cpu_ms': {group: round(ms) for group, ms in cpu_ms.items()},
        'cpu_ms_per_placement': {
            group: round(ms / placed, 2) if placed else None
            for group, ms in cpu_ms.items()},
    }
    record.update(verdict)
    return record


def _one_line(record):
    return ('%(placed)d placed, %(placements_per_s).1f/s, p99 %(p99).0f ms, '
            'NoValidHost %(novalidhost_true)d true / %(novalidhost_false)d '
            'false, %(violations)d violations, %(errors)d errors, '
            '%(changes)d capacities changed since the fleet started'
            % dict(record, p99=record['latency'].get('p99_ms', 0),
                   changes=len(record['capacity_changes']),
                   violations=len(record['capacity_violations'])
                   + len(record.get('cassandra_offenders', ()))))
