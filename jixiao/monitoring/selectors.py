"""Reads of monitoring, always scoped to the actor through `jixiao.core.permissions.scope`.

Lists are one query per page (their organisation and subject joined); the dashboard's figures are a fixed handful of
GROUP BY queries over the stored colours, whatever the size of the round (a province: hundreds of thousands of
reports), never one per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from jixiao.core.money import Money
from jixiao.core.permissions import Action, Actor, get_for, region_rounds, scope
from jixiao.goals.stats import share
from jixiao.monitoring.models import (
    MonitoringDisposition,
    MonitoringIndicator,
    MonitoringReport,
    MonitoringRound,
)
from jixiao.monitoring.workflows import DONE_STATES, PENDING_STATES, DispositionState, ReportState
from jixiao.policy.schema import Colour

REPORT_RELATED = ("round", "subject", "department", "unit", "region")
COLOURS = (Colour.GREEN, Colour.YELLOW, Colour.RED)
NO_COLOUR = ""  # not computed yet
LIST_FILTERS = ("department", "unit", "state", "colour", "budget_kind", "needs_disposition", "is_key", "q",
                "impossible")


def _money(value) -> Money:
    if value is None:
        return Money(0)
    return value if isinstance(value, Money) else Money(int(value))


# --- rounds -------------------------------------------------------------------------------------------------------
def round_list(actor: Actor, year: int | None = None) -> QuerySet:
    """The rounds the actor takes part in: those of the regions the bureau reaches (AGGREGATE) and those of the
    region of each of the actor's roles (a unit or department reports in its region's rounds)."""
    qs = region_rounds(actor, MonitoringRound.objects.all())
    if year:
        qs = qs.filter(fiscal_year__year=year)
    return qs.select_related("region", "fiscal_year").order_by("-fiscal_year__year", "-period_end", "-pk")


def round_get(actor: Actor, pk) -> MonitoringRound:
    from django.http import Http404

    rnd = round_list(actor).filter(pk=pk).first()
    if rnd is None:
        raise Http404("监控轮次不存在或不在您的权限范围内")
    return rnd


def latest_round(actor: Actor) -> MonitoringRound | None:
    return round_list(actor).first()


# --- reports ------------------------------------------------------------------------------------------------------
def report_list(actor: Actor, rnd: MonitoringRound | None, filters: dict | None = None, *,
                action: Action = Action.VIEW) -> QuerySet:
    """The reports of a round (or of every round when `rnd` is None) `actor` may `action`, filtered.

    `filters`: department, unit (ids), state, colour (green/yellow/red, or "none" for not computed), budget_kind,
    needs_disposition, is_key, impossible (truthy), q (subject code or name contains). Unknown keys are ignored."""
    f = filters or {}
    qs = scope(actor, action, MonitoringReport.objects.all())
    if rnd is not None:
        qs = qs.filter(round=rnd)
    for key in ("department", "unit", "state"):
        if f.get(key):
            qs = qs.filter(**{key: f[key]})
    if f.get("colour"):
        qs = qs.filter(colour=NO_COLOUR if f["colour"] == "none" else f["colour"])
    if f.get("budget_kind"):
        qs = qs.filter(budget_kind=f["budget_kind"])
    for key in ("needs_disposition", "is_key", "impossible"):
        if f.get(key):
            qs = qs.filter(**{key: True})
    text = (f.get("q") or "").strip()
    if text:
        qs = qs.filter(Q(subject__code__icontains=text) | Q(subject__name__icontains=text))
    return qs.select_related(*REPORT_RELATED).order_by("department__code", "subject__code", "pk")


def report_get(actor: Actor, pk, action: Action = Action.VIEW) -> MonitoringReport:
    return get_for(actor, action, MonitoringReport.objects.select_related(*REPORT_RELATED, "round__fiscal_year"),
                   pk=pk)


def report_rows(report: MonitoringReport) -> list[MonitoringIndicator]:
    return list(report.indicators.all().order_by("position", "pk"))


def review_queue(actor: Actor) -> QuerySet:
    """Reports waiting for this actor now: units' reports submitted to their department (REVIEW) and reports passed
    by the department waiting for the bureau (APPROVE). Oldest submission first."""
    base = MonitoringReport.objects.all()
    department = scope(actor, Action.REVIEW, base.filter(state=ReportState.SUBMITTED)).values("pk")
    finance = scope(actor, Action.APPROVE, base.filter(state=ReportState.DEPARTMENT_PASSED)).values("pk")
    return (MonitoringReport.objects.filter(Q(pk__in=department) | Q(pk__in=finance))
            .select_related(*REPORT_RELATED).order_by("submitted_at", "pk"))


def todo_reports(actor: Actor) -> QuerySet:
    """Reports the actor has to fill in (draft or returned) in rounds not closed."""
    return (scope(actor, Action.EDIT, MonitoringReport.objects.filter(round__closed_at__isnull=True))
            .select_related(*REPORT_RELATED).order_by("round__due", "subject__code", "pk"))


def due_soon(actor: Actor, today=None) -> tuple[int, set[int]]:
    """Reports the actor has to submit (draft or returned) whose round is due within the round's profile's
    `reminder_days` or already past due: (count, the distinct reminder day counts that applied)."""
    import datetime

    from jixiao.monitoring import services

    today = today or timezone.localdate()
    groups = list(scope(actor, Action.SUBMIT, MonitoringReport.objects.filter(round__closed_at__isnull=True))
                  .filter(state__in=[ReportState.DRAFT, ReportState.RETURNED], round__due__isnull=False)
                  .values("round_id").order_by().annotate(n=Count("pk")).values_list("round_id", "n"))
    if not groups:
        return 0, set()
    rounds = {r.pk: r for r in MonitoringRound.objects.filter(pk__in=[pk for pk, _ in groups])
              .select_related("fiscal_year")}
    count, days = 0, set()
    for pk, n in groups:
        rnd = rounds[pk]
        lead = services.round_params(rnd).reminder_days
        if rnd.due <= today + datetime.timedelta(days=lead):
            count += n
            days.add(lead)
    return count, days


# --- dispositions -------------------------------------------------------------------------------------------------
def disposition_list(actor: Actor, filters: dict | None = None, *, action: Action = Action.VIEW) -> QuerySet:
    """Dispositions in reach; `filters`: round, department, state, overdue (past due and still undecided)."""
    f = filters or {}
    qs = scope(actor, action, MonitoringDisposition.objects.all())
    if f.get("round"):
        qs = qs.filter(round=f["round"])
    if f.get("department"):
        qs = qs.filter(department=f["department"])
    if f.get("state"):
        qs = qs.filter(state=f["state"])
    if f.get("overdue"):
        qs = qs.filter(state__in=sorted(PENDING_STATES), due__lt=timezone.localdate())
    return qs.select_related("report__round", "subject", "department", "unit").order_by("due", "pk")


def disposition_get(actor: Actor, pk, action: Action = Action.VIEW) -> MonitoringDisposition:
    return get_for(actor, action, MonitoringDisposition.objects.select_related(
        "report__round__fiscal_year", "subject", "department", "unit", "region"), pk=pk)


def disposition_queue(actor: Actor) -> QuerySet:
    """Dispositions waiting for this actor: undecided ones it may choose (SUBMIT) and proposed ones it approves."""
    base = MonitoringDisposition.objects.all()
    choose = scope(actor, Action.SUBMIT, base.filter(state__in=sorted(PENDING_STATES))).values("pk")
    approve = scope(actor, Action.APPROVE, base.filter(state=DispositionState.PROPOSED)).values("pk")
    return (MonitoringDisposition.objects.filter(Q(pk__in=choose) | Q(pk__in=approve))
            .select_related("report__round", "subject", "department", "unit").order_by("due", "pk"))


# --- the dashboard ------------------------------------------------------------------------------------------------
ROW_COLOURS = ("blue", "green", "yellow", "red")


@dataclass
class ColourCounts:
    """Counts by colour; `none` is not computed yet (no colour stored)."""

    blue: int = 0
    green: int = 0
    yellow: int = 0
    red: int = 0
    none: int = 0

    def add(self, colour: str, n: int) -> None:
        key = colour if colour in ROW_COLOURS else "none"
        setattr(self, key, getattr(self, key) + n)

    @property
    def total(self) -> int:
        return self.blue + self.green + self.yellow + self.red + self.none

    @property
    def warned(self) -> int:
        return self.yellow + self.red


def report_figures() -> dict:
    """The aggregates of a GROUP BY over reports that the dashboard, the round's stored summary and the regions'
    sums share (`Figures.add_group` reads them)."""
    return {"n": Count("pk"), "reported": Count("pk", filter=Q(state__in=sorted(DONE_STATES))),
            "disp": Count("pk", filter=Q(needs_disposition=True)), "budget": Sum("budget_amount"),
            "spent": Sum("spent_to_date"), "behind": Sum("behind_amount")}


SUMMARY_KEYS = ("total", *ROW_COLOURS, "none", "reported", "needs_disposition", "budget", "spent", "behind")


@dataclass(kw_only=True)
class Figures:
    """Counts by colour, reporting and money of a set of reports (a department, a budget kind, a round, a region)."""

    colours: ColourCounts = field(default_factory=ColourCounts)
    reported: int = 0
    needs_disposition: int = 0
    budget_fen: int = 0  # sums in fen (plain integers while adding up); `budget`, `spent`, `behind` give Money
    spent_fen: int = 0
    behind_fen: int = 0

    @property
    def budget(self) -> Money:
        return Money(self.budget_fen)

    @property
    def spent(self) -> Money:
        return Money(self.spent_fen)

    @property
    def behind(self) -> Money:
        return Money(self.behind_fen)

    def add_group(self, g: dict) -> None:
        """Add one group of `report_groups()` (money in fen)."""
        self.colours.add(g["colour"], g["n"])
        self.reported += g["reported"]
        self.needs_disposition += g["disp"]
        self.budget_fen += g["budget"]
        self.spent_fen += g["spent"]
        self.behind_fen += g["behind"]

    def add_summary(self, s: dict) -> None:
        """Add a round's stored summary (`to_summary`)."""
        for c in (*ROW_COLOURS, "none"):
            setattr(self.colours, c, getattr(self.colours, c) + int(s.get(c, 0)))
        self.reported += int(s.get("reported", 0))
        self.needs_disposition += int(s.get("needs_disposition", 0))
        self.budget_fen += int(s.get("budget", 0))
        self.spent_fen += int(s.get("spent", 0))
        self.behind_fen += int(s.get("behind", 0))

    def to_summary(self) -> dict:
        """Plain integers (money in fen) for the round's `summary`."""
        return {"total": self.total, **{c: getattr(self.colours, c) for c in (*ROW_COLOURS, "none")},
                "reported": self.reported, "needs_disposition": self.needs_disposition, "budget": self.budget_fen,
                "spent": self.spent_fen, "behind": self.behind_fen}

    @property
    def total(self) -> int:
        return self.colours.total

    @property
    def completion_pct(self) -> Decimal:
        return share(self.reported, self.total)

    @property
    def execution_pct(self) -> Decimal:
        return share(self.spent_fen, self.budget_fen)


