"""Self-evaluation scoring (单位自评, RULES §6.2-6.4, checklist rules 32-38): plain values in, plain values out.

Every number comes from the profile's `params.self_evaluation` (`jixiao.policy.schema.SelfEvaluationParams`) and the
weights from the sheet (the goal frame's groups and execution weight), so the local variants published tables show are
profile settings, not code: an execution weight of 20 with two 40-point blocks, or none with 40/40/20; the execution
score rounded to whole points (`execution_score_decimal_places`); an execution rate above 100% capped
(`execution_rate_cap`); stepped execution scores; the 60% gate for quantitative indicators; satisfaction bands.

- Execution score (预算执行率得分): rate = executed ÷ the profile's basis (全年预算数 by default); linear
  weight × rate (capped at the weight when `execution_score_cap`), or stepped by `execution_steps` (a finished
  project that spent within its budget gets the full score, 101号). A zero budget gives a rate of 0 (as monitoring).
- Quantitative indicators (FASP; 10号 第十六条): higher-is-better (≥ ＞) met → full, else weight × actual ÷ target
  (or the gate: below `quantitative_gate_pct` of the target → 0, above it (rate − gate) ÷ (1 − gate) × weight);
  lower-is-better (≤ ＜) met → full, up to `reverse_zero_multiple` × target linearly down to 0; equal (＝) as
  higher-is-better, a zero target scoring full only when the actual is ≤ 0.
- Overshoot: actual ÷ target above `overshoot_threshold` asks for the reason and flags the line for the bureau; when
  the reason is "目标设定偏低", weight × min(1, actual ÷ target − threshold) × `overshoot_deduction_factor` is deducted.
- Qualitative indicators: the unit's judged score must lie in its tier's band (`qualitative_bands`: 达成 [80%, 100%],
  部分达成 [60%, 80%), 未达成 [0, 60%) of the weight).
- Satisfaction (满意度指标) by bands of the satisfaction rate when `satisfaction_mode` is bands, else as quantitative.
- Each score is rounded half up to `score_decimal_places` (the execution score to its own places); the total is the
  sum of the rounded parts, exactly, and the grade comes from `grade_bands`.

Scores are built without text; `explain()` writes the numbers and the rule that made each score, only when asked.
`check_published` screens a sheet that already carries scores (a unit's published table) for inconsistencies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from jixiao.core.money import Money
from jixiao.policy.schema import (
    ExecutionBasis,
    ExecutionScoreMode,
    Grade,
    QualitativeTier,
    QuantitativeMode,
    SatisfactionMode,
    SelfEvaluationParams,
)

HUNDRED = Decimal(100)
ZERO = Decimal(0)
HIGHER = frozenset({"ge", "gt"})
LOWER = frozenset({"le", "lt"})
EQUAL = "eq"
QUANTITATIVE = HIGHER | LOWER | {EQUAL}
SATISFACTION = "satisfaction"  # Level1 value of the satisfaction block

OVERSHOOT_TARGET_TOO_LOW = "target_too_low"  # the overshoot reason that triggers the deduction
OVERSHOOT_REASONS = {
    OVERSHOOT_TARGET_TOO_LOW: "目标设定偏低",
    "external": "外部条件变化（政策、市场、自然条件等）",
    "extra_funds": "追加资金或任务",
    "efficiency": "管理改进、效率提高",
    "other": "其他",
}

# The rules, as explanations and messages cite them.
R_EXEC_LINEAR = "预算执行率得分（10号附1、FASP）：执行率×分值"
R_EXEC_STEPPED = "预算执行率分档得分（101号 三(七)）：项目完成且未超预算得满分，否则按执行率档次"
R_HIGHER = "正向指标（10号第十六条、FASP）：达到指标值得满分，未达到按 完成值÷指标值×分值"
R_GATE = "设及格线的定量指标（101号 三(七)）：完成率低于及格线得0分，否则 (完成率−及格线)÷(1−及格线)×分值"
R_LOWER = ("反向指标（FASP）：不超过指标值得满分，超过的按 (零分倍数×指标值−完成值)÷((零分倍数−1)×指标值)×分值，"
           "达到零分倍数得0分")
R_EQUAL_ZERO = "等于类指标值为0（FASP）：完成值不大于0得满分，否则得0分"
R_QUALITATIVE = "定性指标（10号第十六条）：按所选档次在该档得分区间内打分"
R_SATISFACTION = "满意度分档（101号 三(七)）：按满意度所在档次得分"
R_OVERSHOOT = "超额完成（10号第十六条）：实际值超过指标值的核查倍数须说明原因；目标设定偏低的按偏离度扣分"
R_GRADE = "自评结论（10号第十八条）：按政策配置的等级分档"

TIER_LABELS = dict(QualitativeTier.choices)
BASIS_NAMES = {ExecutionBasis.ANNUAL_BUDGET: "全年预算数", ExecutionBasis.FUNDS_RECEIVED: "实际到位资金",
               ExecutionBasis.ADJUSTED_BUDGET: "调整后预算数"}


class Method:
    LINEAR = "linear"
    STEPPED = "stepped"
    FINISHED = "finished"
    NO_WEIGHT = "no_weight"
    HIGHER = "higher"
    GATE = "gate"
    LOWER = "lower"
    EQUAL_ZERO = "equal_zero"
    QUALITATIVE = "qualitative"
    SATISFACTION = "satisfaction"
    JUDGED = "judged"  # a quantitative comparator without a number: scored by the unit inside [0, weight]
    MISSING = "missing"  # no actual value: 0


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the sheet must fix (`blocking`: submission refused) or the bureau should look at."""

    loc: tuple  # ("lines", i, field) / ("funds", field) / (field,)
    message: str
    blocking: bool = True


