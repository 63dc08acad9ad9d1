"""The compute side: publish each node's state to Cassandra on every change."""
