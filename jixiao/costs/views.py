"""Pages of the costs app (thin: selectors read, services write)."""
