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
import marshal
import math
import re
import threading
import time
import unicodedata
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

logger = logging.getLogger(__name__)

# BM25F parameters. Field weights say a hit in the name matters three times a hit in the explanation.
K1 = 1.2
FIELDS = ("name", "explanation", "classification")
FIELD_WEIGHTS = {"name": 3.0, "explanation": 1.0, "classification": 0.6}
FIELD_B = {"name": 0.5, "explanation": 0.75, "classification": 0.3}
EXPLANATION_CHARS = 300  # index the head of long explanations only
EXPLANATION_HEAD = 60  # kept per document for the exact-phrase boost
PHRASE_IN_NAME_BOOST = 1.6
NAME_EQUALS_BOOST = 1.5
PHRASE_IN_EXPLANATION_BOOST = 1.15
SECTOR_BOOST = 1.25
USAGE_BOOST = 0.12  # score × (1 + USAGE_BOOST · ln(1 + usage))
NAME_COVERAGE_BOOST = 1.0  # score × (1 + this × share of the query's words found in the name)
CROSS_WORD_WEIGHT = 0.3

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:\.[0-9]+)?")
_CJK_RUN = re.compile(rf"[{_CJK}]+")
_ASCII_RUN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
_ASCII_HINT = re.compile(r"[a-z0-9]")

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
    s = text or ""
    if not unicodedata.is_normalized("NFKC", s):  # the common case is already normal, and checking is cheap
        s = unicodedata.normalize("NFKC", s)
    return s.lower()


try:  # the C helper behind Counter.update, without its per-call Python overhead
    from collections import _count_elements as _count
except ImportError:  # pragma: no cover
    def _count(mapping, iterable):
        for x in iterable:
            mapping[x] = mapping.get(x, 0) + 1

_HAN = "\u3400"  # words made of Chinese characters start and end at or above this code point


