"""Bulk import of organisations and of users from Excel: all or nothing.

The file is read and checked as a whole first (layout, cells, duplicates within the file). Then every row goes
through the ordinary service (so the same validation, authorisation and audit apply) inside one transaction, each
row in its own savepoint so that one bad row does not hide the next one's problems. If any row failed, the whole
transaction is rolled back and the report names every bad row and column; otherwise everything is committed.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.functions import Lower

from jixiao.core import audit
from jixiao.core.permissions import Action, Actor, actor_for
from jixiao.core.tabular import CellError, TableFormatError, read_table, sniff_format
from jixiao.organisations import services
from jixiao.organisations.excel import (
    AGENCY_SHEET,
    DEPARTMENT_SHEET,
    ORGANISATION_SHEETS,
    REGION_SHEET,
    UNIT_SHEET,
    USER_SHEET,
    Sheet,
)
from jixiao.organisations.models import Agency, Department, Region, Unit, User

Progress = Callable[[int, int], None]

KIND_LABELS = {"region": "区划", "department": "主管部门", "unit": "预算单位", "agency": "第三方机构",
               "user": "用户"}


@dataclass
class ImportResult:
    errors: list[CellError] = field(default_factory=list)
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    passwords: list[dict] = field(default_factory=list)  # generated initial passwords (users import)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        parts = []
        for counter, verb in ((self.created, "新增"), (self.updated, "更新"), (self.unchanged, "未变")):
            items = [f"{KIND_LABELS[k]}{n}个" for k, n in counter.items() if n]
            if items:
                parts.append(f"{verb}{'、'.join(items)}")
        return "；".join(parts) or "文件中没有数据行"


class _Rows:
    """Error collection for one sheet: column labels are qualified by the sheet name."""

    def __init__(self, result: ImportResult, sheet: Sheet, qualify: bool):
        self.result, self.sheet, self.qualify = result, sheet, qualify

    def column(self, key_or_label: str) -> str:
        label = self.sheet.label(key_or_label) or key_or_label
        if self.qualify:
            return f"{label}（{self.sheet.name}表）" if label else f"（{self.sheet.name}表）"
        return label

    def add(self, row: int | None, key: str, message: str) -> None:
        self.result.errors.append(CellError(row, self.column(key), message))

    def add_validation(self, row: int, exc: ValidationError, mapping: dict[str, str], default_key: str = "") -> None:
        if not hasattr(exc, "error_dict"):
            for m in exc.messages:
                self.add(row, default_key, m)
            return
        for name, messages in exc.message_dict.items():
            for m in messages:
                self.add(row, mapping.get(name, default_key), m)


def _workbook_sheet_names(data: bytes, fmt: str) -> list[str]:
    if fmt == "xlsx":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise TableFormatError("Excel 文件已损坏或不是有效的 .xlsx 文件") from exc
        try:
            return list(wb.sheetnames)
        finally:
            wb.close()
    from python_calamine import CalamineWorkbook

    try:
        return list(CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names)
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise TableFormatError("Excel 文件已损坏或不是有效的 .xls 文件") from exc


def _report(progress: Progress | None, n: int, total: int) -> None:
    if progress and (n == total or n % 25 == 0):
        progress(n, total)


def _as_actor(actor) -> Actor:
    return actor if isinstance(actor, Actor) else actor_for(actor)


# ---- organisations ------------------------------------------------------------------------------------------------

REGION_FIELDS = {"code": "code", "name": "name", "level": "level", "bureau_name": "bureau_name",
                 "parent": "parent_code"}
DEPARTMENT_FIELDS = {"code": "code", "name": "name", "sector": "sector", "region": "region_code"}
UNIT_FIELDS = {"code": "code", "name": "name", "department": "department_code", "region": "region_code"}
AGENCY_FIELDS = {"name": "name", "credit_code": "credit_code", "region": "region_code"}


def import_organisations(*, actor, data: bytes, filename: str = "", progress: Progress | None = None) -> ImportResult:
    """Import regions, departments, units and agencies from a workbook (layout in `excel.py`)."""
    actor = _as_actor(actor)
    result = ImportResult()
    if not actor.may(Action.MANAGE):
        result.errors.append(CellError(None, "", "您没有管理组织机构的权限"))
        return result
    try:
        fmt = sniff_format(data[:4096], filename)
        if fmt == "csv":
            raise TableFormatError("组织机构导入需使用 Excel 工作簿（.xlsx/.xls），按“区划”“部门”“单位”“第三方机构”"
                                   "工作表分别填写；可下载样例文件参考")
        names = _workbook_sheet_names(data, fmt)
    except TableFormatError as exc:
        result.errors.append(CellError(None, "", str(exc)))
        return result
    present = [s for s in ORGANISATION_SHEETS if s.name in names]
    if not present:
        result.errors.append(CellError(None, "", "未找到工作表“区划”“部门”“单位”或“第三方机构”，请按样例文件填写"))
        return result
    tables = {}
    for sheet in present:
        table = read_table(data, sheet.columns, filename=filename, sheet=sheet.name)
        rows = _Rows(result, sheet, qualify=True)
        for e in table.errors:
            result.errors.append(CellError(e.row, rows.column(e.column), e.message, e.value))
        tables[sheet.name] = table.rows
    if result.errors:
        return result
    _check_duplicates(result, tables)
    if result.errors:
        return result

    total = sum(len(rows) for rows in tables.values())
    done = 0

    def step():
        nonlocal done
        done += 1
        _report(progress, done, total)

    with transaction.atomic():
        region_rows = sorted(tables.get(REGION_SHEET.name, []), key=lambda r: (r["level"], r["_row"]))
        for row in region_rows:
            _import_region(actor, result, row)
            step()
        for row in tables.get(DEPARTMENT_SHEET.name, []):
            _import_department(actor, result, row)
            step()
        for row in tables.get(UNIT_SHEET.name, []):
            _import_unit(actor, result, row)
            step()
        for row in tables.get(AGENCY_SHEET.name, []):
            _import_agency(actor, result, row)
            step()
        if result.errors:
            transaction.set_rollback(True)
            result.created.clear()
            result.updated.clear()
            result.unchanged.clear()
            order = {f"{s.name}表）": i for i, s in enumerate(ORGANISATION_SHEETS)}
            result.errors.sort(key=lambda e: (order.get(e.column.rsplit("（", 1)[-1], 0), e.row or 0))
            return result
        audit.record(actor=actor, action="import", comment=f"批量导入组织机构：{result.summary()}",
                     region_id=actor.primary.region_id if actor.primary else None, object_repr="组织机构导入")
    _report(progress, total, total)
    return result


def _check_duplicates(result: ImportResult, tables: dict[str, list[dict]]) -> None:
    keys = [
        (REGION_SHEET, lambda r: r["code"]),
        (DEPARTMENT_SHEET, lambda r: (r["region_code"], r["code"])),
        (UNIT_SHEET, lambda r: (r["region_code"], r["code"])),
        (AGENCY_SHEET, lambda r: r["credit_code"].upper()),
    ]
    for sheet, key in keys:
        seen: dict = {}
        rows = _Rows(result, sheet, qualify=True)
        code_column = "credit_code" if sheet is AGENCY_SHEET else "code"
        for row in tables.get(sheet.name, []):
            k = key(row)
            if k in seen:
                rows.add(row["_row"], code_column, f"与第{seen[k]}行重复")
            else:
                seen[k] = row["_row"]


def _run(rows: _Rows, row: dict, mapping: dict[str, str], denied_key: str, func) -> bool:
    """Run one row's service call in a savepoint; turn its refusal into row errors."""
    try:
        with transaction.atomic():
            func()
        return True
    except ValidationError as exc:
        rows.add_validation(row["_row"], exc, mapping)
    except PermissionDenied as exc:
        rows.add(row["_row"], denied_key, str(exc) or "无权操作")
    return False


