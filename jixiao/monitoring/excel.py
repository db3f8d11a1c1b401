"""The monitoring form in Excel (绩效运行监控表, 财预〔2019〕136号 附件 / 河南 附件1 layout): download one report as an
.xlsx, fill it in offline, upload it back into `services.report_save`.

Layout of the sheet "绩效运行监控表" (columns A..N visible, O hidden):

    项目支出绩效目标执行监控表（2026年1-7月绩效监控）          (部门/单位整体支出… for wide subjects)
    监控期间 … 数据截止日 … 序时进度                         金额单位：万元
    项目名称 | …                                  | 项目编码 | …
    主管部门 | …                                  | 实施单位 | …
    资金情况 | 年度预算数 | 截至期末执行数 | 执行率 | 全年预计执行数 | 执行数更正说明        (labels, values below)
    年度总体目标 | …    年度总体目标完成情况 | …
    [年度履职目标 | …    主要任务 | 任务名称 | 主要内容 | 完成情况, one row per task]
    备注 | …
    一级指标 | 二级指标 | 三级指标 | 年度指标值 | 截至期末完成情况 | 全年预计完成情况 |
        偏差原因分析 (经费保障 制度保障 人员保障 硬件条件保障 其他: "√") | 偏差原因说明 | 完成目标可能性 |
        备注（原因说明及措施） | 指标序号 (hidden)

A very hidden sheet holds the key: report id, round, subject code, lock_version and the form's values at download
time (the base). The upload is matched to the report by that key (or, in a workbook copied into an office's own
template, by 项目编码 / 项目名称), rows by the hidden 指标序号 or else by indicator name.

Reading is by label, never by position, and tolerant of what offices do: amounts in 元 under the 万元 heading,
numbers as text or in full-width digits, causes written as text ("经费、人员"), ticked with "√" or any mark, likelihood
and qualitative progress written as labels or short forms. What cannot be read is refused as a whole, each message
naming the Excel row and column (第12行“完成目标可能性”列：…); nothing is written unless the whole file is valid.

Uploading merges against the base: a value the file leaves as it was downloaded does not overwrite what somebody
else has saved since; a value changed both in the file and on the screen since the download is refused as a
conflict. Concurrency itself is guarded by `expected_lock_version` (report_save's version column).
"""

from __future__ import annotations

import datetime
import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from jixiao.core import tabular as t
from jixiao.core.money import Money, MoneyParseError
from jixiao.core.permissions import Action, Actor, authorize
from jixiao.core.workflow import ConcurrentEditError
from jixiao.core.xlsx import FormWriter, row_height
from jixiao.goals import values
from jixiao.indicators.models import Comparator, Level1
from jixiao.monitoring import rules
from jixiao.monitoring.choices import Achievement, DeviationCause, Likelihood
from jixiao.monitoring.models import MonitoringIndicator, MonitoringReport

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 5000
MAX_ERRORS = 200
SHEET_TITLE = "绩效运行监控表"
KEY_SHEET = "jixiao_key"
KEY_MARKER = "JIXIAO-MONITORING-REPORT"
KEY_VERSION = "1"
CHUNK = 30_000  # an Excel cell holds 32,767 characters: the base JSON is split over cells
# A figure under a 万元 heading at or above this is taken as written in 元 (the same threshold as the goal sheet).
WAN_CLEARLY_YUAN = Decimal(100_000)
# ... and so is one at or above this many times the report's budget in 万元 (spending cannot be 1000× the budget).
BUDGET_RATIO = Decimal(1000)
WIDE_KINDS = ("department_wide", "unit_wide")
TITLES = {"department_wide": "部门整体支出绩效目标执行监控表", "unit_wide": "单位整体支出绩效目标执行监控表"}
PROJECT_TITLE = "项目支出绩效目标执行监控表"
CAUSES = list(DeviationCause)  # the order of the tick columns
LIKELIHOOD_LABELS = [str(x.label) for x in Likelihood]
ACHIEVEMENT_LABELS = [str(x.label) for x in Achievement]
TICK = "√"
TEXT_FIELDS = ("goal_progress", "duties", "remark", "spent_note")
ROW_FIELDS = ("current_value", "achievement", "expected_value", "deviation_causes", "cause_note", "likelihood",
              "remark")

FIELD_LABELS = {
    "spent_to_date": "截至期末执行数", "expected_year_end": "全年预计执行数", "spent_note": "执行数更正说明",
    "goal_progress": "年度总体目标完成情况", "duties": "年度履职目标", "remark": "备注", "main_tasks": "完成情况",
    "current_value": "截至期末完成情况", "achievement": "截至期末完成情况", "expected_value": "全年预计完成情况",
    "deviation_causes": "偏差原因分析", "cause_note": "偏差原因说明", "likelihood": "完成目标可能性",
    "row_remark": "备注（原因说明及措施）",
}


# ---- vocabularies -------------------------------------------------------------------------------------------------

