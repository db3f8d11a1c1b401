"""The self-evaluation sheet in Excel (项目支出绩效自评表, 10号 附1 layout): download one sheet filled with what the
system holds, fill it in offline, upload it back into `services.evaluation_save`.

Layout of the sheet "项目支出绩效自评表" (columns A..I visible, J hidden):

    项目支出绩效自评表 / （2026年度）
    项目名称 | …
    主管部门 | …                 | 实施单位 | …
    项目资金（万元） |  | 年初预算数 | 全年预算数 | 全年执行数 | 分值 | 执行率 | 得分
                     | 年度资金总额 | … ;  其中：当年财政拨款 / 上年结转资金 / 其他资金
    年度总体目标 | 预期目标 … | 实际完成情况 …
    绩效指标 | 一级指标 | 二级指标 | 三级指标 | 年度指标值 | 实际完成值 | 分值 | 得分 | 偏差原因分析及改进措施 |
        指标序号 (hidden)
    …
    总分 | … | 100 | 得分 ;  自评等级 ;  执行率偏低原因及整改措施 ;  自评结果偏低原因及整改措施

The upload is read by `jixiao.evaluation.sheet` (by label, as any published table), so a sheet copied into an office's
own template still reads; lines are matched by the hidden 指标序号, else by 三级指标 name. A very hidden sheet holds
the sheet's id and lock_version at download: a file downloaded before somebody else saved is refused as a whole
(download again), as is a file of another sheet. What cannot be read is refused with its Excel row and column; nothing
is written unless the whole file is valid.
"""

from __future__ import annotations

import io

from django.core.exceptions import ValidationError

from jixiao.core.money import Money
from jixiao.core.tabular import CellError, TableFormatError, normalise_label
from jixiao.core.workflow import ConcurrentEditError
from jixiao.core.xlsx import FormWriter, row_height
from jixiao.evaluation import rules, services
from jixiao.evaluation import sheet as reader
from jixiao.evaluation.models import SelfEvaluation, SelfEvaluationLine
from jixiao.policy.schema import Grade, QualitativeTier

SHEET_TITLE = "项目支出绩效自评表"
KEY_SHEET = "_jixiao_key"
KEY_MARKER = "jixiao-self-evaluation"
WIDTHS = [12, 12, 14, 28, 14, 14, 8, 8, 32, 6]
POSITION_LABEL = "指标序号"
EXPLANATION_LABELS = {"funds_explanation": "执行率偏低原因及整改措施",
                      "conclusion_explanation": "自评结果偏低原因及整改措施"}
TIER_WORDS = {QualitativeTier.ACHIEVED: "达成", QualitativeTier.PARTIAL: "部分达成",
              QualitativeTier.NOT_ACHIEVED: "未达成"}
MAX_BYTES = 10 * 1024 * 1024


def _target_text(ln: SelfEvaluationLine) -> str:
    if ln.comparator in ("qualitative", "other"):
        return ln.target_value
    return f"{ln.get_comparator_display()}{ln.target_value}{ln.unit if ln.target_number is not None else ''}"


