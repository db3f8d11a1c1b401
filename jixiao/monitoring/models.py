"""Monitoring (绩效运行监控, 双监控): rounds at the profile's monitoring points, one report per subject and round with
its indicator rows, and the dispositions warnings open.

The computed figures (time progress, execution rate, colours, gap) are stored on the report and its rows when the
round is computed, so the dashboards count colours with one indexed aggregate; the rules that made them are in
`jixiao.monitoring.rules` and every screen can recompute the explanation from the stored inputs.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from jixiao.core.models import OrgScoped, WorkflowDocument
from jixiao.core.money import MoneyField
from jixiao.indicators.models import Comparator, Level1
from jixiao.monitoring.choices import Achievement, Likelihood, RoundKind
from jixiao.monitoring.workflows import (
    DISPOSITION_WORKFLOW,
    REPORT_WORKFLOW,
    DispositionState,
    ReportState,
)
from jixiao.policy.schema import Colour
from jixiao.policy.schema import Disposition as Measure

COLOUR_FIELD = {"max_length": 10, "choices": Colour.choices, "blank": True}


class MonitoringRound(models.Model):
    """One monitoring point of one region and year (e.g. 1-7月 data due 8月15日), with a task per subject in scope."""

    region = models.ForeignKey("organisations.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name="区划")
    fiscal_year = models.ForeignKey("budget.FiscalYear", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("类型", max_length=20, choices=RoundKind.choices, default=RoundKind.POINT)
    name = models.CharField("名称", max_length=60)
    period_end = models.DateField("数据截止日")
    data_months = models.PositiveSmallIntegerField("数据月数")
    due = models.DateField("报送截止日", null=True, blank=True)
    profile_id = models.BigIntegerField("政策配置版本", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    computed_at = models.DateTimeField("最近计算预警时间", null=True, blank=True)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    summary = models.JSONField("汇总", default=dict, blank=True,
                               help_text="按颜色的项目数、已报送数、须处置数及金额（分），计算和报送时更新，供上级汇总")

    class Meta:
        verbose_name = "监控轮次"
        ordering = ["-fiscal_year__year", "period_end", "id"]
        constraints = [models.UniqueConstraint(fields=["region", "fiscal_year", "kind", "period_end"],
                                               name="uniq_monitoring_round")]

    def __str__(self) -> str:
        return f"{self.fiscal_year.year}年{self.name}"


class MonitoringRoundFigures(models.Model):
    """The round's reports counted by department, budget kind and colour (the dashboard's GROUP BY), stored whenever
    the round is summarised (every computation, report transition and key-monitoring change), so the bureau's
    dashboard of a province's round reads a few hundred numbers instead of grouping ten thousand reports."""

    round = models.OneToOneField(MonitoringRound, on_delete=models.CASCADE, primary_key=True, related_name="figures")
    groups = models.JSONField("分组汇总", default=list, help_text="每组：部门、预算类别、颜色及其计数和金额（分）")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "监控轮次分组汇总"


class MonitoringReport(OrgScoped, WorkflowDocument):
    """The monitoring form of one subject in one round (项目/部门整体绩效监控表)."""

    round = models.ForeignKey(MonitoringRound, on_delete=models.CASCADE, related_name="reports")
    subject = models.ForeignKey("budget.PerformanceSubject", on_delete=models.CASCADE,
                                related_name="monitoring_reports")
    goal_sheet = models.ForeignKey("goals.GoalSheet", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    goal_revision = models.PositiveIntegerField("绩效目标版本", default=1)
    budget_kind = models.CharField("预算类别", max_length=20, blank=True,
                                   help_text="生成任务时从项目库复制，供按四本预算统计")
    budget_amount = MoneyField("预算数(元)", default=0, help_text="调整后预算数，生成任务或重新计算时从项目库读取")
    recorded_spent = MoneyField("执行记录累计数(元)", default=0, help_text="一体化系统月度执行记录截至数据月份的累计")
    spent_to_date = MoneyField("截至期末执行数(元)", null=True, blank=True, help_text="默认取执行记录累计，单位可更正")
    spent_note = models.CharField("执行数更正说明", max_length=300, blank=True)
    expected_year_end = MoneyField("全年预计执行数(元)", null=True, blank=True)
    annual_goal = models.TextField("年度总体目标", blank=True)
    goal_progress = models.TextField("年度总体目标完成情况", blank=True)
    duties = models.TextField("年度履职目标", blank=True)
    main_tasks = models.JSONField("主要任务完成情况", default=list, blank=True,
                                  help_text="[{name, content, progress}]，部门（单位）整体监控填写")
    remark = models.TextField("备注", blank=True)
    is_key = models.BooleanField("财政重点监控", default=False)
    key_note = models.CharField("重点监控说明", max_length=300, blank=True)
    # computed by services.round_compute / report_compute
    time_progress = models.DecimalField("序时进度(%)", max_digits=6, decimal_places=2, null=True, blank=True)
    execution_rate = models.DecimalField("预算执行率(%)", max_digits=10, decimal_places=2, null=True, blank=True)
    execution_colour = models.CharField("预算执行预警", **COLOUR_FIELD)
    goal_colour = models.CharField("绩效目标预警", **COLOUR_FIELD)
    colour = models.CharField("综合预警", **COLOUR_FIELD)
    gap = models.DecimalField("双监控偏差(百分点)", max_digits=10, decimal_places=2, null=True, blank=True)
    gap_exceeded = models.BooleanField("偏差超限", default=False)
    floor_breached = models.BooleanField("低于累计执行率下限", default=False)
    impossible = models.BooleanField("有指标完全不可能完成", default=False)
    needs_disposition = models.BooleanField("须处置", default=False)
    behind_amount = MoneyField("慢于序时进度金额(元)", default=0)
    rows_total = models.PositiveIntegerField("指标数", default=0)
    rows_blue = models.PositiveIntegerField("蓝色（超进度）指标数", default=0)
    rows_green = models.PositiveIntegerField("绿色指标数", default=0)
    rows_yellow = models.PositiveIntegerField("黄色指标数", default=0)
    rows_red = models.PositiveIntegerField("红色指标数", default=0)
    computed_at = models.DateTimeField("计算时间", null=True, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    state = models.CharField("状态", max_length=32, choices=ReportState.choices, default=ReportState.DRAFT)

    workflow = REPORT_WORKFLOW

    class Meta:
        verbose_name = "绩效监控表"
        ordering = ["round", "subject__code", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "subject"], name="uniq_monitoring_report")]
        indexes = [
            models.Index(fields=["round", "department"]),
            models.Index(fields=["round", "unit"]),
            models.Index(fields=["round", "state"]),
            models.Index(fields=["round", "colour"]),
            models.Index(fields=["round", "budget_kind"]),
            models.Index(fields=["round", "needs_disposition"]),
            models.Index(fields=["subject"]),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.subject}"