def _norm(text) -> str:
    """NFKC (full-width to half-width), no white space, lower case: for comparing labels and words."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text if text is not None else ""))).lower()


def _index(pairs: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {_norm(word): str(key) for key, words in pairs.items() for word in words}


HEADER_LABELS = _index({
    "subject_name": ("项目名称", "整体支出名称", "部门(单位)名称", "部门名称", "单位名称", "项目全称", "政策名称"),
    "subject_code": ("项目编码", "项目代码", "项目编号"),
    "department": ("主管部门", "主管部门及代码", "预算部门"),
    "unit": ("实施单位", "项目实施单位", "预算单位"),
    "funds": ("资金情况", "项目资金", "资金情况(万元)", "项目资金(万元)", "预算执行情况", "资金执行情况"),
    "budget": ("年度预算数", "年初预算数", "调整后预算数", "全年预算数", "预算数", "年度资金总额"),
    "spent_to_date": ("截至期末执行数", "执行数", "实际执行数", "累计执行数", "实际支出数", "支出数"),
    "rate": ("执行率", "预算执行率"),
    "expected_year_end": ("全年预计执行数", "预计全年执行数", "全年预计执行", "预计执行数", "全年预计支出数"),
    "spent_note": ("执行数更正说明", "更正说明", "执行数说明", "执行情况说明"),
    "annual_goal": ("年度总体目标", "年度目标", "总体目标", "年度绩效目标"),
    "goal_progress": ("年度总体目标完成情况", "总体目标完成情况", "年度目标完成情况", "目标完成情况",
                      "年度总体目标执行情况", "总体目标执行情况", "年度绩效目标完成情况"),
    "duties": ("年度履职目标", "履职目标", "部门职能", "部门职责"),
    "main_tasks": ("主要任务", "年度主要任务", "主要任务完成情况"),
    "remark": ("备注", "总体备注", "其他需要说明的情况", "其他说明"),
})
_SPENT_PATTERN = re.compile(r"^(?:截至|截止)?(?:\d{1,2}-)?\d{1,2}月(?:底|末)?(?:累计)?(?:执行数|支出数)$")
_PROGRESS_PATTERN = re.compile(r"^(?:截至|截止)?(?:\d{1,2}-)?\d{1,2}月(?:底|末)?(?:执行|完成)情况$")
FUNDS_KEYS = frozenset({"budget", "spent_to_date", "rate", "expected_year_end", "spent_note"})
TASK_LABELS = _index({"task_name": ("任务名称", "主要任务名称", "任务"),
                      "task_content": ("主要内容", "任务内容", "内容"),
                      "task_progress": ("完成情况", "任务完成情况", "执行情况", "进展情况")})

TABLE_LABELS = _index({
    "level1": ("一级指标",), "level2": ("二级指标",),
    "name": ("三级指标", "指标名称", "三级指标名称", "绩效指标"),
    "target": ("年度指标值", "指标值", "年度目标值", "目标值"),
    "current_value": ("截至期末完成情况", "截至期末完成值", "当前完成值", "实际完成值", "完成值", "执行情况",
                      "截至期末执行情况", "当前完成情况"),
    "achievement": ("定性完成情况", "完成程度", "定性指标完成情况"),
    "expected_value": ("全年预计完成情况", "预计全年完成情况", "全年预计完成值", "预计完成情况", "全年预计完成"),
    "deviation_causes": ("偏差原因分析", "偏差原因", "偏差原因类型"),
    "cause_note": ("偏差原因说明", "原因说明", "偏差原因分析说明", "偏差说明"),
    "likelihood": ("完成目标可能性", "完成可能性", "目标完成可能性", "能否完成目标"),
    "remark": ("备注(原因说明及措施)", "备注", "备注(措施)", "措施", "拟采取措施", "原因及措施", "改进措施"),
    "key": ("指标序号",),
    "colour": ("预警", "预警等级", "预警情况"),
})
CAUSE_WORDS = _index({
    DeviationCause.FUNDING: ("经费保障", "经费", "资金", "资金保障", "funding"),
    DeviationCause.INSTITUTION: ("制度保障", "制度", "政策", "institution"),
    DeviationCause.STAFFING: ("人员保障", "人员", "人手", "staffing"),
    DeviationCause.FACILITIES: ("硬件条件保障", "硬件条件", "硬件", "硬件保障", "facilities"),
    DeviationCause.OTHER: ("其他", "其它", "其他原因", "other"),
})
LIKELIHOOD_WORDS = _index({
    Likelihood.CERTAIN: ("确定能", "确定能完成", "能", "能完成", "确定", "肯定能", "可以完成", "能够完成", "certain"),
    Likelihood.POSSIBLE: ("有可能", "可能", "有可能完成", "基本能", "基本能完成", "较大可能", "possible"),
    Likelihood.IMPOSSIBLE: ("完全不可能", "不可能", "不能", "不能完成", "无法完成", "完不成", "impossible"),
})
ACHIEVEMENT_WORDS: list[tuple[str, str]] = sorted(
    [(_norm(w), str(key)) for key, words in {
        Achievement.ACHIEVED: ("达成", "已达成", "全部达成", "已完成", "achieved"),
        Achievement.PARTIAL: ("部分达成并具有一定效果", "部分达成", "基本达成", "部分完成", "partial"),
        Achievement.NOT_ACHIEVED: ("未达成且效果较差", "未达成", "未完成", "未达到", "not_achieved"),
    }.items() for w in words], key=lambda x: -len(x[0]))
TICKS = frozenset(_norm(x) for x in ("√", "✓", "✔", "☑", "■", "●", "v", "是", "有", "1", "y", "yes", "勾选", "选中"))
UNTICKS = frozenset(_norm(x) for x in ("×", "✗", "否", "无", "0", "-", "—", "/", "n", "no", "□", "不涉及"))
_CAUSE_SPLIT = re.compile(r"[、,，;；/\s]+|和|及")
_FOOTER = ("填报人", "填表人", "联系人", "联系电话", "填表说明", "填报说明", "说明:", "注:", "审核人", "单位负责人",
           "财务负责人", "填报日期", "填表日期")


def _label(value, index: dict[str, str], *, patterns: tuple = ()) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value) > 40:
        return None
    s = t.normalise_label(value)
    key = index.get(s)
    if key is None:
        base = re.sub(r"\(.*?\)$", "", s)
        key = index.get(base) if base else None
        s = base or s
    if key is None:
        for pattern, k in patterns:
            if pattern.match(s):
                return k
    return key


# ---- the form's values ------------------------------------------------------------------------------------------

def _is_wide(report: MonitoringReport) -> bool:
    return report.subject.kind in WIDE_KINDS


def _quantitative(row: MonitoringIndicator) -> bool:
    return rules.is_quantitative(row.comparator, row.target_number)


def _yuan(m: Money | None) -> str:
    return "" if m is None else str(m.yuan)


def _rows(report: MonitoringReport) -> list[MonitoringIndicator]:
    return list(MonitoringIndicator.objects.filter(report_id=report.pk).order_by("position", "pk"))


def report_data(report: MonitoringReport, rows: list[MonitoringIndicator] | None = None) -> dict:
    """The stored form as a `services.report_save` data dict: what the workbook shows and reads back. Qualitative
    progress (`achievement`) is part of a row only where the row is not quantitative, as on the screen."""
    rows = _rows(report) if rows is None else rows
    data: dict = {
        "spent_to_date": _yuan(report.spent_to_date), "expected_year_end": _yuan(report.expected_year_end),
        "spent_note": report.spent_note, "goal_progress": report.goal_progress, "remark": report.remark,
    }
    if _is_wide(report):
        data["duties"] = report.duties
        data["main_tasks"] = [{"progress": str(x.get("progress") or "")} for x in report.main_tasks or []]
    out = {}
    for r in rows:
        v = {"current_value": r.current_value, "expected_value": r.expected_value,
             "deviation_causes": [c for c in DeviationCause.values if c in (r.deviation_causes or [])],
             "cause_note": r.cause_note, "likelihood": r.likelihood, "remark": r.remark}
        if not _quantitative(r):
            v["achievement"] = r.achievement
        out[str(r.position)] = v
    data["rows"] = out
    return data


# ---- writing ------------------------------------------------------------------------------------------------------

def _wan(money: Money | None):
    """Money as a 万元 figure for a cell, exact to the fen (six decimals at most); figures the reader would take as
    元 are written as text with their unit so that they read back unchanged."""
    if money is None:
        return None
    wan = values.parse_number(Decimal(money.fen) / Decimal(1_000_000))
    if abs(wan) >= WAN_CLEARLY_YUAN:
        return f"{values.format_number(wan)}万元"
    return wan


def _target_text(row: MonitoringIndicator) -> str:
    if row.comparator in (Comparator.QUALITATIVE, Comparator.OTHER, ""):
        return f"{row.target_value}{row.unit if row.comparator == Comparator.OTHER else ''}"
    return f"{Comparator(row.comparator).label}{row.target_value}{row.unit}"


def _current_text(row: MonitoringIndicator) -> str:
    return _current_text_of(_quantitative(row), row.achievement, row.current_value)


def _day(d: datetime.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


COLUMNS = [  # (label, width) of the indicator table, A..N; O is the hidden key
    ("一级指标", 10), ("二级指标", 12), ("三级指标", 26), ("年度指标值", 13), ("截至期末完成情况", 16),
    ("全年预计完成情况", 16), *((str(c.label), 7 if len(c.label) < 5 else 9) for c in CAUSES),
    ("偏差原因说明", 22), ("完成目标可能性", 12), ("备注（原因说明及措施）", 26),
]
NCOLS = len(COLUMNS)
KEY_COL = NCOLS + 1
CAUSE_COL = 7  # G


def _write_form(ws, report: MonitoringReport, rows: list[MonitoringIndicator]) -> None:
    from openpyxl.comments import Comment
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    w = FormWriter(ws, [width for _label, width in COLUMNS])
    st = w.st
    rnd, subject = report.round, report.subject
    wide = _is_wide(report)
    for i, (_label_text, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.column_dimensions["A"].width = 14
    key_letter = get_column_letter(KEY_COL)
    ws.column_dimensions[key_letter].hidden = True

    title = ws.cell(1, 1, f"{TITLES.get(subject.kind, PROJECT_TITLE)}（{rnd.fiscal_year.year}年{rnd.name}）")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=NCOLS)
    title.font, title.alignment = st["title"], st["center"]
    ws.row_dimensions[1].height = 32
    tp = f"，序时进度：{report.time_progress}%" if report.time_progress is not None else ""
    ws.cell(2, 1, f"监控期间：{_day(datetime.date(rnd.period_end.year, 1, 1))}至{_day(rnd.period_end)}"
                  f"（1-{rnd.data_months}月，数据截止日：{_day(rnd.period_end)}）{tp}")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=NCOLS - 3)
    ws.cell(2, NCOLS - 2, "金额单位：万元")
    ws.merge_cells(start_row=2, start_column=NCOLS - 2, end_row=2, end_column=NCOLS)
    ws.cell(2, NCOLS - 2).alignment = st["center"]

    r = 3
    w.span(r, 1, 1, "整体支出名称" if wide else "项目名称", label=True)
    w.span(r, 2, 8, subject.name)
    w.span(r, 9, 9, "项目编码", label=True)
    w.span(r, 10, NCOLS, subject.code)
    r += 1
    w.span(r, 1, 1, "主管部门", label=True)
    w.span(r, 2, 8, report.department.name if report.department_id else "")
    w.span(r, 9, 9, "实施单位", label=True)
    w.span(r, 10, NCOLS, report.unit.name if report.unit_id else (report.department.name if wide else ""))
    r += 1
    w.span(r, 1, 1, "资金情况（万元）", label=True, row2=r + 1)
    months = f"（1-{rnd.data_months}月）"
    funds = [(2, 3, "年度预算数", _wan(report.budget_amount), False),
             (4, 5, f"截至期末执行数{months}", _wan(report.spent_to_date), True),
             (6, 7, f"执行率{months}", None, False),
             (8, 9, "全年预计执行数", _wan(report.expected_year_end), True),
             (10, NCOLS, "执行数更正说明", report.spent_note, True)]
    for c1, c2, label, value, editable in funds:
        w.span(r, c1, c2, label, label=True)
        cell = w.span(r + 1, c1, c2, value, editable=editable, text=c1 == 10)
        if isinstance(value, Decimal):
            cell.number_format = "#,##0.00####"
    spent_cell = ws.cell(r + 1, 4)
    spent_cell.comment = Comment(f"一体化系统执行记录：{report.recorded_spent.format_wan()}万元。"
                                 "如填写的执行数与记录不一致，请在“执行数更正说明”中说明原因。", "Jixiao")
    rate = ws.cell(r + 1, 6, f'=IFERROR(IF(N(B{r + 1})=0,"",N(D{r + 1})/N(B{r + 1})),"")')
    rate.number_format = "0.00%"
    r += 2
    w.span(r, 1, 1, "年度总体目标", label=True)
    w.span(r, 2, NCOLS, report.annual_goal)
    ws.row_dimensions[r].height = row_height([(report.annual_goal, w.width(2, NCOLS))]) or 30
    r += 1
    w.span(r, 1, 1, f"年度总体目标完成情况（1-{rnd.data_months}月）", label=True)
    w.span(r, 2, NCOLS, report.goal_progress, editable=True)
    ws.row_dimensions[r].height = row_height([(report.goal_progress, w.width(2, NCOLS))]) or 45
    r += 1
    if wide:
        w.span(r, 1, 1, "年度履职目标", label=True)
        w.span(r, 2, NCOLS, report.duties, editable=True)
        ws.row_dimensions[r].height = row_height([(report.duties, w.width(2, NCOLS))]) or 45
        r += 1
        tasks = report.main_tasks or []
        if tasks:
            w.span(r, 1, 1, "主要任务", label=True, row2=r + len(tasks))
            w.span(r, 2, 3, "任务名称", head=True)
            w.span(r, 4, 8, "主要内容", head=True)
            w.span(r, 9, NCOLS, "完成情况", head=True)
            r += 1
            for i, task in enumerate(tasks):
                name, content = str(task.get("name") or ""), str(task.get("content") or "")
                progress = str(task.get("progress") or "")
                w.span(r, 2, 3, name)
                w.span(r, 4, 8, content)
                w.span(r, 9, NCOLS, progress, editable=True)
                ws.cell(r, KEY_COL, f"task:{i}")
                ws.row_dimensions[r].height = row_height([(name, w.width(2, 3)), (content, w.width(4, 8)),
                                                       (progress, w.width(9, NCOLS))])
                r += 1
    w.span(r, 1, 1, "备注", label=True)
    w.span(r, 2, NCOLS, report.remark, editable=True)
    r += 2

    head = r
    for c, (label, _width) in enumerate(COLUMNS, start=1):
        if CAUSE_COL <= c < CAUSE_COL + len(CAUSES):
            w.span(head + 1, c, c, label, head=True)
        else:
            w.span(head, c, c, label, head=True, row2=head + 1)
    w.span(head, CAUSE_COL, CAUSE_COL + len(CAUSES) - 1, "偏差原因分析", head=True)
    ws.cell(head, KEY_COL, "指标序号")
    ws.cell(head, 5).comment = Comment("定量指标填写数值（单位见年度指标值）；定性指标从下拉列表选择："
                                       + "、".join(ACHIEVEMENT_LABELS) + "，可在其后用“；”补充说明。", "Jixiao")
    ws.cell(head, CAUSE_COL).comment = Comment("存在偏差的，在对应原因下填“√”（可多选），并在“偏差原因说明”中说明。",
                                               "Jixiao")
    ws.row_dimensions[head].height = 24
    ws.row_dimensions[head + 1].height = 30
    first = head + 2
    level1_labels = dict(Level1.choices)
    qualitative_cells = []
    for n, row in enumerate(rows):
        er = first + n
        cells = [level1_labels.get(row.level1, row.level1), row.level2, row.name, _target_text(row),
                 _current_text(row), row.expected_value,
                 *(TICK if c.value in (row.deviation_causes or []) else None for c in CAUSES),
                 row.cause_note, Likelihood(row.likelihood).label if row.likelihood in Likelihood.values else "",
                 row.remark]
        for c, value in enumerate(cells, start=1):
            w.span(er, c, c, value, editable=c >= 5)
            if c in (1, 2) or CAUSE_COL <= c < CAUSE_COL + len(CAUSES) or c == NCOLS - 1:
                ws.cell(er, c).alignment = st["center"]
        ws.cell(er, KEY_COL, row.position)
        if not _quantitative(row):
            qualitative_cells.append(f"E{er}")
        ws.row_dimensions[er].height = row_height([(row.name, 26), (row.cause_note, 22), (row.remark, 26),
                                                (_current_text(row), 16)])
    last = first + max(len(rows), 1) - 1
    _merge_runs(ws, rows, first, st)

    def validation(cells: str, options: list[str], title: str, *, strict: bool = True) -> None:
        dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True,
                            showErrorMessage=True, errorTitle=title, error=f"请从下拉列表中选择{title}",
                            promptTitle=title, prompt="、".join(options), showInputMessage=True,
                            errorStyle="stop" if strict else "warning")
        ws.add_data_validation(dv)
        dv.add(cells)

    if rows:
        for c in range(CAUSE_COL, CAUSE_COL + len(CAUSES)):
            letter = get_column_letter(c)
            validation(f"{letter}{first}:{letter}{last}", [TICK], f"偏差原因（{COLUMNS[c - 1][0]}）", strict=False)
        letter = get_column_letter(NCOLS - 1)
        validation(f"{letter}{first}:{letter}{last}", LIKELIHOOD_LABELS, "完成目标可能性")
        if qualitative_cells:
            validation(" ".join(qualitative_cells), ACHIEVEMENT_LABELS, "定性指标完成情况", strict=False)
    footer = last + 2
    ws.cell(footer, 1, "填报人：")
    ws.cell(footer, 5, "联系电话：")
    ws.cell(footer, 10, "填报日期：")
    ws.cell(footer + 1, 1, "注：淡黄色单元格为填报内容；请勿修改表头文字、插入或删除指标行；"
                           "存在偏差或不能确定完成目标的指标，须填写偏差原因、原因说明、完成目标可能性和拟采取的措施。")
    ws.merge_cells(start_row=footer + 1, start_column=1, end_row=footer + 1, end_column=NCOLS)
    ws.freeze_panes = ws.cell(first, 4)
    ws.print_title_rows = f"{head}:{head + 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _merge_runs(ws, rows: list[MonitoringIndicator], first: int, st) -> None:
    """Merge consecutive equal 一级指标 cells, and equal 二级指标 cells within one 一级 group (as the forms do)."""
    def runs(key_of):
        start = 0
        for i in range(1, len(rows) + 1):
            if i == len(rows) or key_of(rows[i]) != key_of(rows[start]):
                if i - start > 1 and key_of(rows[start]):
                    yield start, i - 1
                start = i

    for col, key_of in ((1, lambda x: x.level1), (2, lambda x: (x.level1, x.level2) if x.level2 else None)):
        for a, b in runs(key_of):
            ws.merge_cells(start_row=first + a, start_column=col, end_row=first + b, end_column=col)
            ws.cell(first + a, col).alignment = st["center"]


INSTRUCTIONS = [
    "填表说明",
    "1. 本表由系统生成，请在淡黄色单元格中填写，填好后在系统“填报绩效监控表”页面上传；"
    "请勿修改表头文字，不要插入、删除或调换指标行。",
    "2. 金额单位为万元；如按元填写，请在单元格中注明“元”（如“600000元”）。"
    "执行数默认取预算管理一体化系统执行记录，更正的须说明原因。",
    "3. 截至期末完成情况：定量指标填写数值（如“700”“95.5”），单位见年度指标值；"
    "定性指标选择“达成”“部分达成并具有一定效果”或“未达成且效果较差”，可在其后用“；”补充说明。",
    "4. 偏差原因分析：在经费保障、制度保障、人员保障、硬件条件保障、其他下填“√”，可多选；"
    "须在“偏差原因说明”中说明原因。",
    "5. 完成目标可能性：从下拉列表选择确定能、有可能、完全不可能；"
    "选择“有可能”或“完全不可能”的，须在备注中说明原因和拟采取的措施。",
    "6. 上传时逐行校验，有任何错误都不导入；下载后他人已在系统中修改的内容，本表未改动的不会覆盖。",
]


def report_workbook(report: MonitoringReport) -> bytes:
    """The report's monitoring form as an .xlsx (see the module docstring for the layout), filled with what the
    report holds, with drop-down lists for the choice columns and the hidden key the upload matches by."""
    import openpyxl
    from openpyxl.styles import Font

    report = (MonitoringReport.objects.select_related("round__fiscal_year", "subject", "department", "unit")
              .get(pk=report.pk))
    rows = _rows(report)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    _write_form(ws, report, rows)
    notes = wb.create_sheet("填表说明")
    notes.column_dimensions["A"].width = 120
    for i, line in enumerate(INSTRUCTIONS, start=1):
        notes.cell(i, 1, line)
    notes.cell(1, 1).font = Font(bold=True, size=14)
    key = wb.create_sheet(KEY_SHEET)
    key.sheet_state = "veryHidden"
    base = json.dumps(report_data(report, rows), ensure_ascii=False, sort_keys=True)
    for r, (name, value) in enumerate([("marker", KEY_MARKER), ("version", KEY_VERSION), ("report_id", report.pk),
                                       ("round_id", report.round_id), ("subject_code", report.subject.code),
                                       ("lock_version", report.lock_version)], start=1):
        key.cell(r, 1, name)
        key.cell(r, 2, str(value))
    key.cell(7, 1, "base")
    for i in range(0, max(len(base), 1), CHUNK):
        key.cell(7, 2 + i // CHUNK, base[i:i + CHUNK])
    wb.properties.title = f"{report.subject.name}绩效运行监控表"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---- reading ------------------------------------------------------------------------------------------------------

@dataclass
class Parsed:
    """What a workbook says: the data dict for `report_save`, where each value sits (for messages), what was
    interpreted, and the key and base values written at download (None when the workbook has lost them)."""

    data: dict = field(default_factory=dict)
    cells: dict[tuple, tuple[int, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    key: dict = field(default_factory=dict)
    base: dict | None = None


class _Errors:
    def __init__(self):
        self.by_key: dict[str, list[str]] = {}
        self.count = 0

    def add(self, key: str, message: str, row: int | None = None, column: str = "") -> None:
        if self.count >= MAX_ERRORS:
            return
        where = (f"第{row}行" if row else "") + (f"“{column}”列" if column else "")
        self.by_key.setdefault(key, []).append(f"{where}：{message}" if where else message)
        self.count += 1

    def raise_if_any(self) -> None:
        if self.by_key:
            if self.count >= MAX_ERRORS:
                self.by_key.setdefault("file", []).append(f"错误超过{MAX_ERRORS}处，已停止检查")
            raise ValidationError(self.by_key)


def _load(file) -> bytes:
    if isinstance(file, (bytes, bytearray, memoryview)):
        return bytes(file)
    if isinstance(file, (str, Path)):
        return Path(file).read_bytes()
    if hasattr(file, "chunks"):
        if hasattr(file, "seek"):
            file.seek(0)
        return b"".join(file.chunks())
    return file.read()


def _refuse(message: str):
    return ValidationError({"file": [message]})


def _xlsx_sheets(data: bytes) -> list[tuple[str, list[list]]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise _refuse("Excel 文件已损坏或不是有效的 .xlsx 文件") from exc
    out = []
    for ws in wb.worksheets:
        grid = []
        for n, raw in enumerate(ws.iter_rows(), start=1):
            if n > MAX_ROWS:
                break
            row = []
            for c in raw:
                v = c.value
                fmt = c.number_format or ""
                if isinstance(v, (int, float)) and not isinstance(v, bool) and "%" in fmt:
                    number = values.parse_number(v)  # Excel keeps 95% as 0.95
                    v = f"{values.format_number(number * 100)}%" if number is not None else v
                row.append(v)
            grid.append(row)
        out.append((ws.title, grid))
    return out


def _xls_sheets(data: bytes) -> list[tuple[str, list[list]]]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return [(name, [list(r) for r in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)[:MAX_ROWS]])
                for name in wb.sheet_names]
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types for corrupt files
        raise _refuse("Excel 文件已损坏或不是有效的 .xls 文件") from exc


def _sheets(data: bytes) -> list[tuple[str, list[list]]]:
    if data.startswith(t.XLSX_MAGIC):
        return _xlsx_sheets(data)
    if data.startswith(t.XLS_MAGIC):
        return _xls_sheets(data)
    raise _refuse("文件不是 Excel 表格，请上传从系统下载并填写的监控表（.xlsx）")


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, (int, float, Decimal)):
        n = values.parse_number(v)
        return values.format_number(n) if n is not None else ""
    if isinstance(v, datetime.datetime):
        return v.date().isoformat() if v.time() == datetime.time(0) else v.isoformat(sep=" ")
    if isinstance(v, datetime.date):
        return v.isoformat()
    return str(v).replace("\u3000", " ").replace("\r\n", "\n").replace("\r", "\n").strip()


def _cell(grid: list[list], r: int, c: int):
    if 0 <= r < len(grid) and 0 <= c < len(grid[r]):
        return grid[r][c]
    return None


def _read_key(sheets: list[tuple[str, list[list]]]) -> tuple[dict, dict | None]:
    for name, grid in sheets:
        if name != KEY_SHEET and _text(_cell(grid, 0, 1)) != KEY_MARKER:
            continue
        key = {}
        base_text = ""
        for row in grid:
            if not row:
                continue
            name_ = _text(row[0])
            if name_ == "base":
                base_text = "".join(str(v) for v in row[1:] if v is not None)
            elif name_:
                key[name_] = _text(row[1]) if len(row) > 1 else ""
        if key.get("marker") != KEY_MARKER:
            continue
        try:
            base = json.loads(base_text) if base_text else None
        except ValueError:
            base = None
        return key, base if isinstance(base, dict) else None
    return {}, None


TABLE_PATTERNS = ((_PROGRESS_PATTERN, "current_value"),)


def _table_header(grid: list[list]) -> tuple[int, dict[str, int]] | None:
    for r, raw in enumerate(grid[:200]):
        found = _match(raw, TABLE_LABELS, TABLE_PATTERNS)
        if "name" in found and len({"current_value", "expected_value", "likelihood", "deviation_causes",
                                    "target"} & set(found)) >= 2:
            return r, found
    return None


def _match(raw: list, index: dict[str, str], patterns: tuple = ()) -> dict[str, int]:
    found: dict[str, int] = {}
    for c, v in enumerate(raw):
        key = _label(v, index, patterns=patterns)
        if key is not None and key not in found:
            found[key] = c
    return found


@dataclass
class _Ctx:
    report: MonitoringReport
    rows: list[MonitoringIndicator]
    errors: _Errors
    parsed: Parsed


HEADER_PATTERNS = ((_SPENT_PATTERN, "spent_to_date"), (_PROGRESS_PATTERN, "goal_progress"))


def _read_header(ctx: _Ctx, grid: list[list], end: int, key_col: int | None) -> dict[str, tuple]:
    """{key: (row index, column, value, label text)} of the header block above the indicator table; the main tasks
    go straight into the parsed data."""
    labels: dict[tuple[int, int], str] = {}
    for r in range(end):
        for c, v in enumerate(grid[r]):
            key = _label(v, HEADER_LABELS, patterns=HEADER_PATTERNS)
            if key is not None:
                labels[(r, c)] = key
    table_like = {(r, c) for r in range(min(end + 1, len(grid))) for c, v in enumerate(grid[r])
                  if _label(v, TABLE_LABELS)}
    found: dict[str, tuple] = {}
    for (r, c), key in sorted(labels.items()):
        if key == "main_tasks":
            _read_tasks(ctx, grid, r, end, labels, key_col)
            continue
        label_text = _text(grid[r][c])
        funds_in_row = sum(1 for (rr, _cc), k in labels.items() if rr == r and k in FUNDS_KEYS)
        hit = None
        if key in FUNDS_KEYS and funds_in_row >= 2:  # a row of column heads, values below
            if r + 1 < end and (r + 1, c) not in labels:
                hit = (r + 1, c, _cell(grid, r + 1, c), label_text)
        else:
            for cc in range(c + 1, len(grid[r])):
                if (r, cc) in labels:
                    break
                if not _blank(grid[r][cc]):
                    hit = (r, cc, grid[r][cc], label_text)
                    break
            if hit is None:
                below = _cell(grid, r + 1, c)
                if r + 1 < end and not _blank(below) and (r + 1, c) not in labels and (r + 1, c) not in table_like:
                    hit = (r + 1, c, below, label_text)  # "年度总体目标 | 1-7月执行情况" with the texts below
                elif c + 1 < len(grid[r]) and (r, c + 1) not in labels:
                    hit = (r, c + 1, None, label_text)  # the label's value cell, left blank
        if hit is not None and (key not in found or (_blank(found[key][2]) and not _blank(hit[2]))):
            found[key] = hit
    return found


def _read_tasks(ctx: _Ctx, grid: list[list], r: int, end: int, labels: dict, key_col: int | None) -> None:
    if not _is_wide(ctx.report) or "main_tasks" in ctx.parsed.data:
        return
    subs = _match(grid[r], TASK_LABELS)
    progress_col = subs.get("task_progress")
    if progress_col is None:
        return
    name_col = subs.get("task_name")
    tasks = [dict(x) for x in ctx.report.main_tasks or []]
    names = {_norm(x.get("name")): i for i, x in enumerate(tasks) if x.get("name")}
    progress = [str(x.get("progress") or "") for x in tasks]
    seen: set[int] = set()
    order = 0
    label = FIELD_LABELS["main_tasks"]
    for rr in range(r + 1, end):
        raw = grid[rr]
        if any((rr, cc) in labels for cc in range(len(raw))) or all(_blank(v) for v in raw):
            break
        index = None
        key = _text(_cell(grid, rr, key_col)) if key_col is not None else ""
        if key.startswith("task:") and key[5:].isdigit():
            index = int(key[5:])
        elif name_col is not None and _norm(_cell(grid, rr, name_col)) in names:
            index = names[_norm(_cell(grid, rr, name_col))]
        else:
            index = order
        order += 1
        if index >= len(tasks):
            ctx.errors.add("main_tasks", f"任务“{_text(_cell(grid, rr, name_col or 0))}”不是本表的主要任务"
                           "（主要任务来自绩效目标，不能在监控表中增加）", rr + 1, label)
            continue
        if index in seen:
            ctx.errors.add("main_tasks", "该主要任务重复填写", rr + 1, label)
            continue
        seen.add(index)
        progress[index] = _text(_cell(grid, rr, progress_col))
        ctx.parsed.cells[("main_tasks", index)] = (rr + 1, label)
    if seen:
        ctx.parsed.data["main_tasks"] = [{"progress": p} for p in progress]


def _amount_unit(grid: list[list], end: int, label_text: str) -> str:
    m = re.search(r"(万元|元)", t.normalise_label(label_text))
    if m:
        return m.group(1)
    for r in range(end):
        for v in grid[r]:
            if isinstance(v, str):
                m = re.search(r"(?:单位\s*[:：]?\s*|[(（])(万元|元)", v)
                if m:
                    return m.group(1)
    return "万元"


def _read_amount(ctx: _Ctx, key: str, hit: tuple, unit: str) -> None:
    r, _c, v, label = hit
    ctx.parsed.cells[(key,)] = (r + 1, label)
    if _blank(v):
        ctx.parsed.data[key] = ""
        return
    scale = "wan" if unit == "万元" else "yuan"
    try:
        number = None
        if isinstance(v, str):
            text = unicodedata.normalize("NFKC", v).strip().lstrip("¥￥")
            if not re.search(r"[万元亿千%]$", text):
                number = values.parse_number(text)
        else:
            number = values.parse_number(v)
        if number is None:
            money = Money.parse(v, unit=scale)  # "600000元", "60万元"; anything else is refused here
        else:
            money = Money.parse(number, unit=scale)
            budget_wan = Decimal(ctx.report.budget_amount.fen) / Decimal(1_000_000)
            if scale == "wan" and (number >= WAN_CLEARLY_YUAN
                                   or (budget_wan > 0 and number >= budget_wan * BUDGET_RATIO)):
                money = Money.parse(number, unit="yuan")
                ctx.parsed.notes.append(
                    f"第{r + 1}行“{label}”列：标注单位为万元，但填写的{values.format_number(number)}明显是以元填写的"
                    f"（年度预算数为{ctx.report.budget_amount.format_wan()}万元），已按{money.format_wan()}万元读取")
    except MoneyParseError as exc:
        ctx.errors.add(key, str(exc), r + 1, label)
        return
    if money.fen < 0:
        ctx.errors.add(key, "金额不能为负数", r + 1, label)
        return
    ctx.parsed.data[key] = str(money.yuan)


def _check_subject(ctx: _Ctx, header: dict, key: dict) -> None:
    report, subject = ctx.report, ctx.report.subject
    code_cell = header.get("subject_code")
    code = ""
    if code_cell is not None and not isinstance(code_cell[2], float):
        code = _text(code_cell[2]).lstrip("'")
    name = _text(header["subject_name"][2]) if "subject_name" in header else ""
    shown = "、".join(x for x in (f"“{name}”" if name else "", f"编码{code}" if code else "") if x)
    if key:
        if key.get("report_id") != str(report.pk):
            if key.get("subject_code") == subject.code:
                raise _refuse(f"文件是本项目另一轮次监控的监控表，不是{report.round}的；请重新下载本轮监控表填写")
            raise _refuse(f"文件是{shown or '其他项目'}的监控表，不是“{subject.name}”（{subject.code}）的，未导入")
    if code and _norm(code) != _norm(subject.code):
        raise _refuse(f"文件中的项目编码“{code}”与本项目“{subject.name}”（{subject.code}）不一致，"
                      "不是本项目的监控表，未导入")
    if not key and not code:
        if not name:
            raise _refuse("文件中没有项目编码和项目名称，无法确认是本项目的监控表；请使用从系统下载的监控表填写")
        if _norm(name) != _norm(subject.name):
            raise _refuse(f"文件中的项目名称“{name}”与本项目“{subject.name}”不一致，不是本项目的监控表，未导入")


def _tick(v) -> bool | None:
    """True for a tick ("√", "是", 1...), False for blank or a cross, None for anything else."""
    if _blank(v):
        return False
    s = _norm(_text(v))
    if s in TICKS:
        return True
    if s in UNTICKS:
        return False
    return None


def _parse_causes_text(text: str) -> tuple[list[str], list[str]]:
    found, bad = [], []
    s = unicodedata.normalize("NFKC", text)
    for tick in ("√", "✓", "✔", "☑"):
        s = s.replace(tick, " ")
    for part in _CAUSE_SPLIT.split(s):
        p = _norm(re.sub(r"^[(（]?\d+[)）.、]?", "", part.strip()))
        if not p or p in UNTICKS:
            continue
        value = CAUSE_WORDS.get(p) or CAUSE_WORDS.get(p.removesuffix("问题")) or CAUSE_WORDS.get(p.removesuffix("原因"))
        if value is None:
            bad.append(part.strip())
        elif value not in found:
            found.append(value)
    return [c for c in DeviationCause.values if c in found], bad


def _parse_achievement(text: str) -> tuple[str, str]:
    """(achievement, rest) of a qualitative progress cell: "达成；已全部按时发放" → ("achieved", "已全部按时发放")."""
    original = unicodedata.normalize("NFKC", text).strip()
    lowered = original.lower()
    for word, value in ACHIEVEMENT_WORDS:
        if lowered.startswith(word):
            rest = original[len(word):].strip().lstrip(";:,、。.-—").strip()
            if rest.startswith("(") and rest.endswith(")"):
                rest = rest[1:-1].strip()
            return value, rest
    return "", text.strip()


def _current_text_of(quantitative: bool, achievement: str, current_value: str) -> str:
    if quantitative or achievement not in Achievement.values or not achievement:
        return current_value
    label = Achievement(achievement).label
    return f"{label}；{current_value}" if current_value else str(label)


def _current(ctx: _Ctx, row: MonitoringIndicator, v, excel_row: int, pos: str, out: dict, label: str) -> None:
    key = f"rows.{row.position + 1}.current_value"
    text = _text(v)
    ctx.parsed.cells[("rows", pos, "current_value")] = (excel_row, label)
    if _quantitative(row):
        if not text:
            out["current_value"] = ""
            return
        number = values.parse_number(text)
        if number is None and row.unit:
            stripped = _norm(text).removesuffix(_norm(row.unit))
            number = values.parse_number(stripped) if stripped != _norm(text) else None
        if number is not None:
            out["current_value"] = values.format_number(number)
        elif values.split_target(text)[1] is not None:
            out["current_value"] = text
        else:
            unit = f"，单位：{row.unit}" if row.unit else ""
            ctx.errors.add(key, f"“{text}”不是数值（“{row.name}”为定量指标{unit}，请填写如“700”或“95.5”）",
                           excel_row, label)
        return
    ctx.parsed.cells[("rows", pos, "achievement")] = (excel_row, label)
    # A cell left as written (at download, or as stored now) keeps its two values exactly.
    base_row = ((ctx.parsed.base or {}).get("rows") or {}).get(pos) or {}
    for achievement, current_value in ((base_row.get("achievement", ""), base_row.get("current_value", "")),
                                       (row.achievement, row.current_value)):
        if text == _current_text_of(False, achievement, current_value).strip():
            out["achievement"], out["current_value"] = achievement, current_value
            return
    out["achievement"], out["current_value"] = _parse_achievement(text)


def _read_table(ctx: _Ctx, grid: list[list], head: int, cols: dict[str, int]) -> None:
    errors = ctx.errors
    # columns are named in messages as the file heads them
    col = {k: _text(_cell(grid, head, c)) for k, c in cols.items()}
    col.update({k: v for k, v in (("name", "三级指标"), ("achievement", "定性完成情况"),
                                  ("remark", FIELD_LABELS["row_remark"])) if not col.get(k)})
    for k, v in FIELD_LABELS.items():
        col.setdefault(k, v)
    sub = grid[head + 1] if head + 1 < len(grid) else []
    cause_cols: dict[str, int] = {}
    likelihood_cols: dict[str, int] = {}
    cause_index = {_norm(c.label): c.value for c in CAUSES}
    cause_index.update({_norm("其它"): DeviationCause.OTHER})
    likelihood_index = {_norm(x.label): x.value for x in Likelihood}
    sub_is_head = False
    for raw, is_sub in ((grid[head], False), (sub, True)):
        causes: dict[str, int] = {}
        likelihoods: dict[str, int] = {}
        for c, v in enumerate(raw):
            s = t.normalise_label(v) if isinstance(v, str) else ""
            if s in cause_index:
                causes.setdefault(cause_index[s], c)
            if s in likelihood_index:
                likelihoods.setdefault(likelihood_index[s], c)
        # a row of sub-heads names at least two of the boxes (a data row may hold one word such as "有可能")
        if len(causes) >= 2 and not cause_cols:
            cause_cols, sub_is_head = causes, sub_is_head or is_sub
        if len(likelihoods) >= 2 and not likelihood_cols:
            likelihood_cols, sub_is_head = likelihoods, sub_is_head or is_sub
    start = head + 2 if sub_is_head else head + 1
    by_position = {r.position: r for r in ctx.rows}
    by_name: dict[str, list[MonitoringIndicator]] = {}
    for r in ctx.rows:
        by_name.setdefault(_norm(r.name), []).append(r)
    seen: dict[int, int] = {}
    level2 = ""
    out_rows: dict[str, dict] = {}
    for i in range(start, len(grid)):
        raw = grid[i]
        excel_row = i + 1
        if all(_blank(v) for v in raw):
            continue
        first_text = unicodedata.normalize("NFKC", next((_text(v) for v in raw if not _blank(v)), ""))
        if first_text.startswith(_FOOTER):
            break
        if len(_match(raw, TABLE_LABELS)) >= 3:
            continue  # the header printed again
        get = {k: _cell(grid, i, c) for k, c in cols.items()}
        if not _blank(get.get("level2")):
            level2 = _text(get.get("level2"))
        name = _text(get.get("name"))
        row = None
        key = get.get("key")
        if not _blank(key):
            number = values.parse_number(key)
            if number is not None and number == number.to_integral_value():
                row = by_position.get(int(number))
            if row is None:
                errors.add("rows", f"指标序号“{_text(key)}”不是本表的指标（请勿修改隐藏的指标序号列）", excel_row,
                           "指标序号")
                continue
        elif name:
            candidates = by_name.get(_norm(name), [])
            if len(candidates) > 1:
                candidates = [x for x in candidates if _norm(x.level2) == _norm(level2)] or candidates
            if len(candidates) == 1:
                row = candidates[0]
            elif not candidates:
                errors.add("rows", f"指标“{name}”不是本监控表的指标（监控表的指标来自批复的绩效目标，不能增加或改名）",
                           excel_row, col["name"])
                continue
            else:
                errors.add("rows", f"指标“{name}”在本表中有多个，无法区分；请使用从系统下载的监控表填写", excel_row,
                           col["name"])
                continue
        else:
            errors.add("rows", "该行填写了内容，但没有三级指标（指标名称），无法对应到指标", excel_row, col["name"])
            continue
        if row.position in seen:
            errors.add("rows", f"指标“{row.name}”重复填写（另见第{seen[row.position]}行）", excel_row, col["name"])
            continue
        seen[row.position] = excel_row
        pos = str(row.position)
        out: dict = {}
        rkey = f"rows.{row.position + 1}"
        if "current_value" in cols:
            _current(ctx, row, get["current_value"], excel_row, pos, out, col["current_value"])
        if "achievement" in cols and not _quantitative(row) and not out.get("achievement"):
            a, _rest = _parse_achievement(_text(get["achievement"]))
            if a or _blank(get["achievement"]):
                out["achievement"] = a
            else:
                errors.add(f"{rkey}.achievement", f"“{_text(get['achievement'])}”无法识别，应为："
                           + "、".join(ACHIEVEMENT_LABELS), excel_row, col["achievement"])
        if "expected_value" in cols:
            out["expected_value"] = _text(get["expected_value"])
            ctx.parsed.cells[("rows", pos, "expected_value")] = (excel_row, col["expected_value"])
        note_from_other = ""
        if cause_cols:
            causes = []
            for value, c in cause_cols.items():
                cell = _cell(grid, i, c)
                ticked = _tick(cell)
                label = str(DeviationCause(value).label)
                if ticked is None and _norm(cell) in (_norm(label), *(w for w, k in CAUSE_WORDS.items() if k == value)):
                    ticked = True
                if ticked is None and value == DeviationCause.OTHER:
                    ticked, note_from_other = True, _text(cell)  # "其他" with the reason written in
                if ticked is None:
                    errors.add(f"{rkey}.deviation_causes", f"“{_text(cell)}”无法识别，勾选请填“√”，否则留空",
                               excel_row, f"偏差原因分析（{label}）")
                elif ticked:
                    causes.append(value)
            out["deviation_causes"] = [c for c in DeviationCause.values if c in causes]
            ctx.parsed.cells[("rows", pos, "deviation_causes")] = (excel_row, col["deviation_causes"])
        elif "deviation_causes" in cols:
            text = _text(get["deviation_causes"])
            causes, bad = _parse_causes_text(text)
            if bad:
                errors.add(f"{rkey}.deviation_causes", f"偏差原因“{'、'.join(bad)}”无法识别，应为："
                           + "、".join(str(c.label) for c in CAUSES) + "（可多选，用“、”分隔）", excel_row,
                           col["deviation_causes"])
            out["deviation_causes"] = causes
            ctx.parsed.cells[("rows", pos, "deviation_causes")] = (excel_row, col["deviation_causes"])
        if "cause_note" in cols:
            out["cause_note"] = _text(get["cause_note"]) or note_from_other
            ctx.parsed.cells[("rows", pos, "cause_note")] = (excel_row, col["cause_note"])
        elif note_from_other:
            out["cause_note"] = note_from_other
        if likelihood_cols:
            ticked = []
            for value, c in likelihood_cols.items():
                mark = _tick(_cell(grid, i, c))
                if mark is None:
                    errors.add(f"{rkey}.likelihood", f"“{_text(_cell(grid, i, c))}”无法识别，勾选请填“√”，否则留空",
                               excel_row, f"完成目标可能性（{Likelihood(value).label}）")
                elif mark:
                    ticked.append(value)
            if len(ticked) > 1:
                errors.add(f"{rkey}.likelihood", "只能勾选一项", excel_row, col["likelihood"])
            out["likelihood"] = ticked[0] if ticked else ""
            ctx.parsed.cells[("rows", pos, "likelihood")] = (excel_row, col["likelihood"])
        elif "likelihood" in cols:
            text = _text(get["likelihood"])
            value = LIKELIHOOD_WORDS.get(_norm(text).lstrip("√✓✔☑")) if text else ""
            if value is None:
                errors.add(f"{rkey}.likelihood", f"“{text}”无法识别，应为：" + "、".join(LIKELIHOOD_LABELS), excel_row,
                           col["likelihood"])
            else:
                out["likelihood"] = value
            ctx.parsed.cells[("rows", pos, "likelihood")] = (excel_row, col["likelihood"])
        if "remark" in cols:
            out["remark"] = _text(get["remark"])
            ctx.parsed.cells[("rows", pos, "remark")] = (excel_row, col["remark"])
        out_rows[pos] = out
    ctx.parsed.data["rows"] = out_rows


def read_workbook(report: MonitoringReport, file) -> Parsed:
    """Read an uploaded workbook into a `Parsed` (data dict, cell locations, notes on what was interpreted, key and
    base). Raises ValidationError({key: [message]}) naming the Excel row and column for whatever cannot be read, and
    {"file": [...]} for a file that is not this report's form."""
    report = (MonitoringReport.objects.select_related("round__fiscal_year", "subject", "department", "unit")
              .get(pk=report.pk))
    try:
        data = _load(file)
    except OSError as exc:
        raise _refuse(f"文件无法读取：{exc}") from exc
    if not data:
        raise _refuse("文件为空")
    if len(data) > MAX_BYTES:
        raise _refuse(f"文件过大（{len(data) // 1024 // 1024}MB），上限为{MAX_BYTES // 1024 // 1024}MB")
    sheets = _sheets(data)
    key, base = _read_key(sheets)
    chosen = None
    for name, grid in sheets:
        if name == KEY_SHEET:
            continue
        header = _table_header(grid)
        if header is not None:
            chosen = (grid, header)
            break
    if chosen is None:
        raise _refuse("文件中没有找到绩效监控指标表（应有“三级指标”“截至期末完成情况”“全年预计完成情况”等列），"
                      "请使用从系统下载的监控表填写")
    grid, (head, cols) = chosen
    parsed = Parsed(key=key, base=base)
    ctx = _Ctx(report=report, rows=_rows(report), errors=_Errors(), parsed=parsed)
    header = _read_header(ctx, grid, head, cols.get("key"))
    _check_subject(ctx, header, key)
    for f in ("spent_to_date", "expected_year_end"):
        if f in header:
            _read_amount(ctx, f, header[f], _amount_unit(grid, head, header[f][3]))
    for f in TEXT_FIELDS:
        if f in header and (f != "duties" or _is_wide(report)):
            r, _c, v, label = header[f]
            parsed.data[f] = _text(v)
            parsed.cells[(f,)] = (r + 1, label)
    _read_table(ctx, grid, head, cols)
    ctx.errors.raise_if_any()
    return parsed


