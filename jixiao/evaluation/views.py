"""Screens of evaluation (绩效评价): self-evaluation rounds, the sheets' list, the unit's sheet (scores explained
line by line), the department's and bureau's review, the department roll-up, and trial scoring of published tables.

Thin: reads through `selectors`, writes through `services`; every score is explained by `rules`."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.agencies.selectors import agency_options, commission_list
from jixiao.budget import selectors as budget_selectors
from jixiao.budget.models import BudgetKind
from jixiao.core import workflow
from jixiao.core.permissions import OUTSIDER_ROLES, Action, actor_for, can
from jixiao.core.views import error_messages as _messages
from jixiao.core.views import int_or_none as _int
from jixiao.core.workflow import ConcurrentEditError
from jixiao.core.workflow_views import run_transition, save_then_submit
from jixiao.evaluation import rules, selectors, services, tasks
from jixiao.evaluation.forms import TrialUploadForm
from jixiao.evaluation.workflows import SELF_EVALUATION_WORKFLOW, SelfEvaluationState
from jixiao.organisations.models import Department, Role
from jixiao.policy.schema import Grade, QualitativeTier

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
STALE = ("保存失败：该自评表在您编辑期间已被他人修改（或已提交），您的修改没有保存，也没有覆盖他人的修改。"
         "请重新打开页面，在最新内容上修改。")
TRANSITIONS = frozenset(t.name for t in SELF_EVALUATION_WORKFLOW.transitions)
FILTER_LABELS = {"department": "主管部门", "state": "状态", "grade": "等级", "budget_kind": "预算类别"}


def _round_from(request, actor):
    """The round named by ?round= (in the actor's reach; 404 otherwise), else the latest one, or None."""
    pk = request.GET.get("round")
    if pk:
        return selectors.round_get(actor, pk)
    return selectors.round_list(actor).first()


# --- rounds -------------------------------------------------------------------------------------------------------
@login_required
def round_list(request):
    from jixiao.organisations.models import Region

    actor = actor_for(request.user)
    if not actor.may(Action.VIEW):
        raise PermissionDenied("您没有查看绩效评价的权限")
    approver_regions = [g.region_id for g in actor.grants if g.role == Role.FINANCE_ADMIN]
    region = Region.objects.filter(pk__in=approver_regions).order_by("path").first()
    years = budget_selectors.fiscal_years()
    if request.method == "POST":
        if region is None:
            raise PermissionDenied("只有财政部门绩效管理员可以开启单位自评")
        year = _int(request.POST.get("year"))
        due = None
        if request.POST.get("due"):
            try:
                due = datetime.date.fromisoformat(request.POST["due"])
            except ValueError:
                messages.error(request, "未开启：截止日期格式应为 YYYY-MM-DD")
                return redirect("evaluation:round_list")
        if year is None:
            messages.error(request, "未开启：请选择评价年度")
            return redirect("evaluation:round_list")
        try:
            rnd = services.round_create(actor=actor, region=region, year=year, due=due, generate=False)
        except ValidationError as exc:
            messages.error(request, "未开启：" + "；".join(_messages(exc)))
            return redirect("evaluation:round_list")
        job = tasks.start_generate(actor=actor, rnd=rnd)
        messages.success(request, f"已开启“{rnd}”，正在后台生成各项目的自评表")
        return redirect("web:job_detail", pk=job.pk)
    rounds = list(selectors.round_list(actor))
    return render(request, "evaluation/round_list.html", {
        "rounds": rounds, "region": region, "years": years,
        "default_year": (budget_selectors.default_year(years) or timezone.localdate().year) - 1})


@login_required
@require_POST
def round_score(request, pk):
    actor = actor_for(request.user)
    rnd = selectors.round_get(actor, pk)
    if not can(actor, Action.APPROVE, rnd):
        raise PermissionDenied("只有本级财政部门可以重新计分")
    job = tasks.start_score(actor=actor, rnd=rnd)
    messages.success(request, "正在后台按政策配置重新计分")
    return redirect("web:job_detail", pk=job.pk)


# --- sheets -------------------------------------------------------------------------------------------------------
def _filters(request) -> tuple[dict, list[str]]:
    f, bad = {}, []
    dept = request.GET.get("department")
    if dept:
        if _int(dept) is None:
            bad.append("department")
        else:
            f["department"] = _int(dept)
    for key, allowed in (("state", SelfEvaluationState.values), ("grade", [*Grade.values, "none"]),
                         ("budget_kind", BudgetKind.values)):
        value = request.GET.get(key)
        if value:
            if value in allowed:
                f[key] = value
            else:
                bad.append(key)
    for key in ("needs_explanation", "overshoot"):
        if request.GET.get(key):
            f[key] = True
    if request.GET.get("q"):
        f["q"] = request.GET["q"][:100]
    return f, bad


@login_required
def evaluation_list(request):
    actor = actor_for(request.user)
    if not actor.may(Action.VIEW):
        raise PermissionDenied("您没有查看绩效评价的权限")
    rnd = _round_from(request, actor)
    filters, bad = _filters(request)
    for key in bad:
        messages.error(request, f"查询条件“{FILTER_LABELS[key]}”的值无效，已忽略")
    qs = selectors.evaluation_list(actor, rnd, filters) if rnd else selectors.evaluation_list(actor, None).none()
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    departments = (Department.objects.filter(pk__in=selectors.evaluation_list(actor, rnd).order_by()
                                             .values("department_id")).order_by("code") if rnd else [])
    return render(request, "evaluation/evaluation_list.html", {
        "rnd": rnd, "rounds": list(selectors.round_list(actor)[:40]), "page": page, "filters": filters,
        "query": query.urlencode(), "states": SelfEvaluationState.choices, "grades": Grade.choices,
        "budget_kinds": BudgetKind.choices, "departments": departments,
        "todo": selectors.todo_evaluations(actor)[:20] if actor.may(Action.EDIT) else [],
        "queue": selectors.review_queue(actor)[:20]})


def _line_view(lines, result) -> list[dict]:
    return [{"line": ln, "res": ls, "explain": ls.explain()} for ln, ls in zip(lines, result.lines, strict=True)]


def _context(actor, ev) -> dict:
    lines = selectors.evaluation_lines(ev)
    result = services.evaluation_result(ev, lines=lines)
    return {"ev": ev, "subject": ev.subject, "rnd": ev.round, "lines": _line_view(lines, result), "result": result,
            "execution_explain": result.execution.explain(rules.FundsInput(ev.annual_budget, ev.executed,
                                                                           received=ev.received)),
            "is_wide": ev.subject.kind in ("department_wide", "unit_wide"),
            "grade_label": Grade(result.grade).label,
            "breakdown": [(key, label, ev.funds_breakdown.get(key, {})) for key, label in services.BREAKDOWN_ROWS]}


@login_required
def evaluation_detail(request, pk):
    actor = actor_for(request.user)
    ev = selectors.evaluation_get(actor, pk)
    roles = dict(Role.choices)
    steps = [{"step": st, "from": SELF_EVALUATION_WORKFLOW.label(st.from_state),
              "to": SELF_EVALUATION_WORKFLOW.label(st.to_state), "role": roles.get(st.actor_role, st.actor_role)}
             for st in workflow.steps_for(ev)]
    ctx = _context(actor, ev)
    problems = services.evaluation_problems(ev, ctx["result"]) if can(actor, Action.EDIT, ev) else {}
    return render(request, "evaluation/evaluation_detail.html", {
        **ctx, "transitions": workflow.available_transitions(actor, ev), "steps": steps,
        "problems": [m for ms in problems.values() for m in ms], "can_edit": can(actor, Action.EDIT, ev),
        "show_history": not actor.has_role(*OUTSIDER_ROLES) or actor.may(Action.AUDIT)})


def _form_data(post) -> dict:
    """The editor's POST as `services.evaluation_save` data (lines by position)."""
    data: dict = {f: post.get(f, "") for f in ("executed", "received", *services.TEXT_FIELDS) if f in post}
    if "finished" in post:
        data["finished"] = {"1": True, "0": False}.get(post.get("finished"))
    breakdown = {}
    for key, _ in services.BREAKDOWN_ROWS:
        row = {c: post.get(f"fund-{key}-{c}", "") for c in services.BREAKDOWN_COLUMNS if f"fund-{key}-{c}" in post}
        if row:
            breakdown[key] = row
    if breakdown:
        data["funds_breakdown"] = breakdown
    results = [post.get(f"task-{i}-result", "") for i in range(200) if f"task-{i}-result" in post]
    if results:
        data["main_tasks"] = [{"result": r} for r in results]
    lines: dict[str, dict] = {}
    for key in post:
        if key.startswith("line-"):
            parts = key.split("-", 2)
            if len(parts) == 3:
                lines.setdefault(parts[1], {})[parts[2]] = post.get(key, "")
    if lines:
        data["lines"] = lines
    return data


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_edit(request, pk):
    actor = actor_for(request.user)
    ev = selectors.evaluation_get(actor, pk)
    if not can(actor, Action.EDIT, ev):
        if can(actor, Action.SUBMIT, ev):
            messages.error(request, f"当前状态为“{ev.get_state_display()}”，不能修改")
            return redirect("evaluation:evaluation_detail", pk=ev.pk)
        raise PermissionDenied("您没有填报该自评表的权限")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        def submit():
            services.evaluation_transition(actor=actor, evaluation=ev, name="submit")
            return ev.get_state_display()

        response, errors = save_then_submit(
            request, pk=ev.pk, detail="evaluation:evaluation_detail", edit="evaluation:evaluation_edit", stale=STALE,
            save=lambda: services.evaluation_save(actor=actor, evaluation=ev, data=_form_data(request.POST),
                                                  expected_lock_version=_int(request.POST.get("lock_version")) or 0),
            submit=submit)
        if response is not None:
            return response
    ctx = _context(actor, ev)
    for item in ctx["lines"]:
        prefix = f"lines.{item['line'].position + 1}."
        item["errors"] = [m for key, msgs in errors.items() if key.startswith(prefix) for m in msgs]
    return render(request, "evaluation/evaluation_edit.html", {
        **ctx, "errors": errors, "tiers": QualitativeTier.choices,
        "overshoot_reasons": list(rules.OVERSHOOT_REASONS.items())})


@login_required
@require_POST
def evaluation_transition(request, pk):
    ev = selectors.evaluation_get(actor_for(request.user), pk)
    return run_transition(request, doc=ev, names=TRANSITIONS, flow=SELF_EVALUATION_WORKFLOW, what="自评表",
                          detail="evaluation:evaluation_detail",
                          service=lambda **kw: services.evaluation_transition(evaluation=ev, **kw))


@login_required
def evaluation_download(request, pk):
    from django.http import HttpResponse
    from django.utils.http import content_disposition_header

    from jixiao.evaluation import excel

    ev = selectors.evaluation_get(actor_for(request.user), pk)
    response = HttpResponse(excel.evaluation_workbook(ev), content_type=XLSX)
    name = f"{ev.subject.code}_{ev.subject.name}_绩效自评表_{timezone.localtime().strftime('%Y%m%d%H%M')}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@login_required
@require_POST
def evaluation_upload(request, pk):
    from jixiao.evaluation import excel

    actor = actor_for(request.user)
    ev = selectors.evaluation_get(actor, pk)
    if not can(actor, Action.EDIT, ev):
        raise PermissionDenied("您没有填报该自评表的权限")
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "未导入：请选择已填写的自评表Excel文件")
        return redirect("evaluation:evaluation_edit", pk=ev.pk)
    if not (upload.name or "").lower().endswith((".xlsx", ".xlsm")):
        messages.error(request, "未导入：请上传从本系统下载的 .xlsx 文件")
        return redirect("evaluation:evaluation_edit", pk=ev.pk)
    try:
        problems = excel.upload(actor=actor, evaluation=ev, data=b"".join(upload.chunks()), filename=upload.name)
    except ConcurrentEditError as exc:
        messages.error(request, "未导入：" + "；".join(exc.messages))
    except ValidationError as exc:
        messages.error(request, "未导入，文件中有以下问题（没有写入任何内容）：" + "；".join(_messages(exc)))
    else:
        if problems:
            messages.warning(request, "已导入。提交前还须处理：" + "；".join(m for ms in problems.values() for m in ms))
        else:
            messages.success(request, "已导入，可以提交")
    return redirect("evaluation:evaluation_edit", pk=ev.pk)


