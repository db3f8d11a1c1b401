"""Pure rules of the indicator library: values in, values out, no ORM.

`clean_indicator()` is the one validation used by the services, the forms, the API and the Excel import, so a bad
indicator gets the same Chinese message whichever way it comes in (RULES.md 4.1, 4.2; 15.B.12).
"""

from __future__ import annotations

import re
import unicodedata

from jixiao.indicators.defaults import EVALUATION_FRAME, GOAL_FRAME, LEVEL1_ALIASES, level2_choices
from jixiao.indicators.models import Comparator, Direction, Level1, ValueBasis

NAME_MAX = 100  # FASP: 指标名称 ≤ 100 characters
UNIT_MAX = 20
CODE_MAX = 40
CODE_PATTERN = re.compile(r"[0-9A-Za-z\-_.]+")
UNIT_OPTIONAL = frozenset({Comparator.QUALITATIVE, Comparator.OTHER})

# The definition of an indicator: what a version freezes and an edit may change.
DEFINITION_FIELDS = (
    "code", "name", "level1", "level2", "sector_id", "domain_id", "is_common", "explanation", "unit", "comparator",
    "direction", "is_quantitative", "value_basis", "formula", "data_source", "evidence_type", "scoring_rule",
    "reference_value", "source_document",
)
TEXT_LIMITS = {"data_source": 100, "evidence_type": 100, "reference_value": 100, "source_document": 200,
               "explanation": 4000, "formula": 2000, "scoring_rule": 4000}
FIELD_LABELS = {
    "code": "指标编码", "name": "指标名称", "level1": "一级指标", "level2": "二级指标", "sector_id": "行业",
    "domain_id": "领域", "is_common": "共性/个性", "explanation": "指标解释", "unit": "计量单位",
    "comparator": "计算符号", "direction": "指标方向", "is_quantitative": "指标性质", "value_basis": "指标值设定依据",
    "formula": "计算公式", "data_source": "数据来源", "evidence_type": "佐证材料", "scoring_rule": "评(扣)分标准",
    "reference_value": "参考值", "source_document": "出处", "status": "状态", "region_id": "所属区划",
}

_COMPARATOR_WORDS = {
    Comparator.GE: ("≥", ">=", "=>", "≧", "大于等于", "大于或等于", "不低于", "不少于", "不小于", "至少", "ge", "1"),
    Comparator.GT: (">", "大于", "高于", "多于", "超过", "gt", "2"),
    Comparator.EQ: ("=", "==", "等于", "eq", "3"),
    Comparator.LT: ("<", "小于", "低于", "少于", "lt", "4"),
    Comparator.LE: ("≤", "<=", "=<", "≦", "小于等于", "小于或等于", "不高于", "不超过", "不大于", "不多于", "至多",
                    "以内", "le", "5"),
    Comparator.QUALITATIVE: ("定性", "qualitative", "6"),
    Comparator.OTHER: ("定量(其他)", "定量其他", "其他", "other", "9"),
}
_DIRECTION_WORDS = {
    Direction.HIGHER_IS_BETTER: ("正向", "正向指标", "越大越好", "越高越好", "higher"),
    Direction.LOWER_IS_BETTER: ("反向", "逆向", "反向指标", "逆向指标", "越小越好", "越低越好", "lower"),
    Direction.EQUAL: ("等于", "中性", "适度", "区间", "equal"),
    Direction.QUALITATIVE: ("定性", "qualitative"),
}
_BASIS_WORDS = {
    ValueBasis.PLAN: ("计划标准", "计划", "plan"),
    ValueBasis.INDUSTRY: ("行业标准", "行业", "industry"),
    ValueBasis.HISTORY: ("历史标准", "历史", "history"),
    ValueBasis.SPENDING_STANDARD: ("预算支出标准", "支出标准", "预算标准", "spending_standard"),
    ValueBasis.OTHER: ("其他标准", "其他", "other"),
}
_NATURE_WORDS = {True: ("定量", "定量指标", "quantitative", "是"), False: ("定性", "定性指标", "qualitative", "否")}
_COMMON_WORDS = {True: ("共性", "共性指标", "通用", "是", "true", "1"), False: ("个性", "个性指标", "专用", "否",
                                                                           "false", "0")}
