"""The monitoring API: rounds (opened as a background job), dashboard figures, the report form with its checks,
stale writes, amounts as strings, the disposition through to the budget, scoping."""

import pytest

from jixiao.core.money import Money
from jixiao.core.testing import PASSWORD
from jixiao.monitoring import services
from jixiao.monitoring.models import MonitoringDisposition, MonitoringReport, MonitoringRound
from jixiao.monitoring.tests.helpers import actor, green_rows, in_budget

pytestmark = pytest.mark.django_db
BASE = "/api/monitoring"
Y = Money.from_yuan


@pytest.fixture
def api(client, cast):
    tokens = {}

    class Caller:
        def __init__(self, user):
            if user not in tokens:
                r = client.post("/api/auth/token", {"username": cast.users[user].username, "password": PASSWORD},
                                content_type="application/json")
                tokens[user] = r.json()["token"]
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens[user]}"}

        def get(self, path, **params):
            return client.get(BASE + path, params, **self.headers)

        def post(self, path, body=None):
            return client.post(BASE + path, body or {}, content_type="application/json", **self.headers)

        def put(self, path, body):
            return client.put(BASE + path, body, content_type="application/json", **self.headers)

    return Caller


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


def test_open_round_as_job(api, cast, a1, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = api("finance_admin").post("/rounds", {"region_id": cast.city.pk, "year": 2026, "point": 0})
    assert r.status_code == 201, r.json()
    assert r.json()["url"] == f"/api/budget/jobs/{r.json()['job_id']}"
    assert MonitoringRound.objects.count() == 1 and MonitoringReport.objects.filter(subject=a1).exists()
    r = api("clerk_a").post("/rounds", {"region_id": cast.city.pk, "year": 2026, "point": 1})
    assert r.status_code == 403
    r = api("finance_admin").post("/rounds", {"region_id": cast.city.pk, "year": 2026})
    assert r.status_code == 400 and "point" in r.json()["error"]["fields"]


def test_dashboard_and_reports(api, cast, rnd):
    board = api("finance_admin").get(f"/rounds/{rnd.pk}/dashboard").json()
    assert board["totals"]["total"] == 2 and board["totals"]["red"] == 1
    assert {d["label"] for d in board["by_department"]} == {"通辽市教育局", "通辽市卫生健康委员会"}
    assert isinstance(board["totals"]["budget"], str)
    assert sum(board["indicators"].values()) == 10  # two reports of five rows, from the counts stored on reports
    mine = api("clerk_a").get(f"/rounds/{rnd.pk}/dashboard").json()
    assert mine["totals"]["total"] == 1
    page = api("finance_admin").get(f"/rounds/{rnd.pk}/reports", colour="red").json()
    assert page["count"] == 1 and page["items"][0]["subject_name"] == "医疗设备购置"
    bad = api("finance_admin").get(f"/rounds/{rnd.pk}/reports", colour="purple")
    assert bad.status_code == 400 and "colour" in bad.json()["error"]["fields"]
    assert api("unit_a2").get(f"/rounds/{rnd.pk}/reports").json()["count"] == 0


def test_fill_submit_and_dispose_through_the_api(api, cast, rnd, a1):
    report = MonitoringReport.objects.get(round=rnd, subject=a1)
    detail = api("unit_a1").get(f"/reports/{report.pk}").json()
    assert detail["rows"][0]["name"] == "资助学生人数" and detail["explanation"]
    rows = [{"position": int(k), **v} for k, v in green_rows(report).items()]
    rows[0] = {"position": 0, "current_value": "300", "expected_value": "800", "deviation_causes": ["funding"],
               "cause_note": "资金未到位", "likelihood": "impossible", "remark": "调减"}
    r = api("unit_a1").put(f"/reports/{report.pk}", {"lock_version": detail["lock_version"],
                                                     "expected_year_end": 1200000.5, "rows": rows})
    assert r.status_code == 400 and "浮点" in str(r.json())
    r = api("unit_a1").put(f"/reports/{report.pk}", {"lock_version": detail["lock_version"],
                                                     "expected_year_end": "1200000", "rows": rows})
    assert r.status_code == 200 and r.json()["problems"] == {} and r.json()["colour"] == "red"
    stale = api("unit_a1").put(f"/reports/{report.pk}", {"lock_version": detail["lock_version"], "rows": []})
    assert stale.status_code == 409
    r = api("unit_a1").post(f"/reports/{report.pk}/transition", {"name": "submit"})
    assert r.status_code == 200 and r.json()["state"] == "submitted"
    d = MonitoringDisposition.objects.get(report=report)
    r = api("clerk_a").put(f"/dispositions/{d.pk}", {
        "lock_version": d.lock_version, "measure": "reduce_adjust", "measure_note": "调减未实施部分",
        "reduce_amount": "300000", "budget_adjustment_ref": "通财预〔2026〕12号"})
    assert r.status_code == 200, r.json()
    r = api("clerk_a").post(f"/dispositions/{d.pk}/transition", {"name": "propose"})
    assert r.json()["state"] == "proposed"
    assert api("clerk_a").post(f"/dispositions/{d.pk}/transition", {"name": "approve"}).status_code == 403
    r = api("finance_admin").post(f"/dispositions/{d.pk}/transition", {"name": "approve", "comment": "同意"})
    assert r.json()["state"] == "approved"
    a1.refresh_from_db()
    assert a1.adjusted_amount == Y("900000")
    assert api("unit_a2").get(f"/dispositions/{d.pk}").status_code == 404


def test_key_monitoring_and_sweep(api, cast, rnd, a1):
    report = MonitoringReport.objects.get(round=rnd, subject=cast.subjects["b1"])
    r = api("finance_admin").post(f"/reports/{report.pk}/key", {"is_key": True, "note": "重点",
                                                                  "stop_disbursement": True})
    assert r.status_code == 200 and r.json()["is_key"]
    sweep = api("finance_admin").get(f"/rounds/{rnd.pk}/sweep").json()
    by_name = {g["department"]: g for g in sweep}
    assert by_name["通辽市卫生健康委员会"]["subjects"][0]["name"] == "医疗设备购置"
    assert by_name["通辽市卫生健康委员会"]["behind"] == "241666.67"  # 50万 × 7/12 − 5万
    assert api("clerk_b").post(f"/reports/{report.pk}/key", {"is_key": False}).status_code == 403