@login_required
def rollup(request):
    """部门项目支出绩效自评汇总: per department, coverage, amounts, average score and grades."""
    actor = actor_for(request.user)
    if not actor.may(Action.VIEW):
        raise PermissionDenied("您没有查看绩效评价的权限")
    rnd = _round_from(request, actor)
    department = _int(request.GET.get("department"))
    rows, total = selectors.department_rollup(actor, rnd, department=department) if rnd else ([], None)
    return render(request, "evaluation/rollup.html", {
        "rnd": rnd, "rounds": list(selectors.round_list(actor)[:40]), "rows": rows, "total": total,
        "grades": Grade.choices, "can_score": rnd is not None and can(actor, Action.APPROVE, rnd)})


@login_required
def rollup_document(request, pk):
    """The self-evaluation summary report in Word (editable) or PDF (?format=pdf), for the region or a department."""
    from django.http import HttpResponse
    from django.utils.http import content_disposition_header

    from jixiao.core.outline import PdfUnavailable
    from jixiao.evaluation import document

    actor = actor_for(request.user)
    if not actor.may(Action.AGGREGATE):
        raise PermissionDenied("您没有导出自评总结报告的权限")
    rnd = selectors.round_get(actor, pk)
    department = None
    if request.GET.get("department"):
        department = Department.objects.filter(pk=_int(request.GET["department"])).first()
        if department is None or not selectors.evaluation_list(actor, rnd, {"department": department.pk}).exists():
            raise Http404("主管部门不存在或不在您的权限范围内")
    who = department.name if department else rnd.region.name
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    if request.GET.get("format") == "pdf":
        try:
            content, ext, kind = document.rollup_pdf(actor, rnd, department=department), "pdf", "application/pdf"
        except PdfUnavailable:
            messages.error(request, "本服务器未安装 PDF 排版组件（Pango），暂不能生成 PDF，请下载 Word 版。")
            return redirect(reverse("evaluation:rollup") + f"?round={rnd.pk}")
    else:
        content, ext, kind = document.rollup_document(actor, rnd, department=department), "docx", DOCX
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = content_disposition_header(True, f"{who}{rnd}自评总结报告_{stamp}.{ext}")
    return response


