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

"""nova service processes the experiment starts, and always stops.

Each runs in a session of its own (``setsid``), so that stopping it also
stops the workers it forks, with the stack's nova.conf plus an overrides
file written next to its log.
"""

import configparser
import os
import signal
import subprocess
import sys
import time

from oslo_log import log as logging

LOG = logging.getLogger(__name__)


def merge_conf(*confs):
    """Merge ``{group: {option: value}}`` dicts; later ones win."""
    merged = {}
    for conf in confs:
        for group, options in conf.items():
            merged.setdefault(group, {}).update(options)
    return merged


def write_conf(path, conf):
    """Write ``{group: {option: value}}`` as an ini file."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    for group, options in conf.items():
        parser[group] = {name: str(value) for name, value in options.items()}
    with open(path, 'w') as f:
        parser.write(f)


def venv_command(name):
    """A console script of the virtualenv this Python runs in."""
    return os.path.join(os.path.dirname(sys.executable), name)


class Process:
    """One service process, its overrides file and its log in ``run_dir``."""

    def __init__(self, name, command, config_files, conf, run_dir):
        self.name = name
        self.log_path = os.path.join(run_dir, name + '.log')
        conf_path = os.path.join(run_dir, name + '.conf')
        write_conf(conf_path, merge_conf(
            conf, {'DEFAULT': {'log_file': self.log_path}}))
        self.argv = list(command)
        for path in list(config_files) + [conf_path]:
            self.argv += ['--config-file', path]
        self.popen = None

    def start(self):
        self._log = open(self.log_path, 'w')
        self._log.write('# %s\n' % ' '.join(self.argv))
        self._log.flush()
        self.popen = subprocess.Popen(
            self.argv, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True)
        LOG.debug('started %s, pid %d, log %s', self.name, self.popen.pid,
                  self.log_path)

    def check_alive(self):
        if self.popen.poll() is not None:
            raise RuntimeError('%s exited with status %s; its log: %s'
                               % (self.name, self.popen.returncode,
                                  self.log_path))

    def log_text(self, offset=0):
        """The log from byte ``offset`` on."""
        with open(self.log_path, 'rb') as f:
            f.seek(offset)
            return f.read().decode(errors='replace')

    def terminate(self):
        """SIGTERM the process group."""
        if self.popen is not None:
            _signal_group(self.popen.pid, signal.SIGTERM)

    def alive(self):
        """Whether anything of the process group is left."""
        if self.popen is None:
            return False
        self.popen.poll()  # reap the leader, or it lingers as a zombie
        return _signal_group(self.popen.pid, 0)

    def kill(self):
        """SIGKILL what is left of the process group and reap it."""
        if self.popen is not None:
            _signal_group(self.popen.pid, signal.SIGKILL)
            self.popen.wait()
            self._log.close()
            self.popen = None

    def stop(self, timeout=15):
        """SIGTERM the process group, SIGKILL it after ``timeout`` s."""
        _stop([self], timeout)


def _signal_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    return True


def _stop(processes, timeout):
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + timeout
    while (any(process.alive() for process in processes) and
           time.monotonic() < deadline):
        time.sleep(0.2)
    for process in processes:
        process.kill()


class ProcessGroup:
    """Processes started together and stopped together, even on error."""

    def __init__(self):
        self.processes = []

    def start(self, process):
        self.processes.append(process)
        process.start()
        return process

    def check_alive(self):
        for process in self.processes:
            process.check_alive()

    def pids(self):
        return {p.popen.pid for p in self.processes if p.popen}

    def stop(self, timeout=15):
        """Stop every process at once, SIGKILL after ``timeout`` s."""
        _stop(self.processes, timeout)
        self.processes = []

    def wait_for(self, what, predicate, timeout, interval=1.0):
        """Poll ``predicate()`` until true.

        Fails when a process of the group dies, or after ``timeout`` s.
        """
        deadline = time.monotonic() + timeout
        while not predicate():
            self.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError('timed out after %ds waiting for %s'
                                   % (timeout, what))
            time.sleep(interval)
