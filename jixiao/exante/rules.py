"""Pure rules of the ex-ante assessment: values in, values out, no ORM.

- `requirement_for`: which subjects must be assessed (RULES checklist 1-3).
- `gate_problems`: what the latest assessment lets the subject do (checklist 4).
- scores: `score_problems`, `total_score`, `suggested_conclusion`, `average_scores` (checklist 5-6).
- conclusions and opinions: `conclusion_problems`, `submission_problems`, `opinion_problems` (checklist 3-5).
- amounts: `cut_amount`, `cut_rate` (checklist 8).
- cost analysis (投入经济性, RULES §11): `cost_item_amount`, `unit_cost`, `deviation_rate`, `cost_analysis`.
- deadlines on the working-day calendar (checklist 7): `materials_due`, `report_due`, `opinion_due`, `is_overdue`,
  `overdue_flags`.

Every number (thresholds, weights, working days, bands, block period) comes from the profile's `ExAnteParams`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from jixiao.core.calendar import add_working_days
from jixiao.core.money import Money
from jixiao.policy.schema import Conclusion, DimensionWeight, ExAnteParams

ASSESSED_KINDS = ("project", "policy", "transfer_payment")


@dataclass(frozen=True)
class SubjectFacts:
    """What the requirement depends on."""

    kind: str  # SubjectKind value
    scope_kind: str  # ScopeKind value: new, changed, renewed, continuing
    annual_amount: Money
    total_amount: Money | None = None
    government_investment: Money | None = None
    is_classified: bool = False


@dataclass(frozen=True)
class RequirementResult:
    requirement: str  # Requirement value: none, simplified, full, finance
    reasons: tuple[str, ...]
    exemption_kinds: tuple[str, ...] = ()  # grounds on which the profile lets this subject claim an exemption


def _w(amount: Money) -> str:
    return f"{amount.format_wan()}万元"


def _reaches(amount: Money | None, threshold: Money | None) -> bool:
    return amount is not None and threshold is not None and amount >= threshold


def requirement_for(facts: SubjectFacts, params: ExAnteParams) -> RequirementResult:
    """Whether the subject must be assessed and at which level, with the reasons (each naming the threshold)."""
    if facts.kind not in ASSESSED_KINDS:
        return RequirementResult("none", ("部门（单位）整体支出不开展事前评估",))
    if facts.scope_kind not in [k.value for k in params.scope_kinds]:
        return RequirementResult("none", ("延续项目且无重大调整，不在事前评估范围内",))
    reasons = []
    annual = params.money("annual_amount_yuan")
    if _reaches(facts.annual_amount, annual):
        reasons.append(f"年度投入{_w(facts.annual_amount)}达到门槛{_w(annual)}")
    total = params.money("total_amount_yuan")
    if _reaches(facts.total_amount, total):
        reasons.append(f"总投入{_w(facts.total_amount)}达到门槛{_w(total)}")
    investment = params.money("investment_amount_yuan")
    if _reaches(facts.government_investment, investment):
        reasons.append(f"政府投资总投资{_w(facts.government_investment)}达到门槛{_w(investment)}")
    kinds = tuple(k.value if hasattr(k, "value") else str(k) for k in params.exemption_kinds)
    hint = ()
    if facts.is_classified and "classified" in kinds:
        hint = ("涉密项目可申请免于评估（须说明理由并附依据材料）",)
    if not reasons:
        if params.simplified_below_threshold:
            return RequirementResult("simplified", (
                f"低于门槛{_w(annual)}，采用简易评估（仍须填报绩效目标表并出具简要报告）", *hint), kinds)
        return RequirementResult("none", (f"低于门槛{_w(annual)}",))
    finance_reasons = []
    fa = params.money("finance_annual_amount_yuan")
    if _reaches(facts.annual_amount, fa):
        finance_reasons.append(f"年度投入达到财政评估门槛{_w(fa)}")
    fi = params.money("finance_investment_yuan")
    if _reaches(facts.government_investment, fi):
        finance_reasons.append(f"政府投资达到财政评估门槛{_w(fi)}")
    if finance_reasons:
        return RequirementResult("finance", tuple(reasons + finance_reasons) + hint, kinds)
    return RequirementResult("full", tuple(reasons) + hint, kinds)


@dataclass(frozen=True)
class AssessmentFacts:
    """The latest assessment of a subject, reduced to what the gate needs."""

    state: str  # AssessmentState value
    finance_opinion: str = ""
    blocked_until: datetime.date | None = None
    is_exemption: bool = False


def gate_problems(requirement: str, latest: AssessmentFacts | None, *, today: datetime.date) -> list[str]:
    """Why the subject may not enter the project library or get a budget yet (empty list: it may)."""
    if requirement == "none":
        return []
    if latest is None:
        if requirement == "simplified":
            return ["尚未完成简易事前评估（门槛以下的新增项目须出具简要评估报告）"]
        return ["须开展事前绩效评估，尚未评估（未评估不得申请预算）"]
    if latest.state == "exempted":
        return []
    if latest.state == "supported":
        return []
    if latest.state == "not_supported":
        if latest.blocked_until and today <= latest.blocked_until:
            return [f"事前评估财政审核意见为“不予支持”，{latest.blocked_until:%Y年%m月%d日}前不得再次申报"]
        return ["事前评估财政审核意见为“不予支持”，须重新评估"]
    if latest.state == "returned":
        return ["事前评估被退回调整完善，尚未获得财政支持"]
    return ["事前评估尚未获得财政审核意见“支持”"]


# --- scores (checklist 5-6) -------------------------------------------------------------------------------------------
TWO = Decimal("0.01")


def _q2(value: Decimal) -> Decimal:
    return value.quantize(TWO, rounding=ROUND_HALF_UP)


def score_problems(scores: Mapping[str, Decimal | None], dimensions: Sequence[DimensionWeight]) -> dict[str, str]:
    """Dimension code → why its score is not allowed (each score between 0 and the dimension's weight, at most two
    decimals; unknown codes refused)."""
    weights = {d.code: (d.name, Decimal(d.weight)) for d in dimensions}
    problems: dict[str, str] = {}
    for code, score in scores.items():
        if score is None:
            continue
        if code not in weights:
            problems[code] = f"未知的评估维度“{code}”"
            continue
        name, weight = weights[code]
        if not score.is_finite():
            problems[code] = f"{name}得分无效"
        elif score < 0:
            problems[code] = f"{name}得分不能为负数"
        elif score > weight:
            problems[code] = f"{name}得分{score}超过该维度分值{_num(weight)}"
        elif score != score.quantize(TWO):
            problems[code] = f"{name}得分最多保留两位小数"
    return problems


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def total_score(scores: Mapping[str, Decimal | None], dimensions: Sequence[DimensionWeight]) -> Decimal | None:
    """The total of a complete score sheet (every dimension scored), else None."""
    values = [scores.get(d.code) for d in dimensions]
    if not values or any(v is None for v in values):
        return None
    return sum(values, Decimal(0))


def suggested_conclusion(total: Decimal | None, params: ExAnteParams) -> str | None:
    """The conclusion the profile's score bands suggest for a total (half-open bands), when the profile switches
    the automatic conclusion on and the sheet is complete; the assessors may still choose another."""
    if total is None or not params.score_conclusion_enabled:
        return None
    return str(params.conclusion_for(total).value)


@dataclass(frozen=True)
class AverageScores:
    by_code: dict[str, Decimal | None]  # the mean of the experts who scored the dimension, half up to 0.01
    total: Decimal | None  # the sum of the dimension means when every dimension has one
    experts: int


def average_scores(sheets: Sequence[Mapping[str, Decimal | None]],
                   dimensions: Sequence[DimensionWeight]) -> AverageScores:
    """Average the experts' (and the agency's) score sheets per dimension."""
    by_code: dict[str, Decimal | None] = {}
    for d in dimensions:
        given = [s[d.code] for s in sheets if s.get(d.code) is not None]
        by_code[d.code] = _q2(sum(given, Decimal(0)) / len(given)) if given else None
    values = list(by_code.values())
    total = sum(values, Decimal(0)) if values and all(v is not None for v in values) else None
    return AverageScores(by_code, total, len(sheets))


# --- conclusions, submission, finance opinion (checklist 3-5) --------------------------------------------------------
def _values(items: Iterable) -> list[str]:
    return [i.value if hasattr(i, "value") else str(i) for i in items]


def conclusion_label(value: str) -> str:
    try:
        return str(Conclusion(value).label)
    except ValueError:
        return value


def conclusion_problems(conclusion: str, supported_parts: str, unsupported_parts: str,
                        params: ExAnteParams) -> dict[str, list[str]]:
    """The overall conclusion must be one of the profile's; 部分支持 lists what is and is not supported."""
    errors: dict[str, list[str]] = {}
    if not conclusion:
        return errors
    if conclusion not in _values(params.report_conclusions):
        errors["conclusion"] = [f"本地政策配置的评估结论不含“{conclusion_label(conclusion)}”"]
    if conclusion == Conclusion.PARTIAL_SUPPORT:
        if not (supported_parts or "").strip():
            errors["supported_parts"] = ["结论为“建议部分支持”时，须列明支持的部分"]
        if not (unsupported_parts or "").strip():
            errors["unsupported_parts"] = ["结论为“建议部分支持”时，须列明不予支持的部分"]
    return errors


