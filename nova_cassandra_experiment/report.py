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

"""The experiment's outputs: a table on stdout, a JSON file and a PNG plot."""

import json
import os

from nova_cassandra import metrics
from nova_cassandra_experiment import projection


def _aligned(rows):
    """Rows of cells as text: first column left-aligned, others right."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return '\n'.join('  '.join(cell.ljust(width) if i == 0 else
                               cell.rjust(width)
                               for i, (cell, width) in
                               enumerate(zip(row, widths)))
                     for row in rows)


def table(operations):
    """Rows of per-operation figures, aligned for a terminal."""
    rows = [('operation', 'count', 'mean ms', 'p50 ms', 'p95 ms', 'p99 ms')]
    for name, figures in operations.items():
        rows.append((name, str(figures['count'])) + tuple(
            '%.2f' % figures[key]
            for key in ('mean_ms', 'p50_ms', 'p95_ms', 'p99_ms')))
    return _aligned(rows)


def _per_request(run, names):
    """What the schedulers counted per request under ``names``, or '-'.

    ``names``: a ``metrics`` name, or a suffix (``*rows_read``: the store
    rows read by any part of the scheduler).
    """
    per = run.get('per_request') or {}
    found = [v for k, v in per.items()
             if k == names or names.startswith('*') and k.endswith(names[1:])]
    return '%.1f' % sum(found) if found else '-'


# (header, value of a run record) of the scheduler runs' table.
RUN_COLUMNS = (
    ('set-up', lambda r: r['setup']),
    ('hosts', lambda r: r['hosts']),
    ('K', lambda r: r['schedulers']),
    ('placed', lambda r: '%d/%d' % (r['placed'], r['requests'])),
    ('place/s', lambda r: '%.1f' % r['placements_per_s']),
    ('p50 ms', lambda r: '%.0f' % r['latency']['p50_ms']),
    ('p95 ms', lambda r: '%.0f' % r['latency']['p95_ms']),
    ('p99 ms', lambda r: '%.0f' % r['latency']['p99_ms']),
    ('gen conflicts', lambda r: r['claims']['generation_conflicts']),
    ('room taken', lambda r: r['claims']['capacity_conflicts']),
    # Host states ComputeFilter dropped: their compute was not heard from.
    ('seen down', lambda r: r.get('computes_down', '-')),
    ('NVH true', lambda r: '%d (%d by design)' % (
        r['novalidhost_true'], r['novalidhost_expected'])),
    ('NVH false', lambda r: r['novalidhost_false']),
    ('violations', lambda r: len(r['capacity_violations'])
     + len(r.get('cassandra_offenders', ()))),
    ('errors', lambda r: r['errors']),
    # Per request, as nova-cassandra's schedulers count them (``metrics``).
    ('rows/req', lambda r: _per_request(r, '*rows_read')),
    ('HostStates/req', lambda r: _per_request(r, 'host_states_built')),
    ('cands/req', lambda r: _per_request(r, 'candidates')),
    ('GC ms/req', lambda r: _gc_ms_per_request(r)),
)


def _gc_ms_per_request(run):
    """CPU ms the schedulers spent collecting garbage per request, or '-'."""
    per = run.get('per_request') or {}
    found = [v for k, v in per.items() if k.startswith(metrics.GC_CPU_US)]
    return '%.2f' % (sum(found) / 1000) if found else '-'


def _columns_table(columns, records):
    """A row per record of (header, value of a record) ``columns``."""
    rows = [tuple(header for header, _ in columns)]
    rows += [tuple(str(value(record)) for _, value in columns)
             for record in records]
    return _aligned(rows)


def runs_table(runs):
    """The scheduler runs, one row each, aligned for a terminal."""
    return _columns_table(RUN_COLUMNS, runs)


# (header, value of a pass record) of the end-to-end passes' table.
END_TO_END_COLUMNS = (
    ('set-up', lambda p: p['setup']),
    ('ACTIVE', lambda p: '%d/%d (%d fit)' % (p['active'], p['servers'],
                                             p['fit'])),
    ('NVH true', lambda p: p['novalidhost_true']),
    ('NVH false', lambda p: p['novalidhost_false']),
    ('violations', lambda p: len(p['capacity_violations'])
     + len(p['store_offenders'])),
    ('no allocation', lambda p: p['missing_allocations']),
    ('errors', lambda p: p['errors']),
    ('boot s', lambda p: '%.1f' % p['boot_seconds']),
    ('delete s', lambda p: '%.1f' % p['delete_seconds']),
    ('left after delete', lambda p: '%d allocations, %d claims' % (
        p['leaked_allocations'], p['leaked_claims'])),
)


def end_to_end_table(passes):
    """The end-to-end passes through nova-api, one row a set-up."""
    return _columns_table(END_TO_END_COLUMNS, passes)


def cpu_table(runs):
    """CPU milliseconds per placement by process group, one row a run.

    Then the share of the box's busy time (``/proc/stat``) over the run
    that no group accounts for, and the box's speed before the run
    (``yardstick``: CPU ms of a fixed workload, more is slower).
    """
    groups = sorted({g for run in runs for g in run['cpu_ms_per_placement']})
    rows = [('set-up', 'hosts', 'K') + tuple(groups) +
            ('total', 'unaccounted', 'yardstick ms')]
    for run in runs:
        per = run['cpu_ms_per_placement']
        unaccounted = run.get('cpu_unaccounted_share')
        box_ms = run.get('yardstick_ms')
        rows.append((run['setup'], str(run['hosts']),
                     str(run['schedulers'])) +
                    tuple('%.1f' % per[g] if per.get(g) is not None else '-'
                          for g in groups) +
                    ('%.1f' % sum(v for v in per.values() if v),
                     '-' if unaccounted is None
                     else '%.0f%%' % (100 * unaccounted),
                     '-' if box_ms is None else '%.1f' % box_ms))
    return _aligned(rows)


def mirror_table(runs):
    """Per run of a store that writes placement: drift and writers' lag."""
    rows = [('set-up', 'hosts', 'K', 'claims w/o alloc', 'alloc w/o claim',
             'written', 'posts', 'retries', 'failed', 'lag p50 ms',
             'lag p99 ms')]
    for run in runs:
        mirror = run.get('mirror')
        if mirror:
            rows.append((run['setup'], str(run['hosts']),
                         str(run['schedulers'])) + tuple(
                str(mirror[key]) for key in (
                    'claims_without_allocation', 'allocations_without_claim',
                    'written', 'posts', 'retries', 'failed')) + tuple(
                '-' if mirror[key] is None else '%.0f' % mirror[key]
                for key in ('lag_p50_ms', 'lag_p99_ms')))
    return _aligned(rows) if len(rows) > 1 else ''


