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

import testtools

from nova_cassandra_experiment import yardstick


class TestYardstick(testtools.TestCase):

    def test_the_least_cpu_time_of_the_tries_in_ms(self):
        # process_time before and after each of three tries: 30, 20, 25 ms.
        clock = iter([1.0, 1.03, 2.0, 2.02, 3.0, 3.025])
        with mock.patch.object(yardstick.time, 'process_time',
                               side_effect=lambda: next(clock)), \
                mock.patch.object(yardstick, '_work') as work:
            self.assertEqual(20.0, yardstick.measure(tries=3))
        self.assertEqual(3, work.call_count)

    def test_the_workload_is_fixed(self):
        self.assertEqual(yardstick._work(), yardstick._work())
        self.assertGreater(yardstick.measure(tries=1), 0)
