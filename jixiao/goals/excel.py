"""The goal sheet in Excel: the integrated platform's 项目支出绩效目标申报表 (and its department-wide, policy and
transfer-payment variants), read by label and written in the same layout.

The layout is a descriptor, not a cell map: a title row; a header block of label cells with their values to the right
(or, for the goal texts of some templates, below); then the indicator table, found by its header row. Offices move
rows around, merge cells, add a "填表说明" tab and type what they like, so `read_sheet` finds every label by its text
(with the aliases offices use) wherever it sits in the first rows, carries merged 一级/二级指标 cells down, and reads
what can be read. What it had to interpret (an amount under 万元 that is clearly in 元, a date stored as an Excel
serial number, a target written into the indicator name, "＞＝" for "≥"...) comes back as a warning naming the cell;
what it could not read at all as an error. Those findings use the rule codes "X-..." with `row` the Excel row and
`field` the label of the column or header cell; the policy checks (`jixiao.goals.rules`) come on top.

`write_sheet(read_sheet(x))` and `read_sheet(write_sheet(d))` round-trip: amounts are written in 万元 with six
decimal places at most (exact to the fen), target values and codes as text, and the two values that have no cell of
their own (the frame code and the library indicator ids) in the document properties and a hidden column.
"""

from __future__ import annotations

import calendar
import datetime
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from jixiao.budget.excel import new_flag, sniffable_csv
from jixiao.budget.excel import special_category as parse_special_category
from jixiao.budget.models import SpecialCategory
from jixiao.core import tabular as t
from jixiao.core.money import Money, MoneyParseError
from jixiao.goals import values
from jixiao.goals.data import Finding, RowData, RowHistory, SheetData
from jixiao.goals.models import AllocationMethod, SheetKind
from jixiao.indicators import rules as indicator_rules
from jixiao.indicators.models import Comparator, Level1, ValueBasis
from jixiao.policy.schema import ProjectCategory

MAX_BYTES = 10 * 1024 * 1024
MAX_TABLE_ROWS = 2000
HEADER_SEARCH_ROWS = 80  # the indicator table's header row must be within these rows
# Amounts under a 万元 label at or above this are taken as written in 元 (10亿元 and more for one project is rare
# enough that a warning is the right answer; "200000万元" written with its unit is always read as written).
WAN_CLEARLY_YUAN = Decimal(100_000)
# A multi-year total 1000 times the annual amount (or the other way round) means one of them is in the other unit.
UNIT_RATIO = Decimal(1000)
SERIAL_MIN, SERIAL_MAX = 20_000, 80_000  # Excel serial numbers of 1954..2119: a date, not a count
GOAL_LEVEL1 = (Level1.COST, Level1.OUTPUT, Level1.BENEFIT, Level1.SATISFACTION)
QUALITATIVE_WORDS = frozenset({"好", "较好", "一般", "差", "较差", "优", "优秀", "良", "良好", "中", "合格", "达标",
                               "达成", "基本达成", "部分达成", "有效", "显著", "明显", "是", "完成", "按时完成"})
_NON_NUMERIC = frozenset({Comparator.QUALITATIVE, Comparator.OTHER})
DOC_PROP_FRAME = "jixiao_frame_code"
DOC_PROP_KIND = "jixiao_kind"

BASIS_LAYOUT = "项目支出绩效目标申报表（预算管理一体化系统）填报格式"
BASIS_AMOUNT = "申报表金额单位以表头标注为准（一体化系统申报表为万元）"
BASIS_DATE = "项目期限须为有效日期（起止年月日）"
BASIS_COMPARATOR = "计算符号取值：≥、＞、＝、＜、≤、定性、定量(其他)（一体化系统 PMKPIZBXS；RULES.md 4.2）"
BASIS_NAME = "指标名称简明、指标值单独填写（财预〔2021〕101号 三(一)）"
BASIS_FRAME = "一级指标为成本、产出、效益、满意度指标（财预〔2020〕10号；财预〔2021〕101号 二）"
BASIS_VALUE_BASIS = "指标值设定依据：计划标准、行业标准、历史标准、预算支出标准、其他标准（财预〔2021〕101号 三(三)）"


# ---- the layout descriptor --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Label:
    """A cell label of the layout: the key it fills, the label we write, the spellings we read."""

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    width: int = 12  # table columns: width in Excel character units (a CJK character counts 2)
    required: bool = False  # table columns: the table is refused without it
    hidden: bool = False

    def names(self) -> set[str]:
        return {t.normalise_label(x) for x in (self.label, *self.aliases)}


L = Label
HEADER_LABELS: list[Label] = [
    L("subject_code", "项目编码", ("项目代码", "项目编号", "项目id", "政策编码", "项目(政策)编码")),
    L("subject_name", "项目名称", ("项目全称", "政策名称", "政策(项目)名称", "项目(政策)名称", "转移支付名称",
                               "转移支付项目名称")),
    L("department_name", "主管部门", ("主管部门及代码", "主管部门名称", "部门名称", "主管单位", "预算部门")),
    L("unit_name", "实施单位", ("项目实施单位", "实施单位名称", "预算单位", "单位名称", "项目单位", "申报单位")),
    L("fiscal_year", "预算年度", ("年度", "申报年度", "项目年度")),
    L("period", "项目期限", ("起止日期", "项目起止日期", "实施期限", "项目实施期限", "项目周期", "起止时间",
                         "项目起止时间", "实施周期", "执行期限", "实施期", "项目实施周期")),
    L("start_date", "开始日期", ("项目开始日期", "起始日期", "开始时间", "实施开始日期")),
    L("end_date", "结束日期", ("项目结束日期", "截止日期", "结束时间", "实施结束日期")),
    L("subject_type", "项目类型", ("项目分类", "项目性质")),
    L("category", "项目类别", ("建设类别", "项目建设类别")),
    L("is_new", "是否新增", ("项目属性", "新增/延续", "新增或延续", "是否新增项目")),
    L("allocation_method", "资金分配方式", ("分配方式", "资金分配方法")),
    L("special_category", "特殊类别", ("特殊项目类别", "项目特殊类别")),
    L("is_key", "是否重点项目", ("重点项目",)),
    L("has_quality_standard", "有明确质量标准", ("是否有明确质量标准", "是否有质量标准")),
    L("total_amount", "项目总金额", ("项目资金总额", "中期资金总额", "项目总额", "总金额", "项目总投资",
                                 "实施期资金总额", "资金总额", "项目总预算")),
    L("annual_amount", "年度金额", ("年度资金总额", "年度预算金额", "年度资金", "本年度资金", "年度预算",
                                "当年预算金额", "年度预算数", "本年预算")),
    L("policy_basis", "立项依据", ("政策依据", "立项依据/政策依据", "项目立项依据", "政策依据/立项依据",
                               "立项依据及政策依据", "设立依据")),
    L("calculation_basis", "测算依据", ("资金测算依据", "测算依据及说明", "预算测算依据", "资金测算")),
    L("overall_goal", "中长期目标", ("中长期(总体)目标", "总体目标", "实施期目标", "中长期绩效目标", "总体绩效目标",
                                 "实施期绩效目标", "项目中长期目标", "实施期总目标")),
    L("annual_goal", "年度目标", ("年度绩效目标", "年度总体目标", "本年度目标", "当年目标")),
    L("duties", "部门职能", ("年度履职目标", "部门职责", "单位职能", "部门职能及年度履职目标", "单位职责")),
    L("main_tasks", "年度主要任务", ("主要任务",)),
    L("multi_year_benefit", "多年期效益说明", ("多年期效益", "多年效益说明")),
    L("survey_plan", "满意度调查方案", ("满意度调查", "调查方案")),
]
TABLE_LABELS: list[Label] = [
    L("level1", "一级指标", ("一级指标名称",), 12, True),
    L("level2", "二级指标", ("二级指标名称",), 14, True),
    L("name", "三级指标", ("三级指标名称", "指标名称", "绩效指标名称", "三级指标(指标名称)", "指标内容"), 30, True),
    L("comparator", "计算符号", ("符号", "指标值符号", "运算符号", "比较符号", "指标符号", "计算符"), 8),
    L("target_value", "指标值", ("目标值", "年度指标值", "绩效指标值", "预期目标值", "指标目标值", "年度目标值",
                              "预期值", "期望值"), 12, True),
    L("unit", "计量单位", ("单位", "度量单位", "指标单位", "指标值单位"), 10),
    L("weight", "权重(分值)", ("权重", "分值", "权重/分值", "指标权重", "分值权重", "权重分值", "权重(分)"), 9),
    L("explanation", "指标解释", ("指标说明", "指标含义", "指标定义"), 30),
    L("value_basis", "指标值设定依据", ("设定依据", "指标值确定依据", "指标值依据"), 14),
    L("value_method", "取值方式", ("完成值取值方式", "取值方法"), 12),
    L("data_source", "数据来源", ("数据来源渠道", "数据出处"), 14),
    L("evidence_type", "佐证材料", ("佐证资料", "佐证材料类型", "佐证资料要求"), 14),
    L("value_note", "指标值说明", ("备注",), 16),
    L("last_year_target", "上年指标值", ("上年目标值",), 10),
    L("last_year_actual", "上年实际完成值", ("上年完成值", "上年实际值", "上年实际完成"), 12),
    L("year_before_actual", "前年实际完成值", ("前年完成值", "前年实际值"), 12),
    L("indicator_id", "库内指标编号", (), 10, hidden=True),
]
HISTORY_KEYS = ("last_year_target", "last_year_actual", "year_before_actual")
FIELD_LABELS: dict[str, str] = {x.key: x.label for x in (*HEADER_LABELS, *TABLE_LABELS)}
FIELD_LABELS.update({"kind": "目标类型", "frame_code": "指标框架", "fiscal_year": "预算年度", "rows": "绩效指标"})

