"""Screens of the goal sheets (绩效目标): list with filters and counts, detail with findings, reviews and versions, the
editor with live checks and the indicator library, the review form, approval with the budget, issue, adjustment,
Excel download/upload, the department export, the dry-run check of an uploaded sheet, and the coverage figures.

Thin: reads through `selectors`, writes through `services`, checks through `rules`; errors are shown in Chinese."""

from __future__ import annotations

import datetime
from collections import OrderedDict
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.budget import selectors as budget_selectors
from jixiao.budget.views import SESSION_YEAR
from jixiao.core import workflow
from jixiao.core.permissions import OUTSIDER_ROLES, Action, actor_for, can
from jixiao.core.views import error_messages as _messages_of
from jixiao.core.views import int_or_none as _int
from jixiao.core.workflow import ConcurrentEditError
from jixiao.goals import excel, rules, selectors, services, stats
from jixiao.goals.data import Finding, SheetData
from jixiao.goals.forms import (
    WIDE_KINDS,
    AdjustForm,
    CheckUploadForm,
    DepartmentExportForm,
    IndicatorRowForm,
    MainTaskForm,
    ReviewForm,
    SheetFilterForm,
    UploadForm,
    editor_forms,
    read_editor_post,
)
from jixiao.goals.models import AllocationMethod, GoalSheet, SheetKind
from jixiao.goals.workflows import GOAL_WORKFLOW, REVIEW_TRANSITIONS, GoalState, ReviewLevel
from jixiao.indicators.models import Comparator, ValueBasis
from jixiao.organisations.models import Department, Role
from jixiao.policy.schema import Grade, Level1, ProjectCategory

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STALE_MESSAGE = ("保存失败：该绩效目标表在您编辑期间已被他人修改（或已提交审核），"
                 "您的修改没有保存，也没有覆盖他人的修改。请重新打开编辑页面，在最新内容上修改。")
PAGE_SIZE = 50
WITHOUT_SHEET_ROWS = 20
REVIEW_NAMES = frozenset(name for by_grade in REVIEW_TRANSITIONS.values() for name in by_grade.values())
# Transitions fired from the detail page's generic form; the others have their own pages.
PLAIN_TRANSITIONS = frozenset({"submit", "withdraw", "confirm_edits", "rework"})
WAITING_REVIEW = frozenset({GoalState.SUBMITTED, GoalState.DEPARTMENT_PASSED})
GRADE_LABELS = dict(Grade.choices)
LEVEL1_LABELS = dict(Level1.choices)
OUTCOME_LABELS = {"excellent": "通过", "good": "协商修改后通过", "fair": "退回修改", "poor": "不予通过"}


