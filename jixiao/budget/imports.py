"""Imports from the integrated budget system (预算管理一体化系统): projects with their budget lines, and monthly
execution.

Both imports are all-or-nothing. They run in three phases:

1. read: `jixiao.core.tabular.read_table` parses the file (xlsx/xls/csv) by header label; every bad cell is a
   `CellError` with row and column;
2. plan: rows are resolved against the organisation tree and the project library, grouped per project, checked
   with `jixiao.budget.rules` and with the checks other apps register in `jixiao.budget.hooks` (the goals gate of
   issue 3 hooks in here, one call per project plan);
3. write: only if no error was found, everything is written in one transaction with one audit row per subject.

Execution data: the file gives spending *in the month* (当月支出, column 支出金额(元)); a file with only a
cumulative column (累计支出) is accepted too and converted to monthly amounts, using the stored months before the
first month in the file. Several rows of one project and month are added up only when they are distinguished by
指标编码 (one row per budget line); otherwise such a repeat is reported as a duplicate.

Re-importing a project updates it: a draft or returned subject takes the file's values; a subject under review or
approved keeps its declared values (a difference is an error asking for an adjustment), while its budget lines and
adjusted budget (调整后预算数), which the integrated system owns, are refreshed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from jixiao.budget import excel, hooks, rules, services
from jixiao.budget.models import BudgetKind, BudgetLine, ExecutionRecord, FiscalYear, PerformanceSubject
from jixiao.budget.workflows import SUBJECT_WORKFLOW, SubjectState
from jixiao.core import audit
from jixiao.core import tabular as t
from jixiao.core.money import ZERO, Money, money_sum
from jixiao.core.permissions import Action, Actor, can, scope
from jixiao.core.workflow import ConcurrentEditError, claim_lock
from jixiao.organisations.models import Department, Region, Unit

SUBJECT_JOB = "budget.import_subjects"
EXECUTION_JOB = "budget.import_execution"
CHUNK = 500  # ids per IN (...) query: SQLite limits bound parameters

Progress = Callable[[int, int, str], None]


def _no_progress(n: int, total: int, message: str = "") -> None:
    pass


@dataclass
class ImportContext:
    actor: Actor
    region: Region
    filename: str = ""
    default_year: int | None = None


@dataclass
class SubjectPlan:
    """One project of an import file: its rows' values merged, its budget lines, the subject it updates (if any)."""

    year: int
    code: str
    name: str
    rows: list[int]
    department: Department
    unit: Unit | None
    values: dict = field(default_factory=dict)  # project-level values (first non-blank of its rows)
    value_rows: dict = field(default_factory=dict)  # key → the row the value came from
    lines: list[dict] = field(default_factory=list)
    existing: PerformanceSubject | None = None

    @property
    def first_row(self) -> int:
        return self.rows[0]

    @property
    def annual_amount(self) -> Money:
        return money_sum(line["initial_amount"] for line in self.lines)

    @property
    def adjusted_amount(self) -> Money | None:
        if not any(line.get("adjusted_amount") is not None for line in self.lines):
            return None
        return money_sum((line.get("adjusted_amount") or line["initial_amount"]) for line in self.lines)