@dataclass(kw_only=True)
class DashboardRow(Figures):
    """One line of a breakdown (a department, a budget kind)."""

    key: str | int
    label: str


GROUP_FIELDS = ("department_id", "budget_kind", "colour", "n", "reported", "disp", "key", "budget", "spent", "behind",
                "rows", *(f"rows_{c}" for c in ROW_COLOURS))


def report_groups(reports: QuerySet) -> list[dict]:
    """The reports counted by department, budget kind and colour (`GROUP_FIELDS`; money in fen)."""
    grouped = (reports.values("department_id", "budget_kind", "colour").order_by()
               .annotate(**report_figures(), key=Count("pk", filter=Q(is_key=True)), rows=Sum("rows_total"),
                         **{f"rows_{c}": Sum(f"rows_{c}") for c in ROW_COLOURS}))
    out = []
    for g in grouped:
        for f in ("budget", "spent", "behind"):
            g[f] = _money(g[f]).fen
        for f in ("rows", *(f"rows_{c}" for c in ROW_COLOURS)):
            g[f] = int(g[f] or 0)
        out.append(g)
    return out


def _stored_groups(actor: Actor, rnd: MonitoringRound) -> list[dict] | None:
    """The round's stored groups when the actor's reach covers every report of the round (a statistics grant over
    the round's region or a region above it, and not an outsider, who does not count classified subjects); else
    None and the dashboard groups the reports it may see."""
    from jixiao.core.permissions import OUTSIDER_ROLES, Reach
    from jixiao.monitoring.models import MonitoringRoundFigures

    path = rnd.region.path
    if not any(reach is Reach.REGION_TREE and g.role not in OUTSIDER_ROLES and path.startswith(g.region_path)
               for g, reach in actor.grants_for(Action.AGGREGATE)):
        return None
    stored = MonitoringRoundFigures.objects.filter(round=rnd).values_list("groups", flat=True).first()
    if stored is None:
        return None
    return [dict(zip(GROUP_FIELDS, row, strict=True)) for row in stored]


