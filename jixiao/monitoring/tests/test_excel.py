"""The monitoring form in Excel: download, fill in offline, upload. Round trip, what offices actually type, files that
must be refused without changing anything, concurrent edits, and the department-wide form with its main tasks."""

import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError

from jixiao.core.money import Money
from jixiao.core.workflow import ConcurrentEditError
from jixiao.goals.models import GoalSheet
from jixiao.monitoring import excel, services
from jixiao.monitoring.models import MonitoringReport
from jixiao.monitoring.tests.helpers import actor, green_rows, in_budget

pytestmark = pytest.mark.django_db
Y = Money.from_yuan
# the indicator table's columns in the downloaded layout
CURRENT, EXPECTED, FUNDING, STAFFING, OTHER, NOTE, LIKELIHOOD, REMARK = "E", "F", "G", "I", "K", "L", "M", "N"


def open_round(cast):
    return services.round_create(actor=actor(cast), region=cast.city, year=cast.year.year, point=0)


def fill(cast, report, rows, user="unit_a1", **data):
    report.refresh_from_db()
    return services.report_save(actor=actor(cast, user), report=report, data={"rows": rows, **data},
                                expected_lock_version=report.lock_version)


@pytest.fixture
def report(cast):
    # budget 120万, 1-7月 spent 60万
    in_budget(cast, cast.subjects["a1"], annual_amount=Y("1200000"), spent_by_month={3: "200000", 7: "400000"})
    rnd = open_round(cast)
    return MonitoringReport.objects.get(round=rnd, subject=cast.subjects["a1"])


@pytest.fixture
def filled(cast, report):
    rows = green_rows(report)
    rows["0"] = {"current_value": "300", "expected_value": "1000", "deviation_causes": ["funding", "staffing"],
                 "cause_note": "上级资金8月到位", "likelihood": "possible", "remark": "加快发放进度"}
    rows["2"] = {"achievement": "partial", "current_value": "第二批资金尚未发放", "expected_value": "及时",
                 "deviation_causes": ["institution"], "cause_note": "发放办法修订中", "likelihood": "certain"}
    rows["4"]["likelihood"] = "certain"
    problems = fill(cast, report, rows, expected_year_end="1150000", goal_progress="已资助学生300人",
                    remark="无")
    assert problems == {}
    report.refresh_from_db()
    return report


def upload(cast, report, content, user="unit_a1", lock=None):
    report.refresh_from_db()
    return excel.report_upload(actor=actor(cast, user), report=report, file=content,
                               expected_lock_version=report.lock_version if lock is None else lock)


def book(content):
    wb = openpyxl.load_workbook(io.BytesIO(content))
    return wb, wb[excel.SHEET_TITLE]


