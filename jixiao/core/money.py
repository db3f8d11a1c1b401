"""Exact money: integer fen in the database, Decimal yuan in Python, never float.

`Money` is the one value type for amounts. `MoneyField` stores it as a BigIntegerField of fen, so sums are exact on
SQLite (which keeps decimals as floats) and PostgreSQL alike. Display helpers give 元 and 万元 with two decimals.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import total_ordering

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst

FEN_PER_YUAN = 100
YUAN_PER_WAN = 10_000
TWO_PLACES = Decimal("0.01")
# The largest amount we accept (one trillion yuan); guards against garbage such as an ID number in an amount column.
MAX_FEN = 10**12 * FEN_PER_YUAN


class MoneyParseError(ValueError):
    """A text or number could not be read as an amount. The message is in Chinese, for users."""


@total_ordering
class Money:
    """An exact amount of renminbi, held as whole fen."""

    __slots__ = ("fen",)

    def __init__(self, fen: int = 0):
        if isinstance(fen, bool) or not isinstance(fen, int):
            raise TypeError("Money takes whole fen as int; use Money.from_yuan() for yuan amounts")
        object.__setattr__(self, "fen", fen)

    def __setattr__(self, name, value):  # immutable
        raise AttributeError("Money is immutable")

    @classmethod
    def from_yuan(cls, value: Decimal | str | int | float) -> Money:
        """Yuan to Money, rounding half up to the fen. Floats (as Excel gives) go through their shortest repr."""
        if isinstance(value, float):
            value = repr(value)
        try:
            amount = Decimal(value)
        except (InvalidOperation, TypeError) as exc:
            raise MoneyParseError(f"“{value}”不是有效金额") from exc
        if not amount.is_finite():
            raise MoneyParseError(f"“{value}”不是有效金额")
        fen = int((amount * FEN_PER_YUAN).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if abs(fen) > MAX_FEN:
            raise MoneyParseError(f"金额“{value}”超出允许范围")
        return cls(fen)

    @classmethod
    def from_wan(cls, value: Decimal | str | int | float) -> Money:
        if isinstance(value, float):
            value = repr(value)
        try:
            return cls.from_yuan(Decimal(value) * YUAN_PER_WAN)
        except InvalidOperation as exc:
            raise MoneyParseError(f"“{value}”不是有效金额") from exc

    @classmethod
    def parse(cls, text: object, *, unit: str = "yuan") -> Money:
        """Read an amount as offices write it: "1,234.56", "１２３４", "¥1234", "1234元", "12.5万元", 1234.0."""
        if isinstance(text, Money):
            return text
        if isinstance(text, bool):
            raise MoneyParseError(f"“{text}”不是有效金额")
        if isinstance(text, (int, float, Decimal)):
            return cls.from_wan(text) if unit == "wan" else cls.from_yuan(text)
        raw = str(text or "").strip()
        if not raw:
            raise MoneyParseError("金额为空")
        s = raw.translate(_FULLWIDTH).replace(",", "").replace("，", "").replace(" ", "")
        s = s.lstrip("¥￥").strip()
        this_unit = unit
        if s.endswith("万元") or s.endswith("万"):
            this_unit = "wan"
            s = s.rstrip("元").rstrip("万")
        elif s.endswith("元"):
            this_unit = "yuan"
            s = s[:-1]
        if s.startswith("(") and s.endswith(")"):
            s = "-" + s[1:-1]
        if not _NUMBER.fullmatch(s):
            raise MoneyParseError(f"“{raw}”不是有效金额")
        return cls.from_wan(s) if this_unit == "wan" else cls.from_yuan(s)

    @property
    def yuan(self) -> Decimal:
        return (Decimal(self.fen) / FEN_PER_YUAN).quantize(TWO_PLACES)

    @property
    def wan(self) -> Decimal:
        return (Decimal(self.fen) / (FEN_PER_YUAN * YUAN_PER_WAN)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)

    def format_yuan(self) -> str:
        return f"{self.yuan:,.2f}"

    def format_wan(self) -> str:
        return f"{self.wan:,.2f}"

    def __str__(self) -> str:
        return str(self.yuan)

    def __repr__(self) -> str:
        return f"Money('{self.yuan}')"

    def __hash__(self) -> int:
        return hash(("Money", self.fen))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Money):
            return self.fen == other.fen
        return NotImplemented

    def __lt__(self, other: Money) -> bool:
        if isinstance(other, Money):
            return self.fen < other.fen
        return NotImplemented

    def __add__(self, other: Money) -> Money:
        if isinstance(other, Money):
            return Money(self.fen + other.fen)
        if other == 0:  # lets sum() start from 0
            return self
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other: Money) -> Money:
        if isinstance(other, Money):
            return Money(self.fen - other.fen)
        return NotImplemented

    def __neg__(self) -> Money:
        return Money(-self.fen)

    def __bool__(self) -> bool:
        return self.fen != 0

    def ratio(self, other: Money) -> Decimal | None:
        """self ÷ other as a Decimal, or None when other is zero (callers decide what a zero base means)."""
        if other.fen == 0:
            return None
        return Decimal(self.fen) / Decimal(other.fen)

    def to_json(self) -> str:
        """Amounts cross the API as decimal strings of yuan, never as floats."""
        return str(self.yuan)


ZERO = Money(0)

_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_FULLWIDTH = str.maketrans("０１２３４５６７８９．－（）", "0123456789.-()")


def money_input(value, field: str, errors: dict[str, list[str]]) -> Money | None:
    """An amount from outside (form, JSON, Excel cell) as Money; blank is None. A float or unreadable text adds a
    Chinese message to `errors[field]` and gives None, so a form reports every bad field at once."""
    if value is None or value == "":
        return None
    if isinstance(value, Money):
        return value
    if isinstance(value, float):
        errors.setdefault(field, []).append("金额请以字符串或整数传入，不接受浮点数")
        return None
    try:
        return Money.parse(value)
    except MoneyParseError as exc:
        errors.setdefault(field, []).append(str(exc))
        return None


def money_sum(values) -> Money:
    return Money(sum(v.fen for v in values if v is not None))


class MoneyFormField(forms.CharField):
    """A form field reading yuan (or 万元 when unit='wan') into Money."""

    max_text_length = 30

    def __init__(self, *, unit: str = "yuan", **kwargs):
        self.unit = unit
        kwargs.pop("max_length", None)  # a length validator would run on the parsed Money: check the text instead
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, Money):
            return str(value.wan if self.unit == "wan" else value.yuan)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if len(value) > self.max_text_length:
            raise ValidationError("金额过长", code="max_length")
        try:
            return Money.parse(value, unit=self.unit)
        except MoneyParseError as exc:
            raise ValidationError(str(exc), code="invalid") from exc


class MoneyField(models.BigIntegerField):
    """Money stored as integer fen.

    Accepts Money, None, or a yuan Decimal/str. A bare int is refused (except 0) so that nobody stores yuan as fen
    by accident. Sum() over a MoneyField keeps the field type and comes back as exact Money.
    """

    description = "Amount in fen"

    def get_default(self):
        # An unsaved instance gets Money too (a plain default=0 in the migration would otherwise stay an int).
        return self.to_python(super().get_default())

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return Money(int(value))

    def to_python(self, value):
        if value is None or isinstance(value, Money):
            return value
        if isinstance(value, bool):
            raise ValidationError("金额无效")
        if isinstance(value, int):
            if value == 0:
                return Money(0)
            raise ValidationError("金额必须是 Money 或以元为单位的小数")
        try:
            return Money.parse(value)
        except MoneyParseError as exc:
            raise ValidationError(str(exc)) from exc

    def get_prep_value(self, value):
        if value is None:
            return None
        if isinstance(value, Money):
            return value.fen
        if hasattr(value, "resolve_expression"):
            return value
        return self.to_python(value).fen

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return "" if value is None else str(value.yuan)

    def formfield(self, **kwargs):
        options = {"required": not self.blank, "label": capfirst(self.verbose_name), "help_text": self.help_text}
        options.update({k: v for k, v in kwargs.items() if k in options})
        return MoneyFormField(**options)
