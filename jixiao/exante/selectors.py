"""Reads of ex-ante assessments, always scoped to the actor through `jixiao.core.permissions.scope`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from jixiao.budget.models import PerformanceSubject
from jixiao.core.money import ZERO, Money, MoneyField
from jixiao.core.permissions import Action, Actor, get_for, scope
from jixiao.exante import rules
from jixiao.exante.models import AssessmentAttachment, ExAnteAssessment, ExpertScore, Requirement
from jixiao.exante.services import params_of
from jixiao.exante.workflows import AssessmentState
from jixiao.organisations.models import Department

S = AssessmentState
LIST_RELATED = ("subject", "fiscal_year", "department", "unit")
# Assessments whose amounts count in the statistics: a real assessment (not an exemption) with the finance bureau's
# final opinion (支持, 部分支持 or 不予支持; 调整完善后支持 is not final, the assessment comes back).
FINAL_STATES = (S.SUPPORTED, S.NOT_SUPPORTED)


def _money(value) -> Money:
    if value is None:
        return ZERO
    return value if isinstance(value, Money) else Money(int(value))


def overdue_q(today) -> Q:
    """Assessments that missed (or are missing) one of the three deadlines."""
    return (Q(materials_due__lt=today, materials_received_on__isnull=True)
            | Q(materials_due__isnull=False, materials_received_on__isnull=False,
                materials_due__lt=F("materials_received_on"))
            | Q(report_due__lt=today, submitted_at__isnull=True)
            | Q(opinion_due__lt=today, opinion_at__isnull=True, state=S.SUBMITTED))


def assessment_list(actor: Actor, filters: dict | None = None, *, action: Action = Action.VIEW) -> QuerySet:
    """The assessments the actor may see, filtered: year (int), department (id), state, requirement,
    exemption ("yes"/"no"), overdue ("yes"), q (subject code or name contains). Newest first."""
    f = filters or {}
    qs = scope(actor, action, ExAnteAssessment.objects.all()).select_related(*LIST_RELATED)
    if f.get("year"):
        qs = qs.filter(fiscal_year__year=f["year"])
    if f.get("department"):
        qs = qs.filter(department_id=f["department"])
    if f.get("state"):
        qs = qs.filter(state=f["state"])
    if f.get("requirement"):
        qs = qs.filter(requirement=f["requirement"])
    if f.get("exemption") == "yes":
        qs = qs.exclude(exemption_kind="")
    elif f.get("exemption") == "no":
        qs = qs.filter(exemption_kind="")
    if f.get("overdue") == "yes":
        qs = qs.filter(overdue_q(timezone.localdate()))
    text = (f.get("q") or "").strip()
    if text:
        qs = qs.filter(Q(subject__code__icontains=text) | Q(subject__name__icontains=text))
    return qs.order_by("-created_at", "-id")


def assessment_get(actor: Actor, pk, action: Action = Action.VIEW) -> ExAnteAssessment:
    """One assessment: 404 when it does not exist or is outside the actor's reach, 403 when visible but `action`
    is not allowed."""
    return get_for(actor, action, ExAnteAssessment.objects.select_related(*LIST_RELATED, "region", "created_by",
                                                                           "agency", "output_standard"), pk=pk)


def filter_departments(actor: Actor) -> QuerySet:
    visible = scope(actor, Action.VIEW, ExAnteAssessment.objects.all()).values("department_id")
    return Department.objects.filter(pk__in=visible).order_by("sort_key", "code")


def deadline_facts(a: ExAnteAssessment) -> rules.DeadlineFacts:
    local = timezone.localtime
    return rules.DeadlineFacts(
        materials_due=a.materials_due, materials_received_on=a.materials_received_on, report_due=a.report_due,
        submitted_on=local(a.submitted_at).date() if a.submitted_at else None, opinion_due=a.opinion_due,
        opinion_on=local(a.opinion_at).date() if a.opinion_at else None)


def overdue_flags(a: ExAnteAssessment, today=None) -> list[str]:
    return rules.overdue_flags(deadline_facts(a), today or timezone.localdate())


# ---- detail pieces ---------------------------------------------------------------------------------------------------

def dimensions(a: ExAnteAssessment) -> list:
    return list(a.dimensions.order_by("position", "id"))


def expert_scores(a: ExAnteAssessment) -> list[ExpertScore]:
    return list(a.expert_scores.select_related("expert").order_by("at", "id"))


def attachments(a: ExAnteAssessment) -> list[AssessmentAttachment]:
    return list(a.attachments.select_related("uploaded_by").order_by("uploaded_at", "id"))


def _decimal(value) -> Decimal | None:
    try:
        return None if value in (None, "") else Decimal(str(value))
    except ArithmeticError:
        return None


def score_sheets(scores: list[ExpertScore]) -> list[dict[str, Decimal | None]]:
    return [{code: _decimal(v) for code, v in (s.scores or {}).items()} for s in scores]


@dataclass(frozen=True)
class ScoreSummary:
    total: Decimal | None  # the assessors' own total (every dimension scored)
    suggested: str | None  # the conclusion the profile's bands suggest for it
    suggested_label: str
    averages: rules.AverageScores


def score_summary(a: ExAnteAssessment, dims: list, scores: list[ExpertScore]) -> ScoreSummary:
    params = params_of(a)
    total = rules.total_score({d.code: d.score for d in dims}, dims)
    suggested = rules.suggested_conclusion(total, params)
    return ScoreSummary(total, suggested, rules.conclusion_label(suggested) if suggested else "",
                        rules.average_scores(score_sheets(scores), dims))


def similar_costs(actor: Actor, a: ExAnteAssessment, *, limit: int = 10) -> list[rules.SimilarCost]:
    """Unit costs of similar subjects from history: other assessments of the region with the same output unit and
    the same planned output (or the same sector), newest first. Names are shown only for subjects the actor may
    see; classified subjects are left out."""
    if not a.output_unit or not a.output_quantity:
        return []
    similar = Q(output_name=a.output_name) if a.output_name else Q(pk__in=[])
    if a.subject.sector:
        similar |= Q(subject__sector=a.subject.sector)
    rows = list(
        ExAnteAssessment.objects.filter(similar, region_id=a.region_id, output_unit=a.output_unit,
                                        output_quantity__gt=0, exemption_kind="")
        .exclude(pk=a.pk).exclude(subject__is_classified=True)
        .annotate(cost=Sum("cost_items__amount")).filter(cost__gt=0)
        .order_by("-fiscal_year__year", "-id")
        .values("pk", "subject__name", "fiscal_year__year", "output_quantity", "cost")[:limit])
    if not rows:
        return []
    visible = set(scope(actor, Action.VIEW, ExAnteAssessment.objects.filter(pk__in=[r["pk"] for r in rows]))
                  .values_list("pk", flat=True))
    out = []
    for r in rows:
        per_unit = rules.unit_cost(_money(r["cost"]), Decimal(r["output_quantity"]))
        label = r["subject__name"] if r["pk"] in visible else "同类项目（其他部门）"
        out.append(rules.SimilarCost(label, r["fiscal_year__year"], per_unit))
    return out


def cost_analysis(actor: Actor, a: ExAnteAssessment) -> rules.CostAnalysis:
    items = list(a.cost_items.select_related("standard").order_by("position", "id"))
    lines = [rules.CostLine(category=c.category, name=c.name, quantity=c.quantity, unit_cost=c.unit_cost,
                            unit=c.unit, standard_amount=c.standard.amount if c.standard_id else None)
             for c in items]
    standard = a.output_standard.amount if a.output_standard_id else None
    return rules.cost_analysis(lines, output_quantity=a.output_quantity, standard_amount=standard,
                               similar=similar_costs(actor, a), requested=a.requested_amount)


def suggested_output_standards(a: ExAnteAssessment) -> list:
    """Spending standards whose keywords match the planned output (same unit when one is given)."""
    from jixiao.costs.selectors import standards_for

    if not a.output_name:
        return []
    return standards_for(a.region_id, a.fiscal_year.year, a.output_name, output_unit=a.output_unit or None)


def applicable_standards(a: ExAnteAssessment) -> list:
    from jixiao.costs.selectors import standards_for

    return standards_for(a.region_id, a.fiscal_year.year)


# ---- subjects that need an assessment --------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequirementRow:
    subject: PerformanceSubject
    requirement: str
    requirement_label: str
    reasons: tuple[str, ...]
    assessment_id: int | None  # the latest assessment (not settled), if any
    assessment_state: str | None
    blocked_until: object


def subjects_requiring_assessment(actor: Actor, year: int) -> list[RequirementRow]:
    """The subjects of `year` the actor may see whose profile requirement is not “none” and that lack a supported
    (or exempted) assessment, with the requirement, its reasons and the latest assessment under way."""
    from jixiao.policy.selectors import effective_profile

    settled = ExAnteAssessment.objects.filter(subject_id=OuterRef("pk"), state__in=(S.SUPPORTED, S.EXEMPTED))
    latest = ExAnteAssessment.objects.filter(subject_id=OuterRef("pk")).order_by("-created_at", "-id")
    qs = (scope(actor, Action.VIEW, PerformanceSubject.objects.all())
          .filter(fiscal_year__year=year, kind__in=rules.ASSESSED_KINDS)
          .exclude(Exists(settled))
          .annotate(latest_id=Subquery(latest.values("pk")[:1]), latest_state=Subquery(latest.values("state")[:1]),
                    latest_blocked=Subquery(latest.values("blocked_until")[:1]))
          .select_related("department", "unit", "fiscal_year")
          .order_by("department__code", "code"))
    params_by_region: dict = {}
    labels = dict(Requirement.choices)
    rows = []
    for s in qs:
        if s.region_id not in params_by_region:
            params_by_region[s.region_id] = effective_profile(s.region_id, year).params.ex_ante
        result = rules.requirement_for(_facts(s), params_by_region[s.region_id])
        if result.requirement == "none":
            continue
        rows.append(RequirementRow(s, result.requirement, labels.get(result.requirement, result.requirement),
                                   result.reasons, s.latest_id, s.latest_state, s.latest_blocked))
    return rows


def _facts(subject) -> rules.SubjectFacts:
    from jixiao.exante.services import subject_facts

    return subject_facts(subject)


@dataclass(frozen=True)
class SubjectRequirement:
    requirement: str
    requirement_label: str
    reasons: tuple[str, ...]
    exemption_kinds: tuple[str, ...]
    gate_problems: list[str]
    latest: ExAnteAssessment | None


def subject_requirement(subject: PerformanceSubject) -> SubjectRequirement:
    """What the profile demands of one (already authorised) subject and what its latest assessment allows."""
    from jixiao.policy.selectors import effective_profile

    params = effective_profile(subject.region_id, subject.fiscal_year.year).params.ex_ante
    result = rules.requirement_for(_facts(subject), params)
    latest = ExAnteAssessment.objects.filter(subject_id=subject.pk).order_by("-created_at", "-id").first()
    facts = None
    if latest is not None:
        facts = rules.AssessmentFacts(state=latest.state, finance_opinion=latest.finance_opinion,
                                      blocked_until=latest.blocked_until, is_exemption=latest.is_exemption)
    problems = rules.gate_problems(result.requirement, facts, today=timezone.localdate())
    return SubjectRequirement(result.requirement, dict(Requirement.choices).get(result.requirement, ""),
                              result.reasons, result.exemption_kinds, problems, latest)


def creatable_subjects(actor: Actor, year: int | None = None) -> QuerySet:
    """Subjects the actor may open an assessment for (their own reach; projects, policies, transfers)."""
    qs = scope(actor, Action.CREATE, PerformanceSubject.objects.all()).filter(kind__in=rules.ASSESSED_KINDS)
    if year:
        qs = qs.filter(fiscal_year__year=year)
    return qs.select_related("fiscal_year").order_by("code")


# ---- statistics ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StatRow:
    department_id: int | None
    department_name: str
    count: int
    requested: Money
    approved: Money
    cut: Money
    cut_rate: Decimal | None  # percent


@dataclass(frozen=True)
class Statistics:
    year: int
    rows: list[StatRow]
    total: StatRow


def statistics(actor: Actor, year: int) -> Statistics:
    """Per department for `year`: assessments with a final finance opinion, requested, approved, cut (核减) and cut
    rate; plus the total. One aggregate query over the actor's AGGREGATE reach; money exact (integer fen)."""
    qs = (scope(actor, Action.AGGREGATE, ExAnteAssessment.objects.all())
          .filter(fiscal_year__year=year, state__in=FINAL_STATES, exemption_kind="")
          .values("department_id", "department__name", "department__code")
          .annotate(n=Count("pk"), requested=Sum("requested_amount"),
                    approved=Sum(Coalesce("approved_amount", 0, output_field=MoneyField())))
          .order_by("department__code"))
    rows = []
    for r in qs:
        requested, approved = _money(r["requested"]), _money(r["approved"])
        cut = requested - approved
        rows.append(StatRow(r["department_id"], r["department__name"] or "（未归属部门）", r["n"], requested, approved,
                            cut, rules.percent(cut, requested)))
    requested = Money(sum(r.requested.fen for r in rows))
    approved = Money(sum(r.approved.fen for r in rows))
    cut = requested - approved
    total = StatRow(None, "合计", sum(r.count for r in rows), requested, approved, cut, rules.percent(cut, requested))
    return Statistics(year, rows, total)
