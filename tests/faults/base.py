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

"""What the fault tests share: servers of their own, schedulers, figures.

The server a test breaks is its own where it can be: a placement API
(``nova_cassandra_experiment.placement_api``, on the stack's placement
database) and a MariaDB (``tools/lib/mariadb`` on a port of its own), so
that the stack's, which other tests use, keep running.
"""

import functools
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import fixtures
from oslo_config import cfg
from testtools import content

from nova_cassandra.claims import reconcile
from nova_cassandra.store import base as store_base
from nova_cassandra.store.cassandra import claims
from nova_cassandra.store.cassandra import hosts
from nova_cassandra_experiment import end_to_end
from nova_cassandra_experiment import placement as placement_mod
from nova_cassandra_experiment import placement_api
from nova_cassandra_experiment import processes
from tests.faults import scheduler
from tests.functional import base as functional_base

READY_TIMEOUT = 60
# Where scheduler processes keep their outcomes and logs (kept for a look).
RUNS_DIR = os.path.join(functional_base.REPO_DIR, '.work', 'faults-runs')
# Each node holds more one-VCPU requests than a test sends.
NODE_CAPACITY = {'VCPU': 512, 'MEMORY_MB': 512 * 512, 'DISK_GB': 4096}


def window(name, default):
    """Seconds a fault lasts: ``default``, or the environment's ``name``.

    CI runs the defaults; README's figures name the longer windows they
    were measured with.
    """
    return int(os.environ.get(name, default))


class PlacementServer(fixtures.Fixture):
    """A placement API of the test's own, which it may stop or stall.

    nova's placement calls in this process go to it (``url``); ``api`` is
    the experiment's client of it.
    """

    def _setUp(self):
        run_dir = self.useFixture(fixtures.TempDir()).path
        self.server = placement_api.Server([functional_base.NOVA_CONF], {},
                                           run_dir)
        self.addCleanup(self.server.stop)
        self.start()
        self.url = self.server.url
        cfg.CONF.set_override('endpoint_override', self.url,
                              group='placement')
        self.addCleanup(cfg.CONF.clear_override, 'endpoint_override',
                        group='placement')
        self.api = placement_mod.Placement()

    def start(self):
        self.server.start_all(READY_TIMEOUT)

    def stop(self):
        self.server.stop()

    def running(self):
        """Started again if a test left it stopped; stalled, resumed."""
        if not self.server.processes:
            self.start()
        self.signal(signal.SIGCONT)

    def signal(self, sig):
        """``sig`` to every process of the server (SIGSTOP, SIGCONT)."""
        os.killpg(self.server.process.popen.pid, sig)

    def provider(self, node_uuid):
        """A resource provider for a node, with ``NODE_CAPACITY``."""
        client = self.api.client
        node = str(node_uuid)
        response = client.post('/resource_providers', {
            'uuid': node, 'name': 'faults-%s' % node}, version='1.20')
        if response.status_code != 200:
            raise AssertionError(response.text)
        self.addCleanup(client.delete, '/resource_providers/%s' % node)
        response = client.put(
            '/resource_providers/%s/inventories' % node,
            {'resource_provider_generation': 0, 'inventories': {
                rc: {'total': total} for rc, total in NODE_CAPACITY.items()}})
        if response.status_code != 200:
            raise AssertionError(response.text)

    def allocations(self, nodes):
        """``{node: {consumer: resources}}`` as placement has them."""
        return {str(node): self.api.allocations(str(node)) for node in nodes}

    def delete_allocations(self, consumers):
        self.running()
        for consumer in consumers:
            self.api.client.delete('/allocations/%s' % consumer)


