"""Regenerate the sample goal sheets shipped in this folder:

    JIXIAO_TESTING=1 .venv/bin/python jixiao/goals/samples/make_samples.py

项目支出绩效目标申报表样例.xlsx: a clean sheet as `jixiao.goals.excel.write_sheet` writes it (通辽市第一中学,
家庭经济困难学生资助, 2026, 10号 frame) — what the download gives and the upload reads back unchanged.

绩效目标表_不规范样例.xlsx: a sheet as offices really send it, in the integrated platform's own arrangement (项目资金
row with 中期/年度资金总额, goals in two columns under 总体目标, a "绩效指标" column left of the table, no 计算符号
column): the annual amount typed in 元 under a 万元 heading, the period as two Excel serial numbers, a target written
into the indicator name with the value cell empty, "＞＝", ">=", "不低于" for ≥, 一级/二级指标 in merged cells and
written short ("数量", "效益"), an empty row, a footer, and a second tab (填表说明) that must be ignored.

绩效目标表_不规范样例.xls: the same messy sheet as an old .xls. Written only when `xlwt` can be imported (it is not a
dependency of the project: run this script once with it on the path, e.g. from a scratch virtualenv, to refresh it).
"""

from __future__ import annotations

import datetime
import os
import sys
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CLEAN = "项目支出绩效目标申报表样例.xlsx"
MESSY = "绩效目标表_不规范样例.xlsx"
MESSY_XLS = "绩效目标表_不规范样例.xls"

# The messy sheet as rows of cell values (None = empty) and merged ranges (first row, first col, last row, last col;
# 1-based). Period: 46054 = 2026-02-01, 46387 = 2026-12-31 as Excel serial numbers.
MESSY_ROWS: list[list] = [
    ["2026年度项目支出绩效目标申报表"],
    ["填报单位（盖章）：通辽市第二中学", None, None, None, None, None, "金额单位：万元"],
    ["项目名称", "课后服务购买服务"],
    ["项目编码", "1505002630100200002", None, None, "项目类型", "特定目标类"],
    ["主管部门及代码", "通辽市教育局[301]", None, None, "实施单位", "通辽市第二中学"],
    ["项目属性", "新增项目", None, None, "项目期限", 46054, "至", 46387],
    ["项目资金（万元）", "中期资金总额", 500, None, "年度资金总额", 5000000],
    ["资金分配方式", "项目法", None, None, "特殊类别", "政府购买服务"],
    ["立项依据", "《关于做好中小学生课后服务工作的指导意见》（教基厅函〔2017〕2号）"],
    ["测算依据", "1500名学生×8个月×80元/月/生≈96万元，本年度安排96万元。"],
    ["总体目标", "中长期目标", None, None, "年度目标"],
    [None, "建立覆盖全体有需求学生的课后服务体系，解决家长接送难题。", None, None,
     "为1500名学生提供课后服务不少于3000课时，家长满意度达到90%以上。"],
    ["绩效指标", "一级指标", "二级指标", "三级指标", "指标值", "计量单位", "分值", "指标值设定依据"],
    [None, "产出指标", "数量", "课后服务覆盖学生人数", "＞＝1500", "人", 20, "计划标准"],
    [None, None, None, "服务课时数≥3000课时", None, None, 10, "计划"],
    [None, None, "质量指标", "课程满意率", "不低于90%", "%", "10分", "历史标准"],
    [None, None, "时效", "服务按时开展率", ">=95", "%", 10, None],
    [None, None, "成本指标", "生均月服务成本", "≤80", "元/人/月", 10, "预算支出标准"],
    [None, None, None, None, None, None, None, None],
    [None, "效益", "社会效益", "学生课后看护问题", "有效提升", None, 30, None],
    [None, "满意度指标", "服务对象满意度指标", "家长满意度", "≥90%", None, 10, "问卷调查"],
    [None],
    ["填报人：王某某    联系电话：0475-8888888    填报日期：2025年10月20日"],
]
MESSY_MERGES = [
    (1, 1, 1, 8), (3, 2, 3, 8), (4, 2, 4, 4), (5, 2, 5, 4), (9, 2, 9, 8), (10, 2, 10, 8),
    (11, 1, 12, 1), (11, 2, 11, 4), (11, 5, 11, 8), (12, 2, 12, 4), (12, 5, 12, 8),
    (13, 1, 21, 1), (14, 2, 18, 2), (14, 3, 15, 3),
]
MESSY_NOTES = ["填表说明", "1. 金额单位：万元。", "2. 指标值请填写数值。", "一级指标 | 二级指标 | 三级指标 | 指标值"]
WIDTHS = [14, 14, 16, 30, 14, 12, 8, 16]


