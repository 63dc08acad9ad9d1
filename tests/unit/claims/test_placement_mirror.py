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

import collections
import json
import threading
import time
import uuid

import fixtures
from keystoneauth1 import exceptions as ks_exc
import testtools

from nova_cassandra.claims import placement_mirror
from nova_cassandra import metrics

NODE, SOURCE = str(uuid.uuid4()), str(uuid.uuid4())
SMALL = {'VCPU': 1, 'MEMORY_MB': 512}


class Response:

    def __init__(self, status_code, body=None):
        self.status_code = status_code
        self._body = body or {}
        self.text = json.dumps(self._body)

    def json(self):
        return self._body


class FakePlacement:
    """POST /allocations and GET /allocations/{consumer}, as placement.

    ``refuse``: consumer -> the statuses its next writes get, in turn
    (a batch holding it gets the first); ``held``: consumer -> its
    allocations and generation in placement.  ``gate``, if set, holds
    every POST until it is set.
    """

    def __init__(self):
        self.posts = []
        self.refuse = collections.defaultdict(list)
        self.held = {}
        self.gate = None
        self.posting = threading.Event()

    def post(self, url, data, version=None):
        assert (url, version) == ('/allocations', '1.28'), (url, version)
        self.posts.append(data)
        self.posting.set()
        if self.gate:
            self.gate.wait(10)
        for consumer in data:
            if self.refuse[consumer]:
                status = self.refuse[consumer].pop(0)
                if status is None:
                    raise ks_exc.ConnectFailure('placement is down')
                return Response(status, {'errors': [{'detail': 'no'}]})
        for consumer, body in data.items():
            held = self.held.get(consumer)
            self.held[consumer] = {
                'allocations': body['allocations'],
                'consumer_generation': held['consumer_generation'] + 1
                if held else 1}
        return Response(204)

    def get(self, url, version=None):
        assert version == '1.28', version
        consumer = url.rsplit('/', 1)[1]
        return Response(200, self.held.get(consumer, {'allocations': {}}))

    def written(self):
        """``{consumer: allocations}`` of every successful write."""
        return {c: h['allocations'] for c, h in self.held.items()}


def write(consumer=None):
    return placement_mirror.Write(consumer or str(uuid.uuid4()),
                                  {NODE: {'resources': dict(SMALL)}},
                                  'project', 'user')


