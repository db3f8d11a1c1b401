"""The ex-ante rules, hand-worked: thresholds at and one fen below, scores, conclusions, opinions, cut rate, cost
analysis and working-day deadlines across the National Day holiday."""

import datetime
from decimal import Decimal

import pytest

from jixiao.core.money import Money
from jixiao.exante import rules
from jixiao.policy.schema import ExAnteParams, default_dimensions

P = ExAnteParams()
D = Decimal


def wan(text) -> Money:
    return Money.from_wan(D(str(text)))


def yuan(text) -> Money:
    return Money.from_yuan(D(str(text)))


def facts(annual="0", total=None, investment=None, kind="project", scope="new", classified=False):
    return rules.SubjectFacts(kind=kind, scope_kind=scope, annual_amount=yuan(annual),
                              total_amount=None if total is None else yuan(total),
                              government_investment=None if investment is None else yuan(investment),
                              is_classified=classified)


# ---- requirement thresholds ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("f,expected", [
    (facts(annual="5000000"), "full"),  # 500万 exactly: 含
    (facts(annual="4999999.99"), "simplified"),  # one fen below
    (facts(annual="100", total="15000000"), "full"),  # total 1500万
    (facts(annual="100", total="14999999.99"), "simplified"),
    (facts(annual="100", investment="200000000"), "full"),  # investment 2亿
    (facts(annual="100", investment="199999999.99"), "simplified"),
    (facts(annual="20000000"), "finance"),  # finance-level 2000万
    (facts(annual="19999999.99"), "full"),
    (facts(annual="100", investment="500000000"), "finance"),  # investment 5亿
    (facts(annual="90000000", scope="continuing"), "none"),
    (facts(annual="90000000", kind="department_wide"), "none"),
    (facts(annual="90000000", scope="renewed"), "finance"),
])
def test_requirement_thresholds(f, expected):
    assert rules.requirement_for(f, P).requirement == expected


def test_requirement_reasons_name_the_thresholds_and_exemptions():
    r = rules.requirement_for(facts(annual="5000000", classified=True), P)
    assert r.reasons[0] == "年度投入500.00万元达到门槛500.00万元"
    assert "涉密项目可申请免于评估" in r.reasons[-1]
    assert set(r.exemption_kinds) == {"classified", "emergency", "mandated"}
    no_simplified = P.model_copy(update={"simplified_below_threshold": False})
    assert rules.requirement_for(facts(annual="4999999.99"), no_simplified).requirement == "none"


# ---- scores ----------------------------------------------------------------------------------------------------------
DIMS = default_dimensions()  # five × 20


def test_scores_within_weights_and_total():
    assert rules.score_problems({"necessity": D("20"), "economy": D("0")}, DIMS) == {}
    problems = rules.score_problems({"necessity": D("20.01"), "economy": D("-1"), "feasibility": D("1.005"),
                                     "nope": D(1)}, DIMS)
    assert problems == {"necessity": "立项必要性得分20.01超过该维度分值20", "economy": "投入经济性得分不能为负数",
                        "feasibility": "实施方案可行性得分最多保留两位小数", "nope": "未知的评估维度“nope”"}
    full = {"necessity": D(18), "economy": D("17.5"), "target_soundness": D(16), "feasibility": D(19),
            "funding_compliance": D("19.5")}
    assert rules.total_score(full, DIMS) == D(90)
    assert rules.total_score({**full, "economy": None}, DIMS) is None


def test_suggested_conclusion_only_when_enabled_half_open_bands():
    assert rules.suggested_conclusion(D(95), P) is None  # off by default
    on = P.model_copy(update={"score_conclusion_enabled": True})
    assert rules.suggested_conclusion(D(90), on) == "support"
    assert rules.suggested_conclusion(D("89.99"), on) == "support_after_changes"
    assert rules.suggested_conclusion(D("89.5"), on) == "support_after_changes"  # no gap at 89.5
    assert rules.suggested_conclusion(D(70), on) == "support_after_changes"
    assert rules.suggested_conclusion(D("69.99"), on) == "no_support"
    assert rules.suggested_conclusion(None, on) is None


def test_average_scores():
    sheets = [{"necessity": D(18), "economy": D(15)}, {"necessity": D(17), "economy": D(16)},
              {"necessity": D(16)}]
    avg = rules.average_scores(sheets, DIMS)
    assert avg.by_code["necessity"] == D("17.00") and avg.by_code["economy"] == D("15.50")
    assert avg.by_code["feasibility"] is None and avg.total is None and avg.experts == 3
    full = [{d.code: D(20) for d in DIMS}, {d.code: D(15) for d in DIMS}]
    assert rules.average_scores(full, DIMS).total == D("87.50")


