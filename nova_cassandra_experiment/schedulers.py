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

"""K real nova-scheduler processes behind RabbitMQ.

Each has its own ``[DEFAULT] host`` and ``[scheduler] workers = 1`` (nova
still forks that worker).  A scheduler is ready when the ``scheduler``
queue has K consumers and the computes' instance-info casts have reached
it twice: the first sync from a host it does not know makes it read that
host's instances from the database, the second marks them up to date, and
only then does it stop querying the instances table per host per request.

What nova-cassandra's schedulers count of their own work (``metrics``) is
read from the files they write it to, before and after a run.
"""

import collections
import glob
import json
import os
import re
import time

import kombu
from oslo_log import log as logging

from nova_cassandra_experiment import processes

LOG = logging.getLogger(__name__)

HOST = 'nc-exp-scheduler-%d'
QUEUE = 'scheduler'
_UNKNOWN_HOST = re.compile(r"from an unknown host '([^']+)'")
# nova's report client logs every refused claim (PUT /allocations) as
# "Failed to save allocation for <consumer>. Got HTTP <status>: <body>";
# placement.concurrent_update is a provider generation conflict, which
# nova retries (up to 4 times, sleeping 0..2*attempt s), anything else
# (capacity taken meanwhile) makes it try the next host.
_CLAIM_REFUSED = 'Failed to save allocation for'
_GENERATION_CONFLICT = 'placement.concurrent_update'
_OUT_OF_RETRIES = 'out of retries'
# nova-cassandra's claims count their lost races (``metrics``): a lost
# compare-and-set, a node found full at claim time, claims given up.
_STORE_CLAIMS = (('conflicts', 'generation_conflicts'),
                 ('no_fit', 'capacity_conflicts'),
                 ('gave_up', 'out_of_retries'))
# Seconds between two writes of a scheduler's counters.
METRICS_INTERVAL = 1.0
# nova's ComputeFilter, for each host state of a compute the service group
# calls down.
_NOT_HEARD_FROM = 'has not been heard from in a while'


def queue_consumers(transport_url, queue=QUEUE):
    """Consumers RabbitMQ counts on ``queue`` (0 if it does not exist)."""
    url = re.sub(r'^rabbit://', 'amqp://', transport_url)
    with kombu.Connection(url, connect_timeout=10) as connection:
        try:
            return connection.default_channel.queue_declare(
                queue, passive=True).consumer_count
        except connection.channel_errors:
            return 0


def claim_conflicts(log_text, counters=None):
    """Refused claims, by kind, from a scheduler log and its counters.

    Placement's refusals as nova logs them, and the compare-and-set races
    nova-cassandra's claims count (``counters``, ``metrics`` names),
    alike: a generation conflict (retried on the same node), a node found
    full at claim time (the scheduler moves on to its next host) and
    claims given up.
    """
    counts = {kind: (counters or {}).get(name, 0)
              for name, kind in _STORE_CLAIMS}
    for line in log_text.splitlines():
        if _CLAIM_REFUSED in line:
            kind = ('generation_conflicts' if _GENERATION_CONFLICT in line
                    else 'capacity_conflicts')
            counts[kind] += 1
        elif _OUT_OF_RETRIES in line:
            counts['out_of_retries'] += 1
    return counts


def read_counters(directory, since, timeout):
    """The counters of every process writing to ``directory``, summed.

    Waits (up to ``timeout`` s) until each file was written after
    ``since`` (a ``time.time()``), so that it holds everything counted
    before then.
    """
    deadline = time.monotonic() + timeout
    while True:
        snapshots = []
        for path in glob.glob(os.path.join(directory, '*.json')):
            with open(path) as f:
                snapshots.append(json.load(f))
        stale = [s['pid'] for s in snapshots if s['written_at'] < since]
        if not stale or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if stale:
        LOG.warning('Counters of pids %s not written since %s; using '
                    'older ones.', stale, since)
    total = collections.Counter()
    for snapshot in snapshots:
        total.update(snapshot['counts'])
    return dict(total)


def computes_down(log_text):
    """Host states a scheduler log shows ComputeFilter dropped as down."""
    return sum(1 for line in log_text.splitlines() if _NOT_HEARD_FROM in line)


class Schedulers(processes.ProcessGroup):

    def __init__(self, count, config_files, scheduler_conf, run_dir,
                 transport_url):
        super().__init__()
        self.count = count
        self.config_files = config_files
        self.scheduler_conf = scheduler_conf
        self.run_dir = run_dir
        self.transport_url = transport_url
        self.metrics_dir = os.path.join(run_dir, 'metrics')
        self.marks = {}
        self.counters = {}

    def start_all(self, compute_hosts, sync_interval, timeout):
        others = queue_consumers(self.transport_url)
        if others:
            raise RuntimeError(
                '%d consumer(s) already on the %s queue: another '
                'nova-scheduler would take part of the requests'
                % (others, QUEUE))
        for i in range(self.count):
            self.start(processes.Process(
                'scheduler-%d' % i, [processes.venv_command('nova-scheduler')],
                self.config_files, processes.merge_conf(
                    {'DEFAULT': {'host': HOST % i},
                     'scheduler': {'workers': 1},
                     'metrics': {'snapshot_dir': self.metrics_dir,
                                 'snapshot_interval': METRICS_INTERVAL}},
                    self.scheduler_conf),
                self.run_dir))
        self.wait_for('%d consumers on the %s queue' % (self.count, QUEUE),
                      self._consuming, timeout)
        if self.scheduler_conf.get('filter_scheduler', {}).get(
                'track_instance_changes', True):
            self.wait_for('instance info from %d compute hosts'
                          % len(compute_hosts),
                          lambda: self._synced(set(compute_hosts)), timeout)
            # The next sync marks every host up to date.
            time.sleep(sync_interval + 2)
        self.check_alive()

    def _consuming(self):
        consumers = queue_consumers(self.transport_url)
        if consumers > self.count:
            raise RuntimeError('%d consumers on the %s queue, expected %d'
                               % (consumers, QUEUE, self.count))
        return consumers == self.count

    def _synced(self, compute_hosts):
        return all(compute_hosts <= set(_UNKNOWN_HOST.findall(p.log_text()))
                   for p in self.processes)

    def mark(self):
        """Start counting log events and counters from here."""
        self.marks = {p.name: os.path.getsize(p.log_path)
                      for p in self.processes}
        self.counters = self._read_counters()

    def _read_counters(self):
        # A scheduler that counted before now (its writer started then)
        # writes within METRICS_INTERVAL s.
        since = time.time()
        time.sleep(METRICS_INTERVAL)
        return read_counters(self.metrics_dir, since,
                             timeout=5 * METRICS_INTERVAL)

    def counted(self):
        """What the schedulers counted (``metrics``) since ``mark()``."""
        now = self._read_counters()
        return {name: count - self.counters.get(name, 0)
                for name, count in now.items()}

    def _logs(self):
        """Each scheduler's log text since ``mark()``."""
        return [process.log_text(self.marks.get(process.name, 0))
                for process in self.processes]

    def claim_conflicts(self, counted):
        """Refused claims since ``mark()``: logged, and ``counted()``."""
        total = collections.Counter(claim_conflicts('', counted))
        for text in self._logs():
            total.update(claim_conflicts(text))
        return dict(total)

    def computes_down(self):
        """Host states every scheduler dropped as down since ``mark()``."""
        return sum(computes_down(text) for text in self._logs())
