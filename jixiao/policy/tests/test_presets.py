"""Each preset validates and carries the local numbers of its documents."""

from decimal import Decimal

import pytest

from jixiao.policy.presets import PRESETS, preset_params
from jixiao.policy.rules import validate_params
from jixiao.policy.schema import PolicyParams


@pytest.mark.parametrize("code", sorted(PRESETS))
def test_each_preset_validates(code):
    preset = PRESETS[code]
    assert preset.name and preset.description and preset.sources
    params = preset_params(code)
    assert validate_params(params.to_json()) == params


def test_national_default_is_the_schema_default():
    assert preset_params("national_2020") == PolicyParams()
    p = PolicyParams()
    assert p.ex_ante.annual_amount_yuan == Decimal("5000000")
    assert [pt.due for pt in p.monitoring.points] == ["08-15"]
    assert p.goal_review.fair_resubmit_working_days is None
    assert [b.lower for b in p.self_evaluation.grade_bands] == [90, 80, 60, 0]


def test_zhengzhou():
    p = preset_params("zhengzhou_2023")
    assert p.ex_ante.total_amount_yuan == Decimal("15000000") and p.ex_ante.investment_amount_yuan == Decimal(2 * 10**8)
    assert p.ex_ante.finance_annual_amount_yuan == Decimal(2 * 10**7)
    assert p.ex_ante.finance_investment_yuan == Decimal(5 * 10**8)
    assert [(pt.period_end, pt.due) for pt in p.monitoring.points] == [("06-30", "07-15"), ("09-30", "10-15")]
    assert p.goal_review.fair_resubmit_working_days == 3
    assert p.results.rectification_days == 60


def test_sichuan():
    m = preset_params("sichuan_2025").monitoring
    assert [(f.month, f.min_rate) for f in m.cumulative_floors] == [(4, 25), (6, 40), (8, 60), (10, 80)]
    assert m.floor_for_month(7) == 40
    assert m.dual_gap_pct_points == 10 and m.disposition_working_days == 10
    assert [pt.due for pt in m.points] == ["07-31", "10-31"]
    assert m.disposition_options == ["continue", "reallocate", "cancel"]


def test_shanxi_putuo_hailin_henan():
    assert [b.lower for b in preset_params("shanxi").self_evaluation.grade_bands] == [80, 70, 60, 0]
    putuo = preset_params("putuo_2023")
    assert putuo.results.rectification_days == 30 and putuo.results.rectification_kind == "complete"
    assert putuo.disclosure.goal_threshold_yuan == Decimal("5000000") and putuo.disclosure.coverage_min_pct == 50
    assert putuo.self_evaluation.due == "03-31" and putuo.monitoring.points[0].due == "08-31"
    assert putuo.ex_ante.total_amount_yuan is None
    hailin = preset_params("hailin_2021")
    assert [pt.period_end for pt in hailin.monitoring.points] == ["06-30", "09-30"]
    assert hailin.monitoring.year_end_sweep == "11-30" and hailin.evaluation.coverage_pct == 20
    assert hailin.results.allocation_weight_min_pct == 10
    henan = preset_params("henan_2022")
    assert henan.goals.frame(henan.goals.project_cost_frame).weight_of("cost") == 20
