"""dialects layer."""
