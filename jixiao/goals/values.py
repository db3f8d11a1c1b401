"""Reading what people type into goal sheets (绩效目标申报表): comparators, numbers, targets. Pure, no ORM.

Real sheets are messy: "≥" is written as ">=", "＞＝", "≧", "不低于", "至少"...; numbers come with full-width digits,
thousands separators, "%", "万" and as Excel floats (9000.0); the target is sometimes written into the indicator name
("学生资助人数≥500人") with the value cell left empty. These helpers read what can be read and return None for the
rest, so that the rules (`jixiao.goals.rules`) report it instead of guessing. Numbers are Decimal, never float.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from jixiao.indicators.models import Comparator

QUANTITATIVE = frozenset({Comparator.GE, Comparator.GT, Comparator.EQ, Comparator.LT, Comparator.LE})
UNIT_OPTIONAL = frozenset({Comparator.QUALITATIVE, Comparator.OTHER})
HIGHER_IS_BETTER = frozenset({Comparator.GE, Comparator.GT})
LOWER_IS_BETTER = frozenset({Comparator.LE, Comparator.LT})

# Whole-cell spellings of the 计算符号 (after NFKC, lower case, no white space). FASP codes: 1 ≥, 2 ＞, 3 ＝, 4 ＜,
# 5 ≤, 6 定性, 9 定量（其他） (RULES §4.2).
_COMPARATOR_WORDS: dict[str, tuple[str, ...]] = {
    Comparator.GE: ("≥", ">=", "=>", "≧", "⩾", "大于等于", "大于或等于", "不低于", "不少于", "不小于", "至少",
                    "以上", "及以上", "ge", "1"),
    Comparator.GT: (">", "大于", "高于", "超过", "多于", "gt", "2"),
    Comparator.EQ: ("=", "==", "等于", "eq", "3"),
    Comparator.LT: ("<", "小于", "低于", "少于", "lt", "4"),
    Comparator.LE: ("≤", "<=", "=<", "≦", "⩽", "小于等于", "小于或等于", "不高于", "不超过", "不大于", "不多于",
                    "至多", "以内", "以下", "及以下", "le", "5"),
    Comparator.QUALITATIVE: ("定性", "定性指标", "qualitative", "6"),
    Comparator.OTHER: ("定量(其他)", "定量其他", "定量-其他", "其他", "其它", "other", "9"),
}
_COMPARATOR_INDEX = {w: value for value, words in _COMPARATOR_WORDS.items() for w in words}
for _value, _label in Comparator.choices:
    _COMPARATOR_INDEX.setdefault(unicodedata.normalize("NFKC", _label).lower(), _value)

# Comparators as they open a target ("≥95%", "不低于500人", "控制在5%以内"). Longest first. "Weak" openers
# (达到, 控制在, 为) give way to a closing word ("达到95%以上" → ge from 以上 and 达到 alike; "控制在5%以内" → le).
_PREFIX_STRONG: dict[str, str] = {
    w: value for value in QUANTITATIVE for w in _COMPARATOR_WORDS[value]
    if not w.isascii() or not w.isalnum()  # symbols and Chinese words; not "ge" or "1"
}
for _w in ("以上", "及以上", "以内", "以下", "及以下"):
    _PREFIX_STRONG.pop(_w, None)
_PREFIX_WEAK: dict[str, str] = {"达到": Comparator.GE, "达": Comparator.GE, "控制在": Comparator.LE,
                                "控制": Comparator.LE, "为": Comparator.EQ}
_PREFIXES = sorted({**_PREFIX_WEAK, **_PREFIX_STRONG}.items(), key=lambda kv: -len(kv[0]))
_SUFFIXES = sorted({"以上": Comparator.GE, "及以上": Comparator.GE, "或以上": Comparator.GE, "以内": Comparator.LE,
                    "之内": Comparator.LE, "以下": Comparator.LE, "及以下": Comparator.LE,
                    "或以下": Comparator.LE}.items(), key=lambda kv: -len(kv[0]))

# Multipliers written after a number: "1.2万" = 12000. "1.2万元" keeps 万元 as the unit instead.
_MULTIPLIERS = (("千万", Decimal(10_000_000)), ("百万", Decimal(1_000_000)), ("万", Decimal(10_000)),
                ("亿", Decimal(100_000_000)))

_NUMBER = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+"
_NUMBER_RE = re.compile(_NUMBER)
_PLAIN_NUMBER = re.compile(rf"(?:{_NUMBER})(?:[eE][-+]?\d+)?")
_DATE_RE = re.compile(
    r"(?:\d{4}\s*[年./-]\s*\d{1,2}\s*(?:[月./-]\s*(?:\d{1,2}\s*日?|底|末|上旬|中旬|下旬)?)?"
    r"|\d{1,2}\s*月\s*(?:\d{1,2}\s*日|底|末|上旬|中旬|下旬)?)"
    r"\s*(?:前|之前|以前|底前|内|完成)?(?:完成)?")
# Units accepted after a number written into an indicator name when no comparator word precedes it.
NAME_UNITS = frozenset({
    "%", "‰", "人", "人次", "名", "个", "次", "家", "户", "元", "万元", "亿元", "元/人", "亩", "万亩", "公里",
    "千米", "米", "平方米", "m2", "㎡", "天", "日", "月", "年", "小时", "工作日", "项", "所", "台", "套", "件",
    "场", "篇", "座", "处", "辆", "吨", "万吨", "张", "份", "册", "批", "期", "班", "村", "校", "床", "株", "头",
    "只", "立方米", "m3", "㎥", "千瓦", "kw", "分", "万人", "万人次",
})


_SPACE = re.compile(r"\s+")


def _norm(text) -> str:
    """NFKC (full-width digits and signs to ASCII, ＞＝ → >=), no white space."""
    s = unicodedata.normalize("NFKC", str(text if text is not None else ""))
    return _SPACE.sub("", s)


def normalise_comparator(text) -> str | None:
    """A 计算符号 cell as written ("≥", ">=", "＞＝", "不低于", "定性", "定量（其他）", FASP code "1"...) → a Comparator
    value, or None when it cannot be read."""
    if isinstance(text, bool):
        return None
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    key = _norm(text).lower()
    if not key:
        return None
    if key in _COMPARATOR_INDEX:
        return _COMPARATOR_INDEX[key]
    if key.startswith("控制在") and key.endswith(("以内", "之内", "以下")):  # "控制在…以内"
        return Comparator.LE
    return None


def _tidy(value: Decimal) -> Decimal:
    """9000.0 → 9000, 1.20 → 1.2 (same value, no exponent)."""
    if not value.is_finite():
        return value
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def parse_number(text) -> Decimal | None:
    """A number as written: "1,200", "１２００", "95%" (→ 95), "1.2万" (→ 12000), "9000.0", 9000.0, Decimal, int.
    Returns None for anything else (words, ranges such as "90-95", dates, a number followed by a unit)."""
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, Decimal):
        return _tidy(text) if text.is_finite() else None
    if isinstance(text, int):
        return Decimal(text)
    if isinstance(text, float):
        if text != text or text in (float("inf"), float("-inf")):
            return None
        # Excel floats: 15 significant digits is what Excel itself shows (0.30000000000000004 → 0.3).
        return _tidy(Decimal(format(text, ".15g")))
    s = _norm(text).lstrip("¥￥")
    if not s:
        return None
    multiplier = Decimal(1)
    if s.endswith(("%", "‰")):
        s = s[:-1]
    else:
        for word, factor in _MULTIPLIERS:
            if s.endswith(word) and len(s) > len(word):
                s, multiplier = s[: -len(word)], factor
                break
    if not _PLAIN_NUMBER.fullmatch(s):
        return None
    try:
        value = Decimal(s.replace(",", "")) * multiplier
    except InvalidOperation:
        return None
    return _tidy(value) if value.is_finite() else None


def _leading_comparator(s: str) -> tuple[str | None, bool, str]:
    """(comparator, weak, rest) for a comparator word opening `s`."""
    for word, value in _PREFIXES:
        if s.startswith(word):
            return value, word in _PREFIX_WEAK, s[len(word):]
    return None, False, s


def _trailing_comparator(s: str) -> tuple[str | None, str]:
    for word, value in _SUFFIXES:
        if s.endswith(word):
            return value, s[: -len(word)]
    return None, s


def split_target(text) -> tuple[str | None, Decimal | None, str | None]:
    """A target value cell → (comparator, number, unit), each None when absent or unreadable.

    "≥95%" → ("ge", 95, "%"); "不低于500人" → ("ge", 500, "人"); "100%" → (None, 100, "%"); "控制在5%以内" → ("le", 5,
    "%"); "1.2万" → (None, 12000, None); "1.2万元" → (None, 1.2, "万元"); 9000.0 → (None, 9000, None); "定性" →
    ("qualitative", None, None); "好" → (None, None, None). A unit of "%" (or "‰") means the number is a percentage.
    """
    if isinstance(text, (int, float, Decimal)) and not isinstance(text, bool):
        return None, parse_number(text), None
    s = _norm(text)
    if not s:
        return None, None, None
    whole = None if s.isascii() and s.isalnum() else _COMPARATOR_INDEX.get(s.lower())  # "1" is a number here
    if whole is not None:
        return whole, None, None
    comparator, weak, rest = _leading_comparator(s)
    m = _NUMBER_RE.match(rest)
    if not m:
        return comparator, None, None
    number_text, tail = m.group(0), rest[m.end():]
    closing, tail = _trailing_comparator(tail)
    if closing is not None and (comparator is None or weak):
        comparator = closing
    if re.search(r"\d", tail):  # a second number: a range, a date... not a single target
        return comparator, None, None
    number = parse_number(number_text)
    unit = tail or None
    for word, factor in _MULTIPLIERS:
        if tail == word and number is not None:  # "1.2万" → 12000, no unit
            number, unit = _tidy(number * factor), None
            break
    return comparator, number, unit


def looks_like_date(text) -> bool:
    """A time target written as a date or month ("2025年12月31日前", "2025-06", "12月底前完成")."""
    s = _norm(text)
    return bool(s) and bool(_DATE_RE.fullmatch(s))


_NAME_TARGET = re.compile(
    r"(?P<name>.*?[^\d.,+\-])(?P<target>(?P<cmp>" + "|".join(re.escape(w) for w, _ in _PREFIXES)
    + rf")?(?:{_NUMBER})[^\d]{{0,8}})")


def target_in_name(name) -> tuple[str, str | None, str, str | None] | None:
    """A target written into the indicator name → (clean_name, comparator, value_text, unit), or None.

    "学生资助人数≥500人" → ("学生资助人数", "ge", "500", "人"); "按时完成率达到100%" → ("按时完成率", "ge", "100", "%");
    "贫困户覆盖率100%" → ("贫困户覆盖率", None, "100", "%"). Without a comparator word the number must end the name
    with a common unit, so "5G基站建设数量" or "G107国道改造" are left alone.
    """
    s = _norm(name)
    m = _NAME_TARGET.fullmatch(s)
    if not m:
        return None
    clean = m.group("name")
    comparator, number, unit = split_target(m.group("target"))
    if number is None or len(clean) < 2:
        return None
    if comparator is None and m.group("cmp") is None:
        if unit is None or unit.lower() not in NAME_UNITS:
            return None
    clean = clean.rstrip(":：,，;；")
    if len(clean) < 2:
        return None
    return clean, comparator, format_number(number), unit


def format_number(value: Decimal) -> str:
    """A Decimal as plain text without exponent: 12000, 95.5."""
    return format(_tidy(value), "f")


@lru_cache(maxsize=64)
def _normed_words(words: tuple) -> tuple[tuple[str, str], ...]:
    return tuple((w, n) for w in words if (n := _norm(w)))


def find_words(text, words) -> list[str]:
    """The words of `words` that occur in `text` (NFKC-normalised), in the order of `words`."""
    s = _norm(text)
    return [w for w, n in _normed_words(tuple(words)) if n in s]


_DIGIT = re.compile(r"\d")


def has_number(text) -> bool:
    return bool(_DIGIT.search(_norm(text)))


def is_vague(text, words) -> bool:
    """Vague wording ("有效提升", "进一步加强") present AND no number anywhere in the text."""
    return bool(find_words(text, words)) and not has_number(text)


def amount_in_yuan(number: Decimal, unit: str | None) -> Decimal | None:
    """A target amount in 元 from its number and unit ("万元", "元", "万元/人", "元/公里"); None when the unit is not
    money. A unit-less number is taken as 元."""
    u = _norm(unit or "").lower()
    money_part = u.split("/", 1)[0]
    if money_part in ("", "元", "yuan", "rmb"):
        return number
    if money_part == "万元":
        return number * 10_000
    if money_part == "亿元":
        return number * 100_000_000
    if money_part == "千元":
        return number * 1_000
    return None


def per_unit(unit: str | None) -> str:
    """The output unit of a "元/人" style unit ("人"), "" when there is none."""
    u = _norm(unit or "")
    return u.split("/", 1)[1] if "/" in u else ""


def number_in(text: str) -> Decimal | None:
    """The number a result cell holds ("45", "45.5%", "≥95", "1,200人"), to six decimals as stored; None if none."""
    if not text:
        return None
    number = parse_number(text)
    if number is None:
        _, number, _ = split_target(text)
    if number is None:
        return None
    try:
        return number.quantize(Decimal("0.000001"))
    except InvalidOperation:
        return None