@dataclass
class ImportResult:
    errors: list[t.CellError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows: int = 0
    created: int = 0
    updated: int = 0
    lines: int = 0
    subjects: int = 0
    months: int = 0
    dry_run: bool = False
    message: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    def outcome(self) -> dict:
        """What a job runner returns (`jixiao.core.jobs`): errors fail the job with the report."""
        if self.errors:
            return {"errors": [e.as_dict() for e in self.errors], "warnings": self.warnings}
        return {"message": self.summary(), "rows": self.rows, "created": self.created, "updated": self.updated,
                "lines": self.lines, "subjects": self.subjects, "months": self.months, "warnings": self.warnings}

    def summary(self) -> str:
        text = self.message
        if self.warnings:
            text += f"；提示{len(self.warnings)}条：" + "；".join(self.warnings[:3])
            if len(self.warnings) > 3:
                text += "……"
        return text[:500]


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def check_file(data: bytes, filename: str = "") -> t.CellError | None:
    too_big = t.check_size(len(data), settings.IMPORT_MAX_BYTES)
    if too_big:
        return too_big
    if not data:
        return t.CellError(None, "", "文件为空")
    return None


def _sorted_errors(errors: list[t.CellError]) -> list[t.CellError]:
    return sorted(errors, key=lambda e: (e.row or 0, e.column))


# ---- projects and budget lines -------------------------------------------------------------------------------------

# Project-level columns: every row of one project must agree where it gives a value.
PROJECT_KEYS = ("category", "budget_kind", "is_new", "start_date", "end_date", "special_category", "is_classified",
                "classified_reason", "total_amount", "sector", "description", "is_research")
LINE_KEYS = ("line_code", "functional_class", "functional_class_name", "economic_class", "economic_class_name",
             "fund_source", "initial_amount", "adjusted_amount")
# Where a rule's field error is reported in the file.
FIELD_COLUMNS = {
    "code": "code", "name": "name", "annual_amount": "initial_amount", "total_amount": "total_amount",
    "adjusted_amount": "adjusted_amount", "start_date": "start_date", "end_date": "end_date",
    "classified_reason": "classified_reason", "budget_kind": "budget_kind", "kind": "category",
    "special_category": "special_category", "unit": "unit_code", "department": "unit_code",
}
# Declared values of a subject under review or approved that an import may not change.
LOCKED_FIELDS = {"name": "项目名称", "annual_amount": "年初预算数", "total_amount": "项目总金额",
                 "budget_kind": "预算类别", "special_category": "特殊类别", "start_date": "开始日期",
                 "end_date": "结束日期", "is_classified": "是否涉密"}


def _same_name(a: str, b: str) -> bool:
    return "".join((a or "").split()) == "".join((b or "").split())


def subject_import(*, actor: Actor, region: Region, data: bytes, filename: str = "", default_year: int | None = None,
                   dry_run: bool = False, progress: Progress = _no_progress) -> ImportResult:
    """Import projects and budget lines exported by the integrated budget system into `region`'s project library.

    The actor needs Action.IMPORT on every row's unit (a finance admin for the whole region; a department or unit
    only within its reach: other rows are errors). Nothing is written unless the whole file is valid."""
    result = ImportResult(dry_run=dry_run)
    problem = check_file(data, filename)
    if problem:
        result.errors.append(problem)
        return result
    progress(0, 0, "正在读取文件")
    table, header = excel.read_upload(data, excel.SUBJECT_COLUMNS, filename)
    if table.header_row is None or (table.errors and table.errors[0].row == table.header_row):
        result.errors = table.errors
        return result
    errors = list(table.errors)
    labels = excel.SUBJECT_LABELS
    scaled = excel.scaled_amount_headers(header, excel.SUBJECT_COLUMNS, excel.AMOUNT_KEYS)
    for label in scaled:
        errors.append(t.CellError(table.header_row, label,
                                  "金额列须以元为单位（预算管理一体化系统按元导出），请将该列换算为元并修改列名后重新导入"))
    if "year" not in table.present and not default_year:
        errors.append(t.CellError(table.header_row, labels["year"], "文件中没有“预算年度”列，请在导入时选择预算年度"))
        result.errors = errors
        return result
    result.rows = len(table.rows)
    ctx = ImportContext(actor=actor, region=region, filename=filename, default_year=default_year)
    progress(0, len(table.rows), "正在校验")

    units = {u.code: u for u in Unit.objects.filter(region=region).select_related("department")}
    departments = {d.code: d for d in Department.objects.filter(region=region)}
    bad_rows = {e.row for e in table.errors}
    plans: dict[tuple[int, str], SubjectPlan] = {}
    for i, row in enumerate(table.rows, start=1):
        if i % 200 == 0:
            progress(i, len(table.rows), "正在校验")
        n = row["_row"]
        year = row.get("year") or default_year
        if not year:
            continue  # a bad year cell, already reported
        if n in bad_rows and (row.get("code") is None or row.get("unit_code") is None or row.get("name") is None):
            continue  # already reported; nothing to group on
        org = _resolve_unit(row, n, units, departments, region, errors)
        if org is None:
            continue
        department, unit = org
        candidate = PerformanceSubject(region=region, department=department, unit=unit)
        if not can(actor, Action.IMPORT, candidate):
            errors.append(t.CellError(n, labels["unit_code"],
                                      f"无权导入“{unit or department}”的项目（超出您的管理范围）", row["unit_code"]))
            continue
        key = (year, row["code"])
        plan = plans.get(key)
        if plan is None:
            plan = plans[key] = SubjectPlan(year=year, code=row["code"], name=row["name"], rows=[n],
                                            department=department, unit=unit)
        else:
            plan.rows.append(n)
            if not _same_name(plan.name, row["name"]):
                errors.append(t.CellError(n, labels["name"], f"项目编码“{plan.code}”在第{plan.first_row}行的名称为"
                                          f"“{plan.name}”，与本行“{row['name']}”不一致", row["name"]))
                continue
            if (plan.department.pk, plan.unit.pk if plan.unit else None) != (department.pk,
                                                                              unit.pk if unit else None):
                errors.append(t.CellError(n, labels["unit_code"], f"项目编码“{plan.code}”在第{plan.first_row}行属于"
                                          f"“{plan.unit or plan.department}”，与本行不一致", row["unit_code"]))
                continue
        _merge_project_values(plan, row, n, errors)
        if n not in bad_rows:
            plan.lines.append({k: row.get(k) for k in LINE_KEYS} | {"_row": n})

    _check_line_codes(plans.values(), errors)
    _attach_existing(plans, region, actor, errors)
    for plan in plans.values():
        if plan.first_row in bad_rows and not plan.lines:
            continue
        _check_plan(plan, table.present, errors, result)
    if not errors:
        for check in hooks.import_checks():
            for plan in plans.values():
                errors.extend(check(plan, ctx) or [])
    if errors:
        result.errors = _sorted_errors(errors)
        return result

    result.subjects = len(plans)
    result.lines = sum(len(p.lines) for p in plans.values())
    if dry_run:
        result.message = f"校验通过：{len(plans)}个项目，{result.lines}条预算指标（未写入）"
        return result
    progress(len(table.rows), len(table.rows), "正在写入")
    try:
        _write_subjects(ctx, list(plans.values()), result)
    except ConcurrentEditError:
        return _failed_write(result, "导入期间有项目被他人修改，未导入任何数据，请重新导入")
    except IntegrityError:
        return _failed_write(result, "导入期间有人新建了相同编码的项目，未导入任何数据，请重新导入")
    result.message = (f"已导入{len(plans)}个项目（新增{result.created}个，更新{result.updated}个），"
                      f"{result.lines}条预算指标")
    return result


def _failed_write(result: ImportResult, message: str) -> ImportResult:
    result.created = result.updated = result.lines = result.subjects = result.months = 0
    result.errors = [t.CellError(None, "", message)]
    return result


def _resolve_unit(row: dict, n: int, units: dict, departments: dict, region: Region, errors: list):
    """The row's department and unit. 单位编码 names a unit of the region, or a department itself for
    department-level projects (部门本级)."""
    labels = excel.SUBJECT_LABELS
    code = row["unit_code"]
    unit = units.get(code)
    if unit is not None:
        department = unit.department
        if not unit.is_active:
            errors.append(t.CellError(n, labels["unit_code"], f"预算单位“{unit.name}”已停用", code))
            return None
    elif code in departments:
        department, unit = departments[code], None
    else:
        errors.append(t.CellError(n, labels["unit_code"], f"单位编码“{code}”在{region.name}不存在", code))
        return None
    if not department.is_active:
        errors.append(t.CellError(n, labels["unit_code"], f"主管部门“{department.name}”已停用", code))
        return None
    dept_code = row.get("department_code")
    if dept_code and dept_code != department.code:
        if dept_code not in departments:
            errors.append(t.CellError(n, labels["department_code"], f"主管部门编码“{dept_code}”在{region.name}不存在",
                                      dept_code))
        else:
            errors.append(t.CellError(n, labels["department_code"],
                                      f"单位“{unit or department}”属于“{department.name}”（{department.code}），"
                                      f"与主管部门编码“{dept_code}”不一致", dept_code))
        return None
    name = row.get("unit_name")
    expected = (unit or department).name
    if name and not _same_name(name, expected) and not name.endswith(expected) and expected not in name:
        errors.append(t.CellError(n, labels["unit_name"], f"单位编码“{code}”对应“{expected}”，与单位名称“{name}”不一致",
                                  name))
        return None
    return department, unit


def _merge_project_values(plan: SubjectPlan, row: dict, n: int, errors: list) -> None:
    labels = excel.SUBJECT_LABELS
    for key in PROJECT_KEYS:
        value = row.get(key)
        if value is None or value == "":
            continue
        if key not in plan.values:
            plan.values[key] = value
            plan.value_rows[key] = n
        elif plan.values[key] != value:
            errors.append(t.CellError(
                n, labels[key], f"同一项目各行的“{labels[key]}”应一致（第{plan.value_rows[key]}行为"
                f"“{_show(plan.values[key])}”）", _show(value)))


def _show(value) -> str:
    if isinstance(value, Money):
        return value.format_yuan()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, tuple):
        return "/".join(v for v in value if v)
    return str(value)


