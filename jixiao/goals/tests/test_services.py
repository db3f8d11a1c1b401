"""Goal sheet services: create, save (atomic, locked, audited), the review rounds and their outcomes, approval with
the budget, passing down, adjustment with versions, deadlines on the working-day calendar, permissions."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from jixiao.core.audit import history_for
from jixiao.core.money import Money
from jixiao.core.permissions import actor_for
from jixiao.core.testing import make_subject
from jixiao.core.workflow import ConcurrentEditError, WorkflowError, steps_for, versions_for
from jixiao.goals import gate, selectors, services
from jixiao.goals.data import RowData, SheetData
from jixiao.goals.models import GoalIndicator, GoalReview, GoalSheet
from jixiao.goals.workflows import GoalState, ReviewLevel
from jixiao.indicators.models import Indicator, IndicatorStatus

G = GoalState
POINTS = ("format", "clarity", "goal_relevance", "indicator_soundness", "performance", "funding_match",
          "achievability", "conditions")


# ---- helpers (also used by the selector and API tests) --------------------------------------------------------------

def actor(cast, name):
    return actor_for(cast.users[name])


def row(n, level1, level2, name, weight, *, target="100", unit="%", comparator="ge", **extra):
    values = {"row": n, "level1": level1, "level2": level2, "name": name, "comparator": comparator,
              "target_value": target, "unit": unit, "weight": Decimal(weight) if weight is not None else None,
              "explanation": f"{name}的计算口径", "value_basis": "plan", "value_method": "统计汇总",
              "data_source": "单位统计台账", "evidence_type": "统计报表"}
    values.update(extra)
    return RowData(**values)


def valid_rows() -> list[RowData]:
    """A complete sheet on the 10号 frame: 产出 50, 效益 30, 满意度 10 (the 执行率 10 is not a row)."""
    return [
        row(1, "output", "数量指标", "资助家庭经济困难学生人数", "20", target="500", unit="人"),
        row(2, "output", "质量指标", "资助对象认定准确率", "15", target="98"),
        row(3, "output", "时效指标", "资助资金按时发放率", "15", target="100"),
        row(4, "benefit", "社会效益指标", "困难学生因贫辍学人数", "30", target="0", unit="人", comparator="le"),
        row(5, "satisfaction", "服务对象满意度指标", "受助学生满意度", "10", target="90"),
    ]


def valid_data(rows=None) -> SheetData:
    return SheetData(
        overall_goal="保障家庭经济困难学生顺利完成学业", annual_goal="2026年资助家庭经济困难学生500人，资金按时足额发放",
        policy_basis="学生资助管理办法", calculation_basis="按资助标准和人数测算",
        survey_plan="学期末对受助学生开展问卷调查", rows=valid_rows() if rows is None else rows)


def dept_data() -> SheetData:
    """A department-wide sheet: the rows plus duties and main tasks."""
    data = valid_data()
    data.duties = "负责全市基础教育和学生资助工作"
    data.main_tasks = [{"name": "学生资助", "content": "资助家庭经济困难学生", "amount": Money.from_yuan("800000")}]
    return data


def grades(value, **overrides):
    out = dict.fromkeys(POINTS, value)
    out.update(overrides)
    return out


def create(cast, who="unit_a1", key="a1"):
    return services.goal_sheet_create(actor=actor(cast, who), subject=cast.subjects[key])


def save(cast, sheet, data=None, who="unit_a1", **kwargs):
    sheet.refresh_from_db()
    return services.goal_sheet_save(actor=actor(cast, who), sheet=sheet, data=data or valid_data(),
                                    expected_lock_version=sheet.lock_version, **kwargs)


def transition(cast, sheet, name, who="unit_a1", **kwargs):
    sheet.refresh_from_db()
    return services.goal_sheet_transition(actor=actor(cast, who), sheet=sheet, name=name, **kwargs)


def review(cast, sheet, who, value, comment="", **kwargs):
    sheet.refresh_from_db()
    return services.goal_sheet_review(actor=actor(cast, who), sheet=sheet, point_grades=grades(value, **kwargs),
                                      comment=comment)


def submitted(cast, who="unit_a1", key="a1"):
    sheet = create(cast, who, key)
    save(cast, sheet, dept_data() if sheet.kind == "department_wide" else None, who=who)
    transition(cast, sheet, "submit", who=who)
    sheet.refresh_from_db()
    return sheet


def passed(cast):
    """A unit's sheet through department 优 and bureau 优."""
    sheet = submitted(cast)
    review(cast, sheet, "clerk_a", "excellent")
    review(cast, sheet, "finance_admin", "excellent")
    sheet.refresh_from_db()
    return sheet


