"""REST API of the indicator library, mounted at /api/indicators/. Same rights and rules as the screens: reads go
through `selectors`, writes through `services`; errors are raised as Django exceptions and answered as structured
JSON by the global handlers."""

from __future__ import annotations

import datetime
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from jixiao.core.api import api_actor
from jixiao.indicators import excel, selectors, services
from jixiao.indicators.models import Comparator, Direction, IndicatorStatus, Level1
from jixiao.indicators.search import highlight_html

router = Router()


class SectorRef(Schema):
    id: int
    code: str
    name: str


class IndicatorOut(Schema):
    id: int
    code: str
    name: str
    level1: Level1
    level1_label: str
    level2: str
    sector: SectorRef | None
    domain: SectorRef | None
    region_id: int | None
    department_id: int | None
    is_common: bool
    explanation: str
    unit: str
    comparator: Comparator
    comparator_label: str
    direction: Direction
    is_quantitative: bool
    value_basis: str
    formula: str
    data_source: str
    evidence_type: str
    scoring_rule: str
    reference_value: str
    source_document: str
    status: IndicatorStatus
    current_version: int
    usage_count: int
    lock_version: int
    updated_at: datetime.datetime

    @staticmethod
    def resolve_level1_label(obj):
        return obj.get_level1_display()

    @staticmethod
    def resolve_comparator_label(obj):
        return obj.get_comparator_display()


class SearchItemOut(IndicatorOut):
    score: float | None = None
    name_highlighted: str = ""


class SearchPageOut(Schema):
    count: int
    page: int
    page_size: int
    num_pages: int
    elapsed_ms: float
    items: list[SearchItemOut]


class VersionOut(Schema):
    version: int
    data: dict
    comment: str
    created_at: datetime.datetime
    created_by: str | None

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.display_name if obj.created_by_id else None


class IndicatorDetailOut(IndicatorOut):
    versions: list[VersionOut]

    @staticmethod
    def resolve_versions(obj):
        return getattr(obj, "versions_list", None) or list(selectors.indicator_versions(obj))


class IndicatorIn(Schema):
    """A definition. `direction` may be omitted: the comparator implies it. `code` may be omitted on create."""

    code: str | None = None
    name: str
    level1: str
    level2: str
    sector_id: int | None = None
    domain_id: int | None = None
    is_common: bool = False
    explanation: str = ""
    unit: str = ""
    comparator: str = Comparator.GE
    direction: str | None = None
    value_basis: str = ""
    formula: str = ""
    data_source: str = ""
    evidence_type: str = ""
    scoring_rule: str = ""
    reference_value: str = ""
    source_document: str = ""


class CreateIn(IndicatorIn):
    region_id: int | None = None
    national: bool = False  # put it in the national library (system administrators)
    comment: str = ""


class ProposeIn(IndicatorIn):
    department_id: int | None = None
    comment: str = ""


class UpdateIn(Schema):
    """Only the fields to change, and the `lock_version` the client last read."""

    lock_version: int
    comment: str = ""
    code: str | None = None
    name: str | None = None
    level1: str | None = None
    level2: str | None = None
    sector_id: int | None = None
    domain_id: int | None = None
    is_common: bool | None = None
    explanation: str | None = None
    unit: str | None = None
    comparator: str | None = None
    direction: str | None = None
    value_basis: str | None = None
    formula: str | None = None
    data_source: str | None = None
    evidence_type: str | None = None
    scoring_rule: str | None = None
    reference_value: str | None = None
    source_document: str | None = None


class StatusIn(Schema):
    comment: str = ""
    lock_version: int | None = None


class ListFilters(Schema):
    q: str = ""
    sector: int | None = None  # 0: indicators without a sector (the common ones)
    domain: int | None = None
    level1: str | None = None
    level2: str | None = None
    common: bool | None = None
    status: str = IndicatorStatus.ACTIVE
    sort: str = ""
    page: int = 1
    page_size: int = 20

    def to_filters(self) -> selectors.LibraryFilters:
        return selectors.LibraryFilters(q=self.q or "", sector_id=self.sector, domain_id=self.domain,
                                        level1=self.level1 or None, level2=self.level2 or None,
                                        is_common=self.common, status=self.status or IndicatorStatus.ACTIVE,
                                        sort=self.sort or "")


class TreeNode(Schema):
    id: int | str | None
    name: str
    count: int
    code: str = ""
    children: list[TreeNode] = []


class SectorOut(Schema):
    id: int
    code: str
    name: str
    domains: list[SectorRef]

    @staticmethod
    def resolve_domains(obj):
        return list(obj.domains.all())


class JobOut(Schema):
    id: int
    status: str
    url: str


@router.get("/", response=SearchPageOut, summary="检索/列表指标库（分页；q 为中文全文检索）")
def indicator_list(request, filters: Query[ListFilters]):
    actor = api_actor(request)
    flt = filters.to_filters()
    prefer = selectors.preferred_sector_id(actor) if flt.q else None
    page = selectors.indicator_search(actor, flt, page=filters.page, page_size=filters.page_size,
                                      prefer_sector_id=prefer)
    items = []
    for ind in page.items:
        ind.score = page.scores.get(ind.pk)
        ind.name_highlighted = highlight_html(ind.name, page.query) if page.query else ""
        items.append(ind)
    return {"count": page.total, "page": page.page, "page_size": page.page_size, "num_pages": page.num_pages,
            "elapsed_ms": round(page.elapsed_ms, 2), "items": items}


