"""REST API of goal sheets (绩效目标表), mounted at /api/goals/. Same permissions, checks and workflow as the screens
(everything goes through `jixiao.goals.selectors` and `jixiao.goals.services`).

Weights, scores and amounts cross the API as decimal strings ("20", "12.5"), never as floats. Errors are structured
JSON (see jixiao.core.api): 400 invalid with Chinese messages per field (rows as `rows.<row>.<field>`), 403 forbidden,
404 not found or out of reach, 409 when `lock_version` is stale.

The dry-run check of a sheet that is not stored lives at /api/goals/check (`api_check.py`).
"""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from ninja import Query, Router, Schema, Status
from pydantic import Field, field_validator

from jixiao.budget.models import PerformanceSubject
from jixiao.core import audit, workflow
from jixiao.core.api import SubjectOrgOut, api_actor, choice_param, no_float, page_of
from jixiao.core.permissions import Action, get_for
from jixiao.core.workflow import ConcurrentEditError
from jixiao.goals import rules, selectors, services
from jixiao.goals.data import RowData, SheetData
from jixiao.goals.models import GoalSheet, SheetKind
from jixiao.goals.workflows import GoalState, ReviewLevel

router = Router()


def _no_float(value):
    return no_float(value, "12.5")


def _money(value):
    return None if value is None else value.to_json()


# ---- schemas --------------------------------------------------------------------------------------------------------

class RowIn(Schema):
    row: int | None = Field(None, description="行号（默认为序号）；校验结果按此行号指明问题")
    level1: str = Field("", description="cost, output, benefit, satisfaction")
    level2: str = ""
    name: str = ""
    comparator: str = Field("", description="ge, gt, eq, lt, le, qualitative, other")
    target_value: str = ""
    unit: str = ""
    weight: str | None = Field(None, description="权重（分），十进制字符串")
    explanation: str = ""
    value_basis: str = Field("", description="plan, industry, history, spending_standard, other")
    value_method: str = ""
    data_source: str = ""
    evidence_type: str = ""
    value_note: str = ""
    indicator_id: int | None = Field(None, description="引用的库内指标")
    propose_to_library: bool = Field(False, description="建议纳入指标库（仅新写指标）")

    @field_validator("weight", mode="before")
    @classmethod
    def _weight(cls, value):
        return _no_float(value)


class MainTaskIn(Schema):
    name: str = ""
    content: str = ""
    amount: str | None = Field(None, description="元，十进制字符串")

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, value):
        return _no_float(value)


class SheetIn(Schema):
    lock_version: int = Field(description="读取时的 lock_version；已被他人修改时返回 409")
    kind: str = ""
    frame_code: str = Field("", description="为空时按政策配置确定")
    category: str = Field("", description="construction, major_repair_purchase, information_system 或空")
    allocation_method: str = ""
    has_quality_standard: bool = False
    overall_goal: str = ""
    annual_goal: str = ""
    duties: str = ""
    main_tasks: list[MainTaskIn] = []
    policy_basis: str = ""
    calculation_basis: str = ""
    multi_year_benefit: str = ""
    survey_plan: str = ""
    rows: list[RowIn] = []


class CreateIn(Schema):
    subject_id: int
    kind: str | None = Field(None, description="转移支付可选 transfer_whole、transfer_region、transfer_project")


class TransitionIn(Schema):
    name: str = Field(description="submit, withdraw, confirm_edits, rework, approve, issue, start_adjustment")
    comment: str = ""
    lock_version: int | None = None
    budget_adjustment_ref: str = Field("", description="申请调整时必填：关联的预算调整（调剂）文号")


class ReviewIn(Schema):
    point_grades: dict[str, str] = Field(description="审核内容代码 → excellent/good/fair/poor")
    point_scores: dict[str, str] | None = Field(None, description="重点项目：审核内容代码 → 得分（字符串）")
    point_comments: dict[str, str] | None = None
    comment: str = ""
    is_key: bool | None = Field(None, description="按重点项目审核（为空时按目标表标记）")
    lock_version: int | None = None

    @field_validator("point_scores", mode="before")
    @classmethod
    def _scores(cls, value):
        if isinstance(value, dict):
            return {k: _no_float(v) for k, v in value.items()}
        return value


class ApproveManyIn(Schema):
    ids: list[int] = Field(description="绩效目标表 id")
    comment: str = ""


class SheetQuery(Schema):
    year: int | None = None
    department: int | None = None
    unit: int | None = None
    state: str | None = None
    kind: str | None = None
    level: str | None = Field(None, description="department / finance")
    q: str | None = Field(None, description="项目编码或名称包含")
    overdue: bool = Field(False, description="只看逾期未审或逾期未重新报送")
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=500)


