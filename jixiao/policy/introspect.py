"""Reading the parameter schema itself: field specs for the form, the read-only view, the diff and the error
messages, so that all of them follow `jixiao.policy.schema` and nothing is listed twice."""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Union

from django.db.models import TextChoices
from pydantic import BaseModel, BeforeValidator
from pydantic import ValidationError as PydanticValidationError

from jixiao.core.money import Money
from jixiao.policy import schema

# What a field holds, for the widgets and the formatting.
SCALAR_KINDS = frozenset({"decimal", "int", "str", "bool", "choice", "month_day"})
# Fields of list items that identify the item across versions (for diffs), in order of preference.
KEY_FIELDS = ("code", "grade", "colour", "tier", "kind", "conclusion", "month")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    title: str
    description: str
    source: str
    unit: str
    kind: str  # one of SCALAR_KINDS, or "list_str", "list_choice", "list_month_day", "model", "list_model"
    optional: bool
    choices: tuple[tuple[str, str], ...] = ()
    model: type[BaseModel] | None = None
    extra_rows: int = 0
    none_label: str = ""
    choices_from: str = ""  # a sibling list of items with `code` and `name` whose codes are the allowed values

    @property
    def is_scalar(self) -> bool:
        return self.kind in SCALAR_KINDS

    @property
    def is_money(self) -> bool:
        return self.unit == "元"

    def choice_label(self, value: Any) -> str:
        value = getattr(value, "value", value)
        return dict(self.choices).get(value, "" if value is None else str(value))


def _unwrap(annotation: Any) -> tuple[Any, bool, list]:
    """Strip Annotated and Optional: (inner type, optional, metadata seen)."""
    optional = False
    metadata: list = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            args = typing.get_args(annotation)
            annotation, metadata = args[0], metadata + list(args[1:])
            continue
        if origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                optional = True
                annotation = args[0]
                continue
        return annotation, optional, metadata


def _is_month_day(metadata: list) -> bool:
    return any(isinstance(m, BeforeValidator) and m.func is schema._month_day for m in metadata)


def _scalar_kind(tp: Any, metadata: list) -> tuple[str, tuple]:
    if _is_month_day(metadata):
        return "month_day", ()
    if isinstance(tp, type) and issubclass(tp, TextChoices):
        return "choice", tuple(tp.choices)
    if tp is bool:
        return "bool", ()
    if tp is int:
        return "int", ()
    if tp is Decimal:
        return "decimal", ()
    if typing.get_origin(tp) is typing.Literal:
        return "str", ()
    return "str", ()


@cache
def fields_of(model: type[BaseModel]) -> tuple[FieldSpec, ...]:
    """The field specs of a parameter model, in declaration order."""
    out = []
    for name, info in model.model_fields.items():
        tp, optional, metadata = _unwrap(info.annotation)
        metadata = metadata + list(info.metadata)
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        description = info.description or ""
        source = str(extra.get("source", ""))
        if source and description.endswith(f"（来源：{source}）"):
            description = description[: -len(f"（来源：{source}）")]
        common = {"name": name, "title": info.title or name, "description": description, "source": source,
                  "unit": str(extra.get("unit", "")), "optional": optional,
                  "extra_rows": int(extra.get("extra_rows", 0)), "none_label": str(extra.get("none_label", "")),
                  "choices_from": str(extra.get("choices_from", ""))}
        if typing.get_origin(tp) is list:
            inner, _, inner_meta = _unwrap(typing.get_args(tp)[0])
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                out.append(FieldSpec(kind="list_model", model=inner, **common))
            else:
                kind, choices = _scalar_kind(inner, inner_meta)
                list_kind = {"choice": "list_choice", "month_day": "list_month_day"}.get(kind, "list_str")
                out.append(FieldSpec(kind=list_kind, choices=choices, **common))
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            out.append(FieldSpec(kind="model", model=tp, **common))
        else:
            kind, choices = _scalar_kind(tp, metadata)
            out.append(FieldSpec(kind=kind, choices=choices, **common))
    return tuple(out)


def field_map(model: type[BaseModel]) -> dict[str, FieldSpec]:
    return {f.name: f for f in fields_of(model)}


def has_nested_lists(model: type[BaseModel]) -> bool:
    return any(f.kind in ("list_model", "model") for f in fields_of(model))


def key_field(model: type[BaseModel]) -> str | None:
    names = field_map(model)
    for name in KEY_FIELDS:
        if name in names:
            return name
    return None


