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

"""Malformed and hostile input, on the real Cassandra: each is refused with
a clear error, and none changes what is stored.

Three tables: ``[cassandra]`` options and arguments as a deployer gives them
to ``nova-cassandra-manage``; host records and claims as services hand them
to the stores; keyspaces whose schema the code does not know.  Every case
runs against one keyspace holding two nodes and a claim, and checks its rows
are exactly as before (and that no keyspace was left behind).
"""

import io
import math
import time
import uuid

import fixtures
import testscenarios

from nova_cassandra.claims import node_claim
from nova_cassandra.cmd import manage
from nova_cassandra.compute import publisher
from nova_cassandra import exception
from nova_cassandra.store import base as store_base
from nova_cassandra.store.cassandra import claims
from nova_cassandra.store.cassandra import hosts
from nova_cassandra.store.cassandra import schema
from nova_cassandra.store.cassandra import session as session_mod
from tests.functional import base

load_tests = testscenarios.load_tests_apply_scenarios

ONE_VCPU = {'VCPU': 1, 'MEMORY_MB': 512}
INJECTION = "x', 'y'); DROP KEYSPACE {ks}; --"
# A keyspace name no case may leave behind.
PROBE = 'bad_input_probe_%s' % uuid.uuid4().hex[:8]


def _record(**fields):
    values = dict(node_uuid=uuid.uuid4(), host='compute1', nodename='node1',
                  capacity={'VCPU': 4, 'MEMORY_MB': 8192},
                  reserved={'MEMORY_MB': 0},
                  allocation_ratio={'VCPU': 1.0, 'MEMORY_MB': 1.0},
                  used={'VCPU': 0, 'MEMORY_MB': 0})
    values.update(fields)
    return store_base.HostRecord(**values)


