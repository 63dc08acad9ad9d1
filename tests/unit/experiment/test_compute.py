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

import os
import types
from unittest import mock

import fixtures
from nova.compute import resource_tracker
import testtools

from nova_cassandra_experiment import compute
from nova_cassandra_experiment import fake_driver
from nova_cassandra_experiment import fleet


class TestRepublishOnRequest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        run_dir = self.useFixture(fixtures.TempDir()).path
        self.fleet = fleet.Fleet(1, 1, [], {}, {}, run_dir, None)
        fake_driver.CONF.set_override('republish_file',
                                      self.fleet.republish_path,
                                      'experiment_fleet')
        self.addCleanup(fake_driver.CONF.clear_override, 'republish_file',
                        'experiment_fleet')
        self.audited = []
        self.useFixture(fixtures.MonkeyPatch(
            'nova.compute.resource_tracker.ResourceTracker.'
            'update_available_resource',
            lambda tracker, context, nodename, startup=False:
                self.audited.append(nodename)))
        compute._audit_republishing_on_request()
        self.hook = mock.Mock()
        self.tracker = types.SimpleNamespace(
            hooks=[types.SimpleNamespace(obj=self.hook),
                   types.SimpleNamespace(obj=object())])

    def _audits(self, *nodenames):
        for nodename in nodenames:
            resource_tracker.ResourceTracker.update_available_resource(
                self.tracker, mock.sentinel.context, nodename)
        return self.hook.republish_all.call_count

    def test_no_request_no_republishing(self):
        self.assertIsNone(fake_driver.republish_request())
        self.assertEqual(0, self._audits('n1', 'n2'))
        self.assertEqual(['n1', 'n2'], self.audited)

    def test_each_request_republishes_once(self):
        self.fleet.republish()
        self.assertIsNotNone(fake_driver.republish_request())
        self.assertEqual(1, self._audits('n1', 'n2', 'n1'))
        self.fleet.republish()
        self.assertEqual(2, self._audits('n1', 'n2'))
        self.assertEqual(5, len(self.audited))
        self.assertFalse(os.path.exists(self.fleet.republish_path + '.new'))
