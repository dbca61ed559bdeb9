"""Reply graph nodes, one per file."""
