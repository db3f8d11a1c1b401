"""The gate (checklist rules 4 and 10): no path — the service, the API, the screen, the budget import, a mid-year
addition — puts a subject into the project library or gives it money without the goals (and, where the profile asks
for one, the supported ex-ante assessment) that the profile demands. The real default profile: budget_gate on,
assessment threshold 500万, simplified assessment below it for new subjects."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from jixiao.budget import services as budget
from jixiao.budget.imports import subject_import
from jixiao.budget.models import BudgetLine, PerformanceSubject
from jixiao.budget.tests.helpers import HEADER, line, xlsx
from jixiao.core.money import Money
from jixiao.core.permissions import actor_for
from jixiao.exante.models import ExAnteAssessment
from jixiao.goals import gate
from jixiao.goals.models import GoalSheet

pytestmark = pytest.mark.django_db


def actor(cast, name="finance_admin"):
    return actor_for(cast.users[name])


def ready_for_approval(subject, **fields):
    """Put a subject where the bureau approves it (待财政审核), with the given values."""
    PerformanceSubject.objects.filter(pk=subject.pk).update(state="department_approved", **fields)
    subject.refresh_from_db()
    return subject


def goal_sheet(cast, subject, state):
    return GoalSheet.objects.create(subject=subject, fiscal_year=subject.fiscal_year, region=subject.region,
                                    department=subject.department, unit=subject.unit, frame_code="frame_10",
                                    state=state, created_by=cast.users["unit_a1"])


def assessment(cast, subject, state, **fields):
    return ExAnteAssessment.objects.create(subject=subject, fiscal_year=subject.fiscal_year, region=subject.region,
                                           department=subject.department, unit=subject.unit, state=state,
                                           created_by=cast.users["clerk_a"], **fields)


def approve(cast, subject, user="finance_admin"):
    return budget.subject_transition(actor=actor(cast, user), subject=subject, name="approve")


def refused(cast, subject, *fragments):
    """Approval is refused with messages holding every fragment, and the subject is left as it was."""
    with pytest.raises(ValidationError) as exc:
        approve(cast, subject)
    text = "；".join(exc.value.messages)
    for fragment in fragments:
        assert fragment in text, text
    subject.refresh_from_db()
    assert subject.state == "department_approved" and subject.revision == 1
    return text


@pytest.fixture
def big_new(cast):
    """a1 (学生资助项目, unit_a1), new and 600万: the profile demands goals and a full ex-ante assessment."""
    return ready_for_approval(cast.subjects["a1"], annual_amount=Money.from_yuan("6000000"), scope_kind="new")


def test_the_gate_is_installed_with_the_default_profile(cast):
    from jixiao.budget import hooks
    from jixiao.policy.selectors import effective_profile

    assert effective_profile(cast.city, 2026).params.goals.budget_gate is True
    assert gate.transition_check in hooks._transition_checks and gate.import_check in hooks._import_checks


def test_no_goal_sheet(cast, big_new):
    refused(cast, big_new, "不能入库：尚未编制绩效目标", "须开展事前绩效评估")


@pytest.mark.parametrize("state", ["draft", "submitted", "department_passed", "edits_requested", "returned",
                                   "rejected"])
def test_a_goal_sheet_that_has_not_passed(cast, big_new, state):
    goal_sheet(cast, big_new, state)
    assessment(cast, big_new, "supported", requirement="full", finance_opinion="support")
    label = GoalSheet(state=state).get_state_display()
    text = refused(cast, big_new, f"绩效目标尚未审核通过（当前为“{label}”）")
    assert "事前评估" not in text


def test_goals_passed_but_the_required_assessment_missing(cast, big_new):
    goal_sheet(cast, big_new, "passed")
    text = refused(cast, big_new, "须开展事前绩效评估，尚未评估")
    assert "绩效目标" not in text


@pytest.mark.parametrize("state, fragment", [
    ("draft", "尚未获得财政审核意见“支持”"),
    ("submitted", "尚未获得财政审核意见“支持”"),
    ("returned", "退回调整完善"),
])
def test_an_assessment_without_support(cast, big_new, state, fragment):
    goal_sheet(cast, big_new, "passed")
    assessment(cast, big_new, state, requirement="full")
    refused(cast, big_new, fragment)


def test_an_assessment_not_supported_blocks_re_application(cast, big_new):
    goal_sheet(cast, big_new, "approved")
    until = timezone.localdate() + datetime.timedelta(days=200)
    assessment(cast, big_new, "not_supported", requirement="full", finance_opinion="no_support", blocked_until=until)
    refused(cast, big_new, "不予支持", f"{until:%Y年%m月%d日}前不得再次申报")


def test_the_latest_assessment_decides(cast, big_new):
    goal_sheet(cast, big_new, "passed")
    assessment(cast, big_new, "not_supported", requirement="full", finance_opinion="no_support")
    refused(cast, big_new, "不予支持")
    assessment(cast, big_new, "supported", requirement="full", finance_opinion="support")
    approve(cast, big_new)
    assert big_new.state == "approved"


@pytest.mark.parametrize("sheet_state", ["passed", "approved", "issued"])
def test_allowed_with_passed_goals_and_a_supported_assessment(cast, big_new, sheet_state):
    goal_sheet(cast, big_new, sheet_state)
    assessment(cast, big_new, "supported", requirement="full", finance_opinion="support",
               requested_amount=Money.from_yuan("9000000"), approved_amount=Money.from_yuan("6000000"))
    approve(cast, big_new)
    big_new.refresh_from_db()
    assert (big_new.state, big_new.revision) == ("approved", 1)


def test_allowed_with_an_accepted_exemption(cast):
    secret = ready_for_approval(cast.subjects["a1_secret"], annual_amount=Money.from_yuan("8000000"))
    goal_sheet(cast, secret, "passed")
    assessment(cast, secret, "submitted", requirement="full", exemption_kind="classified",
               exemption_reason="涉及国家秘密")
    refused(cast, secret, "尚未获得财政审核意见“支持”")
    ExAnteAssessment.objects.filter(subject=secret).update(state="exempted")
    approve(cast, secret)
    assert secret.state == "approved"


def test_below_the_threshold_a_new_subject_needs_a_simplified_assessment(cast):
    small = ready_for_approval(cast.subjects["a2"], annual_amount=Money.from_yuan("300000"), scope_kind="new")
    goal_sheet(cast, small, "passed")
    refused(cast, small, "尚未完成简易事前评估")
    assessment(cast, small, "supported", requirement="simplified", finance_opinion="support")
    approve(cast, small)
    assert small.state == "approved"


@pytest.mark.parametrize("scope_kind", ["changed", "renewed"])
def test_changed_and_renewed_subjects_are_assessed_again(cast, scope_kind):
    s = ready_for_approval(cast.subjects["a2"], annual_amount=Money.from_yuan("6000000"), scope_kind=scope_kind,
                           is_new=False)
    goal_sheet(cast, s, "approved")
    refused(cast, s, "须开展事前绩效评估")


def test_continuing_subjects_and_whole_budgets_need_goals_only(cast):
    continuing = ready_for_approval(cast.subjects["a2"], annual_amount=Money.from_yuan("60000000"),
                                    scope_kind="continuing", is_new=False)
    refused(cast, continuing, "尚未编制绩效目标")
    goal_sheet(cast, continuing, "issued")
    approve(cast, continuing)
    assert continuing.state == "approved"
    whole = ready_for_approval(cast.subjects["a_dept"], scope_kind="new")  # department_wide: never assessed
    text = refused(cast, whole, "尚未编制绩效目标")
    assert "事前评估" not in text
    goal_sheet(cast, whole, "passed")
    approve(cast, whole)
    assert whole.state == "approved"


def test_other_transitions_are_not_gated(cast):
    s = cast.subjects["a2"]
    budget.subject_transition(actor=actor(cast, "unit_a2"), subject=s, name="submit")
    assert s.state == "submitted"  # submitting a project without goals yet is how the work starts


# ---- the API and the screen -------------------------------------------------------------------------------------------

def test_api_refuses_with_the_reason(client, cast, big_new):
    goal_sheet(cast, big_new, "submitted")
    client.force_login(cast.finance_admin)
    r = client.post(f"/api/budget/subjects/{big_new.pk}/transition", {"name": "approve", "comment": ""},
                    content_type="application/json")
    assert r.status_code == 400
    body = r.json()
    assert "绩效目标尚未审核通过（当前为“待主管部门审核”）" in str(body) and "须开展事前绩效评估" in str(body)
    big_new.refresh_from_db()
    assert big_new.state == "department_approved"
    # once the goals have passed and the assessment supports it, the same call approves
    GoalSheet.objects.filter(subject=big_new).update(state="passed")
    assessment(cast, big_new, "supported", requirement="full", finance_opinion="support")
    r = client.post(f"/api/budget/subjects/{big_new.pk}/transition", {"name": "approve"},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "approved"


def test_screen_shows_the_reason_and_changes_nothing(client, cast, big_new):
    client.force_login(cast.finance_admin)
    url = reverse("budget:subject_transition", args=[big_new.pk])
    r = client.post(url, {"transition": "approve", "lock_version": big_new.lock_version}, follow=True)
    assert r.status_code == 200
    text = r.content.decode()
    assert "操作未执行" in text and "不能入库：尚未编制绩效目标" in text and "须开展事前绩效评估" in text
    big_new.refresh_from_db()
    assert (big_new.state, big_new.lock_version) == ("department_approved", 1)


# ---- the budget import --------------------------------------------------------------------------------------------------

def run_import(cast, rows, user="finance_admin"):
    return subject_import(actor=actor(cast, user), region=cast.city, data=xlsx([HEADER, *rows]), filename="预算.xlsx")


def test_import_refuses_money_for_a_new_project_naming_the_row(cast):
    before = (PerformanceSubject.objects.count(), BudgetLine.objects.count())
    result = run_import(cast, [line(code="P000", name="校园绿化", initial="0"),
                               line(code="P001", name="学生营养餐补助", initial="100000")])
    assert not result.ok
    messages = [str(e) for e in result.errors]
    assert messages == ["第3行“预算指标”列：项目“P001 学生营养餐补助”不能安排预算：尚未编制绩效目标（无绩效目标不得安排预算，"
                        "请先在本系统申报项目及绩效目标）"]
    assert (PerformanceSubject.objects.count(), BudgetLine.objects.count()) == before  # nothing written


def test_import_of_a_new_project_without_money_is_accepted(cast):
    result = run_import(cast, [line(code="P000", name="校园绿化", initial="0")])
    assert result.ok, [str(e) for e in result.errors]
    assert PerformanceSubject.objects.filter(code="P000").exists()


def import_row_for(subject, initial="100000"):
    return line(code=subject.code, name=subject.name, unit=subject.unit.code, unit_name=subject.unit.name,
                initial=initial)


def test_import_of_an_existing_subject(cast):
    s = cast.subjects["a2"]  # 校舍维修项目, new, 100万 → goals and a simplified assessment
    result = run_import(cast, [import_row_for(s)])
    assert not result.ok and "尚未编制绩效目标（无绩效目标不得进入项目库、不得安排预算）" in str(result.errors[0])
    goal_sheet(cast, s, "draft")
    result = run_import(cast, [import_row_for(s)])
    assert "绩效目标尚未审核通过（当前为“草稿”）" in str(result.errors[0])
    GoalSheet.objects.filter(subject=s).update(state="passed")
    result = run_import(cast, [import_row_for(s)])
    assert [str(e) for e in result.errors] == [
        f"第2行“预算指标”列：项目“{s.code} {s.name}”不能安排预算：尚未完成简易事前评估（门槛以下的新增项目须出具简要评估报告）"]
    assert not s.budget_lines.exists()
    assessment(cast, s, "supported", requirement="simplified", finance_opinion="support")
    result = run_import(cast, [import_row_for(s)])
    assert result.ok, [str(e) for e in result.errors]
    assert s.budget_lines.get().initial_amount == Money.from_yuan("100000")


def test_one_refused_project_refuses_the_whole_file(cast):
    ok = cast.subjects["a2"]
    goal_sheet(cast, ok, "approved")
    PerformanceSubject.objects.filter(pk=ok.pk).update(scope_kind="continuing")
    result = run_import(cast, [import_row_for(ok), line(code="P009", name="新增项目", initial="5")])
    assert [e.row for e in result.errors] == [3]
    assert not ok.budget_lines.exists()


# ---- mid-year additions -------------------------------------------------------------------------------------------------

def test_a_mid_year_addition_needs_its_adjusted_goals_passed_again(cast):
    from jixiao.goals import services as goals

    s = ready_for_approval(cast.subjects["a1"], scope_kind="continuing", is_new=False)
    sheet = goal_sheet(cast, s, "passed")
    approve(cast, s)
    GoalSheet.objects.filter(pk=sheet.pk).update(state="issued")
    sheet.refresh_from_db()
    # 年中追加: the approved subject is reopened with its goals, resubmitted and reviewed
    unit = actor(cast, "unit_a1")
    budget.subject_transition(actor=unit, subject=s, name="start_adjustment", comment="年中追加预算")
    goals.goal_sheet_transition(actor=unit, sheet=sheet, name="start_adjustment", comment="追加后调整绩效目标",
                                budget_adjustment_ref="通财预〔2026〕18号")
    assert (s.state, s.revision, sheet.state, sheet.revision) == ("draft", 2, "draft", 2)
    budget.subject_transition(actor=unit, subject=s, name="submit")
    budget.subject_transition(actor=actor(cast, "clerk_a"), subject=s, name="department_approve")
    with pytest.raises(ValidationError) as exc:
        approve(cast, s)
    assert "绩效目标尚未审核通过（当前为“草稿”）" in "；".join(exc.value.messages)
    s.refresh_from_db()
    assert (s.state, s.revision) == ("department_approved", 2)
    GoalSheet.objects.filter(pk=sheet.pk).update(state="passed")  # reviewed again and passed
    approve(cast, s)
    assert (s.state, s.revision) == ("approved", 2)


def test_a_mid_year_addition_that_keeps_its_goals(cast):
    s = ready_for_approval(cast.subjects["a1"], scope_kind="continuing", is_new=False)
    goal_sheet(cast, s, "approved")
    approve(cast, s)
    budget.subject_transition(actor=actor(cast, "unit_a1"), subject=s, name="start_adjustment", comment="追加")
    PerformanceSubject.objects.filter(pk=s.pk).update(state="department_approved")
    s.refresh_from_db()
    approve(cast, s)
    assert (s.state, s.revision) == ("approved", 2)


def test_a_new_mid_year_project_is_gated_like_any_other(cast):
    s = budget.subject_create(actor=actor(cast, "unit_a1"), data={
        "fiscal_year": cast.year, "code": "150500269990000000001", "name": "年中新增校园安全设施改造", "kind": "project",
        "project_category": "specific", "budget_kind": "general_public", "special_category": "", "department": cast.dept_a,
        "unit": cast.unit_a1, "is_new": True, "start_date": None, "end_date": None, "functional_class": "2050204",
        "functional_class_name": "高中教育", "sector": "教育", "description": "", "annual_amount": Money.from_yuan("800000"),
        "total_amount": Money.from_yuan("800000"), "adjusted_amount": None, "is_classified": False,
        "classified_reason": "", "classified_filed_at": None, "is_research": False})
    budget.subject_transition(actor=actor(cast, "unit_a1"), subject=s, name="submit")
    budget.subject_transition(actor=actor(cast, "clerk_a"), subject=s, name="department_approve")
    refused(cast, s, "尚未编制绩效目标", "尚未完成简易事前评估")
