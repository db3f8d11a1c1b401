"""The project library's submission workflow: unit → department review → finance bureau approval (入库)."""

from django.db import models

from jixiao.core.permissions import Action
from jixiao.core.workflow import Transition, Workflow
from jixiao.organisations.models import Role

# Bookkeeping columns that change on every write; a frozen version and its diff leave them out.
SNAPSHOT_NOISE = frozenset({"id", "lock_version", "state", "revision", "created_at", "updated_at", "imported_at",
                            "created_by_id"})


def subject_snapshot(subject) -> dict:
    """What an approved revision freezes: the subject's own fields and its budget lines (amounts in yuan)."""
    from jixiao.core.audit import snapshot

    data = {k: v for k, v in snapshot(subject).items() if k not in SNAPSHOT_NOISE}
    data["budget_lines"] = [
        {"line_code": b.line_code, "functional_class": b.functional_class, "economic_class": b.economic_class,
         "fund_source": b.fund_source, "initial_amount": str(b.initial_amount.yuan),
         "adjusted_amount": str(b.adjusted_amount.yuan)}
        for b in subject.budget_lines.order_by("id")
    ]
    return data


class SubjectState(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待主管部门审核"
    DEPARTMENT_APPROVED = "department_approved", "待财政审核"
    RETURNED = "returned", "已退回"
    APPROVED = "approved", "已入库"


S_DRAFT, S_SUBMITTED, S_DEPT_OK, S_RETURNED, S_APPROVED = (
    SubjectState.DRAFT, SubjectState.SUBMITTED, SubjectState.DEPARTMENT_APPROVED, SubjectState.RETURNED,
    SubjectState.APPROVED)


def _after_submit(subject, role: str) -> str:
    # A department's own submission needs no department review: it goes straight to the bureau.
    return S_DEPT_OK if role == Role.DEPARTMENT else S_SUBMITTED


SUBJECT_WORKFLOW = Workflow(
    name="subject",
    states=SubjectState,
    initial=S_DRAFT,
    snapshot=subject_snapshot,
    editable_states=frozenset({S_DRAFT, S_RETURNED}),
    transitions=[
        Transition("submit", "提交", (S_DRAFT, S_RETURNED), _after_submit, Action.SUBMIT),
        Transition("withdraw", "撤回", (S_SUBMITTED,), S_DRAFT, Action.SUBMIT),
        Transition("department_approve", "主管部门审核通过", (S_SUBMITTED,), S_DEPT_OK, Action.REVIEW),
        Transition("department_return", "主管部门退回", (S_SUBMITTED,), S_RETURNED, Action.REVIEW,
                   comment_required=True),
        Transition("approve", "财政审核通过(入库)", (S_DEPT_OK,), S_APPROVED, Action.APPROVE, freezes_version=True),
        Transition("return", "财政退回", (S_DEPT_OK,), S_RETURNED, Action.APPROVE, comment_required=True),
        Transition("start_adjustment", "发起调整", (S_APPROVED,), S_DRAFT, Action.SUBMIT, comment_required=True,
                   opens_revision=True),
    ],
)