class SheetOut(SubjectOrgOut):
    id: int
    fiscal_year: int
    region_id: int
    annual_amount: str = Field(description="年度（调整后）预算，元")
    kind: str
    kind_label: str
    frame_code: str
    category: str
    allocation_method: str
    has_quality_standard: bool
    is_key: bool
    overall_goal: str
    annual_goal: str
    duties: str
    main_tasks: list
    policy_basis: str
    calculation_basis: str
    multi_year_benefit: str
    survey_plan: str
    budget_adjustment_ref: str
    review_level: str
    review_round: int
    submitted_at: datetime.datetime | None
    review_due: datetime.date | None
    resubmit_due: datetime.date | None
    last_grade: str
    state: str
    state_label: str
    lock_version: int
    revision: int
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_fiscal_year(obj):
        return obj.fiscal_year.year

    @staticmethod
    def resolve_annual_amount(obj):
        return obj.subject.current_amount.to_json()

    @staticmethod
    def resolve_kind_label(obj):
        return obj.get_kind_display()

    @staticmethod
    def resolve_state_label(obj):
        return obj.get_state_display()


class SheetPage(Schema):
    items: list[SheetOut]
    count: int
    page: int
    page_size: int
    pages: int


class FindingOut(Schema):
    severity: str
    rule: str
    message: str
    basis: str
    row: int | None
    field: str
    text: str


class SaveOut(Schema):
    lock_version: int
    findings: list[FindingOut]


class ReviewOut(Schema):
    id: int
    revision: int
    round: int
    level: str
    level_label: str
    mode: str
    reviewer: str
    point_grades: dict
    point_scores: dict
    point_comments: dict
    total_score: str | None
    grade: str
    grade_label: str
    outcome: str
    comment: str
    resubmit_due: datetime.date | None
    at: datetime.datetime

    @staticmethod
    def resolve_level_label(obj):
        return obj.get_level_display()

    @staticmethod
    def resolve_reviewer(obj):
        return obj.reviewer.display_name

    @staticmethod
    def resolve_total_score(obj):
        return None if obj.total_score is None else str(obj.total_score)

    @staticmethod
    def resolve_grade_label(obj):
        return obj.get_grade_display()


class VersionOut(Schema):
    revision: int
    created_at: datetime.datetime
    data: dict


class SubjectBrief(Schema):
    id: int
    code: str
    name: str
    fiscal_year: int
    kind: str
    department_name: str | None
    unit_name: str | None
    annual_amount: str

    @staticmethod
    def resolve_fiscal_year(obj):
        return obj.fiscal_year.year

    @staticmethod
    def resolve_department_name(obj):
        return obj.department.name if obj.department_id else None

    @staticmethod
    def resolve_unit_name(obj):
        return obj.unit.name if obj.unit_id else None

    @staticmethod
    def resolve_annual_amount(obj):
        return obj.current_amount.to_json()


# ---- helpers --------------------------------------------------------------------------------------------------------

def _findings(findings) -> list[dict]:
    return [{**f.as_dict(), "text": str(f)} for f in findings]


ROW_OUT_FIELDS = ("row", "level1", "level2", "name", "comparator", "target_value", "unit", "explanation",
                  "value_basis", "value_method", "data_source", "evidence_type", "value_note", "indicator_id")


def _row_out(row: RowData) -> dict:
    # Not dataclasses.asdict: it deep-copies, and Money is immutable.
    data = {name: getattr(row, name) for name in ROW_OUT_FIELDS}
    data["weight"] = None if row.weight is None else str(row.weight)
    data["history"] = dataclasses.asdict(row.history) if row.history is not None else None
    s = row.standard
    data["standard"] = None if s is None else {"name": s.name, "amount": s.amount.to_json(),
                                               "output_unit": s.output_unit, "source": s.source}
    return data


def _fresh(pk) -> GoalSheet:
    return GoalSheet.objects.select_related(*selectors.LIST_RELATED).get(pk=pk)


