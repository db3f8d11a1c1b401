"""The synthetic data generator: documented counts, determinism, and data the other apps accept."""

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from jixiao.budget.models import BudgetKind, BudgetLine, ExecutionRecord, PerformanceSubject, SubjectKind
from jixiao.budget.workflows import SubjectState
from jixiao.core.money import Money
from jixiao.demo import generator, library
from jixiao.demo.generator import RegionExistsError, default_through_month, generate_region
from jixiao.exante.models import AssessmentDimension, ExAnteAssessment
from jixiao.goals.models import GoalIndicator, GoalReview, GoalSheet
from jixiao.indicators.models import Indicator, IndicatorVersion, Sector
from jixiao.organisations.models import Department, Region, Unit, pinyin_sort_key

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 6, 15)


def subjects_of(region):
    return PerformanceSubject.objects.filter(region=region)


def test_town_scale_gives_the_documented_counts():
    result = generate_region("town", seed=3, year=2026, through_month=6)
    town = result.region
    assert (town.code, town.name, town.level, town.bureau_name) == ("441900115", "清溪镇", 4, "东莞市财政局清溪分局")
    assert town.path == f"{town.parent.path}{town.pk}/" and town.parent.parent.parent is None
    depts = Department.objects.filter(region=town)
    assert Unit.objects.filter(region=town).count() == 20
    subjects = subjects_of(town)
    assert subjects.count() == 100
    # One department-wide subject per department, the rest projects, policies, unit-wide and transfers.
    assert subjects.filter(kind=SubjectKind.DEPARTMENT_WIDE).count() == depts.count() == 9
    assert subjects.filter(kind=SubjectKind.DEPARTMENT_WIDE, unit__isnull=False).count() == 0
    assert subjects.filter(kind=SubjectKind.PROJECT).count() > 60
    # Every subject has budget lines adding up to its amounts; only approved subjects spend, up to through_month.
    assert not subjects.annotate(n=Count("budget_lines")).filter(n=0).exists()
    for s in subjects.annotate(initial=Sum("budget_lines__initial_amount"), adjusted=Sum("budget_lines__adjusted_amount")):
        assert s.initial == s.annual_amount
        assert s.adjusted == s.current_amount
    execution = ExecutionRecord.objects.filter(subject__region=town)
    assert execution.exists()
    assert execution.aggregate(m=Max("month"))["m"] <= 6
    assert not execution.exclude(subject__state=SubjectState.APPROVED).exists()
    # The indicator library: the 44 common indicators (national) and the town's own.
    assert Indicator.objects.filter(region=town).count() == generator.TOWN_LIBRARY - 44
    assert Indicator.objects.filter(region__isnull=True, is_common=True).count() == 44
    assert IndicatorVersion.objects.count() == Indicator.objects.count()
    assert result.counts["budget.PerformanceSubject"] == 100


def test_codes_sort_keys_and_paths_are_what_save_would_store():
    result = generate_region("town", seed=1, year=2026, through_month=12)
    subjects = list(subjects_of(result.region))
    codes = [s.code for s in subjects]
    assert len(set(codes)) == len(codes)
    assert all(len(c) == 22 and c.isdigit() for c in codes)
    assert all(c.startswith("441900115") for c in codes)
    for s in subjects:
        assert s.sort_key == pinyin_sort_key(s.name)
        assert s.start_date <= s.end_date
        assert isinstance(s.annual_amount, Money) and s.annual_amount.fen > 0
    for unit in Unit.objects.filter(region=result.region):
        assert unit.sort_key == pinyin_sort_key(unit.name)
        assert unit.code.startswith(unit.department.code)
    for region in Region.objects.all():
        assert region.path == region.compute_path()


