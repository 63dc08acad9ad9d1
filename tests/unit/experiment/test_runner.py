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

from nova_cassandra_experiment import runner


class TestDrained(testtools.TestCase):

    def test_drained_once_every_queued_write_is_accounted_for(self):
        self.assertTrue(runner._drained({}))
        self.assertFalse(runner._drained({'mirror_queued': 3,
                                          'mirror_written': 2}))
        self.assertTrue(runner._drained({
            'mirror_queued': 5, 'mirror_written': 2, 'mirror_failed': 1,
            'mirror_cancelled': 2, 'mirror_retries': 7}))
