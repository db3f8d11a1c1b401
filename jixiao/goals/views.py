"""Pages of the goals app (thin: selectors read, services write)."""