_LEVEL1_WORDS: dict[str, list[str]] = {}
for _label, _value in LEVEL1_ALIASES.items():
    _LEVEL1_WORDS.setdefault(_value, []).append(_label)

# 计算符号 → the direction it implies (RULES.md 4.2: selfpositiveindex / selfreverseindex / selfequalindex).
COMPARATOR_DIRECTION = {
    Comparator.GE: Direction.HIGHER_IS_BETTER, Comparator.GT: Direction.HIGHER_IS_BETTER,
    Comparator.LE: Direction.LOWER_IS_BETTER, Comparator.LT: Direction.LOWER_IS_BETTER,
    Comparator.EQ: Direction.EQUAL, Comparator.QUALITATIVE: Direction.QUALITATIVE,
}


def _key(text) -> str:
    s = unicodedata.normalize("NFKC", str(text if text is not None else "")).strip().lower()
    return re.sub(r"\s+", "", s)


_INDEXES: dict[int, dict[str, object]] = {}


def _lookup(words: dict, text) -> object | None:
    index = _INDEXES.get(id(words))
    if index is None:
        index = _INDEXES[id(words)] = {_key(w): value for value, spellings in words.items() for w in spellings}
    key = _key(text)
    return index.get(key) if key else None


def parse_comparator(text) -> str | None:
    """计算符号 as offices write it: "≥", ">=", "大于等于", "不低于", "＞", "定性"... → a Comparator value."""
    return _lookup(_COMPARATOR_WORDS, text)


def parse_direction(text) -> str | None:
    return _lookup(_DIRECTION_WORDS, text)


def parse_value_basis(text) -> str | None:
    return _lookup(_BASIS_WORDS, text)


def parse_quantitative(text) -> bool | None:
    return _lookup(_NATURE_WORDS, text)


def parse_common(text) -> bool | None:
    return _lookup(_COMMON_WORDS, text)


def parse_level1(text) -> str | None:
    return _lookup(_LEVEL1_WORDS, text)


def _level2_key(text) -> str:
    return _key(text).removesuffix("指标")


_LEVEL2_INDEX: dict[str, dict[str, str]] = {}


def canonical_level2(level1: str, level2) -> str | None:
    """The frame's spelling of a 二级指标 under `level1` ("数量" → "数量指标"), or None when it does not fit."""
    index = _LEVEL2_INDEX.get(level1)
    if index is None:
        index = _LEVEL2_INDEX[level1] = {_level2_key(n): n for n in level2_choices(level1)}
    key = _level2_key(level2)
    return index.get(key) if key else None


def level1_label(value: str) -> str:
    return dict(Level1.choices).get(value, value)


def comparator_label(value: str) -> str:
    return dict(Comparator.choices).get(value, value)