class TestMirror(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.patch(metrics, '_COUNTS', collections.Counter())
        self.patch(placement_mirror, 'FIRST_BACKOFF', 0.001)
        self.placement = FakePlacement()
        self.mirror = placement_mirror.Mirror(
            placement_mirror.Writer(self.placement))

    def _submit_all(self, writes):
        for w in writes:
            self.mirror.submit(w)
        self.assertTrue(self.mirror.flush(10))

    def test_queued_writes_go_in_batches(self):
        self.placement.gate = threading.Event()
        first = write()
        self.mirror.submit(first)
        self.assertTrue(self.placement.posting.wait(10))
        rest = [write() for _ in range(250)]
        for w in rest:
            self.mirror.submit(w)
        self.placement.gate.set()
        self.assertTrue(self.mirror.flush(10))
        self.assertEqual([1, 100, 100, 50],
                         [len(p) for p in self.placement.posts])
        self.assertEqual({w.consumer: {NODE: {'resources': SMALL}}
                          for w in [first] + rest},
                         self.placement.written())
        body = self.placement.posts[1][rest[0].consumer]
        self.assertEqual({'project_id': 'project', 'user_id': 'user',
                          'consumer_generation': None},
                         {k: body[k] for k in ('project_id', 'user_id',
                                               'consumer_generation')})
        counts = metrics.snapshot()
        self.assertEqual((251, 251, 0, 0, 4),
                         (counts['mirror_queued'], counts['mirror_written'],
                          counts.get('mirror_failed', 0),
                          counts.get('mirror_retries', 0),
                          counts['mirror_posts']))
        self.assertEqual(251, sum(
            amount for name, amount in counts.items()
            if metrics.is_bucket(name, 'mirror_lag_ms')))
        self.assertIsNotNone(metrics.percentile(counts, 'mirror_lag_ms',
                                                0.99))

    def test_refused_batch_is_split_and_the_refused_retried(self):
        writes = [write() for _ in range(5)]
        bad = writes[2].consumer
        self.placement.refuse[bad] = [500, 500, None]
        self.placement.gate = threading.Event()
        for w in writes:
            self.mirror.submit(w)
        self.placement.gate.set()
        self.assertTrue(self.mirror.flush(10))
        self.assertEqual({w.consumer for w in writes},
                         set(self.placement.written()))
        counts = metrics.snapshot()
        self.assertEqual(5, counts['mirror_written'])
        self.assertEqual(2, counts['mirror_retries'])
        self.assertNotIn('mirror_failed', counts)
        # The batch refused for it, then alone: refused, unreachable,
        # written.
        self.assertEqual([{bad}] * 3, [set(p) for p in self.placement.posts
                                       if bad in p and len(p) == 1])

    def test_unreachable_placement_is_not_asked_once_per_consumer(self):
        writes = [write() for _ in range(3)]
        self.placement.refuse[writes[0].consumer] = [None]
        with self.mirror._cond:  # the thread takes them all at once
            for w in writes:
                self.mirror.submit(w)
        self.assertTrue(self.mirror.flush(10))
        self.assertEqual({w.consumer for w in writes},
                         set(self.placement.written()))
        # Unreachable, then written: never split.
        self.assertEqual([3, 3], [len(p) for p in self.placement.posts])
        self.assertEqual(3, metrics.snapshot()['mirror_retries'])

    def test_a_write_refused_every_time_is_counted_and_logged(self):
        logged = self.useFixture(
            fixtures.FakeLogger(name=placement_mirror.__name__))
        good, bad = write(), write()
        self.placement.refuse[bad.consumer] = [400] * 100
        self._submit_all([good, bad])
        self.assertEqual([good.consumer], list(self.placement.written()))
        counts = metrics.snapshot()
        self.assertEqual((1, 1, placement_mirror.MAX_ATTEMPTS - 1),
                         (counts['mirror_written'], counts['mirror_failed'],
                          counts['mirror_retries']))
        self.assertIn('Gave up writing the allocation of %s' % bad.consumer,
                      logged.output)

    def test_consumer_already_holding_the_allocation_is_written(self):
        w = write()
        self.placement.held[w.consumer] = {
            'allocations': {NODE: {'resources': dict(SMALL),
                                   'generation': 7}},
            'consumer_generation': 2}
        self.placement.refuse[w.consumer] = [409]
        self._submit_all([w])
        self.assertEqual(1, len(self.placement.posts))
        counts = metrics.snapshot()
        self.assertEqual(1, counts['mirror_written'])
        self.assertNotIn('mirror_retries', counts)

    def test_consumer_with_other_allocations_keeps_them(self):
        # An evacuation: the instance still holds its source host.
        w = write()
        source = {SOURCE: {'resources': {'VCPU': 1}}}
        self.placement.held[w.consumer] = {'allocations': source,
                                           'consumer_generation': 4}
        self.placement.refuse[w.consumer] = [409]
        self._submit_all([w])
        retry = self.placement.posts[-1][w.consumer]
        self.assertEqual(4, retry['consumer_generation'])
        self.assertEqual(dict(source, **{NODE: {'resources': SMALL}}),
                         self.placement.written()[w.consumer])

    def test_cancel_drops_queued_and_waits_for_in_flight(self):
        self.placement.gate = threading.Event()
        in_flight = write()
        self.mirror.submit(in_flight)
        self.assertTrue(self.placement.posting.wait(10))
        queued, kept = write(), write()
        self.mirror.submit(queued)
        self.mirror.submit(kept)
        cancelled = threading.Event()

        def cancel():
            self.mirror.cancel([in_flight.consumer, queued.consumer])
            cancelled.set()

        threading.Thread(target=cancel).start()
        # Not before the write in flight is answered.
        self.assertFalse(cancelled.wait(0.2))
        self.placement.gate.set()
        self.assertTrue(cancelled.wait(10))
        self.assertTrue(self.mirror.flush(10))
        self.assertEqual({in_flight.consumer, kept.consumer},
                         set(self.placement.written()))
        self.assertEqual(1, metrics.snapshot()['mirror_cancelled'])

    def test_cancel_drops_a_retry_of_a_write_in_flight(self):
        # The retry waits long enough for cancel to find it queued.
        self.patch(placement_mirror, 'FIRST_BACKOFF', 5)
        self.placement.gate = threading.Event()
        w = write()
        self.placement.refuse[w.consumer] = [500]
        self.mirror.submit(w)
        self.assertTrue(self.placement.posting.wait(10))
        threading.Timer(0.1, self.placement.gate.set).start()
        self.mirror.cancel([w.consumer])
        self.assertTrue(self.mirror.flush(10))
        self.assertEqual({}, self.placement.written())
        self.assertEqual(1, len(self.placement.posts))

    def _wait(self, predicate):
        deadline = time.monotonic() + 5
        while not predicate():
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.01)

    def test_writes_waiting_for_placement_go_once_it_answers(self):
        # Back-offs that only a write getting through can cut short.
        self.patch(placement_mirror, 'FIRST_BACKOFF', 60)
        refused, waiting = write(), write()
        self.placement.refuse[refused.consumer] = [500]
        self.placement.refuse[waiting.consumer] = [None]
        for n, w in enumerate((refused, waiting), 1):
            self.mirror.submit(w)
            self._wait(lambda: metrics.snapshot().get(
                'mirror_retries') == n)
        # Placement is back: the next write gets through, and so does the
        # one that found it unreachable; a refusal keeps its back-off.
        fresh = write()
        self.mirror.submit(fresh)
        self._wait(lambda: waiting.consumer in self.placement.written())
        self.assertEqual({fresh.consumer, waiting.consumer},
                         set(self.placement.written()))


class TestBackoff(testtools.TestCase):

    def test_doubles_up_to_its_cap_within_the_attempts(self):
        waits = [placement_mirror.backoff(n)
                 for n in range(1, placement_mirror.MAX_ATTEMPTS)]
        self.assertEqual([0.2, 0.4, 0.8], waits[:3])
        self.assertEqual(placement_mirror.MAX_BACKOFF, waits[-1])
        self.assertLess(sum(waits), 120)