# --- rounding and numbers -----------------------------------------------------------------------------------------
_QUANTA = {n: Decimal(1).scaleb(-n) for n in range(5)}


def round_score(value: Decimal, places: int) -> Decimal:
    return value.quantize(_QUANTA[places], rounding=ROUND_HALF_UP)


def fmt(value: Decimal | None) -> str:
    if value is None:
        return "—"
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def pct_of(value: Decimal) -> str:
    return f"{fmt(round_score(value * HUNDRED, 2))}%"


# --- execution ----------------------------------------------------------------------------------------------------
@dataclass(slots=True)
class FundsInput:
    """The funds block: 年初预算数, 全年预算数, 全年执行数 (Money), and what the profile's basis may need."""

    annual_budget: Money
    executed: Money
    initial_budget: Money | None = None
    received: Money | None = None  # 实际到位资金 (basis funds_received)
    finished: bool | None = None  # the project finished in the year (stepped mode: full score within budget)


@dataclass(slots=True)
class ExecutionScore:
    weight: Decimal
    rate: Decimal | None  # executed ÷ basis as a fraction (None when the basis is 0), before any cap
    rate_used: Decimal  # the rate scored (0 for a zero basis; capped at 1 when the profile caps it)
    score: Decimal
    method: str
    basis: str
    step: object = None  # the StepBand that applied (stepped)
    capped: bool = False  # the score (linear) or the rate was capped

    @property
    def rate_pct(self) -> Decimal | None:
        return None if self.rate is None else round_score(self.rate * HUNDRED, 2)

    @property
    def shown_rate_pct(self) -> Decimal:
        """The rate as the sheet shows it: capped where the profile caps it."""
        return round_score(self.rate_used * HUNDRED, 2)

    def explain(self, funds: FundsInput) -> str:
        if self.method == Method.NO_WEIGHT:
            return "本框架不设预算执行率分值"
        den = _basis_amount(funds, self.basis)
        head = (f"执行率 = 全年执行数 {funds.executed.format_wan()}万元 ÷ {BASIS_NAMES[self.basis]}"
                f" {den.format_wan()}万元")
        if self.rate is None:
            head = f"{head}：分母为0，执行率按0计"
        else:
            head = f"{head} = {pct_of(self.rate)}"
            if self.rate_used != self.rate:
                head += "，超过100%按100%计（政策配置）"
        if self.method == Method.FINISHED:
            return f"{head}；项目已完成且未超预算，得满分 {fmt(self.score)} 分。规则：{R_EXEC_STEPPED}"
        if self.method == Method.STEPPED:
            step = self.step
            return (f"{head}；落在“≥{fmt(step.min_rate)}%”档，得分值的{fmt(step.score_pct)}%："
                    f"{fmt(self.weight)}×{fmt(step.score_pct)}% = {fmt(self.score)} 分。规则：{R_EXEC_STEPPED}")
        cap = "，以分值为上限" if self.capped and self.rate_used * self.weight > self.weight else ""
        return (f"{head}；{fmt(self.weight)}×{pct_of(self.rate_used)} = {fmt(self.score)} 分{cap}。"
                f"规则：{R_EXEC_LINEAR}")