# Long texts some templates put below their label (总体目标 | 中长期目标 | 年度目标, text in the row below).
_TEXT_BELOW = frozenset({"overall_goal", "annual_goal", "duties", "policy_basis", "calculation_basis",
                         "multi_year_benefit", "survey_plan"})
_HEADER_INDEX = {n: lab for lab in HEADER_LABELS for n in lab.names()}
_TABLE_INDEX = {n: lab for lab in TABLE_LABELS for n in lab.names()}
_UNIT_IN_LABEL = re.compile(r"\((万元|元|千元|亿元)\)|(万元|千元|亿元)$|单位[:：]?(万元|元)")
_SHEET_UNIT = re.compile(r"单位\s*[:：]?\s*(万元|元|千元|亿元)")
_YEAR_IN_TITLE = re.compile(r"(20\d{2})\s*年")
_FOOTER = ("填报人", "填表人", "联系人", "联系电话", "填表说明", "填报说明", "说明：", "说明:", "注：", "注:",
           "审核人", "单位负责人", "财务负责人", "填报日期", "填表日期", "部门审核意见", "财政审核意见", "审核意见")
_NUMBERING = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|\(?[0-9]+[)）.．、]"
                        r"|[(（][一二三四五六七八九十0-9]+[)）])\s*")
_TRAILING_NOTE = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")

_KIND_TITLES = [
    ("部门整体", SheetKind.DEPARTMENT_WIDE), ("单位整体", SheetKind.UNIT_WIDE),
    ("转移支付区域", SheetKind.TRANSFER_REGION), ("区域绩效目标", SheetKind.TRANSFER_REGION),
    ("转移支付整体", SheetKind.TRANSFER_WHOLE), ("转移支付", SheetKind.TRANSFER_PROJECT),
    ("政策", SheetKind.POLICY), ("项目", SheetKind.PROJECT),
]
TITLES = {
    SheetKind.PROJECT: "项目支出绩效目标申报表", SheetKind.POLICY: "政策绩效目标申报表",
    SheetKind.DEPARTMENT_WIDE: "部门整体支出绩效目标申报表", SheetKind.UNIT_WIDE: "单位整体支出绩效目标申报表",
    SheetKind.TRANSFER_WHOLE: "转移支付整体绩效目标申报表", SheetKind.TRANSFER_REGION: "转移支付区域绩效目标申报表",
    SheetKind.TRANSFER_PROJECT: "转移支付项目绩效目标申报表",
}
_ALLOCATION_WORDS = {"因素法": AllocationMethod.FACTOR, "项目法": AllocationMethod.PROJECT,
                     "其他": AllocationMethod.OTHER, "其它": AllocationMethod.OTHER, "无": "", "不涉及": "",
                     "-": "", "—": "", "/": "", **{v: v for v in AllocationMethod.values if v}}
_CATEGORY_WORDS = {
    ProjectCategory.CONSTRUCTION: ("工程基建", "基建", "基本建设", "工程建设", "construction"),
    ProjectCategory.MAJOR_REPAIR_PURCHASE: ("大型修缮", "修缮及购置", "修缮购置", "大型购置", "major_repair_purchase"),
    ProjectCategory.INFORMATION_SYSTEM: ("信息化", "信息系统", "information_system"),
}
_NO_CATEGORY = {"", "无", "其他", "其它", "不涉及", "-", "—", "/", "一般项目"}


# ---- reading ------------------------------------------------------------------------------------------------------

@dataclass
class _Cell:
    row: int
    col: int  # 0-based
    value: object

    @property
    def ref(self) -> str:
        from openpyxl.utils import get_column_letter

        return f"{get_column_letter(self.col + 1)}{self.row}"


@dataclass
class _Reader:
    filename: str
    findings: list[Finding] = field(default_factory=list)

    def error(self, rule: str, message: str, *, row: int | None = None, field: str = "", basis: str = "") -> None:
        self.findings.append(Finding("error", rule, message, basis or BASIS_LAYOUT, row, field))

    def warn(self, rule: str, message: str, *, row: int | None = None, field: str = "", basis: str = "") -> None:
        self.findings.append(Finding("warning", rule, message, basis or BASIS_LAYOUT, row, field))


def _load(file_or_bytes) -> bytes:
    if isinstance(file_or_bytes, (bytes, bytearray, memoryview)):
        return bytes(file_or_bytes)
    if isinstance(file_or_bytes, (str, Path)):
        return Path(file_or_bytes).read_bytes()
    if hasattr(file_or_bytes, "chunks"):  # Django UploadedFile
        return b"".join(file_or_bytes.chunks())
    return file_or_bytes.read()


