"""REST API of evaluation (绩效评价), mounted at /api/evaluation/.

Trial scoring (试算), nothing saved: post a self-evaluation sheet as JSON, or upload a workbook of published tables
(项目支出绩效自评表, one or many), and get every line's score under the chosen profile with the reason, the total and
grade, the explanations a submission would require, and what is inconsistent in the scores the sheet already carries
(weights, totals, funds, rates, bands, grade). The profile is `preset` (e.g. "national_2020"), or `region_id` and
`year` (the effective profile; the caller must be able to read that region), or by default the caller's own region
and the sheet's year. Amounts are decimal strings of yuan, scores decimal strings; floats are refused.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field, field_validator

from jixiao.core.api import ErrorOut, SubjectOrgOut, api_actor, choice_param, exact_text, no_float, page_of
from jixiao.core.money import Money, money_input
from jixiao.evaluation import selectors, services
from jixiao.evaluation import sheet as reader
from jixiao.evaluation.trial import read_upload, trial, trial_table
from jixiao.evaluation.workflows import SelfEvaluationState
from jixiao.policy.schema import Grade

router = Router()

MAX_JSON_LINES = 500


def _decimal_text(value):
    return no_float(value, "95.5")


class FundsIn(Schema):
    initial: str | None = Field(None, description="年初预算数，元，十进制字符串")
    annual: str = Field(description="全年预算数，元")
    executed: str = Field(description="全年执行数，元")
    other_rows: list[dict] = Field(default_factory=list, description="其中各行：{name, initial, annual, executed}")
    rate_pct: str | None = Field(None, description="表中填写的执行率（%），用于一致性检查")
    weight: str | None = Field(None, description="预算执行率分值；缺省为 100 减各指标分值之和")
    score: str | None = Field(None, description="表中填写的执行率得分")
    finished: bool | None = Field(None, description="项目是否已完成（分档计分时完成且未超预算得满分）")

    @field_validator("initial", "annual", "executed", "rate_pct", "weight", "score", mode="before")
    @classmethod
    def _no_floats(cls, value):
        return no_float(value, "12000.50")


class LineIn(Schema):
    level1: str = Field("", description="一级指标（产出指标/效益指标/满意度指标/成本指标）")
    level2: str = Field("", description="二级指标")
    name: str = Field(min_length=1, max_length=200, description="三级指标")
    comparator: str = Field("", description="计算符号（≥ ＞ ＝ ＜ ≤ 定性，或 ge/gt/eq/lt/le/qualitative）；"
                                            "缺省从指标值读")
    target: str = Field("", description="年度指标值（按文本，如 ≥95%）")
    actual: str = Field("", description="实际完成值（按文本，如 96% 或 达成）")
    unit: str = Field("", description="计量单位")
    weight: str | None = Field(None, description="分值")
    score: str | None = Field(None, description="表中填写的得分（定性指标即单位自评打分）")
    explanation: str = Field("", description="偏差原因分析及改进措施")
    overshoot_reason: str = Field("", description="超额原因：target_too_low/external/extra_funds/efficiency/other")

    @field_validator("weight", "score", mode="before")
    @classmethod
    def _no_floats(cls, value):
        return _decimal_text(value)


class TrialIn(Schema):
    funds: FundsIn | None = None
    lines: list[LineIn] = Field(min_length=1)
    total: str | None = Field(None, description="表中填写的总分")
    grade: str = Field("", description="表中填写的等级（优/良/中/差 或 excellent/good/fair/poor）")
    year: int | None = Field(None, ge=2000, le=2100, description="政策配置年度")
    preset: str | None = Field(None, description="按预设计分，如 national_2020（与 region_id 二选一）")
    region_id: int | None = Field(None, description="按该区划的现行政策配置计分；缺省为当前用户所在区划")

    @field_validator("total", mode="before")
    @classmethod
    def _no_floats(cls, value):
        return _decimal_text(value)


class TrialOut(Schema):
    params: str = Field(description="所用政策配置")
    profile_id: int | None
    result: dict = Field(description="funds（执行率及得分）、lines（每行得分、计分方法、理由、问题）、total、grade、"
                                     "findings（与表中已填分数的不一致）、problems（提交时须补充的说明）")


class UploadOut(Schema):
    params: str
    profile_id: int | None
    filename: str
    tables: list[dict] = Field(description="读到的每张自评表，内容同 TrialOut.result，另有 sheet、project、"
                                           "read_errors 等")
    consistent: int = Field(description="没有不一致之处的表数")


RESPONSES = {200: TrialOut, 400: ErrorOut, 403: ErrorOut}


def _chosen(request, *, preset: str | None, region_id: int | None, year: int | None):
    from jixiao.organisations.models import Region
    from jixiao.policy import selectors

    actor = api_actor(request)
    if preset and region_id is not None:
        raise ValidationError({"preset": ["preset 与 region_id 只能指定其一"]})
    if year is not None and not 2000 <= year <= 2100:
        raise ValidationError({"year": ["年度应在2000至2100之间"]})
    if preset:
        return selectors.chosen_params(preset=preset)
    if region_id is not None:
        region = Region.objects.filter(pk=region_id).first()
        if region is None:
            raise ValidationError({"region_id": [f"区划“{region_id}”不存在"]})
        if not selectors.can_read_region(actor, region):
            raise PermissionDenied("您无权使用该区划的政策配置")
    else:
        region = selectors.default_region(actor)
    return selectors.chosen_params(region=region, year=year)


def _money(text: str | None, field: str) -> Money | None:
    errors: dict[str, list[str]] = {}
    amount = money_input(text, field, errors)
    if errors:
        raise ValidationError(errors)
    return amount


def _dec(text: str | None, field: str) -> Decimal | None:
    if text in (None, ""):
        return None
    from jixiao.goals.values import parse_number

    n = parse_number(text)
    if n is None:
        raise ValidationError({field: [f"“{text}”不是数值"]})
    return n


def _grade(text: str) -> str:
    if not text:
        return ""
    if text in Grade.values:
        return text
    grade = reader.grade_from_text(text)
    if not grade:
        raise ValidationError({"grade": [f"等级“{text}”无法识别，应为 优/良/中/差"]})
    return grade


def published_from_json(payload: TrialIn):
    """The posted sheet as the rules' PublishedSheet, cells read by the same code as an uploaded table's."""
    from jixiao.indicators.models import Comparator

    table = reader.ReadTable(sheet="", first_row=0, money_unit="yuan")
    for i, ln in enumerate(payload.lines):
        weight = _dec(ln.weight, f"lines.{i}.weight")
        score = _dec(ln.score, f"lines.{i}.score")
        comparator = ln.comparator.strip()
        if comparator and comparator not in Comparator.values:
            from jixiao.goals.values import normalise_comparator

            if normalise_comparator(comparator) is None:
                raise ValidationError({f"lines.{i}.comparator": [f"计算符号“{comparator}”无法识别"]})
        cells = {"target": ln.target, "actual": ln.actual, "weight": None, "score": None,
                 "explain": ln.explanation, "comparator": comparator or None, "unit": ln.unit}
        read = reader.read_line(table, i, cells.get, ln.level1, ln.level2, ln.name)  # as an uploaded cell is read
        read.line.weight, read.score = weight, score
        if read.line.target is None:
            read.line.judged = score
        if ln.overshoot_reason:
            from jixiao.evaluation.rules import OVERSHOOT_REASONS

            if ln.overshoot_reason not in OVERSHOOT_REASONS:
                raise ValidationError({f"lines.{i}.overshoot_reason": ["超额原因取值不在允许范围内"]})
            read.line.overshoot_reason = ln.overshoot_reason
        table.lines.append(read)
    f = payload.funds
    if f is not None:
        from jixiao.evaluation.rules import FundsRow

        table.funds_rows.append(FundsRow("年度资金总额", _money(f.initial, "funds.initial"),
                                         _money(f.annual, "funds.annual"), _money(f.executed, "funds.executed")))
        for j, row in enumerate(f.other_rows):
            if not isinstance(row, dict):
                raise ValidationError({f"funds.other_rows.{j}": ["应为对象"]})
            table.funds_rows.append(FundsRow(
                str(row.get("name", "") or f"其中第{j + 1}行"),
                *(_money(row.get(k), f"funds.other_rows.{j}.{k}") for k in ("initial", "annual", "executed"))))
        weights = sum((ln.line.weight or Decimal(0) for ln in table.lines), Decimal(0))
        table.execution_weight = _dec(f.weight, "funds.weight")
        if table.execution_weight is None:
            table.execution_weight = max(Decimal(100) - weights, Decimal(0))
        table.execution_rate_pct = _dec(f.rate_pct, "funds.rate_pct")
        table.execution_score = _dec(f.score, "funds.score")
    table.total = _dec(payload.total, "total")
    table.grade = _grade(payload.grade)
    finished = f.finished if f is not None else None
    sheet = table.published()
    sheet.finished = finished
    return table, sheet


@router.post("/trial", response=RESPONSES, summary="试算一张自评表（JSON，不保存）",
             description="按所选政策配置为每个指标计分并给出理由，计算执行率得分、总分和等级，列出提交时须补充的说明，"
                         "并检查表中已填分数的一致性（分值合计、总分、资金、执行率、定性档次、等级）。不写入任何数据。")
def trial_json(request, payload: TrialIn):
    if len(payload.lines) > MAX_JSON_LINES:
        raise ValidationError({"lines": [f"指标行过多（上限 {MAX_JSON_LINES} 行）"]})
    chosen = _chosen(request, preset=payload.preset, region_id=payload.region_id, year=payload.year)
    table, sheet = published_from_json(payload)
    if table.funds_rows:
        result = trial(sheet, chosen.params.self_evaluation, names=[ln.name for ln in table.lines],
                       targets=[ln.target_text for ln in table.lines], actuals=[ln.actual_text for ln in table.lines])
    else:
        result = trial(sheet, chosen.params.self_evaluation, names=[ln.name for ln in table.lines])
    return {"params": chosen.label, "profile_id": chosen.profile_id, "result": result}


@router.post("/trial/upload", response={200: UploadOut, 400: ErrorOut, 403: ErrorOut},
             summary="试算上传的自评表 Excel（不保存）",
             description="上传 .xlsx、.xls 或 .csv，按标签识别其中的每张项目支出绩效自评表（可一表一页或多表一页），"
                         "逐张试算并检查一致性；读不懂的单元格按行列说明。不写入任何数据。")
def trial_upload(request, file: File[UploadedFile], preset: Form[str | None] = None,
                 region_id: Form[int | None] = None, year: Form[int | None] = None):
    name, result = read_upload(file)
    years = {t.year for t in result.tables if t.year}
    chosen = _chosen(request, preset=preset, region_id=region_id,
                     year=year or (years.pop() if len(years) == 1 else None))
    tables = [trial_table(t, chosen.params.self_evaluation) for t in result.tables]
    return {"params": chosen.label, "profile_id": chosen.profile_id, "filename": name, "tables": tables,
            "consistent": sum(1 for t in tables if t["consistent"])}


# ---- self-evaluation rounds and sheets ----------------------------------------------------------------------------
class RoundIn(Schema):
    region_id: int
    year: int = Field(ge=2000, le=2100, description="评价年度")
    due: datetime.date | None = Field(None, description="报送截止日；缺省按政策配置")


class RoundOut(Schema):
    id: int
    region_id: int
    region_name: str
    fiscal_year: int
    name: str
    due: datetime.date | None
    scored_at: datetime.datetime | None
    summary: dict = Field(description="tasks、done、accepted、returned、coverage_pct、grades、average")

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.name

    @staticmethod
    def resolve_fiscal_year(obj):
        return obj.fiscal_year.year


class SheetQuery(Schema):
    department: int | None = None
    unit: int | None = None
    state: str | None = None
    grade: str | None = Field(None, description="excellent / good / fair / poor / none（未计分）")
    budget_kind: str | None = None
    needs_explanation: bool = False
    overshoot: bool = False
    q: str | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=500)


class SheetOut(SubjectOrgOut):
    id: int
    round_id: int
    budget_kind: str
    initial_budget: str
    annual_budget: str
    recorded_executed: str
    executed: str
    execution_weight: str
    execution_rate: str | None
    execution_score: str | None
    indicator_score: str | None
    total_score: str | None
    grade: str
    problems: int
    overshoot: bool
    state: str
    state_label: str
    lock_version: int

    @field_validator("initial_budget", "annual_budget", "recorded_executed", "executed", "execution_weight",
                     "execution_rate", "execution_score", "indicator_score", "total_score", mode="before")
    @classmethod
    def _exact(cls, value):
        return exact_text(value)

    @staticmethod
    def resolve_state_label(obj):
        return obj.get_state_display()


class SheetPage(Schema):
    items: list[SheetOut]
    count: int
    page: int
    page_size: int
    pages: int


class LineSaveIn(Schema):
    position: int = Field(ge=0, description="指标序号（详情中的 position）")
    actual_value: str | None = Field(None, max_length=200, description="实际完成值（定量指标为数值）")
    tier: str | None = Field(None, description="定性档次：achieved / partial / not_achieved")
    judged_score: str | None = Field(None, description="定性指标自评打分（十进制字符串）")
    overshoot_reason: str | None = Field(None, description="超额原因：target_too_low/external/extra_funds/"
                                                           "efficiency/other")
    explanation: str | None = Field(None, max_length=4000, description="偏差原因分析及改进措施")

    @field_validator("judged_score", mode="before")
    @classmethod
    def _no_floats(cls, value):
        return _decimal_text(value)


class SheetSaveIn(Schema):
    lock_version: int
    executed: str | None = Field(None, description="全年执行数（元）；空字符串恢复为执行记录数")
    executed_note: str | None = Field(None, max_length=300)
    received: str | None = Field(None, description="实际到位资金（元）")
    finished: bool | None = None
    achieved_goal: str | None = Field(None, max_length=4000)
    funds_explanation: str | None = Field(None, max_length=4000)
    conclusion_explanation: str | None = Field(None, max_length=4000)
    duties: str | None = Field(None, max_length=4000)
    main_tasks: list[str] | None = Field(None, description="各主要任务的完成情况（按顺序）")
    funds_breakdown: dict | None = Field(None, description="{fiscal|carryover|other: {initial, annual, executed}}，元")
    lines: list[LineSaveIn] = Field(default_factory=list)

    @field_validator("executed", "received", mode="before")
    @classmethod
    def _no_floats(cls, value):
        return no_float(value, "1080000.00")


class SaveOut(Schema):
    lock_version: int
    total_score: str | None
    grade: str
    problems: dict[str, list[str]]


class TransitionIn(Schema):
    name: str = Field(description="submit / withdraw / department_pass / department_return / accept / "
                                  "finance_return")
    comment: str = Field("", max_length=2000)
    lock_version: int | None = None


@router.get("/rounds", response=list[RoundOut], summary="单位自评任务（本人参与的区划）")
def round_list(request, year: int | None = None):
    return list(selectors.round_list(api_actor(request), year)[:200])


class RoundJobOut(Schema):
    round: RoundOut
    job_id: int
    status: str
    url: str


@router.post("/rounds", response={201: RoundJobOut, 400: ErrorOut, 403: ErrorOut},
             summary="开启单位自评（后台为该年度有预算的全部项目生成自评表）")
def round_create(request, payload: RoundIn):
    from jixiao.evaluation import tasks
    from jixiao.organisations.models import Region

    actor = api_actor(request)
    region = Region.objects.filter(pk=payload.region_id).first()
    if region is None:
        raise ValidationError({"region_id": ["区划不存在"]})
    rnd = services.round_create(actor=actor, region=region, year=payload.year, due=payload.due, generate=False)
    job = tasks.start_generate(actor=actor, rnd=rnd)
    return Status(201, {"round": selectors.round_get(actor, rnd.pk), "job_id": job.pk, "status": job.status,
                        "url": f"/api/budget/jobs/{job.pk}"})


@router.post("/rounds/{int:round_id}/score", response={202: dict, 403: ErrorOut},
             summary="按政策配置重新计分本任务的全部自评表（后台）")
def round_score(request, round_id: int):
    from jixiao.core.permissions import Action, can
    from jixiao.evaluation import tasks

    actor = api_actor(request)
    rnd = selectors.round_get(actor, round_id)
    if not can(actor, Action.APPROVE, rnd):
        raise PermissionDenied("只有本级财政部门可以重新计分")
    job = tasks.start_score(actor=actor, rnd=rnd)
    return Status(202, {"job_id": job.pk, "status": job.status, "url": f"/api/budget/jobs/{job.pk}"})


@router.get("/rounds/{int:round_id}/rollup", response=dict, summary="部门项目支出绩效自评汇总")
def round_rollup(request, round_id: int, department: int | None = None):
    actor = api_actor(request)
    rows, total = selectors.department_rollup(actor, selectors.round_get(actor, round_id), department=department)

    def row(r):
        return {"department_id": r.department_id, "department": r.name, "tasks": r.tasks, "done": r.done,
                "accepted": r.accepted, "coverage_pct": str(r.coverage_pct), "budget": r.budget.to_json(),
                "executed": r.executed.to_json(), "execution_pct": None if r.execution_pct is None
                else str(r.execution_pct), "average": None if r.average is None else str(r.average),
                "grades": r.grades, "needs_explanation": r.needs_explanation, "overshoot": r.overshoot}

    return {"departments": [row(r) for r in rows], "total": row(total)}


@router.get("/rounds/{int:round_id}/sheets", response=SheetPage, summary="本任务的自评表（按权限范围，可筛选、分页）")
def sheet_list(request, round_id: int, filters: Query[SheetQuery]):
    from jixiao.budget.models import BudgetKind

    actor = api_actor(request)
    rnd = selectors.round_get(actor, round_id)
    f = filters.dict()
    page, page_size = f.pop("page"), f.pop("page_size")
    choice_param(f.get("state"), SelfEvaluationState.values, "state", "状态")
    choice_param(f.get("grade"), [*Grade.values, "none"], "grade", "等级")
    choice_param(f.get("budget_kind"), BudgetKind.values, "budget_kind", "预算类别")
    qs = selectors.evaluation_list(actor, rnd, f)
    return page_of(qs, page, page_size)


def _sheet_detail(actor, ev) -> dict:
    from jixiao.core import workflow
    from jixiao.core.permissions import Action, can
    from jixiao.evaluation.rules import FundsInput

    lines = selectors.evaluation_lines(ev)
    result = services.evaluation_result(ev, lines=lines)
    out = SheetOut.from_orm(ev).dict()
    out.update({
        "expected_goal": ev.expected_goal, "achieved_goal": ev.achieved_goal, "duties": ev.duties,
        "main_tasks": ev.main_tasks, "executed_note": ev.executed_note, "funds_breakdown": ev.funds_breakdown,
        "received": None if ev.received is None else ev.received.to_json(), "finished": ev.finished,
        "funds_explanation": ev.funds_explanation, "conclusion_explanation": ev.conclusion_explanation,
        "execution_explanation": result.execution.explain(FundsInput(ev.annual_budget, ev.executed,
                                                                     received=ev.received)),
        "total_explanation": result.explain_total(),
        "lines": [{"position": ln.position, "level1": ln.level1, "level2": ln.level2, "name": ln.name,
                   "comparator": ln.comparator, "target_value": ln.target_value, "unit": ln.unit,
                   "weight": exact_text(ln.weight), "actual_value": ln.actual_value,
                   "tier": ln.tier, "judged_score": exact_text(ln.judged_score),
                   "overshoot_reason": ln.overshoot_reason, "explanation": ln.explanation,
                   "score": str(ls.score), "method": ls.method, "reason": ls.explain(), "shortfall": ls.shortfall,
                   "overshoot": ls.overshoot} for ln, ls in zip(lines, result.lines, strict=True)],
        "required": services.evaluation_problems(ev, result) if can(actor, Action.EDIT, ev) else {},
        "transitions": [{"name": t.name, "label": t.label, "comment_required": t.comment_required}
                        for t in workflow.available_transitions(actor, ev)],
        "steps": [{"at": s.at, "actor": s.actor.display_name, "actor_role": s.actor_role,
                   "transition": s.transition, "from_state": s.from_state, "to_state": s.to_state,
                   "comment": s.comment} for s in workflow.steps_for(ev)],
    })
    return out


@router.get("/sheets/{int:sheet_id}", response=dict, summary="自评表详情：每项得分及其计算说明、须补充的说明、流转记录")
def sheet_detail(request, sheet_id: int):
    actor = api_actor(request)
    return _sheet_detail(actor, selectors.evaluation_get(actor, sheet_id))


@router.put("/sheets/{int:sheet_id}", response={200: SaveOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
            summary="填报自评表（须带 lock_version）")
def sheet_save(request, sheet_id: int, payload: SheetSaveIn):
    from jixiao.core.workflow import ConcurrentEditError

    actor = api_actor(request)
    ev = selectors.evaluation_get(actor, sheet_id)
    if payload.lock_version != ev.lock_version:
        raise ConcurrentEditError()
    data = payload.dict(exclude={"lock_version", "lines", "main_tasks"}, exclude_none=True)
    if payload.main_tasks is not None:
        data["main_tasks"] = [{"result": r} for r in payload.main_tasks]
    data["lines"] = {str(ln.position): ln.dict(exclude={"position"}, exclude_none=True) for ln in payload.lines}
    problems = services.evaluation_save(actor=actor, evaluation=ev, data=data,
                                        expected_lock_version=payload.lock_version)
    return {"lock_version": ev.lock_version, "total_score": exact_text(ev.total_score),
            "grade": ev.grade, "problems": problems}


@router.post("/sheets/{int:sheet_id}/transition", response={200: SheetOut, 400: ErrorOut, 403: ErrorOut,
                                                            409: ErrorOut},
             summary="提交、撤回、审核通过或退回")
def sheet_transition(request, sheet_id: int, payload: TransitionIn):
    actor = api_actor(request)
    ev = selectors.evaluation_get(actor, sheet_id)
    services.evaluation_transition(actor=actor, evaluation=ev, name=payload.name, comment=payload.comment,
                                   expected_lock_version=payload.lock_version)
    return selectors.evaluation_get(actor, sheet_id)


# ---- spot checks --------------------------------------------------------------------------------------------------
class DrawIn(Schema):
    seed: int | None = Field(None, ge=1, le=2**62, description="随机种子；缺省自动生成并记录")


class ItemOut(SubjectOrgOut):
    id: int
    spot_check_id: int
    evaluation_id: int
    reason: str
    stratum: str
    agency_id: int | None
    agency_name: str | None
    self_total: str | None
    self_grade: str
    execution_score: str | None
    recheck_total: str | None
    recheck_grade: str
    gap: str | None
    inflated: bool
    note: str
    state: str
    lock_version: int

    @field_validator("self_total", "execution_score", "recheck_total", "gap", mode="before")
    @classmethod
    def _exact(cls, value):
        return exact_text(value)

    @staticmethod
    def resolve_agency_name(obj):
        return obj.agency.name if obj.agency_id else None


class AssignIn(Schema):
    agency_id: int | None = Field(None, description="复核机构；空为财政部门自行复核")


class RecheckLineIn(Schema):
    position: int = Field(ge=0)
    score: str | None = Field(None, description="复核得分（十进制字符串）")
    note: str | None = Field(None, max_length=500)

    @field_validator("score", mode="before")
    @classmethod
    def _no_floats(cls, value):
        return _decimal_text(value)


class RecheckIn(Schema):
    lock_version: int
    execution_score: str | None = None
    note: str | None = Field(None, max_length=4000)
    lines: list[RecheckLineIn] = Field(default_factory=list)

    @field_validator("execution_score", mode="before")
    @classmethod
    def _no_floats(cls, value):
        return _decimal_text(value)


def _check_out(check) -> dict:
    return {"id": check.pk, "round_id": check.round_id, "seed": check.seed, "rate_pct": str(check.rate_pct),
            "population": check.population, "target": check.target, "strata": check.strata,
            "inflation_gap": str(check.inflation_gap), "drawn_at": check.drawn_at, "summary": check.summary}


@router.post("/rounds/{int:round_id}/spot-check", response={201: dict, 400: ErrorOut, 403: ErrorOut},
             summary="抽取抽查复核样本（按部门和金额分层，记录随机种子）")
def spot_check_draw(request, round_id: int, payload: DrawIn):
    from jixiao.evaluation import spot_checks

    actor = api_actor(request)
    check = spot_checks.draw(actor=actor, rnd=selectors.round_get(actor, round_id), seed=payload.seed)
    return Status(201, _check_out(check))


@router.get("/rounds/{int:round_id}/spot-check", response=dict, summary="抽查复核：抽取情况与复核项目")
def spot_check_detail(request, round_id: int, state: str | None = None, inflated: bool = False):
    from django.http import Http404

    from jixiao.evaluation.models import SpotCheck
    from jixiao.evaluation.workflows import SpotCheckState

    actor = api_actor(request)
    rnd = selectors.round_get(actor, round_id)
    check = SpotCheck.objects.filter(round=rnd).first()
    if check is None:
        raise Http404("尚未抽取复核样本")
    choice_param(state, SpotCheckState.values, "state", "状态")
    items = selectors.spot_check_items(actor, check, {"state": state, "inflated": inflated})
    return {**_check_out(check), "items": [ItemOut.from_orm(i).dict() for i in items[:5000]]}


@router.post("/spot-check-items/{int:item_id}/assign", response={200: ItemOut, 400: ErrorOut, 403: ErrorOut},
             summary="委托第三方机构复核（或由财政部门自行复核）")
def spot_check_assign(request, item_id: int, payload: AssignIn):
    from jixiao.evaluation import spot_checks
    from jixiao.organisations.models import Agency

    actor = api_actor(request)
    item = selectors.spot_check_item_get(actor, item_id)
    agency = None
    if payload.agency_id is not None:
        agency = Agency.objects.filter(pk=payload.agency_id).first()
        if agency is None:
            raise ValidationError({"agency_id": ["机构不存在"]})
    spot_checks.assign(actor=actor, item=item, agency=agency)
    return selectors.spot_check_item_get(actor, item_id)


@router.get("/spot-check-items/{int:item_id}", response=dict, summary="复核项目详情：逐项自评得分与复核得分")
def spot_check_item(request, item_id: int):
    from jixiao.core import workflow

    actor = api_actor(request)
    item = selectors.spot_check_item_get(actor, item_id)
    out = ItemOut.from_orm(item).dict()
    out["lines"] = [{"position": cl.line.position, "name": cl.line.name, "weight": exact_text(cl.line.weight),
                     "target_value": cl.line.target_value, "actual_value": cl.line.actual_value,
                     "self_score": exact_text(cl.self_score), "score": exact_text(cl.score), "note": cl.note}
                    for cl in item.lines.select_related("line").order_by("line__position", "pk")]
    out["transitions"] = [{"name": t.name, "label": t.label} for t in workflow.available_transitions(actor, item)]
    return out


@router.put("/spot-check-items/{int:item_id}", response={200: dict, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
            summary="保存复核结果（须带 lock_version）")
def spot_check_save(request, item_id: int, payload: RecheckIn):
    from jixiao.evaluation import spot_checks

    actor = api_actor(request)
    item = selectors.spot_check_item_get(actor, item_id)
    data = payload.dict(exclude={"lock_version", "lines"}, exclude_none=True)
    data["lines"] = {str(ln.position): ln.dict(exclude={"position"}, exclude_none=True) for ln in payload.lines}
    problems = spot_checks.recheck_save(actor=actor, item=item, data=data,
                                        expected_lock_version=payload.lock_version)
    item.refresh_from_db()
    return {"lock_version": item.lock_version, "recheck_total": exact_text(item.recheck_total),
            "gap": exact_text(item.gap), "inflated": item.inflated, "problems": problems}


@router.post("/spot-check-items/{int:item_id}/transition", response={200: ItemOut, 400: ErrorOut, 403: ErrorOut,
                                                                     409: ErrorOut},
             summary="提交复核结果、财政确认或退回")
def spot_check_transition(request, item_id: int, payload: TransitionIn):
    from jixiao.evaluation import spot_checks

    actor = api_actor(request)
    item = selectors.spot_check_item_get(actor, item_id)
    spot_checks.transition(actor=actor, item=item, name=payload.name, comment=payload.comment,
                           expected_lock_version=payload.lock_version)
    return selectors.spot_check_item_get(actor, item_id)


# ---- department and fiscal evaluations ----------------------------------------------------------------------------
class EvaluationIn(Schema):
    subject_id: int
    kind: str = Field(description="department（部门评价）/ fiscal（财政评价）/ re_evaluation（再评价）")
    year: int = Field(ge=2000, le=2100)
    title: str = Field(min_length=1, max_length=200)
    period: str = Field("annual", description="annual / midterm / post_period")
    scope: str = Field("", max_length=4000)
    agency_id: int | None = None
    reviewed_id: int | None = Field(None, description="再评价的对象（已归档的评价）")


class DocumentIn(Schema):
    kind: str = Field(description="notice / work_plan / plan_review / evidence / preliminary_conclusion / "
                                  "views_exchange / final_conclusion / report / archive_checklist / other")
    title: str = Field(min_length=1, max_length=200)
    content: str = Field("", max_length=20000)
    reference: str = Field("", max_length=100)


class IndicatorRowIn(Schema):
    level1: str
    level2: str = ""
    name: str
    weight: str
    standard: str = ""
    score: str | None = None
    basis: str = ""

    @field_validator("weight", "score", mode="before")
    @classmethod
    def _no_floats(cls, value):
        return _decimal_text(value)


class IndicatorsIn(Schema):
    lock_version: int
    rows: list[IndicatorRowIn]


class TextsIn(Schema):
    lock_version: int
    scope: str | None = Field(None, max_length=4000)
    conclusion: str | None = Field(None, max_length=20000)
    methods: list[str] | None = None


def _record_out(actor, ev) -> dict:
    from jixiao.core import workflow
    from jixiao.evaluation import evaluations as ev_services

    return {
        "id": ev.pk, "kind": ev.kind, "period": ev.period, "year": ev.fiscal_year.year, "title": ev.title,
        "subject_id": ev.subject_id, "subject_code": ev.subject.code, "subject_name": ev.subject.name,
        "department_id": ev.department_id, "agency_id": ev.agency_id, "reviewed_id": ev.reviewed_id,
        "step": ev.state, "step_label": ev.get_state_display(), "scope": ev.scope, "methods": ev.methods,
        "conclusion": ev.conclusion, "total_score": exact_text(ev.total_score), "grade": ev.grade,
        "lock_version": ev.lock_version,
        "documents": [{"step": d.step, "kind": d.kind, "title": d.title, "reference": d.reference,
                       "added_at": d.added_at} for d in ev.documents.all()],
        "indicators": [{"level1": r.level1, "level2": r.level2, "name": r.name, "weight": str(r.weight),
                        "score": exact_text(r.score), "standard": r.standard, "basis": r.basis}
                       for r in ev.indicators.all()],
        "step_needs": ev_services.step_problems(ev),
        "transitions": [{"name": t.name, "label": t.label} for t in workflow.available_transitions(actor, ev)],
    }


@router.get("/evaluations", response=list[dict], summary="部门评价、财政评价和再评价（按权限范围）")
def record_list(request, year: int | None = None, kind: str | None = None):
    from jixiao.evaluation.models import EvaluationKind

    choice_param(kind, EvaluationKind.values, "kind", "评价类型")
    actor = api_actor(request)
    return [{"id": e.pk, "kind": e.kind, "title": e.title, "year": e.fiscal_year.year, "subject_code": e.subject.code,
             "step": e.state, "total_score": exact_text(e.total_score), "grade": e.grade}
            for e in selectors.evaluations(actor, year=year, kind=kind)[:1000]]


@router.post("/evaluations", response={201: dict, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="列入评价（部门评价由主管部门、财政评价和再评价由财政部门）")
def record_create(request, payload: EvaluationIn):
    from jixiao.budget import selectors as budget_selectors
    from jixiao.evaluation import evaluations as ev_services
    from jixiao.organisations.models import Agency

    actor = api_actor(request)
    subject = budget_selectors.subject_get(actor, payload.subject_id)
    agency = None
    if payload.agency_id is not None:
        agency = Agency.objects.filter(pk=payload.agency_id).first()
        if agency is None:
            raise ValidationError({"agency_id": ["机构不存在"]})
    reviewed = selectors.evaluation_record_get(actor, payload.reviewed_id) if payload.reviewed_id else None
    ev = ev_services.evaluation_create(actor=actor, subject=subject, kind=payload.kind, year=payload.year,
                                       title=payload.title, period=payload.period, scope=payload.scope,
                                       agency=agency, reviewed=reviewed)
    return Status(201, _record_out(actor, ev))


@router.get("/evaluations/{int:evaluation_id}", response=dict, summary="评价详情：步骤、材料、指标体系及本步骤所需")
def record_detail(request, evaluation_id: int):
    actor = api_actor(request)
    return _record_out(actor, selectors.evaluation_record_get(actor, evaluation_id))


@router.post("/evaluations/{int:evaluation_id}/documents", response={201: dict, 400: ErrorOut, 403: ErrorOut},
             summary="添加本步骤材料")
def record_document(request, evaluation_id: int, payload: DocumentIn):
    from jixiao.evaluation import evaluations as ev_services

    actor = api_actor(request)
    ev = selectors.evaluation_record_get(actor, evaluation_id)
    ev_services.document_add(actor=actor, evaluation=ev, kind=payload.kind, title=payload.title,
                             content=payload.content, reference=payload.reference)
    return Status(201, _record_out(actor, ev))


@router.put("/evaluations/{int:evaluation_id}/indicators", response={200: dict, 400: ErrorOut, 403: ErrorOut,
                                                                      409: ErrorOut},
            summary="评价指标体系及评分（须带 lock_version）")
def record_indicators(request, evaluation_id: int, payload: IndicatorsIn):
    from jixiao.evaluation import evaluations as ev_services

    actor = api_actor(request)
    ev = selectors.evaluation_record_get(actor, evaluation_id)
    warnings = ev_services.indicators_save(actor=actor, evaluation=ev, rows=[r.dict() for r in payload.rows],
                                           expected_lock_version=payload.lock_version)
    return {**_record_out(actor, ev), "warnings": warnings}


@router.patch("/evaluations/{int:evaluation_id}", response={200: dict, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
              summary="修改评价对象和范围、评价方法、评价结论（须带 lock_version）")
def record_texts(request, evaluation_id: int, payload: TextsIn):
    from jixiao.evaluation import evaluations as ev_services

    actor = api_actor(request)
    ev = selectors.evaluation_record_get(actor, evaluation_id)
    ev_services.evaluation_update(actor=actor, evaluation=ev, data=payload.dict(exclude={"lock_version"},
                                                                               exclude_none=True),
                                  expected_lock_version=payload.lock_version)
    return _record_out(actor, ev)


@router.post("/evaluations/{int:evaluation_id}/transition", response={200: dict, 400: ErrorOut, 403: ErrorOut,
                                                                       409: ErrorOut},
             summary="完成本步骤（须有本步骤材料）或退回修改")
def record_transition(request, evaluation_id: int, payload: TransitionIn):
    from jixiao.evaluation import evaluations as ev_services

    actor = api_actor(request)
    ev = selectors.evaluation_record_get(actor, evaluation_id)
    ev_services.evaluation_transition(actor=actor, evaluation=ev, name=payload.name, comment=payload.comment,
                                      expected_lock_version=payload.lock_version)
    return _record_out(actor, selectors.evaluation_record_get(actor, evaluation_id))


@router.get("/plan", response={200: dict, 400: ErrorOut, 403: ErrorOut},
            summary="年度评价计划覆盖面检查及按预算类别的评价覆盖情况")
def evaluation_plan(request, year: int, department_id: int | None = None, bond_quota: str | None = None):
    from jixiao.core.money import MoneyParseError

    actor = api_actor(request)
    where = selectors.plan_scope(actor, department_id)
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": ["年度应在2000～2100之间"]})
    quota = None
    if bond_quota:
        try:
            quota = Money.parse(bond_quota)
        except MoneyParseError as exc:
            raise ValidationError({"bond_quota": [str(exc)]}) from None
    plan = selectors.evaluation_plan(actor, year, region_id=where.region_id, department_id=where.department_id,
                                     bond_quota_fen=quota.fen if quota else None)
    c = plan.coverage
    return {"year": year, "region_id": plan.region_id, "subjects": c.subjects, "planned": c.planned,
            "amount": Money(c.amount_fen).to_json(), "planned_amount": Money(c.planned_fen).to_json(),
            "count_pct": exact_text(c.count_pct), "amount_pct": exact_text(c.amount_pct), "met": c.met,
            "findings": [{"code": f.code, "message": f.message, "subject_id": f.subject_id,
                          "department_id": f.department_id} for f in c.findings],
            "due_key": c.due_key, "midterm": c.midterm, "post_period": c.post_period,
            "by_budget": [{"budget_kind": b.budget_kind, "label": b.label, "subjects": b.subjects,
                           "amount": b.amount.to_json(), "fiscal_evaluations": b.fiscal,
                           "fiscal_amount": b.fiscal_amount.to_json(), "department_evaluations": b.department,
                           "department_amount": b.department_amount.to_json()} for b in plan.by_budget]}
