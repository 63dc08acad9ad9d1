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

import fixtures
import testtools

from nova_cassandra.compute import heartbeat


class TestHeartbeat(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.logger = self.useFixture(fixtures.FakeLogger())
        self.hook = heartbeat.CassandraHeartbeat()
        self.hook.backend = mock.Mock(unavailable=(OSError,),
                                      name='cassandra')
        self.hook.backend.name = 'cassandra'
        self.store = self.hook.backend.stores.return_value.hosts

    def _report(self, host='c1', binary='nova-compute'):
        self.hook.reported(mock.Mock(host=host, binary=binary))

    def test_compute_report_is_recorded(self):
        self._report('c1')
        self.store.report.assert_called_once_with('c1')

    def test_other_services_are_not_recorded(self):
        self._report('s1', binary='nova-scheduler')
        self.hook.backend.stores.assert_not_called()

    def test_unavailable_store_warns_once_and_retries_each_report(self):
        self.store.report.side_effect = OSError('no node')
        self._report()
        self._report()
        self.assertEqual(2, self.store.report.call_count)
        self.assertEqual(1, self.logger.output.count(
            'Cannot record the heartbeat of compute service c1 in the '
            'cassandra store'))
        self.store.report.side_effect = None
        self._report()
        self.assertIn('Recording the heartbeat of compute service c1 in the '
                      'cassandra store again.', self.logger.output)

    def test_other_errors_reach_nova(self):
        # nova's report hook runner logs them with their traceback.
        self.store.report.side_effect = ValueError('bug')
        self.assertRaises(ValueError, self._report)
