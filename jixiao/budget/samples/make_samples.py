"""Regenerate the sample exports of the integrated budget system shipped in this folder:

    .venv/bin/python jixiao/budget/samples/make_samples.py

一体化系统项目预算导出样例.xlsx: one row per budget line (指标), 通辽市 (150500), 2026, the departments and units of the
demo and test cast (301 教育局: 301001 第一中学, 301002 第二中学; 302 卫健委: 302001 通辽市医院).
执行数据导出样例.csv: monthly spending (当月支出) January to June for those projects, UTF-8 with BOM.
"""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent
HEADERS = [
    "预算年度", "主管部门编码", "主管部门名称", "单位编码", "单位名称", "项目编码", "项目名称", "项目类别", "预算类别",
    "功能分类科目编码", "功能分类科目名称", "经济分类科目编码", "经济分类科目名称", "资金来源", "指标编码",
    "年初预算数(元)", "调整后预算数(元)", "项目总金额(元)", "是否新增", "开始日期", "结束日期", "特殊类别", "是否涉密",
    "涉密备案原因",
]
D = datetime.date
EDU, HEALTH = ("301", "通辽市教育局"), ("302", "通辽市卫生健康委员会")
UNIT_A1, UNIT_A2 = ("301001", "通辽市第一中学"), ("301002", "通辽市第二中学")
UNIT_B1 = ("302001", "通辽市医院")

# (department, unit, code, name, category, budget, special, new, start, end, total, classified reason, lines)
# line: (functional code, functional name, economic code, economic name, fund source, initial, adjusted)
PROJECTS = [
    (EDU, UNIT_A1, "1505002630100100001", "家庭经济困难学生资助", "特定目标类", "一般公共预算", "", "否",
     D(2026, 1, 1), D(2026, 12, 31), "2000000.00", "", [
         ("2050204", "高中教育", "30308", "助学金", "一般公共预算资金", "1200000.00", "1200000.00"),
         ("2050204", "高中教育", "30308", "助学金", "上级转移支付资金", "800000.00", "800000.00"),
     ]),
    (EDU, UNIT_A1, "1505002630100100002", "智慧校园信息化建设", "特定目标类", "一般公共预算", "政府采购", "是",
     D(2026, 3, 1), D(2027, 12, 31), "3500000.00", "", [
         ("2050204", "高中教育", "31002", "办公设备购置", "一般公共预算资金", "1000000.00", "1000000.00"),
         ("2050204", "高中教育", "30227", "委托业务费", "一般公共预算资金", "800000.00", "800000.00"),
     ]),
    (EDU, UNIT_A2, "1505002630100200001", "教学楼抗震加固改造", "特定目标类", "政府性基金预算", "政府专项债券", "否",
     D(2025, 9, 1), D(2027, 8, 31), "30000000.00", "", [
         ("2290402", "其他地方自行试点项目收益专项债券收入安排的支出", "31001", "房屋建筑物购建",
          "地方政府专项债券资金", "12000000.00", "12000000.00"),
     ]),
    (EDU, UNIT_A2, "1505002630100200002", "课后服务购买服务", "特定目标类", "一般公共预算", "政府购买服务", "是",
     D(2026, 2, 1), D(2026, 12, 31), "960000.00", "", [
         ("2050203", "初中教育", "30227", "委托业务费", "一般公共预算资金", "960000.00", "960000.00"),
     ]),
    (EDU, EDU, "1505002630100000001", "全市中小学教师培训", "特定目标类", "一般公共预算", "", "否",
     D(2026, 1, 1), D(2026, 12, 31), "600000.00", "", [
         ("2050803", "培训支出", "30216", "培训费", "一般公共预算资金", "450000.00", "450000.00"),
         ("2050803", "培训支出", "30211", "差旅费", "一般公共预算资金", "150000.00", "150000.00"),
     ]),
    (HEALTH, UNIT_B1, "1505002630200100001", "医疗设备购置（CT机）", "特定目标类", "一般公共预算", "政府采购", "是",
     D(2026, 4, 1), D(2026, 12, 31), "5800000.00", "", [
         ("2100201", "综合医院", "31003", "专用设备购置", "一般公共预算资金", "3800000.00", "3800000.00"),
         ("2100201", "综合医院", "31003", "专用设备购置", "上级转移支付资金", "2000000.00", "2000000.00"),
     ]),
    (HEALTH, UNIT_B1, "1505002630200100002", "机要通信设备运行维护", "运转类", "一般公共预算", "", "否",
     D(2026, 1, 1), D(2026, 12, 31), "300000.00", "涉及机要通信设备，已按规定向通辽市财政局备案", [
         ("2100299", "其他公立医院支出", "30213", "维修（护）费", "一般公共预算资金", "300000.00", "300000.00"),
     ]),
    (HEALTH, HEALTH, "1505002630200000001", "基本公共卫生服务补助", "转移支付", "一般公共预算", "", "否",
     D(2026, 1, 1), D(2026, 12, 31), "9450000.00", "", [
         ("2100408", "基本公共卫生服务", "39999", "其他支出", "上级转移支付资金", "6615000.00", "6615000.00"),
         ("2100408", "基本公共卫生服务", "39999", "其他支出", "一般公共预算资金", "2835000.00", "2835000.00"),
     ]),
    (HEALTH, HEALTH, "1505002630200000002", "卫生健康信息系统运维", "运转类", "一般公共预算", "", "否",
     D(2026, 1, 1), D(2026, 12, 31), "1300000.00", "", [
         ("2100199", "其他卫生健康管理事务支出", "30213", "维修（护）费", "一般公共预算资金", "700000.00", "800000.00"),
         ("2100199", "其他卫生健康管理事务支出", "30227", "委托业务费", "一般公共预算资金", "450000.00", "500000.00"),
     ]),
]

