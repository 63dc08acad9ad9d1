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

"""One oslo.db engine facade per process on ``[mysql_store] connection``.

Every statement runs in a short transaction the facade opens and commits
(``writer``) or rolls back on error; a lost connection mid-transaction
leaves nothing behind, as the server rolls it back.
"""

import contextlib

from oslo_config import cfg
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
import sqlalchemy as sa

from nova_cassandra import exception
from nova_cassandra.store.mysql import schema

# What a service gets when it cannot use the store right now: no
# connection or database (or a connection lost mid-transaction), a deadlock
# the server broke, a schema it does not know.
UNAVAILABLE = (exception.MySQLUnavailable, db_exc.DBDeadlock,
               exception.MySQLSchemaMismatch)

# The database clock: every expiry is computed and compared by the server,
# so schedulers' clocks need not agree.
NOW = sa.func.utc_timestamp(6)


@enginefacade.transaction_context_provider
class _Context:
    """The scope of one transaction (enginefacade keeps its state here)."""


class Database:
    """The facade on one database and its shards' tables."""

    def __init__(self, conf):
        if not conf.connection:
            raise cfg.RequiredOptError('connection',
                                       cfg.OptGroup('mysql_store'))
        self.url = sa.engine.make_url(conf.connection).render_as_string(
            hide_password=True)
        self.shards = [schema.shard_tables(i) for i in range(conf.shards)]
        self._facade = enginefacade.transaction_context()
        # One connection attempt: services retry themselves, and commands
        # should fail at once with the reason.
        self._facade.configure(
            connection=conf.connection, max_pool_size=conf.max_pool_size,
            max_overflow=conf.max_overflow, max_retries=1, retry_interval=0,
            sqlite_fk=False)

    def shard(self, node_uuid):
        """The tables holding ``node_uuid`` (modulo sharding)."""
        return self.shards[node_uuid.int % len(self.shards)]

    def writer(self):
        """A connection in a transaction, committed when the block ends."""
        return self._transaction(self._facade.writer)

    def reader(self):
        """A connection in a transaction that writes nothing."""
        return self._transaction(self._facade.reader)

    @contextlib.contextmanager
    def _transaction(self, mode):
        """Raises ``MySQLUnavailable`` if the connection fails or is lost."""
        try:
            with mode.connection.using(_Context()) as connection:
                yield connection
        except (db_exc.DBConnectionError,
                db_exc.DBNonExistentDatabase) as e:
            reason = getattr(e.inner_exception, 'orig', e.inner_exception)
            raise exception.MySQLUnavailable(url=self.url, reason=reason)

    def check(self):
        """Fail unless reachable and at the schema version and shards."""
        with self.reader() as connection:
            schema.check(connection, len(self.shards))

    def dispose(self):
        self._facade.dispose_pool()
