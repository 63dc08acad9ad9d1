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
the heartbeat are written against these interfaces; ``store.cassandra``
implements them on Cassandra, ``store.mysql`` on a sharded MySQL/MariaDB
database, and ``store.backends`` names the two for the entry points.
Errors are the store-neutral ones of ``nova_cassandra.exception``; a store
that cannot answer right now raises one of its backend's ``unavailable``
exceptions.
"""

import abc


class HostStore(abc.ABC):
    """Compute nodes' state (``hosts.HostRecord``), by compare-and-set."""

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
    """Which nodes changed when: what host views refresh from."""

    @abc.abstractmethod
    def since(self, seconds):
        """``[(change id, epoch seconds, node uuid)]`` after ``seconds``.

        Looks back ``changes.OVERLAP_SECONDS`` further; ids are unique, so
        a reader skips the entries it has seen.
        """


class ClaimStore(abc.ABC):
    """Nodes' usage with their open claims; claims taken and released.

    ``changes`` is the store's ``ChangeLog``: every claim and release (and
    every host update) appends to it.
    """

    changes = None

    @abc.abstractmethod
    def node_usage(self, node_uuid):
        """The node's ``claims.NodeUsage``, read as a claim must see it.

        Raises ``HostNotFound``.
        """

    @abc.abstractmethod
    def all_usage(self):
        """Every node's ``claims.NodeUsage``."""

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
