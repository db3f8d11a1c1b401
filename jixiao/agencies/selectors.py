"""Reads of the agency registry and of commissions, always scoped by the actor (`jixiao.core.permissions`): the
bureau sees the agencies registered in its region and the commissions of its region; a department its own
commissions; an agency its own entry and its own commissions only."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from jixiao.agencies import rules
from jixiao.agencies.models import AgencyPerson, AgencyViolation, Commission, Inspection, PersonRole
from jixiao.core.permissions import Action, Actor, get_for, scope
from jixiao.core.views import int_or_none
from jixiao.organisations.models import Agency, Role

RANKING_ROLES = (Role.SYSADMIN, Role.FINANCE_ADMIN, Role.BUDGET_OFFICER, Role.DEPARTMENT, Role.OVERSEER)
COMMISSION_FILTERS = {"state": "阶段", "purpose": "委托事项", "agency": "受托机构", "year": "年度"}


def agency_list(actor: Actor) -> QuerySet:
    """Agencies the actor may see, with the counts the registry list shows (one query); `has_lead` is whether it
    has a lead evaluator who meets the profile's conditions (years of work and of evaluation, title or
    qualification; the criminal-record rule is checked on the agency's page)."""
    from jixiao.agencies.services import agency_params

    params = agency_params(actor.primary.region_id if actor.primary else None)
    leads = AgencyPerson.objects.filter(agency=OuterRef("pk"), role=PersonRole.LEAD, is_active=True,
                                        work_years__gte=params.lead_min_work_years,
                                        evaluation_years__gte=params.lead_min_evaluation_years
                                        ).exclude(title_or_qualification="")
    return (readable(actor).select_related("region")
            .annotate(people_count=Count("people", filter=Q(people__is_active=True), distinct=True),
                      commission_count=Count("commissions", distinct=True),
                      violation_count=Count("violations", distinct=True),
                      has_lead=Exists(leads))
            .order_by("name"))


def readable(actor: Actor) -> QuerySet:
    """The registry entries the actor may read: commissioners (bureaus, budget officers, departments) and overseers
    the whole registry, as on the national credit platform, so that they can choose; anyone else (an agency) what
    the permission rules give (its own entry). Writes are authorised by the services."""
    if actor.has_role(*RANKING_ROLES):
        return Agency.objects.all()
    return scope(actor, Action.VIEW, Agency.objects.all())


def agency_get(actor: Actor, pk, action: Action = Action.VIEW) -> Agency:
    from django.http import Http404

    if action is Action.VIEW:
        key = int_or_none(pk)
        found = readable(actor).select_related("region").filter(pk=key).first() if key is not None else None
        if found is None:
            raise Http404("未找到该机构")
        return found
    return get_for(actor, action, Agency.objects.select_related("region"), pk=pk)


def choosable_agencies() -> QuerySet:
    """Agencies a commissioner may choose from (active, not disqualified), for forms."""
    return Agency.objects.filter(is_active=True).exclude(status="disqualified").order_by("name")


def ranking(actor: Actor, agencies=None) -> list[rules.Ranked]:
    """The quality ranking (plan and draft stage scores of every commission, less the sanction points), over the
    agencies given (default: those the commissioner may choose)."""
    from jixiao.agencies.services import agency_params

    agencies = list(agencies if agencies is not None else choosable_agencies())
    ids = [a.pk for a in agencies]
    scores = [rules.QualityScore(aid, plan, draft) for aid, plan, draft in
              Commission.objects.filter(agency_id__in=ids).values_list("agency_id", "plan_quality", "draft_quality")]
    sanctions = dict(AgencyViolation.objects.filter(agency_id__in=ids).exclude(sanction="")
                     .values("agency_id").annotate(n=Count("id")).values_list("agency_id", "n"))
    region_id = actor.primary.region_id if actor.primary else None
    return rules.rank({a.pk: a.name for a in agencies}, scores, sanctions, agency_params(region_id))


def ranking_for(actor: Actor) -> list[rules.Ranked]:
    """The ranking as the actor may see it: commissioners and overseers the whole of it, an agency its own row."""
    if actor.has_role(*RANKING_ROLES):
        return ranking(actor)
    own = {g.agency_id for g in actor.grants if g.role == Role.AGENCY and g.agency_id}
    if not own:
        raise PermissionDenied("您没有查看第三方机构质量排名的权限")
    return [r for r in ranking(actor) if r.agency_id in own]


def recent_serious(agency: Agency, params, today: datetime.date | None = None) -> list[AgencyViolation]:
    today = today or timezone.localdate()
    rows = list(agency.violations.all())
    found = set(rules.recent_violations([rules.Violation(v.kind, v.occurred_on, v.sanction) for v in rows],
                                        params, today))
    return [v for v in rows if rules.Violation(v.kind, v.occurred_on, v.sanction) in found]


def commission_list(actor: Actor, filters: dict | None = None) -> QuerySet:
    qs = (scope(actor, Action.VIEW, Commission.objects.all())
          .select_related("agency", "subject", "department", "region", "lead"))
    f = filters or {}
    if f.get("state"):
        qs = qs.filter(state=f["state"])
    if f.get("purpose"):
        qs = qs.filter(purpose=f["purpose"])
    if f.get("agency"):
        qs = qs.filter(agency_id=f["agency"])
    if f.get("year"):
        qs = qs.filter(fiscal_year=f["year"])
    return qs.order_by("-fiscal_year", "-id")


def commission_get(actor: Actor, pk, action: Action = Action.VIEW) -> Commission:
    return get_for(actor, action, Commission.objects.select_related("agency", "subject", "department", "region",
                                                                     "lead", "evaluation", "spot_check"), pk=pk)


def inspection_list(actor: Actor) -> QuerySet:
    return (scope(actor, Action.VIEW, Inspection.objects.all()).select_related("agency", "commission")
            .order_by("-planned_on", "-id"))



def agency_options(actor: Actor) -> list[Agency]:
    """The agencies a commissioner may choose, best ranked first, each with a `label` that shows its rank and
    quality score (the ranking informs the next choice)."""
    agencies = list(choosable_agencies())
    ranked = {r.agency_id: r for r in ranking(actor, agencies)}
    by_pk = {a.pk: a for a in agencies}
    out = []
    for aid, r in sorted(ranked.items(), key=lambda kv: (kv[1].rank == 0, kv[1].rank, kv[1].name)):
        a = by_pk[aid]
        a.label = f"{a.name}（质量排名第{r.rank}，{r.score}分）" if r.rank else f"{a.name}（尚无质量评分）"
        out.append(a)
    return out
