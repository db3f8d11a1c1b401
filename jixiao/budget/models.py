"""Years, the four budgets, performance subjects (the project library) and their budget lines and execution."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from jixiao.budget.workflows import SUBJECT_WORKFLOW, SubjectState
from jixiao.core.models import OrgScoped, WorkflowDocument
from jixiao.core.money import MoneyField
from jixiao.organisations.models import pinyin_sort_key


class FiscalYear(models.Model):
    """A budget year (the calendar year in China)."""

    year = models.PositiveSmallIntegerField("预算年度", unique=True)
    is_current = models.BooleanField("当前年度", default=False)

    class Meta:
        verbose_name = "预算年度"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}年"


class BudgetKind(models.TextChoices):
    """The four budgets (四本预算)."""

    GENERAL_PUBLIC = "general_public", "一般公共预算"
    GOVERNMENT_FUND = "government_fund", "政府性基金预算"
    STATE_CAPITAL = "state_capital", "国有资本经营预算"
    SOCIAL_INSURANCE = "social_insurance", "社会保险基金预算"


class SubjectKind(models.TextChoices):
    """What carries goals and is monitored and evaluated."""

    PROJECT = "project", "项目"
    POLICY = "policy", "政策"
    DEPARTMENT_WIDE = "department_wide", "部门整体支出"
    UNIT_WIDE = "unit_wide", "单位整体支出"
    TRANSFER_PAYMENT = "transfer_payment", "转移支付"


class ProjectCategory(models.TextChoices):
    """The integrated budget system's project classes (预算管理一体化规范: 人员类/运转类/特定目标类)."""

    NONE = "", "未分类"
    PERSONNEL = "personnel", "人员类项目"
    OPERATION = "operation", "运转类项目"
    SPECIFIC = "specific", "特定目标类项目"


class SpecialCategory(models.TextChoices):
    NONE = "", "无"
    PPP = "ppp", "政府和社会资本合作(PPP)"
    PROCUREMENT = "procurement", "政府采购"
    PURCHASE_OF_SERVICES = "purchase_of_services", "政府购买服务"
    SPECIAL_BOND = "special_bond", "政府专项债券"
    INVESTMENT_FUND = "investment_fund", "政府投资基金"


class ScopeKind(models.TextChoices):
    """What kind of decision the subject is (事前评估范围, 郑州2023 第八条): the same values as the policy profile's
    `ScopeKind`, plus continuing subjects that need no assessment."""

    NEW = "new", "新出台"
    CHANGED = "changed", "实施内容、标准等重大调整"
    RENEWED = "renewed", "到期申请延续"
    CONTINUING = "continuing", "延续（无重大调整）"


class ExecutionStatus(models.TextChoices):
    """Where the subject stands after monitoring's corrective measures (纠偏)."""

    NORMAL = "normal", "正常执行"
    SUSPENDED = "suspended", "暂停实施"
    CANCELLED = "cancelled", "已取消（收回资金）"