def _basis_amount(funds: FundsInput, basis: str) -> Money:
    if basis == ExecutionBasis.FUNDS_RECEIVED and funds.received is not None:
        return funds.received
    return funds.annual_budget


def execution_score(funds: FundsInput, weight: Decimal, params: SelfEvaluationParams) -> ExecutionScore:
    basis = params.execution_rate_basis
    if funds.received is None and basis == ExecutionBasis.FUNDS_RECEIVED:
        basis = ExecutionBasis.ANNUAL_BUDGET  # no funds-received figure: the sheet's own columns
    den = _basis_amount(funds, basis).fen
    rate = None if den <= 0 else Decimal(funds.executed.fen) / Decimal(den)
    used = ZERO if rate is None else max(rate, ZERO)
    capped = False
    if params.execution_rate_cap and used > 1:
        used, capped = Decimal(1), True
    if not weight:  # the frame gives no execution score: the rate is still shown
        return ExecutionScore(ZERO, rate, used, ZERO, Method.NO_WEIGHT, basis, None, capped)
    places = params.execution_score_decimal_places
    if params.execution_score_mode == ExecutionScoreMode.STEPPED:
        if funds.finished and den > 0 and funds.executed.fen <= den:
            return ExecutionScore(weight, rate, used, round_score(weight, places), Method.FINISHED, basis, None,
                                  capped)
        step = params.execution_steps[-1]
        for band in params.execution_steps:
            if used * HUNDRED >= band.min_rate:
                step = band
                break
        score = round_score(weight * step.score_pct / HUNDRED, places)
        return ExecutionScore(weight, rate, used, score, Method.STEPPED, basis, step, capped)
    raw = weight * used
    if params.execution_score_cap and raw > weight:
        raw, capped = weight, True
    return ExecutionScore(weight, rate, used, round_score(raw, places), Method.LINEAR, basis, None, capped)


# --- indicator lines ----------------------------------------------------------------------------------------------
@dataclass(slots=True)
class LineInput:
    """One indicator row of the sheet as the rules need it."""

    comparator: str  # jixiao.indicators.models.Comparator value
    weight: Decimal | None
    target: Decimal | None = None  # the number of 年度指标值 (None when it is not a number)
    actual: Decimal | None = None  # the number of 实际完成值
    unit: str = ""
    level1: str = ""  # Level1 value; "satisfaction" for the satisfaction block
    tier: str = ""  # QualitativeTier value (qualitative lines)
    judged: Decimal | None = None  # the unit's own score (qualitative and non-numeric lines)
    overshoot_reason: str = ""  # an OVERSHOOT_REASONS key
    explanation: str = ""  # 偏差原因分析及改进措施


