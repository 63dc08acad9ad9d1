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

"""nova's own functional tests, unchanged, with nova-cassandra switched on.

Loads the nova functional test modules in ``MODULES`` from the installed
(patched) nova and, before the first service of each test starts, switches
the plugin on as a deployer does: an empty keyspace (the test process's,
truncated) or a MySQL database of the test's own on the stack's store,
then::

    [scheduler] host_manager = <store>
    [scheduler] claims_driver = <store>
    [compute] resource_tracker_hooks = <store>
    [DEFAULT] servicegroup_report_hooks = <store>

``NC_NOVA_FUNCTIONAL_STORE`` names the store: ``cassandra`` (default) or
``mysql``; ``stock`` runs the same tests on stock nova, for comparison.
With the plugin on, tests named in ``expected-failures.txt`` beside this
file must fail (a pass is reported as an unexpected success, so the list
cannot go stale); each line there gives the reason.  A compute, once
started, is given to the test when its host row is written, as stock's
compute node is in the database once the service has started.
"""

# First, as in nova's own functional tests: nova.tests.functional applies
# eventlet's monkey patching, which must come before oslo.db and
# oslo.context are imported, or their per-thread state (a context's
# transaction, the current request context) is shared by every greenthread
# and a writer meets another greenthread's open reader.
import nova.tests.functional  # noqa: F401,H306

import functools
import os

from eventlet import corolocal
from nova import test as nova_test
from oslo_db.sqlalchemy import enginefacade
import testtools

from nova_cassandra.compute import publisher
from nova_cassandra.store import backends
from tests.functional import base

MODULES = (
    'test_availability_zones',
    'test_aggregates',
    'test_server_group',
    'test_scheduler',
    'test_servers',
    'test_cold_migrate',
    'test_servers_resource_request',
    'test_boot_from_volume',
    'test_instance_actions',
    'test_service',
)

STORE = os.environ.get('NC_NOVA_FUNCTIONAL_STORE', 'cassandra')
# Seconds a started compute's first host row may take to be written.
PUBLISH_TIMEOUT = 10
EXPECTED_FAILURES = os.path.join(os.path.dirname(__file__),
                                 'expected-failures.txt')

if not issubclass(enginefacade._TransactionContextTLocal, corolocal.local):
    raise ImportError('oslo.db was imported before eventlet monkey patched '
                      'threading: import nova.tests.functional first')


def expected_failures(path=EXPECTED_FAILURES):
    """``{test id: reason}`` from ``path`` ("id  # reason" per line)."""
    found = {}
    with open(path) as lines:
        for line in lines:
            if line.startswith('#'):
                continue
            test_id, _, reason = line.partition('#')
            if test_id.strip():
                found[test_id.strip()] = reason.strip()
    return found


def _cassandra_store(test):
    keyspace = test.useFixture(base.ProcessKeyspace())
    test.useFixture(base.ProcessStores())
    test.flags(keyspace=keyspace.keyspace, group='cassandra')


def _mysql_store(test):
    # Imported here: it is a test module of the other functional tests.
    from tests.functional import test_mysql_store
    database = test.useFixture(test_mysql_store.MySQLDatabase())
    test.useFixture(base.ProcessStores())
    test.flags(connection=database.url, group='mysql_store')


_STORES = {'cassandra': _cassandra_store, 'mysql': _mysql_store}


def switch_on(test, store=STORE):
    """Give ``test`` a store of its own and point nova's services at it."""
    _STORES[store](test)
    # What the computes had not written yet must not reach the next
    # test's store.
    test.addCleanup(publisher.stop_all, 10)
    test.flags(host_manager=store, claims_driver=store, group='scheduler')
    test.flags(resource_tracker_hooks=[store], group='compute')
    test.flags(servicegroup_report_hooks=[store])


def _start_service_with_plugin(start_service):
    @functools.wraps(start_service)
    def wrapper(self, *args, **kwargs):
        if not getattr(self, '_nova_cassandra_on', False):
            self._nova_cassandra_on = True
            switch_on(self)
        service = start_service(self, *args, **kwargs)
        if getattr(service, 'binary', None) == 'nova-compute':
            # The hook writes from a thread of its own (see publisher).
            self.assertTrue(
                publisher.for_backend(backends.BY_NAME[STORE]).wait_published(
                    PUBLISH_TIMEOUT),
                'compute %s wrote no host row in %d s'
                % (service.host, PUBLISH_TIMEOUT))
        return service
    return wrapper


def _expect_failure(test, reason):
    method = getattr(test, test._testMethodName)

    def run():
        try:
            method()
        except test.failureException:
            raise
        except Exception as e:  # an error counts as the expected failure
            raise test.failureException('%s: %s' % (type(e).__name__, e))

    @functools.wraps(method)
    def must_fail():
        test.expectFailure(reason, run)
    setattr(test, test._testMethodName, must_fail)


def _tests(suite):
    for test in suite:
        if isinstance(test, testtools.TestCase):
            yield test
        else:
            yield from _tests(test)


def load_tests(loader, standard_tests, pattern):
    failing = {}
    if STORE != 'stock':
        nova_test.TestCase.start_service = _start_service_with_plugin(
            nova_test.TestCase.start_service)
        failing = expected_failures()
    for name in MODULES:
        suite = loader.loadTestsFromName('nova.tests.functional.' + name)
        for test in _tests(suite):
            if test.id() in failing:
                _expect_failure(test, failing[test.id()])
        standard_tests.addTests(suite)
    return standard_tests
