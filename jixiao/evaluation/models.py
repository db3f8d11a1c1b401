"""Self-evaluation (单位自评): a round per region and year creates one sheet per subject that had a budget in the
year, with the goal sheet's indicators as its lines; the unit fills in the results, the rules score it, the department
and the bureau review it.

The scores are stored on the sheet and its lines when it is saved or the round is scored, so lists and roll-ups are
one indexed aggregate; the rules that made them are in `jixiao.evaluation.rules` and every screen recomputes the
explanation from the stored inputs.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from jixiao.core.models import FiledDocument, OrgScoped, WorkflowDocument
from jixiao.core.money import MoneyField
from jixiao.evaluation.rules import OVERSHOOT_REASONS
from jixiao.evaluation.workflows import (
    DEPARTMENT_EVALUATION_WORKFLOW,
    FISCAL_EVALUATION_WORKFLOW,
    SELF_EVALUATION_WORKFLOW,
    SPOT_CHECK_WORKFLOW,
    EvaluationStep,
    SelfEvaluationState,
    SpotCheckState,
)
from jixiao.indicators.models import Comparator, Level1
from jixiao.policy.schema import Grade, QualitativeTier

SCORE = {"max_digits": 7, "decimal_places": 2, "null": True, "blank": True}
DOCUMENT_KINDS = [("notice", "评价通知"), ("work_plan", "评价工作方案"), ("plan_review", "工作方案评审意见"),
                  ("evidence", "资料、现场调研及佐证"), ("preliminary_conclusion", "初步评价结论"),
                  ("views_exchange", "交换意见记录及反馈"), ("final_conclusion", "最终评价结论"),
                  ("report", "评价报告"), ("archive_checklist", "归档清单"), ("other", "其他材料")]


class SelfEvaluationRound(models.Model):
    """One year's self-evaluation of one region: the tasks of every subject in scope, due on the profile's date."""

    region = models.ForeignKey("organisations.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name="区划")
    fiscal_year = models.ForeignKey("budget.FiscalYear", on_delete=models.PROTECT, related_name="+")
    name = models.CharField("名称", max_length=60)
    due = models.DateField("报送截止日", null=True, blank=True, help_text="为空表示随部门决算报送")
    profile_id = models.BigIntegerField("政策配置版本", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    scored_at = models.DateTimeField("最近计分时间", null=True, blank=True)
    summary = models.JSONField("汇总", default=dict, blank=True,
                               help_text="任务数、已完成数、各等级数、平均分（计分时写入）")

    class Meta:
        verbose_name = "单位自评任务"
        ordering = ["-fiscal_year__year", "region__code"]
        constraints = [models.UniqueConstraint(fields=["region", "fiscal_year"], name="uniq_self_evaluation_round")]

    def __str__(self) -> str:
        return self.name


class SelfEvaluation(OrgScoped, WorkflowDocument):
    """项目支出绩效自评表 (or the department-wide one) of one subject."""

    round = models.ForeignKey(SelfEvaluationRound, on_delete=models.CASCADE, related_name="evaluations")
    subject = models.ForeignKey("budget.PerformanceSubject", on_delete=models.CASCADE,
                                related_name="self_evaluations")
    goal_sheet = models.ForeignKey("goals.GoalSheet", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    goal_revision = models.PositiveIntegerField("绩效目标版本", default=1)
    budget_kind = models.CharField("预算类别", max_length=20, blank=True)
    frame_code = models.CharField("指标框架", max_length=40, blank=True)
    execution_weight = models.DecimalField("预算执行率分值", max_digits=6, decimal_places=2, default=10)
    # funds (资金情况): the total row, the three 其中 rows where the unit gives them
    initial_budget = MoneyField("年初预算数(元)", default=0)
    annual_budget = MoneyField("全年预算数(元)", default=0)
    recorded_executed = MoneyField("执行记录全年累计(元)", default=0, help_text="一体化系统执行记录的全年累计")
    executed = MoneyField("全年执行数(元)", default=0, help_text="默认取执行记录，单位可更正并说明")
    executed_note = models.CharField("执行数更正说明", max_length=300, blank=True)
    received = MoneyField("实际到位资金(元)", null=True, blank=True)
    funds_breakdown = models.JSONField(
        "资金来源明细", default=dict, blank=True,
        help_text="当年财政拨款/上年结转资金/其他资金 各自的年初预算数、全年预算数、全年执行数（元，字符串）")
    finished = models.BooleanField("项目已完成", null=True, blank=True)
    expected_goal = models.TextField("年度总体目标（预期）", blank=True)
    achieved_goal = models.TextField("年度总体目标实际完成情况", blank=True)
    duties = models.TextField("年度履职目标", blank=True)
    main_tasks = models.JSONField("主要任务完成情况", default=list, blank=True)
    funds_explanation = models.TextField("执行率偏低原因及整改措施", blank=True)
    conclusion_explanation = models.TextField("自评结果偏低原因及整改措施", blank=True)
    # computed by the rules
    execution_rate = models.DecimalField("预算执行率(%)", max_digits=10, decimal_places=2, null=True, blank=True)
    execution_score = models.DecimalField("执行率得分", **SCORE)
    indicator_score = models.DecimalField("指标得分", **SCORE)
    total_score = models.DecimalField("自评总分", **SCORE)
    grade = models.CharField("自评等级", max_length=10, choices=Grade.choices, blank=True)
    problems = models.PositiveSmallIntegerField("待补充说明数", default=0)
    overshoot = models.BooleanField("有超额完成须复核的指标", default=False)
    scored_at = models.DateTimeField("计分时间", null=True, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    state = models.CharField("状态", max_length=32, choices=SelfEvaluationState.choices,
                             default=SelfEvaluationState.DRAFT)

    workflow = SELF_EVALUATION_WORKFLOW

    class Meta:
        verbose_name = "单位自评表"
        ordering = ["round", "subject__code", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "subject"], name="uniq_self_evaluation")]
        indexes = [
            models.Index(fields=["round", "department"]),
            models.Index(fields=["round", "unit"]),
            models.Index(fields=["round", "state"]),
            models.Index(fields=["round", "grade"]),
            models.Index(fields=["round", "budget_kind"]),
            models.Index(fields=["subject"]),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.subject}"


class SelfEvaluationLine(models.Model):
    """One indicator of the sheet: the goal's target, the unit's result, the score."""

    evaluation = models.ForeignKey(SelfEvaluation, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField("序号", default=0)
    level1 = models.CharField("一级指标", max_length=20, choices=Level1.choices)
    level2 = models.CharField("二级指标", max_length=30, blank=True)
    name = models.CharField("三级指标", max_length=200)
    comparator = models.CharField("计算符号", max_length=12, choices=Comparator.choices)
    target_value = models.CharField("年度指标值", max_length=200, blank=True)
    target_number = models.DecimalField("指标值（数值）", max_digits=24, decimal_places=6, null=True, blank=True)
    unit = models.CharField("计量单位", max_length=20, blank=True)
    weight = models.DecimalField("分值", max_digits=6, decimal_places=2, null=True, blank=True)
    indicator = models.ForeignKey("indicators.Indicator", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    actual_value = models.CharField("实际完成值", max_length=200, blank=True)
    actual_number = models.DecimalField("完成值（数值）", max_digits=24, decimal_places=6, null=True, blank=True)
    tier = models.CharField("定性完成档次", max_length=20, choices=QualitativeTier.choices, blank=True)
    judged_score = models.DecimalField("自评打分", max_digits=6, decimal_places=2, null=True, blank=True,
                                       help_text="定性指标在所选档次区间内打分")
    overshoot_reason = models.CharField("超额原因", max_length=20, choices=list(OVERSHOOT_REASONS.items()),
                                        blank=True)
    explanation = models.TextField("偏差原因分析及改进措施", blank=True)
    score = models.DecimalField("得分", **SCORE)
    method = models.CharField("计分方法", max_length=20, blank=True)

    class Meta:
        verbose_name = "自评指标"
        ordering = ["evaluation", "position", "id"]
        indexes = [models.Index(fields=["evaluation", "position"])]


class SpotCheck(models.Model):
    """The bureau's spot check (抽查复核) of one self-evaluation round: the draw and its recorded seed."""

    round = models.OneToOneField(SelfEvaluationRound, on_delete=models.CASCADE, related_name="spot_check")
    region = models.ForeignKey("organisations.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name="区划")
    seed = models.BigIntegerField("随机种子", help_text="记录在案，同一种子对同一批自评表抽取结果相同")
    rate_pct = models.DecimalField("抽查比例(%)", max_digits=5, decimal_places=2)
    population = models.PositiveIntegerField("可抽自评表数")
    target = models.PositiveIntegerField("应抽数")
    thresholds = models.JSONField("金额分层界限(分)", default=list)
    strata = models.JSONField("分层抽取情况", default=list, help_text="每层：部门、金额层、自评表数、抽取数")
    profile_id = models.BigIntegerField("政策配置版本", null=True, blank=True)
    inflation_gap = models.DecimalField("虚高判定分差", max_digits=6, decimal_places=2)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField(auto_now_add=True)
    summary = models.JSONField("汇总", default=dict, blank=True)

    class Meta:
        verbose_name = "抽查复核"

    def __str__(self) -> str:
        return f"{self.round}抽查复核"


class SpotCheckItem(OrgScoped, WorkflowDocument):
    """One drawn self-evaluation and its re-check: the re-checker's score per line, the gap, the inflation flag."""

    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="items")
    evaluation = models.OneToOneField(SelfEvaluation, on_delete=models.CASCADE, related_name="spot_check_item")
    subject = models.ForeignKey("budget.PerformanceSubject", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField("抽取原因", max_length=30)
    stratum = models.CharField("所在分层", max_length=60)
    agency = models.ForeignKey("organisations.Agency", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="spot_check_items", verbose_name="复核机构",
                               help_text="为空表示财政部门自行复核")
    self_total = models.DecimalField("自评总分", **SCORE)
    self_grade = models.CharField("自评等级", max_length=10, choices=Grade.choices, blank=True)
    execution_score = models.DecimalField("复核执行率得分", **SCORE)
    recheck_total = models.DecimalField("复核总分", **SCORE)
    recheck_grade = models.CharField("复核等级", max_length=10, choices=Grade.choices, blank=True)
    gap = models.DecimalField("分差（自评−复核）", max_digits=7, decimal_places=2, null=True, blank=True)
    inflated = models.BooleanField("自评虚高", default=False)
    note = models.TextField("复核意见", blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    state = models.CharField("状态", max_length=32, choices=SpotCheckState.choices, default=SpotCheckState.ASSIGNED)

    workflow = SPOT_CHECK_WORKFLOW

    class Meta:
        verbose_name = "抽查复核项目"
        ordering = ["spot_check", "department__code", "subject__code", "id"]
        indexes = [models.Index(fields=["spot_check", "state"]), models.Index(fields=["spot_check", "department"]),
                   models.Index(fields=["spot_check", "inflated"]), models.Index(fields=["agency", "state"])]

    def __str__(self) -> str:
        return f"抽查复核 · {self.subject}"

    @property
    def reason_label(self) -> str:
        from jixiao.evaluation.sampling import REASON_LABELS

        return REASON_LABELS.get(self.reason, self.reason)


class SpotCheckLine(models.Model):
    item = models.ForeignKey(SpotCheckItem, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(SelfEvaluationLine, on_delete=models.CASCADE, related_name="+")
    self_score = models.DecimalField("自评得分", **SCORE)
    score = models.DecimalField("复核得分", **SCORE)
    note = models.CharField("复核说明", max_length=500, blank=True)

    class Meta:
        verbose_name = "复核指标"
        ordering = ["item", "line__position", "id"]
        constraints = [models.UniqueConstraint(fields=["item", "line"], name="uniq_spot_check_line")]


class EvaluationKind(models.TextChoices):
    DEPARTMENT = "department", "部门评价"
    FISCAL = "fiscal", "财政评价"
    RE_EVALUATION = "re_evaluation", "再评价"


class EvaluationPeriod(models.TextChoices):
    ANNUAL = "annual", "年度评价"
    MIDTERM = "midterm", "中期评价"
    POST_PERIOD = "post_period", "实施期后评价"


class Evaluation(OrgScoped, WorkflowDocument):
    """A department or fiscal evaluation (or a re-evaluation of one) of a subject, through the nine steps."""

    kind = models.CharField("评价类型", max_length=20, choices=EvaluationKind.choices)
    period = models.CharField("评价时段", max_length=20, choices=EvaluationPeriod.choices,
                              default=EvaluationPeriod.ANNUAL)
    fiscal_year = models.ForeignKey("budget.FiscalYear", on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey("budget.PerformanceSubject", on_delete=models.PROTECT, related_name="evaluations")
    reviewed = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reviews",
                                 verbose_name="被再评价的评价")
    title = models.CharField("评价名称", max_length=200)
    scope = models.TextField("评价对象和范围", blank=True)
    methods = models.JSONField("评价方法", default=list, blank=True)
    agency = models.ForeignKey("organisations.Agency", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="evaluations", verbose_name="受托第三方机构")
    profile_id = models.BigIntegerField("政策配置版本", null=True, blank=True)
    is_ppp = models.BooleanField("PPP项目运营期评价", default=False)
    total_score = models.DecimalField("评价得分", **SCORE)
    grade = models.CharField("评价等级", max_length=10, choices=Grade.choices, blank=True)
    conclusion = models.TextField("评价结论", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField("归档时间", null=True, blank=True)
    state = models.CharField("当前步骤", max_length=32, choices=EvaluationStep.choices,
                             default=EvaluationStep.SCOPE)

    class Meta:
        verbose_name = "部门评价和财政评价"
        ordering = ["-fiscal_year__year", "kind", "subject__code", "id"]
        indexes = [models.Index(fields=["region", "fiscal_year", "kind"]), models.Index(fields=["department", "state"]),
                   models.Index(fields=["subject"])]

    def __str__(self) -> str:
        return self.title

    @property
    def workflow(self):
        return DEPARTMENT_EVALUATION_WORKFLOW if self.kind == EvaluationKind.DEPARTMENT else FISCAL_EVALUATION_WORKFLOW


class EvaluationDocument(FiledDocument):
    """A document of one step (notice, work plan, plan review, evidence, conclusions, report, archive checklist)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="documents")
    step = models.CharField("步骤", max_length=20, choices=EvaluationStep.choices)
    kind = models.CharField("材料类别", max_length=30, choices=DOCUMENT_KINDS)

    class Meta:
        verbose_name = "评价材料"
        ordering = ["evaluation", "added_at", "id"]
        indexes = [models.Index(fields=["evaluation", "step"])]


class EvaluationIndicator(models.Model):
    """A line of the evaluation indicator system (决策/过程/产出/效益 frame) with its weight and the score given."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="indicators")
    position = models.PositiveSmallIntegerField("序号", default=0)
    level1 = models.CharField("一级指标", max_length=20, choices=Level1.choices)
    level2 = models.CharField("二级指标", max_length=60, blank=True)
    name = models.CharField("三级指标", max_length=200)
    weight = models.DecimalField("权重（分值）", max_digits=6, decimal_places=2)
    standard = models.TextField("评分标准", blank=True)
    score = models.DecimalField("得分", **SCORE)
    basis = models.TextField("评分依据", blank=True)

    class Meta:
        verbose_name = "评价指标"
        ordering = ["evaluation", "position", "id"]
