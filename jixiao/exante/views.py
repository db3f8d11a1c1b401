"""Screens of the ex-ante assessment (事前绩效评估): list with filters, subjects needing an assessment, create, detail
(dimensions, scores, expert scores, cost analysis, amounts and cut rate, workflow with the bureau's opinion, history,
audit), edit with optimistic locking, expert scoring, attachments, the Word report and the statistics.
Thin: selectors read, services write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.budget import selectors as budget_selectors
from jixiao.core import audit, workflow
from jixiao.core.permissions import OUTSIDER_ROLES, Action, actor_for, can
from jixiao.core.views import error_messages as _messages
from jixiao.core.views import int_or_none as _int
from jixiao.core.workflow import ConcurrentEditError
from jixiao.costs.models import CostCategory, SpendingStandard
from jixiao.exante import rules, selectors, services
from jixiao.exante.forms import (
    AssessmentCreateForm,
    AssessmentFilterForm,
    AssessmentForm,
    AttachmentForm,
    CostItemFormSet,
    ExpertScoreForm,
    OpinionForm,
    YearForm,
    assessment_initial,
    cost_items_data,
    cost_items_initial,
    expert_initial,
)
from jixiao.exante.models import AssessmentAttachment, ExAnteAssessment, ExpertScore
from jixiao.exante.report import assessment_report_docx
from jixiao.exante.workflows import ASSESSMENT_WORKFLOW
from jixiao.organisations.models import Role

SESSION_YEAR = "budget_year"  # shared with the project library's year selector
STALE_MESSAGE = ("保存失败：该评估在您编辑期间已被他人修改（或已流转），您的修改没有保存，也没有覆盖他人的修改。"
                 "请重新打开编辑页面，在最新内容上修改。")
OPINIONS = frozenset(rules.OPINION_TRANSITIONS) | {"accept_exemption"}
CATEGORIES = dict(CostCategory.choices)


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _year(request, years) -> int | None:
    form = YearForm(request.GET)
    if form.is_valid() and form.cleaned_data.get("year"):
        return form.cleaned_data["year"]
    return request.session.get(SESSION_YEAR) or budget_selectors.default_year(years)


# ---- list ------------------------------------------------------------------------------------------------------------

@login_required
def assessment_list(request):
    actor = actor_for(request.user)
    years = budget_selectors.fiscal_years()
    params = request.GET.copy()
    if not params:
        year = request.session.get(SESSION_YEAR) or budget_selectors.default_year(years)
        if year:
            params["year"] = str(year)
    form = AssessmentFilterForm(params)
    filters = form.filters()
    qs = selectors.assessment_list(actor, filters)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [(a, selectors.overdue_flags(a, today), rules.cut_rate(a.requested_amount, a.approved_amount))
            for a in page]
    query = params.copy()
    query.pop("page", None)
    return render(request, "exante/assessment_list.html", {
        "form": form, "filters": filters, "page": page, "rows": rows, "years": years,
        "departments": list(selectors.filter_departments(actor)), "query": query.urlencode(),
        "can_create": actor.may(Action.CREATE),
    })


@login_required
def requirement_list(request):
    actor = actor_for(request.user)
    years = budget_selectors.fiscal_years()
    year = _year(request, years)
    rows = selectors.subjects_requiring_assessment(actor, year) if year else []
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    creatable = set()
    if actor.may(Action.CREATE) and rows:
        ids = [r.subject.pk for r in page]
        creatable = set(selectors.creatable_subjects(actor).filter(pk__in=ids).values_list("pk", flat=True))
    today = timezone.localdate()
    items = [(r, r.subject.pk in creatable and (r.assessment_id is None or (
        r.assessment_state == "not_supported" and not (r.blocked_until and r.blocked_until >= today))))
        for r in page]
    return render(request, "exante/requirement_list.html", {
        "year": year, "years": years, "page": page, "items": items, "count": len(rows),
    })


# ---- create ----------------------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def assessment_create(request):
    actor = actor_for(request.user)
    if not actor.may(Action.CREATE):
        raise PermissionDenied("您没有开展事前评估的权限")
    subjects = selectors.creatable_subjects(actor)
    if request.method == "POST":
        form = AssessmentCreateForm(request.POST, subjects=subjects)
        if form.is_valid():
            d = form.cleaned_data
            try:
                a = services.assessment_create(actor=actor, subject=d["subject"], exemption_kind=d["exemption_kind"],
                                               exemption_reason=d["exemption_reason"],
                                               requested_amount=d["requested_amount"])
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                what = "免评申请" if a.is_exemption else "事前评估"
                messages.success(request, f"已创建“{a.subject.name}”的{what}（草稿）")
                return redirect("exante:assessment_detail", pk=a.pk)
    else:
        form = AssessmentCreateForm(initial={"subject": _int(request.GET.get("subject"))}, subjects=subjects)
    return render(request, "exante/assessment_create.html", {"form": form})


# ---- detail ----------------------------------------------------------------------------------------------------------

FIELD_LABELS = {f.attname: str(f.verbose_name) for f in ExAnteAssessment._meta.concrete_fields}
FIELD_LABELS.update({"dimensions": "评估维度", "cost_items": "成本测算", "scores": "评分", "opinion": "意见",
                     "attachment_added": "上传附件", "attachment_removed": "删除附件", "state": "状态",
                     "output_standard_id": "单位产出适用支出标准", "agency_id": "受托第三方机构"})
CHOICES = {f.attname: {k: str(v) for k, v in f.choices} for f in ExAnteAssessment._meta.concrete_fields if f.choices}
# Bookkeeping, and the organisation columns the page shows in its header anyway.
HISTORY_NOISE = frozenset({"id", "lock_version", "created_at", "updated_at", "revision", "profile_id", "region_id",
                           "department_id", "unit_id", "subject_id", "fiscal_year_id", "created_by_id"})


def _show(key, value, names: dict) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if key in CHOICES:
        return CHOICES[key].get(value, str(value))
    if key == "dimensions" and isinstance(value, dict):
        return "；".join(f"{names.get(code, code)}："
                        f"{v.get('score') if isinstance(v, dict) and v.get('score') is not None else '—'}分"
                        for code, v in value.items())
    if key == "scores" and isinstance(value, dict):
        return "；".join(f"{names.get(code, code)}：{v}分" for code, v in value.items())
    if key == "cost_items" and isinstance(value, list):
        return "；".join(f"{i.get('name')} {i.get('amount')}元" for i in value if isinstance(i, dict))
    if isinstance(value, dict):
        return "、".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return "；".join(str(v) for v in value)
    if value is True:
        return "是"
    if value is False:
        return "否"
    return str(value)


def _changes(before, after, names: dict) -> list[tuple[str, str, str]]:
    before, after = before or {}, after or {}
    out = []
    for k in dict.fromkeys([*before, *after]):
        if k in HISTORY_NOISE or before.get(k) == after.get(k):
            continue
        old, new = _show(k, before.get(k), names), _show(k, after.get(k), names)
        if old != new:
            out.append((FIELD_LABELS.get(k, k), old, new))
    return out


def _steps(a) -> list[dict]:
    roles = dict(Role.choices)
    return [{"step": st, "from": ASSESSMENT_WORKFLOW.label(st.from_state), "to": ASSESSMENT_WORKFLOW.label(st.to_state),
             "role": roles.get(st.actor_role, st.actor_role)} for st in workflow.steps_for(a)]


@login_required
def assessment_detail(request, pk):
    actor = actor_for(request.user)
    a = selectors.assessment_get(actor, pk)
    dims = selectors.dimensions(a)
    scores = selectors.expert_scores(a)
    summary = selectors.score_summary(a, dims, scores)
    analysis = selectors.cost_analysis(actor, a)
    averages = summary.averages.by_code
    dim_rows = [(d, averages.get(d.code)) for d in dims]
    score_rows = [(s, [(s.scores or {}).get(d.code) for d in dims]) for s in scores]
    transitions = services.offered_transitions(actor, a)
    show_audit = actor.may(Action.AUDIT) or not actor.has_role(*OUTSIDER_ROLES)
    names = {d.code: d.name for d in dims}
    history = [(e, _changes(e.before, e.after, names)) for e in audit.history_for(a)] if show_audit else []
    params = services.params_of(a)
    return render(request, "exante/assessment_detail.html", {
        "a": a, "subject": a.subject, "dim_rows": dim_rows, "summary": summary, "score_rows": score_rows,
        "dims": dims, "analysis": analysis, "attachments": selectors.attachments(a),
        "cut": rules.cut_amount(a.requested_amount, a.approved_amount),
        "cut_rate": rules.cut_rate(a.requested_amount, a.approved_amount),
        "overdue": selectors.overdue_flags(a), "transitions": [t for t in transitions if t.name not in OPINIONS],
        "opinions": [t for t in transitions if t.name in OPINIONS], "steps": _steps(a), "history": history,
        "show_audit": show_audit, "can_edit": can(actor, Action.EDIT, a),
        "can_delete": a.state == "draft" and can(actor, Action.DELETE, a),
        "can_score": a.state == "expert_review" and can(actor, Action.CONTRIBUTE, a),
        "attachment_form": AttachmentForm(dimensions=dims) if can(actor, Action.EDIT, a) else None,
        "state_label": ASSESSMENT_WORKFLOW.label(a.state), "params": params,
        "suggested_standards": selectors.suggested_output_standards(a) if not a.output_standard_id else [],
        "cost_rows": [(r, CATEGORIES.get(r.line.category, r.line.category)) for r in analysis.lines],
    })


@login_required
@require_POST
def assessment_transition(request, pk):
    actor = actor_for(request.user)
    a = selectors.assessment_get(actor, pk)
    form = OpinionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "操作未执行：" + "；".join(f"{e}" for errs in form.errors.values() for e in errs))
        return redirect("exante:assessment_detail", pk=a.pk)
    d = form.cleaned_data
    name = d["transition"]
    is_opinion = name in OPINIONS
    try:
        services.assessment_transition(
            actor=actor, assessment=a, name=name, comment=d["comment"], expected_lock_version=d["lock_version"],
            approved_amount=d["approved_amount"] if is_opinion else None,
            supported_parts=(d["supported_parts"] or None) if name == "partial_support" else None,
            unsupported_parts=(d["unsupported_parts"] or None) if name == "partial_support" else None)
    except ConcurrentEditError:
        messages.error(request, "操作未执行：该评估已被他人修改或已流转，请查看最新状态后再操作。")
    except ValidationError as exc:
        messages.error(request, "操作未执行：" + "；".join(_messages(exc)))
    else:
        t = ASSESSMENT_WORKFLOW.get(name)
        messages.success(request, f"已{t.label}，当前状态：{a.get_state_display()}")
    return redirect("exante:assessment_detail", pk=a.pk)


# ---- edit ------------------------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def assessment_edit(request, pk):
    actor = actor_for(request.user)
    a = selectors.assessment_get(actor, pk)
    if not can(actor, Action.EDIT, a):
        if a.state not in ASSESSMENT_WORKFLOW.editable_states and can(actor, Action.SUBMIT, a):
            messages.error(request, f"当前状态为“{a.get_state_display()}”，不能修改")
            return redirect("exante:assessment_detail", pk=a.pk)
        raise PermissionDenied("您没有修改该评估的权限")
    params = services.params_of(a)
    dims = selectors.dimensions(a)
    standards = selectors.applicable_standards(a)
    standard_qs = SpendingStandard.objects.filter(pk__in=[s.pk for s in standards]).order_by("code")
    conclusions = [c.value if hasattr(c, "value") else c for c in params.report_conclusions]
    stale = False
    if request.method == "POST":
        form = AssessmentForm(request.POST, dimensions=dims, conclusions=conclusions, standards=standard_qs)
        # An exemption claim's page has neither dimensions nor cost items: leave them as they are.
        formset = (None if a.is_exemption else
                   CostItemFormSet(request.POST, prefix="cost", form_kwargs={"standards": standard_qs}))
        if form.is_valid() and (formset is None or formset.is_valid()):
            data = form.service_data()
            if formset is None:
                data.pop("dimensions")
            else:
                data["cost_items"] = cost_items_data(formset)
            try:
                services.assessment_update(actor=actor, assessment=a, data=data,
                                           expected_lock_version=form.cleaned_data["lock_version"])
            except ConcurrentEditError:
                stale = True
                form.add_error(None, STALE_MESSAGE)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, "已保存")
                return redirect("exante:assessment_detail", pk=a.pk)
    else:
        initial = assessment_initial(a, dims)
        summary = selectors.score_summary(a, dims, [])
        if not a.conclusion and summary.suggested:
            initial["conclusion"] = summary.suggested
        form = AssessmentForm(initial=initial, dimensions=dims, conclusions=conclusions, standards=standard_qs)
        formset = CostItemFormSet(initial=cost_items_initial(a.cost_items.order_by("position", "id")),
                                  prefix="cost", form_kwargs={"standards": standard_qs})
    return render(request, "exante/assessment_form.html", {
        "a": a, "form": form, "formset": formset, "stale": stale, "params": params,
    })


@login_required
@require_POST
def assessment_delete(request, pk):
    actor = actor_for(request.user)
    a = selectors.assessment_get(actor, pk)
    name = a.subject.name
    try:
        services.assessment_delete(actor=actor, assessment=a)
    except ValidationError as exc:
        messages.error(request, "未删除：" + "；".join(_messages(exc)))
        return redirect("exante:assessment_detail", pk=a.pk)
    messages.success(request, f"已删除“{name}”的事前评估草稿")
    return redirect("exante:assessment_list")


# ---- expert scores ---------------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def expert_score(request, pk):
    actor = actor_for(request.user)
    a = selectors.assessment_get(actor, pk, Action.CONTRIBUTE)
    dims = selectors.dimensions(a)
    mine = ExpertScore.objects.filter(assessment=a, expert=request.user).first()
    if request.method == "POST":
        form = ExpertScoreForm(request.POST, dimensions=dims)
        if form.is_valid():
            try:
                services.expert_score_save(actor=actor, assessment=a, scores=form.scores(),
                                           opinion=form.cleaned_data["opinion"])
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, "评分已保存")
                return redirect("exante:assessment_detail", pk=a.pk)
    else:
        form = ExpertScoreForm(initial=expert_initial(mine), dimensions=dims)
    return render(request, "exante/expert_score.html", {
        "a": a, "form": form, "fields": [(d, form[f"score_{d.code}"]) for d in dims], "dims": dims,
        "open": a.state == "expert_review",
    })


# ---- attachments -----------------------------------------------------------------------------------------------------

@login_required
@require_POST
def attachment_upload(request, pk):
    actor = actor_for(request.user)
    a = selectors.assessment_get(actor, pk)
    form = AttachmentForm(request.POST, request.FILES, dimensions=selectors.dimensions(a))
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.attachment_add(actor=actor, assessment=a, file=d["file"], purpose=d["purpose"],
                                    dimension_code=d["dimension_code"])
        except ValidationError as exc:
            messages.error(request, "上传失败：" + "；".join(_messages(exc)))
        else:
            messages.success(request, f"已上传“{d['file'].name}”")
    else:
        messages.error(request, "上传失败：" + "；".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("exante:assessment_detail", pk=a.pk)


def _attachment(actor, pk, attachment_pk) -> tuple[ExAnteAssessment, AssessmentAttachment]:
    a = selectors.assessment_get(actor, pk)
    att = AssessmentAttachment.objects.filter(assessment=a, pk=attachment_pk).first()
    if att is None:
        raise Http404("未找到该附件")
    return a, att


@login_required
def attachment_download(request, pk, attachment_pk):
    _, att = _attachment(actor_for(request.user), pk, attachment_pk)
    try:
        handle = att.file.open("rb")
    except FileNotFoundError:
        raise Http404("附件文件已不存在") from None
    return FileResponse(handle, as_attachment=True, filename=att.name)


@login_required
@require_POST
def attachment_delete(request, pk, attachment_pk):
    actor = actor_for(request.user)
    a, att = _attachment(actor, pk, attachment_pk)
    try:
        services.attachment_remove(actor=actor, attachment=att)
    except ValidationError as exc:
        messages.error(request, "未删除：" + "；".join(_messages(exc)))
    else:
        messages.success(request, f"已删除附件“{att.name}”")
    return redirect("exante:assessment_detail", pk=a.pk)


# ---- report and statistics -------------------------------------------------------------------------------------------

@login_required
def report_docx(request, pk):
    actor = actor_for(request.user)
    a = selectors.assessment_get(actor, pk)
    content = assessment_report_docx(actor, a)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument."
                                                  "wordprocessingml.document")
    response["Content-Disposition"] = content_disposition_header(True, f"{a.subject.name}事前绩效评估报告.docx")
    return response


@login_required
def statistics(request):
    actor = actor_for(request.user)
    if not actor.may(Action.AGGREGATE):
        raise PermissionDenied("您没有查看统计的权限")
    years = budget_selectors.fiscal_years()
    year = _year(request, years)
    stats = selectors.statistics(actor, year) if year else None
    return render(request, "exante/statistics.html", {"stats": stats, "year": year, "years": years})
