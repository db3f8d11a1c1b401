"""Each role's to-do list on the home page: what waits for this actor's action."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from jixiao.budget.models import PerformanceSubject, SubjectState
from jixiao.core.permissions import Action, Actor, scope
from jixiao.organisations.models import Role


@dataclass
class Todo:
    label: str
    count: int
    url: str


def todos_for(actor: Actor) -> list[Todo]:
    items: list[Todo] = []
    subjects = PerformanceSubject.objects.all()
    url = reverse("budget:subject_list")
    checks = [
        (Action.SUBMIT, [SubjectState.DRAFT], "待提交的项目(草稿)"),
        (Action.SUBMIT, [SubjectState.RETURNED], "被退回待修改的项目"),
        (Action.REVIEW, [SubjectState.SUBMITTED], "待主管部门审核的项目"),
        (Action.APPROVE, [SubjectState.DEPARTMENT_APPROVED], "待财政审核入库的项目"),
    ]
    for action, states, label in checks:
        if not actor.may(action):
            continue
        count = scope(actor, action, subjects).filter(state__in=states).count()
        if count:
            items.append(Todo(label, count, f"{url}?state={states[0]}"))
    items += _document_todos(actor)
    items += _monitoring_todos(actor)
    if actor.has_role(Role.AGENCY, Role.EXPERT):
        count = scope(actor, Action.VIEW, subjects).count()
        if count:
            items.append(Todo("委托(分配)给我的事项", count, url))
    return items


def _document_todos(actor: Actor) -> list[Todo]:
    """Goal sheets and ex-ante assessments waiting for this actor."""
    from jixiao.exante.models import ExAnteAssessment
    from jixiao.exante.workflows import AssessmentState as A
    from jixiao.goals.models import GoalSheet
    from jixiao.goals.workflows import GoalState as G

    items: list[Todo] = []
    goals_url, exante_url = reverse("goals:sheet_list"), reverse("exante:assessment_list")
    checks = [
        (GoalSheet, goals_url, Action.SUBMIT, [G.RETURNED], "被退回待修改的绩效目标"),
        (GoalSheet, goals_url, Action.SUBMIT, [G.EDITS_REQUESTED], "待按审核意见修改的绩效目标"),
        (GoalSheet, goals_url, Action.REVIEW, [G.SUBMITTED], "待主管部门审核的绩效目标"),
        (GoalSheet, goals_url, Action.APPROVE, [G.DEPARTMENT_PASSED], "待财政审核的绩效目标"),
        (GoalSheet, goals_url, Action.APPROVE, [G.PASSED], "待随预算批复的绩效目标"),
        (GoalSheet, goals_url, Action.REVIEW, [G.APPROVED], "待下达至预算单位的绩效目标"),
        (ExAnteAssessment, exante_url, Action.SUBMIT, [A.RETURNED], "退回调整完善的事前评估"),
        (ExAnteAssessment, exante_url, Action.APPROVE, [A.SUBMITTED], "待出具审核意见的事前评估"),
        (ExAnteAssessment, exante_url, Action.CONTRIBUTE, [A.EXPERT_REVIEW], "待评分的事前评估"),
    ]
    for model, url, action, states, label in checks:
        if not actor.may(action):
            continue
        count = scope(actor, action, model.objects.all()).filter(state__in=states).count()
        if count:
            items.append(Todo(label, count, f"{url}?state={states[0]}"))
    return items


def _monitoring_todos(actor: Actor) -> list[Todo]:
    """Monitoring reports to fill in or review, and warnings waiting for a decision."""
    from jixiao.monitoring import selectors as monitoring_selectors
    from jixiao.monitoring.models import MonitoringDisposition, MonitoringReport
    from jixiao.monitoring.workflows import DispositionState as D
    from jixiao.monitoring.workflows import ReportState as M

    items: list[Todo] = []
    reports_url, disp_url = reverse("monitoring:report_list"), reverse("monitoring:disposition_list")
    open_reports = MonitoringReport.objects.filter(round__closed_at__isnull=True)
    checks = [
        (open_reports, reports_url, Action.SUBMIT, [M.DRAFT], "待填报的绩效监控表"),
        (open_reports, reports_url, Action.SUBMIT, [M.RETURNED], "被退回待修改的绩效监控表"),
        (open_reports, reports_url, Action.REVIEW, [M.SUBMITTED], "待主管部门审核的绩效监控表"),
        (open_reports, reports_url, Action.APPROVE, [M.DEPARTMENT_PASSED], "待财政审核的绩效监控表"),
        (MonitoringDisposition.objects.all(), disp_url, Action.SUBMIT, [D.OPEN], "待选定处置方式的监控预警"),
        (MonitoringDisposition.objects.all(), disp_url, Action.SUBMIT, [D.SUSPENDED], "逾期未处置已暂停的项目"),
        (MonitoringDisposition.objects.all(), disp_url, Action.APPROVE, [D.PROPOSED], "待财政确认的预警处置"),
    ]
    for qs, url, action, states, label in checks:
        if not actor.may(action):
            continue
        count = scope(actor, action, qs).filter(state__in=states).count()
        if count:
            items.append(Todo(label, count, f"{url}?state={states[0]}"))
    if actor.may(Action.SUBMIT):
        count, days = monitoring_selectors.due_soon(actor)
        if count:
            within = f"{days.pop()}日内" if len(days) == 1 else "即将"
            items.append(Todo(f"{within}到期（或已逾期）未报送的绩效监控表", count, f"{reports_url}?state={M.DRAFT}"))
    return items
