"""c8 layer."""
