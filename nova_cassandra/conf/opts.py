"""Options listed for oslo-config-generator (``tox -e genconfig``)."""

from nova_cassandra.conf import cassandra


def list_opts():
    return [(group, opts) for group, opts in cassandra.list_opts().items()]