@dataclass(frozen=True)
class AssessmentDraft:
    """What a submission is checked on."""

    requested_amount: Money
    conclusion: str = ""
    supported_parts: str = ""
    unsupported_parts: str = ""
    dimension_texts: Mapping[str, str] = field(default_factory=dict)
    scores: Mapping[str, Decimal | None] = field(default_factory=dict)
    exemption_kind: str = ""
    exemption_reason: str = ""
    has_exemption_attachment: bool = False


def exemption_problems(kind: str, reason: str, has_attachment: bool, params: ExAnteParams, *,
                       for_submission: bool) -> dict[str, list[str]]:
    """An exemption claim: a ground the profile allows; with a reason and a supporting file when it demands them
    (the reason and file only on submission, so a claim can be drafted first)."""
    errors: dict[str, list[str]] = {}
    allowed = _values(params.exemption_kinds)
    if kind not in allowed:
        errors["exemption_kind"] = ["本地政策配置不允许以该情形免于评估" if allowed else "本地政策配置不允许免于评估"]
    if for_submission and params.exemption_requires_reason:
        if not (reason or "").strip():
            errors["exemption_reason"] = ["申请免于评估须填写理由"]
        if not has_attachment:
            errors["attachments"] = ["申请免于评估须上传依据材料（附件用途选“免评依据”）"]
    return errors


