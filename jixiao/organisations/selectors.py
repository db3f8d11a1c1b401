"""Reads of the organisation tree and of users, always scoped to the actor.

The organisation tree is read with the reach of `Action.VIEW` or `Action.AGGREGATE` (whichever is wider), so that a
unit sees its own unit; a department its own department and units; a budget officer the departments in its charge;
a finance bureau its region, and an upper bureau the regions below it with their departments and units; overseers
read the same (and manage nothing). Agencies see their own agency. Users are listed for `Action.MANAGE` only.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from jixiao.core.permissions import Action, Actor, can, scope
from jixiao.organisations.models import Agency, Department, Region, RoleAssignment, Unit, User
from jixiao.organisations.policy import assignments_for_manage

READ_ACTIONS = (Action.VIEW, Action.AGGREGATE)


def _readable(actor: Actor, qs: QuerySet) -> QuerySet:
    result = qs.none()
    for action in READ_ACTIONS:
        result = result | scope(actor, action, qs)
    return result


# ---- the organisation tree ----------------------------------------------------------------------------------------

def regions_for(actor: Actor) -> QuerySet[Region]:
    """Regions the actor may read, by code."""
    return _readable(actor, Region.objects.all()).order_by("code")


def departments_for(actor: Actor) -> QuerySet[Department]:
    """Departments the actor may read, in pinyin order."""
    return _readable(actor, Department.objects.all()).select_related("region").order_by("sort_key", "code")


def units_for(actor: Actor) -> QuerySet[Unit]:
    """Units the actor may read, in pinyin order."""
    return (_readable(actor, Unit.objects.all()).select_related("region", "department")
            .order_by("sort_key", "code"))


def agencies_for(actor: Actor) -> QuerySet[Agency]:
    """Agencies registered in the actor's reach, and the agency an agency's own people belong to."""
    own = sorted({g.agency_id for g in actor.grants if g.agency_id})
    qs = _readable(actor, Agency.objects.all())
    if own:
        qs = qs | Agency.objects.filter(pk__in=own)
    return qs.select_related("region").order_by("name")


def regions_for_manage(actor: Actor) -> QuerySet[Region]:
    return scope(actor, Action.MANAGE, Region.objects.all()).order_by("code")


def departments_for_manage(actor: Actor) -> QuerySet[Department]:
    return scope(actor, Action.MANAGE, Department.objects.all()).select_related("region").order_by("sort_key")


def units_for_manage(actor: Actor) -> QuerySet[Unit]:
    return scope(actor, Action.MANAGE, Unit.objects.all()).select_related("region", "department").order_by(
        "sort_key")


def agencies_for_manage(actor: Actor) -> QuerySet[Agency]:
    return scope(actor, Action.MANAGE, Agency.objects.all()).select_related("region").order_by("name")


def _fetch(qs: QuerySet, pk):
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该记录") from None


def _fetch_for(actor: Actor, action: Action, readable: QuerySet, pk):
    """One object: 404 when it does not exist or is not even readable, 403 when readable but not `action`-able."""
    obj = _fetch(readable, pk)
    if action not in READ_ACTIONS and not can(actor, action, obj):
        raise PermissionDenied("您没有执行此操作的权限")
    return obj


def region_get(actor: Actor, pk, action: Action = Action.VIEW) -> Region:
    return _fetch_for(actor, action, regions_for(actor).select_related("parent"), pk)


def department_get(actor: Actor, pk, action: Action = Action.VIEW) -> Department:
    return _fetch_for(actor, action, departments_for(actor), pk)


def unit_get(actor: Actor, pk, action: Action = Action.VIEW) -> Unit:
    return _fetch_for(actor, action, units_for(actor), pk)


def agency_get(actor: Actor, pk, action: Action = Action.VIEW) -> Agency:
    return _fetch_for(actor, action, agencies_for(actor), pk)


@dataclass
class RegionNode:
    region: Region
    depth: int
    department_count: int = 0
    unit_count: int = 0


def region_tree(actor: Actor) -> list[RegionNode]:
    """The readable regions as an indented tree (siblings by code), with counts of active readable departments and
    units. Three queries whatever the size of the tree."""
    regions = list(regions_for(actor))
    ids = {r.pk for r in regions}
    dept_counts = dict(departments_for(actor).filter(is_active=True).order_by().values_list("region_id")
                       .annotate(n=Count("pk")).values_list("region_id", "n"))
    unit_counts = dict(units_for(actor).filter(is_active=True).order_by().values_list("region_id")
                       .annotate(n=Count("pk")).values_list("region_id", "n"))
    children: dict[int | None, list[Region]] = {}
    for r in regions:
        parent = r.parent_id if r.parent_id in ids else None
        children.setdefault(parent, []).append(r)
    out: list[RegionNode] = []

    def walk(parent_id, depth):
        for r in sorted(children.get(parent_id, []), key=lambda x: x.code):
            out.append(RegionNode(r, depth, dept_counts.get(r.pk, 0), unit_counts.get(r.pk, 0)))
            walk(r.pk, depth + 1)

    walk(None, 0)
    return out


def department_rows(actor: Actor, *, region: Region | None = None, q: str = "",
                    include_inactive: bool = False) -> QuerySet[Department]:
    """Readable departments (of one region, or all), with the number of their active units, in pinyin order."""
    qs = departments_for(actor)
    if region is not None:
        qs = qs.filter(region=region)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__startswith=q))
    return qs.annotate(unit_count=Count("units", filter=Q(units__is_active=True)))


def unit_rows(actor: Actor, *, department: Department | None = None, region: Region | None = None, q: str = "",
              include_inactive: bool = False) -> QuerySet[Unit]:
    """Readable units (of one department or region, or all), in pinyin order."""
    qs = units_for(actor)
    if department is not None:
        qs = qs.filter(department=department)
    if region is not None:
        qs = qs.filter(region=region)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__startswith=q))
    return qs


# ---- users --------------------------------------------------------------------------------------------------------

def users_for_manage(actor: Actor) -> QuerySet[User]:
    """Users the actor may manage: every one of their role assignments is within the actor's MANAGE reach (and no
    broader than the actor's own), so that nobody takes over an account holding more than they may grant."""
    reachable = assignments_for_manage(actor)
    if not actor.may(Action.MANAGE):
        return User.objects.none()
    outside = RoleAssignment.objects.exclude(pk__in=reachable.values("pk"))
    return User.objects.filter(pk__in=reachable.values("user_id")).exclude(pk__in=outside.values("user_id"))


