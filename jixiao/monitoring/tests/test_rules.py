"""The monitoring rules against hand-worked cases: every colour boundary, zero budgets and targets, missing data, leap
years and each profile preset."""

import datetime
from decimal import Decimal as D
from fractions import Fraction

import pytest

from jixiao.core.money import Money
from jixiao.monitoring import rules as r
from jixiao.monitoring.choices import Achievement, DeviationCause, Likelihood
from jixiao.policy.presets import PRESETS
from jixiao.policy.schema import Colour, MonitoringParams, TimeProgressMethod

P = MonitoringParams()
JULY = r.time_progress(period_end=datetime.date(2025, 7, 31), data_months=7, method=TimeProgressMethod.MONTHS)
Y = Money.from_yuan


# --- time progress ------------------------------------------------------------------------------------------------
def test_time_progress_months():
    assert JULY.fraction == Fraction(7, 12)
    assert JULY.pct == D("58.33")
    assert "7个月÷12" in JULY.explain()


@pytest.mark.parametrize("day, num, den", [
    (datetime.date(2025, 7, 31), 212, 365),
    (datetime.date(2024, 7, 31), 213, 366),  # leap year: one more day elapsed, one more in the year
    (datetime.date(2024, 2, 29), 60, 366),
    (datetime.date(2024, 12, 31), 366, 366),
    (datetime.date(2025, 1, 1), 1, 365),
])
def test_time_progress_days_leap_years(day, num, den):
    tp = r.time_progress(period_end=day, data_months=day.month, method=TimeProgressMethod.DAYS)
    assert (tp.numerator, tp.denominator) == (num, den)
    assert "天" in tp.explain()


def test_time_progress_rejects_bad_months():
    with pytest.raises(ValueError):
        r.time_progress(period_end=datetime.date(2025, 7, 31), data_months=0, method=TimeProgressMethod.MONTHS)


# --- execution ----------------------------------------------------------------------------------------------------
# Budget 12,000 yuan at 7/12: 7,000 should be spent. 80% of that is 5,600, 60% is 4,200.
@pytest.mark.parametrize("spent, colour", [
    ("7000", Colour.GREEN), ("5600", Colour.GREEN), ("5599.99", Colour.YELLOW), ("4200", Colour.YELLOW),
    ("4199.99", Colour.RED), ("0", Colour.RED), ("20000", Colour.GREEN),
])
def test_execution_boundaries(spent, colour):
    res = r.execution_warning(Y("12000"), Y(spent), JULY, P)
    assert res.colour == colour


def test_execution_figures_and_explanation():
    res = r.execution_warning(Y("12000"), Y("4200"), JULY, P)
    assert res.rate_pct == D("35.00")
    assert res.ratio_pct == D("60.00")
    text = res.explain()
    assert "执行率 35.00%" in text and "序时进度 58.33%" in text and "[60%,80%)" in text and "→ 黄" in text


def test_execution_zero_budget_is_rate_zero():
    res = r.execution_warning(Money(0), Money(0), JULY, P)
    assert res.colour == Colour.RED and res.rate_pct == 0 and res.ratio_pct == 0
    assert "预算数为0" in res.explain()


def test_execution_days_boundary_exact():
    tp = r.time_progress(period_end=datetime.date(2025, 4, 10), data_months=4, method=TimeProgressMethod.DAYS)
    assert (tp.numerator, tp.denominator) == (100, 365)
    # budget 365 yuan → 100 yuan due by day 100; 80 yuan is exactly 80%
    assert r.execution_warning(Y("365"), Y("80"), tp, P).colour == Colour.GREEN
    assert r.execution_warning(Y("365"), Y("79.99"), tp, P).colour == Colour.YELLOW


def test_expected_and_behind_schedule():
    assert r.expected_spending(Y("12000"), JULY) == Y("7000")
    assert r.expected_spending(Y("100"), JULY) == Y("58.33")  # 58.333… half up
    assert r.behind_schedule(Y("12000"), Y("5000"), JULY) == Y("2000")
    assert r.behind_schedule(Y("12000"), Y("9000"), JULY) == Money(0)


# --- cumulative floor (四川) --------------------------------------------------------------------------------------
SC = PRESETS["sichuan_2025"].params().monitoring