@router.get("/tree", response=list[TreeNode], summary="分类树：行业 → 领域 → 一级 → 二级（含指标数）")
def classification_tree(request, status: str = IndicatorStatus.ACTIVE):
    actor = api_actor(request)
    if not selectors.library_access(actor).may_curate:
        status = IndicatorStatus.ACTIVE
    return selectors.classification_tree(actor, status=status)


@router.get("/sectors", response=list[SectorOut], summary="行业及其领域")
def sector_list(request):
    api_actor(request)
    return selectors.sector_tree()


@router.get("/export", summary="导出（与检索相同的筛选条件）为 Excel，可再导入")
def export(request, filters: Query[ListFilters]):
    actor = api_actor(request)
    qs = selectors.indicator_export_queryset(actor, filters.to_filters())
    if qs.count() > excel.EXPORT_MAX_ROWS:
        raise ValidationError(f"导出条数超过{excel.EXPORT_MAX_ROWS}条，请先按行业或领域筛选")
    name = f"指标库导出_{timezone.localdate():%Y%m%d}.xlsx"
    response = HttpResponse(excel.export_indicators(qs),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@router.post("/import", response={202: JobOut}, summary="上传 Excel 导入（后台任务；全部正确才写入）")
def import_file(request, file: File[UploadedFile], region_id: Form[int | None] = None, national: Form[bool] = False):
    actor = api_actor(request)
    region = None if national else (region_id if region_id is not None else services.AUTO)
    job = services.indicator_import_start(actor=actor, upload=file, region_id=region)
    from django.urls import reverse

    return Status(202, {"id": job.pk, "status": job.status, "url": reverse("web:job_detail", args=[job.pk])})


@router.post("/", response={201: IndicatorDetailOut}, summary="新增指标（指标库管理员）")
def indicator_create(request, payload: CreateIn):
    actor = api_actor(request)
    data = payload.dict(exclude={"region_id", "national", "comment"})
    if not data.get("code"):
        data.pop("code", None)
    region = None if payload.national else (payload.region_id if payload.region_id is not None else services.AUTO)
    ind = services.indicator_create(actor=actor, data=data, region_id=region, comment=payload.comment)
    return Status(201, _detail(actor, ind.pk))


@router.post("/propose", response={201: IndicatorDetailOut}, summary="部门提议新增指标（待审核）")
def indicator_propose(request, payload: ProposeIn):
    actor = api_actor(request)
    data = payload.dict(exclude={"department_id", "comment", "code", "is_common"})
    ind = services.indicator_propose(actor=actor, data=data, department_id=payload.department_id,
                                     comment=payload.comment)
    return Status(201, _detail(actor, ind.pk))


def _detail(actor, pk):
    ind = selectors.indicator_get(actor, pk)
    ind.versions_list = list(selectors.indicator_versions(ind))
    return ind


@router.get("/{int:indicator_id}", response=IndicatorDetailOut, summary="指标详情（含全部版本）")
def indicator_detail(request, indicator_id: int):
    return _detail(api_actor(request), indicator_id)


@router.patch("/{int:indicator_id}", response=IndicatorDetailOut,
              summary="修改指标（须带 lock_version；每次修改生成新版本）")
def indicator_update(request, indicator_id: int, payload: UpdateIn):
    actor = api_actor(request)
    ind = selectors.indicator_get(actor, indicator_id)
    data = payload.dict(exclude_unset=True, exclude={"lock_version", "comment"})
    services.indicator_update(actor=actor, indicator=ind, data=data, expected_lock_version=payload.lock_version,
                              comment=payload.comment)
    return _detail(actor, indicator_id)


def _status_endpoint(path: str, service, summary: str):
    @router.post(f"/{{int:indicator_id}}/{path}", response=IndicatorDetailOut, summary=summary,
                 operation_id=f"indicator_{path}")
    def endpoint(request, indicator_id: int, payload: StatusIn):
        actor = api_actor(request)
        ind = selectors.indicator_get(actor, indicator_id)
        service(actor=actor, indicator=ind, comment=payload.comment, expected_lock_version=payload.lock_version)
        return _detail(actor, indicator_id)

    return endpoint


_status_endpoint("approve", services.indicator_approve, "审核通过部门提议")
_status_endpoint("reject", services.indicator_reject, "退回部门提议（须填写意见）")
_status_endpoint("retire", services.indicator_retire, "停用指标")
_status_endpoint("restore", services.indicator_restore, "重新启用指标")


@router.get("/{int:indicator_id}/versions/{int:version}", response=VersionOut, summary="某一版本的定义")
def indicator_version(request, indicator_id: int, version: int):
    actor = api_actor(request)
    ind = selectors.indicator_get(actor, indicator_id)
    from django.http import Http404

    v = selectors.indicator_versions(ind).filter(version=version).first()
    if v is None:
        raise Http404("未找到该版本")
    return v
