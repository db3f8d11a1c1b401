"""One workflow mechanism for every document that is drafted, submitted, reviewed (possibly at several levels),
returned with comments, approved and later adjusted as a new version.

A document type declares its `Workflow` (states and a transition table); `transition()` is the only way to move it.
Who may fire a transition comes from `jixiao.core.permissions` (each transition names the action it needs). Every
transition keeps its actor, time and comment (`WorkflowStep`) and an audit row; approval freezes a `DocumentVersion`.
Concurrent moves are refused through the document's `lock_version` (compare-and-set), which also works on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from jixiao.core import audit
from jixiao.core.models import DocumentVersion, WorkflowStep
from jixiao.core.permissions import Action, Actor, authorize


class WorkflowError(ValidationError):
    """A transition that is not possible from the document's state (message in Chinese)."""


class ConcurrentEditError(ValidationError):
    """Somebody else changed the document since the actor loaded it."""

    def __init__(self, message="该记录已被他人修改，请刷新后重试"):
        super().__init__(message, code="conflict")


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str | Callable[[object, str], str]  # a state, or f(document, acting role) -> state
    action: Action
    comment_required: bool = False
    freezes_version: bool = False  # approval: keep a frozen copy of this revision
    opens_revision: bool = False  # adjustment: the document becomes the next revision

    def target_for(self, obj, role: str) -> str:
        return self.target(obj, role) if callable(self.target) else self.target


@dataclass
class Workflow:
    name: str
    states: type  # a TextChoices
    initial: str
    transitions: list[Transition]
    editable_states: frozenset[str] = field(default_factory=frozenset)
    snapshot: Callable[[object], dict] | None = None  # what a frozen version holds; defaults to the model fields

    def __post_init__(self):
        self._by_name = {t.name: t for t in self.transitions}

    def get(self, name: str) -> Transition:
        try:
            return self._by_name[name]
        except KeyError:
            raise WorkflowError(f"未知操作：{name}") from None

    def label(self, state: str) -> str:
        return dict(self.states.choices).get(state, state)

    def available(self, obj) -> list[Transition]:
        return [t for t in self.transitions if obj.state in t.sources]


def _after_unit_submit(states) -> Callable[[object, str], str]:
    def target(report, role: str) -> str:
        from jixiao.organisations.models import Role

        if report.unit_id is None or role == Role.DEPARTMENT:
            return states.DEPARTMENT_PASSED
        return states.SUBMITTED

    return target


def unit_report_workflow(name: str, states: type) -> Workflow:
    """A report a unit fills in for one subject and submits; its department reviews it (a department's own subject,
    or one the department submits, goes straight to the bureau); the finance bureau accepts it or returns it; a
    returned report is edited and submitted again. `states` is a TextChoices with DRAFT, SUBMITTED,
    DEPARTMENT_PASSED, RETURNED and ACCEPTED (monitoring reports, self-evaluations)."""
    s = states
    return Workflow(
        name=name,
        states=states,
        initial=s.DRAFT,
        editable_states=frozenset({s.DRAFT, s.RETURNED}),
        transitions=[
            Transition("submit", "提交", (s.DRAFT, s.RETURNED), _after_unit_submit(states), Action.SUBMIT),
            Transition("withdraw", "撤回", (s.SUBMITTED,), s.DRAFT, Action.SUBMIT),
            Transition("department_pass", "主管部门审核通过", (s.SUBMITTED,), s.DEPARTMENT_PASSED, Action.REVIEW),
            Transition("department_return", "主管部门退回修改", (s.SUBMITTED,), s.RETURNED, Action.REVIEW,
                       comment_required=True),
            Transition("accept", "财政审核通过", (s.DEPARTMENT_PASSED,), s.ACCEPTED, Action.APPROVE),
            Transition("finance_return", "财政退回修改", (s.DEPARTMENT_PASSED,), s.RETURNED, Action.APPROVE,
                       comment_required=True),
        ],
    )


