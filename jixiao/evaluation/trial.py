"""Trial scoring (试算) and screening of self-evaluation sheets: score a sheet under a chosen profile and return every
line's score and reason, and what is inconsistent in the scores the sheet already carries. Nothing is saved.

Input is either a table read from an uploaded workbook (`sheet.read_workbook`) or a sheet posted as JSON (the API's
`TrialSheetIn`, turned into the same `rules.PublishedSheet`). The result is plain JSON-ready data: decimals as
strings, money as yuan strings, messages in Chinese naming the Excel row where there is one.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError

from jixiao.core.money import Money
from jixiao.evaluation import rules
from jixiao.evaluation import sheet as reader
from jixiao.evaluation.sheet import ReadTable
from jixiao.policy.schema import Grade, SelfEvaluationParams

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
MAX_TABLES = 2000


def _d(value: Decimal | None) -> str | None:
    return None if value is None else rules.fmt(value)


def _m(value: Money | None) -> str | None:
    return None if value is None else str(value.yuan)


def _where(loc: tuple, rows: list[int] | None, names: list[str]) -> tuple[int | None, str]:
    """(Excel row or None, the line's name) for a finding's location."""
    if loc and loc[0] == "lines":
        i = loc[1]
        return (rows[i] if rows else None), names[i]
    return None, ""


def _message(text: str, loc: tuple, rows: list[int] | None, names: list[str]) -> str:
    row, name = _where(loc, rows, names)
    if loc and loc[0] == "lines":
        body = text.split("：", 1)[1] if "：" in text else text
        where = f"第{row}行" if row else f"第{loc[1] + 1}项指标"
        return f"{where}“{name}”：{body}"
    return text


def trial(sheet: rules.PublishedSheet, params: SelfEvaluationParams, *, names: list[str],
          rows: list[int] | None = None, targets: list[str] | None = None, actuals: list[str] | None = None,
          money_tolerance: Money | None = None) -> dict:
    findings, fresh = rules.check_published(sheet, params, money_tolerance=money_tolerance)
    if fresh is None:  # no funds block: score the indicators alone
        fresh = rules.score_sheet(rules.SheetInput(rules.FundsInput(Money(0), Money(0)), Decimal(0), [
            ln if ln.judged is not None or s is None else _with_judged(ln, s)
            for ln, s in zip(sheet.lines, sheet.scores, strict=True)]), params)
    per_line: dict[int, list[str]] = {}
    out_findings = []
    for f in findings:
        msg = _message(f.message, f.loc, rows, names)
        out_findings.append({"code": f.code, "field": ".".join(str(x) for x in f.loc), "row": _where(f.loc, rows,
                                                                                                       names)[0],
                             "message": msg})
        if f.loc and f.loc[0] == "lines":
            per_line.setdefault(f.loc[1], []).append(msg)
    problems = []
    for p in fresh.problems:
        msg = _message(p.message, p.loc, rows, names)
        problems.append({"field": ".".join(str(x) for x in p.loc), "row": _where(p.loc, rows, names)[0],
                         "message": msg, "blocking": p.blocking})
    ex = fresh.execution
    head = sheet.funds_rows[0] if sheet.funds_rows else None
    lines = []
    for i, (ls, claimed) in enumerate(zip(fresh.lines, sheet.scores, strict=True)):
        ln = ls.line
        lines.append({
            "row": rows[i] if rows else None, "name": names[i],
            "target": targets[i] if targets else _d(ln.target), "actual": actuals[i] if actuals else _d(ln.actual),
            "comparator": ln.comparator, "tier": ln.tier, "weight": _d(ln.weight), "claimed_score": _d(claimed),
            "score": _d(ls.score), "method": ls.method, "reason": ls.explain(),
            "differs": claimed is not None and ls.score != claimed, "findings": per_line.get(i, []),
        })
    return {
        "funds": {
            "rows": [{"name": r.name, "initial": _m(r.initial), "annual": _m(r.annual), "executed": _m(r.executed)}
                     for r in sheet.funds_rows],
            "weight": _d(ex.weight), "rate_pct": _d(ex.rate_pct), "shown_rate_pct": _d(ex.shown_rate_pct),
            "claimed_rate_pct": _d(sheet.execution_rate_pct), "score": _d(ex.score),
            "claimed_score": _d(sheet.execution_score),
            "reason": ex.explain(rules.FundsInput(head.annual or Money(0), head.executed or Money(0)))
            if head else "表中没有资金情况，未计算预算执行率得分",
        },
        "lines": lines,
        "total": _d(fresh.total), "grade": fresh.grade, "grade_label": Grade(fresh.grade).label,
        "claimed_total": _d(sheet.total), "claimed_grade": sheet.grade,
        "claimed_grade_label": Grade(sheet.grade).label if sheet.grade else "",
        "total_reason": fresh.explain_total(),
        "findings": out_findings, "problems": problems,
        "consistent": not out_findings,
    }


def _with_judged(ln: rules.LineInput, score: Decimal) -> rules.LineInput:
    return rules.LineInput(**{f: getattr(ln, f) for f in rules.LineInput.__slots__} | {"judged": score})


def trial_table(table: ReadTable, params: SelfEvaluationParams) -> dict:
    # amounts read from 万元 with two decimals agree within a unit of the last digit per 其中 row
    per_row = Money.from_wan("0.01") if table.money_unit == "wan" else Money.from_yuan("0.01")
    tolerance = Money(per_row.fen * max(len(table.funds_rows) - 1, 1))
    result = trial(table.published(), params, names=[ln.name for ln in table.lines],
                   rows=[ln.row for ln in table.lines], targets=[ln.target_text for ln in table.lines],
                   actuals=[ln.actual_text for ln in table.lines], money_tolerance=tolerance)
    result.update({
        "sheet": table.sheet, "first_row": table.first_row, "project": table.project, "department": table.department,
        "unit": table.unit_name, "year": table.year, "money_unit": "万元" if table.money_unit == "wan" else "元",
        "expected_goal": table.expected_goal, "achieved_goal": table.achieved_goal,
        "read_errors": [e.as_dict() | {"message": str(e)} for e in table.errors],
    })
    for ln_out, ln in zip(result["lines"], table.lines, strict=True):
        ln_out["level1"], ln_out["level2"] = ln.level1, ln.level2
    return result


def read_upload(file) -> tuple[str, reader.ReadResult]:
    """An uploaded workbook (a Django UploadedFile) read into its tables; a bad file raises ValidationError naming
    the file."""
    name = PurePath(file.name or "").name
    if not name.lower().endswith(SUFFIXES):
        raise ValidationError({"file": ["只能上传 .xlsx、.xls 或 .csv 文件"]})
    if file.size is not None and file.size > settings.IMPORT_MAX_BYTES:
        raise ValidationError({"file": [f"文件过大，上限为{settings.IMPORT_MAX_BYTES // 1024 // 1024}MB"]})
    from jixiao.core.tabular import TableFormatError

    try:
        result = reader.read_workbook(b"".join(file.chunks()), name)
    except TableFormatError as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    if result.errors:
        raise ValidationError({"file": [str(e) for e in result.errors]})
    if len(result.tables) > MAX_TABLES:
        raise ValidationError({"file": [f"一次最多试算 {MAX_TABLES} 张表，本文件有 {len(result.tables)} 张，"
                                        "请分批上传"]})
    return name, result
