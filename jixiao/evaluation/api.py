"""REST API of evaluation (绩效评价), mounted at /api/evaluation/.

Trial scoring (试算), nothing saved: post a self-evaluation sheet as JSON, or upload a workbook of published tables
(项目支出绩效自评表, one or many), and get every line's score under the chosen profile with the reason, the total and
grade, the explanations a submission would require, and what is inconsistent in the scores the sheet already carries
(weights, totals, funds, rates, bands, grade). The profile is `preset` (e.g. "national_2020"), or `region_id` and
`year` (the effective profile; the caller must be able to read that region), or by default the caller's own region
and the sheet's year. Amounts are decimal strings of yuan, scores decimal strings; floats are refused.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field, field_validator

from jixiao.core.api import ErrorOut, api_actor, no_float
from jixiao.core.money import Money, MoneyParseError
from jixiao.evaluation import sheet as reader
from jixiao.evaluation.trial import trial, trial_table
from jixiao.policy.schema import Grade

router = Router()

MAX_JSON_LINES = 500
MAX_TABLES = 2000
SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")


def _decimal_text(value):
    return no_float(value, "95.5")


class FundsIn(Schema):
    initial: str | None = Field(None, description="年初预算数，元，十进制字符串")
    annual: str = Field(description="全年预算数，元")
    executed: str = Field(description="全年执行数，元")
    other_rows: list[dict] = Field(default_factory=list, description="其中各行：{name, initial, annual, executed}")
    rate_pct: str | None = Field(None, description="表中填写的执行率（%），用于一致性检查")
    weight: str | None = Field(None, description="预算执行率分值；缺省为 100 减各指标分值之和")
    score: str | None = Field(None, description="表中填写的执行率得分")
    finished: bool | None = Field(None, description="项目是否已完成（分档计分时完成且未超预算得满分）")

    @field_validator("initial", "annual", "executed", "rate_pct", "weight", "score", mode="before")
    @classmethod
    def _no_floats(cls, value):
        return no_float(value, "12000.50")


class LineIn(Schema):
    level1: str = Field("", description="一级指标（产出指标/效益指标/满意度指标/成本指标）")
    level2: str = Field("", description="二级指标")
    name: str = Field(min_length=1, max_length=200, description="三级指标")
    comparator: str = Field("", description="计算符号（≥ ＞ ＝ ＜ ≤ 定性，或 ge/gt/eq/lt/le/qualitative）；"
                                            "缺省从指标值读")
    target: str = Field("", description="年度指标值（按文本，如 ≥95%）")
    actual: str = Field("", description="实际完成值（按文本，如 96% 或 达成）")
    unit: str = Field("", description="计量单位")
    weight: str | None = Field(None, description="分值")
    score: str | None = Field(None, description="表中填写的得分（定性指标即单位自评打分）")
    explanation: str = Field("", description="偏差原因分析及改进措施")
    overshoot_reason: str = Field("", description="超额原因：target_too_low/external/extra_funds/efficiency/other")

    @field_validator("weight", "score", mode="before")
    @classmethod
    def _no_floats(cls, value):
        return _decimal_text(value)


class TrialIn(Schema):
    funds: FundsIn | None = None
    lines: list[LineIn] = Field(min_length=1)
    total: str | None = Field(None, description="表中填写的总分")
    grade: str = Field("", description="表中填写的等级（优/良/中/差 或 excellent/good/fair/poor）")
    year: int | None = Field(None, ge=2000, le=2100, description="政策配置年度")
    preset: str | None = Field(None, description="按预设计分，如 national_2020（与 region_id 二选一）")
    region_id: int | None = Field(None, description="按该区划的现行政策配置计分；缺省为当前用户所在区划")

    @field_validator("total", mode="before")
    @classmethod
    def _no_floats(cls, value):
        return _decimal_text(value)


class TrialOut(Schema):
    params: str = Field(description="所用政策配置")
    profile_id: int | None
    result: dict = Field(description="funds（执行率及得分）、lines（每行得分、计分方法、理由、问题）、total、grade、"
                                     "findings（与表中已填分数的不一致）、problems（提交时须补充的说明）")


class UploadOut(Schema):
    params: str
    profile_id: int | None
    filename: str
    tables: list[dict] = Field(description="读到的每张自评表，内容同 TrialOut.result，另有 sheet、project、"
                                           "read_errors 等")
    consistent: int = Field(description="没有不一致之处的表数")


RESPONSES = {200: TrialOut, 400: ErrorOut, 403: ErrorOut}


def _chosen(request, *, preset: str | None, region_id: int | None, year: int | None):
    from jixiao.organisations.models import Region
    from jixiao.policy import selectors

    actor = api_actor(request)
    if preset and region_id is not None:
        raise ValidationError({"preset": ["preset 与 region_id 只能指定其一"]})
    if year is not None and not 2000 <= year <= 2100:
        raise ValidationError({"year": ["年度应在2000至2100之间"]})
    if preset:
        return selectors.chosen_params(preset=preset)
    if region_id is not None:
        region = Region.objects.filter(pk=region_id).first()
        if region is None:
            raise ValidationError({"region_id": [f"区划“{region_id}”不存在"]})
        if not selectors.can_read_region(actor, region):
            raise PermissionDenied("您无权使用该区划的政策配置")
    else:
        region = selectors.default_region(actor)
    return selectors.chosen_params(region=region, year=year)


def _money(text: str | None, field: str) -> Money | None:
    if text in (None, ""):
        return None
    try:
        return Money.parse(text)
    except MoneyParseError as exc:
        raise ValidationError({field: [str(exc)]}) from None


def _dec(text: str | None, field: str) -> Decimal | None:
    if text in (None, ""):
        return None
    from jixiao.goals.values import parse_number

    n = parse_number(text)
    if n is None:
        raise ValidationError({field: [f"“{text}”不是数值"]})
    return n


def _grade(text: str) -> str:
    if not text:
        return ""
    if text in Grade.values:
        return text
    grade = reader.grade_from_text(text)
    if not grade:
        raise ValidationError({"grade": [f"等级“{text}”无法识别，应为 优/良/中/差"]})
    return grade


def published_from_json(payload: TrialIn):
    """The posted sheet as the rules' PublishedSheet, cells read by the same code as an uploaded table's."""
    from jixiao.indicators.models import Comparator

    table = reader.ReadTable(sheet="", first_row=0, money_unit="yuan")
    for i, ln in enumerate(payload.lines):
        weight = _dec(ln.weight, f"lines.{i}.weight")
        score = _dec(ln.score, f"lines.{i}.score")
        comparator = ln.comparator.strip()
        if comparator and comparator not in Comparator.values:
            from jixiao.goals.values import normalise_comparator

            if normalise_comparator(comparator) is None:
                raise ValidationError({f"lines.{i}.comparator": [f"计算符号“{comparator}”无法识别"]})
        cells = {"target": ln.target, "actual": ln.actual, "weight": None, "score": None,
                 "explain": ln.explanation, "comparator": comparator or None, "unit": ln.unit}
        read = reader.read_line(table, i, cells.get, ln.level1, ln.level2, ln.name)  # as an uploaded cell is read
        read.line.weight, read.score = weight, score
        if read.line.target is None:
            read.line.judged = score
        if ln.overshoot_reason:
            from jixiao.evaluation.rules import OVERSHOOT_REASONS

            if ln.overshoot_reason not in OVERSHOOT_REASONS:
                raise ValidationError({f"lines.{i}.overshoot_reason": ["超额原因取值不在允许范围内"]})
            read.line.overshoot_reason = ln.overshoot_reason
        table.lines.append(read)
    f = payload.funds
    if f is not None:
        from jixiao.evaluation.rules import FundsRow

        table.funds_rows.append(FundsRow("年度资金总额", _money(f.initial, "funds.initial"),
                                         _money(f.annual, "funds.annual"), _money(f.executed, "funds.executed")))
        for j, row in enumerate(f.other_rows):
            if not isinstance(row, dict):
                raise ValidationError({f"funds.other_rows.{j}": ["应为对象"]})
            table.funds_rows.append(FundsRow(
                str(row.get("name", "") or f"其中第{j + 1}行"),
                *(_money(row.get(k), f"funds.other_rows.{j}.{k}") for k in ("initial", "annual", "executed"))))
        weights = sum((ln.line.weight or Decimal(0) for ln in table.lines), Decimal(0))
        table.execution_weight = _dec(f.weight, "funds.weight")
        if table.execution_weight is None:
            table.execution_weight = max(Decimal(100) - weights, Decimal(0))
        table.execution_rate_pct = _dec(f.rate_pct, "funds.rate_pct")
        table.execution_score = _dec(f.score, "funds.score")
    table.total = _dec(payload.total, "total")
    table.grade = _grade(payload.grade)
    finished = f.finished if f is not None else None
    sheet = table.published()
    sheet.finished = finished
    return table, sheet


@router.post("/trial", response=RESPONSES, summary="试算一张自评表（JSON，不保存）",
             description="按所选政策配置为每个指标计分并给出理由，计算执行率得分、总分和等级，列出提交时须补充的说明，"
                         "并检查表中已填分数的一致性（分值合计、总分、资金、执行率、定性档次、等级）。不写入任何数据。")
def trial_json(request, payload: TrialIn):
    if len(payload.lines) > MAX_JSON_LINES:
        raise ValidationError({"lines": [f"指标行过多（上限 {MAX_JSON_LINES} 行）"]})
    chosen = _chosen(request, preset=payload.preset, region_id=payload.region_id, year=payload.year)
    table, sheet = published_from_json(payload)
    if table.funds_rows:
        result = trial(sheet, chosen.params.self_evaluation, names=[ln.name for ln in table.lines],
                       targets=[ln.target_text for ln in table.lines], actuals=[ln.actual_text for ln in table.lines])
    else:
        result = trial(sheet, chosen.params.self_evaluation, names=[ln.name for ln in table.lines])
    return {"params": chosen.label, "profile_id": chosen.profile_id, "result": result}


def read_upload(file) -> tuple[str, reader.ReadResult]:
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


@router.post("/trial/upload", response={200: UploadOut, 400: ErrorOut, 403: ErrorOut},
             summary="试算上传的自评表 Excel（不保存）",
             description="上传 .xlsx、.xls 或 .csv，按标签识别其中的每张项目支出绩效自评表（可一表一页或多表一页），"
                         "逐张试算并检查一致性；读不懂的单元格按行列说明。不写入任何数据。")
def trial_upload(request, file: File[UploadedFile], preset: Form[str | None] = None,
                 region_id: Form[int | None] = None, year: Form[int | None] = None):
    name, result = read_upload(file)
    years = {t.year for t in result.tables if t.year}
    chosen = _chosen(request, preset=preset, region_id=region_id,
                     year=year or (years.pop() if len(years) == 1 else None))
    tables = [trial_table(t, chosen.params.self_evaluation) for t in result.tables]
    return {"params": chosen.label, "profile_id": chosen.profile_id, "filename": name, "tables": tables,
            "consistent": sum(1 for t in tables if t["consistent"])}
