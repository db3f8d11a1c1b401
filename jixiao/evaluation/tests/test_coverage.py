"""Evaluation planning checks against the profile: coverage by count or money, each department's minimum, the key
projects' cycle, mid-term and post-period evaluations, special bonds and key funds, and indicator-system weights."""

from decimal import Decimal as D

import pytest

from jixiao.evaluation import coverage as cv
from jixiao.policy.presets import PRESETS
from jixiao.policy.schema import EvaluationParams

P = EvaluationParams()


def params(**kw) -> EvaluationParams:
    return EvaluationParams.model_validate(P.model_dump(mode="json") | kw)


def subject(i, dept=1, amount=100, **kw):
    # a subject "planned" is on both lists unless the test says which
    kw.setdefault("department_planned", kw.get("planned", False))
    kw.setdefault("fiscal_planned", kw.get("planned", False))
    return cv.PlanSubject(id=i, name=f"项目{i}", department_id=dept, amount_fen=amount, **kw)


def codes(res):
    return [f.code for f in res.findings]


@pytest.mark.parametrize("basis, planned, met", [
    ("count_or_amount", {1}, True),  # 1 of 5 = 20% by count
    ("count_or_amount", {5}, True),  # the big one: 60% of the money
    ("count", {5}, True),
    ("amount", {1}, False),  # 100 of 1000 = 10% of the money
    ("count", set(), False),
])
def test_coverage_by_count_or_money(basis, planned, met):
    items = [subject(i, amount=600 if i == 5 else 100, planned=i in planned) for i in range(1, 6)]
    res = cv.plan_coverage(items, params(coverage_basis=basis), 2026)
    assert res.met is met
    assert ("coverage" in codes(res)) is (not met)


def test_coverage_boundary_is_inclusive():
    items = [subject(i, planned=i < 2) for i in range(10)]
    res = cv.plan_coverage(items, params(coverage_pct="20", coverage_basis="count"), 2026)
    assert res.count_pct == D("20.00") and res.met


def test_each_department_needs_its_minimum():
    items = [subject(1, dept=1, planned=True), subject(2, dept=2)]
    res = cv.plan_coverage(items, P, 2026, departments={1: "教育局", 2: "卫健委", 3: "农业农村局"})
    missing = [f for f in res.findings if f.code == "department_minimum"]
    assert [f.department_id for f in missing] == [2, 3] and "卫健委" in missing[0].message


def test_key_projects_within_the_cycle():
    items = [subject(1, is_key=True, last_evaluated_year=2021), subject(2, is_key=True, last_evaluated_year=2022),
             subject(3, is_key=True), subject(4, is_key=True, last_evaluated_year=2021, planned=True)]
    res = cv.plan_coverage(items, P, 2026)
    assert res.due_key == [1, 3, 4]  # 2021 + 5 = 2026: due this year; 2022 can wait
    assert [f.subject_id for f in res.findings if f.code == "key_cycle"] == [1, 3]


def test_midterm_and_post_period():
    items = [subject(1, start_year=2023, end_year=2027), subject(2, start_year=2021, end_year=2025),
             subject(3, start_year=2024, end_year=2027)]  # 4 years: not a long project
    res = cv.plan_coverage(items, P, 2026)
    assert res.midterm == [1] and res.post_period == [2]


def test_special_bonds_and_key_funds():
    items = [subject(1, amount=40, special_bond=True, planned=True, key_fund=True), subject(2, amount=960,
                                                                                           key_fund=True)]
    res = cv.plan_coverage(items, params(key_fund_coverage_pct="20"), 2026, bond_quota_fen=1000)
    assert "special_bond" in codes(res) and "key_fund" in codes(res)  # 4% < 5%; 4% < 20%
    res = cv.plan_coverage(items, P, 2026, bond_quota_fen=800)
    assert "special_bond" not in codes(res) and "key_fund" not in codes(res)  # 5%; key funds not set nationally


def test_hailin_preset_sets_key_fund_coverage():
    p = PRESETS["hailin_2021"].params().evaluation
    assert p.key_fund_coverage_pct == D(20)


def test_indicator_system_weights():
    good = {"decision": D(15), "process": D(20), "output": D(35), "benefit": D(30)}
    assert cv.indicator_system_problems(good, P) == []
    low = {"decision": D(25), "process": D(20), "output": D(30), "benefit": D(25)}
    assert "不低于60%" in cv.indicator_system_problems(low, P)[0]
    assert "合计应为100" in cv.indicator_system_problems({"output": D(50), "benefit": D(40)}, P)[0]
    ppp = {"output": D(80), "benefit": D(20)}
    assert cv.indicator_system_problems(ppp, P, ppp=True, ppp_weights={"operation": D(40), "maintenance": D(20)}) == []
    problems = cv.indicator_system_problems({"output": D(70), "benefit": D(30)}, P, ppp=True,
                                            ppp_weights={"operation": D(30), "maintenance": D(20)})
    assert len(problems) == 2


def test_coverage_just_below_the_line():
    items = [subject(0, amount=1999, planned=True), subject(1, amount=8001)]
    res = cv.plan_coverage(items, params(coverage_pct="20", coverage_basis="amount"), 2026)
    assert res.amount_pct == D("19.99") and not res.met


def test_the_department_minimum_counts_department_evaluations_and_bonds_fiscal_ones():
    p = EvaluationParams()
    items = [subject(1, dept=1, planned=True, department_planned=False, fiscal_planned=True, special_bond=True,
                     amount=100),
             subject(2, dept=2, planned=True, department_planned=True, fiscal_planned=False, special_bond=True,
                     amount=100)]
    out = cv.plan_coverage(items, p, 2026, departments={1: "甲局", 2: "乙局"}, bond_quota_fen=10000)
    messages = [f.message for f in out.findings]
    assert any("甲局本年度列入部门评价的项目0个" in m for m in messages)
    assert not any("乙局" in m for m in messages)
    assert any("覆盖上年新增专项债务限额的1%" in m for m in messages)  # only the fiscal one counts: 100 of 10000


def test_departments_past_the_profiles_completion_date():
    import datetime

    p = params(department_due="06-30")
    items = [subject(1, dept=1, planned=True, department_done=True), subject(2, dept=2, planned=True)]
    assert cv.department_deadline(p, 2026) == datetime.date(2027, 6, 30)
    before = cv.plan_coverage(items, p, 2026, departments={1: "甲局", 2: "乙局"}, today=datetime.date(2027, 6, 30))
    assert not [f for f in before.findings if f.code == "department_overdue"]
    after = cv.plan_coverage(items, p, 2026, departments={1: "甲局", 2: "乙局"}, today=datetime.date(2027, 7, 1))
    late = [f.message for f in after.findings if f.code == "department_overdue"]
    assert late == ["乙局应于2027年06月30日前完成部门评价，现已完成0个"]
    assert not [f for f in cv.plan_coverage(items, params(), 2026, today=datetime.date(2030, 1, 1)).findings
                if f.code == "department_overdue"]  # no date set: nothing is late
