"""The assessment report as Word (.docx), generated from the data in the reference outline (河南 第二十条; RULES §2.3):

一、评估对象  二、评估方式和方法  三、评估内容与结论 (one part per dimension)  四、总体结论  五、相关建议
六、其他需要说明的问题; 附件1 专家意见; 附件2 成本测算明细.

Chinese text needs the East Asian font slot (w:eastAsia) set, or Word keeps a Latin font for it.
"""

from __future__ import annotations

import io

from jixiao.core.permissions import Actor
from jixiao.core.wordfile import NUMERALS, new_document
from jixiao.core.wordfile import heading as _heading
from jixiao.core.wordfile import para as _para
from jixiao.core.wordfile import table as _table
from jixiao.costs.models import CostCategory
from jixiao.exante import rules, selectors
from jixiao.exante.models import ExAnteAssessment
from jixiao.exante.services import params_of


def _yuan(m) -> str:
    return "—" if m is None else f"{m.format_yuan()}元"


def _wan(m) -> str:
    return "—" if m is None else f"{m.format_wan()}万元"


def _num(value) -> str:
    return "—" if value is None else rules._num(value)


def assessment_report_docx(actor: Actor, assessment: ExAnteAssessment) -> bytes:
    """The report of one (already authorised) assessment as .docx bytes."""
    a = assessment
    s = a.subject
    dims = selectors.dimensions(a)
    scores = selectors.expert_scores(a)
    summary = selectors.score_summary(a, dims, scores)
    analysis = selectors.cost_analysis(actor, a)
    params = params_of(a)

    doc = new_document()
    _heading(doc, f"{s.name}事前绩效评估报告", 0)
    if a.is_exemption:
        _para(doc, f"本项目申请免于事前绩效评估，情形：{a.get_exemption_kind_display()}。"
                   f"理由：{a.exemption_reason or '—'}")

    n = iter(NUMERALS)
    _heading(doc, f"{next(n)}、评估对象")
    _para(doc, f"项目名称：{s.name}（项目编码 {s.code}）")
    _para(doc, f"主管部门：{a.department.name if a.department_id else '—'}；"
               f"预算单位：{a.unit.name if a.unit_id else '（部门本级）'}；预算年度：{a.fiscal_year.year}年")
    _para(doc, f"项目类型：{s.get_kind_display()}；立项性质：{s.get_scope_kind_display()}；"
               f"年度预算：{_wan(s.annual_amount)}；项目总金额：{_wan(s.total_amount)}")
    _para(doc, f"申请金额：{_wan(a.requested_amount)}；评估要求：{a.get_requirement_display()}"
               + (f"（{'；'.join(a.requirement_reasons)}）" if a.requirement_reasons else ""))
    if s.description:
        _para(doc, f"项目概况：{s.description}")

    _heading(doc, f"{next(n)}、评估方式和方法")
    _para(doc, a.method or "—")
    if a.process:
        _para(doc, f"评估程序：{a.process}")
    if a.expert_meeting_date:
        _para(doc, f"专家评估会日期：{a.expert_meeting_date:%Y年%m月%d日}")

    _heading(doc, f"{next(n)}、评估内容与结论")
    for i, d in enumerate(dims):
        score = (f"（得分 {_num(d.score)} / 分值 {_num(d.weight)}）" if d.score is not None
                 else f"（分值 {_num(d.weight)}）")
        _heading(doc, f"（{NUMERALS[i]}）{d.name}{score}", 2)
        _para(doc, d.text or "—")
        if d.code == "economy" and analysis.lines:
            _para(doc, f"成本测算合计{_yuan(analysis.total)}"
                       + (f"，单位产出成本{_yuan(analysis.unit_cost)}/{a.output_unit}" if analysis.unit_cost else "")
                       + (f"，支出标准{_yuan(analysis.standard_amount)}，成本偏差率{analysis.deviation_rate}%"
                          if analysis.deviation_rate is not None else "")
                       + "（明细见附件2）。")

    _heading(doc, f"{next(n)}、总体结论")
    total = f"评估总得分 {_num(summary.total)} 分。" if summary.total is not None else ""
    _para(doc, f"{total}总体结论：{a.get_conclusion_display() or '尚未形成'}。")
    if summary.suggested and params.score_conclusion_enabled:
        _para(doc, f"按评分分档的建议结论：{summary.suggested_label}。")
    if a.supported_parts or a.unsupported_parts:
        _para(doc, f"支持的部分：{a.supported_parts or '—'}")
        _para(doc, f"不予支持的部分：{a.unsupported_parts or '—'}")
    if a.finance_opinion or a.approved_amount is not None:
        cut = rules.cut_amount(a.requested_amount, a.approved_amount)
        rate = rules.cut_rate(a.requested_amount, a.approved_amount)
        _para(doc, f"财政审核意见：{a.get_finance_opinion_display() or '—'}"
                   + (f"（{a.finance_opinion_text}）" if a.finance_opinion_text else "")
                   + f"；申请{_wan(a.requested_amount)}，核定{_wan(a.approved_amount)}，核减{_wan(cut)}"
                   + (f"，核减率{rate}%" if rate is not None else "") + "。")

    _heading(doc, f"{next(n)}、相关建议")
    _para(doc, a.suggestions or "—")
    _heading(doc, f"{next(n)}、其他需要说明的问题")
    _para(doc, a.other_issues or "—")
    _para(doc, "")
    _para(doc, "评估人员签名：")

    _heading(doc, "附件1：专家意见")
    _para(doc, f"专家组意见：{a.expert_opinion or '—'}")
    if a.agency_opinion:
        _para(doc, f"第三方机构意见（{a.agency.name if a.agency_id else '受托机构'}）：{a.agency_opinion}")
    if scores:
        header = ["专家", *[d.name for d in dims], "意见"]
        rows = []
        for sc in scores:
            values = sc.scores or {}
            rows.append([sc.expert.display_name, *[values.get(d.code, "—") for d in dims], sc.opinion or "—"])
        rows.append(["平均", *[_num(summary.averages.by_code.get(d.code)) for d in dims],
                     f"合计 {_num(summary.averages.total)}"])
        _table(doc, header, rows)

    _heading(doc, "附件2：成本测算明细")
    if analysis.lines:
        categories = dict(CostCategory.choices)
        rows = [[categories.get(r.line.category, r.line.category), r.line.name, _num(r.line.quantity), r.line.unit,
                 r.line.unit_cost.format_yuan(), r.amount.format_yuan(),
                 r.line.standard_amount.format_yuan() if r.line.standard_amount else "—",
                 f"{r.deviation_rate}%" if r.deviation_rate is not None else "—"] for r in analysis.lines]
        rows.append(["合计", "", "", "", "", analysis.total.format_yuan(), "", ""])
        _table(doc, ["成本类别", "成本项目", "数量", "单位", "单价(元)", "金额(元)", "支出标准(元)", "偏差率"], rows)
        if analysis.unit_cost is not None:
            _para(doc, f"计划产出：{a.output_name} {_num(a.output_quantity)}{a.output_unit}；"
                       f"单位产出成本{_yuan(analysis.unit_cost)}。")
        if analysis.similar:
            _para(doc, f"同类项目单位成本：平均{_yuan(analysis.similar_average)}，最低{_yuan(analysis.similar_min)}，"
                       f"最高{_yuan(analysis.similar_max)}"
                       + (f"；本项目偏差{analysis.similar_deviation_rate}%" if analysis.similar_deviation_rate
                          is not None else "") + "。")
        for w in analysis.warnings:
            _para(doc, f"提示：{w}")
    else:
        _para(doc, "未填写成本测算。")

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