def _detail(actor, sheet: GoalSheet) -> dict:
    params = services.sheet_params(sheet)
    data = services.sheet_data_from_model(sheet)
    out = SheetOut.from_orm(sheet).dict()
    out["rows"] = [_row_out(r) for r in data.rows]
    out["findings"] = _findings(rules.check_sheet(data, params.goals, for_submission=True))
    out["expected_weights"] = {str(k): str(v) for k, v in rules.expected_weights(data, params.goals).items()}
    out["steps"] = [{"at": s.at, "actor": s.actor.display_name, "actor_role": s.actor_role,
                     "transition": s.transition, "transition_label": s.transition_label, "from_state": s.from_state,
                     "to_state": s.to_state, "revision": s.revision, "comment": s.comment}
                    for s in workflow.steps_for(sheet)]
    out["reviews"] = [ReviewOut.from_orm(r).dict() for r in selectors.reviews(sheet)]
    out["versions"] = [{"revision": v.revision, "created_at": v.created_at} for v in selectors.versions(sheet)]
    out["transitions"] = [{"name": t.name, "label": t.label, "comment_required": t.comment_required}
                          for t in workflow.available_transitions(actor, sheet)]
    out["exante"] = selectors.exante_status(sheet)
    out["review_points"] = [{"code": p.code, "name": p.name, "weight": str(p.weight)}
                            for p in params.goal_review.points]
    return out


def _sheet_data(payload: SheetIn) -> tuple[SheetData, list[int]]:
    rows, propose = [], []
    for i, r in enumerate(payload.rows, start=1):
        values = r.dict()
        number = values.pop("row") or i
        if values.pop("propose_to_library"):
            propose.append(number)
        rows.append(RowData(row=number, **values))
    header = payload.dict(exclude={"rows", "lock_version", "main_tasks"})
    tasks = [t.dict() for t in payload.main_tasks]
    return SheetData(rows=rows, main_tasks=tasks, **header), propose


# ---- routes ---------------------------------------------------------------------------------------------------------

@router.get("/sheets", response=SheetPage, summary="绩效目标表列表（按权限范围，可筛选、分页）")
def sheet_list(request, filters: Query[SheetQuery]):
    actor = api_actor(request)
    f = filters.dict()
    page, page_size = f.pop("page"), f.pop("page_size")
    choice_param(f.get("state"), GoalState, "state", "状态")
    choice_param(f.get("kind"), SheetKind, "kind", "目标类型")
    choice_param(f.get("level"), ReviewLevel, "level", "审核层级")
    qs = selectors.goal_sheet_list(actor, f)
    return page_of(qs, page, page_size)


@router.post("/sheets", response={201: dict}, summary="为项目新建绩效目标表")
def sheet_create(request, payload: CreateIn):
    actor = api_actor(request)
    subject = get_for(actor, Action.VIEW, PerformanceSubject.objects.select_related("fiscal_year"),
                      pk=payload.subject_id)
    sheet = services.goal_sheet_create(actor=actor, subject=subject, kind=payload.kind)
    return Status(201, _detail(actor, _fresh(sheet.pk)))


@router.get("/sheets/{int:sheet_id}", response=dict, summary="绩效目标表详情：指标、校验结果、流转记录、审核、版本")
def sheet_detail(request, sheet_id: int):
    actor = api_actor(request)
    return _detail(actor, selectors.goal_sheet_get(actor, sheet_id))


@router.put("/sheets/{int:sheet_id}", response=SaveOut, summary="保存绩效目标表（整表替换，须带 lock_version）")
def sheet_save(request, sheet_id: int, payload: SheetIn):
    actor = api_actor(request)
    sheet = selectors.goal_sheet_get(actor, sheet_id)
    if payload.lock_version != sheet.lock_version:
        raise ConcurrentEditError()
    data, propose = _sheet_data(payload)
    findings = services.goal_sheet_save(actor=actor, sheet=sheet, data=data,
                                        expected_lock_version=payload.lock_version, propose_rows=propose)
    return {"lock_version": sheet.lock_version, "findings": _findings(findings)}


@router.get("/sheets/{int:sheet_id}/findings", response=list[FindingOut], summary="提交前校验（不保存）")
def sheet_findings(request, sheet_id: int):
    sheet = selectors.goal_sheet_get(api_actor(request), sheet_id)
    return _findings(services.goal_sheet_check(sheet=sheet))


@router.get("/sheets/{int:sheet_id}/transitions", response=list[dict], summary="当前用户可执行的流转操作")
def sheet_transitions(request, sheet_id: int):
    actor = api_actor(request)
    sheet = selectors.goal_sheet_get(actor, sheet_id)
    return [{"name": t.name, "label": t.label, "comment_required": t.comment_required}
            for t in workflow.available_transitions(actor, sheet)
            if t.name not in services.REVIEW_TRANSITION_NAMES]


@router.post("/sheets/{int:sheet_id}/transition", response=SheetOut,
             summary="执行流转（提交、撤回、按意见修改完成、批复、下达、申请调整）")
def sheet_transition(request, sheet_id: int, payload: TransitionIn):
    actor = api_actor(request)
    sheet = selectors.goal_sheet_get(actor, sheet_id)
    services.goal_sheet_transition(actor=actor, sheet=sheet, name=payload.name, comment=payload.comment,
                                   expected_lock_version=payload.lock_version,
                                   budget_adjustment_ref=payload.budget_adjustment_ref)
    return _fresh(sheet.pk)


