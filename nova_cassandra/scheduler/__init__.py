"""The scheduler side: host state read from Cassandra."""