def available_transitions(actor: Actor, obj) -> list[Transition]:
    """The transitions this actor may fire on this document now (for buttons and the API)."""
    from jixiao.core.permissions import can

    return [t for t in obj.workflow.available(obj) if can(actor, t.action, obj)]


def transition(*, actor: Actor, obj, name: str, comment: str = "", expected_lock_version: int | None = None,
               acting_as: Action | None = None):
    """Move `obj` through transition `name`. Raises WorkflowError, ConcurrentEditError, PermissionDenied or Http404.

    `acting_as` lets a service fire a transition under another action than the transition's own, for a move that
    follows from another decision (the bureau approving a monitoring disposition opens the goal adjustment, which
    the unit would otherwise request): the actor must hold that action on the document."""
    wf = obj.workflow
    t = wf.get(name)
    comment = (comment or "").strip()
    if obj.state not in t.sources:
        raise WorkflowError(f"当前状态为“{wf.label(obj.state)}”，不能执行“{t.label}”")
    grant = authorize(actor, acting_as or t.action, obj)
    if t.comment_required and not comment:
        raise ValidationError({"comment": f"“{t.label}”必须填写意见"})
    expected = obj.lock_version if expected_lock_version is None else expected_lock_version
    from_state, to_state = obj.state, t.target_for(obj, grant.role)
    model = type(obj)
    with transaction.atomic():
        updates = {"state": to_state, "lock_version": F("lock_version") + 1}
        if t.opens_revision:
            updates["revision"] = F("revision") + 1
        changed = model.objects.filter(pk=obj.pk, lock_version=expected, state=from_state).update(**updates)
        if changed != 1:
            raise ConcurrentEditError()
        obj.refresh_from_db(fields=["state", "lock_version", "revision"])
        ct = ContentType.objects.get_for_model(model)
        if t.freezes_version:
            data = wf.snapshot(obj) if wf.snapshot else audit.snapshot(obj)
            DocumentVersion.objects.update_or_create(
                content_type=ct, object_id=obj.pk, revision=obj.revision,
                defaults={"data": data, "created_by": actor.user},
            )
        WorkflowStep.objects.create(
            content_type=ct, object_id=obj.pk, workflow=wf.name, transition=t.name, transition_label=t.label,
            from_state=from_state, to_state=to_state, revision=obj.revision, actor=actor.user,
            actor_role=grant.role, comment=comment,
        )
        audit.record(actor=actor, action="transition", obj=obj, before={"state": from_state},
                     after={"state": to_state, "revision": obj.revision}, comment=f"{t.label}：{comment}".rstrip("："))
    return obj


def steps_for(obj):
    ct = ContentType.objects.get_for_model(obj)
    return WorkflowStep.objects.filter(content_type=ct, object_id=obj.pk).select_related("actor").order_by("at", "id")


def versions_for(obj):
    ct = ContentType.objects.get_for_model(obj)
    return DocumentVersion.objects.filter(content_type=ct, object_id=obj.pk).order_by("revision")


def diff_versions(old: dict, new: dict) -> list[tuple[str, object, object]]:
    """Fields that differ between two frozen versions, as (field, old, new)."""
    keys = sorted(set(old) | set(new))
    return [(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]


def claim_lock(obj, expected_lock_version: int) -> None:
    """Inside a transaction: bump the document's lock_version only if it is still `expected_lock_version`, else
    raise ConcurrentEditError. The caller then saves its changes; the UPDATE holds the row (PostgreSQL) or the write
    lock (SQLite, IMMEDIATE transactions) until commit, so two editors of one document can never both win."""
    model = type(obj)
    changed = model.objects.filter(pk=obj.pk, lock_version=expected_lock_version).update(
        lock_version=F("lock_version") + 1
    )
    if changed != 1:
        raise ConcurrentEditError()
    obj.lock_version = expected_lock_version + 1
