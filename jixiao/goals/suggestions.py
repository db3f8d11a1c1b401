"""Indicator suggestions for a subject's goal sheet (指标推荐): library indicators ranked for this subject.

Two signals, each cheap at province scale:

* Text: the subject's name (stripped of its owner, region, year and words such as 项目/经费) and description, searched
  in the in-memory indicator index (`jixiao.indicators.search`) as an *any-word* query — a library indicator that
  shares one word with the name is a candidate, one that shares more ranks higher (BM25F) — with the subject's
  sector preferred. Only what the actor may read (`library_access`) and only the first-level groups of the subject's
  goal frame are searched.
* Use: how often similar subjects' goal sheets used each library indicator (`GoalIndicator.indicator_id`), in two
  queries whatever the region's size: the most similar sheets of the region (this year and the three before; the
  subject's own earlier years — same code — weighing most, then similar names, the same department, the same sector;
  at most `SIMILAR_SHEETS`), then their rows. The most common target value of each indicator there is given as
  `typical_target`.

The frame's required first-level groups (e.g. 产出 and 效益 in the 10号 frame) are always represented: when the
ranking leaves one out, its best candidate is brought in (or, failing any, the sector's most used indicator of that
group). Usage counts are aggregates over the region's sheets; classified subjects are left out of them.
"""

from __future__ import annotations

import math
import re
import time
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.db.models import Case, F, IntegerField, Q, Value, When

from jixiao.core.permissions import Actor
from jixiao.indicators.models import Indicator, IndicatorStatus, Level1, Sector
from jixiao.indicators.search import Query, library_search, parse_query
from jixiao.indicators.selectors import library_access

TEXT_CANDIDATES = 60
USAGE_CANDIDATES = 40
SIMILAR_SHEETS = 300  # the most similar sheets whose rows are counted
FRAME_CACHE_SECONDS = 60
HISTORY_YEARS = 3
TEXT_WEIGHT = 0.6
USAGE_WEIGHT = 0.4
DESCRIPTION_WEIGHT = 0.35  # a word of the description counts about a third of a word of the name
DESCRIPTION_CHARS = 200
DESCRIPTION_WORDS = 10
# usage weights: the subject's own earlier sheets, similar names, same department, same sector
W_SELF, W_NAME, W_DEPARTMENT, W_SECTOR = 8, 4, 2, 1

# Words that name the money or the paperwork, not what is achieved: left out of the query.
STOP_WORDS = ("专项资金", "补助资金", "工作经费", "业务经费", "专项经费", "项目经费", "专项", "经费", "资金", "项目",
              "年度", "本级", "整体支出", "支出", "工作", "相关", "其他", "一期", "二期", "三期", "组织实施", "实施期",
              "主要用于", "属于", "行业", "领域", "新增", "延续", "开展", "顺利", "保障", "推动", "落实", "提升",
              "重点任务", "公共服务水平", "上级", "政策要求", "补齐", "短板弱项")
# Words of a description that say nothing about what is achieved.
DESCRIPTION_STOP_WORDS = frozenset(("进行", "实施", "用于", "主要", "以及", "通过", "按照", "根据", "有关", "相关",
                                    "开展", "组织", "确保", "提高", "加强", "推进", "完成", "全面", "年度", "单位",
                                    "部门", "我市", "本市", "全市", "全区", "全旗", "全县"))
_YEAR = re.compile(r"(?:19|20)\d{2}\s*(?:年度|年|—|-|至)?")
_PHASE = re.compile(r"[（(][^）)]{0,6}期[）)]")
_PUNCT = re.compile(r"[\s，。；、：:;,.()（）“”\"'《》【】\[\]—\-]+")
_ADMIN_SUFFIX = re.compile(r"(?:自治区|自治州|地区|特别行政区|市|盟|区|县|旗|镇|乡|苏木)$")


@dataclass
class Suggestion:
    indicator_id: int
    code: str
    name: str
    level1: str
    level2: str
    unit: str
    comparator: str
    score: float  # for ranking only
    reason: str  # in Chinese, e.g. "与项目名称相近；同类项目常用（23个项目使用）"
    typical_target: str = ""  # the most common target value in similar subjects' sheets
    reference_value: str = ""  # the library's reference value
    uses: int = 0  # how many similar sheets used it

    @property
    def level1_label(self) -> str:
        return Level1(self.level1).label if self.level1 in Level1.values else self.level1

    def as_dict(self) -> dict:
        return {"indicator_id": self.indicator_id, "code": self.code, "name": self.name, "level1": self.level1,
                "level2": self.level2, "unit": self.unit, "comparator": self.comparator, "score": self.score,
                "reason": self.reason, "typical_target": self.typical_target,
                "reference_value": self.reference_value, "uses": self.uses}