def submission_problems(draft: AssessmentDraft, dimensions: Sequence[DimensionWeight],
                        params: ExAnteParams) -> dict[str, list[str]]:
    """Why the assessment (or exemption claim) may not be sent to the finance bureau yet: field → messages."""
    if draft.exemption_kind:
        return exemption_problems(draft.exemption_kind, draft.exemption_reason, draft.has_exemption_attachment,
                                  params, for_submission=True)
    errors: dict[str, list[str]] = {}
    if draft.requested_amount.fen <= 0:
        errors["requested_amount"] = ["请填写申请金额"]
    missing = [d.name for d in dimensions if not (draft.dimension_texts.get(d.code) or "").strip()]
    if missing:
        errors["dimensions"] = [f"以下评估维度尚未填写评估内容：{'、'.join(missing)}"]
    for message in score_problems(draft.scores, dimensions).values():
        errors.setdefault("dimensions", []).append(message)
    if not draft.conclusion:
        errors["conclusion"] = ["请选择总体结论"]
    for key, messages in conclusion_problems(draft.conclusion, draft.supported_parts, draft.unsupported_parts,
                                             params).items():
        errors.setdefault(key, []).extend(messages)
    return errors


# The finance bureau's opinion transitions and the conclusion each records.
OPINION_TRANSITIONS: dict[str, str] = {
    "support": Conclusion.SUPPORT.value,
    "partial_support": Conclusion.PARTIAL_SUPPORT.value,
    "support_after_changes": Conclusion.SUPPORT_AFTER_CHANGES.value,
    "no_support": Conclusion.NO_SUPPORT.value,
}
EXEMPTION_TRANSITIONS = frozenset({"accept_exemption", "support_after_changes"})


def opinion_problems(name: str, *, requested: Money, approved: Money | None, is_exemption: bool,
                     params: ExAnteParams, supported_parts: str = "", unsupported_parts: str = "") -> dict[str, list]:
    """Why the finance bureau's opinion `name` (a transition) cannot be recorded as given: only the opinions of the
    profile; an exemption claim is accepted or returned; the approved amount within the request (部分支持: above 0
    and below the request, with the parts listed; 不予支持: nothing)."""
    errors: dict[str, list[str]] = {}
    if is_exemption:
        if name not in EXEMPTION_TRANSITIONS:
            errors["transition"] = ["免评申请只能同意免于评估或退回"]
        return errors
    if name == "accept_exemption":
        return {"transition": ["该记录不是免评申请"]}
    conclusion = OPINION_TRANSITIONS.get(name)
    if conclusion is None:
        return errors
    if conclusion not in _values(params.finance_opinions):
        errors["transition"] = [f"本地政策配置的财政审核意见不含“{conclusion_label(conclusion)}”"]
        return errors
    if approved is not None:
        if approved.fen < 0:
            errors["approved_amount"] = ["核定金额不能为负数"]
        elif approved > requested:
            errors["approved_amount"] = [f"核定金额不能超过申请金额（{requested.format_yuan()}元）"]
        elif name == "no_support" and approved.fen != 0:
            errors["approved_amount"] = ["不予支持时核定金额为0"]
        elif name == "support" and approved.fen == 0:
            errors["approved_amount"] = ["支持时核定金额须大于0（不予安排请选择“不予支持”）"]
    if name == "partial_support":
        if approved is None:
            errors["approved_amount"] = ["部分支持须填写核定金额"]
        elif "approved_amount" not in errors and not 0 < approved.fen < requested.fen:
            errors["approved_amount"] = ["部分支持的核定金额应大于0且小于申请金额"]
        if not (supported_parts or "").strip():
            errors["supported_parts"] = ["部分支持须列明支持的部分"]
        if not (unsupported_parts or "").strip():
            errors["unsupported_parts"] = ["部分支持须列明不予支持的部分"]
    return errors


