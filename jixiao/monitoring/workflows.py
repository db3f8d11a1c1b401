"""Workflows of monitoring (绩效运行监控): the unit's report and the decision a warning opens.

Report: the unit fills in its subject's form and submits it; its department reviews it (a department's own subject
goes straight to the bureau), then the finance bureau accepts it or returns it. A returned report is edited and
submitted again.

Disposition (处置): a warning or an indicator judged 完全不可能 opens one, due within the profile's working days. The
department chooses the measure (继续执行 / 调减预算并同步调整目标 / 暂停 / 调剂 / 取消收回) and submits it; the bureau
approves it (and the measure takes effect) or returns it. A disposition still undecided on its due date is suspended
by the sweep (`services.disposition_sweep`): the subject's payments are blocked until a measure is approved.
"""

from django.db import models

from jixiao.core.permissions import Action
from jixiao.core.workflow import Transition, Workflow, unit_report_workflow


class ReportState(models.TextChoices):
    DRAFT = "draft", "待填报"
    SUBMITTED = "submitted", "待主管部门审核"
    DEPARTMENT_PASSED = "department_passed", "待财政审核"
    RETURNED = "returned", "退回修改"
    ACCEPTED = "accepted", "审核通过"


R = ReportState
DONE_STATES = frozenset({R.SUBMITTED, R.DEPARTMENT_PASSED, R.ACCEPTED})  # counted as reported (完成率)


REPORT_WORKFLOW = unit_report_workflow("monitoring_report", ReportState)


class DispositionState(models.TextChoices):
    OPEN = "open", "待选定处置方式"
    PROPOSED = "proposed", "待财政确认"
    APPROVED = "approved", "已确认"
    SUSPENDED = "suspended", "逾期未处置，已暂停"


D = DispositionState
PENDING_STATES = frozenset({D.OPEN, D.SUSPENDED})  # waiting for the department's choice

DISPOSITION_WORKFLOW = Workflow(
    name="monitoring_disposition",
    states=DispositionState,
    initial=D.OPEN,
    editable_states=frozenset({D.OPEN, D.SUSPENDED}),
    transitions=[
        Transition("propose", "提交处置意见", (D.OPEN, D.SUSPENDED), D.PROPOSED, Action.SUBMIT),
        Transition("withdraw", "撤回", (D.PROPOSED,), D.OPEN, Action.SUBMIT),
        Transition("approve", "财政确认处置", (D.PROPOSED,), D.APPROVED, Action.APPROVE),
        Transition("return", "财政退回重新选定", (D.PROPOSED,), D.OPEN, Action.APPROVE, comment_required=True),
    ],
)