# ---- conclusion, submission, opinion ---------------------------------------------------------------------------------
def test_partial_support_needs_both_parts():
    errors = rules.conclusion_problems("partial_support", "设备购置", "", P)
    assert errors == {"unsupported_parts": ["结论为“建议部分支持”时，须列明不予支持的部分"]}
    assert rules.conclusion_problems("partial_support", "设备购置", "装修工程", P) == {}
    three = P.model_copy(update={"report_conclusions": ["support", "support_after_changes", "no_support"]})
    assert rules.conclusion_problems("partial_support", "a", "b", three)["conclusion"]


def test_submission_problems():
    texts = {d.code: "已论证" for d in DIMS}
    ok = rules.AssessmentDraft(requested_amount=wan(600), conclusion="support", dimension_texts=texts)
    assert rules.submission_problems(ok, DIMS, P) == {}
    bad = rules.AssessmentDraft(requested_amount=Money(0), dimension_texts={"necessity": "x"},
                                scores={"economy": D(30)})
    errors = rules.submission_problems(bad, DIMS, P)
    assert set(errors) == {"requested_amount", "dimensions", "conclusion"}
    assert "投入经济性得分30超过该维度分值20" in errors["dimensions"]
    claim = rules.AssessmentDraft(requested_amount=wan(600), exemption_kind="emergency")
    assert set(rules.submission_problems(claim, DIMS, P)) == {"exemption_reason", "attachments"}
    claim = rules.AssessmentDraft(requested_amount=wan(600), exemption_kind="emergency", exemption_reason="防汛",
                                  has_exemption_attachment=True)
    assert rules.submission_problems(claim, DIMS, P) == {}
    relaxed = P.model_copy(update={"exemption_requires_reason": False, "exemption_kinds": ["classified"]})
    claim = rules.AssessmentDraft(requested_amount=wan(600), exemption_kind="emergency")
    assert set(rules.submission_problems(claim, DIMS, relaxed)) == {"exemption_kind"}


def test_opinion_problems_and_approved_amounts():
    req = wan(1000)

    def problems(name, approved=None, **kw):
        return rules.opinion_problems(name, requested=req, approved=approved, is_exemption=kw.pop("ex", False),
                                      params=kw.pop("params", P), **kw)

    assert problems("support") == {} and rules.approved_for("support", requested=req, approved=None) == req
    assert problems("support", wan(800)) == {}
    assert problems("support", wan(1001))["approved_amount"] == ["核定金额不能超过申请金额（10,000,000.00元）"]
    # partial support is not among the default profile's finance opinions (郑州: three)
    assert problems("partial_support", wan(500), supported_parts="a", unsupported_parts="b")["transition"]
    four = P.model_copy(update={"finance_opinions": ["support", "partial_support", "support_after_changes",
                                                      "no_support"]})
    assert problems("partial_support", wan(500), supported_parts="a", unsupported_parts="b", params=four) == {}
    errors = problems("partial_support", wan(1000), params=four)
    assert set(errors) == {"approved_amount", "supported_parts", "unsupported_parts"}
    assert problems("no_support", wan(1))["approved_amount"] == ["不予支持时核定金额为0"]
    assert rules.approved_for("no_support", requested=req, approved=None) == Money(0)
    assert problems("accept_exemption") == {"transition": ["该记录不是免评申请"]}
    assert problems("support", ex=True) == {"transition": ["免评申请只能同意免于评估或退回"]}
    assert problems("accept_exemption", ex=True) == {}


def test_block_period():
    assert rules.blocked_until(datetime.date(2026, 3, 1), P) == datetime.date(2027, 3, 1)
    assert rules.blocked_problem(datetime.date(2027, 3, 1), datetime.date(2027, 3, 1)).startswith("该项目事前评估")
    assert "2027年03月01日前不得再次申报" in rules.blocked_problem(datetime.date(2027, 3, 1), datetime.date(2026, 5, 1))
    assert rules.blocked_problem(datetime.date(2027, 3, 1), datetime.date(2027, 3, 2)) is None


