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

"""Write each node's latest host record, off the resource tracker's lock.

The ResourceTracker hook runs under nova-compute's compute resource lock:
whatever it waits for, every claim, move and audit of the compute waits
for too.  So ``publish`` only notes a node's newest record, and the claims
it folds, and returns; one thread per process and store writes them:

* coalescing: of the records a node got since its last write only the
  newest is written, with the union of their folds.  A fold is forgotten
  only once a write carrying it succeeded, so a claim folded and then given
  up (instance deleted before the write) is still deleted with the write;
* in order: nodes are written in the order they changed since their last
  write, and a node's records never go back to an older one;
* with back-off: when a write fails the thread waits
  ``RETRY_INITIAL_DELAY`` seconds, doubling up to ``RETRY_MAX_DELAY``, and
  tries the oldest change again.  Nothing is dropped, however long the
  store is away.

A compute is the only writer of its nodes' state, but schedulers' claims
bump the same ``generation``: a lost compare-and-set is re-tried at the
generation found, a bounded number of times.
"""

import dataclasses
import threading

from oslo_log import log as logging

from nova_cassandra import exception
from nova_cassandra.store import base

LOG = logging.getLogger(__name__)

CONFLICT_RETRY_COUNT = 10
RETRY_INITIAL_DELAY = 0.5
RETRY_MAX_DELAY = 30.0


@dataclasses.dataclass
class _Change:
    """A node's newest record not yet written, and the claims it folds."""

    record: base.HostRecord
    fold: set


class Publisher:
    """Publishes host records through the store ``get_store()`` returns.

    ``unavailable``: what that store raises when it cannot answer.
    """

    def __init__(self, get_store, unavailable):
        self._get_store = get_store
        self._unavailable = unavailable
        # Only the writing thread reads or writes these two.
        self._generations = {}
        self._failing = False
        # node UUID -> _Change, the node that changed first first.
        self._pending = {}
        self._writing = False
        self._stopping = False
        self._thread = None
        self._changed = threading.Condition()

    def publish(self, record, fold=()):
        """Have ``record`` written soon; return at once.

        ``fold``: consumers whose claims ``record`` accounts for; their
        claim rows are deleted with the write of this record or of a later
        one of the node.  Raises ``InvalidHostRecord``, keeping nothing: a
        record no store takes would block every later one.
        """
        record.check()
        with self._changed:
            change = self._pending.get(record.node_uuid)
            if change is None:
                self._pending[record.node_uuid] = _Change(record, set(fold))
            else:
                change.record = record
                change.fold.update(fold)
            if self._thread is None or not self._thread.is_alive():
                # Started on first use, and again in a forked child.
                self._thread = threading.Thread(
                    target=self._run, name='host-state-publisher',
                    daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def wait_published(self, timeout):
        """True once every record published so far is written."""
        with self._changed:
            return self._changed.wait_for(
                lambda: not self._pending and not self._writing, timeout)

    def stop(self, timeout=None):
        """End the writing thread after its current write; drop the rest."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self):
        delay = RETRY_INITIAL_DELAY
        while True:
            with self._changed:
                self._changed.wait_for(
                    lambda: self._pending or self._stopping)
                if self._stopping:
                    return
                node_uuid = next(iter(self._pending))
                change = self._pending.pop(node_uuid)
                self._writing = True
            try:
                self._write(change.record, change.fold)
            except Exception as e:
                with self._changed:
                    self._put_back(node_uuid, change)
                    self._writing = False
                    self._changed.notify_all()
                self._log_failure(change.record, e, delay)
                self._back_off(delay)
                delay = min(delay * 2, RETRY_MAX_DELAY)
                continue
            with self._changed:
                self._writing = False
                self._changed.notify_all()
            delay = RETRY_INITIAL_DELAY
            if self._failing:
                self._failing = False
                LOG.info('Publishing host state again: node %s written.',
                         change.record.nodename)

    def _back_off(self, delay):
        """Wait ``delay`` seconds, or less if stopped."""
        with self._changed:
            self._changed.wait_for(lambda: self._stopping, delay)

    def _put_back(self, node_uuid, change):
        """Make ``change`` the first to write again, merged with newer."""
        newer = self._pending.pop(node_uuid, None)
        if newer is not None:
            change = _Change(newer.record, change.fold | newer.fold)
        self._pending = {node_uuid: change, **self._pending}

    def _log_failure(self, record, error, delay):
        if isinstance(error, self._unavailable):
            # Once per outage, not once per attempt.
            if not self._failing:
                LOG.error('Cannot publish host state of node %s, will '
                          'retry with back-off: %s', record.nodename, error)
        elif isinstance(error, exception.HostConflict):
            LOG.warning('Host state of node %s not written, retrying in '
                        '%.1f s: %s', record.nodename, delay, error)
        else:
            LOG.error('Host state of node %s not written, retrying in '
                      '%.1f s: %s', record.nodename, delay, error,
                      exc_info=error)
        self._failing = True

    def _write(self, record, fold):
        store = self._get_store()
        node = record.node_uuid
        for _ in range(CONFLICT_RETRY_COUNT):
            if node not in self._generations:
                try:
                    self._generations[node] = store.create(record).generation
                    if not fold:
                        return
                except exception.HostExists:
                    self._generations[node] = store.get(
                        node, latest=True).generation
            try:
                stored = store.update(dataclasses.replace(
                    record, generation=self._generations[node]),
                    fold=sorted(fold))
            except exception.HostConflict as e:
                self._generations[node] = e.kwargs['found']
                continue
            except exception.HostNotFound:
                del self._generations[node]
                continue
            self._generations[node] = stored.generation
            return
        raise exception.HostConflict(node=node,
                                     expected=self._generations.get(node),
                                     found='changing too fast')


_PUBLISHERS = {}
_PUBLISHERS_LOCK = threading.Lock()


def for_backend(backend):
    """This process's ``Publisher`` to ``backend``'s store, made once."""
    with _PUBLISHERS_LOCK:
        if backend.name not in _PUBLISHERS:
            _PUBLISHERS[backend.name] = Publisher(
                lambda: backend.stores().hosts, backend.unavailable)
        return _PUBLISHERS[backend.name]


def stop_all(timeout=None):
    """Stop and forget this process's publishers (tests switching stores)."""
    with _PUBLISHERS_LOCK:
        publishers = list(_PUBLISHERS.values())
        _PUBLISHERS.clear()
    for publisher in publishers:
        publisher.stop(timeout)
