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

"""The ``[mysql_store]`` options: the sharded MySQL/MariaDB store.

The ``mysql`` host manager, claims driver and resource tracker hook keep
host state and claims in these tables instead of Cassandra.
"""

from oslo_config import cfg

from nova_cassandra.conf import cassandra

mysql_store_group = cfg.OptGroup(
    'mysql_store',
    title='Sharded MySQL store options',
    help="""
Where the ``mysql`` back-end keeps compute host state and resource claims:
a MySQL or MariaDB database whose per-node rows are spread over ``shards``
pairs of tables by node UUID.
""")

store_opts = [
    cfg.StrOpt('connection',
        secret=True,
        help="""
SQLAlchemy URL of the database, e.g.
``mysql+pymysql://nova:secret@db.example.org/nova_cassandra?charset=utf8mb4``.
Required by the ``mysql`` host manager, claims driver and hook, and by
``nova-cassandra-manage mysql``.
"""),
    cfg.IntOpt('shards',
        default=1,
        min=1,
        max=256,
        help="""
Number of table pairs (host state, claims) nodes are spread over, by node
UUID modulo this number. More shards mean smaller tables and indexes for
concurrent claims to contend on. Fixed when ``nova-cassandra-manage mysql
sync`` first creates the tables: services refuse to start on a database
synced with another number.
"""),
    cfg.IntOpt('max_pool_size',
        default=5,
        min=1,
        help='Connections each process keeps open to the database.'),
    cfg.IntOpt('max_overflow',
        default=20,
        min=0,
        help='Connections a process may open beyond max_pool_size.'),
]

# The claim, scheduler and compute options mean the same for both stores.
ALL_OPTS = (store_opts + cassandra.claim_opts
            + cassandra.scheduler_opts + cassandra.compute_opts)


def register_opts(conf):
    conf.register_group(mysql_store_group)
    conf.register_opts(ALL_OPTS, group=mysql_store_group)


def list_opts():
    return {mysql_store_group: ALL_OPTS}
