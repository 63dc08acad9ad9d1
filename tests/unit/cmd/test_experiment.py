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

import fcntl

import fixtures
import testtools

from nova_cassandra_experiment import cmd as experiment


class TestFailed(testtools.TestCase):

    CLEAN_PASS = {'setup': 'cassandra', 'capacity_violations': [],
                  'errors': 0, 'missing_allocations': 0,
                  'store_offenders': [], 'leaked_allocations': 0,
                  'leaked_claims': 0}

    def test_a_clean_pass_or_run_does_not_fail(self):
        self.assertFalse(experiment._failed(self.CLEAN_PASS))
        # A set-up that writes no allocations reports None.
        self.assertFalse(experiment._failed(
            dict(self.CLEAN_PASS, missing_allocations=None)))

    def test_stock_s_own_over_commit_is_a_finding_not_a_failure(self):
        over = dict(self.CLEAN_PASS, capacity_violations=[{'rp_uuid': 'r'}])
        for setup in ('stock', 'stock-tuned'):
            self.assertFalse(experiment._failed(dict(over, setup=setup)))
            self.assertTrue(experiment._failed(dict(over, setup=setup,
                                                    errors=1)))
        for setup in ('stock-fixed', 'cassandra', 'mysql-1'):
            self.assertTrue(experiment._failed(dict(over, setup=setup)))

    def test_each_loss_fails_the_experiment(self):
        for key, value in (('capacity_violations', [{'rp_uuid': 'r'}]),
                           ('errors', 1), ('missing_allocations', 1),
                           ('mirror_drift', 1),
                           ('store_offenders', [{'node': 'n'}]),
                           ('cassandra_offenders', [{'node': 'n'}]),
                           ('leaked_allocations', 2), ('leaked_claims', 1)):
            self.assertTrue(experiment._failed(
                dict(self.CLEAN_PASS, **{key: value})), key)


class TestAlone(testtools.TestCase):

    def test_a_second_experiment_waits_for_the_lock(self):
        path = self.useFixture(fixtures.TempDir()).join('sub', 'lock')
        with experiment._alone(path):
            with open(path) as f:
                self.assertEqual(str(experiment.os.getpid()), f.read())
                self.assertRaises(BlockingIOError, fcntl.flock, f,
                                  fcntl.LOCK_EX | fcntl.LOCK_NB)
        with open(path) as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
