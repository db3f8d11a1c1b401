"""Pure rules of spending standards: keyword matching and value checks. Values in, values out, no ORM."""

from __future__ import annotations

import re
from dataclasses import dataclass

from jixiao.core.money import Money

CODE_MAX_LENGTH = 40
NAME_MAX_LENGTH = 200
_SEPARATORS = re.compile(r"[,，、;；\s]+")


def split_keywords(text: str) -> list[str]:
    """"维修, 校舍、修缮" → ["维修", "校舍", "修缮"] (comma, 、, semicolon or space; blanks and repeats dropped)."""
    out: list[str] = []
    for word in _SEPARATORS.split(text or ""):
        word = word.strip()
        if word and word not in out:
            out.append(word)
    return out


def normalise_keywords(text: str) -> str:
    return "，".join(split_keywords(text))


def matches(name: str, *, standard_name: str, keywords: str) -> bool:
    """Whether a cost item, output or indicator called `name` falls under a standard: it contains one of the
    standard's keywords, or (a standard without keywords) the standard's whole name."""
    name = (name or "").strip()
    if not name:
        return False
    words = split_keywords(keywords)
    if words:
        return any(w in name for w in words)
    return bool(standard_name) and standard_name in name


@dataclass(frozen=True)
class StandardValues:
    code: str
    name: str
    output_unit: str
    amount: Money | None
    valid_from: int | None
    valid_to: int | None


def validate_standard(v: StandardValues) -> dict[str, list[str]]:
    """Field → messages (Chinese) for a standard's values; empty when valid."""
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if not v.code:
        add("code", "请填写标准编码")
    elif len(v.code) > CODE_MAX_LENGTH:
        add("code", f"标准编码不能超过{CODE_MAX_LENGTH}个字符")
    if not v.name:
        add("name", "请填写标准名称")
    elif len(v.name) > NAME_MAX_LENGTH:
        add("name", f"标准名称不能超过{NAME_MAX_LENGTH}个字符")
    if not v.output_unit:
        add("output_unit", "请填写计量单位（如“平方米”“人·年”）")
    if v.amount is None:
        add("amount", "请填写标准金额")
    elif v.amount.fen <= 0:
        add("amount", "标准金额必须大于0")
    if v.valid_from is None:
        add("valid_from", "请填写起始年度")
    elif not 2000 <= v.valid_from <= 2100:
        add("valid_from", "起始年度应在2000至2100之间")
    if v.valid_to is not None and v.valid_from is not None and v.valid_to < v.valid_from:
        add("valid_to", "截止年度不能早于起始年度")
    return errors
