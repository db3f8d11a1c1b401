"""The self-evaluation score engine against hand-worked sheets: every rule variant and boundary, the local variants
published tables show, and totals equal to the sum of their parts exactly."""

from decimal import Decimal as D

import pytest

from jixiao.core.money import Money
from jixiao.evaluation import rules as r
from jixiao.policy.presets import PRESETS
from jixiao.policy.schema import Grade, QualitativeTier, SelfEvaluationParams

P = SelfEvaluationParams()
W = Money.from_wan
ACH, PART, NOT = QualitativeTier.ACHIEVED, QualitativeTier.PARTIAL, QualitativeTier.NOT_ACHIEVED


def params(**changes) -> SelfEvaluationParams:
    return SelfEvaluationParams.model_validate(P.model_dump(mode="json") | changes)


def funds(budget, spent, **kw) -> r.FundsInput:
    return r.FundsInput(annual_budget=W(budget), executed=W(spent), **kw)


def q(comparator, target, actual, weight="10", **kw) -> r.LineInput:
    return r.LineInput(comparator=comparator, weight=D(weight), target=None if target is None else D(target),
                       actual=None if actual is None else D(actual), **kw)


# --- execution score ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("budget, spent, score, rate", [
    ("100", "100", "10.00", "100.00"),
    ("100", "95.5", "9.55", "95.50"),
    ("100", "0", "0.00", "0.00"),
    ("300", "100", "3.33", "33.33"),  # 3.333… rounds half up to 3.33
    ("200", "1", "0.05", "0.50"),
    ("100", "120", "10.00", "120.00"),  # capped at the weight (FASP), the rate shown as it is
])
def test_execution_linear(budget, spent, score, rate):
    ex = r.execution_score(funds(budget, spent), D(10), P)
    assert ex.score == D(score)
    assert ex.rate_pct == D(rate)
    assert "规则" in ex.explain(funds(budget, spent))


def test_execution_uncapped_and_rate_capped_variants():
    assert r.execution_score(funds("100", "120"), D(10), params(execution_score_cap=False)).score == D("12.00")
    ex = r.execution_score(funds("100", "120"), D(10), params(execution_rate_cap=True, execution_score_cap=False))
    assert (ex.score, ex.shown_rate_pct, ex.rate_pct) == (D("10.00"), D("100.00"), D("120.00"))
    assert "超过100%按100%计" in ex.explain(funds("100", "120"))


def test_execution_zero_budget_is_rate_zero():
    ex = r.execution_score(funds("0", "0"), D(10), P)
    assert (ex.rate, ex.score) == (None, D("0.00"))
    assert "分母为0" in ex.explain(funds("0", "0"))
    assert r.execution_score(funds("0", "5"), D(10), P).score == D("0.00")


def test_execution_whole_points_variant_and_weight_20():
    p = params(execution_score_decimal_places=0)
    assert r.execution_score(funds("100", "87.5"), D(20), p).score == D("18")  # 17.5 rounds half up
    assert r.execution_score(funds("100", "87.4"), D(20), p).score == D("17")
    assert r.execution_score(funds("100", "87.4"), D(20), P).score == D("17.48")


def test_execution_no_weight_frame():
    ex = r.execution_score(funds("100", "50"), D(0), P)
    assert (ex.method, ex.score) == (r.Method.NO_WEIGHT, D(0))


@pytest.mark.parametrize("spent, finished, score", [
    ("100", False, "10.00"),  # ≥100%: the top step
    ("99.99", True, "10.00"),  # finished within budget: full (101号)
    ("101", True, "10.00"),  # over budget: by the steps (≥100% top step)
    ("99.99", False, "7.00"),
    ("80", False, "7.00"),  # 80% inclusive
    ("79.99", False, "5.00"),
    ("60", False, "5.00"),
    ("59.99", False, "0.00"),
])
def test_execution_stepped(spent, finished, score):
    p = params(execution_score_mode="stepped")
    ex = r.execution_score(funds("100", spent, finished=finished), D(10), p)
    assert ex.score == D(score)
    assert "规则" in ex.explain(funds("100", spent, finished=finished))