def clean_sheet():
    """The clean sample as SheetData."""
    from jixiao.core.money import Money
    from jixiao.goals.data import RowData, SheetData

    def row(n, level1, level2, name, comparator, value, unit, weight, explanation, basis, method, source, evidence):
        return RowData(row=n, level1=level1, level2=level2, name=name, comparator=comparator, target_value=value,
                       unit=unit, weight=Decimal(weight), explanation=explanation, value_basis=basis,
                       value_method=method, data_source=source, evidence_type=evidence)

    return SheetData(
        kind="project", subject_code="1505002630100100001", subject_name="家庭经济困难学生资助",
        department_name="通辽市教育局", unit_name="通辽市第一中学", fiscal_year=2026,
        start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2026, 12, 31), subject_type="特定目标类",
        is_new=False, allocation_method="", total_amount=Money.from_yuan("2000000"),
        annual_amount=Money.from_yuan("2000000"),
        policy_basis="《学生资助资金管理办法》（财教〔2021〕310号）；《内蒙古自治区家庭经济困难学生认定办法》",
        calculation_basis="国家助学金：1200人×1500元/人/年=180万元；免学费补助：200人×1000元=20万元；合计200万元。",
        overall_goal="落实国家学生资助政策，保障家庭经济困难学生顺利完成学业，做到应助尽助。",
        annual_goal="2026年资助家庭经济困难学生1200人，资助资金按时足额发放，受助学生满意度不低于90%。",
        survey_plan="每学期末对受助学生发放满意度调查问卷，抽样不少于20%。",
        rows=[
            row(1, "output", "数量指标", "资助学生人数", "ge", "1200", "人", "20", "反映获得资助的学生人数。",
                "plan", "情况统计法", "部门业务统计", "资助名单"),
            row(2, "output", "质量指标", "资助对象认定准确率", "eq", "100", "%", "15",
                "认定准确人数/受助人数×100%。", "plan", "情况统计法", "部门业务记录", "认定材料"),
            row(3, "output", "时效指标", "资助资金发放及时率", "eq", "100", "%", "10",
                "按时发放资金/应发放资金×100%。", "plan", "直接证明法", "部门业务记录", "银行发放凭证"),
            row(4, "output", "成本指标", "生均资助标准", "le", "1500", "元/人/年", "5", "不得高于国家资助标准。",
                "spending_standard", "直接证明法", "政策文件", "资金文件"),
            row(5, "benefit", "社会效益指标", "家庭经济困难学生资助覆盖率", "eq", "100", "%", "30",
                "已资助人数/认定的家庭经济困难学生人数×100%。", "history", "情况统计法", "部门业务统计",
                "认定名单"),
            row(6, "satisfaction", "服务对象满意度指标", "受助学生满意度", "ge", "90", "%", "10",
                "通过问卷调查取得。", "plan", "问卷调查法", "问卷调查报告", "调查问卷"),
        ],
    )


def messy_xlsx() -> bytes:
    import io

    import openpyxl
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "绩效目标表"
    for r, values in enumerate(MESSY_ROWS, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                ws.cell(r, c, value)
    for r1, c1, r2, c2 in MESSY_MERGES:
        ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
    ws.cell(4, 2).number_format = "@"  # the long code kept as text
    for i, w in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    notes = wb.create_sheet("填表说明")
    for i, line in enumerate(MESSY_NOTES, start=1):
        notes.cell(i, 1, line)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def messy_xls() -> bytes | None:
    try:
        import xlwt
    except ImportError:
        return None
    import io

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("绩效目标表")
    merged = {}
    for r1, c1, r2, c2 in MESSY_MERGES:
        merged[(r1, c1)] = (r2, c2)
    covered = {(r, c) for (r1, c1), (r2, c2) in merged.items() for r in range(r1, r2 + 1)
               for c in range(c1, c2 + 1) if (r, c) != (r1, c1)}
    for r, values in enumerate(MESSY_ROWS, start=1):
        for c, value in enumerate(values, start=1):
            if (r, c) in covered:
                continue
            if (r, c) in merged:
                r2, c2 = merged[(r, c)]
                ws.write_merge(r - 1, r2 - 1, c - 1, c2 - 1, value)
            elif value is not None:
                ws.write(r - 1, c - 1, value)
    for i, w in enumerate(WIDTHS):
        ws.col(i).width = 256 * w
    notes = wb.add_sheet("填表说明")
    for i, line in enumerate(MESSY_NOTES):
        notes.write(i, 0, line)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jixiao.settings")
    import django

    django.setup()
    from jixiao.goals.excel import write_sheet

    (HERE / CLEAN).write_bytes(write_sheet(clean_sheet()))
    (HERE / MESSY).write_bytes(messy_xlsx())
    print(f"wrote {CLEAN}, {MESSY}")
    xls = messy_xls()
    if xls is None:
        print(f"xlwt not importable: {MESSY_XLS} left as it is")
    else:
        (HERE / MESSY_XLS).write_bytes(xls)
        print(f"wrote {MESSY_XLS}")


if __name__ == "__main__":
    main()
