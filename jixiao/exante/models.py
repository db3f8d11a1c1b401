"""Ex-ante performance assessments (事前绩效评估): five dimensions, conclusion, amounts, opinions, cost analysis."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from jixiao.core.models import OrgScoped, WorkflowDocument
from jixiao.core.money import MoneyField
from jixiao.costs.models import CostCategory
from jixiao.exante.workflows import ASSESSMENT_WORKFLOW, AssessmentState
from jixiao.policy.schema import Conclusion, ExemptionKind


class Requirement(models.TextChoices):
    """What the profile demands of a subject (computed by `jixiao.exante.rules.requirement_for`)."""

    NONE = "none", "无须评估"
    SIMPLIFIED = "simplified", "简易评估"
    FULL = "full", "须开展事前评估"
    FINANCE = "finance", "须财政组织或参与评估"


class ExAnteAssessment(OrgScoped, WorkflowDocument):
    """One ex-ante assessment (or exemption claim) of one subject. The latest one of a subject decides the gate."""

    subject = models.ForeignKey("budget.PerformanceSubject", on_delete=models.PROTECT, related_name="assessments",
                                verbose_name="项目")
    fiscal_year = models.ForeignKey("budget.FiscalYear", on_delete=models.PROTECT, related_name="+")
    profile_id = models.BigIntegerField("政策配置版本", null=True, blank=True)
    requirement = models.CharField("评估要求", max_length=20, choices=Requirement.choices, default=Requirement.FULL)
    requirement_reasons = models.JSONField("评估要求依据", default=list, blank=True)
    # exemption claim (blank = a real assessment)
    exemption_kind = models.CharField("免评情形", max_length=20, choices=ExemptionKind.choices, blank=True)
    exemption_reason = models.TextField("免评理由", blank=True)
    # the report
    method = models.TextField("评估方式和方法", blank=True)
    process = models.TextField("评估程序", blank=True)
    conclusion = models.CharField("总体结论", max_length=30, choices=Conclusion.choices, blank=True)
    supported_parts = models.TextField("支持的部分", blank=True)
    unsupported_parts = models.TextField("不予支持的部分", blank=True)
    suggestions = models.TextField("相关建议", blank=True)
    other_issues = models.TextField("其他需要说明的问题", blank=True)
    expert_opinion = models.TextField("专家组意见", blank=True)
    agency = models.ForeignKey("organisations.Agency", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name="受托第三方机构")
    agency_opinion = models.TextField("第三方机构意见", blank=True)
    materials_requested_on = models.DateField("要求补充材料日期", null=True, blank=True)
    materials_due = models.DateField("补充材料截止日期", null=True, blank=True)
    materials_received_on = models.DateField("补充材料收到日期", null=True, blank=True)
    expert_meeting_date = models.DateField("专家评估会日期", null=True, blank=True)
    report_due = models.DateField("报告应出具日期", null=True, blank=True)
    # amounts
    requested_amount = MoneyField("申请金额(元)", default=0)
    approved_amount = MoneyField("核定金额(元)", null=True, blank=True)
    review_amount_note = models.TextField("预算超出评审结果的说明", blank=True,
                                          help_text="预算安排超过评估（评审）核定金额时须说明理由")
    # output for unit cost (投入经济性)
    output_name = models.CharField("计划产出", max_length=100, blank=True, help_text="如“维修校舍面积”")
    output_quantity = models.DecimalField("计划产出数量", max_digits=16, decimal_places=2, null=True, blank=True)
    output_unit = models.CharField("产出计量单位", max_length=20, blank=True)
    output_standard = models.ForeignKey("costs.SpendingStandard", on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", verbose_name="单位产出适用支出标准")
    # the bureau's opinion
    finance_opinion = models.CharField("财政审核意见", max_length=30, choices=Conclusion.choices, blank=True)
    finance_opinion_text = models.TextField("审核意见说明", blank=True)
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    opinion_due = models.DateField("审核意见应出具日期", null=True, blank=True)
    opinion_at = models.DateTimeField("审核意见时间", null=True, blank=True)
    blocked_until = models.DateField("不得再次申报至", null=True, blank=True)
    state = models.CharField("状态", max_length=32, choices=AssessmentState.choices, default=AssessmentState.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    workflow = ASSESSMENT_WORKFLOW

    class Meta:
        verbose_name = "事前绩效评估"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["region", "fiscal_year", "department"]),
            models.Index(fields=["region", "fiscal_year", "state"]),
            models.Index(fields=["subject", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"事前评估：{self.subject.name}"

    @property
    def is_exemption(self) -> bool:
        return bool(self.exemption_kind)


class AssessmentDimension(models.Model):
    """One of the five dimensions (from the profile's template): the assessors' text and optional score."""

    assessment = models.ForeignKey(ExAnteAssessment, on_delete=models.CASCADE, related_name="dimensions")
    code = models.CharField("代码", max_length=40)
    name = models.CharField("评估维度", max_length=50)
    weight = models.DecimalField("分值", max_digits=6, decimal_places=2)
    score = models.DecimalField("得分", max_digits=6, decimal_places=2, null=True, blank=True)
    text = models.TextField("评估内容", blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["assessment", "position"]
        constraints = [models.UniqueConstraint(fields=["assessment", "code"], name="uniq_assessment_dimension")]


class ExpertScore(models.Model):
    """One expert's (or the commissioned agency's) scores and opinion of an assessment."""

    assessment = models.ForeignKey(ExAnteAssessment, on_delete=models.CASCADE, related_name="expert_scores")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scores = models.JSONField("各维度得分", default=dict, help_text="维度代码 → 得分（十进制字符串）")
    opinion = models.TextField("专家意见", blank=True)
    at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "expert"], name="uniq_expert_score")]


class AssessmentAttachment(models.Model):
    """Evidence files (per dimension), the exemption basis, the report."""

    class Purpose(models.TextChoices):
        EVIDENCE = "evidence", "佐证材料"
        EXEMPTION = "exemption", "免评依据"
        REPORT = "report", "评估报告"
        EXPECTED_PERFORMANCE = "expected_performance", "预期绩效报告"

    assessment = models.ForeignKey(ExAnteAssessment, on_delete=models.CASCADE, related_name="attachments")
    purpose = models.CharField("用途", max_length=30, choices=Purpose.choices, default=Purpose.EVIDENCE)
    dimension_code = models.CharField("所属维度", max_length=40, blank=True)
    file = models.FileField(upload_to="exante/%Y/%m/")
    name = models.CharField("文件名", max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)


class CostItem(models.Model):
    """One line of the cost breakdown (投入经济性): quantity × unit cost, compared with a spending standard."""

    assessment = models.ForeignKey(ExAnteAssessment, on_delete=models.CASCADE, related_name="cost_items")
    category = models.CharField("成本类别", max_length=20, choices=CostCategory.choices)
    name = models.CharField("成本项目", max_length=100)
    quantity = models.DecimalField("数量", max_digits=16, decimal_places=2, default=1)
    unit = models.CharField("单位", max_length=20, blank=True)
    unit_cost = MoneyField("单价(元)", default=0)
    amount = MoneyField("金额(元)", default=0)
    standard = models.ForeignKey("costs.SpendingStandard", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name="适用支出标准")
    note = models.CharField("测算依据", max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["assessment", "position", "id"]