# --- department and fiscal evaluations ----------------------------------------------------------------------------
@login_required
def evaluation_records(request):
    """The evaluation lists: department evaluations, fiscal evaluations and re-evaluations, and opening one."""
    from jixiao.evaluation import evaluations as ev_services
    from jixiao.evaluation.models import EvaluationKind, EvaluationPeriod
    from jixiao.organisations.models import Agency

    actor = actor_for(request.user)
    if not actor.may(Action.VIEW):
        raise PermissionDenied("您没有查看绩效评价的权限")
    years = budget_selectors.fiscal_years()
    year = _int(request.GET.get("year")) or budget_selectors.default_year(years)
    if request.method == "POST":
        code = request.POST.get("subject_code", "").strip()
        subject = (budget_selectors.subject_list(actor).filter(code=code, fiscal_year__year=year).first()
                   if code else None)
        reviewed = None
        if request.POST.get("reviewed"):  # only an evaluation the actor may see
            reviewed = selectors.evaluations(actor).filter(pk=_int(request.POST["reviewed"])).first()
        agency = Agency.objects.filter(pk=_int(request.POST.get("agency"))).first() if request.POST.get(
            "agency") else None
        if subject is None:
            messages.error(request, f"未创建：{year}年度没有您可见的项目编码“{code}”")
        else:
            try:
                ev = ev_services.evaluation_create(
                    actor=actor, subject=subject, kind=request.POST.get("kind", ""), year=year,
                    title=request.POST.get("title", ""), period=request.POST.get("period", "annual"),
                    scope=request.POST.get("scope", ""), agency=agency, reviewed=reviewed)
            except ValidationError as exc:
                messages.error(request, "未创建：" + "；".join(_messages(exc)))
            else:
                messages.success(request, f"已列入评价：{ev.title}")
                return redirect("evaluation:record_detail", pk=ev.pk)
        return redirect(reverse("evaluation:records") + f"?year={year}")
    kind = request.GET.get("kind") if request.GET.get("kind") in EvaluationKind.values else None
    qs = selectors.evaluations(actor, year=year, kind=kind)
    return render(request, "evaluation/records.html", {
        "page": Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page")), "years": years, "year": year,
        "kind": kind, "kinds": EvaluationKind.choices, "periods": EvaluationPeriod.choices,
        "agencies": agency_options(actor),
        "can_create": actor.may(Action.SUBMIT) or actor.may(Action.APPROVE),
        "archived": list(selectors.evaluations(actor).filter(state="archived")[:200])})


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_record(request, pk):
    from jixiao.evaluation import evaluations as ev_services
    from jixiao.evaluation.models import DOCUMENT_KINDS
    from jixiao.evaluation.workflows import STEP_DOCUMENTS, STEPS

    actor = actor_for(request.user)
    ev = selectors.evaluation_record_get(actor, pk)
    if request.method == "POST":
        what = request.POST.get("what")
        try:
            if what == "texts":
                ev_services.evaluation_update(actor=actor, evaluation=ev, data={
                    "scope": request.POST.get("scope", ""), "conclusion": request.POST.get("conclusion", ""),
                    "methods": [m for m in request.POST.get("methods", "").replace("，", ",").split(",")]},
                    expected_lock_version=_int(request.POST.get("lock_version")) or 0)
            elif what == "document":
                ev_services.document_add(actor=actor, evaluation=ev, kind=request.POST.get("kind", ""),
                                         title=request.POST.get("title", ""), content=request.POST.get("content", ""),
                                         reference=request.POST.get("reference", ""))
            elif what == "indicators":
                rows = []
                for i in range(60):
                    if request.POST.get(f"ind-{i}-name", "").strip():
                        rows.append({f: request.POST.get(f"ind-{i}-{f}", "")
                                     for f in ("level1", "level2", "name", "weight", "standard", "score", "basis")})
                warnings = ev_services.indicators_save(actor=actor, evaluation=ev, rows=rows,
                                                       expected_lock_version=_int(request.POST.get("lock_version"))
                                                       or 0)
                for w in warnings:
                    messages.warning(request, w)
            else:
                messages.error(request, "未知操作")
                return redirect("evaluation:record_detail", pk=ev.pk)
        except ConcurrentEditError:
            messages.error(request, "保存失败：该评价已被他人修改，请刷新后重试。")
        except ValidationError as exc:
            messages.error(request, "未保存：" + "；".join(_messages(exc)))
        else:
            messages.success(request, "已保存")
        return redirect("evaluation:record_detail", pk=ev.pk)
    kinds = dict(DOCUMENT_KINDS)
    docs = list(ev.documents.select_related("added_by"))
    steps = [{"step": s, "current": s == ev.state, "done": STEPS.index(s) < STEPS.index(ev.state),
              "documents": [d for d in docs if d.step == s],
              "needs": [kinds[k] for k in STEP_DOCUMENTS.get(s, ())]} for s in STEPS[:-1]]
    indicators = list(ev.indicators.all())
    blank = max(3, 12 - len(indicators))
    from jixiao.indicators.models import Level1

    return render(request, "evaluation/record_detail.html", {
        "ev": ev, "steps": steps, "commission": commission_list(actor).filter(evaluation=ev).first(),
        "indicators": indicators, "blank": range(len(indicators), len(indicators) + blank),
        "level1s": list(Level1.choices), "problems": ev_services.step_problems(ev),
        "system_problems": ev_services.system_problems(ev, indicators) if indicators else [],
        "kinds_now": [(k, kinds[k]) for k in (*STEP_DOCUMENTS.get(ev.state, ()), "other")],
        "transitions": workflow.available_transitions(actor, ev), "archived": ev.state == "archived"})


