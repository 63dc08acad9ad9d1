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

"""``nova-cassandra-manage``: the keyspace's schema and the cluster's status.

  nova-cassandra-manage [--config-file nova.conf] db sync
  nova-cassandra-manage [--config-file nova.conf] db version
  nova-cassandra-manage [--config-file nova.conf] status
  nova-cassandra-manage [--config-file nova.conf] hosts backfill
  nova-cassandra-manage [--config-file nova.conf] mysql sync
  nova-cassandra-manage [--config-file nova.conf] mysql version
  nova-cassandra-manage [--config-file nova.conf] check capacity \
      [--backend cassandra|mysql]
  nova-cassandra-manage [--config-file nova.conf] claims reap --older-than S \
      [--backend cassandra|mysql]
  nova-cassandra-manage patches check|apply|revert [--nova-path PATH] \
      [--project nova|placement]

Options come from nova's configuration files (``[cassandra]``).  Errors are
one line on stderr and a non-zero exit: 1 for a cluster or schema problem
(or, for ``check capacity``, any invariant breach; for ``placement
reconcile``, an allocation it could not write), 2 for bad options.
"""

import datetime

from nova import context as nova_context
from nova import exception as nova_exception
from nova import objects
from nova.scheduler.client import report
from oslo_config import cfg

from nova_cassandra.claims import checker
from nova_cassandra.claims import reconcile
from nova_cassandra.cmd import backfill
from nova_cassandra.cmd import common
from nova_cassandra.cmd import nova_db
from nova_cassandra import exception
from nova_cassandra.patching import operations
from nova_cassandra.patching import series
from nova_cassandra.patching import trees
from nova_cassandra.store import backends
from nova_cassandra.store.cassandra import hosts
from nova_cassandra.store.cassandra import schema
from nova_cassandra.store.cassandra import session as session_mod
from nova_cassandra.store.mysql import database as sql_database
from nova_cassandra.store.mysql import schema as sql_schema

CONF = common.CONF


def _session():
    return session_mod.connect(CONF.cassandra)


def db_sync():
    session = _session()
    applied = schema.sync(session, CONF.cassandra.keyspace,
                          CONF.cassandra.replication)
    if applied:
        print('Applied schema migrations: %s' % ', '.join(map(str, applied)))
    print('Keyspace %s is at schema version %d.'
          % (CONF.cassandra.keyspace, schema.LATEST))


def db_version():
    print(schema.version(_session(), CONF.cassandra.keyspace))


def status():
    session = _session()
    cluster = session.cluster
    local = session.execute(
        'SELECT release_version FROM system.local').one()
    up = sum(1 for host in cluster.metadata.all_hosts() if host.is_up)
    print('Cluster:        %s (Cassandra %s, %d of %d nodes up)' % (
        cluster.metadata.cluster_name, local.release_version, up,
        len(cluster.metadata.all_hosts())))
    keyspace = CONF.cassandra.keyspace
    metadata = cluster.metadata.keyspaces.get(keyspace)
    if metadata is None:
        raise exception.KeyspaceNotFound(keyspace=keyspace)
    print('Keyspace:       %s, replication %s' % (
        keyspace, metadata.replication_strategy.export_for_schema()))
    found = schema.version(session, keyspace)
    print('Schema version: %d (this code: %d)' % (found, schema.LATEST))
    schema.check(session, keyspace)
    store = hosts.HostStore(session, keyspace)
    print('Host rows:      %d' % sum(1 for _ in store.list()))
    heartbeats = store.heartbeats()
    oldest = min(heartbeats.items(), key=lambda item: item[1], default=None)
    print('Heartbeats:     %d compute service(s)%s' % (
        len(heartbeats),
        ', oldest %s at %s UTC' % oldest if oldest else ''))


def hosts_backfill():
    """Create host rows for the compute nodes nova's databases hold."""
    store = backends.CASSANDRA.stores().hosts
    nova_db.configure(CONF)
    created, present = backfill.backfill(nova_context.get_admin_context(),
                                         store)
    print('Created %d host rows; %d nodes already had one.'
          % (created, present))


def mysql_sync():
    database = sql_database.Database(CONF.mysql_store)
    with database.writer() as connection:
        applied = sql_schema.sync(connection, len(database.shards))
    if applied:
        print('Applied MySQL store migrations: %s'
              % ', '.join(map(str, applied)))
    print('MySQL store %s is at schema version %d with %d shards.'
          % (database.url, sql_schema.LATEST, len(database.shards)))


