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

from keystoneauth1 import exceptions as ks_exc
import testtools

from nova_cassandra.claims import new_consumer

CONSUMER = '6f3c1c38-52b4-4a0b-a3a2-0fd6a3e1e6d1'
ALLOC_REQ = {'allocations': {'rp': {'resources': {'VCPU': 1}}},
             'mappings': {'': ['rp']}}


class TestNewConsumerClient(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.report = mock.Mock()
        self.client = new_consumer.NewConsumerClient(self.report)
        self.context = mock.Mock(global_id='req-1')

    def _claim(self, version='1.36', consumer_generation=None):
        return self.client.claim_resources(
            self.context, CONSUMER, ALLOC_REQ, 'project', 'user',
            allocation_request_version=version,
            consumer_generation=consumer_generation)

    def test_a_new_consumer_is_written_without_reading_it(self):
        self.report.put.return_value = mock.Mock(status_code=204)
        self.assertTrue(self._claim())
        self.report.put.assert_called_once_with(
            '/allocations/%s' % CONSUMER,
            dict(ALLOC_REQ, project_id='project', user_id='user',
                 consumer_generation=None),
            version='1.36', global_request_id='req-1')
        self.report.claim_resources.assert_not_called()
        self.report.get.assert_not_called()

    def test_the_request_is_left_as_it_was(self):
        self.report.put.return_value = mock.Mock(status_code=204)
        before = repr(ALLOC_REQ)
        self._claim()
        self.assertEqual(before, repr(ALLOC_REQ))

    def test_a_refused_write_is_claimed_as_nova_does(self):
        # A consumer placement knows (an unexpected move), a provider
        # changed meanwhile, or no room: nova reads the consumer and retries.
        self.report.put.return_value = mock.Mock(status_code=409)
        self.report.claim_resources.return_value = False
        self.assertFalse(self._claim())
        self.report.claim_resources.assert_called_once_with(
            self.context, CONSUMER, ALLOC_REQ, 'project', 'user',
            allocation_request_version='1.36', consumer_generation=None)

    def test_placement_unreachable_is_no_claim(self):
        self.report.put.side_effect = ks_exc.ConnectFailure('down')
        self.assertFalse(self._claim())
        self.report.claim_resources.assert_not_called()

    def test_an_old_microversion_is_claimed_as_nova_does(self):
        self.report.claim_resources.return_value = True
        self.assertTrue(self._claim(version='1.17'))
        self.report.put.assert_not_called()

    def test_an_expected_generation_is_claimed_as_nova_does(self):
        self.report.claim_resources.return_value = True
        self.assertTrue(self._claim(consumer_generation=3))
        self.report.put.assert_not_called()
        self.report.claim_resources.assert_called_once_with(
            self.context, CONSUMER, ALLOC_REQ, 'project', 'user',
            allocation_request_version='1.36', consumer_generation=3)