@dataclass(slots=True)
class LineScore:
    line: LineInput
    score: Decimal
    method: str
    ratio: Decimal | None = None  # actual ÷ target (quantitative)
    raw: Decimal | None = None  # the score before deduction and rounding
    deduction: Decimal = ZERO  # overshoot deduction (already taken off `score`)
    band: tuple[Decimal, Decimal, bool] | None = None  # allowed judged score [low, high] (high inclusive?)
    step: object = None  # satisfaction band
    shortfall: bool = False  # target not met: the deviation analysis is required
    overshoot: bool = False  # above the overshoot threshold: reason required, flagged for review

    @property
    def weight(self) -> Decimal:
        return self.line.weight or ZERO

    def explain(self) -> str:
        ln, w = self.line, fmt(self.weight)
        unit = ln.unit or ""
        if self.method == Method.MISSING:
            return "未填写实际完成值，得0分"
        if self.method in (Method.QUALITATIVE, Method.JUDGED):
            low, high, closed = self.band
            span = f"[{fmt(low)}, {fmt(high)}{']' if closed else ')'}"
            what = f"定性指标，档次“{TIER_LABELS.get(ln.tier, '未选')}”" if self.method == Method.QUALITATIVE \
                else "指标值不是数值，由单位在0至分值内打分"
            given = "未打分，按区间下限计" if ln.judged is None else f"自评打分 {fmt(ln.judged)}"
            return f"{what}，得分区间 {span}，{given} → {fmt(self.score)} 分。规则：{R_QUALITATIVE}"
        if self.method == Method.SATISFACTION:
            step = self.step
            return (f"满意度 {fmt(ln.actual)}{unit}，落在“≥{fmt(step.min_rate)}%”档，得分值的{fmt(step.score_pct)}%："
                    f"{w}×{fmt(step.score_pct)}% = {fmt(self.score)} 分。规则：{R_SATISFACTION}")
        if self.method == Method.EQUAL_ZERO:
            return f"指标值为0，完成值 {fmt(ln.actual)}{unit} → {fmt(self.score)} 分。规则：{R_EQUAL_ZERO}"
        head = f"完成值 {fmt(ln.actual)}{unit}，指标值 {fmt(ln.target)}{unit}"
        if self.method == Method.LOWER:
            if self.score == self.weight:
                return f"{head}，未超过指标值，得满分 {w} 分。规则：{R_LOWER}"
            return f"{head}，超过指标值 → {fmt(self.score)} 分。规则：{R_LOWER}"
        ratio = "—" if self.ratio is None else pct_of(self.ratio)
        rule = R_GATE if self.method == Method.GATE else R_HIGHER
        if not self.shortfall:
            text = f"{head}，完成率 {ratio}，达到指标值，得满分 {w} 分"
        else:
            text = f"{head}，完成率 {ratio} → {fmt(self.score)} 分"
        if self.overshoot:
            text += "；超过核查倍数，须说明原因"
            if self.deduction:
                text += f"，原因为目标设定偏低，扣 {fmt(self.deduction)} 分，得 {fmt(self.score)} 分"
            rule = f"{rule}；{R_OVERSHOOT}"
        return f"{text}。规则：{rule}"


def tier_band(tier: str, weight: Decimal, params: SelfEvaluationParams) -> tuple[Decimal, Decimal, bool]:
    """The judged score a qualitative tier allows: (low, high, high inclusive) in points."""
    bands = params.qualitative_bands
    for i, band in enumerate(bands):
        if band.tier == tier:
            upper = HUNDRED if i == 0 else bands[i - 1].lower
            return weight * band.lower / HUNDRED, weight * upper / HUNDRED, i == 0
    return ZERO, weight, True


def _judged(ln: LineInput, weight: Decimal, band: tuple[Decimal, Decimal, bool], method: str, places: int
            ) -> LineScore:
    low, high, closed = band
    score = low if ln.judged is None else ln.judged
    score = min(max(score, low), high)
    if not closed and score >= high:  # a half-open band: the highest score below its upper bound
        score = high - _QUANTA[places]
    score = max(round_score(score, places), ZERO)
    shortfall = method == Method.QUALITATIVE and ln.tier != QualitativeTier.ACHIEVED
    return LineScore(ln, score, method, band=band, shortfall=shortfall or (method == Method.JUDGED and score < weight))


