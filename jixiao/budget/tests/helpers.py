"""Helpers for the project library's tests."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl

from jixiao.core.money import Money
from jixiao.core.permissions import actor_for

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SAMPLE_XLSX = SAMPLES / "一体化系统项目预算导出样例.xlsx"
SAMPLE_CSV = SAMPLES / "执行数据导出样例.csv"


def actor(cast, name):
    return actor_for(cast.users[name])


def yuan(text) -> Money:
    return Money.from_yuan(str(text))


def xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows, encoding="utf-8-sig") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    for r in rows:
        writer.writerow(r)
    return buf.getvalue().encode(encoding)


def subject_data(cast, **overrides) -> dict:
    """Clean values for services.subject_create (a unit_a1 project)."""
    data = {
        "fiscal_year": cast.year, "code": "150500269990000000001", "name": "校园安全设施改造", "kind": "project",
        "project_category": "specific", "budget_kind": "general_public", "special_category": "",
        "department": cast.dept_a, "unit": cast.unit_a1, "is_new": True, "start_date": None, "end_date": None,
        "functional_class": "2050204", "functional_class_name": "高中教育", "sector": "教育", "description": "",
        "annual_amount": yuan("500000"), "total_amount": yuan("800000"), "adjusted_amount": None,
        "is_classified": False, "classified_reason": "", "classified_filed_at": None, "is_research": False,
    }
    data.update(overrides)
    return data


# A small project export: header row, then budget lines.
HEADER = ["预算年度", "单位编码", "单位名称", "项目编码", "项目名称", "项目类别", "预算类别", "功能分类科目编码", "经济分类科目编码",
          "资金来源", "年初预算数(元)", "调整后预算数(元)", "项目总金额", "是否新增", "开始日期", "结束日期", "特殊类别", "是否涉密"]


def line(code="P001", name="学生营养餐补助", unit="301001", unit_name="通辽市第一中学", initial="100000",
         adjusted="", total="", year=2026, category="特定目标类", budget="一般公共预算", special="无", secret="否",  # noqa: S107
         start="2026-01-01", end="2026-12-31", economic="30308", source="一般公共预算资金", new="是"):
    return [year, unit, unit_name, code, name, category, budget, "2050204", economic, source, initial, adjusted, total,
            new, start, end, special, secret]