@pytest.mark.parametrize("month_end, spent, breached, floor", [
    (datetime.date(2025, 6, 30), "40", False, D(40)),
    (datetime.date(2025, 6, 30), "39.99", True, D(40)),
    (datetime.date(2025, 5, 31), "25", False, D(25)),  # May: April's floor still in force
    (datetime.date(2025, 10, 31), "79.99", True, D(80)),
    (datetime.date(2025, 12, 31), "80", False, D(80)),
])
def test_floor(month_end, spent, breached, floor):
    res = r.floor_check(Y("100"), Y(spent), month_end, SC)
    assert res.breached is breached and res.floor_pct == floor
    assert res.colour == (SC.floor_colour if breached else None)


def test_floor_none_before_first_month_and_without_floors():
    assert r.floor_check(Y("100"), Y("0"), datetime.date(2025, 3, 31), SC) is None
    assert r.floor_check(Y("100"), Y("0"), datetime.date(2025, 6, 30), P) is None


def test_floor_zero_budget_is_breached():
    assert r.floor_check(Money(0), Money(0), datetime.date(2025, 6, 30), SC).breached


# --- indicators ---------------------------------------------------------------------------------------------------
def row(comparator="ge", target="120", current=None, unit="个", **kw):
    return r.IndicatorInput(comparator=comparator, target=None if target is None else D(target), unit=unit,
                            current=None if current is None else D(current), **kw)


# target 120 at 7/12 → 70 expected: 56 = 80%, 42 = 60%, 84 = 120%.
@pytest.mark.parametrize("current, colour", [
    ("84", Colour.BLUE), ("83.99", Colour.GREEN), ("56", Colour.GREEN), ("55.99", Colour.YELLOW),
    ("42", Colour.YELLOW), ("41.99", Colour.RED), ("0", Colour.RED), ("-1", Colour.RED),
])
def test_higher_is_better_boundaries(current, colour):
    res = r.indicator_warning(row(current=current), JULY, P)
    assert res.mode == r.Mode.PROGRESS and res.colour == colour


def test_higher_is_better_explanation():
    res = r.indicator_warning(row(current="56"), JULY, P)
    assert res.ratio_pct == D("80.00")
    assert "56个÷(指标值 120个×序时进度 58.33%" in res.explain() and "→ 绿" in res.explain()


@pytest.mark.parametrize("comparator", ["gt", "eq"])
def test_other_upward_comparators_prorate(comparator):
    assert r.indicator_warning(row(comparator, current="41.99"), JULY, P).colour == Colour.RED


def test_rates_compared_with_full_target():
    # 合格率 ≥95%: 76% is 80% of the target, whatever the time of year
    res = r.indicator_warning(row(target="95", current="76", unit="%"), JULY, P)
    assert res.mode == r.Mode.RATE and res.colour == Colour.GREEN and res.ratio_pct == D("80.00")
    assert r.indicator_warning(row(target="95", current="75.99", unit="%"), JULY, P).colour == Colour.YELLOW
    # the FASP formula, when the profile prorates rates too: 76 ÷ (95 × 7/12) = 137% → blue
    prorated = P.model_copy(update={"rates_not_prorated": False})
    assert r.indicator_warning(row(target="95", current="76", unit="%"), JULY, prorated).colour == Colour.BLUE


def test_zero_target_uses_profile_colour():
    res = r.indicator_warning(row(target="0", current="3"), JULY, P)
    assert res.mode == r.Mode.ZERO_TARGET and res.colour == Colour.RED
    lenient = P.model_copy(update={"zero_target_colour": Colour.GREEN})
    assert r.indicator_warning(row(target="0", current="3"), JULY, lenient).colour == Colour.GREEN
    assert res.goal_progress is None


@pytest.mark.parametrize("comparator, current, colour", [
    ("le", "5", Colour.GREEN), ("le", "5.01", Colour.RED), ("le", "0", Colour.GREEN),
    ("lt", "5", Colour.RED), ("lt", "4.99", Colour.GREEN),
])
def test_lower_is_better(comparator, current, colour):
    res = r.indicator_warning(row(comparator, target="5", current=current), JULY, P)
    assert res.mode == r.Mode.CEILING and res.colour == colour
    assert "反向指标" in res.explain()


@pytest.mark.parametrize("achievement, colour", [
    (Achievement.ACHIEVED, Colour.GREEN), (Achievement.PARTIAL, Colour.YELLOW),
    (Achievement.NOT_ACHIEVED, Colour.RED),
])
def test_qualitative(achievement, colour):
    res = r.indicator_warning(row("qualitative", target=None, achievement=achievement), JULY, P)
    assert res.mode == r.Mode.QUALITATIVE and res.colour == colour


def test_non_numeric_target_is_judged_qualitatively():
    # 时效: "≤ 2025年10月底" has no number the rules can prorate
    res = r.indicator_warning(row("le", target=None, achievement=Achievement.PARTIAL), JULY, P)
    assert res.colour == Colour.YELLOW


