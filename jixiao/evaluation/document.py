"""The self-evaluation summary report (部门项目支出绩效自评总结报告, 河南 附件2 outline) of a round, for the region or
one department, as an outline rendered to Word or PDF by `jixiao.core.outline`. Figures come from the stored scores
(`selectors.department_rollup`); classified subjects are counted but never named."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from jixiao.core.money import Money
from jixiao.core.outline import Outline, heading, new_outline, para, table, to_docx, to_pdf
from jixiao.core.permissions import Actor
from jixiao.evaluation import rules, selectors
from jixiao.evaluation.models import SelfEvaluationRound
from jixiao.evaluation.services import round_params
from jixiao.evaluation.workflows import DONE_STATES
from jixiao.policy.schema import Grade

HEADINGS = ("一、项目支出基本情况", "二、自评工作开展情况", "三、自评结果及分析", "四、存在的问题及整改措施",
            "五、自评结果应用")
LISTED = 200  # projects named in the tables of poor results


def _wan(m: Money) -> str:
    return f"{m.format_wan()}万元"


def rollup_outline(actor: Actor, rnd: SelfEvaluationRound, *, department=None) -> Outline:
    rows, total = selectors.department_rollup(actor, rnd, department=department.pk if department else None)
    year = rnd.fiscal_year.year
    who = department.name if department else rnd.region.name
    doc = new_outline()
    heading(doc, f"{who}{year}年度项目支出绩效自评总结报告", 0)
    para(doc, f"自评年度：{year}年；报送截止日：{rnd.due or '随部门决算报送'}；金额单位：万元。")

    heading(doc, HEADINGS[0])
    para(doc, f"{year}年度纳入单位自评的项目（政策）{total.tasks}个，涉及{len(rows)}个主管部门，全年预算数"
              f"{_wan(total.budget)}，全年执行数{_wan(total.executed)}，预算执行率"
              f"{total.execution_pct if total.execution_pct is not None else '—'}%。")
    heading(doc, HEADINGS[1])
    para(doc, f"按照“谁支出、谁自评”的原则，各单位对全部项目支出开展自评。截至"
              f"{timezone.localdate():%Y年%m月%d日}，已完成自评{total.done}个，自评覆盖率{total.coverage_pct}%，"
              f"其中财政审核通过{total.accepted}个。")
    if not department:
        table(doc, ["主管部门", "项目数", "已完成", "覆盖率", "全年预算数", "全年执行数", "执行率", "平均分"],
              [[r.name, r.tasks, r.done, f"{r.coverage_pct}%", r.budget.format_wan(), r.executed.format_wan(),
                f"{r.execution_pct}%" if r.execution_pct is not None else "—",
                r.average if r.average is not None else "—"] for r in rows])
    heading(doc, HEADINGS[2])
    g = total.grades
    para(doc, f"已完成自评的项目平均得分{total.average if total.average is not None else '—'}分。其中“优”"
              f"{g[Grade.EXCELLENT]}个、“良”{g[Grade.GOOD]}个、“中”{g[Grade.FAIR]}个、“差”{g[Grade.POOR]}个。"
              f"自评等级依据政策配置的等级分档确定，每项得分均可在系统中查看计算过程。")
    table(doc, ["等级", "项目数"], [[label, g[value]] for value, label in Grade.choices])
    heading(doc, HEADINGS[3])
    params = round_params(rnd)
    low = params.low_execution_explain_below_pct
    qs = selectors.evaluation_list(actor, rnd, {"department": department.pk} if department else None).filter(
        state__in=sorted(DONE_STATES)).filter(Q(grade__in=list(params.explain_grades)) | Q(execution_rate__lt=low))
    listed = list(qs.order_by("total_score", "pk")[:LISTED])
    if listed:
        grades = "”“".join(Grade(x).label for x in params.explain_grades)
        para(doc, f"自评等级为“{grades}”或预算执行率低于{rules.fmt(low)}%的项目{qs.count()}个，原因及整改措施如下"
                  + ("（仅列前200个）" if len(listed) == LISTED else "") + "：")
        table(doc, ["项目", "主管部门", "执行率", "自评得分", "等级", "原因及整改措施"],
              [["（涉密项目）" if ev.subject.is_classified else ev.subject.name,
                ev.department.name if ev.department_id else "", f"{ev.execution_rate}%",
                ev.total_score, ev.get_grade_display(),
                "；".join(x for x in (ev.funds_explanation, ev.conclusion_explanation) if x) or "—"]
               for ev in listed])
    else:
        para(doc, f"已完成自评的项目中没有须单独说明原因（等级偏低或预算执行率低于{rules.fmt(low)}%）的项目。")
    if total.needs_explanation:
        para(doc, f"另有{total.needs_explanation}个项目的自评表尚缺必要的偏差原因说明，须补充后方可提交。")
    if total.overshoot:
        para(doc, f"{total.overshoot}个项目存在超额完成指标，须说明原因，提交财政复核。")
    heading(doc, HEADINGS[4])
    para(doc, "自评结果作为预算安排、政策调整和改进管理的依据，财政部门按不低于规定比例开展抽查复核；"
              "自评结果随部门决算按规定公开。")
    return doc


def rollup_document(actor: Actor, rnd: SelfEvaluationRound, *, department=None) -> bytes:
    return to_docx(rollup_outline(actor, rnd, department=department))


def rollup_pdf(actor: Actor, rnd: SelfEvaluationRound, *, department=None) -> bytes:
    return to_pdf(rollup_outline(actor, rnd, department=department))


# --- the evaluation report (项目支出绩效评价报告, 10号 附3 参考提纲) ------------------------------------------------
REPORT_HEADINGS = ("一、基本情况", "二、绩效评价工作开展情况", "三、综合评价情况及评价结论", "四、绩效评价指标分析",
                   "五、主要经验及做法、存在的问题及原因分析", "六、有关建议", "七、其他需要说明的问题")
TO_FILL = "（请在此填写。）"


def evaluation_outline(ev) -> Outline:
    """The report of a department or fiscal evaluation from its data: the parts the system knows are written out,
    the rest left for the evaluators to write in the Word file."""
    from jixiao.indicators.models import Level1

    subject = ev.subject
    doc = new_outline()
    heading(doc, f"{ev.title}报告", 0)
    para(doc, f"评价类型：{ev.get_kind_display()}（{ev.get_period_display()}）；评价年度：{ev.fiscal_year.year}年；"
              f"项目：{'（涉密项目）' if subject.is_classified else subject.name}；"
              f"主管部门：{ev.department.name if ev.department_id else '—'}"
              + (f"；受托机构：{ev.agency.name}" if ev.agency_id else "") + "。")
    heading(doc, REPORT_HEADINGS[0])
    heading(doc, "（一）项目概况", 2)
    para(doc, subject.description or TO_FILL)
    para(doc, f"年度预算金额{_wan(subject.annual_amount)}"
              + (f"，调整后预算{_wan(subject.adjusted_amount)}" if subject.adjusted_amount is not None else "") + "。")
    heading(doc, "（二）项目绩效目标", 2)
    goal = getattr(subject, "goal_sheet", None)
    para(doc, (goal.annual_goal if goal is not None and goal.annual_goal else TO_FILL))
    heading(doc, REPORT_HEADINGS[1])
    para(doc, f"评价对象和范围：{ev.scope or TO_FILL}")
    para(doc, f"评价方法：{'、'.join(ev.methods) if ev.methods else TO_FILL}")
    docs = list(ev.documents.all())
    if docs:
        table(doc, ["步骤", "材料", "标题", "文号或编号", "日期"],
              [[d.get_step_display(), d.get_kind_display(), d.title, d.reference or "—", f"{d.added_at:%Y-%m-%d}"]
               for d in docs])
    heading(doc, REPORT_HEADINGS[2])
    rows = list(ev.indicators.all())
    labels = dict(Level1.choices)
    groups: dict[str, list] = {}
    for r in rows:
        groups.setdefault(r.level1, []).append(r)
    if rows:
        table(doc, ["一级指标", "权重", "得分"],
              [[labels.get(k, k), sum(r.weight for r in v), sum((r.score or 0) for r in v)] for k, v in groups.items()]
              + [["合计", sum(r.weight for r in rows), ev.total_score if ev.total_score is not None else "—"]])
    para(doc, f"综合评价得分{ev.total_score if ev.total_score is not None else '—'}分，评价等级为“"
              f"{ev.get_grade_display() or '—'}”。{ev.conclusion}")
    heading(doc, REPORT_HEADINGS[3])
    for key, items in groups.items():
        heading(doc, f"（{labels.get(key, key)}）", 2)
        table(doc, ["二级指标", "三级指标", "权重", "得分", "评分依据"],
              [[r.level2, r.name, r.weight, r.score if r.score is not None else "—", r.basis or "—"] for r in items])
    for h in REPORT_HEADINGS[4:]:
        heading(doc, h)
        para(doc, TO_FILL)
    return doc


def evaluation_document(ev) -> bytes:
    return to_docx(evaluation_outline(ev))


def evaluation_pdf(ev) -> bytes:
    return to_pdf(evaluation_outline(ev))