def _region_by_code(code: str) -> Region | None:
    return Region.objects.filter(code=code).first() if code else None


def _import_region(actor: Actor, result: ImportResult, row: dict) -> None:
    rows = _Rows(result, REGION_SHEET, qualify=True)
    parent = None
    if row["parent_code"]:
        parent = _region_by_code(row["parent_code"])
        if parent is None:
            rows.add(row["_row"], "parent_code", f"上级区划代码 {row['parent_code']} 不存在")
            return
    existing = _region_by_code(row["code"])
    if existing is None:
        if _run(rows, row, REGION_FIELDS, "parent_code", lambda: services.region_create(
                actor=actor, code=row["code"], name=row["name"], level=row["level"], parent=parent,
                bureau_name=row["bureau_name"])):
            result.created["region"] += 1
        return
    if existing.parent_id != (parent.pk if parent else None):
        rows.add(row["_row"], "parent_code",
                 "该区划已存在，但上级区划与文件不同；如需调整隶属关系，请在组织机构页面移动区划")
        return
    wanted = {"name": row["name"], "level": row["level"]}
    if row["bureau_name"]:
        wanted["bureau_name"] = row["bureau_name"]
    if all(getattr(existing, k) == v for k, v in wanted.items()):
        result.unchanged["region"] += 1
        return
    if _run(rows, row, REGION_FIELDS, "code", lambda: services.region_update(actor=actor, region=existing, **wanted)):
        result.updated["region"] += 1


