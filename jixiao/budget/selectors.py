"""Reads of the project library, always scoped to the actor through `jixiao.core.permissions.scope`."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from jixiao.budget import rules
from jixiao.budget.models import BudgetLine, ExecutionRecord, FiscalYear, PerformanceSubject
from jixiao.core.money import ZERO, Money, MoneyField
from jixiao.core.permissions import OUTSIDER_ROLES, Action, Actor, exclude_classified, get_for, scope
from jixiao.organisations.models import Department, Region, Unit

# Sort key → ORDER BY columns. Names sort by their stored pinyin key; every order ends with a unique column so that
# pages never overlap or skip rows.
SORTS: dict[str, tuple[str, ...]] = {
    "code": ("code", "pk"),
    "name": ("sort_key", "code", "pk"),
    "amount": ("annual_amount", "code", "pk"),
    "department": ("department__sort_key", "department__code", "code", "pk"),
    "state": ("state", "code", "pk"),
    "updated": ("updated_at", "pk"),
}
DEFAULT_SORT = "code"
LIST_RELATED = ("fiscal_year", "region", "department", "unit")


def subject_list(actor: Actor, filters: dict | None = None, *, action: Action = Action.VIEW) -> QuerySet:
    """The subjects `actor` may `action` (VIEW by default), filtered and sorted.

    `filters` are cleaned values as `forms.SubjectFilterForm.filters()` gives them: year (int), budget_kind, kind,
    department (id), unit (id), special_category ("none" for none), state, classified ("yes"/"no"),
    amount_min/amount_max (Money, on the annual amount), q (code or name contains), sort (a key of SORTS, "-" for
    descending). Unknown keys are ignored."""
    f = filters or {}
    qs = scope(actor, action, PerformanceSubject.objects.all()).select_related(*LIST_RELATED)
    if action is Action.EXPORT and actor.has_role(*OUTSIDER_ROLES):
        qs = exclude_classified(qs)
    if f.get("year"):
        qs = qs.filter(fiscal_year__year=f["year"])
    for key in ("budget_kind", "kind", "state"):
        if f.get(key):
            qs = qs.filter(**{key: f[key]})
    if f.get("department"):
        qs = qs.filter(department_id=f["department"])
    if f.get("unit"):
        qs = qs.filter(unit_id=f["unit"])
    special = f.get("special_category")
    if special:
        qs = qs.filter(special_category="" if special == "none" else special)
    if f.get("classified") == "yes":
        qs = qs.filter(is_classified=True)
    elif f.get("classified") == "no":
        qs = qs.filter(is_classified=False)
    if f.get("amount_min") is not None:
        qs = qs.filter(annual_amount__gte=f["amount_min"])
    if f.get("amount_max") is not None:
        qs = qs.filter(annual_amount__lte=f["amount_max"])
    text = (f.get("q") or "").strip()
    if text:
        qs = qs.filter(Q(code__icontains=text) | Q(name__icontains=text))
    return qs.order_by(*order_by(f.get("sort")))


def order_by(sort: str | None) -> list[str]:
    sort = sort or DEFAULT_SORT
    descending = sort.startswith("-")
    columns = SORTS.get(sort.lstrip("-"), SORTS[DEFAULT_SORT])
    return [f"-{c}" if descending else c for c in columns]


@dataclass(frozen=True)
class Totals:
    count: int
    annual: Money
    adjusted: Money  # the adjusted budget where there is one, else the annual budget
    total: Money


def subject_totals(qs: QuerySet) -> Totals:
    """Count and sums of a (filtered) subject queryset, in one query."""
    row = qs.order_by().aggregate(
        n=Count("pk"),
        annual=Sum("annual_amount"),
        current=Sum(Coalesce("adjusted_amount", "annual_amount", output_field=MoneyField())),
        total=Sum("total_amount"),
    )
    return Totals(row["n"], _money(row["annual"]), _money(row["current"]), _money(row["total"]))


def _money(value) -> Money:
    if value is None:
        return ZERO
    return value if isinstance(value, Money) else Money(int(value))


def subject_get(actor: Actor, pk, action: Action = Action.VIEW) -> PerformanceSubject:
    """One subject by id: 404 when it does not exist or is outside the actor's reach, 403 when visible but `action`
    is not allowed."""
    return get_for(actor, action, PerformanceSubject.objects.select_related(*LIST_RELATED), pk=pk)


def fiscal_years() -> list[FiscalYear]:
    return list(FiscalYear.objects.order_by("-year"))


def default_year(years: list[FiscalYear]) -> int | None:
    for fy in years:
        if fy.is_current:
            return fy.year
    return years[0].year if years else None


def filter_departments(actor: Actor) -> QuerySet:
    """Departments whose subjects the actor can see (for the filter box)."""
    visible = scope(actor, Action.VIEW, PerformanceSubject.objects.all()).values("department_id")
    return Department.objects.filter(pk__in=visible).order_by("sort_key", "code")


def filter_units(actor: Actor, department_id: int | None = None) -> QuerySet:
    visible = scope(actor, Action.VIEW, PerformanceSubject.objects.all()).values("unit_id")
    qs = Unit.objects.filter(pk__in=visible)
    if department_id:
        qs = qs.filter(department_id=department_id)
    return qs.order_by("sort_key", "code")


def writable_departments(actor: Actor, action: Action = Action.CREATE) -> QuerySet:
    """Departments under which the actor may create (or move) subjects: their own department or their unit's."""
    ids = {g.department_id for g, _ in actor.grants_for(action) if g.department_id}
    return Department.objects.filter(pk__in=sorted(ids), is_active=True).order_by("code")


def writable_units(actor: Actor, action: Action = Action.CREATE) -> QuerySet:
    """Units the actor may put a subject under: a unit user's own unit, or every unit of a department user."""
    q = Q(pk__in=[])
    for g, reach in actor.grants_for(action):
        if reach == "unit" and g.unit_id:
            q |= Q(pk=g.unit_id)
        elif reach == "department" and g.department_id:
            q |= Q(department_id=g.department_id)
    return Unit.objects.filter(q, is_active=True).select_related("department").order_by("department__code", "code")


def import_regions(actor: Actor) -> list[Region]:
    """The regions the actor may import into (from their IMPORT grants)."""
    ids = sorted({g.region_id for g, _ in actor.grants_for(Action.IMPORT)})
    return list(Region.objects.filter(pk__in=ids).order_by("code"))


def budget_lines(subject: PerformanceSubject) -> list[BudgetLine]:
    return list(subject.budget_lines.order_by("id"))


@dataclass(frozen=True)
class ExecutionRow:
    month: int
    amount: Money | None
    cumulative: Money
    rate: object  # Decimal percent or None


def execution_table(subject: PerformanceSubject) -> list[ExecutionRow]:
    """The twelve months of the subject's year: spending in the month, cumulative, and cumulative ÷ current budget."""
    by_month = {r.month: r.amount for r in
                ExecutionRecord.objects.filter(subject=subject, year=subject.fiscal_year.year)}
    rows, running = [], ZERO
    budget = subject.current_amount
    last = max(by_month) if by_month else 0
    for month in range(1, 13):
        amount = by_month.get(month)
        if amount is not None:
            running = running + amount
        rows.append(ExecutionRow(month, amount, running,
                                 rules.execution_rate(running, budget) if month <= last else None))
    return rows


def execution_total(subject: PerformanceSubject) -> Money:
    value = ExecutionRecord.objects.filter(subject=subject, year=subject.fiscal_year.year).aggregate(
        s=Sum("amount"))["s"]
    return _money(value)
