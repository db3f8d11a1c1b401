"""The typed parameter set of a policy profile (政策配置参数), one section per stage of the cycle.

Every rule number the system uses (thresholds, weights, bands, deadlines, frames) is a field here, with a Chinese
title, a description that names its source document (文号), and constraints. A profile row stores
`PolicyParams.model_dump(mode="json")` complete, so a stored version always reads back the same numbers.

Conventions:
- Money thresholds are `Decimal` **元** with at most two decimals (fen-exact; `money()` gives a `Money`); never float.
- Percentages are `Decimal` in percent (30 means 30%), 0-100 unless the field says otherwise.
- Scores are points out of 100. Grade and colour bands are lists of lower bounds, strictly descending, the last 0:
  a value belongs to the first band whose lower bound it reaches, so bands are half-open ([80, 90) is 良) and leave no
  gap such as 89.5.
- Dates within a year are "MM-DD" month-days (`MonthDay`); 2月29日 is refused because most years lack it.
- Deadlines in 工作日 are counted by the caller with the public-holiday calendar; plain 天 are calendar days.
- Cross-field checks live in each section's `_problems()` and are reported with the path of the offending field.

The defaults are the national default (preset "national_2020"); local variants are in `jixiao.policy.presets`.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models import TextChoices
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from jixiao.core.money import Money

SCHEMA_VERSION = 1

# --- sources (文号), quoted in field descriptions --------------------------------------------------------------
S_34 = "中发〔2018〕34号"
S_167 = "财预〔2018〕167号"
S_10 = "财预〔2020〕10号"
S_101 = "财预〔2021〕101号"
S_61 = "财预〔2021〕61号"
S_PPP = "财金〔2020〕13号"
S_PURCHASE = "财综〔2018〕42号"
S_136 = "财预〔2019〕136号（第一章以外为回忆，经河南省办法印证）"
S_6 = "财预〔2021〕6号"
S_HN_MON = "河南省省级预算绩效运行监控管理办法 第十一、十二条"
S_HN_BOND = "河南省政府专项债券项目资金绩效管理办法"
S_HN_EXANTE = "河南省省级预算项目政策事前绩效评估管理办法"
S_ZZ_EXANTE = "郑州市市级新增重大支出政策和项目事前绩效评估管理实施暂行办法（2023-08-08）"
S_ZZ_GOAL = "郑州市市级部门预算绩效目标管理办法（郑发〔2020〕2号配套）"
S_ZZ_MON = "郑州市市级预算绩效运行监控管理办法 第八条"
S_ZZ_RESULT = "河南省/郑州市预算绩效评价结果应用管理办法"
S_HAILIN = "海财发〔2021〕14号（海林市2021年预算绩效管理提质增效行动方案）"
S_PUTUO = "上海市普陀区2023年全面实施预算绩效管理情况（2024-08-15）"
S_TONGLIAO = "通辽市全面实施预算绩效管理十项举措"
S_QINGXI = "清溪镇全面实施预算绩效管理实施方案（2019-12）"
S_SC = "川财绩〔2025〕10号（第三方摘要，非原文）"
S_FASP = "财政部预算管理一体化绩效模块（实现代码，非政策原文）"
S_INFERRED = "推断：无正式文件规定，供本地确定"
S_AGENCY = "财监〔2021〕4号"
S_95 = "财预〔2023〕95号"


# --- choices ------------------------------------------------------------------------------------------------------
class Grade(TextChoices):
    """Evaluation and review grades (优/良/中/差)."""

    EXCELLENT = "excellent", "优"
    GOOD = "good", "良"
    FAIR = "fair", "中"
    POOR = "poor", "差"


GRADE_ORDER = [Grade.EXCELLENT, Grade.GOOD, Grade.FAIR, Grade.POOR]


class Colour(TextChoices):
    """Warning colours of monitoring."""

    BLUE = "blue", "蓝（超进度）"
    GREEN = "green", "绿"
    YELLOW = "yellow", "黄"
    RED = "red", "红"


class Level1(TextChoices):
    """First-level indicator groups of the goal frames (same values as `jixiao.indicators.models.Level1`)."""

    COST = "cost", "成本指标"
    OUTPUT = "output", "产出指标"
    BENEFIT = "benefit", "效益指标"
    SATISFACTION = "satisfaction", "满意度指标"


class ScopeKind(TextChoices):
    """Which policies and projects an ex-ante assessment covers."""

    NEW = "new", "新出台的重大政策和项目"
    CHANGED = "changed", "实施内容、标准等发生重大调整的既有政策和项目"
    RENEWED = "renewed", "到期申请延续的政策和项目"


class ExemptionKind(TextChoices):
    """Grounds on which an ex-ante assessment may be waived."""

    CLASSIFIED = "classified", "涉及国家秘密"
    EMERGENCY = "emergency", "突发事件需紧急实施"
    MANDATED = "mandated", "国家和省明确要求配套或出台"


class Conclusion(TextChoices):
    """Ex-ante assessment conclusions and the finance bureau's opinions."""

    SUPPORT = "support", "建议予以支持"
    SUPPORT_AFTER_CHANGES = "support_after_changes", "建议调整完善后予以支持"
    PARTIAL_SUPPORT = "partial_support", "建议部分支持"
    NO_SUPPORT = "no_support", "建议不予支持"


class ProjectCategory(TextChoices):
    """Project categories that trigger extra goal requirements."""

    CONSTRUCTION = "construction", "工程基建类"
    MAJOR_REPAIR_PURCHASE = "major_repair_purchase", "大型修缮及购置类"
    INFORMATION_SYSTEM = "information_system", "信息化建设类"


class TimeProgressMethod(TextChoices):
    MONTHS = "months", "按月（已过月数÷12）"
    DAYS = "days", "按天（已过天数÷全年天数）"


class Disposition(TextChoices):
    """Measures a department may take on a monitoring warning."""

    CONTINUE = "continue", "继续执行（采取纠偏措施）"
    REDUCE_ADJUST = "reduce_adjust", "调减预算并同步调整绩效目标"
    SUSPEND = "suspend", "暂停实施"
    REALLOCATE = "reallocate", "调剂"
    CANCEL = "cancel", "取消/收回"


class ExecutionBasis(TextChoices):
    """Denominator of the budget execution rate (RULES §14 conflict 3)."""

    ANNUAL_BUDGET = "annual_budget", "全年执行数÷全年预算数（自评表）"
    FUNDS_RECEIVED = "funds_received", "实际支出÷实际到位资金（10号附2）"
    ADJUSTED_BUDGET = "adjusted_budget", "执行数÷调整后预算"


class ExecutionScoreMode(TextChoices):
    LINEAR = "linear", "线性：执行率×分值"
    STEPPED = "stepped", "分档：按执行率档次给分"


class QuantitativeMode(TextChoices):
    PROPORTIONAL = "proportional", "按完成比例：完成值÷指标值×分值"
    GATE = "gate", "设及格线：低于及格线得0分，其上按比例"


class QualitativeTier(TextChoices):
    ACHIEVED = "achieved", "达成年度指标"
    PARTIAL = "partial", "部分达成年度指标并具有一定效果"
    NOT_ACHIEVED = "not_achieved", "未达成年度指标且效果较差"


class SatisfactionMode(TextChoices):
    PROPORTIONAL = "proportional", "按定量指标计分：达到指标值得满分，未达到按完成比例"
    BANDS = "bands", "分档给分"


class MustIncludeKind(TextChoices):
    """Self-evaluations a spot check always includes, on top of the random sample."""

    AMOUNT_AT_LEAST = "amount_at_least", "年度预算达到金额的项目"
    SELF_GRADE_EXCELLENT = "self_grade_excellent", "自评等级为优的项目"
    INFLATED_LAST_YEAR = "inflated_last_year", "上年抽查发现自评虚高的单位"
    KEY_PROJECT = "key_project", "重点项目"


class CoverageBasis(TextChoices):
    COUNT_OR_AMOUNT = "count_or_amount", "项目数或资金额，满足其一"
    COUNT = "count", "项目数"
    AMOUNT = "amount", "资金额"


class RectificationKind(TextChoices):
    """What the rectification deadline means (RULES §14 conflict 9)."""

    SUBMIT_MEASURES = "submit_measures", "期限内报送整改措施"
    COMPLETE = "complete", "期限内完成整改"


class LinkageAction(TextChoices):
    PRIORITY = "priority", "优先保障，可适当增加"
    KEEP = "keep", "保障（维持）"
    CUT = "cut", "压减"
    CANCEL = "cancel", "压减直至取消"


class UnrectifiedAction(TextChoices):
    HOLD = "hold", "整改到位前暂缓安排"
    CUT = "cut", "核减预算"


# --- value types --------------------------------------------------------------------------------------------------
MAX_YUAN = Decimal(10**12)


def _clean_decimal_text(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "").removesuffix("%").removesuffix("％")
        return text if text else None
    return value