def mysql_version():
    database = sql_database.Database(CONF.mysql_store)
    with database.reader() as connection:
        found, shards = sql_schema.version(connection)
    print('%d (%d shards)' % (found, shards))


def _claim_store():
    return backends.BY_NAME[CONF.category.backend].stores().claims


def check_capacity():
    """List every node over capacity and every consumer claimed twice."""
    usages = list(_claim_store().all_usage())
    offenders = checker.offenders(usages)
    for line in offenders:
        print(line)
    print('%d nodes checked, %d offenders.' % (len(usages), len(offenders)))
    return 1 if offenders else 0


def _store_and_cutoff():
    """The claim store, and its time --older-than seconds ago."""
    if CONF.category.older_than < 0:
        # A cutoff in the future would take in claims just taken.
        raise cfg.Error('--older-than must be 0 or more seconds, not %d'
                        % CONF.category.older_than)
    store = _claim_store()
    # By the store's clock, which stamped the claims: this host's may be off.
    return store, store.now() - datetime.timedelta(
        seconds=CONF.category.older_than)


def claims_reap():
    """Release claims older than --older-than seconds (crashed schedulers)."""
    store, cutoff = _store_and_cutoff()
    reaped = 0
    for usage in store.all_usage():
        for claim in usage.claims:
            if claim.claimed_at < cutoff and store.release(
                    usage.record.node_uuid, claim.consumer_uuid):
                reaped += 1
    print('Released %d claims older than %d seconds.'
          % (reaped, CONF.category.older_than))
    if CONF.category.backend == 'mysql':
        print('Deleted %d expired claims.' % store.delete_expired())


def placement_reconcile():
    """Write the allocations placement misses for the store's live claims."""
    store, cutoff = _store_and_cutoff()
    nova_db.configure(CONF)
    context = nova_context.get_admin_context()
    client = report.report_client_singleton()

    def allocations_of(node):
        response = client.get('/resource_providers/%s/allocations' % node)
        if response.status_code == 404:
            return {}
        if response.status_code != 200:
            raise exception.PlacementUnavailable(
                reason='GET allocations of node %s: HTTP %d %s' % (
                    node, response.status_code, response.text[:200]))
        return {consumer: record['resources'] for consumer, record
                in response.json()['allocations'].items()}

    def owner_of(consumer):
        try:
            spec = objects.RequestSpec.get_by_instance_uuid(context,
                                                            consumer)
        except nova_exception.RequestSpecNotFound:
            return None
        if not spec.obj_attr_is_set('user_id') or not spec.user_id:
            return None
        return spec.project_id, spec.user_id

    result = reconcile.reconcile(store.all_usage(), allocations_of,
                                 owner_of, cutoff, CONF.category.dry_run)
    print('%d nodes, %d live claims.' % (result.nodes, result.claims))
    print('%d claims without an allocation, %d of them younger than %d s '
          "(left to the schedulers): %s%d without an owner in nova's API "
          'database.' % (
              result.missing, result.recent, CONF.category.older_than,
              'dry run, nothing written; ' if CONF.category.dry_run else
              '%d written, %d failed; ' % (result.written, result.failed),
              result.ownerless))
    print('%d allocations on these nodes without a live claim (instances '
          'their computes took over, migrations, other services): left '
          'alone.' % result.unclaimed)
    return 1 if result.failed else 0


# patches sub-commands: (help, function, what is printed when it returns
# True, and when it returns False).
PATCHES_ACTIONS = {
    'check': ('Tell whether the series is applied or applies cleanly.',
              operations.check, 'Patch series applied to %s.',
              'Patch series not applied to %s; it applies cleanly.'),
    'apply': ('Apply the series (idempotent).', operations.apply,
              'Applied the patch series to %s.',
              'Patch series already applied to %s.'),
    'revert': ('Revert the series (idempotent).', operations.revert,
               'Reverted the patch series from %s.',
               'Patch series not applied to %s: nothing to revert.'),
}


def patches():
    """Check, apply or revert the patch series on a nova tree."""
    _, func, if_true, if_false = PATCHES_ACTIONS[CONF.category.action]
    project = CONF.category.project
    tree = trees.find_tree(CONF.category.nova_path, project)
    done = func(tree, series.read_series(project=project))
    print((if_true if done else if_false) % tree.describe())


