"""The sharded MySQL/MariaDB store: the same interface as the CQL one.

``hosts.HostStore`` and ``claims.ClaimStore`` here answer as their
Cassandra namesakes do, so the claims driver, the compute hook and the host
manager run unchanged on either.  Nothing outside this package builds SQL.
"""
