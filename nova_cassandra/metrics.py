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

"""Counters a nova-cassandra process keeps of its own work.

Claim outcomes, store rows read, host states built, candidates handed to
nova: named counts, thread-safe, for whoever watches the process (the
experiment reads them; operators may too).  Counting never raises and costs
a lock round trip.

With ``[metrics] snapshot_dir`` set, a process that counts writes its
counts there (``write_snapshot``) every ``snapshot_interval`` seconds from
its first count on, and at a normal exit.  A forked child starts from zero
with a file of its own, so the files of a service's processes add up.

A histogram (``observe``) is counters too, one per bucket, so histograms
add up across processes the same way; ``percentile`` reads one back.

A process that writes its counts also counts its garbage collections:
``gc_collections_<generation>`` and the CPU time they took, in
microseconds, ``gc_cpu_us_<generation>`` (the collecting thread's time).
"""

import atexit
import collections
import gc
import json
import os
import sys
import threading
import time

from oslo_log import log as logging

from nova_cassandra import conf as nc_conf

CONF = nc_conf.CONF
LOG = logging.getLogger(__name__)

_LOCK = threading.Lock()
_COUNTS = collections.Counter()
# The process whose writer runs (or that found none configured).
_WRITER_PID = None


def count(name, amount=1):
    """Add ``amount`` to the counter ``name``."""
    with _LOCK:
        _COUNTS[name] += amount
    if _WRITER_PID != os.getpid():
        _start_writer()


# Upper bounds of a histogram's buckets: 1 to ~10^6, 10 per decade.
BUCKETS = tuple(round(10 ** (i / 10), 1) for i in range(61))
_BUCKET = '%s_le_%s'


def observe(name, value):
    """Count ``value`` in the bucket of histogram ``name`` it falls in."""
    bound = next((b for b in BUCKETS if value <= b), 'inf')
    count(_BUCKET % (name, bound))


def is_bucket(counter, name):
    """Whether ``counter`` is a bucket of histogram ``name``."""
    return counter.startswith(_BUCKET % (name, ''))


def percentile(counts, name, share):
    """The ``share`` (0 to 1) quantile of histogram ``name`` in ``counts``.

    The upper bound of the bucket holding it; None if it counted nothing.
    """
    buckets = sorted(
        (float(counter[len(_BUCKET % (name, '')):]), amount)
        for counter, amount in counts.items()
        if is_bucket(counter, name) and amount)
    total = sum(amount for _, amount in buckets)
    seen = 0
    for bound, amount in buckets:
        seen += amount
        if seen >= share * total:
            return bound
    return None


def snapshot():
    """``{name: count}`` of every counter so far."""
    with _LOCK:
        counts = dict(_COUNTS)
    counts.update(_GC_COUNTS)
    return counts


# Prefix of the counters of the CPU collections took, by generation.
GC_CPU_US = 'gc_cpu_us_'
# Filled by _count_collection: a collection may start while a thread holds
# _LOCK (any allocation may start one), so it never takes it.
_GC_COUNTS = {}
_GC_STARTED = {}


def _count_collection(phase, info):
    """A ``gc.callbacks`` entry: count collections and their CPU time."""
    thread = threading.get_ident()
    if phase == 'start':
        _GC_STARTED[thread] = time.thread_time_ns()
        return
    started = _GC_STARTED.pop(thread, None)
    generation = info['generation']
    name = 'gc_collections_%d' % generation
    _GC_COUNTS[name] = _GC_COUNTS.get(name, 0) + 1
    if started is not None:
        name = '%s%d' % (GC_CPU_US, generation)
        _GC_COUNTS[name] = (_GC_COUNTS.get(name, 0)
                            + (time.thread_time_ns() - started) // 1000)


def snapshot_path(directory, pid):
    """The file process ``pid`` writes its counts to."""
    program = os.path.basename(sys.argv[0]) or 'python'
    return os.path.join(directory, '%s-%d.json' % (program, pid))


def write_snapshot(directory):
    """Write this process's counts to its file in ``directory``."""
    path = snapshot_path(directory, os.getpid())
    # A file per writing thread: the periodic writer and the one at exit
    # may write at once, and the last complete file wins.
    new = '%s.%d.new' % (path, threading.get_ident())
    with open(new, 'w') as f:
        json.dump({'pid': os.getpid(), 'written_at': time.time(),
                   'counts': snapshot()}, f)
    os.replace(new, path)


def _start_writer():
    global _WRITER_PID
    with _LOCK:
        if _WRITER_PID == os.getpid():
            return
        _WRITER_PID = os.getpid()
    directory = CONF.metrics.snapshot_dir
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    if _count_collection not in gc.callbacks:
        gc.callbacks.append(_count_collection)
    threading.Thread(target=_write_every, name='metrics-snapshots',
                     args=(directory, CONF.metrics.snapshot_interval),
                     daemon=True).start()
    atexit.register(write_snapshot, directory)


def _write_every(directory, interval):
    while True:
        time.sleep(interval)
        try:
            write_snapshot(directory)
        except OSError as e:
            LOG.warning('Cannot write counters to %s: %s', directory, e)


def _forked():
    # The parent's counts are in the parent's file.
    global _LOCK, _WRITER_PID
    _LOCK = threading.Lock()
    _COUNTS.clear()
    _GC_COUNTS.clear()
    _WRITER_PID = None


os.register_at_fork(after_in_child=_forked)
