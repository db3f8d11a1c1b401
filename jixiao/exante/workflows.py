"""The ex-ante assessment's workflow (事前绩效评估, RULES §2.3):

draft ──submit_to_experts──▶ expert_review ──submit──▶ submitted ──support / partial_support──▶ supported
  ▲  ╲────────────────────── submit ─────────────────▶    │       ──support_after_changes──▶ returned ─▶ (resubmit)
  └──────────── withdraw ◀────────────────────────────────┤       ──no_support──▶ not_supported (blocks re-application)
                                                          └──── accept_exemption ──▶ exempted (exemption claims)

The department (or the unit) drafts, an assigned expert or commissioned agency scores during expert_review, the
department submits it with the budget request, and the finance bureau gives its opinion. The services in
`jixiao.exante.services` pick the transition from the opinion chosen and record the amounts.
"""

from django.db import models

from jixiao.core.permissions import Action
from jixiao.core.workflow import Transition, Workflow


class AssessmentState(models.TextChoices):
    DRAFT = "draft", "编制中"
    EXPERT_REVIEW = "expert_review", "专家评审中"
    SUBMITTED = "submitted", "待财政审核"
    RETURNED = "returned", "退回调整完善"
    SUPPORTED = "supported", "财政支持"
    NOT_SUPPORTED = "not_supported", "财政不予支持"
    EXEMPTED = "exempted", "免于评估"


S = AssessmentState
ASSESSMENT_WORKFLOW = Workflow(
    name="exante",
    states=AssessmentState,
    initial=S.DRAFT,
    editable_states=frozenset({S.DRAFT, S.RETURNED, S.EXPERT_REVIEW}),
    transitions=[
        Transition("submit_to_experts", "提交专家评审", (S.DRAFT, S.RETURNED), S.EXPERT_REVIEW, Action.SUBMIT),
        Transition("submit", "报送财政审核", (S.DRAFT, S.RETURNED, S.EXPERT_REVIEW), S.SUBMITTED, Action.SUBMIT),
        Transition("withdraw", "撤回", (S.SUBMITTED, S.EXPERT_REVIEW), S.DRAFT, Action.SUBMIT),
        Transition("support", "财政审核：支持", (S.SUBMITTED,), S.SUPPORTED, Action.APPROVE),
        Transition("partial_support", "财政审核：部分支持", (S.SUBMITTED,), S.SUPPORTED, Action.APPROVE,
                   comment_required=True),
        Transition("support_after_changes", "财政审核：调整完善后支持", (S.SUBMITTED,), S.RETURNED, Action.APPROVE,
                   comment_required=True),
        Transition("no_support", "财政审核：不予支持", (S.SUBMITTED,), S.NOT_SUPPORTED, Action.APPROVE,
                   comment_required=True),
        Transition("accept_exemption", "同意免于评估", (S.SUBMITTED,), S.EXEMPTED, Action.APPROVE),
    ],
)