def evaluation_workbook(ev: SelfEvaluation) -> bytes:
    import openpyxl
    from openpyxl.worksheet.datavalidation import DataValidation

    ev = SelfEvaluation.objects.select_related("round__fiscal_year", "subject", "department", "unit").get(pk=ev.pk)
    lines = list(ev.lines.order_by("position", "pk"))
    result = services.evaluation_result(ev, lines=lines)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    w = FormWriter(ws, WIDTHS)
    for i, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width = width
    wide = ev.subject.kind in ("department_wide", "unit_wide")
    w.span(1, 1, 9, "部门（单位）整体支出绩效自评表" if wide else SHEET_TITLE).font = w.st["title"]
    ws.cell(1, 1).alignment = w.st["center"]
    w.span(2, 1, 9, f"（{ev.round.fiscal_year.year}年度）").alignment = w.st["center"]
    w.span(3, 1, 1, "项目名称", label=True)
    w.span(3, 2, 9, ev.subject.name)
    w.span(4, 1, 1, "主管部门", label=True)
    w.span(4, 2, 4, ev.department.name if ev.department else "")
    w.span(4, 5, 5, "实施单位", label=True)
    w.span(4, 6, 9, ev.unit.name if ev.unit else "（部门本级）")
    w.span(5, 1, 1, "项目资金（万元）", label=True, row2=9)
    funds_header = ["", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分", "执行数更正说明"]
    for c, label in enumerate(funds_header, start=2):
        w.span(5, c, c, label or None, head=True)
    ex = result.execution
    w.span(6, 2, 2, "年度资金总额", label=True)
    for c, value in ((3, ev.initial_budget.wan), (4, ev.annual_budget.wan)):
        w.span(6, c, c, value, text=False).number_format = "0.00"
    w.span(6, 5, 5, ev.executed.wan, text=False, editable=True).number_format = "0.00"
    w.span(6, 6, 6, ex.weight, text=False)
    w.span(6, 7, 7, None if ex.rate is None else f"{rules.fmt(ex.shown_rate_pct)}%")
    w.span(6, 8, 8, ex.score, text=False)
    w.span(6, 9, 9, ev.executed_note, editable=True)
    for r, (key, label) in enumerate(services.BREAKDOWN_ROWS, start=7):
        row = ev.funds_breakdown.get(key, {})
        w.span(r, 2, 2, label, label=True)
        for c, col in enumerate(services.BREAKDOWN_COLUMNS, start=3):
            value = Money.parse(row[col]).wan if row.get(col) else None
            w.span(r, c, c, value, text=False, editable=True).number_format = "0.00"
        for c in (6, 7, 8, 9):
            w.span(r, c, c, "—")
    w.span(10, 1, 1, "年度总体目标", label=True, row2=11)
    w.span(10, 2, 5, "预期目标", head=True)
    w.span(10, 6, 9, "实际完成情况", head=True)
    w.span(11, 2, 5, ev.expected_goal)
    w.span(11, 6, 9, ev.achieved_goal, editable=True)
    ws.row_dimensions[11].height = row_height([(ev.expected_goal, w.width(2, 5)), (ev.achieved_goal, w.width(6, 9))]
                                              ) or 45
    header = ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
              "偏差原因分析及改进措施", POSITION_LABEL]
    for c, label in enumerate(header, start=1):
        w.span(12, c, c, label, head=True)
    r = 13
    for ln, ls in zip(lines, result.lines, strict=True):
        judged = ln.target_number is None
        w.span(r, 2, 2, ln.get_level1_display())
        w.span(r, 3, 3, ln.level2)
        w.span(r, 4, 4, ln.name)
        w.span(r, 5, 5, _target_text(ln))
        actual = TIER_WORDS.get(ln.tier, "") if judged and ln.comparator == "qualitative" else ln.actual_value
        w.span(r, 6, 6, actual, editable=True)
        w.span(r, 7, 7, ln.weight, text=False)
        w.span(r, 8, 8, ln.judged_score if judged else ls.score, text=False, editable=judged)
        w.span(r, 9, 9, ln.explanation, editable=True)
        w.span(r, 10, 10, ln.position, text=False)
        ws.row_dimensions[r].height = row_height([(ln.name, w.width(4, 4)), (ln.explanation, w.width(9, 9))])
        r += 1
    first_line, last_line = 13, r - 1
    if lines:
        w.span(first_line, 1, 1, "绩效指标", label=True, row2=last_line)
        tiers = DataValidation(type="list", formula1='"达成,部分达成,未达成"', allow_blank=True,
                               error="定性指标请填写：达成、部分达成、未达成（也可写文字说明）", showErrorMessage=False)
        ws.add_data_validation(tiers)
        for i, ln in enumerate(lines):
            if ln.comparator == "qualitative":
                tiers.add(f"F{first_line + i}")
    w.span(r, 1, 6, "总分", label=True)
    w.span(r, 7, 7, 100, text=False)
    w.span(r, 8, 8, result.total, text=False)
    w.span(r, 9, 9, f"自评等级：{Grade(result.grade).label}")
    r += 1
    for field, label in EXPLANATION_LABELS.items():
        w.span(r, 1, 3, label, label=True)
        w.span(r, 4, 9, getattr(ev, field), editable=True)
        ws.row_dimensions[r].height = 45
        r += 1
    ws.column_dimensions["J"].hidden = True
    ws.freeze_panes = "A13"
    key = wb.create_sheet(KEY_SHEET)
    key.sheet_state = "veryHidden"
    for i, (name, value) in enumerate([("marker", KEY_MARKER), ("evaluation_id", ev.pk),
                                       ("subject_code", ev.subject.code), ("lock_version", ev.lock_version)], start=1):
        key.cell(i, 1, name)
        key.cell(i, 2, str(value))
    wb.properties.title = f"{ev.subject.name}绩效自评表"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- reading ------------------------------------------------------------------------------------------------------
def _key(data: bytes) -> dict:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - not an .xlsx: the reader says what it is
        return {}
    try:
        if KEY_SHEET not in wb.sheetnames:
            return {}
        rows = {str(a): str(b) for a, b, *_ in wb[KEY_SHEET].iter_rows(values_only=True) if a is not None}
        return rows if rows.get("marker") == KEY_MARKER else {}
    finally:
        wb.close()


def _positions(data: bytes, filename: str, table: reader.ReadTable) -> dict[int, int]:
    """Excel row → the hidden 指标序号 (when the column survived)."""
    from jixiao.core.tabular import iter_workbook

    for name, rows in iter_workbook(data, filename):
        if name != table.sheet:
            continue
        for r, row in enumerate(rows):
            labels = [normalise_label(v) if isinstance(v, str) else "" for v in row]
            if POSITION_LABEL in labels:
                c = labels.index(POSITION_LABEL)
                out = {}
                for rr in range(r + 1, len(rows)):
                    v = rows[rr][c] if c < len(rows[rr]) else None
                    if isinstance(v, (int, float)) and float(v).is_integer():
                        out[rr + 1] = int(v)
                return out
    return {}


