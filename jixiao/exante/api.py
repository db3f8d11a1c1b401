"""REST API of the ex-ante assessment, mounted at /api/exante/. Same permissions, rules and services as the screens.

Money crosses the API as decimal strings of yuan ("1234.56"), never as floats; scores and quantities as decimal
strings too. Errors are structured JSON (see jixiao.core.api): 400 invalid (per field, in Chinese), 403 forbidden,
404 not found or out of reach, 409 when `lock_version` is stale.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from ninja import Query, Router, Schema, Status
from pydantic import Field, field_validator

from jixiao.budget import selectors as budget_selectors
from jixiao.core.api import SubjectOrgOut, api_actor, no_float, page_of
from jixiao.core.money import Money, money_input
from jixiao.core.permissions import Action
from jixiao.core.workflow import ConcurrentEditError
from jixiao.costs.models import SpendingStandard
from jixiao.exante import rules, selectors, services
from jixiao.exante.forms import AssessmentFilterForm
from jixiao.exante.models import ExAnteAssessment

router = Router()


def _m(value: Money | None) -> str | None:
    return None if value is None else value.to_json()


def _no_float(value):
    return no_float(value, "1234.56")


# ---- schemas ---------------------------------------------------------------------------------------------------------

class DimensionOut(Schema):
    code: str
    name: str
    weight: str
    score: str | None
    text: str
    expert_average: str | None


class ExpertScoreOut(Schema):
    expert: str
    scores: dict
    opinion: str
    at: datetime.datetime


class CostItemOut(Schema):
    category: str
    name: str
    quantity: str
    unit: str
    unit_cost: str
    amount: str
    standard_id: int | None
    standard_amount: str | None
    deviation_rate: str | None
    note: str


class CostAnalysisOut(Schema):
    total: str
    by_category: dict[str, str]
    output_name: str
    output_quantity: str | None
    output_unit: str
    unit_cost: str | None
    standard_amount: str | None
    deviation_rate: str | None = Field(description="单位产出成本相对支出标准的偏差率（%）")
    similar: list[dict]
    similar_average: str | None
    similar_deviation_rate: str | None
    warnings: list[str]


class TransitionOut(Schema):
    name: str
    label: str
    comment_required: bool


class AssessmentOut(SubjectOrgOut):
    id: int
    fiscal_year: int
    region_id: int
    profile_id: int | None
    requirement: str
    requirement_label: str
    requirement_reasons: list[str]
    exemption_kind: str
    exemption_reason: str
    method: str
    process: str
    conclusion: str
    supported_parts: str
    unsupported_parts: str
    suggestions: str
    other_issues: str
    expert_opinion: str
    agency_opinion: str
    materials_requested_on: datetime.date | None
    materials_due: datetime.date | None
    materials_received_on: datetime.date | None
    expert_meeting_date: datetime.date | None
    report_due: datetime.date | None
    requested_amount: str = Field(description="申请金额，元")
    approved_amount: str | None = Field(description="核定金额，元")
    cut_amount: str | None = Field(description="核减金额 = 申请 − 核定，元")
    cut_rate: str | None = Field(description="核减率（%），两位小数")
    review_amount_note: str
    output_name: str
    output_quantity: str | None
    output_unit: str
    output_standard_id: int | None
    finance_opinion: str
    finance_opinion_text: str
    submitted_at: datetime.datetime | None
    opinion_due: datetime.date | None
    opinion_at: datetime.datetime | None
    blocked_until: datetime.date | None
    overdue: list[str]
    state: str
    state_label: str
    lock_version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_fiscal_year(obj):
        return obj.fiscal_year.year

    @staticmethod
    def resolve_requirement_label(obj):
        return obj.get_requirement_display()

    @staticmethod
    def resolve_requested_amount(obj):
        return obj.requested_amount.to_json()

    @staticmethod
    def resolve_approved_amount(obj):
        return _m(obj.approved_amount)

    @staticmethod
    def resolve_cut_amount(obj):
        return _m(rules.cut_amount(obj.requested_amount, obj.approved_amount))

    @staticmethod
    def resolve_cut_rate(obj):
        rate = rules.cut_rate(obj.requested_amount, obj.approved_amount)
        return None if rate is None else str(rate)

    @staticmethod
    def resolve_output_quantity(obj):
        return None if obj.output_quantity is None else str(obj.output_quantity)

    @staticmethod
    def resolve_overdue(obj):
        return selectors.overdue_flags(obj)

    @staticmethod
    def resolve_state_label(obj):
        return obj.get_state_display()


class AssessmentDetailOut(AssessmentOut):
    dimensions: list[DimensionOut]
    total_score: str | None
    suggested_conclusion: str | None
    expert_scores: list[ExpertScoreOut]
    expert_average_total: str | None
    cost_items: list[CostItemOut]
    cost_analysis: CostAnalysisOut
    transitions: list[TransitionOut]


class AssessmentPage(Schema):
    items: list[AssessmentOut]
    count: int
    page: int
    page_size: int
    pages: int


class AssessmentQuery(Schema):
    year: str | None = None
    department: str | None = None
    state: str | None = Field(None, description="draft, expert_review, submitted, returned, supported, "
                                                  "not_supported, exempted")
    requirement: str | None = Field(None, description="none, simplified, full, finance")
    exemption: str | None = Field(None, description="yes / no")
    overdue: str | None = Field(None, description="yes：有逾期")
    q: str | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=500)


class AssessmentIn(Schema):
    subject_id: int
    exemption_kind: str = Field("", description="classified, emergency, mandated；空为开展评估")
    exemption_reason: str = ""
    requested_amount: str | None = Field(None, description="元；不填为项目年度预算")

    _amounts = field_validator("requested_amount", mode="before")(classmethod(lambda cls, v: _no_float(v)))


class DimensionIn(Schema):
    code: str
    text: str | None = None
    score: str | None = Field(None, description="得分，十进制字符串；null 清除")

    _scores = field_validator("score", mode="before")(classmethod(lambda cls, v: _no_float(v)))


class CostItemIn(Schema):
    category: str = Field(description="personnel, goods_services, capital, indirect, external")
    name: str
    quantity: str = "1"
    unit: str = ""
    unit_cost: str = Field(description="单价，元")
    standard_id: int | None = None
    note: str = ""

    _numbers = field_validator("quantity", "unit_cost", mode="before")(classmethod(lambda cls, v: _no_float(v)))


class AssessmentPatch(Schema):
    lock_version: int = Field(description="读取时的 lock_version；已被他人修改时返回 409")
    method: str | None = None
    process: str | None = None
    conclusion: str | None = Field(None, description="support, support_after_changes, partial_support, no_support")
    supported_parts: str | None = None
    unsupported_parts: str | None = None
    suggestions: str | None = None
    other_issues: str | None = None
    expert_opinion: str | None = None
    review_amount_note: str | None = None
    exemption_kind: str | None = None
    exemption_reason: str | None = None
    requested_amount: str | None = None
    materials_requested_on: datetime.date | None = None
    materials_received_on: datetime.date | None = None
    expert_meeting_date: datetime.date | None = None
    output_name: str | None = None
    output_quantity: str | None = None
    output_unit: str | None = None
    output_standard_id: int | None = None
    dimensions: list[DimensionIn] | None = None
    cost_items: list[CostItemIn] | None = Field(None, description="整体替换成本测算；不传则不变")

    _numbers = field_validator("requested_amount", "output_quantity", mode="before")(
        classmethod(lambda cls, v: _no_float(v)))


class TransitionIn(Schema):
    name: str = Field(description="submit_to_experts, submit, withdraw；财政：support, partial_support, "
                                  "support_after_changes, no_support, accept_exemption")
    comment: str = ""
    lock_version: int | None = None
    approved_amount: str | None = Field(None, description="核定金额，元（支持时不填为申请金额）")
    supported_parts: str | None = None
    unsupported_parts: str | None = None

    _amounts = field_validator("approved_amount", mode="before")(classmethod(lambda cls, v: _no_float(v)))


class ExpertScoreIn(Schema):
    scores: dict[str, str | None] = Field(default_factory=dict, description="维度代码 → 得分（十进制字符串）")
    opinion: str = ""

    @field_validator("scores", mode="before")
    @classmethod
    def _scores(cls, value):
        if isinstance(value, dict):
            return {k: _no_float(v) for k, v in value.items()}
        return value


class StatRowOut(Schema):
    department_id: int | None
    department_name: str
    count: int
    requested: str
    approved: str
    cut: str
    cut_rate: str | None


class StatisticsOut(Schema):
    year: int
    rows: list[StatRowOut]
    total: StatRowOut


class RequirementOut(Schema):
    subject_id: int
    requirement: str
    requirement_label: str
    reasons: list[str]
    exemption_kinds: list[str]
    gate_problems: list[str]
    latest_assessment_id: int | None
    latest_state: str | None
    blocked_until: datetime.date | None


# ---- parsing helpers -------------------------------------------------------------------------------------------------


def _decimal(value: str | None, field: str, errors: dict) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors.setdefault(field, []).append(f"“{value}”不是有效数字")
        return None
    if not number.is_finite():
        errors.setdefault(field, []).append(f"“{value}”不是有效数字")
        return None
    return number


def _standard(pk: int | None, field: str, errors: dict) -> SpendingStandard | None:
    if pk is None:
        return None
    standard = SpendingStandard.objects.filter(pk=pk).first()
    if standard is None:
        errors.setdefault(field, []).append("支出标准不存在")
    return standard


def _fresh(pk) -> ExAnteAssessment:
    return ExAnteAssessment.objects.select_related(*selectors.LIST_RELATED).get(pk=pk)


def _detail(actor, a: ExAnteAssessment) -> dict:
    dims = selectors.dimensions(a)
    scores = selectors.expert_scores(a)
    summary = selectors.score_summary(a, dims, scores)
    analysis = selectors.cost_analysis(actor, a)
    items = list(a.cost_items.order_by("position", "id"))
    return _Detail(a, {
        "dimensions": [{"code": d.code, "name": d.name, "weight": str(d.weight),
                        "score": None if d.score is None else str(d.score), "text": d.text,
                        "expert_average": _s(summary.averages.by_code.get(d.code))} for d in dims],
        "total_score": _s(summary.total), "suggested_conclusion": summary.suggested,
        "expert_scores": [{"expert": s.expert.display_name, "scores": s.scores, "opinion": s.opinion, "at": s.at}
                          for s in scores],
        "expert_average_total": _s(summary.averages.total),
        "cost_items": [{"category": c.category, "name": c.name, "quantity": str(c.quantity), "unit": c.unit,
                        "unit_cost": c.unit_cost.to_json(), "amount": r.amount.to_json(), "standard_id": c.standard_id,
                        "standard_amount": _m(r.line.standard_amount), "deviation_rate": _s(r.deviation_rate),
                        "note": c.note} for c, r in zip(items, analysis.lines, strict=True)],
        "cost_analysis": {
            "total": analysis.total.to_json(), "by_category": {k: v.to_json() for k, v in analysis.by_category.items()},
            "output_name": a.output_name, "output_quantity": _s(a.output_quantity), "output_unit": a.output_unit,
            "unit_cost": _m(analysis.unit_cost), "standard_amount": _m(analysis.standard_amount),
            "deviation_rate": _s(analysis.deviation_rate),
            "similar": [{"label": s.label, "year": s.year, "unit_cost": s.unit_cost.to_json()}
                        for s in analysis.similar],
            "similar_average": _m(analysis.similar_average),
            "similar_deviation_rate": _s(analysis.similar_deviation_rate), "warnings": analysis.warnings},
        "transitions": [{"name": t.name, "label": t.label, "comment_required": t.comment_required}
                        for t in services.offered_transitions(actor, a)],
    })


class _Detail:
    """The assessment with the detail's extra values (they shadow the model's related managers of the same name)."""

    def __init__(self, assessment: ExAnteAssessment, extra: dict):
        self._assessment = assessment
        self.__dict__.update(extra)

    def __getattr__(self, name):
        return getattr(self._assessment, name)


def _s(value) -> str | None:
    return None if value is None else str(value)


# ---- endpoints -------------------------------------------------------------------------------------------------------

@router.get("/assessments", response=AssessmentPage, summary="事前评估列表（按权限范围，可筛选、分页）")
def assessment_list(request, filters: Query[AssessmentQuery]):
    actor = api_actor(request)
    raw = filters.dict(exclude_none=True)
    page, page_size = raw.pop("page", 1), raw.pop("page_size", 50)
    form = AssessmentFilterForm(raw)
    if not form.is_valid():
        raise ValidationError({k: list(v) for k, v in form.errors.items()})
    qs = selectors.assessment_list(actor, form.filters())
    return page_of(qs, page, page_size)


@router.get("/assessments/{int:assessment_id}", response=AssessmentDetailOut,
            summary="事前评估详情（维度、评分、专家评分、成本分析、可执行操作）")
def assessment_detail(request, assessment_id: int):
    actor = api_actor(request)
    return _detail(actor, selectors.assessment_get(actor, assessment_id))


@router.post("/assessments", response={201: AssessmentDetailOut}, summary="新建事前评估或免评申请（草稿）")
def assessment_create(request, payload: AssessmentIn):
    actor = api_actor(request)
    if not actor.may(Action.CREATE):
        raise PermissionDenied("您没有开展事前评估的权限")
    subject = budget_selectors.subject_get(actor, payload.subject_id)
    errors: dict = {}
    amount = money_input(payload.requested_amount, "requested_amount", errors)
    if errors:
        raise ValidationError(errors)
    a = services.assessment_create(actor=actor, subject=subject, exemption_kind=payload.exemption_kind,
                                   exemption_reason=payload.exemption_reason, requested_amount=amount)
    return Status(201, _detail(actor, _fresh(a.pk)))


@router.patch("/assessments/{int:assessment_id}", response=AssessmentDetailOut,
              summary="修改事前评估（须带 lock_version；dimensions 按代码修改，cost_items 整体替换）")
def assessment_update(request, assessment_id: int, payload: AssessmentPatch):
    actor = api_actor(request)
    a = selectors.assessment_get(actor, assessment_id)
    changes = payload.dict(exclude_unset=True)
    expected = changes.pop("lock_version")
    if expected != a.lock_version:
        raise ConcurrentEditError()
    services.check_editable(actor=actor, assessment=a)
    errors: dict = {}
    data = {}
    for key, value in changes.items():
        if key == "requested_amount":
            data[key] = money_input(value, key, errors)
            if data[key] is None and key not in errors:
                errors[key] = ["请填写申请金额"]
        elif key == "output_quantity":
            data[key] = _decimal(value, key, errors)
        elif key == "output_standard_id":
            data["output_standard"] = _standard(value, key, errors)
        elif key == "dimensions":
            # only the keys sent: text and score are optional, a null score clears it
            data["dimensions"] = {d["code"]: {k: (_decimal(v, f"score_{d['code']}", errors) if k == "score" else v)
                                              for k, v in d.items() if k != "code"}
                                  for d in value}
        elif key == "cost_items":
            data["cost_items"] = [
                {"category": c["category"], "name": c["name"], "unit": c.get("unit", ""), "note": c.get("note", ""),
                 "quantity": _decimal(c.get("quantity", "1"), "cost_items", errors),
                 "unit_cost": money_input(c["unit_cost"], "cost_items", errors),
                 "standard": _standard(c.get("standard_id"), "cost_items", errors)} for c in value]
        else:
            data[key] = "" if value is None and key not in ("materials_requested_on", "materials_received_on",
                                                            "expert_meeting_date") else value
    if errors:
        raise ValidationError(errors)
    services.assessment_update(actor=actor, assessment=a, data=data, expected_lock_version=expected)
    return _detail(actor, _fresh(a.pk))


@router.post("/assessments/{int:assessment_id}/transition", response=AssessmentDetailOut,
             summary="执行流转（报送专家、报送财政、撤回；财政审核意见）")
def assessment_transition(request, assessment_id: int, payload: TransitionIn):
    actor = api_actor(request)
    a = selectors.assessment_get(actor, assessment_id)
    errors: dict = {}
    approved = money_input(payload.approved_amount, "approved_amount", errors)
    if errors:
        raise ValidationError(errors)
    services.assessment_transition(actor=actor, assessment=a, name=payload.name, comment=payload.comment,
                                   approved_amount=approved, expected_lock_version=payload.lock_version,
                                   supported_parts=payload.supported_parts,
                                   unsupported_parts=payload.unsupported_parts)
    return _detail(actor, _fresh(a.pk))


@router.put("/assessments/{int:assessment_id}/expert-score", response=ExpertScoreOut,
            summary="专家或受托第三方机构评分（仅限被授权的项目，专家评审中）")
def expert_score(request, assessment_id: int, payload: ExpertScoreIn):
    actor = api_actor(request)
    a = selectors.assessment_get(actor, assessment_id)
    errors: dict = {}
    scores = {code: _decimal(v, f"score_{code}", errors) for code, v in payload.scores.items()}
    if errors:
        raise ValidationError(errors)
    row = services.expert_score_save(actor=actor, assessment=a, scores=scores, opinion=payload.opinion)
    return {"expert": actor.user.display_name, "scores": row.scores, "opinion": row.opinion, "at": row.at}


@router.get("/statistics", response=StatisticsOut, summary="事前评估统计：按部门的评估数、申请、核减、核减率")
def statistics(request, year: int):
    actor = api_actor(request)
    if not actor.may(Action.AGGREGATE):
        raise PermissionDenied("您没有查看统计的权限")
    stats = selectors.statistics(actor, year)

    def row(r):
        return {"department_id": r.department_id, "department_name": r.department_name, "count": r.count,
                "requested": r.requested.to_json(), "approved": r.approved.to_json(), "cut": r.cut.to_json(),
                "cut_rate": _s(r.cut_rate)}

    return {"year": stats.year, "rows": [row(r) for r in stats.rows], "total": row(stats.total)}


@router.get("/subjects/{int:subject_id}/requirement", response=RequirementOut,
            summary="项目的事前评估要求、依据及当前能否入库（门槛问题）")
def subject_requirement(request, subject_id: int):
    subject = budget_selectors.subject_get(api_actor(request), subject_id)
    r = selectors.subject_requirement(subject)
    return {"subject_id": subject.pk, "requirement": r.requirement, "requirement_label": r.requirement_label,
            "reasons": list(r.reasons), "exemption_kinds": list(r.exemption_kinds), "gate_problems": r.gate_problems,
            "latest_assessment_id": r.latest.pk if r.latest else None,
            "latest_state": r.latest.state if r.latest else None,
            "blocked_until": r.latest.blocked_until if r.latest else None}
