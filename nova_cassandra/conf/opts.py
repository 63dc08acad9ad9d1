"""Options listed for oslo-config-generator (``tox -e genconfig``)."""

from nova_cassandra.conf import cassandra
from nova_cassandra.conf import metrics
from nova_cassandra.conf import mysql


def list_opts():
    return [(group, opts) for module in (cassandra, mysql, metrics)
            for group, opts in module.list_opts().items()]
