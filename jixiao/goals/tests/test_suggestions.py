"""Indicator suggestions: ranked from the subject's name, description and sector and from similar subjects' sheets,
only what the actor may read, always the frame's required groups, and a fixed number of queries."""

import pytest

from jixiao.budget.models import FiscalYear, PerformanceSubject
from jixiao.core.permissions import actor_for
from jixiao.core.testing import make_subject
from jixiao.goals.models import GoalIndicator, GoalSheet
from jixiao.goals.suggestions import subject_keywords, suggest_indicators
from jixiao.indicators.models import Indicator, Sector
from jixiao.indicators.search import library_search

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_search_index():
    from jixiao.goals import suggestions

    library_search.reset()
    suggestions._frames.clear()
    yield
    library_search.reset()


def ind(code, name, level1="output", level2="数量指标", *, sector=None, region=None, status="active", unit="平方米",
        comparator="ge", explanation="", department=None):
    return Indicator.objects.create(code=code, name=name, level1=level1, level2=level2, sector=sector, region=region,
                                    status=status, unit=unit, comparator=comparator, explanation=explanation,
                                    department=department, reference_value="≥100")


def sheet_for(cast, subject, rows):
    """A goal sheet of `subject` using library indicators: rows = [(indicator, target)]."""
    s = GoalSheet.objects.create(subject=subject, fiscal_year=subject.fiscal_year, region=subject.region,
                                 department=subject.department, unit=subject.unit, frame_code="frame_10",
                                 state="approved", created_by=cast.finance_admin)
    GoalIndicator.objects.bulk_create([
        GoalIndicator(sheet=s, position=i, level1=i_.level1, level2=i_.level2, name=i_.name, comparator="ge",
                      target_value=target, unit=i_.unit, indicator=i_) for i, (i_, target) in enumerate(rows, start=1)])
    return s


@pytest.fixture
def library(cast):
    edu = Sector.objects.create(code="S01", name="教育")
    health = Sector.objects.create(code="S05", name="卫生健康")
    lib = {
        "area": ind("T001", "维修改造校舍面积", sector=edu, region=cast.city),
        "accept": ind("T002", "校舍维修工程验收合格率", level2="质量指标", unit="%", sector=edu, region=cast.city),
        "aid": ind("T003", "学生资助人数", unit="人", sector=edu, region=cast.city),
        "cost": ind("T004", "校舍维修改造单位造价", level2="成本指标", unit="元/平方米", comparator="le", sector=edu),
        "benefit": ind("T005", "办学条件改善情况", "benefit", "社会效益指标", unit="", comparator="qualitative",
                       sector=edu, region=cast.city),
        "satisfied": ind("T006", "在校学生满意度", "satisfaction", "服务对象满意度指标", unit="%", sector=edu,
                         region=cast.city),
        "devices": ind("T007", "医疗设备购置数量", unit="台", sector=health, region=cast.city),
        # not to be suggested: retired, another city's, an evaluation-frame (53号) indicator, a county's
        "retired": ind("T008", "校舍维修面积（旧）", sector=edu, region=cast.city, status="retired"),
        "county": ind("T009", "校舍维修改造面积（区级）", sector=edu, region=cast.county),
        "input": ind("T010", "校舍维修资金到位率", "input", "资金管理", unit="%", sector=edu),
        "safety": ind("T011", "校园安全隐患整改率", level2="质量指标", unit="%", sector=edu, region=cast.city),
    }
    return lib


@pytest.fixture
def subject(cast):
    s = cast.subjects["a2"]  # 校舍维修项目, 通辽市第二中学 (unit_a2), dept_a 教育局
    s.name = "通辽市第二中学2026年校舍维修改造项目"
    s.sector = "教育"
    s.description = "对教学楼屋面、门窗进行维修改造，消除安全隐患。"
    s.save()
    return s


def names(items):
    return [s.name for s in items]


def test_keywords_leave_out_owner_year_and_money_words():
    assert subject_keywords("通辽市第二中学2026年校舍维修改造项目", ["通辽市第二中学", "通辽市"]) == "校舍维修改造"
    assert subject_keywords("2026年学生资助专项资金（二期）", []) == "学生资助"


