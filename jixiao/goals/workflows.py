"""The goal sheet's workflow (绩效目标, RULES §3.4-3.5): "whoever reviews the budget reviews the goal".

A unit's sheet is reviewed by its department, then by the finance bureau; a department's own sheet (department-wide
or department-level project) goes straight to the bureau. Each review grades the eight review points and the grade
decides the outcome (郑州 第二十二条):

  优 → passes to the next level;  良 → passes after the agreed edits (edits_requested, then confirm_edits);
  中 → returned with a resubmission deadline (a second 中 or worse blocks);  差 → rejected (blocked).

Once passed by the bureau the sheet may carry money (the budget gate). It is approved with the budget (批复, a frozen
version), the department passes it down to its unit (下达), and then it is locked: a change is an adjustment
(start_adjustment, tied to a budget adjustment) that reopens it as the next revision and goes through review again.

The services in `jixiao.goals.services` choose the review transition from the computed grade.
"""

from django.db import models

from jixiao.core.permissions import Action
from jixiao.core.workflow import Transition, Workflow


class GoalState(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待主管部门审核"
    DEPARTMENT_PASSED = "department_passed", "待财政审核"
    EDITS_REQUESTED = "edits_requested", "待按审核意见修改"
    RETURNED = "returned", "退回修改"
    REJECTED = "rejected", "审核未通过"
    PASSED = "passed", "审核通过"
    APPROVED = "approved", "已批复"
    ISSUED = "issued", "已下达"


class ReviewLevel(models.TextChoices):
    DEPARTMENT = "department", "主管部门审核"
    FINANCE = "finance", "财政审核"


G = GoalState
# States in which the sheet's goals have passed review: the subject may carry money.
PASSED_STATES = frozenset({G.PASSED, G.APPROVED, G.ISSUED})
LOCKED_STATES = frozenset({G.APPROVED, G.ISSUED})


def _after_submit(sheet, role: str) -> str:
    # A department's own sheet (no unit) needs no department review.
    from jixiao.organisations.models import Role

    if sheet.unit_id is None or role == Role.DEPARTMENT:
        return G.DEPARTMENT_PASSED
    return G.SUBMITTED


def _after_edits(sheet, role: str) -> str:
    return G.DEPARTMENT_PASSED if sheet.review_level == ReviewLevel.DEPARTMENT else G.PASSED


def _snapshot(sheet) -> dict:
    # The frozen version (批复) holds the header and every indicator row (see jixiao.goals.services).
    from jixiao.goals.services import sheet_snapshot

    return sheet_snapshot(sheet)


GOAL_WORKFLOW = Workflow(
    name="goal_sheet",
    states=GoalState,
    initial=G.DRAFT,
    editable_states=frozenset({G.DRAFT, G.RETURNED, G.EDITS_REQUESTED}),
    snapshot=_snapshot,
    transitions=[
        Transition("submit", "提交", (G.DRAFT, G.RETURNED), _after_submit, Action.SUBMIT),
        Transition("withdraw", "撤回", (G.SUBMITTED,), G.DRAFT, Action.SUBMIT),
        Transition("confirm_edits", "按审核意见修改完成", (G.EDITS_REQUESTED,), _after_edits, Action.SUBMIT),
        Transition("rework", "重新编制", (G.REJECTED,), G.DRAFT, Action.SUBMIT),
        # department review of its units' sheets
        Transition("department_pass", "主管部门审核：优，通过", (G.SUBMITTED,), G.DEPARTMENT_PASSED, Action.REVIEW),
        Transition("department_edits", "主管部门审核：良，协商修改后通过", (G.SUBMITTED,), G.EDITS_REQUESTED,
                   Action.REVIEW, comment_required=True),
        Transition("department_return", "主管部门审核：中，退回修改", (G.SUBMITTED,), G.RETURNED, Action.REVIEW,
                   comment_required=True),
        Transition("department_reject", "主管部门审核：差，不予通过", (G.SUBMITTED,), G.REJECTED, Action.REVIEW,
                   comment_required=True),
        # the finance bureau's review
        Transition("finance_pass", "财政审核：优，通过", (G.DEPARTMENT_PASSED,), G.PASSED, Action.APPROVE),
        Transition("finance_edits", "财政审核：良，协商修改后通过", (G.DEPARTMENT_PASSED,), G.EDITS_REQUESTED,
                   Action.APPROVE, comment_required=True),
        Transition("finance_return", "财政审核：中，退回修改", (G.DEPARTMENT_PASSED,), G.RETURNED, Action.APPROVE,
                   comment_required=True),
        Transition("finance_reject", "财政审核：差，不予通过", (G.DEPARTMENT_PASSED,), G.REJECTED, Action.APPROVE,
                   comment_required=True),
        # with the budget
        Transition("approve", "随预算批复", (G.PASSED,), G.APPROVED, Action.APPROVE, freezes_version=True),
        Transition("issue", "下达至预算单位", (G.APPROVED,), G.ISSUED, Action.REVIEW),
        Transition("start_adjustment", "申请调整绩效目标", (G.APPROVED, G.ISSUED), G.DRAFT, Action.SUBMIT,
                   comment_required=True, opens_revision=True),
    ],
)

# Review transitions by level and outcome grade.
REVIEW_TRANSITIONS = {
    ReviewLevel.DEPARTMENT: {"excellent": "department_pass", "good": "department_edits", "fair": "department_return",
                             "poor": "department_reject"},
    ReviewLevel.FINANCE: {"excellent": "finance_pass", "good": "finance_edits", "fair": "finance_return",
                          "poor": "finance_reject"},
}
