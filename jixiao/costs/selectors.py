"""Reads of spending standards. Standards are reference data of a region: every user reads those of their regions
(each grant's region and its parents) and the national ones; finance bureaus keep them (see services)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from jixiao.core.permissions import Action, Actor, can, scope
from jixiao.costs import rules
from jixiao.costs.models import SpendingStandard
from jixiao.organisations.models import Region


def visible_standards(actor: Actor) -> QuerySet:
    """The standards the actor may read: national ones plus those of the regions the actor reads policy of."""
    from jixiao.policy.selectors import readable_region_ids

    if not actor.grants:
        return SpendingStandard.objects.none()
    return SpendingStandard.objects.filter(Q(region__isnull=True) | Q(region_id__in=sorted(readable_region_ids(actor))))


def standard_list(actor: Actor, filters: dict | None = None) -> QuerySet:
    """Visible standards filtered by `filters`: region (id, or "national"), year (valid in), category, active
    ("yes" default, "no", "all"), q (code, name or keyword contains)."""
    f = filters or {}
    qs = visible_standards(actor).select_related("region")
    region = f.get("region")
    if region == "national":
        qs = qs.filter(region__isnull=True)
    elif region:
        qs = qs.filter(region_id=region)
    year = f.get("year")
    if year:
        qs = qs.filter(valid_from__lte=year).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=year))
    if f.get("category"):
        qs = qs.filter(category=f["category"])
    active = f.get("active") or "yes"
    if active == "yes":
        qs = qs.filter(is_active=True)
    elif active == "no":
        qs = qs.filter(is_active=False)
    text = (f.get("q") or "").strip()
    if text:
        qs = qs.filter(Q(code__icontains=text) | Q(name__icontains=text) | Q(keywords__icontains=text))
    return qs.order_by("region__code", "code", "-valid_from", "pk")


def standard_get(actor: Actor, pk) -> SpendingStandard:
    try:
        return visible_standards(actor).select_related("region").get(pk=pk)
    except (SpendingStandard.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该支出标准") from None


def standards_for(region, year: int, name: str | None = None, *,
                  output_unit: str | None = None) -> list[SpendingStandard]:
    """The active standards that apply in `region` (a Region, its id or None) in `year`: the region's own, its
    parents' and the national ones, nearest first; of several with the same code only the nearest (then the latest
    `valid_from`) counts. With `name`, only standards whose keywords match it (see `rules.matches`); with
    `output_unit`, only standards of that unit. Not scoped: standards are public reference data of the region."""
    from jixiao.policy.selectors import region_chain

    chain = region_chain(region) if region is not None else []
    position = {rid: i for i, rid in enumerate(chain)}
    qs = (SpendingStandard.objects.select_related("region")
          .filter(Q(region_id__in=chain) | Q(region__isnull=True), is_active=True, valid_from__lte=year)
          .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=year)))
    if output_unit:
        qs = qs.filter(output_unit=output_unit)
    rows = sorted(qs, key=lambda s: (position.get(s.region_id, len(chain)), -s.valid_from, s.code, s.pk))
    seen: set[str] = set()
    out = []
    for s in rows:
        if s.code in seen:
            continue
        seen.add(s.code)
        if name is not None and not rules.matches(name, standard_name=s.name, keywords=s.keywords):
            continue
        out.append(s)
    return out


def manageable_regions(actor: Actor) -> list[Region]:
    """Regions in which the actor may keep standards (Action.CONFIGURE: the finance bureau of the region)."""
    from jixiao.policy.selectors import readable_regions

    return [r for r in readable_regions(actor) if can(actor, Action.CONFIGURE, SpendingStandard(region=r))]


def can_manage(actor: Actor, standard: SpendingStandard) -> bool:
    if standard.region_id is None:
        from jixiao.policy.selectors import can_configure

        return can_configure(actor, None)
    return can(actor, Action.CONFIGURE, standard)


def manageable_ids(actor: Actor, qs: QuerySet) -> set[int]:
    """Of the standards in `qs`, the ids the actor may change (one query, for list pages)."""
    if not actor.may(Action.CONFIGURE):
        return set()
    return set(scope(actor, Action.CONFIGURE, qs.order_by()).values_list("pk", flat=True))


def filter_regions(actor: Actor) -> list[Region]:
    """Regions for the list's filter box (those whose standards the actor reads)."""
    from jixiao.policy.selectors import readable_regions

    return list(readable_regions(actor))
