"""The goal sheet in Excel: written in the platform's layout, read back by label, messy sheets read and flagged."""

from __future__ import annotations

import dataclasses
import datetime
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from jixiao.core.money import Money
from jixiao.goals.data import RowData, RowHistory, SheetData
from jixiao.goals.excel import read_sheet, write_department_workbook, write_sheet

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
D = datetime.date


def xlsx(rows, merges=(), *, formats=None, extra_sheets=()) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r, values in enumerate(rows, start=1):
        for c, v in enumerate(values, start=1):
            if v is not None:
                ws.cell(r, c, v)
    for ref, fmt in (formats or {}).items():
        ws[ref].number_format = fmt
    for m in merges:
        ws.merge_cells(m)
    for name, lines in extra_sheets:
        other = wb.create_sheet(name)
        for r, values in enumerate(lines, start=1):
            for c, v in enumerate(values, start=1):
                other.cell(r, c, v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


TABLE = ["一级指标", "二级指标", "三级指标", "计算符号", "指标值", "计量单位", "权重", "指标解释"]


def sheet_with(header_rows, table_rows, *, table=TABLE, merges=(), formats=None):
    rows = [["项目支出绩效目标申报表"], *header_rows, table, *table_rows]
    return xlsx(rows, merges, formats=formats)


def rules_of(findings):
    return [f.rule for f in findings]


def only(findings, rule):
    found = [f for f in findings if f.rule == rule]
    assert found, f"no {rule} in {[str(f) for f in findings]}"
    return found


def full_sheet(**overrides) -> SheetData:
    data = SheetData(
        kind="project", frame_code="frame_101", subject_code="150500263010010000123456",
        subject_name="家庭经济困难学生资助", department_name="通辽市教育局", unit_name="通辽市第一中学",
        fiscal_year=2026, start_date=D(2026, 3, 1), end_date=D(2027, 2, 28), subject_type="特定目标类",
        is_new=True, allocation_method="factor", special_category="special_bond", category="construction",
        has_quality_standard=True, is_key=True, total_amount=Money.from_yuan("3500000.01"),
        annual_amount=Money.from_yuan("1234567.89"), policy_basis="《学生资助资金管理办法》",
        calculation_basis="1200人×1000元/人", overall_goal="应助尽助。\n保障学业。", annual_goal="资助1200人",
        multi_year_benefit="校舍使用30年", survey_plan="每学期问卷",
        rows=[
            RowData(row=1, level1="cost", level2="经济成本指标", name="生均资助成本", comparator="le",
                    target_value="1000", unit="元/人", weight=Decimal("20"), explanation="不高于标准",
                    value_basis="spending_standard", value_method="直接证明法", data_source="政策文件",
                    evidence_type="资金文件", indicator_id=42),
            RowData(row=2, level1="output", level2="数量指标", name="资助学生人数", comparator="ge",
                    target_value="1200", unit="人", weight=Decimal("12.5"), value_basis="plan",
                    history=RowHistory(last_year_target="1100", last_year_actual="1150")),
            RowData(row=3, level1="output", level2="数量指标", name="资助覆盖率", comparator="eq",
                    target_value="100", unit="%", weight=Decimal("12.5")),
            RowData(row=4, level1="output", level2="时效指标", name="发放及时率", comparator="ge",
                    target_value="95", unit="%", weight=Decimal("15")),
            RowData(row=5, level1="benefit", level2="社会效益指标", name="学生学业保障情况", comparator="qualitative",
                    target_value="好", weight=Decimal("20")),
            RowData(row=6, level1="satisfaction", level2="服务对象满意度指标", name="受助学生满意度",
                    comparator="ge", target_value="90", unit="%", weight=Decimal("10"), value_note="问卷"),
            RowData(row=7, level1="output", level2="质量指标", name="资助对象认定准确率", comparator="other",
                    target_value="不低于上年", weight=Decimal("0"), value_note="按上年水平"),
        ],
    )
    return dataclasses.replace(data, **overrides)


def same_sheet(a: SheetData, b: SheetData) -> None:
    for f in dataclasses.fields(SheetData):
        if f.name != "rows":
            assert getattr(a, f.name) == getattr(b, f.name), f.name
    assert len(a.rows) == len(b.rows)
    for x, y in zip(a.rows, b.rows, strict=True):
        assert dataclasses.replace(x, row=y.row) == y


# ---- round trip ---------------------------------------------------------------------------------------------------

def test_write_then_read_round_trips_every_field(db):
    data = full_sheet()
    read, findings = read_sheet(write_sheet(data), "目标表.xlsx")
    assert findings == []
    same_sheet(data, read)
    assert read.rows[0].row > 10  # Excel row numbers


def test_round_trip_of_a_department_wide_sheet_with_tasks(db):
    data = SheetData(kind="department_wide", subject_code="301", subject_name="通辽市教育局部门整体支出",
                     department_name="通辽市教育局", fiscal_year=2026, duties="负责全市教育事业。",
                     main_tasks=[{"name": "学生资助", "content": "落实资助政策", "amount": Money.from_yuan("2000000")},
                                 {"name": "教师培训", "content": "培训1000人次", "amount": None}],
                     annual_goal="完成年度任务", total_amount=Money.from_yuan("20000000"),
                     annual_amount=Money.from_yuan("20000000"),
                     rows=[RowData(row=1, level1="output", level2="数量指标", name="培训人次", comparator="ge",
                                   target_value="1000", unit="人次", weight=Decimal("50"))])
    raw = write_sheet(data)
    ws = openpyxl.load_workbook(io.BytesIO(raw)).active
    assert ws["A1"].value == "部门整体支出绩效目标申报表"
    read, findings = read_sheet(raw, "整体.xlsx")
    assert findings == []
    same_sheet(data, read)


def test_huge_amounts_are_written_with_their_unit_and_read_back_unchanged(db):
    data = full_sheet(total_amount=Money.from_yuan("3000000000"), annual_amount=Money.from_yuan("1500000000"))
    read, findings = read_sheet(write_sheet(data), "大项目.xlsx")
    assert findings == []
    assert read.total_amount == Money.from_yuan("3000000000")
    assert read.annual_amount == Money.from_yuan("1500000000")


def test_blank_template_has_the_layout_lists_and_the_subject_but_no_rows(db):
    data = full_sheet()
    raw = write_sheet(data, filled=False)
    wb = openpyxl.load_workbook(io.BytesIO(raw))
    ws = wb.active
    formulas = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert '"成本指标,产出指标,效益指标,满意度指标"' in formulas
    assert '"≥,＞,＝,＜,≤,定性,定量(其他)"' in formulas
    assert '"计划标准,行业标准,历史标准,预算支出标准,其他标准"' in formulas
    labels = [c.value for row in ws.iter_rows(max_row=40) for c in row if isinstance(c.value, str)]
    for label in ("项目编码", "项目名称", "主管部门", "实施单位", "项目期限", "项目类型", "是否新增", "资金分配方式",
                  "项目总金额（万元）", "年度金额（万元）", "立项依据", "测算依据", "中长期目标", "年度目标",
                  "一级指标", "二级指标", "三级指标", "计算符号", "指标值", "计量单位", "权重(分值)", "指标解释",
                  "指标值设定依据", "取值方式", "数据来源", "佐证材料"):
        assert label in labels, label
    code_cell = next(c for row in ws.iter_rows(max_row=10) for c in row if c.value == data.subject_code)
    assert code_cell.data_type == "s"  # long code kept as text
    assert "填表说明" in wb.sheetnames
    read, findings = read_sheet(raw, "模板.xlsx")
    assert findings == []
    assert read.rows == []
    assert read.subject_code == data.subject_code and read.annual_amount == data.annual_amount
    assert read.annual_goal == "" and read.is_key is False
    empty, findings = read_sheet(write_sheet(SheetData(), filled=False), "空白.xlsx")
    assert findings == [] and empty.subject_code == "" and empty.fiscal_year is None


def test_merged_level_cells_are_written_for_runs(db):
    raw = write_sheet(full_sheet())
    ws = openpyxl.load_workbook(io.BytesIO(raw)).active
    merged = [str(m) for m in ws.merged_cells.ranges]
    header = next(c.row for c in ws["C"] if c.value == "三级指标")
    assert f"A{header + 2}:A{header + 4}" in merged  # 产出指标 ×3 (rows 2-4 of the data)
    assert f"B{header + 2}:B{header + 3}" in merged  # 数量指标 ×2


def test_department_workbook_has_a_summary_and_one_tab_per_sheet(db):
    a = full_sheet()
    b = full_sheet(subject_code="1505002630100100002", subject_name="智慧校园信息化建设/二期")
    raw = write_department_workbook([a, b], "通辽市教育局2026年绩效目标")
    wb = openpyxl.load_workbook(io.BytesIO(raw))
    assert wb.sheetnames[0] == "汇总"
    assert len(wb.sheetnames) == 3
    assert "1-家庭经济困难学生资助" in wb.sheetnames
    assert any("智慧校园信息化建设二期" in n for n in wb.sheetnames)  # "/" is not allowed in a tab name
    summary = wb["汇总"]
    assert summary["A1"].value == "通辽市教育局2026年绩效目标"
    assert summary["B3"].value == a.subject_code
    assert summary["G3"].value == len(a.rows)
    read, findings = read_sheet(raw, "部门.xlsx")
    same_sheet(a, dataclasses.replace(read, frame_code=a.frame_code))  # the frame is a per-sheet property
    assert rules_of(findings) == ["X-sheets"]


# ---- the messy sample ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def messy():
    return read_sheet(SAMPLES / "绩效目标表_不规范样例.xlsx", "绩效目标表_不规范样例.xlsx")


def test_messy_sample_amount_in_yuan_under_wan_is_read_as_yuan_with_a_warning(db, messy):
    sheet, findings = messy
    assert sheet.total_amount == Money.from_yuan("5000000")  # 500 万元, as labelled
    assert sheet.annual_amount == Money.from_yuan("5000000")  # 5000000 under 万元: clearly 元
    (f,) = only(findings, "X-amount-unit")
    assert f.severity == "warning" and f.row == 7 and "F7" in f.message and "500.00万元" in f.message


def test_messy_sample_serial_dates_are_read_and_flagged(db, messy):
    sheet, findings = messy
    assert (sheet.start_date, sheet.end_date) == (D(2026, 2, 1), D(2026, 12, 31))
    cells = [f.message for f in only(findings, "X-date-serial")]
    assert any("F6" in m for m in cells) and any("H6" in m for m in cells)


def test_messy_sample_header_read_by_labels(db, messy):
    sheet, _ = messy
    assert sheet.subject_code == "1505002630100200002"
    assert sheet.subject_name == "课后服务购买服务"
    assert sheet.unit_name == "通辽市第二中学"
    assert sheet.is_new is True  # 项目属性: 新增项目
    assert sheet.allocation_method == "project"
    assert sheet.special_category == "purchase_of_services"
    assert sheet.fiscal_year == 2026  # from the title
    assert sheet.overall_goal.startswith("建立覆盖全体") and sheet.annual_goal.startswith("为1500名学生")


def test_messy_sample_rows(db, messy):
    sheet, findings = messy
    by_row = {r.row: r for r in sheet.rows}
    assert sorted(by_row) == [14, 15, 16, 17, 18, 20, 21]  # empty row 19 skipped, footer not read
    assert (by_row[14].level1, by_row[14].level2, by_row[14].comparator, by_row[14].target_value) == (
        "output", "数量指标", "ge", "1500")  # ＞＝1500, 二级 "数量"
    assert (by_row[15].level1, by_row[15].level2) == ("output", "数量指标")  # merged cells carried down
    assert (by_row[15].name, by_row[15].comparator, by_row[15].target_value, by_row[15].unit) == (
        "服务课时数", "ge", "3000", "课时")
    (f,) = only(findings, "X-target-in-name")
    assert f.row == 15 and f.field == "三级指标"
    assert (by_row[16].comparator, by_row[16].target_value, by_row[16].unit, by_row[16].weight) == (
        "ge", "90", "%", Decimal(10))  # 不低于90%, 10分
    assert (by_row[17].level2, by_row[17].comparator, by_row[17].target_value) == ("时效指标", "ge", "95")  # >=95
    assert (by_row[18].comparator, by_row[18].value_basis) == ("le", "spending_standard")
    assert by_row[20].level1 == "benefit" and by_row[20].comparator == "" and by_row[20].target_value == "有效提升"
    assert by_row[21].level1 == "satisfaction" and by_row[21].unit == "%"
    assert all(f.severity == "warning" for f in findings)


def test_xls_sample_reads_like_the_xlsx(db, messy):
    path = SAMPLES / "绩效目标表_不规范样例.xls"
    assert path.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    sheet, findings = read_sheet(path, path.name)
    assert sheet == messy[0]
    assert findings == messy[1]


def test_clean_sample_reads_without_findings(db):
    sheet, findings = read_sheet(SAMPLES / "项目支出绩效目标申报表样例.xlsx", "样例.xlsx")
    assert findings == []
    assert sheet.subject_name == "家庭经济困难学生资助" and len(sheet.rows) == 6


# ---- messy cases one by one ---------------------------------------------------------------------------------------

ROW = ["产出指标", "数量指标", "资助人数", "≥", "1200", "人", 20, "说明"]


@pytest.mark.parametrize(("cells", "start", "end", "serial"), [
    (["2026年1月-12月"], D(2026, 1, 1), D(2026, 12, 31), False),
    (["2026-01-01至2026-12-31"], D(2026, 1, 1), D(2026, 12, 31), False),
    (["2026.3.1-2027.2.28"], D(2026, 3, 1), D(2027, 2, 28), False),
    (["2026年3月1日至2027年2月28日"], D(2026, 3, 1), D(2027, 2, 28), False),
    (["2026-2028年"], D(2026, 1, 1), D(2028, 12, 31), False),
    (["2026年"], D(2026, 1, 1), D(2026, 12, 31), False),
    (["20260101-20261231"], D(2026, 1, 1), D(2026, 12, 31), False),
    ([datetime.datetime(2026, 1, 1), "至", datetime.datetime(2026, 6, 30)], D(2026, 1, 1), D(2026, 6, 30), False),
    ([46023, 46387], D(2026, 1, 1), D(2026, 12, 31), True),
    (["46023-46387"], D(2026, 1, 1), D(2026, 12, 31), True),
])
def test_periods_as_offices_write_them(db, cells, start, end, serial):
    sheet, findings = read_sheet(sheet_with([["项目期限", *cells]], [ROW]), "a.xlsx")
    assert (sheet.start_date, sheet.end_date) == (start, end)
    assert ("X-date-serial" in rules_of(findings)) is serial
    assert "X-date" not in rules_of(findings)


def test_separate_start_and_end_dates_and_bad_period(db):
    sheet, findings = read_sheet(sheet_with([["开始日期", 46023, "结束日期", "2026/12/31"]], [ROW]), "a.xlsx")
    assert (sheet.start_date, sheet.end_date) == (D(2026, 1, 1), D(2026, 12, 31))
    assert rules_of(findings) == ["X-date-serial"]
    _, findings = read_sheet(sheet_with([["项目期限", "三年"]], [ROW]), "a.xlsx")
    (f,) = only(findings, "X-date")
    assert f.severity == "error" and f.field == "项目期限" and "B2" in f.message
    _, findings = read_sheet(sheet_with([["项目期限", "2026-12-31至2026-01-01"]], [ROW]), "a.xlsx")
    assert "X-date-order" in rules_of(findings)


@pytest.mark.parametrize(("header", "total", "annual", "flagged"), [
    ([["项目总金额（万元）", 1200, "年度金额（万元）", 300]], "12000000", "3000000", []),
    ([["项目总金额（万元）", 1200, "年度金额（万元）", 5000000]], "12000000", "5000000", ["年度金额"]),
    ([["项目总金额（万元）", 90000, "年度金额（万元）", 50]], "90000", "500000", ["项目总金额"]),  # 1000× annual
    ([["项目总金额（元）", 3000000, "年度金额（元）", 300]], "3000000", "3000000", ["年度金额"]),  # 300 meant 万元
    ([["项目总金额（万元）", "200000万元", "年度金额（万元）", "1,500,000元"]], "2000000000", "1500000", []),
    ([["金额单位：元"], ["项目总金额", 800000, "年度金额", 800000]], "800000", "800000", []),
    ([["项目资金（万元）", "中期资金总额", 100, "年度资金总额", 40.5]], "1000000", "405000", []),
])
def test_amount_units(db, header, total, annual, flagged):
    sheet, findings = read_sheet(sheet_with(header, [ROW]), "a.xlsx")
    assert sheet.total_amount == Money.from_yuan(total)
    assert sheet.annual_amount == Money.from_yuan(annual)
    assert sorted(f.field for f in findings if f.rule == "X-amount-unit") == sorted(flagged)


def test_amount_without_unit_is_read_as_wan_with_a_warning_and_garbage_is_an_error(db):
    sheet, findings = read_sheet(sheet_with([["年度金额", 12.5, "项目总金额", "很多"]], [ROW]), "a.xlsx")
    assert sheet.annual_amount == Money.from_yuan("125000")
    assert only(findings, "X-amount-unit")[0].severity == "warning"
    (f,) = only(findings, "X-amount")
    assert f.severity == "error" and f.field == "项目总金额" and "D2" in f.message
    assert sheet.total_amount is None


def test_long_codes(db):
    sheet, _ = read_sheet(sheet_with([["项目编码", "150500263010010000123456"]], [ROW]), "a.xlsx")
    assert sheet.subject_code == "150500263010010000123456"
    sheet, findings = read_sheet(sheet_with([["项目编码", 1.505002630100100e20]], [ROW]), "a.xlsx")
    assert sheet.subject_code == "" and only(findings, "X-code")[0].severity == "error"
    sheet, findings = read_sheet(sheet_with([["项目编码", 15050026]], [ROW]), "a.xlsx")
    assert sheet.subject_code == "15050026" and findings == []


@pytest.mark.parametrize(("comparator", "value", "unit", "expect", "rule"), [
    (">=", "95", "%", ("ge", "95", "%"), None),
    ("＞＝", "95", "%", ("ge", "95", "%"), None),
    ("不低于", "95", "%", ("ge", "95", "%"), None),
    ("大于等于", 95, "%", ("ge", "95", "%"), None),
    (None, "≥95%", None, ("ge", "95", "%"), "X-comparator-in-value"),
    (None, "≥95%", "%", ("ge", "95", "%"), "X-comparator-in-value"),
    ("≤", "≥95", "%", ("le", "95", "%"), "X-comparator-conflict"),
    ("约等于", "95", "%", ("", "95", "%"), "X-comparator"),
    (None, "好", None, ("qualitative", "好", ""), "X-comparator-inferred"),
    ("定性", "较好", None, ("qualitative", "较好", ""), None),
    (None, "定性", None, ("qualitative", "", ""), None),
    ("＝", "1.2万", "人次", ("eq", "12000", "人次"), None),
    ("≥", "500人", "人次", ("ge", "500人", "人次"), "X-unit-conflict"),
    ("≤", "2026年11月30日前", None, ("le", "2026年11月30日前", ""), None),
])
def test_comparators_and_values(db, comparator, value, unit, expect, rule):
    row = ["产出指标", "数量指标", "指标甲", comparator, value, unit, 20, "说明"]
    sheet, findings = read_sheet(sheet_with([], [row]), "a.xlsx")
    (r,) = sheet.rows
    assert (r.comparator, r.target_value, r.unit) == expect
    assert rules_of(findings) == ([rule] if rule else [])


def test_percent_cell_and_comparator_in_value_without_a_comparator_column(db):
    table = ["一级指标", "二级指标", "三级指标", "指标值", "计量单位"]
    raw = sheet_with([], [["产出指标", "质量指标", "合格率", 0.95, None],
                          ["产出指标", "数量指标", "培训人数", "＞＝300", "人次"]],
                     table=table, formats={"D3": "0%"})
    sheet, findings = read_sheet(raw, "a.xlsx")
    assert [(r.comparator, r.target_value, r.unit) for r in sheet.rows] == [("", "95", "%"), ("ge", "300", "人次")]
    assert findings == []  # no 计算符号 column: the value cell is where the comparator belongs


def test_target_in_name_with_a_comparator_column(db):
    raw = sheet_with([], [["产出指标", "数量指标", "学生资助人数≥500人", None, None, None, 20, None]])
    sheet, findings = read_sheet(raw, "a.xlsx")
    (r,) = sheet.rows
    assert (r.name, r.comparator, r.target_value, r.unit) == ("学生资助人数", "ge", "500", "人")
    (f,) = only(findings, "X-target-in-name")
    assert f.severity == "warning" and "学生资助人数≥500人" in f.message


@pytest.mark.parametrize(("level1", "level2", "expect"), [
    ("产出指标", "数量指标", ("output", "数量指标")),
    ("产出", "数量", ("output", "数量指标")),
    ("一、产出指标（50分）", "（一）质量", ("output", "质量指标")),
    ("效益指标", "社会效益", ("benefit", "社会效益指标")),
    ("满意度", "服务对象满意度", ("satisfaction", "服务对象满意度指标")),
    ("成本指标", "经济成本", ("cost", "经济成本指标")),
    ("产出指标", "成本指标", ("output", "成本指标")),
    ("产出指标", "自创的二级", ("output", "自创的二级")),
])
def test_level_names(db, level1, level2, expect):
    sheet, findings = read_sheet(sheet_with([], [[level1, level2, "指标甲", "≥", "1", "个", 10, ""]]), "a.xlsx")
    assert (sheet.rows[0].level1, sheet.rows[0].level2) == expect
    assert findings == []


def test_bad_level1_weight_and_rows_without_names(db):
    rows = [["投入指标", "资金", "资金到位", "≥", "100", "%", "abc", ""],
            [None, None, None, "≥", "5", "个", 10, ""],
            [None, None, "指标乙", "≥", "5", "个", "10分", ""]]
    sheet, findings = read_sheet(sheet_with([], rows), "a.xlsx")
    assert only(findings, "X-level1")[0].row == 3
    assert only(findings, "X-weight")[0].row == 3
    assert only(findings, "X-name")[0].row == 4
    assert [r.row for r in sheet.rows] == [3, 5]
    assert sheet.rows[1].weight == Decimal(10) and sheet.rows[1].level1 == ""  # carried from an invalid level1


def test_first_row_without_level1_is_an_error(db):
    _, findings = read_sheet(sheet_with([], [[None, "数量指标", "指标", "≥", "1", "个", 10, ""]]), "a.xlsx")
    assert only(findings, "X-level1")[0].message == "一级指标为空"


def test_value_basis_variants(db):
    table = [*TABLE, "指标值设定依据"]
    rows = [["产出指标", "数量指标", "甲", "≥", "1", "个", 10, "", "计划"],
            ["产出指标", "数量指标", "乙", "≥", "1", "个", 10, "", "计划标准、历史标准"],
            ["产出指标", "数量指标", "丙", "≥", "1", "个", 10, "", "拍脑袋"]]
    sheet, findings = read_sheet(sheet_with([], rows, table=table), "a.xlsx")
    assert [r.value_basis for r in sheet.rows] == ["plan", "plan", ""]
    assert [f.row for f in findings if f.rule == "X-value-basis"] == [4, 5]


def test_header_found_anywhere_repeated_header_and_footer(db):
    rows = [[None], [None, "说明文字"], [None, None, "项目名称", "甲项目"], [None], [None],
            [None, None, *TABLE], [None, None, *ROW], [None, None, *TABLE], [None, None, None, None, "质量达标率",
                                                                          "≥", "98", "%", 10, ""],
            [None], [None, None, "填报人：张三"], [None, None, "产出指标", "数量指标", "不应读到", "≥", "1", "个"]]
    sheet, findings = read_sheet(xlsx(rows), "a.xlsx")
    assert sheet.subject_name == "甲项目"
    assert [(r.row, r.name, r.level1) for r in sheet.rows] == [(7, "资助人数", "output"), (9, "质量达标率", "output")]
    assert findings == []


def test_second_tab_is_ignored_and_a_tab_without_table_is_skipped(db):
    raw = xlsx([["填表说明"], ["请按要求填写"]], extra_sheets=[("目标表", [["项目名称", "乙"], TABLE, ROW]),
                                                    ("另一个", [["项目名称", "丙"], TABLE, ROW])])
    sheet, findings = read_sheet(raw, "a.xlsx")
    assert sheet.subject_name == "乙"
    assert rules_of(findings) == ["X-sheets"]


def test_csv_of_the_table_part(db):
    text = "一级指标,二级指标,三级指标,指标值,计量单位,权重\n产出指标,数量指标,资助人数,≥1200,人,20\n,,覆盖率,100%,,10\n"
    for encoding in ("utf-8-sig", "gb18030"):
        sheet, findings = read_sheet(text.encode(encoding), "a.csv")
        assert findings == []
        assert [(r.row, r.level1, r.comparator, r.target_value, r.unit) for r in sheet.rows] == [
            (2, "output", "ge", "1200", "人"), (3, "output", "", "100", "%")]


def test_a_long_csv_keeps_its_row_numbers(db):
    lines = ["一级指标,二级指标,三级指标,指标值,计量单位"] + [f"产出指标,数量指标,指标{i}号很长的中文名称,≥{i},个"
                                                      for i in range(300)]
    sheet, findings = read_sheet(("\n".join(lines)).encode("utf-8"), "long.csv")
    assert findings == []
    assert sheet.rows[0].row == 2 and sheet.rows[-1].row == 301


def test_files_that_are_not_sheets(db):
    for data, name in ((b"%PDF-1.4 ...", "a.pdf"), (b"", "a.xlsx"), (b"PK\x03\x04broken", "a.xlsx")):
        sheet, findings = read_sheet(data, name)
        assert rules_of(findings) == ["X-file"] and sheet.rows == []
    _, findings = read_sheet(xlsx([["项目名称", "甲"], ["别的", "表"]]), "a.xlsx")
    assert rules_of(findings) == ["X-no-table"]
    _, findings = read_sheet(xlsx([["一级指标", "三级指标", "指标值"], ROW]), "a.xlsx")
    assert rules_of(findings) == ["X-column"]


def test_reads_from_a_path_and_a_file_object(db, tmp_path):
    raw = write_sheet(full_sheet())
    p = tmp_path / "a.xlsx"
    p.write_bytes(raw)
    assert read_sheet(p, "a.xlsx")[0] == read_sheet(io.BytesIO(raw), "a.xlsx")[0] == read_sheet(str(p))[0]
