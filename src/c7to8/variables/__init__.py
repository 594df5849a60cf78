"""variables layer."""
