"""recordings domain."""
