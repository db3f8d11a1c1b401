"""Services: create, versioned edits with the lock, status changes, proposals, audit rows, usage counts."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jixiao.core import audit
from jixiao.core.permissions import actor_for
from jixiao.core.workflow import ConcurrentEditError
from jixiao.indicators import selectors, services
from jixiao.indicators.models import IndexChange, Indicator, IndicatorStatus, IndicatorVersion
from jixiao.indicators.tests.factories import definition


def test_create_writes_version_audit_and_change_log(cast, sectors, curator):
    ind = services.indicator_create(actor=curator, data=definition(
        name="学生资助人数", sector_id=sectors["教育"].pk, domain_id=sectors["学生资助"].pk))
    assert ind.region_id == cast.city.pk and ind.status == IndicatorStatus.ACTIVE
    assert ind.code == "ZB150500000001" and ind.current_version == 1
    v = IndicatorVersion.objects.get(indicator=ind)
    assert v.version == 1 and v.data["name"] == "学生资助人数" and v.data["sector_name"] == "教育"
    events = list(audit.history_for(ind))
    assert [e.action for e in events] == ["create"] and events[0].actor == cast.finance_admin
    assert IndexChange.objects.filter(indicator_ids=[ind.pk]).exists()
    second = services.indicator_create(actor=curator, data=definition())
    assert second.code == "ZB150500000002"


def test_domain_implies_sector_and_must_belong_to_it(cast, sectors, curator):
    ind = services.indicator_create(actor=curator, data=definition(domain_id=sectors["学生资助"].pk))
    assert ind.sector_id == sectors["教育"].pk
    with pytest.raises(ValidationError) as exc:
        services.indicator_create(actor=curator, data=definition(sector_id=sectors["卫生健康"].pk,
                                                                 domain_id=sectors["学生资助"].pk))
    assert exc.value.message_dict["domain_id"] == ["领域“学生资助”不属于所选行业"]


def test_validation_errors_are_per_field_and_write_nothing(cast, curator):
    with pytest.raises(ValidationError) as exc:
        services.indicator_create(actor=curator, data=definition(name="x" * 101, unit="", level2="经济效益"))
    fields = exc.value.message_dict
    assert set(fields) == {"name", "unit", "level2"}
    assert Indicator.objects.count() == 0


def test_duplicate_code_is_refused(cast, curator):
    services.indicator_create(actor=curator, data=definition(code="A-1"))
    with pytest.raises(ValidationError) as exc:
        services.indicator_create(actor=curator, data=definition(code="A-1"))
    assert exc.value.message_dict["code"] == ["指标编码“A-1”已被使用"]


def test_edit_makes_a_new_version_and_keeps_the_old(cast, curator):
    ind = services.indicator_create(actor=curator, data=definition(name="校舍维修面积", unit="平方米"))
    v1 = selectors.indicator_version_current(ind)
    ind = services.indicator_update(actor=curator, indicator=ind, data={"name": "校舍维修改造面积"},
                                    expected_lock_version=ind.lock_version, comment="规范名称")
    assert ind.current_version == 2 and ind.name == "校舍维修改造面积"
    v1.refresh_from_db()
    assert v1.data["name"] == "校舍维修面积"  # what a goal sheet used does not change
    v2 = selectors.indicator_version_current(ind)
    assert v2.version == 2 and v2.data["name"] == "校舍维修改造面积" and v2.comment == "规范名称"
    update = audit.history_for(ind).last()
    assert update.action == "update" and update.before == {"name": "校舍维修面积"}


def test_edit_with_a_stale_lock_is_refused(cast, curator):
    ind = services.indicator_create(actor=curator, data=definition())
    stale = ind.lock_version
    services.indicator_update(actor=curator, indicator=ind, data={"unit": "人次"}, expected_lock_version=stale)
    other = Indicator.objects.get(pk=ind.pk)
    with pytest.raises(ConcurrentEditError):
        services.indicator_update(actor=curator, indicator=other, data={"unit": "个"}, expected_lock_version=stale)
    assert Indicator.objects.get(pk=ind.pk).unit == "人次"


def test_an_edit_changing_nothing_writes_nothing(cast, curator):
    ind = services.indicator_create(actor=curator, data=definition(name="甲"))
    lock = ind.lock_version
    ind = services.indicator_update(actor=curator, indicator=ind, data={"name": "甲"}, expected_lock_version=lock)
    assert ind.current_version == 1 and Indicator.objects.get(pk=ind.pk).lock_version == lock
    assert IndicatorVersion.objects.filter(indicator=ind).count() == 1


def test_changing_the_comparator_re_derives_the_direction(cast, curator):
    ind = services.indicator_create(actor=curator, data=definition(unit="元"))
    ind = services.indicator_update(actor=curator, indicator=ind, data={"comparator": "le"},
                                    expected_lock_version=ind.lock_version)
    assert ind.direction == "lower"
    ind = services.indicator_update(actor=curator, indicator=ind, data={"comparator": "qualitative", "unit": ""},
                                    expected_lock_version=ind.lock_version)
    assert ind.direction == "qualitative" and ind.is_quantitative is False


def test_invalid_edit_leaves_the_indicator_and_lock(cast, curator):
    ind = services.indicator_create(actor=curator, data=definition())
    lock = ind.lock_version
    with pytest.raises(ValidationError):
        services.indicator_update(actor=curator, indicator=ind, data={"unit": ""}, expected_lock_version=lock)
    fresh = Indicator.objects.get(pk=ind.pk)
    assert fresh.lock_version == lock and fresh.unit == "人" and ind.lock_version == lock


def test_retire_and_restore(cast, curator):
    ind = services.indicator_create(actor=curator, data=definition())
    services.indicator_retire(actor=curator, indicator=ind, comment="口径调整")
    assert ind.status == IndicatorStatus.RETIRED and ind.current_version == 1
    with pytest.raises(ValidationError):
        services.indicator_retire(actor=curator, indicator=ind)
    services.indicator_restore(actor=curator, indicator=ind)
    assert Indicator.objects.get(pk=ind.pk).status == IndicatorStatus.ACTIVE
    assert [e.comment for e in audit.history_for(ind)][1] == "停用：口径调整"


def test_department_proposes_and_finance_approves(cast):
    clerk = actor_for(cast.clerk_a)
    ind = services.indicator_propose(actor=clerk, data=definition(name="课后服务覆盖率", unit="%"),
                                     comment="目标表需要")
    assert ind.status == IndicatorStatus.DRAFT and ind.department_id == cast.dept_a.pk
    assert ind.region_id == cast.city.pk and not ind.is_common
    # the proposer may still correct the draft; another department does not even see it
    services.indicator_update(actor=clerk, indicator=ind, data={"name": "学校课后服务覆盖率"},
                              expected_lock_version=ind.lock_version)
    with pytest.raises(Exception):  # noqa: B017  (Http404)
        selectors.indicator_get(actor_for(cast.clerk_b), ind.pk)
    with pytest.raises(PermissionDenied):
        services.indicator_approve(actor=clerk, indicator=ind)
    finance = actor_for(cast.finance_admin)
    services.indicator_approve(actor=finance, indicator=ind, comment="同意")
    assert ind.status == IndicatorStatus.ACTIVE
    with pytest.raises(PermissionDenied):
        services.indicator_update(actor=clerk, indicator=ind, data={"name": "再改"},
                                  expected_lock_version=ind.lock_version)
    assert selectors.indicator_get(actor_for(cast.clerk_b), ind.pk) == ind


def test_reject_needs_a_reason(cast):
    ind = services.indicator_propose(actor=actor_for(cast.users["unit_a1"]), data=definition())
    finance = actor_for(cast.finance_admin)
    with pytest.raises(ValidationError):
        services.indicator_reject(actor=finance, indicator=ind, comment=" ")
    services.indicator_reject(actor=finance, indicator=ind, comment="与现有指标重复")
    assert ind.status == IndicatorStatus.RETIRED


@pytest.mark.parametrize("user", ["clerk_a", "unit_a1", "officer_a", "overseer", "expert", "agency_yes"])
def test_only_curators_create(cast, user):
    with pytest.raises(PermissionDenied):
        services.indicator_create(actor=actor_for(cast.users[user]), data=definition())


@pytest.mark.parametrize("user", ["officer_a", "overseer", "expert", "agency_yes", "finance_admin"])
def test_only_departments_and_units_propose(cast, user):
    with pytest.raises(PermissionDenied):
        services.indicator_propose(actor=actor_for(cast.users[user]), data=definition())


def test_national_library_is_the_sysadmins(cast):
    sysadmin = actor_for(cast.sysadmin)
    ind = services.indicator_create(actor=sysadmin, data=definition(), region_id=None)
    assert ind.region_id is None and ind.code.startswith("ZB000000")
    with pytest.raises(PermissionDenied):
        services.indicator_create(actor=actor_for(cast.finance_admin), data=definition(), region_id=None)
    with pytest.raises(PermissionDenied):
        services.indicator_retire(actor=actor_for(cast.finance_admin), indicator=ind)
    county = services.indicator_create(actor=sysadmin, data=definition(), region_id=cast.county.pk)
    assert county.region_id == cast.county.pk


def test_usage_counts(cast, curator):
    ind = services.indicator_create(actor=curator, data=definition())
    services.indicator_usage_add(indicator_ids=[ind.pk, ind.pk], delta=2)
    services.indicator_usage_add(indicator_ids=[ind.pk], delta=-5)
    assert Indicator.objects.get(pk=ind.pk).usage_count == 0


def test_sector_create(cast, sectors, curator):
    s = services.sector_create(actor=curator, code="99", name="测试行业")
    d = services.sector_create(actor=curator, code="9901", name="测试领域", parent=s)
    assert d.parent == s
    with pytest.raises(ValidationError):
        services.sector_create(actor=curator, code="990101", name="三级", parent=d)
    with pytest.raises(PermissionDenied):
        services.sector_create(actor=actor_for(cast.clerk_a), code="98", name="x")
    assert services.sector_seed_defaults() == 0
