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

"""A scheduler, compute or compute service on a host whose clock is off.

    python -m tests.functional.skewed_clock SECONDS KEYSPACE ACTION ARG...

runs one ACTION on the stack's Cassandra with ``time.time`` (which the
driver stamps writes with) SECONDS off, from the start of the process, as
on such a host:

``claim NODE CONSUMER TTL``
    a scheduler's claim of one VCPU (exits 1 if the node has no room);
``publish NODE USED [CONSUMER...]``
    a compute's host record of NODE with USED VCPUs, folding the claims;
``report HOST``
    a compute service's heartbeat.
"""

import sys
import time
import uuid


def main(seconds, keyspace, action, *args):
    real = time.time
    time.time = lambda: real() + float(seconds)
    # Imported on the skewed clock, as a service starts on it.
    from nova_cassandra.claims import node_claim
    from nova_cassandra.compute import publisher
    from nova_cassandra.conf import cassandra as cassandra_conf
    from nova_cassandra.store import base
    from nova_cassandra.store.cassandra import claims
    from nova_cassandra.store.cassandra import hosts
    from nova_cassandra.store.cassandra import session as session_mod

    conf = cassandra_conf.standalone(keyspace=keyspace)
    session = session_mod.connect(conf.cassandra)
    store = hosts.HostStore(session, keyspace)
    try:
        if action == 'claim':
            node, consumer, ttl = args
            return 0 if node_claim.claim(
                claims.ClaimStore(session, keyspace), uuid.UUID(node),
                uuid.UUID(consumer), {'VCPU': 1}, int(ttl)) else 1
        if action == 'publish':
            node, used, *fold = args
            pub = publisher.Publisher(lambda: store, session_mod.UNAVAILABLE)
            pub.publish(base.HostRecord(
                node_uuid=uuid.UUID(node), host='compute1', nodename='node1',
                capacity={'VCPU': 8}, used={'VCPU': int(used)}),
                fold=[uuid.UUID(f) for f in fold])
            return 0 if pub.wait_published(30) else 1
        if action == 'report':
            store.report(*args)
            return 0
        raise SystemExit('unknown action %s' % action)
    finally:
        session.cluster.shutdown()


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
