"""Graph wiring only."""