def approved_for(name: str, *, requested: Money, approved: Money | None) -> Money | None:
    """The approved amount an opinion records: 支持 defaults to the request, 不予支持 is nothing, 调整完善后支持
    keeps what was given (or none)."""
    if name == "support":
        return requested if approved is None else approved
    if name == "no_support":
        return Money(0)
    if name in ("partial_support", "support_after_changes"):
        return approved
    return None


def blocked_until(opinion_on: datetime.date, params: ExAnteParams) -> datetime.date:
    """After 不予支持 the subject may not be proposed again before this date (inclusive)."""
    return opinion_on + datetime.timedelta(days=params.reapply_block_days)


def blocked_problem(until: datetime.date | None, today: datetime.date) -> str | None:
    if until is not None and today <= until:
        return f"该项目事前评估财政审核意见为“不予支持”，{until:%Y年%m月%d日}前不得再次申报"
    return None


# --- amounts (checklist 8) --------------------------------------------------------------------------------------------
def cut_amount(requested: Money, approved: Money | None) -> Money | None:
    """核减金额 = 申请金额 − 核定金额 (None until an amount is approved)."""
    if approved is None:
        return None
    return requested - approved


def percent(part: Money, whole: Money) -> Decimal | None:
    """part ÷ whole × 100, half up to two places; None when the whole is zero."""
    ratio = part.ratio(whole)
    return None if ratio is None else _q2(ratio * 100)


def cut_rate(requested: Money, approved: Money | None) -> Decimal | None:
    """核减率 = 核减金额 ÷ 申请金额, as a percentage with two places (half up): 6,773万 of 13,285万 → 50.98.
    None when nothing was requested or nothing approved yet."""
    cut = cut_amount(requested, approved)
    return None if cut is None else percent(cut, requested)


