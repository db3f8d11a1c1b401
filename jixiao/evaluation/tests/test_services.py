"""Self-evaluation services end to end on the cast: a round covering every subject with a budget, the unit's sheet
scored on save with the explanations a submission needs, reviews, the round's summary and batch scoring."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from jixiao.core.models import AuditEvent
from jixiao.core.money import Money
from jixiao.core.workflow import ConcurrentEditError, steps_for
from jixiao.evaluation import services
from jixiao.evaluation.models import SelfEvaluation, SelfEvaluationLine
from jixiao.monitoring.tests.helpers import actor, in_budget
from jixiao.policy import services as policy_services

pytestmark = pytest.mark.django_db
Y = Money.from_yuan


@pytest.fixture
def a1(cast):
    # budget 120万, spent 108万 over the year (90%)
    in_budget(cast, cast.subjects["a1"], annual_amount=Y("1200000"),
              spent_by_month={3: "300000", 9: "500000", 12: "280000"})
    return cast.subjects["a1"]


def open_round(cast, **kw):
    return services.round_create(actor=actor(cast), region=cast.city, year=cast.year.year, **kw)


def filled_lines(ev) -> dict:
    """Results for the helper's rows: 1180 of 1200 students (short), 100%, 及时 (达成), 0 dropouts, 95% satisfied."""
    out = {}
    for ln in ev.lines.all():
        if ln.comparator == "qualitative":
            out[str(ln.position)] = {"tier": "achieved", "judged_score": "9"}
        elif ln.name == "资助学生人数":
            out[str(ln.position)] = {"actual_value": "1180", "explanation": "部分学生转学"}
        elif ln.comparator == "le":
            out[str(ln.position)] = {"actual_value": "0"}
        else:
            out[str(ln.position)] = {"actual_value": "100" if ln.unit == "%" and ln.weight == 20 else "95"}
    return out


def test_round_covers_every_subject_with_a_budget(cast, a1):
    # a2 is not in the budget (draft); the county's subject is another region's; a zero budget is left out
    in_budget(cast, cast.subjects["b1"], annual_amount=Y("0"))
    in_budget(cast, cast.subjects["a_dept"], annual_amount=Y("500000"))
    rnd = open_round(cast)
    subjects = set(SelfEvaluation.objects.filter(round=rnd).values_list("subject__code", flat=True))
    assert subjects == {cast.subjects["a1"].code, cast.subjects["a_dept"].code}
    ev = SelfEvaluation.objects.get(round=rnd, subject=a1)
    assert (ev.annual_budget, ev.executed, ev.recorded_executed) == (Y("1200000"), Y("1080000"), Y("1080000"))
    assert ev.execution_weight == D(10) and ev.frame_code == "frame_10"
    assert ev.expected_goal == "资助家庭经济困难学生1200人"
    assert [ln.name for ln in ev.lines.all()][0] == "资助学生人数"
    assert ev.lines.get(name="资助学生人数").target_number == D(1200)
    assert ev.execution_rate == D("90.00") and ev.execution_score == D("9.00")  # scored when generated
    assert rnd.summary["tasks"] == 2 and rnd.summary["done"] == 0
    assert services.round_generate(rnd) == 0  # idempotent


def test_round_is_opened_once_by_the_bureau_only(cast, a1):
    with pytest.raises(PermissionDenied):
        services.round_create(actor=actor(cast, "clerk_a"), region=cast.city, year=cast.year.year)
    open_round(cast)
    with pytest.raises(ValidationError) as err:
        open_round(cast)
    assert "已开启" in str(err.value)
    with pytest.raises(ValidationError) as err:
        services.round_create(actor=actor(cast), region=cast.city, year=1999)
    assert "预算年度" in str(err.value)


def test_due_date_from_the_profile(cast, a1):
    policy_services.profile_create_from_preset(actor=actor(cast, "finance_admin"), region=cast.city,
                                               fiscal_year=cast.year.year, preset="zhengzhou_2023")
    rnd = open_round(cast)
    assert rnd.due == datetime.date(cast.year.year + 1, 1, 31)


