"""Department, unit and agency services: validation, reach, audit, deactivation and moving a unit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jixiao.core.audit import history_for
from jixiao.core.testing import make_user
from jixiao.organisations import services
from jixiao.organisations.models import Department, Role, RoleAssignment, Unit

from .helpers import act, counts


def test_finance_admin_creates_a_department_and_unit(cast):
    actor = act(cast, "finance_admin")
    dept = services.department_create(actor=actor, region=cast.city, code="303", name="通辽市农牧局", sector="农业")
    unit = services.unit_create(actor=actor, department=dept, code="303001", name="农牧局本级")
    assert unit.region_id == cast.city.pk and dept.sort_key.startswith("tong1 liao2")
    assert history_for(dept).get().after["name"] == "通辽市农牧局"
    assert history_for(unit).get().action == "create"


@pytest.mark.parametrize("code, name, field, message", [
    ("301", "重复", "code", "已被“通辽市教育局”使用"),
    ("3 01", "空格", "code", "只能包含数字、字母"),
    ("", "无编码", "code", "请填写部门编码"),
    ("309", "", "name", "请填写部门名称"),
    ("309", "长" * 101, "name", "不能超过100个字符"),
])
def test_department_validation_changes_nothing(cast, code, name, field, message):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.department_create(actor=act(cast, "finance_admin"), region=cast.city, code=code, name=name)
    assert message in exc.value.message_dict[field][0]
    assert counts() == before


def test_same_code_in_another_region_is_fine(cast):
    dept = services.department_create(actor=act(cast, "county_admin"), region=cast.county, code="302", name="区卫健委")
    assert dept.region_id == cast.county.pk


@pytest.mark.parametrize("user", ["clerk_a", "unit_a1", "officer_a", "overseer", "county_admin", "agency_yes"])
def test_outside_the_manage_reach_is_refused(cast, user):
    with pytest.raises(PermissionDenied):
        services.department_create(actor=act(cast, user), region=cast.city, code="309", name="某局")
    with pytest.raises(PermissionDenied):
        services.unit_create(actor=act(cast, user), department=cast.dept_a, code="301009", name="某校")
    with pytest.raises(PermissionDenied):
        services.unit_update(actor=act(cast, user), unit=cast.unit_a1, name="改名")


def test_city_sysadmin_manages_the_county_below(cast):
    services.unit_update(actor=act(cast, "sysadmin"), unit=cast.county_unit, name="科尔沁区实验小学（新）")
    cast.county_unit.refresh_from_db()
    assert cast.county_unit.name == "科尔沁区实验小学（新）" and cast.county_unit.sort_key.startswith("ke1")


def test_update_without_changes_writes_nothing(cast):
    before = counts()
    services.department_update(actor=act(cast, "finance_admin"), department=cast.dept_a, name=cast.dept_a.name)
    assert counts() == before


def test_department_deactivation_needs_its_units_stopped_first(cast):
    actor = act(cast, "finance_admin")
    with pytest.raises(ValidationError, match="还有 2 个启用的预算单位"):
        services.department_deactivate(actor=actor, department=cast.dept_a)
    services.unit_deactivate(actor=actor, unit=cast.unit_a1)
    services.unit_deactivate(actor=actor, unit=cast.unit_a2)
    services.department_deactivate(actor=actor, department=cast.dept_a)
    cast.dept_a.refresh_from_db()
    assert not cast.dept_a.is_active
    with pytest.raises(ValidationError, match="已停用"):
        services.unit_create(actor=actor, department=cast.dept_a, code="301009", name="新校")
    cast.unit_a1.refresh_from_db()
    with pytest.raises(ValidationError, match="请先启用主管部门"):
        services.unit_activate(actor=actor, unit=cast.unit_a1)
    services.department_activate(actor=actor, department=cast.dept_a)
    services.unit_activate(actor=actor, unit=cast.unit_a1)


def test_unit_move_keeps_region_and_role_assignments_consistent(cast):
    actor = act(cast, "finance_admin")
    services.unit_move(actor=actor, unit=cast.unit_a2, department=cast.dept_b)
    cast.unit_a2.refresh_from_db()
    assert cast.unit_a2.department_id == cast.dept_b.pk and cast.unit_a2.region_id == cast.city.pk
    ra = RoleAssignment.objects.get(user=cast.users["unit_a2"])
    assert ra.department_id == cast.dept_b.pk
    event = history_for(cast.unit_a2).get(action="update")
    assert event.before["department_id"] == cast.dept_a.pk and "1 个单位角色" in event.comment


def test_unit_move_across_regions(cast):
    actor = act(cast, "sysadmin")
    services.unit_move(actor=actor, unit=cast.unit_b1, department=cast.county_dept)
    cast.unit_b1.refresh_from_db()
    assert cast.unit_b1.region_id == cast.county.pk
    # 301001 exists in the county already: moving 通辽市第一中学 there would clash
    with pytest.raises(ValidationError, match="301001"):
        services.unit_move(actor=actor, unit=cast.unit_a1, department=cast.county_dept)
    # the county admin cannot pull a city unit into its region
    with pytest.raises(PermissionDenied):
        services.unit_move(actor=act(cast, "county_admin"), unit=cast.unit_a2, department=cast.county_dept)
    with pytest.raises(ValidationError, match="相同"):
        services.unit_move(actor=actor, unit=cast.unit_a2, department=cast.dept_a)


def test_agency_registration(cast):
    actor = act(cast, "finance_admin")
    agency = services.agency_create(actor=actor, region=cast.city, name="正信会计师事务所",
                                    credit_code="91150500ma0000003c")
    assert agency.credit_code == "91150500MA0000003C"
    with pytest.raises(ValidationError) as exc:
        services.agency_create(actor=actor, region=cast.city, name="", credit_code="91150500MA0000003C")
    assert set(exc.value.message_dict) == {"name", "credit_code"}
    with pytest.raises(ValidationError, match="18位"):
        services.agency_update(actor=actor, agency=agency, credit_code="123")
    with pytest.raises(PermissionDenied):
        services.agency_create(actor=act(cast, "county_admin"), region=cast.city, name="x",
                               credit_code="91150500MA0000004D")


def test_classified_department_flag_is_audited(cast):
    make_user("fin2", Role.FINANCE_ADMIN, cast.city)
    services.department_update(actor=act(cast, "finance_admin"), department=cast.dept_b, is_classified=True)
    assert Department.objects.get(pk=cast.dept_b.pk).is_classified
    assert history_for(cast.dept_b).get().after["is_classified"] is True
    assert Unit.objects.filter(department=cast.dept_b).count() == 1


def test_a_unique_race_becomes_a_field_error(cast):
    # two people saving the same code at once both pass the check; the constraint catches the second
    with pytest.raises(ValidationError) as exc:
        with services._unique("code", "该区划下部门编码 301 已被使用"):
            Department.objects.create(region=cast.city, code="301", name="同时保存的部门")
    assert exc.value.message_dict == {"code": ["该区划下部门编码 301 已被使用"]}
    assert Department.objects.filter(region=cast.city).count() == 2  # and the transaction is still usable
