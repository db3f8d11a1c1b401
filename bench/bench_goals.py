"""Goal sheets at scale: (a) checking and saving a 40-row goal sheet, (b) indicator suggestions for a new subject,
(c) coverage statistics of a whole province — each against a floor measured in the same run.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jixiao_bench JIXIAO_TESTING=1 .venv/bin/python -m bench goals

The data set is a generated region kept in the bench database (generated once, by `jixiao.demo.generator`, when it
is not there): the province (内蒙古自治区, 300,000 subjects, about three million goal-sheet rows) on PostgreSQL, the
city (通辽市, 3,000 subjects) on SQLite; BENCH_GOALS_SCALE overrides.

Floors:
(a) the same 40 rows written by hand: one DELETE of the sheet's rows and one multi-row INSERT, in a transaction;
(b) one plain library search for the subject's name, as a user would type it (`indicator_search`, a page of 20);
(c) the same counts in hand-written SQL without permission scoping or the ORM: subjects ⟕ goal sheets grouped by
    department and unit, the departments' and units' rows, the last review per sheet and level grouped by grade (the
    same one-pass MAX(id × 10 + grade) as `coverage`), the overdue count — the statements
    `jixiao.goals.stats.coverage` needs. The issue asks for (c) within 3×.

Last run (PostgreSQL 15, the province: 300,000 subjects, 291,604 sheets, 2,744,451 rows, 110,322 indicators; a shared
machine): (a) check 2.3 ms p50 / 2.6 ms p95, check + save 68 ms p50 / 78 ms p95 against 9.6 ms for the raw DELETE +
INSERT (the save also reads history and standards, audits and counts library use); (b) suggestions 89 ms p50 / 130 ms
p95 against 9.8 ms for one plain search (the suggestion runs an any-word search and two queries over similar
sheets); (c) coverage of the whole province 2.65 s against 2.24 s of raw SQL: 1.18×.
"""

from __future__ import annotations

import os
import statistics
import time
from decimal import Decimal

from bench.common import YEAR, dataset, ms, percentile

RUNS = int(os.environ.get("BENCH_GOALS_RUNS", "30"))
SUGGEST_SUBJECTS = int(os.environ.get("BENCH_GOALS_SUGGEST", "40"))
COVERAGE_RUNS = int(os.environ.get("BENCH_GOALS_COVERAGE_RUNS", "5"))
BENCH_SUBJECT = "BENCHGOALS0000000000001"


def _dataset():
    return dataset("BENCH_GOALS_SCALE")


def _user(username: str, role: str, region, *, department=None, unit=None):
    from jixiao.core.permissions import actor_for
    from jixiao.organisations.models import RoleAssignment, User

    user, created = User.objects.get_or_create(username=username, defaults={"full_name": username})
    if created:
        RoleAssignment.objects.create(user=user, role=role, region=region, department=department, unit=unit)
    return actor_for(user)


# ---- (a) check and save a 40-row sheet -------------------------------------------------------------------------------

