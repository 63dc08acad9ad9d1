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

"""What the scheduler experiment runs: set-ups and presets, as data.

A set-up is a name, the nova.conf overrides that turn it on (for the
schedulers and for the fleet's computes) and the extra services it needs.
It is available when nova knows every option it overrides (the patch
series adds some) and its services answer; otherwise the report lists it
as not available, with the reason.
"""

import dataclasses
import typing

from oslo_config import cfg

from nova_cassandra.conf import cassandra as cassandra_conf
from nova_cassandra.store import backends
from nova_cassandra_experiment import cassandra_state


@dataclasses.dataclass(frozen=True)
class Setup:
    name: str
    description: str
    # {group: {option: value}} for the nova-scheduler processes.
    scheduler_conf: dict = dataclasses.field(default_factory=dict)
    # {group: {option: value}} for the fleet's nova-compute processes.
    compute_conf: dict = dataclasses.field(default_factory=dict)
    # Names of services beyond the stock stack, see runner.SERVICE_CHECKS.
    services: tuple = ()
    # Whether placement gets the instances' allocations (checked if so).
    writes_placement: bool = True
    # {group: {option: value}} over the stack's placement.conf: if any, the
    # set-up's services use a placement of their own (``placement_api``).
    placement_conf: dict = dataclasses.field(default_factory=dict)
    # Whether that placement of its own has patches/placement/ applied.
    placement_patched: bool = False

    def unknown_options(self, conf):
        """``[group] option`` names ``conf`` (nova's CONF) does not know."""
        unknown = []
        for overrides in (self.scheduler_conf, self.compute_conf):
            for group, options in sorted(overrides.items()):
                for option in sorted(options):
                    try:
                        if group == 'DEFAULT':
                            conf[option]
                        else:
                            conf[group][option]
                    except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
                        unknown.append('[%s] %s' % (group, option))
        return unknown


def on_patched_placement(setup):
    """``setup`` on a placement of its own patched with patches/placement/.

    ``stock`` on it is what ``stock-fixed`` is.
    """
    if setup.placement_patched:
        return setup
    return dataclasses.replace(
        setup, placement_patched=True,
        description=setup.description + '; placement patched')


# Seconds; longer than any preset's run (``Preset.run_timeout``).
CLAIM_TTL = 3600
# The most candidates the plugin's claims driver hands nova per request
# by default (``[cassandra] max_candidates``); ``stock-tuned`` asks
# placement for as many.
MAX_CANDIDATES = {opt.dest: opt.default for opt in
                  cassandra_conf.scheduler_opts}['max_candidates']


def _plugin(name, backend, store_conf, placement_allocations,
            description):
    """nova-cassandra's host manager, claims and hook on ``backend``.

    ``store_conf``: the backend's options (its group) for every process;
    claims are mirrored to placement as ``placement_allocations`` says.
    """
    group = backends.BY_NAME[backend].group
    return Setup(
        name, description,
        scheduler_conf={
            'scheduler': {'host_manager': backend,
                          'claims_driver': backend},
            'filter_scheduler': {'track_instance_changes': False},
            # The fleet never builds what is placed, so no compute takes
            # a claim over: the stream's claims must outlive the longest
            # run, or the store frees room placement still holds.
            group: dict(store_conf, claim_ttl=CLAIM_TTL,
                        placement_allocations=placement_allocations)},
        compute_conf={
            'compute': {'resource_tracker_hooks': backend},
            'filter_scheduler': {'track_instance_changes': False},
            # The audits (``fleet.AUDIT_INTERVAL``, as for every set-up)
            # publish what changed, and every node when the fleet asks.
            group: dict(store_conf),
            # Each report to the service group is the compute's heartbeat
            # in the store.
            'DEFAULT': {'servicegroup_report_hooks': backend}},
        services=(backend,),
        writes_placement=placement_allocations != 'off')


def _cassandra(name, placement_allocations, description):
    """The cassandra set-up, mirroring claims to placement as told."""
    return _plugin(name, 'cassandra', {'keyspace': cassandra_state.KEYSPACE},
                   placement_allocations, description)


