"""agent audio domain."""
