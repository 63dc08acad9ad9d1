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

"""CPU time by process group over a measured window, from /proc.

A group is either the process trees rooted at pids the experiment started
(schedulers with their forked workers, the fleet) or the processes whose
command line matches a pattern (the stack's servers).  The figure is user +
system time consumed between ``start()`` and ``stop()``; a process that
exits inside the window loses what it used there.

The groups are checked against the box's own count of busy time
(``/proc/stat``): what no group accounts for (other processes on the box,
processes gone before ``stop()``, interrupts) is reported as a share.
"""

import os

TICK_MS = 1000.0 / os.sysconf('SC_CLK_TCK')

# Stack servers, by a fragment of their command line.
PATTERNS = (
    ('placement', 'placement.wsgi'),
    ('mariadb', 'mariadbd'),
    ('rabbitmq', 'rabbit'),
    ('cassandra', 'CassandraDaemon'),
)


def read_process(pid, proc='/proc'):
    """``(ppid, cpu ticks, command line)``; None when the pid is gone."""
    try:
        with open('%s/%d/stat' % (proc, pid)) as f:
            stat = f.read()
        with open('%s/%d/cmdline' % (proc, pid), 'rb') as f:
            cmdline = f.read().replace(b'\0', b' ').decode(errors='replace')
    except (FileNotFoundError, ProcessLookupError):
        return None
    # Fields after the command name, which may hold spaces and ')'.
    fields = stat[stat.rindex(')') + 2:].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), cmdline


def busy_ticks(proc='/proc'):
    """Ticks all CPUs of the box spent on anything but idling.

    ``/proc/stat``'s first line: user nice system idle iowait irq softirq
    steal (guest time is already in user and nice).
    """
    with open('%s/stat' % proc) as f:
        user, nice, system, idle, iowait, irq, softirq, steal = (
            int(v) for v in f.readline().split()[1:9])
    return user + nice + system + irq + softirq + steal


def snapshot(proc='/proc'):
    """``{pid: (ppid, ticks, cmdline)}`` of every process."""
    processes = {}
    for name in os.listdir(proc):
        if name.isdigit():
            info = read_process(int(name), proc)
            if info:
                processes[int(name)] = info
    return processes


def groups_of(processes, roots, driver_pid):
    """``{pid: group}`` of the processes.

    First the trees of ``roots`` (``{group: pids}``), then the driver (this
    process alone), then the stack servers by command line.
    """
    children = {}
    for pid, (ppid, _ticks, _cmdline) in processes.items():
        children.setdefault(ppid, []).append(pid)
    found = {}
    for group, pids in roots.items():
        todo = list(pids)
        while todo:
            pid = todo.pop()
            found[pid] = group
            todo.extend(children.get(pid, ()))
    found.setdefault(driver_pid, 'driver')
    for pid, (_ppid, _ticks, cmdline) in processes.items():
        if pid not in found:
            for group, fragment in PATTERNS:
                if fragment in cmdline:
                    found[pid] = group
                    break
    return found


class Window:
    """CPU milliseconds per group between ``start()`` and ``stop()``.

    After ``stop()``, ``busy_ms`` is the box's busy time over the window
    and ``unaccounted`` the share of it no group used.
    """

    def __init__(self, roots, proc='/proc'):
        self.roots = roots
        self.proc = proc

    def start(self):
        self.busy_before = busy_ticks(self.proc)
        self.before = snapshot(self.proc)

    def stop(self):
        after = snapshot(self.proc)
        self.busy_ms = (busy_ticks(self.proc) - self.busy_before) * TICK_MS
        groups = groups_of(after, self.roots, os.getpid())
        used = {group: 0.0 for group in
                list(self.roots) + ['driver'] + [g for g, _ in PATTERNS]}
        for pid, (_ppid, ticks, _cmdline) in after.items():
            if pid in groups:
                was = self.before.get(pid, (None, 0))[1]
                used[groups[pid]] += (ticks - was) * TICK_MS
        self.unaccounted = (max(0.0, self.busy_ms - sum(used.values()))
                            / self.busy_ms if self.busy_ms else 0.0)
        return used