# Money threshold in 元, fen-exact (at most two decimals), strictly positive.
Yuan = Annotated[Decimal, BeforeValidator(_clean_decimal_text), Field(gt=0, le=MAX_YUAN, decimal_places=2)]
# A percentage 0-100.
Percent = Annotated[Decimal, BeforeValidator(_clean_decimal_text), Field(ge=0, le=100, decimal_places=2)]
# A score in points out of 100.
Score = Annotated[Decimal, BeforeValidator(_clean_decimal_text), Field(ge=0, le=100, decimal_places=2)]
# A ratio in percent that may exceed 100 (progress ratios: 120 means 120% of time progress).
RatioPercent = Annotated[Decimal, BeforeValidator(_clean_decimal_text), Field(ge=0, le=1000, decimal_places=2)]
WorkingDays = Annotated[int, Field(ge=1, le=250)]
Days = Annotated[int, Field(ge=1, le=3660)]


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


# Optional variants: an empty text means "not applied" (None).
OptYuan = Annotated[Yuan | None, BeforeValidator(_blank_to_none)]
OptPercent = Annotated[Percent | None, BeforeValidator(_blank_to_none)]
OptWorkingDays = Annotated[WorkingDays | None, BeforeValidator(_blank_to_none)]

_MONTH_DAY = re.compile(r"(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def _month_day(value: Any) -> Any:
    if not isinstance(value, str):
        raise PydanticCustomError("month_day", "应为“月-日”，如 08-15")
    m = _MONTH_DAY.fullmatch(value.strip())
    if not m:
        raise PydanticCustomError("month_day", "应为“月-日”，如 08-15")
    month, day = int(m.group(1)), int(m.group(2))
    if (month, day) == (2, 29):
        raise PydanticCustomError("month_day", "不能使用2月29日（平年没有这一天）")
    try:
        datetime.date(2001, month, day)
    except ValueError:
        raise PydanticCustomError("month_day", "不是有效日期：{month}月{day}日",
                                  {"month": month, "day": day}) from None
    return f"{month:02d}-{day:02d}"


# A day of the year as "MM-DD" (accepts "8-15", "8月15日").
MonthDay = Annotated[str, BeforeValidator(_month_day), Field(json_schema_extra={"format": "month-day"})]
OptMonthDay = Annotated[MonthDay | None, BeforeValidator(_blank_to_none)]


def month_day_on(value: str, year: int) -> datetime.date:
    """The date of a `MonthDay` in a given year."""
    month, day = (int(x) for x in value.split("-"))
    return datetime.date(year, month, day)


def _md_key(value: str) -> tuple[int, int]:
    month, day = (int(x) for x in value.split("-"))
    return month, day


def md_label(value: str | None) -> str:
    if not value:
        return ""
    month, day = _md_key(value)
    return f"{month}月{day}日"


# --- field helper and section base --------------------------------------------------------------------------------
def P(default: Any, title: str, description: str, source: str, *, unit: str | None = None, extra_rows: int = 0,
      none_label: str | None = None, choices_from: str | None = None, **kwargs: Any) -> Any:
    """A parameter field: Chinese title, description ending with its source, and UI hints.

    `unit` is shown next to the value; `extra_rows` is how many blank rows the edit form offers for adding items
    to a variable-length list; `none_label` says what an empty optional value means; `choices_from` names a sibling
    list whose items' codes are the allowed values."""
    extra: dict[str, Any] = {"source": source}
    if unit:
        extra["unit"] = unit
    if none_label:
        extra["none_label"] = none_label
    if choices_from:
        extra["choices_from"] = choices_from
    if extra_rows:
        extra["extra_rows"] = extra_rows
    if callable(default):
        kwargs["default_factory"] = default
    else:
        kwargs["default"] = default
    return Field(title=title, description=f"{description}（来源：{source}）", json_schema_extra=extra, **kwargs)


Loc = tuple[str | int, ...]


class Section(BaseModel):
    """Base of every parameter model: immutable, no unknown keys, and cross-field checks reported per field."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False)

    def _problems(self) -> Iterable[tuple[Loc, str]]:
        return ()

    @model_validator(mode="after")
    def _cross_check(self):
        problems = list(self._problems())
        if problems:
            raise ValidationError.from_exception_data(self.__class__.__name__, [
                InitErrorDetails(type=PydanticCustomError("policy_rule", "{message}", {"message": message}),
                                 loc=loc, input=None)
                for loc, message in problems
            ])
        return self

    def money(self, name: str) -> Money | None:
        """A money threshold field (元) as `Money`, or None when the threshold is not applied."""
        value = getattr(self, name)
        return None if value is None else Money.from_yuan(value)


def _fmt(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    return text


def _check_descending(items: list, attr: str, loc: str, label: str, *, last_zero: bool = True
                      ) -> Iterator[tuple[Loc, str]]:
    values = [getattr(item, attr) for item in items]
    if not values:
        yield (loc,), f"{label}不能为空"
        return
    for i in range(1, len(values)):
        if values[i] >= values[i - 1]:
            yield (loc, i, attr), (f"{label}的下限必须严格递减：第{i + 1}档（{_fmt(values[i])}）"
                                   f"应小于第{i}档（{_fmt(values[i - 1])}）")
    if last_zero and values[-1] != 0:
        yield (loc, len(values) - 1, attr), f"{label}最后一档的下限必须为 0，才能覆盖全部取值"


def _check_unique(values: list, loc: str, label: str) -> Iterator[tuple[Loc, str]]:
    seen: set = set()
    for i, value in enumerate(values):
        if value in seen:
            yield (loc, i), f"{label}“{getattr(value, 'label', value)}”重复"
        seen.add(value)


def _band_for(bands: list, value: Decimal, attr: str = "lower"):
    for band in bands:
        if value >= getattr(band, attr):
            return band
    return bands[-1]


# --- shared row models --------------------------------------------------------------------------------------------
class GradeBand(Section):
    """One grade of a half-open band list: values ≥ `lower` (and below the previous band) get `grade`."""

    grade: Grade = Field(title="等级")
    lower: Score = Field(title="下限（含）")


class ColourBand(Section):
    colour: Colour = Field(title="颜色")
    lower: RatioPercent = Field(title="下限（含，%）")


class StepBand(Section):
    """A rate band and the share of the full score it earns."""

    min_rate: RatioPercent = Field(title="比率下限（含，%）")
    score_pct: Percent = Field(title="得分占分值比例（%）")


def _check_grade_bands(bands: list[GradeBand], loc: str, label: str) -> Iterator[tuple[Loc, str]]:
    grades = [b.grade for b in bands]
    if grades != GRADE_ORDER:
        yield (loc,), f"{label}必须依次为优、良、中、差四档"
    yield from _check_descending(bands, "lower", loc, label)


def _check_step_bands(bands: list[StepBand], loc: str, label: str) -> Iterator[tuple[Loc, str]]:
    yield from _check_descending(bands, "min_rate", loc, label)
    for i in range(1, len(bands)):
        if bands[i].score_pct > bands[i - 1].score_pct:
            yield (loc, i, "score_pct"), f"{label}的得分比例不能高于上一档"


# --- 1. ex-ante assessment ----------------------------------------------------------------------------------------
class ConclusionBand(Section):
    conclusion: Conclusion = Field(title="结论")
    lower: Score = Field(title="总分下限（含）")


class DimensionWeight(Section):
    """One dimension of the ex-ante assessment score sheet."""

    code: str = Field(title="代码", pattern=r"^[a-z][a-z0-9_]*$", max_length=40)
    name: str = Field(title="评估维度", min_length=1, max_length=50)
    weight: Score = Field(title="分值")


def default_dimensions() -> list[DimensionWeight]:
    return [DimensionWeight(code=c, name=n, weight=Decimal(20)) for c, n in (
        ("necessity", "立项必要性"), ("economy", "投入经济性"), ("target_soundness", "绩效目标合理性"),
        ("feasibility", "实施方案可行性"), ("funding_compliance", "筹资合规性"))]


class ExAnteParams(Section):
    """事前绩效评估."""

    dimensions: list[DimensionWeight] = P(
        default_dimensions, "评估维度及分值",
        "事前评估的评估维度（五个方面）及评分表分值，合计100；各维度得分不得超过其分值",
        f"{S_34}（六）；{S_ZZ_EXANTE} 第十二条；分值为{S_FASP}式评分模板，默认等分为{S_INFERRED}")

    scope_kinds: list[ScopeKind] = P(
        lambda: [ScopeKind.NEW, ScopeKind.CHANGED, ScopeKind.RENEWED], "评估范围",
        "需开展事前绩效评估的政策和项目类型", f"{S_ZZ_EXANTE} 第八条；{S_HAILIN}")
    annual_amount_yuan: Yuan = P(
        Decimal("5000000"), "年度投入门槛（元）",
        "年度财政投入达到该金额（含）的新增重大政策和项目必须开展事前绩效评估，未评估不得申请预算",
        f"{S_ZZ_EXANTE} 第三条；{S_HAILIN}；{S_PUTUO}", unit="元")
    total_amount_yuan: OptYuan = P(
        Decimal("15000000"), "总投入门槛（元）", "总投入达到该金额（含）亦须评估；为空表示不设此条件",
        f"{S_ZZ_EXANTE} 第三条", unit="元", none_label="不设")
    investment_amount_yuan: OptYuan = P(
        Decimal("200000000"), "政府投资项目总投资门槛（元）",
        "政府投资项目总投资达到该金额（含）亦须评估；为空表示不设",
        f"{S_ZZ_EXANTE} 第三条", unit="元", none_label="不设")
    simplified_below_threshold: bool = P(
        True, "门槛以下采用简易评估", "低于门槛的新增专项资金仍须填报绩效目标表并出具简要评估报告",
        f"{S_HN_EXANTE} 第七条；郑州市2020年事前评估办法 第七条")
    finance_annual_amount_yuan: OptYuan = P(
        Decimal("20000000"), "财政评估年度投入门槛（元）",
        "年度投入达到该金额（含）须由财政部门组织或参与评估；为空表示不设",
        f"{S_ZZ_EXANTE} 第十条", unit="元", none_label="不设")
    finance_investment_yuan: OptYuan = P(
        Decimal("500000000"), "财政评估政府投资门槛（元）",
        "政府投资达到该金额（含）须由财政部门组织或参与评估；为空表示不设",
        f"{S_ZZ_EXANTE} 第十条", unit="元", none_label="不设")
    exemption_kinds: list[ExemptionKind] = P(
        lambda: [ExemptionKind.CLASSIFIED, ExemptionKind.EMERGENCY, ExemptionKind.MANDATED], "可免于评估的情形",
        "符合这些情形的可不开展事前评估", f"{S_ZZ_EXANTE} 第十一条")
    exemption_requires_reason: bool = P(True, "免评须说明理由并附件", "申请免评须填写理由并上传依据材料",
                                        f"{S_ZZ_EXANTE} 第十一条")
    report_conclusions: list[Conclusion] = P(
        lambda: [Conclusion.SUPPORT, Conclusion.SUPPORT_AFTER_CHANGES, Conclusion.PARTIAL_SUPPORT,
                 Conclusion.NO_SUPPORT],
        "评估报告结论档次", "评估报告可选的总体结论（各地为四档或三档）",
        f"{S_HN_EXANTE}；{S_ZZ_EXANTE} 第十九条")
    finance_opinions: list[Conclusion] = P(
        lambda: [Conclusion.SUPPORT, Conclusion.SUPPORT_AFTER_CHANGES, Conclusion.NO_SUPPORT],
        "财政审核意见档次", "财政部门审核意见的可选项；只有“支持”方可入库",
        f"{S_ZZ_EXANTE} 第十九条")
    score_conclusion_enabled: bool = P(
        False, "按总分自动给出结论", "启用后按下列分档由评估总分自动给出建议结论（可人工调整）", S_FASP)
    score_conclusion_bands: list[ConclusionBand] = P(
        lambda: [ConclusionBand(conclusion=Conclusion.SUPPORT, lower=Decimal(90)),
                 ConclusionBand(conclusion=Conclusion.SUPPORT_AFTER_CHANGES, lower=Decimal(70)),
                 ConclusionBand(conclusion=Conclusion.NO_SUPPORT, lower=Decimal(0))],
        "总分与结论分档", "总分≥90 建议支持；[70,90) 调整完善后支持；<70 不予支持（半开区间）", S_FASP)
    materials_working_days: WorkingDays = P(
        5, "补充材料时限（工作日）", "评估中要求补充的材料须在该时限内提交，逾期视为缺失",
        f"{S_HN_EXANTE}；{S_ZZ_EXANTE}", unit="工作日")
    report_working_days: WorkingDays = P(
        5, "评估报告时限（工作日）", "专家评估会后该时限内出具评估报告", f"{S_HN_EXANTE}；{S_ZZ_EXANTE}", unit="工作日")
    finance_opinion_working_days: WorkingDays = P(
        20, "财政审核意见时限（工作日）", "财政部门收到评估报告后该时限内出具审核意见", f"{S_ZZ_EXANTE} 第十九条",
        unit="工作日")
    reapply_block_days: Days = P(
        365, "不予支持后再次申报间隔（天）", "审核意见为“不支持”的，原则上一年内不得再次申报",
        f"{S_ZZ_EXANTE} 第十九条", unit="天")

    def _problems(self):
        yield from _check_unique([d.code for d in self.dimensions], "dimensions", "评估维度代码")
        total = sum((d.weight for d in self.dimensions), Decimal(0))
        if self.dimensions and total != 100:
            yield ("dimensions",), f"评估维度分值之和应为 100，当前为 {_fmt(total)}"
        if not self.dimensions:
            yield ("dimensions",), "评估维度不能为空"
        yield from _check_unique(self.scope_kinds, "scope_kinds", "评估范围")
        if not self.scope_kinds:
            yield ("scope_kinds",), "评估范围至少选择一项"
        yield from _check_unique(self.exemption_kinds, "exemption_kinds", "免评情形")
        for field, label in (("total_amount_yuan", "总投入门槛"),
                             ("finance_annual_amount_yuan", "财政评估年度投入门槛")):
            value = getattr(self, field)
            if value is not None and value < self.annual_amount_yuan:
                yield (field,), f"{label}不能低于年度投入门槛（{_fmt(self.annual_amount_yuan)}元）"
        if (self.finance_investment_yuan is not None and self.investment_amount_yuan is not None
                and self.finance_investment_yuan < self.investment_amount_yuan):
            yield ("finance_investment_yuan",), "财政评估政府投资门槛不能低于政府投资项目总投资门槛"
        for field, label in (("report_conclusions", "评估报告结论档次"), ("finance_opinions", "财政审核意见档次")):
            values = getattr(self, field)
            yield from _check_unique(values, field, label)
            if Conclusion.SUPPORT not in values or Conclusion.NO_SUPPORT not in values:
                yield (field,), f"{label}必须包含“建议予以支持”和“建议不予支持”"
        yield from _check_descending(self.score_conclusion_bands, "lower", "score_conclusion_bands", "总分与结论分档")
        for i, band in enumerate(self.score_conclusion_bands):
            if band.conclusion not in self.report_conclusions:
                yield (("score_conclusion_bands", i, "conclusion"),
                       f"结论“{band.conclusion.label}”不在评估报告结论档次中")

    def conclusion_for(self, score: Decimal) -> Conclusion:
        """The suggested conclusion for a total score (half-open bands)."""
        return _band_for(self.score_conclusion_bands, score).conclusion


# --- 2. goals -----------------------------------------------------------------------------------------------------
class Level1Group(Section):
    code: Level1 = Field(title="一级指标")
    weight: Score = Field(title="权重（分）")
    level2: list[str] = Field(title="二级指标", min_length=1)
    required: bool = Field(title="必设", default=False)


class IndicatorFrame(Section):
    """A goal/self-evaluation frame: first-level groups with their weights plus the execution-rate weight."""

    code: str = Field(title="框架代码", pattern=r"^[a-z][a-z0-9_]*$", max_length=40)
    name: str = Field(title="框架名称", min_length=1, max_length=100)
    source: str = Field(title="依据", max_length=200, default="")
    execution_weight: Score = Field(title="预算执行率权重（分）")
    groups: list[Level1Group] = Field(title="一级指标", min_length=1,
                                      json_schema_extra={"extra_rows": 1})

    def _problems(self):
        yield from _check_unique([g.code for g in self.groups], "groups", "一级指标")
        total = sum((g.weight for g in self.groups), Decimal(0)) + self.execution_weight
        if total != 100:
            yield ("groups",), f"一级指标权重与预算执行率权重之和应为 100，当前为 {_fmt(total)}"
        for i, group in enumerate(self.groups):
            if group.weight <= 0:
                yield ("groups", i, "weight"), f"{group.code.label}的权重必须大于 0"
            names = [n.strip() for n in group.level2]
            if any(not n for n in names):
                yield ("groups", i, "level2"), "二级指标名称不能为空"
            if len(set(names)) != len(names):
                yield ("groups", i, "level2"), "二级指标名称重复"
        if not any(g.required for g in self.groups):
            yield ("groups",), "至少有一个一级指标为必设"

    def weight_of(self, code: str) -> Decimal:
        for group in self.groups:
            if group.code == code:
                return group.weight
        return Decimal(0)


def _frame(code, name, source, execution, groups) -> IndicatorFrame:
    return IndicatorFrame(code=code, name=name, source=source, execution_weight=Decimal(execution), groups=[
        Level1Group(code=c, weight=Decimal(w), level2=list(l2), required=r) for c, w, l2, r in groups])


L2_OUTPUT_10 = ("数量指标", "质量指标", "时效指标", "成本指标")
L2_OUTPUT_101 = ("数量指标", "质量指标", "时效指标")
L2_BENEFIT_10 = ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标")
L2_BENEFIT_101 = ("经济效益指标", "社会效益指标", "生态效益指标")
L2_SATISFACTION = ("服务对象满意度指标",)
L2_COST = ("经济成本指标", "社会成本指标", "生态环境成本指标")


def default_frames() -> list[IndicatorFrame]:
    return [
        _frame("frame_10", "10号框架（成本在产出下）", f"{S_10} 第十三条及附1", 10, [
            (Level1.OUTPUT, 50, L2_OUTPUT_10, True), (Level1.BENEFIT, 30, L2_BENEFIT_10, True),
            (Level1.SATISFACTION, 10, L2_SATISFACTION, False)]),
        _frame("frame_101_cost", "101号框架（设成本指标）", f"{S_101} 三(六)", 10, [
            (Level1.COST, 20, L2_COST, True), (Level1.OUTPUT, 40, L2_OUTPUT_101, True),
            (Level1.BENEFIT, 20, L2_BENEFIT_101, True), (Level1.SATISFACTION, 10, L2_SATISFACTION, False)]),
        _frame("frame_101", "101号框架（未设成本指标）", f"{S_101} 三(六)", 10, [
            (Level1.OUTPUT, 50, L2_OUTPUT_101, True), (Level1.BENEFIT, 30, L2_BENEFIT_101, True),
            (Level1.SATISFACTION, 10, L2_SATISFACTION, False)]),
        _frame("special_bond", "专项债券项目（建设期）", S_HN_BOND, 10, [
            (Level1.COST, 20, L2_COST, True), (Level1.OUTPUT, 40, L2_OUTPUT_101, True),
            (Level1.BENEFIT, 20, L2_BENEFIT_101, True), (Level1.SATISFACTION, 10, L2_SATISFACTION, False)]),
        _frame("special_bond_operation", "专项债券项目（运营期无财政投入）",
               f"{S_HN_BOND}：执行率权重为0，成本指标加10分", 0, [
                   (Level1.COST, 30, L2_COST, True), (Level1.OUTPUT, 40, L2_OUTPUT_101, True),
                   (Level1.BENEFIT, 20, L2_BENEFIT_101, True), (Level1.SATISFACTION, 10, L2_SATISFACTION, False)]),
    ]


DEFAULT_VAGUE_WORDS = ("进一步", "大幅", "明显", "显著", "有效", "较好", "良好", "逐步", "基本", "加强", "提高",
                       "提升", "改善", "促进", "推动", "积极", "努力", "力争")


DEFAULT_INPUT_WORDS = ("资金投入", "投入资金", "拨付资金", "资金拨付", "安排资金", "资金到位", "投入人员", "人员投入",
                       "经费投入", "预算执行", "资金支出")


class GoalParams(Section):
    """绩效目标: frames, weights and completeness rules."""

    frames: list[IndicatorFrame] = P(
        default_frames, "指标框架",
        "可用的绩效目标/自评框架：一级指标、二级指标、权重及预算执行率分值；各框架权重合计100",
        f"{S_10} 第十三条；{S_101} 二、三(六)；{S_HN_BOND}")
    project_frame: str = P("frame_10", "项目默认框架", "一般项目使用的框架（10号框架或101号框架）",
                           f"{S_10} 第十三条；{S_101}", choices_from="frames")
    project_cost_frame: str = P("frame_10", "设成本指标项目的框架",
                                "项目设置一级成本指标时使用的框架代码；沿用10号框架时成本作为产出下的二级指标",
                                f"{S_10}；{S_101} 三(六)", choices_from="frames")
    special_bond_frame: str = P("special_bond", "专项债券项目框架", "专项债券项目建设期使用的框架代码", S_HN_BOND,
                                 choices_from="frames")
    special_bond_operation_frame: str = P("special_bond_operation", "专项债券运营期框架",
                                          "运营期无财政投入的专项债券项目使用的框架代码", S_HN_BOND,
                                          choices_from="frames")
    no_satisfaction_weight_to: Level1 = P(
        Level1.BENEFIT, "未设满意度指标时权重并入", "未设置满意度指标时，其权重并入该一级指标（效益+10）",
        f"{S_101} 三(六)；{S_HN_BOND}")
    cost_required_categories: list[ProjectCategory] = P(
        lambda: [ProjectCategory.CONSTRUCTION, ProjectCategory.MAJOR_REPAIR_PURCHASE], "必设成本指标的项目类别",
        "这些类别的项目必须设置成本指标，并说明多年期效益", f"{S_101} 二")
    quality_required_with_standard: bool = P(
        True, "有质量标准的项目必设质量指标", "有明确质量标准的项目（如基建、信息化）必须设置质量指标", f"{S_101} 二")
    satisfaction_requires_survey: bool = P(
        True, "设满意度指标须开展调查", "设置满意度指标的，须有满意度调查方案", f"{S_101} 二")
    cost_target_within_standard: bool = P(
        True, "成本指标不得高于支出标准", "成本指标值不得超过预算支出标准", f"{S_101} 三(三)")
    weights_locked_after_approval: bool = P(
        True, "批复后权重不得调整", "指标权重随预算批复确定，原则上不得调整", f"{S_101} 三(六)")
    indicator_name_max_length: Annotated[int, Field(ge=10, le=500)] = P(
        100, "指标名称最大长度（字）", "三级指标名称的最大字数", S_FASP, unit="字")
    budget_gate: bool = P(
        True, "无目标不得安排预算",
        "未编制绩效目标或目标审核未通过（及须评估而未获财政支持）的项目，不得进入项目库、不得安排预算（含追加）",
        f"{S_34}；{S_167}；{S_ZZ_GOAL} 第八、二十条")
    special_bond_no_adjustment: bool = P(
        True, "专项债券项目目标不得调整", "专项债券项目执行中绩效目标不得调整，确需变更的按新设项目办理",
        f"{S_61} 第十条")
    input_words: list[str] = P(
        lambda: list(DEFAULT_INPUT_WORDS), "投入类表述词",
        "产出、效益指标名称含有这些词（如“资金投入”“拨付资金”）时提示“财力、人力、物力等投入数量不能作为绩效目标”",
        f"{S_101} 一(二)“高度关联”；词表为{S_INFERRED}")
    vague_words: list[str] = P(
        lambda: list(DEFAULT_VAGUE_WORDS), "模糊表述词",
        "指标名称或指标值含有这些词时提示“表述模糊、不可衡量”，须细化量化",
        f"{S_101} 一(二)“量化易评”；词表为{S_INFERRED}")

    def _problems(self):
        codes = [f.code for f in self.frames]
        yield from _check_unique(codes, "frames", "框架代码")
        for field, label in (("project_frame", "项目默认框架"), ("project_cost_frame", "设成本指标项目的框架"),
                             ("special_bond_frame", "专项债券项目框架"),
                             ("special_bond_operation_frame", "专项债券运营期框架")):
            if getattr(self, field) not in codes:
                yield (field,), f"{label}“{getattr(self, field)}”不在指标框架中"
        for i, frame in enumerate(self.frames):
            group_codes = [g.code for g in frame.groups]
            if Level1.SATISFACTION in group_codes and self.no_satisfaction_weight_to not in group_codes:
                yield (("frames", i, "groups"),
                       f"框架“{frame.name}”缺少“{self.no_satisfaction_weight_to.label}”，无法承接满意度权重")
        yield from _check_unique(self.cost_required_categories, "cost_required_categories", "项目类别")
        words = [w.strip() for w in self.vague_words]
        if any(not w for w in words):
            yield ("vague_words",), "模糊表述词不能为空白"
        yield from _check_unique(words, "vague_words", "模糊表述词")

    def frame(self, code: str) -> IndicatorFrame:
        for frame in self.frames:
            if frame.code == code:
                return frame
        raise KeyError(code)


# --- 3. goal review -----------------------------------------------------------------------------------------------
class ReviewItem(Section):
    text: str = Field(title="审核要点", min_length=1, max_length=200)
    weight: Score = Field(title="分值")


class ReviewPoint(Section):
    code: str = Field(title="代码", pattern=r"^[a-z][a-z0-9_]*$", max_length=40)
    name: str = Field(title="审核内容", min_length=1, max_length=50)
    weight: Score = Field(title="分值")
    items: list[ReviewItem] = Field(title="审核要点及分值", min_length=1, json_schema_extra={"extra_rows": 1})

    def _problems(self):
        total = sum((item.weight for item in self.items), Decimal(0))
        if total != self.weight:
            yield ("items",), f"“{self.name}”各要点分值之和应为 {_fmt(self.weight)}，当前为 {_fmt(total)}"


class ReviewGroup(Section):
    code: str = Field(title="代码", pattern=r"^[a-z][a-z0-9_]*$", max_length=40)
    name: str = Field(title="审核维度", min_length=1, max_length=50)
    weight: Score = Field(title="分值")
    points: list[ReviewPoint] = Field(title="审核内容", min_length=1)

    def _problems(self):
        total = sum((p.weight for p in self.points), Decimal(0))
        if total != self.weight:
            yield ("points",), f"“{self.name}”下各审核内容分值之和应为 {_fmt(self.weight)}，当前为 {_fmt(total)}"


def _point(code, name, weight, items) -> ReviewPoint:
    return ReviewPoint(code=code, name=name, weight=Decimal(weight),
                       items=[ReviewItem(text=t, weight=Decimal(w)) for t, w in items])


def default_review_groups() -> list[ReviewGroup]:
    return [
        ReviewGroup(code="completeness", name="完整性", weight=Decimal(20), points=[
            _point("format", "规范完整性", 10, [("格式符合规范", 5), ("内容完整，无漏项错项", 5)]),
            _point("clarity", "明确清晰性", 10, [("目标明确、具体、层次清晰", 5), ("反映主要内容、预期产出和效果", 5)]),
        ]),
        ReviewGroup(code="relevance", name="相关性", weight=Decimal(30), points=[
            _point("goal_relevance", "目标相关性", 15,
                   [("符合法律法规和国民经济发展规划", 7), ("与单位职能、发展规划密切相关", 8)]),
            _point("indicator_soundness", "指标科学性", 15,
                   [("指标全面、选取关键指标并赋值", 8), ("细化量化，定性指标具体可衡量", 7)]),
        ]),
        ReviewGroup(code="appropriateness", name="适当性", weight=Decimal(30), points=[
            _point("performance", "绩效合理性", 15, [("预期绩效显著", 8), ("符合行业正常水平和同类项目", 7)]),
            _point("funding_match", "资金匹配性", 15,
                   [("目标与资金量相匹配，不偏高偏低", 8), ("与支出内容、范围、方向相匹配", 7)]),
        ]),
        ReviewGroup(code="feasibility", name="可行性", weight=Decimal(20), points=[
            _point("achievability", "实现可能性", 10, [("经过调查研究和论证测算", 5), ("切合实际、可操作", 5)]),
            _point("conditions", "条件充分性", 10, [("实施方案和能力保障充分", 5), ("内控和财务制度健全", 5)]),
        ]),
    ]


def _grade_bands(*lowers) -> list[GradeBand]:
    return [GradeBand(grade=g, lower=Decimal(x)) for g, x in zip(GRADE_ORDER, lowers, strict=True)]


class GoalReviewParams(Section):
    """绩效目标审核: the review form (8 points), grading rules and outcomes."""

    groups: list[ReviewGroup] = P(
        default_review_groups, "审核表",
        "四个审核维度（完整性20、相关性30、适当性30、可行性20）下8项审核内容及要点分值，合计100",
        f"{S_ZZ_GOAL} 附件2-5")
    ordinary_min_points: Annotated[int, Field(ge=1, le=50)] = P(
        6, "一般项目定性评级所需要点数",
        "一般项目：至少该数量的审核内容为优且无中、差评为优；至少该数量为良及以上且无差评为良；至少该数量为中及以上评为中；否则为差",
        f"{S_ZZ_GOAL} 附件2-6", unit="项")
    key_point_bands: list[GradeBand] = P(
        lambda: _grade_bands(90, 80, 60, 0), "重点项目单项得分档次（占分值%）",
        "重点项目每项审核内容按等级在分值的该比例区间内打分：优90-100%，良80-89%，中60-79%，差≤59%",
        f"{S_ZZ_GOAL} 附件2-6", unit="%")
    key_total_bands: list[GradeBand] = P(
        lambda: _grade_bands(90, 80, 60, 0), "重点项目总分等级", "总分≥90优，[80,90)良，[60,80)中，<60差",
        f"{S_ZZ_GOAL} 附件2-6", unit="分")
    score_decimal_places: Annotated[int, Field(ge=0, le=4)] = P(
        1, "审核得分小数位", "重点项目审核得分保留的小数位数", f"{S_ZZ_GOAL} 附件2-6", unit="位")
    fair_resubmit_working_days: OptWorkingDays = P(
        None, "评为“中”后重新报送时限（工作日）",
        "审核为中的，单位在该时限内修改后重新报送，仍未达到良以上的不得进入下一环节；为空表示按程序重新报送、不设时限",
        f"{S_ZZ_GOAL} 第二十二条（财预〔2015〕88号体系为按程序重新报送、不设时限）", unit="工作日",
        none_label="不设时限，按程序重新报送")

    key_project_amount_yuan: OptYuan = P(
        Decimal("5000000"), "重点项目金额（元）",
        "年度金额达到该金额（含）的项目按重点项目审核（定性+定量打分）；为空表示由审核人逐项认定",
        f"{S_ZZ_GOAL} 附件2-6；金额为{S_INFERRED}（与事前评估门槛一致）", unit="元", none_label="逐项认定")
    review_working_days: OptWorkingDays = P(
        10, "审核时限（工作日）", "收到绩效目标后该时限内完成审核，逾期列入“逾期未审”统计；为空表示不设时限",
        f"{S_ZZ_GOAL}；时限为{S_INFERRED}", unit="工作日", none_label="不设时限")

    def _problems(self):
        total = sum((g.weight for g in self.groups), Decimal(0))
        if total != 100:
            yield ("groups",), f"审核表各维度分值之和应为 100，当前为 {_fmt(total)}"
        yield from _check_unique([g.code for g in self.groups], "groups", "审核维度代码")
        codes = [p.code for g in self.groups for p in g.points]
        if len(set(codes)) != len(codes):
            yield ("groups",), "审核内容代码重复"
        if self.ordinary_min_points > len(codes):
            yield ("ordinary_min_points",), f"所需要点数不能超过审核内容总数（{len(codes)}项）"
        yield from _check_grade_bands(self.key_point_bands, "key_point_bands", "重点项目单项得分档次")
        yield from _check_grade_bands(self.key_total_bands, "key_total_bands", "重点项目总分等级")

    @property
    def points(self) -> list[ReviewPoint]:
        return [p for g in self.groups for p in g.points]

    def grade_for_total(self, score: Decimal) -> Grade:
        return _band_for(self.key_total_bands, score).grade


# --- 4. monitoring ------------------------------------------------------------------------------------------------
class MonitoringPoint(Section):
    name: str = Field(title="名称", min_length=1, max_length=50)
    period_end: MonthDay = Field(title="数据截止日")
    data_months: Annotated[int, Field(ge=1, le=12)] = Field(title="数据月数")
    due: OptMonthDay = Field(title="报送截止日", default=None, json_schema_extra={"none_label": "另行通知"})

    def _problems(self):
        month, _ = _md_key(self.period_end)
        if self.data_months > month:
            yield ("data_months",), f"数据月数不能超过数据截止日所在月份（{month}月）"
        if self.due is not None and _md_key(self.due) < _md_key(self.period_end):
            yield ("due",), "报送截止日不能早于数据截止日"


class CumulativeFloor(Section):
    month: Annotated[int, Field(ge=1, le=12)] = Field(title="月末")
    min_rate: Percent = Field(title="累计执行率下限（%）")


class MonitoringParams(Section):
    """绩效运行监控 (双监控)."""

    points: list[MonitoringPoint] = P(
        lambda: [MonitoringPoint(name="1-7月绩效监控", period_end="07-31", data_months=7, due="08-15")],
        "监控节点", "每个节点：数据截止日（月-日）、覆盖月数、报送截止日；报送截止日为空表示由财政部门另行通知",
        f"{S_136}；{S_HN_MON}", extra_rows=2)
    special_bond_monthly: bool = P(True, "专项债券项目按月监控", "专项债券项目按月开展双监控",
                                   f"{S_HN_BOND}；{S_61} 第十三条")
    ppp_min_per_year: Annotated[int, Field(ge=0, le=12)] = P(
        1, "PPP项目每年至少监控次数", "PPP项目每年至少开展的监控次数", S_PPP, unit="次")
    research_exempt: bool = P(True, "科研类项目可免于年中监控", "科研类项目可不开展年中监控，但须在实施期内开展",
                              S_HN_MON)
    time_progress_method: TimeProgressMethod = P(
        TimeProgressMethod.MONTHS, "序时进度计算方法", "按月：已过月数÷12；按天：已过天数÷全年天数（含闰年）", S_FASP)
    execution_bands: list[ColourBand] = P(
        lambda: [ColourBand(colour=Colour.GREEN, lower=Decimal(80)), ColourBand(colour=Colour.YELLOW,
        lower=Decimal(60)),
                 ColourBand(colour=Colour.RED, lower=Decimal(0))],
        "预算执行预警分档", "执行率÷序时进度（%）：≥80绿，[60,80)黄，<60红", S_FASP, unit="%")
    indicator_bands: list[ColourBand] = P(
        lambda: [ColourBand(colour=Colour.BLUE, lower=Decimal(120)), ColourBand(colour=Colour.GREEN, lower=Decimal(80)),
                 ColourBand(colour=Colour.YELLOW, lower=Decimal(60)), ColourBand(colour=Colour.RED, lower=Decimal(0))],
        "正向指标进度预警分档", "当前值÷(指标值×序时进度)（%）：≥120蓝（可能目标偏低），[80,120)绿，[60,80)黄，<60红",
        S_FASP, unit="%")
    zero_target_colour: Colour = P(
        Colour.RED, "正向指标值为0时的颜色", "正向（或等于）指标的年度指标值为0、无法折算进度时给出的颜色", S_FASP)
    rates_not_prorated: bool = P(
        True, "比率类指标不按序时进度折算",
        "计量单位为%或‰的指标（如合格率、覆盖率）按年度指标值直接比较，不乘序时进度（推定口径：比率不随时间累加）",
        S_FASP)
    cumulative_floors: list[CumulativeFloor] = P(
        list, "累计执行率下限（可选）", "某月末累计预算执行率低于下限即预警；为空表示不启用",
        S_SC, extra_rows=4)
    dual_gap_pct_points: OptPercent = P(
        Decimal(10), "双监控偏差预警（百分点）", "绩效目标完成进度与预算执行进度相差超过该百分点即预警；为空表示不启用",
        S_SC, unit="个百分点", none_label="不启用")
    floor_colour: Colour = P(
        Colour.RED, "低于累计执行率下限的颜色", "累计执行率低于当月下限时给出的预警颜色", S_SC)
    gap_colour: Colour = P(
        Colour.RED, "双监控偏差超限的颜色", "绩效目标完成进度与预算执行进度相差超过限值时给出的预警颜色", S_SC)
    disposition_colours: list[Colour] = P(
        lambda: [Colour.RED], "须选定处置方式的预警颜色",
        "对象颜色属于这些颜色（或有指标“完全不可能”完成）时，部门须在处置时限内选定处置方式",
        f"{S_SC}；{S_HN_MON} 第十五条")
    disposition_options: list[Disposition] = P(
        lambda: [Disposition.CONTINUE, Disposition.REDUCE_ADJUST, Disposition.SUSPEND, Disposition.REALLOCATE,
                 Disposition.CANCEL],
        "预警处置方式", "部门对预警项目可选择的处置措施", f"{S_HN_MON} 第十五条；{S_QINGXI}；{S_HAILIN}")
    reminder_days: Days = P(
        3, "报送到期提醒（天）", "报送截止日前该天数内（及已逾期）仍未报送的监控表列入单位待办提醒", S_INFERRED,
        unit="天")
    disposition_working_days: WorkingDays = P(
        10, "预警处置时限（工作日）", "预警后部门须在该时限内选定处置方式", S_SC, unit="工作日")
    disposition_timeout_suspends: bool = P(
        True, "逾期未处置自动暂停", "逾期未选定处置方式的项目自动暂停（暂停拨款）", S_SC)
    year_end_sweep: OptMonthDay = P(
        "11-30", "年底盘活收回日", "该日前对未纠偏、难以实现目标及慢于序时进度的资金列出清单予以盘活收回；为空表示不设",
        S_HAILIN, none_label="不设")

    def _problems(self):
        if not self.points:
            yield ("points",), "至少设置一个监控节点"
        keys = [_md_key(p.period_end) for p in self.points]
        for i in range(1, len(keys)):
            if keys[i] <= keys[i - 1]:
                yield ("points", i, "period_end"), "监控节点须按数据截止日先后排列且不能重复"
        yield from _check_descending(self.execution_bands, "lower", "execution_bands", "预算执行预警分档")
        yield from _check_unique([b.colour for b in self.execution_bands], "execution_bands", "颜色")
        yield from _check_descending(self.indicator_bands, "lower", "indicator_bands", "正向指标进度预警分档")
        yield from _check_unique([b.colour for b in self.indicator_bands], "indicator_bands", "颜色")
        for i in range(1, len(self.cumulative_floors)):
            prev, cur = self.cumulative_floors[i - 1], self.cumulative_floors[i]
            if cur.month <= prev.month:
                yield ("cumulative_floors", i, "month"), "累计执行率下限须按月份递增排列"
            elif cur.min_rate <= prev.min_rate:
                yield ("cumulative_floors", i, "min_rate"), f"{cur.month}月末的下限应高于{prev.month}月末"
        if not self.disposition_options:
            yield ("disposition_options",), "至少选择一种处置方式"
        yield from _check_unique(self.disposition_options, "disposition_options", "处置方式")
        yield from _check_unique(self.disposition_colours, "disposition_colours", "颜色")

    def execution_colour(self, ratio_pct: Decimal) -> Colour:
        return _band_for(self.execution_bands, ratio_pct).colour

    def indicator_colour(self, ratio_pct: Decimal) -> Colour:
        return _band_for(self.indicator_bands, ratio_pct).colour

    def floor_for_month(self, month: int) -> Decimal | None:
        """The cumulative execution floor in force at the end of `month` (the latest floor at or before it)."""
        floor = None
        for f in self.cumulative_floors:
            if f.month <= month:
                floor = f.min_rate
        return floor


# --- 5. self-evaluation -------------------------------------------------------------------------------------------
class TierBand(Section):
    tier: QualitativeTier = Field(title="档次")
    lower: Percent = Field(title="得分下限（占分值%，含）")


class SelfEvaluationParams(Section):
    """单位自评 (weights come from the goal frames)."""

    coverage_pct: Percent = P(Decimal(100), "自评覆盖率（%）", "单位自评须覆盖全部项目支出", f"{S_10} 第八条；{S_167}",
                              unit="%")
    due: OptMonthDay = P(
        None, "次年报送截止日", "自评结果的报送截止日（次年）；为空表示随部门决算报送", f"{S_10} 第二十六条",
        none_label="随部门决算报送")
    execution_rate_basis: ExecutionBasis = P(
        ExecutionBasis.ANNUAL_BUDGET, "预算执行率口径", "预算执行率的分子分母（各文件口径不同）", f"{S_10} 附1、附2")
    execution_score_mode: ExecutionScoreMode = P(
        ExecutionScoreMode.LINEAR, "预算执行率计分方式", "线性按执行率×分值计分，或按执行率档次计分",
        f"{S_10} 附1；{S_101} 三(七)")
    execution_score_cap: bool = P(True, "执行率得分不超过分值", "线性计分时得分以该项分值为上限", S_FASP)
    execution_rate_cap: bool = P(
        False, "执行率超过100%按100%计", "全年执行数超过全年预算数时，执行率按100%填列和计分（部分地方自评表口径）",
        "地方公开的自评表")
    execution_score_decimal_places: Annotated[int, Field(ge=0, le=4)] = P(
        2, "执行率得分小数位", "预算执行率得分四舍五入保留的小数位数（部分地方取整数分）", "地方公开的自评表",
        unit="位")
    execution_steps: list[StepBand] = P(
        lambda: [StepBand(min_rate=Decimal(100), score_pct=Decimal(100)),
                 StepBand(min_rate=Decimal(80), score_pct=Decimal(70)),
                 StepBand(min_rate=Decimal(60), score_pct=Decimal(50)),
                 StepBand(min_rate=Decimal(0), score_pct=Decimal(0))],
        "预算执行率计分档次", "分档计分时：完成且未超预算（≥100%）得满分，[80,100)得70%，[60,80)得50%，<60%不得分",
        f"{S_101} 三(七)", unit="%")
    score_decimal_places: Annotated[int, Field(ge=0, le=4)] = P(
        2, "得分小数位", "各项得分四舍五入保留的小数位数", S_FASP, unit="位")
    quantitative_mode: QuantitativeMode = P(
        QuantitativeMode.PROPORTIONAL, "定量指标计分方式", "完成指标值得满分，未完成按完成比例计分；或设及格线",
        f"{S_10} 第十六条；{S_101} 三(七)")
    quantitative_gate_pct: Percent = P(
        Decimal(60), "定量指标及格线（%）", "设及格线时：完成率低于该值得0分，否则得分=(完成率-及格线)÷(1-及格线)×分值",
        f"{S_101} 三(七)", unit="%")
    reverse_zero_multiple: Annotated[Decimal, Field(gt=1, le=100, decimal_places=2)] = P(
        Decimal(2), "反向指标零分倍数", "反向指标实际值达到指标值的该倍数即得0分，之间线性扣分", S_FASP, unit="倍")
    qualitative_bands: list[TierBand] = P(
        lambda: [TierBand(tier=QualitativeTier.ACHIEVED, lower=Decimal(80)),
                 TierBand(tier=QualitativeTier.PARTIAL, lower=Decimal(60)),
                 TierBand(tier=QualitativeTier.NOT_ACHIEVED, lower=Decimal(0))],
        "定性指标档次", "达成：分值的80%-100%；部分达成：60%-80%；未达成：0-60%", f"{S_10} 第十六条", unit="%")
    satisfaction_mode: SatisfactionMode = P(
        SatisfactionMode.PROPORTIONAL, "满意度计分方式",
        "按定量指标规则计分（达到指标值得满分，否则按完成比例），或按满意度档次计分", f"{S_10}；{S_101} 三(七)")
    satisfaction_bands: list[StepBand] = P(
        lambda: [StepBand(min_rate=Decimal(90), score_pct=Decimal(100)),
                 StepBand(min_rate=Decimal(80), score_pct=Decimal(80)),
                 StepBand(min_rate=Decimal(60), score_pct=Decimal(50)),
                 StepBand(min_rate=Decimal(0), score_pct=Decimal(0))],
        "满意度计分档次", "满意度≥90%得满分，[80,90)得80%，[60,80)得50%，<60%不得分", f"{S_101} 三(七)", unit="%")
    overshoot_threshold: Annotated[Decimal, Field(gt=1, le=100, decimal_places=2)] = P(
        Decimal("1.2"), "超额完成核查倍数", "实际值超过指标值的该倍数时须说明原因并提交财政复核",
        f"{S_10} 第十六条；{S_FASP}",
        unit="倍")
    overshoot_deduction_factor: Annotated[Decimal, Field(ge=0, le=1, decimal_places=2)] = P(
        Decimal(0), "目标偏低扣分系数",
        "原因为“目标设定偏低”时扣分=分值×min(1,实际÷指标值−核查倍数)×系数；0表示只标记复核、不自动扣分",
        f"{S_10} 第十六条要求按偏离度适度调减但未给公式；公式为{S_INFERRED}")
    low_execution_explain_below_pct: Percent = P(
        Decimal(80), "执行率低于该值须单独说明（%）", "预算执行率低于该值的，须单独说明原因并提出整改措施",
        f"{S_10} 第二十六条；阈值为{S_INFERRED}", unit="%")
    explain_grades: list[Grade] = P(
        lambda: [Grade.FAIR, Grade.POOR], "须单独说明的自评等级", "自评为这些等级的须单独说明原因并提出整改措施",
        f"{S_10} 第二十六条")
    shortfall_explanation_required: bool = P(
        True, "未完成指标须分析偏差原因", "实际完成值未达指标值的，须填写偏差原因分析及改进措施", f"{S_10} 第十一条")
    grade_bands: list[GradeBand] = P(
        lambda: _grade_bands(90, 80, 60, 0), "自评结论等级", "≥90优，[80,90)良，[60,80)中，<60差（半开区间）",
        f"{S_10} 第十八条（山西等地为80/70/60）", unit="分")
    outsourcing_forbidden: bool = P(
        True, "自评不得委托第三方", "绩效自评由单位自行开展，原则上不得委托第三方", f"{S_6}（回忆，未核对原文）")

    def _problems(self):
        yield from _check_step_bands(self.execution_steps, "execution_steps", "预算执行率计分档次")
        yield from _check_step_bands(self.satisfaction_bands, "satisfaction_bands", "满意度计分档次")
        tiers = [b.tier for b in self.qualitative_bands]
        if tiers != [QualitativeTier.ACHIEVED, QualitativeTier.PARTIAL, QualitativeTier.NOT_ACHIEVED]:
            yield ("qualitative_bands",), "定性指标档次必须依次为达成、部分达成、未达成"
        yield from _check_descending(self.qualitative_bands, "lower", "qualitative_bands", "定性指标档次")
        if self.quantitative_gate_pct >= 100:
            yield ("quantitative_gate_pct",), "及格线必须小于 100%"
        yield from _check_grade_bands(self.grade_bands, "grade_bands", "自评结论等级")
        yield from _check_unique(self.explain_grades, "explain_grades", "等级")

    def grade_for(self, score: Decimal) -> Grade:
        return _band_for(self.grade_bands, score).grade


# --- 6. spot checks -----------------------------------------------------------------------------------------------
class MustIncludeRule(Section):
    kind: MustIncludeKind = Field(title="必抽情形")
    amount_yuan: OptYuan = Field(title="金额（元）", default=None)

    def _problems(self):
        if self.kind == MustIncludeKind.AMOUNT_AT_LEAST and self.amount_yuan is None:
            yield ("amount_yuan",), "按金额必抽时须填写金额"
        if self.kind != MustIncludeKind.AMOUNT_AT_LEAST and self.amount_yuan is not None:
            yield ("amount_yuan",), "只有“年度预算达到金额的项目”需要填写金额"


class SpotCheckParams(Section):
    """财政抽查复核."""

    sample_rate_pct: Percent = P(
        Decimal(30), "抽查比例（%）", "财政部门每年按该比例随机抽查单位自评结果（下限）",
        f"{S_TONGLIAO}；{S_10} 第十九条",
        unit="%")
    inflation_gap_points: Score = P(
        Decimal(10), "自评虚高判定分差（分）", "自评得分高于复核得分超过该分差的判定为自评虚高，计入考核",
        f"{S_167}；分差为{S_INFERRED}", unit="分")
    amount_bands: Annotated[int, Field(ge=1, le=9)] = P(
        3, "金额分层档数",
        "按全年预算数把自评表等分为该数目的金额层，与主管部门交叉分层、按比例抽取（3档即大额、中等、小额）", S_INFERRED,
        unit="档")
    must_include: list[MustIncludeRule] = P(
        lambda: [MustIncludeRule(kind=MustIncludeKind.INFLATED_LAST_YEAR)], "必抽情形",
        "除随机样本外必须纳入抽查的自评", S_INFERRED, extra_rows=2)

    def _problems(self):
        if self.sample_rate_pct <= 0:
            yield ("sample_rate_pct",), "抽查比例必须大于 0"
        if self.inflation_gap_points <= 0:
            yield ("inflation_gap_points",), "虚高判定分差必须大于 0"
        yield from _check_unique([r.kind for r in self.must_include], "must_include", "必抽情形")


# --- 7. department and fiscal evaluation --------------------------------------------------------------------------
class EvaluationParams(Section):
    """部门评价与财政评价: coverage and indicator-system rules."""

    coverage_pct: Percent = P(
        Decimal(20), "评价覆盖面（%）", "部门评价和财政评价覆盖的项目数或资金额比例下限", S_HAILIN, unit="%")
    coverage_basis: CoverageBasis = P(CoverageBasis.COUNT_OR_AMOUNT, "覆盖面口径", "按项目数或资金额计算覆盖面",
                                      S_HAILIN)
    key_fund_coverage_pct: OptPercent = P(
        None, "财政评价占重点专项资金比例（%）", "财政评价规模占重点专项资金总规模的下限；为空表示不设", S_HAILIN,
        unit="%",
        none_label="不设")
    department_min_per_year: Annotated[int, Field(ge=0, le=100)] = P(
        1, "每部门每年至少部门评价数", "每个部门每年至少完成的部门评价项目数", f"{S_PUTUO}；{S_10} 第九条", unit="项")
    department_due: OptMonthDay = P(
        None, "部门评价完成日", "每年该日前完成上述部门评价；为空表示不设", S_PUTUO, none_label="不设")
    key_project_cycle_years: Annotated[int, Field(ge=1, le=20)] = P(
        5, "重点项目评价周期（年）", "部门评价对重点项目的周期性全覆盖年数", f"{S_10} 第九条", unit="年")
    midterm_min_period_years: Annotated[int, Field(ge=1, le=30)] = P(
        5, "需中期评价的实施期（年）", "实施期达到该年数的项目应开展中期和实施期后评价", f"{S_10} 第七条", unit="年")
    special_bond_coverage_pct: Percent = P(
        Decimal(5), "专项债券重点评价覆盖（%）", "省级财政重点评价覆盖上年新增专项债务限额的比例下限",
        f"{S_61} 第十六条",
        unit="%")
    output_benefit_min_pct: Percent = P(
        Decimal(60), "产出与效益权重合计下限（%）", "财政和部门评价指标体系中产出、效益指标权重合计不低于该值",
        f"{S_10} 第十四条", unit="%")
    ppp_output_min_pct: Percent = P(
        Decimal(80), "PPP运营期产出权重下限（%）", "PPP项目运营期绩效评价中产出指标权重不低于该值", f"{S_PPP} 附5",
        unit="%")
    ppp_operation_maintenance_min_pct: Percent = P(
        Decimal(60), "PPP运营与维护权重下限（%）", "其中项目运营和项目维护指标权重合计不低于该值", f"{S_PPP} 附5",
        unit="%")
    ppp_full_payment_min_score: Score = P(
        Decimal(80), "PPP全额付费最低得分", "原则上评价得分达到该分数方可全额付费", f"{S_PPP} 附5", unit="分")
    grade_bands: list[GradeBand] = P(
        lambda: _grade_bands(90, 80, 60, 0), "评价等级", "≥90优，[80,90)良，[60,80)中，<60差",
        f"{S_10} 第十八条；{S_61} 第二十条", unit="分")

    def _problems(self):
        if self.coverage_pct <= 0:
            yield ("coverage_pct",), "评价覆盖面必须大于 0"
        if self.ppp_operation_maintenance_min_pct > self.ppp_output_min_pct:
            yield ("ppp_operation_maintenance_min_pct",), "运营与维护权重下限不能高于产出权重下限"
        yield from _check_grade_bands(self.grade_bands, "grade_bands", "评价等级")

    def grade_for(self, score: Decimal) -> Grade:
        return _band_for(self.grade_bands, score).grade


# --- 8. use of results --------------------------------------------------------------------------------------------
class LinkageRule(Section):
    grade: Grade = Field(title="评价等级")
    action: LinkageAction = Field(title="预算安排")
    cut_min_pct: OptPercent = Field(title="压减下限（%）", default=None)
    cut_max_pct: OptPercent = Field(title="压减上限（%）", default=None)

    def _problems(self):
        cutting = self.action in (LinkageAction.CUT, LinkageAction.CANCEL)
        if cutting and self.cut_min_pct is None:
            yield ("cut_min_pct",), f"“{self.action.label}”须填写压减下限"
        if not cutting and (self.cut_min_pct is not None or self.cut_max_pct is not None):
            yield ("cut_min_pct",), f"“{self.action.label}”不应填写压减比例"
        if self.cut_min_pct is not None and self.cut_max_pct is not None and self.cut_max_pct < self.cut_min_pct:
            yield ("cut_max_pct",), "压减上限不能低于下限"


def default_linkage() -> list[LinkageRule]:
    return [
        LinkageRule(grade=Grade.EXCELLENT, action=LinkageAction.PRIORITY),
        LinkageRule(grade=Grade.GOOD, action=LinkageAction.KEEP),
        LinkageRule(grade=Grade.FAIR, action=LinkageAction.CUT, cut_min_pct=Decimal(10), cut_max_pct=Decimal(30)),
        LinkageRule(grade=Grade.POOR, action=LinkageAction.CANCEL, cut_min_pct=Decimal(30), cut_max_pct=Decimal(100)),
    ]


class ResultsParams(Section):
    """结果应用."""

    rectification_days: Days = P(
        60, "整改期限（天）", "收到评价结果（整改通知）后的整改期限", f"{S_ZZ_RESULT} 第八条（普陀为30天完成整改）",
        unit="天")
    rectification_kind: RectificationKind = P(
        RectificationKind.SUBMIT_MEASURES, "整改期限含义", "期限内报送整改措施（河南、郑州），或期限内完成整改（普陀）",
        f"{S_ZZ_RESULT}；{S_PUTUO}")
    budget_linkage: list[LinkageRule] = P(
        default_linkage, "评价结果与下年预算挂钩",
        "优：优先保障；良：保障；中：按评价年度预算压减10%-30%；差：压减30%以上直至取消",
        f"{S_ZZ_RESULT} 第十五、十六条；{S_10} 第二十七条", unit="%")
    unrectified_action: UnrectifiedAction = P(
        UnrectifiedAction.HOLD, "未整改到位的处理", "未按要求整改的，整改到位前暂缓安排或核减预算",
        f"{S_10} 第二十七条")
    block_similar_grades: list[Grade] = P(
        lambda: [Grade.FAIR, Grade.POOR], "整改前暂停申报同类项目的等级",
        "评价为这些等级的单位，整改到位前不得申报同类项目资金", f"{S_ZZ_RESULT} 第十六条")
    allocation_weight_min_pct: Percent = P(
        Decimal(10), "资金分配中评价结果权重下限（%）", "因素法分配资金时评价结果权重不低于该值", S_HAILIN, unit="%")

    def _problems(self):
        grades = [r.grade for r in self.budget_linkage]
        if sorted(grades, key=GRADE_ORDER.index) != GRADE_ORDER or len(grades) != 4:
            yield ("budget_linkage",), "评价结果与预算挂钩须对优、良、中、差各设一条"
        yield from _check_unique(self.block_similar_grades, "block_similar_grades", "等级")

    def linkage_for(self, grade: str) -> LinkageRule:
        for rule in self.budget_linkage:
            if rule.grade == grade:
                return rule
        raise KeyError(grade)


# --- 9. disclosure ------------------------------------------------------------------------------------------------
class DisclosureParams(Section):
    """绩效信息公开."""

    goal_threshold_yuan: Yuan = P(
        Decimal("5000000"), "公开绩效目标的项目金额门槛（元）", "项目预算达到该金额（含）的须随部门预算公开绩效目标",
        f"{S_PUTUO}（全国未见统一金额规定）", unit="元")
    coverage_min_pct: Percent = P(
        Decimal(50), "公开项目资金覆盖下限（%）", "公开绩效目标的项目资金原则上不低于本部门项目支出的该比例", S_PUTUO,
        unit="%")
    department_wide_goals: bool = P(True, "公开部门整体绩效目标", "部门整体支出绩效目标随部门预算公开", S_HAILIN)
    results_with_final_accounts: bool = P(
        True, "自评和评价结果随决算公开", "绩效自评、部门评价和部门整体评价结果随部门决算公开",
        f"{S_HAILIN}；{S_10} 第二十八条")
    special_bond_publish_by: MonthDay = P(
        "06-30", "专项债券评价结果公开截止日", "每年该日前在地方政府债务信息公开平台公开专项债券项目绩效评价结果",
        f"{S_61} 第十九条")
    classified_requires_filing: bool = P(
        True, "涉密项目须备案不公开", "涉密、敏感项目向财政部门备案，不予公开", S_PUTUO)

    def _problems(self):
        if self.coverage_min_pct <= 0:
            yield ("coverage_min_pct",), "公开覆盖下限必须大于 0"


# --- 10. department appraisal -------------------------------------------------------------------------------------
class AppraisalParams(Section):
    """部门预算绩效管理工作考核."""

    top_n: Annotated[int, Field(ge=0, le=100)] = P(10, "通报表扬名次（前N名）", "考核排名前N名的部门予以通报表扬",
                                                   f"{S_ZZ_RESULT} 第十八条", unit="名")
    bottom_n: Annotated[int, Field(ge=0, le=100)] = P(10, "集中约谈名次（后N名）", "考核排名后N名的部门予以集中约谈",
                                                      f"{S_ZZ_RESULT} 第十九条", unit="名")
    budget_tilt: bool = P(
        False, "考核结果与预算规模挂钩", "排名靠前的部门预算适当倾斜，排名靠后的扣减资金规模", S_HAILIN)
    progress_report_dates: list[MonthDay] = P(
        list, "工作进展报送日", "部门每年在这些日期前报送预算绩效管理工作进展；为空表示不设", S_HAILIN, extra_rows=2)

    def _problems(self):
        keys = [_md_key(d) for d in self.progress_report_dates]
        if keys != sorted(set(keys)):
            yield ("progress_report_dates",), "工作进展报送日须按先后排列且不能重复"


# --- 10. agencies -------------------------------------------------------------------------------------------------
class AgencyParams(Section):
    """第三方机构: lead evaluators, records, commissioning and quality."""

    lead_min_work_years: Annotated[int, Field(ge=0, le=50)] = P(
        5, "主评人最低工作年限（年）", "主评人须具有该年限以上的工作经历", f"{S_AGENCY} 第七条", unit="年")
    lead_min_evaluation_years: Annotated[int, Field(ge=0, le=50)] = P(
        3, "主评人最低绩效评价年限（年）", "其中从事预算绩效评价工作的年限", f"{S_AGENCY} 第七条", unit="年")
    lead_negligence_bar_years: Annotated[int, Field(ge=0, le=20)] = P(
        5, "过失犯罪处罚后不得任主评人年限（年）",
        "因过失犯罪受刑事处罚的，刑罚执行完毕未满该年限的不得担任主评人", f"{S_AGENCY} 第七条", unit="年")
    violation_lookback_years: Annotated[int, Field(ge=1, le=20)] = P(
        3, "违规记录追溯年限（年）", "近该年限内有严重违法违规记录或不良信用记录的机构不得委托",
        f"{S_AGENCY} 第八、十条", unit="年")
    registry_update_working_days: WorkingDays = P(
        30, "信息变更更新时限（工作日）", "机构信息发生变化的，须在该时限内更新登记信息", f"{S_AGENCY} 第八条",
        unit="工作日")
    one_commissioner_per_project: bool = P(
        True, "同一项目不得接受不同委托方委托", "同一机构不得就同一项目接受不同委托方的委托", f"{S_95} 第十八条")
    quality_plan_weight_pct: Percent = P(
        Decimal(40), "方案阶段质量评分权重（%）", "机构执业质量得分中方案阶段评分所占比例，其余为初稿阶段",
        f"{S_PUTUO}；比例为{S_INFERRED}", unit="%")
    sanction_points: Score = P(
        Decimal(10), "每次处理扣减质量得分（分）", "机构每受一次责令改正以上处理，排名时扣减的分数", S_INFERRED,
        unit="分")


# --- the whole parameter set --------------------------------------------------------------------------------------
class PolicyParams(Section):
    """政策配置参数: every rule number of one region and year, by stage."""

    schema_version: Literal[1] = Field(default=SCHEMA_VERSION, title="参数结构版本")
    ex_ante: ExAnteParams = Field(default_factory=ExAnteParams, title="事前绩效评估")
    goals: GoalParams = Field(default_factory=GoalParams, title="绩效目标")
    goal_review: GoalReviewParams = Field(default_factory=GoalReviewParams, title="绩效目标审核")
    monitoring: MonitoringParams = Field(default_factory=MonitoringParams, title="绩效运行监控")
    self_evaluation: SelfEvaluationParams = Field(default_factory=SelfEvaluationParams, title="单位自评")
    spot_check: SpotCheckParams = Field(default_factory=SpotCheckParams, title="抽查复核")
    evaluation: EvaluationParams = Field(default_factory=EvaluationParams, title="部门评价与财政评价")
    results: ResultsParams = Field(default_factory=ResultsParams, title="结果应用")
    disclosure: DisclosureParams = Field(default_factory=DisclosureParams, title="信息公开")
    appraisal: AppraisalParams = Field(default_factory=AppraisalParams, title="部门考核")
    agencies: AgencyParams = Field(default_factory=AgencyParams, title="第三方机构")

    def to_json(self) -> dict:
        """The stored form: complete, JSON-safe (Decimals as strings, so no float ever touches a number)."""
        return self.model_dump(mode="json")


STAGES: list[tuple[str, str]] = [
    (name, field.title or name) for name, field in PolicyParams.model_fields.items() if name != "schema_version"
]
