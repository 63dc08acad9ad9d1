"""Counters a nova-cassandra process keeps of its own work.

Claim outcomes, store rows read, host states built, candidates handed to
nova: named counts, thread-safe, for whoever watches the process (the
experiment reads them; operators may too).  Counting never raises and costs
a lock round trip.
"""

import collections
import threading

_LOCK = threading.Lock()
_COUNTS = collections.Counter()


def count(name, amount=1):
    """Add ``amount`` to the counter ``name``."""
    with _LOCK:
        _COUNTS[name] += amount


def snapshot():
    """``{name: count}`` of every counter so far."""
    with _LOCK:
        return dict(_COUNTS)