def _xlsx_rows(data: bytes) -> tuple[list[tuple[str, Iterator[tuple]]], dict[str, str]]:
    """(sheet name, rows) for each sheet of an .xlsx, cells as Excel hands them over except that a number shown as
    a percentage comes back as the text "95%" (Excel keeps 0.95), plus the document's custom properties."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    props = {}
    try:
        props = {p.name: str(p.value) for p in wb.custom_doc_props}
    except Exception:  # noqa: BLE001 - properties are a convenience; a file without readable ones is still read
        props = {}

    def rows(ws) -> Iterator[tuple]:
        ws.reset_dimensions()  # some generators write a wrong dimension; read what is there
        for raw in ws.iter_rows():
            out = []
            for c in raw:
                v = getattr(c, "value", None)
                fmt = getattr(c, "number_format", "") or ""
                if isinstance(v, (int, float)) and not isinstance(v, bool) and "%" in fmt:
                    n = values.parse_number(v)
                    v = f"{values.format_number(n * 100)}%" if n is not None else v
                out.append(v)
            yield tuple(out)

    return [(ws.title, rows(ws)) for ws in wb.worksheets], props


def _sheets(data: bytes, filename: str) -> tuple[list[tuple[str, list[tuple]]], dict[str, str]]:
    fmt = t.sniff_format(data[:4096], filename)
    if fmt == "xlsx":
        import zipfile

        try:
            sheets, props = _xlsx_rows(data)
            return [(name, _take(rows)) for name, rows in sheets], props
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise t.TableFormatError("Excel 文件已损坏或不是有效的 .xlsx 文件") from exc
    if fmt == "xls":
        from python_calamine import CalamineWorkbook

        try:
            wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
            return [(name, [tuple(r) for r in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)])
                    for name in wb.sheet_names], {}
        except Exception as exc:  # noqa: BLE001 - calamine raises its own error types for corrupt files
            raise t.TableFormatError("Excel 文件已损坏或不是有效的 .xls 文件") from exc
    data, pad = sniffable_csv(data)
    return [("", _take(t.iter_sheet_rows(data, filename))[pad:])], {}


def _take(rows: Iterable[tuple], limit: int = MAX_TABLE_ROWS + HEADER_SEARCH_ROWS + 200) -> list[tuple]:
    out = []
    for i, r in enumerate(rows):
        if i >= limit:
            break
        out.append(r)
    return out


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float):
        n = values.parse_number(v)
        return values.format_number(n) if n is not None else ""
    if isinstance(v, datetime.datetime):
        return v.date().isoformat() if v.time() == datetime.time(0) else v.isoformat(sep=" ")
    if isinstance(v, datetime.date):
        return v.isoformat()
    s = str(v).replace("\u3000", " ").replace("\r\n", "\n").replace("\r", "\n")
    return s.strip()


def _find_table_header(rows: list[tuple]) -> tuple[int, dict[str, int]] | None:
    """(row index, {key: column}) of the indicator table's header row."""
    for i, raw in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = _match_table(raw)
        if "name" in found and len({"level1", "level2", "target_value"} & set(found)) >= 2:
            return i, found
    return None


def _label_key(value, index: dict[str, Label]) -> Label | None:
    if not isinstance(value, str) or not value.strip() or len(value) > 40:
        return None
    norm = t.normalise_label(value)
    lab = index.get(norm)
    if lab is None:
        base = re.sub(r"\(.*?\)$", "", norm)
        lab = index.get(base) if base else None
    return lab


def _match_table(raw: tuple) -> dict[str, int]:
    found: dict[str, int] = {}
    for col, v in enumerate(raw):
        lab = _label_key(v, _TABLE_INDEX)
        if lab is not None and lab.key not in found:
            found[lab.key] = col
    return found


def _label_unit(text: str) -> str | None:
    m = _UNIT_IN_LABEL.search(t.normalise_label(text))
    if not m:
        return None
    return next(g for g in m.groups() if g)


def read_sheet(file_or_bytes, filename: str = "") -> tuple[SheetData, list[Finding]]:
    """Read one goal sheet from an .xlsx, .xls or .csv (bytes, a path, or an uploaded file).

    The first worksheet that holds an indicator table is read; other tabs (填表说明, a summary) are ignored. Never
    raises on bad content: a file that cannot be read at all gives an empty SheetData and an "X-file" error."""
    reader = _Reader(filename)
    sheet = SheetData()
    try:
        data = _load(file_or_bytes)
    except OSError as exc:
        reader.error("X-file", f"文件无法读取：{exc}")
        return sheet, reader.findings
    if len(data) > MAX_BYTES:
        reader.error("X-file", f"文件过大（{len(data) // 1024 // 1024}MB），上限为{MAX_BYTES // 1024 // 1024}MB")
        return sheet, reader.findings
    if not data:
        reader.error("X-file", "文件为空")
        return sheet, reader.findings
    try:
        sheets, props = _sheets(data, filename)
    except t.TableFormatError as exc:
        reader.error("X-file", str(exc))
        return sheet, reader.findings
    chosen = None
    others = []
    for name, rows in sheets:
        header = _find_table_header(rows)
        if header is not None:
            if chosen is None:
                chosen = (name, rows, header)
            else:
                others.append(name)
    if others:
        reader.warn("X-sheets", f"文件中另有{len(others)}个工作表（{'、'.join(others[:5])}）也含绩效指标表，"
                    f"本次只读取了第一个（{chosen[0]}）；请每个项目单独一个文件上传")
    if chosen is None:
        name, rows = sheets[0] if sheets else ("", [])
        _read_header_block(reader, sheet, rows, len(rows))
        labels = "、".join(x.label for x in TABLE_LABELS if x.required)
        reader.error("X-no-table", f"未找到绩效指标表：前{HEADER_SEARCH_ROWS}行中应有包含“{labels}”的表头行")
        return sheet, reader.findings
    name, rows, (header_index, columns) = chosen
    _read_header_block(reader, sheet, rows, header_index)
    if props.get(DOC_PROP_FRAME):
        sheet.frame_code = props[DOC_PROP_FRAME][:40]
    if props.get(DOC_PROP_KIND) in SheetKind.values and not _title_kind(rows[:header_index]):
        sheet.kind = props[DOC_PROP_KIND]
    _read_table(reader, sheet, rows, header_index, columns)
    return sheet, reader.findings


def _title_kind(rows: list[tuple]) -> str | None:
    for raw in rows[:4]:
        for v in raw:
            s = _text(v)
            if "绩效目标" in s and ("表" in s or "申报" in s):
                for word, kind in _KIND_TITLES:
                    if word in s:
                        return kind
                return SheetKind.PROJECT
    return None


def _read_header_block(reader: _Reader, sheet: SheetData, rows: list[tuple], end: int) -> None:
    block = rows[:end]
    kind = _title_kind(block)
    if kind:
        sheet.kind = kind
    sheet_unit = None
    title_year = None
    labels: dict[tuple[int, int], Label] = {}
    for r, raw in enumerate(block):
        for c, v in enumerate(raw):
            if isinstance(v, str):
                m = _SHEET_UNIT.search(v)
                if m and sheet_unit is None:
                    sheet_unit = m.group(1)
                if title_year is None and r < 4 and ("年度" in v or "绩效目标" in v):
                    ym = _YEAR_IN_TITLE.search(v)
                    if ym:
                        title_year = int(ym.group(1))
            lab = _label_key(v, _HEADER_INDEX)
            if lab is not None:
                labels[(r, c)] = lab
    found: dict[str, tuple[_Cell, list[_Cell], Label]] = {}
    for (r, c), lab in labels.items():
        raw = block[r]
        vals = []
        for cc in range(c + 1, len(raw)):
            if (r, cc) in labels:
                break
            if not _blank(raw[cc]):
                vals.append(_Cell(r + 1, cc, raw[cc]))
        if not vals and lab.key in _TEXT_BELOW and r + 1 < len(block) and (r + 1, c) not in labels:
            below = block[r + 1]
            if c < len(below) and not _blank(below[c]):
                vals.append(_Cell(r + 2, c, below[c]))
        label_cell = _Cell(r + 1, c, raw[c])
        if lab.key == "main_tasks":
            if vals:
                _read_main_task(reader, sheet, label_cell, vals, sheet_unit)
            continue
        if lab.key not in found or (not found[lab.key][1] and vals):
            found[lab.key] = (label_cell, vals, lab)
    for key, (label_cell, vals, _lab) in found.items():
        if vals:
            _read_header_value(reader, sheet, key, label_cell, vals)
    _read_amounts(reader, sheet, found, sheet_unit, labels, block)
    if sheet.fiscal_year is None and title_year:
        sheet.fiscal_year = title_year


