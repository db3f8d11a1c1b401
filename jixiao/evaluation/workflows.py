"""Workflow of the self-evaluation (单位自评): the unit fills in the sheet of its subject and submits it (every
explanation the rules require must be there); its department reviews it (a department's own subject goes straight to
the bureau); the finance bureau accepts it or returns it. A returned sheet is edited and submitted again.
"""

from django.db import models
from django.db.models import TextChoices

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


class EvaluationStep(TextChoices):
    """The nine steps of a department or fiscal evaluation (10号 第二十二条); the state is the step under way."""

    SCOPE = "scope", "确定评价对象和范围"
    NOTICE = "notice", "下达评价通知"
    PLAN = "plan", "制订评价工作方案及评审"
    FIELDWORK = "fieldwork", "收集资料、现场调研"
    PRELIMINARY = "preliminary", "核实情况、形成初步结论"
    EXCHANGE = "exchange", "与被评价单位交换意见"
    FINAL = "final", "形成最终评价结论"
    REPORT = "report", "提交评价报告"
    ARCHIVE = "archive", "建立评价档案"
    ARCHIVED = "archived", "已归档"


STEPS = list(EvaluationStep)
# The documents each step must hold before it is completed (document kinds of `EvaluationDocument`).
STEP_DOCUMENTS: dict[str, tuple[str, ...]] = {
    EvaluationStep.SCOPE: (),
    EvaluationStep.NOTICE: ("notice",),
    EvaluationStep.PLAN: ("work_plan", "plan_review"),
    EvaluationStep.FIELDWORK: ("evidence",),
    EvaluationStep.PRELIMINARY: ("preliminary_conclusion",),
    EvaluationStep.EXCHANGE: ("views_exchange",),
    EvaluationStep.FINAL: ("final_conclusion",),
    EvaluationStep.REPORT: ("report",),
    EvaluationStep.ARCHIVE: ("archive_checklist",),
}


def _steps_workflow(name: str, action: Action) -> Workflow:
    transitions = [Transition(f"complete_{step.value}", f"完成：{step.label}", (step,), STEPS[i + 1], action)
                   for i, step in enumerate(STEPS[:-1])]
    # the plan's expert review may send the plan back; the exchange of views may reopen the preliminary conclusion
    transitions += [Transition("reopen_plan", "评审未通过，修改工作方案", (EvaluationStep.FIELDWORK,),
                               EvaluationStep.PLAN, action, comment_required=True),
                    Transition("reopen_preliminary", "根据反馈意见修改初步结论", (EvaluationStep.FINAL,),
                               EvaluationStep.PRELIMINARY, action, comment_required=True)]
    return Workflow(name=name, states=EvaluationStep, initial=EvaluationStep.SCOPE, transitions=transitions,
                    editable_states=frozenset(STEPS[:-1]))


# A department evaluation is run by the department (its own documents: SUBMIT); a fiscal evaluation or a
# re-evaluation by the finance bureau (APPROVE).
DEPARTMENT_EVALUATION_WORKFLOW = _steps_workflow("department_evaluation", Action.SUBMIT)
FISCAL_EVALUATION_WORKFLOW = _steps_workflow("fiscal_evaluation", Action.APPROVE)
