"""A deterministic generator of realistic synthetic regions: a town (清溪镇: one bureau, 20 units, 100 subjects), a city
shaped like 通辽 (73 departments, 237 units, about 3,000 subjects, an 8,538-indicator library) or a whole province
(内蒙古自治区: 116 regions, tens of thousands of units, 300,000 subjects, more than 100,000 indicators).

The same seed gives the same data: every random draw comes from `random.Random` seeded with the seed and a fixed key,
nothing reads the clock except the choice of how many months of execution exist (`through_month`, which only cuts
the stored months: all twelve are drawn either way). Rows are written with `bulk_create`, so the values `save()`
would compute (Region.path, sort keys) are computed here, with the same functions.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, lru_cache
from itertools import chain

from django.db import connection, transaction
from django.utils import timezone
from pypinyin import Style, lazy_pinyin

try:  # pypinyin's own segmentation, to compute sort keys segment by segment (see _fast_sort_key)
    from pypinyin.core import _default_pinyin as _pinyin_engine
except ImportError:  # pragma: no cover - another pypinyin: fall back to the exact function
    _pinyin_engine = None

from jixiao.budget.models import (
    BudgetKind,
    BudgetLine,
    ExecutionRecord,
    FiscalYear,
    PerformanceSubject,
    ProjectCategory,
    ScopeKind,
    SpecialCategory,
    SubjectKind,
)
from jixiao.budget.workflows import SubjectState
from jixiao.core import audit
from jixiao.core.audit import to_jsonable
from jixiao.core.money import Money, MoneyField
from jixiao.demo import goals as demo_goals
from jixiao.demo import library, vocab, vocab_orgs
from jixiao.demo.vocab import DepartmentTemplate, Domain, Template, chinese_number
from jixiao.indicators.models import Indicator, IndicatorVersion, Sector
from jixiao.organisations.models import Department, Region, Unit, pinyin_sort_key

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

SCALES = ("town", "city", "province")
CITY_CODE = "150500"
TOWN_CODE = "441900115"
DEMO_SCHOOL = "第五中学"  # the demo unit clerk works here: never trimmed away

CITY_UNITS = 237
CITY_SUBJECTS = 3000
CITY_LIBRARY = 8538  # 通辽's library, common indicators included
TOWN_UNITS = 20
TOWN_SUBJECTS = 100
TOWN_LIBRARY = 1000
PROVINCE_SUBJECTS = 300_000
PROVINCE_OWN_SUBJECTS = 12_000
PROVINCE_CITY_SUBJECTS = 4_000
PROVINCE_LIBRARY = 14_000

LEVELS = {1: "p", 2: "c", 3: "k", 4: "t"}
AMOUNT_FACTOR = {"p": 3.0, "c": 1.0, "k": 0.45, "t": 0.2}
# Domains partly paid from the government-fund budget (国有土地使用权出让收入 for towns and infrastructure, 彩票公益金
# for welfare and sport): the share of their projects, and the functional class they then carry.
FUND_DOMAINS = {
    "0701": (0.45, "2120803", "城市建设支出"), "0702": (0.15, "2120803", "城市建设支出"),
    "0703": (0.3, "2120803", "城市建设支出"), "0704": (0.2, "2120803", "城市建设支出"),
    "0705": (0.35, "2120803", "城市建设支出"), "1402": (0.8, "2120802", "土地开发支出"),
    "1501": (0.3, "2120810", "保障性安居工程支出"), "1502": (0.3, "2120810", "保障性安居工程支出"),
    "1101": (0.15, "2140601", "车辆购置税用于公路等基础设施建设支出"),
    "2004": (0.2, "2120804", "农村基础设施建设支出"), "0403": (0.15, "2296002", "用于社会福利的彩票公益金支出"),
    "0404": (0.15, "2296006", "用于残疾人事业的彩票公益金支出"),
    "0304": (0.2, "2296003", "用于体育事业的彩票公益金支出"),
}
KIND_DIGIT = {SubjectKind.PROJECT: "1", SubjectKind.POLICY: "2", SubjectKind.DEPARTMENT_WIDE: "3",
              SubjectKind.UNIT_WIDE: "4", SubjectKind.TRANSFER_PAYMENT: "5"}
DEFINITION_FALLBACK = (
    "code", "name", "level1", "level2", "sector_id", "domain_id", "is_common", "explanation", "unit", "comparator",
    "direction", "is_quantitative", "value_basis", "formula", "data_source", "evidence_type", "scoring_rule",
    "reference_value", "source_document",
)
IMPORTED_AT = (1, 20, 9, 30)  # month, day, hour, minute of the (synthetic) import from the integrated budget system


class RegionExistsError(Exception):
    """The region to generate is already in the database."""


@dataclass
class GenerationResult:
    scale: str
    seed: int
    year: int
    through_month: int
    region: Region  # the region generated: the city, the province or the town
    counts: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def default_through_month(year: int, today: date | None = None) -> int:
    """How many months of execution exist on `today`: all twelve for a past year, none for a future one."""
    today = today or timezone.localdate()
    if year < today.year:
        return 12
    if year > today.year:
        return 0
    return today.month


@cache
def _segment_pinyin(segment: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(segment, style=Style.TONE3, errors="default"))


def _fast_sort_key(name: str) -> str:
    """`pinyin_sort_key` computed segment by segment with a cache: pypinyin converts each segment of its own word
    segmentation independently, so joining the cached conversions of the same segments gives the same key, five
    times faster (names share 中学, 维修改造, 项目...)."""
    segments = _pinyin_engine.seg(name or "")
    return " ".join(chain.from_iterable(_segment_pinyin(s) for s in segments)).lower()[:200]


_checked = 0
_fast_ok = _pinyin_engine is not None


@lru_cache(maxsize=400_000)
def sort_key(name: str) -> str:
    """The sort key `save()` would store (`pinyin_sort_key`); the first names are checked against it, and any
    difference switches back to the exact function for good."""
    global _checked, _fast_ok
    if not _fast_ok:
        return pinyin_sort_key(name)
    key = _fast_sort_key(name)
    if _checked < 500:
        _checked += 1
        if key != pinyin_sort_key(name):
            logger.warning("fast pinyin sort key differs for %r; using pinyin_sort_key", name)
            _fast_ok = False
            return pinyin_sort_key(name)
    return key


def generate_region(scale: str = "city", seed: int = 1, year: int = 2026, progress: Progress | None = None, *,
                    through_month: int | None = None, batch_size: int = 2000, policy_profile: bool = True,
                    actor=None, as_of: date | None = None) -> GenerationResult:
    """Generate one synthetic region (and its parents where missing) in one transaction.

    Raises RegionExistsError if the region's code is taken. `progress(stage, done, total)` is called as work goes
    on. `as_of` is the day the data describes (goal sheets and assessments still under review count back from it;
    default `goals.default_as_of`: today, or 31 December of a past year). After the commit, the indicator search
    index is rebuilt and (city scale) the year's policy profile created from the "national_2020" preset, when those
    services exist."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    through = default_through_month(year) if through_month is None else through_month
    if not 0 <= through <= 12:
        raise ValueError("through_month must be between 0 and 12")
    started = time.perf_counter()
    generator = _Generator(scale, seed, year, through, progress, batch_size)
    generator.as_of = as_of or demo_goals.default_as_of(year)
    with transaction.atomic():
        generator.run()
    rebuild_indicator_index()
    if policy_profile and scale == "city":
        ensure_policy_profile(generator.top, year, actor=actor)
    return GenerationResult(scale=scale, seed=seed, year=year, through_month=through, region=generator.top,
                            counts=generator.counts, seconds=time.perf_counter() - started)


