"""Monitoring screens through the test client: the dashboard and its drill-down, the round list (opening a round runs
its generation as a background job), the unit's form, reviews, dispositions, key monitoring, the year-end sweep and
its export; bad query strings; bounded queries on list pages; the role × organisation × action matrix."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from jixiao.budget.models import PerformanceSubject
from jixiao.core.models import Job
from jixiao.core.money import Money
from jixiao.monitoring import services
from jixiao.monitoring.models import MonitoringDisposition, MonitoringReport, MonitoringRound
from jixiao.monitoring.tests.helpers import actor, green_rows, in_budget

pytestmark = pytest.mark.django_db
Y = Money.from_yuan


@pytest.fixture
def a1(cast):
    in_budget(cast, cast.subjects["a1"], annual_amount=Y("1200000"), spent_by_month={3: "200000", 7: "400000"})
    return cast.subjects["a1"]


@pytest.fixture
def rnd(cast, a1):
    in_budget(cast, cast.subjects["b1"], annual_amount=Y("500000"), spent_by_month={2: "50000"})
    r = services.round_create(actor=actor(cast), region=cast.city, year=cast.year.year, point=0)
    services.round_compute(actor=actor(cast), rnd=r)
    return r


def login(client, cast, name):
    client.force_login(cast.users[name])
    return client


def report_of(rnd, subject):
    return MonitoringReport.objects.get(round=rnd, subject=subject)


def post_form(client, report, rows, **fields):
    report.refresh_from_db()
    data = {"lock_version": report.lock_version, "then": fields.pop("then", "save"), **fields}
    for position, item in rows.items():
        data[f"rowpos-{position}"] = "1"
        for key, value in item.items():
            data[f"row-{position}-{key}"] = value
    return client.post(reverse("monitoring:report_edit", args=[report.pk]), data)


def test_opening_a_round_runs_generation_as_a_job(client, cast, a1, django_capture_on_commit_callbacks):
    login(client, cast, "finance_admin")
    page = client.get(reverse("monitoring:round_list"))
    assert page.status_code == 200 and "1-7月绩效监控" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(reverse("monitoring:round_list"), {"year": cast.year.year, "point": 0})
    job = Job.objects.get(kind="monitoring_generate")
    assert resp.status_code == 302 and resp["Location"] == reverse("web:job_detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    rnd = MonitoringRound.objects.get()
    assert MonitoringReport.objects.filter(round=rnd, subject=a1).exists()
    again = client.post(reverse("monitoring:round_list"), {"year": cast.year.year, "point": 0}, follow=True)
    assert "已开启" in again.content.decode()


def test_only_the_bureau_opens_and_computes(client, cast, rnd, django_capture_on_commit_callbacks):
    login(client, cast, "clerk_a")
    assert client.post(reverse("monitoring:round_list"), {"year": 2026, "point": 1}).status_code == 403
    assert client.post(reverse("monitoring:round_compute", args=[rnd.pk])).status_code == 403
    login(client, cast, "finance_admin")
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(reverse("monitoring:round_compute", args=[rnd.pk]))
    assert resp.status_code == 302
    assert Job.objects.get(kind="monitoring_compute").status == Job.Status.SUCCEEDED


def test_dashboard_counts_and_drills_down(client, cast, rnd, a1):
    login(client, cast, "finance_admin")
    page = client.get(reverse("monitoring:dashboard"), {"round": rnd.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert "通辽市教育局" in html and "通辽市卫生健康委员会" in html and "按预算类别" in html
    # b1 spent 5万 of 50万 by July: red execution warning
    assert report_of(rnd, cast.subjects["b1"]).colour == "red"
    dept = client.get(reverse("monitoring:dashboard"), {"round": rnd.pk, "department": cast.dept_b.pk})
    assert dept.status_code == 200 and 'id="kpi-red">1<' in dept.content.decode()
    listing = client.get(reverse("monitoring:report_list"), {"round": rnd.pk, "colour": "red"})
    assert "医疗设备购置" in listing.content.decode() and "学生资助项目" not in listing.content.decode()


def test_dashboard_is_scoped_to_the_department(client, cast, rnd):
    login(client, cast, "clerk_a")
    html = client.get(reverse("monitoring:dashboard"), {"round": rnd.pk}).content.decode()
    assert "通辽市教育局" in html and "通辽市卫生健康委员会" not in html


def test_a_department_outside_reach_is_not_named(client, cast, rnd):
    """A department filter the user cannot see answers 404: its name would go into the title and the Word file."""
    login(client, cast, "clerk_a")
    for name in ("monitoring:dashboard", "monitoring:sweep"):
        page = client.get(reverse(name), {"round": rnd.pk, "department": cast.dept_b.pk})
        assert page.status_code in (403, 404) and "通辽市卫生健康委员会" not in page.content.decode()
    login(client, cast, "finance_admin")
    doc = client.get(reverse("monitoring:round_document", args=[rnd.pk]), {"department": cast.dept_b.pk})
    assert doc.status_code == 200


@pytest.mark.parametrize("query", [{"round": "x"}, {"round": "999999"}, {"department": "abc"}])
def test_bad_query_strings_are_refused_plainly(client, cast, rnd, query):
    login(client, cast, "finance_admin")
    assert client.get(reverse("monitoring:dashboard"), query).status_code == 404


def test_bad_list_filters_are_named_and_ignored(client, cast, rnd):
    login(client, cast, "finance_admin")
    html = client.get(reverse("monitoring:report_list"), {"round": rnd.pk, "colour": "purple",
                                                          "state": "nope"}).content.decode()
    assert "“预警颜色”的值无效" in html and "“状态”的值无效" in html and "学生资助项目" in html


def test_report_list_queries_do_not_grow_with_rows(client, cast, rnd, django_assert_max_num_queries):
    login(client, cast, "finance_admin")
    url = reverse("monitoring:report_list")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url, {"round": rnd.pk})
    for code in range(20):
        s = PerformanceSubject.objects.create(
            region=cast.city, fiscal_year=cast.year, department=cast.dept_a, unit=cast.unit_a2,
            code=f"15050026000000009{code:04d}", name=f"批量项目{code}", annual_amount=Y("100000"))
        in_budget(cast, s)
    services.round_generate(rnd)
    with django_assert_max_num_queries(len(few.captured_queries)):
        resp = client.get(url, {"round": rnd.pk})
    assert "批量项目19" in resp.content.decode()
    with CaptureQueriesContext(connection) as board_few:
        client.get(reverse("monitoring:dashboard"), {"round": rnd.pk})
    assert len(board_few.captured_queries) < 40


def test_unit_fills_in_and_submits_through_the_screen(client, cast, rnd, a1):
    report = report_of(rnd, a1)
    login(client, cast, "unit_a1")
    assert client.get(reverse("monitoring:report_edit", args=[report.pk])).status_code == 200
    rows = green_rows(report)
    rows["0"] = {"current_value": "300", "expected_value": "800", "deviation_causes": ["funding"],
                 "cause_note": "资金未到位", "likelihood": "impossible", "remark": "申请调减预算"}
    resp = post_form(client, report, rows, expected_year_end="1200000", then="submit")
    assert resp.status_code == 302
    report.refresh_from_db()
    assert report.state == "submitted" and report.goal_colour == "red" and report.impossible
    d = MonitoringDisposition.objects.get(report=report)
    detail = client.get(reverse("monitoring:report_detail", args=[report.pk])).content.decode()
    assert "完全不可能" in detail and "规则" in detail and "预警处置" in detail
    assert d.state == "open"


def test_form_errors_change_nothing_and_name_the_field(client, cast, rnd, a1):
    report = report_of(rnd, a1)
    login(client, cast, "unit_a1")
    resp = post_form(client, report, {"0": {"current_value": "很多", "likelihood": "maybe"}},
                     expected_year_end="12万元?")
    html = resp.content.decode()
    assert resp.status_code == 200 and "未保存" in html and "第1行" in html
    report.refresh_from_db()
    assert report.expected_year_end is None and report.indicators.get(position=0).current_value == ""


def test_stale_form_is_refused(client, cast, rnd, a1):
    report = report_of(rnd, a1)
    login(client, cast, "unit_a1")
    lock = report.lock_version
    post_form(client, report, {"0": {"current_value": "700"}})
    resp = client.post(reverse("monitoring:report_edit", args=[report.pk]),
                       {"lock_version": lock, "rowpos-0": "1", "row-0-current_value": "1"}, follow=True)
    assert "已被他人修改" in resp.content.decode()
    assert report.indicators.get(position=0).current_value == "700"


def test_disposition_screens_reduce_budget_and_adjust_goal(client, cast, rnd, a1):
    report = report_of(rnd, a1)
    login(client, cast, "unit_a1")
    rows = green_rows(report)
    rows["0"] = {"current_value": "300", "expected_value": "800", "deviation_causes": ["funding"],
                 "cause_note": "资金未到位", "likelihood": "impossible", "remark": "申请调减预算"}
    post_form(client, report, rows, expected_year_end="1200000", then="submit")
    d = MonitoringDisposition.objects.get(report=report)
    login(client, cast, "clerk_a")
    client.post(reverse("monitoring:disposition_detail", args=[d.pk]), {
        "lock_version": d.lock_version, "measure": "reduce_adjust", "measure_note": "调减未实施部分",
        "reduce_amount": "300000", "budget_adjustment_ref": "通财预〔2026〕12号", "then": "propose"})
    d.refresh_from_db()
    assert d.state == "proposed"
    login(client, cast, "finance_admin")
    client.post(reverse("monitoring:disposition_transition", args=[d.pk]),
                {"transition": "approve", "lock_version": d.lock_version, "comment": "同意"})
    d.refresh_from_db()
    a1.refresh_from_db()
    assert d.state == "approved" and a1.adjusted_amount == Y("900000")
    page = client.get(reverse("monitoring:disposition_detail", args=[d.pk])).content.decode()
    assert "已确认" in page and "财政确认处置" in page


def test_key_monitoring_stops_disbursement(client, cast, rnd, a1):
    report = report_of(rnd, a1)
    login(client, cast, "finance_admin")
    client.post(reverse("monitoring:report_key", args=[report.pk]),
                {"is_key": "1", "key_note": "资金量大，重点跟踪", "disbursement": "stop"})
    a1.refresh_from_db()
    assert a1.disbursement_stopped and a1.payment_blocked
    login(client, cast, "clerk_a")
    assert client.post(reverse("monitoring:report_key", args=[report.pk]), {"is_key": "0"}).status_code == 403


def test_sweep_lists_and_exports_behind_schedule(client, cast, rnd):
    login(client, cast, "finance_admin")
    html = client.get(reverse("monitoring:sweep"), {"round": rnd.pk}).content.decode()
    assert "医疗设备购置" in html and "通辽市卫生健康委员会" in html
    resp = client.get(reverse("monitoring:sweep"), {"round": rnd.pk, "format": "xlsx"})
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.content)).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert "医疗设备购置" in values and "150500260000000000004" in values


def test_classified_subjects_stay_out_of_outsiders_views(client, cast, rnd):
    in_budget(cast, cast.subjects["a1_secret"])
    services.round_generate(rnd)
    login(client, cast, "agency_yes")
    html = client.get(reverse("monitoring:report_list"), {"round": rnd.pk}).content.decode()
    assert "涉密项目" not in html and "学生资助项目" in html


# role × organisation × action: who may open each screen of a1's report and disposition (a unit of 教育局)
MATRIX = {
    # name: (view report, edit report, set key monitoring)
    "unit_a1": (200, 200, 403),
    "unit_a2": (404, 404, 404),
    "clerk_a": (200, 200, 403),
    "clerk_b": (404, 404, 404),
    "officer_a": (200, 403, 302),
    "officer_b": (404, 404, 404),
    "finance_admin": (200, 403, 302),
    "county_admin": (404, 404, 404),
    "overseer": (200, 403, 403),
    "expert": (404, 404, 404),
    "agency_yes": (200, 403, 403),
    "agency_no": (404, 404, 404),
}


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(client, cast, rnd, a1, name):
    report = report_of(rnd, a1)
    view, edit, key = MATRIX[name]
    login(client, cast, name)
    assert client.get(reverse("monitoring:report_detail", args=[report.pk])).status_code == view
    resp = client.get(reverse("monitoring:report_edit", args=[report.pk]))
    assert (resp.status_code if resp.status_code != 302 else 403) == edit
    assert client.post(reverse("monitoring:report_key", args=[report.pk]), {"is_key": "1"}).status_code == key


def test_dashboard_sums_the_regions_below_from_stored_summaries(client, cast, rnd, django_assert_max_num_queries):
    county_subject = cast.subjects["county"]
    in_budget(cast, county_subject, annual_amount=Y("300000"), spent_by_month={1: "10000"})
    county_round = services.round_create(actor=actor(cast, "county_admin"), region=cast.county,
                                         year=cast.year.year, point=0)
    services.round_compute(actor=actor(cast, "county_admin"), rnd=county_round)
    county_round.refresh_from_db()
    assert county_round.summary["total"] == 1 and county_round.summary["red"] == 1
    login(client, cast, "finance_admin")
    html = client.get(reverse("monitoring:dashboard"), {"round": rnd.pk}).content.decode()
    assert 'id="by-region"' in html and "科尔沁区" in html and f"?round={county_round.pk}" in html
    # the city's bureau drills into the county's round; the county's bureau sees only its own
    assert client.get(reverse("monitoring:dashboard"), {"round": county_round.pk}).status_code == 200
    login(client, cast, "county_admin")
    assert client.get(reverse("monitoring:dashboard"), {"round": rnd.pk}).status_code == 404


def test_summary_follows_submission(cast, rnd, a1):
    report = report_of(rnd, a1)
    rnd.refresh_from_db()
    before = rnd.summary["reported"]
    services.report_save(actor=actor(cast, "unit_a1"), report=report, data={"rows": green_rows(report),
                         "expected_year_end": "1200000"}, expected_lock_version=report.lock_version)
    services.report_transition(actor=actor(cast, "unit_a1"), report=report, name="submit")
    rnd.refresh_from_db()
    assert rnd.summary["reported"] == before + 1


def test_the_bureau_dashboard_reads_the_stored_groups_and_they_match_the_reports(cast, rnd, a1):
    from jixiao.monitoring import selectors
    from jixiao.monitoring.models import MonitoringRoundFigures

    def norm(groups):
        return sorted(repr(sorted(g.items())) for g in groups)

    live = norm(selectors.report_groups(MonitoringReport.objects.filter(round=rnd)))
    assert live  # the round's reports, grouped
    assert MonitoringRoundFigures.objects.filter(round=rnd).exists()
    bureau = actor(cast, "finance_admin")
    stored = selectors._stored_groups(bureau, rnd)
    assert norm(stored) == live
    assert selectors._stored_groups(actor(cast, "clerk_a"), rnd) is None  # a department counts what it sees
    # key monitoring is counted straight away
    report = report_of(rnd, a1)
    services.key_monitoring_set(actor=bureau, report=report, is_key=True, note="重点项目")
    assert selectors.dashboard(bureau, rnd).key_monitored == 1
    # the department's own view groups its reports and agrees with the bureau's for that department
    mine = selectors.dashboard(actor(cast, "clerk_a"), rnd)
    theirs = selectors.dashboard(bureau, rnd, department=cast.dept_a)
    assert (mine.totals.total, mine.totals.colours, mine.totals.budget) == (
        theirs.totals.total, theirs.totals.colours, theirs.totals.budget)
