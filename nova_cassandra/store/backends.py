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

"""The stores host state and claims can live in, for the entry points.

The claims driver, the compute hook and the host manager are written once
against a ``Backend``; their ``cassandra`` and ``mysql`` entry points bind
the same classes to one or the other.
"""

import dataclasses
import types

from nova_cassandra.store.cassandra import claims as claims_store
from nova_cassandra.store.cassandra import hosts as hosts_store
from nova_cassandra.store.cassandra import session as session_mod
from nova_cassandra.store.mysql import claims as sql_claims
from nova_cassandra.store.mysql import database as sql_database
from nova_cassandra.store.mysql import hosts as sql_hosts


@dataclasses.dataclass(frozen=True)
class Backend:
    # The entry point name, also used in messages.
    name: str
    # Modules whose get_store() returns this process's HostStore and
    # ClaimStore (looked up at each call, so tests may replace them).
    hosts: types.ModuleType
    claims: types.ModuleType
    # What a store call raises when the store cannot answer right now.
    unavailable: tuple
    # Option group holding claim_ttl and placement_allocations.
    group: str


CASSANDRA = Backend('cassandra', hosts_store, claims_store,
                    session_mod.UNAVAILABLE, 'cassandra')
MYSQL = Backend('mysql', sql_hosts, sql_claims, sql_database.UNAVAILABLE,
                'mysql_store')

BY_NAME = {backend.name: backend for backend in (CASSANDRA, MYSQL)}
