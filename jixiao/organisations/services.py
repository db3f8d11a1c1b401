"""Writes on the organisation tree (regions, departments, units, agencies) and on users and their roles.

Every service takes keyword-only arguments and a required `actor`, runs in one transaction, validates first (a
`ValidationError` keyed by field, in Chinese, before anything is written), is authorised through
`jixiao.core.permissions` with `Action.MANAGE` (`PermissionDenied` when the target is outside the actor's reach),
and writes an audit row with the before and after snapshots.
"""

from __future__ import annotations

import re
import secrets
import string
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import CharField, Value
from django.db.models.functions import Concat, Substr

from jixiao.core import audit
from jixiao.core.permissions import Action, Actor, actor_for, can
from jixiao.organisations.models import (
    Agency,
    ApiToken,
    Department,
    Region,
    Role,
    RoleAssignment,
    Unit,
    User,
)
from jixiao.organisations.policy import may_manage_assignment, may_manage_region_at
from jixiao.organisations.selectors import users_for_manage

REGION_CODE_RE = re.compile(r"^\d{6}(\d{3}){0,2}$")  # 6 (county and above), 9 or 12 digits (towns)
ORG_CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-_.]{0,29}$")
# 统一社会信用代码 (GB 32100-2015): 18 characters, digits and capitals without I, O, S, V, Z.
CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
USERNAME_RE = re.compile(r"^[\w.@+-]+$")

# Roles held at a region alone (no department, unit or agency).
REGION_ROLES = frozenset({Role.SYSADMIN, Role.FINANCE_ADMIN, Role.OVERSEER, Role.EXPERT, Role.BUDGET_OFFICER})


def _as_actor(actor) -> Actor:
    return actor if isinstance(actor, Actor) else actor_for(actor)


