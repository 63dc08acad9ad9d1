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

"""Claims written to placement in the background, many per request.

With ``placement_allocations = async`` the claims driver answers once the
store holds the claim and hands the allocation to this process's
``Mirror`` (``get_mirror``).  One thread writes what is queued with
``POST /allocations``, up to ``BATCH_SIZE`` consumers per call, at nova's
consumer generation microversion.  Placement writes a batch in one
transaction: a refused batch is written again one consumer per call to
find who was refused.  A refused consumer is retried with back-off, at
most ``MAX_ATTEMPTS`` times, then logged as an error and counted
(``mirror_failed``); ``nova-cassandra-manage placement reconcile`` repairs
what is left.  Writes that found placement unreachable wait no longer
once a write succeeds: the queue catches up as soon as placement is back.
A consumer generation conflict means the consumer already has
allocations: if they hold ours, it is written; otherwise (an evacuation's
source host) ours are added to them, as nova's report client does in
``claim_resources``.

Counters (``metrics``): ``mirror_queued``, ``mirror_written``,
``mirror_failed``, ``mirror_retries``, ``mirror_cancelled``,
``mirror_posts`` (calls to placement), and the histogram
``mirror_lag_ms`` (claim to written).
"""

import atexit
import collections
import dataclasses
import os
import threading
import time

from keystoneauth1 import exceptions as ks_exc
from nova.scheduler.client import report
from oslo_log import log as logging

from nova_cassandra import metrics

LOG = logging.getLogger(__name__)

# nova's report client writes allocations with consumer generations at it.
MICROVERSION = report.CONSUMER_GENERATION_VERSION
BATCH_SIZE = 100
# With the back-off below, about 80 s: a restart of placement, not more.
MAX_ATTEMPTS = 10
# Seconds before the first retry of a consumer; doubled at each one, up to
# MAX_BACKOFF.
FIRST_BACKOFF = 0.2
MAX_BACKOFF = 30
# Seconds a process exiting waits for its queue to drain.
EXIT_FLUSH_TIMEOUT = 10


@dataclasses.dataclass
class Write:
    """One consumer's allocation, as the scheduler claimed it."""

    consumer: str
    # {provider uuid: {'resources': {resource class: amount}}}
    allocations: dict
    project_id: str
    user_id: str
    claimed_at: float = dataclasses.field(default_factory=time.time)
    # None: a consumer placement does not know yet.
    generation: int = None
    attempts: int = 0
    not_before: float = 0.0
    # Refused last because placement could not be reached.
    unreachable: bool = False


def backoff(attempts):
    """Seconds to wait before the next try after ``attempts`` refusals."""
    return min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (attempts - 1))


def holds(current, allocations):
    """Whether placement's ``current`` allocations include ``allocations``."""
    return all(
        current.get(rp, {}).get('resources') == alloc['resources']
        for rp, alloc in allocations.items())


class Writer:
    """Writes allocations to placement and says which were refused."""

    def __init__(self, client=None):
        self._client = client

    @property
    def client(self):
        return self._client or report.report_client_singleton()

    def write(self, writes):
        """POST ``writes``; ``(written, refused)``: two lists of them.

        A refused write has ``generation`` updated when placement's view of
        its consumer says what to retry with.  Raises nothing placement or
        the network may cause: those writes are refused.
        """
        if not writes:
            return [], []
        response = self._post(writes)
        for write in writes:
            write.unreachable = response is None
        if response is None:
            # Unreachable: one at a time would only wait longer.
            return [], list(writes)
        if response.status_code == 204:
            return writes, []
        if len(writes) > 1:
            LOG.warning('Placement refused a batch of %d allocations (%s); '
                        'writing them one by one.', len(writes),
                        _why(response))
            written, refused = [], []
            for write in writes:
                one_written, one_refused = self.write([write])
                written += one_written
                refused += one_refused
            return written, refused
        write = writes[0]
        if response.status_code == 409:
            return self._conflict(write, response)
        LOG.warning('Placement refused the allocation of %s: %s',
                    write.consumer, _why(response))
        return [], [write]

    def _post(self, writes):
        body = {w.consumer: {'allocations': w.allocations,
                             'project_id': w.project_id,
                             'user_id': w.user_id,
                             'consumer_generation': w.generation}
                for w in writes}
        metrics.count('mirror_posts')
        try:
            return self.client.post('/allocations', body,
                                    version=MICROVERSION)
        except ks_exc.ClientException as e:
            LOG.warning('Cannot reach placement to write %d allocations: '
                        '%s', len(writes), e)
            return None

    def _conflict(self, write, response):
        """Decide from the consumer's allocations as placement has them."""
        try:
            current = self.client.get('/allocations/%s' % write.consumer,
                                      version=MICROVERSION)
        except ks_exc.ClientException as e:
            LOG.warning('Cannot read the allocations of %s: %s',
                        write.consumer, e)
            write.unreachable = True
            return [], [write]
        if current.status_code != 200:
            LOG.warning('Cannot read the allocations of %s: %s',
                        write.consumer, _why(current))
            return [], [write]
        body = current.json()
        if body['allocations'] and holds(body['allocations'],
                                         write.allocations):
            return [write], []
        LOG.info('Allocation of %s refused (%s); retrying on the consumer '
                 'as placement has it now.', write.consumer, _why(response))
        write.generation = body.get('consumer_generation')
        if body['allocations']:
            # A move (evacuation): the source host's allocations stay.
            write.allocations = report._move_operation_alloc_request(
                body['allocations'],
                {'allocations': write.allocations})['allocations']
        return [], [write]


