"""The stage gates of a commission (财监〔2021〕4号 第十五～二十条; RULES checklist 53-54): the agency drafts the work
plan, the commissioner has it reviewed (expert panel or its own approval) and scores it; the agency writes the draft,
the commissioner collects written comments and scores the draft; the agency replies point by point, passes its
internal quality review and submits the report signed by the lead evaluator and sealed; the commissioner checks the
archive and closes the commission. The commissioner may terminate a commission (终止委托合同) at any open stage.

The agency acts with CONTRIBUTE (its own commissions); the commissioner with SUBMIT (a department's commission) or
APPROVE (the bureau's). What each gate needs is `jixiao.agencies.rules.stage_problems`.
"""

from django.db import models

from jixiao.core.permissions import Action
from jixiao.core.workflow import Transition, Workflow


class CommissionStage(models.TextChoices):
    PLAN = "plan", "编制实施方案"
    PLAN_REVIEW = "plan_review", "方案评审"
    DRAFT = "draft", "撰写报告初稿"
    COMMENTS = "comments", "书面征求意见"
    REPLIES = "replies", "逐条回复意见"
    INTERNAL_REVIEW = "internal_review", "机构内部质量审核"
    FINAL = "final", "主评人签字盖章、出具正式报告"
    ARCHIVE = "archive", "委托方核验归档"
    CLOSED = "closed", "已归档"
    TERMINATED = "terminated", "已终止委托"


S = CommissionStage
OPEN_STAGES = tuple(s for s in S if s not in (S.CLOSED, S.TERMINATED))
AGENCY_MOVES = frozenset({"submit_plan", "submit_draft", "submit_replies", "pass_internal_review", "submit_final"})
GATED_MOVES = AGENCY_MOVES | {"approve_plan", "send_comments", "close"}


def _workflow(name: str, commissioner: Action) -> Workflow:
    agency = Action.CONTRIBUTE
    return Workflow(
        name=name, states=CommissionStage, initial=S.PLAN,
        editable_states=frozenset(OPEN_STAGES),
        transitions=[
            Transition("submit_plan", "提交实施方案", (S.PLAN,), S.PLAN_REVIEW, agency),
            Transition("approve_plan", "方案评审通过", (S.PLAN_REVIEW,), S.DRAFT, commissioner),
            Transition("return_plan", "退回修改方案", (S.PLAN_REVIEW,), S.PLAN, commissioner, comment_required=True),
            Transition("submit_draft", "提交报告初稿", (S.DRAFT,), S.COMMENTS, agency),
            Transition("send_comments", "反馈书面意见", (S.COMMENTS,), S.REPLIES, commissioner),
            Transition("submit_replies", "提交逐条回复", (S.REPLIES,), S.INTERNAL_REVIEW, agency),
            Transition("pass_internal_review", "内部质量审核通过", (S.INTERNAL_REVIEW,), S.FINAL, agency),
            Transition("submit_final", "提交正式报告", (S.FINAL,), S.ARCHIVE, agency),
            Transition("return_final", "退回正式报告", (S.ARCHIVE,), S.FINAL, commissioner, comment_required=True),
            Transition("close", "核验归档", (S.ARCHIVE,), S.CLOSED, commissioner),
            Transition("terminate", "终止委托", OPEN_STAGES, S.TERMINATED, commissioner, comment_required=True),
        ],
    )


DEPARTMENT_COMMISSION_WORKFLOW = _workflow("department_commission", Action.SUBMIT)
BUREAU_COMMISSION_WORKFLOW = _workflow("bureau_commission", Action.APPROVE)
