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


def test_user_management_writes(client, cast):
    auth = bearer(client, "finance_admin")
    uid = cast.users["clerk_a"].pk
    r = client.patch(f"{BASE}/users/{uid}", {"phone": "0475-1"}, content_type="application/json", **auth)
    assert r.status_code == 200 and r.json()["phone"] == "0475-1" and r.json()["full_name"] == "教育局财务科"
    r = client.post(f"{BASE}/users/{uid}/password", {}, content_type="application/json", **auth)
    password = r.json()["initial_password"]
    assert User.objects.get(pk=uid).check_password(password)
    r = client.post(f"{BASE}/users/{uid}/unlock", **auth)
    assert r.status_code == 400 and r.json()["error"]["message"] == "该账号未被锁定"
    r = client.post(f"{BASE}/users/{uid}/roles", {"role": "财政预算业务科室", "region_code": "150500",
                                                  "department_codes": ["302"]}, content_type="application/json",
                    **auth)
    assert r.status_code == 201 and r.json()["department_codes"] == ["302"]
    role_id = r.json()["id"]
    r = client.post(f"{BASE}/users/{uid}/roles", {"role": "预算单位", "region_code": "150500", "unit_code": "1"},
                    content_type="application/json", **auth)
    assert r.json()["error"]["fields"] == {"unit_code": ["“通辽市”下不存在单位编码 1"]}
    assert client.delete(f"{BASE}/roles/{role_id}", **auth).status_code == 204
    assert client.delete(f"{BASE}/roles/{role_id}", **auth).status_code == 404
    assert client.post(f"{BASE}/users/{uid}/deactivate", **auth).json()["is_active"] is False
    assert client.post(f"{BASE}/users/{uid}/activate", **auth).json()["is_active"] is True
    other = bearer(client, "county_admin")
    assert client.post(f"{BASE}/users/{uid}/deactivate", **other).status_code == 404


def test_organisation_writes(client, cast):
    auth = bearer(client, "finance_admin")
    r = client.post(f"{BASE}/departments", {"region_code": "150500", "code": "305", "name": "通辽市水利局"},
                    content_type="application/json", **auth)
    assert r.status_code == 201 and r.json()["region_code"] == "150500"
    dept_id = r.json()["id"]
    r = client.post(f"{BASE}/units", {"region_code": "150500", "department_code": "305", "code": "305001",
                                      "name": "水利局本级"}, content_type="application/json", **auth)
    assert r.status_code == 201 and r.json()["department_code"] == "305"
    r = client.patch(f"{BASE}/departments/{dept_id}", {"name": "通辽市水务局"}, content_type="application/json",
                     **auth)
    assert r.json()["name"] == "通辽市水务局"
    r = client.patch(f"{BASE}/units/{cast.unit_a1.pk}", {"code": "301002"}, content_type="application/json", **auth)
    assert r.status_code == 400 and "已被“通辽市第二中学”使用" in r.json()["error"]["fields"]["code"][0]
    r = client.post(f"{BASE}/departments", {"region_code": "150502", "code": "309", "name": "x"},
                    content_type="application/json", **auth)
    assert r.status_code == 403  # the county is readable, not manageable
    r = client.post(f"{BASE}/regions", {"code": "150521", "name": "科左中旗", "level": 3, "parent_code": "150500"},
                    content_type="application/json", **auth)
    assert r.status_code == 403
    r = client.post(f"{BASE}/regions", {"code": "150521", "name": "科左中旗", "level": 3, "parent_code": "150500"},
                    content_type="application/json", **bearer(client, "sysadmin"))
    assert r.status_code == 201 and r.json()["parent_id"] == cast.city.pk
    clerk = bearer(client, "clerk_a")
    r = client.patch(f"{BASE}/units/{cast.unit_a1.pk}", {"name": "x"}, content_type="application/json", **clerk)
    assert r.status_code == 403
    r = client.patch(f"{BASE}/units/{cast.unit_b1.pk}", {"name": "x"}, content_type="application/json", **clerk)
    assert r.status_code == 404
