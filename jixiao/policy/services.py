"""Writes of the policy profile. Every save creates a new version row (rows are never updated), checks the actor's
right to configure the region, refuses a stale edit, and records an audit row with what changed."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from jixiao.core import audit
from jixiao.core.workflow import ConcurrentEditError
from jixiao.organisations.models import Region
from jixiao.policy import selectors
from jixiao.policy.models import PolicyProfile, PolicyYearLock
from jixiao.policy.presets import get_preset
from jixiao.policy.rules import audit_view, params_diff, validate_params
from jixiao.policy.schema import PolicyParams
from jixiao.policy.selectors import profile_diff  # noqa: F401  (re-exported: reads live in selectors)

MIN_YEAR, MAX_YEAR = 2000, 2100


class YearLockedError(ValidationError):
    """The region's year is locked: its results are final."""


def _check_year(fiscal_year: Any) -> int:
    try:
        year = int(fiscal_year)
    except (TypeError, ValueError):
        raise ValidationError({"fiscal_year": ["适用年度应为整数"]}) from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError({"fiscal_year": [f"适用年度应在{MIN_YEAR}至{MAX_YEAR}年之间"]})
    return year


def _where(region: Region | None) -> str:
    return region.name if region is not None else "全国默认"


def _authorize(actor, region: Region | None) -> None:
    # `actor=None` is the system (management commands); screens and the API always pass the user's actor.
    if actor is not None:
        selectors.authorize_configure(actor, region)


def _create_version(*, actor, region: Region | None, fiscal_year: int, params: PolicyParams, comment: str,
                    base_version: int | None, check_base: bool, name: str, preset: str) -> PolicyProfile:
    with transaction.atomic():
        lock = selectors.year_lock(region, fiscal_year)
        if lock is not None:
            raise YearLockedError(
                f"{_where(region)}{fiscal_year}年度的结果已锁定（{lock.reason}），不能再修改该年度的政策配置",
                code="locked")
        prior = selectors.effective_profile(region, fiscal_year)
        latest = selectors.latest_version(region, fiscal_year)
        latest_number = latest.version if latest else 0
        if check_base and (base_version or 0) != latest_number:
            raise ConcurrentEditError(
                f"{_where(region)}{fiscal_year}年的政策配置已被他人修改（现为第{latest_number}版），请刷新后在最新版本上修改")
        user = getattr(actor, "user", None)
        try:
            # A savepoint: two concurrent saves both reaching here collide on the unique version number.
            with transaction.atomic():
                row = PolicyProfile.objects.create(
                    region=region, fiscal_year=fiscal_year, version=latest_number + 1, preset=preset,
                    name=(name or f"{_where(region)}{fiscal_year}年政策配置")[:100],
                    params=params.to_json(), comment=comment, created_by=user)
        except IntegrityError:
            raise ConcurrentEditError(
                f"{_where(region)}{fiscal_year}年的政策配置刚被他人保存，请刷新后在最新版本上修改") from None
        before, after = audit_view(params_diff(prior.params, params))
        before["版本"], after["版本"] = prior.origin_label, f"{_where(region)}{fiscal_year}年第{row.version}版"
        if preset:
            after["基于预设"] = get_preset(preset).name
        audit.record(actor=actor, action="create", obj=row, before=before, after=after, comment=comment,
                     region_id=row.region_id)
    return row


def profile_save(*, actor, region: Region | None, fiscal_year: int, params: Any, comment: str,
                 base_version: int | None, name: str = "", preset: str = "") -> PolicyProfile:
    """Validate `params` (a dict as posted or a `PolicyParams`) and store it as a new version of the region's
    profile for the year (region None: the national default).

    `base_version` is the version number the editor started from (0 or None when the region had no own version for
    the year yet); if somebody saved in between, `ConcurrentEditError` is raised and nothing is written. Invalid
    parameters raise `rules.ParamsInvalid` (a `ValidationError` naming each field in Chinese)."""
    _authorize(actor, region)
    year = _check_year(fiscal_year)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": ["请填写修改说明"]})
    validated = validate_params(params)
    return _create_version(actor=actor, region=region, fiscal_year=year, params=validated, comment=comment,
                           base_version=base_version, check_base=True, name=name, preset=preset)


def profile_create_from_preset(*, actor, region: Region | None, fiscal_year: int, preset: str, comment: str = "",
                               base_version: int | None = None) -> PolicyProfile:
    """Store a named preset as a new version of the region's profile for the year.

    Without `base_version` the preset is applied on top of whatever version exists (it replaces the whole parameter
    set on purpose); with it, a stale base is refused as in `profile_save`."""
    _authorize(actor, region)
    year = _check_year(fiscal_year)
    try:
        chosen = get_preset(preset)
    except KeyError:
        raise ValidationError({"preset": [f"未知的预设：{preset}"]}) from None
    comment = (comment or "").strip() or f"采用预设“{chosen.name}”"
    name = f"{_where(region)}{year}年政策配置（{chosen.name}）"
    return _create_version(actor=actor, region=region, fiscal_year=year, params=chosen.params(), comment=comment,
                           base_version=base_version, check_base=base_version is not None, name=name,
                           preset=chosen.code)


def profile_ensure_effective(*, region: Region | None, fiscal_year: int) -> selectors.EffectiveProfile:
    """The effective profile, guaranteed to come from a stored version row.

    Call this (rather than `selectors.effective_profile`) before computing a result that will store the profile
    version it used: when nothing is stored yet for the region's chain, the national default for the year is saved
    first (by the system, audited), so the result can point at a row that will never change."""
    year = _check_year(fiscal_year)
    eff = selectors.effective_profile(region, year)
    if eff.profile_id is not None:
        return eff
    try:
        profile_create_from_preset(actor=None, region=None, fiscal_year=year, preset="national_2020",
                                   comment="首次使用时自动保存全国默认配置", base_version=0)
    except ConcurrentEditError:
        pass  # saved concurrently by another request: use that row
    return selectors.effective_profile(region, year)


def profile_year_lock(*, actor, region: Region | None, fiscal_year: int, reason: str) -> PolicyYearLock:
    """Lock a region's year once its results are final: no new profile versions for it afterwards."""
    _authorize(actor, region)
    year = _check_year(fiscal_year)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["请填写锁定原因"]})
    with transaction.atomic():
        existing = selectors.year_lock(region, year)
        if existing is not None:
            return existing
        lock = PolicyYearLock.objects.create(region=region, fiscal_year=year, reason=reason[:200],
                                             locked_by=getattr(actor, "user", None))
        audit.record(actor=actor, action="create", obj=lock, after={"年度锁定": f"{_where(region)}{year}年"},
                     comment=reason, region_id=lock.region_id)
    return lock


def profile_year_unlock(*, actor, region: Region | None, fiscal_year: int, comment: str) -> None:
    """Lift a year lock (e.g. when results must be recomputed); the reason is kept in the audit trail."""
    _authorize(actor, region)
    year = _check_year(fiscal_year)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": ["请填写解除锁定的原因"]})
    with transaction.atomic():
        lock = selectors.year_lock(region, year)
        if lock is None:
            return
        audit.record(actor=actor, action="delete", obj=lock, before={"年度锁定": f"{_where(region)}{year}年"},
                     comment=comment, region_id=lock.region_id)
        lock.delete()