def _attachment(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _params(sheet: GoalSheet):
    """The policy parameters the sheet was made under (its recorded profile version), else those in force."""
    return services.sheet_params(sheet)


def _year_default(request) -> int | None:
    return request.session.get(SESSION_YEAR) or budget_selectors.default_year(budget_selectors.fiscal_years())


def is_overdue(sheet: GoalSheet, today: datetime.date) -> bool:
    if sheet.state in WAITING_REVIEW and sheet.review_due:
        return sheet.review_due < today
    if sheet.state == GoalState.RETURNED and sheet.resubmit_due:
        return sheet.resubmit_due < today
    return False


# ---- list ------------------------------------------------------------------------------------------------------------

@login_required
def sheet_list(request):
    actor = actor_for(request.user)
    if not actor.may(Action.VIEW):
        raise PermissionDenied("您没有查看绩效目标的权限")
    years = budget_selectors.fiscal_years()
    params = request.GET.copy()
    if not params:
        year = _year_default(request)
        if year:
            params["year"] = str(year)
    form = SheetFilterForm(params)
    filters = form.filters()
    qs = selectors.goal_sheet_list(actor, filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [(s, is_overdue(s, today)) for s in page]

    # Counts by state over the same filters except the state itself (so the figures stay as one picks a state).
    count_filters = {k: v for k, v in filters.items() if k != "state"}
    counted = dict(selectors.goal_sheet_list(actor, count_filters).order_by().values("state")
                   .annotate(n=Count("pk")).values_list("state", "n"))
    state_query = params.copy()
    state_query.pop("page", None)
    state_counts = []
    for value, label in GoalState.choices:
        q = state_query.copy()
        q["state"] = value
        state_counts.append({"state": value, "label": label, "count": counted.get(value, 0),
                             "query": q.urlencode(), "active": filters.get("state") == value})
    all_query = state_query.copy()
    all_query.pop("state", None)

    without = None
    if actor.may(Action.CREATE) and filters.get("year"):
        missing = selectors.subjects_without_sheet(actor, filters["year"])
        if filters.get("department"):
            missing = missing.filter(department_id=filters["department"])
        without = {"count": missing.count(), "rows": list(missing.select_related("department", "unit")
                                                          [:WITHOUT_SHEET_ROWS])}
    base = params.copy()
    base.pop("page", None)
    return render(request, "goals/sheet_list.html", {
        "form": form, "filters": filters, "years": years, "page": page, "rows": rows,
        "departments": list(budget_selectors.filter_departments(actor)),
        "state_counts": state_counts, "total": sum(counted.values()), "all_query": all_query.urlencode(),
        "query": base.urlencode(), "without": without,
        "can_export": actor.may(Action.EXPORT), "can_approve": actor.may(Action.APPROVE),
        "can_aggregate": actor.may(Action.AGGREGATE),
    })


# ---- create ----------------------------------------------------------------------------------------------------------

@login_required
@require_POST
def sheet_create(request, subject_pk):
    actor = actor_for(request.user)
    subject = budget_selectors.subject_get(actor, subject_pk)
    existing = selectors.goal_sheet_for_subject(actor, subject.pk)
    if existing is not None:
        messages.info(request, "该项目已有绩效目标表")
        return redirect("goals:sheet_detail", pk=existing.pk)
    try:
        sheet = services.goal_sheet_create(actor=actor, subject=subject)
    except ValidationError as exc:
        messages.error(request, "未能新建绩效目标表：" + "；".join(_messages_of(exc)))
        return redirect("budget:subject_detail", pk=subject.pk)
    messages.success(request, f"已为“{subject.name}”新建绩效目标表（草稿），请填写目标和指标")
    return redirect("goals:sheet_edit", pk=sheet.pk)


# ---- detail ----------------------------------------------------------------------------------------------------------

COMPARATOR_LABELS = dict(Comparator.choices)
BASIS_LABELS = dict(ValueBasis.choices)


class RowView:
    """A RowData for a template, with the labels of its choices."""

    def __init__(self, row):
        self._row = row

    def __getattr__(self, name):
        return getattr(self._row, name)

    @property
    def comparator_label(self) -> str:
        return COMPARATOR_LABELS.get(self._row.comparator, self._row.comparator or "—")

    @property
    def basis_label(self) -> str:
        return BASIS_LABELS.get(self._row.value_basis, self._row.value_basis or "—")


def group_rows(rows) -> list[dict]:
    """Rows grouped by level 1 then level 2, in the order they first appear, with the row spans a table needs."""
    groups: OrderedDict[str, OrderedDict[str, list]] = OrderedDict()
    for r in rows:
        groups.setdefault(r.level1 or "", OrderedDict()).setdefault(r.level2 or "", []).append(RowView(r))
    out = []
    for level1, by_level2 in groups.items():
        subgroups = [{"level2": l2, "rows": items} for l2, items in by_level2.items()]
        out.append({"level1": level1, "label": LEVEL1_LABELS.get(level1, level1 or "（未填一级指标）"),
                    "span": sum(len(g["rows"]) for g in subgroups), "subgroups": subgroups})
    return out


def weight_table(data: SheetData, goals) -> list[dict]:
    """Weights per level 1: expected (from the frame) against the sum of the rows."""
    try:
        expected = rules.expected_weights(data, goals)
    except Exception:  # noqa: BLE001 - an unknown frame code: show the sums alone
        expected = {}
    actual: dict[str, Decimal] = {}
    for r in data.rows:
        if r.weight is not None:
            actual[r.level1 or ""] = actual.get(r.level1 or "", Decimal(0)) + r.weight
    out = []
    for code in list(expected) + [c for c in actual if c not in expected]:
        exp, act = expected.get(code), actual.get(code, Decimal(0))
        out.append({"level1": code, "label": LEVEL1_LABELS.get(code, code or "（未填）"),
                    "expected": _dec(exp), "actual": _dec(act), "ok": exp is None or act == exp})
    return out


def _dec(value) -> str | None:
    """A Decimal as written without trailing zeros ("50", "12.5")."""
    if value is None:
        return None
    return format(Decimal(value).normalize(), "f")


def frame_json(data: SheetData, goals) -> dict:
    try:
        frame = rules.frame_for(data, goals)
    except Exception:  # noqa: BLE001
        frame = None
    if frame is None:
        return {"code": "", "name": "", "groups": [{"code": c, "label": label, "level2": [], "weight": None}
                                                   for c, label in Level1.choices]}
    return {"code": frame.code, "name": frame.name, "execution_weight": _dec(frame.execution_weight),
            "groups": [{"code": g.code, "label": LEVEL1_LABELS.get(g.code, g.code), "level2": list(g.level2),
                        "weight": _dec(g.weight), "required": g.required} for g in frame.groups]}


def _point_names(params) -> dict[str, str]:
    return {p.code: p.name for p in params.goal_review.points}


def review_history(sheet: GoalSheet) -> list[dict]:
    """Every review round: level, grades per point (by the profile the review was made under), total and outcome."""
    from jixiao.policy.selectors import params_for_version

    names_by_profile: dict[int | None, dict[str, str]] = {}
    fallback = None
    out = []
    for review in selectors.reviews(sheet):
        names = names_by_profile.get(review.profile_id)
        if names is None:
            try:
                names = _point_names(params_for_version(review.profile_id)) if review.profile_id else None
            except Exception:  # noqa: BLE001
                names = None
            if names is None:
                fallback = fallback or _point_names(_params(sheet))
                names = fallback
            names_by_profile[review.profile_id] = names
        codes = list(names) + [c for c in review.point_grades if c not in names]
        points = [{"name": names.get(c, c), "grade": GRADE_LABELS.get(review.point_grades.get(c), "—"),
                   "score": (review.point_scores or {}).get(c), "comment": (review.point_comments or {}).get(c, "")}
                  for c in codes if c in review.point_grades or c in (review.point_scores or {})]
        out.append({"review": review, "points": points, "grade": GRADE_LABELS.get(review.grade, review.grade),
                    "outcome": OUTCOME_LABELS.get(review.outcome, review.outcome)})
    return out


# Bookkeeping that means nothing to a reader of a version diff.
SNAPSHOT_NOISE = frozenset({"revision"})
FIELD_LABELS = {f.attname: str(f.verbose_name) for f in GoalSheet._meta.concrete_fields}
FIELD_LABELS.update({"subject_code": "项目编码", "subject_name": "项目名称", "annual_amount": "年度金额（元）",
                     "total_amount": "总金额（元）"})
ROW_LABELS = {name: str(f.label) for name, f in IndicatorRowForm.base_fields.items()}
CHOICE_LABELS = {"kind": dict(SheetKind.choices), "category": dict(ProjectCategory.choices),
                 "allocation_method": dict(AllocationMethod.choices), "level1": LEVEL1_LABELS,
                 "comparator": COMPARATOR_LABELS, "value_basis": BASIS_LABELS}


def _show(key: str, value) -> str:
    if value is None or value == "":
        return "—"
    if key in CHOICE_LABELS:
        return str(CHOICE_LABELS[key].get(value, value))
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, list):
        return "；".join(_show("", v) for v in value) or "—"
    if isinstance(value, dict):
        return "、".join(f"{k}：{_show(k, v)}" for k, v in value.items() if v not in (None, ""))
    return str(value)


def _row_summary(row: dict) -> str:
    comparator = COMPARATOR_LABELS.get(row.get("comparator"), "")
    weight = f"，权重{row['weight']}" if row.get("weight") not in (None, "") else ""
    return (f"{LEVEL1_LABELS.get(row.get('level1'), row.get('level1') or '')}/{row.get('level2') or ''}："
            f"{comparator}{row.get('target_value') or ''}{row.get('unit') or ''}{weight}")


def version_diff(request, sheet: GoalSheet):
    """The frozen revisions (approved versions), the current one when it differs, and the chosen pair's diff:
    header fields and the indicator rows that were added, removed or changed."""
    revisions = [(v.revision, f"第{v.revision}版（{timezone.localtime(v.created_at):%Y-%m-%d}批复）", v.data)
                 for v in selectors.versions(sheet)]
    if not revisions:
        return [], None, None, [], []
    if sheet.state not in (GoalState.APPROVED, GoalState.ISSUED) or sheet.revision > revisions[-1][0]:
        revisions.append((0, f"当前（第{sheet.revision}版，{sheet.get_state_display()}）",
                          selectors.version_data(sheet, "current")))
    if len(revisions) < 2:
        return revisions, None, None, [], []
    keys = [r[0] for r in revisions]
    a, b = _int(request.GET.get("from")), _int(request.GET.get("to"))
    if a not in keys or b not in keys or a == b:
        a, b = keys[-2], keys[-1]
    old = next(r[2] for r in revisions if r[0] == a)
    new = next(r[2] for r in revisions if r[0] == b)
    diff = selectors.sheet_version_diff(old, new)
    header = [(FIELD_LABELS.get(k, k), _show(k, o), _show(k, n)) for k, o, n in diff["header"]
              if k not in SNAPSHOT_NOISE]
    rows = [{"change": "新增", "title": r.get("name") or "（未命名）", "fields": [("", "—", _row_summary(r))]}
            for r in diff["added"]]
    rows += [{"change": "删除", "title": r.get("name") or "（未命名）", "fields": [("", _row_summary(r), "—")]}
             for r in diff["removed"]]
    rows += [{"change": "修改", "title": c.get("name") or "（未命名）",
              "fields": [(ROW_LABELS.get(f, f), _show(f, o), _show(f, n)) for f, o, n in c["fields"]]}
             for c in diff["changed"]]
    return revisions, a, b, header, rows


def _findings_context(findings: list[Finding]) -> dict:
    errors = [f for f in findings if f.severity == "error"]
    return {"findings": findings, "error_count": len(errors), "warning_count": len(findings) - len(errors)}


@login_required
def sheet_detail(request, pk):
    actor = actor_for(request.user)
    sheet = selectors.goal_sheet_get(actor, pk)
    params = _params(sheet)
    data = services.sheet_data_from_model(sheet)
    findings = rules.check_sheet(data, params.goals, for_submission=True)  # as services.goal_sheet_check
    transitions = workflow.available_transitions(actor, sheet)
    names = {t.name for t in transitions}
    revisions, diff_from, diff_to, diff_header, diff_rows_ = version_diff(request, sheet)
    roles = dict(Role.choices)
    steps = [{"step": st, "from": GOAL_WORKFLOW.label(st.from_state), "to": GOAL_WORKFLOW.label(st.to_state),
              "role": roles.get(st.actor_role, st.actor_role)} for st in workflow.steps_for(sheet)]
    audit_url = None
    if actor.may(Action.AUDIT):
        audit_url = reverse("web:audit") + "?q=" + str(sheet.subject.name)
    show_history = actor.may(Action.AUDIT) or not actor.has_role(*OUTSIDER_ROLES)
    return render(request, "goals/sheet_detail.html", {
        "sheet": sheet, "subject": sheet.subject, "data": data, "groups": group_rows(data.rows),
        "weights": weight_table(data, params.goals), "frame": frame_json(data, params.goals),
        **_findings_context(findings),
        "plain_transitions": [t for t in transitions if t.name in PLAIN_TRANSITIONS],
        "can_review": bool(names & REVIEW_NAMES), "can_approve": "approve" in names, "can_issue": "issue" in names,
        "can_adjust": "start_adjustment" in names,
        "can_edit": can(actor, Action.EDIT, sheet),
        "reviews": review_history(sheet), "steps": steps, "show_history": show_history,
        "revisions": revisions, "diff_from": diff_from, "diff_to": diff_to, "diff_header": diff_header,
        "diff_rows": diff_rows_, "audit_url": audit_url, "overdue": is_overdue(sheet, timezone.localdate()),
        "is_wide": sheet.kind in WIDE_KINDS,
    })


@login_required
@require_POST
def sheet_transition(request, pk):
    actor = actor_for(request.user)
    sheet = selectors.goal_sheet_get(actor, pk)
    name = request.POST.get("transition", "")
    if name in REVIEW_NAMES:
        return redirect("goals:sheet_review", pk=sheet.pk)
    if name == "start_adjustment":
        return redirect("goals:sheet_adjust", pk=sheet.pk)
    if name not in PLAIN_TRANSITIONS:
        messages.error(request, "操作未执行：未知操作")
        return redirect("goals:sheet_detail", pk=sheet.pk)
    try:
        services.goal_sheet_transition(actor=actor, sheet=sheet, name=name,
                                       comment=request.POST.get("comment", "")[:2000],
                                       expected_lock_version=_int(request.POST.get("lock_version")))
    except ConcurrentEditError:
        messages.error(request, "操作未执行：该绩效目标表已被他人修改或已流转，请查看最新状态后再操作。")
    except ValidationError as exc:  # WorkflowError included
        messages.error(request, "操作未执行：" + "；".join(_messages_of(exc)))
    else:
        messages.success(request, f"已{GOAL_WORKFLOW.get(name).label}，当前状态：{sheet.get_state_display()}")
    return redirect("goals:sheet_detail", pk=sheet.pk)


# ---- editor ----------------------------------------------------------------------------------------------------------

def _editable_sheet(request, actor, pk) -> GoalSheet | None:
    """The sheet for editing; None (with a message) when it is visible but not in an editable state."""
    sheet = selectors.goal_sheet_get(actor, pk)
    if can(actor, Action.EDIT, sheet):
        return sheet
    if sheet.state not in GOAL_WORKFLOW.editable_states and can(actor, Action.SUBMIT, sheet):
        messages.error(request, f"当前状态为“{sheet.get_state_display()}”，不能修改"
                                + ("；如需变更，请先申请调整" if sheet.state in (GoalState.APPROVED, GoalState.ISSUED)
                                   else ""))
        return None
    raise PermissionDenied("您没有修改该绩效目标表的权限")


def _api_url(name: str, *args) -> str:
    try:
        return reverse(f"api:{name}", args=args)
    except NoReverseMatch:
        return ""


def _suggestions(actor, sheet) -> list[dict]:
    try:
        from jixiao.goals import suggestions
    except ImportError:
        return []
    out = []
    for s in suggestions.suggest_indicators(actor=actor, subject=sheet.subject, limit=12):
        out.append({"indicator_id": s.indicator_id, "name": s.name, "level1": s.level1, "level2": s.level2,
                    "unit": s.unit or "", "comparator": s.comparator or "", "reason": s.reason or "",
                    "typical_target": s.typical_target or ""})
    return out


def _editor_context(request, actor, sheet, data: SheetData, header, tasks, rows, findings, *, stale=False):
    params = _params(sheet)
    frame = frame_json(data, params.goals)
    level2_choices = [(g["label"], g["code"], g["level2"]) for g in frame["groups"]]
    known = {name for g in frame["groups"] for name in g["level2"]}
    row_items = []
    for i, (key, form) in enumerate(rows):
        rd = data.rows[i] if i < len(data.rows) else None
        level2 = form["level2"].value() or ""
        row_items.append({"key": key, "form": form, "data": rd, "number": i + 1, "level2": level2,
                          "level2_extra": level2 if level2 and level2 not in known else "",
                          "has_errors": bool(form.is_bound and form.errors)})
    return {
        "sheet": sheet, "subject": sheet.subject, "data": data, "header": header, "tasks": tasks, "rows": row_items,
        "row_template": IndicatorRowForm(prefix="r__KEY__"), "task_template": MainTaskForm(prefix="t__KEY__"),
        "frame": frame, "level2_choices": level2_choices, "weights": weight_table(data, params.goals),
        **_findings_context(findings), "stale": stale, "is_wide": sheet.kind in WIDE_KINDS,
        "suggestions": _suggestions(actor, sheet),
        "search_url": _api_url("indicator_list"), "detail_url": _api_url("indicator_detail", 0),
        "indicator_page_url": reverse("indicators:browse"),
        "check_url": reverse("goals:sheet_check", args=[sheet.pk]),
        "level1_choices": [(c, label) for c, label in Level1.choices],
        "field_labels": {**{str(f.label): name for name, f in IndicatorRowForm.base_fields.items()},
                         **{str(f.label): name for name, f in header.fields.items() if f.label}},
    }


def _save(actor, sheet, ep):
    return services.goal_sheet_save(actor=actor, sheet=sheet, data=ep.data, expected_lock_version=ep.lock_version,
                                    propose_rows=sorted(ep.proposals))


def _apply_save_errors(request, ep, exc: ValidationError) -> None:
    """Service errors on the editor's forms: "rows.<n>.<field>" on row n, header fields on the header, the rest as a
    message."""
    if not hasattr(exc, "error_dict"):
        messages.error(request, "保存失败：" + "；".join(_messages_of(exc)))
        return
    loose = []
    for key, errs in exc.message_dict.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "rows" and parts[1].isdigit():
            n, name = int(parts[1]), {"indicator_id": "indicator"}.get(parts[2], parts[2])
            if 1 <= n <= len(ep.rows) and name in ep.rows[n - 1][1].fields:
                ep.rows[n - 1][1].add_error(name, errs)
                continue
        if key in ep.header.fields:
            ep.header.add_error(key, errs)
            continue
        loose += errs
    messages.error(request, "保存失败：" + ("；".join(loose) if loose else "请按标红提示修改后重新保存。"))


@login_required
@require_http_methods(["GET", "POST"])
def sheet_edit(request, pk):
    actor = actor_for(request.user)
    sheet = _editable_sheet(request, actor, pk)
    if sheet is None:
        return redirect("goals:sheet_detail", pk=pk)
    params = _params(sheet)
    base = services.sheet_data_from_model(sheet)
    if request.method == "POST":
        ep = read_editor_post(request.POST, base)
        findings = list(ep.form_findings)
        stale = False
        if not ep.form_findings:
            try:
                findings = _save(actor, sheet, ep)
            except ConcurrentEditError:
                stale = True
                messages.error(request, STALE_MESSAGE)
            except ValidationError as exc:
                _apply_save_errors(request, ep, exc)
            else:
                errors = sum(1 for f in findings if f.severity == "error")
                note = (f"；检查发现 {errors} 个问题、{len(findings) - errors} 个提示" if findings
                        else "；检查未发现问题")
                messages.success(request, "已保存" + note)
                if request.POST.get("then") == "detail":
                    return redirect("goals:sheet_detail", pk=sheet.pk)
                return redirect("goals:sheet_edit", pk=sheet.pk)
        else:
            messages.error(request, "未保存：部分内容无法识别，请按标红提示修改后重新保存。")
        return render(request, "goals/sheet_edit.html", _editor_context(
            request, actor, sheet, ep.data, ep.header, ep.tasks, ep.rows, findings, stale=stale))
    proposals = {i for i, ind in enumerate(selectors.rows(sheet), start=1) if ind.propose_to_library}
    header, tasks, rows = editor_forms(sheet, base, proposals)
    findings = rules.check_sheet(base, params.goals, for_submission=False)
    return render(request, "goals/sheet_edit.html", _editor_context(
        request, actor, sheet, base, header, tasks, rows, findings))


@login_required
@require_POST
def sheet_check(request, pk):
    """The editor's live check: the unsaved form as JSON findings (nothing stored)."""
    actor = actor_for(request.user)
    sheet = selectors.goal_sheet_get(actor, pk)
    if not can(actor, Action.EDIT, sheet):
        raise PermissionDenied("您没有修改该绩效目标表的权限，或该表当前不可修改")
    params = _params(sheet)
    ep = read_editor_post(request.POST, services.sheet_data_from_model(sheet))
    findings = list(ep.form_findings) + list(rules.check_sheet(ep.data, params.goals, for_submission=False))
    errors = sum(1 for f in findings if f.severity == "error")
    weights = weight_table(ep.data, params.goals)
    return JsonResponse({"findings": [f.as_dict() for f in findings], "errors": errors,
                         "warnings": len(findings) - errors, "weights": weights,
                         "frame": frame_json(ep.data, params.goals)},
                        json_dumps_params={"ensure_ascii": False})


# ---- review ----------------------------------------------------------------------------------------------------------

def _review_level(sheet) -> str | None:
    if sheet.state == GoalState.SUBMITTED:
        return ReviewLevel.DEPARTMENT
    if sheet.state == GoalState.DEPARTMENT_PASSED:
        return ReviewLevel.FINANCE
    return None


@login_required
@require_http_methods(["GET", "POST"])
def sheet_review(request, pk):
    actor = actor_for(request.user)
    sheet = selectors.goal_sheet_get(actor, pk)
    level = _review_level(sheet)
    names = {t.name for t in workflow.available_transitions(actor, sheet)}
    if level is None or not names & set(REVIEW_TRANSITIONS[level].values()):
        if level is None:
            messages.error(request, f"当前状态为“{sheet.get_state_display()}”，无需审核")
            return redirect("goals:sheet_detail", pk=sheet.pk)
        raise PermissionDenied("您不是该绩效目标表当前的审核人")
    params = _params(sheet)
    points = params.goal_review.points
    if request.method == "POST":
        form = ReviewForm(request.POST, points=points)
        if form.is_valid():
            try:
                review = services.goal_sheet_review(actor=actor, sheet=sheet, **form.service_args())
            except ConcurrentEditError:
                form.add_error(None, "审核未保存：该绩效目标表已被他人修改或已流转，请重新打开后审核。")
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for key, errs in exc.message_dict.items():
                        form.add_error(key if key in form.fields else None, errs)
                else:
                    form.add_error(None, _messages_of(exc))
            else:
                total = f"，总分 {_dec(review.total_score)}" if review.total_score is not None else ""
                messages.success(request, f"审核完成：等级“{GRADE_LABELS.get(review.grade, review.grade)}”{total}，"
                                          f"结果：{OUTCOME_LABELS.get(review.outcome, review.outcome)}；"
                                          f"当前状态：{sheet.get_state_display()}")
                return redirect("goals:sheet_detail", pk=sheet.pk)
    else:
        form = ReviewForm(points=points, initial={"is_key": sheet.is_key,
                                                  "lock_version": sheet.lock_version})
    data = services.sheet_data_from_model(sheet)
    findings = rules.check_sheet(data, params.goals, for_submission=True)  # as services.goal_sheet_check
    groups = []
    by_code = {}
    for row in form.rows():
        by_code[row[0].code] = row
    for g in params.goal_review.groups:
        groups.append({"group": g, "points": [by_code[p.code] for p in g.points if p.code in by_code]})
    return render(request, "goals/sheet_review.html", {
        "sheet": sheet, "subject": sheet.subject, "data": data, "form": form, "review_groups": groups,
        "level": level, "level_label": ReviewLevel(level).label, "groups": group_rows(data.rows),
        "frame": frame_json(data, params.goals),
        "weights": weight_table(data, params.goals), **_findings_context(findings),
        "reviews": review_history(sheet), "review_params": params.goal_review,
        "key_bands": [(GRADE_LABELS.get(b.grade, b.grade), b.lower) for b in params.goal_review.key_point_bands],
        "is_wide": sheet.kind in WIDE_KINDS,
    })


# ---- approval, issue, adjustment -------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def sheet_approve_many(request):
    """批复 with the budget: all passed sheets of one department (the bureau, or the officer in charge)."""
    actor = actor_for(request.user)
    if not actor.may(Action.APPROVE):
        raise PermissionDenied("您没有批复绩效目标的权限")
    data = request.POST if request.method == "POST" else request.GET
    department = _int(data.get("department"))
    year = _int(data.get("year")) or _year_default(request)
    departments = list(budget_selectors.filter_departments(actor))
    sheets = []
    if department:
        sheets = list(selectors.approval_queue(actor, year).filter(department_id=department))
    if request.method == "POST":
        chosen = {_int(v) for v in request.POST.getlist("sheet")}
        picked = [s for s in sheets if s.pk in chosen]
        if not picked:
            messages.error(request, "请选择要批复的绩效目标表")
        else:
            try:
                n = services.goal_sheet_approve_many(actor=actor, sheets=picked)
            except ConcurrentEditError:
                messages.error(request, "未批复：部分绩效目标表已被他人修改或已流转，请刷新后重试。")
            except ValidationError as exc:
                messages.error(request, "未批复：" + "；".join(_messages_of(exc)))
            else:
                messages.success(request, f"已随预算批复 {n} 张绩效目标表")
                return redirect(reverse("goals:sheet_approve_many") + f"?department={department}&year={year or ''}")
    return render(request, "goals/approve_many.html", {
        "departments": departments, "department": department, "year": year,
        "years": budget_selectors.fiscal_years(), "sheets": sheets,
    })


@login_required
@require_POST
def sheet_approve(request, pk):
    """批复 of one sheet from its detail page (the same service as the batch)."""
    actor = actor_for(request.user)
    sheet = selectors.goal_sheet_get(actor, pk, action=Action.APPROVE)
    try:
        services.goal_sheet_approve_many(actor=actor, sheets=[sheet])
    except ConcurrentEditError:
        messages.error(request, "未批复：该绩效目标表已被他人修改或已流转，请刷新后重试。")
    except ValidationError as exc:
        messages.error(request, "未批复：" + "；".join(_messages_of(exc)))
    else:
        messages.success(request, "已随预算批复")
    return redirect("goals:sheet_detail", pk=pk)


@login_required
@require_POST
def sheet_issue(request, pk):
    actor = actor_for(request.user)
    sheet = selectors.goal_sheet_get(actor, pk)
    try:
        services.goal_sheet_issue(actor=actor, sheet=sheet, comment=request.POST.get("comment", "")[:2000],
                                  expected_lock_version=_int(request.POST.get("lock_version")))
    except ConcurrentEditError:
        messages.error(request, "未下达：该绩效目标表已被他人修改或已流转，请刷新后重试。")
    except ValidationError as exc:
        messages.error(request, "未下达：" + "；".join(_messages_of(exc)))
    else:
        messages.success(request, "已下达至预算单位")
    return redirect("goals:sheet_detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def sheet_adjust(request, pk):
    actor = actor_for(request.user)
    sheet = selectors.goal_sheet_get(actor, pk)
    if "start_adjustment" not in {t.name for t in workflow.available_transitions(actor, sheet)}:
        if sheet.state not in (GoalState.APPROVED, GoalState.ISSUED):
            messages.error(request, f"当前状态为“{sheet.get_state_display()}”，不能申请调整（批复后方可申请）")
            return redirect("goals:sheet_detail", pk=sheet.pk)
        raise PermissionDenied("您没有申请调整该绩效目标的权限")
    if request.method == "POST":
        form = AdjustForm(request.POST)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                services.goal_sheet_transition(actor=actor, sheet=sheet, name="start_adjustment",
                                               comment=cd["reason"], budget_adjustment_ref=cd["budget_adjustment_ref"],
                                               expected_lock_version=cd.get("lock_version"))
            except ConcurrentEditError:
                form.add_error(None, "未提交：该绩效目标表已被他人修改或已流转，请刷新后重试。")
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for key, errs in exc.message_dict.items():
                        field = {"comment": "reason"}.get(key, key)
                        form.add_error(field if field in form.fields else None, errs)
                else:
                    form.add_error(None, _messages_of(exc))
            else:
                messages.success(request, f"已开始调整，绩效目标表成为第{sheet.revision}版草稿；修改后请重新提交审核")
                return redirect("goals:sheet_edit", pk=sheet.pk)
    else:
        form = AdjustForm(initial={"lock_version": sheet.lock_version,
                                   "budget_adjustment_ref": sheet.budget_adjustment_ref})
    return render(request, "goals/adjust.html", {"sheet": sheet, "subject": sheet.subject, "form": form,
                                                  "special_bond": sheet.subject.special_category == "special_bond"})


# ---- Excel -----------------------------------------------------------------------------------------------------------

def _file_stub(sheet_or_subject) -> str:
    subject = getattr(sheet_or_subject, "subject", sheet_or_subject)
    return f"绩效目标表_{subject.code}_{subject.name}"[:120]


@login_required
def sheet_download(request, pk):
    actor = actor_for(request.user)
    sheet = selectors.goal_sheet_get(actor, pk)
    content = excel.write_sheet(services.sheet_data_from_model(sheet), filled=True)
    return _attachment(content, f"{_file_stub(sheet)}.xlsx")


def subject_sheet_data(subject) -> SheetData:
    """The header of a blank sheet for a subject that has no goal sheet yet (the subject's own facts)."""
    maker = getattr(services, "sheet_data_for_subject", None)
    if maker is not None:
        return maker(subject)
    kind = {"project": SheetKind.PROJECT, "policy": SheetKind.POLICY, "department_wide": SheetKind.DEPARTMENT_WIDE,
            "unit_wide": SheetKind.UNIT_WIDE}.get(subject.kind, SheetKind.PROJECT)
    return SheetData(
        kind=kind, subject_code=subject.code, subject_name=subject.name,
        department_name=subject.department.name if subject.department_id else "",
        unit_name=subject.unit.name if subject.unit_id else "", fiscal_year=subject.fiscal_year.year,
        start_date=subject.start_date, end_date=subject.end_date, subject_type=subject.get_kind_display(),
        is_new=subject.is_new, special_category=subject.special_category or "",
        category=getattr(subject, "project_category", "") or "", total_amount=subject.total_amount,
        annual_amount=getattr(subject, "current_amount", None) or subject.annual_amount)


@login_required
def blank_download(request, subject_pk):
    actor = actor_for(request.user)
    subject = budget_selectors.subject_get(actor, subject_pk)
    sheet = selectors.goal_sheet_for_subject(actor, subject.pk)
    if sheet is not None:
        data = services.sheet_data_from_model(sheet)
    else:
        data = subject_sheet_data(subject)
    return _attachment(excel.write_sheet(data, filled=False), f"{_file_stub(subject)}_空白.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def sheet_upload(request, pk):
    """Upload a filled sheet into a draft: nothing is written when the file has errors."""
    actor = actor_for(request.user)
    sheet = _editable_sheet(request, actor, pk)
    if sheet is None:
        return redirect("goals:sheet_detail", pk=pk)
    parse_findings: list[Finding] = []
    save_findings: list[Finding] | None = None
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                data, parse_findings = excel.read_sheet(upload, upload.name)
            except ValidationError as exc:
                form.add_error("file", _messages_of(exc))
                data = None
            else:
                parse_findings = list(parse_findings)
                if data.subject_code and data.subject_code.strip() != sheet.subject.code:
                    parse_findings.insert(0, Finding(
                        severity="error", rule="upload-subject", field="项目编码",
                        message=f"表中项目编码“{data.subject_code}”与本项目“{sheet.subject.code}”不符，请上传本项目的绩效目标表",
                        basis="上传的绩效目标表须为本项目的表"))
            if data is not None and not any(f.severity == "error" for f in parse_findings):
                try:
                    save_findings = services.goal_sheet_save(
                        actor=actor, sheet=sheet, data=data, expected_lock_version=form.cleaned_data.get(
                            "lock_version") if form.cleaned_data.get("lock_version") is not None
                        else sheet.lock_version)
                except ConcurrentEditError:
                    form.add_error(None, STALE_MESSAGE)
                except ValidationError as exc:
                    form.add_error(None, _messages_of(exc))
                else:
                    messages.success(request, f"已从“{upload.name}”读入 {len(data.rows)} 条指标并保存")
            elif data is not None:
                form.add_error(None, "文件中有错误，未写入任何内容。请按下列提示修改表格后重新上传。")
    else:
        form = UploadForm(initial={"lock_version": sheet.lock_version})
    parse_errors = sum(1 for f in parse_findings if f.severity == "error")
    return render(request, "goals/upload.html", {
        "sheet": sheet, "subject": sheet.subject, "form": form, "parse_findings": parse_findings,
        "parse_errors": parse_errors, "saved": save_findings is not None,
        **_findings_context(save_findings or []),
    })


@login_required
def department_export(request):
    """All goal sheets of one department (and year) as one workbook, one sheet per goal sheet."""
    actor = actor_for(request.user)
    if not actor.may(Action.EXPORT):
        raise PermissionDenied("您没有导出权限")
    form = DepartmentExportForm(request.GET or None)
    if not form.is_bound or not form.is_valid():
        return render(request, "goals/department_export.html", {
            "form": form, "departments": list(budget_selectors.filter_departments(actor)),
            "years": budget_selectors.fiscal_years(), "year": _year_default(request)})
    dept_id, year = form.cleaned_data["department"], form.cleaned_data.get("year")
    department = Department.objects.filter(pk=dept_id).first()
    filters = {"department": dept_id}
    if year:
        filters["year"] = year
    sheets = list(selectors.goal_sheet_list(actor, filters, action=Action.EXPORT))
    if department is None or not sheets:
        messages.error(request, "该部门没有可导出的绩效目标表")
        return redirect(reverse("goals:sheet_list") + f"?department={dept_id}&year={year or ''}")
    title = f"{department.name}{f'{year}年' if year else ''}绩效目标表"
    content = excel.write_department_workbook([services.sheet_data_from_model(s) for s in sheets], title)
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    return _attachment(content, f"{title}_{stamp}.xlsx")


# ---- check without saving --------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def check_upload(request):
    """Anyone logged in uploads a goal sheet and sees the findings under the rules of their region (or a preset);
    nothing is stored."""
    from jixiao.goals import checking
    from jixiao.organisations.models import Region
    from jixiao.policy.presets import PRESETS

    actor = actor_for(request.user)
    presets = [(code, p.name) for code, p in PRESETS.items()]
    report = None
    if request.method == "POST":
        form = CheckUploadForm(request.POST, request.FILES, presets=presets)
        if form.is_valid():
            cd = form.cleaned_data
            region = Region.objects.filter(pk=actor.primary.region_id).first() if actor.primary else None
            try:
                params = checking.params_for(preset=cd.get("preset") or None, region=region,
                                             year=cd.get("year") or _year_default(request))
                upload = cd["file"]
                report = checking.check_upload(upload, upload.name, params)
            except ValidationError as exc:
                form.add_error("file", _messages_of(exc))
    else:
        form = CheckUploadForm(presets=presets, initial={"year": _year_default(request)})
    data = report.sheet if report is not None else None
    return render(request, "goals/check_upload.html", {
        "form": form, "report": report, "checked": report is not None, "data": data,
        "groups": group_rows(data.rows) if data is not None else [],
        **_findings_context(report.findings if report is not None else []),
    })


# ---- coverage --------------------------------------------------------------------------------------------------------

@login_required
def coverage(request):
    actor = actor_for(request.user)
    if not actor.may(Action.AGGREGATE):
        raise PermissionDenied("您没有查看统计的权限")
    years = budget_selectors.fiscal_years()
    year = _int(request.GET.get("year")) or _year_default(request)
    if year is None:
        raise Http404("尚未设置预算年度")
    figures = stats.coverage(actor, year)
    grade_rows = figures.grade_rows()
    biggest = max([n for row in grade_rows for _label, n in row["counts"]] or [0])
    for row in grade_rows:
        row["bars"] = [(label, n, round(100 * n / biggest) if biggest else 0) for label, n in row["counts"]]
    return render(request, "goals/coverage.html", {
        "figures": figures, "year": year, "years": years, "grade_rows": grade_rows,
        "bars": [("项目（已批复绩效目标）", figures.subjects_approved, figures.subjects_total, figures.subjects_share),
                 ("项目（绩效目标审核通过）", figures.subjects_passed, figures.subjects_total, figures.passed_share),
                 ("主管部门", figures.departments_covered, figures.departments_total, figures.departments_share),
                 ("预算单位", figures.units_covered, figures.units_total, figures.units_share)],
    })
