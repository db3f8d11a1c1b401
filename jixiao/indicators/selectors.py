"""Reads of the indicator library, and the one place that decides who may read, curate and propose indicators.

The library does not fit the document reach of `jixiao.core.permissions.DocType` (everyone reads national indicators
and those of the regions above them, not only their own node), so `library_access()` derives the rule here from the
same `Actor` grants and `ROLE_ACTIONS` table:

* read: every logged-in actor reads *active* indicators that are national (region empty) or belong to the region of
  one of their grants or any region above it;
* curate (create, edit, retire, approve proposals, import): whoever holds `Action.CONFIGURE` — a finance admin for
  their region (reach REGION); a system administrator for their region's subtree and the national library (reach
  REGION_TREE). Curators also see drafts and retired indicators of what they curate;
* propose: whoever holds `Action.CREATE` with a department (department and unit users) proposes indicators for their
  region and department; a proposal is a draft, visible to its department and the region's curators, until a
  curator approves it.

`LibraryAccess.q()` (querysets) and `LibraryAccess.can_read()` (the in-memory search index) are two spellings of the
same rule, side by side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from jixiao.core.permissions import Action, Actor, Reach
from jixiao.indicators.models import Indicator, IndicatorStatus, IndicatorVersion, Level1, Sector
from jixiao.indicators.search import Filters, Query, library_search


@dataclass(frozen=True)
class LibraryAccess:
    read_region_ids: frozenset[int] = frozenset()
    curate_region_ids: frozenset[int] = frozenset()
    curate_national: bool = False
    propose_targets: tuple[tuple[int, int], ...] = ()  # (region id, department id)
    logged_in: bool = False

    @property
    def may_curate(self) -> bool:
        return self.curate_national or bool(self.curate_region_ids)

    @property
    def may_propose(self) -> bool:
        return bool(self.propose_targets)

    @property
    def proposer_department_ids(self) -> frozenset[int]:
        return frozenset(d for _, d in self.propose_targets)

    @property
    def key(self) -> tuple:
        """Hashable identity of the rule, for caches."""
        return (self.read_region_ids, self.curate_region_ids, self.curate_national, self.propose_targets,
                self.logged_in)

    def can_curate_region(self, region_id: int | None) -> bool:
        return self.curate_national if region_id is None else region_id in self.curate_region_ids

    def can_read(self, region_id: int | None, status: str, department_id: int | None) -> bool:
        if not self.logged_in:
            return False
        if self.can_curate_region(region_id):
            return True
        if status == IndicatorStatus.ACTIVE:
            return region_id is None or region_id in self.read_region_ids
        if status == IndicatorStatus.DRAFT:
            return department_id is not None and department_id in self.proposer_department_ids
        return False

    def q(self) -> Q:
        if not self.logged_in:
            return Q(pk__in=[])
        cond = Q(status=IndicatorStatus.ACTIVE) & (Q(region__isnull=True)
                                                   | Q(region_id__in=sorted(self.read_region_ids)))
        if self.curate_region_ids:
            cond |= Q(region_id__in=sorted(self.curate_region_ids))
        if self.curate_national:
            cond |= Q(region__isnull=True)
        if self.propose_targets:
            cond |= Q(status=IndicatorStatus.DRAFT, department_id__in=sorted(self.proposer_department_ids))
        return cond

    def visible_slots(self, index) -> set[int]:
        """The search index's documents this rule lets the actor read (the same rule as `q()` and `can_read()`),
        as a set built from the index's facets."""
        if not self.logged_in:
            return set()
        out = index.union("status", [IndicatorStatus.ACTIVE]) & index.union("region_id",
                                                                             [None, *self.read_region_ids])
        if self.curate_region_ids:
            out |= index.union("region_id", self.curate_region_ids)
        if self.curate_national:
            out |= index.union("region_id", [None])
        if self.propose_targets:
            out |= index.union("status", [IndicatorStatus.DRAFT]) & index.union("department_id",
                                                                                  self.proposer_department_ids)
        return out

    def curate_region_choices(self) -> list[int | None]:
        """Where this actor may put a new indicator: None is the national library."""
        out: list[int | None] = [None] if self.curate_national else []
        return out + sorted(self.curate_region_ids)


