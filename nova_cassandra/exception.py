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


class HostNotFound(NovaCassandraError):
    msg_fmt = 'Compute node %(node)s has no host state in Cassandra.'


class HostExists(NovaCassandraError):
    msg_fmt = 'Compute node %(node)s already has host state in Cassandra.'


class HostConflict(NovaCassandraError):
    msg_fmt = ('Compute node %(node)s changed concurrently: expected '
               'generation %(expected)s, found %(found)s.')
