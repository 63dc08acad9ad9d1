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

import os
import sys
import time

import fixtures
import testtools

from nova_cassandra_experiment import processes

# A service that forks a worker and ignores SIGTERM, as a stuck one would.
STUBBORN = '''
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.fork() == 0:
    time.sleep(60)
print('started', flush=True)
time.sleep(60)
'''


class TestProcess(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.run_dir = self.useFixture(fixtures.TempDir()).path

    def test_conf_merge_and_write(self):
        conf = processes.merge_conf({'DEFAULT': {'host': 'a', 'debug': 1}},
                                    {'DEFAULT': {'host': 'b'},
                                     'scheduler': {'workers': 1}})
        self.assertEqual({'DEFAULT': {'host': 'b', 'debug': 1},
                          'scheduler': {'workers': 1}}, conf)
        path = os.path.join(self.run_dir, 'x.conf')
        processes.write_conf(path, conf)
        with open(path) as f:
            self.assertIn('[scheduler]\nworkers = 1\n', f.read())

    def test_stop_kills_the_whole_group(self):
        process = processes.Process(
            'svc', [sys.executable, '-c', STUBBORN], ['/etc/nova.conf'], {},
            self.run_dir)
        self.assertEqual(['--config-file', '/etc/nova.conf', '--config-file',
                          os.path.join(self.run_dir, 'svc.conf')],
                         process.argv[3:])
        group = processes.ProcessGroup()
        group.start(process)
        self.addCleanup(group.stop)
        group.wait_for('start', lambda: 'started' in process.log_text(),
                       timeout=20, interval=0.1)
        pgid = process.popen.pid
        start = time.monotonic()
        process.stop(timeout=1)
        self.assertLess(time.monotonic() - start, 10)
        self.assertRaises(ProcessLookupError, os.killpg, pgid, 0)

    def test_wait_for_fails_when_a_process_dies(self):
        group = processes.ProcessGroup()
        self.addCleanup(group.stop)
        group.start(processes.Process(
            'dies', [sys.executable, '-c', 'raise SystemExit(3)'], [], {},
            self.run_dir))
        error = self.assertRaises(RuntimeError, group.wait_for, 'never',
                                  lambda: False, timeout=20, interval=0.1)
        self.assertIn('dies exited with status 3', str(error))