def _explanations(data: bytes, filename: str, table: reader.ReadTable) -> dict[str, str]:
    from jixiao.core.tabular import iter_workbook

    wanted = {normalise_label(label): field for field, label in EXPLANATION_LABELS.items()}
    out = {}
    for name, rows in iter_workbook(data, filename):
        if name != table.sheet:
            continue
        for row in rows:
            for c, v in enumerate(row):
                field = wanted.get(normalise_label(v)) if isinstance(v, str) else None
                if field:
                    rest = [x for x in row[c + 1:] if x not in (None, "")]
                    out[field] = str(rest[0]).strip() if rest else ""
    return out


def parse_upload(ev: SelfEvaluation, data: bytes, filename: str) -> tuple[dict, int | None]:
    """The workbook as `services.evaluation_save` data, and the lock_version it was downloaded at (None when the key
    is gone). Raises ValidationError with every problem, each naming its Excel row and column."""
    try:
        result = reader.read_workbook(data, filename)
    except TableFormatError as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    if result.errors:
        raise ValidationError({"file": [str(e) for e in result.errors]})
    key = _key(data)
    if key and key.get("evaluation_id") != str(ev.pk):
        raise ValidationError({"file": [f"这是另一张自评表（项目编码 {key.get('subject_code', '')}）的文件，"
                                        "请上传本项目的自评表"]})
    tables = result.tables
    if len(tables) > 1:
        tables = [t for t in tables if t.project == ev.subject.name] or tables[:1]
    table = tables[0]
    errors: list[CellError] = list(table.errors)
    lines = {ln.position: ln for ln in ev.lines.all()}
    by_name: dict[str, list[SelfEvaluationLine]] = {}
    for ln in lines.values():
        by_name.setdefault(normalise_label(ln.name), []).append(ln)
    positions = _positions(data, filename, table)
    out_lines: dict[str, dict] = {}
    for read in table.lines:
        ln = lines.get(positions.get(read.row, -1))
        if ln is None:
            same = by_name.get(normalise_label(read.name), [])
            ln = same[0] if len(same) == 1 else None
        if ln is None:
            errors.append(CellError(read.row, "三级指标", f"“{read.name}”不是本项目绩效目标中的指标（不能增删指标）"))
            continue
        item: dict = {"explanation": read.line.explanation}
        if ln.target_number is None:
            tier = rules.tier_from_text(read.actual_text) if ln.comparator == "qualitative" else ""
            if ln.comparator == "qualitative" and read.actual_text and not tier:
                errors.append(CellError(read.row, "实际完成值",
                                        f"“{read.actual_text}”无法识别为达成、部分达成或未达成"))
            item.update({"tier": tier, "actual_value": "" if tier else read.actual_text,
                         "judged_score": "" if read.score is None else str(read.score)})
        else:  # the number as read (Excel's 0.95 in a percentage column is 95), else the words for the checks
            item["actual_value"] = read.actual_text if read.line.actual is None else rules.fmt(read.line.actual)
        out_lines[str(ln.position)] = item
    if errors:
        raise ValidationError({"file": [str(e) for e in errors[:200]]})
    out: dict = {"lines": out_lines, "achieved_goal": table.achieved_goal}
    if table.funds_rows:
        head = table.funds_rows[0]
        if head.executed is not None:
            out["executed"] = str(head.executed.yuan)
        breakdown = {}
        for (k, _label), row in zip(services.BREAKDOWN_ROWS, table.funds_rows[1:], strict=False):
            breakdown[k] = {c: ("" if getattr(row, c) is None else str(getattr(row, c).yuan))
                            for c in services.BREAKDOWN_COLUMNS}
        if breakdown:
            out["funds_breakdown"] = breakdown
    out.update(_explanations(data, filename, table))
    version = key.get("lock_version")
    return out, int(version) if version and version.isdigit() else None


def upload(*, actor, evaluation: SelfEvaluation, data: bytes, filename: str) -> dict[str, list[str]]:
    """Read the workbook and save it into the sheet (atomic, checked as the screen's form is). A file downloaded
    before the sheet last changed is refused: ConcurrentEditError."""
    if len(data) > MAX_BYTES:
        raise ValidationError({"file": [f"文件过大，上限为{MAX_BYTES // 1024 // 1024}MB"]})
    parsed, version = parse_upload(evaluation, data, filename)
    if version is not None and version != evaluation.lock_version:
        raise ConcurrentEditError("该自评表在您下载后已被修改，请重新下载最新的Excel后再填写上传")
    return services.evaluation_save(actor=actor, evaluation=evaluation, data=parsed,
                                    expected_lock_version=evaluation.lock_version)
