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

import configparser
import os
from unittest import mock

from oslo_utils import importutils
import testtools

from nova_cassandra.claims import driver as claims_driver
from nova_cassandra import exception
from nova_cassandra.store import backends
from nova_cassandra.store import cassandra
from nova_cassandra.store import mysql

SETUP_CFG = os.path.join(os.path.dirname(__file__), '..', '..', '..',
                         'setup.cfg')
NAMESPACES = ('nova.scheduler.host_manager',
              'nova.compute.resource_tracker.hooks',
              'nova.servicegroup.report_hooks', 'nova.scheduler.claims')


class TestEntryPoints(testtools.TestCase):

    def test_each_entry_point_loads_the_store_of_its_name(self):
        parser = configparser.ConfigParser()
        parser.read(SETUP_CFG)
        for namespace in NAMESPACES:
            lines = parser['entry_points'][namespace].strip().splitlines()
            loaded = {}
            for line in lines:
                name, target = (part.strip() for part in line.split('='))
                cls = importutils.import_class(target.replace(':', '.'))
                self.assertIs(backends.BY_NAME[name], cls.backend, target)
                loaded[name] = cls
            # One class written once, bound to each store.
            self.assertEqual({'cassandra', 'mysql'}, set(loaded))
            self.assertIs(loaded['cassandra'].__base__,
                          loaded['mysql'].__base__)
            self.assertIsNone(loaded['cassandra'].__base__.backend)

    def test_bound_classes_are_named_after_their_store(self):
        self.assertEqual('CassandraClaims',
                         claims_driver.CassandraClaims.__name__)
        self.assertEqual('MySQLClaims', claims_driver.MySQLClaims.__name__)
        self.assertFalse(issubclass(claims_driver.MySQLClaims,
                                    claims_driver.CassandraClaims))


class TestPerProcess(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.patch(backends, '_PER_PROCESS', {})

    def test_made_once_per_key(self):
        make = mock.Mock(side_effect=lambda: object())
        first = backends.per_process('a', make)
        self.assertIs(first, backends.per_process('a', make))
        self.assertIsNot(first, backends.per_process('b', make))
        self.assertEqual(2, make.call_count)

    def test_a_forked_child_makes_its_own(self):
        parent = backends.per_process('a', object)
        with mock.patch.object(os, 'getpid', return_value=os.getpid() + 1):
            child = backends.per_process('a', object)
        self.assertIsNot(parent, child)
        self.assertIs(parent, backends.per_process('a', object))

    def test_a_failure_is_not_kept(self):
        make = mock.Mock(side_effect=[OSError('down'), 'made'])
        self.assertRaises(OSError, backends.per_process, 'a', make)
        self.assertEqual('made', backends.per_process('a', make))

    def test_stores_open_on_the_backends_option_group(self):
        opened = mock.Mock()
        backend = backends.Backend('x', 'X', 'mysql_store', (OSError,),
                                   opened)
        self.assertIs(opened.return_value, backend.stores())
        self.assertIs(opened.return_value, backend.stores())
        opened.assert_called_once_with(backends.CONF.mysql_store)


class TestOpenStores(testtools.TestCase):
    """A store whose schema is refused is closed, not left open."""

    def test_cassandra_session_is_shut_down(self):
        session = mock.Mock()
        self.patch(cassandra.session_mod, 'connect', lambda conf: session)
        self.patch(cassandra.schema, 'check', mock.Mock(
            side_effect=exception.KeyspaceNotFound(keyspace='ks')))
        self.assertRaises(exception.KeyspaceNotFound, cassandra.open_stores,
                          mock.Mock(keyspace='ks'))
        session.cluster.shutdown.assert_called_once_with()

    def test_mysql_pool_is_disposed(self):
        database = mock.Mock()
        database.check.side_effect = exception.MySQLUnavailable(
            url='db', reason='down')
        self.patch(mysql.database_mod, 'Database', lambda conf: database)
        self.assertRaises(exception.MySQLUnavailable, mysql.open_stores,
                          mock.Mock())
        database.dispose.assert_called_once_with()

    def test_both_stores_share_what_they_opened(self):
        database = mock.Mock(shards=[])
        self.patch(mysql.database_mod, 'Database', lambda conf: database)
        stores = mysql.open_stores(mock.Mock())
        self.assertIs(database, stores.hosts.database)
        self.assertIs(database, stores.claims.database)
        stores.close()
        database.dispose.assert_called_once_with()
