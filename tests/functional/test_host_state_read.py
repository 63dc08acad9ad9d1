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

"""The ``reads`` benchmark on the stack's databases and Cassandra."""

from nova import context as nova_context
from nova import objects
from oslo_config import cfg

from nova_cassandra_experiment import host_state_read
from nova_cassandra_experiment import presets
from tests.functional import base


class TestHostStateRead(base.TestCase):

    def test_each_subject_serves_every_request_and_leaves_nothing(self):
        nova = self.useFixture(base.NovaDatabases())
        cassandra = self.useFixture(base.CassandraKeyspace())
        cfg.CONF.set_override('keyspace', cassandra.keyspace, 'cassandra')

        # It raises unless each subject built a host state per candidate.
        results = host_state_read.run(cassandra.session, cassandra.keyspace,
                                      host_counts=(60,), requests=3)

        self.assertEqual(['HostManager', 'HostManager, %d candidates'
                          % presets.MAX_CANDIDATES, 'nova-cassandra'],
                         [r['manager'] for r in results])
        for result in results:
            self.assertEqual((60, 3), (result['hosts'], result['count']))
            self.assertGreater(result['p50_ms'], 0)
        # The plugin's view read the nodes once, then only what changed:
        # the node each request's claim took.
        self.assertLessEqual(results[-1]['rows_per_request'], 2)
        self.assertEqual([], list(cassandra.session.execute(
            'SELECT node_uuid FROM %s.compute_nodes' % cassandra.keyspace)))
        with nova_context.target_cell(nova.context, nova.cell) as cctxt:
            self.assertEqual([], [
                s.host for s in objects.ServiceList.get_all(cctxt)
                if s.host.startswith('nc-reads-')])
