"""Everything that speaks CQL: the session, the schema and the statements."""
