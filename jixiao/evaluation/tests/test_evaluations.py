"""Department and fiscal evaluations through the nine steps: who organises, each step's documents, the indicator
system's weight rules, scoring and grade, re-evaluation, agencies."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from jixiao.budget.models import SubjectGrant
from jixiao.evaluation import evaluations as ev_services
from jixiao.evaluation.workflows import STEP_DOCUMENTS, STEPS, EvaluationStep
from jixiao.monitoring.tests.helpers import actor

pytestmark = pytest.mark.django_db

SYSTEM = [
    {"level1": "decision", "level2": "项目立项", "name": "立项依据充分性", "weight": "15", "score": "14"},
    {"level1": "process", "level2": "资金管理", "name": "资金使用合规性", "weight": "20", "score": "18"},
    {"level1": "output", "level2": "产出数量", "name": "资助人数完成率", "weight": "35", "score": "33"},
    {"level1": "benefit", "level2": "社会效益", "name": "因贫辍学情况", "weight": "30", "score": "27"},
]


def create(cast, who="clerk_a", kind="department", subject="a1", **kw):
    return ev_services.evaluation_create(actor=actor(cast, who), subject=cast.subjects[subject], kind=kind,
                                         year=cast.year.year, title="学生资助项目绩效评价", scope="2026年度资金", **kw)


def run_to(cast, ev, who, last_step):
    """Complete steps up to (not including) `last_step`, adding each step's documents."""
    for step in STEPS[:STEPS.index(last_step)]:
        for kind in STEP_DOCUMENTS[step]:
            ev_services.document_add(actor=actor(cast, who), evaluation=ev, kind=kind, title=f"{kind}材料")
        if step == EvaluationStep.FINAL:
            ev_services.indicators_save(actor=actor(cast, who), evaluation=ev, rows=SYSTEM,
                                        expected_lock_version=ev.lock_version)
            ev.refresh_from_db()
            ev_services.evaluation_update(actor=actor(cast, who), evaluation=ev, data={"conclusion": "总体较好"},
                                          expected_lock_version=ev.lock_version)
            ev.refresh_from_db()
        ev_services.evaluation_transition(actor=actor(cast, who), evaluation=ev, name=f"complete_{step.value}")
        ev.refresh_from_db()


def test_department_runs_its_evaluation_through_the_nine_steps(cast):
    ev = create(cast)
    assert ev.state == "scope" and ev.unit_id is None and ev.profile_id
    run_to(cast, ev, "clerk_a", EvaluationStep.ARCHIVED)
    assert ev.state == "archived" and ev.archived_at is not None
    assert (ev.total_score, ev.grade) == (D(92), "excellent")
    assert ev.documents.count() == sum(len(v) for v in STEP_DOCUMENTS.values())


def test_a_step_needs_its_documents(cast):
    ev = create(cast)
    ev_services.evaluation_transition(actor=actor(cast, "clerk_a"), evaluation=ev, name="complete_scope")
    ev.refresh_from_db()
    with pytest.raises(ValidationError) as err:
        ev_services.evaluation_transition(actor=actor(cast, "clerk_a"), evaluation=ev, name="complete_notice")
    assert "评价通知" in str(err.value)
    with pytest.raises(ValidationError) as err:  # not a document of this step
        ev_services.document_add(actor=actor(cast, "clerk_a"), evaluation=ev, kind="report", title="报告")
    assert "可添加的材料" in str(err.value)


def test_the_final_conclusion_needs_a_valid_scored_system(cast):
    ev = create(cast)
    run_to(cast, ev, "clerk_a", EvaluationStep.FINAL)
    ev_services.document_add(actor=actor(cast, "clerk_a"), evaluation=ev, kind="final_conclusion", title="结论")
    low = [dict(r) for r in SYSTEM]
    low[0]["weight"], low[2]["weight"], low[2]["score"] = "30", "20", "18"  # output + benefit = 50 < 60
    warnings = ev_services.indicators_save(actor=actor(cast, "clerk_a"), evaluation=ev, rows=low,
                                           expected_lock_version=ev.lock_version)
    assert warnings and "不低于60%" in warnings[0]
    ev.refresh_from_db()
    with pytest.raises(ValidationError) as err:
        ev_services.evaluation_transition(actor=actor(cast, "clerk_a"), evaluation=ev, name="complete_final")
    assert "indicators" in err.value.message_dict and "conclusion" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        ev_services.indicators_save(actor=actor(cast, "clerk_a"), evaluation=ev, rows=[
            {"level1": "bogus", "name": "", "weight": "-1", "score": "5"}], expected_lock_version=ev.lock_version)
    assert {"rows.1.level1", "rows.1.name", "rows.1.weight"} <= set(err.value.message_dict)


def test_who_organises_what(cast):
    with pytest.raises(Http404):
        create(cast, who="clerk_b")  # another department's subject: not even visible
    with pytest.raises((PermissionDenied, Http404)):
        create(cast, who="unit_a1")
    with pytest.raises(PermissionDenied):
        create(cast, who="clerk_a", kind="fiscal")
    fiscal = create(cast, who="finance_admin", kind="fiscal", agency=cast.agency_yes)
    assert SubjectGrant.objects.filter(subject=cast.subjects["a1"], agency=cast.agency_yes, purpose="财政评价").exists()
    ev_services.evaluation_transition(actor=actor(cast, "finance_admin"), evaluation=fiscal, name="complete_scope")
    fiscal.refresh_from_db()
    ev_services.document_add(actor=actor(cast, "agency_yes"), evaluation=fiscal, kind="notice", title="通知")
    with pytest.raises(PermissionDenied):
        ev_services.document_add(actor=actor(cast, "agency_no"), evaluation=fiscal, kind="notice", title="通知")
    with pytest.raises(ValidationError):
        create(cast, who="finance_admin", kind="fiscal", subject="a1_secret", agency=cast.agency_yes)


def test_re_evaluation_of_an_archived_evaluation(cast):
    ev = create(cast)
    with pytest.raises(ValidationError) as err:
        create(cast, who="finance_admin", kind="re_evaluation", reviewed=ev)
    assert "已归档" in str(err.value)
    run_to(cast, ev, "clerk_a", EvaluationStep.ARCHIVED)
    again = create(cast, who="finance_admin", kind="re_evaluation", reviewed=ev)
    assert again.reviewed == ev and again.workflow.name == "fiscal_evaluation"