def library_access(actor: Actor) -> LibraryAccess:
    """The actor's rights in the library (cached on the actor for the request)."""
    cached = getattr(actor, "_indicator_access", None)
    if cached is not None:
        return cached
    if actor.user is None:
        access = LibraryAccess()
    else:
        read: set[int] = set()
        for g in actor.grants:
            read.update(int(x) for x in g.region_path.strip("/").split("/") if x)
            read.add(g.region_id)
        curate: set[int] = set()
        national = False
        for g, reach in actor.grants_for(Action.CONFIGURE):
            if reach is Reach.REGION:
                curate.add(g.region_id)
            elif reach is Reach.REGION_TREE:
                from jixiao.organisations.models import Region

                curate.update(Region.objects.filter(path__startswith=g.region_path).values_list("pk", flat=True))
                national = True
        propose = tuple(sorted({(g.region_id, g.department_id) for g, _ in actor.grants_for(Action.CREATE)
                                if g.department_id}))
        access = LibraryAccess(read_region_ids=frozenset(read), curate_region_ids=frozenset(curate),
                               curate_national=national, propose_targets=propose, logged_in=True)
    try:
        actor._indicator_access = access
    except AttributeError:  # a frozen stand-in actor
        pass
    return access


def indicator_scope(actor: Actor, qs: QuerySet | None = None) -> QuerySet:
    """The indicators the actor may read."""
    qs = Indicator.objects.all() if qs is None else qs
    return qs.filter(library_access(actor).q())


def indicator_get(actor: Actor, pk, *, curate: bool = False) -> Indicator:
    """One indicator: 404 when the actor may not read it, 403 when `curate` and they may not curate it."""
    try:
        obj = indicator_scope(actor).select_related("sector", "domain", "region", "department", "created_by").get(
            pk=pk)
    except (Indicator.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该指标") from None
    if curate and not library_access(actor).can_curate_region(obj.region_id):
        raise PermissionDenied("您没有维护该指标的权限")
    return obj


def can_curate(actor: Actor, indicator: Indicator) -> bool:
    return library_access(actor).can_curate_region(indicator.region_id)


def can_approve(actor: Actor, indicator: Indicator) -> bool:
    return indicator.status == IndicatorStatus.DRAFT and can_curate(actor, indicator)


# ---- listing and search ---------------------------------------------------------------------------------------

STATUS_ALL = "all"
NO_SECTOR = 0  # filter value: indicators without a sector (the common ones)


@dataclass
class LibraryFilters:
    q: str = ""
    sector_id: int | None = None
    domain_id: int | None = None
    level1: str | None = None
    level2: str | None = None
    is_common: bool | None = None
    status: str = IndicatorStatus.ACTIVE  # or "all"
    sort: str = ""  # "" (relevance when searching, else code), "code", "usage", "name"

    def search_filters(self) -> Filters:
        return Filters(sector_id=self.sector_id, no_sector=self.sector_id == NO_SECTOR, domain_id=self.domain_id,
                       level1=self.level1 or None, level2=self.level2 or None, is_common=self.is_common,
                       statuses=None if self.status == STATUS_ALL else frozenset({self.status}))

    def apply(self, qs: QuerySet) -> QuerySet:
        if self.sector_id == NO_SECTOR:
            qs = qs.filter(sector__isnull=True)
        elif self.sector_id:
            qs = qs.filter(sector_id=self.sector_id)
        if self.domain_id:
            qs = qs.filter(domain_id=self.domain_id)
        if self.level1:
            qs = qs.filter(level1=self.level1)
        if self.level2:
            qs = qs.filter(level2=self.level2)
        if self.is_common is not None:
            qs = qs.filter(is_common=self.is_common)
        if self.status and self.status != STATUS_ALL:
            qs = qs.filter(status=self.status)
        return qs


@dataclass
class LibraryPage:
    items: list[Indicator]
    total: int
    page: int
    page_size: int
    query: Query | None = None
    scores: dict[int, float] = field(default_factory=dict)
    elapsed_ms: float = 0.0

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size)) if self.page_size else 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


