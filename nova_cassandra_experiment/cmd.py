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

"""``nova-cassandra-experiment``: the measured answer to the 2015 proposal.

  nova-cassandra-experiment --config-file nova.conf [--preset quick]
                            [--setups stock,cassandra,...]
                            [--hosts 100,500] [--schedulers 1,2]
                            [--placement-patched]
                            [--output-dir DIR]

Presets:

``roundtrip``
    host state round trip through the store on the stack's Cassandra
    (create, compare-and-set update, fast and quorum reads, paged list),
    in a scratch keyspace of its own, dropped at the end.
``reads``
    one scheduling request's host state read, timed with stock
    ``HostManager`` (nova's databases) and ``CassandraHostManager`` (host
    rows in the scratch keyspace) at 100 and 1000 simulated nodes
    (``nova_cassandra_experiment.host_state_read``).
``claims``
    K = 1, 2, 4, 8 processes racing for claims through the claim code
    the cassandra driver runs, on 4 "hot" nodes and on 200, in the
    scratch keyspace: claims/s, conflict rate and each claim's time split
    into usage reads and compare-and-sets, on Cassandra and, when MariaDB
    answers, on the MySQL store with 1 and 4 shards
    (``nova_cassandra_experiment.claim_race``).
``smoke``, ``quick``, ``standard``, ``full``
    the scheduler experiment (``nova_cassandra_experiment.runner``): a
    fake compute fleet, K real nova-schedulers, a seeded stream of
    ``select_destinations`` calls, for each set-up nova can run; then,
    for each set-up, servers booted and deleted through nova-api
    (``nova_cassandra_experiment.end_to_end``).
"""

import contextlib
import dataclasses
import datetime
import fcntl
import os
import signal
import sys

from nova import rpc
from oslo_config import cfg
from oslo_log import log as logging

from nova_cassandra.cmd import common
from nova_cassandra.cmd import nova_db
from nova_cassandra import exception
from nova_cassandra.store.cassandra import hosts
from nova_cassandra.store.cassandra import schema
from nova_cassandra.store.cassandra import session as session_mod
from nova_cassandra_experiment import cassandra_state
from nova_cassandra_experiment import claim_race
from nova_cassandra_experiment import host_state_read
from nova_cassandra_experiment import mysql_state
from nova_cassandra_experiment import presets
from nova_cassandra_experiment import projection
from nova_cassandra_experiment import report
from nova_cassandra_experiment import roundtrip
from nova_cassandra_experiment import runner

CONF = common.CONF

ROUNDTRIP = {'hosts': 200}
READS = {'host_counts': (100, 1000), 'requests': 30}
CLAIMS = {'schedulers': (1, 2, 4, 8), 'requests': 400}

cli_opts = [
    cfg.StrOpt('preset', default='quick',
               choices=(['roundtrip', 'reads', 'claims']
                        + sorted(presets.PRESETS)),
               help='Which experiment to run.'),
    cfg.ListOpt('setups', default=[s.name for s in presets.SETUPS],
                help='Scheduler set-ups to run (scheduler presets only).'),
    cfg.ListOpt('hosts', item_type=cfg.types.Integer(min=1),
                help='Fleet sizes to run, in place of the preset\'s '
                     '(scheduler presets and reads).'),
    cfg.ListOpt('schedulers', item_type=cfg.types.Integer(min=1),
                help='Scheduler counts (K) to run, in place of the '
                     'preset\'s (scheduler presets only).'),
    cfg.IntOpt('churn-interval', min=0,
               help='Run a synthetic fleet (one process writing what '
                    'nova-compute services write, each node changed every '
                    'so many seconds; 0: never), in place of the preset\'s '
                    'fleet (scheduler presets only).'),
    cfg.BoolOpt('placement-patched', default=False,
                help='Run every set-up on a placement of its own patched '
                     'with patches/placement/, as stock-fixed runs '
                     '(scheduler presets only).'),
    cfg.StrOpt('output-dir', default='experiment-results',
               help='Directory the JSON and PNG results are written to.'),
    cfg.StrOpt('scratch-keyspace', default='nova_cassandra_scratch',
               regex=r'^[A-Za-z][A-Za-z0-9_]{0,47}$',
               help='Keyspace the experiment creates, uses and drops.'),
]


def _in_scratch_keyspace(func, *args):
    """``func(session, keyspace, *args)`` in a fresh scratch keyspace."""
    session = session_mod.connect(CONF.cassandra)
    keyspace = CONF.scratch_keyspace
    try:
        session.execute('DROP KEYSPACE IF EXISTS %s' % keyspace)
        schema.sync(session, keyspace, CONF.cassandra.replication)
        schema.check(session, keyspace)
        result = func(session, keyspace, *args)
        session.execute('DROP KEYSPACE IF EXISTS %s' % keyspace)
    finally:
        session.cluster.shutdown()
    return result


