"""Dual monitoring rules (双监控, RULES §5.4-5.5, checklist rules 22-29): plain values in, plain values out.

Numbers come from the profile's `params.monitoring` (`jixiao.policy.schema.MonitoringParams`). Every comparison with a
band boundary is exact: a ratio num/den is compared as `num ≥ lower × den` with integers (fen) and Decimals, so a value
that sits exactly on a boundary gets that band's colour whatever the time progress (7/12 has no finite decimal).
Explanations are built only when asked for (`explain()`), so a province's round is computed without formatting text.

- Time progress (序时进度): months elapsed ÷ 12, or days elapsed ÷ days in the year (leap years), as the profile says.
- Execution warning (FASP bgttracewarn): r = (spent ÷ budget) ÷ time progress, coloured by `execution_bands`;
  a budget of 0 gives an execution rate of 0.
- Cumulative floor (optional, Sichuan): execution rate at the end of the period's month below the floor in force.
- Indicator progress (FASP warnset): higher-is-better (≥ ＞ ＝) p = current ÷ (target × time progress) coloured by
  `indicator_bands` (rates in % are not prorated when `rates_not_prorated`; a zero target gets `zero_target_colour`);
  lower-is-better (≤ ＜) green when current ≤ (＜) target, else red; qualitative 达成 green / 部分达成 yellow /
  未达成 red.
- The subject's colour is the worst of its parts (red > yellow > green > blue).
- Dual-monitoring gap: |goal progress % − execution rate %| above `dual_gap_pct_points` (goal progress = the weighted
  share of the annual targets reached, over the indicators that accumulate over the year).
"""

from __future__ import annotations

import calendar as _calendar
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from jixiao.core.money import Money
from jixiao.monitoring.choices import Achievement, DeviationCause, Likelihood
from jixiao.policy.schema import Colour, MonitoringParams, TimeProgressMethod

TWO = Decimal("0.01")
ZERO_PCT = Decimal("0.00")
HUNDRED = Decimal(100)

# Severity for "the worst of its parts": red > yellow > green > blue (FASP goalwarn).
COLOUR_RANK = {Colour.BLUE: 0, Colour.GREEN: 1, Colour.YELLOW: 2, Colour.RED: 3}
COLOUR_LABELS = {Colour.BLUE: "蓝", Colour.GREEN: "绿", Colour.YELLOW: "黄", Colour.RED: "红"}
HIGHER = frozenset({"ge", "gt", "eq"})  # Comparator values counted as progress towards a target
LOWER = frozenset({"le", "lt"})
RATE_UNITS = frozenset({"%", "％", "‰", "百分比", "百分点"})
ACHIEVEMENT_COLOURS = {Achievement.ACHIEVED: Colour.GREEN, Achievement.PARTIAL: Colour.YELLOW,
                       Achievement.NOT_ACHIEVED: Colour.RED}

# The rules, as the explanations and form messages cite them.
R_TIME = "序时进度（FASP）：已过月数÷12，或已过天数÷全年天数"
R_EXECUTION = "预算执行预警（FASP bgttracewarn）：执行率÷序时进度，按预算执行预警分档定色；预算数为0时执行率按0计"
R_FLOOR = "累计执行率下限（川财绩〔2025〕10号）：月末累计执行率低于下限即预警"
R_HIGHER = "正向指标进度预警（FASP positiveindex）：当前值÷(年度指标值×序时进度)，按正向指标进度预警分档定色"
R_RATE = "比率类指标（计量单位为%或‰）：当前值÷年度指标值，不按序时进度折算（政策配置：比率类指标不按序时进度折算）"
R_ZERO = "正向指标年度指标值为0，无法折算进度（FASP：按政策配置的颜色）"
R_LOWER = "反向指标（FASP）：当前值不超过年度指标值为绿，否则为红"
R_QUALITATIVE = "定性指标（FASP）：达成为绿，部分达成为黄，未达成为红"
R_WORST = "项目颜色取各部分最差者：红＞黄＞绿＞蓝（FASP goalwarn）"
R_GAP = "双监控偏差（川财绩〔2025〕10号）：|绩效目标完成进度−预算执行进度|超过限值即预警"
R_FORM = "136号附件、河南省监控办法附件1：未达序时进度的指标须分析偏差原因、判断完成可能性，不能确定完成的须说明措施"


