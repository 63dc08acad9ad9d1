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

"""What every store of host state and claims provides.

The claims driver, the host manager, the host view, the compute hook and
the heartbeat are written against these interfaces and records;
``store.cassandra`` implements them on Cassandra, ``store.mysql`` on a
sharded MySQL/MariaDB database, and ``store.backends`` names the two for
the entry points.  Errors are the store-neutral ones of
``nova_cassandra.exception``; a store that cannot answer right now raises
one of its backend's ``unavailable`` exceptions.
"""

import abc
import collections
import dataclasses
import datetime
import functools
import math
import uuid

from oslo_serialization import jsonutils

from nova_cassandra import exception

# Amounts are 64-bit integers; names are as long as nova's own columns allow.
AMOUNT_MAX = 2 ** 63 - 1
NAME_MAX = 255

# How much further back than asked a change log is read: an entry that
# lands a little late, or stamped by a clock a little behind, is still read.
OVERLAP_SECONDS = 2.0


def amounts_problem(amounts):
    """Why ``{resource class: amount}`` is not a set of counts, or None."""
    for resource_class, amount in amounts.items():
        if (isinstance(amount, bool) or not isinstance(amount, int)
                or not 0 <= amount <= AMOUNT_MAX):
            return '%s is %r, not a count from 0 to %d' % (
                resource_class, amount, AMOUNT_MAX)
    return None


def refused(node_uuid, expected, found):
    """The error of a compare-and-set refused at generation ``found``.

    ``HostNotFound`` when the node has no row (``found`` is None),
    ``HostConflict`` carrying the generation found otherwise.
    """
    if found is None:
        return exception.HostNotFound(node=node_uuid)
    return exception.HostConflict(node=node_uuid, expected=expected,
                                  found=found)


@dataclasses.dataclass
class HostRecord:
    """One compute node's state as stored: amounts per resource class."""

    node_uuid: uuid.UUID
    host: str
    nodename: str
    capacity: dict
    reserved: dict = dataclasses.field(default_factory=dict)
    allocation_ratio: dict = dataclasses.field(default_factory=dict)
    used: dict = dataclasses.field(default_factory=dict)
    state: dict = dataclasses.field(default_factory=dict)
    generation: int = 0
    updated_at: datetime.datetime = None

    @classmethod
    def from_row(cls, row):
        """The record of a node row (CQL or SQL: both have ``_asdict``)."""
        values = row._asdict()
        values['state'] = jsonutils.loads(values['state'] or '{}')
        for column in ('capacity', 'reserved', 'allocation_ratio', 'used'):
            values[column] = dict(values[column] or {})
        return cls(**values)

    def check(self):
        """Raise ``InvalidHostRecord`` unless every field can be stored.

        A negative or non-finite amount or ratio would make every reader's
        capacity arithmetic wrong (or raise), so it never reaches a row.
        """
        for name in ('host', 'nodename'):
            value = getattr(self, name)
            if not isinstance(value, str) or not 0 < len(value) <= NAME_MAX:
                self._invalid('%s must be a name of 1 to %d characters'
                              % (name, NAME_MAX))
        for name in ('capacity', 'reserved', 'used'):
            problem = amounts_problem(getattr(self, name))
            if problem:
                self._invalid('%s: %s' % (name, problem))
        for resource_class, ratio in self.allocation_ratio.items():
            if (not isinstance(ratio, (int, float))
                    or not math.isfinite(ratio) or ratio < 0):
                self._invalid('allocation_ratio: %s is %r, not a finite '
                              'number >= 0' % (resource_class, ratio))

    def _invalid(self, reason):
        raise exception.InvalidHostRecord(node=self.node_uuid, reason=reason)


@dataclasses.dataclass
class Claim:
    """Resources a scheduler took on a node for one consumer (instance)."""

    consumer_uuid: uuid.UUID
    resources: dict
    claimed_at: datetime.datetime


@dataclasses.dataclass
class NodeUsage:
    """A node's amounts and open claims; its state as stored (JSON).

    Replaced, never changed, once built: a claim taken or released makes
    another ``NodeUsage`` (``with_claim``, a read of the node).
    """

    record: HostRecord
    claims: list
    state_json: str = None

    @functools.cached_property
    def _claimed(self):
        totals = collections.Counter()
        for claim in self.claims:
            totals.update(claim.resources)
        return totals

    def claimed(self, resource_class):
        """How much of ``resource_class`` the open claims hold."""
        return self._claimed[resource_class]

    def with_claim(self, generation, consumer_uuid, resources):
        """The usage once the consumer's claim made ``generation``.

        It replaces the consumer's claim on the node, as stores do.
        """
        claims = [claim for claim in self.claims
                  if claim.consumer_uuid != consumer_uuid]
        return NodeUsage(
            dataclasses.replace(self.record, generation=generation),
            claims + [Claim(consumer_uuid, dict(resources), None)],
            self.state_json)


