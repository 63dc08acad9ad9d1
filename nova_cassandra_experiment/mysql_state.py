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

"""What the ``mysql-N`` set-ups keep in the sharded MySQL store.

The set-ups run in a database of their own on the stack's MariaDB (the
server and account of nova's API database), recreated with the set-up's
shards for each fleet.  Otherwise they are handled as the ``cassandra``
set-up is: pre-fill in the host rows, every table but the schema's
truncated between runs, the independent checker after each run.
"""

import dataclasses
import functools
import types

import sqlalchemy as sa
from sqlalchemy import pool

from nova_cassandra import exception
from nova_cassandra.store.mysql import claims
from nova_cassandra.store.mysql import database as database_mod
from nova_cassandra.store.mysql import hosts
from nova_cassandra.store.mysql import schema
from nova_cassandra_experiment import cassandra_state

DATABASE = 'nova_cassandra_experiment'
# Kept by ``reset``: what says the database is at the schema version.
SCHEMA_TABLES = frozenset(['schema_migrations', 'shards'])


def _server(conf):
    """The URL of the MariaDB server nova's API database is on."""
    return sa.engine.make_url(conf.api_database.connection)


def connection(conf):
    """``[mysql_store] connection`` of the set-ups."""
    return _server(conf).set(database=DATABASE).render_as_string(
        hide_password=False)


def answers(conf):
    """Raise ``MySQLUnavailable`` unless the server takes a connection."""
    engine = sa.create_engine(_server(conf).set(database=''),
                              poolclass=pool.NullPool)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as e:
        raise exception.MySQLUnavailable(
            url=_server(conf).render_as_string(), reason=e.orig)
    finally:
        engine.dispose()


def bind(setup, conf):
    """``setup`` with ``[mysql_store] connection`` set if it uses MySQL."""
    if 'mysql' not in setup.services:
        return setup
    url = {'connection': connection(conf)}

    def with_url(overrides):
        return dict(overrides, mysql_store=dict(overrides['mysql_store'],
                                                **url))
    return dataclasses.replace(setup,
                               scheduler_conf=with_url(setup.scheduler_conf),
                               compute_conf=with_url(setup.compute_conf))


def claim_store(options):
    """A ``ClaimStore`` on a facade of its own (in a racing process)."""
    return claims.ClaimStore(database_mod.Database(options))


class MySQLState(cassandra_state.CassandraState):
    """The experiment's view of the set-up's database."""

    def __init__(self, conf, setup):
        self._server = _server(conf)
        self._options = types.SimpleNamespace(
            connection=connection(conf),
            shards=setup.scheduler_conf['mysql_store']['shards'],
            max_pool_size=conf.mysql_store.max_pool_size,
            max_overflow=conf.mysql_store.max_overflow)
        self._database = None
        self._hosts = None
        self._claims = None

    def recreate(self):
        """An empty database at the schema version, before a fleet starts."""
        admin = sa.create_engine(self._server.set(database=''),
                                 poolclass=pool.NullPool)
        try:
            with admin.begin() as connection:
                connection.execute(sa.text('DROP DATABASE IF EXISTS %s'
                                           % DATABASE))
                connection.execute(sa.text('CREATE DATABASE %s' % DATABASE))
        finally:
            admin.dispose()
        self._database = database_mod.Database(self._options)
        with self._database.writer() as connection:
            schema.sync(connection, self._options.shards)
        self._hosts = hosts.HostStore(self._database)
        self._claims = claims.ClaimStore(self._database)

    def empty(self):
        """Empty every table but the schema's."""
        with self._database.writer() as connection:
            tables = sa.inspect(connection).get_table_names()
            for table in sorted(set(tables) - SCHEMA_TABLES):
                connection.execute(sa.text('TRUNCATE TABLE %s' % table))

    def store_factory(self):
        """A picklable callable making a ``ClaimStore`` of the database."""
        return functools.partial(claim_store, self._options)

    def close(self):
        if self._database is not None:
            self._database.dispose()
