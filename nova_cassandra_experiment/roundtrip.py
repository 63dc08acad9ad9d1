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

"""The roundtrip preset: host state through the store and back.

Creates ``hosts`` simulated compute node rows, updates each with a
compare-and-set, reads each back (fast and quorum reads) and lists them all
in pages, checking every value read equals the value written.  It proves the
stack end to end and gives first figures for the store's operations.
"""

import uuid

from nova_cassandra.store import base
from nova_cassandra_experiment import stats


def _record(index):
    return base.HostRecord(
        node_uuid=uuid.uuid4(), host='compute%d' % (index // 100),
        nodename='node%d' % index,
        capacity={'VCPU': 32, 'MEMORY_MB': 131072, 'DISK_GB': 2000},
        reserved={'MEMORY_MB': 512},
        allocation_ratio={'VCPU': 4.0, 'MEMORY_MB': 1.5, 'DISK_GB': 1.0},
        used={'VCPU': 0, 'MEMORY_MB': 0, 'DISK_GB': 0},
        state={'hypervisor_type': 'fake', 'num_instances': 0})


def run(store, hosts):
    """Run the round trip; return per-operation figures and mismatches."""
    ops = {name: stats.Latencies() for name in
           ('create_lwt', 'update_lwt', 'read_fast', 'read_quorum')}
    records = [ops['create_lwt'].time(store.create, _record(i))
               for i in range(hosts)]
    mismatches = 0
    for record in records:
        record.used = {'VCPU': 2, 'MEMORY_MB': 4096, 'DISK_GB': 20}
        record.state['num_instances'] = 1
        written = ops['update_lwt'].time(store.update, record)
        fast = ops['read_fast'].time(store.get, record.node_uuid)
        latest = ops['read_quorum'].time(store.get, record.node_uuid,
                                         latest=True)
        for read in (fast, latest):
            mismatches += (read.used, read.state, read.generation) != (
                written.used, written.state, written.generation)
    list_ops = stats.Latencies()
    listed = list_ops.time(lambda: {r.node_uuid for r in store.list()})
    mismatches += listed != {r.node_uuid for r in records}
    result = {name: op.summary() for name, op in ops.items()}
    result['list_all'] = list_ops.summary()
    return {'hosts': hosts, 'operations': result, 'mismatches': mismatches}
