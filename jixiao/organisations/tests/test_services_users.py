"""User and role services: consistent assignments, breadth (nobody grants more than they hold), audit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jixiao.core.audit import history_for
from jixiao.core.models import AuditEvent
from jixiao.organisations import selectors, services
from jixiao.organisations.models import ApiToken, Role, RoleAssignment, User
from jixiao.organisations.services import AssignmentSpec

from .helpers import act, counts


def spec(**kw):
    return AssignmentSpec(**kw)


def test_create_user_with_generated_password_and_audit(cast):
    user, password = services.user_create(
        actor=act(cast, "finance_admin"), username="zhang3", full_name="张三",
        assignments=[spec(role=Role.UNIT, unit=cast.unit_a1)])
    assert password and user.check_password(password)
    ra = user.role_assignments.get()
    assert (ra.department_id, ra.region_id) == (cast.dept_a.pk, cast.city.pk)  # filled from the unit
    event = history_for(user).get()
    assert event.action == "create" and event.region_id_value == cast.city.pk
    assert "password" not in event.after and event.after["username"] == "zhang3"
    assert AuditEvent.objects.filter(content_type__model="roleassignment", object_id=str(ra.pk)).exists()


def test_chosen_password_is_validated(cast):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=act(cast, "finance_admin"), username="zhang3", full_name="张三",
                             password="12345678", assignments=[spec(role=Role.EXPERT, region=cast.city)])
    assert any("数字" in m or "常见" in m for m in exc.value.message_dict["password"])
    assert counts() == before


def OFFICER(cast, **kw):
    return spec(role=Role.BUDGET_OFFICER, region=cast.city, **kw)


@pytest.mark.parametrize("make, field, message", [
    (lambda c: spec(role=Role.UNIT), "unit", "必须指定预算单位"),
    (lambda c: spec(role=Role.UNIT, unit=c.unit_a1, department=c.dept_b), "department", "不属于主管部门"),
    (lambda c: spec(role=Role.UNIT, unit=c.unit_a1, region=c.county), "region", "不属于该区划"),
    (lambda c: spec(role=Role.DEPARTMENT, region=c.city), "department", "必须指定主管部门"),
    (lambda c: spec(role=Role.DEPARTMENT, department=c.county_dept, region=c.city), "region", "不属于该区划"),
    (lambda c: spec(role=Role.DEPARTMENT, department=c.dept_a, unit=c.unit_a1), "unit", "不应指定预算单位"),
    (lambda c: spec(role=Role.AGENCY, region=c.city), "agency", "必须指定机构"),
    (lambda c: spec(role=Role.EXPERT, region=c.city, department=c.dept_a), "department", "不应指定主管部门"),
    (lambda c: spec(role=Role.OVERSEER), "region", "必须指定所属区划"),
    (lambda c: spec(role=Role.FINANCE_ADMIN, region=c.city, agency=c.agency_yes), "agency", "不应指定第三方机构"),
    (lambda c: OFFICER(c), "departments", "请指定"),
    (lambda c: OFFICER(c, departments=[c.county_dept]), "departments", "不属于所属区划"),
    (lambda c: spec(role=Role.EXPERT, region=c.city, departments=[c.dept_a]), "departments", "不应指定分管部门"),
    (lambda c: spec(role="boss", region=c.city), "role", "无效"),
])
def test_inconsistent_assignments_are_refused(cast, make, field, message):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=act(cast, "sysadmin"), username="li4", full_name="李四",
                             assignments=[make(cast)])
    assert message in " ".join(exc.value.message_dict[field])
    assert counts() == before


def test_inactive_nodes_cannot_be_assigned(cast):
    actor = act(cast, "finance_admin")
    services.unit_deactivate(actor=actor, unit=cast.unit_a2)
    cast.unit_a2.refresh_from_db()
    with pytest.raises(ValidationError, match="已停用"):
        services.user_create(actor=actor, username="li4", full_name="李四",
                             assignments=[spec(role=Role.UNIT, unit=cast.unit_a2)])


def test_budget_officer_with_departments(cast):
    user, _ = services.user_create(actor=act(cast, "finance_admin"), username="jkw", full_name="教科文科",
                                   assignments=[OFFICER(cast, departments=[cast.dept_a, cast.dept_b])])
    ra = user.role_assignments.get()
    assert set(ra.departments.values_list("pk", flat=True)) == {cast.dept_a.pk, cast.dept_b.pk}


def test_nobody_grants_more_than_they_manage(cast):
    # a finance admin manages its region (REGION) and so may make peers, but not a sysadmin (REGION_TREE)
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=act(cast, "finance_admin"), username="boss", full_name="大管理员",
                             assignments=[spec(role=Role.SYSADMIN, region=cast.city)])
    assert "无权分配“系统管理员”" in exc.value.message_dict["role"][0]
    services.user_create(actor=act(cast, "finance_admin"), username="peer", full_name="同事",
                         assignments=[spec(role=Role.FINANCE_ADMIN, region=cast.city)])
    # nor anything outside its region
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=act(cast, "finance_admin"), username="far", full_name="区县",
                             assignments=[spec(role=Role.UNIT, unit=cast.county_unit)])
    assert "无权在该区划分配角色" in exc.value.message_dict["region"][0]
    # the city sysadmin manages the county below it
    services.user_create(actor=act(cast, "sysadmin"), username="near", full_name="区县",
                         assignments=[spec(role=Role.UNIT, unit=cast.county_unit)])


@pytest.mark.parametrize("user", ["clerk_a", "unit_a1", "officer_a", "overseer", "expert", "agency_yes"])
def test_users_without_manage_cannot_create_users(cast, user):
    with pytest.raises(PermissionDenied):
        services.user_create(actor=act(cast, user), username="x1", full_name="x",
                             assignments=[spec(role=Role.EXPERT, region=cast.city)])


def test_manageable_users_follow_reach_and_breadth(cast):
    finance = set(selectors.users_for_manage(act(cast, "finance_admin")).values_list("username", flat=True))
    assert {"clerk_a", "unit_a1", "officer_a", "agency_yes", "expert", "overseer", "finance"} <= finance
    assert not {"sysadmin", "county", "province"} & finance
    sysadmin = set(selectors.users_for_manage(act(cast, "sysadmin")).values_list("username", flat=True))
    assert {"sysadmin", "finance", "county"} <= sysadmin and "province" not in sysadmin
    assert not selectors.users_for_manage(act(cast, "clerk_a")).exists()
    # a user holding a role outside the actor's reach is not the actor's to manage
    services.role_assign(actor=act(cast, "sysadmin"), user=cast.users["clerk_b"],
                         spec=spec(role=Role.EXPERT, region=cast.county))
    assert not selectors.users_for_manage(act(cast, "county_admin")).filter(username="clerk_b").exists()
    assert selectors.users_for_manage(act(cast, "finance_admin")).filter(username="clerk_b").count() == 0


def test_finance_admin_cannot_take_over_a_sysadmin(cast):
    with pytest.raises(PermissionDenied):
        services.user_set_password(actor=act(cast, "finance_admin"), user=cast.users["sysadmin"])


def test_set_password_unlocks_and_revokes_tokens(cast):
    target = cast.users["unit_a1"]
    ApiToken.issue(target)
    User.objects.filter(pk=target.pk).update(failed_logins=3)
    target.refresh_from_db()
    generated = services.user_set_password(actor=act(cast, "finance_admin"), user=target)
    target.refresh_from_db()
    assert target.check_password(generated) and target.failed_logins == 0
    assert not ApiToken.objects.filter(user=target).exists()
    event = history_for(target).get()
    assert event.comment == "重置密码" and "password" not in event.after
    assert services.user_set_password(actor=act(cast, "finance_admin"), user=target,
                                      password="Another-pass-2026") is None


def test_unlock_and_deactivate(cast):
    from django.utils import timezone

    actor = act(cast, "finance_admin")
    target = cast.users["clerk_a"]
    with pytest.raises(ValidationError, match="未被锁定"):
        services.user_unlock(actor=actor, user=target)
    User.objects.filter(pk=target.pk).update(locked_until=timezone.now() + timezone.timedelta(minutes=5))
    services.user_unlock(actor=actor, user=target)
    target.refresh_from_db()
    assert target.locked_until is None
    services.user_deactivate(actor=actor, user=target)
    target.refresh_from_db()
    assert not target.is_active
    with pytest.raises(ValidationError):
        services.user_deactivate(actor=actor, user=target)
    services.user_activate(actor=actor, user=target)


def test_nobody_administers_their_own_account(cast):
    actor = act(cast, "finance_admin")
    me = cast.users["finance_admin"]
    for call in (lambda: services.user_deactivate(actor=actor, user=me),
                 lambda: services.user_set_password(actor=actor, user=me),
                 lambda: services.role_assign(actor=actor, user=me, spec=spec(role=Role.EXPERT, region=cast.city))):
        with pytest.raises(PermissionDenied, match="自己"):
            call()
    services.user_update(actor=actor, user=me, phone="0475-1234567")  # the profile is fine


def test_role_assign_and_revoke(cast):
    actor = act(cast, "finance_admin")
    target = cast.users["clerk_a"]
    ra = services.role_assign(actor=actor, user=target, spec=spec(role=Role.DEPARTMENT, department=cast.dept_b))
    with pytest.raises(ValidationError, match="已拥有该角色"):
        services.role_assign(actor=actor, user=target, spec=spec(role=Role.DEPARTMENT, department=cast.dept_b))
    services.role_revoke(actor=actor, assignment=ra)
    assert not RoleAssignment.objects.filter(pk=ra.pk).exists()
    event = AuditEvent.objects.filter(action="delete").get()
    assert event.before["department_id"] == cast.dept_b.pk and event.region_id_value == cast.city.pk
    with pytest.raises(ValidationError, match="至少需要保留一个角色"):
        services.role_revoke(actor=actor, assignment=target.role_assignments.get())


def test_usernames_are_unique_regardless_of_case(cast):
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=act(cast, "finance_admin"), username="Clerk_A", full_name="x",
                             assignments=[spec(role=Role.EXPERT, region=cast.city)])
    assert "已存在" in exc.value.message_dict["username"][0]
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=act(cast, "finance_admin"), username="has space", full_name="x",
                             assignments=[spec(role=Role.EXPERT, region=cast.city)])
    assert "只能包含" in exc.value.message_dict["username"][0]


def test_assignment_from_codes(cast):
    s = services.assignment_from_codes(role="预算单位", region="150500", unit_code="301002")
    assert s.role == Role.UNIT and s.unit == cast.unit_a2
    s = services.assignment_from_codes(role="budget_officer", region=cast.city, department_codes="301，302")
    assert [d.pk for d in s.departments] == [cast.dept_a.pk, cast.dept_b.pk]
    with pytest.raises(ValidationError) as exc:
        services.assignment_from_codes(role="预算单位", region="150500", unit_code="999", department_codes="301,998")
    assert set(exc.value.message_dict) == {"unit", "departments"}
    with pytest.raises(ValidationError) as exc:
        services.assignment_from_codes(role="主管部门", department_code="301")
    assert "请填写所属区划" in exc.value.message_dict["region"][0]
    with pytest.raises(ValidationError) as exc:
        services.assignment_from_codes(role="主管部门", region="150502", department_code="301",
                                       actor=act(cast, "finance_admin"))
    assert exc.value.message_dict == {"region": ["您无权在该区划分配角色"]}


def test_change_own_password(cast):
    actor = act(cast, "unit_a1")
    with pytest.raises(ValidationError) as exc:
        services.user_change_own_password(actor=actor, old_password="wrong", new_password="New-pass-2026")
    assert "old_password" in exc.value.message_dict
    from jixiao.core.testing import PASSWORD

    services.user_change_own_password(actor=actor, old_password=PASSWORD, new_password="New-pass-2026")
    assert User.objects.get(username="unit_a1").check_password("New-pass-2026")