@login_required
def evaluation_record_document(request, pk):
    """The evaluation report (10号 附3 outline) in Word (editable) or PDF (?format=pdf)."""
    from django.http import HttpResponse
    from django.utils.http import content_disposition_header

    from jixiao.core.outline import PdfUnavailable
    from jixiao.evaluation import document

    ev = selectors.evaluation_record_get(actor_for(request.user), pk)
    if request.GET.get("format") == "pdf":
        try:
            content, ext, kind = document.evaluation_pdf(ev), "pdf", "application/pdf"
        except PdfUnavailable:
            messages.error(request, "本服务器未安装 PDF 排版组件（Pango），暂不能生成 PDF，请下载 Word 版。")
            return redirect("evaluation:record_detail", pk=ev.pk)
    else:
        content, ext, kind = document.evaluation_document(ev), "docx", DOCX
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = content_disposition_header(True, f"{ev.title}报告.{ext}")
    return response


@login_required
@require_POST
def evaluation_record_transition(request, pk):
    from jixiao.evaluation import evaluations as ev_services

    ev = selectors.evaluation_record_get(actor_for(request.user), pk)
    return run_transition(request, doc=ev, names=frozenset(t.name for t in ev.workflow.transitions),
                          flow=ev.workflow, what="评价", detail="evaluation:record_detail",
                          service=lambda **kw: ev_services.evaluation_transition(evaluation=ev, **kw))


