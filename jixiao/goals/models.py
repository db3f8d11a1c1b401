"""Goal sheets (绩效目标表): one per subject and year, with indicator rows on the profile's frame, and their reviews
and adjustments."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from jixiao.core.models import OrgScoped, WorkflowDocument
from jixiao.goals.workflows import GOAL_WORKFLOW, GoalState, ReviewLevel
from jixiao.indicators.models import Comparator, Level1, ValueBasis
from jixiao.policy.schema import Grade, ProjectCategory


class SheetKind(models.TextChoices):
    PROJECT = "project", "项目支出绩效目标"
    POLICY = "policy", "政策绩效目标"
    DEPARTMENT_WIDE = "department_wide", "部门整体支出绩效目标"
    UNIT_WIDE = "unit_wide", "单位整体支出绩效目标"
    TRANSFER_WHOLE = "transfer_whole", "转移支付整体绩效目标"
    TRANSFER_REGION = "transfer_region", "转移支付区域绩效目标"
    TRANSFER_PROJECT = "transfer_project", "转移支付项目绩效目标"


class AllocationMethod(models.TextChoices):
    NONE = "", "—"
    FACTOR = "factor", "因素法"
    PROJECT = "project", "项目法"
    OTHER = "other", "其他"


class GoalSheet(OrgScoped, WorkflowDocument):
    subject = models.OneToOneField("budget.PerformanceSubject", on_delete=models.PROTECT, related_name="goal_sheet",
                                   verbose_name="绩效管理对象")
    fiscal_year = models.ForeignKey("budget.FiscalYear", on_delete=models.PROTECT, related_name="+")
    profile_id = models.BigIntegerField("政策配置版本", null=True, blank=True)
    kind = models.CharField("目标类型", max_length=20, choices=SheetKind.choices, default=SheetKind.PROJECT)
    frame_code = models.CharField("指标框架", max_length=40)
    category = models.CharField("项目类别", max_length=30, choices=ProjectCategory.choices, blank=True,
                                help_text="工程基建类、大型修缮及购置类须设成本指标")
    allocation_method = models.CharField("分配方式", max_length=10, choices=AllocationMethod.choices, blank=True)
    has_quality_standard = models.BooleanField("有明确质量标准", default=False)
    is_key = models.BooleanField("重点项目", default=False, help_text="重点项目审核时定性与定量相结合")
    overall_goal = models.TextField("总体（实施期）目标", blank=True)
    annual_goal = models.TextField("年度目标", blank=True)
    duties = models.TextField("部门职能/年度履职目标", blank=True)
    main_tasks = models.JSONField("年度主要任务", default=list, blank=True,
                                  help_text="[{name, content, amount}]，部门整体目标填写；amount 为元（字符串）")
    policy_basis = models.TextField("立项依据/政策依据", blank=True)
    calculation_basis = models.TextField("测算依据", blank=True)
    multi_year_benefit = models.TextField("多年期效益说明", blank=True)
    survey_plan = models.TextField("满意度调查方案", blank=True)
    budget_adjustment_ref = models.CharField("关联预算调整（调剂）文号", max_length=100, blank=True)
    review_level = models.CharField("当前审核层级", max_length=20, choices=ReviewLevel.choices, blank=True)
    review_round = models.PositiveSmallIntegerField("审核轮次", default=0)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    review_due = models.DateField("审核期限", null=True, blank=True)
    resubmit_due = models.DateField("重新报送期限", null=True, blank=True)
    last_grade = models.CharField("最近审核等级", max_length=10, choices=Grade.choices, blank=True)
    state = models.CharField("状态", max_length=32, choices=GoalState.choices, default=GoalState.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    workflow = GOAL_WORKFLOW

    class Meta:
        verbose_name = "绩效目标表"
        ordering = ["subject__code"]
        indexes = [
            models.Index(fields=["region", "fiscal_year", "department"]),
            models.Index(fields=["region", "fiscal_year", "state"]),
            models.Index(fields=["region", "fiscal_year", "kind"]),
            models.Index(fields=["fiscal_year", "state"]),
        ]

    def __str__(self) -> str:
        return f"绩效目标：{self.subject.name}"


class GoalIndicator(models.Model):
    """One indicator row (三级指标) of a goal sheet with its target value."""

    sheet = models.ForeignKey(GoalSheet, on_delete=models.CASCADE, related_name="indicators")
    position = models.PositiveSmallIntegerField("序号", default=0)
    level1 = models.CharField("一级指标", max_length=20, choices=Level1.choices)
    level2 = models.CharField("二级指标", max_length=30)
    name = models.CharField("三级指标", max_length=200)
    comparator = models.CharField("计算符号", max_length=12, choices=Comparator.choices)
    target_value = models.CharField("指标值", max_length=200, blank=True,
                                    help_text="按文本保存，数值由规则解析，避免浮点误差")
    unit = models.CharField("计量单位", max_length=20, blank=True)
    weight = models.DecimalField("权重（分值）", max_digits=6, decimal_places=2, null=True, blank=True)
    explanation = models.TextField("指标解释", blank=True)
    value_basis = models.CharField("指标值设定依据", max_length=20, choices=ValueBasis.choices, blank=True)
    value_method = models.CharField("取值方式", max_length=50, blank=True)
    data_source = models.CharField("数据来源", max_length=100, blank=True)
    evidence_type = models.CharField("佐证材料类型", max_length=100, blank=True)
    value_note = models.TextField("指标值说明", blank=True, help_text="定量（其他）须说明")
    indicator = models.ForeignKey("indicators.Indicator", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name="引用的库内指标")
    indicator_version = models.PositiveIntegerField("库内指标版本", null=True, blank=True)
    propose_to_library = models.BooleanField("建议纳入指标库", default=False)

    class Meta:
        verbose_name = "绩效指标"
        ordering = ["sheet", "position", "id"]
        indexes = [models.Index(fields=["sheet", "position"]), models.Index(fields=["indicator"])]


class GoalReview(models.Model):
    """One round of review of one goal sheet at one level: grades (and scores for key projects) per review point."""

    class Mode(models.TextChoices):
        ORDINARY = "ordinary", "一般项目（定性）"
        KEY = "key", "重点项目（定性+定量）"

    sheet = models.ForeignKey(GoalSheet, on_delete=models.CASCADE, related_name="reviews")
    revision = models.PositiveIntegerField("版本号", default=1)
    round = models.PositiveSmallIntegerField("轮次", default=1)
    level = models.CharField("审核层级", max_length=20, choices=ReviewLevel.choices)
    mode = models.CharField("审核方式", max_length=10, choices=Mode.choices, default=Mode.ORDINARY)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    point_grades = models.JSONField("各审核内容等级", default=dict)
    point_scores = models.JSONField("各审核内容得分", default=dict, blank=True)
    point_comments = models.JSONField("各审核内容意见", default=dict, blank=True)
    total_score = models.DecimalField("总分", max_digits=6, decimal_places=2, null=True, blank=True)
    grade = models.CharField("审核等级", max_length=10, choices=Grade.choices)
    outcome = models.CharField("审核结果", max_length=40)
    comment = models.TextField("审核意见", blank=True)
    resubmit_due = models.DateField("重新报送期限", null=True, blank=True)
    profile_id = models.BigIntegerField("政策配置版本", null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "绩效目标审核"
        ordering = ["sheet", "at", "id"]
        indexes = [models.Index(fields=["sheet", "at"]), models.Index(fields=["level", "grade"])]