def _check_line_codes(plans: Iterable[SubjectPlan], errors: list) -> None:
    for plan in plans:
        seen: dict[str, int] = {}
        for line in plan.lines:
            code = line.get("line_code")
            if not code:
                continue
            if code in seen:
                errors.append(t.CellError(line["_row"], excel.SUBJECT_LABELS["line_code"],
                                          f"指标编码“{code}”与第{seen[code]}行重复", code))
            else:
                seen[code] = line["_row"]


def _attach_existing(plans: dict, region: Region, actor: Actor, errors: list) -> None:
    labels = excel.SUBJECT_LABELS
    by_year: dict[int, list[str]] = defaultdict(list)
    for year, code in plans:
        by_year[year].append(code)
    for year, codes in by_year.items():
        for chunk in _chunks(codes):
            qs = PerformanceSubject.objects.filter(region=region, fiscal_year__year=year, code__in=chunk)
            for s in qs.select_related("fiscal_year", "department", "unit"):
                plan = plans[(year, s.code)]
                if (s.department_id, s.unit_id) != (plan.department.pk, plan.unit.pk if plan.unit else None):
                    errors.append(t.CellError(plan.first_row, labels["unit_code"],
                                              f"项目编码“{s.code}”在项目库中属于“{s.unit or s.department}”，"
                                              f"与本行单位不一致", s.code))
                    continue
                if not can(actor, Action.IMPORT, s):
                    errors.append(t.CellError(plan.first_row, labels["code"], "无权更新该项目（超出您的管理范围）",
                                              s.code))
                    continue
                plan.existing = s


