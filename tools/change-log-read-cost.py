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

"""CPU of one read of the host changes log, by how far back it reads.

Appends ``--rate`` changes a second for three seconds to a keyspace of its
own on the stack's Cassandra (``bash tools/stack.sh up``), as claims do,
then reads them back with ``ChangeLog.since`` as a host view does (every
row one it has seen), ``--reads`` times for each lookback, and prints the
rows a read returns and the CPU one read costs this process and the
Cassandra node::

    PYTHONPATH=. .tox/functional/bin/python tools/change-log-read-cost.py
"""

import argparse
import time
import uuid

from nova_cassandra.scheduler import host_view
from nova_cassandra.store import base as base_store
from nova_cassandra.store.cassandra import changes
from nova_cassandra_experiment import cpu
from tests.functional import base

SPAN_SECONDS = 3.0


def _cpu_ms(pid):
    """Milliseconds of CPU the process ``pid`` has used."""
    return cpu.read_process(pid)[1] * cpu.TICK_MS


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rate', type=float, default=100.0,
                        help='changes appended a second (default 100)')
    parser.add_argument('--reads', type=int, default=300,
                        help='reads timed per lookback (default 300)')
    args = parser.parse_args()
    with open(base.CASSANDRA_PIDFILE) as pidfile:
        pid = int(pidfile.read())
    with base.CassandraKeyspace() as keyspace:
        log = changes.ChangeLog(keyspace.session, keyspace.keyspace)
        for _ in range(int(args.rate * SPAN_SECONDS)):
            log.append(uuid.uuid4(), 2, uuid.uuid4(), {'VCPU': 1})
            time.sleep(1 / args.rate)
        newest = time.time()
        time.sleep(1)  # the last appends land
        for lookback in (host_view.TAIL_SECONDS,
                         base_store.OVERLAP_SECONDS):
            # Seen before, as a view has seen all but the newest few.
            seen = {change.change_id
                    for change in log.since(newest, (), lookback)}
            started, cassandra = time.process_time(), _cpu_ms(pid)
            for _ in range(args.reads):
                log.since(newest, seen, lookback)
            own = (time.process_time() - started) * 1000 / args.reads
            node = (_cpu_ms(pid) - cassandra) / args.reads
            print('lookback %.2f s: %d rows a read, CPU per read %.2f ms '
                  'here, %.2f ms in Cassandra'
                  % (lookback, len(seen), own, node))


if __name__ == '__main__':
    main()
