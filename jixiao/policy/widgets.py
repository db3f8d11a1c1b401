"""HTML for the parameter set, generated from the schema: the read-only view (each number with its source) and the
edit form (grouped fieldsets; lists and bands as tables with rows to add and delete; errors next to each field).

Input names are the parameter paths ("monitoring.points.0.due"), so posted data parses back with `parse_post`."""

from __future__ import annotations

import re
from typing import Any

from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from pydantic import BaseModel

from jixiao.policy.introspect import FieldSpec, fields_of, format_value, has_nested_lists, item_label, ref_choices
from jixiao.policy.schema import PolicyParams

_SPLIT = re.compile(r"[\n\r、，,；;]+")


def _join(parts) -> SafeString:
    return mark_safe("".join(str(conditional_escape(p)) for p in parts))  # noqa: S308 (every part escaped)


def _source_cell(spec: FieldSpec) -> SafeString:
    if not spec.source and not spec.description:
        return mark_safe('<td class="pf-about"></td>')
    return format_html('<td class="pf-about">{}<div class="pf-source">来源：{}</div></td>', spec.description,
                       spec.source or "—")


def _about(spec: FieldSpec) -> SafeString:
    if not spec.source and not spec.description:
        return mark_safe("")
    return format_html('<div class="pf-about">{}<div class="pf-source">来源：{}</div></div>', spec.description,
                       spec.source or "—")


NUMERIC_KINDS = frozenset({"decimal", "int"})


def _value_class(spec: FieldSpec) -> str:
    return "pf-value num" if spec.kind in NUMERIC_KINDS else "pf-value"


# --- read-only view -----------------------------------------------------------------------------------------------
def display_section(params: dict, name: str) -> SafeString:
    spec = {f.name: f for f in fields_of(PolicyParams)}[name]
    return _display_model(spec.model, params.get(name) or {})


def _display_model(model: type[BaseModel], values: dict) -> SafeString:
    rows = []
    for spec in fields_of(model):
        value = values.get(spec.name)
        if spec.kind == "list_model":
            rows.append(format_html('<tr><th>{}</th><td class="pf-value" colspan="2">{}{}</td></tr>',
                                    spec.title, _display_list(spec, value or []), _about(spec)))
        else:
            rows.append(format_html('<tr><th>{}</th><td class="{}">{}</td>{}</tr>', spec.title, _value_class(spec),
                                    format_value(spec, value, values), _source_cell(spec)))
    return format_html('<table class="grid pf-view"><tbody>{}</tbody></table>', _join(rows))


def _display_list(spec: FieldSpec, items: list) -> SafeString:
    if not items:
        return mark_safe('<span class="empty">（无）</span>')
    model = spec.model
    if has_nested_lists(model):
        blocks = []
        for i, item in enumerate(items):
            blocks.append(format_html('<div class="pf-block"><div class="pf-block-title">{}</div>{}</div>',
                                      item_label(model, item, i), _display_model_compact(model, item)))
        return _join(blocks)
    cols = fields_of(model)
    head = format_html_join("", "<th>{}</th>", ((c.title,) for c in cols))
    body = format_html_join("", "<tr>{}</tr>", (
        (format_html_join("", '<td class="{}">{}</td>', ((_value_class(c), format_value(c, item.get(c.name), item))
                                                         for c in cols)),)
        for item in items))
    return format_html('<table class="grid pf-list"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>', head, body)


def _display_model_compact(model: type[BaseModel], values: dict) -> SafeString:
    parts = []
    for spec in fields_of(model):
        value = values.get(spec.name)
        if spec.kind == "list_model":
            parts.append(format_html('<div class="pf-sub">{}：{}</div>', spec.title, _display_list(spec, value or [])))
        else:
            parts.append(format_html('<span class="pf-kv"><span class="pf-k">{}</span> {}</span>', spec.title,
                                     format_value(spec, value, values)))
    return _join(parts)


