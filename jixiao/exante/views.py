"""Pages of the exante app (thin: selectors read, services write)."""
