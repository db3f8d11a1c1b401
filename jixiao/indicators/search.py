"""Chinese full-text search over the indicator library.

Why not SQL: `LIKE '%学生资助%'` cannot find "资助学生" (word order) or rank; PostgreSQL full text has no Chinese
parser out of the box, SQLite FTS5 neither, and trigrams cannot match two-character queries. So the library is
searched by an inverted index held in memory in each process (web workers and the background worker alike):

* Terms: the character bigrams of every run of Chinese characters, plus the longer words rjieba cuts
  (`cut_for_search`, with a small domain dictionary, `search_dict.txt`), plus ASCII words (GDP, PM2.5).
  A two-character word is its own bigram, so words and bigrams share one vocabulary without double counting.
* Ranking: BM25F over three fields (name, explanation, sector/domain names) with field weights, then boosts for an
  exact phrase in the name, usage count and the searcher's sector. A minimum-should-match on the query's words keeps
  "资助学生" from returning every indicator that merely mentions 学生.
* Freshness across processes: every write to the library bumps `LibraryState.revision` inside its transaction and
  logs the changed indicator ids (`IndexChange`). Before answering, a process reads the log past its own revision
  (one indexed query) and re-indexes just those indicators; a `None` id (bulk load, `indicator_index_rebuild()`), a
  gap in the log or a long backlog makes it rebuild from the database. The row lock on `LibraryState` hands out
  revisions in commit order, so a reader never skips a change that commits late.

Filtering by permission, sector, level and status happens in memory on per-document metadata, so a search never sends
thousands of ids to the database: only the page shown is fetched.
"""

from __future__ import annotations

import gc
import heapq
import logging
import math
import re
import threading
import time
import unicodedata
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

# BM25F parameters. Field weights say a hit in the name matters three times a hit in the explanation.
K1 = 1.2
FIELDS = ("name", "explanation", "classification")
FIELD_WEIGHTS = {"name": 3.0, "explanation": 1.0, "classification": 0.6}
FIELD_B = {"name": 0.5, "explanation": 0.75, "classification": 0.3}
EXPLANATION_CHARS = 300  # index the head of long explanations only
PHRASE_IN_NAME_BOOST = 1.6
NAME_EQUALS_BOOST = 1.5
PHRASE_IN_EXPLANATION_BOOST = 1.15
SECTOR_BOOST = 1.25
USAGE_BOOST = 0.12  # score × (1 + USAGE_BOOST · ln(1 + usage))

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:\.[0-9]+)?")
_CJK_RUN = re.compile(rf"[{_CJK}]+")
_ASCII_RUN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")

_dict_loaded = False
_dict_lock = threading.Lock()


def _jieba():
    """rjieba with the domain dictionary loaded once per process."""
    global _dict_loaded
    import rjieba

    if not _dict_loaded:
        with _dict_lock:
            if not _dict_loaded:
                path = Path(__file__).with_name("search_dict.txt")
                if path.exists():
                    for line in path.read_text(encoding="utf-8").splitlines():
                        word = line.split("#", 1)[0].strip()
                        if word:
                            rjieba.add_word(word, None, None)
                _dict_loaded = True
    return rjieba


def normalise(text: str | None) -> str:
    """Full-width to half-width, lower case: "ＧＤＰ增长率" → "gdp增长率"."""
    return unicodedata.normalize("NFKC", text or "").lower()


def analyse(text: str | None, limit: int | None = None, *, with_bigrams: bool = True) -> Counter:
    """The terms of a text with their counts (see the module docstring). Without bigrams (long explanations) only
    the words rjieba cuts are kept, two-character ones included."""
    s = normalise(text)
    if limit:
        s = s[:limit]
    terms: Counter = Counter(_ASCII_RUN.findall(s))
    runs = _CJK_RUN.findall(s)
    if not runs:
        return terms
    if with_bigrams:
        for run in runs:
            if len(run) == 1:
                terms[run] += 1
            else:
                terms.update(map(str.__add__, run[:-1], run[1:]))
        if any(len(run) > 2 for run in runs):
            terms.update(w for w in _jieba().cut_for_search(s) if len(w) > 2 and _CJK_RUN.fullmatch(w))
    else:
        terms.update(w for w in _jieba().cut_for_search(s) if len(w) > 1 and _CJK_RUN.fullmatch(w))
    return terms