@dataclass
class _AnyWordQuery(Query):
    """A query that any one of its words satisfies (the library's own search wants most of them): the name of a
    project says much more than an indicator's name does."""

    need: int = 1

    def required(self) -> int:
        return min(self.need, len(self.units)) if self.units else 0


@dataclass
class _Candidate:
    indicator_id: int
    text: float = 0.0
    usage: float = 0.0
    uses: int = 0
    own: int = 0
    named: int = 0
    targets: dict[str, int] = field(default_factory=dict)


def _short_region(name: str) -> str:
    short = _ADMIN_SUFFIX.sub("", name or "")
    return short if len(short) >= 2 else ""


def subject_keywords(name: str, owners: list[str]) -> str:
    """The subject's name without its owner, region, year, phase and the words for money: "通辽市第五中学2026年校舍
    维修改造项目" → "校舍维修改造"."""
    text = name or ""
    for owner in sorted({o for o in owners if o}, key=len, reverse=True):
        text = text.replace(owner, " ")
    text = _PHASE.sub(" ", _YEAR.sub(" ", text))
    for word in STOP_WORDS:
        text = text.replace(word, " ")
    return _PUNCT.sub(" ", text).strip()


_frames: dict[tuple, tuple[float, list, list]] = {}


def _frame_groups(subject, info: dict) -> tuple[list[str], list[str]]:
    """The first-level groups of the subject's goal frame, and those the frame requires. The profile's frames are
    kept for `FRAME_CACHE_SECONDS` per region and year (reading and validating a profile costs more than the rest of
    a suggestion)."""
    from jixiao.policy.selectors import effective_profile

    code = info.get("frame_code") or ""
    key = (info["region_id"], info["year"], code, subject.special_category == "special_bond")
    now = time.monotonic()
    hit = _frames.get(key)
    if hit is not None and now - hit[0] < FRAME_CACHE_SECONDS:
        return hit[1], hit[2]
    goals = effective_profile(info["region_id"], info["year"]).params.goals
    if not code:
        code = goals.special_bond_frame if subject.special_category == "special_bond" else goals.project_frame
    try:
        frame = goals.frame(code)
    except KeyError:
        frame = goals.frame(goals.project_frame)
    levels = [g.code.value for g in frame.groups]
    required = [g.code.value for g in frame.groups if g.required]
    if len(_frames) > 1000:
        _frames.clear()
    _frames[key] = (now, levels, required)
    return levels, required


def _build_query(keywords: str, description: str, owners: list[str]) -> _AnyWordQuery | None:
    name_q = parse_query(keywords)
    desc_text = subject_keywords((description or "")[:DESCRIPTION_CHARS], owners)
    desc_q = parse_query(desc_text) if desc_text else None
    terms, units, weights = list(name_q.terms), list(name_q.units), dict(name_q.weights)
    if desc_q is not None:
        extra_units = [u for u in desc_q.units
                       if u not in units and len(u) >= 2 and u not in DESCRIPTION_STOP_WORDS][:DESCRIPTION_WORDS]
        for word in extra_units:  # the words themselves, not their bigrams: a long word must not count four times
            if word not in terms:
                terms.append(word)
                weights[word] = DESCRIPTION_WEIGHT
        units += extra_units  # any word of the description finds candidates too; its terms weigh less
    if not terms:
        return None
    return _AnyWordQuery(text=keywords, terms=terms, units=units, phrase=name_q.phrase if len(name_q.phrase) >= 2
                         else "", weights=weights)


def _text_hits(actor: Actor, query: _AnyWordQuery, levels: list[str], prefer_sector_id: int | None,
               limit: int) -> list[tuple[int, float]]:
    access = library_access(actor)
    lock = getattr(library_search, "_lock", None) or nullcontext()
    with lock:  # the index must not be updated by another thread while we read it
        index = library_search.ensure_fresh()
        cache = library_search.cache()
        key = ("visible", access.key)
        visible = cache.get(key)
        if visible is None:
            if len(cache) > 500:
                cache.clear()
            visible = cache[key] = access.visible_slots(index)
        level_key = ("level1", tuple(levels))
        in_frame = cache.get(level_key)
        if in_frame is None:
            in_frame = cache[level_key] = index.union("level1", levels)
        within = [visible, index.facet("status", IndicatorStatus.ACTIVE), in_frame]
        hits, _total = index.search(query, within, limit=limit, prefer_sector_id=prefer_sector_id)
    return [(h.id, h.score) for h in hits]