def _sheet_40(region):
    """A bench subject of a unit of the region (or below it), its goal sheet (draft) and 40 rows from the library."""
    from jixiao.budget.models import FiscalYear, PerformanceSubject
    from jixiao.core.money import Money
    from jixiao.goals import services
    from jixiao.goals.data import SheetData
    from jixiao.goals.models import GoalSheet
    from jixiao.indicators.models import Indicator
    from jixiao.organisations.models import Role, Unit

    unit = (Unit.objects.filter(region__path__startswith=region.path, name__contains="中学")
            .select_related("department", "region").order_by("id").first())
    actor = _user("bench_goals_unit", Role.UNIT, unit.region, department=unit.department, unit=unit)
    subject, _ = PerformanceSubject.objects.get_or_create(
        region=unit.region, fiscal_year=FiscalYear.objects.get(year=YEAR), code=BENCH_SUBJECT,
        defaults={"name": f"{unit.name}教学楼维修改造项目", "department": unit.department, "unit": unit,
                  "sector": "教育", "annual_amount": Money.from_yuan("3000000"),
                  "total_amount": Money.from_yuan("3000000"), "description": "维修改造教学楼屋面、门窗和供暖管网。"})
    sheet = GoalSheet.objects.filter(subject=subject).first() or services.goal_sheet_create(actor=actor,
                                                                                          subject=subject)
    library_region = unit.region.parent if unit.region.level > 2 else unit.region  # a county uses its city's
    ids: list[int] = []
    for level1, level2, n in (("output", "数量指标", 10), ("output", "质量指标", 8), ("output", "时效指标", 4),
                              ("output", "成本指标", 3), ("benefit", "社会效益指标", 6), ("benefit", "经济效益指标", 2),
                              ("benefit", "可持续影响指标", 2), ("satisfaction", "服务对象满意度指标", 5)):
        found: list[int] = []
        for extra in ({"sector__name": "教育"}, {}):  # the sector's first, then any
            qs = (Indicator.objects.filter(region=library_region, status="active", level1=level1, level2=level2,
                                           comparator__in=["ge", "le"], **extra)
                  .exclude(unit="").exclude(pk__in=found + ids).exclude(name__contains="资金").order_by("id"))
            found += list(qs.values_list("id", flat=True)[:n - len(found)])
        ids += found
    rows = services.rows_from_library(ids)
    weights = {"output": Decimal(2), "benefit": Decimal(3), "satisfaction": Decimal(2)}
    for r in rows:
        r.target_value = "95" if r.unit == "%" else "100"
        r.weight = weights[r.level1]
        r.value_basis = r.value_basis or "plan"
        r.explanation = r.explanation or "按年度实际完成情况统计。"
    data = SheetData(kind="project", subject_code=subject.code, subject_name=subject.name, fiscal_year=YEAR,
                     overall_goal="完成教学楼维修改造，消除安全隐患。",
                     annual_goal="年内完成教学楼维修改造并通过验收。",
                     policy_basis="《中小学校舍安全管理办法》", calculation_basis="按维修面积和单位造价测算",
                     survey_plan="竣工后对在校师生开展问卷调查，有效样本不少于30份。", rows=rows)
    return actor, sheet, data


def _bench_save(region):
    from django.db import connection, transaction

    try:
        from jixiao.goals import rules, services
    except ImportError as exc:
        yield "goals.save.skipped", f"goals services not available ({exc})", "-"
        return
    from jixiao.goals.models import GoalIndicator, GoalSheet

    actor, sheet, data = _sheet_40(region)
    params = services.sheet_params(sheet)
    yield "goals.save.rows", len(data.rows), "rows"
    checks, saves, totals = [], [], []
    for i in range(RUNS + 2):
        sheet = GoalSheet.objects.get(pk=sheet.pk)
        started = time.perf_counter()
        findings = rules.check_sheet(data, params.goals, for_submission=True)
        checked = time.perf_counter()
        services.goal_sheet_save(actor=actor, sheet=sheet, data=data, expected_lock_version=sheet.lock_version)
        done = time.perf_counter()
        if i >= 2:  # the first runs warm the caches
            checks.append(checked - started)
            saves.append(done - checked)
            totals.append(done - started)
    errors = sorted({f.rule for f in findings if f.severity == "error"})
    yield "goals.check_40.findings", f"{len(findings)} (errors: {', '.join(errors) or 'none'})", "findings"
    yield "goals.check_40.p50", ms(percentile(checks, 0.5)), "ms"
    yield "goals.check_40.p95", ms(percentile(checks, 0.95)), "ms"
    yield "goals.save_40.p50", ms(percentile(saves, 0.5)), "ms"
    yield "goals.save_40.p95", ms(percentile(saves, 0.95)), "ms"
    yield "goals.check_and_save_40.p50", ms(percentile(totals, 0.5)), "ms"
    yield "goals.check_and_save_40.p95", ms(percentile(totals, 0.95)), "ms"

    # floor: the same rows written by hand
    columns = ["sheet_id", "position", "level1", "level2", "name", "comparator", "target_value", "unit", "weight",
               "explanation", "value_basis", "value_method", "data_source", "evidence_type", "value_note",
               "indicator_id", "indicator_version", "propose_to_library"]
    values = [(sheet.pk, r.row, r.level1, r.level2, r.name, r.comparator, r.target_value, r.unit, r.weight,
               r.explanation, r.value_basis, r.value_method, r.data_source, r.evidence_type, r.value_note,
               r.indicator_id, 1, False) for r in data.rows]
    table = GoalIndicator._meta.db_table
    marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608 - names from the model
           + ", ".join([marks] * len(values)))
    flat = [v for row in values for v in row]
    floors = []
    for i in range(RUNS + 2):
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE sheet_id = %s", [sheet.pk])  # noqa: S608
            cursor.execute(sql, flat)
        if i >= 2:
            floors.append(time.perf_counter() - started)
    floor = percentile(floors, 0.5)
    yield "goals.save_40.floor_raw_insert_p50", ms(floor), "ms"
    yield "goals.save_40.p50_vs_floor", round(percentile(saves, 0.5) / floor, 1), "x"
    yield "goals.check_and_save_40.p95_vs_floor", round(percentile(totals, 0.95) / floor, 1), "x"


