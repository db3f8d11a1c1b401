"""Agency rules against hand-worked cases: lead evaluators, recent violations, conflicts before commissioning,
commission quality and the ranking."""

import datetime
from decimal import Decimal as D

import pytest

from jixiao.agencies import rules as r
from jixiao.policy.schema import AgencyParams

P = AgencyParams()
TODAY = datetime.date(2026, 12, 6)
LEAD = r.Person("张三", work_years=5, evaluation_years=3, has_title_or_qualification=True)


@pytest.mark.parametrize("person, count", [
    (LEAD, 0),  # exactly the minimums
    (r.Person("李四", 4, 3, True), 1),
    (r.Person("王五", 8, 2, True), 1),
    (r.Person("赵六", 8, 5, False), 1),
    (r.Person("孙七", 3, 4, True), 2),  # evaluation years above work years, and too few work years
    (r.Person("周八", 9, 6, True, negligence_sentence_ended=datetime.date(2022, 1, 1)), 1),
    (r.Person("吴九", 9, 6, True, negligence_sentence_ended=datetime.date(2021, 12, 6)), 0),  # five years to the day
])
def test_lead_evaluator(person, count):
    assert len(r.lead_evaluator_problems(person, P, TODAY)) == count


def test_violations_within_the_lookback():
    old = r.Violation("false_report", datetime.date(2023, 12, 6))  # exactly three years ago: out
    new = r.Violation("subcontract_whole", datetime.date(2024, 1, 1))
    minor = r.Violation("other", datetime.date(2026, 1, 1))
    assert r.recent_violations([old, new, minor], P, TODAY) == [new]


def commission(**kw):
    base = dict(agency_id=1, subject_id=10, unit_id=100, commissioner="bureau:150500", purpose="evaluation")
    return r.Commission(**(base | kw))


def test_a_clean_commission():
    assert r.commission_problems(commission(), r.AgencyRecord(lead_evaluators=[LEAD]), P, TODAY) == []


def test_every_conflict_is_named():
    record = r.AgencyRecord(
        lead_evaluators=[r.Person("李四", 4, 3, True)],
        violations=[r.Violation("false_report", datetime.date(2025, 5, 1))],
        services=[(100, "audit"), (100, "design"), (999, "audit")],
        produced=[(10, "goals")],
        other_commissions=[(10, "department:7")])
    problems = r.commission_problems(commission(purpose="self_evaluation", implementing_commissioner=True,
                                                classified=True, agency_active=False), record, P, TODAY)
    text = "\n".join(problems)
    for words in ("停用", "涉密", "单位自评", "实施单位", "主评人", "虚假报告", "审计、设计", "绩效目标编制",
                  "其他委托方"):
        assert words in text, words
    assert len(problems) == 9


def test_profile_switches():
    record = r.AgencyRecord(lead_evaluators=[LEAD], other_commissions=[(10, "department:7")])
    p = AgencyParams.model_validate(P.model_dump(mode="json") | {"one_commissioner_per_project": False})
    assert r.commission_problems(commission(), record, p, TODAY) == []
    assert r.commission_problems(commission(purpose="self_evaluation"), record, p, TODAY,
                                 self_evaluation_outsourcing_forbidden=False) == []


def test_quality_and_ranking():
    assert r.commission_quality(r.QualityScore(1, D(80), D(90)), P) == D("86.00")  # 40% plan, 60% draft
    assert r.commission_quality(r.QualityScore(1, None, D(70)), P) == D("70.00")
    assert r.commission_quality(r.QualityScore(1, None, None), P) is None
    scores = [r.QualityScore(1, D(80), D(90)), r.QualityScore(1, D(90), D(90)), r.QualityScore(2, D(95), D(95)),
              r.QualityScore(3, D(88), D(88))]
    ranked = r.rank({1: "甲所", 2: "乙所", 3: "丙所", 4: "丁所"}, scores, {2: 1}, P)
    # 甲 averages (86 + 90) / 2 = 88 over two commissions and ranks before 丙's single 88; 乙 95 − 10 for a sanction
    assert [(x.name, x.score, x.rank) for x in ranked] == [
        ("甲所", D("88.00"), 1), ("丙所", D("88.00"), 2), ("乙所", D("85.00"), 3), ("丁所", None, 0)]


def test_the_negligence_bar_comes_from_the_profile():
    p = AgencyParams(lead_negligence_bar_years=3)
    person = r.Person("郑十", 9, 6, True, negligence_sentence_ended=datetime.date(2023, 1, 1))
    assert r.lead_evaluator_problems(person, p, datetime.date(2025, 12, 31)) == [
        "郑十：因过失犯罪受刑事处罚，刑罚执行完毕未满3年"]
    assert r.lead_evaluator_problems(person, p, datetime.date(2026, 1, 1)) == []