def _read_header_value(reader: _Reader, sheet: SheetData, key: str, label_cell: _Cell, vals: list[_Cell]) -> None:
    first = vals[0]
    label = FIELD_LABELS[key]
    where = f"（单元格{first.ref}）"
    text = _text(first.value)  # one value per label: the cell right of it (merged cells hold it in the first)
    if key in ("total_amount", "annual_amount"):
        return  # read together in _read_amounts
    if key == "subject_code":
        try:
            sheet.subject_code = t.code(40)(first.value)
        except t.CellValueError as exc:
            reader.error("X-code", f"{label}{where}：{exc}", row=first.row, field=label)
        return
    if key == "fiscal_year":
        m = re.search(r"(\d{4})", _nfkc(_text(first.value)))
        if m and 2000 <= int(m.group(1)) <= 2100:
            sheet.fiscal_year = int(m.group(1))
        else:
            reader.warn("X-year", f"{label}{where}“{_text(first.value)}”不是有效年度，已忽略", row=first.row,
                        field=label)
        return
    if key in ("period", "start_date", "end_date"):
        _read_dates(reader, sheet, key, vals)
        return
    if key == "is_new":
        try:
            sheet.is_new = new_flag(first.value)
        except t.CellValueError as exc:
            reader.warn("X-bool", f"{label}{where}：{exc}，已忽略", row=first.row, field=label)
        return
    if key in ("is_key", "has_quality_standard"):
        try:
            setattr(sheet, key, t.boolean(first.value))
        except t.CellValueError as exc:
            reader.warn("X-bool", f"{label}{where}：{exc}，已按“否”读取", row=first.row, field=label)
        return
    if key == "allocation_method":
        value = _ALLOCATION_WORDS.get(t.normalise_label(first.value))
        if value is None:
            reader.warn("X-choice", f"{label}{where}“{_text(first.value)}”无法识别，应为：因素法、项目法、其他",
                        row=first.row, field=label)
        else:
            sheet.allocation_method = value
        return
    if key == "special_category":
        try:
            sheet.special_category = parse_special_category(first.value)
        except t.CellValueError as exc:
            reader.warn("X-choice", f"{label}{where}：{exc}", row=first.row, field=label)
        return
    if key == "category":
        category = _category(text)
        if category is None:
            if not sheet.subject_type:
                sheet.subject_type = text  # 项目类别 used for 人员类/运转类/特定目标类
        else:
            sheet.category = category
        return
    if key == "subject_type":
        sheet.subject_type = text
        if not sheet.category:
            sheet.category = _category(text) or ""
        return
    setattr(sheet, key, text)


def _category(text: str) -> str | None:
    s = t.normalise_label(text)
    if s in _NO_CATEGORY:
        return None
    for value, words in _CATEGORY_WORDS.items():
        if any(w in s for w in words) or s == t.normalise_label(ProjectCategory(value).label):
            return value
    return None


def _read_main_task(reader: _Reader, sheet: SheetData, label_cell: _Cell, vals: list[_Cell],
                    sheet_unit: str | None) -> None:
    name = _text(vals[0].value)
    content = _text(vals[1].value) if len(vals) > 1 else ""
    amount = None
    if len(vals) > 2:
        unit = _label_unit(_text(label_cell.value)) or sheet_unit or "万元"
        amount = _money(reader, vals[2], "年度主要任务金额", unit)
    sheet.main_tasks.append({"name": name, "content": content, "amount": amount})


def _money(reader: _Reader, cell: _Cell, label: str, unit: str) -> Money | None:
    scale = {"元": "yuan", "万元": "wan"}.get(unit)
    try:
        if scale is None:  # 千元/亿元: rare, read exactly
            factor = {"千元": Decimal(1000), "亿元": Decimal(100_000_000)}[unit]
            number = values.parse_number(cell.value)
            if number is None:
                raise MoneyParseError(f"“{_text(cell.value)}”不是有效金额")
            return Money.from_yuan(number * factor)
        return Money.parse(cell.value, unit=scale)
    except MoneyParseError as exc:
        reader.error("X-amount", f"{label}（单元格{cell.ref}）：{exc}", row=cell.row, field=label,
                     basis=BASIS_AMOUNT)
        return None


def _explicit_unit(value) -> bool:
    return isinstance(value, str) and bool(re.search(r"(万元|万|元)\s*$", value.strip()))


def _read_amounts(reader: _Reader, sheet: SheetData, found: dict, sheet_unit: str | None,
                  labels: dict[tuple[int, int], Label], block: list[tuple]) -> None:
    """项目总金额 and 年度金额 in the unit their label (or the row, or the sheet) states; an amount that is clearly in
    the other unit (10亿元 and more under 万元, or 1000 times the other amount) is read in that unit, with a
    warning naming the cell."""
    read: dict[str, tuple[_Cell, str, Money, Decimal | None]] = {}
    for key in ("total_amount", "annual_amount"):
        if key not in found or not found[key][1]:
            continue
        label_cell, vals, _lab = found[key]
        cell = vals[0]
        label = FIELD_LABELS[key]
        unit = _label_unit(_text(label_cell.value))
        if unit is None:
            # "项目资金（万元） | 年度资金总额 | 50": a unit stated by a label further left in the row
            for c in range(label_cell.col - 1, -1, -1):
                u = _label_unit(_text(block[label_cell.row - 1][c]))
                if u:
                    unit = u
                    break
        if unit is None:
            unit = sheet_unit
        if unit is None:
            unit = "万元"
            reader.warn("X-amount-unit", f"{label}（单元格{cell.ref}）未注明金额单位，已按万元读取", row=cell.row,
                        field=label, basis=BASIS_AMOUNT)
        money = _money(reader, cell, label, unit)
        if money is None:
            continue
        number = None if _explicit_unit(cell.value) else values.parse_number(cell.value)
        read[key] = (cell, unit, money, number)
    # unit confusion
    flips: dict[str, str] = {}
    for key, (_c, unit, _m, number) in read.items():
        if number is not None and unit == "万元" and number >= WAN_CLEARLY_YUAN:
            flips[key] = "元"
    if len(read) == 2 and not flips:
        (_, tu, _, tn), (_, au, _, an) = read["total_amount"], read["annual_amount"]
        if tu == au and tn is not None and an is not None and tn > 0 and an > 0:
            if tn >= an * UNIT_RATIO:  # total far above annual
                flips["total_amount" if tu == "万元" else "annual_amount"] = "元" if tu == "万元" else "万元"
            elif an >= tn * UNIT_RATIO:
                flips["annual_amount" if tu == "万元" else "total_amount"] = "元" if tu == "万元" else "万元"
    for key, (cell, unit, money, number) in read.items():
        label = FIELD_LABELS[key]
        if key in flips:
            new_unit = flips[key]
            money = Money.parse(number, unit="yuan" if new_unit == "元" else "wan")
            shown = money.format_wan() + "万元"
            reader.warn(
                "X-amount-unit",
                f"{label}（单元格{cell.ref}）标注单位为{unit}，但填写的{values.format_number(number)}明显是以"
                f"{new_unit}填写的，已按{shown}读取；如确为{values.format_number(number)}{unit}，"
                f"请在单元格中连同单位填写（如“{values.format_number(number)}{unit}”）",
                row=cell.row, field=label, basis=BASIS_AMOUNT)
        setattr(sheet, key, money)


