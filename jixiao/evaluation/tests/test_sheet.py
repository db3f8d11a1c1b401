"""Reading published self-evaluation tables (10号 附1 layout and messy local variants) and trial-scoring them."""

import io
from decimal import Decimal as D

import openpyxl
import pytest

from jixiao.core.money import Money
from jixiao.evaluation import sheet as s
from jixiao.evaluation.trial import trial_table
from jixiao.policy.schema import Grade, QualitativeTier, SelfEvaluationParams

P = SelfEvaluationParams()

STANDARD = [
    ["项目支出绩效自评表"],
    ["（2024年度）"],
    ["项目名称", "农村义务教育学生营养改善计划"],
    ["主管部门", "市教育局", None, None, None, "实施单位", "市第五中学"],
    ["项目资金（万元）", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
    [None, "年度资金总额", 100, 120, 108, 10, 0.9, 9],
    [None, "其中：当年财政拨款", 80, 100, 90, "—", "—", "—"],
    [None, "上年结转资金", 20, 20, 18, "—", "—", "—"],
    [None, "其他资金", None, None, None, "—", "—", "—"],
    ["年度总体目标", "预期目标", None, None, "实际完成情况"],
    [None, "保障1200名学生营养餐", None, None, "保障1180名学生营养餐"],
    ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
    [None, "产出指标", "数量指标", "受益学生人数", "≥1200人", "1180人", 20, 19.67, "部分学生转学"],
    [None, None, None, "供餐天数", "≥200天", "200天", 15, 15, None],
    [None, None, "质量指标", "食品安全事故发生率", "≤1%", "0%", 15, 15, None],
    [None, None, "时效指标", "资金拨付及时性", "2024年12月底前", "按时完成", 10, 10, None],
    [None, "效益指标", "社会效益指标", "学生营养状况", "明显改善", "达成", 20, 18, None],
    [None, "满意度指标", "服务对象满意度指标", "家长满意度", "≥90%", 0.95, 10, 10, None],
    ["总分", None, None, None, None, None, 100, 96.67],
    ["自评等级：优"],
]

MESSY = [
    ["2024年度项目支出绩效自评表", None, None, None, None, None, "单位：元"],
    ["项目名称", "城乡道路养护"],
    ["主管部门", "交通运输局", None, None, "实施单位", "公路事务中心"],
    ["资金情况", "年初预算数", "全年预算数", "全年执行数", "执行率"],
    ["年度资金总额", "2,000,000.00", "2000000", "1500000", "75%"],
    ["年度总体目标", "预期目标", None, "实际完成情况"],
    [None, "养护道路300公里", None, "养护285公里"],
    ["一级指标", "二级指标", "指标名称", "指标值", "实际值", "权重", "自评得分", "偏差原因"],
    ["预算执行率", None, None, None, None, 10, 7.5, None],
    ["产出", "数量", "养护里程", "不低于300公里", "285公里", 40, 38, None],
    [None, "质量", "路面优良率", "90%", "92%", 20, 20, None],
    ["效益", "社会效益", "群众出行条件", "有效改善", "部分达成", 20, 17, "资金到位晚"],
    ["满意度", "满意度", "群众满意度", "≥85%", "88%", 10, 10, None],
    ["合计", None, None, None, None, 100, 95],
    ["自评结论", "良"],
]


def _xlsx(*sheets, merges=()) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for i, rows in enumerate(sheets):
        ws = wb.create_sheet(f"表{i + 1}")
        for row in rows:
            ws.append(row)
        for rng in merges if i == 0 else ():
            ws.merge_cells(rng)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_reads_the_standard_layout():
    res = s.read_workbook(_xlsx(STANDARD, merges=["A1:I1", "B3:I3", "A5:A9", "A12:A18", "B13:B16", "C13:C14"]))
    assert res.errors == []
    (t,) = res.tables
    assert (t.project, t.department, t.unit_name, t.year, t.money_unit) == (
        "农村义务教育学生营养改善计划", "市教育局", "市第五中学", 2024, "wan")
    assert [r.name for r in t.funds_rows] == ["年度资金总额", "其中：当年财政拨款", "上年结转资金", "其他资金"]
    assert t.funds_rows[0].annual == Money.from_wan(120)
    assert (t.execution_weight, t.execution_rate_pct, t.execution_score) == (D(10), D(90), D(9))
    assert (t.expected_goal, t.achieved_goal) == ("保障1200名学生营养餐", "保障1180名学生营养餐")
    assert [ln.name for ln in t.lines] == ["受益学生人数", "供餐天数", "食品安全事故发生率", "资金拨付及时性",
                                           "学生营养状况", "家长满意度"]
    assert [ln.level2 for ln in t.lines][:3] == ["数量指标", "数量指标", "质量指标"]  # merged cells carried down
    first, _, ceiling, deadline, quality, satisfaction = t.lines
    assert (first.line.comparator, first.line.target, first.line.actual, first.line.unit) == ("ge", D(1200), D(1180),
                                                                                               "人")
    assert (ceiling.line.comparator, ceiling.line.target) == ("le", D(1))
    assert deadline.line.target is None and deadline.line.tier == QualitativeTier.ACHIEVED
    assert (quality.line.comparator, quality.line.tier) == ("qualitative", QualitativeTier.ACHIEVED)
    assert satisfaction.line.actual == D(95)  # Excel's 0.95 in a percentage cell
    assert satisfaction.line.level1 == "satisfaction"
    assert first.row == 13
    assert (t.total, t.grade) == (D("96.67"), Grade.EXCELLENT)


def test_trial_of_the_standard_table_is_consistent():
    (t,) = s.read_workbook(_xlsx(STANDARD)).tables
    out = trial_table(t, P)
    assert out["findings"] == []
    assert out["consistent"]
    assert out["total"] == "96.67" and out["grade"] == Grade.EXCELLENT
    assert out["lines"][0]["score"] == "19.67"
    assert "1180" in out["lines"][0]["reason"] and "规则" in out["lines"][0]["reason"]
    assert out["funds"]["score"] == "9"


def test_reads_a_messy_variant_and_finds_its_mistakes():
    (t,) = s.read_workbook(_xlsx(MESSY)).tables
    assert t.money_unit == "yuan"
    assert t.funds_rows[0].annual == Money.from_yuan(2_000_000)
    assert (t.execution_weight, t.execution_score, t.execution_rate_pct) == (D(10), D("7.5"), D(75))
    assert [ln.name for ln in t.lines] == ["养护里程", "路面优良率", "群众出行条件", "群众满意度"]
    assert t.lines[0].line.comparator == "ge" and t.lines[1].line.comparator == "ge"  # a bare "90%" is a floor
    assert t.lines[2].line.tier == QualitativeTier.PARTIAL
    assert (t.total, t.grade) == (D(95), Grade.GOOD)
    out = trial_table(t, P)
    codes = {(f["code"], f["row"]) for f in out["findings"]}
    # 285÷300×40 = 38 ✓; 部分达成 allows [12, 16) of 20, 17 is outside; 7.5+38+20+17+10 = 92.5 ≠ 95; 95 is 优
    assert ("outside_band", 12) in codes
    assert ("total_not_sum", None) in codes
    assert ("grade_mismatch", None) in codes
    assert ("rescored", 10) not in codes
    messages = " ".join(f["message"] for f in out["findings"])
    assert "第12行“群众出行条件”" in messages


def test_several_tables_on_one_sheet_and_several_sheets():
    rows = STANDARD + [[None], [None]] + MESSY
    res = s.read_workbook(_xlsx(rows, STANDARD))
    assert [t.project for t in res.tables] == ["农村义务教育学生营养改善计划", "城乡道路养护", "农村义务教育学生营养改善计划"]
    assert [t.sheet for t in res.tables] == ["表1", "表1", "表2"]
    assert len(res.tables[1].lines) == 4 and res.tables[1].year == 2024


def test_unreadable_cells_are_reported_by_row_and_column():
    rows = [list(r) for r in STANDARD]
    rows[13] = [None, None, None, "供餐天数", "≥200天", "200天", "十五", 15, None]
    (t,) = s.read_workbook(_xlsx(rows)).tables
    assert [str(e) for e in t.errors] == ["第14行“分值”列：不是数值，未计入"]


def test_a_workbook_without_a_table():
    res = s.read_workbook(_xlsx([["随便写的"], [1, 2, 3]]))
    assert res.tables == [] and "未找到自评表" in str(res.errors[0])


@pytest.mark.parametrize("text, grade", [("优", Grade.EXCELLENT), ("自评等级：良", Grade.GOOD), ("中", Grade.FAIR),
                                         ("差", Grade.POOR), ("优秀", Grade.EXCELLENT), ("", "")])
def test_grade_from_text(text, grade):
    assert s.grade_from_text(text) == grade


def test_csv_is_read_too():
    text = "\n".join(",".join("" if v is None else str(v) for v in row) for row in STANDARD)
    (t,) = s.read_workbook(text.encode("utf-8-sig"), "a.csv").tables
    assert t.project == "农村义务教育学生营养改善计划" and len(t.lines) == 6
    # "0.9" written as text is 0.9%, unless the amounts say 90%
    assert t.execution_rate_pct == D(90)


FASP_EXPORT = [
    ["项目支出绩效自评表（2025年度）"],
    ["项目名称", "高标准农田建设", None, "主管部门", "农业农村局"],
    ["金额单位：万元"],
    ["资金情况", "年初预算数", "全年预算数（A）", "全年执行数（B）", "分值", "执行率（B/A）", "得分"],
    ["年度资金总额：", 500, 500, 450.5, "10分", "90.10%", 9.01],
    ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "权重（分）", "实际完成值", "得分",
     "偏差原因分析及改进措施"],
    ["产出指标", "数量指标", "建设面积", "≥", 1, "万亩", 30, 1.02, 30, None],
    [None, "时效指标", "完工时间", "定性", "2025年11月底前", None, 20, "2025年10月完工", 20, None],
    ["效益指标", "经济效益指标", "亩均增产", "≥", "50", "公斤", 20, "48", 19.2, "部分地块受旱"],
    [None, "可持续影响指标", "农田长期发挥效益", "定性", "有效提升", None, 10, "有效提升", 10, None],
    ["满意度指标", "服务对象满意度指标", "农户满意度", "≥", "90", "%", 10, "93", 10, None],
    ["总分", None, None, None, None, None, 100, None, 98.21],
]


def test_reads_a_fasp_export_with_bracketed_headers_and_a_comparator_column():
    (t,) = s.read_workbook(_xlsx(FASP_EXPORT)).tables
    assert t.errors == []
    assert (t.project, t.department, t.year) == ("高标准农田建设", "农业农村局", 2025)
    assert (t.execution_weight, t.execution_rate_pct, t.execution_score) == (D(10), D("90.10"), D("9.01"))
    assert [ln.line.comparator for ln in t.lines] == ["ge", "qualitative", "ge", "qualitative", "ge"]
    assert t.lines[0].line.unit == "万亩"
    assert t.lines[3].line.tier == QualitativeTier.ACHIEVED  # the target's own words
    out = trial_table(t, P)
    assert out["findings"] == [], out["findings"]
    assert out["total"] == "98.21"
