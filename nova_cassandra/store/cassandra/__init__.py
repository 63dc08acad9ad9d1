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

"""The Cassandra store of host state and claims: everything that speaks CQL.

One ``Session`` per process (``session``), the keyspace's migrations
(``schema``), and the statements of ``hosts``, ``claims`` and ``changes``,
each prepared once.
"""

from nova_cassandra.store import base
from nova_cassandra.store.cassandra import claims
from nova_cassandra.store.cassandra import hosts
from nova_cassandra.store.cassandra import schema
from nova_cassandra.store.cassandra import session as session_mod


def open_stores(conf):
    """``base.Stores`` on the keyspace ``conf`` (``CONF.cassandra``) names.

    They share one session.  Its schema version is checked first, so a
    service never reads or writes rows of a schema it does not know.
    Raises ``CassandraUnavailable``, ``KeyspaceNotFound`` or
    ``SchemaVersionMismatch``.
    """
    session = session_mod.connect(conf)
    try:
        schema.check(session, conf.keyspace)
    except Exception:
        session.cluster.shutdown()
        raise
    return base.Stores(hosts.HostStore(session, conf.keyspace),
                       claims.ClaimStore(session, conf.keyspace),
                       session.cluster.shutdown)