def user_get_for_manage(actor: Actor, pk) -> User:
    """A user the actor may manage, or 404 (the same answer for "does not exist" and "not yours")."""
    return _fetch(users_for_manage(actor), pk)


def role_assignments_prefetch() -> Prefetch:
    return Prefetch("role_assignments", queryset=RoleAssignment.objects.select_related(
        "region", "department", "unit", "agency").prefetch_related("departments").order_by("id"))


def user_list(actor: Actor, filters: dict | None = None) -> QuerySet[User]:
    """Manageable users filtered by text, role, region, organisation name, lock and active state."""
    f = filters or {}
    qs = users_for_manage(actor)
    if f.get("q"):
        qs = qs.filter(Q(username__icontains=f["q"]) | Q(full_name__icontains=f["q"]))
    assignments = RoleAssignment.objects.all()
    narrowed = False
    if f.get("role"):
        assignments, narrowed = assignments.filter(role=f["role"]), True
    if f.get("region"):
        assignments, narrowed = assignments.filter(region=f["region"]), True
    if f.get("org"):
        text = f["org"]
        assignments = assignments.filter(
            Q(region__name__icontains=text) | Q(region__bureau_name__icontains=text)
            | Q(department__name__icontains=text) | Q(unit__name__icontains=text) | Q(agency__name__icontains=text)
            | Q(departments__name__icontains=text) | Q(department__code=text) | Q(unit__code=text))
        narrowed = True
    if narrowed:
        qs = qs.filter(pk__in=assignments.values("user_id"))
    now = timezone.now()
    if f.get("locked") == "yes":
        qs = qs.filter(locked_until__gt=now)
    elif f.get("locked") == "no":
        qs = qs.filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
    if f.get("active") == "yes":
        qs = qs.filter(is_active=True)
    elif f.get("active") == "no":
        qs = qs.filter(is_active=False)
    return qs.prefetch_related(role_assignments_prefetch()).order_by("username")


@dataclass
class Node:
    kind: str  # region / department / unit / agency
    id: int
    code: str
    name: str


def nodes_of(actor: Actor) -> list[Node]:
    """The organisation nodes the actor's roles sit at (for "me" views), without duplicates."""
    user = actor.user
    if user is None:
        return []
    seen: dict[tuple[str, int], Node] = {}
    for ra in user.role_assignments.select_related("region", "department", "unit", "agency").order_by("id"):
        if ra.unit_id:
            node = Node("unit", ra.unit.pk, ra.unit.code, ra.unit.name)
        elif ra.department_id:
            node = Node("department", ra.department.pk, ra.department.code, ra.department.name)
        elif ra.agency_id:
            node = Node("agency", ra.agency.pk, ra.agency.credit_code, ra.agency.name)
        else:
            node = Node("region", ra.region.pk, ra.region.code, ra.region.bureau_name)
        seen.setdefault((node.kind, node.id), node)
    return list(seen.values())