def _strip(value) -> str:
    return (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()


def _raise_if(errors: dict) -> None:
    if errors:
        raise ValidationError({k: v if isinstance(v, list) else [v] for k, v in errors.items()})


def _check_manage(actor: Actor, obj, message: str = "您无权管理该组织机构") -> None:
    if not can(actor, Action.MANAGE, obj):
        raise PermissionDenied(message)


@contextmanager
def _unique(field: str, message: str):
    """Turn a unique-constraint race (two people saving the same code at once: the check before the write passed
    for both) into the same field error the check gives, instead of a server error."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise ValidationError({field: [message]}) from None


def _changed(obj, data: dict) -> dict:
    """The entries of `data` that differ from the object's current values (None means "leave as is")."""
    return {k: v for k, v in data.items() if v is not None and getattr(obj, k) != v}


# ---- regions ------------------------------------------------------------------------------------------------------

def default_bureau_name(name: str, level: int) -> str:
    return f"{name}财政厅" if level == Region.Level.PROVINCE else f"{name}财政局"


def _clean_region_fields(*, region: Region | None, code, name, level, bureau_name, parent) -> dict:
    errors: dict[str, str] = {}
    data: dict = {}
    if code is not None:
        code = _strip(code)
        if not code:
            errors["code"] = "请填写区划代码"
        elif not REGION_CODE_RE.match(code):
            errors["code"] = "区划代码应为6位、9位或12位数字"
        else:
            clash = Region.objects.filter(code=code).exclude(pk=getattr(region, "pk", None)).first()
            if clash:
                errors["code"] = f"区划代码 {code} 已被“{clash.name}”使用"
        data["code"] = code
    if name is not None:
        name = _strip(name)
        if not name:
            errors["name"] = "请填写区划名称"
        elif len(name) > 100:
            errors["name"] = "区划名称不能超过100个字符"
        data["name"] = name
    if level is not None:
        try:
            level = int(level)
        except (TypeError, ValueError):
            level = None
        if level not in Region.Level.values:
            errors["level"] = "层级无效，应为省、市、县(区)或乡镇(街道)"
        else:
            data["level"] = level
            if parent is not None and level <= parent.level:
                errors["level"] = f"层级必须低于上级区划“{parent.name}”({parent.get_level_display()})"
            if region is not None and region.pk:
                child = region.children.order_by("level").first()
                if child is not None and level >= child.level:
                    errors["level"] = f"层级必须高于下级区划“{child.name}”({child.get_level_display()})"
    if bureau_name is not None:
        bureau_name = _strip(bureau_name)
        if len(bureau_name) > 100:
            errors["bureau_name"] = "财政部门名称不能超过100个字符"
        data["bureau_name"] = bureau_name
    if parent is not None and not parent.is_active:
        errors["parent"] = f"上级区划“{parent.name}”已停用"
    _raise_if(errors)
    return data


@transaction.atomic
def region_create(*, actor, code: str, name: str, level: int, parent: Region | None, bureau_name: str = "") -> Region:
    """A new region under `parent`; the place must be within the actor's MANAGE reach (a subtree reach)."""
    actor = _as_actor(actor)
    if not may_manage_region_at(actor, parent):
        raise PermissionDenied("您无权在该区划下新建区划")
    data = _clean_new_region(code=code, name=name, level=level, bureau_name=bureau_name, parent=parent)
    with _unique("code", f"区划代码 {data['code']} 已被使用"):
        region = Region.objects.create(parent=parent, **data)
    audit.record(actor=actor, action="create", obj=region, after=audit.snapshot(region), region_id=region.pk)
    return region


def _clean_new_region(*, code, name, level, bureau_name, parent) -> dict:
    # None means "leave as is" to the shared cleaner; a new region has nothing to leave, so None is "empty".
    data = _clean_region_fields(region=None, code=code or "", name=name or "", level="" if level is None else level,
                                bureau_name=bureau_name or "", parent=parent)
    data["bureau_name"] = data["bureau_name"] or default_bureau_name(data["name"], data["level"])
    return data


@transaction.atomic
def region_update(*, actor, region: Region, code: str | None = None, name: str | None = None,
                  level: int | None = None, bureau_name: str | None = None) -> Region:
    """Change a region's code, name, level or bureau name (None leaves a field as it is)."""
    actor = _as_actor(actor)
    _check_manage(actor, region, "您无权修改该区划")
    data = _clean_region_fields(region=region, code=code, name=name, level=level, bureau_name=bureau_name,
                                parent=region.parent)
    if data.get("bureau_name") == "":
        data["bureau_name"] = default_bureau_name(data.get("name") or region.name, data.get("level") or region.level)
    changes = _changed(region, data)
    if not changes:
        return region
    before = audit.snapshot(region)
    for k, v in changes.items():
        setattr(region, k, v)
    region.save(update_fields=list(changes))
    audit.record(actor=actor, action="update", obj=region, before=before, after=audit.snapshot(region),
                 region_id=region.pk)
    return region


@transaction.atomic
def region_move(*, actor, region: Region, parent: Region) -> Region:
    """Put a region (with its whole subtree) under another parent; every path below it is rewritten in one UPDATE.

    The actor must manage the region, its old parent and its new parent, so that moving never takes a region out
    of, or into, a part of the tree the actor does not administer."""
    actor = _as_actor(actor)
    _check_manage(actor, region, "您无权移动该区划")
    if region.parent_id:
        _check_manage(actor, region.parent, "您无权管理该区划的原上级区划")
    if parent is None:
        raise ValidationError({"parent": ["请选择新的上级区划"]})
    if not can(actor, Action.MANAGE, parent) or not may_manage_region_at(actor, parent, pk=region.pk):
        raise PermissionDenied("您无权将区划移动到该上级区划之下")
    region.refresh_from_db()
    if parent.pk == region.parent_id:
        raise ValidationError({"parent": ["新的上级区划与原上级区划相同"]})
    if parent.pk == region.pk or parent.path.startswith(region.path):
        raise ValidationError({"parent": ["不能将区划移动到其自身或其下级区划之下"]})
    if not parent.is_active:
        raise ValidationError({"parent": [f"上级区划“{parent.name}”已停用"]})
    if region.level <= parent.level:
        raise ValidationError({"parent": [f"“{region.name}”({region.get_level_display()})不能置于同级或更低层级的"
                                          f"“{parent.name}”({parent.get_level_display()})之下"]})
    before = audit.snapshot(region)
    old_path, new_path = region.path, f"{parent.path}{region.pk}/"
    moved = Region.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1), output_field=CharField()))
    region.parent = parent
    region.path = new_path
    region.save(update_fields=["parent"])
    audit.record(actor=actor, action="update", obj=region, before=before, after=audit.snapshot(region),
                 region_id=region.pk, comment=f"移动区划：{moved - 1} 个下级区划随之移动")
    return region


# ---- departments --------------------------------------------------------------------------------------------------

def _clean_org_code(code, label: str) -> tuple[str, str | None]:
    code = _strip(code)
    if not code:
        return code, f"请填写{label}"
    if not ORG_CODE_RE.match(code):
        return code, f"{label}只能包含数字、字母和 - _ .，且不超过30位"
    return code, None


def _clean_name(value, label: str, max_length: int = 100) -> tuple[str, str | None]:
    value = _strip(value)
    if not value:
        return value, f"请填写{label}"
    if len(value) > max_length:
        return value, f"{label}不能超过{max_length}个字符"
    return value, None


@transaction.atomic
def department_create(*, actor, region: Region, code: str, name: str, sector: str = "",
                      is_classified: bool = False) -> Department:
    """A new department (主管部门) of a region."""
    actor = _as_actor(actor)
    _check_manage(actor, Department(region=region), "您无权在该区划下新建主管部门")
    errors: dict[str, str] = {}
    code, err = _clean_org_code(code, "部门编码")
    if err:
        errors["code"] = err
    elif clash := Department.objects.filter(region=region, code=code).first():
        errors["code"] = f"该区划下部门编码 {code} 已被“{clash.name}”使用"
    name, err = _clean_name(name, "部门名称")
    if err:
        errors["name"] = err
    sector = _strip(sector)
    if len(sector) > 50:
        errors["sector"] = "所属行业不能超过50个字符"
    if not region.is_active:
        errors["region"] = f"区划“{region.name}”已停用"
    _raise_if(errors)
    with _unique("code", f"该区划下部门编码 {code} 已被使用"):
        department = Department.objects.create(region=region, code=code, name=name, sector=sector,
                                               is_classified=bool(is_classified))
    audit.record(actor=actor, action="create", obj=department, after=audit.snapshot(department))
    return department