# ---- create ---------------------------------------------------------------------------------------------------------

def test_create_takes_kind_frame_profile_and_organisation_from_the_subject(cast):
    sheet = create(cast)
    subject = cast.subjects["a1"]
    assert (sheet.kind, sheet.frame_code, sheet.state, sheet.revision) == ("project", "frame_10", G.DRAFT, 1)
    assert (sheet.region_id, sheet.department_id, sheet.unit_id) == (subject.region_id, cast.dept_a.pk,
                                                                     cast.unit_a1.pk)
    assert sheet.fiscal_year_id == cast.year.pk and not sheet.is_key and sheet.indicators.count() == 0
    assert [e.action for e in history_for(sheet)] == ["create"]
    with pytest.raises(ValidationError) as exc:
        create(cast)
    assert "已有绩效目标表" in str(exc.value)

    dept = create(cast, "clerk_a", "a_dept")
    assert dept.kind == "department_wide" and dept.unit_id is None

    big = make_subject(cast, "BIG", department=cast.dept_a, unit=cast.unit_a1, annual_amount=Money.from_yuan("5000000"))
    assert services.goal_sheet_create(actor=actor(cast, "unit_a1"), subject=big).is_key  # ≥ 500万: key project
    bond = make_subject(cast, "BOND", department=cast.dept_a, unit=cast.unit_a1, special_category="special_bond")
    assert services.goal_sheet_create(actor=actor(cast, "unit_a1"), subject=bond).frame_code == "special_bond"
    transfer = make_subject(cast, "TR", department=cast.dept_a, kind="transfer_payment")
    assert services.goal_sheet_create(actor=actor(cast, "clerk_a"), subject=transfer).kind == "transfer_project"
    region = make_subject(cast, "TR2", department=cast.dept_a, kind="transfer_payment")
    sheet = services.goal_sheet_create(actor=actor(cast, "clerk_a"), subject=region, kind="transfer_region")
    assert sheet.kind == "transfer_region"


def test_create_is_authorised_on_the_subject(cast):
    with pytest.raises(Http404):
        create(cast, "unit_a2", "a1")
    for who in ("overseer", "finance_admin", "agency_yes"):
        with pytest.raises(PermissionDenied):
            create(cast, who, "a1")
    with pytest.raises(PermissionDenied):
        create(cast, "expert", "b1")
    assert not GoalSheet.objects.exists()


# ---- save -----------------------------------------------------------------------------------------------------------

def test_save_replaces_header_and_rows_and_audits_them(cast):
    sheet = create(cast)
    findings = save(cast, sheet)
    sheet.refresh_from_db()
    assert sheet.lock_version == 2 and sheet.survey_plan.startswith("学期末")
    assert list(sheet.indicators.values_list("position", "name")) == [
        (1, "资助家庭经济困难学生人数"), (2, "资助对象认定准确率"), (3, "资助资金按时发放率"), (4, "困难学生因贫辍学人数"),
        (5, "受助学生满意度")]
    assert sheet.indicators.get(position=1).weight == Decimal("20.00")
    assert not [f for f in findings if f.severity == "error"], findings

    data = valid_data(valid_rows()[:2])
    data.rows[1].row = 17  # e.g. an Excel row number: findings name the caller's rows
    findings = save(cast, sheet, data)
    assert sheet.indicators.count() == 2
    assert any(f.severity == "error" for f in findings)  # an incomplete draft is saved, with its problems
    assert all(f.row in (None, 1, 17) for f in findings)
    event = history_for(sheet).filter(action="update").last()
    assert len(event.before["rows"]) == 5 and len(event.after["rows"]) == 2
    assert event.after["rows"][0] == [1, "output", "数量指标", "资助家庭经济困难学生人数", "ge", "500", "人", "20.00"]