def test_execution_funds_received_basis():
    p = params(execution_rate_basis="funds_received")
    ex = r.execution_score(funds("100", "80", received=W("80")), D(10), p)
    assert ex.score == D("10.00")
    assert "实际到位资金" in ex.explain(funds("100", "80", received=W("80")))
    # no funds-received figure: the annual budget
    assert r.execution_score(funds("100", "80"), D(10), p).score == D("8.00")


# --- quantitative -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("comparator, target, actual, score", [
    ("ge", "100", "100", "10"),  # met exactly
    ("ge", "100", "99", "9.90"),
    ("ge", "3", "2", "6.67"),  # 6.666… half up
    ("gt", "100", "100", "10"),  # ＞ scored as ≥ (FASP)
    ("ge", "100", "0", "0.00"),
    ("ge", "100", "-5", "0.00"),  # a negative actual scores 0, not below
    ("ge", "0", "0", "10"),  # a zero target is met by any actual ≥ 0
    ("ge", "0", "-1", "0"),
    ("eq", "100", "100", "10"),
    ("eq", "100", "50", "5.00"),
    ("eq", "0", "0", "10"),  # 等于 0: full iff actual ≤ 0
    ("eq", "0", "1", "0"),
    ("le", "10", "10", "10"),  # ceiling met
    ("le", "10", "5", "10"),
    ("lt", "10", "12", "8.00"),  # (2×10−12)÷10 × 10
    ("le", "10", "15", "5.00"),
    ("le", "10", "19.99", "0.01"),
    ("le", "10", "20", "0"),  # 2× the ceiling: 0
    ("le", "10", "35", "0"),
    ("le", "0", "0", "10"),
    ("le", "0", "1", "0"),  # zero ceiling overshot
])
def test_quantitative(comparator, target, actual, score):
    ls = r.line_score(q(comparator, target, actual), P)
    assert ls.score == D(score)
    assert "规则" in ls.explain()


def test_quantitative_shortfall_flags():
    assert r.line_score(q("ge", "100", "99"), P).shortfall
    assert not r.line_score(q("ge", "100", "100"), P).shortfall
    assert r.line_score(q("le", "10", "11"), P).shortfall
    assert not r.line_score(q("le", "10", "10"), P).shortfall


def test_reverse_zero_multiple_from_profile():
    p = params(reverse_zero_multiple="3")
    assert r.line_score(q("le", "10", "20"), p).score == D("5.00")  # (30−20)÷20 × 10
    assert r.line_score(q("le", "10", "30"), p).score == D("0")


@pytest.mark.parametrize("actual, score", [
    ("59.99", "0"),  # below the 60% gate
    ("60", "0.00"),  # on the gate: (0.6−0.6)÷0.4
    ("80", "5.00"),
    ("90", "7.50"),
    ("99", "9.75"),
    ("100", "10"),
])
def test_quantitative_gate(actual, score):
    ls = r.line_score(q("ge", "100", actual), params(quantitative_mode="gate"))
    assert ls.score == D(score)
    assert ls.method == r.Method.GATE


def test_missing_actual():
    ls = r.line_score(q("ge", "100", None), P)
    assert (ls.score, ls.method, ls.shortfall) == (D(0), r.Method.MISSING, True)


# --- overshoot ----------------------------------------------------------------------------------------------------
def test_overshoot_flag_threshold_is_strict():
    assert not r.line_score(q("ge", "100", "120"), P).overshoot  # 1.2 exactly: not above
    ls = r.line_score(q("ge", "100", "121"), P)
    assert ls.overshoot and ls.score == D(10) and ls.deduction == 0  # national default: flag only


def test_overshoot_deduction_when_target_too_low():
    p = params(overshoot_deduction_factor="0.5")
    ls = r.line_score(q("ge", "100", "150", overshoot_reason=r.OVERSHOOT_TARGET_TOO_LOW), p)
    # 10 × min(1, 1.5 − 1.2) × 0.5 = 1.5
    assert (ls.deduction, ls.score) == (D("1.50"), D("8.50"))
    assert "扣 1.5 分" in ls.explain()
    ls = r.line_score(q("ge", "100", "500", overshoot_reason=r.OVERSHOOT_TARGET_TOO_LOW), p)
    assert (ls.deduction, ls.score) == (D("5.00"), D("5.00"))  # min(1, …) bounds the deduction
    # another reason: no deduction, still flagged
    ls = r.line_score(q("ge", "100", "150", overshoot_reason="external"), p)
    assert ls.overshoot and ls.score == D(10)


