"""User management screens: scoped list with filters, create with a role, reset, unlock, deactivate, roles."""

import pytest
from django.urls import reverse
from django.utils import timezone

from jixiao.organisations import services
from jixiao.organisations.models import Role, RoleAssignment, User
from jixiao.organisations.services import AssignmentSpec

from .helpers import act, counts

LIST = reverse("organisations:user_list")


def as_user(client, cast, name):
    client.force_login(cast.users[name])
    return client


def usernames(html):
    import re

    return set(re.findall(r"<tr>\s*<td>([\w.@+-]+)</td>", html))


def test_list_is_scoped_by_manage(client, cast):
    html = as_user(client, cast, "finance_admin").get(LIST).content.decode()
    names = usernames(html)
    assert {"clerk_a", "unit_a1", "officer_b", "overseer", "finance"} <= names
    assert not {"sysadmin", "county", "province"} & names
    html = as_user(client, cast, "county_admin").get(LIST).content.decode()
    assert usernames(html) == {"county"}


@pytest.mark.parametrize("user", ["clerk_a", "unit_a1", "officer_a", "overseer", "expert", "agency_yes"])
def test_list_is_forbidden_without_manage(client, cast, user):
    c = as_user(client, cast, user)
    assert c.get(LIST).status_code == 403
    assert c.get(reverse("organisations:user_create")).status_code == 403
    assert c.get(reverse("organisations:user_detail", args=[cast.users["unit_a1"].pk])).status_code == 403


def test_filters(client, cast):
    c = as_user(client, cast, "finance_admin")
    assert usernames(c.get(LIST, {"role": "unit"}).content.decode()) == {"unit_a1", "unit_a2"}
    assert usernames(c.get(LIST, {"org": "卫生健康"}).content.decode()) == {"clerk_b", "officer_b"}
    assert usernames(c.get(LIST, {"org": "301001"}).content.decode()) == {"unit_a1"}
    assert usernames(c.get(LIST, {"q": "二中"}).content.decode()) == {"unit_a2"}
    User.objects.filter(username="clerk_b").update(locked_until=timezone.now() + timezone.timedelta(minutes=9))
    html = c.get(LIST, {"locked": "yes"}).content.decode()
    assert usernames(html) == {"clerk_b"} and "锁定至" in html
    assert "clerk_b" not in usernames(c.get(LIST, {"locked": "no"}).content.decode())
    User.objects.filter(username="clerk_a").update(is_active=False)
    assert usernames(c.get(LIST, {"active": "no"}).content.decode()) == {"clerk_a"}
    assert usernames(c.get(LIST, {"region": cast.city.pk, "role": "agency"}).content.decode()) == {
        "agency_yes", "agency_no"}


@pytest.mark.parametrize("query", [{"role": "king"}, {"region": "x"}, {"region": "99999"}, {"locked": "perhaps"},
                                   {"page": "-3"}, {"page": "abc"}, {"q": "x" * 300}])
def test_bad_filters_never_500(client, cast, query):
    r = as_user(client, cast, "finance_admin").get(LIST, query)
    assert r.status_code == 200


def test_list_query_count(client, cast, django_assert_max_num_queries):
    actor = act(cast, "finance_admin")
    for i in range(40):
        services.user_create(actor=actor, username=f"u{i:02d}", full_name=f"用户{i}", password="Long-enough-2026",
                             assignments=[AssignmentSpec(role=Role.BUDGET_OFFICER, region=cast.city,
                                                         departments=[cast.dept_a, cast.dept_b])])
    c = as_user(client, cast, "finance_admin")
    c.get(LIST)
    with django_assert_max_num_queries(12):
        r = c.get(LIST, {"role": "budget_officer"})
    assert "u39" in r.content.decode() and "共 42 人" in r.content.decode()


