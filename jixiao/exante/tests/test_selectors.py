"""Ex-ante reads: the scoped list and its filters, subjects needing an assessment, statistics as the seed reports
them (通辽 2021: 13,285万 requested, 6,773万 cut, 50.98%), similar subjects' unit costs."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from jixiao.core.testing import make_subject
from jixiao.exante import selectors, services
from jixiao.exante.models import CostItem, ExAnteAssessment
from jixiao.exante.tests.helpers import actor, make_assessment, wan, yuan

D = Decimal


@pytest.fixture
def tongliao(cast):
    """The 2021 bundle of five projects, spread over two departments, plus noise that must not count."""
    amounts = [  # requested, approved (万元)
        ("3000", "1500", cast.dept_a, cast.unit_a1), ("4285", "2012", cast.dept_a, cast.unit_a2),
        ("2000", "0", cast.dept_a, None), ("2500", "1500", cast.dept_b, cast.unit_b1),
        ("1500", "1500", cast.dept_b, cast.unit_b1)]
    for i, (req, appr, dept, unit) in enumerate(amounts):
        s = make_subject(cast, f"T{i}", department=dept, unit=unit, annual_amount=wan(req))
        make_assessment(cast, s, state="supported" if i != 2 else "not_supported", requested=wan(req),
                        approved=wan(appr) if i != 2 else wan(0), finance_opinion="support")
    # noise: an exemption, a draft, another year's
    s = make_subject(cast, "N1", department=cast.dept_a, unit=cast.unit_a1)
    make_assessment(cast, s, state="exempted", requested=wan(999), exemption_kind="emergency")
    make_assessment(cast, make_subject(cast, "N2", department=cast.dept_a), state="draft", requested=wan(777))
    return cast


def test_statistics_match_the_seed(tongliao, django_assert_num_queries):
    fa = actor(tongliao, "finance_admin")
    fa.grants  # noqa: B018 (role assignments loaded outside the count)
    with django_assert_num_queries(1):
        stats = selectors.statistics(fa, 2026)
    # dept_a: 3000+4285+2000 requested; 1500+2012+0 approved (the 不予支持 counts with nothing approved)
    a, b = stats.rows
    assert (a.department_name, a.count, a.requested, a.approved) == ("通辽市教育局", 3, wan(9285), wan(3512))
    assert a.cut == wan(5773) and a.cut_rate == D("62.18")
    assert (b.count, b.requested, b.cut, b.cut_rate) == (2, wan(4000), wan(1000), D("25.00"))
    assert stats.total.count == 5 and stats.total.requested == wan(13285)
    assert stats.total.cut == wan(6773) and stats.total.cut_rate == D("50.98")


def test_statistics_are_scoped(tongliao):
    stats = selectors.statistics(actor(tongliao, "officer_b"), 2026)
    assert [r.department_name for r in stats.rows] == ["通辽市卫生健康委员会"] and stats.total.cut == wan(1000)
    assert selectors.statistics(actor(tongliao, "unit_a1"), 2026).total.requested == wan(3000)
    assert selectors.statistics(actor(tongliao, "expert"), 2026).total.count == 0
    assert selectors.statistics(actor(tongliao, "finance_admin"), 2025).total.cut_rate is None


def test_list_filters(tongliao):
    fa = actor(tongliao, "finance_admin")
    assert selectors.assessment_list(fa, {"year": 2026}).count() == 7
    assert selectors.assessment_list(fa, {"state": "not_supported"}).count() == 1
    assert selectors.assessment_list(fa, {"department": tongliao.dept_b.pk}).count() == 2
    assert selectors.assessment_list(fa, {"exemption": "yes"}).count() == 1
    assert selectors.assessment_list(fa, {"q": "T1"}).get().subject.code == "T1"
    assert selectors.assessment_list(fa, {"requirement": "finance"}).count() == 0
    assert selectors.assessment_list(actor(tongliao, "clerk_b"), {}).count() == 2
    today = timezone.localdate()
    late = ExAnteAssessment.objects.get(subject__code="T0")
    ExAnteAssessment.objects.filter(pk=late.pk).update(state="submitted", opinion_due=today - datetime.timedelta(1))
    ExAnteAssessment.objects.filter(subject__code="T1").update(report_due=today - datetime.timedelta(1))
    ExAnteAssessment.objects.filter(subject__code="T3").update(opinion_due=today)  # due today: in time
    assert set(selectors.assessment_list(fa, {"overdue": "yes"}).values_list("subject__code", flat=True)) == {
        "T0", "T1"}


def test_subjects_requiring_assessment(cast):
    a2 = cast.subjects["a2"]
    a2.annual_amount = wan(600)
    a2.save()
    b1 = cast.subjects["b1"]
    b1.scope_kind = "continuing"
    b1.save()
    fa = actor(cast, "finance_admin")
    rows = {r.subject.code: r for r in selectors.subjects_requiring_assessment(fa, 2026)}
    assert rows[a2.code].requirement == "full" and rows[a2.code].assessment_id is None
    assert rows[cast.subjects["a1"].code].requirement == "simplified"
    assert b1.code not in rows and cast.subjects["a_dept"].code not in rows
    assert cast.subjects["county"].code not in rows  # another region
    a = services.assessment_create(actor=actor(cast, "clerk_a"), subject=a2)
    rows = {r.subject.code: r for r in selectors.subjects_requiring_assessment(fa, 2026)}
    assert rows[a2.code].assessment_id == a.pk and rows[a2.code].assessment_state == "draft"
    ExAnteAssessment.objects.filter(pk=a.pk).update(state="supported")
    rows = {r.subject.code: r for r in selectors.subjects_requiring_assessment(fa, 2026)}
    assert a2.code not in rows
    assert [r.subject.code for r in selectors.subjects_requiring_assessment(actor(cast, "unit_a2"), 2026)] == []


def test_similar_costs_hide_names_outside_reach(cast):
    def assessed(subject, quantity, cost, year_subject=None):
        a = make_assessment(cast, subject, requested=cost, output_name="校舍维修面积", output_unit="平方米",
                            output_quantity=D(quantity))
        CostItem.objects.create(assessment=a, category="capital", name="维修", quantity=D(quantity),
                                unit_cost=yuan(cost.fen // 100 // quantity), amount=cost)
        return a

    mine = assessed(cast.subjects["a2"], 1000, yuan(900000))
    assessed(cast.subjects["a1"], 500, yuan(400000))  # 800/㎡, same department
    assessed(cast.subjects["b1"], 100, yuan(70000))  # 700/㎡, another department
    assessed(cast.subjects["a1_secret"], 100, yuan(10000))  # classified: left out
    rows = selectors.similar_costs(actor(cast, "unit_a2"), mine)
    assert sorted((r.label, r.unit_cost) for r in rows) == [("同类项目（其他部门）", yuan(700)),
                                                            ("同类项目（其他部门）", yuan(800))]
    rows = selectors.similar_costs(actor(cast, "clerk_a"), mine)
    assert sorted(r.label for r in rows) == ["同类项目（其他部门）", "学生资助项目"]
    analysis = selectors.cost_analysis(actor(cast, "clerk_a"), mine)
    assert analysis.unit_cost == yuan(900) and analysis.similar_average == yuan(750)
    assert analysis.similar_deviation_rate == D("20.00")
