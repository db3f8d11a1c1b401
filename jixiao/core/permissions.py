"""The one place that decides what a user may see and do.

Every list, detail, export and API call goes through `scope()` (querysets) or `authorize()`/`can()` (one object).
Both are derived from the same table, `ROLE_ACTIONS`: for each role and action, the *reach* of the role's node in the
organisation tree (its unit, its department, the departments a budget officer is in charge of, its region, its
region's subtree, or the subjects an agency or expert was granted). So the queryset filter and the object check can
never disagree.

Classified (涉密) items are withheld from outsiders (agencies, experts, overseers) here, and from every outward
channel (disclosure, public portal, exports for outsiders) by `exclude_classified()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from jixiao.organisations.models import Role


class Action(StrEnum):
    VIEW = "view"  # list and detail
    EXPORT = "export"
    CREATE = "create"
    EDIT = "edit"
    DELETE = "delete"
    SUBMIT = "submit"  # submit, withdraw, request adjustment of one's own documents
    REVIEW = "review"  # a department reviewing its units' documents
    APPROVE = "approve"  # the finance bureau's review and approval
    ADJUST = "adjust"  # reopen an approved document as a new version
    IMPORT = "import"
    AGGREGATE = "aggregate"  # statistics over the node and the regions below it
    MANAGE = "manage"  # organisations and users
    CONFIGURE = "configure"  # the policy profile
    AUDIT = "audit"  # read the audit trail
    CONTRIBUTE = "contribute"  # an agency or expert working on what it was commissioned or assigned (scores, opinions)


class Reach(StrEnum):
    NONE = "none"
    UNIT = "unit"
    DEPARTMENT = "department"
    DEPARTMENT_UNITS = "department_units"  # a department's units' documents (not its own department-level ones)
    OFFICER_DEPARTMENTS = "officer_departments"
    REGION = "region"
    REGION_TREE = "region_tree"
    AGENCY_GRANTS = "agency_grants"
    EXPERT_GRANTS = "expert_grants"


A, R = Action, Reach
ROLE_ACTIONS: dict[str, dict[Action, Reach]] = {
    Role.SYSADMIN: {A.VIEW: R.REGION_TREE, A.EXPORT: R.REGION_TREE, A.AGGREGATE: R.REGION_TREE,
                    A.MANAGE: R.REGION_TREE, A.CONFIGURE: R.REGION_TREE, A.AUDIT: R.REGION_TREE},
    Role.FINANCE_ADMIN: {A.VIEW: R.REGION, A.EXPORT: R.REGION, A.IMPORT: R.REGION, A.APPROVE: R.REGION,
                         A.ADJUST: R.REGION, A.AGGREGATE: R.REGION_TREE, A.CONFIGURE: R.REGION, A.MANAGE: R.REGION,
                         A.AUDIT: R.REGION},
    Role.BUDGET_OFFICER: {A.VIEW: R.OFFICER_DEPARTMENTS, A.EXPORT: R.OFFICER_DEPARTMENTS,
                          A.APPROVE: R.OFFICER_DEPARTMENTS, A.AGGREGATE: R.OFFICER_DEPARTMENTS},
    Role.DEPARTMENT: {A.VIEW: R.DEPARTMENT, A.EXPORT: R.DEPARTMENT, A.CREATE: R.DEPARTMENT, A.EDIT: R.DEPARTMENT,
                      A.DELETE: R.DEPARTMENT, A.SUBMIT: R.DEPARTMENT, A.REVIEW: R.DEPARTMENT_UNITS,
                      A.IMPORT: R.DEPARTMENT, A.AGGREGATE: R.DEPARTMENT},
    Role.UNIT: {A.VIEW: R.UNIT, A.EXPORT: R.UNIT, A.CREATE: R.UNIT, A.EDIT: R.UNIT, A.DELETE: R.UNIT,
                A.SUBMIT: R.UNIT, A.IMPORT: R.UNIT, A.AGGREGATE: R.UNIT},
    Role.AGENCY: {A.VIEW: R.AGENCY_GRANTS, A.CONTRIBUTE: R.AGENCY_GRANTS},
    Role.EXPERT: {A.VIEW: R.EXPERT_GRANTS, A.CONTRIBUTE: R.EXPERT_GRANTS},
    Role.OVERSEER: {A.VIEW: R.REGION, A.AGGREGATE: R.REGION_TREE, A.AUDIT: R.REGION},
}
# Outsiders never see classified items, whatever their reach.
OUTSIDER_ROLES = frozenset({Role.AGENCY, Role.EXPERT, Role.OVERSEER})
# Actions that change a document; only allowed while the document is in one of its editable states.
STATE_BOUND_ACTIONS = frozenset({Action.EDIT, Action.DELETE})


@dataclass(frozen=True)
class Grant:
    """One role assignment of the actor, reduced to plain values."""

    role: str
    region_id: int
    region_path: str
    department_id: int | None = None
    unit_id: int | None = None
    agency_id: int | None = None
    officer_department_ids: frozenset[int] = frozenset()


@dataclass
class Actor:
    """The user acting, with their grants. Built once per request by `actor_for`."""

    user: object
    grants: list[Grant] = field(default_factory=list)

    @property
    def user_id(self):
        return getattr(self.user, "pk", None)

    @property
    def roles(self) -> set[str]:
        return {g.role for g in self.grants}

    def has_role(self, *roles: str) -> bool:
        return any(g.role in roles for g in self.grants)

    def grants_for(self, action: Action) -> list[tuple[Grant, Reach]]:
        out = []
        for g in self.grants:
            reach = ROLE_ACTIONS.get(g.role, {}).get(action)
            if reach and reach is not Reach.NONE:
                out.append((g, reach))
        return out

    def may(self, action: Action) -> bool:
        """Whether the actor may do this kind of action anywhere (for menus and buttons)."""
        return bool(self.grants_for(action))

    @property
    def primary(self) -> Grant | None:
        return self.grants[0] if self.grants else None


ANONYMOUS = Actor(user=None, grants=[])


def actor_for(user) -> Actor:
    """The actor for a user, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, "_jixiao_actor", None)
    if cached is not None:
        return cached
    from jixiao.organisations.models import RoleAssignment

    grants = []
    assignments = (RoleAssignment.objects.filter(user=user).select_related("region")
                   .prefetch_related("departments").order_by("id"))
    for ra in assignments:
        grants.append(Grant(
            role=ra.role, region_id=ra.region_id, region_path=ra.region.path, department_id=ra.department_id,
            unit_id=ra.unit_id, agency_id=ra.agency_id,
            officer_department_ids=frozenset(d.pk for d in ra.departments.all()),
        ))
    actor = Actor(user=user, grants=grants)
    user._jixiao_actor = actor
    return actor


