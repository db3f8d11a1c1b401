"""REST API of the project library, mounted at /api/budget/. Same permissions, filters and validation as the screens.

Money crosses the API as decimal strings of yuan ("1234.56"), never as floats: inputs given as JSON numbers with a
fraction are refused. Errors are structured JSON (see jixiao.core.api): 400 invalid, 403 forbidden, 404 not found or
out of reach, 409 when `lock_version` is stale.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field, field_validator

from jixiao.budget import selectors, services
from jixiao.budget.forms import SubjectEditForm, SubjectFilterForm, SubjectForm, subject_initial
from jixiao.budget.imports import EXECUTION_JOB, SUBJECT_JOB, import_start
from jixiao.budget.models import PerformanceSubject
from jixiao.core import workflow
from jixiao.core.api import api_actor, no_float
from jixiao.core.models import Job
from jixiao.core.permissions import Action
from jixiao.core.workflow import ConcurrentEditError
from jixiao.organisations.models import Region

router = Router()

CREATE_DEFAULTS = {"kind": "project", "budget_kind": "general_public", "is_new": True}
# API field name ↔ form field name
API_TO_FORM = {"department_id": "department", "unit_id": "unit"}
FORM_TO_API = {v: k for k, v in API_TO_FORM.items()}


def _money(value):
    return None if value is None else value.to_json()


class TotalsOut(Schema):
    count: int
    annual_amount: str
    adjusted_amount: str
    total_amount: str


class SubjectOut(Schema):
    id: int
    fiscal_year: int
    code: str
    name: str
    region_id: int
    region_name: str
    department_id: int | None
    department_name: str | None
    unit_id: int | None
    unit_name: str | None
    kind: str
    kind_label: str
    project_category: str
    budget_kind: str
    budget_kind_label: str
    special_category: str
    is_new: bool
    start_date: datetime.date | None
    end_date: datetime.date | None
    functional_class: str
    functional_class_name: str
    sector: str
    description: str
    annual_amount: str = Field(description="年度预算金额，元，十进制字符串")
    total_amount: str = Field(description="项目总金额，元")
    adjusted_amount: str | None = Field(description="调整后预算，元")
    current_amount: str = Field(description="调整后预算（无调整时为年度预算），元")
    is_classified: bool
    classified_reason: str
    classified_filed_at: datetime.date | None
    is_research: bool
    scope_kind: str
    government_investment: str | None = Field(description="政府投资项目总投资，元")
    state: str
    state_label: str
    lock_version: int
    revision: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    imported_at: datetime.datetime | None

    @staticmethod
    def resolve_fiscal_year(obj):
        return obj.fiscal_year.year

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.name

    @staticmethod
    def resolve_department_name(obj):
        return obj.department.name if obj.department_id else None

    @staticmethod
    def resolve_unit_name(obj):
        return obj.unit.name if obj.unit_id else None

    @staticmethod
    def resolve_kind_label(obj):
        return obj.get_kind_display()

    @staticmethod
    def resolve_budget_kind_label(obj):
        return obj.get_budget_kind_display()

    @staticmethod
    def resolve_state_label(obj):
        return obj.get_state_display()

    @staticmethod
    def resolve_annual_amount(obj):
        return obj.annual_amount.to_json()

    @staticmethod
    def resolve_total_amount(obj):
        return obj.total_amount.to_json()

    @staticmethod
    def resolve_adjusted_amount(obj):
        return _money(obj.adjusted_amount)

    @staticmethod
    def resolve_government_investment(obj):
        return _money(obj.government_investment)

    @staticmethod
    def resolve_current_amount(obj):
        return obj.current_amount.to_json()


class SubjectPage(Schema):
    items: list[SubjectOut]
    count: int
    page: int
    page_size: int
    pages: int
    totals: TotalsOut


class SubjectQuery(Schema):
    """Filters as on the list page; all values are read (and refused, in Chinese) by the same form."""

    year: str | None = None
    budget_kind: str | None = None
    kind: str | None = None
    department: str | None = None
    unit: str | None = None
    special_category: str | None = Field(None, description="none 表示无特殊类别")
    state: str | None = None
    classified: str | None = Field(None, description="yes / no")
    amount_min: str | None = Field(None, description="年度预算不低于（元）")
    amount_max: str | None = Field(None, description="年度预算不高于（元）")
    q: str | None = Field(None, description="项目编码或名称包含")
    sort: str | None = Field(None, description="code, name, amount, department, state, updated；前加 - 为降序")
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=500)


class SubjectFields(Schema):
    fiscal_year: int | None = Field(None, description="预算年度，如 2026")
    code: str | None = None
    name: str | None = None
    kind: str | None = Field(None, description="project, policy, department_wide, unit_wide, transfer_payment")
    project_category: str | None = Field(None, description="personnel, operation, specific 或空")
    budget_kind: str | None = Field(None, description="general_public, government_fund, state_capital, "
                                                        "social_insurance")
    special_category: str | None = Field(None, description="ppp, procurement, purchase_of_services, special_bond, "
                                                             "investment_fund 或空")
    department_id: int | None = None
    unit_id: int | None = None
    is_new: bool | None = None
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    functional_class: str | None = None
    functional_class_name: str | None = None
    sector: str | None = None
    description: str | None = None
    annual_amount: str | None = Field(None, description="元，十进制字符串")
    total_amount: str | None = Field(None, description="元；不填则等于年度预算")
    adjusted_amount: str | None = Field(None, description="元")
    is_classified: bool | None = None
    classified_reason: str | None = None
    classified_filed_at: datetime.date | None = None
    is_research: bool | None = None
    scope_kind: str | None = Field(None, description="new, changed, renewed, continuing")
    government_investment: str | None = Field(None, description="元")

    @field_validator("annual_amount", "total_amount", "adjusted_amount", "government_investment", mode="before")
    @classmethod
    def _no_floats(cls, value):
        return no_float(value)


class SubjectIn(SubjectFields):
    fiscal_year: int
    code: str
    name: str
    department_id: int
    annual_amount: str


class SubjectPatch(SubjectFields):
    lock_version: int = Field(description="读取时的 lock_version；已被他人修改时返回 409")


class TransitionIn(Schema):
    name: str = Field(description="submit, withdraw, department_approve, department_return, approve, return, "
                                  "start_adjustment")
    comment: str = ""
    lock_version: int | None = None


class TransitionOut(Schema):
    name: str
    label: str
    comment_required: bool
    target: str | None


class BudgetLineOut(Schema):
    id: int
    line_code: str
    functional_class: str
    functional_class_name: str
    economic_class: str
    economic_class_name: str
    fund_source: str
    initial_amount: str
    adjusted_amount: str
    payment_blocked: bool

    @staticmethod
    def resolve_initial_amount(obj):
        return obj.initial_amount.to_json()

    @staticmethod
    def resolve_adjusted_amount(obj):
        return obj.adjusted_amount.to_json()


class MonthOut(Schema):
    month: int
    amount: str | None
    cumulative: str
    execution_rate: str | None = Field(description="累计支出 ÷ 调整后预算，百分比")


class ExecutionOut(Schema):
    year: int
    budget: str
    spent: str
    months: list[MonthOut]


class StepOut(Schema):
    at: datetime.datetime
    actor: str
    actor_role: str
    transition: str
    transition_label: str
    from_state: str
    to_state: str
    revision: int
    comment: str


class VersionOut(Schema):
    revision: int
    created_at: datetime.datetime
    data: dict


class JobOut(Schema):
    id: int
    kind: str
    label: str
    status: str
    status_label: str
    progress: int
    total: int
    percent: int
    message: str
    finished: bool
    errors: list
    result: dict
    url: str

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()

    @staticmethod
    def resolve_url(obj):
        return reverse("web:job_detail", args=[obj.pk])


class FiscalYearOut(Schema):
    year: int
    is_current: bool


# ---- helpers ---------------------------------------------------------------------------------------------------------

def _form_errors(form) -> ValidationError:
    return ValidationError({FORM_TO_API.get(k, k): list(v) for k, v in form.errors.items()})


def _service_errors(exc: ValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return ValidationError({FORM_TO_API.get(k, k): v for k, v in exc.message_dict.items()})
    return exc


def _form_data(values: dict) -> dict:
    data = {}
    for key, value in values.items():
        key = API_TO_FORM.get(key, key)
        if value is None:
            value = ""
        data[key] = value
    return data


def _fresh(pk) -> PerformanceSubject:
    return PerformanceSubject.objects.select_related(*selectors.LIST_RELATED).get(pk=pk)


# ---- subjects --------------------------------------------------------------------------------------------------------

@router.get("/fiscal-years", response=list[FiscalYearOut], summary="预算年度")
def fiscal_year_list(request):
    return selectors.fiscal_years()


@router.get("/subjects", response=SubjectPage, summary="项目库列表（按权限范围，可筛选、排序、分页）")
def subject_list(request, filters: Query[SubjectQuery]):
    actor = api_actor(request)
    raw = filters.dict(exclude_none=True)
    page, page_size = raw.pop("page", 1), raw.pop("page_size", 50)
    form = SubjectFilterForm(raw)
    if not form.is_valid():
        raise _form_errors(form)
    qs = selectors.subject_list(actor, form.filters())
    totals = selectors.subject_totals(qs)
    offset = (page - 1) * page_size
    return {
        "items": list(qs[offset:offset + page_size]), "count": totals.count, "page": page, "page_size": page_size,
        "pages": max(1, -(-totals.count // page_size)),
        "totals": {"count": totals.count, "annual_amount": totals.annual.to_json(),
                   "adjusted_amount": totals.adjusted.to_json(), "total_amount": totals.total.to_json()},
    }


@router.get("/subjects/{int:subject_id}", response=SubjectOut, summary="项目详情")
def subject_detail(request, subject_id: int):
    return selectors.subject_get(api_actor(request), subject_id)


@router.post("/subjects", response={201: SubjectOut}, summary="新建项目（草稿）")
def subject_create(request, payload: SubjectIn):
    actor = api_actor(request)
    if not actor.may(Action.CREATE):
        raise PermissionDenied("您没有新建项目的权限")
    values = {**CREATE_DEFAULTS, **payload.dict(exclude_none=True)}
    form = SubjectForm(_form_data(values), departments=selectors.writable_departments(actor),
                       units=selectors.writable_units(actor))
    if not form.is_valid():
        raise _form_errors(form)
    try:
        subject = services.subject_create(actor=actor, data=form.service_data())
    except ValidationError as exc:
        raise _service_errors(exc) from None
    return Status(201, _fresh(subject.pk))


@router.patch("/subjects/{int:subject_id}", response=SubjectOut, summary="修改项目（须带 lock_version）")
def subject_update(request, subject_id: int, payload: SubjectPatch):
    actor = api_actor(request)
    subject = selectors.subject_get(actor, subject_id)
    changes = payload.dict(exclude_unset=True)
    expected = changes.pop("lock_version")
    if expected != subject.lock_version:
        raise ConcurrentEditError()
    services.check_editable(actor=actor, subject=subject)
    data = subject_initial(subject)
    data.update(_form_data(changes))
    data["lock_version"] = expected
    form = SubjectEditForm({k: v for k, v in data.items() if v is not None},
                           departments=selectors.writable_departments(actor, Action.EDIT),
                           units=selectors.writable_units(actor, Action.EDIT))
    if not form.is_valid():
        raise _form_errors(form)
    values = form.service_data()
    values.pop("lock_version")
    try:
        services.subject_update(actor=actor, subject=subject, data=values, expected_lock_version=expected)
    except ConcurrentEditError:
        raise
    except ValidationError as exc:
        raise _service_errors(exc) from None
    return _fresh(subject.pk)


@router.delete("/subjects/{int:subject_id}", response={204: None}, summary="删除草稿项目")
def subject_delete(request, subject_id: int, lock_version: int | None = None):
    actor = api_actor(request)
    subject = selectors.subject_get(actor, subject_id)
    services.subject_delete(actor=actor, subject=subject, expected_lock_version=lock_version)
    return Status(204, None)


@router.get("/subjects/{int:subject_id}/transitions", response=list[TransitionOut],
            summary="当前用户可执行的流转操作")
def transition_list(request, subject_id: int):
    actor = api_actor(request)
    subject = selectors.subject_get(actor, subject_id)
    out = []
    for t in workflow.available_transitions(actor, subject):
        target = None if callable(t.target) else t.target
        out.append({"name": t.name, "label": t.label, "comment_required": t.comment_required, "target": target})
    return out


@router.post("/subjects/{int:subject_id}/transition", response=SubjectOut,
             summary="执行流转（提交、审核、退回、入库、调整）")
def subject_transition(request, subject_id: int, payload: TransitionIn):
    actor = api_actor(request)
    subject = selectors.subject_get(actor, subject_id)
    services.subject_transition(actor=actor, subject=subject, name=payload.name, comment=payload.comment,
                                expected_lock_version=payload.lock_version)
    return _fresh(subject.pk)


@router.get("/subjects/{int:subject_id}/budget-lines", response=list[BudgetLineOut], summary="预算指标")
def budget_line_list(request, subject_id: int):
    subject = selectors.subject_get(api_actor(request), subject_id)
    return selectors.budget_lines(subject)


@router.get("/subjects/{int:subject_id}/execution", response=ExecutionOut, summary="月度执行")
def execution_detail(request, subject_id: int):
    subject = selectors.subject_get(api_actor(request), subject_id)
    rows = selectors.execution_table(subject)
    return {
        "year": subject.fiscal_year.year, "budget": subject.current_amount.to_json(),
        "spent": rows[-1].cumulative.to_json(),
        "months": [{"month": r.month, "amount": _money(r.amount), "cumulative": r.cumulative.to_json(),
                    "execution_rate": None if r.rate is None else str(r.rate)} for r in rows],
    }


@router.get("/subjects/{int:subject_id}/steps", response=list[StepOut], summary="流转记录")
def step_list(request, subject_id: int):
    subject = selectors.subject_get(api_actor(request), subject_id)
    return [{"at": s.at, "actor": s.actor.display_name, "actor_role": s.actor_role, "transition": s.transition,
             "transition_label": s.transition_label, "from_state": s.from_state, "to_state": s.to_state,
             "revision": s.revision, "comment": s.comment} for s in workflow.steps_for(subject)]


@router.get("/subjects/{int:subject_id}/versions", response=list[VersionOut], summary="入库版本")
def version_list(request, subject_id: int):
    subject = selectors.subject_get(api_actor(request), subject_id)
    return list(workflow.versions_for(subject))


# ---- imports ---------------------------------------------------------------------------------------------------------

def _import(request, kind: str, file: UploadedFile, region: str | None, year: int | None):
    actor = api_actor(request)
    regions = selectors.import_regions(actor)
    if not regions:
        raise PermissionDenied("您没有导入数据的权限")
    if region:
        target = Region.objects.filter(code=region).first()
        if target is None:
            raise ValidationError({"region": [f"区划代码“{region}”不存在"]})
    elif len(regions) == 1:
        target = regions[0]
    else:
        raise ValidationError({"region": ["请指定区划代码"]})
    job = import_start(actor=actor, kind=kind, region=target, upload=file, year=year)
    return Status(202, job)


@router.post("/imports/subjects", response={202: JobOut}, summary="导入项目及预算指标（后台任务）")
def import_subjects(request, file: File[UploadedFile], region: Form[str | None] = None,
                    year: Form[int | None] = None):
    return _import(request, SUBJECT_JOB, file, region, year)


@router.post("/imports/execution", response={202: JobOut}, summary="导入月度执行数据（后台任务）")
def import_execution(request, file: File[UploadedFile], region: Form[str | None] = None,
                     year: Form[int | None] = None):
    return _import(request, EXECUTION_JOB, file, region, year)


@router.get("/jobs/{int:job_id}", response=JobOut, summary="导入任务状态")
def job_detail(request, job_id: int):
    actor = api_actor(request)
    job = Job.objects.filter(pk=job_id, created_by_id=actor.user_id).first()
    if job is None:
        raise Http404("未找到该任务")
    return job

