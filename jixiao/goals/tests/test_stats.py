"""Coverage figures: the definitions (subjects, departments, units with approved goals), the last grade per level,
overdue reviews, the reach of each role, and a fixed number of queries whatever the number of rows."""

import datetime

import pytest
from django.utils import timezone

from jixiao.core.permissions import actor_for
from jixiao.core.testing import make_subject
from jixiao.goals.models import GoalReview, GoalSheet
from jixiao.goals.stats import coverage, share
from jixiao.organisations.models import Unit

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)


def sheet(cast, key, state, **kwargs):
    s = cast.subjects[key] if isinstance(key, str) else key
    return GoalSheet.objects.create(subject=s, fiscal_year=s.fiscal_year, region=s.region, department=s.department,
                                    unit=s.unit, frame_code="frame_10", state=state, created_by=cast.finance_admin,
                                    **kwargs)


def review(cast, goal_sheet, level, grade, round_=1):
    return GoalReview.objects.create(sheet=goal_sheet, round=round_, level=level, grade=grade, outcome=grade,
                                     reviewer=cast.finance_admin)


def figures(cast, user="finance_admin", **kwargs):
    return coverage(actor_for(cast.users[user]), cast.year, today=TODAY, **kwargs)


@pytest.fixture
def covered(cast):
    """a1 approved, a_dept (dept_a's department-wide) only passed, b1 issued, a2 draft, county issued."""
    sheets = {
        "a1": sheet(cast, "a1", "approved"),
        "a_dept": sheet(cast, "a_dept", "passed"),
        "b1": sheet(cast, "b1", "issued"),
        "a2": sheet(cast, "a2", "draft"),
        "county": sheet(cast, "county", "issued"),
    }
    return sheets


def test_subject_department_and_unit_coverage(cast, covered):
    f = figures(cast)
    # The city's finance admin aggregates the city and the county below it: six subjects.
    assert (f.subjects_total, f.subjects_with_sheet, f.subjects_passed, f.subjects_approved) == (6, 5, 4, 3)
    assert f.subjects_share == share(3, 6) == pytest.approx(50)
    rows = {r.name: r for r in f.by_department}
    assert set(rows) == {"通辽市教育局", "通辽市卫生健康委员会", "科尔沁区教育局"}
    a = rows["通辽市教育局"]
    assert (a.subjects, a.with_sheet, a.passed, a.approved, a.department_wide, a.department_wide_approved) == (
        4, 3, 2, 1, 1, 0)
    # dept_a has approved goals, but its department-wide goals are only passed: not covered yet
    assert not a.covered and rows["通辽市卫生健康委员会"].covered and rows["科尔沁区教育局"].covered
    assert (f.departments_total, f.departments_covered) == (3, 2)
    # units: a1 covered, a2 (draft) not, b1 and the county unit covered
    assert (f.units_total, f.units_covered) == (4, 3)

    covered["a_dept"].state = "approved"
    covered["a_dept"].save()
    f = figures(cast)
    assert (f.departments_covered, f.subjects_approved) == (3, 4)
    assert f.departments_share == 100


def test_a_unit_without_subjects_is_covered_by_its_departments_whole_goals(cast, covered):
    Unit.objects.create(department=cast.dept_a, region=cast.city, code="301003", name="通辽市教育局本级")
    f = figures(cast)
    assert (f.units_total, f.units_covered) == (5, 3)
    covered["a_dept"].state = "issued"
    covered["a_dept"].save()
    assert figures(cast).units_covered == 4
    # an inactive unit without subjects is not counted at all
    Unit.objects.filter(code="301003").update(is_active=False)
    assert (figures(cast).units_total, figures(cast).units_covered) == (4, 3)


def test_last_grade_per_level(cast, covered):
    a1 = covered["a1"]
    review(cast, a1, "department", "excellent")
    review(cast, a1, "finance", "fair")
    review(cast, a1, "department", "good", 2)
    review(cast, a1, "finance", "excellent", 2)
    b1 = covered["b1"]
    review(cast, b1, "department", "excellent")
    review(cast, b1, "finance", "good")
    dist = figures(cast).grade_distribution
    assert dist["department"] == {"excellent": 1, "good": 1, "fair": 0, "poor": 0}
    assert dist["finance"] == {"excellent": 1, "good": 1, "fair": 0, "poor": 0}  # the first round's 中 is not counted
    rows = {r["level"]: r for r in figures(cast).grade_rows()}
    assert rows["finance"]["counts"] == [("优", 1), ("良", 1), ("中", 0), ("差", 0)] and rows["finance"]["total"] == 2


def test_overdue_reviews(cast):
    late = sheet(cast, "a1", "submitted", review_due=TODAY - datetime.timedelta(days=7), review_level="department",
                 submitted_at=timezone.now())
    sheet(cast, "a2", "submitted", review_due=TODAY, review_level="department")  # due today: not overdue yet
    sheet(cast, "b1", "department_passed", review_due=TODAY - datetime.timedelta(days=1), review_level="finance")
    sheet(cast, "a_dept", "returned", review_due=TODAY - datetime.timedelta(days=30))  # not waiting for review
    f = figures(cast)
    assert f.overdue_reviews == 2
    first = f.overdue_rows[0]
    assert (first.sheet_id, first.subject_name, first.department_name, first.unit_name) == (
        late.pk, "学生资助项目", "通辽市教育局", "通辽市第一中学")
    assert first.working_days_overdue == 5 and first.state_label == "待主管部门审核"
    assert first.level_label == "主管部门审核"
    assert f.overdue_rows[1].unit_name == "通辽市医院"


def test_reach_of_each_role(cast, covered):
    # a budget officer: the departments in charge
    f = figures(cast, "officer_b")
    assert (f.subjects_total, f.departments_total, [r.name for r in f.by_department]) == (1, 1, ["通辽市卫生健康委员会"])
    # a department: its own; a unit: its own
    assert figures(cast, "clerk_a").subjects_total == 4
    f = figures(cast, "unit_a1")
    assert (f.subjects_total, f.subjects_approved, f.units_total, f.units_covered) == (2, 1, 1, 1)
    # the county's admin sees the county only; the province's admin everything, or one region with `region`
    assert figures(cast, "county_admin").subjects_total == 1
    assert figures(cast, "province_admin").subjects_total == 6
    assert figures(cast, "province_admin", region=cast.county).subjects_total == 1
    # the overseer aggregates the region but never sees classified subjects
    assert figures(cast, "overseer").subjects_total == 5
    # agencies and experts aggregate nothing
    assert figures(cast, "agency_yes").subjects_total == 0


def test_a_fixed_number_of_queries(cast, covered, django_assert_num_queries):
    actor = actor_for(cast.finance_admin)
    with django_assert_num_queries(5):  # no overdue review: no rows to read
        small = coverage(actor, cast.year, today=TODAY)
    for i in range(30):
        s = make_subject(cast, f"15050026999{i:010d}", department=cast.dept_b, unit=cast.unit_b1, name=f"项目{i}")
        g = sheet(cast, s, "issued" if i % 2 else "submitted", review_due=TODAY - datetime.timedelta(days=3))
        review(cast, g, "department", "excellent")
    with django_assert_num_queries(6):
        big = coverage(actor, cast.year, today=TODAY)
    assert big.subjects_total == small.subjects_total + 30
    assert big.overdue_reviews == 15 and len(big.overdue_rows) == 15