# --- spot checks --------------------------------------------------------------------------------------------------
@login_required
def spot_check(request):
    """The round's spot check: the draw (the bureau), its strata, the drawn sheets with who re-checks them, the gaps
    and inflation flags; an agency sees the items it was commissioned for."""
    from jixiao.evaluation import spot_checks
    from jixiao.evaluation.models import SpotCheck
    from jixiao.evaluation.workflows import SpotCheckState

    actor = actor_for(request.user)
    if not actor.may(Action.VIEW):
        raise PermissionDenied("您没有查看抽查复核的权限")
    rnd = _round_from(request, actor)
    if request.method == "POST":
        if rnd is None:
            raise PermissionDenied("没有可抽查的自评任务")
        seed = request.POST.get("seed", "").strip()
        if seed and not seed.isdigit():
            messages.error(request, "未抽取：随机种子应为正整数")
        else:
            try:
                check = spot_checks.draw(actor=actor, rnd=rnd, seed=int(seed) if seed else None)
            except ValidationError as exc:
                messages.error(request, "未抽取：" + "；".join(_messages(exc)))
            else:
                messages.success(request, f"已抽取 {check.items.count()} 张自评表（随机种子 {check.seed}）")
        return redirect(reverse("evaluation:spot_check") + (f"?round={rnd.pk}" if rnd else ""))
    check = SpotCheck.objects.filter(round=rnd).first() if rnd else None
    filters = {k: request.GET[k] for k in ("state", "agency") if request.GET.get(k)}
    if filters.get("state") and filters["state"] not in SpotCheckState.values:
        messages.error(request, "查询条件“状态”的值无效，已忽略")
        filters.pop("state")
    if request.GET.get("inflated"):
        filters["inflated"] = True
    items = selectors.spot_check_items(actor, check, filters) if check else []
    is_bureau = rnd is not None and can(actor, Action.APPROVE, rnd)
    return render(request, "evaluation/spot_check.html", {
        "rnd": rnd, "rounds": list(selectors.round_list(actor)[:40]), "check": check,
        "items": Paginator(items, PAGE_SIZE).get_page(request.GET.get("page")) if check else [],
        "is_bureau": is_bureau, "filters": filters, "states": SpotCheckState.choices,
        "agencies": agency_options(actor) if is_bureau else [],
        "done": rnd.summary.get("done", 0) if rnd else 0,
        "my_items": selectors.spot_check_items(actor).exclude(state=SpotCheckState.CONFIRMED)[:50]
        if actor.has_role(Role.AGENCY) else []})


