"""Saving versions: always a new row, stale edits refused, invalid input changes nothing, audited, permissions."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from jixiao.core.models import AuditEvent
from jixiao.core.workflow import ConcurrentEditError
from jixiao.policy import services
from jixiao.policy.models import ImmutableRowError, PolicyProfile
from jixiao.policy.rules import ParamsInvalid
from jixiao.policy.tests.conftest import params_with


def save(actor, region, year, data, base, comment="调整"):
    return services.profile_save(actor=actor, region=region, fiscal_year=year, params=data, comment=comment,
                                 base_version=base)


def test_each_save_is_a_new_version_and_rows_never_change(cast, actors):
    fa = actors("finance_admin")
    v1 = save(fa, cast.city, 2026, params_with(**{"results.rectification_days": 45}), 0)
    v2 = save(fa, cast.city, 2026, params_with(**{"results.rectification_days": 30}), 1)
    assert (v1.version, v2.version) == (1, 2) and v1.pk != v2.pk
    v1.refresh_from_db()
    assert v1.params["results"]["rectification_days"] == 45
    assert v2.created_by == cast.users["finance_admin"] and v2.comment == "调整"
    v1.comment = "改写历史"
    with pytest.raises(ImmutableRowError):
        v1.save()


def test_stale_base_version_is_refused(cast, actors):
    fa = actors("finance_admin")
    save(fa, cast.city, 2026, params_with(), 0)
    save(fa, cast.city, 2026, params_with(**{"spot_check.sample_rate_pct": "35"}), 1)
    with pytest.raises(ConcurrentEditError) as info:
        save(fa, cast.city, 2026, params_with(**{"spot_check.sample_rate_pct": "40"}), 1)
    assert "现为第2版" in info.value.messages[0]
    with pytest.raises(ConcurrentEditError):
        save(fa, cast.city, 2027, params_with(), 3)  # nothing exists for 2027 yet
    assert PolicyProfile.objects.filter(region=cast.city).count() == 2


def test_invalid_params_change_nothing(cast, actors):
    fa = actors("finance_admin")
    with pytest.raises(ParamsInvalid) as info:
        save(fa, cast.city, 2026, params_with(**{"goals.frames.0.groups.0.weight": "60"}), 0)
    assert info.value.message_dict == {"goals.frames.0.groups": [
        "绩效目标 › 指标框架「10号框架（成本在产出下）」 › 一级指标：一级指标权重与预算执行率权重之和应为 100，当前为 110"]}
    with pytest.raises(ValidationError) as info:
        save(fa, cast.city, 2026, params_with(), 0, comment=" ")
    assert info.value.message_dict == {"comment": ["请填写修改说明"]}
    with pytest.raises(ValidationError):
        save(fa, cast.city, 1999, params_with(), 0)
    assert not PolicyProfile.objects.exists()
    assert not AuditEvent.objects.filter(object_repr__contains="2026年").exists()


def test_save_is_audited_with_what_changed(cast, actors):
    fa = actors("finance_admin")
    row = save(fa, cast.city, 2026, params_with(**{"results.rectification_days": 30}), 0, comment="按市里文件调整")
    event = AuditEvent.objects.get(object_id=str(row.pk), action="create")
    assert event.comment == "按市里文件调整" and event.region_id_value == cast.city.pk
    assert event.before["结果应用 › 整改期限（天）"] == "60 天"
    assert event.after["结果应用 › 整改期限（天）"] == "30 天"
    assert event.before["版本"].startswith("内置预设") and event.after["版本"] == "通辽市2026年第1版"
    assert len(event.changes()) == 2


def test_create_from_preset(cast, actors):
    fa = actors("finance_admin")
    row = services.profile_create_from_preset(actor=fa, region=cast.city, fiscal_year=2026, preset="sichuan_2025",
                                              comment="")
    assert row.version == 1 and row.preset == "sichuan_2025" and "四川" in row.name
    assert row.typed().monitoring.cumulative_floors[0].min_rate == 25
    again = services.profile_create_from_preset(actor=fa, region=cast.city, fiscal_year=2026, preset="zhengzhou_2023")
    assert again.version == 2
    with pytest.raises(ConcurrentEditError):
        services.profile_create_from_preset(actor=fa, region=cast.city, fiscal_year=2026, preset="shanxi",
                                            base_version=1)
    with pytest.raises(ValidationError) as info:
        services.profile_create_from_preset(actor=fa, region=cast.city, fiscal_year=2026, preset="nowhere")
    assert info.value.message_dict == {"preset": ["未知的预设：nowhere"]}


@pytest.mark.parametrize("user,region,outcome", [
    ("finance_admin", "city", "ok"),
    ("sysadmin", "city", "ok"),
    ("sysadmin", "county", "ok"),  # a sysadmin's CONFIGURE reaches the region subtree
    ("county_admin", "county", "ok"),
    ("finance_admin", "county", 403),  # readable (aggregate), not configurable
    ("county_admin", "city", 403),  # the parent's profile is readable (it is inherited), not editable
    ("province_admin", "city", 403),
    ("clerk_a", "city", 403),
    ("unit_a1", "city", 403),
    ("overseer", "city", 403),
    ("agency_yes", "city", 403),
    ("county_admin", "province", 403),
    ("unit_a1", "county", 404),
    ("finance_admin", "national", 403),
    ("sysadmin", "national", 403),  # a city-level sysadmin may not change what every region inherits
])
def test_who_may_save(cast, actors, user, region, outcome):
    target = None if region == "national" else getattr(cast, region)
    call = lambda: save(actors(user), target, 2026, params_with(), 0)  # noqa: E731
    if outcome == "ok":
        assert call().version == 1
    else:
        with pytest.raises(PermissionDenied if outcome == 403 else Http404):
            call()


def test_root_sysadmin_may_change_the_national_default(cast, root_sysadmin):
    from jixiao.core.permissions import actor_for

    row = save(actor_for(root_sysadmin), None, 2026, params_with(), 0)
    assert row.region is None and row.version == 1


def test_year_lock_refuses_new_versions(cast, actors):
    fa = actors("finance_admin")
    save(fa, cast.city, 2025, params_with(), 0)
    services.profile_year_lock(actor=fa, region=cast.city, fiscal_year=2025, reason="2025年评价结果已定稿")
    with pytest.raises(services.YearLockedError) as info:
        save(fa, cast.city, 2025, params_with(**{"results.rectification_days": 30}), 1)
    assert "已锁定" in info.value.messages[0]
    save(fa, cast.city, 2026, params_with(), 0)  # other years are open
    with pytest.raises(PermissionDenied):
        services.profile_year_unlock(actor=actors("clerk_a"), region=cast.city, fiscal_year=2025, comment="x")
    services.profile_year_unlock(actor=fa, region=cast.city, fiscal_year=2025, comment="需重算")
    assert save(fa, cast.city, 2025, params_with(), 1).version == 2