class MonitoringIndicator(models.Model):
    """One indicator row of a report: the goal sheet's target (copied when the task is made) and the progress."""

    report = models.ForeignKey(MonitoringReport, on_delete=models.CASCADE, related_name="indicators")
    position = models.PositiveSmallIntegerField("序号", default=0)
    level1 = models.CharField("一级指标", max_length=20, choices=Level1.choices)
    level2 = models.CharField("二级指标", max_length=30)
    name = models.CharField("三级指标", max_length=200)
    comparator = models.CharField("计算符号", max_length=12, choices=Comparator.choices)
    target_value = models.CharField("年度指标值", max_length=200, blank=True)
    target_number = models.DecimalField("指标值（数值）", max_digits=24, decimal_places=6, null=True, blank=True)
    unit = models.CharField("计量单位", max_length=20, blank=True)
    weight = models.DecimalField("权重", max_digits=6, decimal_places=2, null=True, blank=True)
    indicator = models.ForeignKey("indicators.Indicator", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    current_value = models.CharField("截至期末完成情况", max_length=200, blank=True)
    current_number = models.DecimalField("完成值（数值）", max_digits=24, decimal_places=6, null=True, blank=True)
    achievement = models.CharField("定性完成情况", max_length=20, choices=Achievement.choices, blank=True)
    expected_value = models.CharField("全年预计完成情况", max_length=200, blank=True)
    deviation_causes = models.JSONField("偏差原因", default=list, blank=True)
    cause_note = models.TextField("原因说明", blank=True)
    likelihood = models.CharField("完成目标可能性", max_length=20, choices=Likelihood.choices, blank=True)
    remark = models.TextField("备注（措施）", blank=True)
    colour = models.CharField("预警", **COLOUR_FIELD)
    ratio = models.DecimalField("进度比(%)", max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = "监控指标"
        ordering = ["report", "position", "id"]
        indexes = [models.Index(fields=["report", "position"])]


class MonitoringDisposition(OrgScoped, WorkflowDocument):
    """The decision a warning opens (纠偏处置): the measure the department chooses and the bureau approves."""

    report = models.OneToOneField(MonitoringReport, on_delete=models.CASCADE, related_name="disposition")
    round = models.ForeignKey(MonitoringRound, on_delete=models.CASCADE, related_name="dispositions",
                              verbose_name="监控轮次", help_text="即监控表的轮次，供按轮次统计和筛选")
    subject = models.ForeignKey("budget.PerformanceSubject", on_delete=models.CASCADE, related_name="dispositions")
    reasons = models.JSONField("预警原因", default=list)
    opened_on = models.DateField("预警日期")
    due = models.DateField("处置期限", null=True, blank=True)
    measure = models.CharField("处置方式", max_length=20, choices=Measure.choices, blank=True)
    measure_note = models.TextField("措施说明", blank=True)
    reduce_amount = MoneyField("调减金额(元)", null=True, blank=True)
    budget_adjustment_ref = models.CharField("预算调整（调剂）文号", max_length=100, blank=True)
    proposed_at = models.DateTimeField("提交时间", null=True, blank=True)
    approved_at = models.DateTimeField("确认时间", null=True, blank=True)
    suspended_at = models.DateTimeField("逾期暂停时间", null=True, blank=True)
    state = models.CharField("状态", max_length=32, choices=DispositionState.choices, default=DispositionState.OPEN)

    workflow = DISPOSITION_WORKFLOW

    class Meta:
        verbose_name = "预警处置"
        ordering = ["due", "id"]
        indexes = [models.Index(fields=["state", "due"]), models.Index(fields=["department", "state"]),
                   models.Index(fields=["subject"]), models.Index(fields=["round", "state"])]

    def __str__(self) -> str:
        return f"{self.subject} 预警处置"
