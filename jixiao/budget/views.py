"""Screens of the project library (项目库): list with filters, totals and export; detail with budget lines, monthly
execution, workflow history, audit history and version diffs; create/edit with optimistic locking; imports."""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.budget import excel, selectors, services
from jixiao.budget.forms import (
    IMPORT_KINDS,
    ImportForm,
    SubjectEditForm,
    SubjectFilterForm,
    SubjectForm,
    subject_initial,
)
from jixiao.budget.imports import EXECUTION_JOB, SUBJECT_JOB, import_start
from jixiao.budget.models import FiscalYear, PerformanceSubject
from jixiao.budget.workflows import SNAPSHOT_NOISE, SUBJECT_WORKFLOW, subject_snapshot
from jixiao.core import audit, workflow
from jixiao.core.money import money_sum
from jixiao.core.permissions import OUTSIDER_ROLES, Action, actor_for, can
from jixiao.core.views import int_or_none as _int
from jixiao.core.workflow import ConcurrentEditError
from jixiao.organisations.models import Department, Region, Role, Unit

SESSION_YEAR = "budget_year"
EXPORT_MAX_ROWS = 100_000
SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
SAMPLES = {"subjects": "一体化系统项目预算导出样例.xlsx", "execution": "执行数据导出样例.csv"}
STALE_MESSAGE = ("保存失败：该项目在您编辑期间已被他人修改（或已提交审核），您的修改没有保存，也没有覆盖他人的修改。"
                 "请重新打开编辑页面，在最新内容上修改。")


