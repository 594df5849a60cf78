"""c7 layer."""