def line_score(ln: LineInput, params: SelfEvaluationParams) -> LineScore:
    weight = ln.weight if ln.weight is not None and ln.weight > 0 else ZERO
    places = params.score_decimal_places
    if ln.comparator not in QUANTITATIVE:
        if ln.comparator == "qualitative":
            return _judged(ln, weight, tier_band(ln.tier, weight, params), Method.QUALITATIVE, places)
        return _judged(ln, weight, (ZERO, weight, True), Method.JUDGED, places)
    if ln.target is None:
        if ln.tier:  # a number was expected but the sheet judged it in words
            return _judged(ln, weight, tier_band(ln.tier, weight, params), Method.QUALITATIVE, places)
        return _judged(ln, weight, (ZERO, weight, True), Method.JUDGED, places)
    actual, target = ln.actual, ln.target
    if actual is None:
        return LineScore(ln, ZERO, Method.MISSING, shortfall=True)
    if ln.level1 == SATISFACTION and params.satisfaction_mode == SatisfactionMode.BANDS:
        step = params.satisfaction_bands[-1]
        for band in params.satisfaction_bands:
            if actual >= band.min_rate:
                step = band
                break
        score = round_score(weight * step.score_pct / HUNDRED, places)
        return LineScore(ln, score, Method.SATISFACTION, step=step, shortfall=actual < target)
    if ln.comparator in LOWER:
        k = params.reverse_zero_multiple
        if actual <= target:
            return LineScore(ln, weight, Method.LOWER, raw=weight)
        if target <= 0 or actual >= k * target:
            return LineScore(ln, ZERO, Method.LOWER, raw=ZERO, shortfall=True)
        raw = weight * (k * target - actual) / ((k - 1) * target)
        return LineScore(ln, round_score(raw, places), Method.LOWER, raw=raw, shortfall=True)
    if ln.comparator == EQUAL and target == 0:
        ok = actual <= 0
        return LineScore(ln, weight if ok else ZERO, Method.EQUAL_ZERO, shortfall=not ok)
    if actual >= target:  # met (≥ ＞ ＝): full score, overshoot examined below
        ratio = actual / target if target > 0 else None
        method = Method.GATE if params.quantitative_mode == QuantitativeMode.GATE else Method.HIGHER
        res = LineScore(ln, weight, method, ratio=ratio, raw=weight)
        if ratio is not None and ratio > params.overshoot_threshold:
            res.overshoot = True
            factor = params.overshoot_deduction_factor
            if factor and ln.overshoot_reason == OVERSHOOT_TARGET_TOO_LOW:
                cut = round_score(weight * min(Decimal(1), ratio - params.overshoot_threshold) * factor, places)
                res.deduction, res.score = cut, max(weight - cut, ZERO)
        return res
    if target <= 0:  # below a zero or negative target: not met, no meaningful ratio
        return LineScore(ln, ZERO, Method.HIGHER, raw=ZERO, shortfall=True)
    ratio = max(actual, ZERO) / target
    if params.quantitative_mode == QuantitativeMode.GATE:
        gate = params.quantitative_gate_pct / HUNDRED
        raw = ZERO if ratio < gate else weight * (ratio - gate) / (1 - gate)
        return LineScore(ln, round_score(raw, places), Method.GATE, ratio=ratio, raw=raw, shortfall=True)
    raw = weight * ratio
    return LineScore(ln, round_score(raw, places), Method.HIGHER, ratio=ratio, raw=raw, shortfall=True)


# --- the sheet ----------------------------------------------------------------------------------------------------
@dataclass(slots=True)
class SheetInput:
    funds: FundsInput
    execution_weight: Decimal
    lines: Sequence[LineInput]
    funds_explanation: str = ""  # reasons for a low execution rate and the rectification
    conclusion_explanation: str = ""  # reasons for a 中/差 conclusion and the rectification


@dataclass(slots=True)
class SheetScore:
    sheet: SheetInput
    execution: ExecutionScore
    lines: list[LineScore]
    total: Decimal
    grade: Grade
    problems: list[Problem] = field(default_factory=list)

    @property
    def indicator_total(self) -> Decimal:
        return sum((ls.score for ls in self.lines), ZERO)

    @property
    def blocking(self) -> list[Problem]:
        return [p for p in self.problems if p.blocking]

    def explain_total(self) -> str:
        parts = " + ".join(fmt(ls.score) for ls in self.lines) or "0"
        return (f"总分 = 预算执行率得分 {fmt(self.execution.score)} + 指标得分（{parts}）= {fmt(self.total)} 分，"
                f"等级“{Grade(self.grade).label}”。规则：{R_GRADE}")