def test_shanxi_preset_never_deducts_overshoot():
    p = PRESETS["shanxi"].params().self_evaluation
    ls = r.line_score(q("ge", "100", "300", overshoot_reason=r.OVERSHOOT_TARGET_TOO_LOW), p)
    assert ls.score == D(10)


# --- qualitative --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("tier, judged, score, ok", [
    (ACH, "10", "10", True),
    (ACH, "8", "8", True),  # 80% inclusive
    (ACH, "7.99", "8.00", False),  # below the band: raised to its bound, and a problem
    (PART, "7.99", "7.99", True),
    (PART, "8", "7.99", False),  # 80% belongs to 达成: the band is half-open
    (PART, "6", "6", True),
    (NOT, "5.99", "5.99", True),
    (NOT, "6", "5.99", False),
    (NOT, "0", "0", True),
    (ACH, None, "8.00", False),  # not judged: the band's lower bound, and a problem
])
def test_qualitative_bands(tier, judged, score, ok):
    ln = r.LineInput(comparator="qualitative", weight=D(10), tier=tier, judged=None if judged is None else D(judged),
                     explanation="原因")
    res = r.score_sheet(r.SheetInput(funds("1", "1"), D(10), [ln]), P)
    assert res.lines[0].score == D(score)
    judged_problems = [p for p in res.problems if p.loc[:3] == ("lines", 0, "judged")]
    assert (not judged_problems) is ok
    assert "规则" in res.lines[0].explain()


def test_qualitative_not_achieved_needs_explanation():
    ln = r.LineInput(comparator="qualitative", weight=D(10), tier=PART, judged=D(7))
    res = r.score_sheet(r.SheetInput(funds("1", "1"), D(10), [ln]), P)
    assert ("lines", 0, "explanation") in [p.loc for p in res.blocking]


@pytest.mark.parametrize("text, tier", [
    ("达成", ACH), ("已完成", ACH), ("基本达成目标", ACH), ("是", ACH), ("良好", ACH), ("√", ACH),
    ("部分达成", PART), ("基本完成", PART), ("部分达成年度指标并具有一定效果", PART),
    ("未达成", NOT), ("未完成", NOT), ("否", NOT), ("效果较差", NOT), ("不合格", NOT), ("没有完成", NOT),
    ("", ""), ("见附件", ""),
])
def test_tier_from_text(text, tier):
    assert r.tier_from_text(text) == tier


def test_non_numeric_target_is_judged_within_weight():
    ln = r.LineInput(comparator="ge", weight=D(10), target=None, judged=D("12"))
    ls = r.line_score(ln, P)
    assert ls.method == r.Method.JUDGED and ls.score == D(10)


# --- satisfaction -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("actual, score", [("90", "10.00"), ("89.99", "8.00"), ("80", "8.00"), ("79.99", "5.00"),
                                           ("60", "5.00"), ("59.99", "0.00"), ("100", "10.00")])
def test_satisfaction_bands(actual, score):
    p = params(satisfaction_mode="bands")
    ls = r.line_score(q("ge", "95", actual, level1=r.SATISFACTION, unit="%"), p)
    assert ls.score == D(score)
    assert "满意度" in ls.explain()


def test_satisfaction_proportional_is_quantitative():
    assert r.line_score(q("ge", "90", "85.5", level1=r.SATISFACTION, unit="%"), P).score == D("9.50")
    assert r.line_score(q("ge", "90", "92", level1=r.SATISFACTION, unit="%"), P).score == D("10")


# --- whole sheets -------------------------------------------------------------------------------------------------
def _sheet(execution_weight, lines, budget="100", spent="100", **kw) -> r.SheetInput:
    return r.SheetInput(funds(budget, spent), D(execution_weight), lines, **kw)


