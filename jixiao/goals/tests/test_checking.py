"""Check without saving: dry runs on uploads, JSON and folders, the API and the management command store nothing."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from jixiao.core.models import AuditEvent
from jixiao.goals import checking
from jixiao.goals.models import GoalSheet
from jixiao.policy.presets import NATIONAL, preset_params

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
CLEAN = SAMPLES / "项目支出绩效目标申报表样例.xlsx"
MESSY = SAMPLES / "绩效目标表_不规范样例.xlsx"
URL = "/api/goals/check"


def good_json() -> dict:
    row = {"level2": "", "comparator": "≥", "unit": "%", "explanation": "说明", "value_basis": "计划标准"}
    return {
        "subject_code": "1505002630100100001", "subject_name": "家庭经济困难学生资助", "fiscal_year": 2026,
        "start_date": "2026-01-01", "end_date": "2026-12-31", "annual_amount": "2000000.00",
        "total_amount": "2000000", "annual_goal": "资助1200人", "survey_plan": "问卷",
        "rows": [
            {**row, "level1": "产出指标", "level2": "数量指标", "name": "资助学生人数", "target_value": "1200",
             "unit": "人", "weight": "30"},
            {**row, "level1": "output", "level2": "质量指标", "name": "认定准确率", "target_value": "100",
             "weight": 20},
            {**row, "level1": "效益指标", "level2": "社会效益指标", "name": "资助覆盖率", "target_value": "100",
             "weight": "30"},
            {**row, "level1": "satisfaction", "level2": "服务对象满意度指标", "name": "受助学生满意度",
             "target_value": "90", "weight": "10"},
        ],
    }


# ---- checking.py --------------------------------------------------------------------------------------------------

def test_clean_sample_passes_the_national_rules(db):
    report = checking.check_upload(CLEAN, CLEAN.name, checking.params_for(preset=NATIONAL))
    assert report.ok and report.findings == []
    summary = report.summary()
    assert summary["subject_code"] == "1505002630100100001" and summary["rows"] == 6
    assert summary["annual_amount"] == "2000000.00"
    assert summary["weights"] == {"产出指标": "50", "效益指标": "30", "满意度指标": "10"}
    assert report.params_label.startswith("预设：")


def test_messy_sample_gets_reading_problems_then_rule_findings(db):
    report = checking.check_upload(MESSY.read_bytes(), MESSY.name, preset_params(NATIONAL))
    rules = [f.rule for f in report.findings]
    assert rules[0].startswith("X-")
    first_rule = next(i for i, r in enumerate(rules) if not r.startswith("X-"))
    assert all(not r.startswith("X-") for r in rules[first_rule:])
    assert {"X-amount-unit", "X-date-serial", "X-target-in-name"} <= set(rules)
    assert "G12-comparator" in rules  # 有效提升 has no comparator
    assert report.errors > 0 and not report.ok and not report.unreadable
    assert report.as_dict()["findings"][0]["rule"] == rules[0]


def test_an_unreadable_file_gets_its_reading_problem_only(db):
    report = checking.check_upload(b"%PDF-1.4", "a.pdf", preset_params(NATIONAL))
    assert [f.rule for f in report.findings] == ["X-file"]
    assert report.unreadable and report.sheet is None and report.summary() == {}


def test_check_json_reads_labels_and_values(db):
    report = checking.check_json(good_json(), checking.params_for(preset=NATIONAL))
    assert report.ok, [str(f) for f in report.findings]
    sheet = report.sheet
    assert [r.level1 for r in sheet.rows] == ["output", "output", "benefit", "satisfaction"]
    assert [r.row for r in sheet.rows] == [1, 2, 3, 4]
    assert sheet.rows[0].comparator == "ge" and sheet.rows[0].value_basis == "plan"
    assert str(sheet.annual_amount.yuan) == "2000000.00"


def test_check_json_finds_problems(db):
    payload = good_json()
    payload["rows"][0]["target_value"] = ""
    payload["rows"] = payload["rows"][:3]
    report = checking.check_json(payload, checking.params_for(preset=NATIONAL))
    rules = {f.rule for f in report.findings}
    assert "G12-target" in rules and "G15-weight-total" in rules


def test_check_json_refuses_what_is_not_a_sheet(db):
    payload = good_json()
    payload["annual_amount"] = 12.5
    payload["end_date"] = "明年"
    payload["rows"][1]["level1"] = "投入指标"
    payload["rows"][2]["comparator"] = "约等于"
    payload["rows"][3]["weight"] = "很重"
    with pytest.raises(ValidationError) as exc:
        checking.check_json(payload, preset_params(NATIONAL))
    fields = exc.value.message_dict
    assert set(fields) == {"annual_amount", "end_date", "rows.1.level1", "rows.2.comparator", "rows.3.weight"}
    assert "浮点数" in fields["annual_amount"][0]
    assert "一级指标“投入指标”无效" in fields["rows.1.level1"][0]


def test_params_for(cast):
    with pytest.raises(ValidationError) as exc:
        checking.params_for(preset="nowhere")
    assert "preset" in exc.value.message_dict
    p = checking.params_for(region=cast.city, year=2026)
    assert "通辽市2026年度" in p.label
    assert checking.params_for().label == checking.params_for(preset=NATIONAL).label


def test_check_folder_skips_other_files(db, tmp_path):
    for path in (CLEAN, MESSY):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "说明.txt").write_text("不是目标表")
    (tmp_path / "~$锁文件.xlsx").write_bytes(b"x")
    (tmp_path / "坏的.csv").write_text("a,b\n1,2\n")
    sub = tmp_path / "子目录"
    sub.mkdir()
    shutil.copy(CLEAN, sub / "子目录中的.xlsx")
    results = checking.check_folder(tmp_path, checking.params_for())
    assert [name for name, _ in results] == sorted(["坏的.csv", MESSY.name, CLEAN.name])
    reports = dict(results)
    assert reports[CLEAN.name].ok and reports["坏的.csv"].unreadable
    assert len(checking.check_folder(tmp_path, checking.params_for(), recursive=True)) == 4
    with pytest.raises(FileNotFoundError):
        checking.check_folder(tmp_path / "没有", checking.params_for())


# ---- the API ------------------------------------------------------------------------------------------------------

@pytest.fixture
def unit_client(client, cast):
    client.force_login(cast.users["unit_a1"])  # cast.unit_a1 is the Unit itself
    return client


def test_api_json_returns_findings_and_writes_nothing(unit_client, cast):
    audits = AuditEvent.objects.count()
    payload = good_json()
    payload["rows"][0]["name"] = "学生资助人数≥500人"
    payload["rows"][0]["target_value"] = ""
    response = unit_client.post(f"{URL}/json", {"sheet": payload}, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is False and body["errors"] >= 1
    assert {"G12-target", "G12-target-in-name"} <= {f["rule"] for f in body["findings"]}
    assert "通辽市" in body["params"]  # the caller's region by default
    assert body["sheet"]["annual_amount"] == "2000000.00"
    assert GoalSheet.objects.count() == 0
    assert AuditEvent.objects.count() == audits


def test_api_json_with_a_preset_or_a_region(unit_client, cast):
    r = unit_client.post(f"{URL}/json", {"sheet": good_json(), "preset": "zhengzhou_2023"},
                         content_type="application/json")
    assert r.status_code == 200 and r.json()["params"] == "预设：郑州市（2023）" and r.json()["ok"] is True
    r = unit_client.post(f"{URL}/json", {"sheet": good_json(), "region_id": cast.city.pk, "year": 2026},
                         content_type="application/json")
    assert r.status_code == 200 and "通辽市2026年度" in r.json()["params"]
    r = unit_client.post(f"{URL}/json", {"sheet": good_json(), "region_id": cast.county.pk},
                         content_type="application/json")
    assert r.status_code == 403  # a city unit does not read the county's profile


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"preset": "nowhere"}, "preset", "不存在"),
    ({"region_id": 999999}, "region_id", "不存在"),
    ({"preset": "national_2020", "region_id": 1}, "preset", "只能指定其一"),
    ({"sheet": {**good_json(), "annual_amount": 1234.5}}, "sheet.annual_amount", "浮点数"),
    ({"sheet": {**good_json(), "rows": [{"level1": "投入"}]}}, "sheet.rows.0.level1", "无效"),
    ({"sheet": {**good_json(), "start_date": "2026-13-01"}}, "sheet.start_date", "日期"),
    ({"sheet": {**good_json(), "kind": "whatever"}}, "sheet.kind", "目标类型"),
    ({"sheet": "not an object"}, "sheet", ""),
    ({"sheet": {**good_json(), "rows": ["not an object"]}}, "sheet.rows", "对象"),
    ({"sheet": {**good_json(), "rows": [{"weight": "很重"}]}}, "sheet.rows.0.weight", "数字"),
])
def test_api_json_bad_input_is_400_naming_the_field(unit_client, change, field, words):
    body = {"sheet": good_json(), **change}
    r = unit_client.post(f"{URL}/json", body, content_type="application/json")
    assert r.status_code == 400, r.content
    fields = r.json()["error"]["fields"]
    assert field in fields, fields
    assert words in fields[field][0]


def test_api_upload_returns_findings_and_writes_nothing(unit_client):
    with MESSY.open("rb") as fh:
        r = unit_client.post(f"{URL}/upload", {"file": fh, "preset": NATIONAL})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["filename"] == MESSY.name
    rules = {f["rule"] for f in body["findings"]}
    assert {"X-amount-unit", "X-date-serial", "X-target-in-name"} <= rules
    amount = next(f for f in body["findings"] if f["rule"] == "X-amount-unit")
    assert amount["row"] == 7 and amount["field"] == "年度金额"
    assert GoalSheet.objects.count() == 0


def test_api_upload_of_the_clean_sample_uses_the_sheet_year_profile(unit_client):
    with CLEAN.open("rb") as fh:
        r = unit_client.post(f"{URL}/upload", {"file": fh})
    assert r.status_code == 200 and r.json()["ok"] is True
    assert "通辽市2026年度" in r.json()["params"]


def test_api_upload_bad_files(unit_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = unit_client.post(f"{URL}/upload", {"file": SimpleUploadedFile("a.txt", b"hello")})
    assert r.status_code == 400 and "file" in r.json()["error"]["fields"]
    r = unit_client.post(f"{URL}/upload", {"file": SimpleUploadedFile("a.xlsx", b"PK\x03\x04broken")})
    assert r.status_code == 400 and "损坏" in r.json()["error"]["fields"]["file"][0]
    r = unit_client.post(f"{URL}/upload", {})
    assert r.status_code == 400


def test_api_needs_a_login(client, db):
    r = client.post(f"{URL}/json", {"sheet": good_json()}, content_type="application/json")
    assert r.status_code == 401


def test_openapi_documents_the_check_endpoints(client, db):
    schema = client.get("/api/openapi.json").json()
    assert f"{URL}/json" in schema["paths"] and f"{URL}/upload" in schema["paths"]
    assert "不保存" in schema["paths"][f"{URL}/json"]["post"]["summary"]


# ---- the management command ---------------------------------------------------------------------------------------

def test_command_screens_a_folder_and_writes_a_report(cast, tmp_path):
    for path in (CLEAN, MESSY):
        shutil.copy(path, tmp_path / path.name)
    out = io.StringIO()
    report = tmp_path / "结果.xlsx"
    call_command("check_goal_sheets", str(tmp_path), "--region", "150500", "--year", "2026", "--output",
                 str(report), stdout=out)
    text = out.getvalue()
    assert "通辽市2026年度" in text
    assert f"{CLEAN.name}" in text and "通过" in text
    assert "有错误" in text and "[错误]" in text
    assert "共 2 个文件，1 个有错误" in text
    wb = openpyxl.load_workbook(report)
    assert wb.sheetnames == ["汇总", "问题明细"]
    rows = list(wb["问题明细"].iter_rows(min_row=3, values_only=True))
    assert rows and all(r[0] == MESSY.name for r in rows)
    assert {"X-amount-unit", "X-date-serial", "X-target-in-name"} <= {r[6] for r in rows}
    assert any(r[3] == 7 and r[4] == "年度金额" for r in rows)
    assert GoalSheet.objects.count() == 0


def test_command_argument_errors(db, tmp_path):
    with pytest.raises(CommandError, match="不存在"):
        call_command("check_goal_sheets", str(tmp_path / "没有"))
    with pytest.raises(CommandError, match="nowhere"):
        call_command("check_goal_sheets", str(tmp_path), "--preset", "nowhere")
    with pytest.raises(CommandError, match="区划代码"):
        call_command("check_goal_sheets", str(tmp_path), "--region", "999999")
    with pytest.raises(CommandError, match="只能指定其一"):
        call_command("check_goal_sheets", str(tmp_path), "--region", "150500", "--preset", NATIONAL)
    with pytest.raises(CommandError, match=".xlsx"):
        call_command("check_goal_sheets", str(tmp_path), "--output", str(tmp_path / "a.csv"))
    out = io.StringIO()
    call_command("check_goal_sheets", str(tmp_path), "--preset", NATIONAL, stdout=out)
    assert "没有" in out.getvalue()