def _usage(subject, info: dict, keywords_units: list[str], levels: list[str]) -> dict[int, _Candidate]:
    """How often the goal sheets of similar subjects used each library indicator, with their target values.

    Two queries whatever the region's size: the most similar sheets (the subject's own earlier ones, then similar
    names, the same department, the same sector; this year and the three before; at most `SIMILAR_SHEETS`), then
    their rows."""
    from jixiao.goals.models import GoalIndicator, GoalSheet

    year = info["year"]
    none = Q(pk__in=[])
    own = Q(subject__code=subject.code, fiscal_year__year__lt=year)
    named = none
    for word in keywords_units[:4]:
        named |= Q(subject__name__contains=word)
    same_dept = Q(department_id=subject.department_id) if subject.department_id else none
    same_sector = Q(subject__sector=subject.sector) if subject.sector else none

    def flag(q: Q):
        return Case(When(q, then=Value(1)), default=Value(0), output_field=IntegerField())

    sheets = list(
        GoalSheet.objects
        .filter(region_id=subject.region_id, fiscal_year__year__lte=year, fiscal_year__year__gte=year - HISTORY_YEARS,
                subject__region_id=subject.region_id)  # the same region, said twice: the subjects' index serves
        .filter(own | named | same_dept | same_sector)
        .exclude(subject_id=subject.pk).exclude(subject__is_classified=True)
        .annotate(f_own=flag(own), f_named=flag(named), f_dept=flag(same_dept), f_sector=flag(same_sector))
        .annotate(similarity=F("f_own") * W_SELF + F("f_named") * W_NAME + F("f_dept") * W_DEPARTMENT
                  + F("f_sector") * W_SECTOR)
        .order_by("-similarity", "-fiscal_year__year", "-id")
        .values_list("id", "f_own", "f_named", "f_dept", "f_sector")[:SIMILAR_SHEETS])
    if not sheets:
        return {}
    flags = {sheet_id: (own_, named_, dept_, sector_) for sheet_id, own_, named_, dept_, sector_ in sheets}
    rows = (GoalIndicator.objects.filter(sheet_id__in=sorted(flags), indicator_id__isnull=False, level1__in=levels)
            .order_by().values_list("sheet_id", "indicator_id", "target_value"))
    out: dict[int, _Candidate] = {}
    for sheet_id, ind_id, target in rows:
        c = out.get(ind_id)
        if c is None:
            c = out[ind_id] = _Candidate(ind_id)
        own_, named_, dept_, sector_ = flags[sheet_id]
        c.uses += 1
        c.own += own_
        c.named += named_
        c.usage += W_SELF * own_ + W_NAME * named_ + W_DEPARTMENT * dept_ + W_SECTOR * sector_
        target = (target or "").strip()
        if target:
            c.targets[target] = c.targets.get(target, 0) + 1
    return out


def _reason(c: _Candidate, row: dict, name_words: list[str], sector_id: int | None) -> str:
    parts = []
    if c.text > 0:
        if any(w in row["name"] for w in name_words):
            parts.append("与项目名称相近")
        else:
            parts.append("与项目内容相关")
    if c.own:
        parts.append(f"本项目以前年度使用（{c.own}次）")
    if c.uses:
        parts.append(f"同类项目常用（{c.uses}个项目使用）")
    if not parts:
        if row["is_common"]:
            parts.append("共性指标")
        elif sector_id is not None and row["sector_id"] == sector_id:
            parts.append("本行业共性指标")
        else:
            parts.append("指标库常用指标")
    return "；".join(parts)


def _typical(c: _Candidate) -> str:
    if not c.targets:
        return ""
    return min(c.targets.items(), key=lambda kv: (-kv[1], kv[0]))[0]


ROW_FIELDS = ("id", "code", "name", "level1", "level2", "unit", "comparator", "sector_id", "is_common", "region_id",
              "status", "department_id", "reference_value", "usage_count")