ORDERINGS = {"code": ("code",), "usage": ("-usage_count", "code"), "name": ("name", "code")}


def _restriction(actor: Actor, filters: LibraryFilters):
    """For the search index: the slot sets of what the actor may read (cached until the library changes) and of
    the filters."""
    access = library_access(actor)
    flt = filters.search_filters()

    def restrict(index) -> list[set[int]]:
        cache = library_search.cache()
        key = ("visible", access.key)
        visible = cache.get(key)
        if visible is None:
            if len(cache) > 500:
                cache.clear()
            visible = cache[key] = access.visible_slots(index)
        return [visible, *flt.sets(index)]

    return restrict


def indicator_list(actor: Actor, filters: LibraryFilters) -> QuerySet:
    """The readable indicators matching the filters (no text search), ordered."""
    qs = filters.apply(indicator_scope(actor))
    return qs.order_by(*ORDERINGS.get(filters.sort, ("code",)))


def indicator_search(actor: Actor, filters: LibraryFilters, *, page: int = 1, page_size: int = 20,
                     prefer_sector_id: int | None = None) -> LibraryPage:
    """One page of the library: ranked by the search index when there is a query, else by the database.

    Either way only the page's rows are loaded (one query, with sector and domain)."""
    page = max(1, int(page or 1))
    page_size = max(1, min(int(page_size or 20), 200))
    related = ("sector", "domain", "region")
    if not filters.q.strip():
        qs = indicator_list(actor, filters)
        total = qs.count()
        last = max(1, math.ceil(total / page_size))
        page = min(page, last)
        items = list(qs.select_related(*related)[(page - 1) * page_size: page * page_size])
        return LibraryPage(items=items, total=total, page=page, page_size=page_size)
    result = library_search.search(filters.q, _restriction(actor, filters), offset=(page - 1) * page_size,
                                   limit=page_size, prefer_sector_id=prefer_sector_id)
    ids = [h.id for h in result.hits]
    # The page's rows are read fresh and checked with the same rule again (the index is a hint, the row decides).
    # By primary key only: a planner with stale statistics after a bulk load turned the rule's OR-ed conditions
    # into index scans over the whole table.
    access = library_access(actor)
    rows = {i.pk: i for i in Indicator.objects.filter(pk__in=ids).select_related(*related)
            if access.can_read(i.region_id, i.status, i.department_id)} if ids else {}
    items = [rows[i] for i in ids if i in rows]
    if filters.sort in ORDERINGS and filters.sort != "":
        key = {"code": lambda i: i.code, "usage": lambda i: (-i.usage_count, i.code),
               "name": lambda i: (i.name, i.code)}[filters.sort]
        items.sort(key=key)
    return LibraryPage(items=items, total=result.total, page=page, page_size=page_size, query=result.query,
                       scores={h.id: h.score for h in result.hits}, elapsed_ms=result.elapsed_ms)


def indicator_export_queryset(actor: Actor, filters: LibraryFilters, limit: int = 100_000) -> QuerySet:
    """What an export of the current list holds: the filtered library, or the search's matches when there is a
    query (up to `limit`)."""
    if not filters.q.strip():
        return filters.apply(indicator_scope(actor))
    result = library_search.search(filters.q, _restriction(actor, filters), limit=limit)
    return indicator_scope(actor).filter(pk__in=[h.id for h in result.hits])