@login_required
@require_POST
def spot_check_assign(request, pk):
    from jixiao.evaluation import spot_checks
    from jixiao.organisations.models import Agency

    actor = actor_for(request.user)
    item = selectors.spot_check_item_get(actor, pk)
    agency_id = _int(request.POST.get("agency"))
    agency = Agency.objects.filter(pk=agency_id).first() if agency_id else None
    if agency_id and agency is None:
        messages.error(request, "未委托：机构不存在")
    else:
        try:
            spot_checks.assign(actor=actor, item=item, agency=agency)
        except ValidationError as exc:
            messages.error(request, "未委托：" + "；".join(_messages(exc)))
        else:
            messages.success(request, f"“{item.subject.name}”由{agency.name if agency else '财政部门自行'}复核")
    return redirect(reverse("evaluation:spot_check") + f"?round={item.spot_check.round_id}")


def _item_context(actor, item) -> dict:
    from jixiao.evaluation.workflows import SPOT_CHECK_WORKFLOW

    lines = list(item.lines.select_related("line").order_by("line__position", "pk"))
    roles = dict(Role.choices)
    steps = [{"step": st, "from": SPOT_CHECK_WORKFLOW.label(st.from_state),
              "to": SPOT_CHECK_WORKFLOW.label(st.to_state), "role": roles.get(st.actor_role, st.actor_role)}
             for st in workflow.steps_for(item)]
    return {"item": item, "ev": item.evaluation, "subject": item.subject, "lines": lines, "steps": steps,
            "transitions": workflow.available_transitions(actor, item), "limit": item.spot_check.inflation_gap}