@transaction.atomic
def department_update(*, actor, department: Department, code: str | None = None, name: str | None = None,
                      sector: str | None = None, is_classified: bool | None = None) -> Department:
    """Change a department's code, name, sector or classified flag (None leaves a field as it is)."""
    actor = _as_actor(actor)
    _check_manage(actor, department, "您无权修改该主管部门")
    errors: dict[str, str] = {}
    data: dict = {"is_classified": is_classified}
    if code is not None:
        code, err = _clean_org_code(code, "部门编码")
        if err:
            errors["code"] = err
        elif clash := Department.objects.filter(region_id=department.region_id, code=code).exclude(
                pk=department.pk).first():
            errors["code"] = f"该区划下部门编码 {code} 已被“{clash.name}”使用"
        data["code"] = code
    if name is not None:
        name, err = _clean_name(name, "部门名称")
        if err:
            errors["name"] = err
        data["name"] = name
    if sector is not None:
        sector = _strip(sector)
        if len(sector) > 50:
            errors["sector"] = "所属行业不能超过50个字符"
        data["sector"] = sector
    _raise_if(errors)
    return _save_changes(actor, department, data)


def _save_changes(actor: Actor, obj, data: dict, *, comment: str = ""):
    changes = _changed(obj, data)
    if not changes:
        return obj
    before = audit.snapshot(obj)
    for k, v in changes.items():
        setattr(obj, k, v)
    update_fields = list(changes)
    if "name" in changes and hasattr(obj, "sort_key"):
        update_fields.append("sort_key")
    obj.save(update_fields=update_fields)
    audit.record(actor=actor, action="update", obj=obj, before=before, after=audit.snapshot(obj), comment=comment)
    return obj


@transaction.atomic
def department_deactivate(*, actor, department: Department, comment: str = "") -> Department:
    """Stop using a department. Its active units must be deactivated or moved first."""
    actor = _as_actor(actor)
    _check_manage(actor, department, "您无权停用该主管部门")
    if not department.is_active:
        raise ValidationError("该主管部门已是停用状态")
    active_units = department.units.filter(is_active=True).count()
    if active_units:
        raise ValidationError(f"该部门下还有 {active_units} 个启用的预算单位，请先停用或迁移这些单位")
    return _save_changes(actor, department, {"is_active": False}, comment=comment or "停用主管部门")


@transaction.atomic
def department_activate(*, actor, department: Department) -> Department:
    actor = _as_actor(actor)
    _check_manage(actor, department, "您无权启用该主管部门")
    if department.is_active:
        raise ValidationError("该主管部门已是启用状态")
    region = Region.objects.get(pk=department.region_id)
    if not region.is_active:
        raise ValidationError(f"区划“{region.name}”已停用")
    return _save_changes(actor, department, {"is_active": True}, comment="启用主管部门")


# ---- units --------------------------------------------------------------------------------------------------------

@transaction.atomic
def unit_create(*, actor, department: Department, code: str, name: str) -> Unit:
    """A new budget unit (预算单位) under a department, in the department's region."""
    actor = _as_actor(actor)
    _check_manage(actor, Unit(department=department, region_id=department.region_id), "您无权在该部门下新建预算单位")
    errors: dict[str, str] = {}
    code, err = _clean_org_code(code, "单位编码")
    if err:
        errors["code"] = err
    elif clash := Unit.objects.filter(region_id=department.region_id, code=code).first():
        errors["code"] = f"该区划下单位编码 {code} 已被“{clash.name}”使用"
    name, err = _clean_name(name, "单位名称")
    if err:
        errors["name"] = err
    if not department.is_active:
        errors["department"] = f"主管部门“{department.name}”已停用"
    _raise_if(errors)
    with _unique("code", f"该区划下单位编码 {code} 已被使用"):
        unit = Unit.objects.create(department=department, region_id=department.region_id, code=code, name=name)
    audit.record(actor=actor, action="create", obj=unit, after=audit.snapshot(unit))
    return unit


@transaction.atomic
def unit_update(*, actor, unit: Unit, code: str | None = None, name: str | None = None) -> Unit:
    """Change a unit's code or name (None leaves a field as it is)."""
    actor = _as_actor(actor)
    _check_manage(actor, unit, "您无权修改该预算单位")
    errors: dict[str, str] = {}
    data: dict = {}
    if code is not None:
        code, err = _clean_org_code(code, "单位编码")
        if err:
            errors["code"] = err
        elif clash := Unit.objects.filter(region_id=unit.region_id, code=code).exclude(pk=unit.pk).first():
            errors["code"] = f"该区划下单位编码 {code} 已被“{clash.name}”使用"
        data["code"] = code
    if name is not None:
        name, err = _clean_name(name, "单位名称")
        if err:
            errors["name"] = err
        data["name"] = name
    _raise_if(errors)
    return _save_changes(actor, unit, data)


