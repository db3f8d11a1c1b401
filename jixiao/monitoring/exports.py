"""Workbooks of monitoring for the bureau: the year-end sweep (per department, amounts behind schedule and subjects
that cannot reach their goals, for recall) and a round's report list with colours."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from jixiao.policy.schema import Colour

COLOUR_LABELS = dict(Colour.choices)
FILLS = {"red": "F4CCCC", "yellow": "FFF2CC", "green": "D9EAD3"}
HEAD = Font(bold=True)


def _widths(ws, widths):
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


def _colour_cell(cell, colour: str) -> None:
    cell.value = COLOUR_LABELS.get(colour, "未计算") if colour else "未计算"
    if colour in FILLS:
        cell.fill = PatternFill("solid", fgColor=FILLS[colour])


def sweep_workbook(rnd, departments, *, truncated: bool = False) -> bytes:
    """The year-end sweep as one sheet: a subtotal line per department, then its subjects."""
    wb = Workbook()
    ws = wb.active
    ws.title = "年终清理"
    ws.append([f"{rnd.region.name if rnd.region_id else ''}{rnd}：执行进度滞后及无法完成绩效目标项目清单（拟收回）"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"数据截止：{rnd.period_end:%Y年%m月%d日}；金额单位：万元"])
    head = ["主管部门", "项目编码", "项目名称", "预算单位", "预算数", "截至期末执行数", "执行率(%)",
            "慢于序时进度金额", "综合预警", "有指标完全不可能完成", "处置状态"]
    ws.append(head)
    for c in ws[3]:
        c.font = HEAD
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    from jixiao.monitoring.workflows import DispositionState

    states = dict(DispositionState.choices)
    for group in departments:
        ws.append([group.name, "", f"小计：{len(group.lines)}个项目，其中{group.impossible}个无法完成目标", "", "",
                   "", "", float(group.behind.wan), "", "", ""])
        for c in ws[ws.max_row]:
            c.font = HEAD
        for line in group.lines:
            ws.append([line.department, line.code, line.name, line.unit, float(line.budget.wan),
                       float(line.spent.wan), float(line.execution_rate) if line.execution_rate is not None else None,
                       float(line.behind.wan), "", "是" if line.impossible else "否",
                       states.get(line.disposition_state, "")])
            _colour_cell(ws.cell(row=ws.max_row, column=9), line.colour)
            ws.cell(row=ws.max_row, column=2).number_format = "@"
    if truncated:
        ws.append(["（清单过长，仅导出前部分；请按部门分别导出）"])
    for row in ws.iter_rows(min_row=4, min_col=5, max_col=8):
        for c in row:
            c.number_format = "#,##0.00"
    _widths(ws, [22, 24, 40, 26, 14, 16, 11, 18, 10, 12, 16])
    ws.freeze_panes = "A4"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
