"""What the scheduler experiment runs: set-ups and presets, as data.

A set-up is a name, the nova.conf overrides that turn it on (for the
schedulers and for the fleet's computes) and the extra services it needs.
It is available when nova knows every option it overrides (the patch
series adds some) and its services answer; otherwise the report lists it
as not available, with the reason.
"""

import dataclasses

from oslo_config import cfg

from nova_cassandra.experiment import cassandra_state


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


def _cassandra(name, placement_allocations, description):
    """The cassandra set-up, mirroring claims to placement as told."""
    return Setup(
        name, description,
        scheduler_conf={
            'scheduler': {'host_manager': 'cassandra',
                          'claims_driver': 'cassandra'},
            'filter_scheduler': {'track_instance_changes': False},
            'cassandra': {'keyspace': cassandra_state.KEYSPACE,
                          'placement_allocations': placement_allocations}},
        compute_conf={
            'compute': {'resource_tracker_hooks': 'cassandra'},
            'filter_scheduler': {'track_instance_changes': False},
            'cassandra': {'keyspace': cassandra_state.KEYSPACE},
            # The host rows are the computes' heartbeat: the audit must
            # publish them more often than service_down_time (60 s), from
            # the start (nova delays periodic tasks by up to 60 s).
            'DEFAULT': {'update_resources_interval': 20,
                        'periodic_fuzzy_delay': 0}},
        services=('cassandra',),
        writes_placement=placement_allocations != 'off')


SETUPS = (
    Setup('stock', 'stock HostManager, claims in placement (MariaDB)'),
    _cassandra('cassandra', 'sync',
               'CassandraHostManager, LWT claims, then placement (sync)'),
    _cassandra('cassandra-async', 'async',
               'CassandraHostManager, LWT claims, placement in background'),
    _cassandra('cassandra-off', 'off',
               'CassandraHostManager, LWT claims, no placement allocations'),
    Setup('mysql', 'stock HostManager, sharded MySQL claims',
          scheduler_conf={'scheduler': {'claims_driver': 'mysql'}}),
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


PRESETS = {
    # For the functional test: a couple of minutes.
    'ci': Preset('ci', hosts=(20,), schedulers=(2,), requests=40,
                 nodes_per_compute=10, concurrency=8),
    'quick': Preset('quick', hosts=(50,), schedulers=(1, 2), requests=300),
    'standard': Preset('standard', hosts=(100, 500),
                       schedulers=(1, 2, 4, 8), requests=1000,
                       nodes_per_compute=50),
}