class Change(collections.namedtuple(
        'Change', 'change_id changed_at node_uuid generation consumer_uuid '
                  'resources')):
    """One entry of a ``ChangeLog``: node ``node_uuid`` changed.

    ``change_id`` is unique; ``changed_at`` is in epoch seconds.
    ``generation`` is the node's generation the change made, and
    ``consumer_uuid`` and ``resources`` the claim that made it, if a claim
    did.  A release does not move the generation, and an older version's
    entries carry none: ``generation`` is None, the node must be read.
    """

    __slots__ = ()

    def applied_to(self, usage):
        """``usage`` (``NodeUsage``) with this change in it, or None.

        None when only a read of the node can tell.  The result is never
        less used than the node: a claim is added only to the generation it
        was taken on; a release, which may be older than what ``usage``
        holds, is left to the read.
        """
        if self.generation is None:
            return None
        if usage.record.generation >= self.generation:
            return usage
        if (self.resources is not None
                and usage.record.generation == self.generation - 1):
            return usage.with_claim(self.generation, self.consumer_uuid,
                                    self.resources)
        return None


def usages(rows):
    """Group rows of nodes joined to their claims into ``NodeUsage``.

    One row per open claim, ordered by node, each repeating the node's
    columns; a node without claims is one row whose ``consumer_uuid`` is
    null.  Rows of a node without state (claims outliving a deleted node)
    are skipped.
    """
    usage = None
    for row in rows:
        if row.generation is None:
            continue
        if usage is None or usage.record.node_uuid != row.node_uuid:
            if usage is not None:
                yield usage
            usage = NodeUsage(HostRecord(
                node_uuid=row.node_uuid, host=row.host, nodename=row.nodename,
                capacity=dict(row.capacity or {}),
                reserved=dict(row.reserved or {}),
                allocation_ratio=dict(row.allocation_ratio or {}),
                used=dict(row.used or {}), generation=row.generation), [],
                getattr(row, 'state', None))
        if row.consumer_uuid is not None:
            usage.claims.append(Claim(row.consumer_uuid, dict(row.claim),
                                      row.claimed_at))
    if usage is not None:
        yield usage


# A process's stores on one backend, opened together; ``close`` releases
# their connections.
Stores = collections.namedtuple('Stores', 'hosts claims close')


class HostStore(abc.ABC):
    """Compute nodes' state (``HostRecord``), by compare-and-set."""

    @abc.abstractmethod
    def create(self, record):
        """Store a new node's state at generation 1; the stored record.

        Raises ``HostExists`` if it has one, or ``InvalidHostRecord``.
        """

    @abc.abstractmethod
    def update(self, record, fold=()):
        """Replace a node's state if it is still at ``record.generation``.

        ``fold``: consumer UUIDs whose claims the new state accounts for,
        deleted in the same compare-and-set.  Returns the record at its new
        generation.  Raises ``HostNotFound``, ``HostConflict`` (carrying the
        generation found) or ``InvalidHostRecord``.
        """

    @abc.abstractmethod
    def get(self, node_uuid, latest=False):
        """A node's state: fast, or ``latest`` (as claims read it).

        Raises ``HostNotFound``.
        """

    @abc.abstractmethod
    def list(self):
        """Every node's state."""

    @abc.abstractmethod
    def report(self, host):
        """Record that compute service ``host`` is alive, as of now."""

    @abc.abstractmethod
    def heartbeats(self):
        """``{host: when it last reported}`` of every compute service."""


class ChangeLog(abc.ABC):
    """Which nodes changed when, and how: what host views refresh from."""

    @abc.abstractmethod
    def since(self, seconds, seen=(), lookback=OVERLAP_SECONDS):
        """The ``Change`` entries after ``seconds`` (epoch), oldest first.

        Looks back ``lookback`` seconds further; ids are unique, so a
        reader passes the ids it has seen (``seen``, any container) and
        gets only the others.
        """


class ClaimStore(abc.ABC):
    """Nodes' usage with their open claims; claims taken and released.

    ``changes`` is the store's ``ChangeLog``: every claim and release (and
    every host update) appends to it.
    """

    changes = None

    def node_usage(self, node_uuid):
        """The node's ``NodeUsage``, read as a claim must see it.

        Raises ``HostNotFound``.
        """
        for usage in self.node_usages([node_uuid]):
            return usage
        raise exception.HostNotFound(node=node_uuid)

    @abc.abstractmethod
    def node_usages(self, node_uuids):
        """The ``NodeUsage`` of each of ``node_uuids`` that exists.

        Read as a claim must see them, together rather than one after the
        other; in no set order.
        """

    @abc.abstractmethod
    def all_usage(self):
        """Every node's ``NodeUsage``."""

    @abc.abstractmethod
    def claim(self, node_uuid, generation, consumer_uuid, resources, ttl):
        """Take ``resources`` for ``consumer_uuid`` if the node is unchanged.

        Returns the node's new generation.  Raises ``HostConflict`` (with
        the generation found) or ``HostNotFound``.  The claim stops
        counting ``ttl`` seconds later, by the store's clock, unless the
        compute folds it into the node's usage first.
        """

    @abc.abstractmethod
    def release(self, node_uuid, consumer_uuid):
        """Delete a live claim; True if there was one."""

    @abc.abstractmethod
    def now(self):
        """The store's clock (claims expire by it)."""
