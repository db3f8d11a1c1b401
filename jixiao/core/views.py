"""What every screen's view shares: reading an integer from a query string or form, and the Chinese messages of a
ValidationError for the flash message."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

_INT = re.compile(r"-?[0-9]{1,18}")


def int_or_none(value) -> int | None:
    """An integer from a form field or query string, or None when it is missing or not a plain integer of at most
    18 digits (so that a pasted oddity never reaches the database as an out-of-range key)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < 10**18 else None
    text = str(value).strip() if value is not None else ""
    return int(text) if _INT.fullmatch(text) else None


def error_messages(exc: ValidationError) -> list[str]:
    """Every message of a ValidationError (a field's or a form's), in order."""
    return [str(m) for m in exc.messages]