# ---------------------------------------------------------------------------------------------------------------------
# Optional services of other apps


def rebuild_indicator_index() -> bool:
    try:
        from jixiao.indicators.services import indicator_index_rebuild
    except ImportError:
        logger.info("indicator search index: jixiao.indicators.services.indicator_index_rebuild not available, skipped")
        return False
    try:
        _call_with(indicator_index_rebuild, {"actor": None, "user": None})
    except Exception:  # the data is committed; a failed index rebuild must not lose it
        logger.exception("indicator search index rebuild failed")
        return False
    return True


def ensure_policy_profile(region: Region, year: int, *, actor=None, preset: str = "national_2020") -> bool:
    """The region's policy profile for the year from a preset, unless one exists or the service is not there."""
    from jixiao.policy.models import PolicyProfile

    try:
        from jixiao.policy.services import profile_create_from_preset
    except ImportError:
        logger.info("policy profile: jixiao.policy.services.profile_create_from_preset not available, skipped")
        return False
    if PolicyProfile.objects.filter(region=region, fiscal_year=year).exists():
        return False
    values = {"actor": actor, "user": getattr(actor, "user", actor), "region": region, "fiscal_year": year,
              "year": year, "preset": preset, "preset_name": preset, "preset_key": preset, "key": preset,
              "comment": "演示数据：按预设生成"}
    try:
        _call_with(profile_create_from_preset, values)
    except Exception:
        logger.exception("policy profile from preset %s for %s %s failed", preset, region, year)
        return False
    return True


def _call_with(func, values: dict):
    """Call a service whose exact signature is not known yet, passing the arguments it names."""
    import inspect

    params = inspect.signature(func).parameters
    kwargs, args = {}, []
    for name, param in params.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if name in values:
            if param.kind is param.POSITIONAL_ONLY:
                args.append(values[name])
            else:
                kwargs[name] = values[name]
        elif param.default is param.empty:
            raise TypeError(f"{func.__qualname__}: cannot supply argument {name!r}")
    return func(*args, **kwargs)


# ---------------------------------------------------------------------------------------------------------------------
# Plans and drafts


@dataclass
class _RegionPlan:
    region: Region
    level: str  # p c k t
    short: str  # 通辽 for 通辽市 (names like 通辽职业学院)
    towns: list[str]
    units: int | None  # target number of units, None for whatever the templates give
    subjects: int
    library: int  # specific indicators of the region's own library


@dataclass
class _UnitInfo:
    unit: Unit
    domains: tuple[str, ...]
    is_office: bool  # the department's own office (本级)


@dataclass
class _DeptInfo:
    department: Department
    template: DepartmentTemplate
    units: list[_UnitInfo]
    weight: float = 1.0

    @property
    def office(self) -> _UnitInfo:
        return self.units[0]


@dataclass
class _SubjectDraft:
    subject: PerformanceSubject
    dept: _DeptInfo
    unit: _UnitInfo | None
    flags: str
    domain: Domain | None


# Running projects every unit has (运转类项目, flag Y; 人员类, flag E), named after the unit.
GENERIC_PROJECTS = tuple(Template(*t.split("@")) for t in (
    "{unit}物业管理服务@VY", "{unit}安保服务@VY", "{unit}信息系统运行维护@VY", "{unit}办公设备购置@CY",
    "{unit}业务用房维修改造@CY", "{unit}聘用人员经费@E", "{unit}专项业务工作经费@Y", "{unit}档案数字化整理@VY",
    "{unit}公务用车运行维护@Y", "{unit}党建工作经费@Y", "{unit}法律顾问服务@VY", "{unit}网络安全等级保护测评@VY",
))


@cache
def _project_pool(code: str) -> tuple[tuple[Template, ...], tuple[int, ...]]:
    """A domain's project templates: the written ones (weight 3), those made from its assets, works and people, and
    the running projects of every unit (weight 1)."""
    domain = vocab.domains()[code]
    templates = list(domain.projects)
    weights = [3] * len(templates)
    templates += GENERIC_PROJECTS
    weights += [0.5] * len(GENERIC_PROJECTS)
    for asset, _unit, verbs in domain.assets:
        for verb in verbs:
            templates.append(Template(f"{{unit}}{asset}{verb}项目", "C"))
            weights.append(1)
    for work, _unit in domain.works:
        templates.append(Template(f"{work}经费", "V"))
        weights.append(1)
    for verb, group in domain.people:  # only where "<group><verb>项目" reads naturally (学生资助项目, 农牧民培训项目)
        if verb in library.SUBSIDY_VERBS or verb == "培训":
            templates.append(Template(f"{group}{verb}项目", ""))
            weights.append(1)
    return tuple(templates), tuple(weights)