def _import_department(actor: Actor, result: ImportResult, row: dict) -> None:
    rows = _Rows(result, DEPARTMENT_SHEET, qualify=True)
    region = _region_by_code(row["region_code"])
    if region is None:
        rows.add(row["_row"], "region_code", f"区划代码 {row['region_code']} 不存在")
        return
    existing = Department.objects.filter(region=region, code=row["code"]).first()
    wanted = {"name": row["name"], "sector": row["sector"], "is_classified": bool(row["is_classified"])}
    if existing is None:
        if _run(rows, row, DEPARTMENT_FIELDS, "region_code", lambda: services.department_create(
                actor=actor, region=region, code=row["code"], **wanted)):
            result.created["department"] += 1
    elif all(getattr(existing, k) == v for k, v in wanted.items()):
        result.unchanged["department"] += 1
    elif _run(rows, row, DEPARTMENT_FIELDS, "code", lambda: services.department_update(
            actor=actor, department=existing, **wanted)):
        result.updated["department"] += 1


def _import_unit(actor: Actor, result: ImportResult, row: dict) -> None:
    rows = _Rows(result, UNIT_SHEET, qualify=True)
    region = _region_by_code(row["region_code"])
    if region is None:
        rows.add(row["_row"], "region_code", f"区划代码 {row['region_code']} 不存在")
        return
    department = Department.objects.filter(region=region, code=row["department_code"]).first()
    if department is None:
        rows.add(row["_row"], "department_code", f"“{region.name}”下不存在部门编码 {row['department_code']}")
        return
    existing = Unit.objects.filter(region=region, code=row["code"]).select_related("department").first()
    if existing is None:
        if _run(rows, row, UNIT_FIELDS, "department_code", lambda: services.unit_create(
                actor=actor, department=department, code=row["code"], name=row["name"])):
            result.created["unit"] += 1
    elif existing.department_id != department.pk:
        rows.add(row["_row"], "department_code", f"该单位已存在且隶属于“{existing.department.name}”；"
                                                 "如需调整隶属关系，请在组织机构页面迁移单位")
    elif existing.name == row["name"]:
        result.unchanged["unit"] += 1
    elif _run(rows, row, UNIT_FIELDS, "code", lambda: services.unit_update(actor=actor, unit=existing,
                                                                           name=row["name"])):
        result.updated["unit"] += 1


