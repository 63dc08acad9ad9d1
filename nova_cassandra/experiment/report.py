"""The experiment's outputs: a table on stdout, a JSON file and a PNG plot."""

import json
import os


def table(operations):
    """Rows of per-operation figures, aligned for a terminal."""
    header = ('operation', 'count', 'mean ms', 'p50 ms', 'p95 ms', 'p99 ms')
    rows = [header]
    for name, figures in operations.items():
        rows.append((name, str(figures['count'])) + tuple(
            '%.2f' % figures[key]
            for key in ('mean_ms', 'p50_ms', 'p95_ms', 'p99_ms')))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return '\n'.join('  '.join(cell.ljust(width) if i == 0 else
                               cell.rjust(width)
                               for i, (cell, width) in
                               enumerate(zip(row, widths)))
                     for row in rows)


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


def output_paths(output_dir, preset):
    os.makedirs(output_dir, exist_ok=True)
    stem = os.path.join(output_dir, 'experiment-%s' % preset)
    return stem + '.json', stem + '.png'
