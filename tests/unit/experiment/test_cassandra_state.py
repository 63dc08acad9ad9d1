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

import time
import types
import uuid

import fixtures
from oslo_serialization import jsonutils
import testtools

from nova_cassandra.store import base
from nova_cassandra_experiment import cassandra_state
from nova_cassandra_experiment import checker


class FakeStore:
    """A store without a changes log whose nodes change as reads say."""

    changes = None

    def __init__(self, reads):
        self.reads = list(reads)

    def all_usage(self):
        return list(self.reads.pop(0) if len(self.reads) > 1
                    else self.reads[0])


def _usage(node, generation, changed_at):
    return base.NodeUsage(
        base.HostRecord(node_uuid=node, host='h', nodename='n',
                        capacity={}, generation=generation), [],
        jsonutils.dumps({'changed_at': changed_at}))


class TestVisibility(testtools.TestCase):

    def test_a_sample_per_rebuilt_record_not_per_claim(self):
        a, b = uuid.uuid4(), uuid.uuid4()
        now = time.time()
        reads = [
            [_usage(a, 1, now - 60), _usage(b, 1, now - 60)],
            # a claim bumped a's generation: same record, no sample
            [_usage(a, 2, now - 60), _usage(b, 1, now - 60)],
            # both rebuilt, 50 ms and 1 s ago
            [_usage(a, 3, now - 0.05), _usage(b, 2, now - 1)],
        ]
        state = cassandra_state.CassandraState.__new__(
            cassandra_state.CassandraState)
        state._claims = FakeStore(reads)
        self.useFixture(fixtures.MockPatch('time.time', return_value=now))

        delays, read_seconds = state.visibility(0.2)

        self.assertEqual([0.05, 1.0], sorted(round(d, 2) for d in delays))
        self.assertGreaterEqual(read_seconds, 0)


class FakeClaims:
    """Usage of two nodes with claims."""

    def __init__(self, claims_by_node):
        self.usage = [
            types.SimpleNamespace(
                record=types.SimpleNamespace(node_uuid=node),
                claims=[types.SimpleNamespace(consumer_uuid=c)
                        for c in consumers])
            for node, consumers in claims_by_node.items()]

    def all_usage(self):
        return iter(self.usage)


class TestClaimsOfConsumers(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.n1, self.n2 = uuid.uuid4(), uuid.uuid4()
        self.a, self.b, self.c = (uuid.uuid4() for _ in range(3))
        self.state = cassandra_state.CassandraState.__new__(
            cassandra_state.CassandraState)
        self.state._claims = FakeClaims({self.n1: [self.a, self.b],
                                         self.n2: [self.c]})

    def test_claimed_names_only_the_asked_consumers_with_claims(self):
        self.assertEqual({str(self.a), str(self.c)}, self.state.claimed(
            [str(self.a), str(self.c), str(uuid.uuid4())]))
        self.assertEqual(set(), self.state.claimed([]))


class TestWaitForNodes(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.node = uuid.uuid4()
        self.reads = []
        self.state = cassandra_state.CassandraState.__new__(
            cassandra_state.CassandraState)
        self.state._claims = types.SimpleNamespace(
            all_usage=lambda: iter(self.reads.pop(0)))
        self.state._hosts = types.SimpleNamespace(
            heartbeats=lambda: {'c-0': None})
        self.useFixture(fixtures.MockPatch('time.sleep'))

    def _usage(self, used):
        return [types.SimpleNamespace(record=types.SimpleNamespace(
            node_uuid=self.node, used=used))]

    def test_waits_for_the_prefill_in_the_host_row(self):
        # Row missing, then published before the fill, then with it.
        self.reads = [[], self._usage({'VCPU': 0, 'MEMORY_MB': 0}),
                      self._usage({'VCPU': 8, 'MEMORY_MB': 0})]
        self.state.wait_for_nodes({str(self.node): {'VCPU': 8}}, ['c-0'],
                                  timeout=60)
        self.assertEqual([], self.reads)

    def test_a_silent_compute_times_out(self):
        self.reads = [self._usage({})] * 2
        self.assertRaisesRegex(
            RuntimeError, '0 nodes .* 1 compute hosts no heartbeat',
            self.state.wait_for_nodes, {str(self.node): {}}, ['c-1'],
            timeout=0)


class TestAllocationsFromTheStore(testtools.TestCase):

    def test_store_usage_judges_novalidhost_without_placement(self):
        # cassandra-off: placement holds nothing, the store holds the node
        # full (4 of 4 VCPU: 3 used by built servers, 1 claimed).
        node, claimer = uuid.uuid4(), uuid.uuid4()
        state = cassandra_state.CassandraState.__new__(
            cassandra_state.CassandraState)
        state._claims = types.SimpleNamespace(all_usage=lambda: iter([
            types.SimpleNamespace(
                record=types.SimpleNamespace(node_uuid=node,
                                             used={'VCPU': 3}),
                claims=[types.SimpleNamespace(consumer_uuid=claimer,
                                              resources={'VCPU': 1})])]))
        allocations = state.allocations()
        self.assertEqual({str(node): {'used': {'VCPU': 3},
                                      str(claimer): {'VCPU': 1}}},
                         allocations)
        inventories = {str(node): {'VCPU': {
            'total': 4, 'reserved': 0, 'allocation_ratio': 1.0,
            'max_unit': 4}}}
        refused = {'r': {'VCPU': 1}}
        self.assertEqual(1, checker.check(inventories, {}, {}, refused)[
            'novalidhost_false'])
        verdict = checker.check(inventories, allocations, {}, refused)
        self.assertEqual((1, 0), (verdict['novalidhost_true'],
                                  verdict['novalidhost_false']))