def test_save_with_a_stale_lock_version_writes_nothing(cast):
    sheet = create(cast)
    save(cast, sheet)
    stale = sheet.lock_version
    save(cast, sheet, valid_data(valid_rows()[:3]))
    with pytest.raises(ConcurrentEditError):
        services.goal_sheet_save(actor=actor(cast, "unit_a1"), sheet=sheet, data=valid_data(valid_rows()[:1]),
                                 expected_lock_version=stale)
    assert GoalIndicator.objects.filter(sheet=sheet).count() == 3


def test_save_refuses_bad_values_per_row_and_field(cast):
    sheet = create(cast)
    rows = valid_rows()
    rows[0].level1 = "产出"
    rows[1].unit = "个" * 21
    rows[2].weight = "abc"
    rows[3].weight = Decimal("1.234")
    rows[4].indicator_id = 999999
    with pytest.raises(ValidationError) as exc:
        save(cast, sheet, valid_data(rows))
    fields = exc.value.message_dict
    assert set(fields) == {"rows.1.level1", "rows.2.unit", "rows.3.weight", "rows.4.weight", "rows.5.indicator_id"}
    assert "第1行一级指标" in fields["rows.1.level1"][0]
    assert sheet.indicators.count() == 0


def test_save_only_in_editable_states(cast):
    sheet = submitted(cast)
    with pytest.raises(WorkflowError) as exc:
        save(cast, sheet)
    assert "撤回" in str(exc.value)
    transition(cast, sheet, "withdraw")
    save(cast, sheet)


def test_usage_counts_and_proposals_to_the_library(cast):
    ind = Indicator.objects.create(code="ZB000000000001", name="资助家庭经济困难学生人数", level1="output",
                                   level2="数量指标", unit="人", comparator="ge")
    sheet = create(cast)
    rows = valid_rows()
    rows[0].indicator_id = ind.pk
    rows[1].propose_to_library = True  # the flag the screens send (or `propose_rows`)
    save(cast, sheet, valid_data(rows))
    ind.refresh_from_db()
    assert ind.usage_count == 1
    proposed = Indicator.objects.get(status=IndicatorStatus.DRAFT)
    assert (proposed.name, proposed.department_id) == ("资助对象认定准确率", cast.dept_a.pk)
    r2 = sheet.indicators.get(position=2)
    assert r2.indicator_id == proposed.pk and r2.propose_to_library
    assert sheet.indicators.get(position=1).indicator_version == 1

    rows = valid_rows()
    rows[0].indicator_id = ind.pk
    save(cast, sheet, valid_data(rows), propose_rows=[2])  # saved again: no second proposal, no second use
    ind.refresh_from_db()
    assert ind.usage_count == 1 and Indicator.objects.filter(status=IndicatorStatus.DRAFT).count() == 1
    save(cast, sheet, valid_data(valid_rows()))  # the indicator is no longer used
    ind.refresh_from_db()
    assert ind.usage_count == 0


# ---- the review cycle -----------------------------------------------------------------------------------------------

def test_submit_refuses_a_sheet_with_errors_naming_the_rows(cast):
    sheet = create(cast)
    rows = valid_rows()
    rows[1].unit = ""
    rows[1].target_value = ""
    save(cast, sheet, valid_data(rows))
    with pytest.raises(ValidationError) as exc:
        transition(cast, sheet, "submit")
    assert any("第2行" in m for m in exc.value.messages)
    sheet.refresh_from_db()
    assert sheet.state == G.DRAFT and sheet.review_round == 0