@dataclass(frozen=True)
class DocType:
    """How a kind of document maps onto the organisation tree: the names of its organisation columns (None where
    it has none), the path to its subject (for agency and expert grants), its classified flag and editable states."""

    region: str | None = "region_id"
    department: str | None = "department_id"
    unit: str | None = "unit_id"
    region_path: str | None = "region__path"
    subject: str | None = None  # field holding the subject id, "pk" for subjects themselves
    agency: str | None = None  # field holding the agency id: agency users reach their own rows, not by subject grants
    classified: str | tuple[str, ...] | None = None  # flag(s) that withhold a row from outsiders when true
    editable_states: frozenset[str] | None = None


_DOC_TYPES: dict[type, DocType] = {}


def register(model: type[Model], doc_type: DocType) -> None:
    _DOC_TYPES[model] = doc_type


def doc_type_of(model: type[Model]) -> DocType:
    try:
        return _DOC_TYPES[model]
    except KeyError:
        raise LookupError(f"{model.__name__} is not registered with jixiao.core.permissions") from None


def _is_root(grant: Grant) -> bool:
    """Whether the grant sits at a top region (a province, or whatever has no parent)."""
    return grant.region_path.count("/") == 2


def _never() -> Q:
    return Q(pk__in=[])


def _reach_q(actor: Actor, grant: Grant, reach: Reach, dt: DocType) -> Q:
    def eq(name, value):
        return Q(**{name: value}) if name and value is not None else _never()

    if reach is Reach.UNIT:
        return eq(dt.unit, grant.unit_id)
    if reach is Reach.DEPARTMENT:
        return eq(dt.department, grant.department_id)
    if reach is Reach.DEPARTMENT_UNITS:
        if not dt.unit:
            return _never()
        return eq(dt.department, grant.department_id) & Q(**{f"{dt.unit}__isnull": False})
    if reach is Reach.OFFICER_DEPARTMENTS:
        if not dt.department or not grant.officer_department_ids:
            return _never()
        return eq(dt.region, grant.region_id) & Q(**{f"{dt.department}__in": sorted(grant.officer_department_ids)})
    if reach is Reach.REGION:
        return eq(dt.region, grant.region_id)
    if reach is Reach.REGION_TREE:
        if dt.region_path:
            return Q(**{f"{dt.region_path}__startswith": grant.region_path})
        if dt.region:
            from jixiao.organisations.models import Region

            subtree = Region.objects.filter(path__startswith=grant.region_path).values("pk")
            q = Q(**{f"{dt.region}__in": subtree})
            if _is_root(grant):  # national items (no region) belong to whoever reaches from a top region
                q |= Q(**{f"{dt.region}__isnull": True})
            return q
        return _never()
    if reach is Reach.AGENCY_GRANTS and dt.agency:
        return eq(dt.agency, grant.agency_id)
    if reach in (Reach.AGENCY_GRANTS, Reach.EXPERT_GRANTS):
        if not dt.subject:
            return _never()
        from jixiao.budget.models import SubjectGrant

        grants = SubjectGrant.objects.filter(is_active=True)
        grants = (grants.filter(agency_id=grant.agency_id) if reach is Reach.AGENCY_GRANTS
                  else grants.filter(expert_id=actor.user_id))
        return Q(**{f"{dt.subject}__in": grants.values("subject_id")})
    return _never()


