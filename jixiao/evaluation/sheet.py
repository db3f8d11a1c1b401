"""Reading self-evaluation tables as offices publish them (项目支出绩效自评表, 10号 附1 and local variants). Pure: bytes
in, values out, no ORM.

A workbook may hold one table per sheet or several tables one under another. A table is found by its indicator header
(a row with 三级指标 / 指标名称, 分值 and 得分); what lies above it, after the previous table, is its head: 项目名称,
主管部门, 实施单位, the year in the title, the funds block (年初预算数 / 全年预算数 / 全年执行数 / 分值 / 执行率 / 得分
with the rows 年度资金总额, 当年财政拨款, 上年结转资金, 其他资金) and the overall goal (预期目标 / 实际完成情况).
Its rows run to the 总分 row.

Everything is read by label, never by position, and tolerant of what real tables do: merged cells (一级/二级 written
once for several rows), amounts in 元 or 万元 (the unit is taken from the head), rates as "95.5%", 95.5 or Excel's
0.955, targets such as "≥95%", "不低于500人", "控制在5%以内" or a bare "100%", a 预算执行率 row inside the indicator
table instead of the funds block, qualitative results written in words ("达成", "基本完成", "未完成"), grades written as
"优" or "自评等级：良". What cannot be read is reported per cell (第12行“得分”列：…) and left out of the scoring.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from jixiao.core.money import Money
from jixiao.core.tabular import CellError, iter_workbook, normalise_label
from jixiao.evaluation import rules
from jixiao.goals.values import looks_like_date, normalise_comparator, parse_number, split_target
from jixiao.policy.schema import Grade, QualitativeTier

# Header labels (normalised: no spaces, half-width brackets, lower case).
L_NAME = ("三级指标", "指标名称", "三级指标名称", "绩效指标名称", "具体指标")
L_LEVEL1 = ("一级指标", "一级指标名称")
L_LEVEL2 = ("二级指标", "二级指标名称")
L_TARGET = ("年度指标值", "指标值", "目标值", "年度目标值", "计划指标值", "年度目标", "预期指标值", "指标目标值")
L_ACTUAL = ("实际完成值", "实际值", "完成值", "全年实际值", "实际完成情况", "全年实际完成值", "实际完成")
L_WEIGHT = ("分值", "权重", "指标分值", "权重(分值)", "分值(权重)", "标准分值")
L_SCORE = ("得分", "自评得分", "评分", "实际得分")
L_EXPLAIN = ("偏差原因分析及改进措施", "偏差原因分析", "原因分析及改进措施", "偏差原因及改进措施",
             "未完成原因和改进措施", "偏差原因", "未完成原因分析及改进措施", "偏差原因分析及整改措施", "备注")
L_COMPARATOR = ("计算符号", "指标性质", "符号")
L_UNIT = ("计量单位", "度量单位", "单位")
F_INITIAL = ("年初预算数", "年初预算", "年初预算(万元)", "年初预算数(万元)", "年初预算数(元)")
F_ANNUAL = ("全年预算数", "全年预算", "调整后预算数", "全年预算数(a)", "预算数", "全年预算数(万元)", "全年预算数(元)")
F_EXECUTED = ("全年执行数", "全年执行", "实际执行数", "执行数", "全年执行数(b)", "实际支出数", "全年执行数(万元)",
              "全年执行数(元)")
F_RATE = ("执行率", "预算执行率", "执行率(b/a)", "执行率%", "执行率(%)")
TOTAL_WORDS = ("总分", "合计", "总计", "自评总分", "得分合计")
EXECUTION_WORDS = ("预算执行率", "资金执行率", "执行率")
GRADE_LABELS = ("自评等级", "自评结论", "评价等级", "等级", "评价结论", "绩效等级", "自评结果")

LEVEL1_WORDS = (("满意度", "satisfaction"), ("效益", "benefit"), ("成本", "cost"), ("产出", "output"),
                ("决策", "decision"), ("过程", "process"))
_YEAR = re.compile(r"(20\d{2})\s*年")
_BLANK_MARKS = {"", "-", "—", "--", "——", "/", "／", "无", "—-", "\\"}


@dataclass
class ReadLine:
    row: int  # the Excel row
    level1: str
    level2: str
    name: str
    target_text: str
    actual_text: str
    line: rules.LineInput
    score: Decimal | None


@dataclass
class ReadTable:
    sheet: str
    first_row: int
    project: str = ""
    department: str = ""
    unit_name: str = ""
    year: int | None = None
    money_unit: str = "wan"
    funds_rows: list[rules.FundsRow] = field(default_factory=list)
    execution_weight: Decimal | None = None
    execution_rate_pct: Decimal | None = None
    execution_score: Decimal | None = None
    expected_goal: str = ""
    achieved_goal: str = ""
    lines: list[ReadLine] = field(default_factory=list)
    total: Decimal | None = None
    grade: str = ""
    errors: list[CellError] = field(default_factory=list)

    def published(self) -> rules.PublishedSheet:
        return rules.PublishedSheet(
            funds_rows=self.funds_rows, lines=[ln.line for ln in self.lines], scores=[ln.score for ln in self.lines],
            execution_weight=self.execution_weight, execution_rate_pct=self.execution_rate_pct,
            execution_score=self.execution_score, total=self.total, grade=self.grade)


@dataclass
class ReadResult:
    tables: list[ReadTable]
    errors: list[CellError]  # file-level: nothing could be read


# --- cells --------------------------------------------------------------------------------------------------------
def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    return str(value).strip()


def _is_blank(value) -> bool:
    return _text(value).replace(" ", "") in _BLANK_MARKS


_BRACKETS = re.compile(r"\([^)]*\)|\[[^]]*\]|【[^】]*】")
_NAMES: dict[tuple[str, ...], frozenset[str]] = {}


def _names(labels: tuple[str, ...]) -> frozenset[str]:
    names = _NAMES.get(labels)
    if names is None:
        names = _NAMES[labels] = frozenset(normalise_label(x) for x in labels)
    return names


class _Grid:
    def __init__(self, rows: list[tuple]):
        width = max((len(r) for r in rows), default=0)
        self.rows = [tuple(r) + (None,) * (width - len(r)) for r in rows]
        self.norm = [[normalise_label(v) if isinstance(v, str) else "" for v in r] for r in self.rows]
        self.width = width

    def find(self, r: int, labels: tuple[str, ...]) -> int | None:
        """The first column of row r whose label is one of `labels`, or is one once a bracketed note is taken off
        ("年度指标值(A)", "执行率(B/A)", "分值(10分)", "得分（分）")."""
        cells = self.norm[r]
        names = _names(labels)
        for c, v in enumerate(cells):
            if v and (v in names or _BRACKETS.sub("", v) in names):
                return c
        return None

    def right_of(self, r: int, c: int) -> str:
        for v in self.rows[r][c + 1:]:
            if not _is_blank(v):
                return _text(v)
        return ""


def _number(value, errors: list, row: int, column: str) -> Decimal | None:
    if _is_blank(value):
        return None
    n = parse_number(value)
    if n is None:
        n = split_target(value)[1]
    if n is None:
        errors.append(CellError(row, column, "不是数值，未计入", _text(value)))
    return n


def _money(value, unit: str, errors: list, row: int, column: str) -> Money | None:
    n = _number(value, errors, row, column)
    if n is None:
        return None
    return Money.from_wan(n) if unit == "wan" else Money.from_yuan(n)


def _level1(text: str) -> str:
    for word, code in LEVEL1_WORDS:
        if word in text:
            return code
    return ""


def grade_from_text(text: str) -> str:
    t = normalise_label(text)
    for label in GRADE_LABELS:
        t = t.replace(label, "")
    t = t.strip("：:()（）")
    for ch, grade in (("优", Grade.EXCELLENT), ("良", Grade.GOOD), ("中", Grade.FAIR), ("差", Grade.POOR)):
        if t.startswith(ch):
            return grade
    return ""


# --- reading ------------------------------------------------------------------------------------------------------
def read_workbook(data: bytes, filename: str = "") -> ReadResult:
    tables: list[ReadTable] = []
    for name, rows in iter_workbook(data, filename):
        tables.extend(read_rows(rows, sheet=name))
    if not tables:
        return ReadResult([], [CellError(None, "", "未找到自评表：表中应有“三级指标”“分值”“得分”等列标题")])
    return ReadResult(tables, [])


def _is_indicator_header(g: _Grid, r: int) -> bool:
    return (g.find(r, L_NAME) is not None and g.find(r, L_SCORE) is not None
            and g.find(r, L_WEIGHT) is not None)


def read_rows(rows: list[tuple], *, sheet: str = "") -> list[ReadTable]:
    g = _Grid(rows)
    headers = [r for r in range(len(g.rows)) if _is_indicator_header(g, r)]
    tables, start = [], 0
    for i, h in enumerate(headers):
        stop = headers[i + 1] if i + 1 < len(headers) else len(g.rows)
        table, end = _read_table(g, sheet, start, h, stop)
        tables.append(table)
        start = end + 1
    return tables


def _read_table(g: _Grid, sheet: str, start: int, h: int, stop: int) -> tuple[ReadTable, int]:
    # The head of the next table may sit between this table's 总分 row and the next header: find the 总分 row first.
    end = stop - 1
    for r in range(h + 1, stop):
        if _total_row(g, r):
            end = r
            break
    else:
        # no 总分 row: the table ends before the next table's head (its 项目名称 row) or at the next header
        for r in range(h + 1, stop):
            if g.find(r, ("项目名称",)) is not None:
                end = r - 1
                break
    t = ReadTable(sheet=sheet, first_row=start + 1)
    _read_head(g, t, start, h)
    _read_lines(g, t, h, end)
    if end < stop and _total_row(g, end):
        _read_total(g, t, h, end)
    _read_grade(g, t, end, min(stop, end + 4))
    return t, end


def _total_row(g: _Grid, r: int) -> bool:
    return any(v in TOTAL_WORDS for v in g.norm[r][:6] if v)


def _read_head(g: _Grid, t: ReadTable, start: int, h: int) -> None:
    for r in range(start, h):
        for label, attr in ((("项目名称",), "project"), (("主管部门", "主管部门及代码"), "department"),
                            (("实施单位", "预算单位", "单位名称"), "unit_name")):
            c = g.find(r, label)
            if c is not None and not getattr(t, attr):
                setattr(t, attr, g.right_of(r, c))
        for v in g.rows[r]:
            if isinstance(v, str):
                if t.year is None and (m := _YEAR.search(v)):
                    t.year = int(m.group(1))
                if "万元" in v:
                    t.money_unit = "wan"
                elif re.search(r"单位[:：]\s*元|[（(]元[)）]", v):
                    t.money_unit = "yuan"
    for r in range(start, h):
        if g.find(r, F_EXECUTED) is not None and g.find(r, F_ANNUAL) is not None:
            _read_funds(g, t, r, h)
            break
    for r in range(start, h):
        c = g.find(r, ("预期目标",))
        a = g.find(r, ("实际完成情况", "实际完成目标", "全年实际完成情况"))
        if c is None:
            continue
        for rr in range(r + 1, min(h, r + 6)):
            exp = _text(g.rows[rr][c])
            if exp:
                t.expected_goal = exp
                t.achieved_goal = _text(g.rows[rr][a]) if a is not None else g.right_of(rr, c)
                break
        break


def _read_funds(g: _Grid, t: ReadTable, hr: int, h: int) -> None:
    cols = {"initial": g.find(hr, F_INITIAL), "annual": g.find(hr, F_ANNUAL), "executed": g.find(hr, F_EXECUTED)}
    weight_c, rate_c, score_c = g.find(hr, L_WEIGHT), g.find(hr, F_RATE), g.find(hr, L_SCORE)
    first_amount = min(c for c in cols.values() if c is not None)
    for r in range(hr + 1, h):
        if g.find(r, ("年度总体目标", "总体目标", "预期目标")) is not None or _is_indicator_header(g, r):
            break
        name = ""
        for v in g.rows[r][:first_amount]:
            text = _text(v)
            if text and not re.search(r"资金[(（]|项目资金|资金情况|^年度资金$", text):
                name = text
        amounts = {k: (_money(g.rows[r][c], t.money_unit, t.errors, r + 1, label) if c is not None else None)
                   for (k, c), label in zip(cols.items(), ("年初预算数", "全年预算数", "全年执行数"), strict=True)}
        if not name and all(v is None for v in amounts.values()):
            continue
        t.funds_rows.append(rules.FundsRow(name or "年度资金总额", **amounts))
        if len(t.funds_rows) == 1:  # the total row carries the weight, the rate and the score
            if weight_c is not None:
                t.execution_weight = _number(g.rows[r][weight_c], t.errors, r + 1, "分值")
            if score_c is not None:
                t.execution_score = _number(g.rows[r][score_c], t.errors, r + 1, "得分")
            if rate_c is not None:
                t.execution_rate_pct = _rate(g.rows[r][rate_c], t.funds_rows[0], t.errors, r + 1)


def _rate(value, head: rules.FundsRow, errors: list, row: int) -> Decimal | None:
    """A rate as written: "95.5%", 95.5, or Excel's 0.955 for a cell formatted as a percentage (taken as a fraction
    when that agrees better with the amounts, or when there are no amounts and it is at most 1)."""
    if _is_blank(value):
        return None
    text = _text(value)
    n = _number(value, errors, row, "执行率")
    if n is None or "%" in text or "％" in text:
        return n
    if head.annual and head.executed is not None:
        actual = Decimal(head.executed.fen) * 100 / Decimal(head.annual.fen)
        return n * 100 if abs(n * 100 - actual) < abs(n - actual) else n
    return n * 100 if isinstance(value, float) and n <= 1 else n


def _read_lines(g: _Grid, t: ReadTable, h: int, end: int) -> None:
    cols = {
        "level1": g.find(h, L_LEVEL1), "level2": g.find(h, L_LEVEL2), "name": g.find(h, L_NAME),
        "target": g.find(h, L_TARGET), "actual": g.find(h, L_ACTUAL), "weight": g.find(h, L_WEIGHT),
        "score": g.find(h, L_SCORE), "explain": g.find(h, L_EXPLAIN), "comparator": g.find(h, L_COMPARATOR),
        "unit": g.find(h, L_UNIT),
    }
    if cols["target"] is None or cols["actual"] is None:
        missing = "、".join(label for key, label in (("target", "年度指标值"), ("actual", "实际完成值"))
                           if cols[key] is None)
        t.errors.append(CellError(h + 1, missing, "指标表缺少该列，无法计分"))
    level1 = level2 = ""
    rows = range(h + 1, end + 1 if not _total_row(g, end) else end)
    for r in rows:
        if _is_indicator_header(g, r):
            continue
        row = g.rows[r]

        def cell(key, row=row):
            c = cols[key]
            return row[c] if c is not None else None

        l1, l2, name = _text(cell("level1")), _text(cell("level2")), _text(cell("name"))
        if l1:
            level1 = l1
        if l2:
            level2 = l2
        if l1 and not l2 and not name:  # a group row of its own: the level2 resets
            level2 = ""
        joined = " ".join(x for x in (l1, l2, name) if x)
        if (not name and any(w in joined for w in EXECUTION_WORDS)) or (
                name and any(w in name for w in EXECUTION_WORDS) and not _text(cell("target"))):
            t.execution_weight = _number(cell("weight"), t.errors, r + 1, "分值")
            t.execution_score = _number(cell("score"), t.errors, r + 1, "得分")
            continue
        if not name:
            if l2 and _text(cell("target")):  # a table without 三级: the 二级 column names the indicator
                name = l2
            else:
                continue
        if "小计" in name or name in TOTAL_WORDS:
            continue
        t.lines.append(read_line(t, r, cell, level1, level2, name))


def read_line(t: ReadTable, r: int, cell, level1: str, level2: str, name: str) -> ReadLine:
    errors, row = t.errors, r + 1
    target_raw, actual_raw = cell("target"), cell("actual")
    target_text, actual_text = _text(target_raw), _text(actual_raw)
    comparator = normalise_comparator(cell("comparator")) if cell("comparator") is not None else None
    s_cmp, target, s_unit = split_target(target_raw) if not _is_blank(target_raw) else (None, None, None)
    unit = _text(cell("unit")) or s_unit or ""
    comparator = comparator or s_cmp
    if target is not None and looks_like_date(target_text):
        target = None  # a deadline (时效): judged from the words of the result
    actual = None
    if not _is_blank(actual_raw):
        actual = parse_number(actual_raw)
        if actual is None:
            actual = split_target(actual_raw)[1] if not looks_like_date(actual_text) else None
        if (actual is not None and unit in ("%", "％") and isinstance(actual_raw, float) and actual <= Decimal("1.5")
                and target is not None and target > Decimal("1.5")):
            actual *= 100  # Excel's 0.96 in a cell formatted as a percentage
    if comparator in (None, "qualitative", "other") and target is not None and comparator != "qualitative":
        comparator = comparator or "ge"
    if target is None and comparator not in ("qualitative", "other"):
        comparator = "qualitative" if target_text else "other"
    tier = ""
    if comparator == "qualitative" or (actual is None and actual_text):
        tier = rules.tier_from_text(actual_text)
        if not tier and actual_text and normalise_label(actual_text) == normalise_label(target_text):
            tier = QualitativeTier.ACHIEVED  # the result written as the target's own words: reached
        if comparator != "qualitative":
            target = None  # a number was set but the result is words: judged by its tier
        if not tier:
            comparator = "other"
    weight = _number(cell("weight"), errors, row, "分值")
    score = _number(cell("score"), errors, row, "得分")
    explanation = _text(cell("explain"))
    line = rules.LineInput(comparator=comparator or "other", weight=weight, target=target, actual=actual, unit=unit,
                           level1=_level1(level1), tier=tier, judged=score if target is None else None,
                           explanation=explanation)
    return ReadLine(row, level1, level2, name, target_text, actual_text, line, score)


def _read_total(g: _Grid, t: ReadTable, h: int, r: int) -> None:
    score_c = g.find(h, L_SCORE)
    if score_c is not None:
        t.total = _number(g.rows[r][score_c], t.errors, r + 1, "得分")
    if t.total is None:  # "总分 | 100 | 91.5": the last number of the row
        numbers = [parse_number(v) for v in g.rows[r] if parse_number(v) is not None]
        if len(numbers) >= 2:
            t.total = numbers[-1]


def _read_grade(g: _Grid, t: ReadTable, h: int, stop: int) -> None:
    for r in range(h, stop):
        for c, v in enumerate(g.rows[r]):
            if not isinstance(v, str):
                continue
            norm = g.norm[r][c]
            if any(norm.startswith(label) for label in GRADE_LABELS):
                grade = grade_from_text(v) or grade_from_text(g.right_of(r, c))
                if grade:
                    t.grade = grade
                    return
