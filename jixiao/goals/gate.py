"""The gate (checklist rules 4 and 10): no approved goals (and, where the profile demands it, no supported ex-ante
assessment) → no project library entry and no budget, mid-year additions included.

Money reaches a subject on two paths, and both are guarded here:
- the project library's approval (入库, `approve` of the subject workflow; also after an adjustment, which is how a
  mid-year addition is made) — through `jixiao.budget.hooks.register_transition_check`;
- the import of budget lines from the integrated budget system — through `register_import_check`: a project whose
  lines carry money is refused, with the reason, unless it passes the gate.

Screens and the API fire the same services, so they meet the same checks. The profile's `goals.budget_gate` switches
the gate (on by default).
"""

from __future__ import annotations

from django.utils import timezone

from jixiao.core import tabular as t
from jixiao.exante import rules as exante_rules

GATED_TRANSITIONS = frozenset({"approve"})


def _params(region, year: int):
    from jixiao.policy.selectors import effective_profile

    return effective_profile(region, year).params


def subject_facts(subject) -> exante_rules.SubjectFacts:
    return exante_rules.SubjectFacts(
        kind=subject.kind, scope_kind=subject.scope_kind, annual_amount=subject.current_amount,
        total_amount=subject.total_amount, government_investment=subject.government_investment,
        is_classified=subject.is_classified)


def latest_assessment_facts(subject) -> exante_rules.AssessmentFacts | None:
    from jixiao.exante.models import ExAnteAssessment

    latest = (ExAnteAssessment.objects.filter(subject_id=subject.pk).order_by("-created_at", "-id")
              .values("state", "finance_opinion", "blocked_until", "exemption_kind").first())
    if latest is None:
        return None
    return exante_rules.AssessmentFacts(state=latest["state"], finance_opinion=latest["finance_opinion"],
                                        blocked_until=latest["blocked_until"],
                                        is_exemption=bool(latest["exemption_kind"]))


def goal_problems(subject) -> list[str]:
    from jixiao.goals.models import GoalSheet
    from jixiao.goals.workflows import PASSED_STATES, GoalState

    state = GoalSheet.objects.filter(subject_id=subject.pk).values_list("state", flat=True).first()
    if state is None:
        return ["尚未编制绩效目标（无绩效目标不得进入项目库、不得安排预算）"]
    if state not in PASSED_STATES:
        return [f"绩效目标尚未审核通过（当前为“{GoalState(state).label}”）"]
    return []


def subject_problems(subject, *, params=None) -> list[str]:
    """Everything that stops `subject` from entering the project library or getting a budget now."""
    params = params or _params(subject.region, subject.fiscal_year.year)
    if not params.goals.budget_gate:
        return []
    problems = goal_problems(subject)
    requirement = exante_rules.requirement_for(subject_facts(subject), params.ex_ante)
    problems += exante_rules.gate_problems(requirement.requirement, latest_assessment_facts(subject),
                                           today=timezone.localdate())
    return problems


def transition_check(*, actor, subject, name: str) -> list[str]:
    if name not in GATED_TRANSITIONS:
        return []
    return [f"不能入库：{p}" for p in subject_problems(subject)]


def import_check(plan, ctx) -> list:
    """Refuse budget lines with money for a project that has not passed the gate."""
    carries_money = any((line.get("initial_amount") and line["initial_amount"].fen > 0)
                        or (line.get("adjusted_amount") and line["adjusted_amount"].fen > 0) for line in plan.lines)
    if not carries_money:
        return []
    params = _params(ctx.region, plan.year)
    if not params.goals.budget_gate:
        return []
    label = f"项目“{plan.code} {plan.name}”"
    if plan.existing is None:
        problems = ["尚未编制绩效目标（无绩效目标不得安排预算，请先在本系统申报项目及绩效目标）"]
    else:
        problems = subject_problems(plan.existing, params=params)
    return [t.CellError(plan.first_row, "预算指标", f"{label}不能安排预算：{p}") for p in problems]


def install() -> None:
    from jixiao.budget import hooks

    hooks.register_transition_check(transition_check)
    hooks.register_import_check(import_check)