class PerformanceSubject(OrgScoped, WorkflowDocument):
    """A performance subject of one year: a project or policy of the project library (项目库), a department's or
    unit's whole spending, or a transfer payment. Continuing projects keep their code across years."""

    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.PROTECT, related_name="subjects",
                                    verbose_name="预算年度")
    code = models.CharField("项目编码", max_length=40, help_text="一体化系统项目编码，按文本保存")
    name = models.CharField("项目名称", max_length=200)
    sort_key = models.CharField(max_length=200, editable=False, default="", db_index=True)
    kind = models.CharField("类型", max_length=20, choices=SubjectKind.choices, default=SubjectKind.PROJECT)
    project_category = models.CharField("项目类别", max_length=20, choices=ProjectCategory.choices, blank=True,
                                        default="")
    budget_kind = models.CharField("预算类别", max_length=20, choices=BudgetKind.choices,
                                   default=BudgetKind.GENERAL_PUBLIC)
    special_category = models.CharField("特殊类别", max_length=30, choices=SpecialCategory.choices, blank=True,
                                        default="")
    is_new = models.BooleanField("新增项目", default=True, help_text="否则为延续项目")
    start_date = models.DateField("开始日期", null=True, blank=True)
    end_date = models.DateField("结束日期", null=True, blank=True)
    functional_class = models.CharField("功能分类科目", max_length=20, blank=True)
    functional_class_name = models.CharField("功能分类名称", max_length=100, blank=True)
    sector = models.CharField("所属行业", max_length=50, blank=True)
    description = models.TextField("项目概况", blank=True)
    annual_amount = MoneyField("年度预算金额(元)", default=0)
    total_amount = MoneyField("项目总金额(元)", default=0)
    adjusted_amount = MoneyField("调整后预算(元)", null=True, blank=True)
    is_classified = models.BooleanField("涉密/敏感", default=False)
    classified_reason = models.CharField("涉密备案原因", max_length=300, blank=True)
    classified_filed_at = models.DateField("备案日期", null=True, blank=True)
    is_research = models.BooleanField("科研类项目", default=False)
    scope_kind = models.CharField("立项性质", max_length=20, choices=ScopeKind.choices, default=ScopeKind.NEW,
                                  help_text="决定是否须开展事前绩效评估")
    government_investment = MoneyField("政府投资项目总投资(元)", null=True, blank=True)
    state = models.CharField("状态", max_length=32, choices=SubjectState.choices, default=SubjectState.DRAFT)
    execution_status = models.CharField("执行状态", max_length=20, choices=ExecutionStatus.choices,
                                        default=ExecutionStatus.NORMAL)
    payment_blocked = models.BooleanField("暂停拨款", default=False,
                                          help_text="监控逾期未处置、暂停或取消、财政重点监控停止拨款时置为是，随预算导出")
    payment_block_reason = models.CharField("暂停拨款原因", max_length=300, blank=True)
    disbursement_stopped = models.BooleanField("财政停止拨款", default=False, help_text="财政重点监控暂缓或停止拨款")
    disbursement_stop_reason = models.CharField("停止拨款原因", max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    imported_at = models.DateTimeField("最近导入时间", null=True, blank=True,
                                       help_text="最近一次从预算管理一体化系统导入的时间")

    class Meta:
        verbose_name = "绩效管理对象"
        verbose_name_plural = "项目库"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["region", "fiscal_year", "code"], name="uniq_subject_code_year"),
        ]
        indexes = [
            models.Index(fields=["region", "fiscal_year", "department"]),
            models.Index(fields=["region", "fiscal_year", "unit"]),
            models.Index(fields=["region", "fiscal_year", "budget_kind"]),
            models.Index(fields=["region", "fiscal_year", "kind"]),
            models.Index(fields=["region", "fiscal_year", "special_category"]),
            models.Index(fields=["region", "fiscal_year", "annual_amount"]),
            models.Index(fields=["region", "fiscal_year", "state"]),
            models.Index(fields=["fiscal_year", "sort_key"]),
        ]

    workflow = SUBJECT_WORKFLOW

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs):
        self.sort_key = pinyin_sort_key(self.name)
        super().save(*args, **kwargs)

    @property
    def current_amount(self):
        return self.adjusted_amount if self.adjusted_amount is not None else self.annual_amount


class BudgetLine(models.Model):
    """A budget line of a subject as the integrated budget system exports it."""

    subject = models.ForeignKey(PerformanceSubject, on_delete=models.CASCADE, related_name="budget_lines")
    line_code = models.CharField("指标编码", max_length=40, blank=True)
    functional_class = models.CharField("功能分类科目", max_length=20, blank=True)
    functional_class_name = models.CharField("功能分类名称", max_length=100, blank=True)
    economic_class = models.CharField("经济分类科目", max_length=20, blank=True)
    economic_class_name = models.CharField("经济分类名称", max_length=100, blank=True)
    fund_source = models.CharField("资金来源", max_length=50, blank=True)
    initial_amount = MoneyField("年初预算数(元)", default=0)
    adjusted_amount = MoneyField("调整后预算数(元)", default=0)
    payment_blocked = models.BooleanField("暂停支付", default=False)

    class Meta:
        verbose_name = "预算指标"
        ordering = ["subject", "id"]
        indexes = [models.Index(fields=["subject"])]


class ExecutionRecord(models.Model):
    """Spending of a subject in one month (支付/执行数), from the integrated budget system."""

    subject = models.ForeignKey(PerformanceSubject, on_delete=models.CASCADE, related_name="execution_records")
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    amount = MoneyField("当月支出(元)", default=0)

    class Meta:
        verbose_name = "月度执行"
        ordering = ["subject", "year", "month"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "year", "month"], name="uniq_execution_month"),
            models.CheckConstraint(condition=models.Q(month__gte=1, month__lte=12), name="execution_month_range"),
        ]


class SubjectGrant(models.Model):
    """Access given to an agency or an expert for one subject (a commission, an assignment). Agencies and experts see
    only what they are granted."""

    subject = models.ForeignKey(PerformanceSubject, on_delete=models.CASCADE, related_name="grants")
    agency = models.ForeignKey("organisations.Agency", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="grants")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="subject_grants")
    purpose = models.CharField("事项", max_length=100)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "访问授权"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(agency__isnull=False) | models.Q(expert__isnull=False), name="grant_has_grantee"
            )
        ]
