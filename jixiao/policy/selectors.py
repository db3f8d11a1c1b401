"""Reads of the policy profile.

`effective_profile(region, fiscal_year)` is what rule code in other apps calls. It resolves, in this order:

1. the latest version of the region's own profile for that year;
2. the latest version of the nearest parent region's profile for that year (county → city → province);
3. the latest version of the national default (region empty) for that year;
4. if none of these exists for the year: the most recent earlier year that has one, resolved the same way
   (own region first, then parents, then national) — a bureau that has not yet configured a new year keeps last
   year's rules;
5. failing everything, the built-in preset "national_2020" (`profile_id` is then None).

It returns an `EffectiveProfile`: the typed `PolicyParams` plus `profile_id`, the id of the version row used. A result
computed from a profile should store that id; `params_for_version(profile_id)` gives exactly the same numbers back
later, whatever versions were added since, because version rows are never changed.

Profiles are public rule data: every logged-in user may read the profiles of their own region and its parents, and
the national default; finance admins and sysadmins also those of the regions they configure or aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from jixiao.core.permissions import Action, Actor, DocType, Reach, can, scope
from jixiao.organisations.models import Region
from jixiao.policy.models import PolicyProfile, PolicyYearLock
from jixiao.policy.presets import NATIONAL, get_preset, preset_params
from jixiao.policy.rules import params_diff
from jixiao.policy.schema import PolicyParams

# Regions are their own organisation node: used to ask `scope()` which regions an actor reaches.
REGION_DOC = DocType(region="pk", department=None, unit=None, region_path="path")


@dataclass(frozen=True)
class EffectiveProfile:
    """The rules in force for a region and year, and where they come from."""

    params: PolicyParams
    profile_id: int | None  # the PolicyProfile row used; None = the built-in national preset
    version: int | None
    region_id: int | None  # region of the row used (None: national default or built-in)
    fiscal_year: int | None  # year of the row used
    requested_region_id: int | None
    requested_year: int
    origin: str  # "own" | "parent" | "national" | "earlier_year" | "builtin"
    origin_label: str
    preset: str
    name: str


def current_year() -> int:
    """The current budget year: the one marked current, else this calendar year (Beijing time)."""
    from django.utils import timezone

    from jixiao.budget.models import FiscalYear

    year = FiscalYear.objects.filter(is_current=True).values_list("year", flat=True).first()
    return year or timezone.localdate().year


def _region_obj(region) -> Region | None:
    if region is None or isinstance(region, Region):
        return region
    return Region.objects.get(pk=region)


def region_chain(region) -> list[int]:
    """The region's id and its ancestors' ids, nearest first (from the materialised path: no query)."""
    region = _region_obj(region)
    if region is None:
        return []
    return list(reversed(region.ancestors_and_self_ids()))


def _where(row_region: Region | None) -> str:
    return row_region.name if row_region is not None else "全国默认"


def effective_profile(region, fiscal_year: int) -> EffectiveProfile:
    """The profile in force for `region` (a Region, its id, or None for the national default) in `fiscal_year`.

    Resolution order in the module docstring. Two queries (one to pick the row, one to load it)."""
    region = _region_obj(region)
    chain = region_chain(region)
    position = {rid: i for i, rid in enumerate(chain)}
    national_pos = len(chain)
    candidates = (PolicyProfile.objects.filter(Q(region_id__in=chain) | Q(region__isnull=True),
                                               fiscal_year__lte=fiscal_year)
                  .order_by().values_list("id", "region_id", "fiscal_year", "version"))
    best = None
    for pk, region_id, year, version in candidates:
        pos = national_pos if region_id is None else position[region_id]
        key = (year, -pos, version)
        if best is None or key > best[0]:
            best = (key, pk)
    requested_region_id = region.pk if region is not None else None
    if best is None:
        preset = get_preset(NATIONAL)
        return EffectiveProfile(
            params=preset_params(NATIONAL), profile_id=None, version=None, region_id=None, fiscal_year=None,
            requested_region_id=requested_region_id, requested_year=fiscal_year, origin="builtin",
            origin_label=f"内置预设：{preset.name}（尚未保存任何配置）", preset=NATIONAL, name=preset.name)
    row = PolicyProfile.objects.select_related("region").get(pk=best[1])
    if row.fiscal_year < fiscal_year:
        origin = "earlier_year"
        label = f"沿用{_where(row.region)}{row.fiscal_year}年第{row.version}版（{fiscal_year}年尚未配置）"
    elif row.region_id is None:
        origin = "national" if region is not None else "own"
        label = f"全国默认{row.fiscal_year}年第{row.version}版"
    elif row.region_id == requested_region_id:
        origin, label = "own", f"本级{row.fiscal_year}年第{row.version}版"
    else:
        origin, label = "parent", f"沿用上级（{row.region.name}）{row.fiscal_year}年第{row.version}版"
    return EffectiveProfile(
        params=row.typed(), profile_id=row.pk, version=row.version, region_id=row.region_id,
        fiscal_year=row.fiscal_year, requested_region_id=requested_region_id, requested_year=fiscal_year,
        origin=origin, origin_label=label, preset=row.preset, name=row.name)


_TYPED: dict[tuple[int, object], PolicyParams] = {}  # validated versions; a version never changes once stored
_TYPED_SIZE = 256


def params_for_version(profile_id: int) -> PolicyParams:
    """The parameters of one stored version (what a past result was computed with). Versions are immutable and the
    parameters frozen, so the validated value is kept per process, keyed by the version's id and creation time."""
    created = PolicyProfile.objects.filter(pk=profile_id).values_list("created_at", flat=True).first()
    if created is None:
        raise PolicyProfile.DoesNotExist(f"PolicyProfile {profile_id} does not exist")
    key = (profile_id, created)
    params = _TYPED.get(key)
    if params is None:
        params = PolicyProfile.objects.get(pk=profile_id).typed()
        if len(_TYPED) >= _TYPED_SIZE:
            _TYPED.clear()
        _TYPED[key] = params
    return params


