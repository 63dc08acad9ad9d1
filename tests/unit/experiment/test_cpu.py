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
import shutil

import fixtures
import testtools

from nova_cassandra_experiment import cpu


def _write_process(proc, pid, ppid, ticks, cmdline, comm='x'):
    os.makedirs(os.path.join(proc, str(pid)))
    # utime and stime are fields 14 and 15; comm may hold ") ".
    fields = ['S', str(ppid)] + ['0'] * 9 + [str(ticks), '0'] + ['0'] * 6
    with open(os.path.join(proc, str(pid), 'stat'), 'w') as f:
        f.write('%d (%s) %s\n' % (pid, comm, ' '.join(fields)))
    with open(os.path.join(proc, str(pid), 'cmdline'), 'wb') as f:
        f.write(cmdline.replace(' ', '\0').encode())


class TestCpu(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.proc = self.useFixture(fixtures.TempDir()).path

    def test_read_process_parses_odd_command_names(self):
        _write_process(self.proc, 7, 1, 250, 'a b', comm='we) ird')
        self.assertEqual((1, 250, 'a b'), cpu.read_process(7, self.proc))
        self.assertIsNone(cpu.read_process(8, self.proc))

    def test_groups(self):
        processes = {
            10: (1, 0, 'nova-scheduler'),
            11: (10, 0, 'nova-scheduler'),          # its forked worker
            20: (1, 0, 'python -m compute'),
            30: (1, 0, 'gunicorn placement.wsgi.api:application'),
            31: (30, 0, 'gunicorn placement.wsgi.api:application'),
            40: (1, 0, '/usr/sbin/mariadbd --port=3306'),
            50: (1, 0, 'beam.smp -- -rabbit plugins_dir'),
            60: (1, 0, 'java org.apache.cassandra.service.CassandraDaemon'),
            99: (1, 0, 'nova-cassandra-experiment'),
            100: (99, 0, 'bash'),
        }
        self.assertEqual(
            {10: 'schedulers', 11: 'schedulers', 20: 'fleet',
             30: 'placement', 31: 'placement', 40: 'mariadb',
             50: 'rabbitmq', 60: 'cassandra', 99: 'driver'},
            cpu.groups_of(processes, {'schedulers': {10}, 'fleet': {20}},
                          driver_pid=99))

    def _write_stat(self, user, system, idle, irq=0):
        # cpu user nice system idle iowait irq softirq steal guest guest_n
        with open(os.path.join(self.proc, 'stat'), 'w') as f:
            f.write('cpu  %d 0 %d %d 7 %d 0 0 5 0\ncpu0 0 0 0 0 0 0 0 0 0 0\n'
                    % (user, system, idle, irq))

    def test_busy_ticks_leave_idle_iowait_and_guest_out(self):
        self._write_stat(100, 20, 1000, irq=3)
        self.assertEqual(123, cpu.busy_ticks(self.proc))

    def test_window_counts_only_what_was_used_inside(self):
        self._write_stat(1000, 200, 5000)
        _write_process(self.proc, 10, 1, 100, 'nova-scheduler')
        _write_process(self.proc, 30, 1, 500, 'placement.wsgi')
        window = cpu.Window({'schedulers': {10}}, proc=self.proc)
        window.start()
        shutil.rmtree(os.path.join(self.proc, '10'))
        _write_process(self.proc, 10, 1, 130, 'nova-scheduler')
        _write_process(self.proc, 11, 10, 20, 'nova-scheduler')  # new child
        # The box was busy 80 ticks: the groups account for 50.
        self._write_stat(1060, 220, 5100)
        used = window.stop()
        self.assertEqual(50 * cpu.TICK_MS, used['schedulers'])
        self.assertEqual(0, used['placement'])
        self.assertEqual(0, used['cassandra'])
        self.assertEqual(80 * cpu.TICK_MS, window.busy_ms)
        self.assertAlmostEqual(30 / 80, window.unaccounted)