def visibility_table(runs):
    """Per fleet: how long computes' changes took to reach a fast read."""
    rows = [('set-up', 'hosts', 'changes', 'p50 ms', 'p99 ms',
             'one read ms')]
    fleets = {(run['setup'], run['hosts']): run['visibility']
              for run in runs if run.get('visibility')}
    for (setup, hosts), figures in sorted(fleets.items()):
        rows.append((setup, str(hosts), str(figures['count'])) + tuple(
            '%.1f' % figures[key] if key in figures else '-'
            for key in ('p50_ms', 'p99_ms', 'read_ms')))
    return _aligned(rows) if len(rows) > 1 else ''


def projection_table(runs):
    """Placements/s each set-up projects to (``projection``'s model)."""
    return _aligned(projection.table_rows(runs))


def _cpu_per_placement(run):
    return sum(v for v in run['cpu_ms_per_placement'].values() if v)


def ratios(runs, baseline='stock'):
    """Lines comparing each set-up with ``baseline`` at the same hosts and K.

    Placements per second (higher is better) and CPU milliseconds per
    placement over every process group (lower is better).
    """
    base = {(r['hosts'], r['schedulers']): r for r in runs
            if r['setup'] == baseline}
    lines = []
    for run in runs:
        ref = base.get((run['hosts'], run['schedulers']))
        if run['setup'] == baseline or ref is None or not run['placed']:
            continue
        lines.append(
            '%s / %s at %d hosts, K=%d: placements/s x%.2f, CPU ms per '
            'placement x%.2f (%.1f vs %.1f)' % (
                run['setup'], baseline, run['hosts'], run['schedulers'],
                run['placements_per_s'] / ref['placements_per_s'],
                _cpu_per_placement(run) / _cpu_per_placement(ref),
                _cpu_per_placement(run), _cpu_per_placement(ref)))
    return '\n'.join(lines)