_SERIAL = re.compile(r"^\d{5}(?:\.0+)?$")
_D_SEP = re.compile(r"(?P<y>\d{4})\s*(?P<s>[./-])\s*(?P<m>\d{1,2})(?:\s*(?P=s)\s*(?P<d>\d{1,2}))?(?!\d)")
_D_CN = re.compile(r"(?P<y>\d{4})\s*年(?:\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*[日号])?)?")
_D_MONTH = re.compile(r"(?<!\d)(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*[日号])?")
_D_SERIAL = re.compile(r"(?<!\d)(?P<serial>\d{5})(?:\.0+)?(?!\d)")
_D_COMPACT = re.compile(r"(?<!\d)(?P<y>20\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)")
_YEAR_RANGE = re.compile(r"^(\d{4})\s*年?\s*(?:至|到|~|～|—|－|-)\s*(\d{4})\s*年?(?:度)?$")


@dataclass
class _DateToken:
    year: int | None
    month: int | None
    day: int | None
    serial: bool = False


def _date_tokens(value) -> list[_DateToken]:
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return [_DateToken(value.year, value.month, value.day)]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if SERIAL_MIN <= value <= SERIAL_MAX:
            d = t.EXCEL_EPOCH + datetime.timedelta(days=int(value))
            return [_DateToken(d.year, d.month, d.day, serial=True)]
        if 2000 <= value <= 2100 and float(value).is_integer():
            return [_DateToken(int(value), None, None)]
        return []
    s = unicodedata.normalize("NFKC", _text(value))
    m = _YEAR_RANGE.match(s)
    if m:
        return [_DateToken(int(m.group(1)), None, None), _DateToken(int(m.group(2)), None, None)]
    tokens: list[tuple[int, _DateToken]] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    for pattern in (_D_COMPACT, _D_SEP, _D_CN, _D_SERIAL, _D_MONTH):
        for m in pattern.finditer(s):
            if not free(m.start(), m.end()):
                continue
            g = m.groupdict()
            if g.get("serial"):
                n = int(g["serial"])
                if not SERIAL_MIN <= n <= SERIAL_MAX:
                    continue
                d = t.EXCEL_EPOCH + datetime.timedelta(days=n)
                tok = _DateToken(d.year, d.month, d.day, serial=True)
            else:
                tok = _DateToken(int(g["y"]) if g.get("y") else None, int(g["m"]) if g.get("m") else None,
                                 int(g["d"]) if g.get("d") else None)
            taken.append((m.start(), m.end()))
            tokens.append((m.start(), tok))
    return [tok for _, tok in sorted(tokens, key=lambda x: x[0])]


def _as_date(tok: _DateToken, *, end: bool) -> datetime.date | None:
    if tok.year is None:
        return None
    month = tok.month or (12 if end else 1)
    if not 1 <= month <= 12:
        return None
    day = tok.day or (calendar.monthrange(tok.year, month)[1] if end else 1)
    try:
        return datetime.date(tok.year, month, day)
    except ValueError:
        return None


def _read_dates(reader: _Reader, sheet: SheetData, key: str, vals: list[_Cell]) -> None:
    label = FIELD_LABELS[key]
    tokens: list[_DateToken] = []
    serial_cells = []
    for cell in vals:
        toks = _date_tokens(cell.value)
        if any(x.serial for x in toks):
            serial_cells.append(cell)
        tokens.extend(toks)
    # a month without a year takes the year before it ("2026年1月-12月")
    last_year = None
    for tok in tokens:
        if tok.year is None:
            tok.year = last_year
        last_year = tok.year
    first = vals[0]
    shown = "、".join(_text(c.value) for c in vals)
    where = f"（单元格{first.ref}）"
    if not tokens or tokens[0].year is None:
        reader.error("X-date", f"{label}{where}“{shown}”不是可识别的日期（示例：2026-01-01至2026-12-31）",
                     row=first.row, field=label, basis=BASIS_DATE)
        return
    if key == "period":
        start = _as_date(tokens[0], end=False)
        if len(tokens) == 1:
            end = _as_date(tokens[0], end=True) if tokens[0].day is None else None
        else:
            end = _as_date(tokens[-1], end=True)
    elif key == "start_date":
        start, end = _as_date(tokens[0], end=False), sheet.end_date
    else:
        start, end = sheet.start_date, _as_date(tokens[-1], end=True)
    if start is None or (key != "start_date" and end is None and len(tokens) > 1):
        reader.error("X-date", f"{label}{where}“{shown}”不是有效日期", row=first.row, field=label, basis=BASIS_DATE)
        return
    sheet.start_date, sheet.end_date = start, end
    for cell in serial_cells:
        reader.warn("X-date-serial",
                    f"{label}（单元格{cell.ref}）为 Excel 日期序列号“{_text(cell.value)}”，已按"
                    f"{_period_text(start, end) if key == 'period' else (start if key == 'start_date' else end)}"
                    f"读取，请核对并将单元格设为日期格式", row=cell.row, field=label, basis=BASIS_DATE)
    if start and end and start > end:
        reader.warn("X-date-order", f"{label}{where}开始日期{start}晚于结束日期{end}", row=first.row, field=label,
                    basis=BASIS_DATE)


def _period_text(start, end) -> str:
    return f"{start.isoformat() if start else ''}至{end.isoformat() if end else ''}"


def _cell(raw: tuple, col: int | None):
    if col is None or col >= len(raw):
        return None
    return raw[col]


def _strip_decor(text: str) -> str:
    """"一、产出指标（50分）" → "产出指标"."""
    s = _NUMBERING.sub("", text)
    s = _TRAILING_NOTE.sub("", s)
    return s.strip()


def _level1(text: str) -> str | None:
    s = _strip_decor(text)
    value = indicator_rules.parse_level1(s)
    if value is None:
        value = indicator_rules.parse_level1(s.removesuffix("类").removesuffix("指标"))
    return value