def score_sheet(sheet: SheetInput, params: SelfEvaluationParams) -> SheetScore:
    execution = execution_score(sheet.funds, sheet.execution_weight, params)
    lines = [line_score(ln, params) for ln in sheet.lines]
    total = execution.score + sum((ls.score for ls in lines), ZERO)
    grade = params.grade_for(total)
    result = SheetScore(sheet, execution, lines, total, grade)
    result.problems = list(_problems(result, params))
    return result


def _problems(res: SheetScore, params: SelfEvaluationParams):
    """Required explanations and impossible entries (10号 第十一、十六、二十六条; FASP isCheckWeightGtZero)."""
    for i, ls in enumerate(res.lines):
        ln = ls.line
        if ln.weight is None or ln.weight <= 0:
            yield Problem(("lines", i, "weight"), f"第{i + 1}行：分值必须大于0")
        if ls.method == Method.MISSING:
            yield Problem(("lines", i, "actual"), f"第{i + 1}行：请填写实际完成值")
        if ls.method == Method.QUALITATIVE and not ln.tier:
            yield Problem(("lines", i, "tier"), f"第{i + 1}行：定性指标请选择完成档次（达成/部分达成/未达成）")
        if ls.method in (Method.QUALITATIVE, Method.JUDGED):
            low, high, closed = ls.band
            span = f"{fmt(round_score(low, 2))}（含）至{fmt(round_score(high, 2))}{'（含）' if closed else '（不含）'}"
            if ln.judged is None:
                yield Problem(("lines", i, "judged"), f"第{i + 1}行：请在 {span} 分之间打分")
            elif ln.judged < low or ln.judged > high or (not closed and ln.judged >= high):
                yield Problem(("lines", i, "judged"),
                              f"第{i + 1}行：得分 {fmt(ln.judged)} 不在所选档次的 {span} 分之间")
        if ls.shortfall and params.shortfall_explanation_required and not ln.explanation.strip():
            yield Problem(("lines", i, "explanation"), f"第{i + 1}行：未完成指标值，请填写偏差原因分析及改进措施")
        if ls.overshoot:
            if not ln.overshoot_reason:
                yield Problem(("lines", i, "overshoot_reason"),
                              f"第{i + 1}行：完成值超过指标值的{fmt(params.overshoot_threshold)}倍，请选择超额原因")
            elif not ln.explanation.strip():
                yield Problem(("lines", i, "explanation"), f"第{i + 1}行：超额完成，请说明原因")
            yield Problem(("lines", i, "actual"), f"第{i + 1}行：超额完成，提交财政复核", blocking=False)
    ex = res.execution
    if ex.method != Method.NO_WEIGHT and ex.rate_used * HUNDRED < params.low_execution_explain_below_pct \
            and not res.sheet.funds_explanation.strip():
        yield Problem(("funds_explanation",),
                      f"预算执行率 {fmt(ex.shown_rate_pct)}% 低于 {fmt(params.low_execution_explain_below_pct)}%，"
                      "请单独说明原因并提出整改措施")
    if res.grade in params.explain_grades and not res.sheet.conclusion_explanation.strip():
        yield Problem(("conclusion_explanation",),
                      f"自评等级为“{Grade(res.grade).label}”，请单独说明原因并提出整改措施")


# --- qualitative tier from the words of a messy sheet -------------------------------------------------------------
_STRONG_NOT = ("未达成", "未完成", "未实现", "未达到", "没有达成", "没有完成", "没有实现", "不合格", "不满足", "不符合",
               "较低", "较差", "效果差")
_PARTIAL = ("部分", "基本完成", "大部分", "一定效果")
_BARE_NOT = frozenset({"否", "无", "差", "未", "没有", "不", "×", "x", "X"})
_YES = ("达成", "完成", "实现", "达到", "已", "是", "良好", "较好", "优", "好", "满足", "符合", "合格", "√",
        "完工", "竣工", "按时", "按期", "提前", "如期")


