"""REST API of the organisations app: me, scoped tree lists, user management with structured errors."""

import pytest

from jixiao.core.testing import PASSWORD
from jixiao.organisations.models import User

from .helpers import counts

BASE = "/api/organisations"


def bearer(client, name):
    from jixiao.organisations.models import User

    username = {"finance_admin": "finance", "province_admin": "province", "county_admin": "county"}.get(name, name)
    assert User.objects.filter(username=username).exists()
    r = client.post("/api/auth/token", {"username": username, "password": PASSWORD}, content_type="application/json")
    return {"HTTP_AUTHORIZATION": f"Bearer {r.json()['token']}"}


def test_me(client, cast):
    body = client.get(f"{BASE}/me", **bearer(client, "officer_a")).json()
    assert body["username"] == "officer_a" and body["may_manage"] is False
    role = body["roles"][0]
    assert role["role"] == "budget_officer" and role["role_label"] == "财政预算业务科室"
    assert role["department_codes"] == ["301"] and role["region_code"] == "150500"
    assert body["nodes"] == [{"kind": "region", "id": cast.city.pk, "code": "150500", "name": "通辽市财政局"}]
    body = client.get(f"{BASE}/me", **bearer(client, "unit_a1")).json()
    assert body["nodes"][0] == {"kind": "unit", "id": cast.unit_a1.pk, "code": "301001", "name": "通辽市第一中学"}
    assert client.get(f"{BASE}/me").status_code == 401


@pytest.mark.parametrize("user, departments, units", [
    ("finance_admin", {"301", "302"}, {"301001", "301002", "302001"}),
    ("clerk_a", {"301"}, {"301001", "301002"}),
    ("unit_a1", set(), {"301001"}),
    ("expert", set(), set()),
])
def test_tree_lists_are_scoped(client, cast, user, departments, units):
    auth = bearer(client, user)
    depts = client.get(f"{BASE}/departments", {"region_code": "150500"}, **auth).json()
    assert {d["code"] for d in depts["items"]} == departments and depts["count"] == len(departments)
    body = client.get(f"{BASE}/units", {"region_code": "150500"}, **auth).json()
    assert {u["code"] for u in body["items"]} == units


def test_region_list_and_pagination(client, cast):
    auth = bearer(client, "province_admin")
    body = client.get(f"{BASE}/regions", **auth).json()
    assert [r["code"] for r in body["items"]] == ["150000", "150500", "150502"]
    assert body["items"][1]["level_label"] == "市"
    body = client.get(f"{BASE}/units", {"page": 2}, **auth).json()
    assert body["items"] == [] or body["count"] <= 100
    assert client.get(f"{BASE}/units", {"page": "x"}, **auth).status_code == 400
    body = client.get(f"{BASE}/departments", {"q": "教育"}, **auth).json()
    assert {d["region_code"] for d in body["items"]} == {"150500", "150502"}


def test_users_need_manage(client, cast):
    assert client.get(f"{BASE}/users", **bearer(client, "clerk_a")).status_code == 403
    body = client.get(f"{BASE}/users", {"role": "unit"}, **bearer(client, "finance_admin")).json()
    assert {u["username"] for u in body["items"]} == {"unit_a1", "unit_a2"}
    assert body["items"][0]["roles"][0]["unit_code"] in {"301001", "301002"}
    auth = bearer(client, "finance_admin")
    assert client.get(f"{BASE}/users", {"role": "king"}, **auth).status_code == 400
    assert client.get(f"{BASE}/users/{cast.users['sysadmin'].pk}", **auth).status_code == 404
    assert client.get(f"{BASE}/users/{cast.users['clerk_a'].pk}", **auth).json()["username"] == "clerk_a"
    body = client.get(f"{BASE}/users", {"region_code": "150502"}, **auth).json()
    assert body["count"] == 0


def test_create_user(client, cast):
    auth = bearer(client, "finance_admin")
    r = client.post(f"{BASE}/users", {
        "username": "api_user", "full_name": "接口用户",
        "roles": [{"role": "预算单位", "region_code": "150500", "unit_code": "301002"},
                  {"role": "budget_officer", "region_code": "150500", "department_codes": ["301", "302"]}]},
        content_type="application/json", **auth)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["initial_password"] and body["user"]["username"] == "api_user"
    assert {x["role"] for x in body["user"]["roles"]} == {"unit", "budget_officer"}
    assert User.objects.get(username="api_user").check_password(body["initial_password"])


def test_create_user_errors_are_structured_and_change_nothing(client, cast):
    auth = bearer(client, "finance_admin")
    before = counts()
    r = client.post(f"{BASE}/users", {
        "username": "api_user", "full_name": "接口用户",
        "roles": [{"role": "预算单位", "region_code": "150500", "unit_code": "999"}]},
        content_type="application/json", **auth)
    assert r.status_code == 400
    assert r.json()["error"]["fields"] == {"roles.0.unit_code": ["“通辽市”下不存在单位编码 999"]}
    r = client.post(f"{BASE}/users", {
        "username": "clerk_a", "full_name": "重名", "password": "123",
        "roles": [{"role": "主管部门", "region_code": "150500"}]}, content_type="application/json", **auth)
    fields = r.json()["error"]["fields"]
    assert fields["username"] == ["用户名“clerk_a”已存在"]
    assert fields["roles.0.department_code"] == ["主管部门角色必须指定主管部门"]
    assert "password" in fields
    r = client.post(f"{BASE}/users", {"username": "x", "full_name": "x", "roles": []},
                    content_type="application/json", **auth)
    assert r.status_code == 400
    r = client.post(f"{BASE}/users", {"username": "x2", "full_name": "x",
                                      "roles": [{"role": "系统管理员", "region_code": "150500"}]},
                    content_type="application/json", **auth)
    assert r.json()["error"]["fields"] == {"roles.0.role": ["您无权分配“系统管理员”角色"]}
    assert counts() == before
    r = client.post(f"{BASE}/users", {"username": "x3", "full_name": "x",
                                      "roles": [{"role": "专家", "region_code": "150500"}]},
                    content_type="application/json", **bearer(client, "clerk_a"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert client.post(f"{BASE}/users", {}, content_type="application/json").status_code == 401


def test_session_api_needs_csrf(client, cast):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(cast.users["finance_admin"])
    assert c.get(f"{BASE}/me").status_code == 200
    r = c.post(f"{BASE}/users", {"username": "x", "full_name": "x", "roles": [{"role": "专家", "region_code": "150500"}]},
               content_type="application/json")
    assert r.status_code in (401, 403) and not User.objects.filter(username="x").exists()