def _mysql(shards):
    """The sharded MySQL store with ``shards`` shards, placement in sync.

    The runner adds ``[mysql_store] connection`` (see ``mysql_state``).
    """
    return _plugin('mysql-%d' % shards, 'mysql', {'shards': shards}, 'sync',
                   'MySQLHostManager, sharded MySQL claims (shards=%d), '
                   'then placement (sync)' % shards)


SETUPS = (
    Setup('stock', 'stock HostManager, claims in placement (MariaDB)'),
    # What a careful deployer does to stock before switching: fewer
    # candidates to weigh, drawn at random so that concurrent requests
    # spread, and placement hands a generation conflict back to the
    # scheduler (which retries with back-off) after one retry of its own
    # instead of ten.
    Setup('stock-tuned',
          'stock, at most %d placement candidates drawn at random, '
          'placement retrying a generation conflict once' % MAX_CANDIDATES,
          scheduler_conf={'scheduler': {
              'max_placement_results': MAX_CANDIDATES}},
          placement_conf={'placement': {
              'allocation_conflict_retry_count': 1,
              'randomize_allocation_candidates': True}}),
    # Stock with placement's allocation retry fixed (patches/placement/).
    Setup('stock-fixed', 'stock, placement patched: each allocation retry '
          'in a transaction of its own', placement_patched=True),
    _cassandra('cassandra', 'sync',
               'CassandraHostManager, LWT claims, then placement (sync)'),
    _cassandra('cassandra-async', 'async',
               'CassandraHostManager, LWT claims, placement in background'),
    _cassandra('cassandra-off', 'off',
               'CassandraHostManager, LWT claims, no placement allocations'),
    _mysql(1),
    _mysql(4),
)


@dataclasses.dataclass(frozen=True)
class Preset:
    name: str
    hosts: tuple
    schedulers: tuple
    requests: int
    # Fleet nodes per nova-compute service.
    nodes_per_compute: int = 25
    # Requests in flight at once, the same for every K.
    concurrency: int = 16
    seed: int = 2015
    # Share of capacity in use once every request that fits has landed.
    target_fill: float = 0.95
    # Share of requests for a flavor no host can hold (true NoValidHost).
    oversized: float = 0.05
    # Seconds one (set-up, K) run may take before it is abandoned.
    run_timeout: int = 600
    # Servers booted and deleted through nova-api per set-up after its
    # runs (``end_to_end``); 0 for none.
    end_to_end_servers: int = 20
    # A synthetic fleet changing each node every so many seconds (0: never;
    # ``synthetic_fleet``); None: nova-compute services.
    churn_interval: typing.Optional[int] = None
    # Send the stream once at the first K before the measured runs, and
    # count nothing of it: every measured run then starts with the
    # services' processes, the store's JVM and the databases' caches warm,
    # not only those after the first.
    warm_up_pass: bool = False


PRESETS = {
    # In CI (tests/functional/test_experiment.py): about 7 minutes for
    # stock, stock-tuned and cassandra on 2 cores.
    'smoke': Preset('smoke', hosts=(50,), schedulers=(2,), requests=60,
                    concurrency=8),
    'quick': Preset('quick', hosts=(50,), schedulers=(1, 2), requests=300),
    'standard': Preset('standard', hosts=(100, 500),
                       schedulers=(1, 2, 4, 8), requests=500,
                       nodes_per_compute=50, warm_up_pass=True),
    'full': Preset('full', hosts=(100, 500, 1000),
                   schedulers=(1, 2, 4, 8), requests=500,
                   nodes_per_compute=50, warm_up_pass=True),
    # Fleets two cores cannot run as nova-compute services: one process
    # writes their records, each node changes every 10 minutes.
    'scale': Preset('scale', hosts=(100, 1000, 5000, 10000),
                    schedulers=(1, 4), requests=500, nodes_per_compute=50,
                    end_to_end_servers=0, churn_interval=600,
                    warm_up_pass=True),
    # A run long enough to break things in (tests/functional_ring's
    # broker restart); a request lost with the broker fails in 90 s.
    'faults': Preset('faults', hosts=(20,), schedulers=(2,), requests=200,
                     nodes_per_compute=10, concurrency=4, run_timeout=90,
                     end_to_end_servers=0),
}
