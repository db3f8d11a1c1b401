"""Resolution of the effective profile, and why a later change never alters a past year's results."""

from decimal import Decimal

from jixiao.policy import selectors, services
from jixiao.policy.presets import preset_params
from jixiao.policy.tests.conftest import params_with


def save(actor, region, year, base, **changes):
    return services.profile_save(actor=actor, region=region, fiscal_year=year, params=params_with(**changes),
                                 comment="测试", base_version=base)


def test_resolution_order(cast, actors, root_sysadmin):
    from jixiao.core.permissions import actor_for

    fa, root = actors("finance_admin"), actor_for(root_sysadmin)
    # 5. nothing saved anywhere: the built-in national preset.
    eff = selectors.effective_profile(cast.county, 2026)
    assert (eff.origin, eff.profile_id) == ("builtin", None) and eff.params == preset_params("national_2020")
    # 4. an earlier year of the national default.
    nat_2025 = save(root, None, 2025, 0, **{"results.rectification_days": 50})
    eff = selectors.effective_profile(cast.county, 2026)
    assert (eff.origin, eff.profile_id) == ("earlier_year", nat_2025.pk)
    assert eff.origin_label == "沿用全国默认2025年第1版（2026年尚未配置）"
    # an earlier year of the region itself beats an earlier year of the national default, within the same year...
    city_2025 = save(fa, cast.city, 2025, 0, **{"results.rectification_days": 40})
    assert selectors.effective_profile(cast.county, 2026).profile_id == city_2025.pk
    # 3. ...but the national default of the requested year beats any earlier year.
    nat_2026 = save(root, None, 2026, 0, **{"results.rectification_days": 35})
    eff = selectors.effective_profile(cast.county, 2026)
    assert (eff.origin, eff.profile_id, eff.params.results.rectification_days) == ("national", nat_2026.pk, 35)
    # 2. a parent region's profile of the year beats the national default.
    city_2026 = save(fa, cast.city, 2026, 0, **{"results.rectification_days": 30})
    eff = selectors.effective_profile(cast.county, 2026)
    assert (eff.origin, eff.profile_id) == ("parent", city_2026.pk)
    assert eff.origin_label == "沿用上级（通辽市）2026年第1版"
    # 1. the region's own profile wins, its latest version.
    save(actors("county_admin"), cast.county, 2026, 0, **{"results.rectification_days": 20})
    own_v2 = save(actors("county_admin"), cast.county, 2026, 1, **{"results.rectification_days": 25})
    eff = selectors.effective_profile(cast.county.pk, 2026)
    assert (eff.origin, eff.profile_id, eff.version, eff.params.results.rectification_days) == ("own", own_v2.pk, 2,
                                                                                                 25)
    # the city itself is not affected by its county; the national default resolves without regions.
    assert selectors.effective_profile(cast.city, 2026).profile_id == city_2026.pk
    assert selectors.effective_profile(None, 2026).profile_id == nat_2026.pk
    assert selectors.effective_profile(None, 2026).origin == "own"


def test_a_later_change_never_alters_a_past_year(cast, actors):
    """Results of 2025 store the version id they were computed with; saving new versions (for 2026, and even
    for 2025 itself) leaves both the stored id's numbers and the 2025 resolution as they were."""
    fa = actors("finance_admin")
    save(fa, cast.city, 2025, 0, **{"self_evaluation.grade_bands.0.lower": "90"})
    eff_2025 = selectors.effective_profile(cast.city, 2025)
    stored_id = eff_2025.profile_id  # what a 2025 result would record
    assert eff_2025.params.self_evaluation.grade_bands[0].lower == 90

    save(fa, cast.city, 2026, 0, **{"self_evaluation.grade_bands.0.lower": "85",
                                    "results.rectification_days": 30})
    again = selectors.effective_profile(cast.city, 2025)
    assert again.profile_id == stored_id
    assert again.params.self_evaluation.grade_bands[0].lower == 90
    assert again.params.results.rectification_days == 60
    assert selectors.effective_profile(cast.city, 2026).params.self_evaluation.grade_bands[0].lower == 85

    # Even a correction of 2025 itself is a new version: the stored id still gives the old numbers.
    save(fa, cast.city, 2025, 1, **{"self_evaluation.grade_bands.0.lower": "88"})
    assert selectors.params_for_version(stored_id).self_evaluation.grade_bands[0].lower == 90
    assert selectors.effective_profile(cast.city, 2025).params.self_evaluation.grade_bands[0].lower == 88


def test_effective_profile_query_count(cast, actors, django_assert_num_queries):
    save(actors("finance_admin"), cast.city, 2026, 0)
    county = cast.county
    with django_assert_num_queries(2):
        selectors.effective_profile(county, 2026)


def test_who_may_read(cast, actors):
    fa = actors("finance_admin")
    save(fa, cast.city, 2026, 0)
    county_row = save(actors("county_admin"), cast.county, 2026, 0)
    # a unit sees its region and the parents' and national rows, not the county below
    unit = actors("unit_a1")
    assert selectors.can_read_region(unit, cast.city) and selectors.can_read_region(unit, cast.province)
    assert not selectors.can_read_region(unit, cast.county)
    assert not selectors.visible_profiles(unit).filter(pk=county_row.pk).exists()
    # the city's finance admin may read the county's (aggregate reach), the county admin the city's (inherited)
    assert selectors.visible_profiles(fa).filter(pk=county_row.pk).exists()
    assert selectors.can_read_region(actors("county_admin"), cast.city)
    assert selectors.can_read_region(unit, None)


def test_profile_diff(cast, actors):
    fa = actors("finance_admin")
    a = save(fa, cast.city, 2026, 0)
    b = save(fa, cast.city, 2026, 1, **{"ex_ante.annual_amount_yuan": "3000000.00",
                                         "monitoring.points.0.due": "08-20"})
    changes = selectors.profile_diff(a, b)
    assert [(c.path, c.before_display, c.after_display) for c in changes] == [
        ("ex_ante.annual_amount_yuan", "5,000,000.00 元（500.00 万元）", "3,000,000.00 元（300.00 万元）"),
        ("monitoring.points[1].due", "8月15日", "8月20日"),
    ]
    assert changes[0].label == "事前绩效评估 › 年度投入门槛（元）"
    assert selectors.profile_diff(a, a) == []
    # 10 and 10.00 are the same number
    assert selectors.profile_diff(params_with(**{"spot_check.sample_rate_pct": "30.00"}), params_with()) == []
    assert Decimal("30.00") == Decimal("30")


def test_ensure_effective_pins_a_stored_version(cast):
    eff = services.profile_ensure_effective(region=cast.county, fiscal_year=2026)
    assert eff.profile_id is not None and eff.origin == "national"
    assert services.profile_ensure_effective(region=cast.city, fiscal_year=2026).profile_id == eff.profile_id
