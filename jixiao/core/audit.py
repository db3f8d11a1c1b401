"""The audit trail: services call `record()` inside their transaction for every create, change and delete."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models

from jixiao.core.models import AuditEvent
from jixiao.core.money import Money


def to_jsonable(value):
    if isinstance(value, Money):
        return str(value.yuan)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict:
    """The concrete field values of a model instance as JSON-safe data (foreign keys as ids)."""
    data = {}
    for f in obj._meta.concrete_fields:
        if fields is not None and f.name not in fields:
            continue
        if f.name in ("sort_key",):
            continue
        data[f.attname if f.is_relation else f.name] = to_jsonable(getattr(obj, f.attname))
    return data


def _event(*, actor, action: str, obj: models.Model | None = None, before: dict | None = None,
           after: dict | None = None, comment: str = "", region_id: int | None = None,
           object_repr: str | None = None) -> AuditEvent:
    user = getattr(actor, "user", actor)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if region_id is None and obj is not None:
        region_id = getattr(obj, "region_id", None)
    return AuditEvent(
        actor=user,
        actor_name=(getattr(user, "full_name", "") or getattr(user, "username", "")) if user else "系统",
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=(object_repr if object_repr is not None else str(obj) if obj is not None else "")[:300],
        region_id_value=region_id,
        before=before,
        after=after,
        comment=comment,
    )


def record(*, actor, action: str, obj: models.Model | None = None, before: dict | None = None,
           after: dict | None = None, comment: str = "", region_id: int | None = None,
           object_repr: str | None = None) -> AuditEvent:
    """Write one audit row. `actor` may be a user, an Actor or None (system)."""
    event = _event(actor=actor, action=action, obj=obj, before=before, after=after, comment=comment,
                   region_id=region_id, object_repr=object_repr)
    event.save()
    return event


def record_many(*, actor, action: str, entries, batch_size: int = 500) -> int:
    """Write the audit rows of a batch in bulk: `entries` yields dicts of record()'s keywords other than `actor` and
    `action` (obj, before, after, comment, ...). Returns how many were written."""
    events = [_event(actor=actor, action=action, **entry) for entry in entries]
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)
    return len(events)


def history_for(obj: models.Model):
    ct = ContentType.objects.get_for_model(obj)
    return AuditEvent.objects.filter(content_type=ct, object_id=str(obj.pk)).order_by("at", "id")