def _read_table(reader: _Reader, sheet: SheetData, rows: list[tuple], header_index: int,
                columns: dict[str, int]) -> None:
    missing = [x.label for x in TABLE_LABELS if x.required and x.key not in columns]
    if missing:
        reader.error("X-column", f"绩效指标表缺少列：{'、'.join(missing)}", row=header_index + 1)
    if "comparator" not in columns and "target_value" not in columns:
        return
    level1_raw = level1 = ""
    level2 = ""
    count = 0
    for i in range(header_index + 1, len(rows)):
        raw = rows[i]
        excel_row = i + 1
        if all(_blank(v) for v in raw):
            continue
        first_text = next((_text(v) for v in raw if not _blank(v)), "")
        if first_text.startswith(_FOOTER):
            break
        got = {key: _cell(raw, col) for key, col in columns.items()}
        if _match_table(raw).keys() >= {"name", "target_value"}:
            continue  # the header repeated (a printed multi-page sheet)
        count += 1
        if count > MAX_TABLE_ROWS:
            reader.error("X-rows", f"指标行超过{MAX_TABLE_ROWS}行，其余未读取", row=excel_row)
            break
        # 一级/二级: merged cells (or cells left blank under a group) carry the value above down
        l1_text = _text(got.get("level1"))
        l1_label = FIELD_LABELS["level1"]
        if l1_text:
            if l1_text != level1_raw:
                level2 = ""
            level1_raw = l1_text
            parsed = _level1(l1_text)
            if parsed is None or parsed not in GOAL_LEVEL1:
                reader.error("X-level1", f"一级指标“{l1_text}”无法识别，应为：成本指标、产出指标、效益指标、满意度指标",
                             row=excel_row, field=l1_label, basis=BASIS_FRAME)
                level1 = ""
            else:
                level1 = parsed
        l2_text = _strip_decor(_text(got.get("level2")))
        if l2_text:
            level2 = (indicator_rules.canonical_level2(level1, l2_text) if level1 else None) or l2_text
        name = _text(got.get("name"))
        value_raw = got.get("target_value")
        row_content = [k for k in ("comparator", "target_value", "unit", "weight", "explanation") if
                       not _blank(got.get(k))]
        if not name:
            if row_content:
                reader.error("X-name", "该行填写了指标值等内容，但三级指标（指标名称）为空", row=excel_row,
                             field=FIELD_LABELS["name"], basis=BASIS_NAME)
            continue
        if not level1_raw:
            reader.error("X-level1", "一级指标为空", row=excel_row, field=l1_label, basis=BASIS_FRAME)
        row = RowData(row=excel_row, level1=level1, level2=level2, name=name)
        _read_target(reader, row, got, value_raw, "comparator" in columns)
        _read_row_rest(reader, row, got)
        sheet.rows.append(row)


def _same_unit(a: str, b: str) -> bool:
    return _nfkc(a) == _nfkc(b)


def _nfkc(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).lower()


def _read_target(reader: _Reader, row: RowData, got: dict, value_raw, has_comparator_column: bool) -> None:
    n = row.row
    comp_text = _text(got.get("comparator"))
    unit_col = _text(got.get("unit"))
    row.unit = unit_col
    comparator = None
    comp_label, value_label = FIELD_LABELS["comparator"], FIELD_LABELS["target_value"]
    if comp_text:
        comparator = values.normalise_comparator(comp_text)
        if comparator is None:
            reader.warn("X-comparator", f"计算符号“{comp_text}”无法识别", row=n, field=comp_label,
                        basis=BASIS_COMPARATOR)
    value_text = _text(value_raw)
    in_name = None
    if not value_text:
        in_name = values.target_in_name(row.name)
        if in_name is not None:
            clean, name_comp, name_value, name_unit = in_name
            reader.warn("X-target-in-name",
                        f"指标值写在了指标名称“{row.name}”中，已读作：名称“{clean}”、指标值“{name_value}”"
                        f"{'、单位“' + name_unit + '”' if name_unit else ''}；请将指标值单独填写",
                        row=n, field=FIELD_LABELS["name"], basis=BASIS_NAME)
            row.name = clean
            value_text = name_value
            if name_comp and comparator is None:
                comparator = name_comp
            if name_unit and not unit_col:
                row.unit = name_unit
            row.comparator = comparator or ""
            row.target_value = value_text
            return
    if isinstance(value_raw, (int, float)) and not isinstance(value_raw, bool):
        number = values.parse_number(value_raw)
        row.target_value = values.format_number(number) if number is not None else value_text
        row.comparator = comparator or ""
        return
    split_comp, number, split_unit = values.split_target(value_text) if value_text else (None, None, None)
    if split_comp is not None:
        if comparator is None:
            comparator = split_comp
            if has_comparator_column and not comp_text and number is not None:
                reader.warn("X-comparator-in-value", f"计算符号写在了指标值“{value_text}”中，已读作"
                            f"“{Comparator(split_comp).label}”", row=n, field=value_label, basis=BASIS_COMPARATOR)
        elif comparator != split_comp and number is not None and comparator not in _NON_NUMERIC:
            reader.warn("X-comparator-conflict",
                        f"计算符号“{comp_text}”与指标值“{value_text}”中的符号不一致，已按计算符号列读取",
                        row=n, field=comp_label, basis=BASIS_COMPARATOR)
    if number is not None:
        if split_unit and not unit_col:
            row.unit = split_unit
            row.target_value = values.format_number(number)
        elif split_unit and not _same_unit(split_unit, unit_col):
            reader.warn("X-unit-conflict", f"指标值“{value_text}”中的单位“{split_unit}”与计量单位“{unit_col}”不一致",
                        row=n, field=FIELD_LABELS["unit"])
            row.target_value = values.format_number(number) + split_unit  # both kept, the rules report it too
        else:
            row.target_value = values.format_number(number)
    elif split_comp in (Comparator.QUALITATIVE, Comparator.OTHER) and values.normalise_comparator(value_text):
        row.target_value = ""  # "定性" written in the value column
    else:
        row.target_value = value_text
        if comparator is None and value_text in QUALITATIVE_WORDS:
            comparator = Comparator.QUALITATIVE
            if has_comparator_column:
                reader.warn("X-comparator-inferred", f"计算符号为空，指标值“{value_text}”为定性表述，已按“定性”读取",
                            row=n, field=comp_label, basis=BASIS_COMPARATOR)
    row.comparator = comparator or ""


def _read_row_rest(reader: _Reader, row: RowData, got: dict) -> None:
    n = row.row
    weight_raw = got.get("weight")
    if not _blank(weight_raw):
        s = _text(weight_raw)
        number = values.parse_number(weight_raw) if not isinstance(weight_raw, str) else values.parse_number(
            s.removesuffix("分"))
        if number is None:
            reader.error("X-weight", f"权重（分值）“{s}”不是有效数字", row=n, field=FIELD_LABELS["weight"])
        else:
            row.weight = number
    for key in ("explanation", "value_method", "data_source", "evidence_type", "value_note"):
        setattr(row, key, _text(got.get(key)))
    basis_text = _text(got.get("value_basis"))
    if basis_text:
        basis = indicator_rules.parse_value_basis(basis_text)
        if basis is None:
            parts = [p for p in re.split(r"[、,，/；;及和\s]+", basis_text) if p]
            found = [b for b in (indicator_rules.parse_value_basis(p) for p in parts) if b]
            if found:
                basis = found[0]
                if len(set(found)) > 1:
                    reader.warn("X-value-basis", f"指标值设定依据“{basis_text}”填写了多项，已按"
                                f"“{ValueBasis(basis).label}”读取", row=n, field=FIELD_LABELS["value_basis"],
                                basis=BASIS_VALUE_BASIS)
        if basis is None:
            reader.warn("X-value-basis", f"指标值设定依据“{basis_text}”无法识别", row=n,
                        field=FIELD_LABELS["value_basis"], basis=BASIS_VALUE_BASIS)
        row.value_basis = basis or ""
    history = {key: _text(got.get(key)) for key in HISTORY_KEYS}
    if any(history.values()):
        row.history = RowHistory(**history)
    ind = got.get("indicator_id")
    if not _blank(ind):
        number = values.parse_number(ind)
        if number is not None and number == number.to_integral_value() and number > 0:
            row.indicator_id = int(number)


# ---- writing ------------------------------------------------------------------------------------------------------

def _wan(money: Money | None):
    """Money as a 万元 number for a cell: exact (six decimal places at most). Amounts at or above the threshold
    where a 万元 figure is read as 元 are written as text with their unit, so that they read back unchanged."""
    if money is None:
        return None
    wan = Decimal(money.fen) / Decimal(1_000_000)
    wan = values.parse_number(wan)
    if abs(wan) >= WAN_CLEARLY_YUAN:
        return f"{values.format_number(wan)}万元"
    return wan


