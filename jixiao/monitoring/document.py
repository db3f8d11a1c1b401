"""The monitoring report (绩效运行监控报告) as Word, generated from the data in the reference outline
(财预〔2019〕136号; 河南 监控办法 第十四条): 一、组织实施情况  二、预算执行进度及趋势  三、绩效目标实现程度及趋势
四、主要问题及原因  五、改进意见（措施）  六、其他需要说明的问题 — for a region's round, or one department's part of it.

Every figure comes from the scoped selectors (the actor's AGGREGATE reach); classified subjects (涉密) appear by code
only. Queries are bounded: the dashboard's aggregates, one pass over the rows that carry deviation causes, and the
top red subjects with their rows prefetched.
"""

from __future__ import annotations

from collections import Counter

from django.db.models import Count, Q

from jixiao.core.permissions import Action, Actor, scope
from jixiao.core.wordfile import heading, new_document, para, table, to_bytes
from jixiao.monitoring import selectors, services
from jixiao.monitoring.choices import DeviationCause
from jixiao.monitoring.models import MonitoringDisposition, MonitoringIndicator, MonitoringReport, MonitoringRound
from jixiao.monitoring.workflows import DispositionState
from jixiao.policy.schema import Disposition as Measure

TOP_RED = 20


def _subject_name(subject) -> str:
    return f"涉密项目（{subject.code}）" if subject.is_classified else f"{subject.name}（{subject.code}）"


def _wan(m) -> str:
    return f"{m.format_wan()}万元"


def round_document(actor: Actor, rnd: MonitoringRound, *, department=None) -> bytes:
    board = selectors.dashboard(actor, rnd, department=department)
    tp = services.round_time_progress(rnd)
    params = services.round_params(rnd)
    reports = scope(actor, Action.AGGREGATE, MonitoringReport.objects.filter(round=rnd))
    dispositions = scope(actor, Action.AGGREGATE, MonitoringDisposition.objects.filter(report__round=rnd))
    if department:
        reports = reports.filter(department=department)
        dispositions = dispositions.filter(department=department)
    t = board.totals
    who = department.name if department else f"{rnd.region.name}"
    doc = new_document()
    heading(doc, f"{who}{rnd.fiscal_year.year}年{rnd.name}报告", 0)
    para(doc, f"数据截止：{rnd.period_end:%Y年%m月%d日}；{tp.explain()}。金额单位：万元。")

    heading(doc, "一、组织实施情况")
    para(doc, f"本轮监控纳入{t.total}个项目（政策），预算{_wan(t.budget)}；已报送{t.reported}个，报送完成率"
              f"{t.completion_pct}%；报送截止日{rnd.due:%Y年%m月%d日}。" if rnd.due else
         f"本轮监控纳入{t.total}个项目（政策），预算{_wan(t.budget)}；已报送{t.reported}个，报送完成率"
         f"{t.completion_pct}%。")
    if not department and board.by_department:
        table(doc, ["主管部门", "项目数", "已报送", "完成率"],
              [[r.label, r.total, r.reported, f"{r.completion_pct}%"] for r in board.by_department])

    heading(doc, "二、预算执行进度及趋势")
    flags = reports.aggregate(floor=Count("pk", filter=Q(floor_breached=True)),
                              execution_red=Count("pk", filter=Q(execution_colour="red")),
                              execution_yellow=Count("pk", filter=Q(execution_colour="yellow")),
                              gap=Count("pk", filter=Q(gap_exceeded=True)),
                              impossible=Count("pk", filter=Q(impossible=True)))
    para(doc, f"截至{rnd.period_end:%m月%d日}，预算执行数{_wan(t.spent)}，执行率{t.execution_pct}%，"
              f"序时进度{tp.pct}%。"
              f"预算执行红色预警{flags['execution_red']}个、黄色预警{flags['execution_yellow']}个；"
              f"慢于序时进度的金额{_wan(t.behind)}。"
              + (f"低于累计执行率下限的{flags['floor']}个。" if params.cumulative_floors else ""))
    table(doc, ["预算类别", "项目数", "预算数", "执行数", "执行率", "滞后金额"],
          [[r.label, r.total, r.budget.format_wan(), r.spent.format_wan(), f"{r.execution_pct}%",
            r.behind.format_wan()] for r in board.by_budget])

    heading(doc, "三、绩效目标实现程度及趋势")
    ic = board.indicator_colours
    para(doc, f"{ic.total}条绩效指标中，绿色（正常）{ic.green}条，黄色预警{ic.yellow}条，红色预警{ic.red}条，"
              f"未填报或未计算{ic.none}条。综合预警：红色{t.colours.red}个、黄色{t.colours.yellow}个、绿色"
              f"{t.colours.green}个项目；绩效目标完成进度与预算执行进度偏差超限的{flags['gap']}个；"
              f"有指标“完全不可能”完成的{flags['impossible']}个。")

    heading(doc, "四、主要问题及原因")
    causes: Counter = Counter()
    for row_causes in (MonitoringIndicator.objects.filter(report__in=reports.values("pk"))
                       .exclude(deviation_causes=[]).values_list("deviation_causes", flat=True).iterator(2000)):
        causes.update(row_causes or [])
    labels = dict(DeviationCause.choices)
    if causes:
        tally = "；".join(f"{labels.get(c, c)}{n}条" for c, n in causes.most_common())
        para(doc, f"偏差原因（按指标计）：{tally}。")
    red = list(reports.filter(colour="red").select_related("subject", "department", "round__fiscal_year")
               .prefetch_related("indicators").order_by("-behind_amount", "subject__code")[:TOP_RED])
    if red:
        para(doc, f"红色预警项目（按滞后金额排列，列前{len(red)}个）：")
        for i, report in enumerate(red, start=1):
            reasons = "；".join(services.report_explanation(report, params).reasons()) or "综合红色预警"
            dept = report.department.name if report.department_id else ""
            para(doc, f"{i}. {_subject_name(report.subject)}，{dept}：{reasons}。")
    else:
        para(doc, "本轮没有红色预警项目。")

    heading(doc, "五、改进意见（措施）")
    grouped = dispositions.values("measure", "state").order_by().annotate(n=Count("pk"))
    by_state: Counter = Counter()
    by_measure: Counter = Counter()
    for g in grouped:
        by_state[g["state"]] += g["n"]
        if g["measure"]:
            by_measure[g["measure"]] += g["n"]
    states = dict(DispositionState.choices)
    total = sum(by_state.values())
    state_text = "；".join(f"{states[s]}{n}个" for s, n in sorted(by_state.items())) or "无"
    para(doc, f"本轮预警须处置{total}个：{state_text}。")
    if by_measure:
        chosen = "；".join(f"{Measure(m).label}{n}个" for m, n in by_measure.most_common())
        para(doc, f"已选定的处置方式：{chosen}。")
    if board.overdue_dispositions:
        para(doc, f"逾期未选定处置方式的{board.overdue_dispositions}个，已按规定暂停项目执行并暂停拨款。")
    if board.key_monitored:
        para(doc, f"财政重点监控项目{board.key_monitored}个。")
    para(doc, "下一步：对红色预警项目督促主管部门在处置期限内选定处置方式；对执行进度滞后、年底前无法完成的资金按规定"
              "收回统筹；对目标设置不合理的，随预算调整同步调整绩效目标。")

    heading(doc, "六、其他需要说明的问题")
    para(doc, "（请补充）")
    return to_bytes(doc)