@dataclass
class Dashboard:
    round: MonitoringRound
    totals: DashboardRow
    by_budget: list[DashboardRow]
    by_department: list[DashboardRow]
    indicator_colours: ColourCounts
    dispositions: dict[str, int]
    overdue_dispositions: int
    key_monitored: int


def dashboard(actor: Actor, rnd: MonitoringRound, *, department=None) -> Dashboard:
    """The round's figures in the actor's reach (AGGREGATE), optionally for one department: counts by colour, by
    budget (the four budgets), by department with the completion rate, indicator colours (from the counts stored on
    each report), dispositions by state. One GROUP BY over the round's reports, one over its dispositions."""
    from jixiao.budget.models import BudgetKind
    from jixiao.organisations.models import Department

    grouped = _stored_groups(actor, rnd)
    if grouped is None:
        grouped = report_groups(scope(actor, Action.AGGREGATE, MonitoringReport.objects.filter(round=rnd)))
    if department:
        dept_id = getattr(department, "pk", department)
        grouped = [g for g in grouped if g["department_id"] == dept_id]
    by_department: dict = {}
    by_budget: dict = {}
    totals = DashboardRow(key="all", label="合计")
    indicator_colours = ColourCounts()
    key_monitored = 0
    for g in grouped:
        for row in (by_department.setdefault(g["department_id"], DashboardRow(key=g["department_id"], label="")),
                    by_budget.setdefault(g["budget_kind"], DashboardRow(key=g["budget_kind"], label="")), totals):
            row.add_group(g)
        coloured = 0
        for c in ROW_COLOURS:
            n = int(g[f"rows_{c}"] or 0)
            indicator_colours.add(c, n)
            coloured += n
        indicator_colours.none += int(g["rows"] or 0) - coloured
        key_monitored += g["key"]
    departments = dict((pk, (code, name)) for pk, code, name in
                       Department.objects.filter(pk__in=[k for k in by_department if k])
                       .values_list("pk", "code", "name"))
    for pk, row in by_department.items():
        row.label = departments.get(pk, ("", "（未指定部门）"))[1]
    labels = dict(BudgetKind.choices)
    for k, row in by_budget.items():
        row.label = labels.get(k, k or "未分类")
    disp_qs = scope(actor, Action.AGGREGATE, MonitoringDisposition.objects.filter(round=rnd))
    if department:
        disp_qs = disp_qs.filter(department=department)
    today = timezone.localdate()
    dispositions, overdue = {}, 0
    for state, n, late in (disp_qs.values("state").order_by()
                           .annotate(n=Count("pk"), late=Count("pk", filter=Q(due__lt=today)))
                           .values_list("state", "n", "late")):
        dispositions[state] = n
        if state in PENDING_STATES:
            overdue += late
    order = list(BudgetKind.values)
    return Dashboard(
        round=rnd, totals=totals,
        by_budget=sorted(by_budget.values(), key=lambda r: order.index(r.key) if r.key in order else 99),
        by_department=sorted(by_department.values(), key=lambda r: (-r.colours.red, -r.colours.yellow,
                                                                     departments.get(r.key, ("",))[0])),
        indicator_colours=indicator_colours, dispositions=dispositions, overdue_dispositions=overdue,
        key_monitored=key_monitored)


