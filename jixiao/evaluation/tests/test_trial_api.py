"""Trial scoring through the API and the screen: JSON and uploaded workbooks, the chosen profile, bad input, and
nothing written."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jixiao.core.models import AuditEvent
from jixiao.evaluation.tests.test_sheet import MESSY, STANDARD, _xlsx

URL = "/api/evaluation/trial"


def sheet_json(**changes) -> dict:
    body = {
        "funds": {"annual": "1200000", "executed": "1080000", "rate_pct": "90", "score": "9"},
        "lines": [
            {"level1": "产出指标", "level2": "数量指标", "name": "受益学生人数", "target": "≥1200人", "actual": "1180人",
             "weight": "40", "score": "39.33", "explanation": "部分学生转学"},
            {"level1": "效益指标", "level2": "社会效益指标", "name": "学生营养状况", "target": "明显改善",
             "actual": "达成", "weight": "40", "score": "36"},
            {"level1": "满意度指标", "name": "家长满意度", "target": "≥90%", "actual": "95%", "weight": "10",
             "score": "10"},
        ],
        "total": "94.33", "grade": "优",
    }
    return body | changes


@pytest.fixture
def unit_client(client, cast):
    client.force_login(cast.users["unit_a1"])
    return client


def _post(client, body):
    return client.post(URL, body, content_type="application/json")


def test_json_trial_scores_every_line_and_writes_nothing(unit_client):
    before = AuditEvent.objects.count()
    r = _post(unit_client, sheet_json(preset="national_2020"))
    assert r.status_code == 200, r.content
    res = r.json()["result"]
    assert [ln["score"] for ln in res["lines"]] == ["39.33", "36", "10"]
    assert res["funds"]["score"] == "9" and res["funds"]["weight"] == "10"
    assert res["total"] == "94.33" and res["grade"] == "excellent"
    assert res["consistent"] and res["findings"] == []
    assert "规则" in res["lines"][0]["reason"]
    assert "全国默认" in r.json()["params"]
    assert AuditEvent.objects.count() == before


def test_json_trial_finds_inconsistencies_and_required_explanations(unit_client):
    body = sheet_json(total="99", grade="良")
    body["lines"][0]["score"] = "41"
    body["lines"][0]["explanation"] = ""
    res = _post(unit_client, body).json()["result"]
    codes = {f["code"] for f in res["findings"]}
    assert {"score_above_weight", "total_not_sum", "grade_mismatch", "rescored"} <= codes
    assert any("受益学生人数" in f["message"] and "第1项指标" in f["message"] for f in res["findings"])
    assert any(p["field"] == "lines.0.explanation" and p["blocking"] for p in res["problems"])


def test_json_trial_under_another_preset(unit_client):
    body = sheet_json(preset="shanxi", total="84.33", grade="")
    body["lines"][1]["score"] = "26"
    res = _post(unit_client, body).json()
    assert "山西" in res["params"]
    assert res["result"]["grade"] == "excellent"  # ≥80 is 优 in the Shanxi bands


def test_json_trial_with_a_region_profile(unit_client, cast):
    r = _post(unit_client, sheet_json(region_id=cast.city.pk, year=2026))
    assert r.status_code == 200
    assert cast.city.name in r.json()["params"]


@pytest.mark.parametrize("change, field", [
    ({"lines": []}, "lines"),
    ({"total": 94.33}, "total"),
    ({"funds": {"annual": 1200000.5, "executed": "1"}}, "funds.annual"),
    ({"funds": {"annual": "一百万", "executed": "1"}}, "funds.annual"),
    ({"preset": "nowhere"}, "preset"),
    ({"grade": "甲"}, "grade"),
    ({"region_id": 999999}, "region_id"),
])
def test_json_trial_bad_input_is_400_naming_the_field(unit_client, change, field):
    r = _post(unit_client, sheet_json(**change))
    assert r.status_code == 400, r.content
    fields = r.json()["error"].get("fields", {})
    assert field in fields, fields


def test_json_trial_bad_line_cells(unit_client):
    body = sheet_json()
    body["lines"][0]["weight"] = "四十"
    r = _post(unit_client, body)
    assert r.status_code == 400 and "lines.0.weight" in r.json()["error"]["fields"]
    body = sheet_json()
    body["lines"][0]["comparator"] = "大概"
    r = _post(unit_client, body)
    assert r.status_code == 400 and "lines.0.comparator" in r.json()["error"]["fields"]


def test_upload_trial_reads_every_table(unit_client):
    data = _xlsx(STANDARD + [[None]] + MESSY)
    r = unit_client.post(f"{URL}/upload", {"file": SimpleUploadedFile("自评表.xlsx", data), "preset": "national_2020"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert [t["project"] for t in body["tables"]] == ["农村义务教育学生营养改善计划", "城乡道路养护"]
    assert body["consistent"] == 1
    assert body["tables"][1]["findings"]


def test_upload_trial_bad_files(unit_client):
    r = unit_client.post(f"{URL}/upload", {"file": SimpleUploadedFile("a.txt", b"hello")})
    assert r.status_code == 400 and "file" in r.json()["error"]["fields"]
    r = unit_client.post(f"{URL}/upload", {"file": SimpleUploadedFile("a.xlsx", b"PK\x03\x04broken")})
    assert r.status_code == 400 and "损坏" in r.json()["error"]["message"]
    r = unit_client.post(f"{URL}/upload", {"file": SimpleUploadedFile("a.xlsx", _xlsx([["无关内容"]]))})
    assert r.status_code == 400 and "未找到自评表" in r.json()["error"]["message"]


def test_api_needs_a_login(client, db):
    assert _post(client, sheet_json()).status_code == 401


def test_openapi_documents_the_trial_endpoints(client, db):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/evaluation/trial" in paths and "/api/evaluation/trial/upload" in paths


def test_trial_screen(unit_client):
    url = reverse("evaluation:trial")
    r = unit_client.get(url)
    assert r.status_code == 200 and "自评表试算" in r.content.decode()
    r = unit_client.post(url, {"file": SimpleUploadedFile("自评表.xlsx", _xlsx(MESSY)), "preset": "national_2020"})
    html = r.content.decode()
    assert r.status_code == 200
    assert "城乡道路养护" in html and "总分 92.5 不等于" not in html  # the sum is of the published scores
    assert "不等于各项得分之和" in html and "第12行“群众出行条件”" in html
    r = unit_client.post(url, {"file": SimpleUploadedFile("a.txt", b"hi")})
    assert "请上传 Excel 或 CSV 文件" in r.content.decode()
