"""The monitoring report (绩效运行监控报告) as Word, generated from the data in the reference outline
(财预〔2019〕136号; 河南 监控办法 第十二条): 一、组织实施情况  二、预算执行进度及趋势  三、绩效目标实现程度及趋势
四、主要问题及原因  五、改进意见（措施）  六、其他需要说明的问题 — for a region's round, or one department's part of it
(部门绩效运行监控报告).

Every figure comes from what the actor may AGGREGATE: the dashboard (`selectors.dashboard`), the year-end sweep
(`selectors.year_end_sweep`) and a few more GROUP BY aggregates below, each one query whatever the size of the round;
the lists (red subjects, 完全不可能 indicators, key monitoring) are capped and fetched with their relations. Classified
subjects (涉密) appear by code only, without their names, indicator names or free text. Money is in 万元.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from jixiao.core.money import Money
from jixiao.core.outline import Outline, heading, new_outline, para, table, to_docx, to_pdf
from jixiao.core.permissions import Action, Actor, scope
from jixiao.goals.stats import share
from jixiao.indicators.models import Level1
from jixiao.monitoring import selectors, services
from jixiao.monitoring.choices import DeviationCause, Likelihood
from jixiao.monitoring.models import MonitoringDisposition, MonitoringIndicator, MonitoringReport, MonitoringRound
from jixiao.monitoring.workflows import DispositionState, ReportState
from jixiao.policy.schema import Colour
from jixiao.policy.schema import Disposition as Measure

HEADINGS = ("一、组织实施情况", "二、预算执行进度及趋势", "三、绩效目标实现程度及趋势", "四、主要问题及原因",
            "五、改进意见（措施）", "六、其他需要说明的问题")
TOP_RED = 20  # red subjects described in section 4
TOP_LIST = 20  # 完全不可能 indicators, key monitoring, subjects behind schedule
TOP_DEPARTMENTS = 10  # departments behind schedule (region level)
CLASSIFIED = "涉密项目"
COLOUR_WORD = {Colour.GREEN: "绿色", Colour.YELLOW: "黄色", Colour.RED: "红色", Colour.BLUE: "蓝色"}


def _wan(m: Money) -> str:
    return f"{m.format_wan()}万元"


def _label(code: str, name: str, classified: bool) -> str:
    return f"{CLASSIFIED}（{code}）" if classified else f"{name}（{code}）"


def _date(d) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _pct(part, whole) -> str:
    return f"{share(part, whole)}%"


def _rate(spent: Money, budget: Money) -> str:
    return _pct(spent.fen, budget.fen)


# --- the aggregates the dashboard does not give -------------------------------------------------------------------
@dataclass
class Flags:
    """Per-report counts and sums over the round in reach, from one aggregate."""

    states: dict[str, int]
    execution: dict[str, int]
    goal: dict[str, int]
    gap: int
    floor: int
    impossible: int
    forecast_n: int
    forecast: Money
    forecast_budget: Money


def _flags(reports: QuerySet) -> Flags:
    agg = {f"state_{s}": Count("pk", filter=Q(state=s)) for s in ReportState.values}
    agg |= {f"exec_{c}": Count("pk", filter=Q(execution_colour=c)) for c in Colour.values}
    agg |= {f"goal_{c}": Count("pk", filter=Q(goal_colour=c)) for c in Colour.values}
    has_forecast = Q(expected_year_end__isnull=False)
    got = reports.aggregate(
        **agg, gap=Count("pk", filter=Q(gap_exceeded=True)), floor=Count("pk", filter=Q(floor_breached=True)),
        impossible=Count("pk", filter=Q(impossible=True)), forecast_n=Count("pk", filter=has_forecast),
        forecast=Sum("expected_year_end"), forecast_budget=Sum("budget_amount", filter=has_forecast))
    return Flags(
        states={s: got[f"state_{s}"] for s in ReportState.values},
        execution={c: got[f"exec_{c}"] for c in Colour.values},
        goal={c: got[f"goal_{c}"] for c in Colour.values},
        gap=got["gap"], floor=got["floor"], impossible=got["impossible"], forecast_n=got["forecast_n"],
        forecast=selectors._money(got["forecast"]), forecast_budget=selectors._money(got["forecast_budget"]))


def _states_by_department(reports: QuerySet) -> dict[int, Counter]:
    out: dict[int, Counter] = {}
    for dept, state, n in reports.values("department_id", "state").order_by().annotate(n=Count("pk")).values_list(
            "department_id", "state", "n"):
        out.setdefault(dept, Counter())[state] += n
    return out


def _indicator_groups(reports: QuerySet) -> tuple[dict[str, Counter], Counter]:
    """Indicator rows by first-level group and colour, and by likelihood, from one GROUP BY."""
    by_level: dict[str, Counter] = {}
    likelihood: Counter = Counter()
    for level1, colour, like, n in (MonitoringIndicator.objects.filter(report__in=reports.values("pk"))
                                    .values("level1", "colour", "likelihood").order_by().annotate(n=Count("pk"))
                                    .values_list("level1", "colour", "likelihood", "n")):
        by_level.setdefault(level1, Counter())[colour or ""] += n
        likelihood[like or ""] += n
    return by_level, likelihood


def _cause_tally(reports: QuerySet) -> Counter:
    """Deviation causes ticked on the indicator rows: grouped by the stored list (a handful of combinations), then
    each cause counted once per row."""
    tally: Counter = Counter()
    for causes, n in (MonitoringIndicator.objects.filter(report__in=reports.values("pk"))
                      .exclude(deviation_causes=[]).values("deviation_causes").order_by().annotate(n=Count("pk"))
                      .values_list("deviation_causes", "n")):
        for cause in set(causes or []):
            tally[cause] += n
    return tally


def _dispositions_by_measure(dispositions: QuerySet) -> tuple[dict[str, Counter], dict[str, Money]]:
    counts: dict[str, Counter] = {}
    reduced: dict[str, Money] = {}
    for measure, state, n, amount in (dispositions.values("measure", "state").order_by()
                                      .annotate(n=Count("pk"), amount=Sum("reduce_amount"))
                                      .values_list("measure", "state", "n", "amount")):
        counts.setdefault(measure or "", Counter())[state] += n
        reduced[measure or ""] = reduced.get(measure or "", Money(0)) + selectors._money(amount)
    return counts, reduced


def _previous_round(rnd: MonitoringRound) -> MonitoringRound | None:
    return (MonitoringRound.objects.filter(region_id=rnd.region_id, fiscal_year_id=rnd.fiscal_year_id, kind=rnd.kind,
                                           period_end__lt=rnd.period_end).order_by("-period_end", "-pk").first())


# --- the document -------------------------------------------------------------------------------------------------
def round_outline(actor: Actor, rnd: MonitoringRound, *, department=None) -> Outline:
    """The 绩效运行监控报告 of `rnd` (an outline, for Word or PDF) over what `actor` may AGGREGATE, or one
    department's part of it (部门绩效运行监控报告) when `department` (a Department) is given."""
    params = services.round_params(rnd)
    tp = services.round_time_progress(rnd, params)
    board = selectors.dashboard(actor, rnd, department=department)
    reports = scope(actor, Action.AGGREGATE, MonitoringReport.objects.filter(round=rnd))
    dispositions = scope(actor, Action.AGGREGATE, MonitoringDisposition.objects.filter(round=rnd))
    if department:
        reports = reports.filter(department=department)
        dispositions = dispositions.filter(department=department)
    flags = _flags(reports)
    t = board.totals
    year = rnd.fiscal_year.year

    doc = new_outline()
    if department:
        heading(doc, f"{department.name}{year}年度部门绩效运行监控报告", 0)
    else:
        heading(doc, f"{rnd.region.name}{year}年度绩效运行监控报告", 0)
    heading(doc, f"（{rnd.name}）", 0)
    para(doc, f"监控轮次：{year}年{rnd.name}；数据截止日：{_date(rnd.period_end)}"
              + (f"；报送截止日：{_date(rnd.due)}" if rnd.due else "")
              + f"；{tp.explain()}。金额单位：万元。")

    # 一、组织实施情况
    heading(doc, HEADINGS[0])
    scope_text = f"{len(board.by_department)}个主管部门的" if not department else ""
    para(doc, f"按照预算执行进度和绩效目标实现程度“双监控”的要求，本轮监控纳入{scope_text}{t.total}个项目（政策），"
              f"预算{_wan(t.budget)}。截至目前，已报送{t.reported}个，报送完成率{t.completion_pct}%；"
              f"其中财政审核通过{flags.states[ReportState.ACCEPTED]}个，"
              f"待财政审核{flags.states[ReportState.DEPARTMENT_PASSED]}个，"
              f"待主管部门审核{flags.states[ReportState.SUBMITTED]}个；"
              f"尚未报送{flags.states[ReportState.DRAFT]}个，退回修改{flags.states[ReportState.RETURNED]}个。")
    if rnd.computed_at:
        para(doc, f"预警于{_date(timezone.localtime(rnd.computed_at))}按报送数据计算。")
    if not department and board.by_department:
        states = _states_by_department(reports)
        table(doc, ["主管部门", "项目数", "已报送", "审核通过", "未报送", "报送完成率"],
              [[r.label, r.total, r.reported, states.get(r.key, Counter())[ReportState.ACCEPTED],
                r.total - r.reported, f"{r.completion_pct}%"] for r in board.by_department])

    # 二、预算执行进度及趋势
    heading(doc, HEADINGS[1])
    ex = flags.execution
    para(doc, f"截至{_date(rnd.period_end)}，纳入监控的项目预算{_wan(t.budget)}，执行{_wan(t.spent)}，"
              f"预算执行率{t.execution_pct}%，序时进度{tp.pct}%，"
              + ("执行率低于序时进度" if t.execution_pct < tp.pct else "执行率不低于序时进度")
              + f"。按执行率与序时进度之比，预算执行绿色{ex[Colour.GREEN]}个、黄色预警{ex[Colour.YELLOW]}个、"
              f"红色预警{ex[Colour.RED]}个；慢于序时进度的金额合计{_wan(t.behind)}。"
              + (f"低于累计执行率下限的{flags.floor}个。" if params.cumulative_floors else ""))
    if flags.forecast_n:
        para(doc, f"{flags.forecast_n}个项目填报了全年预计执行数，合计{_wan(flags.forecast)}，"
                  f"占其预算{_wan(flags.forecast_budget)}的{_rate(flags.forecast, flags.forecast_budget)}。")
    previous = _previous_round(rnd)
    if previous is not None:
        before = selectors.dashboard(actor, previous, department=department).totals
        para(doc, f"与上一监控节点（{previous.name}，截至{_date(previous.period_end)}）相比，预算执行率由"
                  f"{before.execution_pct}%变为{t.execution_pct}%，红色预警项目由{before.colours.red}个变为"
                  f"{t.colours.red}个，黄色预警项目由{before.colours.yellow}个变为{t.colours.yellow}个。")
    if board.by_budget:
        para(doc, "分预算类别执行情况如下：")
        table(doc, ["预算类别", "项目数", "预算数", "执行数", "执行率", "红色", "黄色", "慢于序时进度金额"],
              [[r.label, r.total, r.budget.format_wan(), r.spent.format_wan(), f"{r.execution_pct}%",
                r.colours.red, r.colours.yellow, r.behind.format_wan()] for r in board.by_budget])
    sweep, truncated = selectors.year_end_sweep(actor, rnd, department=department)
    behind_lines = sorted((line for group in sweep for line in group.lines if line.behind.fen > 0),
                          key=lambda line: (-line.behind.fen, line.code))
    if not department:
        groups = sorted((g for g in sweep if g.behind.fen > 0), key=lambda g: -g.behind.fen)[:TOP_DEPARTMENTS]
        if groups:
            para(doc, f"慢于序时进度金额较大的主管部门（列前{len(groups)}个）：")
            table(doc, ["主管部门", "慢于序时进度项目数", "慢于序时进度金额", "有指标完全不可能完成的项目数"],
                  [[g.name, sum(1 for line in g.lines if line.behind.fen > 0), g.behind.format_wan(), g.impossible]
                   for g in groups])
    if behind_lines:
        top = behind_lines[:TOP_LIST]
        classified = _classified_ids([line.subject_id for line in top])
        para(doc, f"慢于序时进度金额较大的项目（列前{len(top)}个）：")
        table(doc, ["项目", "主管部门", "预算数", "执行数", "执行率", "慢于序时进度金额"],
              [[_label(line.code, line.name, line.subject_id in classified), line.department,
                line.budget.format_wan(), line.spent.format_wan(),
                f"{line.execution_rate}%" if line.execution_rate is not None else "",
                line.behind.format_wan()] for line in top])
    if truncated:
        para(doc, f"（清单超过{selectors.SWEEP_LIMIT}条，以上按前{selectors.SWEEP_LIMIT}条统计。）")

    # 三、绩效目标实现程度及趋势
    heading(doc, HEADINGS[2])
    by_level, likelihood = _indicator_groups(reports)
    colours_all = sum(by_level.values(), Counter())
    n_rows = sum(colours_all.values())
    g = flags.goal
    para(doc, f"纳入监控的{n_rows}条绩效指标中，绿色（正常）{colours_all[Colour.GREEN]}条，"
              f"蓝色（超进度，可能目标偏低）{colours_all[Colour.BLUE]}条，黄色预警{colours_all[Colour.YELLOW]}条，"
              f"红色预警{colours_all[Colour.RED]}条，未填报或未计算{colours_all['']}条。"
              f"按项目的绩效目标预警（取其指标最差颜色），红色{g[Colour.RED]}个、黄色{g[Colour.YELLOW]}个、"
              f"绿色{g[Colour.GREEN]}个、蓝色{g[Colour.BLUE]}个。")
    para(doc, f"综合预算执行和绩效目标两方面，综合预警红色{t.colours.red}个、黄色{t.colours.yellow}个、绿色"
              f"{t.colours.green}个" + (f"、蓝色（超进度）{t.colours.blue}个" if t.colours.blue else "")
              + f"项目，尚未计算{t.colours.none}个；绩效目标完成进度与预算执行进度偏差超过"
              + (f"{params.dual_gap_pct_points}个百分点的{flags.gap}个；" if params.dual_gap_pct_points is not None
                 else "限值的（本地未启用）；")
              + f"有指标“完全不可能”完成的项目{flags.impossible}个。")
    levels = [lv for lv in Level1.values if lv in by_level] + [lv for lv in by_level if lv not in Level1.values]
    if levels:
        labels = dict(Level1.choices)
        table(doc, ["一级指标", "指标数", "绿色", "蓝色", "黄色", "红色", "未计算"],
              [[labels.get(lv, lv), sum(by_level[lv].values()), by_level[lv][Colour.GREEN], by_level[lv][Colour.BLUE],
                by_level[lv][Colour.YELLOW], by_level[lv][Colour.RED], by_level[lv][""]] for lv in levels])
    if n_rows:
        para(doc, f"对全年完成目标可能性的判断：确定能{likelihood[Likelihood.CERTAIN]}条，有可能"
                  f"{likelihood[Likelihood.POSSIBLE]}条，完全不可能{likelihood[Likelihood.IMPOSSIBLE]}条，"
                  f"未判断{likelihood['']}条。")
    impossible_rows = list(MonitoringIndicator.objects.filter(report__in=reports.values("pk"),
                                                              likelihood=Likelihood.IMPOSSIBLE)
                           .select_related("report__subject", "report__department")
                           .order_by("report__department__code", "report__subject__code", "position", "pk")
                           [:TOP_LIST])
    if impossible_rows:
        more = f"（列前{TOP_LIST}条）" if likelihood[Likelihood.IMPOSSIBLE] > TOP_LIST else ""
        para(doc, f"判断为“完全不可能”完成的指标{more}：")
        for i, row in enumerate(impossible_rows, start=1):
            s = row.report.subject
            if s.is_classified:
                para(doc, f"{i}. {_label(s.code, s.name, True)}，{row.report.department.name}：1条指标完全不可能完成。")
            else:
                why = f"，原因：{row.cause_note}" if row.cause_note else ""
                now = f"{row.current_value}{row.unit}" if row.current_value else "未填"
                para(doc, f"{i}. {_label(s.code, s.name, False)}，{row.report.department.name}：“{row.name}”"
                          f"（年度指标值{row.target_value}{row.unit}，截至期末{now}）{why}。")

    # 四、主要问题及原因
    heading(doc, HEADINGS[3])
    causes = _cause_tally(reports)
    if causes:
        labels = dict(DeviationCause.choices)
        order = list(DeviationCause.values)
        tally = "，".join(f"{labels.get(c, c)}{n}条" for c, n in
                         sorted(causes.items(), key=lambda kv: (-kv[1], order.index(kv[0]) if kv[0] in order else 99)))
        para(doc, f"从指标填报的偏差原因看（一条指标可勾选多项）：{tally}。")
    else:
        para(doc, "本轮未填报指标偏差原因。")
    red = list(reports.filter(colour=Colour.RED).select_related("subject", "department", "round__fiscal_year")
               .prefetch_related("indicators").order_by("-behind_amount", "subject__code", "pk")[:TOP_RED])
    if red:
        shown = f"，按慢于序时进度金额列前{len(red)}个" if t.colours.red > len(red) else ""
        para(doc, f"综合红色预警项目{t.colours.red}个{shown}：")
        for i, report in enumerate(red, start=1):
            s = report.subject
            result = services.report_explanation(report, params)
            reasons = "；".join(result.reasons()) or "综合红色预警"
            line = (f"{i}. {_label(s.code, s.name, s.is_classified)}，{report.department.name}，预算"
                    f"{_wan(report.budget_amount)}：{reasons}。{result.execution.explain().split('。规则')[0]}。")
            if not s.is_classified:
                bad = [r for r in report.indicators.all() if r.colour == Colour.RED]
                if bad:
                    line += "红色指标：" + "；".join(
                        r.name + (f"（{r.cause_note}）" if r.cause_note else "") for r in bad) + "。"
                if report.remark:
                    line += f"单位说明：{report.remark}"
            para(doc, line)
    else:
        para(doc, "本轮没有综合红色预警项目。")

    # 五、改进意见（措施）
    heading(doc, HEADINGS[4])
    by_measure, reduced = _dispositions_by_measure(dispositions)
    total = sum(board.dispositions.values())
    states = dict(DispositionState.choices)
    state_text = "，".join(f"{states[s]}{board.dispositions[s]}个" for s in DispositionState.values
                           if board.dispositions.get(s))
    options = "、".join(Measure(m).label for m in params.disposition_options)
    para(doc, f"对须处置的预警项目，主管部门应在处置期限内选定处置方式（{options}），报财政部门确认。"
              f"本轮须处置{total}个" + (f"：{state_text}。" if state_text else "。"))
    if by_measure:
        measures = [m for m in Measure.values if m in by_measure] + ([""] if "" in by_measure else [])
        table(doc, ["处置方式", "合计"] + [states[s] for s in DispositionState.values] + ["调减（调剂）金额"],
              [[Measure(m).label if m else "尚未选定", sum(by_measure[m].values())]
               + [by_measure[m][s] for s in DispositionState.values] + [reduced[m].format_wan()] for m in measures])
    if board.overdue_dispositions:
        para(doc, f"逾期未选定处置方式的{board.overdue_dispositions}个"
                  + ("，已按规定自动暂停项目并暂停拨款。" if params.disposition_timeout_suspends else "，请督促办理。"))
    key = list(reports.filter(is_key=True).select_related("subject", "department")
               .order_by("department__code", "subject__code", "pk")[:TOP_LIST])
    if board.key_monitored:
        para(doc, f"财政重点监控项目{board.key_monitored}个：")
        for i, report in enumerate(key, start=1):
            s = report.subject
            note = f"：{report.key_note}" if report.key_note and not s.is_classified else ""
            para(doc, f"{i}. {_label(s.code, s.name, s.is_classified)}，{report.department.name}{note}。")
    advice = []
    if t.colours.red or t.colours.yellow:
        advice.append(f"对{t.colours.red}个红色、{t.colours.yellow}个黄色预警项目，主管部门督促实施单位分析原因、"
                      "加快执行，红色预警项目在处置期限内选定处置方式")
    if t.behind.fen:
        when = f"于{params.year_end_sweep.replace('-', '月', 1)}日前" if params.year_end_sweep else ""
        advice.append(f"慢于序时进度的{_wan(t.behind)}，对未有效纠正、年底前难以支出的部分{when}按规定盘活收回")
    if flags.impossible:
        advice.append(f"{flags.impossible}个有指标“完全不可能”完成的项目，因客观原因的按程序调减预算并同步调整绩效目标，"
                      "存在严重问题的暂停实施、停止拨款")
    if flags.gap:
        advice.append(f"{flags.gap}个绩效目标完成进度与预算执行进度明显偏离的项目，核实绩效目标设置和资金需求，"
                      "必要时调整")
    if t.total - t.reported:
        advice.append(f"尚未报送的{t.total - t.reported}个项目，督促实施单位尽快报送")
    if advice:
        para(doc, "下一步：" + "；".join(f"{n}是{a}" for n, a in zip("一二三四五六", advice, strict=False)) + "。")
    else:
        para(doc, "本轮监控未发现须纠偏的问题，继续按绩效目标和序时进度组织实施。")
    para(doc, "监控结果作为当年预算调整、下年度预算安排和绩效评价的重要依据。")

    # 六、其他需要说明的问题
    heading(doc, HEADINGS[5])
    para(doc, "（无。如有其他需要说明的问题，请在此补充。）")
    para(doc, "")
    signer = department.name if department else (rnd.region.bureau_name or rnd.region.name)
    para(doc, f"{signer}\n{_date(timezone.localdate())}")
    return doc


def round_document(actor: Actor, rnd: MonitoringRound, *, department=None) -> bytes:
    """The monitoring report as Word (.docx), editable before it is sent."""
    return to_docx(round_outline(actor, rnd, department=department))


def round_pdf(actor: Actor, rnd: MonitoringRound, *, department=None) -> bytes:
    """The same report as PDF (raises `jixiao.core.outline.PdfUnavailable` where the server has no Pango)."""
    return to_pdf(round_outline(actor, rnd, department=department))


def _classified_ids(subject_ids: list[int]) -> set[int]:
    from jixiao.budget.models import PerformanceSubject

    if not subject_ids:
        return set()
    return set(PerformanceSubject.objects.filter(pk__in=subject_ids, is_classified=True).values_list("pk", flat=True))