def save(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def find(ws, text):
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and c.value.startswith(text):
                return c
    raise AssertionError(f"no cell {text}")


def row_of(ws, name) -> int:
    for (c,) in ws.iter_rows(min_col=3, max_col=3):
        if c.value == name:
            return c.row
    raise AssertionError(f"no indicator row {name}")


def below(ws, text):
    c = find(ws, text)
    return ws.cell(c.row + 1, c.column)


def state(report):
    report.refresh_from_db()
    return report.lock_version, excel.report_data(report)


# ---- download -----------------------------------------------------------------------------------------------------

def test_download_has_the_136_layout(filled):
    wb, ws = book(excel.report_workbook(filled))
    assert ws["A1"].value.startswith("项目支出绩效目标执行监控表（2026年1-7月")
    for label in ("项目名称", "主管部门", "实施单位", "资金情况", "年度预算数", "截至期末执行数", "执行率",
                  "全年预计执行数", "年度总体目标", "年度总体目标完成情况", "一级指标", "二级指标", "三级指标",
                  "年度指标值", "截至期末完成情况", "全年预计完成情况", "偏差原因分析", "经费保障", "制度保障",
                  "人员保障", "硬件条件保障", "其他", "完成目标可能性", "备注（原因说明及措施）"):
        find(ws, label)
    assert "年度履职目标" not in [c.value for row in ws.iter_rows() for c in row]
    assert find(ws, "项目编码").offset(column=1).value == "150500260000000000001"
    assert below(ws, "年度预算数").value == 120 and below(ws, "截至期末执行数").value == 60
    assert below(ws, "全年预计执行数").value == 115
    assert "金额单位：万元" in [c.value for c in ws[2]]
    r = row_of(ws, "资助学生人数")
    assert ws[f"D{r}"].value == "≥1200人" and ws[f"{CURRENT}{r}"].value == "300"
    assert ws[f"{FUNDING}{r}"].value == "√" and ws[f"{STAFFING}{r}"].value == "√" and ws[f"H{r}"].value is None
    assert ws[f"{LIKELIHOOD}{r}"].value == "有可能" and ws[f"{REMARK}{r}"].value == "加快发放进度"
    assert ws[f"{CURRENT}{row_of(ws, '资金发放及时性')}"].value == "部分达成并具有一定效果；第二批资金尚未发放"
    assert ws["O" + str(r)].value == 0 and ws.column_dimensions["O"].hidden
    lists = {dv.formula1: str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert '"确定能,有可能,完全不可能"' in lists and f"{LIKELIHOOD}{r}" in lists['"确定能,有可能,完全不可能"']
    assert '"√"' in lists and '"达成,部分达成并具有一定效果,未达成且效果较差"' in lists
    key = wb[excel.KEY_SHEET]
    assert key.sheet_state == "veryHidden" and key["B3"].value == str(filled.pk)
    assert key["B6"].value == str(filled.lock_version)


# ---- round trip ---------------------------------------------------------------------------------------------------

def test_round_trip_unchanged(cast, filled):
    content = excel.report_workbook(filled)
    before = excel.report_data(filled)
    assert excel.report_data_from_workbook(filled, content) == before
    assert before["spent_to_date"] == "600000.00" and before["rows"]["2"]["achievement"] == "partial"
    assert upload(cast, filled, content) == {}
    lock, after = state(filled)
    assert after == before and lock == filled.lock_version


def test_upload_fills_the_form(cast, report):
    wb, ws = book(excel.report_workbook(report))
    below(ws, "全年预计执行数").value = 118
    find(ws, "年度总体目标完成情况").offset(column=1).value = "已资助学生700人"
    for r in range(1, 200):
        name = ws[f"C{r}"].value
        target = {"资助学生人数": "700", "资助资金发放准确率": "100", "资金发放及时性": "达成",
                  "因贫辍学人数": "0", "受助学生满意度": "90"}.get(name)
        if target:
            ws[f"{CURRENT}{r}"] = target
            ws[f"{EXPECTED}{r}"] = "全年可完成"
    problems = upload(cast, report, save(wb))
    assert problems == {}
    report.refresh_from_db()
    assert report.expected_year_end == Y("1180000") and report.goal_progress == "已资助学生700人"
    row = report.indicators.get(position=2)
    assert row.achievement == "achieved" and row.current_value == ""
    assert report.indicators.get(position=0).current_number == 700 and report.goal_colour == "green"


# ---- messy inputs -------------------------------------------------------------------------------------------------

def test_offices_messy_input(cast, filled):
    wb, ws = book(excel.report_workbook(filled))
    below(ws, "截至期末执行数").value = 650000  # 元 under the 万元 heading
    below(ws, "全年预计执行数").value = "１２０"  # full-width text
    below(ws, "执行数更正说明").value = "6月一笔支付未入账"
    r = row_of(ws, "资助学生人数")
    ws[f"{CURRENT}{r}"] = "３５０人"  # full-width, with the unit
    ws[f"{FUNDING}{r}"] = "是"
    ws[f"{STAFFING}{r}"] = None
    ws[f"{OTHER}{r}"] = "疫情影响"  # "其他" with the reason written in
    ws[f"{NOTE}{r}"] = None
    ws[f"{LIKELIHOOD}{r}"] = "不可能"
    r2 = row_of(ws, "资助资金发放准确率")
    ws[f"{CURRENT}{r2}"] = 99.5  # a number, not text
    ws[f"{CURRENT}{row_of(ws, '资金发放及时性')}"] = "未达成（资金未到位）"
    parsed = excel.read_workbook(filled, save(wb))
    assert parsed.data["spent_to_date"] == "650000.00"
    assert parsed.data["expected_year_end"] == "1200000.00"
    assert any("650000" in n and "按65.00万元读取" in n for n in parsed.notes)
    row = parsed.data["rows"]["0"]
    assert row["current_value"] == "350" and row["deviation_causes"] == ["funding", "other"]
    assert row["cause_note"] == "疫情影响" and row["likelihood"] == "impossible"
    assert parsed.data["rows"]["1"]["current_value"] == "99.5"
    assert (parsed.data["rows"]["2"]["achievement"], parsed.data["rows"]["2"]["current_value"]) == (
        "not_achieved", "资金未到位")
    upload(cast, filled, save(wb))
    filled.refresh_from_db()
    assert filled.spent_to_date == Y("650000") and filled.spent_note == "6月一笔支付未入账"
    r0 = filled.indicators.get(position=0)
    assert r0.current_number == 350 and r0.likelihood == "impossible" and filled.impossible


def test_an_offices_own_template_is_read_by_label(cast, filled):
    """No hidden key, labels spelt differently, causes as text in one column, likelihood as words, amounts with
    their unit, rows matched by indicator name."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2026年项目绩效运行监控表"])
    ws.append(["项目名称", "学生资助项目", None, "项目代码", "150500260000000000001"])
    ws.append(["年初预算数", "1-7月执行数", "1-7月执行率", "全年预计执行数"])
    ws.append(["120", "610000元", None, "118万元"])
    ws.append(["年度总体目标", "1-7月执行情况"])
    ws.append([None, "进展顺利"])
    ws.append(["三级指标", "年度指标值", "1-7月执行情况", "全年预计完成情况", "偏差原因", "原因说明", "完成可能性",
               "备注"])
    ws.append(["资助学生人数", "≥1200人", "500", "1200", "经费、人员", "资金8月到位", "有可能", "加快"])
    ws.append(["受助学生满意度", "≥90%", "92%", "≥90%", "无", None, "√确定能", None])
    ws.append(["填报人：张三"])
    data = excel.report_data_from_workbook(filled, save(wb))
    assert data["spent_to_date"] == "610000.00" and data["expected_year_end"] == "1180000.00"
    assert data["goal_progress"] == "进展顺利"
    assert data["rows"]["0"] == {"current_value": "500", "expected_value": "1200",
                                 "deviation_causes": ["funding", "staffing"], "cause_note": "资金8月到位",
                                 "likelihood": "possible", "remark": "加快"}
    assert data["rows"]["4"]["current_value"] == "92" and data["rows"]["4"]["likelihood"] == "certain"
    assert set(data["rows"]) == {"0", "4"}
    upload(cast, filled, save(wb))
    filled.refresh_from_db()
    assert filled.spent_to_date == Y("610000") and filled.indicators.get(position=0).current_value == "500"
    assert filled.indicators.get(position=1).current_value == "100"  # not in the file: left as it was
    ws["G8"] = "也许"  # messages name the column as the office's sheet heads it
    with pytest.raises(ValidationError) as exc:
        upload(cast, filled, save(wb))
    assert exc.value.message_dict["rows.1.likelihood"][0].startswith("第8行“完成可能性”列：“也许”无法识别")


# ---- refused files ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("content", [b"", b"%PDF-1.4 not a workbook", "项目名称,学生资助项目\n".encode(),
                                     b"PK\x03\x04broken zip"])
def test_not_a_workbook_is_refused(cast, filled, content):
    before = state(filled)
    with pytest.raises(ValidationError) as exc:
        upload(cast, filled, content)
    assert "file" in exc.value.message_dict
    assert state(filled) == before


def test_another_subjects_form_is_refused(cast, filled):
    b1 = cast.subjects["b1"]
    in_budget(cast, b1)
    services.round_generate(filled.round)
    other = MonitoringReport.objects.get(round=filled.round, subject=b1)
    before = state(filled)
    with pytest.raises(ValidationError) as exc:
        upload(cast, filled, excel.report_workbook(other))
    assert "医疗设备购置" in exc.value.message_dict["file"][0] and "未导入" in exc.value.message_dict["file"][0]
    # the key removed: the project code still tells
    wb, ws = book(excel.report_workbook(other))
    del wb[excel.KEY_SHEET]
    with pytest.raises(ValidationError) as exc:
        upload(cast, filled, save(wb))
    assert "150500260000000000004" in exc.value.message_dict["file"][0]
    # this report's form with another project's code typed in
    wb, ws = book(excel.report_workbook(filled))
    find(ws, "项目编码").offset(column=1).value = "150500260000000000004"
    with pytest.raises(ValidationError):
        upload(cast, filled, save(wb))
    assert state(filled) == before


def test_bad_cells_name_row_and_column_and_change_nothing(cast, filled):
    wb, ws = book(excel.report_workbook(filled))
    r = row_of(ws, "资助学生人数")
    ws[f"{CURRENT}{r}"] = "很多"
    ws[f"{LIKELIHOOD}{r}"] = "大概吧"
    r2 = row_of(ws, "受助学生满意度")
    ws[f"{FUNDING}{r2}"] = "经费不足啊"
    below(ws, "全年预计执行数").value = "abc"
    ws[f"C{r2 + 1}"] = "新增的指标"
    ws[f"{CURRENT}{r2 + 1}"] = "5"
    before = state(filled)
    with pytest.raises(ValidationError) as exc:
        upload(cast, filled, save(wb))
    errors = exc.value.message_dict
    assert errors["rows.1.likelihood"] == [f"第{r}行“完成目标可能性”列：“大概吧”无法识别，应为：确定能、有可能、完全不可能"]
    assert errors["rows.1.current_value"][0].startswith(f"第{r}行“截至期末完成情况”列：“很多”不是数值")
    assert errors["rows.5.deviation_causes"][0].startswith(f"第{r2}行“偏差原因分析（经费保障）”列")
    assert "“全年预计执行数”列" in errors["expected_year_end"][0]
    assert "新增的指标" in errors["rows"][0] and errors["rows"][0].startswith(f"第{r2 + 1}行")
    assert state(filled) == before


# ---- concurrency --------------------------------------------------------------------------------------------------

def test_stale_lock_version_is_refused(cast, filled):
    wb, ws = book(excel.report_workbook(filled))
    ws[f"{REMARK}{row_of(ws, '资助学生人数')}"] = "申请调减预算"
    stale = filled.lock_version
    fill(cast, filled, {"0": {"cause_note": "资金8月才到位"}})
    before = state(filled)
    with pytest.raises(ConcurrentEditError):
        upload(cast, filled, save(wb), lock=stale)
    assert state(filled) == before


def test_edits_since_the_download_are_kept_and_conflicts_refused(cast, filled):
    content = excel.report_workbook(filled)
    fill(cast, filled, {"0": {"cause_note": "资金8月才到位"}}, remark="已与财政沟通")  # on the screen, after download
    wb, ws = book(content)
    r = row_of(ws, "资助学生人数")
    ws[f"{REMARK}{r}"] = "申请调减预算"  # in the file
    upload(cast, filled, save(wb))
    filled.refresh_from_db()
    row = filled.indicators.get(position=0)
    assert (row.cause_note, row.remark, filled.remark) == ("资金8月才到位", "申请调减预算", "已与财政沟通")
    # the same value changed in both places
    ws[f"{NOTE}{r}"] = "资金未到位"
    before = state(filled)
    with pytest.raises(ValidationError) as exc:
        upload(cast, filled, save(wb))
    assert exc.value.message_dict["rows.1.cause_note"][0].startswith(f"第{r}行“偏差原因说明”列：下载后该内容已在系统中被修改")
    assert state(filled) == before


# ---- department-wide ----------------------------------------------------------------------------------------------

def test_department_wide_form_with_main_tasks(cast):
    subject = cast.subjects["a_dept"]
    in_budget(cast, subject)
    GoalSheet.objects.filter(subject=subject).update(
        duties="负责全市基础教育", main_tasks=[{"name": "学生资助", "content": "资助困难学生", "amount": None},
                                         {"name": "校舍维修", "content": "维修校舍10所", "amount": None}])
    rnd = open_round(cast)
    report = MonitoringReport.objects.get(round=rnd, subject=subject)
    content = excel.report_workbook(report)
    wb, ws = book(content)
    assert ws["A1"].value.startswith("部门整体支出绩效目标执行监控表")
    assert find(ws, "年度履职目标").offset(column=1).value == "负责全市基础教育"
    assert find(ws, "实施单位").offset(column=1).value == "通辽市教育局"
    head = find(ws, "主要任务")
    assert [ws.cell(head.row + i, 2).value for i in (1, 2)] == ["学生资助", "校舍维修"]
    assert excel.report_data_from_workbook(report, content) == excel.report_data(report)
    ws.cell(head.row + 2, 9).value = "已完成6所"
    ws.cell(head.row + 1, 9).value = "已资助800人"
    find(ws, "年度履职目标").offset(column=1).value = "负责全市基础教育和学生资助"
    upload(cast, report, save(wb), user="clerk_a")
    report.refresh_from_db()
    assert [t["progress"] for t in report.main_tasks] == ["已资助800人", "已完成6所"]
    assert report.main_tasks[0]["name"] == "学生资助" and report.duties == "负责全市基础教育和学生资助"


# ---- through the screens ------------------------------------------------------------------------------------------

def test_download_and_upload_through_the_screens(client, cast, filled):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client.force_login(cast.users["unit_a1"])
    response = client.get(reverse("monitoring:report_download", args=[filled.pk]))
    assert response.status_code == 200 and response.content.startswith(b"PK")
    wb, ws = book(response.content)
    ws[f"{REMARK}{row_of(ws, '资助学生人数')}"] = "申请调减预算"
    filled.refresh_from_db()
    below(ws, "截至期末执行数").value = 650000  # 元 under the 万元 heading: read, and said so on the page
    filled.refresh_from_db()
    page = client.post(reverse("monitoring:report_upload", args=[filled.pk]), {
        "lock_version": filled.lock_version, "file": SimpleUploadedFile("监控表.xlsx", save(wb))}, follow=True)
    assert filled.indicators.get(position=0).remark == "申请调减预算"
    assert "导入说明" in page.content.decode() and "按65.00万元读取" in page.content.decode()
    client.force_login(cast.users["unit_a2"])  # another unit: not found, as everywhere
    assert client.get(reverse("monitoring:report_download", args=[filled.pk])).status_code == 404
