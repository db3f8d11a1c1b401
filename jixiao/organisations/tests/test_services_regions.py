"""Region services: validation, authorisation by Action.MANAGE, audit, and moving a subtree."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jixiao.core.audit import history_for
from jixiao.core.permissions import Action, actor_for, scope
from jixiao.core.testing import make_user
from jixiao.organisations import services
from jixiao.organisations.models import Department, Region, Role

from .helpers import act, counts


def test_sysadmin_creates_a_county_with_audit(cast):
    region = services.region_create(actor=act(cast, "sysadmin"), code="150521", name="科左中旗",
                                    level=Region.Level.COUNTY, parent=cast.city)
    assert region.path == f"{cast.city.path}{region.pk}/"
    assert region.bureau_name == "科左中旗财政局"
    event = history_for(region).get()
    assert event.action == "create" and event.after["code"] == "150521" and event.region_id_value == region.pk


@pytest.mark.parametrize("kwargs, field, message", [
    ({"code": "15"}, "code", "区划代码应为6位、9位或12位数字"),
    ({"code": "150502"}, "code", "已被“科尔沁区”使用"),
    ({"name": "  "}, "name", "请填写区划名称"),
    ({"level": Region.Level.CITY}, "level", "层级必须低于上级区划"),
    ({"level": 9}, "level", "层级无效"),
])
def test_region_create_validation_changes_nothing(cast, kwargs, field, message):
    before = counts()
    data = {"code": "150521", "name": "科左中旗", "level": Region.Level.COUNTY, **kwargs}
    with pytest.raises(ValidationError) as exc:
        services.region_create(actor=act(cast, "sysadmin"), parent=cast.city, **data)
    assert message in " ".join(exc.value.message_dict[field])
    assert counts() == before


@pytest.mark.parametrize("user", ["finance_admin", "clerk_a", "overseer", "county_admin"])
def test_only_a_subtree_manager_creates_regions(cast, user):
    with pytest.raises(PermissionDenied):
        services.region_create(actor=act(cast, user), code="150521", name="科左中旗", level=3, parent=cast.city)


def test_region_update_checks_levels_against_children(cast):
    with pytest.raises(ValidationError) as exc:
        services.region_update(actor=act(cast, "sysadmin"), region=cast.city, level=Region.Level.COUNTY)
    assert "层级必须高于下级区划" in exc.value.message_dict["level"][0]
    services.region_update(actor=act(cast, "finance_admin"), region=cast.city, bureau_name="通辽市财政局（新）")
    cast.city.refresh_from_db()
    assert cast.city.bureau_name == "通辽市财政局（新）"
    assert history_for(cast.city).filter(action="update").exists()


def test_finance_admin_cannot_edit_another_region(cast):
    with pytest.raises(PermissionDenied):
        services.region_update(actor=act(cast, "finance_admin"), region=cast.county, name="改名")


@pytest.fixture
def province_sysadmin(cast):
    return actor_for(make_user("prov_sys", Role.SYSADMIN, cast.province))


def test_region_move_repaths_the_whole_subtree(cast, province_sysadmin):
    actor = province_sysadmin
    town = services.region_create(actor=actor, code="150502001", name="某街道", level=4, parent=cast.county)
    city2 = services.region_create(actor=actor, code="150400", name="赤峰市", level=2, parent=cast.province)
    services.region_move(actor=actor, region=cast.county, parent=city2)
    cast.county.refresh_from_db()
    town.refresh_from_db()
    assert cast.county.parent_id == city2.pk
    assert cast.county.path == f"{city2.path}{cast.county.pk}/"
    assert town.path == f"{cast.county.path}{town.pk}/"
    assert not Region.objects.filter(path__startswith=cast.city.path).filter(pk__in=[cast.county.pk, town.pk])
    # the organisation columns of documents follow: a county department is now under 赤峰市, not 通辽市
    city_sysadmin = act(cast, "sysadmin")
    assert cast.county_dept not in scope(city_sysadmin, Action.VIEW, Department.objects.all())
    event = history_for(cast.county).filter(action="update").get()
    assert event.before["parent_id"] == cast.city.pk and event.after["parent_id"] == city2.pk
    assert "1 个下级区划" in event.comment


def test_region_move_refuses_cycles_and_levels(cast, province_sysadmin):
    actor = province_sysadmin
    town = services.region_create(actor=actor, code="150502001", name="某街道", level=4, parent=cast.county)
    with pytest.raises(ValidationError, match="自身或其下级"):
        services.region_move(actor=actor, region=cast.city, parent=cast.county)
    with pytest.raises(ValidationError, match="相同"):
        services.region_move(actor=actor, region=cast.county, parent=cast.city)
    other = services.region_create(actor=actor, code="150503", name="开发区", level=3, parent=cast.city)
    before = counts()
    with pytest.raises(ValidationError, match="同级或更低层级"):
        services.region_move(actor=actor, region=other, parent=cast.county)
    assert counts() == before
    services.region_move(actor=actor, region=town, parent=other)
    town.refresh_from_db()
    assert town.path == f"{other.path}{town.pk}/"


def test_region_move_needs_both_ends_in_reach(cast):
    with pytest.raises(PermissionDenied):  # the city sysadmin does not manage the province
        services.region_move(actor=act(cast, "sysadmin"), region=cast.city,
                             parent=Region.objects.create(code="150400", name="赤峰市", level=2,
                                                          parent=cast.province, bureau_name="x"))
    with pytest.raises(PermissionDenied):
        services.region_move(actor=act(cast, "finance_admin"), region=cast.county, parent=cast.city)