def _error_messages(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


# ---- list ------------------------------------------------------------------------------------------------------------

@login_required
def subject_list(request):
    actor = actor_for(request.user)
    years = selectors.fiscal_years()
    params = request.GET.copy()
    # A bare visit shows the chosen (or current) year; any query without `year` (e.g. the home page's to-do links,
    # which count every year) shows all years.
    if not params:
        year = request.session.get(SESSION_YEAR) or selectors.default_year(years)
        if year:
            params["year"] = str(year)
    form = SubjectFilterForm(params)
    filters = form.filters()
    if filters.get("year") and filters["year"] != request.session.get(SESSION_YEAR):
        request.session[SESSION_YEAR] = filters["year"]

    export = request.GET.get("format")
    if export in ("csv", "xlsx"):
        if not actor.may(Action.EXPORT):
            raise PermissionDenied("您没有导出权限")
        return _export(selectors.subject_list(actor, filters, action=Action.EXPORT), export, filters)

    qs = selectors.subject_list(actor, filters)
    page_size = filters.get("page_size") or 50
    page = Paginator(qs, page_size).get_page(request.GET.get("page"))
    totals = selectors.subject_totals(qs)
    departments = list(selectors.filter_departments(actor))
    units = list(selectors.filter_units(actor, filters.get("department")))
    base = params.copy()
    base.pop("page", None)
    current_sort = filters.get("sort") or "code"
    sort_base = base.copy()
    sort_base.pop("sort", None)
    sort_links = {}
    for key in selectors.SORTS:
        q = sort_base.copy()
        q["sort"] = f"-{key}" if current_sort == key else key
        sort_links[key] = "?" + q.urlencode()
    return render(request, "budget/subject_list.html", {
        "form": form, "page": page, "totals": totals, "years": years, "filters": filters,
        "departments": departments, "units": units, "query": base.urlencode(), "sort_links": sort_links,
        "current_sort": current_sort, "can_create": actor.may(Action.CREATE), "can_import": actor.may(Action.IMPORT),
        "can_export": actor.may(Action.EXPORT),
    })


def _export(qs, fmt: str, filters: dict):
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    year = filters.get("year")
    base = f"项目库{'_' + str(year) if year else ''}_{stamp}"
    qs = qs[:EXPORT_MAX_ROWS]
    if fmt == "csv":
        def rows():
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            yield "\ufeff"  # Excel needs the byte-order mark to read UTF-8
            writer.writerow(excel.EXPORT_HEADERS)
            for s in qs.iterator(chunk_size=1000):
                writer.writerow(excel.export_row(s))
                if buffer.tell() > 64 * 1024:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, f"{base}.csv")
        return response
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("项目库")
    ws.append(excel.EXPORT_HEADERS)
    amount_columns = {i for i, h in enumerate(excel.EXPORT_HEADERS) if h.endswith("(元)")}
    text_columns = {i for i, h in enumerate(excel.EXPORT_HEADERS) if "编码" in h}
    for s in qs.iterator(chunk_size=1000):
        cells = []
        for i, value in enumerate(excel.export_row(s)):
            cell = WriteOnlyCell(ws, value=value)
            if i in amount_columns and value != "":
                cell.number_format = "#,##0.00"
            if i in text_columns:
                cell.number_format = "@"  # codes stay text: Excel would round 18+ digit numbers
            cells.append(cell)
        ws.append(cells)
    out = io.BytesIO()
    wb.save(out)
    response = HttpResponse(out.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(True, f"{base}.xlsx")
    return response


# ---- detail ----------------------------------------------------------------------------------------------------------

FIELD_LABELS = {f.attname: str(f.verbose_name) for f in PerformanceSubject._meta.concrete_fields}
FIELD_LABELS.update({"budget_lines": "预算指标", "department_id": "主管部门", "unit_id": "预算单位",
                     "region_id": "区划", "fiscal_year_id": "预算年度", "created_by_id": "创建人", "state": "状态",
                     "revision": "版本号"})
CHOICES = {f.attname: {k: str(v) for k, v in f.choices} for f in PerformanceSubject._meta.concrete_fields
           if f.choices}
MONEY_KEYS = frozenset({"annual_amount", "total_amount", "adjusted_amount", "initial_amount"})
# Bookkeeping that means nothing to a reader of the history.
HISTORY_NOISE = frozenset({"id", "lock_version", "created_at", "updated_at", "imported_at", "sort_key"})


def _yuan_text(value) -> str:
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


class Labeler:
    """Turns stored before/after values (ids, choice values, yuan strings) into what a reader expects: names,
    Chinese labels and amounts with thousands separators. Looks names up once per page."""

    MODELS = {"region_id": Region, "department_id": Department, "unit_id": Unit, "fiscal_year_id": FiscalYear}

    def __init__(self, dicts):
        ids: dict[str, set] = {k: set() for k in self.MODELS}
        for d in dicts:
            for key in self.MODELS:
                if isinstance((d or {}).get(key), int):
                    ids[key].add(d[key])
        self.names = {}
        for key, model in self.MODELS.items():
            if ids[key]:
                self.names[key] = {o.pk: str(o) for o in model.objects.filter(pk__in=ids[key])}

    def show(self, key: str, value) -> str:
        if value is None or value == "":
            return "—"
        if key in self.names:
            return self.names[key].get(value, str(value))
        if key in CHOICES:
            return CHOICES[key].get(value, str(value))
        if key in MONEY_KEYS or key.endswith("月"):
            return _yuan_text(value)
        if value is True:
            return "是"
        if value is False:
            return "否"
        if isinstance(value, list):
            return "；".join(self.line(item) for item in value) or "—"
        if isinstance(value, dict):
            return "、".join(f"{k}={v}" for k, v in value.items())
        return str(value)

    def line(self, item) -> str:
        if not isinstance(item, dict):
            return str(item)
        parts = [item.get("line_code") or "", "/".join(x for x in (item.get("functional_class"),
                                                                    item.get("economic_class")) if x),
                 item.get("fund_source") or ""]
        if item.get("initial_amount") is not None:
            parts.append(f"年初{_yuan_text(item['initial_amount'])}")
        if item.get("adjusted_amount") is not None:
            parts.append(f"调整后{_yuan_text(item['adjusted_amount'])}")
        return " ".join(p for p in parts if p)

    def changes(self, before: dict | None, after: dict | None) -> list[tuple[str, str, str]]:
        before, after = before or {}, after or {}
        keys = [k for k in dict.fromkeys([*before, *after])
                if before.get(k) != after.get(k) and k not in HISTORY_NOISE
                and not (k == "revision" and k not in before)]  # a transition notes the revision it happened in
        rows = [(FIELD_LABELS.get(k, k), self.show(k, before.get(k)), self.show(k, after.get(k))) for k in keys]
        return [row for row in rows if row[1] != row[2]]  # e.g. None → "" both read "—"


def _version_diff(request, subject):
    """The frozen revisions, plus the current draft when it differs, and the diff between two chosen ones."""
    revisions = [(v.revision, f"第{v.revision}版（{timezone.localtime(v.created_at):%Y-%m-%d}入库）", v.data)
                 for v in workflow.versions_for(subject)]
    if not revisions:
        return [], None, None, []
    if subject.state != "approved" or subject.revision > revisions[-1][0]:
        label = f"当前（第{subject.revision}版，{subject.get_state_display()}）"
        revisions.append((0, label, subject_snapshot(subject)))
    if len(revisions) < 2:
        return revisions, None, None, []
    keys = [r[0] for r in revisions]
    a, b = _int(request.GET.get("from")), _int(request.GET.get("to"))
    if a not in keys or b not in keys or a == b:
        a, b = keys[-2], keys[-1]
    old = next(r for r in revisions if r[0] == a)
    new = next(r for r in revisions if r[0] == b)
    labels = Labeler([old[2], new[2]])
    diff = [(FIELD_LABELS.get(k, k), labels.show(k, o), labels.show(k, n))
            for k, o, n in workflow.diff_versions(old[2], new[2]) if k not in SNAPSHOT_NOISE]
    return revisions, a, b, diff


@login_required
def subject_detail(request, pk):
    actor = actor_for(request.user)
    subject = selectors.subject_get(actor, pk)
    lines = selectors.budget_lines(subject)
    execution = selectors.execution_table(subject)
    spent = execution[-1].cumulative if execution else None
    show_audit = actor.may(Action.AUDIT) or not actor.has_role(*OUTSIDER_ROLES)
    history = []
    if show_audit:
        events = list(audit.history_for(subject))
        labels = Labeler([d for e in events for d in (e.before, e.after)])
        history = [(e, labels.changes(e.before, e.after)) for e in events]
    revisions, diff_from, diff_to, diff = _version_diff(request, subject)
    from jixiao.exante.selectors import subject_requirement
    from jixiao.goals.gate import subject_problems

    return render(request, "budget/subject_detail.html", {
        "exante": subject_requirement(subject), "gate_problems": subject_problems(subject),
        "subject": subject, "lines": lines, "execution": execution, "spent": spent,
        "line_initial": money_sum(b.initial_amount for b in lines),
        "line_adjusted": money_sum(b.adjusted_amount for b in lines),
        "steps": _steps(subject), "history": history, "show_audit": show_audit,
        "revisions": revisions, "diff_from": diff_from, "diff_to": diff_to, "diff": diff,
        "transitions": workflow.available_transitions(actor, subject),
        "can_edit": can(actor, Action.EDIT, subject), "can_delete": _can_delete(actor, subject),
        "state_label": SUBJECT_WORKFLOW.label(subject.state),
    })


def _steps(subject) -> list[dict]:
    roles = dict(Role.choices)
    return [{"step": st, "from": SUBJECT_WORKFLOW.label(st.from_state), "to": SUBJECT_WORKFLOW.label(st.to_state),
             "role": roles.get(st.actor_role, st.actor_role)} for st in workflow.steps_for(subject)]


def _can_delete(actor, subject) -> bool:
    return subject.state == "draft" and subject.revision == 1 and can(actor, Action.DELETE, subject)


@login_required
@require_POST
def subject_transition(request, pk):
    actor = actor_for(request.user)
    subject = selectors.subject_get(actor, pk)
    name = request.POST.get("transition", "")
    comment = request.POST.get("comment", "")[:2000]
    expected = _int(request.POST.get("lock_version"))
    try:
        services.subject_transition(actor=actor, subject=subject, name=name, comment=comment,
                                    expected_lock_version=expected)
    except ConcurrentEditError:
        messages.error(request, "操作未执行：该项目已被他人修改或已流转，请查看最新状态后再操作。")
    except ValidationError as exc:
        messages.error(request, "操作未执行：" + "；".join(_error_messages(exc)))
    else:
        t = SUBJECT_WORKFLOW.get(name)
        messages.success(request, f"已{t.label}，当前状态：{subject.get_state_display()}")
    return redirect("budget:subject_detail", pk=subject.pk)


# ---- create / edit / delete ------------------------------------------------------------------------------------------

def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
@require_http_methods(["GET", "POST"])
def subject_create(request):
    actor = actor_for(request.user)
    if not actor.may(Action.CREATE):
        raise PermissionDenied("您没有新建项目的权限")
    departments = selectors.writable_departments(actor)
    units = selectors.writable_units(actor)
    if request.method == "POST":
        form = SubjectForm(request.POST, departments=departments, units=units)
        if form.is_valid():
            try:
                subject = services.subject_create(actor=actor, data=form.service_data())
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, f"已新建项目“{subject.name}”（草稿）")
                return redirect("budget:subject_detail", pk=subject.pk)
    else:
        initial = {"fiscal_year": request.session.get(SESSION_YEAR) or selectors.default_year(
            selectors.fiscal_years())}
        dept_list, unit_list = list(departments), list(units)
        if len(dept_list) == 1:
            initial["department"] = dept_list[0].pk
        if len(unit_list) == 1 and actor.grants_for(Action.CREATE)[0][1] == "unit":
            initial["unit"] = unit_list[0].pk
        form = SubjectForm(initial=initial, departments=departments, units=units)
    return render(request, "budget/subject_form.html", {"form": form, "subject": None})


