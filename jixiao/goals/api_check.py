"""Check without saving (试校验), mounted at /api/goals/check/: post a goal sheet as JSON or upload it as Excel/CSV and
get the findings of the submission checks back. Nothing is stored; any logged-in user may call it.

The rules applied are those of a policy profile: `preset` (a named preset, e.g. "national_2020"), or `region_id` and
`year` (the effective profile of that region and year; the caller must be able to read that region's profile), or by
default the caller's own region and the sheet's year (else the current budget year). Amounts are decimal strings of
yuan ("1234.56"), never floats. Input that is not a goal sheet gives 400 with a Chinese message per field.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import PurePath

from django.core.exceptions import PermissionDenied, ValidationError
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field, field_validator

from jixiao.core.api import ErrorOut, api_actor
from jixiao.goals import checking
from jixiao.goals.excel import MAX_BYTES, read_sheet

router = Router()


def _amount(value):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise ValueError("金额应为字符串，如 \"1234.56\"")
    if isinstance(value, int):
        return str(value)
    raise ValueError("金额应以元为单位的字符串传递（如 \"1234.56\"），不接受浮点数")


class HistoryIn(Schema):
    last_year_target: str = Field("", description="上年指标值")
    last_year_actual: str = Field("", description="上年实际完成值")
    year_before_actual: str = Field("", description="前年实际完成值")


class StandardIn(Schema):
    name: str = Field("", description="支出标准名称")
    amount: str = Field(description="每单位产出的标准金额，元，十进制字符串")
    output_unit: str = Field("", description="产出单位，如 人、平方米")
    source: str = Field("", description="出处")

    @field_validator("amount", mode="before")
    @classmethod
    def _no_floats(cls, value):
        return _amount(value)


class RowIn(Schema):
    row: int | None = Field(None, description="行号（报告中引用）；缺省为在 rows 中的序号（从1起）")
    level1: str = Field("", description="一级指标：cost/output/benefit/satisfaction 或 "
                                        "成本指标/产出指标/效益指标/满意度指标")
    level2: str = Field("", description="二级指标，如 数量指标")
    name: str = Field("", description="三级指标（指标名称）")
    comparator: str = Field("", description="计算符号：ge/gt/eq/lt/le/qualitative/other 或 "
                                            "≥ ＞ ＝ ＜ ≤ 定性 定量(其他)")
    target_value: str = Field("", description="指标值（按文本）")
    unit: str = Field("", description="计量单位")
    weight: Decimal | None = Field(None, description="权重（分值）")
    explanation: str = Field("", description="指标解释")
    value_basis: str = Field("", description="指标值设定依据：plan/industry/history/spending_standard/other 或中文")
    value_method: str = Field("", description="取值方式")
    data_source: str = Field("", description="数据来源")
    evidence_type: str = Field("", description="佐证材料")
    value_note: str = Field("", description="指标值说明（定量(其他)须填）")
    indicator_id: int | None = Field(None, description="引用的库内指标 id")
    history: HistoryIn | None = None
    standard: StandardIn | None = None


class MainTaskIn(Schema):
    name: str = ""
    content: str = ""
    amount: str | None = Field(None, description="预算金额，元，十进制字符串")

    @field_validator("amount", mode="before")
    @classmethod
    def _no_floats(cls, value):
        return _amount(value)


class SheetIn(Schema):
    """A goal sheet (the fields of 项目支出绩效目标申报表 and its indicator rows)."""

    kind: str = Field("project", description="project, policy, department_wide, unit_wide, transfer_whole, "
                                             "transfer_region, transfer_project")
    frame_code: str = Field("", description="指标框架代码；空 = 按政策配置的默认框架")
    subject_code: str = Field("", description="项目编码")
    subject_name: str = Field("", description="项目名称")
    department_name: str = ""
    unit_name: str = ""
    fiscal_year: int | None = Field(None, description="预算年度")
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    subject_type: str = Field("", description="项目类型（按文本）")
    is_new: bool | None = None
    allocation_method: str = Field("", description="factor（因素法）、project（项目法）、other 或空")
    special_category: str = Field("", description="ppp、procurement、purchase_of_services、special_bond、"
                                                  "investment_fund 或空")
    category: str = Field("", description="construction（工程基建类）、major_repair_purchase、information_system 或空")
    has_quality_standard: bool = False
    is_key: bool = False
    total_amount: str | None = Field(None, description="项目总金额，元，十进制字符串")
    annual_amount: str | None = Field(None, description="年度金额，元，十进制字符串")
    policy_basis: str = ""
    calculation_basis: str = ""
    overall_goal: str = Field("", description="中长期（总体）目标")
    annual_goal: str = Field("", description="年度目标")
    duties: str = Field("", description="部门职能/年度履职目标（部门、单位整体目标）")
    main_tasks: list[MainTaskIn] = Field(default_factory=list, description="年度主要任务（部门、单位整体目标）")
    multi_year_benefit: str = ""
    survey_plan: str = ""
    rows: list[RowIn] = Field(default_factory=list, description="绩效指标行")

    @field_validator("total_amount", "annual_amount", mode="before")
    @classmethod
    def _no_floats(cls, value):
        return _amount(value)

    @field_validator("rows", "main_tasks", mode="before")
    @classmethod
    def _objects(cls, value):
        if isinstance(value, list) and not all(isinstance(x, (dict, Schema)) for x in value):
            raise ValueError("每一项应为对象")
        return value


class CheckIn(Schema):
    sheet: SheetIn
    preset: str | None = Field(None, description="按预设校验，如 national_2020（与 region_id 二选一）")
    region_id: int | None = Field(None, description="按该区划的现行政策配置校验；缺省为当前用户所在区划")
    year: int | None = Field(None, description="政策配置年度；缺省为表中预算年度，再缺省为当前预算年度")

    @field_validator("sheet", mode="before")
    @classmethod
    def _an_object(cls, value):
        if not isinstance(value, (dict, SheetIn)):  # ninja's Schema would read attributes off anything
            raise ValueError("应为绩效目标表对象")
        return value


class FindingOut(Schema):
    severity: str = Field(description="error（阻止提交）或 warning（提示）")
    rule: str = Field(description="规则代码：X-… 为读取问题，G… 为绩效目标规则")
    message: str
    basis: str = Field(description="所依据的规定")
    row: int | None = Field(description="行号（Excel 行号或 rows 中的行号）；表头问题为空")
    field: str = Field(description="列名或表头栏目")


class CheckOut(Schema):
    ok: bool = Field(description="没有错误（可以提交）")
    errors: int
    warnings: int
    filename: str
    params: str = Field(description="所用政策配置")
    profile_id: int | None
    sheet: dict = Field(description="读取到的表：项目编码、名称、金额（元）、指标行数、各一级指标权重")
    findings: list[FindingOut]


RESPONSES = {200: CheckOut, 400: ErrorOut, 403: ErrorOut}


def _params(request, *, preset: str | None, region_id: int | None, year: int | None, sheet_year: int | None):
    from jixiao.organisations.models import Region
    from jixiao.policy import selectors

    actor = api_actor(request)
    if preset and region_id is not None:
        raise ValidationError({"preset": ["preset 与 region_id 只能指定其一"]})
    if year is not None and not 2000 <= year <= 2100:
        raise ValidationError({"year": ["年度应在2000至2100之间"]})
    if preset:
        return checking.params_for(preset=preset)
    if region_id is not None:
        region = Region.objects.filter(pk=region_id).first()
        if region is None:
            raise ValidationError({"region_id": [f"区划“{region_id}”不存在"]})
        if not selectors.can_read_region(actor, region):
            raise PermissionDenied("您无权使用该区划的政策配置")
    else:
        region = selectors.default_region(actor)
        if region is None:
            return checking.params_for()
    return checking.params_for(region=region, year=year or sheet_year)


def _out(report: checking.CheckReport) -> dict:
    return report.as_dict()


def _prefixed(exc: ValidationError, prefix: str) -> ValidationError:
    return ValidationError({f"{prefix}.{k}": v for k, v in exc.message_dict.items()})


@router.post("/json", response=RESPONSES, summary="校验 JSON 格式的绩效目标表（不保存）",
             description="按提交时的全部规则校验绩效目标表，返回问题清单（error 阻止提交，warning 为提示）；"
                         "不写入任何数据。金额为以元为单位的十进制字符串。")
def check_json(request, payload: CheckIn):
    sheet = payload.sheet.dict()
    params = _params(request, preset=payload.preset, region_id=payload.region_id, year=payload.year,
                     sheet_year=sheet.get("fiscal_year"))
    try:
        report = checking.check_json(sheet, params)
    except ValidationError as exc:
        raise _prefixed(exc, "sheet") from None
    return _out(report)


@router.post("/upload", response=RESPONSES, summary="校验上传的绩效目标申报表 Excel（不保存）",
             description="上传 .xlsx、.xls 或 .csv 格式的项目支出绩效目标申报表，按标签识别表头和指标表，返回读取问题"
                         "（X-…，如金额单位、日期序列号、指标值写在名称中）和提交规则的问题；不写入任何数据。")
def check_upload(request, file: File[UploadedFile], preset: Form[str | None] = None,
                 region_id: Form[int | None] = None, year: Form[int | None] = None):
    name = PurePath(file.name or "").name
    if not name.lower().endswith(checking.SHEET_SUFFIXES):
        raise ValidationError({"file": ["只能上传 .xlsx、.xls 或 .csv 文件"]})
    if file.size is not None and file.size > MAX_BYTES:
        raise ValidationError({"file": [f"文件过大，上限为{MAX_BYTES // 1024 // 1024}MB"]})
    data = b"".join(file.chunks())
    sheet, parse_findings = read_sheet(data, name)
    unreadable = [f.message for f in parse_findings if f.rule == "X-file"]
    if unreadable:
        raise ValidationError({"file": unreadable})
    params = _params(request, preset=preset, region_id=region_id, year=year, sheet_year=sheet.fiscal_year)
    return _out(checking.check_read(sheet, parse_findings, name, params))