def bigrams(word: str) -> list[str]:
    return [word[i:i + 2] for i in range(len(word) - 1)]


@dataclass
class Query:
    """A parsed query: the terms to score, the words that must (mostly) be present, the phrase for boosts."""

    text: str
    terms: list[str]
    units: list[str]  # query words of two or more characters (or ASCII words)
    phrase: str  # the query without spaces and punctuation, for exact-phrase boosts
    short: str = ""  # a single-character query: matched by substring
    code: str = ""  # the query as an indicator code, when it looks like one

    @property
    def empty(self) -> bool:
        return not self.terms and not self.short and not self.code

    def required(self) -> int:
        """How many of the query's words a result must contain: all of one or two, and one may be missing of three
        or four ("学生资助人数" still finds "资助学生数")."""
        n = len(self.units)
        return max(1, n - n // 3) if n else 0


def parse_query(text: str | None) -> Query:
    s = normalise(text).strip()
    runs = [m.group() for m in _RUN.finditer(s)]
    phrase = "".join(runs)
    terms: list[str] = []
    units: list[str] = []

    def add(lst, term):
        if term not in lst:
            lst.append(term)

    for run in runs:
        if not _CJK_RUN.fullmatch(run):
            add(terms, run)
            add(units, run)
            continue
        if len(run) == 1:
            continue
        for bg in bigrams(run):
            add(terms, bg)
        words = [w for w in _jieba().cut(run) if w.strip()]
        long_words = [w for w in words if len(w) >= 2]
        for w in long_words:
            add(units, w)
            if len(w) > 2:
                add(terms, w)
        if not long_words:  # every character cut apart: the run itself is the word
            add(units, run)
    short = phrase if len(phrase) == 1 else ""
    if not units and len(phrase) >= 2 and all(len(r) == 1 for r in runs):
        # "学 生": the characters typed apart are one word
        for bg in bigrams(phrase):
            add(terms, bg)
        units = [phrase]
    return Query(text=text or "", terms=terms, units=units, phrase=phrase, short=short,
                 code=s if re.fullmatch(r"[0-9a-z\-_.]+", s) else "")


@dataclass
class Doc:
    """What the index needs to know of one indicator."""

    id: int
    code: str
    name: str
    explanation: str
    sector_id: int | None
    domain_id: int | None
    level1: str
    level2: str
    is_common: bool
    status: str
    region_id: int | None
    department_id: int | None
    usage_count: int
    sector_name: str = ""
    domain_name: str = ""


DOC_FIELDS = ("id", "code", "name", "explanation", "sector_id", "domain_id", "level1", "level2", "is_common",
              "status", "region_id", "department_id", "usage_count", "sector__name", "domain__name")


@dataclass
class Hit:
    id: int
    score: float


@dataclass
class Result:
    hits: list[Hit]  # the requested page, best first
    total: int
    query: Query
    elapsed_ms: float = 0.0


@dataclass
class Filters:
    sector_id: int | None = None
    domain_id: int | None = None
    level1: str | None = None
    level2: str | None = None
    is_common: bool | None = None
    statuses: frozenset[str] | None = None

    def accepts(self, m: DocMeta) -> bool:
        return ((self.sector_id is None or m.sector_id == self.sector_id)
                and (self.domain_id is None or m.domain_id == self.domain_id)
                and (self.level1 is None or m.level1 == self.level1)
                and (self.level2 is None or m.level2 == self.level2)
                and (self.is_common is None or m.is_common == self.is_common)
                and (self.statuses is None or m.status in self.statuses))


@dataclass(slots=True)
class DocMeta:
    id: int
    code: str
    name: str
    sector_id: int | None
    domain_id: int | None
    level1: str
    level2: str
    is_common: bool
    status: str
    region_id: int | None
    department_id: int | None
    usage_count: int
    expl_head: str


class InvertedIndex:
    """The in-memory index of one process. Documents live in slots; a changed document gets a new slot and its old
    slot is marked dead, so postings stay append-only (and sorted by slot)."""

    def __init__(self):
        self.postings: dict[str, tuple[array, array]] = {}
        self.meta: list[DocMeta | None] = []
        self.slot_of: dict[int, int] = {}
        self.code_slot: dict[str, int] = {}
        self.avg_len = {f: 1.0 for f in FIELDS}
        self.dead = 0

    @property
    def size(self) -> int:
        return len(self.slot_of)

    @staticmethod
    def _fields(doc: Doc, cache: dict | None = None) -> dict[str, Counter]:
        if cache is None:
            return {
                "name": analyse(doc.name),
                "explanation": analyse(doc.explanation, EXPLANATION_CHARS, with_bigrams=False),
                "classification": analyse(f"{doc.sector_name} {doc.domain_name}"),
            }
        # during a build, identical texts (the same indicator kept by several regions) are analysed once
        name = cache.get(("n", doc.name))
        if name is None:
            name = cache[("n", doc.name)] = analyse(doc.name)
        expl = cache.get(("e", doc.explanation))
        if expl is None:
            expl = cache[("e", doc.explanation)] = analyse(doc.explanation, EXPLANATION_CHARS, with_bigrams=False)
        cls_key = ("c", doc.sector_name, doc.domain_name)
        cls = cache.get(cls_key)
        if cls is None:
            cls = cache[cls_key] = analyse(f"{doc.sector_name or ''} {doc.domain_name or ''}")
        if len(cache) > 200_000:
            cache.clear()
        return {"name": name, "explanation": expl, "classification": cls}

    def build(self, docs: Iterable[Doc], sample: int = 2000) -> None:
        """Index `docs` in one pass. Average field lengths (for BM25 length normalisation) come from the first
        `sample` documents, so a build never holds every analysed document in memory."""
        cache: dict = {}
        it = iter(docs)
        head = []
        for doc in it:
            head.append((doc, self._fields(doc, cache)))
            if len(head) >= sample:
                break
        if head:
            for f in FIELDS:
                self.avg_len[f] = max(1.0, sum(sum(a[f].values()) for _, a in head) / len(head))
        for doc, fields in head:
            self._add(doc, fields)
        del head
        for doc in it:
            self._add(doc, self._fields(doc, cache))

    def upsert(self, doc: Doc) -> None:
        self.remove(doc.id)
        self._add(doc, self._fields(doc))

    def remove(self, indicator_id: int) -> None:
        slot = self.slot_of.pop(indicator_id, None)
        if slot is not None:
            meta = self.meta[slot]
            if meta is not None and self.code_slot.get(meta.code.lower()) == slot:
                del self.code_slot[meta.code.lower()]
            self.meta[slot] = None
            self.dead += 1

    def _add(self, doc: Doc, fields: dict[str, Counter]) -> None:
        slot = len(self.meta)
        self.meta.append(DocMeta(
            id=doc.id, code=doc.code, name=normalise(doc.name), sector_id=doc.sector_id, domain_id=doc.domain_id,
            level1=doc.level1, level2=doc.level2, is_common=bool(doc.is_common), status=doc.status,
            region_id=doc.region_id, department_id=doc.department_id, usage_count=doc.usage_count or 0,
            expl_head=normalise(doc.explanation)[:EXPLANATION_CHARS],
        ))
        self.slot_of[doc.id] = slot
        if doc.code:
            self.code_slot[doc.code.lower()] = slot
        # BM25F: weighted, length-normalised term frequency summed over fields, then saturated once.
        norms = {f: FIELD_WEIGHTS[f] / (1 - FIELD_B[f] + FIELD_B[f] * sum(c.values()) / self.avg_len[f])
                 for f, c in fields.items()}
        combined: dict[str, float] = {}
        for f, counter in fields.items():
            w = norms[f]
            for term, tf in counter.items():
                combined[term] = combined.get(term, 0.0) + w * tf
        postings = self.postings
        for term, tf in combined.items():
            entry = postings.get(term)
            if entry is None:
                entry = postings[term] = (array("i"), array("f"))
            entry[0].append(slot)
            entry[1].append(tf * (K1 + 1) / (K1 + tf))

    def _idf(self, term: str) -> float:
        n = len(self.meta)
        entry = self.postings.get(term)
        df = len(entry[0]) if entry else 0
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _docs_with_unit(self, unit: str) -> set[int]:
        """Slots that contain a query word: as a term, or all of its bigrams (a longer word cut differently)."""
        entry = self.postings.get(unit)
        found = set(entry[0]) if entry else set()
        if len(unit) > 2 and _CJK_RUN.fullmatch(unit):
            sets = []
            for bg in bigrams(unit):
                e = self.postings.get(bg)
                if not e:
                    sets = []
                    break
                sets.append(e[0])
            if sets:
                sets.sort(key=len)
                inter = set(sets[0])
                for s in sets[1:]:
                    inter.intersection_update(s)
                    if not inter:
                        break
                found |= inter
        return found

    def search(self, query: Query, accept: Callable[[DocMeta], bool], *, offset: int = 0, limit: int = 20,
               prefer_sector_id: int | None = None) -> tuple[list[Hit], int]:
        meta = self.meta
        if query.short:
            return self._search_short(query.short, accept, offset, limit, prefer_sector_id)
        if not query.terms and not query.code:
            return [], 0
        # candidates: slots containing enough of the query's words
        need = query.required()
        if query.units:
            counts: Counter = Counter()
            for unit in query.units:
                counts.update(self._docs_with_unit(unit))
            candidates = {slot for slot, c in counts.items() if c >= need}
        else:
            candidates = set()
        code_slot = self.code_slot.get(query.code) if query.code else None
        if code_slot is not None:
            candidates.add(code_slot)
        scores = {}
        for slot in candidates:
            m = meta[slot]
            if m is not None and accept(m):
                scores[slot] = 0.0
        if not scores:
            return [], 0
        for term in query.terms:
            entry = self.postings.get(term)
            if not entry:
                continue
            idf = self._idf(term)
            slots, weights = entry
            if len(slots) <= 4 * len(scores):
                for slot, w in zip(slots, weights, strict=True):
                    if slot in scores:
                        scores[slot] += idf * w
            else:
                # a frequent term: look the candidates up by binary search instead of walking the list
                from bisect import bisect_left

                n = len(slots)
                for slot in scores:
                    i = bisect_left(slots, slot)
                    if i < n and slots[i] == slot:
                        scores[slot] += idf * weights[i]
        phrase = query.phrase
        ranked: list[tuple[float, str, int]] = []
        for slot, score in scores.items():
            m = meta[slot]
            if slot == code_slot:
                score += 1000.0
            if len(phrase) >= 2:
                if phrase in m.name:
                    score *= NAME_EQUALS_BOOST * PHRASE_IN_NAME_BOOST if m.name == phrase else PHRASE_IN_NAME_BOOST
                elif phrase in m.expl_head:
                    score *= PHRASE_IN_EXPLANATION_BOOST
            if m.usage_count:
                score *= 1 + USAGE_BOOST * math.log1p(m.usage_count)
            if prefer_sector_id is not None and m.sector_id == prefer_sector_id:
                score *= SECTOR_BOOST
            ranked.append((score, m.code, m.id))
        return self._page(ranked, offset, limit)

    def _search_short(self, ch: str, accept, offset, limit, prefer_sector_id) -> tuple[list[Hit], int]:
        ranked = []
        for m in self.meta:
            if m is None or ch not in m.name or not accept(m):
                continue
            score = 1.0 / (1 + m.name.index(ch)) + 1.0 / len(m.name)
            if m.usage_count:
                score *= 1 + USAGE_BOOST * math.log1p(m.usage_count)
            if prefer_sector_id is not None and m.sector_id == prefer_sector_id:
                score *= SECTOR_BOOST
            ranked.append((score, m.code, m.id))
        return self._page(ranked, offset, limit)

    @staticmethod
    def _page(ranked, offset, limit) -> tuple[list[Hit], int]:
        total = len(ranked)
        # best score first, then by code (stable, readable order for ties)
        top = heapq.nsmallest(offset + limit, ranked, key=lambda r: (-r[0], r[1]))
        return [Hit(id=r[2], score=round(r[0], 4)) for r in top[offset:offset + limit]], total


@dataclass
class _State:
    index: InvertedIndex | None = None
    revision: int = 0
    token: str = ""
    built_at: float = 0.0
    cache: dict = field(default_factory=dict)  # small per-revision caches (classification counts)


class LibrarySearch:
    """The process-wide search index, kept in step with the database through the change log."""

    INCREMENTAL_LIMIT = 2000  # above this many changed indicators pending, rebuild instead
    MAX_PENDING_REVISIONS = 200
    COMPACT_RATIO = 0.3  # rebuild when this share of slots is dead

    def __init__(self):
        self._lock = threading.RLock()
        self._state = _State()

    def reset(self) -> None:
        with self._lock:
            self._state = _State()

    @property
    def revision(self) -> int:
        return self._state.revision

    def cache(self) -> dict:
        """A dict cleared whenever the library changes (for derived figures such as classification counts)."""
        return self._state.cache

    def ensure_fresh(self) -> InvertedIndex:
        from jixiao.indicators.models import IndexChange

        with self._lock:
            st = self._state
            if st.index is None:
                return self._rebuild()
            rows = list(IndexChange.objects.filter(revision__gte=st.revision).order_by("revision")
                        .values_list("revision", "token", "indicator_ids")[:self.MAX_PENDING_REVISIONS + 2])
            if st.revision == 0:
                if not rows:
                    return st.index
                return self._rebuild()  # the very first change: build once from the database
            if not rows or rows[0][0] != st.revision or rows[0][1] != st.token:
                return self._rebuild()  # the log no longer reaches back to us (pruned, or the database was reset)
            changes = rows[1:]
            if not changes:
                return st.index
            if len(changes) > self.MAX_PENDING_REVISIONS or any(r[2] is None for r in changes):
                return self._rebuild()
            ids = {i for r in changes for i in r[2]}
            if len(ids) > self.INCREMENTAL_LIMIT:
                return self._rebuild()
            self._apply(st.index, ids)
            st.revision, st.token = changes[-1][0], changes[-1][1]
            st.cache = {}
            idx = st.index
            if idx.dead > 1000 and idx.dead > self.COMPACT_RATIO * len(idx.meta):
                return self._rebuild()
            return idx

    def _rebuild(self) -> InvertedIndex:
        from jixiao.indicators.models import IndexChange, Indicator

        started = time.perf_counter()
        last = IndexChange.objects.order_by("-revision").values_list("revision", "token").first()
        index = InvertedIndex()
        rows = Indicator.objects.values_list(*DOC_FIELDS).order_by("id").iterator(chunk_size=5000)
        index.build(Doc(*row) for row in rows)
        # The index is long-lived: keep its many small objects out of the cyclic collector's full passes, which
        # would otherwise stall a request now and then.
        gc.freeze()
        self._state = _State(index=index, revision=last[0] if last else 0, token=last[1] if last else "",
                             built_at=time.time())
        logger.info("indicator search index built: %d indicators in %.2fs", index.size,
                    time.perf_counter() - started)
        return index

    @staticmethod
    def _apply(index: InvertedIndex, ids: set[int]) -> None:
        from jixiao.indicators.models import Indicator

        found = set()
        for row in Indicator.objects.filter(pk__in=sorted(ids)).values_list(*DOC_FIELDS):
            doc = Doc(*row)
            index.upsert(doc)
            found.add(doc.id)
        for gone in ids - found:
            index.remove(gone)

    def search(self, text: str, accept: Callable[[DocMeta], bool], *, offset: int = 0, limit: int = 20,
               prefer_sector_id: int | None = None) -> Result:
        started = time.perf_counter()
        query = parse_query(text)
        index = self.ensure_fresh()
        if query.empty:
            return Result(hits=[], total=0, query=query)
        hits, total = index.search(query, accept, offset=offset, limit=limit, prefer_sector_id=prefer_sector_id)
        return Result(hits=hits, total=total, query=query, elapsed_ms=(time.perf_counter() - started) * 1000)


library_search = LibrarySearch()


# ---- highlighting ---------------------------------------------------------------------------------------------

def highlight_spans(text: str, query: Query) -> list[tuple[int, int]]:
    """Character spans of `text` that match the query's terms (bigrams and words), merged."""
    if not text or query.empty:
        return []
    norm = normalise(text)
    if len(norm) != len(text):  # NFKC changed the length (rare ligatures): highlight nothing rather than wrongly
        return []
    needles = [query.short] if query.short else [t for t in query.terms if t]
    spans = []
    for needle in needles:
        start = norm.find(needle)
        while start != -1:
            spans.append((start, start + len(needle)))
            start = norm.find(needle, start + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def highlight_html(text: str, query: Query | None) -> str:
    """`text` HTML-escaped with <mark> around the matches."""
    from django.utils.html import escape

    if not text:
        return ""
    if query is None:
        return escape(text)
    out, pos = [], 0
    for a, b in highlight_spans(text, query):
        out.append(escape(text[pos:a]))
        out.append(f"<mark>{escape(text[a:b])}</mark>")
        pos = b
    out.append(escape(text[pos:]))
    return "".join(out)