def latest_version(region, fiscal_year: int) -> PolicyProfile | None:
    """The latest version of the region's own profile for the year (no inheritance), or None."""
    return (PolicyProfile.objects.filter(region=region, fiscal_year=fiscal_year)
            .select_related("region", "created_by").order_by("-version").first())


def year_lock(region, fiscal_year: int) -> PolicyYearLock | None:
    return PolicyYearLock.objects.filter(region=region, fiscal_year=fiscal_year).select_related("locked_by").first()


# --- what an actor may read and change ----------------------------------------------------------------------------
def readable_region_ids(actor: Actor) -> set[int]:
    """Regions whose profiles the actor may read: each grant's region and its parents, plus the regions the actor
    may configure or aggregate over."""
    ids: set[int] = set()
    if not actor.grants:
        return ids
    cached = getattr(actor, "_policy_readable_region_ids", None)  # the actor lives for one request
    if cached is not None:
        return set(cached)
    for grant in actor.grants:
        ids.update(int(x) for x in grant.region_path.strip("/").split("/") if x)
    regions = Region.objects.all()
    for action in (Action.CONFIGURE, Action.AGGREGATE):
        if actor.may(action):
            ids.update(scope(actor, action, regions, doc_type=REGION_DOC).order_by().values_list("pk", flat=True))
    actor._policy_readable_region_ids = frozenset(ids)
    return ids


def readable_regions(actor: Actor) -> QuerySet:
    return Region.objects.filter(pk__in=readable_region_ids(actor)).order_by("code")


def visible_profiles(actor: Actor) -> QuerySet:
    """Profile versions the actor may read (the national default is public to every logged-in user)."""
    if not actor.grants:
        return PolicyProfile.objects.none()
    return PolicyProfile.objects.filter(Q(region__isnull=True) | Q(region_id__in=readable_region_ids(actor)))


