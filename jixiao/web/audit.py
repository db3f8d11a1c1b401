"""The audit trail, read: every create, change, delete and transition in the actor's reach, filterable."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.contenttypes.models import ContentType

from jixiao.core.models import AuditEvent
from jixiao.core.permissions import Action, Actor, scope


class AuditFilterForm(forms.Form):
    q = forms.CharField(label="对象或说明", required=False, max_length=100)
    actor = forms.CharField(label="操作人", required=False, max_length=150)
    action = forms.ChoiceField(label="操作", required=False, choices=[("", "全部")] + list(AuditEvent.Action.choices))
    date_from = forms.DateField(label="起始日期", required=False)
    date_to = forms.DateField(label="截止日期", required=False)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "截止日期不能早于起始日期")
        return data


def audit_events(actor: Actor, filters: dict | None = None):
    """Audit rows the actor may read (Action.AUDIT), newest first."""
    qs = scope(actor, Action.AUDIT, AuditEvent.objects.all()).select_related("content_type")
    f = filters or {}
    if f.get("q"):
        qs = qs.filter(object_repr__icontains=f["q"]) | qs.filter(comment__icontains=f["q"])
    if f.get("actor"):
        qs = qs.filter(actor_name__icontains=f["actor"])
    if f.get("action"):
        qs = qs.filter(action=f["action"])
    if f.get("date_from"):
        qs = qs.filter(at__gte=_start_of(f["date_from"]))
    if f.get("date_to"):
        qs = qs.filter(at__lt=_start_of(f["date_to"] + datetime.timedelta(days=1)))
    return qs.order_by("-at", "-id")


def _start_of(day: datetime.date) -> datetime.datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def model_label(ct: ContentType | None) -> str:
    if ct is None:
        return ""
    model = ct.model_class()
    return str(model._meta.verbose_name) if model else ct.model