def _split(total: int, weights: list[float], quantum: int = 100) -> list[int]:
    """Split `total` fen by weights in multiples of `quantum` (1 yuan), the last part taking the rest."""
    if not weights:
        return []
    s = sum(weights)
    parts = [int(total * w / s) // quantum * quantum for w in weights[:-1]]
    parts.append(total - sum(parts))
    return parts


def _version_data(ind: Indicator, sector_names: dict[int, str]) -> dict:
    """The frozen definition of an indicator, as `jixiao.indicators.services.version_data` makes it (used when that
    module is not importable)."""
    try:
        from jixiao.indicators.rules import DEFINITION_FIELDS
    except ImportError:
        DEFINITION_FIELDS = DEFINITION_FALLBACK  # noqa: N806
    data = to_jsonable({f: getattr(ind, f) for f in DEFINITION_FIELDS})
    data["sector_name"] = sector_names.get(ind.sector_id, "") if ind.sector_id else ""
    data["domain_name"] = sector_names.get(ind.domain_id, "") if ind.domain_id else ""
    data["region_id"] = ind.region_id
    return data


class _Generator:
    def __init__(self, scale: str, seed: int, year: int, through: int, progress: Progress | None, batch_size: int):
        self.scale, self.seed, self.year, self.through = scale, seed, year, through
        self.progress_cb = progress
        self.batch_size = batch_size
        self.counts: Counter = Counter()
        self.top: Region | None = None
        self.sector_of: dict[str, Sector] = {}
        self.as_of: date = demo_goals.default_as_of(year)
        self.pools: dict[int, demo_goals.LibraryPool] = {}  # region id → its library by domain and level
        self.marks: dict[int, str] = {}  # subject id → "none"/"draft": what the demo unit login finds

    # -- helpers -----------------------------------------------------------------------------------------------------
    def rng(self, *keys) -> random.Random:
        return random.Random("|".join(str(k) for k in (self.seed, self.year, *keys)))

    def progress(self, stage: str, done: int, total: int) -> None:
        if self.progress_cb:
            self.progress_cb(stage, done, total)

    def bulk(self, model, objs: list) -> list:
        if objs:
            model.objects.bulk_create(objs, batch_size=self.batch_size)
            self.counts[model._meta.label] += len(objs)
        return objs

    def insert_rows(self, model, columns: list[str], rows: list[tuple]) -> None:
        """Insert plain rows (values already in database form, money in fen) into a model's table: for the millions of
        budget lines and execution records, building model instances would dominate the run. COPY on PostgreSQL, one
        executemany elsewhere. Columns the model does not have are dropped; columns it has that the rows do not give
        take their default (or NULL, or ""); anything else falls back to bulk_create."""
        if not rows:
            return
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        keep = [i for i, c in enumerate(columns) if any(f.attname == c for f in fields)]
        extra, extra_values = [], []
        for f in fields:
            if f.attname in columns:
                continue
            if f.has_default():
                value = f.get_db_prep_save(f.get_default(), connection)
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = f.get_db_prep_save(timezone.now(), connection)
            elif f.null:
                value = None
            elif f.blank and f.get_internal_type() in ("CharField", "TextField"):
                value = ""
            else:
                logger.warning("%s.%s has no default; inserting with bulk_create", model._meta.label, f.attname)
                self._bulk_rows(model, columns, rows)
                return
            extra.append(f.attname)
            extra_values.append(value)
        if len(keep) != len(columns) or extra:
            tail = tuple(extra_values)
            rows = [tuple(row[i] for i in keep) + tail for row in rows]
            columns = [columns[i] for i in keep] + extra
        qn = connection.ops.quote_name
        table = qn(model._meta.db_table)
        cols = ", ".join(qn(c) for c in columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                for start in range(0, len(rows), 50_000):
                    # table and column names come from the model's metadata, quoted; values are parameters
                    sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608
                    cursor.executemany(sql, rows[start:start + 50_000])
        self.counts[model._meta.label] += len(rows)

    def _bulk_rows(self, model, columns: list[str], rows: list[tuple]) -> None:
        fields = {f.attname: f for f in model._meta.concrete_fields}
        money = {c for c in columns if isinstance(fields.get(c), MoneyField)}
        objs = []
        for row in rows:
            values = {c: (Money(v) if c in money and isinstance(v, int) else v)
                      for c, v in zip(columns, row, strict=True) if c in fields}
            objs.append(model(**values))
        self.bulk(model, objs)

    # -- the run -----------------------------------------------------------------------------------------------------
    def run(self) -> None:
        month, day, hour, minute = IMPORTED_AT
        self.imported_at = datetime(self.year, month, day, hour, minute, tzinfo=timezone.get_current_timezone())
        self.fiscal_year, _ = FiscalYear.objects.get_or_create(
            year=self.year, defaults={"is_current": not FiscalYear.objects.filter(is_current=True).exists()})
        plans = {"town": self.plan_town, "city": self.plan_city, "province": self.plan_province}[self.scale]()
        self.ensure_common_indicators()  # may seed the indicators app's default sector tree first
        self.ensure_sectors()
        self.spending_standards()
        from jixiao.policy.selectors import effective_profile

        stage = demo_goals.GoalStage(self, effective_profile(self.top, self.year).params, self.as_of)
        total_subjects = sum(p.subjects for p in plans)
        done_subjects = 0
        for i, plan in enumerate(plans, start=1):
            depts = self.organisations(plan)
            drafts = self.subjects(plan, depts)
            if plan.library:
                self.indicator_library(plan, depts)
            pool = self.pools.get(plan.region.pk) or self.pools.get(plan.region.parent_id)
            stage.run(plan, drafts, pool, self.marks)
            self.progress(f"{plan.region.name} 绩效目标和事前评估", len(drafts), len(drafts))
            done_subjects += plan.subjects
            self.progress(f"{plan.region.name} 完成（{i}/{len(plans)} 个区划）", done_subjects, total_subjects)
        audit.record(actor=None, action="import", obj=None, region_id=self.top.pk,
                     object_repr=f"演示数据：{self.top.name}（{self.scale}）", after=dict(sorted(self.counts.items())),
                     comment=f"生成合成数据：scale={self.scale} seed={self.seed} year={self.year}")

    # -- regions -----------------------------------------------------------------------------------------------------
    def _refuse_existing(self, codes: list[str]) -> None:
        taken = list(Region.objects.filter(code__in=codes).values_list("code", "name")[:5])
        if taken:
            listed = "、".join(f"{code} {name}" for code, name in taken)
            raise RegionExistsError(f"区划已存在：{listed}。请使用空数据库，或先删除这些区划的数据。")

    def _region(self, code: str, name: str, bureau: str, level: int, parent: Region | None,
                existing_ok: bool) -> Region:
        if existing_ok:
            region = Region.objects.filter(code=code).first()
            if region is not None:
                return region
        region = Region(code=code, name=name, bureau_name=bureau, level=level, parent=parent)
        region.save()  # save() computes the path
        self.counts["organisations.Region"] += 1
        return region

    def _bulk_regions(self, rows: list[tuple[str, str, str]], level: int, parent: Region) -> list[Region]:
        objs = [Region(code=code, name=name, bureau_name=bureau, level=level, parent=parent)
                for code, name, bureau in rows]
        self.bulk(Region, objs)
        for obj in objs:  # what Region.save() would compute
            obj.path = f"{parent.path}{obj.pk}/"
        Region.objects.bulk_update(objs, ["path"], batch_size=self.batch_size)
        return objs

    def plan_city(self) -> list[_RegionPlan]:
        self._refuse_existing([CITY_CODE])
        code, name, bureau = vocab_orgs.PROVINCE
        province = self._region(code, name, bureau, Region.Level.PROVINCE, None, existing_ok=True)
        city_row = next(c for c in vocab_orgs.CITIES if c[0] == CITY_CODE)
        city = self._region(CITY_CODE, city_row[1], f"{city_row[1]}财政局", Region.Level.CITY, province,
                            existing_ok=False)
        self.top = city
        return [_RegionPlan(city, "c", city_row[2], [], CITY_UNITS, CITY_SUBJECTS,
                            CITY_LIBRARY - len(library.common_drafts()))]

    def plan_town(self) -> list[_RegionPlan]:
        self._refuse_existing([TOWN_CODE])
        parent = None
        for code, name, bureau, level in vocab_orgs.TOWN_REGIONS:
            parent = self._region(code, name, bureau, level, parent, existing_ok=code != TOWN_CODE)
        self.top = parent
        return [_RegionPlan(parent, "t", "清溪", [], TOWN_UNITS, TOWN_SUBJECTS,
                            TOWN_LIBRARY - len(library.common_drafts()))]

    def plan_province(self) -> list[_RegionPlan]:
        codes = [vocab_orgs.PROVINCE[0]] + [c[0] for c in vocab_orgs.CITIES]
        codes += [k[0] for c in vocab_orgs.CITIES for k in c[3]]
        self._refuse_existing(codes)
        rng = self.rng("province-plan")
        code, name, bureau = vocab_orgs.PROVINCE
        province = self._region(code, name, bureau, Region.Level.PROVINCE, None, existing_ok=False)
        self.top = province
        cities = self._bulk_regions([(c[0], c[1], f"{c[1]}财政局") for c in vocab_orgs.CITIES], Region.Level.CITY,
                                    province)
        plans = [_RegionPlan(province, "p", "内蒙古", [], None, PROVINCE_OWN_SUBJECTS, PROVINCE_LIBRARY)]
        county_rows = []
        for city, (ccode, _cname, short, counties) in zip(cities, vocab_orgs.CITIES, strict=True):
            size = 8494 if ccode == CITY_CODE else rng.randint(7200, 8400)
            units = CITY_UNITS if ccode == CITY_CODE else rng.randint(225, 262)
            plans.append(_RegionPlan(city, "c", short, [], units, PROVINCE_CITY_SUBJECTS, size))
            kids = self._bulk_regions([(k, n, f"{n}财政局") for k, n in counties], Region.Level.COUNTY, city)
            county_rows += kids
        left = PROVINCE_SUBJECTS - PROVINCE_OWN_SUBJECTS - PROVINCE_CITY_SUBJECTS * len(cities)
        weights = [rng.uniform(0.7, 1.3) for _ in county_rows]
        shares = [int(left * w / sum(weights)) for w in weights]
        for i in range(left - sum(shares)):
            shares[i % len(shares)] += 1
        for county, share in zip(county_rows, shares, strict=True):
            towns = rng.sample(vocab_orgs.TOWN_NAMES, rng.randint(6, 10))
            plans.append(_RegionPlan(county, "k", county.name, towns, rng.randint(170, 240), share, 0))
        return plans

    # -- sectors and the common indicators ---------------------------------------------------------------------------
    def ensure_sectors(self) -> None:
        """The 行业 → 领域 tree, merged by name into whatever tree exists (the indicators app seeds a default one), so
        that 教育 is one sector whoever created it first. New sectors and domains get free codes."""
        rows = list(Sector.objects.all())
        used = {s.code for s in rows}
        tops = {s.name: s for s in rows if s.parent_id is None}
        children = {(s.parent_id, s.name): s for s in rows if s.parent_id is not None}

        def free(candidate: str, prefix: str) -> str:
            if candidate not in used:
                return candidate
            return next(f"{prefix}{n:02d}" for n in range(1, 10_000) if f"{prefix}{n:02d}" not in used)

        self.sector_of = {}
        for code, name in vocab.sectors():
            sector = tops.get(name)
            if sector is None:
                sector = Sector(code=free(code, ""), name=name)
                self.bulk(Sector, [sector])
                used.add(sector.code)
                tops[name] = sector
            self.sector_of[code] = sector
        new = []
        for domain in vocab.domains().values():
            parent = self.sector_of[domain.sector_code]
            found = children.get((parent.pk, domain.name))
            if found is None:
                found = Sector(code=free(f"{parent.code}{domain.code[2:]}", parent.code), name=domain.name,
                               parent=parent)
                used.add(found.code)
                children[(parent.pk, domain.name)] = found
                new.append(found)
            self.sector_of[domain.code] = found
        self.bulk(Sector, new)
        self.sector_names = dict(Sector.objects.values_list("pk", "name"))

    def ensure_common_indicators(self) -> None:
        """The 44 common indicators of 财预〔2013〕53号 (45 rows, one an OCR fragment) in the national library, through
        the indicators app's idempotent loader when it is there (fed with the copy of the framework file shipped in
        this package, so no file outside the repository is needed), else written here with the same codes."""
        try:
            from jixiao.indicators.seed import load_common_indicators
        except ImportError:
            load_common_indicators = None
        if load_common_indicators is not None:
            try:
                with transaction.atomic():
                    result = load_common_indicators(path=library.COMMON_FRAMEWORK_FILE, with_sectors=True)
            except Exception:
                logger.exception("jixiao.indicators.seed.load_common_indicators failed; writing the common "
                                 "indicators here")
            else:
                self.counts["indicators.Indicator"] += result.created
                self.counts["indicators.IndicatorVersion"] += result.created + result.updated
                return
        drafts = library.common_drafts()
        have = set(Indicator.objects.filter(code__in=[c for c, _s, _d in drafts]).values_list("code", flat=True))
        rows = [Indicator(region=None, code=code, name=d.name, level1=d.level1, level2=d.level2, is_common=True,
                          explanation=d.explanation, unit=d.unit, comparator=d.comparator, direction=d.direction,
                          is_quantitative=d.is_quantitative, formula=d.formula, scoring_rule=d.scoring_rule,
                          source_document=source, status="active")
                for code, source, d in drafts if code not in have]
        self.bulk(Indicator, rows)
        self.versions(rows)

    def versions(self, indicators: list[Indicator]) -> None:
        """Version 1 of each indicator, frozen the way the indicators app freezes them (`version_data`)."""
        try:
            from jixiao.indicators.services import version_data
        except ImportError:
            version_data = _version_data
        names = getattr(self, "sector_names", None) or dict(Sector.objects.values_list("pk", "name"))
        data_field = IndicatorVersion._meta.get_field("data")
        postgres = connection.vendor == "postgresql"
        now = timezone.now()
        rows = []
        for ind in indicators:
            data = version_data(ind, names)
            data = json.dumps(data, ensure_ascii=False) if postgres else data_field.get_db_prep_save(data, connection)
            rows.append((ind.pk, 1, data, "演示数据生成", now, None))
        self.insert_rows(IndicatorVersion, ["indicator_id", "version", "data", "comment", "created_at",
                                            "created_by_id"], rows)

    # -- departments and units ---------------------------------------------------------------------------------------
    def organisations(self, plan: _RegionPlan) -> list[_DeptInfo]:
        rng = self.rng("orgs", plan.region.code)
        region = plan.region
        templates = vocab.town_department_templates() if plan.level == "t" else vocab.department_templates()
        names = {"r": region.name, "s": plan.short}
        groups: Counter = Counter()
        depts: list[_DeptInfo] = []
        candidates: list[tuple[int, str, tuple[str, ...], bool]] = []  # (dept index, name, domains, required)
        for template in templates:
            if plan.level not in template.levels:
                continue
            groups[template.group] += 1
            code = f"{template.group}{groups[template.group]:02d}"
            name_tpl = template.name_province if plan.level == "p" else template.name_local
            name = name_tpl.format(**names)
            dept = Department(region=region, code=code, name=name, sector=template.sector, sort_key=sort_key(name))
            depts.append(_DeptInfo(dept, template, [], weight=template.weight * rng.uniform(0.75, 1.25)))
            index = len(depts) - 1
            candidates.append((index, f"{name}本级", template.domains, True))
            for ut in template.units:
                if plan.level not in ut.levels:
                    continue
                if ut.count == "T":
                    items = [ut.text.format(t=town, n="", **names) for town in plan.towns]
                else:
                    items = [ut.text.format(n=chinese_number(i), t="", **names) for i in range(1, ut.count + 1)]
                for unit_name in items:
                    candidates.append((index, unit_name, ut.domains or template.domains, DEMO_SCHOOL in unit_name))
        if plan.level == "p":
            # A province's departments keep many more 事业单位 than a city's: one service centre per domain.
            taken = {c[1] for c in candidates}
            for index, dept in enumerate(depts):
                for code in dept.template.domains:
                    unit_name = f"{region.name}{vocab.domains()[code].name}服务中心"
                    if unit_name not in taken:
                        taken.add(unit_name)
                        candidates.append((index, unit_name, (code,), False))
        if plan.units is not None and len(candidates) > plan.units:
            optional = [i for i, c in enumerate(candidates) if not c[3]]
            drop = set(rng.sample(optional, min(len(optional), len(candidates) - plan.units)))
            candidates = [c for i, c in enumerate(candidates) if i not in drop]
        self.bulk(Department, [d.department for d in depts])
        units = []
        seq: Counter = Counter()
        for index, unit_name, domains, _required in candidates:
            info = depts[index]
            seq[index] += 1
            unit = Unit(department=info.department, region=region, code=f"{info.department.code}{seq[index]:03d}",
                        name=unit_name, sort_key=sort_key(unit_name))
            info.units.append(_UnitInfo(unit, tuple(domains), is_office=seq[index] == 1))
            units.append(unit)
        self.bulk(Unit, units)
        self.progress(f"{region.name} 部门和单位", len(units), len(units))
        return depts

    # -- subjects ----------------------------------------------------------------------------------------------------
    def subjects(self, plan: _RegionPlan, depts: list[_DeptInfo]) -> list[_SubjectDraft]:
        rng = self.rng("subjects", plan.region.code)
        factor = AMOUNT_FACTOR[plan.level]
        used: set[str] = set()
        drafts: list[_SubjectDraft] = []
        units_all = [u for d in depts for u in d.units if not u.is_office]
        unit_wide = rng.sample(units_all, min(len(units_all), round(len(units_all) * 0.25),
                                              max(0, plan.subjects // 20)))
        fixed = len(depts) + len(unit_wide)
        rest = max(0, plan.subjects - fixed)
        # Transfer payments and policies: each template at most once per region.
        n_transfers = self._allocate_named(rng, plan, depts, "transfers", round(rest * 0.03), used, drafts, factor)
        n_policies = self._allocate_named(rng, plan, depts, "policies", round(rest * 0.06), used, drafts, factor)
        self._projects(rng, plan, depts, rest - n_transfers - n_policies, used, drafts, factor)
        # Unit-wide and department-wide spending: the unit's (department's) project money plus its basic spending.
        per_unit: Counter = Counter()
        per_dept: Counter = Counter()
        for d in drafts:
            s = d.subject
            if s.budget_kind in (BudgetKind.GENERAL_PUBLIC, BudgetKind.GOVERNMENT_FUND):
                per_dept[id(d.dept)] += s.annual_amount.fen
                if d.unit is not None:
                    per_unit[id(d.unit)] += s.annual_amount.fen
        basic = {id(u): self._basic_spending(rng, factor) for dept in depts for u in dept.units}
        for u in unit_wide:
            dept = next(d for d in depts if u in d.units)
            amount = per_unit[id(u)] + basic[id(u)]
            drafts.append(self._whole(rng, plan, dept, u, amount, used))
        for dept in depts:
            amount = per_dept[id(dept)] + sum(basic[id(u)] for u in dept.units)
            drafts.append(self._whole(rng, plan, dept, None, amount, used))
        self._assign_codes(plan, drafts)
        demo_goals.scope_kinds(self.rng("scope", plan.region.code), drafts, self.year)
        marks = self._demo_unit_projects(plan, drafts)
        subjects = [d.subject for d in drafts]
        self.bulk(PerformanceSubject, subjects)
        self.marks.update({s.pk: mark for s, mark in marks})
        self.progress(f"{plan.region.name} 项目库", len(subjects), plan.subjects)
        self._lines_and_execution(plan, drafts)
        return drafts

    def _demo_unit_projects(self, plan: _RegionPlan, drafts: list[_SubjectDraft]) -> list[tuple]:
        """The demo unit login (通辽市第五中学) must find a new project without a goal sheet and one with a draft
        sheet: its first two projects (by code) become new drafts, not yet imported nor spending."""
        if plan.region.code != CITY_CODE:
            return []
        ours = [d for d in drafts if d.unit is not None and DEMO_SCHOOL in d.unit.unit.name
                and d.subject.kind == SubjectKind.PROJECT and not d.subject.is_classified]
        ours.sort(key=lambda d: d.subject.code)
        out = []
        for d, mark in zip(ours[:2], ("none", "draft"), strict=False):
            s = d.subject
            s.state, s.imported_at, s.adjusted_amount = SubjectState.DRAFT, None, None
            s.is_new, s.scope_kind = True, ScopeKind.NEW
            out.append((s, mark))
        return out

    def spending_standards(self) -> None:
        """A few ILLUSTRATIVE spending standards (名称以“示例”开头), from the costs app's example seed, for the
        top region, so that cost rows of goal sheets have something to be checked against."""
        try:
            from jixiao.costs.management.commands.seed_spending_standards import EXAMPLES, SOURCE
            from jixiao.costs.models import SpendingStandard
        except ImportError:
            return
        from decimal import Decimal

        rows = [SpendingStandard(region=self.top, code=code, name=name, output_unit=unit,
                                 amount=Money.from_yuan(Decimal(amount)), category=category, sector=sector,
                                 keywords=keywords, valid_from=self.year - 2, source=SOURCE, is_active=True)
                for code, name, unit, amount, category, sector, keywords in EXAMPLES]
        self.bulk(SpendingStandard, rows)

    def _basic_spending(self, rng: random.Random, factor: float) -> int:
        """Personnel and running costs of one unit (基本支出), fen."""
        yuan = 1_800_000 * factor * math.exp(rng.gauss(0, 0.8))
        return int(round(yuan, -4)) * 100

    def _allocate_named(self, rng, plan, depts, attr: str, wanted: int, used, drafts, factor) -> int:
        kind = SubjectKind.TRANSFER_PAYMENT if attr == "transfers" else SubjectKind.POLICY
        offers = []  # (dept, domain, template)
        for dept in depts:
            for code in dept.template.domains:
                domain = vocab.domains()[code]
                offers += [(dept, domain, t) for t in getattr(domain, attr)]
        rng.shuffle(offers)
        made = 0
        for dept, domain, template in offers:
            if made >= wanted:
                break
            name = self._render(template.text, plan, dept.department.name)
            if kind == SubjectKind.TRANSFER_PAYMENT and "{year}" not in template.text:
                name = f"{self.year}年{name}"
            if name in used:
                continue
            used.add(name)
            drafts.append(self._draft(rng, plan, dept, None, domain, template, name, kind, factor))
            made += 1
        return made

    def _capacity(self, dept: _DeptInfo) -> int:
        total = 0
        for code in dept.template.domains:
            templates, _w = _project_pool(code)
            units = sum(1 for u in dept.units if code in u.domains) or 1
            total += sum(units if "{unit}" in t.text else 1 for t in templates)
        return total

    def _projects(self, rng, plan, depts, count: int, used, drafts, factor) -> None:
        # Shares by weight, capped by what a department can plausibly declare; the excess goes to the others.
        caps = [max(1, int(self._capacity(d) * 0.7)) for d in depts]
        shares = [0] * len(depts)
        open_ = list(range(len(depts)))
        left = count
        while left > 0 and open_:
            total_w = sum(depts[i].weight for i in open_)
            given = 0
            for i in open_:
                give = min(caps[i] - shares[i], max(1, int(left * depts[i].weight / total_w)))
                give = min(give, left - given)
                shares[i] += give
                given += give
            left -= given
            open_ = [i for i in open_ if shares[i] < caps[i]]
            if given == 0:
                break
        if left > 0:  # every department is full: the rest by weight regardless (names get phases: 二期, 三期)
            total_w = sum(d.weight for d in depts)
            extra = [int(left * d.weight / total_w) for d in depts]
            extra[max(range(len(depts)), key=lambda i: depts[i].weight)] += left - sum(extra)
            shares = [a + b for a, b in zip(shares, extra, strict=True)]
        office_share = 0.15 if plan.level == "p" else 0.3
        for dept, share in zip(depts, shares, strict=True):
            others = [u for u in dept.units if not u.is_office]
            for _ in range(share):
                unit = dept.office if not others or rng.random() < office_share else rng.choice(others)
                domain_codes = [c for c in unit.domains if c in vocab.domains()] or list(dept.template.domains)
                owner = dept.department.name if unit.is_office else unit.unit.name
                tried = []
                for _attempt in range(8):
                    domain = vocab.domains()[rng.choice(domain_codes)]
                    templates, weights = _project_pool(domain.code)
                    template = rng.choices(templates, weights)[0]
                    name = self._render(template.text, plan, owner)
                    if "{year}" not in template.text and rng.random() < 0.15:
                        name = f"{self.year}年{name}"
                    if name not in used:
                        break
                    tried.append((name, domain, template))
                else:
                    # Taken everywhere: name it after the unit, as many real projects are; phases only at last.
                    year_prefix = f"{self.year}年"
                    for candidate in tried:
                        name, domain, template = candidate  # the draft takes the domain and flags of the name
                        if owner not in name:
                            bare = name.removeprefix(year_prefix)
                            name = (year_prefix if bare != name else "") + owner + bare
                        if name not in used:
                            break
                    else:
                        name, domain, template = tried[0]
                        base, k = name, 2
                        while name in used:
                            name = f"{base}（{chinese_number(k)}期）"
                            k += 1
                used.add(name)
                drafts.append(self._draft(rng, plan, dept, unit, domain, template, name, SubjectKind.PROJECT, factor))

    def _render(self, text: str, plan: _RegionPlan, owner: str) -> str:
        return (text.replace("{unit}", owner).replace("{r}", plan.region.name).replace("{s}", plan.short)
                .replace("{year}", str(self.year)))[:200]

    def _draft(self, rng, plan, dept: _DeptInfo, unit: _UnitInfo | None, domain: Domain, template: Template,
               name: str, kind: str, factor: float) -> _SubjectDraft:
        flags = template.flags
        year = self.year
        # budget and special category
        bond = "B" in flags and rng.random() < 0.5
        fund = FUND_DOMAINS.get(domain.code)
        from_fund = fund is not None and kind == SubjectKind.PROJECT and rng.random() < fund[0]
        if "I" in flags:
            budget_kind = BudgetKind.SOCIAL_INSURANCE
        elif "S" in flags:
            budget_kind = BudgetKind.STATE_CAPITAL
        elif "F" in flags or bond or from_fund:
            budget_kind = BudgetKind.GOVERNMENT_FUND
        else:
            budget_kind = BudgetKind.GENERAL_PUBLIC
        roll = rng.random()
        if "N" in flags:
            special = SpecialCategory.INVESTMENT_FUND
        elif "P" in flags and roll < 0.4:
            special = SpecialCategory.PPP
        elif bond:
            special = SpecialCategory.SPECIAL_BOND
        elif "V" in flags and roll < 0.4:
            special = SpecialCategory.PURCHASE_OF_SERVICES
        elif "C" in flags and roll < 0.35:
            special = SpecialCategory.PROCUREMENT
        else:
            special = SpecialCategory.NONE
        # new or continuing, dates
        if kind == SubjectKind.POLICY:
            is_new = rng.random() < 0.2
            start = date(year - (0 if is_new else rng.randint(1, 4)), 1, 1)
            end = date(year + rng.randint(0, 4), 12, 31)
        elif kind == SubjectKind.TRANSFER_PAYMENT:
            is_new = rng.random() < 0.15
            start, end = date(year, 1, 1), date(year, 12, 31)
        else:
            is_new = rng.random() < 0.4
            if is_new:
                start = date(year, rng.choice((1, 1, 1, 1, 2, 3, 4, 5, 6)), 1)
            else:
                start = date(year - rng.randint(1, 4), rng.randint(1, 12), 1)
            years = rng.randint(1, 3) if "M" in flags else (rng.choice((0, 0, 0, 1)) if not is_new else 0)
            end = date(max(year, start.year) + years, 12, 31)
        # amounts
        annual = self._amount(rng, kind, flags, factor)
        span = end.year - start.year + 1
        total = annual if span == 1 else int(round(annual * span * rng.uniform(0.8, 1.2), -6))
        state = self._state(rng, kind, flags)
        adjusted = None
        if state == SubjectState.APPROVED and rng.random() < 0.12:
            adjusted = int(round(annual * rng.uniform(0.7, 1.15), -4))
        func_code, func_name = rng.choice(domain.func) if domain.func else ("", "")
        if from_fund:
            func_code, func_name = fund[1], fund[2]
        classified = "X" in flags and rng.random() < 0.35 or ("机要和保密" in dept.department.name and
                                                              rng.random() < 0.5)
        research = "R" in flags and rng.random() < 0.8
        category = (ProjectCategory.PERSONNEL if "E" in flags else ProjectCategory.OPERATION if "Y" in flags
                    else ProjectCategory.SPECIFIC)
        owner = dept.department.name if unit is None or unit.is_office else unit.unit.name
        purpose = rng.choice(("保障{d}工作顺利开展", "推动{d}领域重点任务落实", "提升{d}公共服务水平",
                              "落实上级关于{d}的政策要求", "补齐{d}领域短板弱项")).format(d=domain.name)
        description = (f"由{owner}组织实施，属于{domain.sector_name}行业{domain.name}领域"
                       f"{'新增' if is_new else '延续'}{SubjectKind(kind).label}，主要用于{purpose}；"
                       f"实施期{start.year}年{start.month}月至{end.year}年{end.month}月。")
        subject = PerformanceSubject(
            region=plan.region, department=dept.department, unit=unit.unit if unit else None,
            fiscal_year=self.fiscal_year, code="", name=name, sort_key=sort_key(name), kind=kind,
            budget_kind=budget_kind, special_category=special, is_new=is_new, start_date=start, end_date=end,
            functional_class=func_code, functional_class_name=func_name, sector=domain.sector_name,
            description=description, annual_amount=Money(annual), total_amount=Money(total),
            adjusted_amount=Money(adjusted) if adjusted is not None else None, is_classified=bool(classified),
            classified_reason=rng.choice(vocab_orgs.CLASSIFIED_REASONS) if classified else "",
            classified_filed_at=date(year, 1, rng.randint(5, 28)) if classified else None,
            is_research=research, state=state, project_category=category,
            imported_at=self.imported_at if state == SubjectState.APPROVED else None,
        )
        return _SubjectDraft(subject, dept, unit, flags, domain)

    def _whole(self, rng, plan, dept: _DeptInfo, unit: _UnitInfo | None, amount: int, used) -> _SubjectDraft:
        kind = SubjectKind.UNIT_WIDE if unit else SubjectKind.DEPARTMENT_WIDE
        owner = unit.unit.name if unit else dept.department.name
        name = f"{owner}{self.year}年{'单位' if unit else '部门'}整体支出"
        used.add(name)
        domain = vocab.domains()[(unit.domains if unit else dept.template.domains)[0]]
        func_code, func_name = domain.func[0] if domain.func else ("", "")
        state = SubjectState.APPROVED if rng.random() < 0.95 else SubjectState.DEPARTMENT_APPROVED
        if not unit:  # a department's whole budget is approved with the budget (the draw keeps the stream)
            state = SubjectState.APPROVED
        amount = max(amount, 100)
        subject = PerformanceSubject(
            region=plan.region, department=dept.department, unit=unit.unit if unit else None,
            fiscal_year=self.fiscal_year, code="", name=name, sort_key=sort_key(name), kind=kind,
            budget_kind=BudgetKind.GENERAL_PUBLIC, is_new=False, start_date=date(self.year, 1, 1),
            end_date=date(self.year, 12, 31), functional_class=func_code, functional_class_name=func_name,
            sector=dept.template.sector,
            description=f"{owner}{self.year}年度全部收支，包括基本支出和项目支出，按部门预算批复口径填报。",
            annual_amount=Money(amount), total_amount=Money(amount), state=state,
            imported_at=self.imported_at if state == SubjectState.APPROVED else None,
        )
        return _SubjectDraft(subject, dept, unit, "", domain)

    def _amount(self, rng: random.Random, kind: str, flags: str, factor: float) -> int:
        """A budget amount in fen, log-normal: many between 5万 and 200万, some above 500万, a few above 1亿."""
        if "I" in flags:
            median, sigma = (1.5e9, 0.5) if "H" in flags else (1.2e8, 0.8)
        elif "S" in flags:
            median, sigma = (1.5e8, 0.6) if "H" in flags else (8e6, 0.8)
        elif kind == SubjectKind.TRANSFER_PAYMENT:
            median, sigma = 1.2e7, 0.9
        elif kind == SubjectKind.POLICY:
            median, sigma = 3e6, 1.0
        elif "H" in flags:
            median, sigma = 4e7, 0.9
        elif "L" in flags:
            median, sigma = 6e6, 0.7
        elif "Y" in flags or "E" in flags:  # running projects of a unit: small
            median, sigma = 1.2e5, 0.9
        else:
            median, sigma = 4e5, 1.1
        yuan = max(10_000.0, median * factor * math.exp(rng.gauss(0, sigma)))
        if not set(flags) & set("ISHLN") and kind == SubjectKind.PROJECT:
            yuan = min(yuan, (3e6 if ("Y" in flags or "E" in flags) else 1.5e7) * factor)
        roll = rng.random()
        if roll < 0.6:
            fen = int(round(yuan, -3)) * 100
        elif roll < 0.9:
            fen = int(round(yuan, -2)) * 100
        elif roll < 0.97:
            fen = int(round(yuan)) * 100
        else:
            fen = int(round(yuan * 100))
        return fen

    def _state(self, rng: random.Random, kind: str, flags: str) -> str:
        r = rng.random()
        if kind == SubjectKind.TRANSFER_PAYMENT or "I" in flags or "S" in flags:
            return SubjectState.APPROVED if r < 0.95 else SubjectState.DEPARTMENT_APPROVED
        for limit, state in ((0.84, SubjectState.APPROVED), (0.87, SubjectState.DEPARTMENT_APPROVED),
                             (0.92, SubjectState.SUBMITTED), (0.98, SubjectState.DRAFT)):
            if r < limit:
                return state
        return SubjectState.RETURNED

    def _assign_codes(self, plan: _RegionPlan, drafts: list[_SubjectDraft]) -> None:
        """22-digit project codes: 区划 + 立项年度(2) + 部门(3) + 单位(3) + 类型(1) + 顺序号, grouped by department."""
        order = sorted(range(len(drafts)), key=lambda i: (drafts[i].dept.department.code,
                                                          drafts[i].unit.unit.code if drafts[i].unit else "",
                                                          KIND_DIGIT[drafts[i].subject.kind], i))
        for serial, i in enumerate(order, start=1):
            d = drafts[i]
            s = d.subject
            unit_part = d.unit.unit.code[-3:] if d.unit else "000"
            prefix = (f"{plan.region.code}{s.start_date.year % 100:02d}{d.dept.department.code}{unit_part}"
                      f"{KIND_DIGIT[s.kind]}")
            s.code = f"{prefix}{serial:0{22 - len(prefix)}d}"

    # -- budget lines and execution ----------------------------------------------------------------------------------
    LINE_COLUMNS = ["subject_id", "line_code", "functional_class", "functional_class_name", "economic_class",
                    "economic_class_name", "fund_source", "initial_amount", "adjusted_amount", "payment_blocked"]
    EXECUTION_COLUMNS = ["subject_id", "year", "month", "amount"]

    def _lines_and_execution(self, plan: _RegionPlan, drafts: list[_SubjectDraft]) -> None:
        """Budget lines (amounts in fen, as MoneyField stores them) and monthly execution of every subject."""
        rng = self.rng("money", plan.region.code)
        lines: list[tuple] = []
        records: list[tuple] = []
        line_seq = 0
        region_code = plan.region.code[:6]
        year, through = self.year, self.through
        for d in drafts:
            s = d.subject
            annual = s.annual_amount.fen
            current = s.adjusted_amount.fen if s.adjusted_amount is not None else annual
            econ = self._economic_classes(rng, s.kind, d.flags)
            weights = [rng.uniform(0.5, 1.5) for _ in econ]
            initial = _split(annual, weights)
            adjusted = _split(current, weights)
            source = self._fund_source(rng, s)
            for (code, label), a, b in zip(econ, initial, adjusted, strict=True):
                line_seq += 1
                lines.append((s.pk, f"{region_code}{year}{line_seq:08d}", s.functional_class,
                              s.functional_class_name, code, label, source, a, b, rng.random() < 0.01))
            months = self._monthly(rng, s, d.flags, current)
            for month, fen in enumerate(months, start=1):
                if fen and month <= through:
                    records.append((s.pk, year, month, fen))
        self.insert_rows(BudgetLine, self.LINE_COLUMNS, lines)
        self.insert_rows(ExecutionRecord, self.EXECUTION_COLUMNS, records)
        self.progress(f"{plan.region.name} 预算指标和执行", len(lines) + len(records), len(lines) + len(records))

    ECONOMIC = {
        "basic": [("30101", "基本工资"), ("30102", "津贴补贴"), ("30108", "机关事业单位基本养老保险缴费"),
                  ("30201", "办公费"), ("30211", "差旅费"), ("30228", "工会经费")],
        "goods": [("30201", "办公费"), ("30211", "差旅费"), ("30213", "维修(护)费"), ("30215", "会议费"),
                  ("30216", "培训费"), ("30226", "劳务费"), ("30299", "其他商品和服务支出")],
        "service": [("30227", "委托业务费"), ("30299", "其他商品和服务支出"), ("30226", "劳务费")],
        "capital": [("31002", "办公设备购置"), ("31003", "专用设备购置"), ("31005", "基础设施建设"),
                    ("31006", "大型修缮"), ("31007", "信息网络及软件购置更新")],
        "people": [("30305", "生活补助"), ("30306", "救济费"), ("30308", "助学金"), ("30309", "奖励金"),
                   ("30399", "其他对个人和家庭的补助")],
        "enterprise": [("31201", "资本金注入"), ("31204", "费用补贴"), ("31299", "其他对企业补助")],
        "insurance": [("30302", "退休费"), ("30399", "其他对个人和家庭的补助")],
    }

    def _economic_classes(self, rng, kind: str, flags: str) -> list[tuple[str, str]]:
        if kind in (SubjectKind.DEPARTMENT_WIDE, SubjectKind.UNIT_WIDE):
            return rng.sample(self.ECONOMIC["basic"], 3) + rng.sample(self.ECONOMIC["goods"], rng.randint(1, 2))
        if "I" in flags:
            group = "insurance"
        elif "S" in flags or "N" in flags:
            group = "enterprise"
        elif "C" in flags or "L" in flags or "H" in flags:
            group = "capital"
        elif "V" in flags:
            group = "service"
        elif kind in (SubjectKind.POLICY, SubjectKind.TRANSFER_PAYMENT):
            group = "people"
        else:
            group = rng.choice(("goods", "goods", "people", "capital"))
        n = rng.choices((1, 2, 3, 4), (50, 30, 15, 5))[0]
        pool = self.ECONOMIC[group]
        return rng.sample(pool, min(n, len(pool)))

    def _fund_source(self, rng, s: PerformanceSubject) -> str:
        if s.budget_kind == BudgetKind.SOCIAL_INSURANCE:
            return "社会保险基金"
        if s.budget_kind == BudgetKind.STATE_CAPITAL:
            return "国有资本经营预算资金"
        if s.special_category == SpecialCategory.SPECIAL_BOND:
            return "地方政府专项债券资金"
        if s.budget_kind == BudgetKind.GOVERNMENT_FUND:
            return "政府性基金预算资金"
        if s.kind == SubjectKind.TRANSFER_PAYMENT:
            return rng.choice(("中央转移支付资金", "自治区转移支付资金"))
        return rng.choice(("本级财力安排", "本级财力安排", "本级财力安排", "上级补助资金", "上年结转资金"))

    def _monthly(self, rng: random.Random, s: PerformanceSubject, flags: str, current: int) -> list[int]:
        """Twelve monthly payments in fen (all drawn, whatever `through_month` keeps). Only approved subjects spend;
        a sixth of projects run well behind schedule; construction pays late, subsidies in lumps."""
        if s.state != SubjectState.APPROVED or current <= 0:
            return []
        first = s.start_date.month if s.start_date.year == self.year else 1
        months = list(range(first, 13))
        kind = s.kind
        if kind in (SubjectKind.DEPARTMENT_WIDE, SubjectKind.UNIT_WIDE) or "I" in flags:
            share = rng.uniform(0.92, 0.995)
            weights = {m: rng.uniform(0.85, 1.15) * (1.4 if m == 12 else 1.0) for m in months}
        else:
            behind = rng.random() < 0.16
            share = rng.uniform(0.15, 0.55) if behind else rng.uniform(0.7, 1.0)
            if kind == SubjectKind.POLICY:
                pay = [m for m in rng.choice(((3, 6, 9, 12), (3, 9), (6, 12), (1, 4, 7, 10))) if m >= first]
            elif kind == SubjectKind.TRANSFER_PAYMENT:
                pay = sorted(rng.sample(months, min(len(months), rng.randint(2, 4))))
            elif "C" in flags or "L" in flags or "H" in flags:
                late = [m for m in months if m >= min(12, first + 2)] or months
                pay = sorted(rng.sample(late, min(len(late), rng.randint(3, 7))))
            else:
                pay = sorted(rng.sample(months, min(len(months), rng.randint(2, 8))))
            pay = pay or [12]
            weights = {m: rng.uniform(0.5, 1.5) * (1 + m / 8) * (1.6 if m == 12 else 1.0) for m in pay}
        total = int(current * share) // 100 * 100
        ordered = sorted(weights)
        amounts = _split(total, [weights[m] for m in ordered])
        out = [0] * 12
        for m, fen in zip(ordered, amounts, strict=True):
            out[m - 1] = max(fen, 0)
        return out

    # -- the indicator library ---------------------------------------------------------------------------------------
    def indicator_library(self, plan: _RegionPlan, depts: list[_DeptInfo]) -> None:
        rng = self.rng("library", plan.region.code)
        region = plan.region
        entries = library.build_library(rng, plan.library, region.name, self.year)
        by_domain: dict[str, list[Department]] = {}
        for dept in depts:
            for code in dept.template.domains:
                by_domain.setdefault(code, []).append(dept.department)
        rows = []
        for i, e in enumerate(entries, start=1):
            d = e.draft
            owners = by_domain.get(e.domain.code)
            department = rng.choice(owners) if owners and rng.random() < 0.25 else None
            library_name = f"{department.name}部门指标库" if department else f"{region.name}预算绩效指标库"
            rows.append(Indicator(
                region=region, department=department, code=f"ZB{region.code}{i:06d}", name=d.name,
                level1=d.level1, level2=d.level2, sector=self.sector_of[e.domain.sector_code],
                domain=self.sector_of[e.domain.code], is_common=False, explanation=d.explanation, unit=d.unit,
                comparator=d.comparator, direction=d.direction, is_quantitative=d.is_quantitative,
                value_basis=e.value_basis, formula=d.formula, data_source=e.data_source,
                evidence_type=e.evidence_type, scoring_rule=d.scoring_rule, reference_value=e.reference_value,
                history=e.history, status=e.status, usage_count=e.usage_count,
                source_document=f"{library_name}（{e.domain.sector_name}·{e.domain.name}）"[:200],
            ))
        self.bulk(Indicator, rows)
        self.versions(rows)
        pool = self.pools[region.pk] = demo_goals.LibraryPool()
        for e, ind in zip(entries, rows, strict=True):
            if ind.status == "active":
                pool.add(e.domain.code, e.domain.sector_code, e.draft.level_key, demo_goals.LibIndicator(
                    ind.pk, ind.name, ind.level1, ind.level2, ind.unit, ind.comparator, ind.explanation,
                    ind.value_basis, ind.data_source, ind.evidence_type, ind.reference_value))
        self.progress(f"{region.name} 指标库", len(rows), plan.library)