# --- the year-end sweep -------------------------------------------------------------------------------------------
@dataclass
class SweepLine:
    report_id: int
    subject_id: int
    code: str
    name: str
    department_id: int
    department: str
    unit: str
    budget: Money
    spent: Money
    behind: Money
    execution_rate: Decimal | None
    colour: str
    impossible: bool
    disposition_state: str


@dataclass
class SweepDepartment:
    department_id: int
    name: str
    lines: list[SweepLine] = field(default_factory=list)

    @property
    def behind(self) -> Money:
        return sum((line.behind for line in self.lines), Money(0))

    @property
    def impossible(self) -> int:
        return sum(1 for line in self.lines if line.impossible)


SWEEP_LIMIT = 5000


def year_end_sweep(actor: Actor, rnd: MonitoringRound, *, department=None, limit: int = SWEEP_LIMIT):
    """Per department, the subjects behind schedule (amount below time progress) or that cannot reach their goals
    (an indicator judged 完全不可能, or red), for recall (收回). Returns (departments, truncated)."""
    qs = (scope(actor, Action.AGGREGATE, MonitoringReport.objects.filter(round=rnd))
          .filter(Q(behind_amount__gt=0) | Q(impossible=True) | Q(colour=Colour.RED)))
    if department:
        qs = qs.filter(department=department)
    rows = list(qs.order_by("department__code", "-behind_amount", "subject__code", "pk").values_list(
        "pk", "subject_id", "subject__code", "subject__name", "department_id", "department__name", "unit__name",
        "budget_amount", "spent_to_date", "behind_amount", "execution_rate", "colour", "impossible",
        "disposition__state")[:limit + 1])
    truncated = len(rows) > limit
    out: dict[int, SweepDepartment] = {}
    for (pk, sid, code, name, dept_id, dept, unit, budget, spent, behind, rate, colour, impossible,
         dstate) in rows[:limit]:
        group = out.setdefault(dept_id, SweepDepartment(department_id=dept_id, name=dept))
        group.lines.append(SweepLine(pk, sid, code, name, dept_id, dept, unit or "", _money(budget), _money(spent),
                                     _money(behind), rate, colour, impossible, dstate or ""))
    return list(out.values()), truncated


