"""Options of nova-cassandra, registered on nova's global CONF."""

from oslo_config import cfg

from nova_cassandra.conf import cassandra
from nova_cassandra.conf import metrics
from nova_cassandra.conf import mysql

CONF = cfg.CONF

cassandra.register_opts(CONF)
mysql.register_opts(CONF)
metrics.register_opts(CONF)
