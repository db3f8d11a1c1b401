"""The shared view helpers: integers from forms and query strings, and a ValidationError's messages."""

from django.core.exceptions import ValidationError

from jixiao.core.views import error_messages, int_or_none


def test_int_or_none():
    assert [int_or_none(v) for v in ("12", " 7 ", "-3", 5)] == [12, 7, -3, 5]
    assert [int_or_none(v) for v in (None, "", "x", "1.5", "²", "1_000", "9" * 19, True)] == [None] * 8


def test_error_messages():
    assert error_messages(ValidationError({"a": ["甲"], "b": ["乙", "丙"]})) == ["甲", "乙", "丙"]
    assert error_messages(ValidationError("丁")) == ["丁"]