def _add_backend_argument(parser):
    parser.add_argument('--backend', choices=('cassandra', 'mysql'),
                        default='cassandra',
                        help='The store to read: Cassandra ([cassandra]) or '
                             'the sharded MySQL store ([mysql_store]).')


def add_command_parsers(subparsers):
    db = subparsers.add_parser('db', help='Keyspace schema migrations.')
    actions = db.add_subparsers(dest='action', required=True)
    actions.add_parser(
        'sync', help='Create the keyspace and apply missing migrations.'
    ).set_defaults(func=db_sync)
    actions.add_parser(
        'version', help="Print the keyspace's schema version."
    ).set_defaults(func=db_version)
    subparsers.add_parser(
        'status', help='Cluster, keyspace, schema version and host rows.'
    ).set_defaults(func=status)
    hosts_parser = subparsers.add_parser('hosts', help='Host state rows.')
    actions = hosts_parser.add_subparsers(dest='action', required=True)
    actions.add_parser(
        'backfill', help="Create the rows of the compute nodes in nova's "
                         'cell databases that have none (an existing '
                         'cloud turning nova-cassandra on).'
    ).set_defaults(func=hosts_backfill)
    mysql = subparsers.add_parser(
        'mysql', help='The sharded MySQL store ([mysql_store]).')
    actions = mysql.add_subparsers(dest='action', required=True)
    actions.add_parser(
        'sync', help='Create the tables of [mysql_store] shards and apply '
                     'missing migrations.'
    ).set_defaults(func=mysql_sync)
    actions.add_parser(
        'version', help="Print the store's schema version and shards."
    ).set_defaults(func=mysql_version)
    check = subparsers.add_parser('check', help='Independent checks.')
    actions = check.add_subparsers(dest='action', required=True)
    capacity = actions.add_parser(
        'capacity', help='usage + live claims <= (capacity - reserved) * '
                         'ratio on every node, no consumer on two nodes; '
                         'exit 1 listing offenders.')
    _add_backend_argument(capacity)
    capacity.set_defaults(func=check_capacity)
    claims = subparsers.add_parser('claims', help='Open resource claims.')
    actions = claims.add_subparsers(dest='action', required=True)
    reap = actions.add_parser(
        'reap', help='Release claims older than --older-than seconds, '
                     'before their TTL would.')
    reap.add_argument('--older-than', type=int, required=True,
                      help='Age in seconds; keep it above how long a '
                           'build takes to reach its compute.')
    _add_backend_argument(reap)
    reap.set_defaults(func=claims_reap)
    placement = subparsers.add_parser(
        'placement', help="The store's claims as allocations in placement.")
    actions = placement.add_subparsers(dest='action', required=True)
    reconcile_parser = actions.add_parser(
        'reconcile', help='Write the allocation of every live claim whose '
                          'node has none for its consumer; report, never '
                          'delete, allocations no claim accounts for.')
    reconcile_parser.add_argument(
        '--dry-run', action='store_true',
        help='Count and log what is missing; write nothing.')
    reconcile_parser.add_argument(
        '--older-than', type=int, default=60,
        help='Leave claims younger than this many seconds to the '
             "schedulers' writers (default 60).")
    _add_backend_argument(reconcile_parser)
    reconcile_parser.set_defaults(func=placement_reconcile)
    patches_parser = subparsers.add_parser(
        'patches', help="nova's extension points: the series in patches/.")
    actions = patches_parser.add_subparsers(dest='action', required=True)
    for name, (help_text, _, _, _) in PATCHES_ACTIONS.items():
        action = actions.add_parser(name, help=help_text)
        action.add_argument(
            '--nova-path',
            help='Directory holding the nova (or --project) package: a '
                 "source tree or site-packages (default: this Python's).")
        action.add_argument(
            '--project', choices=sorted(series.PROJECTS),
            default='nova',
            help="The series to use: nova's extension points (patches/) "
                 "or placement's allocation retry fix (patches/placement/).")
        action.set_defaults(func=patches)


category_opt = cfg.SubCommandOpt('category', title='Commands',
                                 handler=add_command_parsers)


def main(argv=None):
    CONF.register_cli_opt(category_opt)
    return common.main('nova-cassandra-manage', argv,
                       lambda: CONF.category.func())
