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

"""``check capacity`` and ``claims reap`` on a real Cassandra."""

import datetime
import os
import subprocess
import sys
import uuid

import fixtures

from nova_cassandra.claims import node_claim
from nova_cassandra.store import base as store_base
from nova_cassandra.store.cassandra import claims as claims_store
from nova_cassandra.store.cassandra import hosts
from tests.functional import base


class TestClaimCommands(base.TestCase):

    def setUp(self):
        super().setUp()
        self.ks = self.useFixture(base.CassandraKeyspace())
        self.hosts = hosts.HostStore(self.ks.session, self.ks.keyspace)
        self.claims = claims_store.ClaimStore(self.ks.session,
                                              self.ks.keyspace)
        self.node = self.hosts.create(store_base.HostRecord(
            node_uuid=uuid.uuid4(), host='compute1', nodename='node1',
            capacity={'VCPU': 4}, used={'VCPU': 1})).node_uuid

    def _manage(self, *command, clock_ahead=0):
        """Run the command; on a host whose clock is ``clock_ahead`` s off."""
        config = self.useFixture(fixtures.TempDir()).join('nova.conf')
        with open(config, 'w') as f:
            f.write('[cassandra]\nkeyspace = %s\n' % self.ks.keyspace)
        manage = [os.path.join(os.path.dirname(sys.executable),
                               'nova-cassandra-manage')]
        if clock_ahead:
            manage = [sys.executable, '-c', (
                'import datetime\n'
                'from oslo_utils import timeutils\n'
                'timeutils.set_time_override(timeutils.utcnow() + '
                'datetime.timedelta(seconds=%d))\n'
                'from nova_cassandra.cmd import manage\n'
                'manage.main()' % clock_ahead)]
        return subprocess.run(
            manage + ['--config-file', config] + list(command),
            capture_output=True, text=True, timeout=60)

    def test_check_capacity_passes_then_lists_offenders(self):
        self.assertTrue(node_claim.claim(
            self.claims, self.node, uuid.uuid4(), {'VCPU': 3}, 300))
        result = self._manage('check', 'capacity')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('1 nodes checked, 0 offenders.', result.stdout)

        # What a buggy claimer would do: a claim past the check.
        usage = self.claims.node_usage(self.node)
        consumer = uuid.uuid4()
        self.claims.claim(self.node, usage.record.generation, consumer,
                          {'VCPU': 2}, 300)
        other = self.hosts.create(store_base.HostRecord(
            node_uuid=uuid.uuid4(), host='compute2', nodename='node2',
            capacity={'VCPU': 4})).node_uuid
        self.claims.claim(other, 1, consumer, {'VCPU': 1}, 300)
        result = self._manage('check', 'capacity')
        self.assertEqual(1, result.returncode)
        self.assertIn('VCPU 6 taken > 4 allowed', result.stdout)
        self.assertIn('consumer %s claimed on 2 nodes' % consumer,
                      result.stdout)
        self.assertIn('2 nodes checked, 2 offenders.', result.stdout)

    def test_reap_goes_by_the_store_clock(self):
        consumer = uuid.uuid4()
        self.assertTrue(node_claim.claim(
            self.claims, self.node, consumer, {'VCPU': 1}, 300))
        # Ten minutes ahead, this host would take the claim for old.
        result = self._manage('claims', 'reap', '--older-than', '300',
                              clock_ahead=600)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('Released 0 claims', result.stdout)
        self.assertEqual([consumer], [
            c.consumer_uuid for c in self.claims.node_usage(self.node).claims])

    def test_reap_releases_only_old_claims(self):
        old, new = uuid.uuid4(), uuid.uuid4()
        for consumer in (old, new):
            self.assertTrue(node_claim.claim(
                self.claims, self.node, consumer, {'VCPU': 1}, 300))
        # As a scheduler that crashed ten minutes ago would have left it.
        self.ks.session.execute(
            'UPDATE %s.compute_nodes USING TTL 300 SET claimed_at = %%s '
            'WHERE node_uuid = %%s AND consumer_uuid = %%s' % self.ks.keyspace,
            (datetime.datetime.now(datetime.timezone.utc)
             - datetime.timedelta(minutes=10), self.node, old))
        result = self._manage('claims', 'reap', '--older-than', '300')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('Released 1 claims', result.stdout)
        self.assertEqual([new], [c.consumer_uuid for c in
                                 self.claims.node_usage(self.node).claims])