def report_data_from_workbook(report: MonitoringReport, file) -> dict:
    """The `services.report_save` data dict an uploaded workbook holds (bytes, a path, or an uploaded file).
    Raises ValidationError with Chinese messages naming the row and column of what cannot be read; a workbook that
    is not this report's form (another subject or round) is refused."""
    return read_workbook(report, file).data


# ---- uploading ----------------------------------------------------------------------------------------------------

def _path_key(path: tuple) -> str:
    if path[0] == "rows":
        return f"rows.{int(path[1]) + 1}.{path[2]}"
    return str(path[0])


def _changes(parsed: Parsed, current: dict) -> dict:
    """The part of the file's data to save. Without a base (a workbook that lost its key) everything the file holds.
    With one, a three-way merge per value: unchanged since the download → not sent (what is stored stays); changed
    in the file only → sent; changed in the file and, differently, in the system since → refused as a conflict."""
    data, base = parsed.data, parsed.base
    if base is None:
        return data
    errors = _Errors()

    def changed(path: tuple, f, b, c) -> bool:
        if f == c or f == b:
            return False
        if b == c:
            return True
        row, column = parsed.cells.get(path, (None, ""))
        if isinstance(c, list):
            c = "、".join(str(DeviationCause(x).label) for x in c if x in DeviationCause.values)
        elif path[-1] == "likelihood" and c in Likelihood.values:
            c = Likelihood(c).label
        errors.add(_path_key(path), f"下载后该内容已在系统中被修改为“{c or '（空）'}”，与本文件填写的不一致；"
                   "请重新下载监控表，在最新内容上填写后上传", row, column)
        return False

    out: dict = {}
    for k, f in data.items():
        if k == "rows":
            continue
        if k == "main_tasks":
            b_tasks, c_tasks = base.get(k) or [], current.get(k) or []
            result = [dict(x) for x in c_tasks]
            any_change = False
            for i, item in enumerate(f):
                if i >= len(result):
                    break
                b = (b_tasks[i] if i < len(b_tasks) else {}).get("progress", "")
                if changed((k, i), item.get("progress", ""), b, result[i].get("progress", "")):
                    result[i]["progress"] = item.get("progress", "")
                    any_change = True
            if any_change:
                out[k] = result
            continue
        if changed((k,), f, base.get(k, ""), current.get(k, "")):
            out[k] = f
    rows: dict[str, dict] = {}
    for pos, item in (data.get("rows") or {}).items():
        b_row = (base.get("rows") or {}).get(pos, {})
        c_row = (current.get("rows") or {}).get(pos, {})
        v = {}
        for name, fv in item.items():
            empty = [] if name == "deviation_causes" else ""
            if changed(("rows", pos, name), fv, b_row.get(name, empty), c_row.get(name, empty)):
                v[name] = fv
        for a, b in (("current_value", "achievement"), ("achievement", "current_value")):
            if a in v and b in item:  # one cell holds both: saved together
                v.setdefault(b, item[b])
        if v:
            rows[pos] = v
    out["rows"] = rows
    errors.raise_if_any()
    return out


