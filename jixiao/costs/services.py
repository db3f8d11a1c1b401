"""Writes to the spending standards. The finance bureau of a region keeps its standards (Action.CONFIGURE over the
region, as for the policy profile); every change is audited. Standards are never deleted once used: they are
deactivated (cost items and goal checks keep pointing at them)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from jixiao.core import audit
from jixiao.core.money import Money
from jixiao.core.permissions import Actor
from jixiao.costs import rules, selectors
from jixiao.costs.models import CostCategory, SpendingStandard

EDITABLE_FIELDS = ("code", "name", "output_unit", "amount", "category", "sector", "keywords", "valid_from", "valid_to",
                   "source")
TEXT_FIELDS = ("code", "name", "output_unit", "category", "sector", "keywords", "source")


def audit_data(standard: SpendingStandard) -> dict:
    data = audit.snapshot(standard)
    data.pop("created_at", None)
    return data


def _apply(standard: SpendingStandard, data: dict) -> None:
    for name in EDITABLE_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name in TEXT_FIELDS:
            value = (value or "").strip()
        if name == "keywords":
            value = rules.normalise_keywords(value)
        setattr(standard, name, value)
    if standard.amount is not None and not isinstance(standard.amount, Money):
        standard.amount = SpendingStandard._meta.get_field("amount").to_python(standard.amount)


def _validate(standard: SpendingStandard) -> None:
    errors = rules.validate_standard(rules.StandardValues(
        code=standard.code, name=standard.name, output_unit=standard.output_unit, amount=standard.amount,
        valid_from=standard.valid_from, valid_to=standard.valid_to))
    if standard.category and standard.category not in CostCategory.values:
        errors.setdefault("category", []).append("成本类别不在允许范围内")
    if "code" not in errors and standard.valid_from:
        clash = SpendingStandard.objects.filter(region_id=standard.region_id, code=standard.code,
                                                valid_from=standard.valid_from).exclude(pk=standard.pk)
        if clash.exists():
            errors.setdefault("code", []).append(
                f"本区划已有编码“{standard.code}”自{standard.valid_from}年起的标准，请修改原标准或换一个起始年度")
    if errors:
        raise ValidationError(errors)


def _save(standard: SpendingStandard) -> None:
    try:
        with transaction.atomic():
            standard.save()
    except IntegrityError:
        raise ValidationError({"code": [f"本区划已有编码“{standard.code}”的同年度标准"]}) from None


def _authorize(actor: Actor, standard: SpendingStandard) -> None:
    if not selectors.can_manage(actor, standard):
        raise PermissionDenied("只有本级财政部门可以维护支出标准")


def standard_create(*, actor: Actor, region, data: dict) -> SpendingStandard:
    """Create a standard of `region` (None: national) from cleaned values (see EDITABLE_FIELDS; amount as Money)."""
    standard = SpendingStandard(region=region, created_by=getattr(actor, "user", None), is_active=True)
    _apply(standard, data)
    _authorize(actor, standard)
    _validate(standard)
    with transaction.atomic():
        _save(standard)
        audit.record(actor=actor, action="create", obj=standard, after=audit_data(standard))
    return standard


def standard_update(*, actor: Actor, standard: SpendingStandard, data: dict) -> SpendingStandard:
    """Change a standard's values (region stays)."""
    _authorize(actor, standard)
    before = audit_data(standard)
    _apply(standard, data)
    _validate(standard)
    with transaction.atomic():
        _save(standard)
        after = audit_data(standard)
        keys = [k for k in after if before.get(k) != after.get(k)]
        audit.record(actor=actor, action="update", obj=standard, before={k: before.get(k) for k in keys},
                     after={k: after[k] for k in keys})
    return standard


def standard_set_active(*, actor: Actor, standard: SpendingStandard, active: bool,
                        comment: str = "") -> SpendingStandard:
    """Deactivate (or reactivate) a standard. Deactivated standards no longer apply to new checks."""
    _authorize(actor, standard)
    if standard.is_active == active:
        return standard
    with transaction.atomic():
        standard.is_active = active
        standard.save(update_fields=["is_active"])
        audit.record(actor=actor, action="update", obj=standard, before={"is_active": not active},
                     after={"is_active": active}, comment=comment or ("启用" if active else "停用"))
    return standard


def standard_deactivate(*, actor: Actor, standard: SpendingStandard, comment: str = "") -> SpendingStandard:
    return standard_set_active(actor=actor, standard=standard, active=False, comment=comment)