def scope(actor: Actor, action: Action, qs: QuerySet, *, doc_type: DocType | None = None) -> QuerySet:
    """The rows of `qs` on which `actor` may perform `action`."""
    dt = doc_type or doc_type_of(qs.model)
    condition = None
    for grant, reach in actor.grants_for(action):
        q = _reach_q(actor, grant, reach, dt)
        if dt.classified and grant.role in OUTSIDER_ROLES:
            q &= _not_classified(dt)
        condition = q if condition is None else condition | q
    if condition is None:
        return qs.none()
    qs = qs.filter(condition)
    if action in STATE_BOUND_ACTIONS and dt.editable_states is not None:
        qs = qs.filter(state__in=sorted(dt.editable_states))
    return qs


def _value(obj, name: str | None):
    if not name:
        return None
    if name == "pk":
        return obj.pk
    value = obj
    for part in name.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def _reach_matches(actor: Actor, grant: Grant, reach: Reach, dt: DocType, obj) -> bool:
    if reach is Reach.UNIT:
        return grant.unit_id is not None and _value(obj, dt.unit) == grant.unit_id
    if reach is Reach.DEPARTMENT:
        return grant.department_id is not None and _value(obj, dt.department) == grant.department_id
    if reach is Reach.DEPARTMENT_UNITS:
        return (grant.department_id is not None and _value(obj, dt.department) == grant.department_id
                and _value(obj, dt.unit) is not None)
    if reach is Reach.OFFICER_DEPARTMENTS:
        return (_value(obj, dt.region) == grant.region_id
                and _value(obj, dt.department) in grant.officer_department_ids)
    if reach is Reach.REGION:
        return _value(obj, dt.region) == grant.region_id
    if reach is Reach.REGION_TREE:
        if dt.region_path:
            path = _value(obj, dt.region_path)
        else:
            from jixiao.organisations.models import Region

            region_id = _value(obj, dt.region)
            if region_id is None:
                return _is_root(grant)
            path = Region.objects.filter(pk=region_id).values_list("path", flat=True).first()
        return bool(path) and path.startswith(grant.region_path)
    if reach is Reach.AGENCY_GRANTS and dt.agency:
        return grant.agency_id is not None and _value(obj, dt.agency) == grant.agency_id
    if reach in (Reach.AGENCY_GRANTS, Reach.EXPERT_GRANTS):
        subject_id = _value(obj, dt.subject)
        if subject_id is None:
            return False
        from jixiao.budget.models import SubjectGrant

        grants = SubjectGrant.objects.filter(is_active=True, subject_id=subject_id)
        if reach is Reach.AGENCY_GRANTS:
            return grants.filter(agency_id=grant.agency_id).exists()
        return grants.filter(expert_id=actor.user_id).exists()
    return False