def _visible_columns(data: SheetData, filled: bool) -> list[Label]:
    with_history = filled and any(r.history for r in data.rows)
    return [x for x in TABLE_LABELS if with_history or x.key not in HISTORY_KEYS]


def _bool_text(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


def _header_pairs(data: SheetData, filled: bool) -> list[list[tuple[str, object]]]:
    """The header block: rows of (label, value) pairs; a row with one pair spans the whole width."""
    period = ""
    if data.start_date or data.end_date:
        period = _period_text(data.start_date, data.end_date)
    category = ProjectCategory(data.category).label if data.category in ProjectCategory.values else ""
    special = (SpecialCategory(data.special_category).label
               if data.special_category in SpecialCategory.values and data.special_category else "")
    allocation = (AllocationMethod(data.allocation_method).label
                  if data.allocation_method in AllocationMethod.values and data.allocation_method else "")
    rows: list[list[tuple[str, object]]] = [
        [("项目编码", data.subject_code), ("项目名称", data.subject_name)],
        [("主管部门", data.department_name), ("实施单位", data.unit_name)],
        [("项目期限", period), ("项目类型", data.subject_type)],
        [("是否新增", _bool_text(data.is_new)), ("资金分配方式", allocation)],
        [("项目类别", category), ("特殊类别", special)],
        [("项目总金额（万元）", _wan(data.total_amount)), ("年度金额（万元）", _wan(data.annual_amount))],
        [("是否重点项目", _bool_text(data.is_key) if filled else ""),
         ("有明确质量标准", _bool_text(data.has_quality_standard) if filled else "")],
        [("立项依据", data.policy_basis if filled else "")],
        [("测算依据", data.calculation_basis if filled else "")],
    ]
    if data.kind in (SheetKind.DEPARTMENT_WIDE, SheetKind.UNIT_WIDE):
        rows.append([("部门职能", data.duties if filled else "")])
    rows += [
        [("中长期目标", data.overall_goal if filled else "")],
        [("年度目标", data.annual_goal if filled else "")],
        [("多年期效益说明", data.multi_year_benefit if filled else "")],
        [("满意度调查方案", data.survey_plan if filled else "")],
    ]
    return rows


def _styles():
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="808080")
    return {
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "label_font": Font(bold=True), "title_font": Font(bold=True, size=16),
        "label_fill": PatternFill("solid", fgColor="DDEBF7"), "head_fill": PatternFill("solid", fgColor="BDD7EE"),
        "wrap": Alignment(wrap_text=True, vertical="center"),
        "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
    }


def _text_width(text: str) -> int:
    """Display width in Excel character units: a CJK character takes two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _row_height(text: str, width: int) -> float | None:
    if not text:
        return None
    lines = sum(max(1, -(-_text_width(part) // max(width, 1))) for part in str(text).split("\n"))
    return min(409, max(20, 15 * lines + 4)) if lines > 1 else None


def _write_into(ws, data: SheetData, *, filled: bool) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    st = _styles()
    cols = _visible_columns(data, filled)
    ncols = sum(1 for x in cols if not x.hidden)
    last = get_column_letter(ncols)
    for idx, col in enumerate(cols, start=1):
        letter = get_column_letter(idx)
        ws.column_dimensions[letter].width = col.width
        if col.hidden:
            ws.column_dimensions[letter].hidden = True
    ws.column_dimensions["A"].width = 16

    ws.cell(1, 1, TITLES.get(data.kind, TITLES[SheetKind.PROJECT]))
    ws.merge_cells(f"A1:{last}1")
    ws.cell(1, 1).font = st["title_font"]
    ws.cell(1, 1).alignment = st["center"]
    ws.row_dimensions[1].height = 30
    year = f"（{data.fiscal_year}年度）" if data.fiscal_year else "（    年度）"
    ws.cell(2, 1, year)
    ws.merge_cells(f"A2:{get_column_letter(ncols - 3)}2")
    ws.cell(2, 1).alignment = st["center"]
    ws.cell(2, ncols - 2, "金额单位：万元")
    ws.merge_cells(f"{get_column_letter(ncols - 2)}2:{last}2")

    mid = (ncols + 1) // 2  # left pair: A | B..mid-1 ; right pair: mid | mid+1..last
    r = 3
    for pairs in _header_pairs(data, filled):
        if len(pairs) == 1:
            spans = [(1, 2, ncols)]
        else:
            spans = [(1, 2, mid - 1), (mid, mid + 1, ncols)]
        height = None
        for (label, value), (lc, vc, vend) in zip(pairs, spans, strict=True):
            lcell = ws.cell(r, lc, label)
            lcell.font, lcell.fill, lcell.alignment, lcell.border = (st["label_font"], st["label_fill"],
                                                                     st["center"], st["border"])
            vcell = ws.cell(r, vc, value if value not in (None, "") else None)
            vcell.alignment = st["wrap"]
            if isinstance(value, Decimal):
                vcell.number_format = "0.00####"
            elif isinstance(value, str):
                vcell.number_format = "@"
            for c in range(vc, vend + 1):
                ws.cell(r, c).border = st["border"]
            if vend > vc:
                ws.merge_cells(start_row=r, start_column=vc, end_row=r, end_column=vend)
            span_width = sum(cols[c - 1].width for c in range(vc, vend + 1))
            h = _row_height(str(value or ""), span_width)
            height = max(height or 0, h or 0) or None
        if len(pairs) == 1 and pairs[0][0] in ("中长期目标", "年度目标", "立项依据", "测算依据", "部门职能"):
            height = max(height or 0, 45)
        if height:
            ws.row_dimensions[r].height = height
        r += 1
    if data.kind in (SheetKind.DEPARTMENT_WIDE, SheetKind.UNIT_WIDE):
        tasks = data.main_tasks if filled and data.main_tasks else [{"name": "", "content": "", "amount": None}]
        for task in tasks:
            spans = [(2, min(3, ncols)), (4, ncols - 2), (ncols - 1, ncols)]
            lcell = ws.cell(r, 1, "年度主要任务")
            lcell.font, lcell.fill, lcell.alignment, lcell.border = (st["label_font"], st["label_fill"],
                                                                     st["center"], st["border"])
            vals = [task.get("name") or None, task.get("content") or None, _wan(task.get("amount"))]
            for (a, b), v in zip(spans, vals, strict=True):
                cell = ws.cell(r, a, v)
                cell.alignment = st["wrap"]
                for c in range(a, b + 1):
                    ws.cell(r, c).border = st["border"]
                if b > a:
                    ws.merge_cells(start_row=r, start_column=a, end_row=r, end_column=b)
            r += 1

    header_row = r
    for idx, col in enumerate(cols, start=1):
        cell = ws.cell(header_row, idx, col.label)
        cell.font, cell.fill, cell.alignment, cell.border = (st["label_font"], st["head_fill"], st["center"],
                                                             st["border"])
    ws.row_dimensions[header_row].height = 30
    level1_labels = dict(Level1.choices)
    comparator_labels = dict(Comparator.choices)
    basis_labels = dict(ValueBasis.choices)
    data_rows = data.rows if filled else []
    first = header_row + 1
    for n, row in enumerate(data_rows):
        excel_row = first + n
        history = row.history
        cells = {
            "level1": level1_labels.get(row.level1, row.level1), "level2": row.level2, "name": row.name,
            "comparator": comparator_labels.get(row.comparator, row.comparator), "target_value": row.target_value,
            "unit": row.unit, "weight": row.weight, "explanation": row.explanation,
            "value_basis": basis_labels.get(row.value_basis, row.value_basis), "value_method": row.value_method,
            "data_source": row.data_source, "evidence_type": row.evidence_type, "value_note": row.value_note,
            "last_year_target": history.last_year_target if history else "",
            "last_year_actual": history.last_year_actual if history else "",
            "year_before_actual": history.year_before_actual if history else "",
            "indicator_id": row.indicator_id,
        }
        for idx, col in enumerate(cols, start=1):
            v = cells[col.key]
            cell = ws.cell(excel_row, idx, v if v not in ("", None) else None)
            cell.border, cell.alignment = st["border"], st["wrap"]
            if col.key not in ("weight", "indicator_id"):
                cell.number_format = "@"
        height = _row_height(row.name, cols[2].width)
        if height:
            ws.row_dimensions[excel_row].height = height
    _merge_runs(ws, data_rows, first, st)
    # empty, bordered rows to fill in
    extra = 20 if not data_rows else 5
    for excel_row in range(first + len(data_rows), first + len(data_rows) + extra):
        for idx in range(1, ncols + 1):
            ws.cell(excel_row, idx).border = st["border"]
            ws.cell(excel_row, idx).number_format = "@" if cols[idx - 1].key not in ("weight",) else "General"
    end = first + len(data_rows) + extra - 1
    col_of = {x.key: get_column_letter(i) for i, x in enumerate(cols, start=1)}
    for key, options, title in (
        ("level1", [level1_labels[v] for v in GOAL_LEVEL1], "一级指标"),
        ("comparator", list(Comparator.labels), "计算符号"),
        ("value_basis", list(ValueBasis.labels), "指标值设定依据"),
    ):
        dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True,
                            showErrorMessage=True, errorTitle=title, error=f"请从下拉列表中选择{title}",
                            promptTitle=title, prompt="、".join(options))
        dv.showInputMessage = True
        ws.add_data_validation(dv)
        dv.add(f"{col_of[key]}{first}:{col_of[key]}{end}")
    dv = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add(f"B{3 + 3}")  # 是否新增
    dv2 = DataValidation(type="list", formula1='"因素法,项目法,其他"', allow_blank=True)
    ws.add_data_validation(dv2)
    dv2.add(f"{get_column_letter(mid + 1)}{3 + 3}")  # 资金分配方式
    ws.freeze_panes = ws.cell(first, 1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToHeight = 0
    footer = end + 2
    ws.cell(footer, 1, "填报人：")
    ws.cell(footer, mid, "联系电话：")


def _merge_runs(ws, rows: list[RowData], first: int, st) -> None:
    """Merge consecutive equal 一级指标 cells, and equal 二级指标 cells within one 一级 group."""
    def runs(key_of):
        start = 0
        for i in range(1, len(rows) + 1):
            if i == len(rows) or key_of(rows[i]) != key_of(rows[start]) or not key_of(rows[i]):
                if i - start > 1 and key_of(rows[start]):
                    yield start, i - 1
                start = i

    for a, b in runs(lambda x: x.level1):
        ws.merge_cells(start_row=first + a, start_column=1, end_row=first + b, end_column=1)
        ws.cell(first + a, 1).alignment = st["center"]
    for a, b in runs(lambda x: (x.level1, x.level2) if x.level2 else None):
        ws.merge_cells(start_row=first + a, start_column=2, end_row=first + b, end_column=2)
        ws.cell(first + a, 2).alignment = st["center"]


def _set_props(wb, data: SheetData) -> None:
    from openpyxl.packaging.custom import StringProperty

    wb.custom_doc_props.append(StringProperty(name=DOC_PROP_KIND, value=data.kind or SheetKind.PROJECT))
    if data.frame_code:
        wb.custom_doc_props.append(StringProperty(name=DOC_PROP_FRAME, value=data.frame_code))


def _save(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_sheet(data: SheetData, *, filled: bool = True) -> bytes:
    """The goal sheet as an .xlsx in the platform's layout. `filled=False` gives the blank template: the subject's
    identity (code, name, units, period, amounts) as given, no goal texts and no indicator rows, with drop-down lists
    for 一级指标, 计算符号 and 指标值设定依据."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "绩效目标申报表"
    _write_into(ws, data, filled=filled)
    _write_instructions(wb)
    _set_props(wb, data)
    return _save(wb)