@login_required
@require_http_methods(["GET", "POST"])
def spot_check_item(request, pk):
    from jixiao.evaluation import spot_checks
    from jixiao.evaluation.workflows import SpotCheckState

    actor = actor_for(request.user)
    item = selectors.spot_check_item_get(actor, pk)
    editable = item.state in (SpotCheckState.ASSIGNED, SpotCheckState.RETURNED) and (
        can(actor, Action.APPROVE, item) or (item.agency_id and can(actor, Action.CONTRIBUTE, item)))
    errors: dict = {}
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("您不能修改该复核结果")
        lines = {}
        for key in request.POST:
            if key.startswith("line-"):
                parts = key.split("-", 2)
                if len(parts) == 3:
                    lines.setdefault(parts[1], {})[parts[2]] = request.POST[key]
        data = {"lines": lines, "note": request.POST.get("note", "")}
        if "execution_score" in request.POST:
            data["execution_score"] = request.POST["execution_score"]
        try:
            problems = spot_checks.recheck_save(actor=actor, item=item, data=data,
                                                expected_lock_version=_int(request.POST.get("lock_version")) or 0)
        except ConcurrentEditError:
            messages.error(request, "保存失败：该复核结果已被他人修改，请刷新后在最新内容上修改。")
            return redirect("evaluation:spot_check_item", pk=item.pk)
        except ValidationError as exc:
            errors = exc.message_dict
            messages.error(request, "未保存：" + "；".join(m for ms in errors.values() for m in ms))
        else:
            if problems:
                messages.warning(request, "已保存。还须处理：" + "；".join(m for ms in problems.values() for m in ms))
            else:
                messages.success(request, "已保存复核结果")
            return redirect("evaluation:spot_check_item", pk=item.pk)
    return render(request, "evaluation/spot_check_item.html", {**_item_context(actor, item), "editable": editable,
                                                               "errors": errors})