# ---- amounts ---------------------------------------------------------------------------------------------------------
def test_cut_and_cut_rate_of_the_tongliao_seed():
    requested, approved = wan(13285), wan(13285 - 6773)
    assert rules.cut_amount(requested, approved) == wan(6773)
    assert rules.cut_rate(requested, approved) == D("50.98")
    assert rules.cut_rate(wan("30160.06"), wan("30160.06") - wan("4609.28")) == D("15.28")
    assert rules.cut_rate(Money(0), Money(0)) is None
    assert rules.cut_rate(wan(100), None) is None and rules.cut_amount(wan(100), None) is None
    assert rules.cut_rate(yuan("3"), yuan("2")) == D("33.33")  # half up
    assert rules.cut_rate(yuan("3"), yuan("1")) == D("66.67")


# ---- cost analysis ---------------------------------------------------------------------------------------------------
def test_cost_item_amount_exact_in_fen():
    assert rules.cost_item_amount(D("1200"), yuan("800")) == yuan("960000")
    assert rules.cost_item_amount(D("0.5"), yuan("0.03")) == yuan("0.02")  # 1.5 fen → 2 fen, half up
    assert rules.cost_item_amount(D("3.33"), yuan("1234567.89")) == yuan("4111111.07")  # 4,111,111.0737


def test_cost_analysis_unit_cost_standard_and_similar():
    lines = [
        rules.CostLine("capital", "校舍维修工程", D("1200"), yuan("850"), "平方米", standard_amount=yuan("800")),
        rules.CostLine("goods_services", "设计监理", D("1"), yuan("60000")),
        rules.CostLine("capital", "门窗更换", D("100"), yuan("300")),
    ]
    similar = [rules.SimilarCost("甲校", 2025, yuan("820")), rules.SimilarCost("乙校", 2024, yuan("781"))]
    a = rules.cost_analysis(lines, output_quantity=D("1200"), standard_amount=yuan("800"), similar=similar,
                            requested=yuan("1110000"))
    assert a.total == yuan("1110000") and not a.differs_from_requested
    assert a.by_category == {"capital": yuan("1050000"), "goods_services": yuan("60000")}
    assert a.lines[0].amount == yuan("1020000") and a.lines[0].deviation_rate == D("6.25") and a.lines[0].over_standard
    assert a.unit_cost == yuan("925")  # 1,110,000 ÷ 1,200
    assert a.deviation_rate == D("15.63") and a.over_standard  # (925 − 800) ÷ 800 = 15.625 → 15.63
    assert a.similar_average == yuan("800.50") and a.similar_min == yuan("781") and a.similar_max == yuan("820")
    assert a.similar_deviation_rate == D("15.55")  # (925 − 800.50) ÷ 800.50
    assert len(a.warnings) == 2
    b = rules.cost_analysis(lines[1:], output_quantity=None, requested=yuan("1"))
    assert b.unit_cost is None and b.deviation_rate is None and b.differs_from_requested
    assert rules.deviation_rate(yuan("750"), yuan("800")) == D("-6.25")


# ---- deadlines across 国庆 (2026: 10-01..10-07 off, 09-25..27 off, 10-10 Saturday worked) ------------------------
def test_working_day_deadlines_across_national_day():
    assert rules.materials_due(datetime.date(2026, 9, 24), P) == datetime.date(2026, 10, 9)
    assert rules.report_due(datetime.date(2026, 9, 29), P) == datetime.date(2026, 10, 12)
    assert rules.opinion_due(datetime.date(2026, 9, 30), P) == datetime.date(2026, 11, 3)
    assert rules.report_due(None, P) is None


def test_overdue_flags():
    f = rules.DeadlineFacts(materials_due=datetime.date(2026, 10, 9), report_due=datetime.date(2026, 10, 12),
                            submitted_on=datetime.date(2026, 10, 12), opinion_due=datetime.date(2026, 11, 3))
    assert rules.overdue_flags(f, datetime.date(2026, 10, 9)) == []  # the due day itself is in time
    assert rules.overdue_flags(f, datetime.date(2026, 10, 10)) == ["补充材料逾期"]
    assert rules.overdue_flags(f, datetime.date(2026, 11, 4)) == ["补充材料逾期", "财政审核意见逾期"]
    late = rules.DeadlineFacts(report_due=datetime.date(2026, 10, 12), submitted_on=datetime.date(2026, 10, 13),
                               opinion_due=datetime.date(2026, 11, 3), opinion_on=datetime.date(2026, 11, 3))
    assert rules.overdue_flags(late, datetime.date(2026, 12, 1)) == ["评估报告逾期"]
