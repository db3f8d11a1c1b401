"""Coverage of goal sheets (绩效目标覆盖情况): how many subjects, departments and units have approved goals, how the
reviews graded them, and which reviews are overdue. Read-only, scoped with `scope(actor, Action.AGGREGATE, ...)`: a
finance admin sees the region and every region below it, a budget officer the departments in charge, a department its
own, a unit its own.

Built for a province (300,000 subjects): a fixed handful of GROUP BY queries whatever the size, never one per row.

Definitions (the seed: 通辽 "73 departments, 237 units covered"):

* a subject *has goals* when it has a goal sheet; its goals have *passed* when the sheet is in
  `PASSED_STATES` (passed by the bureau, approved or issued); they are *approved* when the sheet is
  approved with the budget or issued to the unit (`LOCKED_STATES`: 已批复, 已下达).
* a *unit is covered* when at least one of its subjects of the year has approved goals; a unit without subjects of
  its own that year (a small department's office, 本级) is covered by its department's approved department-wide
  goals, which take in the spending of all its units.
* a *department is covered* when at least one of its subjects has approved goals and every department-wide subject
  of the department (部门整体支出, kind ``department_wide``) has approved goals; a department without a
  department-wide subject that year is covered by the first condition alone.
* the totals of departments and units are the active departments and units in reach, plus any (inactive) one that
  still has subjects of the year.
* the grade distribution counts, per review level, the grade of the *last* review of each sheet at that level (优/良/
  中/差), so a sheet returned with 中 and passed with 优 on resubmission counts once, as 优.
* a review is *overdue* when the sheet waits for review (submitted or passed by the department) and its review
  deadline (`review_due`, set on submission from the profile's working days) is before today.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When
from django.utils import timezone

from jixiao.core.calendar import working_days_between
from jixiao.core.permissions import Action, Actor, scope
from jixiao.goals.workflows import LOCKED_STATES, PASSED_STATES, GoalState, ReviewLevel
from jixiao.policy.schema import GRADE_ORDER, Grade

OVERDUE_ROWS = 50
WAITING_STATES = (GoalState.SUBMITTED, GoalState.DEPARTMENT_PASSED)
DEPARTMENT_WIDE = "department_wide"


def share(part: int, whole: int) -> Decimal:
    """`part` of `whole` in per cent, two decimals (0 when there is nothing to cover)."""
    if not whole:
        return Decimal("0.00")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class DepartmentRow:
    department_id: int
    code: str
    name: str
    region_name: str
    subjects: int = 0
    with_sheet: int = 0
    passed: int = 0
    approved: int = 0
    department_wide: int = 0
    department_wide_approved: int = 0

    @property
    def share(self) -> Decimal:
        """Share of the department's subjects with approved goals, per cent."""
        return share(self.approved, self.subjects)

    @property
    def covered(self) -> bool:
        return self.approved > 0 and self.department_wide_approved == self.department_wide


@dataclass
class OverdueRow:
    sheet_id: int
    subject_id: int
    subject_code: str
    subject_name: str
    department_name: str
    unit_name: str
    state: str
    review_level: str
    submitted_at: datetime.datetime | None
    review_due: datetime.date
    working_days_overdue: int

    @property
    def state_label(self) -> str:
        return GoalState(self.state).label

    @property
    def level_label(self) -> str:
        return ReviewLevel(self.review_level).label if self.review_level else ""