def acting_grant(actor: Actor, action: Action, obj, *, doc_type: DocType | None = None) -> Grant | None:
    """The first of the actor's grants that allows `action` on `obj`, or None."""
    dt = doc_type or doc_type_of(type(obj))
    if action in STATE_BOUND_ACTIONS and dt.editable_states is not None and obj.state not in dt.editable_states:
        return None
    for grant, reach in actor.grants_for(action):
        if dt.classified and grant.role in OUTSIDER_ROLES and _is_classified(obj, dt):
            continue
        if _reach_matches(actor, grant, reach, dt, obj):
            return grant
    return None


def can(actor: Actor, action: Action, obj, *, doc_type: DocType | None = None) -> bool:
    return acting_grant(actor, action, obj, doc_type=doc_type) is not None


def authorize(actor: Actor, action: Action, obj, *, doc_type: DocType | None = None) -> Grant:
    """Raise unless the actor may do `action` on `obj`. A document the actor may not even view is reported as not
    found, so that nobody learns what exists outside their reach."""
    grant = acting_grant(actor, action, obj, doc_type=doc_type)
    if grant is not None:
        return grant
    if action is not Action.VIEW and can(actor, Action.VIEW, obj, doc_type=doc_type):
        raise PermissionDenied("您没有执行此操作的权限")
    raise Http404("未找到该记录")


def get_for(actor: Actor, action: Action, qs: QuerySet, **lookup):
    """Fetch one row and authorise it in one call: 404 when it does not exist or is out of reach, 403 when the actor
    may see it but not do `action` (Zulip's access_* pattern)."""
    if any(isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 2**63 for v in lookup.values()):
        raise Http404("未找到该记录")  # an id no database column can hold
    visible = scope(actor, Action.VIEW, qs)
    try:
        obj = visible.get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该记录") from None
    if action is not Action.VIEW:
        authorize(actor, action, obj)
    return obj


def region_rounds(actor: Actor, qs: QuerySet) -> QuerySet:
    """Rounds (region-wide campaigns: monitoring rounds, self-evaluation rounds) the actor takes part in: those of
    the regions the bureau reaches (AGGREGATE) and those of the region of each of the actor's roles (a unit or a
    department reports in its own region's rounds)."""
    own_regions = sorted({g.region_id for g in actor.grants})
    return qs.filter(Q(pk__in=scope(actor, Action.AGGREGATE, qs.model.objects.all()).values("pk"))
                     | Q(region_id__in=own_regions))


def exclude_classified(qs: QuerySet, *, doc_type: DocType | None = None) -> QuerySet:
    """The mandatory filter of every outward channel: disclosure, public portal, exports for outsiders."""
    dt = doc_type or doc_type_of(qs.model)
    if not dt.classified:
        return qs
    return qs.filter(_not_classified(dt))


def _classified_fields(dt: DocType) -> tuple[str, ...]:
    return (dt.classified,) if isinstance(dt.classified, str) else tuple(dt.classified or ())


def _not_classified(dt: DocType) -> Q:
    # ~Q(flag=True) rather than Q(flag=False): a row whose flag sits behind an empty relation stays visible.
    q = Q()
    for name in _classified_fields(dt):
        q &= ~Q(**{name: True})
    return q


def _is_classified(obj, dt: DocType) -> bool:
    return any(bool(_value(obj, name)) for name in _classified_fields(dt))