@transaction.atomic
def unit_move(*, actor, unit: Unit, department: Department) -> Unit:
    """Put a unit under another department. The unit's denormalised region follows the new department, and so do
    the role assignments held at the unit (a unit role's department and region must match its unit).

    Documents of other apps keep the organisation columns they were filed under."""
    actor = _as_actor(actor)
    _check_manage(actor, unit, "您无权迁移该预算单位")
    if department is None:
        raise ValidationError({"department": ["请选择新的主管部门"]})
    _check_manage(actor, Unit(department=department, region_id=department.region_id),
                  "您无权将单位迁入该主管部门")
    if department.pk == unit.department_id:
        raise ValidationError({"department": ["新的主管部门与原主管部门相同"]})
    if not department.is_active:
        raise ValidationError({"department": [f"主管部门“{department.name}”已停用"]})
    if department.region_id != unit.region_id:
        clash = Unit.objects.filter(region_id=department.region_id, code=unit.code).first()
        if clash:
            raise ValidationError({"department": [f"目标区划下单位编码 {unit.code} 已被“{clash.name}”使用"]})
    before = audit.snapshot(unit)
    old_department = unit.department
    unit.department = department
    unit.region_id = department.region_id
    unit.save(update_fields=["department", "region"])
    moved = RoleAssignment.objects.filter(unit=unit).update(department=department, region_id=department.region_id)
    audit.record(actor=actor, action="update", obj=unit, before=before, after=audit.snapshot(unit),
                 comment=f"由“{old_department.name}”迁至“{department.name}”；{moved} 个单位角色随之调整")
    return unit


@transaction.atomic
def unit_deactivate(*, actor, unit: Unit, comment: str = "") -> Unit:
    actor = _as_actor(actor)
    _check_manage(actor, unit, "您无权停用该预算单位")
    if not unit.is_active:
        raise ValidationError("该预算单位已是停用状态")
    return _save_changes(actor, unit, {"is_active": False}, comment=comment or "停用预算单位")


@transaction.atomic
def unit_activate(*, actor, unit: Unit) -> Unit:
    actor = _as_actor(actor)
    _check_manage(actor, unit, "您无权启用该预算单位")
    if unit.is_active:
        raise ValidationError("该预算单位已是启用状态")
    department = Department.objects.get(pk=unit.department_id)
    if not department.is_active:
        raise ValidationError(f"主管部门“{department.name}”已停用，请先启用主管部门")
    return _save_changes(actor, unit, {"is_active": True}, comment="启用预算单位")


# ---- agencies -----------------------------------------------------------------------------------------------------

def _clean_credit_code(value, agency: Agency | None) -> tuple[str, str | None]:
    code = _strip(value).upper()
    if not code:
        return code, "请填写统一社会信用代码"
    if not CREDIT_CODE_RE.match(code):
        return code, "统一社会信用代码应为18位（数字和大写字母，不含 I、O、S、V、Z）"
    clash = Agency.objects.filter(credit_code=code).exclude(pk=getattr(agency, "pk", None)).first()
    if clash:
        return code, f"统一社会信用代码已被“{clash.name}”使用"
    return code, None


@transaction.atomic
def agency_create(*, actor, region: Region, name: str, credit_code: str) -> Agency:
    """Register a third-party agency (第三方机构) in a region, so that its people can be given accounts."""
    actor = _as_actor(actor)
    _check_manage(actor, Agency(region=region), "您无权在该区划登记第三方机构")
    errors: dict[str, str] = {}
    name, err = _clean_name(name, "机构名称", 150)
    if err:
        errors["name"] = err
    credit_code, err = _clean_credit_code(credit_code, None)
    if err:
        errors["credit_code"] = err
    _raise_if(errors)
    with _unique("credit_code", "统一社会信用代码已被使用"):
        agency = Agency.objects.create(region=region, name=name, credit_code=credit_code)
    audit.record(actor=actor, action="create", obj=agency, after=audit.snapshot(agency))
    return agency


@transaction.atomic
def agency_update(*, actor, agency: Agency, name: str | None = None, credit_code: str | None = None) -> Agency:
    actor = _as_actor(actor)
    _check_manage(actor, agency, "您无权修改该第三方机构")
    errors: dict[str, str] = {}
    data: dict = {}
    if name is not None:
        name, err = _clean_name(name, "机构名称", 150)
        if err:
            errors["name"] = err
        data["name"] = name
    if credit_code is not None:
        credit_code, err = _clean_credit_code(credit_code, agency)
        if err:
            errors["credit_code"] = err
        data["credit_code"] = credit_code
    _raise_if(errors)
    return _save_changes(actor, agency, data)


# ---- role assignments ---------------------------------------------------------------------------------------------