_WHERE = re.compile(r"^第\d+行（.*?）：")


def _located(exc: ValidationError, parsed: Parsed) -> ValidationError:
    """report_save's own refusals, re-worded to name the Excel row and column the value came from."""
    out: dict[str, list[str]] = {}
    for key, messages in exc.message_dict.items():
        parts = key.split(".")
        if parts[0] == "rows" and len(parts) == 3 and parts[1].isdigit():
            path = ("rows", str(int(parts[1]) - 1), parts[2])
        else:
            path = (parts[0],)
        row, column = parsed.cells.get(path, (None, ""))
        for m in messages:
            if row:
                m = f"第{row}行“{column}”列：{_WHERE.sub('', m)}"
            out.setdefault(key, []).append(m)
    return ValidationError(out)


def report_upload(*, actor: Actor, report: MonitoringReport, file, expected_lock_version: int,
                  notes: list | None = None) -> dict:
    """Read an uploaded form and save it through `services.report_save` (authorised, atomic, audited): a file with
    any error changes nothing; a stale `expected_lock_version` raises ConcurrentEditError. Values the file leaves as
    downloaded do not overwrite later edits (see `_changes`). Returns the submission problems of the saved form; what
    was interpreted (e.g. 元 read under a 万元 heading) is appended to `notes` when given."""
    from jixiao.monitoring import services

    authorize(actor, Action.EDIT, report)
    parsed = read_workbook(report, file)
    with transaction.atomic():
        fresh = MonitoringReport.objects.select_related("round", "subject").get(pk=report.pk)
        data = _changes(parsed, report_data(fresh))
        try:
            problems = services.report_save(actor=actor, report=fresh, data=data,
                                            expected_lock_version=expected_lock_version)
        except ConcurrentEditError:
            raise
        except ValidationError as exc:
            raise _located(exc, parsed) from exc
    report.refresh_from_db()
    if notes is not None:
        notes.extend(parsed.notes)
    return problems