# --- the regions below --------------------------------------------------------------------------------------------
@dataclass(kw_only=True)
class RegionSummary(Figures):
    """One region below the round's (a city of a province, a county of a city) with its whole subtree: the sums of
    the stored summaries of the same monitoring point's rounds, and the region's own round to drill into."""

    region_id: int
    name: str
    own_round_id: int | None = None
    rounds: int = 0


def region_summary(actor: Actor, rnd: MonitoringRound) -> list[RegionSummary]:
    """The same monitoring point (year, kind, data cut-off) in the regions below the round's, grouped by the round
    region's children, from the rounds' stored summaries: one query over rounds, whatever the number of reports."""
    from jixiao.organisations.models import Region

    region = rnd.region
    rounds = (scope(actor, Action.AGGREGATE, MonitoringRound.objects.all())
              .filter(fiscal_year_id=rnd.fiscal_year_id, kind=rnd.kind, period_end=rnd.period_end,
                      region__path__startswith=region.path).exclude(pk=rnd.pk)
              .values_list("pk", "region_id", "region__path", "summary"))
    rounds = list(rounds)
    if not rounds:
        return []
    depth = len(region.path.strip("/").split("/"))
    children = {r.pk: r for r in Region.objects.filter(parent=region).order_by("code")}
    out = {pk: RegionSummary(region_id=pk, name=r.name) for pk, r in children.items()}
    for pk, region_id, path, summary in rounds:
        ids = [int(x) for x in path.strip("/").split("/") if x]
        if len(ids) <= depth:
            continue
        child = ids[depth]
        row = out.get(child)
        if row is None:
            continue
        if region_id == child:
            row.own_round_id = pk
        row.rounds += 1
        row.add_summary(summary or {})
    return [r for r in out.values() if r.rounds]
