"""``nova-cassandra-experiment``: the measured answer to the 2015 proposal.

  nova-cassandra-experiment --config-file nova.conf [--preset smoke]
                            [--output-dir DIR]

Presets:

``smoke``
    host state round trip through the store on the stack's Cassandra
    (create, compare-and-set update, fast and quorum reads, paged list).

The experiment works in a scratch keyspace of its own, dropped at the end,
never in the keyspace the cloud uses.
"""

import datetime

from oslo_config import cfg

from nova_cassandra.cmd import common
from nova_cassandra.experiment import report
from nova_cassandra.experiment import smoke
from nova_cassandra.store import hosts
from nova_cassandra.store import schema
from nova_cassandra.store import session as session_mod

CONF = common.CONF

PRESETS = {'smoke': {'hosts': 200}}

cli_opts = [
    cfg.StrOpt('preset', default='smoke', choices=sorted(PRESETS),
               help='Which experiment to run.'),
    cfg.StrOpt('output-dir', default='experiment-results',
               help='Directory the JSON and PNG results are written to.'),
    cfg.StrOpt('scratch-keyspace', default='nova_cassandra_experiment',
               regex=r'^[A-Za-z][A-Za-z0-9_]{0,47}$',
               help='Keyspace the experiment creates, uses and drops.'),
]


def _run_smoke(preset):
    session = session_mod.connect(CONF.cassandra)
    keyspace = CONF.scratch_keyspace
    try:
        session.execute('DROP KEYSPACE IF EXISTS %s' % keyspace)
        schema.sync(session, keyspace, CONF.cassandra.replication)
        schema.check(session, keyspace)
        result = smoke.run(hosts.HostStore(session, keyspace),
                           preset['hosts'])
        session.execute('DROP KEYSPACE IF EXISTS %s' % keyspace)
    finally:
        session.cluster.shutdown()
    return result


def _run():
    preset = PRESETS[CONF.preset]
    result = _run_smoke(preset)
    result.update(preset=CONF.preset, finished_at=datetime.datetime.now(
        datetime.timezone.utc).isoformat())
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


def main(argv=None):
    CONF.register_cli_opts(cli_opts)
    return common.main('nova-cassandra-experiment', argv, _run)