@dataclass
class Coverage:
    year: int
    today: datetime.date
    subjects_total: int = 0
    subjects_with_sheet: int = 0
    subjects_passed: int = 0  # sheet passed review (passed, approved or issued)
    subjects_approved: int = 0  # sheet approved with the budget or issued
    departments_total: int = 0
    departments_covered: int = 0
    units_total: int = 0
    units_covered: int = 0
    by_department: list[DepartmentRow] = field(default_factory=list)
    # level → grade → count of sheets whose last review at that level gave that grade
    grade_distribution: dict[str, dict[str, int]] = field(default_factory=dict)
    overdue_reviews: int = 0
    overdue_rows: list[OverdueRow] = field(default_factory=list)

    @property
    def subjects_share(self) -> Decimal:
        return share(self.subjects_approved, self.subjects_total)

    @property
    def passed_share(self) -> Decimal:
        return share(self.subjects_passed, self.subjects_total)

    @property
    def departments_share(self) -> Decimal:
        return share(self.departments_covered, self.departments_total)

    @property
    def units_share(self) -> Decimal:
        return share(self.units_covered, self.units_total)

    def grade_rows(self) -> list[dict]:
        """The distribution as table rows: level label, then counts in 优 良 中 差 order, and the total."""
        out = []
        for level in ReviewLevel:
            counts = self.grade_distribution.get(level.value, {})
            row = {"level": level.value, "label": level.label,
                   "counts": [(Grade(g).label, counts.get(g, 0)) for g in GRADE_ORDER]}
            row["total"] = sum(n for _g, n in row["counts"])
            out.append(row)
        return out


def _year_value(year) -> int:
    return int(getattr(year, "year", year))


def _in_region(qs: QuerySet, region, path_field: str = "region__path") -> QuerySet:
    if region is None:
        return qs
    return qs.filter(**{f"{path_field}__startswith": region.path})


