"""The goal sheets' REST API: a round trip from creation through review, approval, adjustment and versions; weights
as strings; 400 per field, 403, 404, 409."""

import pytest

from jixiao.core.testing import PASSWORD
from jixiao.goals.models import GoalSheet
from jixiao.goals.tests.test_services import POINTS
from jixiao.goals.workflows import GoalState
from jixiao.indicators.models import Indicator

BASE = "/api/goals"
G = GoalState


@pytest.fixture
def api(client, cast):
    """`api("unit_a1")` gives a caller with that user's token (each caller keeps its own)."""
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


def rows_json():
    base = {"comparator": "ge", "explanation": "计算口径", "value_basis": "plan", "value_method": "统计汇总",
            "data_source": "单位统计台账", "evidence_type": "统计报表"}
    return [
        {**base, "level1": "output", "level2": "数量指标", "name": "资助家庭经济困难学生人数", "target_value": "500",
         "unit": "人", "weight": "20"},
        {**base, "level1": "output", "level2": "质量指标", "name": "资助对象认定准确率", "target_value": "98",
         "unit": "%", "weight": "15"},
        {**base, "level1": "output", "level2": "时效指标", "name": "资助资金按时发放率", "target_value": "100",
         "unit": "%", "weight": "15"},
        {**base, "level1": "benefit", "level2": "社会效益指标", "name": "困难学生因贫辍学人数", "comparator": "le",
         "target_value": "0", "unit": "人", "weight": "30"},
        {**base, "level1": "satisfaction", "level2": "服务对象满意度指标", "name": "受助学生满意度",
         "target_value": "90", "unit": "%", "weight": "10"},
    ]


def sheet_json(lock_version, rows=None):
    return {"lock_version": lock_version, "overall_goal": "保障家庭经济困难学生顺利完成学业",
            "annual_goal": "2026年资助家庭经济困难学生500人", "policy_basis": "学生资助管理办法",
            "calculation_basis": "按标准测算", "survey_plan": "学期末开展问卷调查",
            "rows": rows_json() if rows is None else rows}


def test_requires_authentication(client, cast):
    assert client.get(BASE + "/sheets").status_code == 401


def test_round_trip(cast, api):
    a = api("unit_a1")
    r = a.post("/sheets", {"subject_id": cast.subjects["a1"].pk})
    assert r.status_code == 201, r.content
    sheet = r.json()
    pk = sheet["id"]
    assert (sheet["kind"], sheet["state"], sheet["rows"], sheet["frame_code"]) == ("project", "draft", [], "frame_10")
    assert sheet["exante"]["requirement"] and any(t["name"] == "submit" for t in sheet["transitions"])
    assert a.post("/sheets", {"subject_id": cast.subjects["a1"].pk}).status_code == 400  # one per subject

    r = a.put(f"/sheets/{pk}", sheet_json(sheet["lock_version"]))
    assert r.status_code == 200, r.content
    saved = r.json()
    assert saved["lock_version"] == sheet["lock_version"] + 1
    assert not [f for f in saved["findings"] if f["severity"] == "error"]
    stale = a.put(f"/sheets/{pk}", sheet_json(sheet["lock_version"]))
    assert stale.status_code == 409
    assert a.get(f"/sheets/{pk}/findings").json() == [f for f in saved["findings"] if f["severity"] == "error"]

    detail = a.get(f"/sheets/{pk}").json()
    assert [r["weight"] for r in detail["rows"]] == ["20.00", "15.00", "15.00", "30.00", "10.00"]
    assert detail["rows"][0]["history"] is None and detail["expected_weights"]
    assert len(detail["review_points"]) == 8

    r = a.post(f"/sheets/{pk}/transition", {"name": "submit", "lock_version": saved["lock_version"]})
    assert r.status_code == 200 and r.json()["state"] == G.SUBMITTED and r.json()["review_due"]
    assert api("clerk_a").get("/review-queue").json()[0]["id"] == pk

    bad = api("clerk_a").post(f"/sheets/{pk}/review", {"point_grades": {"format": "excellent"}})
    assert bad.status_code == 400 and "point_grades" in bad.json()["error"]["fields"]
    r = api("clerk_a").post(f"/sheets/{pk}/review", {"point_grades": dict.fromkeys(POINTS, "excellent")})
    assert r.status_code == 200 and r.json()["grade"] == "excellent" and r.json()["level"] == "department"
    assert api("clerk_a").post(f"/sheets/{pk}/review",
                               {"point_grades": dict.fromkeys(POINTS, "excellent")}).status_code == 403
    r = api("finance_admin").post(f"/sheets/{pk}/review", {"point_grades": dict.fromkeys(POINTS, "good"),
                                                           "comment": "细化时效指标"})
    assert r.json()["outcome"] == "good"
    assert a.post(f"/sheets/{pk}/transition", {"name": "confirm_edits"}).json()["state"] == G.PASSED

    assert api("officer_b").post("/sheets/approve-many", {"ids": [pk]}).status_code == 400  # not in its reach
    assert api("clerk_a").post("/sheets/approve-many", {"ids": [pk]}).status_code == 403
    assert api("officer_a").post("/sheets/approve-many", {"ids": [pk]}).json() == {"count": 1}
    r = api("clerk_a").post(f"/sheets/{pk}/transition", {"name": "issue"})
    assert r.json()["state"] == G.ISSUED

    r = a.post(f"/sheets/{pk}/transition", {"name": "start_adjustment", "comment": "追加名额"})
    assert r.status_code == 400 and "budget_adjustment_ref" in r.json()["error"]["fields"]
    r = a.post(f"/sheets/{pk}/transition", {"name": "start_adjustment", "comment": "追加名额",
                                            "budget_adjustment_ref": "通财预〔2026〕15号"})
    assert (r.json()["state"], r.json()["revision"]) == (G.DRAFT, 2)
    rows = rows_json()
    rows[0]["weight"] = "25"
    r = a.put(f"/sheets/{pk}", sheet_json(r.json()["lock_version"], rows))
    assert r.status_code == 400 and "rows.1.weight" in r.json()["error"]["fields"]
    rows = rows_json()
    rows[0]["target_value"] = "600"
    assert a.put(f"/sheets/{pk}", sheet_json(GoalSheet.objects.get(pk=pk).lock_version, rows)).status_code == 200

    versions = a.get(f"/sheets/{pk}/versions").json()
    assert [v["revision"] for v in versions] == [1] and len(versions[0]["data"]["rows"]) == 5
    diff = a.get(f"/sheets/{pk}/diff", old=1).json()
    assert diff["changed"][0]["fields"] == [["target_value", "500", "600"]]
    assert a.get(f"/sheets/{pk}/diff", old=7).status_code == 400
    steps = a.get(f"/sheets/{pk}").json()["steps"]
    assert [s["transition"] for s in steps][-2:] == ["issue", "start_adjustment"]