def _plan_values(plan: SubjectPlan) -> dict:
    """The subject values a plan sets (as `services.EDITABLE_FIELDS`)."""
    v = plan.values
    kind, category = v.get("category") or ("project", "")
    budget_kind = v.get("budget_kind")
    if budget_kind is None:
        guesses = {excel.budget_kind_from_fund_source(line.get("fund_source") or "") for line in plan.lines} - {None}
        budget_kind = guesses.pop() if len(guesses) == 1 else BudgetKind.GENERAL_PUBLIC
    main = max(plan.lines, key=lambda line: line["initial_amount"].fen, default=None)
    annual = plan.annual_amount
    values = {
        "code": plan.code, "name": plan.name, "kind": kind, "project_category": category,
        "budget_kind": budget_kind, "special_category": v.get("special_category") or "",
        "department": plan.department, "unit": plan.unit,
        "start_date": v.get("start_date"), "end_date": v.get("end_date"),
        "annual_amount": annual, "total_amount": v.get("total_amount") or annual,
        "adjusted_amount": plan.adjusted_amount,
        "is_classified": bool(v.get("is_classified")), "classified_reason": v.get("classified_reason") or "",
    }
    if main is not None:
        values["functional_class"] = main.get("functional_class") or ""
        values["functional_class_name"] = main.get("functional_class_name") or ""
    for key in ("is_new", "is_research"):
        if key in v:
            values[key] = v[key]
    for key in ("sector", "description"):
        if v.get(key):
            values[key] = v[key]
    return values


