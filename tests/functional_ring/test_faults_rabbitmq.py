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

"""RabbitMQ restarted while real nova-scheduler processes place a stream.

Here, among the tests run one at a time, because it restarts the stack's
broker: a test running beside it would lose its connections too.

The experiment's ``faults`` preset runs the ``cassandra`` set-up (a fake
fleet of real nova-computes, two real nova-schedulers, the requests sent as
the conductor sends them); once some of its requests are placed, RabbitMQ is
stopped and started again with the project's tooling.  Every request must
end placed or reported failed (none silently dropped), and nothing may be
over-committed.
"""

import json
import os
import subprocess
import sys
import time
import uuid

import fixtures
from testtools import content

from nova_cassandra.store.cassandra import claims
from nova_cassandra.store.cassandra import session as session_mod
from nova_cassandra_experiment import cassandra_state
from nova_cassandra_experiment import presets
from nova_cassandra_experiment import workload
from tests.functional import base

PRESET = presets.PRESETS['faults']
# Placed requests before the broker goes down.
PLACED_BEFORE_RESTART = 10
RUN_TIMEOUT = 600
_RESTART = """
source tools/lib/common
source tools/lib/rabbitmq
stop_rabbitmq
start_rabbitmq
"""


class TestRabbitMQRestart(base.TestCase):

    TIMEOUT = RUN_TIMEOUT + 60

    def _experiment(self, output_dir):
        base.nova_conf()  # fails with how to start the stack if absent
        command = [os.path.join(os.path.dirname(sys.executable),
                                'nova-cassandra-experiment'),
                   '--config-file', base.NOVA_CONF, '--output-dir',
                   output_dir, '--preset', PRESET.name, '--setups',
                   'cassandra']
        self.log_path = os.path.join(output_dir, 'experiment.log')
        log = open(self.log_path, 'w')
        self.addCleanup(log.close)
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                env=dict(os.environ, PYTHONUNBUFFERED='1'))

    def _running(self):
        """Whether the run's stream is being sent (its schedulers are up)."""
        with open(self.log_path) as f:
            return 'running %d requests' % PRESET.requests in f.read()

    def _placed(self, session, stream):
        """How many of the stream's requests hold a claim now."""
        try:
            store = claims.ClaimStore(session, cassandra_state.KEYSPACE)
            return sum(1 for usage in store.all_usage()
                       for claim in usage.claims
                       if claim.consumer_uuid in stream)
        except session_mod.UNAVAILABLE:
            return 0  # the run (re)creates the keyspace

    def test_requests_placed_or_reported_failed(self):
        output_dir = self.useFixture(fixtures.TempDir()).path
        session = session_mod.connect(base.cassandra_options().cassandra)
        self.addCleanup(session.cluster.shutdown)
        stream = {uuid.UUID(r.instance_uuid) for r in workload.stream(
            PRESET.seed, PRESET.requests, PRESET.oversized)}

        process = self._experiment(output_dir)
        self.addCleanup(lambda: process.poll() is None and process.kill())
        deadline = time.monotonic() + RUN_TIMEOUT
        while not (self._running() and
                   self._placed(session, stream) >= PLACED_BEFORE_RESTART):
            self.assertIsNone(process.poll(), 'the run ended before the '
                              'broker restart')
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.5)
        started = time.monotonic()
        subprocess.run(['bash', '-c', _RESTART], cwd=base.REPO_DIR,
                       check=True, timeout=180)
        outage = time.monotonic() - started
        process.wait(max(1, deadline - time.monotonic()))

        with open(os.path.join(output_dir, 'experiment-faults.json')) as f:
            [run] = json.load(f)['runs']
        logs = os.path.join(output_dir, 'run-faults', 'cassandra-%d'
                            % PRESET.hosts[0], 'k%d' % PRESET.schedulers[0])
        reconnected = 0
        for name in os.listdir(logs):
            if name.startswith('scheduler-') and name.endswith('.log'):
                with open(os.path.join(logs, name)) as f:
                    reconnected += 'Reconnected to AMQP server' in f.read()
        self.addDetail('rabbitmq-restart', content.text_content(
            'outage_seconds=%.1f requests=%d placed=%d novalidhost=%d '
            'failed=%d schedulers_reconnected=%d first_errors=%s'
            % (outage, run['requests'], run['placed'],
               run['novalidhost_true'] + run['novalidhost_false'],
               run['errors'], reconnected, run['first_errors'])))
        # Every request is accounted for: placed, refused, or failed.
        self.assertEqual(run['requests'], run['placed']
                         + run['novalidhost_true'] + run['novalidhost_false']
                         + run['errors'])
        self.assertGreater(run['placed'], PLACED_BEFORE_RESTART)
        self.assertEqual(PRESET.schedulers[0], reconnected)
        self.assertEqual([], run['capacity_violations'])
        self.assertEqual([], run['cassandra_offenders'])
        self.assertEqual(0, run['missing_allocations'])