# --- edit form ----------------------------------------------------------------------------------------------------
class FormRenderer:
    """Renders the edit form from values (stored JSON, or what was posted) and errors keyed by path."""

    def __init__(self, values: dict, errors: dict[str, list[str]] | None = None):
        self.values = values
        self.errors = errors or {}
        self.placed: set[str] = set()

    def section(self, name: str) -> SafeString:
        spec = {f.name: f for f in fields_of(PolicyParams)}[name]
        return self._model(spec.model, self.values.get(name) or {}, name)

    def unplaced_errors(self) -> list[tuple[str, list[str]]]:
        return [(p, msgs) for p, msgs in self.errors.items() if p not in self.placed]

    def _errors(self, path: str) -> SafeString:
        msgs = self.errors.get(path)
        if not msgs:
            return mark_safe("")
        self.placed.add(path)
        return format_html_join("", '<div class="field-error">{}</div>', ((m,) for m in msgs))

    def _model(self, model: type[BaseModel], values: dict, prefix: str) -> SafeString:
        rows = []
        for spec in fields_of(model):
            path = f"{prefix}.{spec.name}"
            value = values.get(spec.name)
            if spec.kind == "list_model":
                rows.append(format_html('<tr><th>{}</th><td colspan="2">{}{}{}</td></tr>', spec.title, _about(spec),
                                        self._errors(path),
                                        self._list(spec, value if isinstance(value, list) else [], path)))
            else:
                rows.append(format_html('<tr><th><label for="{}">{}</label></th><td>{}{}</td>{}</tr>', _id(path),
                                        spec.title, self._widget(spec, value, path, values, wide=True),
                                        self._errors(path), _source_cell(spec)))
        return format_html('<table class="grid pf-form"><tbody>{}</tbody></table>', _join(rows))

    def _list(self, spec: FieldSpec, items: list, path: str) -> SafeString:
        model = spec.model
        hidden = format_html('<input type="hidden" name="{}.__existing" value="{}">', path, len(items))
        if has_nested_lists(model):
            blocks = []
            for i, item in enumerate(items):
                ip = f"{path}.{i}"
                blocks.append(format_html('<fieldset class="pf-item"><legend>{}</legend>{}{}</fieldset>',
                                          item_label(model, item, i), self._errors(ip),
                                          self._model(model, item if isinstance(item, dict) else {}, ip)))
            count = format_html('<input type="hidden" name="{}.__count" value="{}">', path, len(items))
            return _join([*blocks, count, hidden])
        cols = fields_of(model)
        variable = spec.extra_rows > 0
        rows = list(items) + [{}] * spec.extra_rows
        head = format_html_join("", "<th>{}</th>", ((c.title,) for c in cols))
        if variable:
            head = format_html("{}<th>删除</th>", head)
        body = []
        for i, item in enumerate(rows):
            item = item if isinstance(item, dict) else {}
            ip = f"{path}.{i}"
            cells = [format_html("<td>{}{}</td>", self._widget(c, item.get(c.name), f"{ip}.{c.name}", item),
                                 self._errors(f"{ip}.{c.name}")) for c in cols]
            if variable:
                cells.append(format_html('<td class="pf-del">{}</td>', format_html(
                    '<input type="checkbox" name="{}.__delete" value="1" title="删除此行">', ip)
                    if i < len(items) else "新增"))
            row_errors = self._errors(ip)
            body.append(format_html('<tr class="{}">{}</tr>{}', "pf-new" if i >= len(items) else "", _join(cells),
                                    format_html('<tr><td colspan="{}">{}</td></tr>', len(cells), row_errors)
                                    if row_errors else ""))
        count = format_html('<input type="hidden" name="{}.__count" value="{}">', path, len(rows))
        table = format_html('<table class="grid pf-list"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
                            head, _join(body))
        return _join([table, count, hidden])

    def _widget(self, spec: FieldSpec, value: Any, path: str, siblings: dict, wide: bool = False) -> SafeString:
        ident = _id(path)
        if spec.choices_from:
            options = ref_choices(spec, siblings)
            return _select(path, ident, options, value, spec.optional)
        if spec.kind == "bool":
            return format_html('<input type="checkbox" id="{}" name="{}" value="1"{}>', ident, path,
                               mark_safe(" checked") if value in (True, "1", "on", "true") else "")
        if spec.kind == "choice":
            return _select(path, ident, spec.choices, value, spec.optional)
        if spec.kind == "list_choice":
            chosen = {str(getattr(v, "value", v)) for v in (value or [])}
            return format_html_join("", '<label class="pf-check"><input type="checkbox" name="{}" value="{}"{}> {}'
                                        "</label>",
                                    ((path, c, mark_safe(" checked") if c in chosen else "", label)
                                     for c, label in spec.choices))
        if spec.kind in ("list_str", "list_month_day"):
            items = value if isinstance(value, list) else _SPLIT.split(value or "")
            text = "、".join(str(v) for v in items if str(v).strip())
            if wide and spec.kind == "list_str":
                return format_html('<textarea id="{}" name="{}" rows="3" cols="60">{}</textarea>'
                                   '<div class="hint">多项用顿号“、”或换行分隔</div>', ident, path, text)
            return format_html('<input type="text" id="{}" name="{}" value="{}" size="{}">', ident, path, text,
                               40 if wide else 36)
        text = "" if value is None else str(value)
        size = {"decimal": 14 if spec.is_money else 8, "int": 6, "month_day": 6}.get(spec.kind, 24 if wide else 16)
        attrs = mark_safe("")
        if spec.kind in ("decimal", "int"):
            attrs = mark_safe(' inputmode="decimal"')
        if spec.kind == "month_day":
            attrs = mark_safe(' placeholder="月-日"')
        money = mark_safe(' data-money="yuan"') if spec.is_money else ""
        unit = format_html('<span class="pf-unit">{}</span>', spec.unit) if spec.unit and wide else ""
        if spec.is_money:  # filled by policy.js with the amount in 万元
            unit = format_html('{}<span class="pf-wan" data-for="{}"></span>', unit, ident)
        none_hint = (format_html('<span class="hint">留空：{}</span>', spec.none_label)
                     if spec.optional and spec.none_label and wide else "")
        return format_html('<input type="text" id="{}" name="{}" value="{}" size="{}"{}{}>{}{}', ident, path, text,
                           size, attrs, money, unit, none_hint)


