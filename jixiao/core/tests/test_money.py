from decimal import Decimal

import pytest

from jixiao.core.money import Money, MoneyParseError, money_sum


@pytest.mark.parametrize("text,fen", [
    ("1,234.56", 123456), ("１２３４", 123400), ("¥1234", 123400), ("1234元", 123400), ("12.5万元", 125000_00),
    ("12.5万", 125000_00), (" 0.005 ", 1), ("(100)", -10000), (9000.0, 900000), (0.1 + 0.2, 30), (Decimal("1.005"), 101),
])
def test_parse(text, fen):
    assert Money.parse(text).fen == fen


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "12a", True, "1e400", "９９９９９９９９９９９９９９"])
def test_parse_rejects(text):
    with pytest.raises(MoneyParseError):
        Money.parse(text)


def test_arithmetic_and_display():
    a, b = Money.from_yuan("123456789.78"), Money(22)
    assert (a + b).yuan == Decimal("123456790.00")
    assert (a - b).fen == a.fen - 22
    assert sum([a, b]) == a + b
    assert money_sum([a, None, b]) == a + b
    assert Money.from_yuan("12345678.9").format_wan() == "1,234.57"
    assert Money.from_yuan("1234.5").format_yuan() == "1,234.50"
    assert Money(1).ratio(Money(0)) is None
    with pytest.raises(TypeError):
        Money(1.5)


def test_large_amounts_exact_on_database(cast):
    """SQLite keeps decimals as floats; integer fen stays exact on both databases, also in sums."""
    from django.db.models import Sum

    from jixiao.budget.models import PerformanceSubject

    big = Money.from_yuan("987654321098.76")
    PerformanceSubject.objects.filter(pk=cast.subjects["a1"].pk).update(annual_amount=big)
    PerformanceSubject.objects.filter(pk=cast.subjects["a2"].pk).update(annual_amount=big)
    assert PerformanceSubject.objects.get(pk=cast.subjects["a1"].pk).annual_amount == big
    total = PerformanceSubject.objects.filter(pk__in=[cast.subjects["a1"].pk, cast.subjects["a2"].pk]).aggregate(
        s=Sum("annual_amount"))["s"]
    assert total == big + big  # Sum() over a MoneyField comes back as exact Money


def test_form_field_parses_and_checks_length():
    from django.core.exceptions import ValidationError

    from jixiao.core.money import MoneyFormField

    field = MoneyFormField(required=False)
    assert field.clean("1,234.56") == Money(123456)
    assert field.clean("") is None
    with pytest.raises(ValidationError):
        field.clean("1" * 40)


def test_unsaved_instance_default_is_money(db):
    from jixiao.budget.models import PerformanceSubject

    assert PerformanceSubject().annual_amount == Money(0)
