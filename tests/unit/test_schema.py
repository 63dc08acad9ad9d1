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

import testtools

from nova_cassandra.store.cassandra import schema


class TestMigrations(testtools.TestCase):

    def test_versions_are_consecutive_from_one(self):
        versions = [m.version for m in schema.MIGRATIONS]
        self.assertEqual(list(range(1, len(versions) + 1)), versions)
        self.assertEqual(versions[-1], schema.LATEST)

    def test_statements_name_the_keyspace(self):
        for migration in schema.MIGRATIONS:
            for statement in migration.cql:
                self.assertIn('{ks}.', statement)

    def test_replication_literal_quotes_values(self):
        self.assertEqual(
            "{'class': 'SimpleStrategy', 'replication_factor': '3'}",
            schema._replication_cql({'replication_factor': 3,
                                     'class': 'SimpleStrategy'}))
        self.assertEqual("{'class': 'x''); DROP'}",
                         schema._replication_cql({'class': "x'); DROP"}))


class _Host:

    def __init__(self, datacenter):
        self.datacenter = datacenter


class TestReplicasBeyondNodes(testtools.TestCase):

    HOSTS = [_Host('dc1'), _Host('dc1'), _Host('dc2')]

    def _beyond(self, **replication):
        return schema.replicas_beyond_nodes(self.HOSTS, replication)

    def test_simple_strategy_counts_every_node(self):
        self.assertIsNone(self._beyond(
            **{'class': 'SimpleStrategy', 'replication_factor': '3'}))
        self.assertEqual(('the cluster', 4, 3), self._beyond(
            **{'class': 'SimpleStrategy', 'replication_factor': '4'}))

    def test_network_topology_counts_each_datacenter(self):
        nts = 'org.apache.cassandra.locator.NetworkTopologyStrategy'
        self.assertIsNone(self._beyond(**{'class': nts, 'dc1': '2',
                                          'dc2': '1'}))
        self.assertEqual(('datacenter dc2', 2, 1), self._beyond(
            **{'class': nts, 'dc1': '2', 'dc2': '2'}))
        # A datacenter the cluster does not know: Cassandra refuses it.
        self.assertIsNone(self._beyond(**{'class': nts, 'dc3': '1'}))
        # replication_factor: the factor of every datacenter not named.
        self.assertEqual(('datacenter dc2', 2, 1), self._beyond(
            **{'class': nts, 'replication_factor': '2'}))
        self.assertIsNone(self._beyond(**{'class': nts,
                                          'replication_factor': '2',
                                          'dc2': '1'}))

    def test_transient_replicas_count_in_the_factor(self):
        self.assertEqual(('the cluster', 4, 3), self._beyond(
            **{'class': 'SimpleStrategy', 'replication_factor': '4/1'}))

    def test_what_cassandra_refuses_itself_is_left_to_it(self):
        self.assertIsNone(self._beyond(
            **{'class': 'SimpleStrategy', 'replication_factor': 'three'}))
        self.assertIsNone(self._beyond(**{'class': 'NoSuchStrategy',
                                          'replication_factor': '9'}))
