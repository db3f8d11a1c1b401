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
    if actor.has_role(Role.AGENCY, Role.EXPERT):
        count = scope(actor, Action.VIEW, subjects).count()
        if count:
            items.append(Todo("委托(分配)给我的事项", count, url))
    return items