def _fingerprint(seed: int) -> dict:
    """Generate the town in a savepoint, read back what identifies the data, and roll it back."""

    class Rollback(Exception):
        pass

    out: dict = {}
    try:
        with transaction.atomic():
            town = generate_region("town", seed=seed, year=2026, through_month=12, as_of=AS_OF).region
            out["subjects"] = list(subjects_of(town).order_by("code").values_list(
                "code", "name", "kind", "budget_kind", "special_category", "state", "annual_amount", "total_amount",
                "adjusted_amount", "start_date", "end_date", "is_new", "functional_class", "unit__name"))
            out["lines"] = list(BudgetLine.objects.filter(subject__region=town).order_by("line_code").values_list(
                "subject__code", "line_code", "economic_class", "initial_amount", "adjusted_amount"))
            out["execution"] = list(ExecutionRecord.objects.filter(subject__region=town).order_by(
                "subject__code", "month").values_list("subject__code", "month", "amount"))
            out["units"] = list(Unit.objects.filter(region=town).order_by("code").values_list("code", "name"))
            out["indicators"] = list(Indicator.objects.filter(region=town).order_by("code").values_list(
                "code", "name", "level2", "unit", "reference_value"))
            out["sheets"] = list(GoalSheet.objects.filter(region=town).order_by("subject__code").values_list(
                "subject__code", "state", "frame_code", "review_due", "last_grade", "submitted_at"))
            out["rows"] = list(GoalIndicator.objects.filter(sheet__region=town).order_by(
                "sheet__subject__code", "position").values_list("sheet__subject__code", "position", "indicator__code",
                                                                "target_value", "weight"))
            out["reviews"] = list(GoalReview.objects.filter(sheet__region=town).order_by(
                "sheet__subject__code", "at", "level").values_list("sheet__subject__code", "level", "grade",
                                                                   "point_grades"))
            out["assessments"] = list(ExAnteAssessment.objects.filter(region=town).order_by(
                "subject__code").values_list("subject__code", "state", "requirement", "requested_amount",
                                             "approved_amount"))
            raise Rollback
    except Rollback:
        pass
    return out


def test_same_seed_same_data_other_seed_other_data():
    first, again, other = _fingerprint(5), _fingerprint(5), _fingerprint(6)
    assert first == again
    assert first["subjects"] and first["execution"] and first["indicators"]
    assert first["sheets"] and first["rows"] and first["reviews"] and first["assessments"]
    names = lambda fp: [row[1] for row in fp["subjects"]]  # noqa: E731
    amounts = lambda fp: [row[6] for row in fp["subjects"]]  # noqa: E731
    assert names(first) != names(other)
    assert amounts(first) != amounts(other)
    assert first["indicators"] != other["indicators"]


def test_pure_parts_do_not_depend_on_the_hash_seed():
    """Nothing iterates a set or a dict of strings where order matters: another process, another PYTHONHASHSEED,
    the same library."""
    code = ("import random, hashlib, django; django.setup();"
            "from jixiao.demo import library;"
            "lib = library.build_library(random.Random(9), 600, '通辽市', 2026);"
            "print(hashlib.sha256(repr([(e.domain.code, e.draft.name, e.reference_value, e.usage_count)"
            " for e in lib]).encode()).hexdigest())")
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "DJANGO_SETTINGS_MODULE": "jixiao.settings",
               "JIXIAO_TESTING": "1"}
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,  # noqa: S603
                              check=True, cwd=Path(__file__).resolve().parents[3])
        digests.add(done.stdout.strip())
    assert len(digests) == 1


def test_refuses_a_region_that_exists():
    generate_region("town", seed=1, year=2026, through_month=3)
    with pytest.raises(RegionExistsError):
        generate_region("town", seed=2, year=2026, through_month=3)
    with pytest.raises(ValueError):
        generate_region("village")


def test_through_month_only_cuts_the_stored_months():
    def execution(seed, through):
        class Rollback(Exception):
            pass

        try:
            with transaction.atomic():
                town = generate_region("town", seed=seed, year=2025, through_month=through).region
                rows = list(ExecutionRecord.objects.filter(subject__region=town).order_by(
                    "subject__code", "month").values_list("subject__code", "month", "amount"))
                raise Rollback
        except Rollback:
            pass
        return rows

    full, part = execution(4, 12), execution(4, 5)
    assert part == [row for row in full if row[1] <= 5]
    assert default_through_month(2025, date(2026, 3, 9)) == 12
    assert default_through_month(2026, date(2026, 3, 9)) == 3
    assert default_through_month(2027, date(2026, 3, 9)) == 0


def test_common_indicators_of_53():
    drafts = library.common_drafts()
    assert len(drafts) == 44  # 45 transcribed rows, one the OCR fragment "性"
    names = [d.name for _c, _s, d in drafts]
    assert "性" not in names and names.count("管理制度健全性") == 4
    assert len({c for c, _s, _d in drafts}) == 44