# Monthly spending (当月支出) in yuan, January to June 2026, by project code.
EXECUTION = {
    "1505002630100100001": ["0.00", "0.00", "600000.00", "0.00", "0.00", "380000.00"],
    "1505002630100100002": ["0.00", "0.00", "0.00", "150000.00", "320000.00", "85600.00"],
    "1505002630100200001": ["1800000.00", "950000.00", "2600000.00", "1450000.00", "1230000.00", "1670000.00"],
    "1505002630100200002": ["0.00", "80000.00", "80000.00", "80000.00", "80000.00", "80000.00"],
    "1505002630100000001": ["0.00", "0.00", "45200.00", "126800.00", "0.00", "98300.00"],
    "1505002630200100001": ["0.00", "0.00", "0.00", "0.00", "1740000.00", "0.00"],
    "1505002630200000001": ["0.00", "2362500.00", "0.00", "0.00", "2362500.00", "0.00"],
    "1505002630200000002": ["58333.33", "58333.33", "58333.34", "96500.00", "96500.00", "96500.00"],
}


def make_xlsx(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "项目支出预算明细"
    ws.append(["2026年部门预算项目支出明细表"])
    ws.append(["导出单位：通辽市财政局    数据来源：预算管理一体化系统    金额单位：元    导出时间：2026-01-20 09:32"])
    ws.append([])
    ws.append(HEADERS)
    ws["A1"].font = Font(size=14, bold=True)
    for cell in ws[4]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    line_no = 0
    for dept, unit, code, name, category, budget, special, new, start, end, total, secret, lines in PROJECTS:
        for fcode, fname, ecode, ename, source, initial, adjusted in lines:
            line_no += 1
            ws.append([2026, dept[0], dept[1], unit[0], unit[1], code, name, category, budget, fcode, fname, ecode,
                       ename, source, f"ZB2026{line_no:06d}", float(initial), float(adjusted), float(total), new,
                       start, end, special or "无", "是" if secret else "否", secret])
    for row in ws.iter_rows(min_row=5):
        for cell in row:
            if cell.column in (2, 4, 6, 10, 12, 15):
                cell.number_format = "@"  # codes are text
            elif cell.column in (16, 17, 18):
                cell.number_format = "#,##0.00"
            elif cell.column in (20, 21):
                cell.number_format = "yyyy-mm-dd"
    widths = {"A": 9, "C": 20, "E": 20, "F": 22, "G": 26, "K": 30, "M": 16, "N": 18, "O": 14, "P": 16, "Q": 16, "R": 16,
              "T": 12, "U": 12, "X": 40}
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A5"
    stamp = datetime.datetime(2026, 1, 20, 9, 32)  # noqa: DTZ001 (document metadata, no time zone in xlsx)
    wb.properties.creator = "预算管理一体化系统"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.save(path)


def make_csv(path: Path) -> None:
    names = {code: (unit, name) for _, unit, code, name, *_ in PROJECTS}
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["年度", "月份", "单位编码", "单位名称", "项目编码", "项目名称", "支出金额(元)"])
        for month in range(1, 7):
            for code, amounts in EXECUTION.items():
                unit, name = names[code]
                writer.writerow([2026, month, unit[0], unit[1], code, name, amounts[month - 1]])


if __name__ == "__main__":
    make_xlsx(HERE / "一体化系统项目预算导出样例.xlsx")
    make_csv(HERE / "执行数据导出样例.csv")
    print("samples written to", HERE)
