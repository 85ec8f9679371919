"""retention domain."""
