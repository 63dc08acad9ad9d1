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

"""The ``[cassandra]`` options: where the cluster is, how to talk to it."""

from oslo_config import cfg
from oslo_config import types

CONSISTENCY_LEVELS = ('ANY', 'ONE', 'TWO', 'THREE', 'QUORUM', 'ALL',
                      'LOCAL_QUORUM', 'EACH_QUORUM', 'LOCAL_ONE')
SERIAL_CONSISTENCY_LEVELS = ('SERIAL', 'LOCAL_SERIAL')

cassandra_group = cfg.OptGroup(
    'cassandra',
    title='Cassandra options',
    help="""
Where the Apache Cassandra cluster that holds compute host state and
resource claims lives, and the consistency levels used to read and write it.
""")

connection_opts = [
    cfg.ListOpt('contact_points',
        default=['127.0.0.1'],
        item_type=types.HostAddress(),
        help="""
Addresses of Cassandra nodes the driver first connects to. The driver learns
the rest of the ring from them; list two or three per datacenter so that a
single node being down does not stop a service from starting.
"""),
    cfg.PortOpt('port',
        default=9042,
        help='CQL native transport port of the Cassandra nodes.'),
    cfg.StrOpt('local_datacenter',
        help="""
Datacenter whose nodes are preferred (and whose replicas LOCAL_* consistency
levels count). Unset means the datacenter of the first contact point.
"""),
    cfg.FloatOpt('connect_timeout',
        default=5.0,
        min=0.1,
        help='Seconds to wait for a connection to a Cassandra node.'),
    cfg.FloatOpt('request_timeout',
        default=5.0,
        min=0.1,
        help="""
Seconds a single CQL request may take before the client gives up. Keep it
above the server's write_request_timeout so a lightweight transaction's
outcome is reported by the server rather than guessed by the client.
"""),
]

schema_opts = [
    cfg.StrOpt('keyspace',
        default='nova_cassandra',
        regex=r'^[A-Za-z][A-Za-z0-9_]{0,47}$',
        help="""
Keyspace holding nova-cassandra's tables. Letters, digits and underscores,
at most 48 characters.
"""),
    cfg.DictOpt('replication',
        default={'class': 'SimpleStrategy', 'replication_factor': '1'},
        help="""
Replication of the keyspace, used when ``nova-cassandra-manage db sync``
creates it, e.g. ``class:NetworkTopologyStrategy,dc1:3``. Use a replication
factor of 3 in production: claims need a quorum of replicas.
"""),
]

consistency_opts = [
    cfg.StrOpt('read_consistency',
        default='LOCAL_ONE',
        choices=CONSISTENCY_LEVELS,
        help="""
Consistency level of host state reads made for filtering and weighing.
A fast level is safe: a claim re-checks the host under a lightweight
transaction before it takes resources.
"""),
    cfg.StrOpt('write_consistency',
        default='QUORUM',
        choices=CONSISTENCY_LEVELS,
        help="""
Consistency level of the commit phase of writes (host state and claims).
"""),
    cfg.StrOpt('serial_consistency',
        default='SERIAL',
        choices=SERIAL_CONSISTENCY_LEVELS,
        help="""
Consistency level of the Paxos phase of lightweight transactions. SERIAL is
linearizable across datacenters; LOCAL_SERIAL only within the local one.
"""),
]

claim_opts = [
    cfg.IntOpt('claim_ttl',
        default=300,
        min=10,
        max=86400,
        help="""
Seconds a resource claim made by a scheduler lives unless the compute host
takes it over. Claims left by a crashed scheduler or a failed build stop
counting against the host after this long. Keep it above the time a build
takes to reach the compute's resource claim, and at most a day.
"""),
    cfg.StrOpt('placement_allocations',
        default='sync',
        choices=(
            ('sync', 'write the allocation to placement before answering '
                     'the request; a refusal there releases the claim'),
            ('async', 'write the allocation to placement in the '
                      'background'),
            ('off', 'never write allocations to placement'),
        ),
        help="""
Whether the ``cassandra`` claims driver also writes each claim to placement
as the instance's allocation. The rest of nova (quotas counted from
placement, move operations, usage reports) reads allocations from placement:
``off`` leaves placement without them, so those see free hosts as empty.
With ``async`` the request is answered before placement has the
allocation: a refusal by placement (a consumer generation conflict, a
destination placement will not allocate) no longer fails the boot or the
move, and a compute that reads the allocation when it claims (evacuation,
resources placement assigns) may find none yet.
"""),
]

scheduler_opts = [
    cfg.IntOpt('max_candidates',
        default=10,
        min=1,
        help="""
Most nodes the claims driver hands nova's filters and weighers per request,
as ``[scheduler] max_placement_results`` bounds placement's answer. They
are drawn at random among the nodes the request fits, so concurrent
requests spread; when the filters leave none of them, the scheduler takes
the next ones, so a request is refused only when no node passes. The
scheduler's CPU per request grows with it (a host state, the filters and
the weighers per candidate); the weighers' choice is the best of the
sample, so a larger value packs or spreads closer to what weighing every
node would.
"""),
    cfg.IntOpt('host_view_reload_interval',
        default=300,
        min=1,
        help="""
Seconds between full reads of every node by a scheduler. In between, a
scheduler reads only the nodes the store's changes log names. The full read
bounds how long a change whose log entry was lost (a writer that died
between its write and the entry, a clock off by more than a few seconds)
stays unseen.
"""),
    cfg.IntOpt('gc_young_threshold',
        default=50000,
        min=0,
        help="""
Allocations (less deallocations) of container objects between two
collections of the youngest generation by nova-scheduler's Python garbage
collector (the first of ``gc.set_threshold()``'s thresholds), set when the
host manager starts. The objects a request is using when a collection runs
survive it and move to an older generation; a larger value lets more of
them die young, so fewer reach the oldest generation, whose collections
scan every object of the process, and those come less often. 0 leaves the
interpreter's (700).
"""),
]

compute_opts = [
    cfg.IntOpt('host_state_republish_interval',
        default=600,
        min=0,
        help="""
Seconds after which nova-compute writes a node's host state to the store
again although it did not change. Every change is written at once; an
unchanged state found by the periodic resource audit is not, as nova saves
a compute node only when it changed. Writing it again now and then brings
back a node row lost from the store (a restored backup, a row deleted by
hand) without waiting for a change. 0 writes it at every audit.
"""),
]

ALL_OPTS = (connection_opts + schema_opts + consistency_opts + claim_opts
            + scheduler_opts + compute_opts)


def register_opts(conf):
    conf.register_group(cassandra_group)
    conf.register_opts(ALL_OPTS, group=cassandra_group)


def standalone(**overrides):
    """A ``ConfigOpts`` of its own, ``[cassandra]`` set to ``overrides``.

    For processes that connect without nova's configuration files (racing
    claim processes, tests).  The group is registered afresh: an
    ``OptGroup`` object keeps the overrides of every ``ConfigOpts`` it is
    registered in, so sharing ``cassandra_group`` would leak them.
    """
    conf = cfg.ConfigOpts()
    conf.register_group(cfg.OptGroup(cassandra_group.name,
                                     title=cassandra_group.title))
    register_opts(conf)
    conf([], project='nova-cassandra', default_config_files=[])
    for name, value in overrides.items():
        conf.set_override(name, value, cassandra_group.name)
    return conf


def list_opts():
    return {cassandra_group: ALL_OPTS}
