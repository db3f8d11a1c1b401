"""Pure rules of the ex-ante assessment: values in, values out, no ORM.

- `requirement_for`: which subjects must be assessed (RULES checklist 1-3).
- `gate_problems`: what the latest assessment lets the subject do (checklist 4).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from jixiao.core.money import Money
from jixiao.policy.schema import ExAnteParams

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
    if not reasons:
        if params.simplified_below_threshold:
            return RequirementResult("simplified", (
                f"低于门槛{_w(annual)}，采用简易评估（仍须填报绩效目标表并出具简要报告）",))
        return RequirementResult("none", (f"低于门槛{_w(annual)}",))
    finance_reasons = []
    fa = params.money("finance_annual_amount_yuan")
    if _reaches(facts.annual_amount, fa):
        finance_reasons.append(f"年度投入达到财政评估门槛{_w(fa)}")
    fi = params.money("finance_investment_yuan")
    if _reaches(facts.government_investment, fi):
        finance_reasons.append(f"政府投资达到财政评估门槛{_w(fi)}")
    if finance_reasons:
        return RequirementResult("finance", tuple(reasons + finance_reasons))
    return RequirementResult("full", tuple(reasons))


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
