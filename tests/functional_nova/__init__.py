# nova's services here run on eventlet: patch before any module of a test
# imports cassandra-driver, which binds threading's locks when imported
# (unpatched, its waits would block every green thread).
from nova import monkey_patch ; monkey_patch.patch()  # noqa
