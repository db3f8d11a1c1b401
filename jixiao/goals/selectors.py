"""Reads of goal sheets, always scoped to the actor through `jixiao.core.permissions.scope`."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from jixiao.budget.models import PerformanceSubject
from jixiao.core import workflow
from jixiao.core.permissions import Action, Actor, get_for, scope
from jixiao.goals.models import GoalReview, GoalSheet
from jixiao.goals.workflows import GoalState

G = GoalState
LIST_RELATED = ("subject", "fiscal_year", "region", "department", "unit")
REVIEW_STATES = (G.SUBMITTED, G.DEPARTMENT_PASSED)


def overdue_q(today=None) -> Q:
    """Sheets past a deadline: a review not given by its due date, or a 中 not resubmitted by its due date."""
    today = today or timezone.localdate()
    return (Q(state__in=REVIEW_STATES, review_due__lt=today)
            | Q(state=G.RETURNED, resubmit_due__lt=today))


def goal_sheet_list(actor: Actor, filters: dict | None = None, *, action: Action = Action.VIEW) -> QuerySet:
    """The goal sheets `actor` may `action`, filtered, with their subject and organisation (one query per page).

    `filters`: year (int), department (id or Department), unit (id or Unit), state, kind, q (subject code or name
    contains), overdue (true: only sheets past a review or resubmission deadline), level (review level). Unknown keys
    are ignored."""
    f = filters or {}
    qs = scope(actor, action, GoalSheet.objects.all()).select_related(*LIST_RELATED)
    if f.get("year"):
        qs = qs.filter(fiscal_year__year=f["year"])
    if f.get("department"):
        qs = qs.filter(department=f["department"])
    if f.get("unit"):
        qs = qs.filter(unit=f["unit"])
    for key in ("state", "kind"):
        if f.get(key):
            qs = qs.filter(**{key: f[key]})
    if f.get("level"):
        qs = qs.filter(review_level=f["level"])
    text = (f.get("q") or "").strip()
    if text:
        qs = qs.filter(Q(subject__code__icontains=text) | Q(subject__name__icontains=text))
    if f.get("overdue"):
        qs = qs.filter(overdue_q())
    return qs.order_by("subject__code", "pk")


def goal_sheet_get(actor: Actor, pk, action: Action = Action.VIEW) -> GoalSheet:
    """One sheet: 404 when missing or outside the actor's reach, 403 when visible but `action` is not allowed."""
    return get_for(actor, action, GoalSheet.objects.select_related(*LIST_RELATED), pk=pk)


def goal_sheet_for_subject(actor: Actor, subject_id) -> GoalSheet | None:
    return scope(actor, Action.VIEW, GoalSheet.objects.select_related(*LIST_RELATED)).filter(
        subject_id=subject_id).first()


def review_queue(actor: Actor) -> QuerySet:
    """Sheets waiting for this actor's review now: units' sheets submitted to their department (REVIEW), and sheets
    waiting for the bureau (APPROVE). Oldest deadline first."""
    base = GoalSheet.objects.all()
    department = scope(actor, Action.REVIEW, base.filter(state=G.SUBMITTED)).values("pk")
    finance = scope(actor, Action.APPROVE, base.filter(state=G.DEPARTMENT_PASSED)).values("pk")
    return (GoalSheet.objects.filter(Q(pk__in=department) | Q(pk__in=finance)).select_related(*LIST_RELATED)
            .order_by("review_due", "submitted_at", "pk"))


def approval_queue(actor: Actor, year: int | None = None) -> QuerySet:
    """Sheets that passed review and wait to be approved with the budget (批复) by this actor."""
    qs = scope(actor, Action.APPROVE, GoalSheet.objects.filter(state=G.PASSED)).select_related(*LIST_RELATED)
    if year:
        qs = qs.filter(fiscal_year__year=year)
    return qs.order_by("subject__code", "pk")


def subjects_without_sheet(actor: Actor, year: int | None = None) -> QuerySet:
    """Subjects the actor can see that have no goal sheet yet (for the year)."""
    qs = scope(actor, Action.VIEW, PerformanceSubject.objects.filter(goal_sheet__isnull=True))
    if year:
        qs = qs.filter(fiscal_year__year=year)
    return qs.select_related("fiscal_year", "department", "unit").order_by("code", "pk")


def rows(sheet: GoalSheet) -> list:
    return list(sheet.indicators.order_by("position", "id"))


def reviews(sheet: GoalSheet) -> list[GoalReview]:
    return list(sheet.reviews.select_related("reviewer").order_by("at", "id"))


def versions(sheet: GoalSheet) -> list:
    return list(workflow.versions_for(sheet))


def version_data(sheet: GoalSheet, revision) -> dict | None:
    """A frozen version's data; `revision` "current" (or None) gives the sheet as it stands now."""
    if revision in (None, "", "current"):
        from jixiao.goals.services import sheet_snapshot

        return sheet_snapshot(sheet)
    version = workflow.versions_for(sheet).filter(revision=int(revision)).first()
    return version.data if version is not None else None


def _row_key(row: dict) -> tuple:
    if row.get("indicator_id"):
        return ("indicator", row["indicator_id"])
    return ("name", row.get("level1") or "", (row.get("name") or "").strip())


ROW_DIFF_FIELDS = ("level1", "level2", "name", "comparator", "target_value", "unit", "weight", "explanation",
                   "value_basis", "value_method", "data_source", "evidence_type", "value_note")


def sheet_version_diff(old: dict, new: dict) -> dict:
    """What changed between two versions: header fields as (field, old, new), rows matched by library indicator
    (else by 一级 + name) as added, removed and changed (with the changed fields)."""
    header = [(k, a, b) for k, a, b in workflow.diff_versions(
        {k: v for k, v in old.items() if k != "rows"}, {k: v for k, v in new.items() if k != "rows"})]
    old_rows = {_row_key(r): r for r in old.get("rows", [])}
    new_rows = {_row_key(r): r for r in new.get("rows", [])}
    added = [r for k, r in new_rows.items() if k not in old_rows]
    removed = [r for k, r in old_rows.items() if k not in new_rows]
    changed = []
    for k, r in new_rows.items():
        before = old_rows.get(k)
        if before is None:
            continue
        fields = [(f, before.get(f), r.get(f)) for f in ROW_DIFF_FIELDS if before.get(f) != r.get(f)]
        if fields:
            changed.append({"name": r.get("name"), "position": r.get("position"), "fields": fields})
    return {"header": header, "added": added, "removed": removed, "changed": changed}


def exante_status(sheet: GoalSheet) -> dict:
    """The subject's ex-ante requirement and what the gate would still refuse (shown beside the sheet; the gate
    itself is checked when the subject enters the project library)."""
    from jixiao.exante import rules as exante_rules
    from jixiao.exante.models import Requirement
    from jixiao.goals import gate
    from jixiao.goals.services import sheet_params

    subject = sheet.subject
    params = sheet_params(sheet)
    requirement = exante_rules.requirement_for(gate.subject_facts(subject), params.ex_ante)
    problems = exante_rules.gate_problems(requirement.requirement, gate.latest_assessment_facts(subject),
                                          today=timezone.localdate())
    return {"requirement": requirement.requirement,
            "requirement_label": Requirement(requirement.requirement).label,
            "reasons": list(requirement.reasons), "problems": problems}
