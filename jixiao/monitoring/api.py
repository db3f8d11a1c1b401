"""REST API of monitoring (绩效运行监控), mounted at /api/monitoring/. Same permissions, checks and workflow as the
screens (through `jixiao.monitoring.selectors` and `jixiao.monitoring.services`).

Amounts cross the API as yuan decimal strings ("1200000.00"), never floats; percentages as decimal strings. Errors
are structured JSON (jixiao.core.api): 400 with Chinese messages per field (rows as `rows.<n>.<field>`), 403, 404,
409 when `lock_version` is stale.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from ninja import Query, Router, Schema, Status
from pydantic import Field, field_validator

from jixiao.budget.models import BudgetKind
from jixiao.core import workflow
from jixiao.core.api import SubjectOrgOut, api_actor, choice_param, no_float, page_of
from jixiao.core.permissions import Action, can
from jixiao.core.workflow import ConcurrentEditError
from jixiao.monitoring import selectors, services, tasks
from jixiao.monitoring.models import MonitoringDisposition, MonitoringReport
from jixiao.monitoring.workflows import DispositionState, ReportState
from jixiao.organisations.models import Region
from jixiao.policy.schema import Colour

router = Router()


def _no_float(value):
    return no_float(value, "12000.50")


def _m(value):
    return None if value is None else value.to_json()


def _d(value):
    return None if value is None else str(value)


# ---- schemas --------------------------------------------------------------------------------------------------------

class RoundIn(Schema):
    region_id: int
    year: int
    point: int | None = Field(None, description="政策配置中监控节点的序号（从0起）")
    month: int | None = Field(None, ge=1, le=12, description="专项债券按月监控的月份")


class RoundOut(Schema):
    id: int
    region_id: int
    region_name: str
    fiscal_year: int
    kind: str
    name: str
    period_end: datetime.date
    data_months: int
    due: datetime.date | None
    computed_at: datetime.datetime | None
    closed_at: datetime.datetime | None

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.name

    @staticmethod
    def resolve_fiscal_year(obj):
        return obj.fiscal_year.year


class JobOut(Schema):
    job_id: int
    status: str
    url: str


class ReportQuery(Schema):
    department: int | None = None
    unit: int | None = None
    state: str | None = None
    colour: str | None = Field(None, description="green / yellow / red / none（未计算）")
    budget_kind: str | None = None
    needs_disposition: bool = False
    is_key: bool = False
    impossible: bool = False
    q: str | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=500)


class ReportOut(SubjectOrgOut):
    id: int
    round_id: int
    budget_amount: str
    recorded_spent: str
    spent_to_date: str | None
    expected_year_end: str | None
    time_progress: str | None
    execution_rate: str | None
    execution_colour: str
    goal_colour: str
    colour: str
    gap: str | None
    gap_exceeded: bool
    floor_breached: bool
    impossible: bool
    needs_disposition: bool
    behind_amount: str
    is_key: bool
    state: str
    state_label: str
    lock_version: int

    @staticmethod
    def resolve_budget_amount(obj):
        return _m(obj.budget_amount)

    @staticmethod
    def resolve_recorded_spent(obj):
        return _m(obj.recorded_spent)

    @staticmethod
    def resolve_spent_to_date(obj):
        return _m(obj.spent_to_date)

    @staticmethod
    def resolve_expected_year_end(obj):
        return _m(obj.expected_year_end)

    @staticmethod
    def resolve_behind_amount(obj):
        return _m(obj.behind_amount)

    @staticmethod
    def resolve_time_progress(obj):
        return _d(obj.time_progress)

    @staticmethod
    def resolve_execution_rate(obj):
        return _d(obj.execution_rate)

    @staticmethod
    def resolve_gap(obj):
        return _d(obj.gap)

    @staticmethod
    def resolve_state_label(obj):
        return obj.get_state_display()


class ReportPage(Schema):
    items: list[ReportOut]
    count: int
    page: int
    page_size: int
    pages: int


class RowIn(Schema):
    position: int = Field(description="指标序号（详情中的 position）")
    current_value: str | None = None
    achievement: str | None = Field(None, description="achieved / partial / not_achieved（定性指标）")
    expected_value: str | None = None
    deviation_causes: list[str] | None = Field(None, description="funding, institution, staffing, facilities, other")
    cause_note: str | None = None
    likelihood: str | None = Field(None, description="certain / possible / impossible")
    remark: str | None = None


class ReportIn(Schema):
    lock_version: int
    spent_to_date: str | None = Field(None, description="截至期末执行数，元")
    expected_year_end: str | None = Field(None, description="全年预计执行数，元")
    goal_progress: str | None = None
    duties: str | None = None
    remark: str | None = None
    spent_note: str | None = None
    main_tasks: list[str] | None = Field(None, description="各主要任务的完成情况，按顺序")
    rows: list[RowIn] = []

    @field_validator("spent_to_date", "expected_year_end", mode="before")
    @classmethod
    def _amounts(cls, value):
        return _no_float(value)


class SaveOut(Schema):
    lock_version: int
    colour: str
    problems: dict[str, list[str]]


class TransitionIn(Schema):
    name: str
    comment: str = ""
    lock_version: int | None = None


class KeyIn(Schema):
    is_key: bool
    note: str = ""
    stop_disbursement: bool | None = Field(None, description="true 暂缓或停止拨款，false 恢复，省略不变")


class DispositionOut(Schema):
    id: int
    report_id: int
    subject_id: int
    subject_code: str
    subject_name: str
    department_id: int | None
    reasons: list
    opened_on: datetime.date
    due: datetime.date | None
    measure: str
    measure_note: str
    reduce_amount: str | None
    budget_adjustment_ref: str
    state: str
    state_label: str
    lock_version: int

    @staticmethod
    def resolve_subject_code(obj):
        return obj.subject.code

    @staticmethod
    def resolve_subject_name(obj):
        return obj.subject.name

    @staticmethod
    def resolve_reduce_amount(obj):
        return _m(obj.reduce_amount)

    @staticmethod
    def resolve_state_label(obj):
        return obj.get_state_display()


class DispositionIn(Schema):
    lock_version: int
    measure: str = Field(description="continue / reduce_adjust / suspend / reallocate / cancel")
    measure_note: str = ""
    reduce_amount: str | None = Field(None, description="调减（调剂）金额，元")
    budget_adjustment_ref: str = ""

    @field_validator("reduce_amount", mode="before")
    @classmethod
    def _amount(cls, value):
        return _no_float(value)


# ---- rounds ---------------------------------------------------------------------------------------------------------

@router.get("/rounds", response=list[RoundOut], summary="监控轮次（本人参与的区划）")
def round_list(request, year: int | None = None):
    return list(selectors.round_list(api_actor(request), year)[:200])


@router.post("/rounds", response={201: JobOut}, summary="开启监控轮次（后台生成各项目监控任务）")
def round_create(request, payload: RoundIn):
    actor = api_actor(request)
    region = Region.objects.filter(pk=payload.region_id).first()
    if region is None:
        raise ValidationError({"region_id": ["区划不存在"]})
    if payload.point is None and payload.month is None:
        raise ValidationError({"point": ["请指定监控节点（point）或专项债券月份（month）"]})
    rnd = services.round_create(actor=actor, region=region, year=payload.year, point=payload.point,
                                month=payload.month, generate=False)
    job = tasks.start_generate(actor=actor, rnd=rnd)
    return Status(201, {"job_id": job.pk, "status": job.status, "url": f"/api/budget/jobs/{job.pk}"})


@router.post("/rounds/{int:round_id}/compute", response={202: JobOut}, summary="重新计算本轮全部预警（后台）")
def round_compute(request, round_id: int):
    actor = api_actor(request)
    rnd = selectors.round_get(actor, round_id)
    if not can(actor, Action.APPROVE, rnd):
        raise PermissionDenied("只有本级财政部门可以计算监控预警")
    job = tasks.start_compute(actor=actor, rnd=rnd)
    return Status(202, {"job_id": job.pk, "status": job.status, "url": f"/api/budget/jobs/{job.pk}"})


@router.get("/rounds/{int:round_id}/dashboard", response=dict, summary="监控看板：按颜色、预算类别、部门统计")
def round_dashboard(request, round_id: int, department: int | None = None):
    actor = api_actor(request)
    if not actor.may(Action.AGGREGATE):
        raise PermissionDenied("您没有查看监控统计的权限")
    rnd = selectors.round_get(actor, round_id)
    board = selectors.dashboard(actor, rnd, department=department)

    def row(r):
        return {"key": r.key, "label": r.label, "total": r.total, "green": r.colours.green,
                "yellow": r.colours.yellow, "red": r.colours.red, "blue": r.colours.blue,
                "not_computed": r.colours.none,
                "reported": r.reported, "completion_pct": str(r.completion_pct),
                "needs_disposition": r.needs_disposition, "budget": _m(r.budget), "spent": _m(r.spent),
                "execution_pct": str(r.execution_pct), "behind": _m(r.behind)}

    ic = board.indicator_colours
    return {"round": RoundOut.from_orm(rnd).dict(), "totals": row(board.totals),
            "by_budget": [row(r) for r in board.by_budget], "by_department": [row(r) for r in board.by_department],
            "indicators": {"green": ic.green, "yellow": ic.yellow, "red": ic.red, "blue": ic.blue,
                           "not_computed": ic.none},
            "dispositions": board.dispositions, "overdue_dispositions": board.overdue_dispositions,
            "key_monitored": board.key_monitored}


@router.get("/rounds/{int:round_id}/sweep", response=list[dict], summary="执行滞后及无法完成目标项目（按部门）")
def round_sweep(request, round_id: int, department: int | None = None):
    actor = api_actor(request)
    if not actor.may(Action.AGGREGATE):
        raise PermissionDenied("您没有查看该清单的权限")
    rnd = selectors.round_get(actor, round_id)
    groups, _ = selectors.year_end_sweep(actor, rnd, department=department)
    return [{"department_id": g.department_id, "department": g.name, "behind": _m(g.behind),
             "impossible": g.impossible,
             "subjects": [{"report_id": x.report_id, "subject_id": x.subject_id, "code": x.code, "name": x.name,
                           "unit": x.unit, "budget": _m(x.budget), "spent": _m(x.spent), "behind": _m(x.behind),
                           "execution_rate": _d(x.execution_rate), "colour": x.colour, "impossible": x.impossible,
                           "disposition_state": x.disposition_state} for x in g.lines]} for g in groups]


# ---- reports --------------------------------------------------------------------------------------------------------

@router.get("/rounds/{int:round_id}/reports", response=ReportPage, summary="本轮监控表（按权限范围，可筛选、分页）")
def report_list(request, round_id: int, filters: Query[ReportQuery]):
    actor = api_actor(request)
    rnd = selectors.round_get(actor, round_id)
    f = filters.dict()
    page, page_size = f.pop("page"), f.pop("page_size")
    choice_param(f.get("state"), ReportState.values, "state", "状态")
    choice_param(f.get("colour"), [*Colour.values, "none"], "colour", "预警颜色")
    choice_param(f.get("budget_kind"), BudgetKind.values, "budget_kind", "预算类别")
    qs = selectors.report_list(actor, rnd, f)
    return page_of(qs, page, page_size)


def _report_detail(actor, report: MonitoringReport) -> dict:
    ex = services.report_explanation(report)
    rows = selectors.report_rows(report)
    out = ReportOut.from_orm(report).dict()
    out.update({
        "annual_goal": report.annual_goal, "goal_progress": report.goal_progress, "duties": report.duties,
        "main_tasks": report.main_tasks, "remark": report.remark, "spent_note": report.spent_note,
        "explanation": ex.explain(), "reasons": ex.reasons(),
        "rows": [{"position": r.position, "level1": r.level1, "level2": r.level2, "name": r.name,
                  "comparator": r.comparator, "target_value": r.target_value, "unit": r.unit,
                  "weight": _d(r.weight), "current_value": r.current_value, "achievement": r.achievement,
                  "expected_value": r.expected_value, "deviation_causes": r.deviation_causes,
                  "cause_note": r.cause_note, "likelihood": r.likelihood, "remark": r.remark,
                  "colour": res.colour or "", "ratio": _d(res.ratio_pct), "explanation": res.explain()}
                 for r, res in zip(rows, ex.indicators, strict=True)],
        "problems": services.report_problems(report) if can(actor, Action.EDIT, report) else {},
        "transitions": [{"name": t.name, "label": t.label, "comment_required": t.comment_required}
                        for t in workflow.available_transitions(actor, report)],
        "steps": [{"at": s.at, "actor": s.actor.display_name, "actor_role": s.actor_role,
                   "transition": s.transition, "from_state": s.from_state, "to_state": s.to_state,
                   "comment": s.comment} for s in workflow.steps_for(report)],
        "disposition_id": MonitoringDisposition.objects.filter(report=report).values_list("pk", flat=True).first(),
    })
    return out


@router.get("/reports/{int:report_id}", response=dict, summary="监控表详情：指标、颜色及其计算说明、流转记录")
def report_detail(request, report_id: int):
    actor = api_actor(request)
    return _report_detail(actor, selectors.report_get(actor, report_id))


@router.put("/reports/{int:report_id}", response=SaveOut, summary="填报监控表（须带 lock_version）")
def report_save(request, report_id: int, payload: ReportIn):
    actor = api_actor(request)
    report = selectors.report_get(actor, report_id)
    if payload.lock_version != report.lock_version:
        raise ConcurrentEditError()
    data = payload.dict(exclude={"lock_version", "rows", "main_tasks"}, exclude_none=True)
    if payload.main_tasks is not None:
        data["main_tasks"] = [{"progress": p} for p in payload.main_tasks]
    data["rows"] = {str(r.position): r.dict(exclude={"position"}, exclude_none=True) for r in payload.rows}
    problems = services.report_save(actor=actor, report=report, data=data,
                                    expected_lock_version=payload.lock_version)
    return {"lock_version": report.lock_version, "colour": report.colour, "problems": problems}


@router.post("/reports/{int:report_id}/transition", response=ReportOut, summary="提交、撤回、审核通过或退回")
def report_transition(request, report_id: int, payload: TransitionIn):
    actor = api_actor(request)
    report = selectors.report_get(actor, report_id)
    services.report_transition(actor=actor, report=report, name=payload.name, comment=payload.comment,
                               expected_lock_version=payload.lock_version)
    return selectors.report_get(actor, report_id)


@router.post("/reports/{int:report_id}/key", response=ReportOut, summary="财政重点监控（可暂缓或停止拨款）")
def report_key(request, report_id: int, payload: KeyIn):
    actor = api_actor(request)
    report = selectors.report_get(actor, report_id)
    services.key_monitoring_set(actor=actor, report=report, is_key=payload.is_key, note=payload.note,
                                stop_disbursement=payload.stop_disbursement)
    return selectors.report_get(actor, report_id)


# ---- dispositions ---------------------------------------------------------------------------------------------------

@router.get("/dispositions", response=list[DispositionOut], summary="预警处置（按权限范围）")
def disposition_list(request, round: int | None = None, state: str | None = None, overdue: bool = False,
                     department: int | None = None, limit: int = Query(200, ge=1, le=1000)):
    actor = api_actor(request)
    choice_param(state, DispositionState.values, "state", "状态")
    f = {"round": round, "state": state, "overdue": overdue, "department": department}
    return list(selectors.disposition_list(actor, {k: v for k, v in f.items() if v})[:limit])


@router.get("/dispositions/{int:disposition_id}", response=DispositionOut, summary="预警处置详情")
def disposition_detail(request, disposition_id: int):
    return selectors.disposition_get(api_actor(request), disposition_id)


@router.put("/dispositions/{int:disposition_id}", response=DispositionOut, summary="选定处置方式（须带 lock_version）")
def disposition_save(request, disposition_id: int, payload: DispositionIn):
    actor = api_actor(request)
    d = selectors.disposition_get(actor, disposition_id)
    services.disposition_save(actor=actor, disposition=d, data=payload.dict(exclude={"lock_version"}),
                              expected_lock_version=payload.lock_version)
    return selectors.disposition_get(actor, disposition_id)


@router.post("/dispositions/{int:disposition_id}/transition", response=DispositionOut,
             summary="提交处置意见、撤回、财政确认或退回")
def disposition_transition(request, disposition_id: int, payload: TransitionIn):
    actor = api_actor(request)
    d = selectors.disposition_get(actor, disposition_id)
    services.disposition_transition(actor=actor, disposition=d, name=payload.name, comment=payload.comment,
                                    expected_lock_version=payload.lock_version)
    return selectors.disposition_get(actor, disposition_id)