def tier_from_text(text: str) -> str:
    """QualitativeTier for the words a sheet writes in 实际完成值 of a qualitative line ('' when unclear).
    "基本达成目标" is the top tier (101号), "基本完成" partial; negatives are read before positives."""
    t = (text or "").strip()
    if not t:
        return ""
    if "基本达成" in t or "基本实现" in t:
        return QualitativeTier.ACHIEVED
    if t in _BARE_NOT or any(w in t for w in _STRONG_NOT):
        return QualitativeTier.NOT_ACHIEVED
    if any(w in t for w in _PARTIAL):
        return QualitativeTier.PARTIAL
    if any(w in t for w in _YES):
        return QualitativeTier.ACHIEVED
    return ""


# --- screening a published sheet ----------------------------------------------------------------------------------
@dataclass(slots=True)
class FundsRow:
    """One row of a published funds block (年度资金总额 first, then 其中 rows); None where the cell is blank."""

    name: str
    initial: Money | None = None
    annual: Money | None = None
    executed: Money | None = None


@dataclass(slots=True)
class PublishedSheet:
    """A self-evaluation table as a unit published it, scores included."""

    funds_rows: Sequence[FundsRow]
    lines: Sequence[LineInput]
    scores: Sequence[Decimal | None]  # each line's published score
    execution_weight: Decimal | None = None
    execution_rate_pct: Decimal | None = None
    execution_score: Decimal | None = None
    total: Decimal | None = None
    grade: str = ""  # Grade value, '' when the sheet gives none
    finished: bool | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    loc: tuple
    code: str
    message: str


def _tolerance(claimed: Decimal) -> Decimal:
    """Half a unit of the claimed number's last decimal: 95.3 agrees with 95.26, 95 with 94.6."""
    exp = claimed.as_tuple().exponent
    return Decimal(5).scaleb(min(exp, 0) - 1) if isinstance(exp, int) else ZERO