def _import_agency(actor: Actor, result: ImportResult, row: dict) -> None:
    rows = _Rows(result, AGENCY_SHEET, qualify=True)
    region = _region_by_code(row["region_code"])
    if region is None:
        rows.add(row["_row"], "region_code", f"区划代码 {row['region_code']} 不存在")
        return
    existing = Agency.objects.filter(credit_code=row["credit_code"].upper()).first()
    if existing is None:
        if _run(rows, row, AGENCY_FIELDS, "region_code", lambda: services.agency_create(
                actor=actor, region=region, name=row["name"], credit_code=row["credit_code"])):
            result.created["agency"] += 1
    elif existing.region_id != region.pk:
        rows.add(row["_row"], "region_code", f"该机构已登记在“{existing.region.name}”")
    elif existing.name == row["name"]:
        result.unchanged["agency"] += 1
    elif _run(rows, row, AGENCY_FIELDS, "credit_code", lambda: services.agency_update(
            actor=actor, agency=existing, name=row["name"])):
        result.updated["agency"] += 1


# ---- users --------------------------------------------------------------------------------------------------------

USER_FIELDS = {"username": "username", "full_name": "full_name", "role": "role", "region": "region_code",
               "department": "department_code", "unit": "unit_code", "agency": "agency_code",
               "departments": "department_codes", "password": "password", "phone": "phone"}


def import_users(*, actor, data: bytes, filename: str = "", progress: Progress | None = None) -> ImportResult:
    """Import users, one role each (layout in `excel.py`). Generated initial passwords come back in the result."""
    actor = _as_actor(actor)
    result = ImportResult()
    if not actor.may(Action.MANAGE):
        result.errors.append(CellError(None, "", "您没有管理用户的权限"))
        return result
    rows = _Rows(result, USER_SHEET, qualify=False)
    table = read_table(data, USER_SHEET.columns, filename=filename, sheet=USER_SHEET.name)
    result.errors.extend(table.errors)
    file_level = table.header_row is None or any(e.row is None or e.row == table.header_row for e in table.errors)
    if file_level:  # not a table, no header, missing columns: nothing else can be checked
        return result
    # Users are independent of each other, so the rows whose cells are fine are checked too: one report lists
    # every problem of the file. (Organisation rows depend on each other and stop at the first cell errors.)
    bad_cells = {e.row for e in table.errors}
    table.rows = [r for r in table.rows if r["_row"] not in bad_cells]
    seen: dict[str, int] = {}
    for row in table.rows:
        key = row["username"].lower()
        if key in seen:
            rows.add(row["_row"], "username", f"用户名“{row['username']}”与第{seen[key]}行重复")
        else:
            seen[key] = row["_row"]
    existing = set(User.objects.annotate(lower=Lower("username"))
                   .filter(lower__in=[r["username"].lower() for r in table.rows]).values_list("lower", flat=True))
    for row in table.rows:
        if row["username"].lower() in existing:
            rows.add(row["_row"], "username", f"用户名“{row['username']}”已存在")
    checked = {e.row for e in result.errors}
    table.rows = [r for r in table.rows if r["_row"] not in checked]

    total = len(table.rows)
    with transaction.atomic():
        for n, row in enumerate(table.rows, start=1):
            _import_user(actor, result, rows, row)
            _report(progress, n, total)
        if result.errors:
            transaction.set_rollback(True)
            result.created.clear()
            result.passwords.clear()
            result.errors.sort(key=lambda e: e.row or 0)
            return result
        audit.record(actor=actor, action="import", comment=f"批量导入用户：{result.summary()}",
                     region_id=actor.primary.region_id if actor.primary else None, object_repr="用户导入")
    return result


def _import_user(actor: Actor, result: ImportResult, rows: _Rows, row: dict) -> None:
    created: dict = {}

    def create():
        spec = services.assignment_from_codes(
            role=row["role"], region=row["region_code"], department_code=row["department_code"],
            unit_code=row["unit_code"], agency_code=row["agency_code"], department_codes=row["department_codes"],
            actor=actor)
        user, generated = services.user_create(
            actor=actor, username=row["username"], full_name=row["full_name"], assignments=[spec],
            password=row["password"] or None, phone=row["phone"])
        created.update(user=user, generated=generated)

    if _run(rows, row, USER_FIELDS, "role", create):
        result.created["user"] += 1
        if created["generated"]:
            result.passwords.append({"username": created["user"].username, "full_name": created["user"].full_name,
                                     "password": created["generated"]})
