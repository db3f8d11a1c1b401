"""Reads of self-evaluation, always scoped to the actor through `jixiao.core.permissions.scope`.

Lists are one query per page (organisation and subject joined); the department roll-up is one GROUP BY over the
stored scores, whatever the size of the round.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, Max, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from jixiao.core.bulk import as_money
from jixiao.core.money import Money
from jixiao.core.permissions import Action, Actor, get_for, region_rounds, scope
from jixiao.evaluation.models import SelfEvaluation, SelfEvaluationLine, SelfEvaluationRound, SpotCheck, SpotCheckItem
from jixiao.evaluation.workflows import DONE_STATES, SelfEvaluationState, SpotCheckState
from jixiao.organisations.models import Role
from jixiao.policy.schema import Grade

RELATED = ("round", "subject", "department", "unit", "region")
LIST_FILTERS = ("department", "unit", "state", "grade", "budget_kind", "q", "needs_explanation", "overshoot")


def round_list(actor: Actor, year: int | None = None) -> QuerySet:
    qs = region_rounds(actor, SelfEvaluationRound.objects.all())
    if year:
        qs = qs.filter(fiscal_year__year=year)
    return qs.select_related("region", "fiscal_year").order_by("-fiscal_year__year", "region__code", "-pk")


def round_get(actor: Actor, pk) -> SelfEvaluationRound:
    rnd = round_list(actor).filter(pk=pk).first() if str(pk).isdigit() else None
    if rnd is None:
        raise Http404("自评任务不存在或不在您的权限范围内")
    return rnd


def evaluation_list(actor: Actor, rnd: SelfEvaluationRound | None, filters: dict | None = None, *,
                    action: Action = Action.VIEW) -> QuerySet:
    """The sheets of a round (or of every round) `actor` may `action`, filtered: department, unit (ids), state,
    grade ("none" for not scored), budget_kind, q (subject code or name contains), needs_explanation, overshoot."""
    f = filters or {}
    qs = scope(actor, action, SelfEvaluation.objects.all())
    if rnd is not None:
        qs = qs.filter(round=rnd)
    for key in ("department", "unit", "state", "budget_kind"):
        if f.get(key):
            qs = qs.filter(**{key: f[key]})
    if f.get("grade"):
        qs = qs.filter(grade="" if f["grade"] == "none" else f["grade"])
    if f.get("needs_explanation"):
        qs = qs.filter(problems__gt=0)
    if f.get("overshoot"):
        qs = qs.filter(overshoot=True)
    text = (f.get("q") or "").strip()
    if text:
        qs = qs.filter(Q(subject__code__icontains=text) | Q(subject__name__icontains=text))
    return qs.select_related(*RELATED).order_by("department__code", "subject__code", "pk")


def evaluation_get(actor: Actor, pk, action: Action = Action.VIEW) -> SelfEvaluation:
    return get_for(actor, action, SelfEvaluation.objects.select_related(*RELATED, "round__fiscal_year"), pk=pk)


def evaluation_lines(ev: SelfEvaluation) -> list[SelfEvaluationLine]:
    return list(ev.lines.all().order_by("position", "pk"))


def review_queue(actor: Actor) -> QuerySet:
    """Sheets waiting for this actor now: submitted to the department (REVIEW) or passed to the bureau (APPROVE)."""
    base = SelfEvaluation.objects.all()
    department = scope(actor, Action.REVIEW, base.filter(state=SelfEvaluationState.SUBMITTED)).values("pk")
    finance = scope(actor, Action.APPROVE, base.filter(state=SelfEvaluationState.DEPARTMENT_PASSED)).values("pk")
    return (SelfEvaluation.objects.filter(Q(pk__in=department) | Q(pk__in=finance))
            .select_related(*RELATED).order_by("submitted_at", "pk"))


def todo_evaluations(actor: Actor) -> QuerySet:
    """Sheets the actor has to fill in (draft or returned)."""
    return scope(actor, Action.EDIT, SelfEvaluation.objects.all()).select_related(*RELATED).order_by(
        "round__due", "subject__code", "pk")


# --- the department roll-up ---------------------------------------------------------------------------------------
@dataclass
class RollupRow:
    department_id: int | None
    name: str
    code: str
    tasks: int = 0
    done: int = 0
    accepted: int = 0
    budget: Money = field(default_factory=Money)
    executed: Money = field(default_factory=Money)
    average: Decimal | None = None
    grades: dict = field(default_factory=lambda: {g: 0 for g in Grade.values})
    needs_explanation: int = 0
    overshoot: int = 0

    @property
    def coverage_pct(self) -> Decimal:
        return (Decimal(self.done * 100) / self.tasks).quantize(Decimal("0.01")) if self.tasks else Decimal("0.00")

    @property
    def execution_pct(self) -> Decimal | None:
        if not self.budget.fen:
            return None
        return (Decimal(self.executed.fen * 100) / Decimal(self.budget.fen)).quantize(Decimal("0.01"))


def department_rollup(actor: Actor, rnd: SelfEvaluationRound, *, department=None) -> tuple[list[RollupRow], RollupRow]:
    """Per department of the round (as the actor may see them): tasks, done (submitted or later), accepted, budget
    and executed amounts, average total score and grades of the done sheets, sheets still missing explanations,
    sheets with overshoot to review. Two GROUP BY queries and one aggregate; the total row sums them."""
    qs = evaluation_list(actor, rnd, {"department": department} if department else None).order_by()
    keys = ("department_id", "department__name", "department__code")
    rows: dict = {}
    for g in qs.values(*keys).annotate(
            tasks=Count("id"), done=Count("id", filter=Q(state__in=sorted(DONE_STATES))),
            accepted=Count("id", filter=Q(state=SelfEvaluationState.ACCEPTED)), budget=Sum("annual_budget"),
            executed=Sum("executed"), needs=Count("id", filter=Q(problems__gt=0)),
            overshoot=Count("id", filter=Q(overshoot=True)),
            average=Avg("total_score", filter=Q(state__in=sorted(DONE_STATES)))):
        rows[g["department_id"]] = RollupRow(
            g["department_id"], g["department__name"] or "（本级）", g["department__code"] or "", g["tasks"],
            g["done"], g["accepted"], as_money(g["budget"]), as_money(g["executed"]),
            None if g["average"] is None else Decimal(str(g["average"])).quantize(Decimal("0.01")),
            needs_explanation=g["needs"], overshoot=g["overshoot"])
    for dept, grade, n in (qs.filter(state__in=sorted(DONE_STATES)).exclude(grade="")
                           .values_list("department_id", "grade").annotate(n=Count("id"))):
        rows[dept].grades[grade] = n
    ordered = sorted(rows.values(), key=lambda r: r.code)
    total = RollupRow(None, "合计", "")
    for r in ordered:
        total.tasks += r.tasks
        total.done += r.done
        total.accepted += r.accepted
        total.budget += r.budget
        total.executed += r.executed
        total.needs_explanation += r.needs_explanation
        total.overshoot += r.overshoot
        for g, n in r.grades.items():
            total.grades[g] += n
    average = qs.filter(state__in=sorted(DONE_STATES)).aggregate(a=Avg("total_score"))["a"]
    total.average = None if average is None else Decimal(str(average)).quantize(Decimal("0.01"))
    return ordered, total


# --- spot checks --------------------------------------------------------------------------------------------------
ITEM_RELATED = ("spot_check__round__fiscal_year", "subject", "department", "unit", "agency", "evaluation")


def _agency_ids(actor: Actor) -> set[int]:
    return {g.agency_id for g in actor.grants if g.agency_id}


def spot_check_items(actor: Actor, check: SpotCheck | None = None, filters: dict | None = None) -> QuerySet:
    """Items the actor may see: the bureau and departments by their reach; an agency only the items it was
    commissioned for. `filters`: department, state, agency (id, or "self" for the bureau's own), inflated."""
    f = filters or {}
    qs = scope(actor, Action.VIEW, SpotCheckItem.objects.all())
    if actor.has_role(Role.AGENCY):
        qs = qs.filter(agency_id__in=sorted(_agency_ids(actor)))
    if check is not None:
        qs = qs.filter(spot_check=check)
    if f.get("department"):
        qs = qs.filter(department=f["department"])
    if f.get("state"):
        qs = qs.filter(state=f["state"])
    if f.get("agency") == "self":
        qs = qs.filter(agency__isnull=True)
    elif f.get("agency"):
        qs = qs.filter(agency=f["agency"])
    if f.get("inflated"):
        qs = qs.filter(inflated=True)
    return qs.select_related(*ITEM_RELATED).order_by("department__code", "subject__code", "pk")


def spot_check_item_get(actor: Actor, pk) -> SpotCheckItem:
    item = spot_check_items(actor).filter(pk=pk).first() if str(pk).isdigit() else None
    if item is None:
        raise Http404("复核项目不存在或不在您的权限范围内")
    return item


def inflated_by_department(region_id: int, year: int) -> dict[int | None, int]:
    """Confirmed inflated self-scores per department in a region's year (for the department appraisal)."""
    return dict(SpotCheckItem.objects.filter(
        spot_check__round__region_id=region_id, spot_check__round__fiscal_year__year=year, inflated=True,
        state=SpotCheckState.CONFIRMED).values("department_id").annotate(n=Count("id"))
        .values_list("department_id", "n"))


# --- department and fiscal evaluations ----------------------------------------------------------------------------
def evaluations(actor: Actor, *, year: int | None = None, kind: str | None = None) -> QuerySet:
    """Department and fiscal evaluations the actor may see (an agency: those it was commissioned for)."""
    from jixiao.evaluation.models import Evaluation

    qs = scope(actor, Action.VIEW, Evaluation.objects.all())
    if actor.has_role(Role.AGENCY):
        qs = qs.filter(agency_id__in=sorted(_agency_ids(actor)))
    if year:
        qs = qs.filter(fiscal_year__year=year)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("fiscal_year", "subject", "department", "agency", "region").order_by(
        "-fiscal_year__year", "kind", "subject__code", "pk")


def evaluation_record_get(actor: Actor, pk):
    item = evaluations(actor).filter(pk=pk).first() if str(pk).isdigit() else None
    if item is None:
        raise Http404("评价不存在或不在您的权限范围内")
    return item


# --- the year's evaluation plan and its coverage ------------------------------------------------------------------
@dataclass
class BudgetCoverage:
    budget_kind: str
    label: str
    subjects: int
    amount: Money
    fiscal: int  # fiscal evaluations (财政评价 and 再评价)
    fiscal_amount: Money
    department: int
    department_amount: Money


PLAN_KINDS = ("project", "policy", "transfer_payment")
PLAN_ROLES = (Role.FINANCE_ADMIN, Role.BUDGET_OFFICER, Role.DEPARTMENT, Role.OVERSEER, Role.SYSADMIN)


@dataclass
class PlanScope:
    region_id: int
    department_id: int | None  # the actor's own department, or the one asked for
    departments: QuerySet  # the region's departments the actor may choose from


def plan_scope(actor: Actor, department_id: int | None = None) -> PlanScope:
    """Whose plan the actor looks at: the region of its first bureau, department or overseer role, and its own
    department or (for the bureau) one of the region's departments it may see. PermissionDenied for anyone else;
    ValidationError({"department_id"}) for a department out of reach."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from jixiao.organisations.models import Department

    grant = next((g for g in actor.grants if g.role in PLAN_ROLES), None)
    if grant is None:
        raise PermissionDenied("评价计划由财政部门和主管部门查看")
    visible = scope(actor, Action.VIEW, Department.objects.filter(region_id=grant.region_id))
    chosen = grant.department_id or department_id
    if chosen and not visible.filter(pk=chosen).exists():
        raise ValidationError({"department_id": ["主管部门不存在或不在您的权限范围内"]})
    return PlanScope(grant.region_id, chosen, visible.none() if grant.department_id else visible)


@dataclass
class EvaluationPlan:
    year: int
    region_id: int
    coverage: object  # coverage.Coverage
    by_budget: list[BudgetCoverage]
    names: dict[int, str]  # subject id -> "code name" for the due lists
    key_amount: Money | None


def evaluation_plan(actor: Actor, year: int, *, region_id: int, department_id: int | None = None,
                    bond_quota_fen: int | None = None) -> EvaluationPlan:
    """The year's department and fiscal evaluation lists checked against the profile (`coverage.plan_coverage`) over
    the projects, policies and transfer payments the actor reaches in the region (one department's with
    `department_id`; department- and unit-wide spending is evaluated apart), and the coverage figures by budget: how
    many fiscal and department evaluations and how much money they cover, in each of the four budgets. A key project
    is one whose year's amount reaches the profile's key-project amount (`goal_review.key_project_amount_yuan`); its
    last evaluation is looked up by project code in earlier years. A key special fund (重点专项资金, the profile's
    `key_fund_coverage_pct`) is a policy or transfer payment of that size (the system's reading: the budget data has
    no flag of its own for it)."""
    from jixiao.budget.models import BudgetKind, PerformanceSubject, SubjectKind
    from jixiao.evaluation.coverage import PlanSubject, department_deadline, plan_coverage
    from jixiao.evaluation.models import Evaluation, EvaluationKind
    from jixiao.organisations.models import Department
    from jixiao.policy.selectors import effective_profile

    params = effective_profile(region_id, year).params
    subjects = scope(actor, Action.VIEW, PerformanceSubject.objects.filter(
        region_id=region_id, fiscal_year__year=year, kind__in=PLAN_KINDS))
    if department_id:
        subjects = subjects.filter(department_id=department_id)
    rows = list(subjects.values_list("pk", "code", "name", "department_id", "annual_amount", "budget_kind",
                                     "special_category", "start_date", "end_date", "kind"))
    planned: dict[int, set[str]] = {}
    done: set[int] = set()  # department evaluations archived by the profile's completion date (any date if none)
    deadline = department_deadline(params.evaluation, year)
    for sid, kind, archived_at in Evaluation.objects.filter(fiscal_year__year=year, subject_id__in=[r[0] for r in rows]
                                                            ).values_list("subject_id", "kind", "archived_at"):
        planned.setdefault(sid, set()).add(kind)
        if kind == EvaluationKind.DEPARTMENT and archived_at is not None and (
                deadline is None or timezone.localdate(archived_at) <= deadline):
            done.add(sid)
    codes = [r[1] for r in rows]
    last: dict[str, int] = {}
    for code, y in (Evaluation.objects.filter(region_id=region_id, subject__code__in=codes,
                                              fiscal_year__year__lt=year)
                    .values("subject__code").annotate(y=Max("fiscal_year__year")).values_list("subject__code", "y")):
        last[code] = y
    key_yuan = params.goal_review.key_project_amount_yuan
    key_fen = int(key_yuan * 100) if key_yuan is not None else None
    plan_subjects = []
    by_kind: dict[str, list] = {k: [0, 0, 0, 0, 0, 0] for k in BudgetKind.values}
    for sid, code, name, dept, amount, budget_kind, special, start, end, subject_kind in rows:
        fen = amount.fen if amount is not None else 0
        kinds = planned.get(sid, set())
        is_key = key_fen is not None and fen >= key_fen
        plan_subjects.append(PlanSubject(
            sid, f"{code} {name}", dept, fen, planned=bool(kinds),
            key_fund=is_key and subject_kind in (SubjectKind.POLICY, SubjectKind.TRANSFER_PAYMENT),
            department_planned=EvaluationKind.DEPARTMENT in kinds,
            fiscal_planned=bool(kinds & {EvaluationKind.FISCAL, EvaluationKind.RE_EVALUATION}),
            department_done=sid in done,
            is_key=is_key and subject_kind == SubjectKind.PROJECT,
            last_evaluated_year=last.get(code), start_year=start.year if start else None,
            end_year=end.year if end else None, special_bond=special == "special_bond"))
        acc = by_kind.setdefault(budget_kind, [0, 0, 0, 0, 0, 0])
        acc[0] += 1
        acc[1] += fen
        if kinds & {EvaluationKind.FISCAL, EvaluationKind.RE_EVALUATION}:
            acc[2] += 1
            acc[3] += fen
        if EvaluationKind.DEPARTMENT in kinds:
            acc[4] += 1
            acc[5] += fen
    dept_ids = {r[3] for r in rows if r[3]}
    if department_id:
        dept_ids.add(department_id)
    names = dict(Department.objects.filter(pk__in=dept_ids).values_list("pk", "name"))
    result = plan_coverage(plan_subjects, params.evaluation, year, departments=names, bond_quota_fen=bond_quota_fen,
                           today=timezone.localdate())
    labels = dict(BudgetKind.choices)
    by_budget = [BudgetCoverage(k, labels.get(k, k), a[0], Money(a[1]), a[2], Money(a[3]), a[4], Money(a[5]))
                 for k, a in by_kind.items()]
    return EvaluationPlan(year, region_id, result, by_budget, {s.id: s.name for s in plan_subjects},
                          Money(key_fen) if key_fen is not None else None)
