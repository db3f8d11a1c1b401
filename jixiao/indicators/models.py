"""The indicator library (指标库): sector × domain × level classification, common and specific indicators with their
definitions, versions and usage."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Level1(models.TextChoices):
    """First-level groups of the goal frames (10号: output/benefit/satisfaction; 101号 adds cost)."""

    COST = "cost", "成本指标"
    OUTPUT = "output", "产出指标"
    BENEFIT = "benefit", "效益指标"
    SATISFACTION = "satisfaction", "满意度指标"
    # Evaluation frame (10号 附2; 53号): used by evaluation indicator systems.
    DECISION = "decision", "决策"
    PROCESS = "process", "过程"
    INPUT = "input", "投入"
    EFFECT = "effect", "效果"


class Comparator(models.TextChoices):
    """计算符号 (FASP PMKPIZBXS): ≥ ＞ ＝ ＜ ≤ 定性, plus 定量(其他)."""

    GE = "ge", "≥"
    GT = "gt", "＞"
    EQ = "eq", "＝"
    LT = "lt", "＜"
    LE = "le", "≤"
    QUALITATIVE = "qualitative", "定性"
    OTHER = "other", "定量(其他)"


class Direction(models.TextChoices):
    HIGHER_IS_BETTER = "higher", "正向"
    LOWER_IS_BETTER = "lower", "反向"
    EQUAL = "equal", "等于"
    QUALITATIVE = "qualitative", "定性"


class ValueBasis(models.TextChoices):
    """指标值设定依据 (101号 三(三))."""

    PLAN = "plan", "计划标准"
    INDUSTRY = "industry", "行业标准"
    HISTORY = "history", "历史标准"
    SPENDING_STANDARD = "spending_standard", "预算支出标准"
    OTHER = "other", "其他标准"


class IndicatorStatus(models.TextChoices):
    DRAFT = "draft", "待审核"
    ACTIVE = "active", "启用"
    RETIRED = "retired", "停用"


class Sector(models.Model):
    """A sector (行业, e.g. 教育) and its domains (领域, e.g. 学生资助) as a two-level tree."""

    code = models.CharField("编码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=60)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="domains",
                               verbose_name="所属行业")

    class Meta:
        verbose_name = "行业领域"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    """One indicator of the library. Edits create a new `IndicatorVersion`; goal sheets refer to versions, so an edit
    never changes what a sheet already used."""

    region = models.ForeignKey("organisations.Region", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name="所属区划", help_text="为空表示全国通用")
    department = models.ForeignKey("organisations.Department", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="所属部门", help_text="部门指标库")
    code = models.CharField("指标编码", max_length=40, unique=True)
    name = models.CharField("指标名称", max_length=100)
    level1 = models.CharField("一级指标", max_length=20, choices=Level1.choices)
    level2 = models.CharField("二级指标", max_length=30)
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name="行业")
    domain = models.ForeignKey(Sector, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name="领域")
    is_common = models.BooleanField("共性指标", default=False)
    explanation = models.TextField("指标解释", blank=True)
    unit = models.CharField("计量单位", max_length=20, blank=True)
    comparator = models.CharField("计算符号", max_length=12, choices=Comparator.choices, default=Comparator.GE)
    direction = models.CharField("指标方向", max_length=12, choices=Direction.choices,
                                 default=Direction.HIGHER_IS_BETTER)
    is_quantitative = models.BooleanField("定量指标", default=True)
    value_basis = models.CharField("指标值设定依据", max_length=20, choices=ValueBasis.choices, blank=True)
    formula = models.TextField("计算公式", blank=True)
    data_source = models.CharField("数据来源", max_length=100, blank=True)
    evidence_type = models.CharField("佐证材料类型", max_length=100, blank=True)
    scoring_rule = models.TextField("评(扣)分标准", blank=True)
    reference_value = models.CharField("参考值", max_length=100, blank=True)
    history = models.JSONField("历史值", default=list, blank=True,
                               help_text='[{"year": 2023, "value": "95", "source": "..."}]')
    status = models.CharField("状态", max_length=10, choices=IndicatorStatus.choices,
                              default=IndicatorStatus.ACTIVE, db_index=True)
    current_version = models.PositiveIntegerField("当前版本", default=1)
    usage_count = models.PositiveIntegerField("使用次数", default=0, db_index=True)
    source_document = models.CharField("出处", max_length=200, blank=True)
    lock_version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "绩效指标"
        verbose_name_plural = "指标库"
        ordering = ["code"]
        indexes = [
            models.Index(fields=["sector", "domain", "level1", "level2"]),
            models.Index(fields=["level1", "level2"]),
            models.Index(fields=["region", "status"]),
        ]

    def __str__(self) -> str:
        return self.name


class IndicatorVersion(models.Model):
    """A frozen copy of an indicator's definition. Goal sheets point here."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField("版本")
    data = models.JSONField()
    comment = models.CharField("修改说明", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        verbose_name = "指标版本"
        ordering = ["indicator", "version"]
        constraints = [models.UniqueConstraint(fields=["indicator", "version"], name="uniq_indicator_version")]

    def __str__(self) -> str:
        return f"{self.data.get('name', '')} v{self.version}"


class LibraryState(models.Model):
    """One row: the library's revision. Every write bumps it inside its transaction; the row lock this takes hands
    revisions out in commit order (see `jixiao.indicators.search`)."""

    revision = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "指标库版本"


class IndexChange(models.Model):
    """The change log the search index of every process catches up from: which indicators changed at which library
    revision (`indicator_ids` None: everything, rebuild). Old rows are pruned; a process that falls behind the pruned
    part rebuilds. `token` is random per revision, so a process notices a database that was reset or restored."""

    revision = models.PositiveBigIntegerField(unique=True)
    token = models.CharField(max_length=16)
    indicator_ids = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "指标库变更"
        ordering = ["revision"]
