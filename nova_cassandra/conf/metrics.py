"""The ``[metrics]`` options: where a process writes the counts it keeps."""

from oslo_config import cfg

metrics_group = cfg.OptGroup(
    'metrics',
    title='Counters options',
    help="""
nova-cassandra counts its own work in each process (claims taken, lost
compare-and-sets, store rows read, host states built, candidates handed to
nova). The counts are kept in memory; these options have each process write
them to a file too, for whoever watches it (the experiment does).
""")

metrics_opts = [
    cfg.StrOpt('snapshot_dir',
        help="""
Directory each process that counts something writes its counts to, as JSON
(``{"pid": ..., "written_at": ..., "counts": {...}}``) in
``<program>-<pid>.json``: one file per process, since nova's services fork
workers. Written every ``snapshot_interval`` seconds from the first count
on, and at a normal exit. Unset, nothing is written.
"""),
    cfg.FloatOpt('snapshot_interval',
        default=5.0,
        min=0.1,
        help='Seconds between two writes of a process\'s counts.'),
]


def register_opts(conf):
    conf.register_group(metrics_group)
    conf.register_opts(metrics_opts, group=metrics_group)


def list_opts():
    return {metrics_group: metrics_opts}
