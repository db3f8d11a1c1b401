"""The project library's REST API: list/detail/create/update/delete/transition, 400/403/404/409, money as strings,
imports as jobs."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jixiao.budget.models import ExecutionRecord, PerformanceSubject
from jixiao.budget.tests.helpers import SAMPLE_XLSX, yuan
from jixiao.core.testing import PASSWORD

BASE = "/api/budget"


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

        def delete(self, path):
            return client.delete(BASE + path, **self.headers)

        def upload(self, path, data):
            return client.post(BASE + path, data, **self.headers)

    return Api()


def test_requires_authentication(client, cast):
    assert client.get(BASE + "/subjects").status_code == 401


def test_list_is_scoped_paginated_and_money_is_strings(cast, api):
    body = api("clerk_a").get("/subjects", page_size=2, sort="code").json()
    assert body["count"] == 4 and body["pages"] == 2 and len(body["items"]) == 2
    item = body["items"][0]
    assert item["code"] == cast.subjects["a1"].code
    assert item["annual_amount"] == "1000000.00" and isinstance(item["annual_amount"], str)
    assert item["adjusted_amount"] is None and item["current_amount"] == "1000000.00"
    assert body["totals"] == {"count": 4, "annual_amount": "4000000.00", "adjusted_amount": "4000000.00",
                              "total_amount": "0.00"}
    codes = {i["code"] for i in api("unit_a2").get("/subjects").json()["items"]}
    assert codes == {cast.subjects["a2"].code}
    assert api("agency_yes").get("/subjects").json()["count"] == 1


def test_list_filters_and_bad_filters(cast, api):
    body = api("finance_admin").get("/subjects", classified="yes").json()
    assert [i["code"] for i in body["items"]] == [cast.subjects["a1_secret"].code]
    body = api("finance_admin").get("/subjects", q="医疗", year="2026").json()
    assert body["count"] == 1
    r = api("finance_admin").get("/subjects", amount_min="abc", sort="bogus")
    assert r.status_code == 400
    fields = r.json()["error"]["fields"]
    assert "不是有效金额" in fields["amount_min"][0] and "sort" in fields
    assert api("finance_admin").get("/subjects", page="x").status_code == 400


def test_list_query_count_is_fixed(cast, api, django_assert_max_num_queries):
    from jixiao.core.testing import make_subject

    a = api("finance_admin")
    a.get("/subjects")
    with django_assert_max_num_queries(8) as ctx:
        assert a.get("/subjects").status_code == 200
    for i in range(30):
        make_subject(cast, f"N{i}", department=cast.dept_b, unit=cast.unit_b1)
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        assert a.get("/subjects").json()["count"] == 35


def test_detail_404_outside_reach(cast, api):
    s = cast.subjects["a1"]
    assert api("unit_a1").get(f"/subjects/{s.pk}").json()["name"] == "学生资助项目"
    r = api("unit_a2").get(f"/subjects/{s.pk}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert api("agency_yes").get(f"/subjects/{cast.subjects['a1_secret'].pk}").status_code == 404
    assert api("unit_a1").get("/subjects/999999").status_code == 404


def payload(cast, **overrides):
    body = {"fiscal_year": 2026, "code": "API001", "name": "校园网络升级", "department_id": cast.dept_a.pk,
            "unit_id": cast.unit_a1.pk, "annual_amount": "300000.00", "total_amount": "600000",
            "start_date": "2026-03-01", "end_date": "2027-02-28", "budget_kind": "general_public"}
    body.update(overrides)
    return body


def test_create(cast, api):
    r = api("unit_a1").post("/subjects", payload(cast))
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["state"] == "draft" and body["lock_version"] == 1 and body["total_amount"] == "600000.00"
    assert PerformanceSubject.objects.get(code="API001").annual_amount == yuan("300000")


@pytest.mark.parametrize("overrides,field,message", [
    ({"annual_amount": 300000.5}, "annual_amount", "不接受浮点数"),
    ({"annual_amount": "三十万"}, "annual_amount", "不是有效金额"),
    ({"total_amount": "1"}, "total_amount", "不能小于年度预算金额"),
    ({"end_date": "2025-01-01"}, "end_date", "不能早于开始日期"),
    ({"unit_id": 999999}, "unit_id", "有效的选项"),
    ({"is_classified": True}, "classified_reason", "备案"),
    ({"fiscal_year": 2031}, "fiscal_year", "尚未设立"),
    ({"special_category": "special_bond"}, "budget_kind", "政府性基金预算"),
])
def test_create_400(cast, api, overrides, field, message):
    r = api("unit_a1").post("/subjects", payload(cast, **overrides))
    assert r.status_code == 400, r.json()
    error = r.json()["error"]
    assert error["code"] == "invalid" and any(message in m for m in error["fields"][field]), error
    assert not PerformanceSubject.objects.filter(code="API001").exists()


def test_create_duplicate_code_and_403(cast, api):
    r = api("unit_a1").post("/subjects", payload(cast, code=cast.subjects["a2"].code))
    assert r.status_code == 400 and "不能重复" in r.json()["error"]["fields"]["code"][0]
    r = api("finance_admin").post("/subjects", payload(cast))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


def test_update_with_lock_version(cast, api):
    s = cast.subjects["a1"]
    r = api("unit_a1").patch(f"/subjects/{s.pk}", {"lock_version": 1, "name": "学生资助（API修改）",
                                                    "adjusted_amount": "1100000.10"})
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["name"] == "学生资助（API修改）" and body["lock_version"] == 2
    assert body["adjusted_amount"] == "1100000.10" and body["code"] == s.code  # untouched fields kept
    r = api("unit_a1").patch(f"/subjects/{s.pk}", {"lock_version": 1, "name": "过期的修改"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    s.refresh_from_db()
    assert s.name == "学生资助（API修改）"


def test_update_errors(cast, api):
    s = cast.subjects["a1"]
    assert api("unit_a1").patch(f"/subjects/{s.pk}", {"name": "x"}).status_code == 400  # lock_version required
    r = api("unit_a1").patch(f"/subjects/{s.pk}", {"lock_version": 1, "annual_amount": "-1"})
    assert r.status_code == 400 and "不能为负数" in r.json()["error"]["fields"]["annual_amount"][0]
    assert api("unit_a2").patch(f"/subjects/{s.pk}", {"lock_version": 1}).status_code == 404
    assert api("officer_a").patch(f"/subjects/{s.pk}", {"lock_version": 1}).status_code == 403
    api("unit_a1").post(f"/subjects/{s.pk}/transition", {"name": "submit"})
    r = api("unit_a1").patch(f"/subjects/{s.pk}", {"lock_version": 2, "name": "提交后修改"})
    assert r.status_code == 400 and "不能修改" in r.json()["error"]["message"]


def test_transitions(cast, api):
    s = cast.subjects["a1"]
    names = [t["name"] for t in api("unit_a1").get(f"/subjects/{s.pk}/transitions").json()]
    assert names == ["submit"]
    assert api("officer_a").get(f"/subjects/{s.pk}/transitions").json() == []
    r = api("unit_a1").post(f"/subjects/{s.pk}/transition", {"name": "submit", "lock_version": 1})
    assert r.status_code == 200 and r.json()["state"] == "submitted" and r.json()["lock_version"] == 2
    r = api("clerk_a").post(f"/subjects/{s.pk}/transition", {"name": "department_approve", "lock_version": 1})
    assert r.status_code == 409
    r = api("clerk_a").post(f"/subjects/{s.pk}/transition", {"name": "department_return"})
    assert r.status_code == 400 and "必须填写意见" in r.json()["error"]["message"]
    r = api("clerk_a").post(f"/subjects/{s.pk}/transition", {"name": "approve"})
    assert r.status_code == 400  # not possible from this state
    r = api("officer_a").post(f"/subjects/{s.pk}/transition", {"name": "department_approve"})
    assert r.status_code == 403
    r = api("unit_a2").post(f"/subjects/{s.pk}/transition", {"name": "withdraw"})
    assert r.status_code == 404
    r = api("clerk_a").post(f"/subjects/{s.pk}/transition", {"name": "department_return", "comment": "补充依据"})
    assert r.json()["state"] == "returned"
    steps = api("unit_a1").get(f"/subjects/{s.pk}/steps").json()
    assert [st["transition"] for st in steps] == ["submit", "department_return"]
    assert steps[1]["comment"] == "补充依据"
    assert api("unit_a1").post(f"/subjects/{s.pk}/transition", {"name": "bogus"}).status_code == 400


def test_delete(cast, api):
    s = cast.subjects["a2"]
    assert api("unit_a1").delete(f"/subjects/{s.pk}").status_code == 404
    assert api("unit_a2").delete(f"/subjects/{s.pk}?lock_version=5").status_code == 409
    assert api("unit_a2").delete(f"/subjects/{s.pk}?lock_version=1").status_code == 204
    assert not PerformanceSubject.objects.filter(code=s.code).exists()


def test_budget_lines_and_execution(cast, api):
    from jixiao.budget.models import BudgetLine

    s = cast.subjects["a1"]
    BudgetLine.objects.create(subject=s, line_code="ZB9", initial_amount=yuan("0.1"), adjusted_amount=yuan("0.2"))
    ExecutionRecord.objects.create(subject=s, year=2026, month=1, amount=yuan("250000"))
    lines = api("unit_a1").get(f"/subjects/{s.pk}/budget-lines").json()
    assert lines[0]["initial_amount"] == "0.10" and lines[0]["adjusted_amount"] == "0.20"
    ex = api("unit_a1").get(f"/subjects/{s.pk}/execution").json()
    assert ex["spent"] == "250000.00" and ex["months"][0] == {"month": 1, "amount": "250000.00",
                                                              "cumulative": "250000.00", "execution_rate": "25.0"}
    assert api("unit_a2").get(f"/subjects/{s.pk}/execution").status_code == 404


def test_import_endpoints_start_jobs(cast, api, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile(SAMPLE_XLSX.name, SAMPLE_XLSX.read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        r = api("finance_admin").upload("/imports/subjects", {"file": upload, "year": "2026"})
    assert r.status_code == 202, r.json()
    job_id = r.json()["id"]
    job = api("finance_admin").get(f"/jobs/{job_id}").json()
    assert job["status"] == "succeeded" and job["result"]["created"] == 9 and job["url"].endswith(f"/jobs/{job_id}/")
    assert api("unit_a1").get(f"/jobs/{job_id}").status_code == 404  # somebody else's job
    bad = SimpleUploadedFile("exec.csv", "项目编码,年度,月份,支出金额(元)\nNOPE,2026,13,1\n".encode())
    with django_capture_on_commit_callbacks(execute=True):
        r = api("finance_admin").upload("/imports/execution", {"file": bad, "region": "150500"})
    job = api("finance_admin").get(f"/jobs/{r.json()['id']}").json()
    assert job["status"] == "failed" and {e["column"] for e in job["errors"]} == {"月份"}


def test_import_endpoint_refusals(cast, api, settings):
    upload = SimpleUploadedFile("a.csv", b"x")
    assert api("overseer").upload("/imports/subjects", {"file": upload}).status_code == 403
    r = api("finance_admin").upload("/imports/subjects", {"file": SimpleUploadedFile("a.csv", b"x"),
                                                          "region": "150502"})
    assert r.status_code == 403
    r = api("finance_admin").upload("/imports/subjects", {"file": SimpleUploadedFile("a.csv", b"x"),
                                                          "region": "000000"})
    assert r.status_code == 400
    settings.IMPORT_MAX_BYTES = 5
    r = api("finance_admin").upload("/imports/subjects", {"file": SimpleUploadedFile("a.csv", b"x" * 10)})
    assert r.status_code == 400 and "文件过大" in r.json()["error"]["message"]


def test_openapi_lists_the_budget_endpoints(client, db):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in ("/api/budget/subjects", "/api/budget/subjects/{subject_id}/transition", "/api/budget/imports/subjects",
                 "/api/budget/jobs/{job_id}"):
        assert path in paths