@pytest.mark.parametrize("inp", [row(current=None), row("qualitative", target=None), row("le", "5", None)])
def test_missing_values_have_no_colour(inp):
    res = r.indicator_warning(inp, JULY, P)
    assert res.mode == r.Mode.MISSING and res.colour is None
    assert "尚未填报" in res.explain()


def test_worst():
    assert r.worst([Colour.BLUE, Colour.GREEN]) == Colour.GREEN
    assert r.worst([Colour.BLUE]) == Colour.BLUE
    assert r.worst([Colour.GREEN, None, Colour.RED, Colour.YELLOW]) == Colour.RED
    assert r.worst([None]) is None


# --- subject, gap, disposition ------------------------------------------------------------------------------------
def test_goal_progress_weighted_and_capped():
    rows = [row(target="100", current="50", weight=D(10)), row(target="10", current="20", weight=D(30)),
            row("le", "5", "1", weight=D(20))]  # the ceiling does not accumulate
    results = [r.indicator_warning(x, JULY, P) for x in rows]
    assert r.goal_progress(results) == Fraction(7, 8)  # (0.5 × 10 + 1 × 30) ÷ 40


def test_goal_progress_equal_weights_when_some_missing():
    rows = [row(target="100", current="50", weight=D(10)), row(target="100", current="100")]
    assert r.goal_progress([r.indicator_warning(x, JULY, P) for x in rows]) == Fraction(3, 4)


@pytest.mark.parametrize("spent, exceeded", [("77.5", False), ("77.49", True), ("97.5", False), ("97.51", True)])
def test_dual_gap_boundary(spent, exceeded):
    # goal progress 87.5%; limit 10 points: execution between 77.5% and 97.5% is within
    rows = [row(target="100", current="50", weight=D(10)), row(target="10", current="20", weight=D(30))]
    res = r.subject_warning(budget=Y("100"), spent=Y(spent), rows=rows, tp=JULY,
                            period_end=datetime.date(2025, 7, 31), params=P)
    assert res.gap.goal_progress_pct == D("87.50")
    assert res.gap.exceeded is exceeded
    assert (res.gap.colour == P.gap_colour) is exceeded


def test_gap_disabled_or_nothing_accumulates():
    off = P.model_copy(update={"dual_gap_pct_points": None})
    res = r.subject_warning(budget=Y("100"), spent=Y("0"), rows=[row(current="100")], tp=JULY,
                            period_end=datetime.date(2025, 7, 31), params=off)
    assert res.gap is None
    res = r.subject_warning(budget=Y("100"), spent=Y("0"), rows=[row("le", "5", "1")], tp=JULY,
                            period_end=datetime.date(2025, 7, 31), params=P)
    assert res.gap is None


def test_subject_colour_worst_and_disposition():
    end = datetime.date(2025, 7, 31)
    # execution green (60/100 of 58.33% → 102.9%), one indicator yellow → yellow, no disposition by default
    res = r.subject_warning(budget=Y("100"), spent=Y("60"), rows=[row(current="45")], tp=JULY, period_end=end,
                            params=P.model_copy(update={"dual_gap_pct_points": None}))
    assert res.execution.colour == Colour.GREEN and res.goal_colour == Colour.YELLOW and res.colour == Colour.YELLOW
    assert not res.needs_disposition and res.reasons() == []
    # the same with 完全不可能 → a disposition
    res = r.subject_warning(budget=Y("100"), spent=Y("60"), rows=[row(current="45", likelihood=Likelihood.IMPOSSIBLE)],
                            tp=JULY, period_end=end, params=P.model_copy(update={"dual_gap_pct_points": None}))
    assert res.needs_disposition and "有指标“完全不可能”完成" in res.reasons()
    # red execution → a disposition with its reason
    res = r.subject_warning(budget=Y("100"), spent=Y("10"), rows=[row(current="70")], tp=JULY, period_end=end,
                            params=P)
    assert res.colour == Colour.RED and res.needs_disposition
    assert "预算执行红色预警" in res.reasons()
    assert any("各部分颜色" in line for line in res.explain())


def test_all_blue_subject_is_blue_when_execution_blue():
    bands = [{"colour": "blue", "lower": "120"}, {"colour": "green", "lower": "80"},
             {"colour": "yellow", "lower": "60"}, {"colour": "red", "lower": "0"}]
    p = MonitoringParams.model_validate({"execution_bands": bands, "dual_gap_pct_points": None})
    res = r.subject_warning(budget=Y("100"), spent=Y("100"), rows=[row(current="120")], tp=JULY,
                            period_end=datetime.date(2025, 7, 31), params=p)
    assert res.colour == Colour.BLUE


