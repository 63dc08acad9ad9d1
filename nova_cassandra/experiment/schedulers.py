"""K real nova-scheduler processes behind RabbitMQ.

Each has its own ``[DEFAULT] host`` and ``[scheduler] workers = 1`` (nova
still forks that worker).  A scheduler is ready when the ``scheduler``
queue has K consumers and the computes' instance-info casts have reached
it twice: the first sync from a host it does not know makes it read that
host's instances from the database, the second marks them up to date, and
only then does it stop querying the instances table per host per request.
"""

import collections
import os
import re
import time

import kombu
from oslo_log import log as logging

from nova_cassandra.claims import cassandra_claim
from nova_cassandra.experiment import processes

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
# nova-cassandra's claims log their lost races in their own words.
_STORE_CLAIMS = ((cassandra_claim.LOST_CAS, 'generation_conflicts'),
                 (cassandra_claim.NO_ROOM, 'capacity_conflicts'),
                 (cassandra_claim.GAVE_UP, 'out_of_retries'))
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


def claim_conflicts(log_text):
    """Refused claims in a scheduler log, by kind.

    Placement's refusals as nova logs them, and the compare-and-set races
    nova-cassandra's claims drivers log, counted alike: a generation
    conflict (retried on the same node), a node found full at claim time
    (the scheduler moves on to its next host) and claims given up.
    """
    counts = {'generation_conflicts': 0, 'capacity_conflicts': 0,
              'out_of_retries': 0}
    for line in log_text.splitlines():
        if _CLAIM_REFUSED in line:
            kind = ('generation_conflicts' if _GENERATION_CONFLICT in line
                    else 'capacity_conflicts')
            counts[kind] += 1
        elif _OUT_OF_RETRIES in line:
            counts['out_of_retries'] += 1
        else:
            for words, kind in _STORE_CLAIMS:
                if words in line:
                    counts[kind] += 1
    return counts


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
        self.marks = {}

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
                     'scheduler': {'workers': 1}},
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
        """Start counting log events from here."""
        self.marks = {p.name: os.path.getsize(p.log_path)
                      for p in self.processes}

    def _logs(self):
        """Each scheduler's log text since ``mark()``."""
        return [process.log_text(self.marks.get(process.name, 0))
                for process in self.processes]

    def claim_conflicts(self):
        """Refused claims logged by every scheduler since ``mark()``."""
        total = collections.Counter()
        for text in self._logs():
            total.update(claim_conflicts(text))
        return dict(total)

    def computes_down(self):
        """Host states every scheduler dropped as down since ``mark()``."""
        return sum(computes_down(text) for text in self._logs())