def test_a_due_date_inside_the_year_is_refused(cast, a1):
    with pytest.raises(ValidationError) as err:
        open_round(cast, due=datetime.date(cast.year.year, 12, 1))
    assert "due" in err.value.message_dict


def test_save_scores_the_sheet_and_lists_what_submission_needs(cast, a1):
    rnd = open_round(cast)
    ev = SelfEvaluation.objects.get(round=rnd, subject=a1)
    unit = actor(cast, "unit_a1")
    problems = services.evaluation_save(actor=unit, evaluation=ev, data={"lines": filled_lines(ev)},
                                        expected_lock_version=ev.lock_version)
    assert list(problems) == ["achieved_goal"]
    ev.refresh_from_db()
    # 9 + 1180/1200×30 = 29.50 + 20 + 9 + 20 + 10 = 97.50
    scores = {ln.name: ln.score for ln in ev.lines.all()}
    assert scores["资助学生人数"] == D("29.50") and scores["资金发放及时性"] == D(9)
    assert (ev.total_score, ev.grade, ev.indicator_score) == (D("97.50"), "excellent", D("88.50"))
    problems = services.evaluation_save(actor=unit, evaluation=ev, data={"achieved_goal": "资助1180人"},
                                        expected_lock_version=ev.lock_version)
    assert problems == {}
    assert AuditEvent.objects.filter(action="update", object_id=str(ev.pk)).count() == 2


def test_submission_needs_the_explanations(cast, a1):
    rnd = open_round(cast)
    ev = SelfEvaluation.objects.get(round=rnd, subject=a1)
    unit = actor(cast, "unit_a1")
    lines = filled_lines(ev)
    first = next(k for k, v in lines.items() if v.get("explanation"))
    lines[first]["explanation"] = ""
    services.evaluation_save(actor=unit, evaluation=ev, data={"lines": lines, "achieved_goal": "资助1180人"},
                             expected_lock_version=ev.lock_version)
    with pytest.raises(ValidationError) as err:
        services.evaluation_transition(actor=unit, evaluation=ev, name="submit")
    assert f"lines.{int(first) + 1}.explanation" in err.value.message_dict
    ev.refresh_from_db()
    assert ev.state == "draft"


def test_low_execution_and_poor_grade_need_their_own_explanations(cast, a1):
    rnd = open_round(cast)
    ev = SelfEvaluation.objects.get(round=rnd, subject=a1)
    unit = actor(cast, "unit_a1")
    lines = {k: {"actual_value": "0", "explanation": "未实施"} if "actual_value" in v and k != "3" else v
             for k, v in filled_lines(ev).items()}
    problems = services.evaluation_save(actor=unit, evaluation=ev, data={
        "lines": lines, "achieved_goal": "未完成", "executed": "300000", "executed_note": "部分支出未入账"},
        expected_lock_version=ev.lock_version)
    assert "funds_explanation" in problems  # 25% < 80%
    assert "conclusion_explanation" in problems  # 差
    ev.refresh_from_db()
    assert ev.grade == "poor" and ev.execution_rate == D("25.00")


def test_review_by_department_then_bureau(cast, a1):
    rnd = open_round(cast)
    ev = SelfEvaluation.objects.get(round=rnd, subject=a1)
    services.evaluation_save(actor=actor(cast, "unit_a1"), evaluation=ev,
                             data={"lines": filled_lines(ev), "achieved_goal": "资助1180人"},
                             expected_lock_version=ev.lock_version)
    ev.refresh_from_db()
    services.evaluation_transition(actor=actor(cast, "unit_a1"), evaluation=ev, name="submit")
    assert ev.state == "submitted" and ev.submitted_at is not None
    with pytest.raises(PermissionDenied):
        services.evaluation_transition(actor=actor(cast, "unit_a1"), evaluation=ev, name="department_pass")
    with pytest.raises(ValidationError):  # a return needs its reason
        services.evaluation_transition(actor=actor(cast, "clerk_a"), evaluation=ev, name="department_return")
    services.evaluation_transition(actor=actor(cast, "clerk_a"), evaluation=ev, name="department_pass")
    services.evaluation_transition(actor=actor(cast, "finance_admin"), evaluation=ev, name="accept")
    assert ev.state == "accepted"
    assert [s.transition for s in steps_for(ev)] == ["submit", "department_pass", "accept"]
    rnd.refresh_from_db()
    assert rnd.summary["done"] == 1 and rnd.summary["accepted"] == 1 and rnd.summary["grades"]["excellent"] == 1
    assert rnd.summary["coverage_pct"] == "100.00"