@dataclass
class AssignmentSpec:
    """A role to give at a node, before it is checked. For a unit role the department and region follow from the
    unit, for a department role the region from the department, for an agency role from the agency."""

    role: str
    region: Region | None = None
    department: Department | None = None
    unit: Unit | None = None
    agency: Agency | None = None
    departments: list[Department] = field(default_factory=list)  # a budget officer's departments in charge


def clean_assignment(spec: AssignmentSpec) -> AssignmentSpec:
    """A consistent assignment, or a ValidationError keyed by the fields role/region/department/unit/agency/
    departments: the node a role needs, and only that, all in one region and all active."""
    errors: dict[str, str] = {}
    role = spec.role
    if role not in Role.values:
        raise ValidationError({"role": [f"角色“{role}”无效"]})
    label = Role(role).label
    region, department, unit, agency = spec.region, spec.department, spec.unit, spec.agency
    departments = list(spec.departments or [])
    if role == Role.UNIT:
        if unit is None:
            errors["unit"] = "预算单位角色必须指定预算单位"
        else:
            if department is not None and department.pk != unit.department_id:
                errors["department"] = f"预算单位“{unit.name}”不属于主管部门“{department.name}”"
            if region is not None and region.pk != unit.region_id:
                errors["region"] = f"预算单位“{unit.name}”不属于该区划"
            department, region = unit.department, unit.region
            if not unit.is_active:
                errors["unit"] = f"预算单位“{unit.name}”已停用"
    elif role == Role.DEPARTMENT:
        if department is None:
            errors["department"] = "主管部门角色必须指定主管部门"
        else:
            if region is not None and region.pk != department.region_id:
                errors["region"] = f"主管部门“{department.name}”不属于该区划"
            region = department.region
            if not department.is_active:
                errors["department"] = f"主管部门“{department.name}”已停用"
        if unit is not None:
            errors["unit"] = "主管部门角色不应指定预算单位"
    elif role == Role.AGENCY:
        if agency is None:
            errors["agency"] = "第三方机构角色必须指定机构"
        else:
            if region is not None and region.pk != agency.region_id:
                errors["region"] = f"第三方机构“{agency.name}”登记在其他区划"
            region = agency.region
            if not agency.is_active:
                errors["agency"] = f"第三方机构“{agency.name}”已停用"
    else:  # held at a region
        if region is None:
            errors["region"] = f"{label}角色必须指定所属区划"
        if department is not None:
            errors["department"] = f"{label}角色不应指定主管部门"
        if unit is not None:
            errors["unit"] = f"{label}角色不应指定预算单位"
    if role != Role.AGENCY and agency is not None:
        errors["agency"] = f"{label}角色不应指定第三方机构"
    if role == Role.BUDGET_OFFICER:
        if not departments:
            errors["departments"] = "请指定预算业务科室分管的部门"
        elif region is not None:
            foreign = [d.name for d in departments if d.region_id != region.pk]
            inactive = [d.name for d in departments if not d.is_active]
            if foreign:
                errors["departments"] = f"分管部门不属于所属区划：{'、'.join(foreign)}"
            elif inactive:
                errors["departments"] = f"分管部门已停用：{'、'.join(inactive)}"
    elif departments:
        errors["departments"] = f"{label}角色不应指定分管部门"
    if region is not None and not region.is_active and "region" not in errors:
        errors["region"] = f"区划“{region.name}”已停用"
    _raise_if(errors)
    unique_departments = list({d.pk: d for d in departments}.values())
    return AssignmentSpec(role=role, region=region, department=department, unit=unit, agency=agency,
                          departments=unique_departments)


def _probe(spec: AssignmentSpec, user: User | None = None) -> RoleAssignment:
    return RoleAssignment(user=user, role=spec.role, region=spec.region, department=spec.department, unit=spec.unit,
                          agency=spec.agency)


def _check_may_grant(actor: Actor, spec: AssignmentSpec) -> None:
    if not may_manage_assignment(actor, _probe(spec)):
        if may_manage_assignment(actor, _probe(AssignmentSpec(role=Role.EXPERT, region=spec.region))):
            raise ValidationError({"role": [f"您无权分配“{Role(spec.role).label}”角色"]})
        raise ValidationError({"region": ["您无权在该区划分配角色"]})


def _spec_key(spec: AssignmentSpec) -> tuple:
    return (spec.role, getattr(spec.region, "pk", None), getattr(spec.department, "pk", None),
            getattr(spec.unit, "pk", None), getattr(spec.agency, "pk", None))


def _assignment_key(ra: RoleAssignment) -> tuple:
    return (ra.role, ra.region_id, ra.department_id, ra.unit_id, ra.agency_id)


def assignment_snapshot(ra: RoleAssignment) -> dict:
    data = audit.snapshot(ra)
    data["departments"] = sorted(d.pk for d in ra.departments.all())
    return data