def item_label(model: type[BaseModel], item: Any, index: int) -> str:
    """How to name one item of a list in messages and headings: its name, its key's label, or its position."""
    get = item.get if isinstance(item, dict) else (lambda k, d=None: getattr(item, k, d))
    specs = field_map(model)
    if "name" in specs and get("name"):
        return str(get("name"))
    key = key_field(model)
    if key and get(key) not in (None, ""):
        value = get(key)
        if specs[key].choices:
            return specs[key].choice_label(value)
        return f"{value}月末" if key == "month" else str(getattr(value, "value", value))
    return f"第{index + 1}项"


# --- formatting ---------------------------------------------------------------------------------------------------
def _decimal_text(value: Decimal) -> str:
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,f}"


def ref_choices(spec: FieldSpec, siblings: dict | None) -> tuple[tuple[str, str], ...]:
    """Choices of a field whose allowed values are the codes of a sibling list (e.g. a frame code)."""
    if not spec.choices_from or not isinstance(siblings, dict):
        return ()
    items = siblings.get(spec.choices_from) or []
    return tuple((str(i.get("code", "")), f"{i.get('name', '')}（{i.get('code', '')}）") for i in items
                 if isinstance(i, dict))


def format_value(spec: FieldSpec, value: Any, siblings: dict | None = None) -> str:
    """A value as a Chinese reader expects it: 5,000,000.00 元（500.00 万元）, 30%, 8月15日, 是/否, labels."""
    if value is None or value == "":
        return spec.none_label or ("不适用" if spec.optional else "—")
    if spec.choices_from:
        return dict(ref_choices(spec, siblings)).get(str(value), str(value))
    kind = spec.kind
    if kind == "bool":
        return "是" if value else "否"
    if kind == "choice":
        return spec.choice_label(value)
    if kind == "month_day":
        return schema.md_label(str(value))
    if kind == "list_choice":
        return "、".join(spec.choice_label(v) for v in value) or "（无）"
    if kind == "list_month_day":
        return "、".join(schema.md_label(str(v)) for v in value) or "（无）"
    if kind == "list_str":
        return "、".join(str(v) for v in value) or "（无）"
    if kind == "decimal":
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            return str(value)
        if spec.is_money:
            money = Money.from_yuan(number)
            return f"{money.format_yuan()} 元（{money.format_wan()} 万元）"
        text = _decimal_text(number)
        if spec.unit in ("%",):
            return f"{text}%"
        return f"{text} {spec.unit}".strip()
    if kind == "int":
        return f"{value} {spec.unit}".strip()
    return str(value)


# --- flattening, for diffs and the audit trail ---------------------------------------------------------------------
@dataclass(frozen=True)
class Leaf:
    path: str
    label: str
    spec: FieldSpec
    value: Any  # JSON-safe
    display: str


def flatten(params: Any, model: type[BaseModel] = schema.PolicyParams) -> dict[str, Leaf]:
    """Every leaf value of a parameter set, keyed by a stable path ("goals.frames[frame_10].groups[output].weight";
    items without a key field by position), with a Chinese label."""
    data = params.to_json() if isinstance(params, schema.PolicyParams) else params
    out: dict[str, Leaf] = {}
    _flatten(model, data or {}, "", "", out)
    return out


def _flatten(model: type[BaseModel], data: dict, path: str, label: str, out: dict[str, Leaf]) -> None:
    for spec in fields_of(model):
        if spec.name == "schema_version":
            continue
        value = data.get(spec.name)
        p = f"{path}.{spec.name}" if path else spec.name
        lab = f"{label} › {spec.title}" if label else spec.title
        if spec.kind == "model":
            _flatten(spec.model, value or {}, p, lab, out)
        elif spec.kind == "list_model":
            key = key_field(spec.model)
            for i, item in enumerate(value or []):
                ident = item.get(key) if key else None
                ip = f"{p}[{ident}]" if ident not in (None, "") else f"{p}[{i + 1}]"
                _flatten(spec.model, item, ip, f"{lab}「{item_label(spec.model, item, i)}」", out)
        else:
            out[p] = Leaf(p, lab, spec, value, format_value(spec, value, data))


@dataclass(frozen=True)
class Change:
    path: str
    label: str
    before: Any
    after: Any
    before_display: str
    after_display: str


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except ArithmeticError:
        return a == b