@dataclass(frozen=True)
class ChosenParams:
    """The rules a dry run (a check or a trial scoring) applies, and where they come from (shown in reports)."""

    params: PolicyParams
    label: str
    profile_id: int | None = None


def chosen_params(*, preset: str | None = None, region=None, year: int | None = None) -> ChosenParams:
    """The rules of a named preset, or the effective profile of a region and year (the national preset when
    neither is given). Raises ValidationError({"preset": ...}) for an unknown preset name. The caller checks that
    the actor may read the region."""
    from jixiao.policy.presets import PRESETS

    if preset:
        if preset not in PRESETS:
            names = "、".join(PRESETS)
            raise ValidationError({"preset": [f"预设“{preset}”不存在，可选：{names}"]})
        return ChosenParams(preset_params(preset), f"预设：{PRESETS[preset].name}")
    if region is None:
        return ChosenParams(preset_params(NATIONAL), f"预设：{PRESETS[NATIONAL].name}")
    year = year or current_year()
    eff = effective_profile(region, year)
    name = getattr(region, "name", str(region))
    return ChosenParams(eff.params, f"{name}{year}年度政策配置（{eff.origin_label}：{eff.name}）", eff.profile_id)


def params_at(region_id: int, year: int, profile_id: int | None) -> PolicyParams:
    """The parameters a document was created under: its recorded profile version, or (when none was recorded or it
    is gone) the profile in force for its region and year."""
    if profile_id:
        try:
            return params_for_version(profile_id)
        except PolicyProfile.DoesNotExist:
            pass
    return effective_profile(region_id, year).params


def profile_versions(actor: Actor, region, fiscal_year: int) -> QuerySet:
    """All versions of one region's own profile for one year, newest first, as the actor may read them."""
    return (visible_profiles(actor).filter(region=region, fiscal_year=fiscal_year)
            .select_related("region", "created_by").order_by("-version"))


def profile_for(actor: Actor, pk) -> PolicyProfile:
    """One version the actor may read, or 404."""
    try:
        return visible_profiles(actor).select_related("region", "created_by").get(pk=pk)
    except (PolicyProfile.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该政策配置") from None


def can_read_region(actor: Actor, region) -> bool:
    if region is None:
        return bool(actor.grants)
    return _region_obj(region).pk in readable_region_ids(actor)


def can_configure(actor: Actor, region) -> bool:
    """Whether the actor may save versions of the region's profile (Action.CONFIGURE over that region).

    The national default (region None) affects every region, so it needs CONFIGURE over a whole tree from a root
    region: in the role table only a sysadmin at the top region has that."""
    if region is None:
        return any(reach is Reach.REGION_TREE and grant.region_path.strip("/").count("/") == 0
                   for grant, reach in actor.grants_for(Action.CONFIGURE))
    return can(actor, Action.CONFIGURE, PolicyProfile(region=_region_obj(region)))


def authorize_configure(actor: Actor, region) -> None:
    """Raise unless the actor may configure the region: 404 when the region is not even readable, else 403."""
    if can_configure(actor, region):
        return
    if can_read_region(actor, region):
        raise PermissionDenied("您没有修改该区划政策配置的权限")
    raise Http404("未找到该区划")


def authorize_read(actor: Actor, region) -> None:
    if not can_read_region(actor, region):
        raise Http404("未找到该区划")


def default_region(actor: Actor) -> Region | None:
    """The region a user sees first: that of their first role assignment."""
    grant = actor.primary
    if grant is None:
        return None
    return Region.objects.filter(pk=grant.region_id).first()


def profile_diff(a, b):
    """Differences from `a` to `b`: each a `PolicyProfile`, an `EffectiveProfile`, a `PolicyParams` or a stored
    dict. Returns `introspect.Change` items (path, Chinese label, before/after values and display texts), leaf by
    leaf; numbers are compared as numbers."""
    return params_diff(_params_of(a), _params_of(b))


def _params_of(value):
    if isinstance(value, (PolicyProfile, EffectiveProfile)):
        return value.params
    return value