class MariaDB(fixtures.Fixture):
    """A MariaDB of the test's own (``tools/lib/mariadb``), on a free port.

    Its data directory is kept under ``.work/faults-mariadb`` between runs.
    """

    def _setUp(self):
        self.env = dict(
            os.environ,
            MARIADB_DIR=os.path.join(functional_base.REPO_DIR, '.work',
                                     'faults-mariadb'),
            MARIADB_PORT=str(end_to_end.free_port()),
            MARIADB_DATABASES='nova_cassandra')
        self.env['MARIADB_SOCKET'] = os.path.join(self.env['MARIADB_DIR'],
                                                  'mysqld.sock')
        self.addCleanup(self._run, 'stop_mariadb')
        self._run('start_mariadb')

    def _run(self, *functions):
        script = ['source tools/lib/common', 'source tools/lib/mariadb']
        subprocess.run(['bash', '-c', '\n'.join(script + list(functions))],
                       cwd=functional_base.REPO_DIR, env=self.env, check=True,
                       timeout=180, capture_output=True)

    def restart(self):
        """Stop the server (SIGTERM, as an operator) and start it again."""
        self._run('stop_mariadb', 'start_mariadb')

    def url(self):
        """The server's SQLAlchemy URL, without a database."""
        return ('mysql+pymysql://nova:nova-cassandra@127.0.0.1:%s/'
                '?charset=utf8mb4' % self.env['MARIADB_PORT'])


def node_record(node_uuid):
    return store_base.HostRecord(node_uuid=node_uuid, host='faults-compute',
                            nodename=str(node_uuid),
                            capacity=dict(NODE_CAPACITY), used={})


class Scheduler(fixtures.Fixture):
    """A scheduler process (``tests.faults.scheduler``) with ``conf``.

    ``conf``: ``{group: {option: value}}`` over the stack's nova.conf.
    """

    def __init__(self, name, conf, pace=0.0, request_specs=False):
        super().__init__()
        self.name, self.conf = name, conf
        self.pace, self.request_specs = pace, request_specs

    def _setUp(self):
        os.makedirs(RUNS_DIR, exist_ok=True)
        run_dir = tempfile.mkdtemp(prefix='%s-' % self.name, dir=RUNS_DIR)
        self.outcomes_path = os.path.join(run_dir, 'outcomes.jsonl')
        self.stop_file = os.path.join(run_dir, 'stop')
        self.log_path = os.path.join(run_dir, 'scheduler.log')
        conf_path = os.path.join(run_dir, 'scheduler.conf')
        processes.write_conf(conf_path, processes.merge_conf(
            self.conf, {'DEFAULT': {'log_file': self.log_path}}))
        command = [sys.executable, '-m', scheduler.__name__,
                   '--outcomes', self.outcomes_path,
                   '--stop-file', self.stop_file, '--pace', str(self.pace),
                   '--config-file', functional_base.NOVA_CONF,
                   '--config-file', conf_path]
        if self.request_specs:
            command.append('--request-specs')
        stderr_path = os.path.join(run_dir, 'stderr')
        with open(stderr_path, 'w') as stderr:
            self.process = subprocess.Popen(
                command, cwd=functional_base.REPO_DIR,
                stdout=subprocess.DEVNULL, stderr=stderr)
        self.addCleanup(self._kill)
        for name, path in (('log', self.log_path), ('stderr', stderr_path)):
            self.addDetail('%s-%s' % (self.name, name), content.Content(
                content.UTF8_TEXT, functools.partial(_tail, path)))

    def _kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def outcomes(self):
        """The requests answered so far, and the counters once stopped."""
        answered, counters = [], None
        if os.path.exists(self.outcomes_path):
            with open(self.outcomes_path) as f:
                for line in f:
                    if line.endswith('\n'):
                        record = json.loads(line)
                        if 'counters' in record:
                            counters = record['counters']
                        else:
                            answered.append(record)
        return answered, counters

    def wait_placed(self, count, timeout):
        """Wait until ``count`` requests are placed."""
        deadline = time.monotonic() + timeout
        while sum(1 for o in self.outcomes()[0] if o['node']) < count:
            if self.process.poll() is not None or \
                    time.monotonic() > deadline:
                raise AssertionError('%s placed fewer than %d requests'
                                     % (self.name, count))
            time.sleep(0.2)

    def stop(self, timeout=scheduler.DRAIN_TIMEOUT + 30):
        """Stop sending requests; ``(outcomes, counters)`` once drained."""
        open(self.stop_file, 'w').close()
        if self.process.wait(timeout) != 0:
            raise AssertionError('%s exited with %d'
                                 % (self.name, self.process.returncode))
        return self.outcomes()

    def kill(self):
        """SIGKILL, whatever the process is doing."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


def _tail(path, size=8192):
    """The end of a file, when the test's details are read."""
    if not os.path.exists(path):
        return [b'(no %s)' % path.encode()]
    with open(path, 'rb') as f:
        f.seek(max(0, os.path.getsize(path) - size))
        return [f.read()]