# ---- (b) suggestions -------------------------------------------------------------------------------------------------

def _bench_suggestions(region):
    from jixiao.budget.models import PerformanceSubject
    from jixiao.goals.suggestions import subject_keywords, suggest_indicators
    from jixiao.indicators import selectors
    from jixiao.organisations.models import Role

    subjects = list(PerformanceSubject.objects.filter(
        region__path__startswith=region.path, fiscal_year__year=YEAR, kind="project", is_new=True,
        state__in=["draft", "submitted"], is_classified=False).exclude(code=BENCH_SUBJECT)
        .select_related("region", "department", "unit").order_by("id"))
    step = max(1, len(subjects) // SUGGEST_SUBJECTS)
    subjects = subjects[::step][:SUGGEST_SUBJECTS]
    actors = {}
    for s in subjects:
        if s.department_id not in actors:
            actors[s.department_id] = _user(f"bench_goals_dept_{s.department_id}", Role.DEPARTMENT, s.region,
                                            department=s.department)
    started = time.perf_counter()
    suggest_indicators(actor=actors[subjects[0].department_id], subject=subjects[0])  # builds the search index
    yield "goals.suggest.index_ready", round(time.perf_counter() - started, 2), "s"
    times, floors, counts, reasons = [], [], [], 0
    for _round in range(2):
        for s in subjects:
            actor = actors[s.department_id]
            started = time.perf_counter()
            out = suggest_indicators(actor=actor, subject=s, limit=20)
            times.append(time.perf_counter() - started)
            counts.append(len(out))
            reasons += sum(1 for x in out if "同类项目常用" in x.reason)
            owners = [s.unit.name if s.unit else "", s.department.name, s.region.name]
            q = subject_keywords(s.name, owners) or s.name
            started = time.perf_counter()
            selectors.indicator_search(actor, selectors.LibraryFilters(q=q), page_size=20)
            floors.append(time.perf_counter() - started)
    yield "goals.suggest.subjects", len(subjects), "subjects"
    yield "goals.suggest.mean_suggestions", round(statistics.mean(counts), 1), "per subject"
    yield "goals.suggest.with_usage_reason", round(reasons / max(1, sum(counts)) * 100, 1), "% of suggestions"
    yield "goals.suggest.p50", ms(percentile(times, 0.5)), "ms"
    yield "goals.suggest.p95", ms(percentile(times, 0.95)), "ms"
    yield "goals.suggest.floor_plain_search_p50", ms(percentile(floors, 0.5)), "ms"
    yield "goals.suggest.floor_plain_search_p95", ms(percentile(floors, 0.95)), "ms"
    yield "goals.suggest.p50_vs_floor", round(percentile(times, 0.5) / percentile(floors, 0.5), 1), "x"


# ---- (c) coverage ----------------------------------------------------------------------------------------------------

def _raw_coverage(region, year_id: int, today) -> tuple:
    """The figures `coverage` computes, read with hand-written SQL (no scoping, no ORM)."""
    from django.db import connection

    from jixiao.goals.workflows import LOCKED_STATES, PASSED_STATES

    passed = ", ".join(f"'{s}'" for s in sorted(PASSED_STATES))
    approved = ", ".join(f"'{s}'" for s in sorted(LOCKED_STATES))
    regions = f"SELECT id FROM organisations_region WHERE path LIKE '{region.path}%%'"  # noqa: S608
    with connection.cursor() as c:
        c.execute(f"""
            SELECT s.department_id, s.unit_id, COUNT(*), COUNT(g.id),
                   SUM(CASE WHEN g.state IN ({passed}) THEN 1 ELSE 0 END),
                   SUM(CASE WHEN g.state IN ({approved}) THEN 1 ELSE 0 END),
                   SUM(CASE WHEN s.kind = 'department_wide' THEN 1 ELSE 0 END),
                   SUM(CASE WHEN s.kind = 'department_wide' AND g.state IN ({approved}) THEN 1 ELSE 0 END)
            FROM budget_performancesubject s LEFT JOIN goals_goalsheet g ON g.subject_id = s.id
            WHERE s.fiscal_year_id = %s AND s.region_id IN ({regions})
            GROUP BY s.department_id, s.unit_id""", [year_id])  # noqa: S608
        groups = c.fetchall()
        c.execute(f"SELECT id, code, name FROM organisations_department WHERE is_active AND region_id IN ({regions})")  # noqa: S608
        departments = c.fetchall()
        c.execute(f"SELECT id, department_id FROM organisations_unit WHERE is_active AND region_id IN ({regions})")  # noqa: S608
        units = c.fetchall()
        c.execute(f"""
            SELECT level, last %% 10, COUNT(*) FROM (
                SELECT r.sheet_id, r.level, MAX(r.id * 10 + CASE r.grade WHEN 'excellent' THEN 1 WHEN 'good' THEN 2
                                                WHEN 'fair' THEN 3 WHEN 'poor' THEN 4 ELSE 0 END) AS last
                FROM goals_goalreview r JOIN goals_goalsheet g ON g.id = r.sheet_id
                WHERE g.fiscal_year_id = %s AND g.region_id IN ({regions}) GROUP BY r.sheet_id, r.level) t
            GROUP BY level, last %% 10""", [year_id])  # noqa: S608
        grades = c.fetchall()
        c.execute(f"""SELECT COUNT(*) FROM goals_goalsheet WHERE fiscal_year_id = %s AND region_id IN ({regions})
                      AND state IN ('submitted', 'department_passed') AND review_due < %s""", [year_id, today])  # noqa: S608
        overdue = c.fetchone()[0]
    return groups, departments, units, grades, overdue


def _bench_coverage(region):
    from django.utils import timezone

    from jixiao.budget.models import FiscalYear
    from jixiao.goals.stats import coverage
    from jixiao.organisations.models import Role

    actor = _user("bench_goals_admin", Role.FINANCE_ADMIN, region)
    year = FiscalYear.objects.get(year=YEAR)
    today = timezone.localdate()
    figures = coverage(actor, YEAR, today=today)  # warm
    _raw_coverage(region, year.pk, today)
    times, floors = [], []
    for _ in range(COVERAGE_RUNS):
        started = time.perf_counter()
        figures = coverage(actor, YEAR, today=today)
        times.append(time.perf_counter() - started)
        started = time.perf_counter()
        raw = _raw_coverage(region, year.pk, today)
        floors.append(time.perf_counter() - started)
    groups = raw[0]
    assert sum(g[2] for g in groups) == figures.subjects_total, "the floor counts other rows"
    assert sum(g[5] for g in groups) == figures.subjects_approved
    assert raw[4] == figures.overdue_reviews
    yield "goals.coverage.subjects", figures.subjects_total, "subjects"
    yield "goals.coverage.subjects_approved", f"{figures.subjects_approved} ({figures.subjects_share}%)", "subjects"
    yield "goals.coverage.departments", f"{figures.departments_covered}/{figures.departments_total}", "covered"
    yield "goals.coverage.units", f"{figures.units_covered}/{figures.units_total}", "covered"
    yield "goals.coverage.overdue_reviews", figures.overdue_reviews, "sheets"
    yield "goals.coverage.p50", ms(statistics.median(times)), "ms"
    yield "goals.coverage.floor_raw_sql_p50", ms(statistics.median(floors)), "ms"
    ratio = statistics.median(times) / statistics.median(floors)
    yield "goals.coverage.vs_floor", round(ratio, 2), "x (issue: ≤ 3)"


def run():
    from django.db import connection

    from jixiao.goals.models import GoalIndicator, GoalSheet

    region, seconds = _dataset()
    if seconds:
        yield "goals.dataset_generated", round(seconds, 1), "s"
    yield "goals.dataset", f"{region.name} ({connection.vendor})", "-"
    yield "goals.dataset_sheets", GoalSheet.objects.filter(region__path__startswith=region.path).count(), "sheets"
    rows = GoalIndicator.objects.filter(sheet__region__path__startswith=region.path).count()
    yield "goals.dataset_rows", rows, "rows"
    yield from _bench_save(region)
    yield from _bench_suggestions(region)
    yield from _bench_coverage(region)