def reads_table(results, baseline='HostManager'):
    """The ``reads`` preset's figures, with CPU ratios to ``baseline``."""
    base = {r['hosts']: r for r in results if r['manager'] == baseline}
    rows = [('subject', 'hosts', 'p50 ms', 'p99 ms', 'CPU ms/request',
             'rows read/request', 'CPU vs %s' % baseline)]
    for r in results:
        rows.append((r['manager'], str(r['hosts']), '%.2f' % r['p50_ms'],
                     '%.2f' % r['p99_ms'], '%.2f' % r['cpu_ms'],
                     '%.1f' % r['rows_per_request'],
                     'x%.1f less' % (base[r['hosts']]['cpu_ms'] / r['cpu_ms'])
                     if r['hosts'] in base and r['cpu_ms'] else '-'))
    return _aligned(rows)


# (header, value of a claims race figure) of the claims preset's table.
CLAIM_COLUMNS = (
    ('store', lambda f: f['store']),
    ('scenario', lambda f: f['scenario']),
    ('nodes', lambda f: f['nodes']),
    ('K', lambda f: f['schedulers']),
    ('placed', lambda f: '%d/%d' % (f['placed'], f['requests'])),
    ('claims/s', lambda f: '%.1f' % f['claims_per_s']),
    ('conflicts', lambda f: '%.1f%%' % (100 * f['conflict_rate'])),
    ('gave up', lambda f: f['counters'].get('gave_up', 0)),
    ('claim p50', lambda f: '%.1f' % f['latency']['claim']['p50_ms']),
    ('claim p99', lambda f: '%.1f' % f['latency']['claim']['p99_ms']),
    ('read p50', lambda f: '%.1f' % f['latency']['read']['p50_ms']),
    ('CAS p50', lambda f: '%.1f' % f['latency']['cas']['p50_ms']),
    ('CAS p99', lambda f: '%.1f' % f['latency']['cas']['p99_ms']),
    ('violations', lambda f: len(f['offenders'])),
)


def claims_table(figures):
    """The claims races, one row each (latencies in ms per request)."""
    return _columns_table(CLAIM_COLUMNS, figures)


def write_json(result, path):
    with open(path, 'w') as f:
        json.dump(result, f, indent=2, sort_keys=True)
        f.write('\n')


def write_plot(operations, title, path):
    """Bars of p50 and p99 latency per operation."""
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot

    names = list(operations)
    positions = range(len(names))
    figure, axes = pyplot.subplots(figsize=(8, 4.5))
    for offset, key in ((-0.2, 'p50_ms'), (0.2, 'p99_ms')):
        axes.bar([p + offset for p in positions],
                 [operations[n][key] for n in names], width=0.4,
                 label=key.replace('_ms', ''))
    axes.set_xticks(list(positions), names)
    axes.set_ylabel('latency (ms)')
    axes.set_title(title)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)


def write_runs_plot(runs, title, path):
    """Placements/s and p99 latency against K, a line per set-up × hosts."""
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot

    lines = {}
    for run in runs:
        lines.setdefault('%s, %d hosts' % (run['setup'], run['hosts']),
                         []).append(run)
    figure, (rate, p99) = pyplot.subplots(1, 2, figsize=(11, 4.5))
    for label, line in sorted(lines.items()):
        line.sort(key=lambda run: run['schedulers'])
        ks = [run['schedulers'] for run in line]
        rate.plot(ks, [run['placements_per_s'] for run in line], 'o-',
                  label=label)
        p99.plot(ks, [run['latency']['p99_ms'] for run in line], 'o-',
                 label=label)
    for axes, ylabel in ((rate, 'placements/s'),
                         (p99, 'p99 select_destinations (ms)')):
        axes.set_xlabel('schedulers (K)')
        axes.set_ylabel(ylabel)
        axes.set_xticks(sorted({run['schedulers'] for run in runs}))
        axes.set_ylim(bottom=0)
        axes.legend()
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)


def output_paths(output_dir, preset):
    os.makedirs(output_dir, exist_ok=True)
    stem = os.path.join(output_dir, 'experiment-%s' % preset)
    return stem + '.json', stem + '.png'
