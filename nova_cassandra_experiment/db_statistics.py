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

"""Table statistics of what a fleet wrote, recounted once it is written.

MariaDB plans a query from InnoDB's persistent statistics of its tables,
which it recounts in the background once a tenth of a table has changed.
A fleet and its pre-fill, written within a minute, can leave a table
counted as it was before: placement's ``GET
/resource_providers/{uuid}/allocations`` was then planned as a scan of
every consumer of the fill's project (40,000 at 10,000 hosts, ~100 ms a
call where it takes ~5 with the statistics recounted), and any query of
any set-up may be planned as badly.  A deployer's databases hold
statistics of the data in them: ``recount`` runs ``ANALYZE TABLE`` on the
tables a fleet fills, for every set-up alike.
"""

import configparser

import sqlalchemy as sa
from sqlalchemy import pool

from nova_cassandra_experiment import placement_api

# The tables a fleet and its pre-fill write, in nova's cell database and in
# placement's.
NOVA_TABLES = ('compute_nodes', 'services')
PLACEMENT_TABLES = ('resource_providers', 'inventories', 'consumers',
                    'allocations')


def databases(conf):
    """``[(SQLAlchemy URL, tables)]`` of nova's cell database and placement's.

    ``conf``: nova's configuration; placement's database is the one the
    stack's placement.conf names.
    """
    placement = configparser.ConfigParser(interpolation=None)
    placement.read(placement_api.stack_conf(conf.config_file))
    return [(conf.database.connection, NOVA_TABLES),
            (placement['placement_database']['connection'],
             PLACEMENT_TABLES)]


class RecountFailed(Exception):
    """MariaDB did not analyze some of the tables."""


def recount(conf):
    """``ANALYZE TABLE`` the tables of ``databases(conf)``.

    Returns ``{database.table: status}``; raises ``RecountFailed`` naming
    each table MariaDB could not analyze and why.
    """
    statuses, errors = {}, []
    for url, tables in databases(conf):
        engine = sa.create_engine(url, poolclass=pool.NullPool)
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    sa.text('ANALYZE TABLE ' + ', '.join(tables))).fetchall()
        finally:
            engine.dispose()
        for table, _, kind, text in rows:
            if kind == 'status':
                statuses[table] = text
            elif kind == 'Error':
                errors.append('%s: %s' % (table, text))
    if errors:
        raise RecountFailed('; '.join(errors))
    return statuses