def test_ranked_from_the_name_with_the_required_groups(cast, library, subject):
    out = suggest_indicators(actor=actor_for(cast.users["unit_a2"]), subject=subject, limit=10)
    got = names(out)
    # the two that hold all the name's words come first (the exact phrase before the words in another order)
    assert got[:2] == ["校舍维修改造单位造价", "维修改造校舍面积"]
    area = out[1]
    assert area.reason.startswith("与项目名称相近") and area.level1 == "output" and area.unit == "平方米"
    assert area.reference_value == "≥100" and area.typical_target == "" and area.code == "T001"
    assert {"校舍维修工程验收合格率", "校舍维修改造单位造价"} <= set(got)
    # the description's words count too (安全隐患), below the name's
    assert "校园安全隐患整改率" in got and got.index("校园安全隐患整改率") > got.index("校舍维修工程验收合格率")
    # never: retired, another region's, an evaluation-frame indicator
    assert not {"校舍维修面积（旧）", "校舍维修改造面积（区级）", "校舍维修资金到位率"} & set(got)
    # the frame's required groups are there even without a word in common: 效益 (本行业)
    benefit = next(s for s in out if s.level1 == "benefit")
    assert benefit.name == "办学条件改善情况" and benefit.reason == "本行业共性指标"
    assert all(isinstance(s.score, float) for s in out)


def test_similar_subjects_sheets_raise_an_indicator_and_give_the_typical_target(cast, library, subject):
    # the department's other projects use 学生资助人数 with target 500 (twice) and 300 (once)
    for i, target in enumerate(("500", "500", "300")):
        other = make_subject(cast, f"15050026000000000010{i}", department=cast.dept_a, unit=cast.unit_a1,
                             name=f"资助项目{i}", sector="教育")
        sheet_for(cast, other, [(library["aid"], target), (library["satisfied"], "90")])
    # last year's sheet of this very project used 在校学生满意度 ≥ 95
    before = PerformanceSubject.objects.create(
        region=cast.city, department=cast.dept_a, unit=cast.unit_a2, fiscal_year=FiscalYear.objects.create(year=2025),
        code=subject.code, name=subject.name)
    sheet_for(cast, before, [(library["satisfied"], "95")])
    # a classified project's sheet is not counted
    secret = cast.subjects["a1_secret"]
    sheet_for(cast, secret, [(library["devices"], "7")])

    out = {s.name: s for s in suggest_indicators(actor=actor_for(cast.users["unit_a2"]), subject=subject, limit=20)}
    aid = out["学生资助人数"]
    assert aid.reason == "同类项目常用（3个项目使用）" and aid.typical_target == "500" and aid.uses == 3
    satisfied = out["在校学生满意度"]
    assert "本项目以前年度使用（1次）" in satisfied.reason and satisfied.uses == 4
    assert satisfied.typical_target == "90"
    assert "医疗设备购置数量" not in out


def test_only_readable_indicators_and_not_those_already_on_the_sheet(cast, library, subject):
    own = sheet_for(cast, subject, [(library["area"], "1200")])
    own.state = "draft"
    own.save()
    got = names(suggest_indicators(actor=actor_for(cast.users["unit_a2"]), subject=subject))
    assert "维修改造校舍面积" not in got and "校舍维修工程验收合格率" in got
    # a county's indicators are read in the county (and by the regions above), not by the city's units
    county = cast.subjects["county"]
    county.name, county.sector = "校舍维修改造项目", "教育"
    county.save()
    assert "校舍维修改造面积（区级）" in names(suggest_indicators(actor=actor_for(cast.county_admin), subject=county))
    assert "校舍维修改造面积（区级）" not in names(suggest_indicators(actor=actor_for(cast.users["unit_a2"]),
                                                                subject=subject))
    # a department's proposal waiting for approval is not suggested, not even to that department
    ind("T012", "校舍维修改造面积完成率", level2="质量指标", unit="%", region=cast.city, status="draft",
        department=cast.dept_a)
    library_search.reset()
    assert "校舍维修改造面积完成率" not in names(suggest_indicators(actor=actor_for(cast.clerk_a), subject=subject))


def test_limit_keeps_the_required_groups(cast, library, subject):
    out = suggest_indicators(actor=actor_for(cast.users["unit_a2"]), subject=subject, limit=2)
    assert len(out) == 2
    assert {s.level1 for s in out} == {"output", "benefit"}


def test_a_fixed_number_of_queries(cast, library, subject, django_assert_max_num_queries):
    actor = actor_for(cast.users["unit_a2"])
    other = make_subject(cast, "150500260000000000199", department=cast.dept_a, unit=cast.unit_a1, name="校舍维修",
                         sector="教育")
    sheet_for(cast, other, [(library["area"], "100")])
    suggest_indicators(actor=actor, subject=subject)  # builds the search index
    with django_assert_max_num_queries(7) as few:
        suggest_indicators(actor=actor, subject=subject)
    for i in range(20):
        other = make_subject(cast, f"15050026000000000020{i:02d}", department=cast.dept_a, unit=cast.unit_a1,
                             name=f"校舍维修项目{i}", sector="教育")
        sheet_for(cast, other, [(library["area"], str(100 + i)), (library["aid"], "500")])
    with django_assert_max_num_queries(len(few)):
        out = suggest_indicators(actor=actor, subject=subject)
    area = next(s for s in out if s.name == "维修改造校舍面积")
    assert area.uses == 21 and area.typical_target == "100"