def test_happy_path_with_review_rounds_approval_issue_and_adjustment(cast, django_capture_on_commit_callbacks):
    sheet = create(cast)
    subject = cast.subjects["a1"]
    assert gate.goal_problems(subject)  # a draft does not pass the gate
    save(cast, sheet)
    transition(cast, sheet, "submit")
    sheet.refresh_from_db()
    assert (sheet.state, sheet.review_level, sheet.review_round) == (G.SUBMITTED, ReviewLevel.DEPARTMENT, 1)
    assert sheet.submitted_at is not None and sheet.review_due > timezone.localdate()

    first = review(cast, sheet, "clerk_a", "excellent")
    sheet.refresh_from_db()
    assert (first.level, first.grade, first.outcome, first.round) == ("department", "excellent", "excellent", 1)
    assert (sheet.state, sheet.review_level) == (G.DEPARTMENT_PASSED, ReviewLevel.FINANCE)

    with pytest.raises(ValidationError) as exc:  # 良 needs the agreed edits written down
        review(cast, sheet, "finance_admin", "good")
    assert "comment" in exc.value.message_dict
    second = review(cast, sheet, "finance_admin", "good", comment="请细化时效指标")
    sheet.refresh_from_db()
    assert (second.level, second.grade, sheet.state, sheet.last_grade) == ("finance", "good", G.EDITS_REQUESTED,
                                                                            "good")
    save(cast, sheet)  # the agreed edits
    transition(cast, sheet, "confirm_edits")
    sheet.refresh_from_db()
    assert sheet.state == G.PASSED and gate.goal_problems(subject) == []

    with pytest.raises(Http404):  # not in officer_b's departments
        services.goal_sheet_approve_many(actor=actor(cast, "officer_b"), sheets=[sheet])
    assert services.goal_sheet_approve_many(actor=actor(cast, "officer_a"),
                                            sheets=[sheet, GoalSheet.objects.get(pk=sheet.pk)]) == 1
    sheet.refresh_from_db()
    assert sheet.state == G.APPROVED
    v1 = versions_for(sheet).get()
    assert v1.revision == 1 and len(v1.data["rows"]) == 5 and v1.data["rows"][0]["weight"] == "20.00"

    with pytest.raises(WorkflowError) as exc:
        save(cast, sheet)
    assert "已批复的目标须申请调整" in str(exc.value)
    services.goal_sheet_issue(actor=actor(cast, "clerk_a"), sheet=sheet)
    sheet.refresh_from_db()
    assert sheet.state == G.ISSUED

    with pytest.raises(ValidationError) as exc:
        transition(cast, sheet, "start_adjustment", comment="追加资助名额")
    assert "budget_adjustment_ref" in exc.value.message_dict
    transition(cast, sheet, "start_adjustment", comment="追加资助名额", budget_adjustment_ref="通财预〔2026〕15号")
    sheet.refresh_from_db()
    assert (sheet.state, sheet.revision, sheet.budget_adjustment_ref) == (G.DRAFT, 2, "通财预〔2026〕15号")

    rows = valid_rows()
    rows[0].weight, rows[1].weight = Decimal("25"), Decimal("10")
    with pytest.raises(ValidationError) as exc:  # weights are locked after approval
        save(cast, sheet, valid_data(rows))
    assert set(exc.value.message_dict) == {"rows.1.weight", "rows.2.weight"}
    assert "批复后指标权重不得调整" in exc.value.message_dict["rows.1.weight"][0]
    rows = valid_rows()
    rows[0].target_value = "600"
    save(cast, sheet, valid_data(rows))
    transition(cast, sheet, "submit")
    review(cast, sheet, "clerk_a", "excellent")
    review(cast, sheet, "finance_admin", "excellent")
    services.goal_sheet_approve_many(actor=actor(cast, "finance_admin"), sheets=[GoalSheet.objects.get(pk=sheet.pk)])
    sheet.refresh_from_db()
    assert sheet.state == G.APPROVED and sheet.review_round == 2
    assert [v.revision for v in versions_for(sheet)] == [1, 2]
    diff = selectors.sheet_version_diff(*[v.data for v in versions_for(sheet)])
    assert diff["changed"] == [{"name": "资助家庭经济困难学生人数", "position": 1,
                                "fields": [("target_value", "500", "600")]}]
    assert ("budget_adjustment_ref", "", "通财预〔2026〕15号") in diff["header"]
    assert [s.transition for s in steps_for(sheet)] == [
        "submit", "department_pass", "finance_edits", "confirm_edits", "approve", "issue", "start_adjustment",
        "submit", "department_pass", "finance_pass", "approve"]
    assert GoalReview.objects.filter(sheet=sheet).count() == 4


