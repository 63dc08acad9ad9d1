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

The claims driver, the host manager, the compute hook and the heartbeat
are each one class written against a ``Backend``; ``bind`` makes the
subclass the entry point of each store's name loads.  ``per_process``
keeps what a process holds once: its stores (``Backend.stores``) and its
host views.
"""

import dataclasses
import os
import threading
import typing

from nova_cassandra import conf as nc_conf
from nova_cassandra.store import cassandra
from nova_cassandra.store.cassandra import session as cassandra_session
from nova_cassandra.store import mysql
from nova_cassandra.store.mysql import database as mysql_database

CONF = nc_conf.CONF


@dataclasses.dataclass(frozen=True)
class Backend:
    # The entry point name, also used in messages.
    name: str
    # The store's name in the names of the classes bound to it.
    title: str
    # Option group holding the store's connection, claim, host view and
    # host state options.
    group: str
    # What a store call raises when the store cannot answer right now.
    unavailable: tuple
    # Opens ``base.Stores`` on the store the option group names.
    open_stores: typing.Callable

    def stores(self):
        """This process's ``base.Stores`` on this store, opened on first use.

        Raises one of ``unavailable`` when the store cannot be reached or
        its schema is not this code's; the next call tries again.
        """
        return per_process(('stores', self.name),
                           lambda: self.open_stores(CONF[self.group]))


CASSANDRA = Backend('cassandra', 'Cassandra', 'cassandra',
                    cassandra_session.UNAVAILABLE, cassandra.open_stores)
MYSQL = Backend('mysql', 'MySQL', 'mysql_store', mysql_database.UNAVAILABLE,
                mysql.open_stores)

BY_NAME = {backend.name: backend for backend in (CASSANDRA, MYSQL)}


def bind(cls, backend):
    """``cls`` on ``backend``'s store: the class that entry point loads.

    stevedore makes the object an entry point names by calling it without
    arguments, so the store cannot be passed in: the entry point of each
    store's name names a subclass whose ``backend`` is that store, named
    after it (``bind(StoreClaims, CASSANDRA)`` is ``CassandraClaims``) and
    adding nothing else.
    """
    name = backend.title + cls.__name__.removeprefix('Store')
    return type(cls)(name, (cls,), {
        'backend': backend,
        '__module__': cls.__module__,
        '__doc__': '%s on the %s store.' % (cls.__name__, backend.name),
    })


_PER_PROCESS = {}
_PER_PROCESS_LOCK = threading.RLock()


def per_process(key, make):
    """What ``make()`` returned for ``key`` in this process, made once.

    A forked child (nova services fork their workers after loading their
    plugins) makes its own: a parent's connections and threads do not
    survive a fork.  When ``make`` raises, nothing is kept.
    """
    key = (key, os.getpid())
    with _PER_PROCESS_LOCK:
        if key not in _PER_PROCESS:
            _PER_PROCESS[key] = make()
        return _PER_PROCESS[key]
