import testtools

from nova_cassandra.experiment import runner


class TestDrained(testtools.TestCase):

    def test_drained_once_every_queued_write_is_accounted_for(self):
        self.assertTrue(runner._drained({}))
        self.assertFalse(runner._drained({'mirror_queued': 3,
                                          'mirror_written': 2}))
        self.assertTrue(runner._drained({
            'mirror_queued': 5, 'mirror_written': 2, 'mirror_failed': 1,
            'mirror_cancelled': 2, 'mirror_retries': 7}))
