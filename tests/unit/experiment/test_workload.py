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

import testtools

from nova_cassandra_experiment import fake_driver
from nova_cassandra_experiment import workload


class NoValidHost_Remote(Exception):
    """What oslo.messaging re-raises for the scheduler's NoValidHost."""


class TestStream(testtools.TestCase):

    def test_same_seed_same_stream(self):
        self.assertEqual(workload.stream(7, 50, 0.1),
                         workload.stream(7, 50, 0.1))
        self.assertNotEqual(workload.stream(7, 50, 0.1),
                            workload.stream(8, 50, 0.1))

    def test_oversized_share_and_uniqueness(self):
        requests = workload.stream(1, 200, 0.05)
        self.assertEqual(10, sum(r.flavor is workload.OVERSIZED
                                 for r in requests))
        self.assertEqual(200, len({r.instance_uuid for r in requests}))

    def test_oversized_fits_no_node_size(self):
        largest = max(s.memory_mb for s in fake_driver.SIZES)
        self.assertGreater(workload.OVERSIZED.memory_mb, largest)

    def test_demand_leaves_out_oversized(self):
        small, medium = workload.FLAVORS[:2]
        requests = [workload.Request('a', small),
                    workload.Request('b', medium),
                    workload.Request('c', workload.OVERSIZED)]
        self.assertEqual({'VCPU': 3, 'MEMORY_MB': 6144, 'DISK_GB': 60},
                         workload.demand(requests))


class TestDrive(testtools.TestCase):

    def test_outcomes_in_order_with_errors_classified(self):
        requests = workload.stream(3, 30, 0.2)
        in_flight, peak, lock = [0], [0], threading.Lock()

        def call(request):
            with lock:
                in_flight[0] += 1
                peak[0] = max(peak[0], in_flight[0])
            time.sleep(0.01)
            with lock:
                in_flight[0] -= 1
            if request.flavor is workload.OVERSIZED:
                raise NoValidHost_Remote('No valid host was found.')
            if request.instance_uuid == requests[0].instance_uuid:
                raise RuntimeError('timed out')
            return 'node-' + request.instance_uuid

        outcomes, seconds = workload.drive(requests, call, 4, timeout=60)
        self.assertEqual(requests, [o.request for o in outcomes])
        self.assertLessEqual(peak[0], 4)
        self.assertGreater(peak[0], 1)
        self.assertEqual(6, sum(o.error == workload.NOVALIDHOST
                                for o in outcomes))
        self.assertEqual('RuntimeError: timed out', outcomes[0].error)
        self.assertIsNone(outcomes[0].node)
        placed = [o for o in outcomes if o.node]
        self.assertEqual(len(requests) - 7, len(placed))
        self.assertTrue(all(o.seconds >= 0.01 for o in placed))
        self.assertGreater(seconds, 0)

    def test_requests_past_the_timeout_are_not_sent(self):
        sent = []
        outcomes, _ = workload.drive(
            workload.stream(1, 5, 0), lambda r: sent.append(r) or 'n', 1,
            timeout=-1)
        self.assertEqual([], sent)
        self.assertTrue(all(o.error.startswith('not sent') for o in outcomes))

    def test_done_is_called_once_per_request_failed_or_not(self):
        finished = []

        def call(request):
            if request.flavor is workload.OVERSIZED:
                raise NoValidHost_Remote('No valid host was found.')
            return 'n'

        outcomes, _ = workload.drive(workload.stream(2, 40, 0.2), call, 4,
                                     timeout=60,
                                     done=lambda: finished.append(1))
        self.assertEqual(40, len(finished))
        self.assertTrue(any(o.error for o in outcomes))
