"""Drawing the bureau's spot-check sample of self-evaluations (抽查复核, 10号 第十九条; RULES checklist 39): plain
values in, plain values out.

- The sample is at least the profile's share (`spot_check.sample_rate_pct`, 30% by default) of the self-evaluations,
  rounded up.
- Stratified by department and amount: the self-evaluations are put in strata (department × amount band, the bands
  being quantiles of the amounts, `spot_check.amount_bands` of them: three by default, 大额 / 中等 / 小额), and each
  stratum gets its proportional share of the sample (largest-remainder apportionment, so the strata add up to the
  total exactly and every stratum with items keeps its fair share).
- Must-include rules (`spot_check.must_include`): large amounts (年度预算 ≥ the rule's amount), self-graded 优,
  units found inflated last year, key projects. They are always in the sample and count toward their stratum's share;
  a stratum whose must-includes exceed its share keeps them all.
- Reproducible: the draw depends only on the items, the rules and the seed (each stratum shuffles its own sorted ids
  with a generator seeded by the recorded seed and the stratum), so the same seed over the same self-evaluations
  always gives the same sample, whatever order they were read in.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from jixiao.policy.schema import Grade, MustIncludeKind, SpotCheckParams

BANDS = ("large", "medium", "small")  # the default three bands (`spot_check.amount_bands` = 3)
BAND_LABELS = {"large": "大额", "medium": "中等", "small": "小额", "all": "全部金额",
               **{f"band{i}": f"金额第{i}档" for i in range(1, 10)}}
_ORDER = {"all": 0, "large": 0, "medium": 1, "small": 2, **{f"band{i}": i - 1 for i in range(1, 10)}}


def band_names(bands: int) -> tuple[str, ...]:
    """The names of `bands` amount bands, largest first (three: 大额 / 中等 / 小额)."""
    return {1: ("all",), 2: ("large", "small"), 3: BANDS}.get(bands) or tuple(f"band{i}" for i in range(1, bands + 1))
REASON_RANDOM = "random"
REASON_LABELS = {REASON_RANDOM: "随机抽取", **dict(MustIncludeKind.choices)}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A self-evaluation that may be drawn."""

    id: int
    department_id: int | None
    amount_fen: int  # 全年预算数
    grade: str = ""  # the self-evaluation's grade
    unit_id: int | None = None
    is_key: bool = False


@dataclass
class Drawn:
    id: int
    stratum: tuple
    reason: str  # REASON_RANDOM or a MustIncludeKind value


@dataclass
class Sample:
    seed: int
    rate_pct: object
    population: int
    target: int  # ceil(rate × population)
    drawn: list[Drawn] = field(default_factory=list)
    strata: dict[tuple, tuple[int, int]] = field(default_factory=dict)  # stratum → (items, drawn)
    thresholds: tuple[int, ...] = (0, 0)  # amount band bounds (fen), largest band first: ≥ the first is 大额 …

    @property
    def ids(self) -> list[int]:
        return [d.id for d in self.drawn]

    @property
    def must_included(self) -> int:
        return sum(1 for d in self.drawn if d.reason != REASON_RANDOM)


def amount_thresholds(amounts: Sequence[int], bands: int = 3) -> tuple[int, ...]:
    """The quantile bounds that cut the amounts into `bands` bands of (nearly) equal size, largest band first: the
    lower bound of each band but the last (three bands: the terciles, lower bounds of 大额 and 中等)."""
    if not amounts:
        return (0,) * (bands - 1)
    ordered = sorted(amounts)
    n = len(ordered)
    return tuple(ordered[(bands - k) * n // bands] for k in range(1, bands))


def band_of(amount: int, thresholds: Sequence[int], names: Sequence[str] | None = None) -> str:
    names = names or band_names(len(thresholds) + 1)
    for name, bound in zip(names, thresholds, strict=False):
        if amount >= bound:
            return name
    return names[-1]


def must_reason(c: Candidate, params: SpotCheckParams, inflated_units: frozenset[int]) -> str | None:
    for rule in params.must_include:
        kind = rule.kind
        if kind == MustIncludeKind.AMOUNT_AT_LEAST and rule.amount_yuan is not None \
                and c.amount_fen >= int(rule.amount_yuan * 100):
            return kind
        if kind == MustIncludeKind.SELF_GRADE_EXCELLENT and c.grade == Grade.EXCELLENT:
            return kind
        if kind == MustIncludeKind.INFLATED_LAST_YEAR and c.unit_id is not None and c.unit_id in inflated_units:
            return kind
        if kind == MustIncludeKind.KEY_PROJECT and c.is_key:
            return kind
    return None


def _apportion(sizes: dict[tuple, int], total: int) -> dict[tuple, int]:
    """Largest-remainder apportionment of `total` over strata proportional to their sizes (ties by stratum key)."""
    population = sum(sizes.values())
    if not population:
        return {k: 0 for k in sizes}
    quotas = {k: total * n / population for k, n in sizes.items()}
    out = {k: math.floor(q) for k, q in quotas.items()}
    rest = total - sum(out.values())
    for k in sorted(sizes, key=lambda k: (-(quotas[k] - out[k]), _key(k)))[:rest]:
        out[k] += 1
    return out


def _key(stratum: tuple) -> tuple:
    dept, band = stratum
    return (-1 if dept is None else dept, _ORDER[band])


def draw(candidates: Sequence[Candidate], params: SpotCheckParams, seed: int, *,
         inflated_units: frozenset[int] = frozenset()) -> Sample:
    population = len(candidates)
    target = math.ceil(population * params.sample_rate_pct / 100) if population else 0
    thresholds = amount_thresholds([c.amount_fen for c in candidates], params.amount_bands)
    strata: dict[tuple, list[Candidate]] = defaultdict(list)
    names = band_names(params.amount_bands)
    for c in candidates:
        strata[(c.department_id, band_of(c.amount_fen, thresholds, names))].append(c)
    quotas = _apportion({k: len(v) for k, v in strata.items()}, target)
    sample = Sample(seed=seed, rate_pct=params.sample_rate_pct, population=population, target=target,
                    thresholds=thresholds)
    for stratum in sorted(strata, key=_key):
        items = sorted(strata[stratum], key=lambda c: c.id)
        musts, rest = [], []
        for c in items:
            reason = must_reason(c, params, inflated_units)
            (musts if reason else rest).append((c, reason))
        for c, reason in musts:
            sample.drawn.append(Drawn(c.id, stratum, reason))
        room = max(quotas[stratum] - len(musts), 0)
        rng = random.Random(f"{seed}:{stratum[0]}:{stratum[1]}")
        for c, _ in rng.sample(rest, min(room, len(rest))):
            sample.drawn.append(Drawn(c.id, stratum, REASON_RANDOM))
        sample.strata[stratum] = (len(items), len(musts) + min(room, len(rest)))
    return sample


def new_seed() -> int:
    """A seed for a new draw (recorded with it, so the draw can be repeated and checked)."""
    return random.SystemRandom().randrange(1, 2**31)
