"""REST API of the policy profile, mounted at /api/policy/. Same rules as the screens: every logged-in user reads
the profiles of their region (public rule data); finance admins of the region and sysadmins save new versions."""


import datetime
from functools import cache
from typing import Any

from django.http import Http404
from ninja import Field, Query, Router, Schema, Status

from jixiao.core.api import api_actor
from jixiao.core.permissions import Actor
from jixiao.organisations.models import Region
from jixiao.policy import selectors, services
from jixiao.policy.presets import PRESETS, get_preset
from jixiao.policy.rules import validate_params
from jixiao.policy.schema import PolicyParams

router = Router()


class WhereQuery(Schema):
    region_id: int | None = Field(None, description="区划ID；不填为当前用户所在区划")
    national: bool = Field(False, description="为 true 时查询全国默认（忽略 region_id）")
    year: int | None = Field(None, description="年度；不填为当前年度")


class EffectiveOut(Schema):
    profile_id: int | None = Field(..., description="所用版本的ID（业务结果应保存此ID）；为空表示内置预设")
    version: int | None
    region_id: int | None = Field(..., description="所用版本的区划；为空表示全国默认或内置预设")
    fiscal_year: int | None = Field(..., description="所用版本的年度")
    requested_region_id: int | None
    requested_year: int
    origin: str = Field(..., description="own 本级 / parent 上级 / national 全国默认 / earlier_year 沿用往年 / "
                                         "builtin 内置预设")
    origin_label: str
    preset: str
    name: str
    params: dict[str, Any]


class VersionOut(Schema):
    id: int
    region_id: int | None
    region_name: str
    fiscal_year: int
    version: int
    preset: str
    name: str
    comment: str
    created_by: str
    created_at: datetime.datetime

    @staticmethod
    def resolve_region_name(obj):
        return obj.where

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.display_name if obj.created_by_id else "系统"


class VersionDetailOut(VersionOut):
    params: dict[str, Any]


class PresetOut(Schema):
    code: str
    name: str
    description: str
    sources: list[str]
    region_hint: str
    year: int | None


class PresetDetailOut(PresetOut):
    params: dict[str, Any]


class VersionIn(Schema):
    region_id: int | None = Field(None, description="区划ID；为空表示全国默认（仅系统管理员）")
    fiscal_year: int
    params: dict[str, Any] = Field(..., description="完整的参数集（结构见 GET /api/policy/schema）；"
                                                    "缺省的参数取全国默认值")
    comment: str = Field(..., description="修改说明")
    base_version: int | None = Field(None, description="编辑所基于的版本号（本级该年度尚无版本时为 0 或空）；"
                                                       "已被他人修改时返回 409")


class FromPresetIn(Schema):
    region_id: int | None = None
    fiscal_year: int
    preset: str
    comment: str = ""
    base_version: int | None = None


class ChangeOut(Schema):
    path: str
    label: str
    before: Any
    after: Any
    before_display: str
    after_display: str


def _region(actor: Actor, region_id: int | None, national: bool = False) -> Region | None:
    if national:
        return None
    if region_id is None:
        region = selectors.default_region(actor)
        if region is None:
            raise Http404("未找到当前用户所在区划")
        return region
    try:
        return Region.objects.get(pk=region_id)
    except Region.DoesNotExist:
        raise Http404("未找到该区划") from None


def _year(year: int | None) -> int:
    return services._check_year(year if year is not None else selectors.current_year())


def _effective_out(eff: selectors.EffectiveProfile) -> dict:
    return {"profile_id": eff.profile_id, "version": eff.version, "region_id": eff.region_id,
            "fiscal_year": eff.fiscal_year, "requested_region_id": eff.requested_region_id,
            "requested_year": eff.requested_year, "origin": eff.origin, "origin_label": eff.origin_label,
            "preset": eff.preset, "name": eff.name, "params": eff.params.to_json()}


def _preset_out(preset, with_params: bool = False) -> dict:
    out = {"code": preset.code, "name": preset.name, "description": preset.description,
           "sources": list(preset.sources), "region_hint": preset.region_hint, "year": preset.year}
    if with_params:
        out["params"] = preset.to_json()
    return out


@router.get("/effective", response=EffectiveOut, summary="某区划某年度的现行政策配置（含继承与沿用）")
def effective(request, where: Query[WhereQuery]):
    actor = api_actor(request)
    region = _region(actor, where.region_id, where.national)
    selectors.authorize_read(actor, region)
    return _effective_out(selectors.effective_profile(region, _year(where.year)))


@router.get("/versions", response=list[VersionOut], summary="本级某年度的全部版本（新到旧）")
def versions(request, where: Query[WhereQuery]):
    actor = api_actor(request)
    region = _region(actor, where.region_id, where.national)
    selectors.authorize_read(actor, region)
    return list(selectors.profile_versions(actor, region, _year(where.year)))


@router.get("/versions/{int:pk}", response=VersionDetailOut, summary="某个版本及其参数")
def version_detail(request, pk: int):
    return selectors.profile_for(api_actor(request), pk)


@router.get("/versions/{int:pk}/diff", response=list[ChangeOut], summary="两个版本之间（或与某预设）的差异")
def version_diff(request, pk: int, other: int | None = None, preset: str | None = None):
    actor = api_actor(request)
    a = selectors.profile_for(actor, pk)
    if preset:
        try:
            b = get_preset(preset).params()
        except KeyError:
            raise Http404("未找到该预设") from None
    elif other is not None:
        b = selectors.profile_for(actor, other)
    else:
        raise Http404("请指定 other（版本ID）或 preset（预设代码）")
    return [c.__dict__ for c in selectors.profile_diff(a, b)]


@router.post("/versions", response={201: VersionDetailOut}, summary="保存新版本（财政绩效管理员/系统管理员）")
def version_create(request, payload: VersionIn):
    actor = api_actor(request)
    region = _region(actor, payload.region_id, national=payload.region_id is None)
    selectors.authorize_configure(actor, region)
    # Field errors are reported against the request body ("params.monitoring.points.0.due").
    params = validate_params(payload.params, prefix="params.")
    row = services.profile_save(actor=actor, region=region, fiscal_year=payload.fiscal_year, params=params,
                                comment=payload.comment, base_version=payload.base_version)
    return Status(201, row)


@router.post("/versions/from-preset", response={201: VersionDetailOut}, summary="按预设保存新版本")
def version_from_preset(request, payload: FromPresetIn):
    actor = api_actor(request)
    region = _region(actor, payload.region_id, national=payload.region_id is None)
    row = services.profile_create_from_preset(actor=actor, region=region, fiscal_year=payload.fiscal_year,
                                              preset=payload.preset, comment=payload.comment,
                                              base_version=payload.base_version)
    return Status(201, row)


@router.get("/presets", response=list[PresetOut], summary="全部预设")
def presets(request):
    return [_preset_out(p) for p in PRESETS.values()]


@router.get("/presets/{code}", response=PresetDetailOut, summary="某个预设及其参数")
def preset_detail(request, code: str):
    try:
        return _preset_out(get_preset(code), with_params=True)
    except KeyError:
        raise Http404("未找到该预设") from None


@router.get("/schema", response=dict[str, Any], summary="参数集的 JSON Schema（含中文标题、说明与依据文号）")
def params_schema(request):
    return _json_schema()


@cache
def _json_schema() -> dict:
    return PolicyParams.model_json_schema()
