"""The ex-ante REST API: a round trip (create, update with dimensions and cost items, 409 on a stale version, expert
score, transitions, the bureau's opinion), scoping, money as strings, statistics and the requirement check."""

import pytest

from jixiao.core.testing import PASSWORD, make_subject
from jixiao.exante.tests.helpers import make_assessment, wan

BASE = "/api/exante"
CODES = ("necessity", "economy", "target_soundness", "feasibility", "funding_compliance")


@pytest.fixture
def api(client, cast):
    tokens = {}

    class Api:
        def __call__(self, user):
            if user not in tokens:
                r = client.post("/api/auth/token", {"username": cast.users[user].username, "password": PASSWORD},
                                content_type="application/json")
                tokens[user] = r.json()["token"]
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens[user]}"}
            return self

        def get(self, path, **params):
            return client.get(BASE + path, params, **self.headers)

        def post(self, path, body=None):
            return client.post(BASE + path, body or {}, content_type="application/json", **self.headers)

        def patch(self, path, body):
            return client.patch(BASE + path, body, content_type="application/json", **self.headers)

        def put(self, path, body):
            return client.put(BASE + path, body, content_type="application/json", **self.headers)

    return Api()


def test_requires_authentication(client, cast):
    assert client.get(BASE + "/assessments").status_code == 401


def test_round_trip(cast, api):
    b1 = cast.subjects["b1"]
    r = api("clerk_b").post("/assessments", {"subject_id": b1.pk, "requested_amount": "6000000"})
    assert r.status_code == 201, r.json()
    body = r.json()
    pk, version = body["id"], body["lock_version"]
    assert body["requested_amount"] == "6000000.00" and body["requirement"] == "simplified"  # b1 is 100万
    assert [d["code"] for d in body["dimensions"]] == list(CODES)
    assert {t["name"] for t in body["transitions"]} == {"submit_to_experts", "submit"}
    assert api("clerk_b").post("/assessments", {"subject_id": b1.pk, "requested_amount": 6000000.5}).status_code == 400

    patch = {"lock_version": version, "method": "专家评审", "conclusion": "support",
             "output_name": "设备", "output_quantity": "4", "output_unit": "台",
             "dimensions": [{"code": c, "text": f"{c}论证", "score": "18"} for c in CODES],
             "cost_items": [{"category": "capital", "name": "CT机", "quantity": "2", "unit_cost": "2500000"},
                            {"category": "goods_services", "name": "安装", "unit_cost": "1000000"}]}
    r = api("clerk_b").patch(f"/assessments/{pk}", patch)
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["total_score"] == "90.00" and body["cost_analysis"]["total"] == "6000000.00"
    assert body["cost_analysis"]["unit_cost"] == "1500000.00"
    assert body["cost_items"][0]["amount"] == "5000000.00"
    assert api("clerk_b").patch(f"/assessments/{pk}", patch).status_code == 409  # the old lock_version
    bad = api("clerk_b").patch(f"/assessments/{pk}", {"lock_version": body["lock_version"],
                                                      "dimensions": [{"code": "economy", "score": "30"}]})
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["score_economy"]
    # a dimension's text alone keeps its score
    r = api("clerk_b").patch(f"/assessments/{pk}", {"lock_version": body["lock_version"],
                                                    "dimensions": [{"code": "economy", "text": "改"}]})
    assert r.json()["dimensions"][1] == {**r.json()["dimensions"][1], "text": "改", "score": "18.00"}

    r = api("clerk_b").post(f"/assessments/{pk}/transition", {"name": "submit_to_experts"})
    assert r.json()["state"] == "expert_review"
    r = api("expert").put(f"/assessments/{pk}/expert-score", {"scores": {"necessity": "17", "economy": "16.5"},
                                                              "opinion": "可行"})
    assert r.status_code == 200 and r.json()["scores"] == {"necessity": "17", "economy": "16.5"}
    assert api("agency_yes").put(f"/assessments/{pk}/expert-score", {"scores": {}}).status_code == 404
    detail = api("clerk_b").get(f"/assessments/{pk}").json()
    assert detail["dimensions"][0]["expert_average"] == "17.00" and detail["expert_scores"][0]["opinion"] == "可行"

    api("clerk_b").post(f"/assessments/{pk}/transition", {"name": "submit"})
    assert api("officer_a").post(f"/assessments/{pk}/transition", {"name": "support"}).status_code == 404
    r = api("finance_admin").post(f"/assessments/{pk}/transition",
                                  {"name": "support", "approved_amount": "4500000", "comment": "核减安装费"})
    body = r.json()
    assert body["state"] == "supported" and body["approved_amount"] == "4500000.00"
    assert body["cut_amount"] == "1500000.00" and body["cut_rate"] == "25.00"

    req = api("clerk_b").get(f"/subjects/{b1.pk}/requirement").json()
    assert req["requirement"] == "simplified" and req["gate_problems"] == [] and req["latest_state"] == "supported"


def test_list_is_scoped_and_filtered(cast, api):
    for key, user in (("a1", "unit_a1"), ("b1", "clerk_b")):
        api(user).post("/assessments", {"subject_id": cast.subjects[key].pk})
    body = api("finance_admin").get("/assessments", year="2026").json()
    assert body["count"] == 2 and isinstance(body["items"][0]["requested_amount"], str)
    assert api("clerk_a").get("/assessments").json()["count"] == 1
    assert api("finance_admin").get("/assessments", department=str(cast.dept_b.pk)).json()["count"] == 1
    assert api("finance_admin").get("/assessments", state="bogus").status_code == 400
    assert api("clerk_a").post("/assessments", {"subject_id": cast.subjects["b1"].pk}).status_code == 404


def test_requirement_check_and_gate_problems(cast, api):
    a2 = cast.subjects["a2"]
    a2.annual_amount = wan(2000)
    a2.save()
    body = api("clerk_a").get(f"/subjects/{a2.pk}/requirement").json()
    assert body["requirement"] == "finance" and body["latest_assessment_id"] is None
    assert body["reasons"] == ["年度投入2,000.00万元达到门槛500.00万元", "年度投入达到财政评估门槛2,000.00万元"]
    assert body["gate_problems"] == ["须开展事前绩效评估，尚未评估（未评估不得申请预算）"]
    assert api("clerk_b").get(f"/subjects/{a2.pk}/requirement").status_code == 404


def test_statistics(cast, api):
    s = make_subject(cast, "S1", department=cast.dept_a, unit=cast.unit_a1)
    make_assessment(cast, s, requested=wan(13285), approved=wan(6512))
    body = api("finance_admin").get("/statistics", year=2026).json()
    assert body["total"] == {"department_id": None, "department_name": "合计", "count": 1,
                             "requested": "132850000.00", "approved": "65120000.00", "cut": "67730000.00",
                             "cut_rate": "50.98"}
    assert api("expert").get("/statistics", year=2026).status_code == 403