def check_published(sheet: PublishedSheet, params: SelfEvaluationParams, *, money_tolerance: Money | None = None
                    ) -> tuple[list[Finding], SheetScore | None]:
    """Inconsistencies of a sheet that already carries scores: weights that do not add up to 100, a score above its
    weight, a total that is not the sum of its parts, a funds block whose 其中 rows do not add up to its total or whose
    rate contradicts its amounts, and scores or a grade that the profile's rules would not give. Returns the findings
    and the sheet scored afresh under the profile (None when there is no funds total row)."""
    out: list[Finding] = []
    ew = sheet.execution_weight or ZERO
    weights = [ln.weight or ZERO for ln in sheet.lines]
    weight_sum = ew + sum(weights, ZERO)
    if weight_sum != HUNDRED:
        out.append(Finding(("weights",), "weights_sum",
                           f"分值合计应为100，实为 {fmt(weight_sum)}"
                           f"（执行率 {fmt(ew)} + 指标 {fmt(weight_sum - ew)}）"))
    for i, (ln, claimed) in enumerate(zip(sheet.lines, sheet.scores, strict=True)):
        if claimed is not None and ln.weight is not None and claimed > ln.weight:
            out.append(Finding(("lines", i, "score"), "score_above_weight",
                               f"第{i + 1}行：得分 {fmt(claimed)} 高于分值 {fmt(ln.weight)}"))
        if claimed is not None and claimed < 0:
            out.append(Finding(("lines", i, "score"), "negative_score", f"第{i + 1}行：得分不能为负数"))
    if sheet.execution_score is not None and sheet.execution_score > ew:
        out.append(Finding(("execution_score",), "score_above_weight",
                           f"预算执行率得分 {fmt(sheet.execution_score)} 高于其分值 {fmt(ew)}"))
    parts = [s for s in sheet.scores if s is not None]
    if sheet.total is not None:
        summed = (sheet.execution_score or ZERO) + sum(parts, ZERO)
        if summed != sheet.total:
            out.append(Finding(("total",), "total_not_sum",
                               f"总分 {fmt(sheet.total)} 不等于各项得分之和 {fmt(summed)}"))
    out.extend(_check_funds(sheet, money_tolerance or Money(0)))
    if not sheet.funds_rows:
        return out, None
    head = sheet.funds_rows[0]
    funds = FundsInput(annual_budget=head.annual or Money(0), executed=head.executed or Money(0),
                       initial_budget=head.initial, finished=sheet.finished)
    lines = []
    for ln, claimed in zip(sheet.lines, sheet.scores, strict=True):
        if ln.judged is None and claimed is not None:
            ln = LineInput(**{f: getattr(ln, f) for f in LineInput.__slots__} | {"judged": claimed})
        lines.append(ln)
    fresh = score_sheet(SheetInput(funds, ew, lines), params)
    ex = fresh.execution
    if sheet.execution_rate_pct is not None and head.annual:
        tol = _tolerance(sheet.execution_rate_pct)
        if abs(ex.shown_rate_pct - sheet.execution_rate_pct) > tol:
            out.append(Finding(("execution_rate",), "rate_mismatch",
                               f"执行率 {fmt(sheet.execution_rate_pct)}% 与金额不符：全年执行数÷全年预算数 = "
                               f"{fmt(ex.shown_rate_pct)}%"))
    if sheet.execution_score is not None and ew and abs(ex.score - sheet.execution_score) > _tolerance(
            sheet.execution_score):
        out.append(Finding(("execution_score",), "rescored",
                           f"预算执行率得分 {fmt(sheet.execution_score)}，按政策配置应得 {fmt(ex.score)}"))
    for i, (ls, claimed) in enumerate(zip(fresh.lines, sheet.scores, strict=True)):
        if claimed is None or ls.method in (Method.JUDGED,):
            continue
        if ls.method == Method.QUALITATIVE:
            low, high, closed = ls.band
            if claimed < low or claimed > high or (not closed and claimed >= high):
                out.append(Finding(("lines", i, "score"), "outside_band",
                                   f"第{i + 1}行：定性指标“{TIER_LABELS.get(ls.line.tier, '未选档次')}”得分应在 "
                                   f"{fmt(round_score(low, 2))}至{fmt(round_score(high, 2))}之间，实为 {fmt(claimed)}"))
            continue
        if abs(ls.score - claimed) > _tolerance(claimed):
            out.append(Finding(("lines", i, "score"), "rescored",
                               f"第{i + 1}行：得分 {fmt(claimed)}，按政策配置应得 {fmt(ls.score)}"))
    if sheet.grade and sheet.total is not None and params.grade_for(sheet.total) != sheet.grade:
        out.append(Finding(("grade",), "grade_mismatch",
                           f"总分 {fmt(sheet.total)} 对应等级“{Grade(params.grade_for(sheet.total)).label}”，"
                           f"表中为“{Grade(sheet.grade).label}”"))
    return out, fresh


FUNDS_COLUMNS = (("initial", "年初预算数"), ("annual", "全年预算数"), ("executed", "全年执行数"))


def _check_funds(sheet: PublishedSheet, tolerance: Money):
    rows = sheet.funds_rows
    if not rows:
        yield Finding(("funds",), "funds_missing", "缺少资金情况（年度资金总额）")
        return
    head, parts = rows[0], rows[1:]
    for attr, label in FUNDS_COLUMNS:
        total = getattr(head, attr)
        values = [getattr(r, attr) for r in parts]
        if total is None or not parts or all(v is None for v in values):
            continue
        summed = sum((v.fen for v in values if v is not None), 0)
        if abs(summed - total.fen) > tolerance.fen:
            names = "、".join(r.name for r in parts)
            yield Finding(("funds", attr), "funds_not_sum",
                          f"资金情况“{label}”列：年度资金总额 {total.format_wan()}万元 不等于 {names} 之和 "
                          f"{Money(summed).format_wan()}万元")
    if head.annual is not None and head.executed is not None and head.executed.fen < 0:
        yield Finding(("funds", "executed"), "negative", "全年执行数不能为负数")
