from cassandra import cluster
from cassandra.io import eventletreactor
import testtools

from nova_cassandra.store import session


class TestProtocolVersion(testtools.TestCase):

    def test_v5_on_the_driver_loop(self):
        self.assertEqual(5, session._protocol_version(
            cluster.Cluster.connection_class))

    def test_v4_on_the_eventlet_loop(self):
        self.assertEqual(4, session._protocol_version(
            eventletreactor.EventletConnection))