@login_required
@require_POST
def spot_check_transition(request, pk):
    from jixiao.evaluation import spot_checks
    from jixiao.evaluation.workflows import SPOT_CHECK_WORKFLOW

    item = selectors.spot_check_item_get(actor_for(request.user), pk)
    return run_transition(request, doc=item, names=frozenset(t.name for t in SPOT_CHECK_WORKFLOW.transitions),
                          flow=SPOT_CHECK_WORKFLOW, what="复核项目", detail="evaluation:spot_check_item",
                          service=lambda **kw: spot_checks.transition(item=item, **kw))


# --- trial scoring ------------------------------------------------------------------------------------------------
@login_required
def trial_upload(request):
    """Anyone logged in uploads published self-evaluation tables and sees each scored under the rules of their
    region (or a preset), with what is inconsistent in the scores they carry; nothing is stored."""
    from jixiao.evaluation.trial import read_upload, trial_table
    from jixiao.policy import selectors as policy_selectors
    from jixiao.policy.presets import PRESETS

    actor = actor_for(request.user)
    presets = [(code, p.name) for code, p in PRESETS.items()]
    tables, chosen, filename = None, None, ""
    if request.method == "POST":
        form = TrialUploadForm(request.POST, request.FILES, presets=presets)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                filename, result = read_upload(cd["file"])
                years = {t.year for t in result.tables if t.year}
                year = cd.get("year") or (years.pop() if len(years) == 1 else None)
                chosen = policy_selectors.chosen_params(preset=cd.get("preset") or None,
                                                        region=policy_selectors.default_region(actor), year=year)
                tables = [trial_table(t, chosen.params.self_evaluation) for t in result.tables]
            except ValidationError as exc:
                for message in _messages(exc):
                    form.add_error("file", message)
    else:
        form = TrialUploadForm(presets=presets)
    return render(request, "evaluation/trial.html", {
        "form": form, "tables": tables, "chosen": chosen, "filename": filename,
        "consistent": sum(1 for t in tables if t["consistent"]) if tables else 0,
    })


# --- the year's evaluation plan -----------------------------------------------------------------------------------
@login_required
def evaluation_plan(request):
    """The year's evaluation lists checked against the profile: coverage by count and money, each department's
    minimum, key projects due in their cycle, mid-term and post-period evaluations, special bonds; and the coverage
    figures by budget."""
    from jixiao.core.money import Money, MoneyParseError
    from jixiao.policy.schema import CoverageBasis
    from jixiao.policy.selectors import effective_profile

    actor = actor_for(request.user)
    try:
        where = selectors.plan_scope(actor, _int(request.GET.get("department")))
    except ValidationError:
        messages.error(request, "查询条件“主管部门”的值无效，已忽略")
        where = selectors.plan_scope(actor)
    years = budget_selectors.fiscal_years()
    year = _int(request.GET.get("year")) or budget_selectors.default_year(years)
    if year is None or not 2000 <= year <= 2100:
        raise Http404("尚未设置预算年度")
    quota_text = request.GET.get("bond_quota", "").strip()
    quota = None
    if quota_text:
        try:
            quota = Money.parse(quota_text)
        except MoneyParseError as exc:
            messages.error(request, f"上年新增专项债务限额：{exc}，已忽略")
    plan = selectors.evaluation_plan(actor, year, region_id=where.region_id, department_id=where.department_id,
                                     bond_quota_fen=quota.fen if quota else None)
    params = effective_profile(where.region_id, year).params.evaluation
    departments = list(where.departments.order_by("code").values_list("pk", "name"))
    return render(request, "evaluation/plan.html", {
        "plan": plan, "cov": plan.coverage, "years": years, "year": year, "departments": departments,
        "department_id": where.department_id, "bond_quota": quota_text,
        "params": params, "basis_label": dict(CoverageBasis.choices).get(params.coverage_basis, ""),
        "due_key": [plan.names[i] for i in plan.coverage.due_key],
        "midterm": [plan.names[i] for i in plan.coverage.midterm],
        "post_period": [plan.names[i] for i in plan.coverage.post_period]})