def suggest_indicators(*, actor: Actor, subject, limit: int = 20) -> list[Suggestion]:
    """Library indicators for `subject`'s goal sheet, best first (see the module docstring). The caller has
    already checked that the actor may see the subject; only indicators the actor may read are suggested, and
    none that the subject's own sheet already uses."""
    from jixiao.budget.models import PerformanceSubject
    from jixiao.goals.models import GoalIndicator

    limit = max(1, int(limit))
    info = (PerformanceSubject.objects.filter(pk=subject.pk)
            .values("region_id", "region__name", "department__name", "unit__name", "fiscal_year__year",
                    "goal_sheet__id", "goal_sheet__frame_code").first()) or {}
    info = {"region_id": info.get("region_id", subject.region_id), "year": info.get("fiscal_year__year"),
            "frame_code": info.get("goal_sheet__frame_code"), "sheet_id": info.get("goal_sheet__id"),
            "owners": [info.get("unit__name"), info.get("department__name"), info.get("region__name"),
                       _short_region(info.get("region__name") or "")]}
    if info["year"] is None:
        info["year"] = subject.fiscal_year.year
    levels, required = _frame_groups(subject, info)
    sector_id = (Sector.objects.filter(parent__isnull=True, name=subject.sector).values_list("pk", flat=True).first()
                 if subject.sector else None)
    used_here = set(GoalIndicator.objects.filter(sheet_id=info["sheet_id"], indicator_id__isnull=False)
                    .values_list("indicator_id", flat=True)) if info["sheet_id"] else set()

    owners = [o for o in info["owners"] if o]
    keywords = subject_keywords(subject.name, owners)
    query = _build_query(keywords, subject.description, owners)
    name_words = [u for u in parse_query(keywords).units if len(u) >= 2] if keywords else []

    candidates: dict[int, _Candidate] = {}
    if query is not None:
        hits = _text_hits(actor, query, levels, sector_id, TEXT_CANDIDATES + len(used_here))
        top = max((s for _i, s in hits), default=0.0) or 1.0
        for ind_id, score in hits:
            candidates.setdefault(ind_id, _Candidate(ind_id)).text = score / top
    usage = _usage(subject, info, name_words, levels)
    for ind_id, c in candidates.items():  # the text's hits with their use
        if ind_id in usage:
            usage[ind_id].text = c.text
            candidates[ind_id] = usage[ind_id]
    most_used = sorted(usage.values(), key=lambda c: (-c.usage, c.indicator_id))
    for c in most_used[:USAGE_CANDIDATES + len(used_here)]:
        candidates.setdefault(c.indicator_id, c)
    for ind_id in used_here:
        candidates.pop(ind_id, None)

    access = library_access(actor)
    rows = {r["id"]: r for r in Indicator.objects.filter(pk__in=sorted(candidates)).values(*ROW_FIELDS)
            if access.can_read(r["region_id"], r["status"], r["department_id"])
            and r["status"] == IndicatorStatus.ACTIVE and r["level1"] in levels} if candidates else {}
    max_usage = max((c.usage for c in candidates.values()), default=0.0)
    log_max = math.log1p(max_usage) or 1.0
    ranked = []
    for ind_id, row in rows.items():
        c = candidates[ind_id]
        score = TEXT_WEIGHT * c.text + USAGE_WEIGHT * math.log1p(c.usage) / log_max
        if sector_id is not None and row["sector_id"] == sector_id:
            score *= 1.05
        ranked.append((round(score, 4), row["code"], ind_id))
    ranked.sort(key=lambda r: (-r[0], r[1]))
    chosen = [r[2] for r in ranked[:limit]]

    # The frame's required groups are always represented.
    for level in required:
        if any(rows[i]["level1"] == level for i in chosen):
            continue
        spare = next((r[2] for r in ranked[limit:] if rows[r[2]]["level1"] == level), None)
        if spare is None:
            fallback = _fallback(actor, level, sector_id, exclude=used_here | set(rows))
            if fallback is None:
                continue
            rows[fallback["id"]] = fallback
            candidates[fallback["id"]] = _Candidate(fallback["id"])
            spare = fallback["id"]
        if len(chosen) >= limit:
            counts: dict[str, int] = {}
            for i in chosen:
                counts[rows[i]["level1"]] = counts.get(rows[i]["level1"], 0) + 1
            # drop the lowest-ranked suggestion of a group that keeps at least one
            victim = next((i for i in reversed(chosen) if counts[rows[i]["level1"]] > 1), None)
            if victim is None:
                continue
            chosen.remove(victim)
        chosen.append(spare)

    scores = {r[2]: r[0] for r in ranked}
    out = []
    for ind_id in chosen:
        row, c = rows[ind_id], candidates[ind_id]
        out.append(Suggestion(
            indicator_id=ind_id, code=row["code"], name=row["name"], level1=row["level1"], level2=row["level2"],
            unit=row["unit"], comparator=row["comparator"], score=scores.get(ind_id, 0.0),
            reason=_reason(c, row, name_words, sector_id), typical_target=_typical(c),
            reference_value=row["reference_value"], uses=c.uses))
    return out


def _fallback(actor: Actor, level: str, sector_id: int | None, *, exclude: set[int]) -> dict | None:
    """The most used readable indicator of a required group: of the subject's sector, else any."""
    qs = (Indicator.objects.filter(library_access(actor).q()).filter(status=IndicatorStatus.ACTIVE, level1=level)
          .exclude(pk__in=sorted(exclude)))
    for narrowed in ((qs.filter(sector_id=sector_id),) if sector_id is not None else ()) + (qs,):
        row = narrowed.order_by("-usage_count", "code").values(*ROW_FIELDS).first()
        if row is not None:
            return row
    return None
