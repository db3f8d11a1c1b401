"""Screens of monitoring (绩效运行监控): the dashboard per region and department with drill-down, the rounds (open,
generate, compute as background jobs), the report list, the unit's form (screen and Excel), the department's and
bureau's review, dispositions, key monitoring, the year-end sweep with its export and the Word monitoring report.

Thin: reads through `selectors`, writes through `services`; every colour is explained from `rules`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.budget import selectors as budget_selectors
from jixiao.budget.models import BudgetKind
from jixiao.core import workflow
from jixiao.core.permissions import OUTSIDER_ROLES, Action, actor_for, can
from jixiao.core.views import int_or_none as _int
from jixiao.core.workflow import ConcurrentEditError
from jixiao.core.workflow_views import run_transition, save_then_submit
from jixiao.goals.stats import share
from jixiao.monitoring import selectors, services, tasks
from jixiao.monitoring.choices import Achievement, DeviationCause, Likelihood
from jixiao.monitoring.models import MonitoringDisposition
from jixiao.monitoring.workflows import (
    DISPOSITION_WORKFLOW,
    DONE_STATES,
    REPORT_WORKFLOW,
    DispositionState,
    ReportState,
)
from jixiao.organisations.models import Department, Role
from jixiao.policy.schema import Colour
from jixiao.policy.schema import Disposition as Measure

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PAGE_SIZE = 50
STALE = ("保存失败：该监控表在您编辑期间已被他人修改（或已提交），您的修改没有保存，也没有覆盖他人的修改。"
         "请重新打开页面，在最新内容上修改。")
COLOUR_LABELS = dict(Colour.choices)
REPORT_TRANSITIONS = frozenset(t.name for t in REPORT_WORKFLOW.transitions)
DISPOSITION_TRANSITIONS = frozenset(t.name for t in DISPOSITION_WORKFLOW.transitions)


def _errors(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def _attachment(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d%H%M")


def _round_from(request, actor, *, required: bool = False, among=()):
    """The round named by ?round= (validated, in the actor's reach), else the latest one. `among`: rounds already
    read for the picker (in reach), looked in first."""
    raw = request.GET.get("round") or request.POST.get("round")
    if raw:
        pk = _int(raw)
        if pk is None:
            raise Http404("监控轮次参数无效")
        return next((r for r in among if r.pk == pk), None) or selectors.round_get(actor, pk)
    if among:
        return among[0]
    rnd = selectors.latest_round(actor)
    if rnd is None and required:
        raise Http404("尚未开启监控轮次")
    return rnd


def _department_from(request, actor):
    raw = request.GET.get("department")
    if not raw:
        return None
    pk = _int(raw)
    if pk is None:
        raise Http404("主管部门参数无效")
    # Only a department whose subjects the actor sees: its name goes into titles and file names.
    dept = budget_selectors.filter_departments(actor).filter(pk=pk).first()
    if dept is None:
        raise Http404("主管部门不存在")
    return dept


def _colour_bars(counts: selectors.ColourCounts) -> list[dict]:
    """Bar widths (per cent of the total) for the locally drawn charts."""
    total = counts.total or 1
    return [{"colour": c, "label": label, "count": getattr(counts, c),
             "width": round(getattr(counts, c) * 100 / total, 1)}
            for c, label in (("red", "红色预警"), ("yellow", "黄色预警"), ("green", "绿色（正常）"),
                             ("blue", "蓝色（超进度）"), ("none", "未计算"))
            if c != "blue" or getattr(counts, c)]


def _department_rows(rows: list[selectors.DashboardRow], rnd, list_url: str) -> SafeString:
    """The body of the dashboard's department table, formatted here rather than in the template: a province's round
    has a hundred departments or more and the template engine would spend most of the page's time on them."""
    max_total = max((r.total for r in rows), default=1) or 1
    out = []
    for r in rows:
        c = r.colours
        css = "row-red" if c.red else "row-yellow" if c.yellow else ""
        bars = "".join(f'<div class="seg seg-{colour}" style="width:{round(getattr(c, colour) * 100 / max_total, 1)}%">'
                       "</div>" for colour in ("red", "yellow", "green", "blue", "none"))
        link = f"{list_url}?round={rnd.pk}&amp;department={r.key}"
        out.append(
            f'<tr class="{css}"><td><a href="?round={rnd.pk}&amp;department={r.key}">{escape(r.label)}</a></td>'
            f'<td><div class="stack">{bars}</div></td><td class="num">{r.total}</td><td class="num">{r.reported}</td>'
            f'<td class="num">{r.completion_pct}%</td>'
            f'<td class="num"><a href="{link}&amp;colour=red">{c.red}</a></td>'
            f'<td class="num"><a href="{link}&amp;colour=yellow">{c.yellow}</a></td>'
            f'<td class="num">{c.green}</td><td class="num">{r.needs_disposition}</td>'
            f'<td class="num">{r.execution_pct}%</td><td class="num">{r.behind.format_wan()}</td></tr>')
    if not out:
        out.append('<tr><td colspan="11" class="empty">没有数据</td></tr>')
    return mark_safe("\n".join(out))  # noqa: S308 - every text from the database is escaped above; the rest are numbers


# ---- dashboard -------------------------------------------------------------------------------------------------------

@login_required
def dashboard(request):
    actor = actor_for(request.user)
    if not actor.may(Action.AGGREGATE):
        raise PermissionDenied("您没有查看监控统计的权限")
    rounds = list(selectors.round_list(actor)[:40])
    rnd = _round_from(request, actor, among=rounds)
    if rnd is None:
        return render(request, "monitoring/dashboard.html", {"rnd": None, "rounds": rounds,
                                                             "can_open": actor.may(Action.APPROVE)})
    department = _department_from(request, actor)
    board = selectors.dashboard(actor, rnd, department=department)
    tp = services.round_time_progress(rnd)
    list_url = reverse("monitoring:report_list")
    return render(request, "monitoring/dashboard.html", {
        "rnd": rnd, "rounds": rounds, "department": department, "board": board, "tp": tp,
        "bars": _colour_bars(board.totals.colours), "indicator_bars": _colour_bars(board.indicator_colours),
        "department_rows": _department_rows(board.by_department, rnd, list_url),
        "regions": [] if department else selectors.region_summary(actor, rnd),
        "disposition_states": [(s, label, board.dispositions.get(s, 0))
                                                       for s, label in DispositionState.choices],
        "can_approve": can(actor, Action.APPROVE, rnd), "list_url": list_url,
        "can_export": actor.may(Action.EXPORT),
    })


# ---- rounds ----------------------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def round_list(request):
    from jixiao.organisations.models import Region

    actor = actor_for(request.user)
    if not actor.may(Action.VIEW):
        raise PermissionDenied("您没有查看绩效监控的权限")
    approver_regions = [g.region_id for g in actor.grants if g.role == Role.FINANCE_ADMIN]
    region = Region.objects.filter(pk__in=approver_regions).order_by("path").first()
    years = budget_selectors.fiscal_years()
    year = _int(request.POST.get("year") or request.GET.get("year")) or budget_selectors.default_year(years)
    if request.method == "POST":
        if region is None:
            raise PermissionDenied("只有财政部门绩效管理员可以开启监控轮次")
        point, month = _int(request.POST.get("point")), _int(request.POST.get("month"))
        if year is None or (point is None and month is None):
            messages.error(request, "请选择预算年度和监控节点")
            return redirect("monitoring:round_list")
        try:
            rnd = services.round_create(actor=actor, region=region, year=year, point=point, month=month,
                                        generate=False)
        except ValidationError as exc:
            messages.error(request, "未开启：" + "；".join(_errors(exc)))
            return redirect(reverse("monitoring:round_list") + f"?year={year}")
        job = tasks.start_generate(actor=actor, rnd=rnd)
        messages.success(request, f"已开启“{rnd}”，正在后台生成各项目的监控任务")
        return redirect("web:job_detail", pk=job.pk)
    rounds = list(selectors.round_list(actor, year))
    counts = dict(selectors.report_list(actor, None).filter(round__in=[r.pk for r in rounds]).order_by()
                  .values("round").annotate(n=Count("pk")).values_list("round", "n"))
    done = dict(selectors.report_list(actor, None).filter(round__in=[r.pk for r in rounds],
                                                           state__in=sorted(DONE_STATES)).order_by()
                .values("round").annotate(n=Count("pk")).values_list("round", "n"))
    planned = []
    if region is not None and year:
        opened = {(r.kind, r.period_end) for r in rounds if r.region_id == region.pk}
        planned = [p for p in services.planned_rounds(region, year) if (p.kind, p.period_end) not in opened]
    return render(request, "monitoring/round_list.html", {
        "rounds": [{"rnd": r, "count": counts.get(r.pk, 0), "done": done.get(r.pk, 0),
                    "pct": share(done.get(r.pk, 0), counts.get(r.pk, 0)),
                    "can_approve": can(actor, Action.APPROVE, r)} for r in rounds],
        "planned": planned, "region": region, "year": year, "years": years})


@login_required
@require_POST
def round_compute(request, pk):
    actor = actor_for(request.user)
    rnd = selectors.round_get(actor, pk)
    if not can(actor, Action.APPROVE, rnd):
        raise PermissionDenied("只有本级财政部门可以计算监控预警")
    job = tasks.start_compute(actor=actor, rnd=rnd)
    messages.success(request, f"正在后台计算“{rnd}”的预警")
    return redirect("web:job_detail", pk=job.pk)


@login_required
@require_POST
def round_generate(request, pk):
    actor = actor_for(request.user)
    rnd = selectors.round_get(actor, pk)
    if not can(actor, Action.APPROVE, rnd):
        raise PermissionDenied("只有本级财政部门可以生成监控任务")
    job = tasks.start_generate(actor=actor, rnd=rnd)
    messages.success(request, f"正在后台补充生成“{rnd}”的监控任务")
    return redirect("web:job_detail", pk=job.pk)


@login_required
def round_document(request, pk):
    """The monitoring report (绩效运行监控报告) in Word (editable) or PDF (?format=pdf), for the region or one
    department."""
    from jixiao.core.outline import PdfUnavailable
    from jixiao.monitoring import document

    actor = actor_for(request.user)
    if not actor.may(Action.AGGREGATE):
        raise PermissionDenied("您没有导出监控报告的权限")
    rnd = selectors.round_get(actor, pk)
    department = _department_from(request, actor)
    who = department.name if department else rnd.region.name
    if request.GET.get("format") == "pdf":
        try:
            content = document.round_pdf(actor, rnd, department=department)
        except PdfUnavailable:
            messages.error(request, "本服务器未安装 PDF 排版组件（Pango），暂不能生成 PDF，请下载 Word 版。")
            back = reverse("monitoring:dashboard") + f"?round={rnd.pk}"
            return redirect(back + (f"&department={department.pk}" if department else ""))
        return _attachment(content, f"{who}{rnd}绩效运行监控报告_{_stamp()}.pdf", "application/pdf")
    content = document.round_document(actor, rnd, department=department)
    return _attachment(content, f"{who}{rnd}绩效运行监控报告_{_stamp()}.docx", DOCX)


# ---- reports ---------------------------------------------------------------------------------------------------------

def _report_filters(request, actor) -> tuple[dict, list[str]]:
    """The list's filters from the query string; invalid values are named and ignored."""
    f, bad = {}, []
    for key in ("department", "unit"):
        raw = request.GET.get(key)
        if raw:
            value = _int(raw)
            (f.__setitem__(key, value) if value else bad.append(key))
    checks = {"state": ReportState.values, "colour": [*Colour.values, "none"], "budget_kind": BudgetKind.values}
    for key, allowed in checks.items():
        raw = request.GET.get(key)
        if raw:
            (f.__setitem__(key, raw) if raw in allowed else bad.append(key))
    for key in ("needs_disposition", "is_key", "impossible"):
        if request.GET.get(key) in ("1", "true", "on"):
            f[key] = True
    q = (request.GET.get("q") or "").strip()[:100]
    if q:
        f["q"] = q
    return f, bad


FILTER_LABELS = {"department": "主管部门", "unit": "预算单位", "state": "状态", "colour": "预警颜色",
                 "budget_kind": "预算类别"}


@login_required
def report_list(request):
    actor = actor_for(request.user)
    if not actor.may(Action.VIEW):
        raise PermissionDenied("您没有查看绩效监控的权限")
    rnd = _round_from(request, actor)
    filters, bad = _report_filters(request, actor)
    for key in bad:
        messages.error(request, f"查询条件“{FILTER_LABELS[key]}”的值无效，已忽略")
    qs = selectors.report_list(actor, rnd, filters) if rnd else selectors.report_list(actor, None).none()
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    count_filters = {k: v for k, v in filters.items() if k != "colour"}
    colour_counts = (dict(selectors.report_list(actor, rnd, count_filters).order_by().values("colour")
                          .annotate(n=Count("pk")).values_list("colour", "n")) if rnd else {})
    departments = (Department.objects.filter(pk__in=selectors.report_list(actor, rnd).order_by()
                                             .values("department_id")).order_by("code") if rnd else [])
    return render(request, "monitoring/report_list.html", {
        "rnd": rnd, "rounds": list(selectors.round_list(actor)[:40]), "page": page, "filters": filters,
        "query": query.urlencode(), "colour_counts": [(c, COLOUR_LABELS[c], colour_counts.get(c, 0))
                                                       for c in ("red", "yellow", "green")],
        "unset": colour_counts.get("", 0), "states": ReportState.choices, "budget_kinds": BudgetKind.choices,
        "departments": departments, "todo": selectors.todo_reports(actor)[:20] if actor.may(Action.EDIT) else [],
        "queue": selectors.review_queue(actor)[:20]})


def _row_view(rows, explanation) -> list[dict]:
    causes = dict(DeviationCause.choices)
    out = []
    for row, res in zip(rows, explanation.indicators, strict=True):
        out.append({"row": row, "res": res, "explain": res.explain(),
                    "causes": "、".join(causes.get(c, c) for c in row.deviation_causes or [])})
    return out


@login_required
def report_detail(request, pk):
    actor = actor_for(request.user)
    report = selectors.report_get(actor, pk)
    rows = selectors.report_rows(report)
    explanation = services.report_explanation(report)
    transitions = workflow.available_transitions(actor, report)
    roles = dict(Role.choices)
    steps = [{"step": st, "from": REPORT_WORKFLOW.label(st.from_state), "to": REPORT_WORKFLOW.label(st.to_state),
              "role": roles.get(st.actor_role, st.actor_role)} for st in workflow.steps_for(report)]
    disposition = MonitoringDisposition.objects.filter(report=report).first()
    problems = services.report_problems(report) if can(actor, Action.EDIT, report) else {}
    return render(request, "monitoring/report_detail.html", {
        "report": report, "subject": report.subject, "rnd": report.round, "rows": _row_view(rows, explanation),
        "ex": explanation, "transitions": transitions, "steps": steps, "disposition": disposition,
        "problems": [m for ms in problems.values() for m in ms],
        "can_edit": can(actor, Action.EDIT, report), "can_key": can(actor, Action.APPROVE, report),
        "show_history": not actor.has_role(*OUTSIDER_ROLES) or actor.may(Action.AUDIT),
        "is_wide": report.subject.kind in ("department_wide", "unit_wide")})


def _form_data(post) -> dict:
    """The editor's POST as `services.report_save` data (rows by position)."""
    data: dict = {}
    for f in ("spent_to_date", "expected_year_end", "goal_progress", "duties", "remark", "spent_note"):
        if f in post:
            data[f] = post.get(f, "")
    tasks_progress = [post.get(f"task-{i}-progress", "") for i in range(200) if f"task-{i}-progress" in post]
    if tasks_progress:
        data["main_tasks"] = [{"progress": p} for p in tasks_progress]
    rows: dict[str, dict] = {}
    for key in post:
        if not key.startswith("row-"):
            continue
        parts = key.split("-", 2)
        if len(parts) != 3:
            continue
        _, position, field = parts
        item = rows.setdefault(position, {})
        if field == "deviation_causes":
            item[field] = post.getlist(key)
        else:
            item[field] = post.get(key, "")
    for position in {k.split("-")[1] for k in post if k.startswith("rowpos-")}:
        rows.setdefault(position, {}).setdefault("deviation_causes", [])
    if rows:
        data["rows"] = rows
    return data


@login_required
@require_http_methods(["GET", "POST"])
def report_edit(request, pk):
    actor = actor_for(request.user)
    report = selectors.report_get(actor, pk)
    if not can(actor, Action.EDIT, report):
        if can(actor, Action.SUBMIT, report):
            messages.error(request, f"当前状态为“{report.get_state_display()}”，不能修改")
            return redirect("monitoring:report_detail", pk=report.pk)
        raise PermissionDenied("您没有填报该监控表的权限")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        def submit():
            services.report_transition(actor=actor, report=report, name="submit")
            return report.get_state_display()

        response, errors = save_then_submit(
            request, pk=report.pk, detail="monitoring:report_detail", edit="monitoring:report_edit", stale=STALE,
            save=lambda: services.report_save(actor=actor, report=report, data=_form_data(request.POST),
                                              expected_lock_version=_int(request.POST.get("lock_version")) or 0),
            submit=submit)
        if response is not None:
            return response
    rows = selectors.report_rows(report)
    explanation = services.report_explanation(report)
    return render(request, "monitoring/report_edit.html", {
        "report": report, "subject": report.subject, "rnd": report.round, "rows": _row_view(rows, explanation),
        "ex": explanation, "errors": errors, "causes": DeviationCause.choices, "likelihoods": Likelihood.choices,
        "achievements": Achievement.choices, "is_wide": report.subject.kind in ("department_wide", "unit_wide"),
        "post": request.POST if request.method == "POST" else None})


@login_required
@require_POST
def report_transition(request, pk):
    report = selectors.report_get(actor_for(request.user), pk)
    return run_transition(request, doc=report, names=REPORT_TRANSITIONS, flow=REPORT_WORKFLOW, what="监控表",
                       detail="monitoring:report_detail",
                       service=lambda **kw: services.report_transition(report=report, **kw))


@login_required
@require_POST
def report_key(request, pk):
    actor = actor_for(request.user)
    report = selectors.report_get(actor, pk)
    stop = request.POST.get("disbursement")
    try:
        services.key_monitoring_set(actor=actor, report=report, is_key=request.POST.get("is_key") == "1",
                                    note=request.POST.get("key_note", "")[:300],
                                    stop_disbursement={"stop": True, "resume": False}.get(stop))
    except ValidationError as exc:
        messages.error(request, "未保存：" + "；".join(_errors(exc)))
    else:
        messages.success(request, "已保存财政重点监控设置")
    return redirect("monitoring:report_detail", pk=report.pk)


@login_required
def report_download(request, pk):
    from jixiao.monitoring import excel

    actor = actor_for(request.user)
    report = selectors.report_get(actor, pk)
    content = excel.report_workbook(report)
    return _attachment(content, f"{report.subject.code}_{report.round.name}监控表_{_stamp()}.xlsx", XLSX)


@login_required
@require_POST
def report_upload(request, pk):
    from jixiao.monitoring import excel

    actor = actor_for(request.user)
    report = selectors.report_get(actor, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "请选择要上传的监控表（.xlsx）")
        return redirect("monitoring:report_edit", pk=report.pk)
    if upload.size > 10 * 1024 * 1024:
        messages.error(request, "文件过大（超过10MB），请检查是否选错文件")
        return redirect("monitoring:report_edit", pk=report.pk)
    try:
        notes: list[str] = []
        problems = excel.report_upload(actor=actor, report=report, file=upload, notes=notes,
                                       expected_lock_version=_int(request.POST.get("lock_version")) or 0)
        for note in notes:
            messages.info(request, f"导入说明：{note}")
    except ConcurrentEditError:
        messages.error(request, STALE)
    except ValidationError as exc:
        messages.error(request, "未导入，监控表没有任何改动：" + "；".join(_errors(exc)))
    else:
        if problems:
            messages.error(request, "已导入。提交前还须处理：" + "；".join(m for ms in problems.values() for m in ms))
        else:
            messages.success(request, "已导入，可以提交")
    return redirect("monitoring:report_edit", pk=report.pk)


# ---- dispositions ----------------------------------------------------------------------------------------------------

@login_required
def disposition_list(request):
    actor = actor_for(request.user)
    if not actor.may(Action.VIEW):
        raise PermissionDenied("您没有查看预警处置的权限")
    f: dict = {}
    rnd_id = _int(request.GET.get("round"))
    if rnd_id:
        f["round"] = selectors.round_get(actor, rnd_id).pk
    state = request.GET.get("state")
    if state:
        if state in DispositionState.values:
            f["state"] = state
        else:
            messages.error(request, "查询条件“状态”的值无效，已忽略")
    dept = _int(request.GET.get("department"))
    if dept:
        f["department"] = dept
    if request.GET.get("overdue") in ("1", "true", "on"):
        f["overdue"] = True
    page = Paginator(selectors.disposition_list(actor, f), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "monitoring/disposition_list.html", {
        "page": page, "filters": f, "states": DispositionState.choices, "query": query.urlencode(),
        "queue": selectors.disposition_queue(actor)[:20], "today": timezone.localdate()})


@login_required
@require_http_methods(["GET", "POST"])
def disposition_detail(request, pk):
    actor = actor_for(request.user)
    d = selectors.disposition_get(actor, pk)
    params = services.round_params(d.report.round)
    if request.method == "POST":
        if not can(actor, Action.EDIT, d):
            raise PermissionDenied("当前不能修改该处置")
        try:
            services.disposition_save(actor=actor, disposition=d, data=request.POST,
                                      expected_lock_version=_int(request.POST.get("lock_version")) or 0)
        except ConcurrentEditError:
            messages.error(request, "保存失败：该处置已被他人修改，您的修改没有保存。请在最新内容上重新填写。")
        except ValidationError as exc:
            messages.error(request, "未保存：" + "；".join(_errors(exc)))
        else:
            if request.POST.get("then") == "propose":
                try:
                    services.disposition_transition(actor=actor, disposition=d, name="propose")
                except ValidationError as exc:
                    messages.error(request, "已保存，但未提交：" + "；".join(_errors(exc)))
                else:
                    messages.success(request, "已提交处置意见，待财政确认")
            else:
                messages.success(request, "已保存")
        return redirect("monitoring:disposition_detail", pk=d.pk)
    roles = dict(Role.choices)
    steps = [{"step": st, "from": DISPOSITION_WORKFLOW.label(st.from_state),
              "to": DISPOSITION_WORKFLOW.label(st.to_state), "role": roles.get(st.actor_role, st.actor_role)}
             for st in workflow.steps_for(d)]
    return render(request, "monitoring/disposition_detail.html", {
        "d": d, "report": d.report, "subject": d.subject, "measures": [(m, Measure(m).label)
                                                                        for m in params.disposition_options],
        "can_edit": can(actor, Action.EDIT, d), "transitions": workflow.available_transitions(actor, d),
        "steps": steps, "problems": [m for ms in services.disposition_problems(d).values() for m in ms]
        if d.measure and can(actor, Action.EDIT, d) else [],
        "overdue": d.state in (DispositionState.OPEN,) and d.due and d.due < timezone.localdate()})


@login_required
@require_POST
def disposition_transition(request, pk):
    d = selectors.disposition_get(actor_for(request.user), pk)
    return run_transition(request, doc=d, names=DISPOSITION_TRANSITIONS, flow=DISPOSITION_WORKFLOW, what="处置",
                       detail="monitoring:disposition_detail",
                       service=lambda **kw: services.disposition_transition(disposition=d, **kw))


# ---- year-end sweep --------------------------------------------------------------------------------------------------

@login_required
def sweep(request):
    from jixiao.monitoring import exports

    actor = actor_for(request.user)
    if not actor.may(Action.AGGREGATE):
        raise PermissionDenied("您没有查看该清单的权限")
    rnd = _round_from(request, actor, required=True)
    department = _department_from(request, actor)
    if request.GET.get("format") == "xlsx":
        if not actor.may(Action.EXPORT):
            raise PermissionDenied("您没有导出权限")
        groups, truncated = selectors.year_end_sweep(actor, rnd, department=department)
        return _attachment(exports.sweep_workbook(rnd, groups, truncated=truncated),
                           f"{rnd}执行滞后及无法完成目标项目清单_{_stamp()}.xlsx", XLSX)
    groups, truncated = selectors.year_end_sweep(actor, rnd, department=department, limit=1000)
    return render(request, "monitoring/sweep.html", {
        "rnd": rnd, "rounds": list(selectors.round_list(actor)[:40]), "groups": groups, "truncated": truncated,
        "department": department})