@router.post("/sheets/{int:sheet_id}/review", response=ReviewOut, summary="审核：按审核表评定等级")
def sheet_review(request, sheet_id: int, payload: ReviewIn):
    actor = api_actor(request)
    sheet = selectors.goal_sheet_get(actor, sheet_id)
    scores = None
    if payload.point_scores is not None:
        scores, errors = {}, {}
        for code, text in payload.point_scores.items():
            try:
                scores[code] = None if text in (None, "") else Decimal(text.strip())
            except (InvalidOperation, AttributeError):
                errors[f"point_scores.{code}"] = [f"得分“{text}”不是有效数字"]
        if errors:
            raise ValidationError(errors)
    return services.goal_sheet_review(
        actor=actor, sheet=sheet, point_grades=payload.point_grades, point_scores=scores,
        point_comments=payload.point_comments, comment=payload.comment, is_key=payload.is_key,
        expected_lock_version=payload.lock_version)


@router.post("/sheets/approve-many", response=dict, summary="随预算批复（批量；仅审核通过的目标表）")
def sheet_approve_many(request, payload: ApproveManyIn):
    actor = api_actor(request)
    if not actor.may(Action.APPROVE):
        raise PermissionDenied("您没有批复绩效目标的权限")
    ids = sorted(set(payload.ids))
    visible = selectors.goal_sheet_list(actor).filter(pk__in=ids)
    found = {s.pk: s for s in visible}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError({"ids": [f"未找到绩效目标表：{', '.join(str(i) for i in missing)}"]})
    count = services.goal_sheet_approve_many(actor=actor, sheets=[found[i] for i in ids], comment=payload.comment)
    return {"count": count}


@router.get("/sheets/{int:sheet_id}/versions", response=list[VersionOut], summary="批复版本")
def sheet_versions(request, sheet_id: int):
    sheet = selectors.goal_sheet_get(api_actor(request), sheet_id)
    return selectors.versions(sheet)


@router.get("/sheets/{int:sheet_id}/diff", response=dict,
            summary="两个版本的差异（old、new 为版本号，new 缺省为当前内容）")
def sheet_diff(request, sheet_id: int, old: int, new: str = "current"):
    sheet = selectors.goal_sheet_get(api_actor(request), sheet_id)
    if new not in ("", "current") and not new.isdigit():
        raise ValidationError({"new": ["应为版本号或 current"]})
    before, after = selectors.version_data(sheet, old), selectors.version_data(sheet, new)
    if before is None:
        raise ValidationError({"old": [f"没有第{old}版"]})
    if after is None:
        raise ValidationError({"new": [f"没有第{new}版"]})
    return {"old": old, "new": new, **audit.to_jsonable(selectors.sheet_version_diff(before, after))}


@router.get("/sheets/{int:sheet_id}/suggestions", response=list[dict], summary="为本项目推荐的库内指标")
def sheet_suggestions(request, sheet_id: int, limit: int = 20):
    from jixiao.goals.suggestions import suggest_indicators

    actor = api_actor(request)
    sheet = selectors.goal_sheet_get(actor, sheet_id)
    items = suggest_indicators(actor=actor, subject=sheet.subject, limit=max(1, min(limit, 100)))
    return [audit.to_jsonable(i.as_dict() if hasattr(i, "as_dict") else dict(i)) for i in items]


@router.get("/library-rows", response=list[dict], summary="由库内指标生成指标行（指标值、权重待填）")
def library_rows(request, ids: str):
    from jixiao.indicators.models import Indicator
    from jixiao.indicators.selectors import library_access

    actor = api_actor(request)
    try:
        wanted = [int(x) for x in ids.split(",") if x.strip()][:200]
    except ValueError:
        raise ValidationError({"ids": ["应为以逗号分隔的指标 id"]}) from None
    readable = set(Indicator.objects.filter(library_access(actor).q(), pk__in=wanted).values_list("pk", flat=True))
    return [_row_out(r) for r in services.rows_from_library([i for i in wanted if i in readable])]


@router.get("/review-queue", response=list[SheetOut], summary="待我审核的绩效目标表")
def review_queue(request):
    return list(selectors.review_queue(api_actor(request))[:500])


@router.get("/subjects-without-sheet", response=list[SubjectBrief], summary="尚未编制绩效目标的项目")
def subjects_without_sheet(request, year: int | None = None):
    return list(selectors.subjects_without_sheet(api_actor(request), year)[:1000])