def _why(response):
    if response is None:
        return 'placement unreachable'
    return 'HTTP %d: %s' % (response.status_code, response.text[:500])


class Mirror:
    """A queue of allocations and the thread that writes them."""

    def __init__(self, writer=None):
        self._writer = writer or Writer()
        self._cond = threading.Condition()
        self._queue = collections.OrderedDict()
        self._in_flight = set()
        self._thread = None

    def submit(self, write):
        """Queue ``write``; the thread starts with the first one."""
        with self._cond:
            self._queue[write.consumer] = write
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name='placement-mirror', daemon=True)
                self._thread.start()
                atexit.register(self.flush, EXIT_FLUSH_TIMEOUT)
            self._cond.notify_all()
        metrics.count('mirror_queued')

    def cancel(self, consumers):
        """Drop the queued writes of ``consumers``; wait out theirs in flight.

        A delete of their allocations after this is the last word.
        """
        consumers = set(consumers)
        with self._cond:
            while True:
                dropped = [c for c in consumers if c in self._queue]
                for consumer in dropped:
                    del self._queue[consumer]
                if dropped:
                    metrics.count('mirror_cancelled', len(dropped))
                if not consumers & self._in_flight:
                    return
                self._cond.wait()

    def flush(self, timeout):
        """Wait until nothing is queued or in flight; True if so."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    LOG.error('%d allocations not written to placement '
                              'after %d s.', len(self._queue), timeout)
                    return False
                self._cond.wait(left)
            return True

    def _run(self):
        while True:
            batch = self._next_batch()
            try:
                written, refused = self._writer.write(batch)
            except Exception:
                # A bug, not placement: keep the thread, retry the batch.
                LOG.exception('Writing %d allocations failed.', len(batch))
                written, refused = [], batch
            self._done(written, refused)

    def _next_batch(self):
        with self._cond:
            while True:
                now = time.time()
                due = [w for w in self._queue.values()
                       if w.not_before <= now][:BATCH_SIZE]
                if due:
                    for write in due:
                        del self._queue[write.consumer]
                        self._in_flight.add(write.consumer)
                    return due
                waits = [w.not_before - now for w in self._queue.values()]
                self._cond.wait(min(waits) if waits else None)

    def _done(self, written, refused):
        now = time.time()
        for write in written:
            metrics.count('mirror_written')
            metrics.observe('mirror_lag_ms',
                            1000 * (now - write.claimed_at))
        with self._cond:
            if written:
                # Placement answers again: what waited for it goes now.
                for queued in self._queue.values():
                    if queued.unreachable:
                        queued.not_before = now
            for write in refused:
                write.attempts += 1
                if write.attempts >= MAX_ATTEMPTS:
                    LOG.error('Gave up writing the allocation of %s to '
                              'placement after %d attempts: %s',
                              write.consumer, write.attempts,
                              write.allocations)
                    metrics.count('mirror_failed')
                elif write.consumer not in self._queue:
                    # (A newer write of the consumer replaces this one.)
                    write.not_before = now + backoff(write.attempts)
                    self._queue[write.consumer] = write
                    metrics.count('mirror_retries')
            self._in_flight.difference_update(
                w.consumer for w in written + refused)
            self._cond.notify_all()


_MIRRORS = {}
_MIRRORS_LOCK = threading.Lock()


def get_mirror():
    """This process's ``Mirror``; a forked child gets one of its own."""
    with _MIRRORS_LOCK:
        mirror = _MIRRORS.get(os.getpid())
        if mirror is None:
            mirror = _MIRRORS[os.getpid()] = Mirror()
        return mirror