def diff(a: Any, b: Any) -> list[Change]:
    """Leaf-by-leaf differences from parameter set `a` to `b` (numbers compared as numbers: 10 equals 10.00)."""
    fa, fb = flatten(a), flatten(b)
    changes = []
    for path in list(fa) + [p for p in fb if p not in fa]:
        la, lb = fa.get(path), fb.get(path)
        va, vb = (la.value if la else None), (lb.value if lb else None)
        if isinstance(va, list) or isinstance(vb, list):
            same = va == vb
        else:
            same = _same(va, vb)
        if same:
            continue
        leaf = lb or la
        changes.append(Change(path, leaf.label, va, vb, la.display if la else "（无此项）",
                              lb.display if lb else "（无此项）"))
    return changes


# --- validation errors in Chinese ----------------------------------------------------------------------------------
_MESSAGES = {
    "missing": "必填",
    "greater_than": "必须大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "必须小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_max_places": "最多保留 {decimal_places} 位小数",
    "decimal_max_digits": "数值过大",
    "decimal_whole_digits": "数值过大",
    "finite_number": "应为有限数字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "bool_parsing": "应为“是”或“否”",
    "bool_type": "应为“是”或“否”",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "string_type": "应为文本",
    "string_too_short": "不能为空",
    "string_too_long": "不能超过 {max_length} 个字",
    "string_pattern_mismatch": "只能由小写字母、数字和下划线组成，且以字母开头",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "list_type": "应为列表",
    "model_type": "格式有误",
    "model_attributes_type": "格式有误",
    "dict_type": "格式有误",
    "extra_forbidden": "不是可识别的参数",
    "frozen_instance": "不可修改",
}


@dataclass(frozen=True)
class ParamError:
    path: str  # dotted, list positions as numbers: "goals.frames.0.groups"
    label: str  # "绩效目标 › 指标框架「10号框架」 › 一级指标"
    message: str

    @property
    def full(self) -> str:
        return f"{self.label}：{self.message}" if self.label else self.message


def _message(err: dict, spec: FieldSpec | None) -> str:
    kind = err.get("type", "")
    if kind in ("policy_rule", "month_day"):
        return str(err.get("msg", ""))
    if err.get("input") is None and kind in ("decimal_type", "int_type", "string_type", "enum", "bool_type",
                                             "decimal_parsing", "int_parsing", "model_type", "list_type"):
        return "必填"
    if kind == "decimal_max_places" and spec is not None and spec.is_money:
        return "金额最多保留两位小数（精确到分）"
    template = _MESSAGES.get(kind)
    if template is None:
        return str(err.get("msg", "数据有误"))
    ctx = {k: (_decimal_text(Decimal(str(v))) if isinstance(v, (int, float, Decimal)) else v)
           for k, v in (err.get("ctx") or {}).items()}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template


def describe_loc(loc: tuple, data: Any, model: type[BaseModel] = schema.PolicyParams) -> tuple[str, FieldSpec | None]:
    """The Chinese label of an error location, and the spec of the field it ends on."""
    parts: list[str] = []
    current: type[BaseModel] | None = model
    spec: FieldSpec | None = None
    node = data
    i = 0
    while i < len(loc):
        part = loc[i]
        if isinstance(part, str) and current is not None:
            spec = field_map(current).get(part)
            node = node.get(part) if isinstance(node, dict) else None
            if spec is None:
                parts.append(part)
                current = None
            else:
                parts.append(spec.title)
                current = spec.model if spec.kind in ("model", "list_model") else None
                if spec.kind == "list_model" and i + 1 < len(loc) and isinstance(loc[i + 1], int):
                    index = loc[i + 1]
                    item = node[index] if isinstance(node, list) and index < len(node) else {}
                    parts[-1] += f"「{item_label(spec.model, item if isinstance(item, dict) else {}, index)}」"
                    node = item
                    i += 1
        elif isinstance(part, int):
            parts[-1:] = [f"{parts[-1]}第{part + 1}项" if parts else f"第{part + 1}项"]
        i += 1
    return " › ".join(parts), spec


def translate(exc: PydanticValidationError, data: Any, model: type[BaseModel] = schema.PolicyParams
              ) -> list[ParamError]:
    """Pydantic's errors as Chinese messages that name the field."""
    out = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        label, spec = describe_loc(loc, data, model)
        out.append(ParamError(".".join(str(p) for p in loc), label, _message(err, spec)))
    return out