def _check_plan(plan: SubjectPlan, present: set, errors: list, result: ImportResult) -> None:
    labels = excel.SUBJECT_LABELS
    values = _plan_values(plan)
    probe = PerformanceSubject(region=plan.department.region, fiscal_year=None)
    if plan.existing is not None:
        probe = PerformanceSubject(**{f.attname: getattr(plan.existing, f.attname)
                                      for f in PerformanceSubject._meta.concrete_fields})
    services.apply_values(probe, values)
    field_errors = rules.validate_subject(services.rule_values(probe))
    for name, messages in field_errors.items():
        key = FIELD_COLUMNS.get(name, "code")
        if key == "classified_reason" and key not in present:
            key = "is_classified"
        row = plan.value_rows.get(key, plan.first_row)
        for message in messages:
            errors.append(t.CellError(row, labels[key], message))
    s = plan.existing
    if s is not None and s.state not in SUBJECT_WORKFLOW.editable_states:
        for name, label in LOCKED_FIELDS.items():
            old, new = getattr(s, name), getattr(probe, name)
            if old != new:
                errors.append(t.CellError(
                    plan.first_row, label,
                    f"项目“{s.code}”{s.get_state_display()}，不能通过导入修改“{label}”（系统中为“{_show(old)}”，"
                    f"文件中为“{_show(new)}”）；如需变更，请先发起调整", _show(new)))
    if probe.adjusted_amount is not None and probe.adjusted_amount.fen > probe.total_amount.fen > 0:
        result.warnings.append(f"项目“{plan.code}”调整后预算大于项目总金额")


@transaction.atomic
def _write_subjects(ctx: ImportContext, plans: list[SubjectPlan], result: ImportResult) -> None:
    now = timezone.now()
    years = {fy.year: fy for fy in FiscalYear.objects.filter(year__in={p.year for p in plans})}
    for year in sorted({p.year for p in plans} - set(years)):
        years[year] = FiscalYear.objects.create(year=year)
        audit.record(actor=ctx.actor, action="create", obj=years[year], after=audit.snapshot(years[year]),
                     comment="导入时新设预算年度")
        result.warnings.append(f"已新设预算年度{year}年")
    comment = f"从预算管理一体化系统导入：{ctx.filename}".rstrip("：")
    for plan in plans:
        values = _plan_values(plan)
        s = plan.existing
        if s is None:
            s = PerformanceSubject(state=SubjectState.DRAFT, created_by=ctx.actor.user, fiscal_year=years[plan.year])
            before, old_lines = {}, []
            services.apply_values(s, values)
            result.created += 1
        else:
            before, old_lines = services.audit_data(s), _line_data(s.budget_lines.all())
            if s.state not in SUBJECT_WORKFLOW.editable_states:
                values = {"adjusted_amount": values["adjusted_amount"]}
            services.apply_values(s, values)
            # An import is an edit: refuse if someone changed the subject since the plan was made, and make
            # editors holding the old version reload.
            claim_lock(s, s.lock_version)
            result.updated += 1
        s.imported_at = now
        s.save()
        s.budget_lines.all().delete()
        lines = [BudgetLine(subject=s, **{k: (line.get(k) if line.get(k) is not None else _line_default(k, line))
                                          for k in LINE_KEYS}) for line in plan.lines]
        BudgetLine.objects.bulk_create(lines)
        after = services.audit_data(s)
        new_lines = _line_data(lines)
        old, new = services.changed(before, after)
        if old_lines != new_lines:
            old["budget_lines"], new["budget_lines"] = old_lines, new_lines
        audit.record(actor=ctx.actor, action="import", obj=s, before=old or None, after=new, comment=comment)


def _line_default(key: str, line: dict):
    if key == "adjusted_amount":
        return line["initial_amount"]
    return ""


def _line_data(lines) -> list[dict]:
    return [{"line_code": b.line_code, "functional_class": b.functional_class, "economic_class": b.economic_class,
             "fund_source": b.fund_source, "initial_amount": str(b.initial_amount.yuan),
             "adjusted_amount": str(b.adjusted_amount.yuan)} for b in lines]


# ---- monthly execution -----------------------------------------------------------------------------------------