def _create_assignment(actor, user: User, spec: AssignmentSpec) -> RoleAssignment:
    ra = RoleAssignment.objects.create(user=user, role=spec.role, region=spec.region, department=spec.department,
                                       unit=spec.unit, agency=spec.agency)
    if spec.departments:
        ra.departments.set(spec.departments)
    audit.record(actor=actor, action="create", obj=ra, after=assignment_snapshot(ra),
                 object_repr=f"{user.username}：{ra}")
    return ra


def _check_user_manageable(actor: Actor, user: User, *, self_allowed: bool = False) -> None:
    if not self_allowed and actor.user_id == user.pk:
        raise PermissionDenied("不能对自己的账号执行此操作")
    if not users_for_manage(actor).filter(pk=user.pk).exists():
        raise PermissionDenied("您无权管理该用户")


@transaction.atomic
def role_assign(*, actor, user: User, spec: AssignmentSpec) -> RoleAssignment:
    """Give a user one more role at a node (consistent, within the actor's reach, no broader than the actor's)."""
    actor = _as_actor(actor)
    _check_user_manageable(actor, user)
    spec = clean_assignment(spec)
    _check_may_grant(actor, spec)
    if any(_assignment_key(ra) == _spec_key(spec) for ra in user.role_assignments.all()):
        raise ValidationError({"role": ["该用户在此机构已拥有该角色"]})
    return _create_assignment(actor, user, spec)


@transaction.atomic
def role_revoke(*, actor, assignment: RoleAssignment) -> None:
    """Take a role away. A user keeps at least one role: to stop someone working, deactivate the account."""
    actor = _as_actor(actor)
    user = assignment.user
    _check_user_manageable(actor, user)
    if not may_manage_assignment(actor, assignment):
        raise PermissionDenied("您无权撤销该角色")
    if user.role_assignments.count() <= 1:
        raise ValidationError("用户至少需要保留一个角色；如需停止使用该账号，请停用账号")
    audit.record(actor=actor, action="delete", obj=assignment, before=assignment_snapshot(assignment),
                 object_repr=f"{user.username}：{assignment}", comment="撤销角色")
    assignment.delete()


# ---- users --------------------------------------------------------------------------------------------------------

_PASSWORD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


def generate_password(length: int = 12) -> str:
    """A random initial password with upper and lower case letters and digits (no look-alike characters)."""
    while True:
        pw = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))
        if any(c.islower() for c in pw) and any(c.isupper() for c in pw) and any(c.isdigit() for c in pw):
            return pw


USER_AUDIT_FIELDS = ["username", "full_name", "phone", "email", "is_active", "failed_logins", "locked_until"]


def user_snapshot(user: User) -> dict:
    """The audited fields of a user (never the password hash)."""
    return audit.snapshot(user, USER_AUDIT_FIELDS)


def _user_region_id(user: User) -> int | None:
    ra = user.role_assignments.order_by("id").first()
    return ra.region_id if ra else None


def _record_user(actor, action: str, user: User, before: dict | None, comment: str = "") -> None:
    audit.record(actor=actor, action=action, obj=user, before=before, after=user_snapshot(user), comment=comment,
                 region_id=_user_region_id(user), object_repr=f"{user.username}（{user.full_name}）")


def _clean_profile(*, full_name, phone, email, errors: dict) -> dict:
    data = {}
    if full_name is not None:
        full_name, err = _clean_name(full_name, "姓名", 60)
        if err:
            errors["full_name"] = err
        data["full_name"] = full_name
    if phone is not None:
        phone = _strip(phone)
        if len(phone) > 30 or (phone and not re.fullmatch(r"[0-9+\-() ]+", phone)):
            errors["phone"] = "电话号码格式不正确"
        data["phone"] = phone
    if email is not None:
        email = _strip(email)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors["email"] = "电子邮箱格式不正确"
        data["email"] = email
    return data


# Django 5.2's zh_Hans catalogue misses some validator messages (the minimum length one changed its msgid), so the
# messages are given here by the validators' error codes; an unknown code keeps Django's own text.
_PASSWORD_MESSAGES = {
    "password_too_short": "密码太短，至少需要{min_length}个字符",
    "password_too_similar": "密码与{verbose_name}过于相似",
    "password_too_common": "密码过于常见，请换一个不易猜到的密码",
    "password_entirely_numeric": "密码不能全是数字",
}


def password_messages(exc: ValidationError) -> list[str]:
    out = []
    for error in exc.error_list:
        template = _PASSWORD_MESSAGES.get(error.code or "")
        if template:
            out.append(template.format(**{k: str(v) for k, v in (error.params or {}).items()}))
        else:
            out.extend(error.messages)
    return out


def _check_password(password: str, user: User, errors: dict) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = password_messages(exc)


def clean_username(username, errors: dict) -> str:
    username = _strip(username)
    if not username:
        errors["username"] = "请填写用户名"
    elif len(username) > 150:
        errors["username"] = "用户名不能超过150个字符"
    elif not USERNAME_RE.match(username):
        errors["username"] = "用户名只能包含字母、数字、汉字及 @ . + - _"
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = f"用户名“{username}”已存在"
    return username


