"""Workflow of the self-evaluation (单位自评): the unit fills in the sheet of its subject and submits it (every
explanation the rules require must be there); its department reviews it (a department's own subject goes straight to
the bureau); the finance bureau accepts it or returns it. A returned sheet is edited and submitted again.
"""

from django.db import models

from jixiao.core.permissions import Action
from jixiao.core.workflow import Transition, Workflow, unit_report_workflow


class SelfEvaluationState(models.TextChoices):
    DRAFT = "draft", "待自评"
    SUBMITTED = "submitted", "待主管部门审核"
    DEPARTMENT_PASSED = "department_passed", "待财政审核"
    RETURNED = "returned", "退回修改"
    ACCEPTED = "accepted", "审核通过"


S = SelfEvaluationState
DONE_STATES = frozenset({S.SUBMITTED, S.DEPARTMENT_PASSED, S.ACCEPTED})  # counted as done (自评覆盖率)

SELF_EVALUATION_WORKFLOW = unit_report_workflow("self_evaluation", SelfEvaluationState)


class SpotCheckState(models.TextChoices):
    ASSIGNED = "assigned", "待复核"
    SUBMITTED = "submitted", "待财政确认"
    RETURNED = "returned", "退回重新复核"
    CONFIRMED = "confirmed", "已确认"


C = SpotCheckState
SPOT_CHECK_WORKFLOW = Workflow(
    name="spot_check_item",
    states=SpotCheckState,
    initial=C.ASSIGNED,
    editable_states=frozenset({C.ASSIGNED, C.RETURNED}),
    transitions=[
        # the agency commissioned for the re-check submits it; the bureau confirms (its own re-check, or the
        # agency's) or returns it
        Transition("submit", "提交复核结果", (C.ASSIGNED, C.RETURNED), C.SUBMITTED, Action.CONTRIBUTE),
        Transition("confirm", "财政确认复核结果", (C.ASSIGNED, C.RETURNED, C.SUBMITTED), C.CONFIRMED, Action.APPROVE),
        Transition("return", "退回重新复核", (C.SUBMITTED,), C.RETURNED, Action.APPROVE, comment_required=True),
    ],
)