def test_bad_values_and_stale_versions_change_nothing(cast, a1):
    rnd = open_round(cast)
    ev = SelfEvaluation.objects.get(round=rnd, subject=a1)
    unit = actor(cast, "unit_a1")
    q = ev.lines.get(name="资助学生人数")
    qual = ev.lines.get(comparator="qualitative")
    with pytest.raises(ValidationError) as err:
        services.evaluation_save(actor=unit, evaluation=ev, data={
            "executed": "一百万", "lines": {str(q.position): {"actual_value": "很多"},
                                          str(qual.position): {"tier": "good", "judged_score": "15"},
                                          "99": {"actual_value": "1"}}},
            expected_lock_version=ev.lock_version)
    fields = err.value.message_dict
    assert "executed" in fields and f"lines.{q.position + 1}.actual_value" in fields
    assert f"lines.{qual.position + 1}.tier" in fields and f"lines.{qual.position + 1}.judged_score" in fields
    assert "lines" in fields
    assert "第1行（资助学生人数）" in fields[f"lines.{q.position + 1}.actual_value"][0]
    assert SelfEvaluationLine.objects.get(pk=q.pk).actual_value == ""
    services.evaluation_save(actor=unit, evaluation=ev, data={"achieved_goal": "x"},
                             expected_lock_version=ev.lock_version)
    with pytest.raises(ConcurrentEditError):
        services.evaluation_save(actor=unit, evaluation=ev, data={"achieved_goal": "y"},
                                 expected_lock_version=ev.lock_version - 1)
    with pytest.raises(ValidationError):
        services.evaluation_save(actor=unit, evaluation=ev, data={"executed": 1080000.5},
                                 expected_lock_version=ev.lock_version)


def test_a_corrected_executed_amount_needs_a_reason(cast, a1):
    rnd = open_round(cast)
    ev = SelfEvaluation.objects.get(round=rnd, subject=a1)
    problems = services.evaluation_save(actor=actor(cast, "unit_a1"), evaluation=ev, data={"executed": "1100000"},
                                        expected_lock_version=ev.lock_version)
    assert "executed_note" in problems
    ev.refresh_from_db()
    assert ev.execution_rate == D("91.67")


def test_only_the_unit_and_its_department_edit(cast, a1):
    rnd = open_round(cast)
    ev = SelfEvaluation.objects.get(round=rnd, subject=a1)
    for name in ("unit_a2", "clerk_b", "overseer", "agency_yes"):
        with pytest.raises((PermissionDenied, Http404)):
            services.evaluation_save(actor=actor(cast, name), evaluation=ev, data={"achieved_goal": "x"},
                                     expected_lock_version=ev.lock_version)
    services.evaluation_save(actor=actor(cast, "clerk_a"), evaluation=ev, data={"achieved_goal": "x"},
                             expected_lock_version=ev.lock_version)


def test_batch_scoring_writes_only_what_changed(cast, a1):
    rnd = open_round(cast)
    assert services.score_evaluations(rnd).changed == 0
    SelfEvaluation.objects.filter(round=rnd).update(executed=Y("600000"))
    res = services.score_evaluations(rnd)
    assert (res.evaluations, res.changed) == (1, 1)
    assert SelfEvaluation.objects.get(round=rnd).execution_score == D("5.00")
    dry = services.score_evaluations(rnd, write=False)
    assert dry.changed == 0 and dry.lines == 5
