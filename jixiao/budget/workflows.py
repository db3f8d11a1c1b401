"""The project library's submission workflow: unit → department review → finance bureau approval (入库)."""

from django.db import models

from jixiao.core.permissions import Action
from jixiao.core.workflow import Transition, Workflow
from jixiao.organisations.models import Role



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
