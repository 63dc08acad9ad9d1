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

import threading
import time
from unittest import mock

from keystoneauth1 import exceptions as ks_exc
import testtools

from nova_cassandra.claims import new_consumer

CONSUMER = '6f3c1c38-52b4-4a0b-a3a2-0fd6a3e1e6d1'
ALLOC_REQ = {'allocations': {'rp': {'resources': {'VCPU': 1}}},
             'mappings': {'': ['rp']}}
# Seconds a test waits for its threads.
WAIT = 10


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


class TestBatcher(testtools.TestCase):
    """Claims queued while a write is out go together in the next call."""

    def setUp(self):
        super().setUp()
        self.batcher = new_consumer.Batcher()
        self.client = mock.Mock()
        self.put_out = threading.Event()
        self.release_put = threading.Event()
        self.client.put.side_effect = self._first_put_waits
        self.put_status = 204
        self.answers = {}

    def _first_put_waits(self, url, payload, version, global_request_id):
        if not self.put_out.is_set():
            self.put_out.set()
            self.assertTrue(self.release_put.wait(WAIT))
        return mock.Mock(status_code=self.put_status)

    def _write(self, consumer):
        context = mock.Mock(global_id='req-%s' % consumer)
        try:
            self.answers[consumer] = self.batcher.write(
                self.client, context, consumer, {'c': consumer},
                '1.36').status_code
        except ks_exc.ClientException as e:
            self.answers[consumer] = e

    def _write_while_one_is_out(self, *consumers):
        """``a`` goes alone; ``consumers`` queue while it is out."""
        threads = [threading.Thread(target=self._write, args=('a',))]
        threads[0].start()
        self.assertTrue(self.put_out.wait(WAIT))
        for consumer in consumers:
            threads.append(threading.Thread(target=self._write,
                                            args=(consumer,)))
            threads[-1].start()
        deadline = time.monotonic() + WAIT
        while (len(self.batcher._queued) < len(consumers)
               and time.monotonic() < deadline):
            time.sleep(0.01)
        self.release_put.set()
        for thread in threads:
            thread.join(WAIT)
            self.assertFalse(thread.is_alive())

    def test_a_claim_alone_is_one_put(self):
        self.release_put.set()
        self._write('a')
        self.assertEqual({'a': 204}, self.answers)
        self.client.put.assert_called_once_with(
            '/allocations/a', {'c': 'a'}, version='1.36',
            global_request_id='req-a')
        self.client.post.assert_not_called()

    def test_claims_queued_meanwhile_are_one_post(self):
        self.client.post.return_value = mock.Mock(status_code=204)
        self._write_while_one_is_out('b', 'c')
        self.assertEqual({'a': 204, 'b': 204, 'c': 204}, self.answers)
        self.assertEqual(1, self.client.put.call_count)
        self.client.post.assert_called_once_with(
            '/allocations', {'b': {'c': 'b'}, 'c': {'c': 'c'}},
            version='1.36', global_request_id='req-b')

    def test_a_refused_batch_is_written_one_by_one(self):
        # Each claim gets placement's own answer for it.
        self.client.post.return_value = mock.Mock(status_code=409)
        self.put_status = 409
        self._write_while_one_is_out('b', 'c')
        self.assertEqual({'a': 409, 'b': 409, 'c': 409}, self.answers)
        self.assertEqual(['/allocations/a', '/allocations/b',
                          '/allocations/c'],
                         sorted(c.args[0]
                                for c in self.client.put.call_args_list))

    def test_placement_unreachable_fails_every_claim_of_the_batch(self):
        self.client.post.side_effect = ks_exc.ConnectFailure('down')
        self._write_while_one_is_out('b', 'c')
        self.assertEqual(204, self.answers['a'])
        self.assertIsInstance(self.answers['b'], ks_exc.ConnectFailure)
        self.assertIsInstance(self.answers['c'], ks_exc.ConnectFailure)

    def test_the_batcher_is_free_again_after_a_batch(self):
        self.client.post.return_value = mock.Mock(status_code=204)
        self._write_while_one_is_out('b', 'c')
        self._write('d')
        self.assertEqual(204, self.answers['d'])
        self.assertEqual(2, self.client.put.call_count)
        self.assertFalse(self.batcher._sending)
