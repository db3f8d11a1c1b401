"""REST API of the organisations app (mounted at /api/organisations/): who am I, the organisation tree as the
actor may read it, and user management for those who may manage users. Same permissions as the screens."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status

from jixiao.core.api import api_actor
from jixiao.core.permissions import Action
from jixiao.organisations import selectors, services
from jixiao.organisations.models import Role, RoleAssignment, User

router = Router()


# ---- schemas ------------------------------------------------------------------------------------------------------

class RoleOut(Schema):
    id: int
    role: str
    role_label: str
    region_code: str
    region_name: str
    department_code: str | None = None
    department_name: str | None = None
    unit_code: str | None = None
    unit_name: str | None = None
    agency_credit_code: str | None = None
    agency_name: str | None = None
    department_codes: list[str] = []


def role_out(ra: RoleAssignment) -> dict:
    return {
        "id": ra.pk, "role": ra.role, "role_label": ra.get_role_display(),
        "region_code": ra.region.code, "region_name": ra.region.name,
        "department_code": ra.department.code if ra.department_id else None,
        "department_name": ra.department.name if ra.department_id else None,
        "unit_code": ra.unit.code if ra.unit_id else None, "unit_name": ra.unit.name if ra.unit_id else None,
        "agency_credit_code": ra.agency.credit_code if ra.agency_id else None,
        "agency_name": ra.agency.name if ra.agency_id else None,
        "department_codes": sorted(d.code for d in ra.departments.all()),
    }


class NodeOut(Schema):
    kind: str = Field(description="region / department / unit / agency")
    id: int
    code: str
    name: str


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    roles: list[RoleOut]
    nodes: list[NodeOut]
    may_manage: bool


class RegionOut(Schema):
    id: int
    code: str
    name: str
    level: int
    level_label: str
    parent_id: int | None
    bureau_name: str
    is_active: bool

    @staticmethod
    def resolve_level_label(obj):
        return obj.get_level_display()


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    sector: str
    region_id: int
    region_code: str
    is_classified: bool
    is_active: bool

    @staticmethod
    def resolve_region_code(obj):
        return obj.region.code


class UnitOut(Schema):
    id: int
    code: str
    name: str
    department_id: int
    department_code: str
    region_id: int
    region_code: str
    is_active: bool

    @staticmethod
    def resolve_department_code(obj):
        return obj.department.code

    @staticmethod
    def resolve_region_code(obj):
        return obj.region.code


class UserOut(Schema):
    id: int
    username: str
    full_name: str
    phone: str
    email: str
    is_active: bool
    locked: bool
    roles: list[RoleOut]

    @staticmethod
    def resolve_locked(obj):
        return obj.is_locked()

    @staticmethod
    def resolve_roles(obj):
        return [role_out(ra) for ra in obj.role_assignments.all()]


class RoleIn(Schema):
    role: str = Field(description="角色代码（如 unit）或中文名称（如 预算单位）")
    region_code: str = ""
    department_code: str = ""
    unit_code: str = ""
    agency_credit_code: str = ""
    department_codes: list[str] = Field(default=[], description="预算业务科室分管的部门编码")


class UserIn(Schema):
    username: str = Field(max_length=150)
    full_name: str = Field(max_length=60)
    phone: str = Field("", max_length=30)
    email: str = Field("", max_length=254)
    password: str | None = Field(None, description="留空则自动生成，在响应中返回一次")
    roles: list[RoleIn] = Field(min_length=1)


class UserCreatedOut(Schema):
    user: UserOut
    initial_password: str | None = Field(None, description="自动生成的初始密码，仅此一次返回")


class TreeFilter(Schema):
    q: str | None = Field(None, max_length=100, description="名称包含或编码开头")
    region_code: str | None = Field(None, max_length=12)
    department_code: str | None = Field(None, max_length=30, description="与 region_code 一起使用")
    include_inactive: bool = False


class UserFilter(Schema):
    q: str | None = Field(None, max_length=100)
    role: Role | None = None
    region_code: str | None = Field(None, max_length=12)
    org: str | None = Field(None, max_length=100, description="所属机构名称或编码")
    locked: bool | None = None
    active: bool | None = None


# ---- endpoints ----------------------------------------------------------------------------------------------------

@router.get("/me", response=MeOut, summary="当前用户、角色及所属机构")
def me(request):
    actor = api_actor(request)
    user = actor.user
    assignments = (user.role_assignments.select_related("region", "department", "unit", "agency")
                   .prefetch_related("departments").order_by("id"))
    return {"id": user.pk, "username": user.username, "full_name": user.full_name,
            "roles": [role_out(ra) for ra in assignments],
            "nodes": [n.__dict__ for n in selectors.nodes_of(actor)], "may_manage": actor.may(Action.MANAGE)}


@router.get("/regions", response=list[RegionOut], summary="区划（按权限范围）")
@paginate(PageNumberPagination, page_size=100)
def region_list(request, filters: Query[TreeFilter]):
    qs = selectors.regions_for(api_actor(request))
    if filters.q:
        qs = qs.filter(name__icontains=filters.q) | qs.filter(code__startswith=filters.q)
    if filters.region_code:
        qs = qs.filter(code=filters.region_code)
    if not filters.include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("code")


@router.get("/departments", response=list[DepartmentOut], summary="主管部门（按权限范围，拼音排序）")
@paginate(PageNumberPagination, page_size=100)
def department_list(request, filters: Query[TreeFilter]):
    qs = selectors.department_rows(api_actor(request), q=(filters.q or "").strip(),
                                   include_inactive=filters.include_inactive)
    if filters.region_code:
        qs = qs.filter(region__code=filters.region_code)
    if filters.department_code:
        qs = qs.filter(code=filters.department_code)
    return qs


@router.get("/units", response=list[UnitOut], summary="预算单位（按权限范围，拼音排序）")
@paginate(PageNumberPagination, page_size=100)
def unit_list(request, filters: Query[TreeFilter]):
    qs = selectors.unit_rows(api_actor(request), q=(filters.q or "").strip(),
                             include_inactive=filters.include_inactive)
    if filters.region_code:
        qs = qs.filter(region__code=filters.region_code)
    if filters.department_code:
        qs = qs.filter(department__code=filters.department_code)
    return qs


def _require_manage(actor):
    if not actor.may(Action.MANAGE):
        raise PermissionDenied("您没有管理用户的权限")


@router.get("/users", response=list[UserOut], summary="用户（仅限有用户管理权限者，按管理范围）")
@paginate(PageNumberPagination, page_size=50)
def user_list(request, filters: Query[UserFilter]):
    actor = api_actor(request)
    _require_manage(actor)
    f = {"q": filters.q, "role": filters.role.value if filters.role else None, "org": filters.org,
         "locked": {True: "yes", False: "no"}.get(filters.locked),
         "active": {True: "yes", False: "no"}.get(filters.active)}
    if filters.region_code:
        f["region"] = selectors.regions_for_manage(actor).filter(code=filters.region_code).first() or -1
    return selectors.user_list(actor, f)


@router.get("/users/{user_id}", response=UserOut, summary="用户详情")
def user_detail(request, user_id: int):
    actor = api_actor(request)
    _require_manage(actor)
    return selectors.user_get_for_manage(actor, user_id)


_ROLE_FIELDS = {"region": "region_code", "department": "department_code", "unit": "unit_code",
                "agency": "agency_credit_code", "departments": "department_codes", "role": "role"}


@router.post("/users", response={201: UserCreatedOut}, summary="新建用户（含角色）")
def user_create(request, payload: UserIn):
    actor = api_actor(request)
    _require_manage(actor)
    specs, errors = [], {}
    for i, r in enumerate(payload.roles):
        try:
            specs.append(_spec_from(actor, r, f"roles.{i}."))
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    try:
        user, generated = services.user_create(actor=actor, username=payload.username, full_name=payload.full_name,
                                               phone=payload.phone, email=payload.email, password=payload.password,
                                               assignments=specs)
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and len(specs) == 1:
            raise ValidationError({(f"roles.0.{_ROLE_FIELDS[k]}" if k in _ROLE_FIELDS else k): v
                                   for k, v in exc.message_dict.items()}) from None
        raise
    user = User.objects.prefetch_related(selectors.role_assignments_prefetch()).get(pk=user.pk)
    return Status(201, {"user": user, "initial_password": generated})


# ---- writes (the same services as the screens) ----------------------------------------------------------------------

class UserPatch(Schema):
    full_name: str | None = Field(None, max_length=60)
    phone: str | None = Field(None, max_length=30)
    email: str | None = Field(None, max_length=254)


class PasswordIn(Schema):
    password: str | None = Field(None, description="留空则自动生成并在响应中返回一次")


class PasswordOut(Schema):
    initial_password: str | None = None


def _managed_user(request, user_id: int) -> tuple:
    actor = api_actor(request)
    _require_manage(actor)
    return actor, selectors.user_get_for_manage(actor, user_id)


def _fresh_user(user: User) -> User:
    return User.objects.prefetch_related(selectors.role_assignments_prefetch()).get(pk=user.pk)


@router.patch("/users/{user_id}", response=UserOut, summary="修改用户信息")
def user_update(request, user_id: int, payload: UserPatch):
    actor, user = _managed_user(request, user_id)
    services.user_update(actor=actor, user=user, **payload.dict(exclude_unset=True))
    return _fresh_user(user)


@router.post("/users/{user_id}/password", response=PasswordOut, summary="重置密码（同时解除锁定、吊销令牌）")
def user_password(request, user_id: int, payload: PasswordIn):
    actor, user = _managed_user(request, user_id)
    return {"initial_password": services.user_set_password(actor=actor, user=user, password=payload.password)}


@router.post("/users/{user_id}/unlock", response=UserOut, summary="解除登录锁定")
def user_unlock(request, user_id: int):
    actor, user = _managed_user(request, user_id)
    services.user_unlock(actor=actor, user=user)
    return _fresh_user(user)


@router.post("/users/{user_id}/deactivate", response=UserOut, summary="停用账号")
def user_deactivate(request, user_id: int):
    actor, user = _managed_user(request, user_id)
    services.user_deactivate(actor=actor, user=user)
    return _fresh_user(user)


@router.post("/users/{user_id}/activate", response=UserOut, summary="启用账号")
def user_activate(request, user_id: int):
    actor, user = _managed_user(request, user_id)
    services.user_activate(actor=actor, user=user)
    return _fresh_user(user)


def _spec_from(actor, r: RoleIn, prefix: str = ""):
    try:
        return services.assignment_from_codes(
            role=r.role, region=r.region_code or None, department_code=r.department_code, unit_code=r.unit_code,
            agency_code=r.agency_credit_code, department_codes=r.department_codes, actor=actor)
    except ValidationError as exc:
        raise ValidationError({f"{prefix}{_ROLE_FIELDS.get(k, k)}": v for k, v in exc.message_dict.items()}) from None


@router.post("/users/{user_id}/roles", response={201: RoleOut}, summary="为用户添加角色")
def role_add(request, user_id: int, payload: RoleIn):
    actor, user = _managed_user(request, user_id)
    spec = _spec_from(actor, payload)
    try:
        ra = services.role_assign(actor=actor, user=user, spec=spec)
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError({_ROLE_FIELDS.get(k, k): v for k, v in exc.message_dict.items()}) from None
    ra = RoleAssignment.objects.select_related("region", "department", "unit", "agency").get(pk=ra.pk)
    return Status(201, role_out(ra))


@router.delete("/roles/{role_id}", response={204: None}, summary="撤销角色")
def role_revoke(request, role_id: int):
    actor = api_actor(request)
    _require_manage(actor)
    ra = (RoleAssignment.objects.select_related("user")
          .filter(pk=role_id, user__in=selectors.users_for_manage(actor)).first())
    if ra is None:
        raise Http404("未找到该角色")
    services.role_revoke(actor=actor, assignment=ra)
    return Status(204, None)


class RegionIn(Schema):
    code: str = Field(max_length=12)
    name: str = Field(max_length=100)
    level: int = Field(description="1省 2市 3县(区) 4乡镇(街道)")
    parent_code: str = Field(max_length=12)
    bureau_name: str = Field("", max_length=100)


class DepartmentIn(Schema):
    region_code: str = Field(max_length=12)
    code: str = Field(max_length=30)
    name: str = Field(max_length=100)
    sector: str = Field("", max_length=50)
    is_classified: bool = False


class DepartmentPatch(Schema):
    code: str | None = Field(None, max_length=30)
    name: str | None = Field(None, max_length=100)
    sector: str | None = Field(None, max_length=50)
    is_classified: bool | None = None


class UnitIn(Schema):
    region_code: str = Field(max_length=12)
    department_code: str = Field(max_length=30)
    code: str = Field(max_length=30)
    name: str = Field(max_length=100)


class UnitPatch(Schema):
    code: str | None = Field(None, max_length=30)
    name: str | None = Field(None, max_length=100)


def _readable_region(actor, code: str, field: str):
    region = selectors.regions_for(actor).filter(code=code).first()
    if region is None:
        raise ValidationError({field: [f"区划代码 {code} 不存在或不在您的权限范围内"]})
    return region


@router.post("/regions", response={201: RegionOut}, summary="新建区划（须有下级区划的管理权限）")
def region_create(request, payload: RegionIn):
    actor = api_actor(request)
    parent = _readable_region(actor, payload.parent_code, "parent_code")
    region = services.region_create(actor=actor, code=payload.code, name=payload.name, level=payload.level,
                                    parent=parent, bureau_name=payload.bureau_name)
    return Status(201, region)


@router.post("/departments", response={201: DepartmentOut}, summary="新建主管部门")
def department_create(request, payload: DepartmentIn):
    actor = api_actor(request)
    region = _readable_region(actor, payload.region_code, "region_code")
    department = services.department_create(actor=actor, region=region, code=payload.code, name=payload.name,
                                            sector=payload.sector, is_classified=payload.is_classified)
    return Status(201, department)


@router.patch("/departments/{department_id}", response=DepartmentOut, summary="修改主管部门")
def department_update(request, department_id: int, payload: DepartmentPatch):
    actor = api_actor(request)
    department = selectors.department_get(actor, department_id, Action.MANAGE)
    return services.department_update(actor=actor, department=department, **payload.dict(exclude_unset=True))


@router.post("/units", response={201: UnitOut}, summary="新建预算单位")
def unit_create(request, payload: UnitIn):
    actor = api_actor(request)
    region = _readable_region(actor, payload.region_code, "region_code")
    department = selectors.departments_for(actor).filter(region=region, code=payload.department_code).first()
    if department is None:
        raise ValidationError({"department_code": [f"“{region.name}”下不存在部门编码 {payload.department_code}"]})
    unit = services.unit_create(actor=actor, department=department, code=payload.code, name=payload.name)
    return Status(201, unit)


@router.patch("/units/{unit_id}", response=UnitOut, summary="修改预算单位")
def unit_update(request, unit_id: int, payload: UnitPatch):
    actor = api_actor(request)
    unit = selectors.unit_get(actor, unit_id, Action.MANAGE)
    return services.unit_update(actor=actor, unit=unit, **payload.dict(exclude_unset=True))