def test_sectors_merge_by_name_into_the_existing_tree():
    """One 教育 whoever creates it first (the indicators app seeds a default tree): the generator adds what is
    missing by name, with codes that are free."""
    Sector.objects.create(code="05", name="不相干的行业")
    generate_region("town", seed=1, year=2026, through_month=1)
    assert Sector.objects.get(code="05").name == "不相干的行业"
    pairs = list(Sector.objects.values_list("parent_id", "name"))
    assert len(pairs) == len(set(pairs))
    assert not Sector.objects.filter(parent__parent__isnull=False).exists()
    assert Sector.objects.filter(name="卫生健康", parent=None).count() == 1
    for ind in Indicator.objects.filter(is_common=False):
        assert ind.domain.parent_id == ind.sector_id


def test_city_scale():
    """The 通辽-shaped city: 73 departments, 237 units, 3,000 subjects, an 8,538-indicator library. (About ten
    seconds on SQLite.)"""
    result = generate_region("city", seed=1, year=2026, through_month=10)
    city = result.region
    assert (city.code, city.name, city.bureau_name, city.parent.name) == ("150500", "通辽市", "通辽市财政局",
                                                                           "内蒙古自治区")
    assert Department.objects.filter(region=city).count() == 73
    assert Unit.objects.filter(region=city).count() == 237
    assert Unit.objects.filter(region=city, name="通辽市第五中学").exists()
    for name in ("通辽市教育局", "通辽市卫生健康委员会", "通辽市农牧局", "通辽市水利局", "共青团通辽市委员会",
                 "通辽市医疗保障局", "通辽市机关事务服务中心", "通辽市融媒体中心"):
        assert Department.objects.filter(region=city, name=name).exists(), name
    subjects = subjects_of(city)
    assert subjects.count() == 3000
    assert subjects.filter(kind=SubjectKind.DEPARTMENT_WIDE).count() == 73
    kinds = dict(subjects.values_list("budget_kind").annotate(n=Count("id")))
    assert kinds[BudgetKind.GENERAL_PUBLIC] > 2500
    assert all(kinds.get(k, 0) > 0 for k in BudgetKind.values)
    assert subjects.exclude(special_category="").count() < 1200
    assert 0 < subjects.filter(is_classified=True).count() < 40
    assert not subjects.filter(is_classified=True, classified_reason="").exists()
    assert not subjects.filter(is_classified=True, classified_filed_at__isnull=True).exists()
    assert subjects.filter(is_research=True).exists()
    projects = sorted(s.fen for s in subjects.filter(kind=SubjectKind.PROJECT).values_list("annual_amount",
                                                                                           flat=True))
    median = projects[len(projects) // 2]
    assert Money.from_yuan("50000").fen < median < Money.from_yuan("2000000").fen
    assert sum(1 for a in projects if a >= Money.from_yuan("5000000").fen) >= 50
    assert subjects.filter(annual_amount__gte=Money.from_yuan("100000000")).count() >= 3
    assert subjects.filter(state=SubjectState.APPROVED).count() > 2000
    assert subjects.filter(state__in=[SubjectState.DRAFT, SubjectState.SUBMITTED]).exists()
    assert ExecutionRecord.objects.filter(subject__region=city).aggregate(m=Max("month"))["m"] == 10
    # The library: the 44 common indicators and 通辽's own, 8,538 in all, each with its first version.
    assert Indicator.objects.count() == 8538
    assert Indicator.objects.filter(region=city).count() == 8538 - 44
    assert IndicatorVersion.objects.filter(version=1).count() == 8538
    levels = dict(Indicator.objects.filter(region=city).values_list("level1").annotate(n=Count("id")))
    assert set(levels) == {"output", "benefit", "satisfaction"}
    assert Indicator.objects.filter(region=city, department__isnull=False).exists()
    for name in ("学生资助人数", "资助资金发放及时率", "义务教育巩固率", "新增灌溉面积", "病床使用率"):
        assert Indicator.objects.filter(region=city, name=name).exists(), name
    # Goal sheets for nearly every subject, ten rows each on average; the approved ones pass the goal rules.
    sheets = GoalSheet.objects.filter(region=city)
    assert 2800 < sheets.count() < 3000
    assert 20_000 < GoalIndicator.objects.filter(sheet__region=city).count() < 40_000
    assert sheets.filter(state="returned").exists() and sheets.filter(state="rejected").exists()
    assert sheets.filter(state="submitted", review_due__lt=timezone.localdate()).exists()
    # Assessments: about half of what was requested cut (通辽: 50.98%), a few not supported.
    assessments = ExAnteAssessment.objects.filter(region=city)
    assert 0.4 < _cut_rate(assessments) < 0.65
    assert 0 < assessments.filter(state="not_supported").count() < 50
    assert assessments.filter(requirement__in=["full", "finance"]).count() > 50
    rules = pytest.importorskip("jixiao.goals.rules")
    services = pytest.importorskip("jixiao.goals.services")
    approved = sheets.filter(state__in=["approved", "issued"]).select_related("subject", "fiscal_year", "region")
    for sheet in approved.order_by("subject__code")[:150]:
        findings = rules.check_sheet(services.sheet_data_from_model(sheet), services.sheet_params(sheet).goals,
                                     for_submission=True)
        assert not [f for f in findings if f.severity == "error"], (sheet.subject.name, findings)


def test_generated_indicators_pass_the_library_rules():
    rules = pytest.importorskip("jixiao.indicators.rules")
    services = pytest.importorskip("jixiao.indicators.services")
    town = generate_region("town", seed=2, year=2026, through_month=1).region
    for ind in Indicator.objects.filter(region=town):
        _clean, errors = rules.clean_indicator(services.definition_of(ind))
        assert not errors, (ind.name, errors)


def _cut_rate(assessments) -> float:
    totals = assessments.filter(state="supported").aggregate(requested=Sum("requested_amount"),
                                                             approved=Sum("approved_amount"))
    return 1 - totals["approved"].fen / totals["requested"].fen


def test_goal_sheets_reviews_and_assessments():
    """Goal sheets on the profile's frame for the subjects past the first draft, reviews of every round, assessments
    where the profile asks for one; the gate holds for every subject in the project library."""
    from jixiao.goals import gate
    from jixiao.policy.selectors import effective_profile

    town = generate_region("town", seed=3, year=2026, through_month=6, as_of=AS_OF).region
    params = effective_profile(town, 2026).params
    subjects = subjects_of(town)
    sheets = GoalSheet.objects.filter(region=town)
    assert 80 < sheets.count() < 100 and sheets.count() == subjects.filter(goal_sheet__isnull=False).count()
    # the gate holds on the demo data: goals passed (and the assessment required) for every approved subject
    for s in subjects.filter(state=SubjectState.APPROVED).select_related("fiscal_year", "region"):
        assert gate.subject_problems(s, params=params) == [], s
        assert s.goal_sheet.state in ("passed", "approved", "issued")
    assert not sheets.filter(subject__state=SubjectState.DRAFT).exclude(state="draft").exists()
    # rows: library indicators of the region (or national ones), weights filling the frame's groups
    for sheet in sheets.annotate(total=Sum("indicators__weight"), n=Count("indicators")):
        frame = params.goals.frame(sheet.frame_code)
        assert sheet.n >= 5 and sheet.total == 100 - frame.execution_weight, sheet
    rows = GoalIndicator.objects.filter(sheet__region=town)
    assert not rows.filter(indicator__isnull=True).exists()
    assert not rows.exclude(indicator__region=town).exists()
    assert rows.filter(level1="satisfaction").exists() and rows.filter(level2="成本指标").exists()
    assert not rows.filter(target_value="").exists()
    # reviews: the last one gives the sheet's grade; returned sheets were graded 中, rejected 差
    for sheet in sheets.exclude(state="draft").exclude(state="submitted").prefetch_related("reviews"):
        reviews = list(sheet.reviews.all())
        assert reviews and sheet.last_grade == reviews[-1].grade, sheet
        assert len(reviews[-1].point_grades) == 8
        if sheet.state in ("passed", "approved", "issued"):
            assert reviews[-1].level == "finance" and reviews[-1].grade in ("excellent", "good")
        if sheet.state == "returned":
            assert reviews[-1].grade == "fair" and reviews[-1].comment
    waiting = sheets.filter(state__in=["submitted", "department_passed"])
    assert waiting.exists() and not waiting.filter(review_due__isnull=True).exists()
    # assessments: wherever required, supported for the approved subjects, about half of the request cut
    assessments = ExAnteAssessment.objects.filter(region=town)
    assert assessments.exists() and not assessments.filter(requirement="none").exists()
    assert 0.3 < _cut_rate(assessments) < 0.7
    assert not assessments.filter(subject__state=SubjectState.APPROVED).exclude(
        state__in=["supported", "exempted"]).exists()
    full = assessments.filter(requirement__in=["full", "finance"], state="supported")
    assert AssessmentDimension.objects.filter(assessment__in=full).count() == 5 * full.count()
    # the example spending standards
    from jixiao.costs.models import SpendingStandard

    standards = SpendingStandard.objects.filter(region=town)
    assert standards.count() == 7 and all(s.name.startswith("示例") for s in standards)