@transaction.atomic
def user_create(*, actor, username: str, full_name: str, assignments: list[AssignmentSpec],
                password: str | None = None, phone: str = "", email: str = "") -> tuple[User, str | None]:
    """A new user with at least one role. Returns the user and the generated initial password (None when the
    caller chose the password). Everything is checked before anything is written."""
    actor = _as_actor(actor)
    if not actor.may(Action.MANAGE):
        raise PermissionDenied("您没有管理用户的权限")
    errors: dict = {}
    username = clean_username(username, errors)
    profile = _clean_profile(full_name=full_name, phone=phone, email=email, errors=errors)
    cleaned: list[AssignmentSpec] = []
    if not assignments:
        errors["role"] = "请至少为用户分配一个角色"
    for spec in assignments:
        try:
            spec = clean_assignment(spec)
            _check_may_grant(actor, spec)
        except ValidationError as exc:
            for k, v in exc.message_dict.items():
                errors.setdefault(k, v)
            continue
        if any(_spec_key(c) == _spec_key(spec) for c in cleaned):
            errors.setdefault("role", "同一角色在同一机构重复分配")
        cleaned.append(spec)
    user = User(username=username, **profile)
    generated = None
    if not password:
        password = generated = generate_password()
    else:
        _check_password(password, user, errors)
    _raise_if(errors)
    user.set_password(password)
    with _unique("username", f"用户名“{username}”已存在"):
        user.save()
    for spec in cleaned:
        _create_assignment(actor, user, spec)
    _record_user(actor, "create", user, None)
    return user, generated


@transaction.atomic
def user_update(*, actor, user: User, full_name: str | None = None, phone: str | None = None,
                email: str | None = None) -> User:
    """Change a user's name, phone or e-mail (None leaves a field as it is). Roles change with role_assign and
    role_revoke."""
    actor = _as_actor(actor)
    _check_user_manageable(actor, user, self_allowed=True)
    errors: dict = {}
    data = _clean_profile(full_name=full_name, phone=phone, email=email, errors=errors)
    _raise_if(errors)
    changes = _changed(user, data)
    if not changes:
        return user
    before = user_snapshot(user)
    for k, v in changes.items():
        setattr(user, k, v)
    user.save(update_fields=list(changes))
    _record_user(actor, "update", user, before)
    return user


@transaction.atomic
def user_set_password(*, actor, user: User, password: str | None = None) -> str | None:
    """Reset a user's password (generated when not given; returned then). The account is unlocked and its API
    tokens are revoked, since a reset usually follows a forgotten or exposed password."""
    actor = _as_actor(actor)
    _check_user_manageable(actor, user)
    generated = None
    if not password:
        password = generated = generate_password()
    else:
        errors: dict = {}
        _check_password(password, user, errors)
        _raise_if(errors)
    before = user_snapshot(user)
    user.set_password(password)
    user.failed_logins, user.locked_until = 0, None
    user.save(update_fields=["password", "failed_logins", "locked_until"])
    ApiToken.objects.filter(user=user).delete()
    _record_user(actor, "update", user, before, comment="重置密码")
    return generated


@transaction.atomic
def user_unlock(*, actor, user: User) -> User:
    """Lift a login lockout before it expires."""
    actor = _as_actor(actor)
    _check_user_manageable(actor, user)
    user.refresh_from_db(fields=["failed_logins", "locked_until"])
    if not user.locked_until and not user.failed_logins:
        raise ValidationError("该账号未被锁定")
    before = user_snapshot(user)
    user.failed_logins, user.locked_until = 0, None
    user.save(update_fields=["failed_logins", "locked_until"])
    _record_user(actor, "update", user, before, comment="解除锁定")
    return user


