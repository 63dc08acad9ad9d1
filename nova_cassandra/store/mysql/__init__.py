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

"""The sharded MySQL/MariaDB store of host state and claims.

``hosts.HostStore`` and ``claims.ClaimStore`` implement ``store.base`` as
their Cassandra namesakes do, so the claims driver, the compute hook and
the host manager run unchanged on either.  Nothing outside this package
builds SQL.
"""

from nova_cassandra.store import base
from nova_cassandra.store.mysql import claims
from nova_cassandra.store.mysql import database as database_mod
from nova_cassandra.store.mysql import hosts


def open_stores(conf):
    """``base.Stores`` on the database ``conf`` (``CONF.mysql_store``) names.

    They share one engine facade.  The schema version and number of shards
    are checked first.  Raises ``MySQLUnavailable`` or
    ``MySQLSchemaMismatch``.
    """
    database = database_mod.Database(conf)
    try:
        database.check()
    except Exception:
        database.dispose()
        raise
    return base.Stores(hosts.HostStore(database), claims.ClaimStore(database),
                       database.dispose)
