"""Screens of third-party agencies: the registry and one agency's entry, the quality ranking, commissions with their
stage gates, and the bureau's inspections. Thin: every write is a service, every read a selector."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.agencies import rules, selectors, services
from jixiao.agencies.models import CommissionComment, Inspection, PersonRole, Purpose
from jixiao.agencies.workflows import CommissionStage
from jixiao.core import workflow
from jixiao.core.permissions import Action, actor_for, can
from jixiao.core.views import error_messages as _messages
from jixiao.core.views import int_or_none as _int
from jixiao.core.workflow import ConcurrentEditError
from jixiao.core.workflow_views import run_transition
from jixiao.organisations.models import AgencyStatus, Role

PAGE_SIZE = 50
SEED = re.compile(r"[0-9]{1,12}")


def _run(request, write, done: str) -> None:
    """Run one write and say what happened."""
    try:
        write()
    except ConcurrentEditError:
        messages.error(request, "未保存：该记录已被他人修改，请刷新后重试。")
    except ValidationError as exc:
        messages.error(request, "未保存：" + "；".join(_messages(exc)))
    else:
        messages.success(request, done)


# --- registry -----------------------------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def registry(request):
    from jixiao.organisations import services as org_services

    actor = actor_for(request.user)
    if not actor.may(Action.VIEW):
        raise PermissionDenied("您没有查看第三方机构的权限")
    if request.method == "POST":
        grant = next((g for g, _ in actor.grants_for(Action.MANAGE)), None)
        if grant is None:
            raise PermissionDenied("您无权登记第三方机构")
        from jixiao.organisations.models import Region

        region = Region.objects.get(pk=grant.region_id)
        _run(request, lambda: org_services.agency_create(actor=actor, region=region,
                                                         name=request.POST.get("name", ""),
                                                         credit_code=request.POST.get("credit_code", "")),
             "已登记第三方机构")
        return redirect("agencies:registry")
    agencies = list(selectors.agency_list(actor))
    ranked = {r.agency_id: r for r in selectors.ranking(actor, agencies)}
    return render(request, "agencies/registry.html", {
        "rows": [(a, ranked.get(a.pk)) for a in agencies], "can_register": actor.may(Action.MANAGE)})


@login_required
def ranking(request):
    actor = actor_for(request.user)
    return render(request, "agencies/ranking.html", {"ranked": selectors.ranking_for(actor),
                                                     "params": services.agency_params(
                                                         actor.primary.region_id if actor.primary else None)})


@login_required
@require_http_methods(["GET", "POST"])
def agency_detail(request, pk):
    from jixiao.organisations.models import Unit

    actor = actor_for(request.user)
    agency = selectors.agency_get(actor, pk)
    if request.method == "POST":
        what, p = request.POST.get("what"), request.POST
        if what == "info":
            data = {k: p.get(k, "") for k in services.REGISTRY_FIELDS}
            data["platform_registered"] = p.get("platform_registered") == "on"
            _run(request, lambda: services.registry_update(actor=actor, agency=agency, data=data,
                                                           changed_on=p.get("changed_on") or None), "已更新登记信息")
        elif what == "person":
            person = agency.people.filter(pk=_int(p.get("person"))).first() if p.get("person") else None
            data = {k: p.get(k, "") for k in ("name", "role", "title_or_qualification", "certificate_no", "work_years",
                                             "evaluation_years", "negligence_sentence_ended")}
            if person is not None:
                data["is_active"] = p.get("is_active") == "on"
            _run(request, lambda: services.person_save(actor=actor, agency=agency, data=data, person=person,
                                                       changed_on=p.get("changed_on") or None), "已保存人员信息")
        elif what == "service":
            unit = Unit.objects.filter(code=p.get("unit_code", "").strip(), region_id=agency.region_id).first() \
                if not p.get("unit_id") else Unit.objects.filter(pk=_int(p.get("unit_id"))).first()
            _run(request, lambda: services.service_add(actor=actor, agency=agency, unit=unit, kind=p.get("kind", ""),
                                                       started_on=p.get("started_on"),
                                                       description=p.get("description", "")), "已登记服务记录")
        elif what == "violation":
            commission = (selectors.commission_list(actor).filter(pk=_int(p.get("commission"))).first()
                          if p.get("commission") else None)
            _run(request, lambda: services.violation_record(
                actor=actor, agency=agency, kind=p.get("kind", ""), occurred_on=p.get("occurred_on"),
                description=p.get("description", ""), sanction=p.get("sanction", ""), commission=commission),
                "已记录违规情况及处理")
        elif what == "status":
            _run(request, lambda: services.status_set(actor=actor, agency=agency, status=p.get("status", ""),
                                                      comment=p.get("comment", "")), "已调整执业状态")
        else:
            messages.error(request, "未知操作")
        return redirect("agencies:agency_detail", pk=agency.pk)
    params = services.agency_params(agency)
    today = timezone.localdate()
    people = list(agency.people.all())
    leads = [(person, rules.lead_evaluator_problems(services.person_value(person), params, today))
             for person in people if person.role == PersonRole.LEAD]
    keeper = services.keeps_registry(actor, agency)
    return render(request, "agencies/agency_detail.html", {
        "agency": agency, "people": people, "leads": leads, "params": params,
        "services": list(agency.services.select_related("unit")), "changes": list(agency.changes.all()[:50]),
        "violations": list(agency.violations.select_related("commission")),
        "serious": selectors.recent_serious(agency, params, today),
        "commissions": list(selectors.commission_list(actor).filter(agency=agency)[:100]),
        "inspections": list(selectors.inspection_list(actor).filter(agency=agency)[:50]),
        "keeper": keeper, "bureau": actor.has_role(Role.FINANCE_ADMIN), "manage": can(actor, Action.MANAGE, agency),
        "roles": PersonRole.choices, "service_kinds": list(rules.SERVICE_KINDS.items()),
        "violation_kinds": list(rules.VIOLATION_LABELS.items()), "sanctions": list(rules.SANCTIONS.items()),
        "statuses": AgencyStatus.choices})


# --- commissions --------------------------------------------------------------------------------------------------
def _filters(request) -> tuple[dict, list[str]]:
    out, bad = {}, []
    for key in selectors.COMMISSION_FILTERS:
        raw = request.GET.get(key, "").strip()
        if not raw:
            continue
        if key == "state" and raw not in CommissionStage.values or key == "purpose" and raw not in Purpose.values:
            bad.append(key)
        elif key in ("agency", "year") and _int(raw) is None:
            bad.append(key)
        else:
            out[key] = _int(raw) if key in ("agency", "year") else raw
    return out, bad


@login_required
@require_http_methods(["GET", "POST"])
def commission_list(request):
    from jixiao.budget import selectors as budget_selectors

    actor = actor_for(request.user)
    if not actor.may(Action.VIEW):
        raise PermissionDenied("您没有查看委托业务的权限")
    if request.method == "POST":
        p = request.POST
        year = _int(p.get("year")) or timezone.localdate().year
        code = p.get("subject_code", "").strip()
        subject = (budget_selectors.subject_list(actor).filter(code=code, fiscal_year__year=year).first()
                   if code else None)
        agency = selectors.choosable_agencies().filter(pk=_int(p.get("agency"))).first()
        if code and subject is None:
            messages.error(request, f"未委托：{year}年度没有您可见的项目编码“{code}”")
        elif agency is None:
            messages.error(request, "未委托：请选择受托机构")
        else:
            try:
                grant = services.commissioner_grant(actor, as_department=p.get("commissioner") == "department")
                c = services.commission_create_direct(
                    actor=actor, agency=agency, purpose=p.get("purpose", ""), title=p.get("title", ""), year=year,
                    region_id=grant.region_id, department_id=grant.department_id, subject=subject,
                    contract={k: p.get(k, "") for k in ("contract_no", "contract_amount", "signed_on", "due_on",
                                                         "contract_terms")})
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, "未委托：" + ("；".join(_messages(exc)) if isinstance(exc, ValidationError)
                                                     else str(exc)))
            else:
                messages.success(request, f"已委托：{c.title}")
                return redirect("agencies:commission_detail", pk=c.pk)
        return redirect("agencies:commission_list")
    filters, bad = _filters(request)
    for key in bad:
        messages.error(request, f"查询条件“{selectors.COMMISSION_FILTERS[key]}”的值无效，已忽略")
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "agencies/commission_list.html", {
        "page": Paginator(selectors.commission_list(actor, filters), PAGE_SIZE).get_page(request.GET.get("page")),
        "filters": filters, "query": query.urlencode(), "stages": CommissionStage.choices,
        "purposes": [c for c in Purpose.choices if c[0] != Purpose.SPOT_CHECK],
        "all_purposes": Purpose.choices, "options": selectors.agency_options(actor),
        "can_create": actor.has_role(Role.FINANCE_ADMIN, Role.DEPARTMENT),
        "as_department": actor.has_role(Role.DEPARTMENT), "as_bureau": actor.has_role(Role.FINANCE_ADMIN),
        "year": timezone.localdate().year})


@login_required
@require_http_methods(["GET", "POST"])
def commission_detail(request, pk):
    actor = actor_for(request.user)
    c = selectors.commission_get(actor, pk)
    if request.method == "POST":
        what, p = request.POST.get("what"), request.POST
        lock = _int(p.get("lock_version")) or 0
        if what == "contract":
            _run(request, lambda: services.contract_save(
                actor=actor, commission=c, expected_lock_version=lock,
                data={k: p.get(k, "") for k in ("contract_no", "contract_amount", "signed_on", "due_on",
                                                 "contract_terms")}), "已保存委托合同")
        elif what == "team":
            _run(request, lambda: services.team_save(
                actor=actor, commission=c, lead_id=_int(p.get("lead")),
                team_ids=[i for i in map(_int, p.getlist("team")) if i], plan_elements=p.getlist("plan_elements"),
                expected_lock_version=lock), "已保存工作组及方案要素")
        elif what == "document":
            _run(request, lambda: services.document_add(actor=actor, commission=c, kind=p.get("kind", ""),
                                                        title=p.get("title", ""), content=p.get("content", ""),
                                                        reference=p.get("reference", "")), "已添加材料")
        elif what == "quality":
            _run(request, lambda: services.quality_score(actor=actor, commission=c, stage=p.get("stage", ""),
                                                         score=p.get("score", "")), "已评定质量评分")
        elif what == "comment":
            _run(request, lambda: services.comment_add(actor=actor, commission=c, source=p.get("source", ""),
                                                       text=p.get("text", "")), "已录入意见")
        elif what == "reply":
            comment = c.comments.filter(pk=_int(p.get("comment"))).first()
            accepted = {"yes": True, "no": False}.get(p.get("accepted", ""))
            if comment is None:
                messages.error(request, "未保存：意见不存在")
            else:
                _run(request, lambda: services.comment_reply(actor=actor, comment=comment, accepted=accepted,
                                                             reply=p.get("reply", "")),
                     f"已回复第{comment.number}条意见")
        elif what == "sign":
            _run(request, lambda: services.report_sign(
                actor=actor, commission=c, signed_by=p.get("signed_by", ""), sealed=p.get("sealed") == "on",
                report_uploaded=p.get("report_uploaded") == "on", expected_lock_version=lock), "已保存签章情况")
        else:
            messages.error(request, "未知操作")
        return redirect("agencies:commission_detail", pk=c.pk)
    is_agency, is_commissioner = services._is_agency(actor, c), services._is_commissioner(actor, c)
    documents = list(c.documents.select_related("added_by"))
    f = services.facts(c)
    kinds = ((services.AGENCY_DOCUMENTS if is_agency else frozenset())
             | (services.COMMISSIONER_DOCUMENTS if is_commissioner else frozenset()))
    roles = dict(Role.choices)
    flow = c.workflow
    return render(request, "agencies/commission_detail.html", {
        "c": c, "stages": [(s, s == c.state) for s in CommissionStage if s != CommissionStage.TERMINATED],
        "documents": documents, "comments": list(c.comments.select_related("replied_by")),
        "team": list(c.team.all()), "people": list(c.agency.people.filter(is_active=True)),
        "plan_elements": [(e, e in f.plan_elements) for e in rules.PLAN_ELEMENTS],
        "archive": [(label, [(rules.DOCUMENT_KINDS[k], k in f.documents or (k == "feedback" and f.comments))
                             for k in ks]) for label, ks in rules.ARCHIVE_REQUIRED.items()],
        "kinds": [(k, v) for k, v in rules.DOCUMENT_KINDS.items() if k in kinds],
        "is_agency": is_agency, "is_commissioner": is_commissioner, "problems": services.next_problems(c),
        "transitions": workflow.available_transitions(actor, c), "sources": CommissionComment.Source.choices,
        "steps": [{"step": st, "from": flow.label(st.from_state), "to": flow.label(st.to_state),
                   "role": roles.get(st.actor_role, st.actor_role)} for st in workflow.steps_for(c)],
        "open": c.state not in (CommissionStage.CLOSED, CommissionStage.TERMINATED)})


@login_required
@require_POST
def commission_transition(request, pk):
    c = selectors.commission_get(actor_for(request.user), pk)
    return run_transition(request, doc=c, names=frozenset(t.name for t in c.workflow.transitions),
                          flow=c.workflow, what="委托业务", detail="agencies:commission_detail",
                          service=lambda **kw: services.commission_transition(commission=c, **kw))


# --- inspections --------------------------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def inspections(request):
    actor = actor_for(request.user)
    if not actor.has_role(Role.FINANCE_ADMIN, Role.SYSADMIN, Role.OVERSEER):
        raise PermissionDenied("机构检查由财政部门开展")
    if request.method == "POST":
        p = request.POST
        what = p.get("what")
        if what == "targeted":
            agency = selectors.choosable_agencies().filter(pk=_int(p.get("agency"))).first()
            if agency is None:
                messages.error(request, "未登记：请选择被检查机构")
            else:
                _run(request, lambda: services.inspection_create(
                    actor=actor, agency=agency, kind=Inspection.Kind.TARGETED, planned_on=p.get("planned_on"),
                    inspectors=p.get("inspectors", ""), focus=p.get("focus", "")), "已登记定向检查")
        elif what == "draw":
            seed = p.get("seed", "").strip()
            if seed and not SEED.fullmatch(seed):
                messages.error(request, "未抽取：随机种子应为不超过12位的正整数")
            else:
                names = p.get("inspectors", "").replace("，", ",").replace("、", ",").replace("\n", ",").split(",")
                _run(request, lambda: services.inspections_draw(
                    actor=actor, agencies=_int(p.get("agencies")) or 0, inspectors=names,
                    per_team=_int(p.get("per_team")) or 2, planned_on=p.get("planned_on"), focus=p.get("focus", ""),
                    seed=int(seed) if seed else None), "已随机抽取被检查机构和检查人员")
        elif what == "result":
            ins = selectors.inspection_list(actor).filter(pk=_int(p.get("inspection"))).first()
            if ins is None:
                messages.error(request, "未保存：检查记录不存在")
            else:
                _run(request, lambda: services.inspection_record(actor=actor, inspection=ins,
                                                                 result=p.get("result", ""),
                                                                 findings=p.get("findings", "")), "已记录检查结果")
        else:
            messages.error(request, "未知操作")
        return redirect(reverse("agencies:inspections"))
    return render(request, "agencies/inspections.html", {
        "page": Paginator(selectors.inspection_list(actor), PAGE_SIZE).get_page(request.GET.get("page")),
        "agencies": list(selectors.choosable_agencies()), "can_act": actor.has_role(Role.FINANCE_ADMIN),
        "today": timezone.localdate()})