def clean_indicator(data: dict) -> tuple[dict, dict[str, str]]:
    """Validate and normalise an indicator's definition. Returns (clean data, {field: Chinese message}).

    Only keys present in `data` are checked, except that the relations between fields (unit required by the
    comparator, direction implied by it, 二级 fitting 一级) are checked on the whole of `data`, so callers pass the
    merged definition (old values updated with the new ones)."""
    d = dict(data)
    errors: dict[str, str] = {}

    def text_field(name, limit=None, required=False):
        if name not in d:
            return
        value = d[name]
        value = "" if value is None else str(value).strip()
        d[name] = value
        if required and not value:
            errors[name] = f"{FIELD_LABELS[name]}不能为空"
        elif limit and len(value) > limit:
            errors[name] = f"{FIELD_LABELS[name]}不能超过{limit}个字符（现有{len(value)}个）"

    text_field("code", CODE_MAX, required=True)
    if "code" in d and "code" not in errors and not CODE_PATTERN.fullmatch(d["code"]):
        errors["code"] = "指标编码只能包含数字、字母和 - _ ."
    text_field("name", NAME_MAX, required=True)
    text_field("unit", UNIT_MAX)
    for name, limit in TEXT_LIMITS.items():
        text_field(name, limit)

    level1 = d.get("level1")
    if "level1" in d:
        if level1 not in Level1.values:
            parsed = parse_level1(level1)
            if parsed is None:
                errors["level1"] = f"一级指标“{level1 or ''}”无效，应为：" + "、".join(Level1.labels)
            level1 = d["level1"] = parsed
    if "level2" in d or "level1" in d:
        raw = d.get("level2")
        if not raw or not str(raw).strip():
            errors["level2"] = "二级指标不能为空"
        elif level1 and "level1" not in errors:
            fit = canonical_level2(level1, raw)
            if fit is None:
                errors["level2"] = (f"二级指标“{raw}”不属于一级指标“{level1_label(level1)}”，应为："
                                    + "、".join(level2_choices(level1)))
            else:
                d["level2"] = fit

    comparator = d.get("comparator")
    if "comparator" in d and comparator not in Comparator.values:
        parsed = parse_comparator(comparator)
        if parsed is None:
            errors["comparator"] = (f"计算符号“{comparator or ''}”无效，应为：≥、＞、＝、＜、≤、定性、定量(其他)")
        comparator = d["comparator"] = parsed

    if "direction" in d:
        direction = d.get("direction")
        if direction in (None, ""):
            direction = None
        elif direction not in Direction.values:
            parsed = parse_direction(direction)
            if parsed is None:
                errors["direction"] = f"指标方向“{direction}”无效，应为：正向、反向、等于、定性"
            direction = parsed
        if direction is None and comparator:
            direction = COMPARATOR_DIRECTION.get(comparator, Direction.HIGHER_IS_BETTER)
        d["direction"] = direction
    direction = d.get("direction")

    # 指标性质 follows the comparator; an explicit one (a form or an import column) must agree with it.
    nature = d.pop("nature", None)
    if comparator and "comparator" not in errors:
        if comparator == Comparator.QUALITATIVE:
            if direction and direction != Direction.QUALITATIVE and "direction" not in errors:
                errors["direction"] = "定性指标的指标方向应为“定性”"
            if nature is True:
                errors["is_quantitative"] = "计算符号为“定性”时，指标性质应为定性"
        else:
            implied = COMPARATOR_DIRECTION.get(comparator)
            if direction == Direction.QUALITATIVE and "direction" not in errors:
                errors["direction"] = f"计算符号为“{comparator_label(comparator)}”的定量指标，指标方向不能为“定性”"
            elif implied and direction and direction != implied and "direction" not in errors:
                errors["direction"] = (f"计算符号“{comparator_label(comparator)}”对应"
                                       f"“{Direction(implied).label}”指标，与指标方向“{Direction(direction).label}”不一致")
            if nature is False:
                errors["is_quantitative"] = "指标性质为定性时，计算符号应为“定性”"
        d["is_quantitative"] = comparator != Comparator.QUALITATIVE
        if comparator not in UNIT_OPTIONAL and not d.get("unit") and "unit" not in errors:
            errors["unit"] = f"计算符号为“{comparator_label(comparator)}”时必须填写计量单位"

    if "value_basis" in d:
        basis = d.get("value_basis") or ""
        if basis and basis not in ValueBasis.values:
            parsed = parse_value_basis(basis)
            if parsed is None:
                errors["value_basis"] = f"指标值设定依据“{basis}”无效，应为：" + "、".join(ValueBasis.labels)
            basis = parsed or ""
        d["value_basis"] = basis
    return d, errors


def frame_summary() -> list[tuple[str, str, tuple[str, ...]]]:
    """(level1 value, label, level2 names) for forms and help texts."""
    out = []
    for value, label in Level1.choices:
        names = level2_choices(value)
        if names:
            out.append((value, label, names))
    return out


__all__ = ["EVALUATION_FRAME", "GOAL_FRAME", "clean_indicator", "canonical_level2", "parse_comparator"]