INSTRUCTIONS = [
    "填表说明",
    "1. 请勿修改表头文字；表头和指标表的位置可以调整，系统按文字识别。",
    "2. 金额单位为万元；如按元填写，请在单元格中注明“元”（如“5000000元”）。",
    "3. 项目期限填写起止日期，如“2026-01-01至2026-12-31”或“2026年1月-12月”。",
    "4. 一级指标从下拉列表选择（成本指标、产出指标、效益指标、满意度指标），同一一级指标的单元格可合并。",
    "5. 计算符号从下拉列表选择（≥、＞、＝、＜、≤、定性、定量(其他)）；指标值只填数值或定性表述，不要写在指标名称中。",
    "6. 定量指标须填写计量单位；成本指标值不得高于预算支出标准。",
    "7. 避免“有效提升”“进一步加强”等无法衡量的表述；财力、人力、物力等投入数量不能作为绩效目标。",
]


def _write_instructions(wb) -> None:
    ws = wb.create_sheet("填表说明")
    ws.column_dimensions["A"].width = 110
    from openpyxl.styles import Font

    for i, line in enumerate(INSTRUCTIONS, start=1):
        ws.cell(i, 1, line)
    ws.cell(1, 1).font = Font(bold=True, size=14)


def _tab_name(text: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\']", "", text).strip() or "目标表"
    name = base[:31]
    n = 2
    while name in used:
        suffix = f"({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name)
    return name


def write_department_workbook(sheets: list[SheetData], title: str) -> bytes:
    """All goal sheets of a department in one .xlsx: a summary tab (汇总) first, then one tab per sheet."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    st = _styles()
    wb = openpyxl.Workbook()
    summary = wb.active
    summary.title = "汇总"
    used = {"汇总"}
    headers = [("序号", 6), ("项目编码", 22), ("项目名称", 36), ("实施单位", 24), ("目标类型", 18),
               ("年度金额（万元）", 16), ("指标个数", 10), ("工作表", 24)]
    summary.cell(1, 1, title).font = st["title_font"]
    summary.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    summary.cell(1, 1).alignment = st["center"]
    summary.row_dimensions[1].height = 30
    for i, (h, w) in enumerate(headers, start=1):
        cell = summary.cell(2, i, h)
        cell.font, cell.fill, cell.alignment, cell.border = (st["label_font"], st["head_fill"], st["center"],
                                                             st["border"])
        summary.column_dimensions[get_column_letter(i)].width = w
    for n, data in enumerate(sheets, start=1):
        name = _tab_name(f"{n}-{data.subject_name or data.subject_code}", used)
        ws = wb.create_sheet(name)
        _write_into(ws, data, filled=True)
        row = [n, data.subject_code, data.subject_name, data.unit_name,
               dict(SheetKind.choices).get(data.kind, data.kind), _wan(data.annual_amount), len(data.rows), name]
        for i, v in enumerate(row, start=1):
            cell = summary.cell(n + 2, i, v)
            cell.border = st["border"]
            if i == 2:
                cell.number_format = "@"
        link = summary.cell(n + 2, len(headers))
        link.hyperlink = f"#'{name}'!A1"
        link.style = "Hyperlink"
    summary.freeze_panes = "A3"
    return _save(wb)