# --- cost analysis (投入经济性, RULES §11) ----------------------------------------------------------------------------
def cost_item_amount(quantity: Decimal, unit_cost: Money) -> Money:
    """数量 × 单价, exact in fen (half up to the fen only when the quantity has decimals)."""
    fen = (Decimal(unit_cost.fen) * Decimal(quantity)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Money(int(fen))


def unit_cost(total: Money, quantity: Decimal | None) -> Money | None:
    """单位产出成本 = 总成本 ÷ 产出量 (half up to the fen); None without a positive quantity."""
    if quantity is None or quantity <= 0:
        return None
    fen = (Decimal(total.fen) / Decimal(quantity)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Money(int(fen))


def deviation_rate(actual: Money | None, standard: Money | None) -> Decimal | None:
    """成本偏差率 = (实际单位成本 − 标准单位成本) ÷ 标准单位成本, in percent with two places; positive = above."""
    if actual is None or standard is None or standard.fen == 0:
        return None
    return percent(actual - standard, standard)


@dataclass(frozen=True)
class CostLine:
    category: str
    name: str
    quantity: Decimal
    unit_cost: Money
    unit: str = ""
    standard_amount: Money | None = None  # the spending standard per unit, where one applies


@dataclass(frozen=True)
class CostLineResult:
    line: CostLine
    amount: Money
    deviation_rate: Decimal | None
    over_standard: bool


@dataclass(frozen=True)
class SimilarCost:
    """A similar subject's unit cost from history (another assessment's cost analysis, or a value keyed in)."""

    label: str
    year: int | None
    unit_cost: Money


@dataclass(frozen=True)
class CostAnalysis:
    lines: list[CostLineResult]
    by_category: dict[str, Money]
    total: Money
    output_quantity: Decimal | None
    unit_cost: Money | None
    standard_amount: Money | None
    deviation_rate: Decimal | None  # unit cost against the output's spending standard
    over_standard: bool
    similar: list[SimilarCost]
    similar_average: Money | None
    similar_min: Money | None
    similar_max: Money | None
    similar_deviation_rate: Decimal | None  # unit cost against the similar subjects' average
    requested: Money | None
    differs_from_requested: bool
    warnings: list[str]


def cost_analysis(lines: Sequence[CostLine], *, output_quantity: Decimal | None = None,
                  standard_amount: Money | None = None, similar: Sequence[SimilarCost] = (),
                  requested: Money | None = None) -> CostAnalysis:
    """The cost breakdown: each item's amount (数量 × 单价) and deviation from its standard, sums by category and in
    total, the unit cost per planned output, its deviation from the output's spending standard, and the comparison
    with similar subjects' unit costs (average, lowest, highest)."""
    results, by_category, warnings = [], {}, []
    for line in lines:
        amount = cost_item_amount(line.quantity, line.unit_cost)
        dev = deviation_rate(line.unit_cost, line.standard_amount)
        over = line.standard_amount is not None and line.unit_cost > line.standard_amount
        if over:
            warnings.append(f"“{line.name}”单价{line.unit_cost.format_yuan()}元高于支出标准"
                            f"{line.standard_amount.format_yuan()}元（偏差{dev}%）")
        results.append(CostLineResult(line, amount, dev, over))
        by_category[line.category] = by_category.get(line.category, Money(0)) + amount
    total = sum((r.amount for r in results), Money(0))
    per_unit = unit_cost(total, output_quantity)
    dev = deviation_rate(per_unit, standard_amount)
    over = per_unit is not None and standard_amount is not None and per_unit > standard_amount
    if over:
        warnings.append(f"单位产出成本{per_unit.format_yuan()}元高于支出标准{standard_amount.format_yuan()}元"
                        f"（偏差{dev}%）")
    values = [s.unit_cost for s in similar]
    average = None
    if values:
        mean = (Decimal(sum(v.fen for v in values)) / len(values)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        average = Money(int(mean))
    differs = requested is not None and bool(results) and total != requested
    if differs:
        warnings.append(f"成本测算合计{total.format_yuan()}元与申请金额{requested.format_yuan()}元不一致")
    return CostAnalysis(
        lines=results, by_category=by_category, total=total, output_quantity=output_quantity, unit_cost=per_unit,
        standard_amount=standard_amount, deviation_rate=dev, over_standard=over, similar=list(similar),
        similar_average=average, similar_min=min(values) if values else None,
        similar_max=max(values) if values else None, similar_deviation_rate=deviation_rate(per_unit, average),
        requested=requested, differs_from_requested=differs, warnings=warnings)


# --- deadlines (checklist 7) ------------------------------------------------------------------------------------------
def materials_due(requested_on: datetime.date | None, params: ExAnteParams) -> datetime.date | None:
    """Missing materials are due within `materials_working_days` working days of the request."""
    return None if requested_on is None else add_working_days(requested_on, params.materials_working_days)


def report_due(meeting_date: datetime.date | None, params: ExAnteParams) -> datetime.date | None:
    """The report is due within `report_working_days` working days after the expert meeting."""
    return None if meeting_date is None else add_working_days(meeting_date, params.report_working_days)


def opinion_due(received_on: datetime.date | None, params: ExAnteParams) -> datetime.date | None:
    """The finance bureau's opinion is due within `finance_opinion_working_days` working days of receipt."""
    return None if received_on is None else add_working_days(received_on, params.finance_opinion_working_days)


def is_overdue(due: datetime.date | None, done_on: datetime.date | None, today: datetime.date) -> bool:
    """Done after the due date, or not done and the due date has passed (the due date itself is still in time)."""
    if due is None:
        return False
    return done_on > due if done_on is not None else today > due


@dataclass(frozen=True)
class DeadlineFacts:
    materials_due: datetime.date | None = None
    materials_received_on: datetime.date | None = None
    report_due: datetime.date | None = None
    submitted_on: datetime.date | None = None
    opinion_due: datetime.date | None = None
    opinion_on: datetime.date | None = None


def overdue_flags(facts: DeadlineFacts, today: datetime.date) -> list[str]:
    """Which of the three deadlines were (or are being) missed, as labels."""
    flags = []
    if is_overdue(facts.materials_due, facts.materials_received_on, today):
        flags.append("补充材料逾期")
    if is_overdue(facts.report_due, facts.submitted_on, today):
        flags.append("评估报告逾期")
    if is_overdue(facts.opinion_due, facts.opinion_on, today):
        flags.append("财政审核意见逾期")
    return flags
