"""Who may manage which part of the organisation tree and which people, derived from `ROLE_ACTIONS[...][MANAGE]`.

Nothing here names a role: every decision is `jixiao.core.permissions.can`/`scope` with `Action.MANAGE`, plus one
rule that the permission table alone cannot express, *breadth*: nobody may grant, or take over by resetting a
password, a role that manages more than they do. A finance admin (MANAGE over its region) may therefore manage the
budget officers, departments and other finance admins of its region, but not a system administrator (MANAGE over
a whole subtree) sitting at the same region.
"""

from __future__ import annotations

from django.db.models import QuerySet

from jixiao.core.permissions import ROLE_ACTIONS, Action, Actor, Grant, Reach, can, scope
from jixiao.organisations.models import Region, RoleAssignment

# How much of the tree a MANAGE reach covers; roles without MANAGE have breadth 0.
_BREADTH = {Reach.REGION_TREE: 3, Reach.REGION: 2}


def manage_breadth(role: str) -> int:
    reach = ROLE_ACTIONS.get(role, {}).get(Action.MANAGE)
    if reach is None or reach is Reach.NONE:
        return 0
    return _BREADTH.get(reach, 1)


def _one(actor: Actor, grant: Grant) -> Actor:
    """The actor reduced to a single grant, to ask the permission module about that grant alone."""
    return Actor(user=actor.user, grants=[grant])


def may_manage_assignment(actor: Actor, assignment: RoleAssignment) -> bool:
    """Whether the actor may create, change or revoke this (possibly unsaved) role assignment."""
    needed = manage_breadth(assignment.role)
    for grant, reach in actor.grants_for(Action.MANAGE):
        if _BREADTH.get(reach, 1) >= needed and can(_one(actor, grant), Action.MANAGE, assignment):
            return True
    return False


def assignments_for_manage(actor: Actor) -> QuerySet[RoleAssignment]:
    """The role assignments the actor may manage (within reach and not broader than the actor's own grant)."""
    qs = RoleAssignment.objects.all()
    result = qs.none()
    for grant, reach in actor.grants_for(Action.MANAGE):
        breadth = _BREADTH.get(reach, 1)
        roles = sorted(role for role in ROLE_ACTIONS if manage_breadth(role) <= breadth)
        result = result | scope(_one(actor, grant), Action.MANAGE, qs.filter(role__in=roles))
    return result


def may_manage_region_at(actor: Actor, parent: Region | None, *, pk: int | None = None) -> bool:
    """Whether a region placed under `parent` would be in the actor's MANAGE reach. The probe carries the path the
    region would get (its id, or a placeholder for a new region), so the ordinary object check answers."""
    prefix = parent.path if parent is not None else "/"
    # A region that does not exist yet (pk None) can only fall under a subtree reach, never "its own region".
    probe = Region(pk=pk, parent=parent, path=f"{prefix}{pk or 0}/")
    return can(actor, Action.MANAGE, probe)