def test_a_department_sheet_goes_straight_to_the_bureau(cast):
    sheet = create(cast, "clerk_a", "a_dept")
    data = valid_data()
    data.duties = "负责全市基础教育和学生资助工作"
    data.main_tasks = [{"name": "学生资助", "content": "资助家庭经济困难学生", "amount": Money.from_yuan("800000")},
                       {"name": "", "content": "", "amount": None}]
    save(cast, sheet, data, who="clerk_a")
    sheet.refresh_from_db()
    assert sheet.main_tasks == [{"name": "学生资助", "content": "资助家庭经济困难学生", "amount": "800000.00"}]
    assert services.sheet_data_from_model(sheet).main_tasks[0]["amount"] == Money.from_yuan("800000")
    transition(cast, sheet, "submit", who="clerk_a")
    sheet.refresh_from_db()
    assert (sheet.state, sheet.review_level) == (G.DEPARTMENT_PASSED, ReviewLevel.FINANCE)
    with pytest.raises(PermissionDenied):  # a department does not review its own sheet
        review(cast, sheet, "clerk_a", "excellent")
    review(cast, sheet, "officer_a", "excellent")
    sheet.refresh_from_db()
    assert sheet.state == G.PASSED


def test_fair_returns_and_a_second_fair_blocks(cast):
    sheet = submitted(cast)
    first = review(cast, sheet, "clerk_a", "fair", comment="指标未细化量化")
    sheet.refresh_from_db()
    assert (first.outcome, sheet.state, sheet.last_grade) == ("fair", G.RETURNED, "fair")
    assert first.resubmit_due is None  # the national preset sets no resubmission deadline
    save(cast, sheet)
    transition(cast, sheet, "submit")
    sheet.refresh_from_db()
    assert sheet.review_round == 2
    second = review(cast, sheet, "clerk_a", "fair", comment="仍未细化")
    sheet.refresh_from_db()
    assert (second.grade, second.outcome, second.round, sheet.state) == ("fair", "poor", 2, G.REJECTED)
    with pytest.raises(WorkflowError):
        save(cast, sheet)
    transition(cast, sheet, "rework")
    sheet.refresh_from_db()
    assert sheet.state == G.DRAFT


def test_poor_rejects_and_bad_grades_are_refused(cast):
    sheet = submitted(cast)
    with pytest.raises(ValidationError):
        review(cast, sheet, "clerk_a", "excellent", format="great")
    with pytest.raises(ValidationError):
        services.goal_sheet_review(actor=actor(cast, "clerk_a"), sheet=sheet, point_grades={"format": "excellent"})
    assert not GoalReview.objects.exists()
    r = review(cast, sheet, "clerk_a", "poor", comment="目标与项目无关")
    sheet.refresh_from_db()
    assert (r.grade, r.outcome, sheet.state) == ("poor", "poor", G.REJECTED)
    with pytest.raises(WorkflowError):
        review(cast, sheet, "clerk_a", "excellent")


def test_review_transitions_are_not_fired_directly(cast):
    sheet = submitted(cast)
    with pytest.raises(WorkflowError):
        transition(cast, sheet, "department_pass", who="clerk_a")


def test_deadlines_count_working_days_on_the_holiday_calendar(cast, monkeypatch):
    # 30 September 2025: 1-8 October are holidays, Saturday 11 October is a make-up working day.
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2025, 9, 30))
    real = services.sheet_params

    def params(sheet):
        p = real(sheet)
        return p.model_copy(update={"goal_review": p.goal_review.model_copy(
            update={"fair_resubmit_working_days": 3, "review_working_days": 10})})

    monkeypatch.setattr(services, "sheet_params", params)
    sheet = submitted(cast)
    assert sheet.review_due == datetime.date(2025, 10, 21)
    r = review(cast, sheet, "clerk_a", "fair", comment="请修改")
    sheet.refresh_from_db()
    assert r.resubmit_due == sheet.resubmit_due == datetime.date(2025, 10, 11)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2025, 10, 13))
    assert list(selectors.goal_sheet_list(actor(cast, "clerk_a"), {"overdue": True})) == [sheet]


