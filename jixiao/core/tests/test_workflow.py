import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from jixiao.core import workflow
from jixiao.core.models import AuditEvent
from jixiao.core.permissions import actor_for


def act(cast, user, subject, name, comment=""):
    return workflow.transition(actor=actor_for(cast.users[user]), obj=subject, name=name, comment=comment)


def test_unit_submission_through_department_and_bureau(cast):
    s = cast.subjects["a1"]
    act(cast, "unit_a1", s, "submit")
    assert s.state == "submitted"
    with pytest.raises(ValidationError):
        act(cast, "clerk_a", s, "department_return")  # comment required
    act(cast, "clerk_a", s, "department_return", "请补充测算依据")
    assert s.state == "returned"
    act(cast, "unit_a1", s, "submit")
    act(cast, "clerk_a", s, "department_approve")
    with pytest.raises(PermissionDenied):
        act(cast, "clerk_a", s, "approve")
    act(cast, "officer_a", s, "approve", "同意入库")
    assert s.state == "approved"
    steps = list(workflow.steps_for(s))
    assert [st.transition for st in steps] == ["submit", "department_return", "submit", "department_approve",
                                               "approve"]
    assert steps[1].comment == "请补充测算依据" and steps[1].actor == cast.users["clerk_a"]
    assert workflow.versions_for(s).count() == 1
    assert AuditEvent.objects.filter(object_id=str(s.pk), action="transition").count() == 5


def test_department_submission_skips_department_review(cast):
    s = cast.subjects["a_dept"]
    act(cast, "clerk_a", s, "submit")
    assert s.state == "department_approved"


def test_adjustment_opens_new_revision_and_keeps_versions(cast):
    s = cast.subjects["a1"]
    for user, name in [("unit_a1", "submit"), ("clerk_a", "department_approve"), ("finance_admin", "approve")]:
        act(cast, user, s, name)
    act(cast, "unit_a1", s, "start_adjustment", "年中追加预算")
    assert (s.state, s.revision) == ("draft", 2)
    for user, name in [("unit_a1", "submit"), ("clerk_a", "department_approve"), ("finance_admin", "approve")]:
        act(cast, user, s, name)
    assert [v.revision for v in workflow.versions_for(s)] == [1, 2]


def test_outsider_cannot_see_or_move(cast):
    s = cast.subjects["a1"]
    with pytest.raises(Http404):
        act(cast, "unit_a2", s, "submit")
    with pytest.raises(workflow.WorkflowError):
        act(cast, "officer_a", s, "approve")  # a draft cannot be approved


def test_stale_version_is_refused(cast):
    s = cast.subjects["a1"]
    stale = type(s).objects.get(pk=s.pk)
    act(cast, "unit_a1", s, "submit")
    act(cast, "unit_a1", s, "withdraw")
    with pytest.raises(workflow.ConcurrentEditError):
        workflow.transition(actor=actor_for(cast.users["unit_a1"]), obj=stale, name="submit")