def worst(colours: Iterable[str | None]) -> str | None:
    """The worst colour of those given (None ignored); None when there is none."""
    best, rank = None, -1
    for c in colours:
        if c is not None and COLOUR_RANK[c] > rank:
            best, rank = c, COLOUR_RANK[c]
    return best


def _pct(num, den) -> Decimal:
    """num ÷ den as a percentage with two decimals (half up); num and den are ints or Decimals, den > 0."""
    if type(num) is int and type(den) is int:
        return _to2(num * 100, den)
    return (Decimal(num) * HUNDRED / Decimal(den)).quantize(TWO, rounding=ROUND_HALF_UP)


def _fmt(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _band(bands: Sequence, num, den):
    """The first band (bands descend by `lower`) whose lower bound the percentage num/den (den > 0) reaches."""
    for band in bands:
        if num >= band.lower * den:
            return band
    return bands[-1]


def _band_text(bands: Sequence, band) -> str:
    i = list(bands).index(band)
    lower = _fmt(band.lower)
    if i == 0:
        return f"≥{lower}%"
    upper = _fmt(bands[i - 1].lower)
    if i == len(bands) - 1 and band.lower == 0:
        return f"<{upper}%"
    return f"[{lower}%,{upper}%)"


# --- time progress ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TimeProgress:
    numerator: int
    denominator: int
    method: str

    @property
    def fraction(self) -> Fraction:
        return Fraction(self.numerator, self.denominator)

    @property
    def pct(self) -> Decimal:
        return _pct(self.numerator, self.denominator)

    def explain(self) -> str:
        if self.method == TimeProgressMethod.DAYS:
            return f"序时进度 {self.pct}%（已过{self.numerator}天÷全年{self.denominator}天）"
        return f"序时进度 {self.pct}%（已过{self.numerator}个月÷12）"


def time_progress(*, period_end: datetime.date, data_months: int, method: str) -> TimeProgress:
    """序时进度 at the end of the monitoring period."""
    if method == TimeProgressMethod.DAYS:
        days_in_year = 366 if _calendar.isleap(period_end.year) else 365
        return TimeProgress(period_end.timetuple().tm_yday, days_in_year, TimeProgressMethod.DAYS)
    if not 1 <= data_months <= 12:
        raise ValueError("data_months must be 1..12")
    return TimeProgress(data_months, 12, TimeProgressMethod.MONTHS)


def expected_spending(budget: Money, tp: TimeProgress) -> Money:
    """What should have been spent by the time progress (budget × 序时进度), to the fen, half up."""
    n, d = budget.fen * tp.numerator, tp.denominator
    return Money((2 * n + d) // (2 * d))


def behind_schedule(budget: Money, spent: Money, tp: TimeProgress) -> Money:
    """The amount by which spending lags the time progress (0 when on or ahead of schedule)."""
    gap = expected_spending(budget, tp) - spent
    return gap if gap.fen > 0 else Money(0)


# --- execution ----------------------------------------------------------------------------------------------------
@dataclass(slots=True)  # values, not changed after creation (slots: made per row in batch)
class ExecutionResult:
    budget: Money
    spent: Money
    tp: TimeProgress
    colour: str
    band: object
    bands: tuple
    rate_pct: Decimal  # 预算执行率 (%); 0 for a zero budget

    @property
    def ratio_pct(self) -> Decimal:
        """执行率÷序时进度 (%)."""
        if not self.budget.fen:
            return Decimal("0.00")
        return _pct(self.spent.fen * self.tp.denominator, self.budget.fen * self.tp.numerator)

    def explain(self) -> str:
        if not self.budget.fen:
            return (f"预算数为0，执行率按0计；执行进度比 0%，{_band_text(self.bands, self.band)} → "
                    f"{COLOUR_LABELS[self.colour]}。规则：{R_EXECUTION}")
        return (f"执行率 {self.rate_pct}%（执行数 {self.spent.format_wan()}万元÷"
                f"预算数 {self.budget.format_wan()}万元），"
                f"{self.tp.explain()}，执行进度比 {self.ratio_pct}%，{_band_text(self.bands, self.band)} → "
                f"{COLOUR_LABELS[self.colour]}。规则：{R_EXECUTION}")


def execution_warning(budget: Money, spent: Money, tp: TimeProgress, params: MonitoringParams) -> ExecutionResult:
    bands = tuple(params.execution_bands)
    if budget.fen > 0:
        num, den = spent.fen * HUNDRED * tp.denominator, budget.fen * tp.numerator
    else:  # FASP guard: no budget, execution rate 0
        num, den = 0, 1
    band = _band(bands, num, den)
    rate = _to2(spent.fen * 100, budget.fen) if budget.fen > 0 else ZERO_PCT
    return ExecutionResult(budget, spent, tp, band.colour, band, bands, rate)


@dataclass(slots=True)  # values, not changed after creation (slots: made per row in batch)
class FloorResult:
    month: int
    floor_pct: Decimal
    rate_pct: Decimal
    breached: bool
    colour: str | None

    def explain(self) -> str:
        verdict = f"低于下限 → {COLOUR_LABELS[self.colour]}" if self.breached else "未低于下限"
        return f"{self.month}月末累计执行率 {self.rate_pct}%，下限 {_fmt(self.floor_pct)}%，{verdict}。规则：{R_FLOOR}"


def floor_check(budget: Money, spent: Money, period_end: datetime.date,
                params: MonitoringParams) -> FloorResult | None:
    """The cumulative execution floor at the end of the period's month (None when the profile sets none)."""
    floor = params.floor_for_month(period_end.month)
    if floor is None:
        return None
    rate = _pct(spent.fen, budget.fen) if budget.fen > 0 else Decimal("0.00")
    breached = (spent.fen * HUNDRED < floor * budget.fen) if budget.fen > 0 else floor > 0
    return FloorResult(period_end.month, floor, rate, breached, params.floor_colour if breached else None)


# --- indicators ---------------------------------------------------------------------------------------------------
@dataclass(slots=True)  # values, not changed after creation (slots: made per row in batch)
class IndicatorInput:
    """One indicator row as the rules need it: the goal sheet's target and the unit's report."""

    comparator: str  # jixiao.indicators.models.Comparator value
    target: Decimal | None  # the number of the target value (None when the target is not a number)
    unit: str = ""
    current: Decimal | None = None  # progress to date (quantitative)
    achievement: str = ""  # Achievement value (qualitative)
    weight: Decimal | None = None
    likelihood: str = ""  # Likelihood value


class Mode:
    PROGRESS = "progress"  # higher-is-better, prorated by time progress
    RATE = "rate"  # higher-is-better rate, compared with the full target
    ZERO_TARGET = "zero_target"
    CEILING = "ceiling"  # lower-is-better
    QUALITATIVE = "qualitative"
    MISSING = "missing"  # no value reported yet


def is_rate_unit(unit: str) -> bool:
    return (unit or "").strip() in RATE_UNITS


def is_quantitative(comparator: str, target: Decimal | None) -> bool:
    return target is not None and (comparator in HIGHER or comparator in LOWER)


@dataclass(slots=True)  # values, not changed after creation (slots: made per row in batch)
class IndicatorResult:
    row: IndicatorInput
    mode: str
    colour: str | None
    tp: TimeProgress
    band: object = None
    bands: tuple = ()
    num: object = 0  # the ratio's numerator and denominator (percent), for display
    den: object = 1
    share: tuple[int, int] | None = None  # `goal_share`, computed once (PROGRESS only)
    weight: tuple[int, int] | None = None  # the row's weight as an integer ratio when positive (PROGRESS only)

    @property
    def ratio_pct(self) -> Decimal | None:
        if self.mode in (Mode.PROGRESS, Mode.RATE):
            return _pct(self.num, self.den * HUNDRED)
        return None

    @property
    def goal_share(self) -> tuple[int, int] | None:
        """`goal_progress` as an integer ratio (numerator, denominator > 0), exact: from the integer ratios of the
        two decimals (the target is positive here), capped to [0, 1]."""
        return self.share

    @property
    def goal_progress(self) -> Fraction | None:
        """Share of the annual target reached (capped at 1), for the dual-monitoring gap; None when the indicator
        does not accumulate over the year (rates, ceilings, qualitative) or has no value."""
        share = self.goal_share
        return None if share is None else Fraction(*share)

    @property
    def needs_explanation(self) -> bool:
        return self.colour is not None and self.colour != Colour.GREEN

    def explain(self) -> str:
        r = self.row
        label = COLOUR_LABELS.get(self.colour, "")
        if self.mode == Mode.MISSING:
            return "尚未填报完成情况，无法判断颜色"
        if self.mode == Mode.QUALITATIVE:
            return f"定性指标，完成情况“{Achievement(r.achievement).label}” → {label}。规则：{R_QUALITATIVE}"
        unit = r.unit or ""
        if self.mode == Mode.ZERO_TARGET:
            return f"年度指标值为0{unit}，当前值 {_fmt(r.current)}{unit} → {label}。规则：{R_ZERO}"
        if self.mode == Mode.CEILING:
            sign = "≤" if r.comparator == "le" else "＜"
            ok = "满足" if self.colour == Colour.GREEN else "不满足"
            return (f"反向指标：当前值 {_fmt(r.current)}{unit}，指标值 {sign}{_fmt(r.target)}{unit}，{ok} → {label}。"
                    f"规则：{R_LOWER}")
        band = _band_text(self.bands, self.band)
        if self.mode == Mode.RATE:
            return (f"比率类指标：当前值 {_fmt(r.current)}{unit}÷指标值 {_fmt(r.target)}{unit} = {self.ratio_pct}%，"
                    f"{band} → {label}。规则：{R_RATE}")
        expected = (r.target * self.tp.numerator / self.tp.denominator).quantize(TWO, rounding=ROUND_HALF_UP)
        return (f"当前值 {_fmt(r.current)}{unit}÷(指标值 {_fmt(r.target)}{unit}×{self.tp.explain()}) = "
                f"{_fmt(r.current)}÷{_fmt(expected)} = {self.ratio_pct}%，{band} → {label}。规则：{R_HIGHER}")


def indicator_warning(row: IndicatorInput, tp: TimeProgress, params: MonitoringParams) -> IndicatorResult:
    if not is_quantitative(row.comparator, row.target):
        if not row.achievement:
            return IndicatorResult(row, Mode.MISSING, None, tp)
        return IndicatorResult(row, Mode.QUALITATIVE, ACHIEVEMENT_COLOURS[row.achievement], tp)
    if row.current is None:
        return IndicatorResult(row, Mode.MISSING, None, tp)
    if row.comparator in LOWER:
        ok = row.current <= row.target if row.comparator == "le" else row.current < row.target
        return IndicatorResult(row, Mode.CEILING, Colour.GREEN if ok else Colour.RED, tp)
    if row.target == 0:
        return IndicatorResult(row, Mode.ZERO_TARGET, params.zero_target_colour, tp)
    if row.target < 0:  # a negative target: met or not, as for a ceiling turned round
        return IndicatorResult(row, Mode.CEILING, Colour.GREEN if row.current >= row.target else Colour.RED, tp)
    bands = tuple(params.indicator_bands)
    if params.rates_not_prorated and is_rate_unit(row.unit):
        num, den = row.current * HUNDRED, row.target
        mode = Mode.RATE
    else:
        num, den = row.current * HUNDRED * tp.denominator, row.target * tp.numerator
        band = _band(bands, num, den)
        cn, cd = row.current.as_integer_ratio()
        tn, td = row.target.as_integer_ratio()
        sn, sd = cn * td, cd * tn  # current ÷ target (> 0 here), capped to [0, 1]
        share = (0, 1) if sn <= 0 else (1, 1) if sn >= sd else (sn, sd)
        weight = row.weight.as_integer_ratio() if row.weight is not None and row.weight > 0 else None
        return IndicatorResult(row, Mode.PROGRESS, band.colour, tp, band, bands, num, den, share, weight)
    band = _band(bands, num, den)
    return IndicatorResult(row, mode, band.colour, tp, band, bands, num, den)


# --- the subject --------------------------------------------------------------------------------------------------
@dataclass(slots=True)  # values, not changed after creation (slots: made per row in batch)
class GapResult:
    goal_progress_pct: Decimal
    execution_rate_pct: Decimal
    gap: Decimal
    limit: Decimal
    exceeded: bool
    colour: str | None

    def explain(self) -> str:
        verdict = f"超过限值 → {COLOUR_LABELS[self.colour]}" if self.exceeded else "未超过限值"
        return (f"绩效目标完成进度 {self.goal_progress_pct}%，预算执行进度 {self.execution_rate_pct}%，"
                f"相差 {self.gap}个百分点，"
                f"限值 {_fmt(self.limit)}个百分点，{verdict}。规则：{R_GAP}")


def _goal_ratio(results: Sequence[IndicatorResult]) -> tuple[int, int] | None:
    """`goal_progress` as an integer ratio (numerator ≥ 0, denominator > 0)."""
    parts = [(r.share, r.weight) for r in results if r.share is not None]
    if not parts:
        return None
    # Exact sums of ratios in plain integers (a handful of rows per subject).
    if all(w is not None for _, w in parts):
        num, den, wnum, wden = 0, 1, 0, 1
        for (n, d), (wn, wd) in parts:
            num, den = num * d * wd + n * wn * den, den * d * wd
            wnum, wden = wnum * wd + wn * wden, wden * wd
        return num * wden, den * wnum
    num, den = 0, 1
    for (n, d), _ in parts:
        num, den = num * d + n * den, den * d
    return num, den * len(parts)


def goal_progress(results: Sequence[IndicatorResult]) -> Fraction | None:
    """Weighted share of the annual targets reached, over the indicators that accumulate (all weights given, else
    equal weights); None when no indicator accumulates."""
    ratio = _goal_ratio(results)
    return None if ratio is None else Fraction(*ratio)


def _to2(num: int, den: int) -> Decimal:
    """num ÷ den (den > 0) to two decimals, half up (away from zero), exactly, in integers."""
    q = (abs(num) * 200 + den) // (2 * den)
    return Decimal(-q if num < 0 else q).scaleb(-2)


def _gap(ratio: tuple[int, int] | None, execution: ExecutionResult, params: MonitoringParams) -> GapResult | None:
    limit = params.dual_gap_pct_points
    if limit is None or ratio is None:
        return None
    pn, pd = ratio
    spent, budget = (execution.spent.fen, execution.budget.fen) if execution.budget.fen else (0, 1)
    # |pn/pd − spent/budget| × 100 = num / den, in integers
    num, den = abs(pn * budget - spent * pd) * 100, pd * budget
    ln, ld = limit.as_integer_ratio()
    exceeded = num * ld > ln * den
    return GapResult(_to2(pn * 100, pd), execution.rate_pct, _to2(num, den), limit, exceeded,
                     params.gap_colour if exceeded else None)


def gap_check(progress: Fraction | None, execution: ExecutionResult, params: MonitoringParams) -> GapResult | None:
    """The dual-monitoring gap for a goal progress (a Fraction) against the execution."""
    return _gap(None if progress is None else (progress.numerator, progress.denominator), execution, params)


@dataclass(slots=True)  # values, not changed after creation (slots: made per row in batch)
class SubjectResult:
    execution: ExecutionResult
    floor: FloorResult | None
    indicators: tuple[IndicatorResult, ...]
    gap: GapResult | None
    goal_colour: str | None  # worst of the indicators (FASP goalwarn)
    colour: str
    impossible: bool  # some indicator judged 完全不可能
    needs_disposition: bool

    def reasons(self) -> list[str]:
        """Why the subject needs a disposition, in Chinese (empty when it does not)."""
        out = []
        if not self.needs_disposition:
            return out
        if self.execution.colour in (Colour.YELLOW, Colour.RED):
            out.append(f"预算执行{COLOUR_LABELS[self.execution.colour]}色预警")
        if self.floor and self.floor.breached:
            out.append(f"累计执行率低于{self.floor.month}月末下限")
        if self.gap and self.gap.exceeded:
            out.append("绩效目标完成进度与预算执行进度偏差超限")
        if self.goal_colour in (Colour.YELLOW, Colour.RED):
            out.append(f"绩效目标{COLOUR_LABELS[self.goal_colour]}色预警")
        if self.impossible:
            out.append("有指标“完全不可能”完成")
        return out

    def explain(self) -> list[str]:
        lines = [self.execution.explain()]
        if self.floor:
            lines.append(self.floor.explain())
        if self.gap:
            lines.append(self.gap.explain())
        parts = [self.execution.colour] + [r.colour for r in self.indicators]
        parts += [self.floor.colour] if self.floor else []
        parts += [self.gap.colour] if self.gap else []
        labels = "、".join(COLOUR_LABELS[c] for c in parts if c)
        lines.append(f"各部分颜色：{labels} → {COLOUR_LABELS[self.colour]}。规则：{R_WORST}")
        return lines


def subject_warning(*, budget: Money, spent: Money, rows: Sequence[IndicatorInput], tp: TimeProgress,
                    period_end: datetime.date, params: MonitoringParams) -> SubjectResult:
    """Every warning of one subject at one monitoring point."""
    return subject_result(budget=budget, spent=spent, results=tuple([indicator_warning(r, tp, params) for r in rows]),
                          tp=tp, period_end=period_end, params=params)


def subject_result(*, budget: Money, spent: Money, results: tuple[IndicatorResult, ...], tp: TimeProgress,
                   period_end: datetime.date, params: MonitoringParams) -> SubjectResult:
    """The subject's warnings from its indicators' results (`indicator_warning` of each row, at the same time
    progress and parameters): a batch may reuse the result of identical rows."""
    execution = execution_warning(budget, spent, tp, params)
    floor = floor_check(budget, spent, period_end, params)
    gap = _gap(_goal_ratio(results), execution, params)
    goal_colour = worst(r.colour for r in results)
    colour = worst([execution.colour, goal_colour, floor.colour if floor else None, gap.colour if gap else None])
    impossible = any(r.row.likelihood == Likelihood.IMPOSSIBLE for r in results)
    needs = impossible or colour in params.disposition_colours
    return SubjectResult(execution, floor, results, gap, goal_colour, colour, impossible, needs)


# --- the form (rule 27) -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RowReport:
    """What the unit wrote on one indicator row, besides the progress value."""

    row: int  # the row number shown to the user (1-based)
    name: str
    expected_value: str = ""  # 全年预计完成情况
    deviation_causes: tuple[str, ...] = ()
    cause_note: str = ""
    remark: str = ""  # 备注: why it cannot be met and the measures


@dataclass(frozen=True)
class FormReport:
    spent: Money | None
    expected_year_end: Money | None
    budget: Money
    rows: tuple[RowReport, ...] = field(default_factory=tuple)


def form_problems(form: FormReport, result_rows: Sequence[IndicatorResult]) -> dict[str, list[str]]:
    """Submission checks of the monitoring form: {field: [Chinese messages]}; rows as `rows.<n>.<field>`."""
    errors: dict[str, list[str]] = {}

    def add(key, msg):
        errors.setdefault(key, []).append(msg)

    if form.spent is None:
        add("spent_to_date", "请填写截至监控期末的执行数")
    elif form.spent.fen < 0:
        add("spent_to_date", "执行数不能为负数")
    if form.expected_year_end is None:
        add("expected_year_end", "请填写全年预计执行数")
    elif form.spent is not None and form.expected_year_end < form.spent:
        add("expected_year_end", "全年预计执行数不能小于截至监控期末的执行数")
    for rep, res in zip(form.rows, result_rows, strict=True):
        where = f"第{rep.row}行（{rep.name}）"
        key = f"rows.{rep.row}"
        if res.mode == Mode.MISSING:
            quantitative = is_quantitative(res.row.comparator, res.row.target)
            what = "当前完成值" if quantitative else "完成情况（达成/部分达成/未达成）"
            add(f"{key}.current_value", f"{where}：请填写截至监控期末的{what}")
            continue
        if not rep.expected_value.strip():
            add(f"{key}.expected_value", f"{where}：请填写全年预计完成情况")
        causes = set(rep.deviation_causes)
        unknown = causes - set(DeviationCause.values)
        if unknown:
            add(f"{key}.deviation_causes", f"{where}：偏差原因“{'、'.join(sorted(unknown))}”不在可选范围内")
        if res.colour in (Colour.YELLOW, Colour.RED):
            if not causes:
                add(f"{key}.deviation_causes",
                    f"{where}：{COLOUR_LABELS[res.colour]}色预警指标须勾选偏差原因。{R_FORM}")
            if not rep.cause_note.strip():
                add(f"{key}.cause_note", f"{where}：请说明偏差原因。{R_FORM}")
            if not res.row.likelihood:
                add(f"{key}.likelihood", f"{where}：请判断完成目标可能性（确定能/有可能/完全不可能）。{R_FORM}")
        elif res.colour == Colour.BLUE and not rep.cause_note.strip():
            add(f"{key}.cause_note", f"{where}：进度明显超过序时进度，请说明原因（是否指标值设定偏低）")
        elif DeviationCause.OTHER in causes and not rep.cause_note.strip():
            add(f"{key}.cause_note", f"{where}：勾选“其他”原因的须说明")
        if res.row.likelihood and res.row.likelihood not in Likelihood.values:
            add(f"{key}.likelihood", f"{where}：完成目标可能性只能是确定能、有可能或完全不可能")
        elif res.row.likelihood in (Likelihood.POSSIBLE, Likelihood.IMPOSSIBLE) and not rep.remark.strip():
            add(f"{key}.remark", f"{where}：不能确定完成目标的，须在备注中说明原因和拟采取的措施。{R_FORM}")
    return errors