@transaction.atomic
def user_deactivate(*, actor, user: User, comment: str = "") -> User:
    """Stop an account: it can no longer log in, its sessions end and its API tokens are revoked. Its history
    stays."""
    actor = _as_actor(actor)
    _check_user_manageable(actor, user)
    if not user.is_active:
        raise ValidationError("该账号已是停用状态")
    before = user_snapshot(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    ApiToken.objects.filter(user=user).delete()
    _record_user(actor, "update", user, before, comment=comment or "停用账号")
    return user


@transaction.atomic
def user_activate(*, actor, user: User) -> User:
    actor = _as_actor(actor)
    _check_user_manageable(actor, user)
    if user.is_active:
        raise ValidationError("该账号已是启用状态")
    before = user_snapshot(user)
    user.is_active = True
    user.save(update_fields=["is_active"])
    _record_user(actor, "update", user, before, comment="启用账号")
    return user


@transaction.atomic
def user_change_own_password(*, actor, old_password: str, new_password: str) -> User:
    """A logged-in user changes their own password (the old one is required)."""
    actor = _as_actor(actor)
    user = actor.user
    if user is None:
        raise PermissionDenied("请先登录")
    errors: dict = {}
    if not user.check_password(old_password or ""):
        errors["old_password"] = "原密码不正确"  # noqa: S105 (a message, not a password)
    elif old_password == new_password:
        errors["new_password"] = "新密码不能与原密码相同"  # noqa: S105
    else:
        _check_password(new_password, user, errors)
        if "password" in errors:
            errors["new_password"] = errors.pop("password")
    _raise_if(errors)
    before = user_snapshot(user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _record_user(actor, "update", user, before, comment="修改本人密码")
    return user


# ---- bootstrap (no actor: the command line) -----------------------------------------------------------------------

@transaction.atomic
def bootstrap_admin(*, username: str, password: str, region: Region, full_name: str = "系统管理员") -> User:
    """The first system administrator of a region, created from the command line (`manage.py create_admin`)."""
    errors: dict = {}
    username = clean_username(username, errors)
    user = User(username=username, full_name=full_name)
    if "username" not in errors:
        _check_password(password or "", user, errors)
    _raise_if(errors)
    user.set_password(password)
    with _unique("username", f"用户名“{username}”已存在"):
        user.save()
    spec = clean_assignment(AssignmentSpec(role=Role.SYSADMIN, region=region))
    _create_assignment(None, user, spec)
    _record_user(None, "create", user, None, comment="命令行创建系统管理员")
    return user


@transaction.atomic
def bootstrap_region(*, code: str, name: str, level: int, bureau_name: str = "",
                     parent: Region | None = None) -> Region:
    """A region created from the command line, before any administrator exists."""
    data = _clean_new_region(code=code, name=name, level=level, bureau_name=bureau_name, parent=parent)
    with _unique("code", f"区划代码 {data['code']} 已被使用"):
        region = Region.objects.create(parent=parent, **data)
    audit.record(actor=None, action="create", obj=region, after=audit.snapshot(region), region_id=region.pk,
                 comment="命令行创建区划")
    return region


# ---- resolving codes (forms, imports and the API name nodes by code) -----------------------------------------------

CODE_LIST_SPLIT = re.compile(r"[,，、;；\s]+")


def split_codes(text) -> list[str]:
    """'301,302、303' → ['301', '302', '303'] (commas of either width, 顿号, semicolons or spaces)."""
    if isinstance(text, (list, tuple)):
        return [_strip(t) for t in text if _strip(t)]
    return [c for c in CODE_LIST_SPLIT.split(_strip(text)) if c]


def role_from_text(text) -> str:
    """A role from its value or its Chinese label; unknown text is returned as is (clean_assignment refuses it)."""
    value = _strip(text)
    for role in Role:
        if value in (role.value, role.label):
            return role.value
    return value


def assignment_from_codes(*, role: str, region: Region | str | None = None, department_code: str = "",
                          unit_code: str = "", agency_code: str = "", department_codes=(),
                          actor=None) -> AssignmentSpec:
    """An AssignmentSpec from codes as people type them: departments and units are looked up by code within the
    region (codes are unique per region only), agencies by their credit code. A ValidationError names the field
    (region / department / unit / agency / departments) of every code that does not resolve. Given the actor, a
    region outside its MANAGE reach is refused before anything in it is looked up."""
    errors: dict[str, str] = {}
    if isinstance(region, str) or region is None:
        region_code = _strip(region)
        region = None
        if region_code:
            region = Region.objects.filter(code=region_code).first()
            if region is None:
                errors["region"] = f"区划代码 {region_code} 不存在"
    department_code, unit_code, agency_code = _strip(department_code), _strip(unit_code), _strip(agency_code)
    codes = split_codes(department_codes)
    needs_region = bool(department_code or unit_code or codes)
    if needs_region and region is None and "region" not in errors:
        errors["region"] = "请填写所属区划（部门编码和单位编码在区划内唯一）"
    department = unit = agency = None
    departments: list[Department] = []
    if region is not None and actor is not None and not can(_as_actor(actor), Action.MANAGE, region):
        errors["region"] = "您无权在该区划分配角色"
        region = None
    if region is not None:
        if department_code:
            department = Department.objects.filter(region=region, code=department_code).first()
            if department is None:
                errors["department"] = f"“{region.name}”下不存在部门编码 {department_code}"
        if unit_code:
            unit = Unit.objects.select_related("department", "region").filter(region=region, code=unit_code).first()
            if unit is None:
                errors["unit"] = f"“{region.name}”下不存在单位编码 {unit_code}"
        if codes:
            found = {d.code: d for d in Department.objects.filter(region=region, code__in=codes)}
            missing = [c for c in codes if c not in found]
            if missing:
                errors["departments"] = f"“{region.name}”下不存在部门编码：{'、'.join(missing)}"
            departments = [found[c] for c in codes if c in found]
    if agency_code:
        agency = Agency.objects.select_related("region").filter(credit_code=agency_code.upper()).first()
        if agency is None:
            errors["agency"] = f"统一社会信用代码 {agency_code} 对应的第三方机构不存在"
    _raise_if(errors)
    return AssignmentSpec(role=role_from_text(role), region=region, department=department, unit=unit,
                          agency=agency, departments=departments)
