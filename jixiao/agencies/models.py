"""The registry of third-party agencies (第三方机构) and their commissions (财监〔2021〕4号; 财预〔2021〕6号).

The agency itself (name, credit code, status, registry facts) is `organisations.Agency`; here are its people (lead
evaluators and staff, cooperating experts), its engagements with units (which bar it from evaluating them), the
changes of its registered information (due within the profile's working days), its violations and the sanctions
imposed, the bureau's inspections, and its commissions: the contract, the stage gates from the work plan to the signed
report and the archive, the point-by-point replies to written comments and the quality scores at plan and draft stage.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from jixiao.agencies.rules import (
    ARCHIVE_CLASSES,
    DOCUMENT_KINDS,
    SANCTIONS,
    SERVICE_KINDS,
    VIOLATION_LABELS,
)
from jixiao.agencies.workflows import BUREAU_COMMISSION_WORKFLOW, DEPARTMENT_COMMISSION_WORKFLOW, CommissionStage
from jixiao.core.models import FiledDocument, OrgScoped, WorkflowDocument
from jixiao.core.money import MoneyField

QUALITY = {"max_digits": 5, "decimal_places": 2, "null": True, "blank": True}


class PersonRole(models.TextChoices):
    LEAD = "lead", "主评人"
    STAFF = "staff", "评价人员"
    EXPERT = "expert", "合作专家"


class AgencyPerson(models.Model):
    agency = models.ForeignKey("organisations.Agency", on_delete=models.CASCADE, related_name="people")
    name = models.CharField("姓名", max_length=60)
    role = models.CharField("身份", max_length=10, choices=PersonRole.choices, default=PersonRole.STAFF)
    title_or_qualification = models.CharField("职称或职业资格", max_length=120, blank=True,
                                              help_text="如：高级会计师、注册会计师、资产评估师；无则留空")
    certificate_no = models.CharField("证书编号", max_length=60, blank=True)
    work_years = models.PositiveSmallIntegerField("工作年限（年）", default=0)
    evaluation_years = models.PositiveSmallIntegerField("从事绩效评价年限（年）", default=0)
    negligence_sentence_ended = models.DateField("过失犯罪刑罚执行完毕日期", null=True, blank=True,
                                                 help_text="无此情形留空")
    is_active = models.BooleanField("在职", default=True)

    class Meta:
        verbose_name = "机构人员"
        ordering = ["agency", "role", "name", "id"]
        indexes = [models.Index(fields=["agency", "role", "is_active"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_role_display()}）"


class AgencyService(models.Model):
    """Work the agency does for a unit (设计/造价/招标代理/监理/审计): it may not evaluate that unit's subjects."""

    agency = models.ForeignKey("organisations.Agency", on_delete=models.CASCADE, related_name="services")
    unit = models.ForeignKey("organisations.Unit", on_delete=models.PROTECT, related_name="+", verbose_name="服务单位")
    kind = models.CharField("服务类别", max_length=20, choices=list(SERVICE_KINDS.items()))
    started_on = models.DateField("开始日期")
    description = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "机构服务记录"
        ordering = ["agency", "-started_on", "id"]
        indexes = [models.Index(fields=["agency", "unit"])]


class AgencyChange(models.Model):
    """A change of the agency's registered information and when it was recorded (due within the profile's
    `registry_update_working_days` working days of the change)."""

    agency = models.ForeignKey("organisations.Agency", on_delete=models.CASCADE, related_name="changes")
    changed_on = models.DateField("变更发生日期")
    recorded_on = models.DateField("登记更新日期")
    deadline = models.DateField("应更新截止日期")
    late = models.BooleanField("逾期更新", default=False)
    description = models.CharField("变更内容", max_length=300)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "机构信息变更"
        ordering = ["agency", "-changed_on", "-id"]


