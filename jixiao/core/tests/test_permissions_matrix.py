"""The permission matrix: every role × organisation relation × action on subjects, checked through both `scope()`
(lists, exports, API) and `can()` (one object), which must agree."""

import pytest

from jixiao.budget.models import PerformanceSubject
from jixiao.core.permissions import Action, actor_for, can, scope

A = Action
ALL_SUBJECTS = ["a1", "a2", "a_dept", "b1", "a1_secret", "county"]
# For each user and action: the subjects (keys of cast.subjects) the user may act on. Anything else must be refused.
# Edit/delete/submit assume the subjects are drafts.
V = "same:view"
WRITER = {A.EXPORT: V, A.CREATE: V, A.EDIT: V, A.DELETE: V, A.SUBMIT: V, A.IMPORT: V, A.AGGREGATE: V}
ALL = {"a1", "a2", "a_dept", "b1", "a1_secret", "county"}
EXPECTED = {
    "sysadmin": {A.VIEW: ALL, A.EXPORT: V, A.AGGREGATE: V},
    "finance_admin": {A.VIEW: ALL - {"county"}, A.EXPORT: V, A.APPROVE: V, A.ADJUST: V, A.IMPORT: V,
                      A.AGGREGATE: ALL},
    "province_admin": {A.VIEW: set(), A.AGGREGATE: ALL},  # an upper region sees aggregates, not documents
    "county_admin": {A.VIEW: {"county"}, A.EXPORT: V, A.APPROVE: V, A.ADJUST: V, A.IMPORT: V, A.AGGREGATE: V},
    "officer_a": {A.VIEW: {"a1", "a2", "a_dept", "a1_secret"}, A.APPROVE: V, A.EXPORT: V, A.AGGREGATE: V},
    "officer_b": {A.VIEW: {"b1"}, A.APPROVE: V, A.EXPORT: V, A.AGGREGATE: V},
    "clerk_a": {A.VIEW: {"a1", "a2", "a_dept", "a1_secret"}, **WRITER, A.REVIEW: {"a1", "a2", "a1_secret"}},
    "clerk_b": {A.VIEW: {"b1"}, **WRITER, A.REVIEW: {"b1"}},
    "unit_a1": {A.VIEW: {"a1", "a1_secret"}, **WRITER},
    "unit_a2": {A.VIEW: {"a2"}, **WRITER},
    "agency_yes": {A.VIEW: {"a1"}},  # granted a1 and a1_secret, but outsiders never see classified items
    "agency_no": {A.VIEW: set()},
    "expert": {A.VIEW: {"b1"}},  # assigned to b1 only
    "overseer": {A.VIEW: ALL - {"county", "a1_secret"}, A.AGGREGATE: ALL - {"a1_secret"}},  # read only
}
ACTIONS = [A.VIEW, A.EXPORT, A.CREATE, A.EDIT, A.DELETE, A.SUBMIT, A.REVIEW, A.APPROVE, A.ADJUST, A.IMPORT,
           A.AGGREGATE]
CASES = [(user, action) for user in EXPECTED for action in ACTIONS]


def expected_for(user, action):
    table = EXPECTED[user]
    value = table.get(action, set())
    if value == "same:view":
        value = table[A.VIEW]
    return set(value)


@pytest.mark.parametrize("user,action", CASES, ids=[f"{u}-{a}" for u, a in CASES])
def test_matrix(cast, user, action):
    actor = actor_for(cast.users[user])
    ids = {cast.subjects[k].pk: k for k in ALL_SUBJECTS}
    by_scope = {ids[pk] for pk in scope(actor, action, PerformanceSubject.objects.all()).values_list("pk", flat=True)}
    by_can = {k for k in ALL_SUBJECTS if can(actor, action, cast.subjects[k])}
    expected = expected_for(user, action)
    assert by_scope == expected, f"scope: {user} {action}"
    assert by_can == expected, f"can: {user} {action}"


def test_edit_only_in_editable_states(cast):
    s = cast.subjects["a1"]
    PerformanceSubject.objects.filter(pk=s.pk).update(state="approved")
    s.refresh_from_db()
    actor = actor_for(cast.users["unit_a1"])
    assert not can(actor, A.EDIT, s)
    assert not scope(actor, A.EDIT, PerformanceSubject.objects.filter(pk=s.pk)).exists()
    assert can(actor, A.VIEW, s)


def test_anonymous_sees_nothing(cast):
    from django.contrib.auth.models import AnonymousUser

    actor = actor_for(AnonymousUser())
    assert not scope(actor, A.VIEW, PerformanceSubject.objects.all()).exists()
    assert not can(actor, A.VIEW, cast.subjects["a1"])


def test_national_audit_rows_reach_top_region_only(cast):
    from jixiao.core import audit
    from jixiao.core.models import AuditEvent
    from jixiao.core.testing import make_user
    from jixiao.organisations.models import Role

    event = audit.record(actor=None, action="update", obj=None, object_repr="全国默认政策配置")
    top = make_user("top_admin", Role.SYSADMIN, cast.province)
    assert scope(actor_for(top), A.AUDIT, AuditEvent.objects.filter(pk=event.pk)).exists()
    assert can(actor_for(top), A.AUDIT, event)
    assert not scope(actor_for(cast.users["sysadmin"]), A.AUDIT, AuditEvent.objects.filter(pk=event.pk)).exists()
    assert not can(actor_for(cast.users["finance_admin"]), A.AUDIT, event)


def test_subjects_of_a_classified_department_are_withheld_from_outsiders(cast):
    from jixiao.core.permissions import exclude_classified
    from jixiao.organisations.models import Department

    Department.objects.filter(pk=cast.dept_b.pk).update(is_classified=True)
    b1 = PerformanceSubject.objects.get(pk=cast.subjects["b1"].pk)
    for user in ("overseer", "expert"):
        actor = actor_for(cast.users[user])
        assert not can(actor, A.VIEW, b1)
        assert not scope(actor, A.VIEW, PerformanceSubject.objects.filter(pk=b1.pk)).exists()
    assert can(actor_for(cast.users["finance_admin"]), A.VIEW, b1)
    assert not exclude_classified(PerformanceSubject.objects.filter(pk=b1.pk)).exists()
    # a subject without a department is not hidden by the department rule
    assert exclude_classified(PerformanceSubject.objects.filter(pk=cast.subjects["a1"].pk)).exists()