def _select(path: str, ident: str, options, value, optional: bool) -> SafeString:
    current = "" if value is None else str(getattr(value, "value", value))
    # An empty choice when the field may be empty, or has no value yet (a new row stays blank until chosen).
    opts = [("", "（不设）" if optional else "（请选择）")] if optional or not current else []
    opts += list(options)
    if current and current not in {c for c, _ in opts}:
        opts.append((current, current))
    return format_html('<select id="{}" name="{}">{}</select>', ident, path, format_html_join(
        "", '<option value="{}"{}>{}</option>', ((c, mark_safe(" selected") if c == current else "", label)
                                                 for c, label in opts)))


def _id(path: str) -> str:
    return "f-" + path.replace(".", "-")


# --- parsing the posted form --------------------------------------------------------------------------------------
def parse_post(data, model: type[BaseModel] = PolicyParams, prefix: str = "") -> dict:
    """The posted form as a parameter dict of raw values (pydantic converts and checks them). Rows marked for
    deletion and blank new rows are dropped, so error paths refer to the dict that is re-rendered."""
    out: dict[str, Any] = {}
    for spec in fields_of(model):
        if spec.name == "schema_version":
            continue
        path = f"{prefix}{spec.name}"
        if spec.kind == "model":
            out[spec.name] = parse_post(data, spec.model, f"{path}.")
        elif spec.kind == "list_model":
            count = _int(data.get(f"{path}.__count"))
            existing = _int(data.get(f"{path}.__existing"))
            items = []
            for i in range(min(count, 200)):
                ip = f"{path}.{i}."
                if data.get(f"{ip}__delete"):
                    continue
                item = parse_post(data, spec.model, ip)
                if i >= existing and _blank(item):
                    continue
                items.append(item)
            out[spec.name] = items
        elif spec.kind == "bool":
            out[spec.name] = data.get(path) in ("1", "on", "true")
        elif spec.kind == "list_choice":
            chosen = set(data.getlist(path)) if hasattr(data, "getlist") else set(data.get(path) or [])
            out[spec.name] = [c for c, _ in spec.choices if c in chosen]
        elif spec.kind in ("list_str", "list_month_day"):
            out[spec.name] = [p.strip() for p in _SPLIT.split(data.get(path) or "") if p.strip()]
        else:
            text = (data.get(path) or "").strip()
            out[spec.name] = text if text else None
    return out


def _blank(item: Any) -> bool:
    if isinstance(item, dict):
        return all(_blank(v) for v in item.values())
    if isinstance(item, list):
        return all(_blank(v) for v in item)
    return item in (None, "", False)


def _int(value) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0