def coverage(actor: Actor, year, region=None, *, today: datetime.date | None = None) -> Coverage:
    """The coverage figures of `year` (an int or a FiscalYear) for what the actor may aggregate, optionally within
    `region` and the regions below it. See the module docstring for the definitions. Six queries (a seventh
    when an inactive department still has subjects), whatever the number of rows."""
    from jixiao.budget.models import PerformanceSubject
    from jixiao.goals.models import GoalReview, GoalSheet
    from jixiao.organisations.models import Department, Unit

    y = _year_value(year)
    today = today or timezone.localdate()
    result = Coverage(year=y, today=today)
    passed, approved = sorted(PASSED_STATES), sorted(LOCKED_STATES)

    # 1. Subjects with their sheets, per department and unit: one pass over the year's subjects.
    subjects = _in_region(scope(actor, Action.AGGREGATE, PerformanceSubject.objects.filter(fiscal_year__year=y)),
                          region)
    groups = (subjects.order_by().values("department_id", "unit_id").annotate(
        total=Count("id"),
        with_sheet=Count("goal_sheet__id"),
        passed=Count("id", filter=Q(goal_sheet__state__in=passed)),
        approved=Count("id", filter=Q(goal_sheet__state__in=approved)),
        dw=Count("id", filter=Q(kind=DEPARTMENT_WIDE)),
        dw_approved=Count("id", filter=Q(kind=DEPARTMENT_WIDE, goal_sheet__state__in=approved)),
    ))
    per_dept: dict[int, dict] = {}
    unit_approved: dict[int, int] = {}
    keys = ("total", "with_sheet", "passed", "approved", "dw", "dw_approved")
    for g in groups:
        result.subjects_total += g["total"]
        result.subjects_with_sheet += g["with_sheet"]
        result.subjects_passed += g["passed"]
        result.subjects_approved += g["approved"]
        if g["department_id"] is not None:
            acc = per_dept.setdefault(g["department_id"], dict.fromkeys(keys, 0))
            for k in keys:
                acc[k] += g[k]
        if g["unit_id"] is not None:
            unit_approved[g["unit_id"]] = unit_approved.get(g["unit_id"], 0) + g["approved"]

    # 2-3. The departments and units in reach (the denominators), with the departments' names.
    departments = _in_region(scope(actor, Action.AGGREGATE, Department.objects.filter(is_active=True)), region)
    names = {d["id"]: d for d in departments.order_by().values("id", "code", "name", "region__name",
                                                                "region__path")}
    missing = sorted(set(per_dept) - set(names))
    if missing:  # inactive departments that still have subjects of the year (rare): their names too
        names.update({d["id"]: d for d in Department.objects.filter(pk__in=missing).order_by()
                      .values("id", "code", "name", "region__name", "region__path")})
    units = dict(_in_region(scope(actor, Action.AGGREGATE, Unit.objects.filter(is_active=True)), region)
                 .order_by().values_list("id", "department_id"))
    result.units_total = len(set(units) | set(unit_approved))
    result.units_covered = sum(1 for n in unit_approved.values() if n)
    for unit_id, dept_id in units.items():
        if unit_id not in unit_approved:
            acc = per_dept.get(dept_id)
            if acc is not None and acc["dw"] and acc["dw_approved"] == acc["dw"]:
                result.units_covered += 1

    rows = []
    for dept_id, d in names.items():
        acc = per_dept.get(dept_id, dict.fromkeys(keys, 0))
        rows.append(DepartmentRow(
            department_id=dept_id, code=d["code"], name=d["name"], region_name=d["region__name"],
            subjects=acc["total"], with_sheet=acc["with_sheet"], passed=acc["passed"], approved=acc["approved"],
            department_wide=acc["dw"], department_wide_approved=acc["dw_approved"]))
    paths = {dept_id: d["region__path"] for dept_id, d in names.items()}
    rows.sort(key=lambda r: (paths.get(r.department_id, ""), r.code))
    result.by_department = rows
    result.departments_total = len(rows)
    result.departments_covered = sum(1 for r in rows if r.covered)

    # 4. Grades: the last review of each sheet at each level, in one pass over the reviews. The grade rides along
    # with the id (id × 10 + the grade's digit), so the largest value of a sheet and level carries the grade of its
    # last review, and no second lookup is needed.
    sheets = _in_region(scope(actor, Action.AGGREGATE, GoalSheet.objects.filter(fiscal_year__year=y)), region)
    digits = {g.value: i for i, g in enumerate(GRADE_ORDER, start=1)}
    digit = Case(*[When(grade=g, then=Value(d)) for g, d in digits.items()], default=Value(0),
                 output_field=IntegerField())
    inner = (GoalReview.objects.filter(sheet_id__in=sheets.order_by().values("id")).order_by()
             .values("sheet_id", "level").annotate(last=Max(F("id") * 10 + digit)))
    distribution: dict[str, dict[str, int]] = {level.value: {g.value: 0 for g in GRADE_ORDER} for level in ReviewLevel}
    grade_of = {d: g for g, d in digits.items()}
    try:
        sql, params = inner.query.sql_with_params()
    except EmptyResultSet:  # nothing in reach
        sql = None
    if sql is not None:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT t."level", t."last" %% 10, COUNT(*) FROM ({sql}) t '  # noqa: S608 - ORM-made
                           f'GROUP BY t."level", t."last" %% 10', params)
            for level, d, n in cursor.fetchall():
                if d in grade_of:
                    distribution.setdefault(level, {})[grade_of[d]] = n
    result.grade_distribution = distribution

    # 5-6. Overdue reviews: how many, and the longest overdue first.
    overdue = sheets.filter(state__in=WAITING_STATES, review_due__lt=today)
    result.overdue_reviews = overdue.count()
    if result.overdue_reviews:
        for r in (overdue.order_by("review_due", "id").values(
                "id", "subject_id", "subject__code", "subject__name", "department__name", "unit__name", "state",
                "review_level", "submitted_at", "review_due")[:OVERDUE_ROWS]):
            result.overdue_rows.append(OverdueRow(
                sheet_id=r["id"], subject_id=r["subject_id"], subject_code=r["subject__code"],
                subject_name=r["subject__name"], department_name=r["department__name"] or "",
                unit_name=r["unit__name"] or "", state=r["state"], review_level=r["review_level"],
                submitted_at=r["submitted_at"], review_due=r["review_due"],
                working_days_overdue=max(0, working_days_between(r["review_due"], today))))
    return result