def execution_import(*, actor: Actor, region: Region, data: bytes, filename: str = "",
                     default_year: int | None = None, dry_run: bool = False,
                     progress: Progress = _no_progress) -> ImportResult:
    """Import monthly spending (当月支出, or cumulative 累计支出) of projects already in `region`'s project library.
    Each (project, year, month) figure replaces what was stored for that month. All-or-nothing."""
    result = ImportResult(dry_run=dry_run)
    problem = check_file(data, filename)
    if problem:
        result.errors.append(problem)
        return result
    labels = excel.EXECUTION_LABELS
    progress(0, 0, "正在读取文件")
    table, header = excel.read_upload(data, excel.EXECUTION_COLUMNS, filename)
    if table.header_row is None or (table.errors and table.errors[0].row == table.header_row):
        result.errors = table.errors
        return result
    errors = list(table.errors)
    for label in excel.scaled_amount_headers(header, excel.EXECUTION_COLUMNS, ("amount", "cumulative")):
        errors.append(t.CellError(table.header_row, label, "金额列须以元为单位，请换算为元并修改列名后重新导入"))
    if "amount" in table.present:
        mode = "monthly"
    elif "cumulative" in table.present:
        mode = "cumulative"
    else:
        result.errors = [t.CellError(table.header_row, "",
                                     "缺少金额列：应有“支出金额(元)”（当月支出）或“累计支出(元)”")]
        return result
    value_key = "amount" if mode == "monthly" else "cumulative"
    if "year" not in table.present and not default_year:
        result.errors = [t.CellError(table.header_row, labels["year"], "文件中没有“年度”列，请在导入时选择年度")]
        return result
    result.rows = len(table.rows)
    progress(0, len(table.rows), "正在校验")

    bad_rows = {e.row for e in table.errors}
    wanted: dict[int, set[str]] = defaultdict(set)
    for row in table.rows:
        year = row.get("year") or default_year
        if not year or (row["_row"] in bad_rows and row.get("code") is None):
            continue  # already reported
        row["year"] = year
        wanted[year].add(row["code"])
    subjects: dict[tuple[int, str], PerformanceSubject] = {}
    base = scope(actor, Action.IMPORT, PerformanceSubject.objects.filter(region=region)).select_related("fiscal_year")
    for year, codes in wanted.items():
        for chunk in _chunks(sorted(codes)):
            for s in base.filter(fiscal_year__year=year, code__in=chunk):
                subjects[(year, s.code)] = s

    figures: dict[tuple[int, int], Money] = defaultdict(lambda: ZERO)  # (subject id, month) → amount
    first_row: dict[tuple[int, int], int] = {}
    seen: dict[tuple, int] = {}
    has_line_codes = "line_code" in table.present
    for row in table.rows:
        n = row["_row"]
        if n in bad_rows or not row.get("year"):
            continue
        s = subjects.get((row["year"], row["code"]))
        if s is None:
            errors.append(t.CellError(n, labels["code"], f"项目编码“{row['code']}”在{row['year']}年项目库中不存在，"
                                      f"或不在您的管理范围内", row["code"]))
            continue
        amount = row.get(value_key)
        if amount is None:
            errors.append(t.CellError(n, labels[value_key], "不能为空"))
            continue
        dup_key = (s.pk, row["month"], row.get("line_code") or "") if has_line_codes else (s.pk, row["month"])
        if dup_key in seen:
            hint = "" if has_line_codes else "（按预算指标分行导出时，请包含“指标编码”列）"
            errors.append(t.CellError(n, labels["month"], f"与第{seen[dup_key]}行重复：同一项目同一月份{hint}",
                                      str(row["month"])))
            continue
        seen[dup_key] = n
        key = (s.pk, row["month"])
        figures[key] = figures[key] + amount
        first_row.setdefault(key, n)

    by_subject: dict[int, dict[int, Money]] = defaultdict(dict)
    for (sid, m), amount in figures.items():
        by_subject[sid][m] = amount
    subject_by_id = {s.pk: s for s in subjects.values()}
    stored: dict[int, dict[int, Money]] = defaultdict(dict)
    for chunk in _chunks(sorted(by_subject)):
        for r in ExecutionRecord.objects.filter(subject_id__in=chunk):
            if r.year == subject_by_id[r.subject_id].fiscal_year.year:
                stored[r.subject_id][r.month] = r.amount
    if mode == "cumulative":
        for sid, cumulative in by_subject.items():
            known = {m: a for m, a in stored[sid].items() if m not in cumulative}
            monthly, month_errors = rules.monthly_from_cumulative(cumulative, known)
            for m, message in month_errors.items():
                errors.append(t.CellError(first_row[(sid, m)], labels["cumulative"], message))
            by_subject[sid] = monthly
    if errors:
        result.errors = _sorted_errors(errors)
        return result

    for sid, months in by_subject.items():
        s = subject_by_id[sid]
        merged = {**stored[sid], **months}
        spent = money_sum(merged.values())
        if s.current_amount is not None and spent.fen > s.current_amount.fen:
            result.warnings.append(f"项目“{s.code}”累计支出{spent.format_yuan()}元，超过预算{s.current_amount.format_yuan()}元")
    result.subjects = len(by_subject)
    result.months = sum(len(m) for m in by_subject.values())
    if dry_run:
        result.message = f"校验通过：{result.subjects}个项目，{result.months}个月度数据（未写入）"
        return result
    progress(len(table.rows), len(table.rows), "正在写入")
    _write_execution(actor, filename, subject_by_id, by_subject, stored)
    result.message = f"已导入{result.subjects}个项目的{result.months}个月度执行数据"
    return result


