"""The self-evaluation API: rounds, sheets (scoped, filtered, paged), the sheet's detail with its reasons, saving with
lock_version, transitions and the roll-up; the same permissions and checks as the screens."""

import pytest

from jixiao.core.money import Money
from jixiao.evaluation import services
from jixiao.evaluation.models import SelfEvaluation
from jixiao.monitoring.tests.helpers import actor, in_budget

pytestmark = pytest.mark.django_db
Y = Money.from_yuan
API = "/api/evaluation"


@pytest.fixture
def rnd(cast):
    in_budget(cast, cast.subjects["a1"], annual_amount=Y("1200000"),
              spent_by_month={3: "300000", 9: "500000", 12: "280000"})
    in_budget(cast, cast.subjects["b1"], annual_amount=Y("800000"), spent_by_month={6: "400000"})
    return services.round_create(actor=actor(cast), region=cast.city, year=cast.year.year)


def as_user(client, cast, name):
    client.force_login(cast.users[name])
    return client


def lines_payload(detail) -> list[dict]:
    out = []
    for ln in detail["lines"]:
        item = {"position": ln["position"]}
        if ln["comparator"] == "qualitative":
            item.update(tier="achieved", judged_score="9")
        elif ln["name"] == "资助学生人数":
            item.update(actual_value="1180", explanation="部分学生转学")
        elif ln["comparator"] == "le":
            item["actual_value"] = "0"
        else:
            item["actual_value"] = "100" if ln["weight"] == "20.00" else "95"
        out.append(item)
    return out


def test_open_a_round_through_the_api(client, cast, django_capture_on_commit_callbacks):
    in_budget(cast, cast.subjects["a1"], annual_amount=Y("1200000"))
    c = as_user(client, cast, "finance_admin")
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"{API}/rounds", {"region_id": cast.city.pk, "year": cast.year.year},
                   content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["job_id"] and body["round"]["name"] == f"{cast.year.year}年度单位自评"
    assert SelfEvaluation.objects.filter(round_id=body["round"]["id"]).count() == 1
    r = c.post(f"{API}/rounds", {"region_id": cast.city.pk, "year": cast.year.year}, content_type="application/json")
    assert r.status_code == 400 and "已开启" in r.json()["error"]["message"]
    c = as_user(client, cast, "unit_a1")
    r = c.post(f"{API}/rounds", {"region_id": cast.county.pk, "year": cast.year.year},
               content_type="application/json")
    assert r.status_code == 403


def test_sheets_listed_in_reach_filtered_and_paged(client, cast, rnd):
    c = as_user(client, cast, "finance_admin")
    body = c.get(f"{API}/rounds/{rnd.pk}/sheets").json()
    assert body["count"] == 2 and body["items"][0]["annual_budget"] == "1200000.00"
    body = c.get(f"{API}/rounds/{rnd.pk}/sheets?department={cast.dept_b.pk}").json()
    assert [i["subject_name"] for i in body["items"]] == ["医疗设备购置"]
    assert c.get(f"{API}/rounds/{rnd.pk}/sheets?grade=bogus").status_code == 400
    assert c.get(f"{API}/rounds/{rnd.pk}/sheets?page_size=1&page=2").json()["page"] == 2
    c = as_user(client, cast, "unit_a1")
    body = c.get(f"{API}/rounds/{rnd.pk}/sheets").json()
    assert [i["subject_name"] for i in body["items"]] == ["学生资助项目"]


def test_fill_submit_and_review_through_the_api(client, cast, rnd):
    ev = SelfEvaluation.objects.get(round=rnd, subject=cast.subjects["a1"])
    c = as_user(client, cast, "unit_a1")
    detail = c.get(f"{API}/sheets/{ev.pk}").json()
    assert detail["execution_rate"] == "90.00" and "规则" in detail["execution_explanation"]
    assert "achieved_goal" in detail["required"]
    body = {"lock_version": detail["lock_version"], "achieved_goal": "资助1180人", "lines": lines_payload(detail)}
    r = c.put(f"{API}/sheets/{ev.pk}", body, content_type="application/json")
    assert r.status_code == 200, r.content
    saved = r.json()
    assert saved["total_score"] == "97.50" and saved["grade"] == "excellent" and saved["problems"] == {}
    r = c.put(f"{API}/sheets/{ev.pk}", body, content_type="application/json")  # the old lock_version
    assert r.status_code == 409
    detail = c.get(f"{API}/sheets/{ev.pk}").json()
    assert detail["lines"][0]["reason"] and detail["lines"][0]["score"] == "29.50"
    r = c.post(f"{API}/sheets/{ev.pk}/transition", {"name": "submit"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "submitted"
    c = as_user(client, cast, "clerk_a")
    r = c.post(f"{API}/sheets/{ev.pk}/transition", {"name": "department_return"}, content_type="application/json")
    assert r.status_code == 400
    r = c.post(f"{API}/sheets/{ev.pk}/transition", {"name": "department_pass"}, content_type="application/json")
    assert r.json()["state"] == "department_passed"
    c = as_user(client, cast, "finance_admin")
    assert c.post(f"{API}/sheets/{ev.pk}/transition", {"name": "accept"},
                  content_type="application/json").json()["state"] == "accepted"
    rollup = c.get(f"{API}/rounds/{rnd.pk}/rollup").json()
    assert rollup["total"]["done"] == 1 and rollup["total"]["grades"]["excellent"] == 1
    assert {d["department"] for d in rollup["departments"]} == {"通辽市教育局", "通辽市卫生健康委员会"}


def test_bad_input_is_400_naming_the_field(client, cast, rnd):
    ev = SelfEvaluation.objects.get(round=rnd, subject=cast.subjects["a1"])
    c = as_user(client, cast, "unit_a1")
    r = c.put(f"{API}/sheets/{ev.pk}", {"lock_version": ev.lock_version, "executed": 1080000.5},
              content_type="application/json")
    assert r.status_code == 400 and "executed" in r.json()["error"]["fields"]
    r = c.put(f"{API}/sheets/{ev.pk}", {"lock_version": ev.lock_version,
                                        "lines": [{"position": 0, "actual_value": "很多"}]},
              content_type="application/json")
    assert r.status_code == 400 and "lines.1.actual_value" in r.json()["error"]["fields"]
    r = c.post(f"{API}/sheets/{ev.pk}/transition", {"name": "submit"}, content_type="application/json")
    assert r.status_code == 400 and "achieved_goal" in r.json()["error"]["fields"]


def test_other_units_get_404_and_the_bureau_scores(client, cast, rnd, django_capture_on_commit_callbacks):
    ev = SelfEvaluation.objects.get(round=rnd, subject=cast.subjects["a1"])
    c = as_user(client, cast, "unit_a2")
    assert c.get(f"{API}/sheets/{ev.pk}").status_code == 404
    assert c.post(f"{API}/rounds/{rnd.pk}/score").status_code == 403
    c = as_user(client, cast, "finance_admin")
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"{API}/rounds/{rnd.pk}/score")
    assert r.status_code == 202 and r.json()["job_id"]


def test_openapi_documents_the_sheet_endpoints(client, db):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/evaluation/sheets/{sheet_id}" in paths and "/api/evaluation/rounds/{round_id}/rollup" in paths