def analyse(text: str | None, limit: int | None = None, *, with_bigrams: bool = True) -> Counter:
    """The terms of a text with their counts (see the module docstring). Without bigrams (long explanations) only
    the words rjieba cuts are kept, two-character ones included."""
    s = normalise(text)
    if limit:
        s = s[:limit]
    terms: Counter = Counter()
    if not s.isascii():
        if with_bigrams:
            long_run = False
            for run in _CJK_RUN.findall(s):
                if len(run) == 1:
                    terms[run] += 1
                else:
                    _count(terms, map(str.__add__, run[:-1], run[1:]))
                    long_run = long_run or len(run) > 2
            if long_run:
                _count(terms, [w for w in _jieba().cut_for_search(s)
                               if len(w) > 2 and w[0] >= _HAN and w[-1] >= _HAN])
        else:
            _count(terms, [w for w in _jieba().cut_for_search(s) if len(w) > 1 and w[0] >= _HAN and w[-1] >= _HAN])
    if _ASCII_HINT.search(s):
        _count(terms, _ASCII_RUN.findall(s))
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
    weights: dict[str, float] = field(default_factory=dict)  # terms weighing less than 1

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
    weights: dict[str, float] = {}

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
        words = [w for w in _jieba().cut(run) if w.strip()]
        # a bigram across two of the query's words ("资助|学生" → 助学) says little about either: weigh it less
        boundaries, pos = set(), 0
        for w in words[:-1]:
            pos += len(w)
            boundaries.add(pos)
        for i, bg in enumerate(bigrams(run)):
            add(terms, bg)
            if i + 1 in boundaries and bg not in words:
                weights[bg] = min(weights.get(bg, 1.0), CROSS_WORD_WEIGHT)
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
    return Query(text=text or "", terms=terms, units=units, phrase=phrase, short=short, weights=weights,
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
    no_sector: bool = False  # only indicators without a sector
    domain_id: int | None = None
    level1: str | None = None
    level2: str | None = None
    is_common: bool | None = None
    statuses: frozenset[str] | None = None

    def sets(self, index: InvertedIndex) -> list[set]:
        """The index's slot sets these filters restrict to (read-only)."""
        out = [index.facet("sector_id", None)] if self.no_sector else []
        for field_name, value in (("sector_id", None if self.no_sector else self.sector_id),
                                  ("domain_id", self.domain_id),
                                  ("level1", self.level1), ("level2", self.level2), ("is_common", self.is_common)):
            if value is not None:
                out.append(index.facet(field_name, value))
        if self.statuses is not None:
            out.append(index.facet("status", next(iter(self.statuses))) if len(self.statuses) == 1
                       else index.union("status", self.statuses))
        return out


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
    boost: float = 1.0  # the usage boost, 1 + USAGE_BOOST · ln(1 + usage)


FACETS = ("status", "region_id", "department_id", "sector_id", "domain_id", "level1", "level2", "is_common")
_EMPTY: set[int] = frozenset()  # type: ignore[assignment]


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
        self.max_boost = 1.0  # the largest usage boost of any document (bounds early termination)
        # metadata value → slots, so permission and filters restrict candidates with set operations in C
        self.facets: dict[str, dict[object, set[int]]] = {f: {} for f in FACETS}

    def facet(self, field_name: str, value) -> set[int]:
        """The slots whose `field_name` is `value`. Read-only: intersect with it, never change it."""
        return self.facets[field_name].get(value, _EMPTY)

    def union(self, field_name: str, values: Iterable) -> set[int]:
        """A new set: the slots whose `field_name` is any of `values`."""
        out: set[int] = set()
        column = self.facets[field_name]
        for v in values:
            found = column.get(v)
            if found:
                out |= found
        return out

    def _index_facets(self, slot: int, m: DocMeta) -> None:
        for f in FACETS:
            self.facets[f].setdefault(getattr(m, f), set()).add(slot)

    @property
    def size(self) -> int:
        return len(self.slot_of)

    @staticmethod
    def _analyse_field(field: str, text: str) -> Counter:
        if field == "name":
            return analyse(text)
        if field == "explanation":
            return analyse(text, EXPLANATION_CHARS, with_bigrams=False)
        return analyse(text)

    @staticmethod
    def _texts(doc: Doc) -> tuple[str, str, str]:
        return doc.name or "", doc.explanation or "", f"{doc.sector_name or ''} {doc.domain_name or ''}"

    def _field_terms(self, field: str, text: str, cache: dict | None) -> list[tuple[str, float]]:
        """A field's terms with their length-normalised, field-weighted frequencies (the BM25F inner part). During a
        build, identical texts (the same indicator kept by several regions and departments) are analysed once."""
        key = (field, text)
        if cache is not None:
            hit = cache.get(key)
            if hit is not None:
                return hit
        counter = self._analyse_field(field, text)
        b = FIELD_B[field]
        w = FIELD_WEIGHTS[field] / (1 - b + b * sum(counter.values()) / self.avg_len[field])
        items = [(t, w * tf) for t, tf in counter.items()]
        if cache is not None:
            if len(cache) > 300_000:
                cache.clear()
            cache[key] = items
        return items

    def build(self, docs: Iterable[Doc], sample: int = 2000) -> None:
        """Index `docs` in one pass. Average field lengths (for BM25 length normalisation) come from the first
        `sample` documents, so a build never holds every analysed document in memory."""
        it = iter(docs)
        head = []
        for doc in it:
            head.append(doc)
            if len(head) >= sample:
                break
        if head:
            for f, i in zip(FIELDS, range(3), strict=True):
                total = sum(sum(self._analyse_field(f, self._texts(d)[i]).values()) for d in head)
                self.avg_len[f] = max(1.0, total / len(head))
        cache: dict = {}
        self._buffer = {}  # term → [slot, weight, slot, weight, ...]; lists append faster than arrays
        # Millions of small objects and no cycles: the cyclic collector would only rescan them again and again.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            for doc in head:
                self._add(doc, cache)
            del head
            for doc in it:
                self._add(doc, cache)
        finally:
            buffer, self._buffer = self._buffer, None
            if gc_was_enabled:
                gc.enable()
        for term, flat in buffer.items():
            self.postings[term] = (array("i", flat[0::2]), array("f", flat[1::2]))

    def upsert(self, doc: Doc) -> None:
        self.remove(doc.id)
        self._add(doc, None)

    def remove(self, indicator_id: int) -> None:
        slot = self.slot_of.pop(indicator_id, None)
        if slot is not None:
            meta = self.meta[slot]
            if meta is not None and self.code_slot.get(meta.code.lower()) == slot:
                del self.code_slot[meta.code.lower()]
            if meta is not None:
                for f in FACETS:
                    found = self.facets[f].get(getattr(meta, f))
                    if found is not None:
                        found.discard(slot)
            self.meta[slot] = None
            self.dead += 1

    _buffer: dict | None = None

    def _add(self, doc: Doc, cache: dict | None) -> None:
        slot = len(self.meta)
        name, explanation, classification = self._texts(doc)
        self.meta.append(DocMeta(
            id=doc.id, code=doc.code, name=normalise(name), sector_id=doc.sector_id, domain_id=doc.domain_id,
            level1=doc.level1, level2=doc.level2, is_common=bool(doc.is_common), status=doc.status,
            region_id=doc.region_id, department_id=doc.department_id, usage_count=doc.usage_count or 0,
            expl_head=normalise(explanation[:EXPLANATION_HEAD]),
            boost=1 + USAGE_BOOST * math.log1p(doc.usage_count or 0),
        ))
        self.slot_of[doc.id] = slot
        self.max_boost = max(self.max_boost, self.meta[slot].boost)
        self._index_facets(slot, self.meta[slot])
        if doc.code:
            self.code_slot[doc.code.lower()] = slot
        # BM25F: weighted, length-normalised term frequencies summed over the fields, then saturated once.
        combined = dict(self._field_terms("name", name, cache))
        get = combined.get
        for term, w in self._field_terms("explanation", explanation, cache):
            combined[term] = get(term, 0.0) + w
        for term, w in self._field_terms("classification", classification, cache):
            combined[term] = get(term, 0.0) + w
        k1, k1p = K1, K1 + 1
        buffer = self._buffer
        if buffer is not None:
            for term, tf in combined.items():
                flat = buffer.get(term)
                if flat is None:
                    flat = buffer[term] = []
                flat += (slot, tf * k1p / (k1 + tf))
            return
        postings = self.postings
        for term, tf in combined.items():
            entry = postings.get(term)
            if entry is None:
                entry = postings[term] = (array("i"), array("f"))
            entry[0].append(slot)
            entry[1].append(tf * k1p / (k1 + tf))

    def dump(self) -> bytes:
        """The index as marshal data (plain values only), for the snapshot file."""
        alive = [m for m in self.meta if m is not None]
        remap = {}
        for new_slot, m in enumerate(alive):
            remap[self.slot_of[m.id]] = new_slot
        postings = {}
        for term, (slots, weights) in self.postings.items():
            if self.dead:
                pairs = [(remap[s], w) for s, w in zip(slots, weights, strict=False) if s in remap]
                if not pairs:
                    continue
                slots = array("i", [p[0] for p in pairs])
                weights = array("f", [p[1] for p in pairs])
            postings[term] = (slots.tobytes(), weights.tobytes())
        columns = [[getattr(m, f) for m in alive] for f in DocMeta.__slots__]
        return marshal.dumps({"format": SNAPSHOT_FORMAT, "avg_len": self.avg_len, "postings": postings,
                              "meta_fields": list(DocMeta.__slots__), "meta": columns})

    @classmethod
    def load(cls, data: bytes) -> InvertedIndex:
        raw = marshal.loads(data)  # noqa: S302 (our own cache file, written by dump())
        if raw.get("format") != SNAPSHOT_FORMAT or raw.get("meta_fields") != list(DocMeta.__slots__):
            raise ValueError("snapshot of another format")
        index = cls()
        index.avg_len = raw["avg_len"]
        for term, (slots, weights) in raw["postings"].items():
            a, b = array("i"), array("f")
            a.frombytes(slots)
            b.frombytes(weights)
            index.postings[term] = (a, b)
        index.meta = [DocMeta(*values) for values in zip(*raw["meta"], strict=True)]
        index.slot_of = {m.id: i for i, m in enumerate(index.meta)}
        index.code_slot = {m.code.lower(): i for i, m in enumerate(index.meta) if m.code}
        index.max_boost = max((m.boost for m in index.meta), default=1.0)
        for slot, m in enumerate(index.meta):
            index._index_facets(slot, m)
        return index

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

    def search(self, query: Query, within: Iterable[set[int]] | None = None, *, offset: int = 0, limit: int = 20,
               prefer_sector_id: int | None = None) -> tuple[list[Hit], int]:
        """Rank the documents matching `query` among the slots in every set of `within` (permission, filters; None:
        all). Returns the requested page and the number of matches."""
        meta = self.meta
        within = sorted(within, key=len) if within is not None else None
        if query.short:
            return self._search_short(query.short, within, offset, limit, prefer_sector_id)
        if not query.terms and not query.code:
            return [], 0
        # candidates: slots containing enough of the query's words (all of them for one or two words)
        need = query.required()
        if query.units:
            unit_sets = sorted((self._docs_with_unit(unit) for unit in query.units), key=len)
            if need >= len(unit_sets):
                candidates = set(unit_sets[0])
                for other in unit_sets[1:]:
                    candidates &= other
                    if not candidates:
                        break
            else:
                counts: dict[int, int] = {}
                for found in unit_sets:
                    _count(counts, found)
                candidates = {slot for slot, c in counts.items() if c >= need}
        else:
            candidates = set()
        code_slot = self.code_slot.get(query.code) if query.code else None
        if code_slot is not None:
            candidates.add(code_slot)
        if within is not None:
            for allowed in within:
                candidates &= allowed
                if not candidates:
                    break
        if self.dead:
            candidates = {slot for slot in candidates if meta[slot] is not None}
        scores = dict.fromkeys(candidates, 0.0)
        if not scores:
            return [], 0
        ordered = sorted(scores)
        for term in query.terms:
            entry = self.postings.get(term)
            if not entry:
                continue
            idf = self._idf(term) * query.weights.get(term, 1.0)
            slots, weights = entry
            n = len(slots)
            if n <= 3 * len(scores):
                for slot, w in zip(slots, weights, strict=False):
                    if slot in scores:
                        scores[slot] += idf * w
            else:
                # a frequent term: find the (sorted) candidates in the (sorted) postings by binary search
                i = 0
                for slot in ordered:
                    i = bisect_left(slots, slot, i)
                    if i == n:
                        break
                    if slots[i] == slot:
                        scores[slot] += idf * weights[i]
        # Boosts only multiply, by at most `bound`: walking the candidates from the best base score down, stop
        # once even the largest boost could not lift a candidate into the requested page.
        phrase = query.phrase if len(query.phrase) >= 2 else ""
        units = query.units
        coverage = NAME_COVERAGE_BOOST / len(units) if units else 0.0
        bound = ((1 + NAME_COVERAGE_BOOST if units else 1.0) * (NAME_EQUALS_BOOST * PHRASE_IN_NAME_BOOST if phrase
                                                                 else 1.0)
                 * self.max_boost * (SECTOR_BOOST if prefer_sector_id is not None else 1.0))
        want = offset + limit
        order = sorted(scores.items(), key=itemgetter(1), reverse=True)
        if code_slot is not None and code_slot in scores:
            order.insert(0, (code_slot, scores[code_slot] + 1000.0))
        best: list[float] = []  # min-heap of the `want` best final scores so far
        ranked: list[tuple[float, str, int]] = []
        seen_code = False
        for slot, score in order:
            if slot == code_slot:
                if seen_code:
                    continue
                seen_code = True
            elif len(best) >= want and score * bound < best[0]:
                break
            m = meta[slot]
            name = m.name
            if coverage:
                hits = 0
                for u in units:
                    if u in name:
                        hits += 1
                score *= 1 + coverage * hits
            if phrase:
                if phrase in name:
                    score *= NAME_EQUALS_BOOST * PHRASE_IN_NAME_BOOST if name == phrase else PHRASE_IN_NAME_BOOST
                elif phrase in m.expl_head:
                    score *= PHRASE_IN_EXPLANATION_BOOST
            score *= m.boost
            if prefer_sector_id is not None and m.sector_id == prefer_sector_id:
                score *= SECTOR_BOOST
            ranked.append((score, m.code, m.id))
            if len(best) < want:
                heapq.heappush(best, score)
            elif score > best[0]:
                heapq.heapreplace(best, score)
        return self._page(ranked, offset, limit, total=len(scores))

    def _search_short(self, ch: str, within, offset, limit, prefer_sector_id) -> tuple[list[Hit], int]:
        if within:
            slots = set(within[0])
            for allowed in within[1:]:
                slots &= allowed
            pairs = ((slot, self.meta[slot]) for slot in slots)
        else:
            pairs = enumerate(self.meta)
        ranked = []
        for _slot, m in pairs:
            if m is None or ch not in m.name:
                continue
            score = 1.0 / (1 + m.name.index(ch)) + 1.0 / len(m.name)
            score *= m.boost
            if prefer_sector_id is not None and m.sector_id == prefer_sector_id:
                score *= SECTOR_BOOST
            ranked.append((score, m.code, m.id))
        return self._page(ranked, offset, limit)

    @staticmethod
    def _page(ranked, offset, limit, total: int | None = None) -> tuple[list[Hit], int]:
        total = len(ranked) if total is None else total
        # best score first, then by code (stable, readable order for ties)
        top = heapq.nsmallest(offset + limit, ranked, key=lambda r: (-r[0], r[1]))
        return [Hit(id=r[2], score=round(r[0], 4)) for r in top[offset:offset + limit]], total


SNAPSHOT_FORMAT = 3


class _Snapshots:
    """Built indexes saved as files (VAR_DIR/cache), named by library revision and token, so that the other processes
    of the machine (web workers, the background worker) load an index in about a second instead of analysing the
    whole library again. A snapshot is only a faster start: a missing, stale or unreadable file means a build."""

    MIN_DOCS = 20_000  # smaller libraries build in a second or two anyway
    KEEP = 2

    def directory(self) -> Path | None:
        from django.conf import settings

        base = getattr(settings, "VAR_DIR", None)
        return Path(base) / "cache" if base else None

    def _prefix(self) -> str:
        import hashlib

        from django.db import connection

        where = f"{connection.vendor}:{connection.settings_dict.get('HOST')}:{connection.settings_dict.get('NAME')}"
        return f"indicator-index-{hashlib.sha256(where.encode()).hexdigest()[:10]}-"

    def path(self, revision: int, token: str) -> Path | None:
        directory = self.directory()
        return directory / f"{self._prefix()}{revision}-{token}.bin" if directory else None

    def load(self, revision: int, token: str) -> InvertedIndex | None:
        path = self.path(revision, token)
        if path is None or not path.exists():
            return None
        try:
            return InvertedIndex.load(path.read_bytes())
        except (OSError, ValueError, EOFError, TypeError, KeyError):
            logger.warning("ignoring unreadable indicator index snapshot %s", path, exc_info=True)
            return None

    def save(self, index: InvertedIndex, revision: int, token: str) -> None:
        import os
        import tempfile

        path = self.path(revision, token)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as fh:
                fh.write(index.dump())
            os.replace(fh.name, path)
            older = sorted(path.parent.glob(f"{self._prefix()}*.bin"), key=lambda p: p.stat().st_mtime, reverse=True)
            for stale in older[self.KEEP:]:
                stale.unlink(missing_ok=True)
        except OSError:
            logger.warning("could not save the indicator index snapshot %s", path, exc_info=True)


snapshots = _Snapshots()


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
        revision, token = last if last else (0, "")
        index = snapshots.load(revision, token) if revision else None
        source = "snapshot"
        if index is None:
            source = "database"
            index = InvertedIndex()
            rows = Indicator.objects.values_list(*DOC_FIELDS).order_by("id").iterator(chunk_size=5000)
            index.build(Doc(*row) for row in rows)
            if revision and index.size >= snapshots.MIN_DOCS:
                snapshots.save(index, revision, token)
        # The index is long-lived: keep its many small objects out of the cyclic collector's full passes, which
        # would otherwise stall a request now and then.
        gc.freeze()
        self._state = _State(index=index, revision=revision, token=token, built_at=time.time())
        logger.info("indicator search index loaded from the %s: %d indicators in %.2fs", source, index.size,
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

    def search(self, text: str, restrict: Callable[[InvertedIndex], list[set[int]]] | None = None, *,
               offset: int = 0, limit: int = 20, prefer_sector_id: int | None = None) -> Result:
        """Search the current library. `restrict(index)` gives the slot sets the searcher may see (see
        `selectors.LibraryAccess.visible_slots` and `Filters.sets`); None searches everything."""
        started = time.perf_counter()
        query = parse_query(text)
        with self._lock:  # an incremental update from another thread must not run under a search
            index = self.ensure_fresh()
            if query.empty:
                return Result(hits=[], total=0, query=query)
            within = restrict(index) if restrict is not None else None
            hits, total = index.search(query, within, offset=offset, limit=limit, prefer_sector_id=prefer_sector_id)
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
