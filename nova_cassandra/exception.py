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

"""Errors raised by nova-cassandra, each naming what it is about."""


class NovaCassandraError(Exception):
    """Base class: ``msg_fmt`` is formatted with the keyword arguments."""

    msg_fmt = 'An unknown nova-cassandra error occurred.'

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        super().__init__(self.msg_fmt % kwargs)


class CassandraUnavailable(NovaCassandraError):
    msg_fmt = ('Cassandra at %(contact_points)s (port %(port)s) is not '
               'reachable: %(reason)s')


class KeyspaceNotFound(NovaCassandraError):
    msg_fmt = ("Keyspace '%(keyspace)s' does not exist: run "
               "'nova-cassandra-manage db sync' to create it.")


class SchemaVersionMismatch(NovaCassandraError):
    msg_fmt = ("Keyspace '%(keyspace)s' is at schema version %(found)s but "
               "this code needs version %(expected)s: %(action)s")


class InvalidReplication(NovaCassandraError):
    msg_fmt = ("Cassandra refused to create keyspace '%(keyspace)s' with "
               "[cassandra] replication = %(replication)s: %(reason)s")


class ReplicationBeyondNodes(NovaCassandraError):
    msg_fmt = ("Keyspace '%(keyspace)s' not created: [cassandra] "
               "replication = %(replication)s asks for %(factor)d replicas "
               "in %(where)s, which has %(nodes)d node(s), and every claim "
               "needs a quorum of them. Lower the replication factor or "
               "add nodes first.")


class HostNotFound(NovaCassandraError):
    msg_fmt = 'Compute node %(node)s has no host state in the store.'


class HostExists(NovaCassandraError):
    msg_fmt = 'Compute node %(node)s already has host state in the store.'


class HostConflict(NovaCassandraError):
    msg_fmt = ('Compute node %(node)s changed concurrently: expected '
               'generation %(expected)s, found %(found)s.')


class InvalidHostRecord(NovaCassandraError):
    msg_fmt = 'Host state of compute node %(node)s not stored: %(reason)s.'


class InvalidClaim(NovaCassandraError):
    msg_fmt = ('Claim for %(consumer)s on compute node %(node)s refused: '
               '%(reason)s.')


class NovaNotFound(NovaCassandraError):
    msg_fmt = ('No %(project)s package in %(path)s: give --nova-path the '
               'directory that holds the %(project)s package (site-packages '
               'or a source tree).')


class NovaVersionUnknown(NovaCassandraError):
    msg_fmt = 'Cannot tell the version of %(project)s in %(path)s: %(reason)s.'


class UnsupportedNovaVersion(NovaCassandraError):
    msg_fmt = ('%(project)s %(version)s in %(path)s is not supported: the '
               'patch series is for %(project)s %(supported)s.')


class PatchSeriesInvalid(NovaCassandraError):
    msg_fmt = 'Cannot read the patch series at %(path)s: %(reason)s.'


class PatchToolMissing(NovaCassandraError):
    msg_fmt = ("The 'patch' program is not installed (Debian: apt-get "
               "install patch).")


class PatchConflict(NovaCassandraError):
    msg_fmt = ('The patch series neither applies to nor reverts from '
               '%(tree)s, which was left untouched. Applying: %(forward)s. '
               'Reverting: %(backward)s.')


class PatchSeriesPartlyApplied(NovaCassandraError):
    msg_fmt = ("%(tree)s is partly patched: %(reason)s. Run "
               "'nova-cassandra-manage patches apply' or 'patches revert'.")


class PatchWriteFailed(NovaCassandraError):
    msg_fmt = ('Could not write %(path)s (%(reason)s); the files already '
               'written under %(root)s were restored.')


class MySQLUnavailable(NovaCassandraError):
    msg_fmt = 'The MySQL store at %(url)s is not reachable: %(reason)s'


class MySQLSchemaMismatch(NovaCassandraError):
    msg_fmt = ("The MySQL store at %(url)s is at schema version %(found)s "
               "with %(found_shards)s shards but this code needs version "
               "%(expected)s with %(expected_shards)s shards "
               "([mysql_store] shards): %(action)s")


class PlacementUnavailable(NovaCassandraError):
    msg_fmt = 'Placement did not answer as expected: %(reason)s'