@login_required
@require_http_methods(["GET", "POST"])
def subject_edit(request, pk):
    actor = actor_for(request.user)
    subject = selectors.subject_get(actor, pk)
    if not can(actor, Action.EDIT, subject):
        if subject.state not in SUBJECT_WORKFLOW.editable_states and can(actor, Action.SUBMIT, subject):
            messages.error(request, f"当前状态为“{subject.get_state_display()}”，不能修改"
                                    + ("；如需变更，请先发起调整" if subject.state == "approved" else ""))
            return redirect("budget:subject_detail", pk=subject.pk)
        raise PermissionDenied("您没有修改该项目的权限")
    departments = selectors.writable_departments(actor, Action.EDIT)
    units = selectors.writable_units(actor, Action.EDIT)
    stale = False
    if request.method == "POST":
        form = SubjectEditForm(request.POST, departments=departments, units=units)
        if form.is_valid():
            data = form.service_data()
            expected = data.pop("lock_version")
            try:
                services.subject_update(actor=actor, subject=subject, data=data, expected_lock_version=expected)
            except ConcurrentEditError:
                stale = True
                form.add_error(None, STALE_MESSAGE)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, "已保存")
                return redirect("budget:subject_detail", pk=subject.pk)
    else:
        form = SubjectEditForm(initial=subject_initial(subject), departments=departments, units=units)
    return render(request, "budget/subject_form.html", {"form": form, "subject": subject, "stale": stale})


