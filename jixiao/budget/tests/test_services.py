"""Writes to the project library: validation (per field, in Chinese), authorisation, optimistic locking, audit."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from jixiao.budget import hooks, rules, services
from jixiao.budget.models import PerformanceSubject
from jixiao.budget.tests.helpers import actor, subject_data, yuan
from jixiao.core.audit import history_for
from jixiao.core.models import AuditEvent
from jixiao.core.workflow import ConcurrentEditError, WorkflowError

D = datetime.date


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


def test_create_writes_a_draft_with_an_audit_row(cast):
    s = services.subject_create(actor=actor(cast, "unit_a1"), data=subject_data(cast))
    assert (s.state, s.region, s.revision, s.lock_version) == ("draft", cast.city, 1, 1)
    assert s.created_by == cast.users["unit_a1"]
    event = history_for(s).get()
    assert event.action == "create" and event.after["annual_amount"] == "500000.00"
    assert event.after["code"] == "150500269990000000001"


def test_blank_total_defaults_to_annual_and_text_is_stripped(cast):
    s = services.subject_create(actor=actor(cast, "unit_a1"),
                                data=subject_data(cast, total_amount=None, name="  校园安全  "))
    assert s.total_amount == yuan("500000") and s.name == "校园安全"


@pytest.mark.parametrize("overrides,field,message", [
    ({"code": ""}, "code", "项目编码不能为空"),
    ({"code": "项目-1"}, "code", "只能包含数字、字母"),
    ({"code": "1" * 41}, "code", "不能超过40位"),
    ({"name": ""}, "name", "项目名称不能为空"),
    ({"annual_amount": yuan("-1")}, "annual_amount", "不能为负数"),
    ({"total_amount": yuan("100")}, "total_amount", "不能小于年度预算金额"),
    ({"adjusted_amount": yuan("-5")}, "adjusted_amount", "不能为负数"),
    ({"start_date": D(2026, 5, 1), "end_date": D(2026, 4, 1)}, "end_date", "结束日期不能早于开始日期"),
    ({"is_classified": True, "classified_reason": " "}, "classified_reason", "备案的原因"),
    ({"unit": "unit_b1"}, "unit", "不属于该主管部门"),
    ({"special_category": "special_bond"}, "budget_kind", "政府性基金预算"),
    ({"special_category": "ppp"}, "start_date", "全生命周期"),
    ({"kind": "department_wide"}, "unit", "部门整体支出"),
    ({"budget_kind": "social_insurance", "special_category": "procurement"}, "special_category", "社会保险基金"),
])
def test_validation_is_per_field_and_in_chinese(cast, overrides, field, message):
    if overrides.get("unit") == "unit_b1":
        overrides["unit"] = cast.unit_b1
    with pytest.raises(ValidationError) as exc:
        services.subject_create(actor=actor(cast, "clerk_a"), data=subject_data(cast, **overrides))
    assert any(message in m for m in errors_of(exc)[field]), errors_of(exc)
    assert not PerformanceSubject.objects.filter(code=subject_data(cast)["code"]).exists()


def test_special_bond_with_fund_budget_and_dates_is_valid(cast):
    s = services.subject_create(actor=actor(cast, "unit_a1"), data=subject_data(
        cast, special_category="special_bond", budget_kind="government_fund", start_date=D(2025, 9, 1),
        end_date=D(2027, 8, 31)))
    assert s.special_category == "special_bond"


def test_code_is_unique_per_region_and_year(cast):
    taken = cast.subjects["a2"].code
    with pytest.raises(ValidationError) as exc:
        services.subject_create(actor=actor(cast, "unit_a1"), data=subject_data(cast, code=taken))
    assert "不能重复" in errors_of(exc)["code"][0]
    # the same code in another region is fine
    county_code = cast.subjects["county"].code
    services.subject_create(actor=actor(cast, "unit_a1"), data=subject_data(cast, code=county_code))


def test_classified_subject_gets_a_filing_date(cast):
    s = services.subject_create(actor=actor(cast, "unit_a1"), data=subject_data(
        cast, is_classified=True, classified_reason="涉及国家秘密，已报市财政局备案"))
    assert s.classified_filed_at is not None
    s2 = services.subject_create(actor=actor(cast, "unit_a1"), data=subject_data(
        cast, code="X2", classified_reason="不涉密时应被清除"))
    assert s2.classified_reason == ""


@pytest.mark.parametrize("user", ["unit_a2", "clerk_b", "finance_admin", "officer_a", "overseer", "agency_yes"])
def test_create_outside_reach_is_refused(cast, user):
    with pytest.raises(PermissionDenied):
        services.subject_create(actor=actor(cast, user), data=subject_data(cast))


def test_department_creates_its_own_and_its_units_subjects(cast):
    clerk = actor(cast, "clerk_a")
    services.subject_create(actor=clerk, data=subject_data(cast, unit=cast.unit_a2))
    s = services.subject_create(actor=clerk, data=subject_data(cast, code="D1", unit=None, kind="department_wide"))
    assert s.unit is None


def test_update_records_before_and_after(cast):
    s = cast.subjects["a1"]
    data = subject_data(cast, code=s.code, name="学生资助项目（调整）", annual_amount=yuan("1200000"),
                        total_amount=yuan("1200000"))
    services.subject_update(actor=actor(cast, "unit_a1"), subject=s, data=data, expected_lock_version=1)
    s.refresh_from_db()
    assert s.lock_version == 2 and s.annual_amount == yuan("1200000")
    event = AuditEvent.objects.get(object_id=str(s.pk), action="update")
    assert event.before["name"] == "学生资助项目" and event.after["name"] == "学生资助项目（调整）"
    assert event.before["annual_amount"] == "1000000.00" and event.after["annual_amount"] == "1200000.00"
    assert "lock_version" not in event.after


def test_stale_edit_is_refused_and_nothing_is_overwritten(cast):
    s = cast.subjects["a1"]
    first = PerformanceSubject.objects.get(pk=s.pk)
    second = PerformanceSubject.objects.get(pk=s.pk)
    unit = actor(cast, "unit_a1")
    services.subject_update(actor=unit, subject=first, data=subject_data(cast, code=s.code, name="甲的修改"),
                            expected_lock_version=1)
    with pytest.raises(ConcurrentEditError):
        services.subject_update(actor=unit, subject=second, data=subject_data(cast, code=s.code, name="乙的修改"),
                                expected_lock_version=1)
    s.refresh_from_db()
    assert s.name == "甲的修改" and s.lock_version == 2
    assert AuditEvent.objects.filter(object_id=str(s.pk), action="update").count() == 1


def test_a_transition_makes_an_open_edit_stale(cast):
    s = cast.subjects["a1"]
    unit = actor(cast, "unit_a1")
    services.subject_transition(actor=unit, subject=PerformanceSubject.objects.get(pk=s.pk), name="submit")
    services.subject_transition(actor=unit, subject=PerformanceSubject.objects.get(pk=s.pk), name="withdraw")
    with pytest.raises(ConcurrentEditError):
        services.subject_update(actor=unit, subject=PerformanceSubject.objects.get(pk=s.pk),
                                data=subject_data(cast, code=s.code), expected_lock_version=1)


def test_update_refused_when_locked_by_the_workflow(cast):
    s = cast.subjects["a1"]
    services.subject_transition(actor=actor(cast, "unit_a1"), subject=s, name="submit")
    with pytest.raises(WorkflowError, match="不能修改"):
        services.subject_update(actor=actor(cast, "unit_a1"), subject=s, data=subject_data(cast, code=s.code),
                                expected_lock_version=s.lock_version)


def test_update_cannot_move_subject_out_of_reach(cast):
    s = cast.subjects["a1"]
    with pytest.raises(PermissionDenied):
        services.subject_update(actor=actor(cast, "unit_a1"), subject=s,
                                data=subject_data(cast, code=s.code, unit=cast.unit_a2), expected_lock_version=1)
    with pytest.raises(Http404):
        services.subject_update(actor=actor(cast, "unit_a2"), subject=s, data=subject_data(cast, code=s.code),
                                expected_lock_version=1)
    with pytest.raises(PermissionDenied):
        services.subject_update(actor=actor(cast, "finance_admin"), subject=s,
                                data=subject_data(cast, code=s.code), expected_lock_version=1)


def test_delete_only_never_approved_drafts(cast):
    s = cast.subjects["a2"]
    pk = s.pk
    services.subject_delete(actor=actor(cast, "unit_a2"), subject=s, expected_lock_version=1)
    assert not PerformanceSubject.objects.filter(pk=pk).exists()
    assert AuditEvent.objects.filter(object_id=str(pk), action="delete").get().before["name"] == "校舍维修项目"

    a1 = cast.subjects["a1"]
    services.subject_transition(actor=actor(cast, "unit_a1"), subject=a1, name="submit")
    with pytest.raises(WorkflowError, match="只能删除草稿"):
        services.subject_delete(actor=actor(cast, "unit_a1"), subject=a1)
    services.subject_transition(actor=actor(cast, "clerk_a"), subject=a1, name="department_approve")
    services.subject_transition(actor=actor(cast, "finance_admin"), subject=a1, name="approve")
    services.subject_transition(actor=actor(cast, "unit_a1"), subject=a1, name="start_adjustment", comment="追加")
    assert a1.state == "draft"
    with pytest.raises(WorkflowError, match="已有入库版本"):
        services.subject_delete(actor=actor(cast, "unit_a1"), subject=a1)


def test_delete_with_stale_version_is_refused(cast):
    s = cast.subjects["a2"]
    with pytest.raises(ConcurrentEditError):
        services.subject_delete(actor=actor(cast, "unit_a2"), subject=s, expected_lock_version=7)
    assert PerformanceSubject.objects.filter(pk=s.pk).exists()


def test_submission_needs_an_amount(cast):
    s = cast.subjects["a1"]
    PerformanceSubject.objects.filter(pk=s.pk).update(annual_amount=0)
    s.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.subject_transition(actor=actor(cast, "unit_a1"), subject=s, name="submit")
    assert "年度预算金额为0" in exc.value.messages[0]
    s.refresh_from_db()
    assert s.state == "draft"


def test_transition_hooks_can_refuse(cast):
    def goals_gate(*, actor, subject, name):
        return ["绩效目标尚未审核通过，不能入库"] if name == "approve" else []

    hooks.register_transition_check(goals_gate)
    try:
        s = cast.subjects["a1"]
        services.subject_transition(actor=actor(cast, "unit_a1"), subject=s, name="submit")
        services.subject_transition(actor=actor(cast, "clerk_a"), subject=s, name="department_approve")
        with pytest.raises(ValidationError, match="绩效目标尚未审核通过"):
            services.subject_transition(actor=actor(cast, "finance_admin"), subject=s, name="approve")
    finally:
        hooks.unregister_transition_check(goals_gate)


def test_transition_permission_errors_come_from_the_workflow(cast):
    s = cast.subjects["a1"]
    with pytest.raises(Http404):
        services.subject_transition(actor=actor(cast, "unit_a2"), subject=s, name="submit")
    with pytest.raises(WorkflowError, match="未知操作"):
        services.subject_transition(actor=actor(cast, "unit_a1"), subject=s, name="bogus")


def test_rules_monthly_from_cumulative():
    m = {1: yuan(100), 2: yuan(250), 3: yuan(250)}
    monthly, errors = rules.monthly_from_cumulative(m, {})
    assert monthly == {1: yuan(100), 2: yuan(150), 3: yuan(0)} and not errors
    monthly, errors = rules.monthly_from_cumulative({4: yuan(500)}, {1: yuan(100), 2: yuan(100), 3: yuan(100)})
    assert monthly == {4: yuan(200)}
    _, errors = rules.monthly_from_cumulative({4: yuan(500)}, {1: yuan(100)})
    assert "缺少3月" in errors[4]
    _, errors = rules.monthly_from_cumulative({1: yuan(300), 2: yuan(200)}, {})
    assert "小于上月累计" in errors[2]


def test_rules_execution_rate():
    assert str(rules.execution_rate(yuan(1), yuan(3))) == "33.3"
    assert rules.execution_rate(yuan(1), yuan(0)) is None


def test_create_without_total_on_a_fresh_instance(cast):
    data = subject_data(cast)
    del data["total_amount"]  # the unsaved instance's default is a bare int 0
    s = services.subject_create(actor=actor(cast, "unit_a1"), data=data)
    assert s.total_amount == yuan("500000")
