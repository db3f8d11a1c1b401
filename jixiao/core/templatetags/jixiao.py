"""Template filters shared by every page: money in 元/万元, states, dates."""

from django import template

from jixiao.core.money import Money

register = template.Library()


@register.filter
def yuan(value):
    """1234567 fen → '12,345.67'."""
    return value.format_yuan() if isinstance(value, Money) else ("" if value is None else value)


@register.filter
def wan(value):
    """Money → 万元 with two decimals."""
    return value.format_wan() if isinstance(value, Money) else ("" if value is None else value)


@register.filter
def fen_wan(value):
    """An aggregate sum (int fen) → 万元."""
    return Money(int(value or 0)).format_wan()
