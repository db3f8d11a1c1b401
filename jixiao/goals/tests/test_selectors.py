"""Goal sheet reads: scoped lists with filters and a fixed number of queries, review and approval queues, subjects
still without a sheet, version diffs, the ex-ante status shown beside a sheet."""

import datetime

import pytest
from django.http import Http404
from django.utils import timezone

from jixiao.core.testing import make_subject
from jixiao.goals import selectors, services
from jixiao.goals.models import GoalSheet
from jixiao.goals.tests.test_services import actor, create, review, save, submitted, transition
from jixiao.goals.workflows import GoalState

G = GoalState


def codes(qs):
    return [s.subject.code for s in qs]


def test_list_is_scoped_to_the_actor(cast):
    sheets = {k: create(cast, who, k) for k, who in (("a1", "unit_a1"), ("a2", "unit_a2"), ("a_dept", "clerk_a"),
                                                      ("b1", "clerk_b"), ("a1_secret", "unit_a1"))}
    s = cast.subjects
    assert codes(selectors.goal_sheet_list(actor(cast, "unit_a1"))) == [s["a1"].code, s["a1_secret"].code]
    assert codes(selectors.goal_sheet_list(actor(cast, "unit_a2"))) == [s["a2"].code]
    assert len(selectors.goal_sheet_list(actor(cast, "clerk_a"))) == 4
    assert codes(selectors.goal_sheet_list(actor(cast, "officer_b"))) == [s["b1"].code]
    assert len(selectors.goal_sheet_list(actor(cast, "finance_admin"))) == 5
    assert codes(selectors.goal_sheet_list(actor(cast, "expert"))) == [s["b1"].code]
    assert codes(selectors.goal_sheet_list(actor(cast, "agency_yes"))) == [s["a1"].code]  # not the classified one
    assert not selectors.goal_sheet_list(actor(cast, "agency_no")).exists()
    assert not selectors.goal_sheet_list(actor(cast, "county_admin")).exists()
    with pytest.raises(Http404):
        selectors.goal_sheet_get(actor(cast, "unit_a2"), sheets["a1"].pk)
    assert selectors.goal_sheet_get(actor(cast, "clerk_a"), sheets["a1"].pk) == sheets["a1"]


def test_list_filters(cast):
    a1 = create(cast)
    create(cast, "unit_a2", "a2")
    dept = create(cast, "clerk_a", "a_dept")
    create(cast, "clerk_b", "b1")
    fa = actor(cast, "finance_admin")
    assert list(selectors.goal_sheet_list(fa, {"department": cast.dept_a.pk, "kind": "department_wide"})) == [dept]
    assert list(selectors.goal_sheet_list(fa, {"department": cast.dept_a, "unit": cast.unit_a1.pk})) == [a1]
    assert list(selectors.goal_sheet_list(fa, {"q": "学生资助"})) == [a1]
    assert list(selectors.goal_sheet_list(fa, {"q": cast.subjects["a1"].code[-4:]})) == [a1]
    assert selectors.goal_sheet_list(fa, {"year": 2026}).count() == 4
    assert not selectors.goal_sheet_list(fa, {"year": 2025}).exists()
    save(cast, a1)
    transition(cast, a1, "submit")
    assert list(selectors.goal_sheet_list(fa, {"state": G.SUBMITTED})) == [a1]
    assert list(selectors.goal_sheet_list(fa, {"level": "department"})) == [a1]
    assert not selectors.goal_sheet_list(fa, {"overdue": True}).exists()
    GoalSheet.objects.filter(pk=a1.pk).update(review_due=timezone.localdate() - datetime.timedelta(days=1))
    assert list(selectors.goal_sheet_list(fa, {"overdue": True})) == [a1]


def test_list_query_count_is_fixed(cast, django_assert_num_queries):
    for key, who in (("a1", "unit_a1"), ("a2", "unit_a2"), ("b1", "clerk_b")):
        create(cast, who, key)
    for who in ("finance_admin", "agency_yes", "clerk_a"):
        a = actor(cast, who)
        with django_assert_num_queries(1):
            few = [(s.subject.name, s.fiscal_year.year, s.region.name, s.department.name, s.unit.name)
                   for s in selectors.goal_sheet_list(a)]
        for i in range(5):
            subject = make_subject(cast, f"EXTRA{who}{i}", department=cast.dept_a, unit=cast.unit_a1)
            services.goal_sheet_create(actor=actor(cast, "unit_a1"), subject=subject)
        with django_assert_num_queries(1):
            more = [(s.subject.name, s.fiscal_year.year, s.region.name, s.department.name, s.unit.name)
                    for s in selectors.goal_sheet_list(a)]
        assert len(more) > len(few) or who == "agency_yes"


def test_review_and_approval_queues(cast):
    a1 = submitted(cast)
    a2 = create(cast, "unit_a2", "a2")
    dept = submitted(cast, "clerk_a", "a_dept")
    dept.refresh_from_db()
    assert list(selectors.review_queue(actor(cast, "clerk_a"))) == [a1]
    assert list(selectors.review_queue(actor(cast, "finance_admin"))) == [dept]
    assert list(selectors.review_queue(actor(cast, "officer_a"))) == [dept]
    assert not selectors.review_queue(actor(cast, "officer_b")).exists()
    assert not selectors.review_queue(actor(cast, "unit_a1")).exists()
    review(cast, a1, "clerk_a", "excellent")
    assert set(selectors.review_queue(actor(cast, "finance_admin"))) == {a1, dept}
    assert not selectors.review_queue(actor(cast, "clerk_a")).exists()
    review(cast, a1, "finance_admin", "excellent")
    assert list(selectors.approval_queue(actor(cast, "officer_a"), 2026)) == [a1]
    assert not selectors.approval_queue(actor(cast, "clerk_a")).exists()
    assert a2.state == G.DRAFT


def test_subjects_without_sheet(cast):
    create(cast)
    fa = actor(cast, "finance_admin")
    s = cast.subjects
    assert set(selectors.subjects_without_sheet(fa, 2026)) == {s["a2"], s["a_dept"], s["b1"], s["a1_secret"]}
    assert list(selectors.subjects_without_sheet(actor(cast, "unit_a1"), 2026)) == [s["a1_secret"]]
    assert not selectors.subjects_without_sheet(fa, 2025).exists()


def test_version_diff_and_current_data(cast):
    sheet = submitted(cast)
    assert selectors.version_data(sheet, 1) is None
    current = selectors.version_data(sheet, "current")
    assert len(current["rows"]) == 5 and current["subject_code"] == cast.subjects["a1"].code
    changed = {**current, "annual_goal": "新的年度目标",
               "rows": [{**current["rows"][0], "target_value": "600"}, *current["rows"][2:],
                        {"position": 9, "level1": "output", "name": "新增指标", "indicator_id": None}]}
    diff = selectors.sheet_version_diff(current, changed)
    assert diff["header"] == [("annual_goal", current["annual_goal"], "新的年度目标")]
    assert [r["name"] for r in diff["added"]] == ["新增指标"]
    assert [r["name"] for r in diff["removed"]] == ["资助对象认定准确率"]
    assert diff["changed"][0]["fields"] == [("target_value", "500", "600")]


def test_exante_status_is_shown_not_enforced(cast):
    sheet = create(cast)
    status = selectors.exante_status(sheet)
    assert status["requirement"] in ("none", "simplified", "full", "finance")
    assert isinstance(status["problems"], list) and status["requirement_label"]