@transaction.atomic
def _write_execution(actor: Actor, filename: str, subjects: dict, by_subject: dict, stored: dict) -> None:
    comment = f"导入执行数据：{filename}".rstrip("：")
    for sid, months in by_subject.items():
        s = subjects[sid]
        year = s.fiscal_year.year
        existing = {r.month: r for r in ExecutionRecord.objects.filter(subject_id=sid, year=year)}
        create, update = [], []
        for m, amount in months.items():
            record = existing.get(m)
            if record is None:
                create.append(ExecutionRecord(subject_id=sid, year=year, month=m, amount=amount))
            elif record.amount != amount:
                record.amount = amount
                update.append(record)
        ExecutionRecord.objects.bulk_create(create)
        ExecutionRecord.objects.bulk_update(update, ["amount"])
        before = {f"{m}月": str(a.yuan) for m, a in sorted(stored[sid].items()) if m in months}
        after = {f"{m}月": str(a.yuan) for m, a in sorted(months.items())}
        old, new = services.changed(before, after)
        if new:
            audit.record(actor=actor, action="import", obj=s, before=old or None, after=new, comment=comment)


# ---- background jobs -------------------------------------------------------------------------------------------

JOB_LABELS = {SUBJECT_JOB: "导入项目预算", EXECUTION_JOB: "导入执行数据"}
IMPORTERS = {SUBJECT_JOB: subject_import, EXECUTION_JOB: execution_import}


def import_start(*, actor: Actor, kind: str, region: Region, upload, year: int | None = None):
    """Queue an import job (kind SUBJECT_JOB or EXECUTION_JOB) for an uploaded file; the job runs after the
    surrounding transaction commits. Refuses files above settings.IMPORT_MAX_BYTES and regions outside the actor's
    import reach."""
    from jixiao.budget.selectors import import_regions
    from jixiao.core.jobs import job_start

    if kind not in IMPORTERS:
        raise ValidationError({"kind": ["未知的导入类型"]})
    if region.pk not in {r.pk for r in import_regions(actor)}:
        raise PermissionDenied("您无权向该区划导入数据")
    name = getattr(upload, "name", "") or "upload"
    if not name.lower().endswith((".xlsx", ".xls", ".csv")):
        raise ValidationError({"file": ["只支持 .xlsx、.xls、.csv 文件"]})
    size = getattr(upload, "size", None)
    too_big = t.check_size(size or 0, settings.IMPORT_MAX_BYTES)
    if too_big:
        raise ValidationError({"file": [too_big.message]})
    params = {"region_id": region.pk, "year": year, "filename": name.rsplit("/", 1)[-1]}
    return job_start(user=actor.user, kind=kind, label=f"{JOB_LABELS[kind]}：{params['filename']}", params=params,
                     input_file=upload)


def run_import_job(job) -> dict:
    """The body of both import jobs (registered in jixiao.budget.tasks)."""
    from jixiao.core.jobs import job_progress
    from jixiao.core.permissions import actor_for

    actor = actor_for(job.created_by)
    region = Region.objects.get(pk=job.params["region_id"])
    with job.input_file.open("rb") as fh:
        data = fh.read()

    def progress(n: int, total: int, message: str = "") -> None:
        job_progress(job, n, total, message)

    result = IMPORTERS[job.kind](actor=actor, region=region, data=data, filename=job.params.get("filename", ""),
                                 default_year=job.params.get("year"), progress=progress)
    return result.outcome()