class Inspection(OrgScoped):
    """The bureau's inspection of an agency: targeted (定向检查, on a lead) or random (不定向抽查, 双随机)."""

    class Kind(models.TextChoices):
        TARGETED = "targeted", "定向检查"
        RANDOM = "random", "不定向抽查"

    class Result(models.TextChoices):
        PENDING = "pending", "待检查"
        CLEAR = "clear", "未发现问题"
        PROBLEMS = "problems", "发现问题"

    agency = models.ForeignKey("organisations.Agency", on_delete=models.PROTECT, related_name="inspections",
                               verbose_name="被检查机构")
    commission = models.ForeignKey("Commission", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="inspections", verbose_name="检查的委托业务")
    kind = models.CharField("检查方式", max_length=10, choices=Kind.choices)
    planned_on = models.DateField("检查日期")
    inspectors = models.CharField("检查人员", max_length=200)
    focus = models.CharField("检查内容", max_length=300, blank=True,
                             help_text="执业情况、登记信息、报告上传及档案管理、主评人管理、内部质量控制、分支机构管理")
    seed = models.BigIntegerField("随机种子", null=True, blank=True)
    result = models.CharField("检查结果", max_length=10, choices=Result.choices, default=Result.PENDING)
    findings = models.TextField("检查发现", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "机构检查"
        ordering = ["-planned_on", "-id"]
        indexes = [models.Index(fields=["region", "planned_on"]), models.Index(fields=["agency", "result"])]


class AgencyViolation(models.Model):
    """A prohibited behaviour found (第十一条) and the sanction imposed (第二十六条)."""

    agency = models.ForeignKey("organisations.Agency", on_delete=models.PROTECT, related_name="violations")
    region = models.ForeignKey("organisations.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name="处理机关所在区划")
    kind = models.CharField("违规情形", max_length=30, choices=list(VIOLATION_LABELS.items()))
    occurred_on = models.DateField("发生或查实日期")
    description = models.TextField("情况说明")
    sanction = models.CharField("处理方式", max_length=20, choices=list(SANCTIONS.items()), blank=True)
    commission = models.ForeignKey("Commission", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name="涉及委托业务")
    inspection = models.ForeignKey(Inspection, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="violations", verbose_name="发现于检查")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "违规记录及处理"
        ordering = ["agency", "-occurred_on", "-id"]
        indexes = [models.Index(fields=["agency", "occurred_on"])]


class Purpose(models.TextChoices):
    SPOT_CHECK = "spot_check", "抽查复核"
    DEPARTMENT_EVALUATION = "department_evaluation", "部门评价"
    FISCAL_EVALUATION = "fiscal_evaluation", "财政评价"
    RE_EVALUATION = "re_evaluation", "再评价"
    EXANTE = "exante", "事前绩效评估"
    GOALS = "goals", "绩效目标审核"
    OTHER = "other", "其他"


class Commission(OrgScoped, WorkflowDocument):
    """One commission of an agency (委托合同): by the bureau (department empty) or a department, for a subject or a
    spot check, through the stage gates of 财监〔2021〕4号 第十五～二十条."""

    agency = models.ForeignKey("organisations.Agency", on_delete=models.PROTECT, related_name="commissions",
                               verbose_name="受托机构")
    purpose = models.CharField("委托事项", max_length=30, choices=Purpose.choices)
    title = models.CharField("委托业务名称", max_length=200)
    subject = models.ForeignKey("budget.PerformanceSubject", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="commissions", verbose_name="评价对象")
    evaluation = models.OneToOneField("evaluation.Evaluation", on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="commission")
    spot_check = models.ForeignKey("evaluation.SpotCheck", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="commissions")
    fiscal_year = models.PositiveSmallIntegerField("年度")
    contract_no = models.CharField("合同编号", max_length=60, blank=True)
    contract_amount = MoneyField("合同金额", null=True, blank=True)
    signed_on = models.DateField("签订日期", null=True, blank=True)
    due_on = models.DateField("约定完成日期", null=True, blank=True)
    contract_terms = models.TextField("合同主要条款", blank=True,
                                      help_text="委托事项、期限、费用及支付方式、双方权利义务、归档责任、违约责任、争议解决")
    lead = models.ForeignKey(AgencyPerson, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name="主评人")
    team = models.ManyToManyField(AgencyPerson, blank=True, related_name="commissions", verbose_name="工作组成员")
    plan_elements = models.JSONField("实施方案要素", default=list, blank=True)
    plan_quality = models.DecimalField("方案阶段质量评分", **QUALITY)
    draft_quality = models.DecimalField("初稿阶段质量评分", **QUALITY)
    signed_by = models.CharField("签字主评人", max_length=60, blank=True)
    sealed = models.BooleanField("已加盖机构公章", default=False)
    report_uploaded = models.BooleanField("报告信息已上传信用管理平台", default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField("归档时间", null=True, blank=True)
    state = models.CharField("阶段", max_length=32, choices=CommissionStage.choices, default=CommissionStage.PLAN)

    class Meta:
        verbose_name = "委托业务"
        ordering = ["-fiscal_year", "-id"]
        indexes = [models.Index(fields=["agency", "state"]), models.Index(fields=["region", "fiscal_year"]),
                   models.Index(fields=["department", "state"]), models.Index(fields=["subject"])]

    def __str__(self) -> str:
        return self.title

    @property
    def workflow(self):
        return DEPARTMENT_COMMISSION_WORKFLOW if self.department_id else BUREAU_COMMISSION_WORKFLOW


class CommissionDocument(FiledDocument):
    commission = models.ForeignKey(Commission, on_delete=models.CASCADE, related_name="documents")
    stage = models.CharField("阶段", max_length=32, choices=CommissionStage.choices)
    kind = models.CharField("材料类别", max_length=20, choices=list(DOCUMENT_KINDS.items()))

    class Meta:
        verbose_name = "委托业务材料"
        ordering = ["commission", "added_at", "id"]
        indexes = [models.Index(fields=["commission", "kind"])]

    @property
    def archive_class(self) -> str:
        return next((label for label, kinds in ARCHIVE_CLASSES.items() if self.kind in kinds), "其他")


class CommissionComment(models.Model):
    """A written comment on the draft (by the evaluated party, the commissioner or an expert) and the agency's
    point-by-point reply: accepted or not, and why."""

    class Source(models.TextChoices):
        EVALUATED = "evaluated", "被评价单位"
        COMMISSIONER = "commissioner", "委托方"
        EXPERT = "expert", "评审专家"

    commission = models.ForeignKey(Commission, on_delete=models.CASCADE, related_name="comments")
    number = models.PositiveSmallIntegerField("序号")
    source = models.CharField("意见来源", max_length=20, choices=Source.choices)
    text = models.TextField("意见内容")
    accepted = models.BooleanField("是否采纳", null=True, blank=True)
    reply = models.TextField("回复及理由", blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    replied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "征求意见及回复"
        ordering = ["commission", "number"]
        constraints = [models.UniqueConstraint(fields=["commission", "number"], name="uniq_commission_comment")]

