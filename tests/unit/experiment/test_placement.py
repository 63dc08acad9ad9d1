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

from nova_cassandra_experiment import placement


class TestWrites(testtools.TestCase):

    def setUp(self):
        super().setUp()
        client = self.useFixture(fixtures.MockPatch(
            'nova.scheduler.client.report.SchedulerReportClient')).mock
        self.post = client.return_value.post
        self.post.return_value = mock.Mock(status_code=204)
        self.placement = placement.Placement()

    def test_release_posts_empty_allocations_in_batches(self):
        consumers = ['c%04d' % i for i in range(450)]
        self.placement.release(iter(consumers))
        bodies = [c.args[1] for c in self.post.call_args_list]
        self.assertEqual([200, 200, 50], sorted(map(len, bodies),
                                                reverse=True))
        self.assertEqual(set(consumers),
                         {c for body in bodies for c in body})
        for call in self.post.call_args_list:
            self.assertEqual('/allocations', call.args[0])
            self.assertEqual(placement.RELEASE_VERSION,
                             call.kwargs['version'])
            self.assertTrue(all(record['allocations'] == {}
                                for record in call.args[1].values()))

    def test_release_held_names_only_consumers_holding_allocations(self):
        held = {'rp2': {'c3': {}, 'c1': {}}, 'rp1': {'c2': {}, 'c1': {}}}
        self.placement.allocations = held.get
        self.placement.release_held(['rp2', 'rp1'], {'c1', 'c3', 'c9'})
        # c9 holds nothing: releasing it would make placement create it.
        self.assertEqual([['c1', 'c3']],
                         [list(c.args[1]) for c in self.post.call_args_list])
        self.post.reset_mock()
        self.placement.release_held(['rp2', 'rp1'])
        self.assertEqual([['c2', 'c1', 'c3']],
                         [list(c.args[1]) for c in self.post.call_args_list])

    def test_release_keeps_the_order_given(self):
        consumers = ['c%04d' % i for i in range(400, 0, -1)]
        self.placement.release(consumers)
        bodies = sorted((c.args[1] for c in self.post.call_args_list),
                        key=lambda body: consumers.index(next(iter(body))))
        self.assertEqual([consumers[:200], consumers[200:]],
                         [list(body) for body in bodies])

    def _sent_again_after(self, status_code):
        self.useFixture(fixtures.MockPatch('time.sleep'))
        self.post.side_effect = [mock.Mock(status_code=status_code, text=''),
                                 mock.Mock(status_code=204)]
        self.placement.release(['c1'])
        self.assertEqual(2, self.post.call_count)

    def test_a_batch_losing_a_provider_race_is_sent_again(self):
        self._sent_again_after(409)

    def test_a_batch_placement_failed_is_sent_again(self):
        """A 500 (placement's database deadlocked) rolled it all back."""
        self._sent_again_after(500)

    def test_a_release_refused_every_time_raises(self):
        self.useFixture(fixtures.MockPatch('time.sleep'))
        self.post.return_value = mock.Mock(status_code=409, text='changed')
        self.assertRaisesRegex(placement.PlacementError, 'HTTP 409 changed',
                               self.placement.release, ['c1'])
        self.assertEqual(placement.RELEASE_ATTEMPTS, self.post.call_count)

    def test_a_refused_release_raises(self):
        self.post.return_value = mock.Mock(status_code=400, text='bad')
        self.assertRaisesRegex(placement.PlacementError, 'HTTP 400 bad',
                               self.placement.release, ['c1'])

    def test_allocate_writes_new_consumers_in_one_post(self):
        self.placement.allocate({'c1': ('rp1', {'VCPU': 1}),
                                 'c2': ('rp1', {'VCPU': 2})}, 'p', 'u')
        (url, body), kwargs = self.post.call_args
        self.assertEqual('/allocations', url)
        self.assertEqual(placement.ALLOCATIONS_VERSION, kwargs['version'])
        self.assertEqual({'allocations': {'rp1': {'resources': {'VCPU': 2}}},
                          'project_id': 'p', 'user_id': 'u',
                          'consumer_generation': None}, body['c2'])
        self.assertEqual({'c1', 'c2'}, set(body))