@login_required
@require_POST
def subject_delete(request, pk):
    actor = actor_for(request.user)
    subject = selectors.subject_get(actor, pk)
    name = subject.name
    try:
        services.subject_delete(actor=actor, subject=subject,
                                expected_lock_version=_int(request.POST.get("lock_version")))
    except ConcurrentEditError:
        messages.error(request, "未删除：该项目已被他人修改，请查看最新内容后再操作。")
        return redirect("budget:subject_detail", pk=subject.pk)
    except ValidationError as exc:
        messages.error(request, "未删除：" + "；".join(_error_messages(exc)))
        return redirect("budget:subject_detail", pk=subject.pk)
    messages.success(request, f"已删除项目“{name}”")
    return redirect("budget:subject_list")


# ---- imports ---------------------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def subject_import(request, kind="subjects"):
    actor = actor_for(request.user)
    if kind not in dict(IMPORT_KINDS):
        raise Http404("未知的导入类型")
    regions = selectors.import_regions(actor)
    if not regions:
        raise PermissionDenied("您没有导入数据的权限")
    years = selectors.fiscal_years()
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, regions=regions)
        if form.is_valid():
            region = Region.objects.get(pk=form.cleaned_data["region"])
            try:
                job = import_start(actor=actor, kind=SUBJECT_JOB if kind == "subjects" else EXECUTION_JOB,
                                   region=region, upload=form.cleaned_data["file"], year=form.cleaned_data["year"])
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                return redirect("web:job_detail", pk=job.pk)
    else:
        form = ImportForm(initial={"year": request.session.get(SESSION_YEAR) or selectors.default_year(years)},
                          regions=regions)
    return render(request, "budget/import.html", {
        "form": form, "kind": kind, "kind_label": dict(IMPORT_KINDS)[kind], "kinds": IMPORT_KINDS,
        "sample_url": reverse("budget:sample", args=[kind]), "sample_name": SAMPLES[kind],
        "max_mb": settings.IMPORT_MAX_BYTES // 1024 // 1024,
    })


@login_required
def sample(request, kind):
    if kind not in SAMPLES:
        raise Http404("未找到样例文件")
    path = SAMPLES_DIR / SAMPLES[kind]
    return FileResponse(path.open("rb"), as_attachment=True, filename=SAMPLES[kind])


@login_required
@require_POST
def select_year(request):
    """The fiscal-year selector: remembers the year for the list, the create form and the imports."""
    year = _int(request.POST.get("year"))
    if year and any(fy.year == year for fy in selectors.fiscal_years()):
        request.session[SESSION_YEAR] = year
        return redirect(reverse("budget:subject_list") + f"?year={year}")
    messages.error(request, "请选择有效的预算年度")
    return redirect("budget:subject_list")
