"""The REST API at /api/indicators/: search, detail with versions, create/update with the lock, proposals, status
actions, tree, export, import; structured errors."""

import io
from pathlib import Path

import openpyxl
import pytest

from jixiao.core.testing import PASSWORD
from jixiao.indicators import excel, services
from jixiao.indicators.models import Indicator
from jixiao.indicators.tests.factories import definition

BASE = "/api/indicators"


def auth(client, user):
    r = client.post("/api/auth/token", {"username": user.username, "password": PASSWORD},
                    content_type="application/json")
    return {"HTTP_AUTHORIZATION": f"Bearer {r.json()['token']}"}


@pytest.fixture
def ind(cast, sectors, curator):
    return services.indicator_create(actor=curator, data=definition(
        name="学生资助人数", sector_id=sectors["教育"].pk, domain_id=sectors["学生资助"].pk))


def test_search_and_list(client, cast, ind):
    h = auth(client, cast.clerk_a)
    r = client.get(f"{BASE}/", {"q": "资助学生"}, **h)
    body = r.json()
    assert r.status_code == 200 and body["count"] == 1
    item = body["items"][0]
    assert item["name"] == "学生资助人数" and item["sector"]["name"] == "教育" and item["score"] > 0
    assert item["name_highlighted"] == "<mark>学生资助</mark>人数" and item["level1_label"] == "产出指标"
    r = client.get(f"{BASE}/", {"level2": "质量指标"}, **h)
    assert r.json()["count"] == 0
    r = client.get(f"{BASE}/", {"page_size": 1}, **h)
    assert r.json()["num_pages"] == 1


def test_detail_with_versions(client, cast, ind, curator):
    services.indicator_update(actor=curator, indicator=ind, data={"unit": "人次"},
                              expected_lock_version=ind.lock_version)
    h = auth(client, cast.overseer)
    r = client.get(f"{BASE}/{ind.pk}", **h)
    body = r.json()
    assert r.status_code == 200 and body["current_version"] == 2
    assert [v["version"] for v in body["versions"]] == [2, 1] and body["versions"][1]["data"]["unit"] == "人"
    r = client.get(f"{BASE}/{ind.pk}/versions/1", **h)
    assert r.json()["data"]["unit"] == "人"
    assert client.get(f"{BASE}/{ind.pk}/versions/9", **h).status_code == 404
    h = auth(client, cast.province_admin)
    assert client.get(f"{BASE}/{ind.pk}", **h).json()["error"]["code"] == "not_found"


def test_create_update_and_conflict(client, cast, sectors):
    h = auth(client, cast.finance_admin)
    r = client.post(f"{BASE}/", {"name": "课后服务覆盖率", "level1": "benefit", "level2": "社会效益", "unit": "%",
                                 "comparator": "不低于"}, content_type="application/json", **h)
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["level2"] == "社会效益指标" and body["comparator"] == "ge" and body["direction"] == "higher"
    pk, lock = body["id"], body["lock_version"]
    r = client.patch(f"{BASE}/{pk}", {"name": "学校课后服务覆盖率", "lock_version": lock},
                     content_type="application/json", **h)
    assert r.status_code == 200 and r.json()["current_version"] == 2
    r = client.patch(f"{BASE}/{pk}", {"name": "再改", "lock_version": lock}, content_type="application/json", **h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    r = client.patch(f"{BASE}/{pk}", {"unit": "", "lock_version": lock + 1}, content_type="application/json", **h)
    assert r.status_code == 400 and r.json()["error"]["fields"]["unit"] == ["计算符号为“≥”时必须填写计量单位"]
    r = client.post(f"{BASE}/", {"name": "x", "level1": "output", "level2": "数量指标", "unit": "人", "national": True},
                    content_type="application/json", **h)
    assert r.status_code == 403


def test_clerk_cannot_create_but_proposes(client, cast):
    h = auth(client, cast.clerk_a)
    payload = {"name": "课后服务覆盖率", "level1": "benefit", "level2": "社会效益指标", "unit": "%"}
    r = client.post(f"{BASE}/", payload, content_type="application/json", **h)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = client.post(f"{BASE}/propose", payload, content_type="application/json", **h)
    assert r.status_code == 201 and r.json()["status"] == "draft"
    pk = r.json()["id"]
    h = auth(client, cast.finance_admin)
    r = client.post(f"{BASE}/{pk}/approve", {"comment": "同意"}, content_type="application/json", **h)
    assert r.status_code == 200 and r.json()["status"] == "active"
    r = client.post(f"{BASE}/{pk}/retire", {}, content_type="application/json", **h)
    assert r.json()["status"] == "retired"
    r = client.post(f"{BASE}/{pk}/reject", {"comment": "x"}, content_type="application/json", **h)
    assert r.status_code == 400


def test_tree_sectors_export(client, cast, ind):
    h = auth(client, cast.clerk_b)
    tree = client.get(f"{BASE}/tree", **h).json()
    assert tree[0]["name"] == "教育" and tree[0]["children"][0]["name"] == "学生资助"
    assert tree[0]["children"][0]["children"][0]["children"][0] == {"id": "数量指标", "name": "数量指标",
                                                                     "count": 1, "code": "", "children": []}
    sectors = client.get(f"{BASE}/sectors", **h).json()
    assert any(d["name"] == "学生资助" for d in sectors[0]["domains"])
    r = client.get(f"{BASE}/export", {"q": "资助"}, **h)
    rows = list(openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == ind.code


def test_import_endpoint(client, cast, sectors, django_capture_on_commit_callbacks):
    h = auth(client, cast.finance_admin)
    sample = Path(excel.__file__).resolve().parent / "samples" / "指标库导入样例.xlsx"
    with sample.open("rb") as fh, django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"{BASE}/import", {"file": fh}, **h)
    assert r.status_code == 202 and r.json()["url"].startswith("/jobs/")
    assert Indicator.objects.count() == len(excel.SAMPLE_ROWS)
    h = auth(client, cast.clerk_a)
    with sample.open("rb") as fh:
        assert client.post(f"{BASE}/import", {"file": fh}, **h).status_code == 403


def test_openapi_lists_the_endpoints(client, db):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/indicators/" in paths and "/api/indicators/{indicator_id}" in paths