def test_special_bonds_are_not_adjusted(cast):
    bond = make_subject(cast, "BOND", department=cast.dept_a, unit=cast.unit_a1, special_category="special_bond")
    sheet = services.goal_sheet_create(actor=actor(cast, "unit_a1"), subject=bond)
    GoalSheet.objects.filter(pk=sheet.pk).update(state=G.APPROVED)
    with pytest.raises(WorkflowError) as exc:
        transition(cast, sheet, "start_adjustment", comment="变更", budget_adjustment_ref="X")
    assert "61号" in str(exc.value)


# ---- permissions ----------------------------------------------------------------------------------------------------

def test_who_may_write_and_review(cast):
    sheet = create(cast)
    with pytest.raises(Http404):
        save(cast, sheet, who="unit_a2")
    for who in ("overseer", "finance_admin", "officer_a"):
        with pytest.raises(PermissionDenied):
            save(cast, sheet, who=who)
    save(cast, sheet, who="clerk_a")  # the department may edit its units' sheets
    transition(cast, sheet, "submit")
    with pytest.raises(Http404):
        review(cast, sheet, "clerk_b", "excellent")
    with pytest.raises(PermissionDenied):  # the bureau reviews after the department
        review(cast, sheet, "finance_admin", "excellent")
    review(cast, sheet, "clerk_a", "excellent")
    with pytest.raises(Http404):
        review(cast, sheet, "officer_b", "excellent")
    with pytest.raises(PermissionDenied):
        review(cast, sheet, "clerk_a", "excellent")
    review(cast, sheet, "officer_a", "excellent")
    sheet.refresh_from_db()
    with pytest.raises(Http404):
        services.goal_sheet_approve_many(actor=actor(cast, "officer_b"), sheets=[sheet])
    with pytest.raises(PermissionDenied):
        services.goal_sheet_approve_many(actor=actor(cast, "overseer"), sheets=[sheet])


def test_outsiders_cannot_write(cast):
    b1 = create(cast, "clerk_b", "b1")
    with pytest.raises(PermissionDenied):  # the expert assigned to b1 may look, not write
        save(cast, b1, who="expert")
    with pytest.raises(PermissionDenied):
        transition(cast, b1, "submit", who="expert")
    a1 = create(cast)
    with pytest.raises(PermissionDenied):
        save(cast, a1, who="agency_yes")


def test_a_classified_subjects_sheet_is_invisible_to_the_agency(cast):
    secret = create(cast, "unit_a1", "a1_secret")
    open_sheet = create(cast)
    agency = actor(cast, "agency_yes")
    assert list(selectors.goal_sheet_list(agency)) == [open_sheet]
    with pytest.raises(Http404):
        selectors.goal_sheet_get(agency, secret.pk)
    assert selectors.goal_sheet_get(actor(cast, "finance_admin"), secret.pk) == secret


# ---- SheetData ------------------------------------------------------------------------------------------------------

def test_sheet_data_brings_last_years_targets_and_spending_standards(cast):
    from jixiao.budget.models import FiscalYear, PerformanceSubject
    from jixiao.costs.models import SpendingStandard

    last_year = FiscalYear.objects.create(year=2025)
    subject = cast.subjects["a1"]
    old_subject = PerformanceSubject.objects.create(region=cast.city, department=cast.dept_a, unit=cast.unit_a1,
                                                    fiscal_year=last_year, code=subject.code, name=subject.name)
    old = services.goal_sheet_create(actor=actor(cast, "unit_a1"), subject=old_subject)
    save(cast, old)
    SpendingStandard.objects.create(region=cast.city, code="S1", name="学生资助标准", output_unit="人·年",
                                    amount=Money.from_yuan("2500"), keywords="资助,助学金", valid_from=2020)
    sheet = create(cast)
    rows = valid_rows()
    rows.append(row(6, "output", "成本指标", "人均资助成本", None, target="2500", unit="元", comparator="le"))
    save(cast, sheet, valid_data(rows))
    data = services.sheet_data_from_model(sheet)
    assert (data.subject_code, data.fiscal_year, data.unit_name) == (subject.code, 2026, "通辽市第一中学")
    assert data.rows[0].history.last_year_target == "500"
    assert data.rows[0].history.last_year_actual == ""  # filled once self-evaluation records actuals
    assert data.rows[5].history is None
    assert data.rows[5].standard.amount == Money.from_yuan("2500")
    assert data.rows[0].standard is None  # not a cost row


