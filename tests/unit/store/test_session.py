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

from unittest import mock

from cassandra import cluster
from cassandra.io import eventletreactor
import testtools

from nova_cassandra.store.cassandra import session


class TestProtocolVersion(testtools.TestCase):

    def test_v5_on_the_driver_loop(self):
        self.assertEqual(5, session._protocol_version(
            cluster.Cluster.connection_class))

    def test_v4_on_the_eventlet_loop(self):
        self.assertEqual(4, session._protocol_version(
            eventletreactor.EventletConnection))


class TestNamedTuples(testtools.TestCase):

    def test_rows_by_column_name(self):
        rows = session.named_tuples(['node_uuid', 'generation'],
                                    [('a', 1), ('b', 2)])
        self.assertEqual([('a', 1), ('b', 2)], rows)
        self.assertEqual(['a', 'b'], [row.node_uuid for row in rows])
        self.assertEqual([1, 2], [row.generation for row in rows])

    def test_one_class_per_list_of_columns(self):
        first = session.named_tuples(['host', 'reported_at'], [('h', 1)])
        again = session.named_tuples(['host', 'reported_at'], [('i', 2)])
        other = session.named_tuples(['host'], [('h',)])
        self.assertIs(type(first[0]), type(again[0]))
        self.assertIsNot(type(first[0]), type(other[0]))

    def test_column_not_an_identifier_named_by_position(self):
        row, = session.named_tuples(['[applied]', 'generation'], [(False, 7)])
        self.assertEqual((False, 7), (row._0, row.generation))

    def test_no_rows(self):
        self.assertEqual([], session.named_tuples(['host'], []))


class TestApplied(testtools.TestCase):

    def _result(self, first_row):
        return mock.Mock(**{'one.return_value': first_row})

    def test_applied(self):
        self.assertTrue(session.applied(self._result((True,))))

    def test_refused_with_the_row_found(self):
        self.assertFalse(session.applied(self._result((False, 7))))