def test_disposition_colours_from_profile():
    p = P.model_copy(update={"disposition_colours": [Colour.RED, Colour.YELLOW], "dual_gap_pct_points": None})
    res = r.subject_warning(budget=Y("100"), spent=Y("60"), rows=[row(current="45")], tp=JULY,
                            period_end=datetime.date(2025, 7, 31), params=p)
    assert res.needs_disposition and "绩效目标黄色预警" in res.reasons()


@pytest.mark.parametrize("code", sorted(PRESETS))
def test_each_preset_computes_its_points(code):
    mp = PRESETS[code].params().monitoring
    for point in mp.points:
        month, day = (int(x) for x in point.period_end.split("-"))
        end = datetime.date(2024, month, day)
        tp = r.time_progress(period_end=end, data_months=point.data_months, method=mp.time_progress_method)
        res = r.subject_warning(budget=Y("1000000"), spent=Y("100"), rows=[row(current="1")], tp=tp, period_end=end,
                                params=mp)
        assert res.colour == Colour.RED and res.needs_disposition
        if code == "sichuan_2025":
            assert res.floor is not None and res.floor.breached
        else:
            assert res.floor is None


# --- the form -----------------------------------------------------------------------------------------------------
def _form(rows, spent="10", year_end="100"):
    return r.FormReport(spent=None if spent is None else Y(spent), expected_year_end=None if year_end is None
                        else Y(year_end), budget=Y("100"), rows=tuple(rows))


def test_form_requires_amounts():
    errors = r.form_problems(_form([], spent=None, year_end=None), [])
    assert "spent_to_date" in errors and "expected_year_end" in errors
    errors = r.form_problems(_form([], spent="50", year_end="40"), [])
    assert errors["expected_year_end"] == ["全年预计执行数不能小于截至监控期末的执行数"]


def test_form_red_row_needs_cause_likelihood_and_measures():
    res = [r.indicator_warning(row(current="10", likelihood=Likelihood.POSSIBLE), JULY, P)]
    errors = r.form_problems(_form([r.RowReport(row=3, name="培训人数", expected_value="100")]), res)
    assert set(errors) == {"rows.3.deviation_causes", "rows.3.cause_note", "rows.3.remark"}
    assert errors["rows.3.deviation_causes"][0].startswith("第3行（培训人数）：红色预警指标须勾选偏差原因")
    ok = r.RowReport(row=3, name="培训人数", expected_value="100", deviation_causes=(DeviationCause.FUNDING,),
                     cause_note="资金未到位", remark="9月资金到位后集中培训")
    assert r.form_problems(_form([ok]), res) == {}


def test_form_red_row_without_likelihood():
    res = [r.indicator_warning(row(current="10"), JULY, P)]
    rep = r.RowReport(row=1, name="x", expected_value="100", deviation_causes=(DeviationCause.OTHER,), cause_note="c")
    assert list(r.form_problems(_form([rep]), res)) == ["rows.1.likelihood"]


def test_form_green_row_needs_only_expected_value():
    res = [r.indicator_warning(row(current="70"), JULY, P)]
    assert list(r.form_problems(_form([r.RowReport(row=1, name="x")]), res)) == ["rows.1.expected_value"]
    assert r.form_problems(_form([r.RowReport(row=1, name="x", expected_value="120")]), res) == {}


def test_form_blue_and_missing_rows():
    blue = [r.indicator_warning(row(current="100"), JULY, P)]
    assert list(r.form_problems(_form([r.RowReport(row=1, name="x", expected_value="150")]), blue)) == [
        "rows.1.cause_note"]
    missing = [r.indicator_warning(row(current=None), JULY, P)]
    errors = r.form_problems(_form([r.RowReport(row=2, name="y")]), missing)
    assert list(errors) == ["rows.2.current_value"] and "当前完成值" in errors["rows.2.current_value"][0]
    missing_q = [r.indicator_warning(row("qualitative", target=None), JULY, P)]
    errors = r.form_problems(_form([r.RowReport(row=2, name="y")]), missing_q)
    assert "达成/部分达成/未达成" in errors["rows.2.current_value"][0]


def test_form_unknown_cause_refused():
    res = [r.indicator_warning(row(current="70"), JULY, P)]
    rep = r.RowReport(row=1, name="x", expected_value="1", deviation_causes=("weather",))
    assert "rows.1.deviation_causes" in r.form_problems(_form([rep]), res)
