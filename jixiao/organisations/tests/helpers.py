"""Shared helpers for the organisations tests."""

from __future__ import annotations

from jixiao.core.models import AuditEvent
from jixiao.core.permissions import actor_for
from jixiao.core.testing import PASSWORD
from jixiao.organisations.models import Agency, Department, Region, RoleAssignment, Unit, User


def act(cast, name):
    return actor_for(cast.users[name])


def counts() -> dict:
    """Row counts of everything an organisation or user write may touch: equal before and after = nothing changed."""
    return {m.__name__: m.objects.count() for m in (Region, Department, Unit, Agency, User, RoleAssignment,
                                                   AuditEvent)}


def login(client, user):
    client.force_login(user)
    return client


__all__ = ["PASSWORD", "act", "counts", "login"]
