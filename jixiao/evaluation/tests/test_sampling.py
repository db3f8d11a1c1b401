"""The spot-check draw: its size, its strata, must-include rules and reproducibility from the recorded seed."""

import math
import random
from collections import Counter
from decimal import Decimal as D

import pytest

from jixiao.evaluation import sampling as s
from jixiao.policy.schema import SpotCheckParams


def params(**kw) -> SpotCheckParams:
    return SpotCheckParams.model_validate(SpotCheckParams().model_dump(mode="json") | kw)


def population(n=1000, departments=7, seed=3):
    rng = random.Random(seed)
    return [s.Candidate(id=i + 1, department_id=rng.randrange(departments), amount_fen=rng.randrange(1, 10**9),
                        grade=rng.choice(["excellent", "good", "fair", ""]), unit_id=rng.randrange(50))
            for i in range(n)]


@pytest.mark.parametrize("n, rate, expected", [(1000, "30", 300), (10, "30", 3), (11, "30", 4), (1, "30", 1),
                                               (0, "30", 0), (7, "100", 7), (3, "0.5", 1)])
def test_size_is_the_share_rounded_up(n, rate, expected):
    sample = s.draw(population(n), params(sample_rate_pct=rate, must_include=[]), seed=1)
    assert sample.target == expected == len(sample.drawn)
    assert len(set(sample.ids)) == len(sample.ids)


def test_strata_get_their_proportional_share():
    items = population(3000)
    sample = s.draw(items, params(must_include=[]), seed=7)
    assert sum(drawn for _, drawn in sample.strata.values()) == 900
    for stratum, (size, drawn) in sample.strata.items():
        assert abs(drawn - size * 0.3) < 1, stratum
    bands = Counter(stratum[1] for stratum in sample.strata)
    assert set(bands) == {"large", "medium", "small"}


def test_same_seed_same_sample_whatever_the_order():
    items = population(500)
    a = s.draw(items, params(), seed=42)
    shuffled = list(items)
    random.Random(1).shuffle(shuffled)
    b = s.draw(shuffled, params(), seed=42)
    assert sorted(a.ids) == sorted(b.ids)
    c = s.draw(items, params(), seed=43)
    assert sorted(a.ids) != sorted(c.ids)


def test_must_include_rules():
    items = population(200)
    big = max(items, key=lambda c: c.amount_fen)
    p = params(sample_rate_pct="10", must_include=[
        {"kind": "amount_at_least", "amount_yuan": str(D(big.amount_fen) / 100)},
        {"kind": "inflated_last_year"}])
    sample = s.draw(items, p, seed=5, inflated_units=frozenset({3}))
    reasons = {d.id: d.reason for d in sample.drawn}
    assert reasons[big.id] == "amount_at_least"
    for c in items:
        if c.unit_id == 3:
            assert reasons.get(c.id) == "inflated_last_year"
    assert sample.must_included >= 2
    assert len(sample.drawn) >= sample.target


def test_musts_beyond_a_stratum_share_are_all_kept():
    items = [s.Candidate(id=i, department_id=1, amount_fen=100, grade="excellent") for i in range(10)]
    sample = s.draw(items, params(must_include=[{"kind": "self_grade_excellent"}]), seed=1)
    assert len(sample.drawn) == 10 and sample.target == 3


def test_amount_bands():
    t = s.amount_thresholds([1, 2, 3, 4, 5, 6])
    assert [s.band_of(a, t) for a in (1, 2, 3, 4, 5, 6)] == ["small", "small", "medium", "medium", "large", "large"]
    assert s.amount_thresholds([]) == (0, 0)
    assert s.band_of(5, s.amount_thresholds([5])) == "large"


def test_apportionment_adds_up():
    sizes = {(1, "large"): 5, (1, "small"): 5, (2, "medium"): 1}
    out = s._apportion(sizes, 4)
    assert sum(out.values()) == 4 and all(0 <= v <= sizes[k] for k, v in out.items())
    assert math.isclose(sum(out.values()), 4)


def test_the_number_of_amount_bands_comes_from_the_profile():
    amounts = list(range(1, 13))
    assert s.amount_thresholds(amounts, 4) == (10, 7, 4)  # quartiles' lower bounds, largest band first
    assert [s.band_of(a, (10, 7, 4)) for a in (12, 10, 9, 7, 5, 4, 3)] == [
        "band1", "band1", "band2", "band2", "band3", "band3", "band4"]
    assert s.band_of(99, ()) == "all" and s.amount_thresholds(amounts, 1) == ()
    assert [s.band_of(a, s.amount_thresholds(amounts, 2)) for a in (6, 7)] == ["small", "large"]
    params = SpotCheckParams(sample_rate_pct=D(50), amount_bands=2, must_include=[])
    cands = [s.Candidate(i, 1, i * 100) for i in range(1, 9)]
    sample = s.draw(cands, params, seed=3)
    assert sorted(k[1] for k in sample.strata) == ["large", "small"] and len(sample.drawn) == 4
    assert sample.strata[(1, "large")] == (4, 2)