def test_errors_per_field_floats_and_reach(cast, api):
    a = api("unit_a1")
    pk = a.post("/sheets", {"subject_id": cast.subjects["a1"].pk}).json()["id"]
    lock = GoalSheet.objects.get(pk=pk).lock_version
    rows = rows_json()
    rows[0]["weight"] = 20.5
    r = a.put(f"/sheets/{pk}", sheet_json(lock, rows))
    assert r.status_code == 400 and "浮点数" in str(r.json()["error"]["fields"])
    rows = rows_json()
    rows[1]["level1"] = "bogus"
    rows[2]["unit"] = "x" * 30
    r = a.put(f"/sheets/{pk}", sheet_json(lock, rows))
    assert r.status_code == 400
    assert set(r.json()["error"]["fields"]) == {"rows.2.level1", "rows.3.unit"}
    assert api("unit_a2").get(f"/sheets/{pk}").status_code == 404
    assert api("unit_a2").put(f"/sheets/{pk}", sheet_json(lock)).status_code == 404
    assert api("overseer").get(f"/sheets/{pk}").status_code == 200
    assert api("overseer").put(f"/sheets/{pk}", sheet_json(lock)).status_code == 403
    assert api("unit_a2").post("/sheets", {"subject_id": cast.subjects["a1"].pk}).status_code == 404
    assert api("finance_admin").post("/sheets", {"subject_id": cast.subjects["a1"].pk}).status_code == 403
    assert a.post(f"/sheets/{pk}/transition", {"name": "fly"}).status_code == 400
    assert a.get("/sheets", state="bogus").status_code == 400
    secret = a.post("/sheets", {"subject_id": cast.subjects["a1_secret"].pk}).json()["id"]
    assert api("agency_yes").get(f"/sheets/{secret}").status_code == 404
    assert api("agency_yes").get(f"/sheets/{pk}").status_code == 200


def test_list_paginates_and_query_count_is_fixed(cast, api, django_assert_max_num_queries):
    for key, who in (("a1", "unit_a1"), ("a2", "unit_a2"), ("b1", "clerk_b")):
        api(who).post("/sheets", {"subject_id": cast.subjects[key].pk})
    a = api("finance_admin")
    body = a.get("/sheets", page_size=2).json()
    assert (body["count"], body["pages"], len(body["items"])) == (3, 2, 2)
    assert body["items"][0]["subject_code"] == cast.subjects["a1"].code and body["items"][0]["annual_amount"]
    assert a.get("/sheets", q="医疗").json()["count"] == 1
    with django_assert_max_num_queries(6) as first:
        a.get("/sheets")
    n = len(first)
    api("unit_a1").post("/sheets", {"subject_id": cast.subjects["a1_secret"].pk})
    with django_assert_max_num_queries(n):
        assert a.get("/sheets").json()["count"] == 4
    missing = a.get("/subjects-without-sheet", year=2026).json()
    assert {m["code"] for m in missing} == {cast.subjects["a_dept"].code}


def test_library_rows_and_suggestions(cast, api):
    ind = Indicator.objects.create(code="ZB000000000001", name="资助家庭经济困难学生人数", level1="output",
                                   level2="数量指标", unit="人", comparator="ge")
    a = api("unit_a1")
    rows = a.get("/library-rows", ids=f"{ind.pk},999999").json()
    assert [(r["name"], r["indicator_id"], r["target_value"]) for r in rows] == [(ind.name, ind.pk, "")]
    assert a.get("/library-rows", ids="x").status_code == 400
    pk = a.post("/sheets", {"subject_id": cast.subjects["a1"].pk}).json()["id"]
    r = a.get(f"/sheets/{pk}/suggestions", limit=5)
    assert r.status_code == 200 and isinstance(r.json(), list)
    assert api("unit_a2").get(f"/sheets/{pk}/suggestions").status_code == 404