def test_national_sheet_total_is_sum_of_parts_and_grade():
    # 10号 frame: execution 10, output 50, benefit 30, satisfaction 10
    lines = [q("ge", "3", "2", "20", explanation="进度滞后"),  # 13.33
             q("ge", "100", "100", "15"),  # 15
             q("le", "10", "12", "15", explanation="超支"),  # 12.00
             r.LineInput(comparator="qualitative", weight=D(30), tier=ACH, judged=D("27.5")),
             q("ge", "90", "85", "10", level1=r.SATISFACTION, unit="%", explanation="宣传不足")]  # 9.44
    res = r.score_sheet(_sheet(10, lines, spent="92.3"), P)
    assert [ls.score for ls in res.lines] == [D("13.33"), D(15), D("12.00"), D("27.5"), D("9.44")]
    assert res.execution.score == D("9.23")
    assert res.total == D("86.50") == res.execution.score + sum(ls.score for ls in res.lines)
    assert res.grade == Grade.GOOD
    assert res.blocking == []
    assert "86.5" in res.explain_total()


@pytest.mark.parametrize("total_wanted, grade", [("90", Grade.EXCELLENT), ("89.99", Grade.GOOD),
                                                 ("80", Grade.GOOD), ("79.99", Grade.FAIR),
                                                 ("60", Grade.FAIR), ("59.99", Grade.POOR)])
def test_grade_boundaries(total_wanted, grade):
    # one judged line carries the whole score
    ln = r.LineInput(comparator="other", weight=D(100), judged=D(total_wanted), explanation="说明")
    res = r.score_sheet(_sheet(0, [ln]), P)
    assert (res.total, res.grade) == (D(total_wanted), grade)


def test_shanxi_grade_bands():
    p = PRESETS["shanxi"].params().self_evaluation
    ln = r.LineInput(comparator="other", weight=D(100), judged=D("80"))
    assert r.score_sheet(_sheet(0, [ln]), p).grade == Grade.EXCELLENT
    ln.judged = D("69.99")
    assert r.score_sheet(_sheet(0, [ln]), p).grade == Grade.FAIR


def test_variant_execution_20_two_blocks_of_40_whole_points():
    p = params(execution_score_decimal_places=0)
    lines = [q("ge", "100", "90", "40", explanation="x"), q("ge", "100", "100", "40")]
    res = r.score_sheet(_sheet(20, lines, spent="77.5"), p)
    assert res.execution.score == D("16")  # 15.5 rounds to 16
    assert res.total == D("16") + D("36.00") + D(40)


def test_variant_no_execution_score_output_benefit_satisfaction():
    lines = [q("ge", "100", "100", "40"), q("ge", "100", "50", "40", explanation="x"),
             q("ge", "90", "95", "20", level1=r.SATISFACTION)]
    res = r.score_sheet(_sheet(0, lines, spent="10"), P)
    assert res.execution.score == 0
    assert res.total == D(80)
    # a rate of 10% is not asked about when the frame has no execution score
    assert ("funds_explanation",) not in [p.loc for p in res.problems]


def test_required_explanations_on_submission():
    lines = [q("ge", "100", "90", "50"), q("ge", "100", "130", "40")]
    res = r.score_sheet(_sheet(10, lines, spent="50"), P)
    locs = [p.loc for p in res.blocking]
    assert ("lines", 0, "explanation") in locs  # missed target
    assert ("lines", 1, "overshoot_reason") in locs  # overshoot
    assert ("funds_explanation",) in locs  # 50% < 80%
    assert ("conclusion_explanation",) not in locs  # 5 + 45 + 40 = 90: 优
    res = r.score_sheet(_sheet(10, [q("ge", "100", "50", "90", explanation="x")], spent="50",
                               funds_explanation="资金下达晚"), P)
    assert res.grade == Grade.POOR
    assert ("conclusion_explanation",) in [p.loc for p in res.blocking]
    res = r.score_sheet(_sheet(10, [q("ge", "100", "50", "90", explanation="x")], spent="50",
                               funds_explanation="资金下达晚", conclusion_explanation="整改"), P)
    assert res.blocking == []


