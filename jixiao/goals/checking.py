"""Check without saving (试校验): the goal-sheet checks as a dry run on an uploaded sheet, on JSON, or on a folder of
sheets, so that a unit can check its sheet before it uploads it and a bureau can screen last year's sheets in bulk.

Nothing here writes to the database. A report is the reading problems of the file (`jixiao.goals.excel`, rule codes
"X-...") followed by the findings of `jixiao.goals.rules.check_sheet(..., for_submission=True)`: the same checks a
submission gets, under the rules of a policy profile the caller chooses (a region and year, or a named preset).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError

from jixiao.core.money import Money, MoneyParseError
from jixiao.goals import rules, values
from jixiao.goals.data import Finding, RowData, RowHistory, SheetData, StandardRef
from jixiao.goals.excel import FIELD_LABELS, GOAL_LEVEL1, read_sheet
from jixiao.goals.models import AllocationMethod, SheetKind
from jixiao.indicators import rules as indicator_rules
from jixiao.indicators.models import Comparator, Level1, ValueBasis
from jixiao.policy.schema import GoalParams, PolicyParams, ProjectCategory
from jixiao.policy.selectors import ChosenParams as CheckParams  # the rules a dry run applies (old name)

SHEET_SUFFIXES = (".xlsx", ".xls", ".csv")
MAX_JSON_ROWS = 2000


def params_for(*, preset: str | None = None, region=None, year: int | None = None) -> CheckParams:
    """The rules of a named preset, or the effective profile of a region and year (the national preset when
    neither is given). Raises ValidationError({"preset": ...}) for an unknown preset name."""
    from jixiao.policy.selectors import chosen_params

    return chosen_params(preset=preset, region=region, year=year)


def _goals(params) -> GoalParams:
    if isinstance(params, CheckParams):
        return params.params.goals
    if isinstance(params, PolicyParams):
        return params.goals
    if isinstance(params, GoalParams):
        return params
    raise TypeError("params must be CheckParams, PolicyParams or GoalParams")


def _label(params) -> tuple[str, int | None]:
    if isinstance(params, CheckParams):
        return params.label, params.profile_id
    return "", None


@dataclass
class CheckReport:
    """The result of one dry run: findings (reading problems first, then the rules), and the sheet as read."""

    filename: str = ""
    findings: list[Finding] = field(default_factory=list)
    sheet: SheetData | None = None
    params_label: str = ""
    profile_id: int | None = None

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity != "error")

    @property
    def ok(self) -> bool:
        """No error: the sheet would pass the checks of a submission."""
        return self.errors == 0

    @property
    def unreadable(self) -> bool:
        """The file itself could not be read (not a sheet, corrupt, no indicator table)."""
        return any(f.rule in ("X-file", "X-no-table") for f in self.findings)

    def summary(self) -> dict:
        """What was read, in plain values (amounts as yuan strings)."""
        s = self.sheet
        if s is None:
            return {}
        weights: dict[str, Decimal] = {}
        for row in s.rows:
            if row.level1 and row.weight is not None:
                weights[row.level1] = weights.get(row.level1, Decimal(0)) + row.weight
        level1_labels = dict(Level1.choices)
        return {
            "kind": s.kind, "kind_label": dict(SheetKind.choices).get(s.kind, s.kind),
            "subject_code": s.subject_code, "subject_name": s.subject_name, "department_name": s.department_name,
            "unit_name": s.unit_name, "fiscal_year": s.fiscal_year,
            "start_date": s.start_date.isoformat() if s.start_date else None,
            "end_date": s.end_date.isoformat() if s.end_date else None,
            "total_amount": s.total_amount.to_json() if s.total_amount is not None else None,
            "annual_amount": s.annual_amount.to_json() if s.annual_amount is not None else None,
            "rows": len(s.rows),
            "level1_counts": {level1_labels.get(k, k or "未识别"): n
                              for k, n in Counter(r.level1 for r in s.rows).items()},
            "weights": {level1_labels.get(k, k): values.format_number(w) for k, w in weights.items()},
        }

    def as_dict(self) -> dict:
        return {"filename": self.filename, "ok": self.ok, "errors": self.errors, "warnings": self.warnings,
                "params": self.params_label, "profile_id": self.profile_id, "sheet": self.summary(),
                "findings": [f.as_dict() for f in self.findings]}


def _sort_key(f: Finding):
    return (f.row is not None, f.row or 0)


def check_sheet_data(sheet: SheetData, params, *, parse_findings: list[Finding] | None = None,
                     filename: str = "") -> CheckReport:
    label, profile_id = _label(params)
    found = list(parse_findings or [])
    found += sorted(rules.check_sheet(sheet, _goals(params), for_submission=True), key=_sort_key)
    return CheckReport(filename=filename, findings=found, sheet=sheet, params_label=label, profile_id=profile_id)


def check_upload(file, filename: str, params) -> CheckReport:
    """Read an uploaded sheet (.xlsx/.xls/.csv: bytes, a path or an uploaded file) and check it; stores nothing."""
    sheet, parse_findings = read_sheet(file, filename)
    return check_read(sheet, parse_findings, filename, params)


def check_read(sheet: SheetData, parse_findings: list[Finding], filename: str, params) -> CheckReport:
    """Check a sheet `excel.read_sheet` has read; a file that could not be read gets its reading problems only."""
    label, profile_id = _label(params)
    if any(f.rule in ("X-file", "X-no-table") for f in parse_findings):
        return CheckReport(filename=filename, findings=parse_findings, sheet=None, params_label=label,
                           profile_id=profile_id)
    return check_sheet_data(sheet, params, parse_findings=parse_findings, filename=filename)


def check_json(payload: dict, params) -> CheckReport:
    """Check a goal sheet given as JSON (the shape of `api_check.SheetIn`: amounts as yuan strings, codes as values
    or their Chinese labels); stores nothing. Raises ValidationError({field path: [message]}) for input that is
    not a goal sheet at all (wrong types, unknown codes, bad amounts or dates)."""
    sheet = sheet_from_json(payload)
    return check_sheet_data(sheet, params)


def check_folder(path, params, *, recursive: bool = False) -> list[tuple[str, CheckReport]]:
    """Check every sheet (.xlsx, .xls, .csv) of a folder, in name order; Excel's lock files (~$...) are skipped.
    Returns (file name relative to the folder, report) pairs."""
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"文件夹不存在：{folder}")
    files = folder.rglob("*") if recursive else folder.iterdir()
    out = []
    for p in sorted(files):
        if not p.is_file() or p.suffix.lower() not in SHEET_SUFFIXES or p.name.startswith(("~$", ".")):
            continue
        name = str(p.relative_to(folder))
        out.append((name, check_upload(p, p.name, params)))
    return out


# ---- JSON → SheetData -----------------------------------------------------------------------------------------------

class _Errors:
    def __init__(self):
        self.fields: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.fields.setdefault(path, []).append(message)


def _str(data: dict, key: str, errors: _Errors, path: str, max_length: int = 4000) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        errors.add(path, f"{_label_of(key)}应为文本")
        return ""
    text = str(value).strip()
    if len(text) > max_length:
        errors.add(path, f"{_label_of(key)}不能超过{max_length}个字符")
    return text


def _label_of(key: str) -> str:
    extra = {"kind": "目标类型", "is_new": "是否新增", "start_date": "开始日期", "end_date": "结束日期",
             "amount": "金额", "row": "行号"}
    return FIELD_LABELS.get(key) or extra.get(key, key)


def _money(value, errors: _Errors, path: str, what: str) -> Money | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) or isinstance(value, bool):
        errors.add(path, f"{what}应以元为单位的字符串传递（如 \"1234.56\"），不接受浮点数")
        return None
    try:
        amount = Money.parse(str(value), unit="yuan")
    except MoneyParseError as exc:
        errors.add(path, f"{what}：{exc}")
        return None
    if amount.fen < 0:
        errors.add(path, f"{what}不能为负数")
        return None
    return amount


def _date(value, errors: _Errors, path: str, what: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        errors.add(path, f"{what}应为日期（YYYY-MM-DD）")
        return None


def _choice(value, allowed: dict[str, str], errors: _Errors, path: str, what: str, *, blank: bool = True) -> str:
    """A code given as its value or its Chinese label → the value."""
    if value in (None, ""):
        return ""
    key = str(value).strip()
    if key in allowed.values():
        return key
    if key in allowed:
        return allowed[key]
    shown = "、".join(dict.fromkeys(k for k in allowed if k))
    errors.add(path, f"{what}“{key}”无效，应为：{shown}{'（或留空）' if blank else ''}")
    return ""


def _labels(choices) -> dict[str, str]:
    return {str(label): value for value, label in choices}


def sheet_from_json(payload: dict) -> SheetData:
    """A goal sheet from plain JSON values; ValidationError with a Chinese message per field path."""
    if not isinstance(payload, dict):
        raise ValidationError({"sheet": ["应为绩效目标表对象"]})
    errors = _Errors()
    kind = _choice(payload.get("kind") or "project", _labels(SheetKind.choices), errors, "kind", "目标类型",
                   blank=False) or "project"
    year = payload.get("fiscal_year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100):
        errors.add("fiscal_year", "预算年度应为2000至2100之间的整数")
        year = None
    is_new = payload.get("is_new")
    if is_new is not None and not isinstance(is_new, bool):
        errors.add("is_new", "是否新增应为 true 或 false")
        is_new = None
    sheet = SheetData(
        kind=kind,
        frame_code=_str(payload, "frame_code", errors, "frame_code", 40),
        subject_code=_str(payload, "subject_code", errors, "subject_code", 40),
        subject_name=_str(payload, "subject_name", errors, "subject_name", 200),
        department_name=_str(payload, "department_name", errors, "department_name", 200),
        unit_name=_str(payload, "unit_name", errors, "unit_name", 200),
        fiscal_year=year,
        start_date=_date(payload.get("start_date"), errors, "start_date", "开始日期"),
        end_date=_date(payload.get("end_date"), errors, "end_date", "结束日期"),
        subject_type=_str(payload, "subject_type", errors, "subject_type", 50),
        is_new=is_new,
        allocation_method=_choice(payload.get("allocation_method"),
                                  _labels(c for c in AllocationMethod.choices if c[0]), errors,
                                  "allocation_method", "资金分配方式"),
        special_category=_choice(payload.get("special_category"), _special_labels(), errors, "special_category",
                                 "特殊类别"),
        category=_choice(payload.get("category"), _labels(ProjectCategory.choices), errors, "category", "项目类别"),
        has_quality_standard=bool(payload.get("has_quality_standard")),
        is_key=bool(payload.get("is_key")),
        total_amount=_money(payload.get("total_amount"), errors, "total_amount", "项目总金额"),
        annual_amount=_money(payload.get("annual_amount"), errors, "annual_amount", "年度金额"),
        policy_basis=_str(payload, "policy_basis", errors, "policy_basis"),
        calculation_basis=_str(payload, "calculation_basis", errors, "calculation_basis"),
        overall_goal=_str(payload, "overall_goal", errors, "overall_goal"),
        annual_goal=_str(payload, "annual_goal", errors, "annual_goal"),
        duties=_str(payload, "duties", errors, "duties"),
        multi_year_benefit=_str(payload, "multi_year_benefit", errors, "multi_year_benefit"),
        survey_plan=_str(payload, "survey_plan", errors, "survey_plan"),
    )
    if sheet.start_date and sheet.end_date and sheet.start_date > sheet.end_date:
        errors.add("end_date", "结束日期不能早于开始日期")
    for i, task in enumerate(payload.get("main_tasks") or []):
        path = f"main_tasks.{i}"
        if not isinstance(task, dict):
            errors.add(path, "年度主要任务应为对象 {name, content, amount}")
            continue
        sheet.main_tasks.append({
            "name": _str(task, "name", errors, f"{path}.name", 200),
            "content": _str(task, "content", errors, f"{path}.content"),
            "amount": _money(task.get("amount"), errors, f"{path}.amount", "任务金额"),
        })
    rows = payload.get("rows") or []
    if not isinstance(rows, list):
        errors.add("rows", "绩效指标应为数组")
        rows = []
    if len(rows) > MAX_JSON_ROWS:
        errors.add("rows", f"绩效指标不能超过{MAX_JSON_ROWS}行")
        rows = rows[:MAX_JSON_ROWS]
    for i, raw in enumerate(rows):
        row = _row_from_json(raw, i, errors)
        if row is not None:
            sheet.rows.append(row)
    if errors.fields:
        raise ValidationError(errors.fields)
    return sheet


def _special_labels() -> dict[str, str]:
    from jixiao.budget.models import SpecialCategory

    return _labels(c for c in SpecialCategory.choices if c[0])


_LEVEL1 = {str(Level1(v).label): v for v in GOAL_LEVEL1}


def _row_from_json(raw, i: int, errors: _Errors) -> RowData | None:
    path = f"rows.{i}"
    if not isinstance(raw, dict):
        errors.add(path, "每个绩效指标应为对象")
        return None
    number = raw.get("row")
    if number is not None and (isinstance(number, bool) or not isinstance(number, int) or number < 1):
        errors.add(f"{path}.row", "行号应为正整数")
        number = None
    level1_text = _str(raw, "level1", errors, f"{path}.level1", 20)
    level1 = ""
    if level1_text:
        level1 = level1_text if level1_text in GOAL_LEVEL1 else _LEVEL1.get(level1_text) or (
            indicator_rules.parse_level1(level1_text) or "")
        if level1 not in GOAL_LEVEL1:
            errors.add(f"{path}.level1", f"一级指标“{level1_text}”无效，应为：{'、'.join(_LEVEL1)}"
                                         f"（或 {', '.join(GOAL_LEVEL1)}）")
            level1 = ""
    comparator_text = _str(raw, "comparator", errors, f"{path}.comparator", 20)
    comparator = ""
    if comparator_text:
        comparator = comparator_text if comparator_text in Comparator.values else (
            values.normalise_comparator(comparator_text) or "")
        if not comparator:
            errors.add(f"{path}.comparator", f"计算符号“{comparator_text}”无效，应为：{'、'.join(Comparator.labels)}"
                                             f"（或 {', '.join(Comparator.values)}）")
    basis_text = _str(raw, "value_basis", errors, f"{path}.value_basis", 20)
    basis = ""
    if basis_text:
        basis = basis_text if basis_text in ValueBasis.values else (
            indicator_rules.parse_value_basis(basis_text) or "")
        if not basis:
            errors.add(f"{path}.value_basis", f"指标值设定依据“{basis_text}”无效，应为：{'、'.join(ValueBasis.labels)}")
    weight = None
    weight_raw = raw.get("weight")
    if weight_raw not in (None, ""):
        if isinstance(weight_raw, bool):
            errors.add(f"{path}.weight", "权重应为数字")
        else:
            try:
                weight = Decimal(str(weight_raw)) if not isinstance(weight_raw, str) else values.parse_number(
                    weight_raw)
            except InvalidOperation:
                weight = None
            if weight is None or not weight.is_finite():
                errors.add(f"{path}.weight", f"权重“{weight_raw}”不是有效数字")
                weight = None
    indicator_id = raw.get("indicator_id")
    if indicator_id is not None and (isinstance(indicator_id, bool) or not isinstance(indicator_id, int)):
        errors.add(f"{path}.indicator_id", "库内指标编号应为整数")
        indicator_id = None
    history = None
    if isinstance(raw.get("history"), dict):
        h = raw["history"]
        history = RowHistory(**{k: _str(h, k, errors, f"{path}.history.{k}", 200)
                                for k in ("last_year_target", "last_year_actual", "year_before_actual")})
    elif raw.get("history") is not None:
        errors.add(f"{path}.history", "历史值应为对象 {last_year_target, last_year_actual, year_before_actual}")
    standard = None
    if isinstance(raw.get("standard"), dict):
        sd = raw["standard"]
        amount = _money(sd.get("amount"), errors, f"{path}.standard.amount", "支出标准金额")
        name = _str(sd, "name", errors, f"{path}.standard.name", 200)
        if amount is None:
            errors.add(f"{path}.standard.amount", "支出标准须填写金额（元）")
        else:
            standard = StandardRef(name=name, amount=amount,
                                   output_unit=_str(sd, "output_unit", errors, f"{path}.standard.output_unit", 20),
                                   source=_str(sd, "source", errors, f"{path}.standard.source", 200))
    elif raw.get("standard") is not None:
        errors.add(f"{path}.standard", "支出标准应为对象 {name, amount, output_unit, source}")
    return RowData(
        row=number or i + 1, level1=level1, level2=_str(raw, "level2", errors, f"{path}.level2", 30),
        name=_str(raw, "name", errors, f"{path}.name", 500), comparator=comparator,
        target_value=_str(raw, "target_value", errors, f"{path}.target_value", 200),
        unit=_str(raw, "unit", errors, f"{path}.unit", 20), weight=weight,
        explanation=_str(raw, "explanation", errors, f"{path}.explanation"), value_basis=basis,
        value_method=_str(raw, "value_method", errors, f"{path}.value_method", 50),
        data_source=_str(raw, "data_source", errors, f"{path}.data_source", 100),
        evidence_type=_str(raw, "evidence_type", errors, f"{path}.evidence_type", 100),
        value_note=_str(raw, "value_note", errors, f"{path}.value_note"),
        indicator_id=indicator_id, history=history, standard=standard,
    )


# ---- the report workbook ------------------------------------------------------------------------------------------

REPORT_HEADERS = [("文件", 36), ("项目编码", 22), ("项目名称", 30), ("行", 6), ("列", 16), ("级别", 8), ("规则", 24),
                  ("问题", 60), ("依据", 50)]
SUMMARY_HEADERS = [("文件", 36), ("项目编码", 22), ("项目名称", 30), ("实施单位", 24), ("指标数", 8), ("错误", 8),
                   ("警告", 8), ("结论", 14)]


def report_workbook(results: list[tuple[str, CheckReport]], *, title: str = "绩效目标表批量校验结果") -> bytes:
    """Every finding of a folder check as an .xlsx: a summary tab (one line per file) and a findings tab."""
    import io

    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook()
    summary = wb.active
    summary.title = "汇总"
    findings = wb.create_sheet("问题明细")
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="BDD7EE")
    wrap = Alignment(wrap_text=True, vertical="top")
    params = next((r.params_label for _, r in results if r.params_label), "")
    for ws, headers in ((summary, SUMMARY_HEADERS), (findings, REPORT_HEADERS)):
        ws.cell(1, 1, f"{title}（{params}）" if params else title).font = Font(bold=True, size=14)
        for i, (label, width) in enumerate(headers, start=1):
            cell = ws.cell(2, i, label)
            cell.font, cell.fill = bold, fill
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A3"
    r = s = 3
    for name, report in results:
        sheet = report.sheet
        code, subject = (sheet.subject_code, sheet.subject_name) if sheet else ("", "")
        verdict = "无法读取" if report.unreadable else ("通过" if report.ok else "有错误")
        for c, v in enumerate([name, code, subject, sheet.unit_name if sheet else "", len(sheet.rows) if sheet else 0,
                               report.errors, report.warnings, verdict], start=1):
            cell = summary.cell(s, c, v)
            if c == 2:
                cell.number_format = "@"
        s += 1
        for f in report.findings:
            severity = "错误" if f.severity == "error" else "警告"
            for c, v in enumerate([name, code, subject, f.row, f.field, severity, f.rule, f.message, f.basis],
                                  start=1):
                cell = findings.cell(r, c, v)
                cell.alignment = wrap
                if c == 2:
                    cell.number_format = "@"
            r += 1
    findings.auto_filter.ref = f"A2:{get_column_letter(len(REPORT_HEADERS))}{max(r - 1, 2)}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