def test_create_user_shows_generated_password_once(client, cast):
    c = as_user(client, cast, "finance_admin")
    html = c.get(reverse("organisations:user_create")).content.decode()
    assert f'<option value="{cast.city.pk}" selected>' in html  # the only manageable region is preselected
    r = c.post(reverse("organisations:user_create"), {
        "username": "wang5", "full_name": "王五", "role": "unit", "region": cast.city.pk, "unit_code": "301002"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "仅显示这一次" in html
    import re

    password = re.search(r'class="password-once">([^<]+)<', html).group(1)
    user = User.objects.get(username="wang5")
    assert user.check_password(password)
    assert user.role_assignments.get().unit_id == cast.unit_a2.pk


def test_create_user_field_errors_change_nothing(client, cast):
    c = as_user(client, cast, "finance_admin")
    before = counts()
    r = c.post(reverse("organisations:user_create"), {
        "username": "clerk_a", "full_name": "", "role": "unit", "region": cast.city.pk, "unit_code": "999999",
        "password": "123"})
    html = r.content.decode()
    assert r.status_code == 200
    assert "“通辽市”下不存在单位编码 999999" in html
    assert "用户名“clerk_a”已存在" in html and "这个字段是必填项" in html  # all at once
    assert counts() == before
    r = c.post(reverse("organisations:user_create"), {
        "username": "clerk_a", "full_name": "重名", "role": "expert", "region": cast.city.pk, "password": "123"})
    html = r.content.decode()
    assert "用户名“clerk_a”已存在" in html and 'name="password"' in html
    r = c.post(reverse("organisations:user_create"), {
        "username": "new1", "full_name": "新人", "role": "sysadmin", "region": cast.city.pk})
    assert "请从列表中选择角色（列表中只有您有权分配的角色）" in r.content.decode()
    r = c.post(reverse("organisations:user_create"), {
        "username": "new1", "full_name": "新人", "role": "department", "region": cast.county.pk,
        "department_code": "301"})
    assert "请从列表中选择区划" in r.content.decode()
    assert counts() == before


def test_user_detail_actions(client, cast):
    target = cast.users["clerk_a"]
    c = as_user(client, cast, "finance_admin")
    detail = reverse("organisations:user_detail", args=[target.pk])
    User.objects.filter(pk=target.pk).update(locked_until=timezone.now() + timezone.timedelta(minutes=9),
                                             failed_logins=0)
    html = c.get(detail).content.decode()
    assert "解除锁定" in html and "教育局" in html
    assert c.post(reverse("organisations:user_unlock", args=[target.pk])).status_code == 302
    target.refresh_from_db()
    assert target.locked_until is None
    r = c.post(reverse("organisations:user_password", args=[target.pk]), {"password": ""})
    assert "仅显示这一次" in r.content.decode()
    r = c.post(reverse("organisations:user_password", args=[target.pk]), {"password": "short"})
    assert "密码太短，至少需要8个字符" in r.content.decode()
    r = c.post(reverse("organisations:role_add", args=[target.pk]), {"role": "budget_officer", "region": cast.city.pk,
                                                                    "department_codes": "302、999"})
    assert "不存在部门编码：999" in r.content.decode()
    r = c.post(reverse("organisations:role_add", args=[target.pk]), {"role": "budget_officer", "region": cast.city.pk,
                                                                    "department_codes": "302"})
    assert r.status_code == 302
    ra = target.role_assignments.get(role="budget_officer")
    assert c.post(reverse("organisations:role_revoke", args=[ra.pk])).status_code == 302
    assert not RoleAssignment.objects.filter(pk=ra.pk).exists()
    r = c.post(reverse("organisations:role_revoke", args=[target.role_assignments.get().pk]), follow=True)
    assert "至少需要保留一个角色" in r.content.decode()
    c.post(reverse("organisations:user_deactivate", args=[target.pk]))
    target.refresh_from_db()
    assert not target.is_active
    html = c.get(detail).content.decode()
    assert "已停用" in html and "停用账号" in html  # the audit trail on the page
    c.post(reverse("organisations:user_activate", args=[target.pk]))
    target.refresh_from_db()
    assert target.is_active
    r = c.post(reverse("organisations:user_edit", args=[target.pk]), {"full_name": "", "email": "bad"})
    assert "电子邮件" in r.content.decode() or "有效" in r.content.decode() or "必填" in r.content.decode()
    r = c.post(reverse("organisations:user_edit", args=[target.pk]), {"full_name": "教育局财务", "email": "bad"})
    assert "电子邮箱格式不正确" in r.content.decode()


def test_other_regions_users_are_404(client, cast):
    c = as_user(client, cast, "county_admin")
    for name in ("user_detail", "user_edit", "user_password", "role_add"):
        assert c.get(reverse(f"organisations:{name}", args=[cast.users["clerk_a"].pk])).status_code == 404
    assert c.post(reverse("organisations:user_unlock", args=[cast.users["clerk_a"].pk])).status_code == 404
    ra = cast.users["clerk_a"].role_assignments.get()
    assert c.post(reverse("organisations:role_revoke", args=[ra.pk])).status_code == 404
    c = as_user(client, cast, "finance_admin")  # a sysadmin is above a finance admin
    assert c.get(reverse("organisations:user_detail", args=[cast.users["sysadmin"].pk])).status_code == 404


def test_own_password_page(client, cast):
    c = as_user(client, cast, "unit_a1")
    url = reverse("organisations:own_password")
    r = c.post(url, {"old_password": "x", "new_password": "New-pass-2026", "new_password2": "New-pass-2027"})
    assert "两次输入的新密码不一致" in r.content.decode()
    r = c.post(url, {"old_password": "x", "new_password": "New-pass-2026", "new_password2": "New-pass-2026"})
    assert "原密码不正确" in r.content.decode()
    from jixiao.core.testing import PASSWORD

    r = c.post(url, {"old_password": PASSWORD, "new_password": "New-pass-2026", "new_password2": "New-pass-2026"})
    assert r.status_code == 302
    assert c.get(reverse("web:home")).status_code == 200  # still logged in