class StoredState(base.TestCase):
    """One keyspace per class: two nodes, one with a claim, never changed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ks = base.CassandraKeyspace()
        cls.ks.setUp()
        cls.session, cls.keyspace = cls.ks.session, cls.ks.keyspace
        cls.hosts = hosts.HostStore(cls.session, cls.keyspace)
        cls.claims = claims.ClaimStore(cls.session, cls.keyspace)
        cls.nodes = [cls.hosts.create(_record(nodename='node%d' % i))
                     for i in range(2)]
        cls.claims.claim(cls.nodes[0].node_uuid, 1, uuid.uuid4(), ONE_VCPU,
                         3600)

    @classmethod
    def tearDownClass(cls):
        cls.ks.cleanUp()
        super().tearDownClass()

    def _rows(self):
        rows = self.session.execute(
            'SELECT * FROM %s.compute_nodes' % self.keyspace,
            execution_profile=session_mod.WRITE)
        migrations = self.session.execute(
            'SELECT version FROM %s.schema_migrations' % self.keyspace,
            execution_profile=session_mod.WRITE)
        return (sorted(tuple(row) for row in rows),
                sorted(row.version for row in migrations))

    def setUp(self):
        super().setUp()
        self.before = self._rows()
        self.addCleanup(self._assert_untouched)

    def _assert_untouched(self):
        """The stored rows are as before the case, and no probe keyspace."""
        self.assertEqual(self.before, self._rows())
        self.session.cluster.refresh_schema_metadata()
        self.assertNotIn(PROBE, self.session.cluster.metadata.keyspaces)


class TestManageRefusesBadInput(StoredState):
    """``nova-cassandra-manage``: one line on stderr, exit 2 or 1."""

    # (options for [cassandra], command, exit status, text in the error);
    # {ks} is the class's keyspace, which options name unless they test it.
    scenarios = [(name, dict(options=options, command=command, status=status,
                             error=error)) for name, options, command, status,
                 error in [
        ('contact_points_not_a_host', 'contact_points = not a host!!',
         'status', 2, 'not a host!! is not a valid host address'),
        ('contact_points_bad_ip', 'contact_points = 300.1.1.1', 'status', 2,
         '300.1.1.1 is not a valid host address'),
        ('contact_points_with_port', 'contact_points = 127.0.0.1:9042',
         'status', 2, 'is not a valid host address'),
        ('contact_points_empty', 'contact_points =', 'status', 2,
         'value required for option contact_points in group [cassandra]'),
        ('contact_point_nothing_listens',
         'contact_points = 127.0.0.77\nconnect_timeout = 1', 'status', 1,
         'Cassandra at 127.0.0.77 (port 9042) is not reachable'),
        ('port_closed', 'port = 1\nconnect_timeout = 1', 'status', 1,
         'Cassandra at 127.0.0.1 (port 1) is not reachable'),
        ('port_too_large', 'port = 70000', 'status', 2,
         'Should be less than or equal to 65535'),
        ('port_negative', 'port = -1', 'status', 2,
         'Should be greater than or equal to 0'),
        ('port_not_a_number', 'port = cql', 'status', 2, 'option port'),
        ('connect_timeout_zero', 'connect_timeout = 0', 'status', 2,
         'option connect_timeout'),
        ('request_timeout_negative', 'request_timeout = -5', 'status', 2,
         'option request_timeout'),
        ('read_consistency_unknown', 'read_consistency = MOST', 'status', 2,
         "found 'MOST'"),
        ('write_consistency_lower_case', 'write_consistency = quorum',
         'status', 2, "found 'quorum'"),
        ('write_consistency_serial', 'write_consistency = SERIAL', 'status',
         2, "found 'SERIAL'"),
        ('serial_consistency_quorum', 'serial_consistency = QUORUM',
         'status', 2, 'option serial_consistency'),
        ('local_datacenter_unknown', 'local_datacenter = nodc', 'status', 1,
         'no node is in local_datacenter nodc (datacenters found: '
         'datacenter1)'),
        ('keyspace_injection', 'keyspace = x"; DROP KEYSPACE {ks}', 'db sync',
         2, 'option keyspace'),
        ('keyspace_leading_digit', 'keyspace = 1abc', 'db sync', 2,
         'option keyspace'),
        ('keyspace_too_long', 'keyspace = %s' % ('k' * 49), 'db sync', 2,
         'option keyspace'),
        ('keyspace_system', 'keyspace = system', 'db sync', 1,
         "System keyspace 'system' is not user-modifiable"),
        ('keyspace_missing', 'keyspace = %s' % PROBE, 'status', 1,
         "Keyspace '%s' does not exist: run 'nova-cassandra-manage db "
         "sync'" % PROBE),
        ('replication_unknown_class',
         'keyspace = %s\nreplication = class:NoSuchStrategy' % PROBE,
         'db sync', 1, "Unable to find replication strategy class "
                       "'org.apache.cassandra.locator.NoSuchStrategy'"),
        ('replication_factor_negative',
         'keyspace = %s\nreplication = class:SimpleStrategy,'
         'replication_factor:-1' % PROBE, 'db sync', 1,
         'Replication factor must be non-negative, found -1'),
        ('replication_factor_not_a_number',
         'keyspace = %s\nreplication = class:SimpleStrategy,'
         'replication_factor:three' % PROBE, 'db sync', 1,
         "Cassandra refused to create keyspace '%s'" % PROBE),
        ('replication_without_class',
         'keyspace = %s\nreplication = replication_factor:1' % PROBE,
         'db sync', 1, 'Missing replication strategy class'),
        ('replication_unknown_datacenter',
         'keyspace = %s\nreplication = class:NetworkTopologyStrategy,'
         'nodc:1' % PROBE, 'db sync', 1,
         'Unrecognized strategy option {nodc}'),
        # The functional stack's Cassandra is one node in datacenter1.
        ('replication_factor_above_nodes',
         'keyspace = %s\nreplication = class:SimpleStrategy,'
         'replication_factor:3' % PROBE, 'db sync', 1,
         'asks for 3 replicas in the cluster, which has 1 node(s)'),
        ('replication_factor_above_datacenter_nodes',
         'keyspace = %s\nreplication = class:NetworkTopologyStrategy,'
         'datacenter1:2' % PROBE, 'db sync', 1,
         'asks for 2 replicas in datacenter datacenter1, which has 1 '
         'node(s)'),
        ('replication_injection',
         "keyspace = %s\nreplication = class:SimpleStrategy,"
         "replication_factor:1'} AND durable_writes = false" % PROBE,
         'db sync', 1, "Cassandra refused to create keyspace '%s'" % PROBE),
        ('replication_not_pairs', 'replication = SimpleStrategy', 'db sync',
         2, 'NAME:VALUE pairs'),
        ('claim_ttl_negative', 'claim_ttl = -1', 'status', 2,
         'option claim_ttl'),
        ('claim_ttl_too_short', 'claim_ttl = 5', 'status', 2,
         'Should be greater than or equal to 10'),
        ('claim_ttl_too_long', 'claim_ttl = 1000000000', 'status', 2,
         'Should be less than or equal to 86400'),
        ('placement_allocations_unknown', 'placement_allocations = maybe',
         'status', 2, "found 'maybe'"),
        ('reap_older_than_negative', '', 'claims reap --older-than -60', 2,
         '--older-than must be 0 or more seconds, not -60'),
    ]]

    def setUp(self):
        super().setUp()
        self.stderr = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', self.stderr))
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', io.StringIO()))
        # Sessions the command opens are closed after it.
        real_connect = session_mod.connect

        def connect(conf):
            session = real_connect(conf)
            self.addCleanup(session.cluster.shutdown)
            return session
        self.useFixture(fixtures.MonkeyPatch(
            'nova_cassandra.store.cassandra.session.connect', connect))
        # Cleanups run last-in first-out: clear the parsed arguments, then
        # drop the sub-command option main() registered.
        self.addCleanup(manage.CONF.unregister_opt, manage.category_opt)
        self.addCleanup(manage.CONF.clear)

    def test_refused_with_a_clear_error(self):
        config = self.useFixture(fixtures.TempDir()).join('nova.conf')
        options = ('keyspace = {ks}\n' + self.options).replace(
            '{ks}', self.keyspace)
        with open(config, 'w') as f:
            f.write('[cassandra]\n%s\n' % options)
        started = time.monotonic()
        status = manage.main(['--config-file', config]
                             + self.command.split())
        lines = self.stderr.getvalue().splitlines()
        self.assertEqual(1, len(lines), lines)
        self.assertEqual(self.status, status, lines[0])
        self.assertIn(self.error, lines[0])
        self.assertTrue(lines[0].startswith('ERROR: '), lines[0])
        # Refusals do not wait on a timeout longer than connect_timeout.
        self.assertLess(time.monotonic() - started, 10)


class TestStoresRefuseBadInput(StoredState):
    """Host records and claims as the services hand them to the stores."""

    def _claim(self, resources=None, ttl=300, node=None):
        return node_claim.claim(
            self.claims, node or self.nodes[1].node_uuid, uuid.uuid4(),
            resources or ONE_VCPU, ttl)

    def _create(self, **fields):
        self.hosts.create(_record(**fields))

    def _update(self, **fields):
        record = self.hosts.get(self.nodes[1].node_uuid, latest=True)
        for name, value in fields.items():
            setattr(record, name, value)
        self.hosts.update(record)

    def _deleted_node(self):
        node = self.hosts.create(_record()).node_uuid
        self.session.execute('DELETE FROM %s.compute_nodes WHERE node_uuid '
                             '= %%s' % self.keyspace, (node,))
        return node

    # (method, its keyword arguments, exception, text in its message)
    scenarios = [(name, dict(call=call, kwargs=kwargs, error=error,
                             message=message))
                 for name, call, kwargs, error, message in [
        ('capacity_negative', '_create', dict(capacity={'VCPU': -4}),
         exception.InvalidHostRecord,
         'capacity: VCPU is -4, not a count from 0 to'),
        ('capacity_absurd', '_create', dict(capacity={'VCPU': 2 ** 63}),
         exception.InvalidHostRecord, 'capacity: VCPU is %d' % 2 ** 63),
        ('capacity_fraction', '_create', dict(capacity={'VCPU': 1.5}),
         exception.InvalidHostRecord, 'capacity: VCPU is 1.5'),
        ('capacity_text', '_create', dict(capacity={'VCPU': 'many'}),
         exception.InvalidHostRecord, "capacity: VCPU is 'many'"),
        ('used_negative', '_create', dict(used={'MEMORY_MB': -1}),
         exception.InvalidHostRecord, 'used: MEMORY_MB is -1'),
        ('reserved_negative', '_create', dict(reserved={'VCPU': -2}),
         exception.InvalidHostRecord, 'reserved: VCPU is -2'),
        ('allocation_ratio_nan', '_create',
         dict(allocation_ratio={'VCPU': math.nan}),
         exception.InvalidHostRecord, 'allocation_ratio: VCPU is nan'),
        ('allocation_ratio_infinite', '_create',
         dict(allocation_ratio={'VCPU': math.inf}),
         exception.InvalidHostRecord, 'allocation_ratio: VCPU is inf'),
        ('allocation_ratio_negative', '_create',
         dict(allocation_ratio={'VCPU': -16.0}),
         exception.InvalidHostRecord, 'allocation_ratio: VCPU is -16.0'),
        ('host_name_empty', '_create', dict(host=''),
         exception.InvalidHostRecord, 'host must be a name of 1 to 255'),
        ('host_name_too_long', '_create', dict(host='h' * 256),
         exception.InvalidHostRecord, 'host must be a name of 1 to 255'),
        ('node_name_missing', '_create', dict(nodename=None),
         exception.InvalidHostRecord, 'nodename must be a name'),
        ('update_to_negative_capacity', '_update',
         dict(capacity={'VCPU': -1}), exception.InvalidHostRecord,
         'capacity: VCPU is -1'),
        ('update_to_absurd_used', '_update', dict(used={'VCPU': 10 ** 20}),
         exception.InvalidHostRecord, 'used: VCPU is %d' % 10 ** 20),
        ('update_stale_generation', '_update', dict(generation=0),
         exception.HostConflict, 'expected generation 0, found 1'),
        ('update_unknown_node', '_update', dict(node_uuid=uuid.UUID(int=1)),
         exception.HostNotFound, '00000000-0000-0000-0000-000000000001'),
        ('claim_negative_amount', '_claim', dict(resources={'VCPU': -2}),
         exception.InvalidClaim, 'VCPU is -2, not a count'),
        ('claim_absurd_amount', '_claim', dict(resources={'VCPU': 2 ** 64}),
         exception.InvalidClaim, 'VCPU is %d' % 2 ** 64),
        ('claim_ttl_zero', '_claim', dict(ttl=0), exception.InvalidClaim,
         'TTL 0 is not a whole number of seconds >= 1'),
        ('claim_ttl_negative', '_claim', dict(ttl=-5), exception.InvalidClaim,
         'TTL -5 is not'),
        ('claim_unknown_node', '_claim', dict(node=uuid.UUID(int=2)),
         exception.HostNotFound,
         'Compute node 00000000-0000-0000-0000-000000000002 has no host '
         'state in the store'),
    ]]

    def test_refused_with_a_clear_error(self):
        error = self.assertRaises(self.error, getattr(self, self.call),
                                  **self.kwargs)
        self.assertIn(self.message, str(error))


class TestStoresWithOddInput(StoredState):
    """Odd but valid input is stored verbatim; the rest leaves no trace."""

    def _round_trip(self, **fields):
        node = self.hosts.create(_record(**fields))
        self.addCleanup(self._delete, node.node_uuid)
        stored = self.hosts.get(node.node_uuid, latest=True)
        for name, value in fields.items():
            self.assertEqual(value, getattr(stored, name))

    def _delete(self, node):
        self.session.execute('DELETE FROM %s.compute_nodes WHERE node_uuid '
                             '= %%s' % self.keyspace, (node,))

    def test_unicode_host_and_node_names(self):
        self._round_trip(host='计算节点-ü-Ω-🖥', nodename='ノード\u200b1')

    def test_longest_names(self):
        self._round_trip(host='h' * store_base.NAME_MAX,
                         nodename='é' * store_base.NAME_MAX)

    def test_cql_injection_in_names_is_data(self):
        injection = INJECTION.format(ks=self.keyspace)
        self._round_trip(host=injection, nodename=injection + '"')
        self.session.cluster.refresh_schema_metadata()
        self.assertIn(self.keyspace, self.session.cluster.metadata.keyspaces)

    def test_largest_capacity(self):
        self._round_trip(capacity={'VCPU': store_base.AMOUNT_MAX})

    def test_claim_larger_than_any_host_is_refused(self):
        for node in self.nodes:
            self.assertFalse(node_claim.claim(
                self.claims, node.node_uuid, uuid.uuid4(),
                {'VCPU': 5, 'MEMORY_MB': 512}, 300))

    def test_claim_of_a_class_no_host_has_is_refused(self):
        self.assertFalse(node_claim.claim(
            self.claims, self.nodes[1].node_uuid, uuid.uuid4(),
            {'PCI_DEVICE': 1}, 300))

    def test_claim_on_a_deleted_node_leaves_no_claim(self):
        node = self.hosts.create(_record()).node_uuid
        self._delete(node)
        self.assertRaises(exception.HostNotFound, node_claim.claim,
                          self.claims, node, uuid.uuid4(), ONE_VCPU, 300)
        self.assertEqual([], list(self.session.execute(
            'SELECT * FROM %s.compute_nodes WHERE node_uuid = %%s'
            % self.keyspace, (node,))))

    def test_update_of_a_deleted_node_does_not_bring_it_back(self):
        record = self.hosts.create(_record())
        self._delete(record.node_uuid)
        self.assertRaises(exception.HostNotFound, self.hosts.update, record)
        self.assertRaises(exception.HostNotFound, self.hosts.get,
                          record.node_uuid, latest=True)

    def test_compute_refuses_an_invalid_record_and_goes_on(self):
        hook = publisher.Publisher(lambda: self.hosts,
                                   session_mod.UNAVAILABLE)
        self.assertRaises(exception.InvalidHostRecord, hook.publish,
                          _record(capacity={'VCPU': -1}))
        self.addCleanup(hook.stop, 10)
        record = _record()
        self.addCleanup(self._delete, record.node_uuid)
        hook.publish(record)
        self.assertTrue(hook.wait_published(10))
        self.assertEqual(1, self.hosts.get(record.node_uuid,
                                           latest=True).generation)

    def test_second_create_leaves_the_first_row(self):
        self.assertRaises(exception.HostExists, self.hosts.create,
                          _record(node_uuid=self.nodes[1].node_uuid,
                                  capacity={'VCPU': 999}))


class TestSchemaTheCodeDoesNotKnow(base.TestCase):
    """A keyspace ahead of or behind the code: services refuse to use it."""

    def setUp(self):
        super().setUp()
        self.ks = self.useFixture(base.CassandraKeyspace())

    def _set_version(self, version):
        self.ks.session.execute('TRUNCATE %s.schema_migrations'
                                % self.ks.keyspace)
        if version:
            self.ks.session.execute(
                'INSERT INTO %s.schema_migrations (version, description) '
                'VALUES (%%s, %%s)' % self.ks.keyspace, (version, 'future'))

    def test_newer_schema(self):
        self._set_version(schema.LATEST + 98)
        e = self.assertRaises(exception.SchemaVersionMismatch, schema.check,
                              self.ks.session, self.ks.keyspace)
        self.assertIn('is at schema version %d but this code needs version '
                      '%d: upgrade nova-cassandra on this host'
                      % (schema.LATEST + 98, schema.LATEST), str(e))
        e = self.assertRaises(exception.SchemaVersionMismatch, schema.sync,
                              self.ks.session, self.ks.keyspace,
                              {'class': 'SimpleStrategy',
                               'replication_factor': '1'})
        self.assertIn('upgrade nova-cassandra before syncing', str(e))
        self.assertEqual(schema.LATEST + 98,
                         schema.version(self.ks.session, self.ks.keyspace))

    def test_older_schema(self):
        self._set_version(0)
        e = self.assertRaises(exception.SchemaVersionMismatch, schema.check,
                              self.ks.session, self.ks.keyspace)
        self.assertIn("run 'nova-cassandra-manage db sync'", str(e))

    def test_unreachable_cassandra_fails_within_connect_timeout(self):
        conf = base.cassandra_options(contact_points=['127.0.0.77'],
                                      connect_timeout=1.0)
        started = time.monotonic()
        e = self.assertRaises(exception.CassandraUnavailable,
                              session_mod.connect, conf.cassandra)
        self.assertLess(time.monotonic() - started, 3)
        self.assertIn('Cassandra at 127.0.0.77 (port 9042) is not reachable',
                      str(e))
