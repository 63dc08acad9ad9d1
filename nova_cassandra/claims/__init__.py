"""Claims backends: how a scheduler takes resources on the host it chose."""