def test_rows_from_library(cast):
    ind = Indicator.objects.create(code="ZB000000000009", name="校舍维修面积", level1="output", level2="数量指标",
                                   unit="平方米", comparator="ge", explanation="完成维修的校舍面积",
                                   value_basis="plan", data_source="验收报告", evidence_type="验收单")
    rows = services.rows_from_library([ind.pk, 424242])
    assert len(rows) == 1
    r = rows[0]
    assert (r.row, r.level1, r.level2, r.name, r.comparator, r.unit, r.indicator_id, r.target_value) == (
        1, "output", "数量指标", "校舍维修面积", "ge", "平方米", ind.pk, "")
    assert (r.explanation, r.value_basis, r.data_source, r.evidence_type) == ("完成维修的校舍面积", "plan", "验收报告",
                                                                             "验收单")


def test_a_key_project_is_scored_and_graded_by_its_total(cast):
    big = make_subject(cast, "BIG", department=cast.dept_a, unit=cast.unit_a1, annual_amount=Money.from_yuan("6000000"))
    sheet = services.goal_sheet_create(actor=actor(cast, "unit_a1"), subject=big)
    save(cast, sheet)
    transition(cast, sheet, "submit")
    sheet.refresh_from_db()
    scores = {"format": "9.5", "clarity": "9.5", "goal_relevance": "14", "indicator_soundness": "14",
              "performance": "14", "funding_match": "14", "achievability": "9.5", "conditions": "9.5"}
    with pytest.raises(ValidationError) as exc:  # 优 needs 90-100% of the point's value
        services.goal_sheet_review(actor=actor(cast, "clerk_a"), sheet=sheet, point_grades=grades("excellent"),
                                   point_scores={**scores, "format": "7"})
    assert "规范完整性" in exc.value.message_dict["point_grades"][0]
    r = services.goal_sheet_review(actor=actor(cast, "clerk_a"), sheet=sheet, point_grades=grades("优"),
                                   point_scores={k: Decimal(v) for k, v in scores.items()},
                                   point_comments={"format": "格式规范", "bogus": "x"})
    assert (r.mode, r.total_score, r.grade, r.outcome) == ("key", Decimal("94.00"), "excellent", "excellent")
    assert r.point_grades["format"] == "excellent" and r.point_scores["format"] == "9.5"
    assert r.point_comments == {"format": "格式规范"}
    # the reviewer may take an ordinary sheet as a key one (or the reverse)
    ordinary = submitted(cast, "unit_a2", "a2")
    r = services.goal_sheet_review(actor=actor(cast, "clerk_a"), sheet=ordinary, point_grades=grades("good"),
                                   point_scores={k: Decimal("0.85") * Decimal(w) for k, w in zip(
                                       POINTS, (10, 10, 15, 15, 15, 15, 10, 10), strict=True)},
                                   is_key=True, comment="按重点项目审核")
    ordinary.refresh_from_db()
    assert (r.mode, r.grade, ordinary.is_key, ordinary.state) == ("key", "good", True, G.EDITS_REQUESTED)


def test_a_stale_review_writes_nothing(cast):
    sheet = submitted(cast)
    stale = sheet.lock_version - 1
    with pytest.raises(ConcurrentEditError):
        services.goal_sheet_review(actor=actor(cast, "clerk_a"), sheet=sheet, point_grades=grades("excellent"),
                                   expected_lock_version=stale)
    sheet.refresh_from_db()
    assert sheet.state == G.SUBMITTED and not GoalReview.objects.exists()