def preferred_sector_id(actor: Actor) -> int | None:
    """The sector a department user works in (their department's 所属行业), to rank its indicators first."""
    dept_ids = [g.department_id for g in actor.grants if g.department_id]
    if not dept_ids:
        return None
    from jixiao.organisations.models import Department

    names = [n for n in Department.objects.filter(pk__in=dept_ids).values_list("sector", flat=True) if n]
    if not names:
        return None
    return Sector.objects.filter(parent__isnull=True, name__in=names).values_list("pk", flat=True).first()


# ---- classification --------------------------------------------------------------------------------------------

def sector_tree() -> list[Sector]:
    """Sectors with their domains prefetched (two queries)."""
    return list(Sector.objects.filter(parent__isnull=True).prefetch_related("domains").order_by("code"))


def classification_tree(actor: Actor, *, status: str = IndicatorStatus.ACTIVE) -> list[dict]:
    """sector → domain → 一级 → 二级 with indicator counts, for browsing. Indicators without a sector are grouped
    under “通用(未分行业)”. Cached per library revision and access rule, so it costs one query per change."""
    access = library_access(actor)
    library_search.ensure_fresh()
    cache = library_search.cache()
    key = ("tree", access.key, status)
    if key in cache:
        return cache[key]
    qs = indicator_scope(actor)
    if status != STATUS_ALL:
        qs = qs.filter(status=status)
    rows = (qs.values("sector_id", "sector__code", "sector__name", "domain_id", "domain__code", "domain__name",
                      "level1", "level2").annotate(n=Count("id")).order_by())
    level1_labels = dict(Level1.choices)
    level1_order = {v: i for i, v in enumerate(Level1.values)}
    tree: dict = {}
    for r in rows:
        s = tree.setdefault(r["sector_id"], {"id": r["sector_id"] or NO_SECTOR, "code": r["sector__code"] or "",
                                             "name": r["sector__name"] or "通用(未分行业)", "count": 0,
                                             "children": {}})
        d = s["children"].setdefault(r["domain_id"], {"id": r["domain_id"], "code": r["domain__code"] or "",
                                                      "name": r["domain__name"] or "(未分领域)", "count": 0,
                                                      "children": {}})
        l1 = d["children"].setdefault(r["level1"], {"id": r["level1"], "name": level1_labels.get(r["level1"],
                                                                                                r["level1"]),
                                                    "count": 0, "children": {}})
        l2 = l1["children"].setdefault(r["level2"], {"id": r["level2"], "name": r["level2"], "count": 0})
        for node in (s, d, l1, l2):
            node["count"] += r["n"]

    def by_code(n):
        return (n["code"] == "", n["code"])

    result = []
    for s in sorted(tree.values(), key=by_code):
        domains = []
        for d in sorted(s["children"].values(), key=by_code):
            levels = []
            for l1 in sorted(d["children"].values(), key=lambda n: level1_order.get(n["id"], 99)):
                l1["children"] = sorted(l1["children"].values(), key=lambda n: n["name"])
                levels.append(l1)
            d["children"] = levels
            domains.append(d)
        s["children"] = domains
        result.append(s)
    cache[key] = result
    return result


# ---- versions ----------------------------------------------------------------------------------------------------

def indicator_versions(indicator: Indicator) -> QuerySet:
    return IndicatorVersion.objects.filter(indicator=indicator).select_related("created_by").order_by("-version")


def indicator_version_current(indicator: Indicator | int) -> IndicatorVersion:
    """The frozen definition a goal sheet should point to when it uses this indicator now."""
    ind_id = indicator.pk if isinstance(indicator, Indicator) else indicator
    version = (Indicator.objects.filter(pk=ind_id).values_list("current_version", flat=True).first())
    if version is None:
        raise Http404("未找到该指标")
    return IndicatorVersion.objects.get(indicator_id=ind_id, version=version)
