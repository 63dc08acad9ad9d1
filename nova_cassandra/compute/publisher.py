"""Write each node's latest host record, whatever the store is doing.

A compute is the only writer of its nodes' state, but schedulers' claims
bump the same ``generation``: a lost compare-and-set is re-tried at the
generation found, a bounded number of times.  When the store (Cassandra or
MySQL) cannot be reached the compute keeps running: the latest record of
every node that changed is kept, and a background thread re-publishes them
with back-off until the store answers again.
"""

import dataclasses
import threading
import time

from oslo_log import log as logging

from nova_cassandra import exception
from nova_cassandra.store import session as session_mod

LOG = logging.getLogger(__name__)

CONFLICT_RETRY_COUNT = 10
RETRY_INITIAL_DELAY = 1.0
RETRY_MAX_DELAY = 60.0


class Publisher:
    """Publishes host records through the store ``get_store()`` returns.

    ``unavailable``: what that store raises when it cannot answer.
    """

    def __init__(self, get_store, unavailable=session_mod.UNAVAILABLE):
        self._get_store = get_store
        self._unavailable = unavailable
        self._generations = {}
        self._pending = {}
        self._lock = threading.Lock()
        self._retrying = False

    def publish(self, record, fold=()):
        """Store ``record`` now, or as soon as the store is back.

        ``fold``: consumers whose claims ``record`` accounts for; their
        claim rows go in the same write (and survive being superseded by a
        later record of the node while Cassandra is away).  Raises
        ``InvalidHostRecord``, keeping nothing: a record no store takes
        would block every later one.
        """
        record.check()
        with self._lock:
            _, folded = self._pending.get(record.node_uuid, (None, ()))
            self._pending[record.node_uuid] = (record,
                                               set(folded) | set(fold))
            if self._retrying:
                return
            try:
                self._flush()
            except self._unavailable as e:
                LOG.error('Cannot publish host state of node %s, will '
                          'retry in the background: %s',
                          record.nodename, e)
                self._retrying = True
                threading.Thread(target=self._retry, daemon=True).start()

    def _flush(self):
        """Write every pending record; on error the rest stay pending."""
        store = self._get_store()
        while self._pending:
            node_uuid, pending = next(iter(self._pending.items()))
            self._write(store, *pending)
            if self._pending.get(node_uuid) is pending:
                del self._pending[node_uuid]

    def _write(self, store, record, fold):
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

    def _retry(self):
        delay = RETRY_INITIAL_DELAY
        while True:
            time.sleep(delay)
            with self._lock:
                count = len(self._pending)
                try:
                    self._flush()
                except self._unavailable as e:
                    LOG.debug('Store still unavailable: %s', e)
                    delay = min(delay * 2, RETRY_MAX_DELAY)
                    continue
                self._retrying = False
            LOG.info('The store is back: re-published host state of %d '
                     'node(s).', count)
            return