def test_weight_must_be_positive():
    res = r.score_sheet(_sheet(10, [q("ge", "1", "1", "0")]), P)
    assert ("lines", 0, "weight") in [p.loc for p in res.blocking]


@pytest.mark.parametrize("code", sorted(PRESETS))
def test_every_preset_scores_a_sheet(code):
    p = PRESETS[code].params().self_evaluation
    lines = [q("ge", "100", "80", "45", explanation="x"), q("le", "10", "12", "45", explanation="y")]
    res = r.score_sheet(_sheet(10, lines, spent="90"), p)
    assert res.total == res.execution.score + sum(ls.score for ls in res.lines)
    assert res.grade == p.grade_for(res.total)


# --- screening published sheets -----------------------------------------------------------------------------------
def _published(**kw) -> r.PublishedSheet:
    base = dict(
        funds_rows=[r.FundsRow("年度资金总额", W("100"), W("100"), W("90")),
                    r.FundsRow("其中：当年财政拨款", W("80"), W("80"), W("75")),
                    r.FundsRow("上年结转资金", W("20"), W("20"), W("15"))],
        lines=[q("ge", "100", "100", "50"), q("ge", "100", "80", "40", explanation="x")],
        scores=[D(50), D(32)], execution_weight=D(10), execution_rate_pct=D(90), execution_score=D(9),
        total=D(91), grade=Grade.EXCELLENT)
    return r.PublishedSheet(**(base | kw))


def test_published_consistent_sheet_has_no_findings():
    findings, fresh = r.check_published(_published(), P)
    assert findings == []
    assert fresh.total == D(91)


def test_published_inconsistencies():
    sheet = _published(
        funds_rows=[r.FundsRow("年度资金总额", W("100"), W("100"), W("90")),
                    r.FundsRow("其中：当年财政拨款", W("80"), W("80"), W("70")),
                    r.FundsRow("上年结转资金", W("20"), W("20"), W("15"))],
        lines=[q("ge", "100", "100", "50"), q("ge", "100", "80", "45", explanation="x")],
        scores=[D(52), D(40)], execution_rate_pct=D(95), execution_score=D("9.5"), total=D(100),
        grade=Grade.GOOD)
    codes = {(f.code, f.loc) for f in r.check_published(sheet, P)[0]}
    assert ("weights_sum", ("weights",)) in codes  # 10 + 50 + 45 = 105
    assert ("score_above_weight", ("lines", 0, "score")) in codes  # 52 > 50
    assert ("total_not_sum", ("total",)) in codes  # 9.5 + 52 + 40 = 101.5
    assert ("funds_not_sum", ("funds", "executed")) in codes  # 70 + 15 ≠ 90
    assert ("rate_mismatch", ("execution_rate",)) in codes  # 95% vs 90%
    assert ("rescored", ("execution_score",)) in codes  # 9.5 vs 9
    assert ("rescored", ("lines", 1, "score")) in codes  # 40 vs 36
    assert ("grade_mismatch", ("grade",)) in codes  # 100 is 优
    messages = " ".join(f.message for f in r.check_published(sheet, P)[0])
    assert "第1行" in messages and "万元" in messages


def test_published_rounded_figures_agree_within_their_precision():
    sheet = _published(funds_rows=[r.FundsRow("年度资金总额", W("300"), W("300"), W("100"))],
                       execution_rate_pct=D("33.3"), execution_score=D("3.33"),
                       lines=[q("ge", "100", "100", "50"), q("ge", "3", "2", "40", explanation="x")],
                       scores=[D(50), D("26.7")], total=D("80.03"), grade=Grade.GOOD)
    assert r.check_published(sheet, P)[0] == []


def test_published_qualitative_outside_band():
    sheet = _published(lines=[q("ge", "100", "100", "50"),
                              r.LineInput(comparator="qualitative", weight=D(40), tier=PART)],
                       scores=[D(50), D(35)], total=D(94))
    codes = [f.code for f in r.check_published(sheet, P)[0]]
    assert codes == ["outside_band"]  # 部分达成 allows [24, 32)
