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
