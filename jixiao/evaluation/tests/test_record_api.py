"""Department and fiscal evaluations through the API."""

import pytest

from jixiao.evaluation.tests.test_evaluations import SYSTEM
from jixiao.evaluation.workflows import STEP_DOCUMENTS, STEPS

pytestmark = pytest.mark.django_db
API = "/api/evaluation/evaluations"
JSON = "application/json"


def test_an_evaluation_through_the_nine_steps_by_api(client, cast):
    client.force_login(cast.users["clerk_a"])
    r = client.post(API, {"subject_id": cast.subjects["a1"].pk, "kind": "department", "year": cast.year.year,
                          "title": "学生资助项目部门评价", "scope": "2026年度"}, content_type=JSON)
    assert r.status_code == 201, r.content
    ev = r.json()
    url = f"{API}/{ev['id']}"
    for step in STEPS[:-1]:
        for kind in STEP_DOCUMENTS[step]:
            assert client.post(f"{url}/documents", {"kind": kind, "title": kind}, content_type=JSON).status_code == 201
        if step == "final":
            body = client.get(url).json()
            r = client.put(f"{url}/indicators", {"lock_version": body["lock_version"], "rows": SYSTEM},
                           content_type=JSON)
            assert r.status_code == 200 and r.json()["total_score"] == "92.00" and r.json()["warnings"] == []
            r = client.patch(url, {"lock_version": r.json()["lock_version"], "conclusion": "总体较好"},
                             content_type=JSON)
            assert r.status_code == 200
        r = client.post(f"{url}/transition", {"name": f"complete_{step}"}, content_type=JSON)
        assert r.status_code == 200, (step, r.content)
    assert r.json()["step"] == "archived" and r.json()["grade"] == "excellent"


def test_api_refusals(client, cast):
    client.force_login(cast.users["clerk_a"])
    r = client.post(API, {"subject_id": cast.subjects["a1"].pk, "kind": "fiscal", "year": cast.year.year,
                          "title": "x"}, content_type=JSON)
    assert r.status_code == 403
    r = client.post(API, {"subject_id": cast.subjects["b1"].pk, "kind": "department", "year": cast.year.year,
                          "title": "x"}, content_type=JSON)
    assert r.status_code == 404
    r = client.post(API, {"subject_id": cast.subjects["a1"].pk, "kind": "department", "year": cast.year.year,
                          "title": "x"}, content_type=JSON)
    url = f"{API}/{r.json()['id']}"
    r = client.post(f"{url}/transition", {"name": "complete_scope"}, content_type=JSON)
    assert r.status_code == 400 and "scope" in r.json()["error"]["fields"]
    r = client.put(f"{url}/indicators", {"lock_version": 1, "rows": [{"level1": "output", "name": "a",
                                                                       "weight": 10.5}]}, content_type=JSON)
    assert r.status_code == 400
    assert client.get(f"{API}?kind=bogus").status_code == 400
