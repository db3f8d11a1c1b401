"""REST API of the spending standards, mounted at /api/costs/. Amounts are decimal strings of yuan."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from ninja import Query, Router, Schema
from pydantic import Field

from jixiao.core.api import api_actor
from jixiao.costs import selectors
from jixiao.costs.forms import StandardFilterForm
from jixiao.organisations.models import Region

router = Router()


class StandardOut(Schema):
    id: int
    region_id: int | None
    region_name: str | None
    code: str
    name: str
    output_unit: str
    amount: str = Field(description="标准金额，元/计量单位，十进制字符串")
    category: str
    sector: str
    keywords: str
    valid_from: int
    valid_to: int | None
    source: str
    is_active: bool

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.name if obj.region_id else None

    @staticmethod
    def resolve_amount(obj):
        return obj.amount.to_json()


class StandardQuery(Schema):
    region: str | None = Field(None, description="区划 id，或 national")
    year: str | None = Field(None, description="适用年度")
    category: str | None = None
    active: str | None = Field(None, description="yes（默认）/ no / all")
    q: str | None = Field(None, description="编码、名称或关键词包含")


class ApplicableQuery(Schema):
    region: str = Field(description="区划代码，如 150500")
    year: int
    name: str | None = Field(None, description="成本项目、产出或指标名称；按关键词匹配")
    output_unit: str | None = None


@router.get("/standards", response=list[StandardOut], summary="支出标准列表（本区划、上级及全国）")
def standard_list(request, filters: Query[StandardQuery]):
    form = StandardFilterForm(filters.dict(exclude_none=True))
    if not form.is_valid():
        raise ValidationError({k: list(v) for k, v in form.errors.items()})
    return list(selectors.standard_list(api_actor(request), form.filters())[:1000])


@router.get("/standards/applicable", response=list[StandardOut],
            summary="某区划某年度适用的支出标准（本级优先），可按名称匹配关键词")
def standard_applicable(request, query: Query[ApplicableQuery]):
    actor = api_actor(request)
    region = Region.objects.filter(code=query.region).first()
    if region is None:
        raise ValidationError({"region": [f"区划代码“{query.region}”不存在"]})
    visible = set(selectors.visible_standards(actor).values_list("pk", flat=True))
    return [s for s in selectors.standards_for(region, query.year, query.name, output_unit=query.output_unit)
            if s.pk in visible]
