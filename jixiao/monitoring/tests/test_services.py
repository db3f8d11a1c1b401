"""Monitoring services end to end on the cast: rounds from the profile, tasks for the subjects in scope, the unit's
form with its checks, warnings stored with their figures, reviews, dispositions and their effects on the budget."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from jixiao.budget.models import PerformanceSubject
from jixiao.core.money import Money
from jixiao.core.workflow import ConcurrentEditError, steps_for
from jixiao.goals.models import GoalSheet
from jixiao.monitoring import services
from jixiao.monitoring.models import MonitoringDisposition, MonitoringReport
from jixiao.monitoring.tests.helpers import actor, green_rows, in_budget

pytestmark = pytest.mark.django_db
Y = Money.from_yuan


@pytest.fixture
def a1(cast):
    # budget 120万; 1-7月 spent 60万 (50% of the year, 85.7% of 7/12 → green)
    in_budget(cast, cast.subjects["a1"], annual_amount=Y("1200000"), spent_by_month={3: "200000", 7: "400000"})
    return cast.subjects["a1"]


def open_round(cast, point=0):
    return services.round_create(actor=actor(cast), region=cast.city, year=cast.year.year, point=point)


def test_planned_rounds_follow_the_profile(cast):
    plans = services.planned_rounds(cast.city, 2026)
    point = plans[0]
    assert (point.name, point.period_end, point.data_months, point.due) == (
        "1-7月绩效监控", datetime.date(2026, 7, 31), 7, datetime.date(2026, 8, 15))
    months = [p for p in plans if p.kind == "bond_monthly"]
    assert len(months) == 12 and months[1].period_end == datetime.date(2026, 2, 28)
    assert months[11].due == datetime.date(2027, 1, 10)


def test_round_tasks_cover_the_subjects_in_scope(cast, a1):
    in_budget(cast, cast.subjects["b1"])
    research = cast.subjects["a2"]
    in_budget(cast, research, is_research=True)  # 科研类 exempt by default
    not_passed = cast.subjects["a_dept"]
    in_budget(cast, not_passed, rows=[], state="draft")
    rnd = open_round(cast)
    reports = MonitoringReport.objects.filter(round=rnd)
    assert set(reports.values_list("subject_id", flat=True)) == {a1.pk, cast.subjects["b1"].pk}
    report = reports.get(subject=a1)
    assert report.budget_amount == Y("1200000") and report.recorded_spent == Y("600000")
    assert report.spent_to_date == Y("600000") and report.state == "draft"
    assert report.annual_goal.startswith("资助") and report.indicators.count() == 5
    row = report.indicators.get(position=0)
    assert (row.target_number, row.unit, row.comparator) == (1200, "人", "ge")
    assert report.indicators.get(position=2).target_number is None  # 定性
    # idempotent: a second generation adds only what is missing
    assert services.round_generate(rnd) == 0
    in_budget(cast, cast.subjects["a1_secret"])
    assert services.round_generate(rnd) == 1


def test_round_is_opened_once_by_the_bureau_only(cast, a1):
    with pytest.raises((PermissionDenied, Http404)):
        services.round_create(actor=actor(cast, "clerk_a"), region=cast.city, year=2026, point=0)
    open_round(cast)
    with pytest.raises(ValidationError) as exc:
        open_round(cast)
    assert "已开启" in str(exc.value)
    with pytest.raises(ValidationError):
        open_round(cast, point=5)


def test_compute_stores_figures_and_colours(cast, a1):
    rnd = open_round(cast)
    services.round_compute(actor=actor(cast), rnd=rnd)
    report = MonitoringReport.objects.get(round=rnd, subject=a1)
    assert str(report.time_progress) == "58.33"
    assert str(report.execution_rate) == "50.00" and report.execution_colour == "green"
    assert report.goal_colour == "" and report.colour == "green"  # no progress reported yet: no goal colour
    assert report.behind_amount == Y("100000")  # 70万 due by 7/12, 60万 spent


def fill(cast, report, rows, user="unit_a1", **data):
    report.refresh_from_db()
    return services.report_save(actor=actor(cast, user), report=report, data={"rows": rows, **data},
                                expected_lock_version=report.lock_version)


def test_form_save_checks_and_submit(cast, a1):
    rnd = open_round(cast)
    report = MonitoringReport.objects.get(round=rnd, subject=a1)
    problems = fill(cast, report, {}, expected_year_end="1200000")
    assert "rows.1.current_value" in problems
    rows = green_rows(report)
    rows["0"] = {"current_value": "300", "expected_value": "1200"}  # 300 ÷ 700 = 42.9% → red
    problems = fill(cast, report, rows, expected_year_end="1200000")
    assert set(problems) == {"rows.1.deviation_causes", "rows.1.cause_note", "rows.1.likelihood"}
    report.refresh_from_db()
    assert report.goal_colour == "red" and report.colour == "red" and report.needs_disposition  # red: a decision
    assert not MonitoringDisposition.objects.filter(report=report).exists()  # opened only once reported
    with pytest.raises(ValidationError) as exc:
        services.report_transition(actor=actor(cast, "unit_a1"), report=report, name="submit")
    assert "rows.1.likelihood" in exc.value.message_dict
    rows["0"].update(deviation_causes=["funding"], cause_note="上级资金8月到位", likelihood="impossible",
                     remark="申请调减预算")
    assert fill(cast, report, rows, expected_year_end="1200000") == {}
    report.refresh_from_db()
    assert report.impossible
    services.report_transition(actor=actor(cast, "unit_a1"), report=report, name="submit")
    assert report.state == "submitted" and report.submitted_at
    d = MonitoringDisposition.objects.get(report=report)
    assert d.state == "open" and "有指标“完全不可能”完成" in d.reasons and "绩效目标红色预警" in d.reasons
    assert d.due > d.opened_on


def test_form_refuses_bad_values_and_stale_versions(cast, a1):
    rnd = open_round(cast)
    report = MonitoringReport.objects.get(round=rnd, subject=a1)
    with pytest.raises(ValidationError) as exc:
        fill(cast, report, {"0": {"current_value": "很多"}, "2": {"achievement": "maybe"},
                            "9": {"current_value": "1"}}, spent_to_date="abc")
    errors = exc.value.message_dict
    assert "rows.1.current_value" in errors and "rows.3.achievement" in errors and "rows" in errors
    assert "spent_to_date" in errors
    stale = report.lock_version
    fill(cast, report, {"0": {"current_value": "10"}})
    with pytest.raises(ConcurrentEditError):
        services.report_save(actor=actor(cast, "unit_a1"), report=report, data={"rows": {"0": {"current_value": "5"}}},
                             expected_lock_version=stale)
    assert report.indicators.get(position=0).current_value == "10"


def test_corrected_spending_needs_a_reason(cast, a1):
    rnd = open_round(cast)
    report = MonitoringReport.objects.get(round=rnd, subject=a1)
    problems = fill(cast, report, green_rows(report), spent_to_date="650000", expected_year_end="1200000")
    assert list(problems) == ["spent_note"]
    assert fill(cast, report, {}, spent_note="6月一笔支付未入账") == {}


def test_only_the_unit_and_department_edit(cast, a1):
    rnd = open_round(cast)
    report = MonitoringReport.objects.get(round=rnd, subject=a1)
    for user in ("unit_a2", "clerk_b"):
        with pytest.raises(Http404):
            fill(cast, report, {}, user=user)
    with pytest.raises(PermissionDenied):
        fill(cast, report, {}, user="finance_admin")
    fill(cast, report, {}, user="clerk_a")


def submitted(cast, subject, rows_override=None):
    rnd = open_round(cast)
    report = MonitoringReport.objects.get(round=rnd, subject=subject)
    rows = green_rows(report)
    rows.update(rows_override or {})
    assert fill(cast, report, rows, expected_year_end="1200000") == {}
    services.report_transition(actor=actor(cast, "unit_a1"), report=report, name="submit")
    return report


RED = {"0": {"current_value": "300", "expected_value": "800", "deviation_causes": ["funding"],
             "cause_note": "资金未到位", "likelihood": "impossible", "remark": "调减预算"}}


def test_review_by_department_then_bureau(cast, a1):
    report = submitted(cast, a1)
    assert not MonitoringDisposition.objects.filter(report=report).exists()
    with pytest.raises(ValidationError):
        services.report_transition(actor=actor(cast, "clerk_a"), report=report, name="department_return")
    services.report_transition(actor=actor(cast, "clerk_a"), report=report, name="department_pass")
    with pytest.raises(PermissionDenied):
        services.report_transition(actor=actor(cast, "clerk_a"), report=report, name="accept")
    services.report_transition(actor=actor(cast, "finance_admin"), report=report, name="accept")
    assert report.state == "accepted"
    assert [s.transition for s in steps_for(report)] == ["submit", "department_pass", "accept"]


def test_reduce_budget_and_adjust_goal(cast, a1):
    report = submitted(cast, a1, RED)
    d = MonitoringDisposition.objects.get(report=report)
    unit = actor(cast, "unit_a1")
    with pytest.raises(ValidationError) as exc:
        services.disposition_transition(actor=unit, disposition=d, name="propose")
    assert "measure" in exc.value.message_dict
    services.disposition_save(actor=unit, disposition=d, expected_lock_version=d.lock_version, data={
        "measure": "reduce_adjust", "measure_note": "调减未能实施的部分", "reduce_amount": "300000"})
    with pytest.raises(ValidationError) as exc:
        services.disposition_transition(actor=unit, disposition=d, name="propose")
    assert "budget_adjustment_ref" in exc.value.message_dict
    services.disposition_save(actor=unit, disposition=d, expected_lock_version=d.lock_version, data={
        "measure": "reduce_adjust", "measure_note": "调减未能实施的部分", "reduce_amount": "300000",
        "budget_adjustment_ref": "通财预〔2026〕12号"})
    services.disposition_transition(actor=unit, disposition=d, name="propose")
    assert d.state == "proposed"
    services.disposition_transition(actor=actor(cast), disposition=d, name="approve", comment="同意")
    a1.refresh_from_db()
    assert a1.adjusted_amount == Y("900000") and a1.execution_status == "normal" and not a1.payment_blocked
    sheet = GoalSheet.objects.get(subject=a1)
    assert sheet.state == "draft" and sheet.revision == 2 and sheet.budget_adjustment_ref == "通财预〔2026〕12号"


def test_suspend_and_cancel_block_payments(cast, a1):
    report = submitted(cast, a1, RED)
    d = MonitoringDisposition.objects.get(report=report)
    services.disposition_save(actor=actor(cast, "clerk_a"), disposition=d, expected_lock_version=d.lock_version,
                              data={"measure": "cancel", "measure_note": "政策调整，项目取消"})
    services.disposition_transition(actor=actor(cast, "clerk_a"), disposition=d, name="propose")
    services.disposition_transition(actor=actor(cast), disposition=d, name="approve")
    a1.refresh_from_db()
    assert a1.execution_status == "cancelled" and a1.payment_blocked
    assert a1.adjusted_amount == Y("600000")  # the unspent 60万 recalled
    assert "已取消" in a1.payment_block_reason


def test_opening_dispositions_takes_the_same_queries_for_one_report_or_many(cast, a1):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    in_budget(cast, cast.subjects["b1"])
    report = submitted(cast, a1, RED)
    rnd = report.round
    other = MonitoringReport.objects.filter(round=rnd).exclude(pk=report.pk).first()
    assert other is not None
    MonitoringReport.objects.filter(pk=other.pk).update(state=report.state, needs_disposition=True)
    counts = []
    for ids in ([report.pk], [report.pk, other.pk]):
        MonitoringDisposition.objects.filter(round=rnd).delete()
        with CaptureQueriesContext(connection) as ctx:
            assert services.open_dispositions(rnd, report_ids=ids) == len(ids)
        counts.append(len(ctx))
    assert counts[0] == counts[1]
    d = MonitoringDisposition.objects.get(report=other)
    assert d.due and d.state == "open" and d.subject_id == other.subject_id


def test_overdue_disposition_suspends_and_a_decision_resumes(cast, a1):
    report = submitted(cast, a1, RED)
    d = MonitoringDisposition.objects.get(report=report)
    assert services.disposition_sweep(today=d.due) == 0  # on the due date itself: still in time
    assert services.disposition_sweep(today=d.due + datetime.timedelta(days=1)) == 1
    d.refresh_from_db()
    a1.refresh_from_db()
    assert d.state == "suspended" and a1.execution_status == "suspended" and a1.payment_blocked
    services.disposition_save(actor=actor(cast, "unit_a1"), disposition=d, expected_lock_version=d.lock_version,
                              data={"measure": "continue", "measure_note": "资金已到位，加快实施"})
    services.disposition_transition(actor=actor(cast, "unit_a1"), disposition=d, name="propose")
    services.disposition_transition(actor=actor(cast), disposition=d, name="approve")
    a1.refresh_from_db()
    assert a1.execution_status == "normal" and not a1.payment_blocked


def test_key_monitoring_stops_disbursement(cast, a1):
    rnd = open_round(cast)
    report = MonitoringReport.objects.get(round=rnd, subject=a1)
    with pytest.raises(ValidationError):
        services.key_monitoring_set(actor=actor(cast), report=report, is_key=True, stop_disbursement=True)
    with pytest.raises(PermissionDenied):
        services.key_monitoring_set(actor=actor(cast, "clerk_a"), report=report, is_key=True)
    services.key_monitoring_set(actor=actor(cast), report=report, is_key=True, note="执行进度严重滞后",
                                stop_disbursement=True)
    a1.refresh_from_db()
    assert a1.payment_blocked and a1.disbursement_stopped and "执行进度严重滞后" in a1.payment_block_reason
    services.key_monitoring_set(actor=actor(cast), report=report, is_key=True, note="已整改", stop_disbursement=False)
    a1.refresh_from_db()
    assert not a1.payment_blocked


def test_refresh_spending_follows_records_unless_corrected(cast, a1):
    from jixiao.budget.models import ExecutionRecord

    rnd = open_round(cast)
    b1 = cast.subjects["b1"]
    in_budget(cast, b1, spent_by_month={1: "100"})
    services.round_generate(rnd)
    fill(cast, MonitoringReport.objects.get(round=rnd, subject=a1), {}, spent_to_date="650000", spent_note="x")
    ExecutionRecord.objects.create(subject=a1, year=2026, month=5, amount=Y("50000"))
    ExecutionRecord.objects.create(subject=b1, year=2026, month=6, amount=Y("50"))
    ExecutionRecord.objects.create(subject=b1, year=2026, month=8, amount=Y("999"))  # after the data month
    services.round_refresh_spending(rnd)
    ra, rb = (MonitoringReport.objects.get(round=rnd, subject=s) for s in (a1, b1))
    assert ra.recorded_spent == Y("650000") and ra.spent_to_date == Y("650000")
    assert rb.recorded_spent == Y("150") and rb.spent_to_date == Y("150")


def test_cancelled_subjects_leave_later_rounds(cast, a1):
    PerformanceSubject.objects.filter(pk=a1.pk).update(execution_status="cancelled")
    rnd = open_round(cast)
    assert not MonitoringReport.objects.filter(round=rnd).exists()


def test_sweep_command(cast, a1):
    import io

    from django.core.management import CommandError, call_command

    report = submitted(cast, a1, RED)
    d = MonitoringDisposition.objects.get(report=report)
    with pytest.raises(CommandError):
        call_command("monitoring_sweep", "--date", "2026-13-01")
    out = io.StringIO()
    call_command("monitoring_sweep", "--date", str(d.due), stdout=out)
    assert "已暂停 0 个" in out.getvalue()
    call_command("monitoring_sweep", "--date", str(d.due + datetime.timedelta(days=1)), stdout=out)
    assert "已暂停 1 个" in out.getvalue()
    a1.refresh_from_db()
    assert a1.payment_blocked and a1.execution_status == "suspended"


def test_recompute_writes_only_what_changed(cast, a1):
    rnd = open_round(cast)
    first = services.compute_reports(rnd)
    assert first.changed_reports == first.reports == 1 and first.changed_rows == 0  # nothing filled in: no colours
    again = services.compute_reports(rnd)
    assert (again.reports, again.changed_reports, again.changed_rows) == (1, 0, 0)
    report = MonitoringReport.objects.get(round=rnd, subject=a1)
    fill(cast, report, {"0": {"current_value": "300"}})  # saving recomputes this report: red row
    report.refresh_from_db()
    assert report.goal_colour == "red" and report.rows_red == 1
    assert services.compute_reports(rnd).changed_reports == 0


def test_blue_rows_are_counted_apart_from_not_computed(cast, a1):
    from jixiao.monitoring import selectors

    rnd = open_round(cast)
    report = MonitoringReport.objects.get(round=rnd, subject=a1)
    fill(cast, report, {"0": {"current_value": "1200", "expected_value": "1200",
                              "cause_note": "资助工作提前完成"}})  # the whole year's target by July: ahead (蓝)
    report.refresh_from_db()
    assert report.rows_blue == 1 and report.rows_red == 0
    board = selectors.dashboard(actor(cast), rnd)
    assert board.indicator_colours.blue == 1
    assert board.indicator_colours.total == report.rows_total
    assert services.round_summarize(rnd)["total"] == 1


@pytest.mark.parametrize("lead", [None, 10])
def test_due_reminders_follow_the_profile(cast, a1, lead):
    from jixiao.monitoring import selectors
    from jixiao.policy.schema import PolicyParams
    from jixiao.policy.services import profile_save

    if lead is not None:
        params = PolicyParams().to_json()
        params["monitoring"]["reminder_days"] = lead
        profile_save(actor=None, region=cast.city, fiscal_year=cast.year.year, params=params, comment="提醒提前",
                     base_version=None)
    rnd = open_round(cast)
    days = lead or 3  # the national default
    unit = actor(cast, "unit_a1")
    assert selectors.due_soon(unit, today=rnd.due - datetime.timedelta(days=days)) == (1, {days})
    assert selectors.due_soon(unit, today=rnd.due - datetime.timedelta(days=days + 1)) == (0, set())
    assert selectors.due_soon(unit, today=rnd.due + datetime.timedelta(days=5))[0] == 1  # overdue: still listed
    assert selectors.due_soon(actor(cast, "clerk_b"), today=rnd.due)[0] == 0  # another department's unit


def test_identical_rows_share_one_computation_and_get_the_same_colours(cast, a1):
    in_budget(cast, cast.subjects["b1"], annual_amount=Y("1200000"), spent_by_month={7: "600000"})
    rnd = open_round(cast)
    reports = list(MonitoringReport.objects.filter(round=rnd).order_by("pk"))
    for report in reports:  # the same progress on both subjects' 1st rows
        report.indicators.filter(position=0).update(current_number=300, current_value="300")
    res = services.compute_reports(rnd)
    assert res.memo_hits >= 1 and res.reports == 2
    firsts = [r.indicators.get(position=0) for r in reports]
    assert {(row.colour, row.ratio) for row in firsts} == {("red", firsts[0].ratio)}
    again = services.compute_reports(rnd)
    assert (again.changed_reports, again.changed_rows) == (0, 0)