def phases(outcomes, fault_started, fault_ended):
    """``{'before'|'during'|'after': [outcome]}`` by when each started."""
    found = {'before': [], 'during': [], 'after': []}
    for outcome in outcomes:
        started = outcome['started']
        found['before' if started < fault_started else
              'during' if started < fault_ended else 'after'].append(
                  outcome)
    return found


def summary(outcomes):
    """One line: requests, placed, refused, errors, p50/p99 seconds."""
    if not outcomes:
        return 'none'
    seconds = sorted(o['seconds'] for o in outcomes)
    return ('%d requests, %d placed, %d refused, %d errors, p50 %.3f s, '
            'p99 %.3f s' % (
                len(outcomes), sum(1 for o in outcomes if o['node']),
                sum(1 for o in outcomes if o['reason']),
                sum(1 for o in outcomes if o['error']),
                seconds[len(seconds) // 2],
                seconds[min(len(seconds) - 1, int(0.99 * len(seconds)))]))


def report(test, name, **figures):
    """Attach ``figures`` to ``test`` (shown with ``--all-attachments``)."""
    test.addDetail(name, content.text_content('\n'.join(
        '%s: %s' % item for item in sorted(figures.items()))))


class MirrorTestCase(functional_base.TestCase):
    """``NODES`` nodes in a keyspace and a placement of the test's own.

    The allocations of the consumers its schedulers sent, and of those in
    ``consumers``, are deleted after the test.
    """

    NODES = 2
    TIMEOUT = 300

    def setUp(self):
        super().setUp()
        self.nova = self.useFixture(functional_base.NovaDatabases())
        self.placement = self.useFixture(PlacementServer())
        ks = self.useFixture(functional_base.CassandraKeyspace())
        self.keyspace = ks.keyspace
        self.claims = claims.ClaimStore(ks.session, ks.keyspace)
        self.nodes = [uuid.uuid4() for _ in range(self.NODES)]
        for node in self.nodes:
            hosts.HostStore(ks.session, ks.keyspace).create(
                node_record(node))
            self.placement.provider(node)
        self.consumers, self.schedulers = set(), []
        # Before the providers' delete: placement refuses it otherwise.
        self.addCleanup(self.forget_consumers)

    def forget_consumers(self):
        for scheduler in self.schedulers:
            self.consumers.update(o['consumer']
                                  for o in scheduler.outcomes()[0])
        self.placement.delete_allocations(self.consumers)

    def scheduler(self, name, cassandra, **kwargs):
        """A ``Scheduler`` on the keyspace, ``[cassandra]`` ``cassandra``."""
        scheduler = self.useFixture(Scheduler(name, {
            'scheduler': {'claims_driver': 'cassandra'},
            'cassandra': dict(cassandra, keyspace=self.keyspace),
            'placement': {'endpoint_override': self.placement.url}},
            **kwargs))
        self.schedulers.append(scheduler)
        return scheduler

    def drift(self):
        """``(usages, missing, unclaimed)`` on the nodes (``reconcile``)."""
        usages = list(self.claims.all_usage())
        return (usages,) + reconcile.compare(
            reconcile.claimed(usages), self.placement.allocations(self.nodes))