def _roundtrip(session, keyspace):
    return roundtrip.run(hosts.HostStore(session, keyspace),
                         ROUNDTRIP['hosts'])


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def _stop_on_sigterm(signum, frame):
    # Unwind through every ``finally``: the services started get stopped.
    sys.exit(128 + signum)


# Unpatched placement over-commits when schedulers race (the defect
# patches/placement/ fixes, doc/source/bugs): in the set-ups that measure
# stock as it ships, over-commit is the finding the report prints, not a
# failure of the command.
FINDINGS = {'stock': {'capacity_violations'},
            'stock-tuned': {'capacity_violations'}}


def _failed(record):
    """Whether a run or pass record shows over-commit, loss or an error."""
    findings = FINDINGS.get(record.get('setup'), set())
    return any(record.get(key) for key in (
        'capacity_violations', 'errors', 'missing_allocations',
        'mirror_drift', 'cassandra_offenders', 'store_offenders',
        'leaked_allocations', 'leaked_claims') if key not in findings)


# Every scheduler run starts and ends by removing every fleet in placement
# and nova's databases (``fleet.purge``): two at once on one stack wreck
# each other, so each waits for the one before.
LOCK_PATH = os.path.expanduser('~/.cache/nova-cassandra/experiment.lock')


@contextlib.contextmanager
def _alone(path=LOCK_PATH):
    """Hold the machine's scheduler experiment lock while the block runs."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'a+') as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            print('waiting for the experiment that holds %s (pid %s)'
                  % (path, lock.read().strip() or '?'), flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        yield


def _run_schedulers():
    preset = presets.PRESETS[CONF.preset]
    if CONF.hosts:
        preset = dataclasses.replace(preset, hosts=tuple(CONF.hosts))
    if CONF.schedulers:
        preset = dataclasses.replace(
            preset, schedulers=tuple(sorted(CONF.schedulers)))
    if CONF.churn_interval is not None:
        preset = dataclasses.replace(preset,
                                     churn_interval=CONF.churn_interval)
    chosen = [s for s in presets.SETUPS if s.name in CONF.setups]
    if CONF.placement_patched:
        chosen = [presets.on_patched_placement(s) for s in chosen]
    reasons = runner.availability(chosen, CONF)
    for name, reason in sorted(reasons.items()):
        if reason:
            print('%s: not available: %s' % (name, reason))
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    started = _now()
    available = [s for s in chosen if reasons[s.name] is None]
    experiment = runner.Experiment(preset, CONF, os.path.abspath(
        os.path.join(CONF.output_dir, 'run-%s' % CONF.preset)))
    runs = experiment.run(available)
    result = {
        'preset': CONF.preset, 'started_at': started, 'finished_at': _now(),
        'cpus': os.cpu_count(), 'parameters': dataclasses.asdict(preset),
        'placement_patched': CONF.placement_patched,
        'setups': {s.name: {'description': s.description,
                            'available': reasons[s.name] is None,
                            'reason': reasons[s.name]} for s in chosen},
        'runs': runs, 'end_to_end': [],
        'projection': {'model': projection.ASSUMPTIONS,
                       'rows': projection.table_rows(runs)},
    }
    json_path, png_path = report.output_paths(CONF.output_dir, CONF.preset)
    print(report.runs_table(runs))
    print('\nCPU ms per placement by process group:')
    print(report.cpu_table(runs))
    print('\nPlacements/s projected on machines of their own (%s):'
          % projection.ASSUMPTIONS)
    print(report.projection_table(runs))
    mirror = report.mirror_table(runs)
    if mirror:
        print("\nPlacement allocations against the store's claims (drift "
              'must be 0; lag: claim to written, in the background):')
        print(mirror)
    visibility = report.visibility_table(runs)
    if visibility:
        print('\nHost state visibility (a compute change to the '
              "schedulers' read):")
        print(visibility)
    print()
    print(report.ratios(runs))
    print(report.ratios(runs, baseline='stock-tuned'))
    # Written before the end-to-end passes, so a failing pass keeps them.
    report.write_json(result, json_path)
    report.write_runs_plot(runs, 'nova-cassandra %s: %d requests per run'
                           % (CONF.preset, preset.requests), png_path)
    if preset.end_to_end_servers:
        result['end_to_end'] = experiment.end_to_end(available)
        result['finished_at'] = _now()
        print('\nEnd to end through nova-api, %d servers booted, then '
              'deleted:' % preset.end_to_end_servers)
        print(report.end_to_end_table(result['end_to_end']))
        report.write_json(result, json_path)
    print('wrote %s and %s' % (json_path, png_path))
    return 1 if any(map(_failed, runs + result['end_to_end'])) else 0


def _run_roundtrip():
    result = _in_scratch_keyspace(_roundtrip)
    result.update(preset=CONF.preset, finished_at=_now())
    json_path, png_path = report.output_paths(CONF.output_dir, CONF.preset)
    print(report.table(result['operations']))
    print('hosts: %d, mismatches between written and read: %d'
          % (result['hosts'], result['mismatches']))
    report.write_json(result, json_path)
    report.write_plot(result['operations'],
                      'nova-cassandra %s: store latency, %d hosts'
                      % (CONF.preset, result['hosts']), png_path)
    print('wrote %s and %s' % (json_path, png_path))
    return 1 if result['mismatches'] else 0


def _run_reads():
    nova_db.configure(CONF)
    rpc.init(CONF)  # compute services notify when they are created
    # CassandraHostManager reads the host rows written there.
    CONF.set_override('keyspace', CONF.scratch_keyspace, 'cassandra')
    started = _now()
    parameters = dict(READS, host_counts=tuple(CONF.hosts or
                                               READS['host_counts']))
    results = _in_scratch_keyspace(host_state_read.run,
                                   parameters['host_counts'],
                                   parameters['requests'])
    operations = {'%(manager)s, %(hosts)d hosts' % r: r for r in results}
    json_path, png_path = report.output_paths(CONF.output_dir, CONF.preset)
    print(report.reads_table(results))
    report.write_json({'preset': CONF.preset, 'started_at': started,
                       'finished_at': _now(), 'cpus': os.cpu_count(),
                       'parameters': parameters, 'reads': results},
                      json_path)
    report.write_plot(operations, 'nova-cassandra %s: host state read per '
                      'scheduling request' % CONF.preset, png_path)
    print('wrote %s and %s' % (json_path, png_path))


def _claim_states():
    """(label, state) of every store the claims race can run on."""
    states = [('cassandra', cassandra_state.CassandraState(CONF))]
    try:
        mysql_state.answers(CONF)
    except exception.MySQLUnavailable as e:
        print('mysql: not available: %s' % e)
        return states
    for setup in presets.SETUPS:
        if 'mysql' in setup.services:
            states.append((setup.name, mysql_state.MySQLState(
                CONF, mysql_state.bind(setup, CONF))))
    return states


def _run_claims():
    started = _now()
    states = _claim_states()
    try:
        figures = claim_race.run(states, CLAIMS['schedulers'],
                                 CLAIMS['requests'])
    finally:
        for _, state in states:
            state.close()
    json_path, png_path = report.output_paths(CONF.output_dir, CONF.preset)
    print(report.claims_table(figures))
    report.write_json({'preset': CONF.preset, 'started_at': started,
                       'finished_at': _now(), 'cpus': os.cpu_count(),
                       'parameters': CLAIMS, 'runs': figures}, json_path)
    report.write_runs_plot(
        [{'setup': '%s %s' % (f['store'], f['scenario']),
          'hosts': f['nodes'], 'schedulers': f['schedulers'],
          'placements_per_s': f['claims_per_s'],
          'latency': f['latency']['claim']} for f in figures],
        'nova-cassandra %s: %d claims per run' % (
            CONF.preset, CLAIMS['requests']), png_path)
    print('wrote %s and %s' % (json_path, png_path))
    return 1 if any(f['offenders'] for f in figures) else 0


def _log_to_file():
    """Log to ``<output-dir>/experiment.log`` unless told where.

    The console is for the progress lines and the tables: the warnings of
    nova's code and of the services' clients would interleave with them.
    """
    if CONF.log_file or CONF.log_dir:
        return
    path = os.path.join(os.path.abspath(CONF.output_dir), 'experiment.log')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    CONF.set_override('log_file', path)
    logging.setup(CONF, 'nova-cassandra-experiment')
    print('Logging to %s' % path, flush=True)


def _run():
    _log_to_file()
    runs = {'roundtrip': _run_roundtrip, 'reads': _run_reads,
            'claims': _run_claims}
    if CONF.preset in runs:
        return runs[CONF.preset]()
    with _alone():
        return _run_schedulers()


def main(argv=None):
    CONF.register_cli_opts(cli_opts)
    return common.main('nova-cassandra-experiment', argv, _run)
