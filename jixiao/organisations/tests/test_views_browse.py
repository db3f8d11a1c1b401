"""The organisation browser and the admin forms, per role: each sees its part of the tree, nothing else."""

import re

import pytest
from django.urls import reverse

from jixiao.core.testing import make_user
from jixiao.organisations import services
from jixiao.organisations.models import Department, Region, Role, Unit

from .helpers import act, counts

BROWSE = reverse("organisations:browse")


def page(client, user, url=BROWSE, **params):
    client.force_login(user)
    return client.get(url, params)


@pytest.mark.parametrize("user, sees, hidden", [
    ("finance_admin", ["通辽市教育局", "通辽市卫生健康委员会", "科尔沁区"], []),
    ("sysadmin", ["通辽市教育局", "科尔沁区"], []),
    ("province_admin", ["内蒙古自治区", "通辽市", "科尔沁区"], []),
    ("county_admin", ["科尔沁区教育局", "科尔沁区财政局"], ["通辽市教育局", "通辽市第一中学"]),
    ("clerk_a", ["通辽市教育局", "通辽市第一中学", "通辽市第二中学"], ["卫生健康委员会", "通辽市医院", "科尔沁区"]),
    ("officer_a", ["通辽市教育局", "通辽市第一中学"], ["卫生健康委员会", "通辽市医院"]),
    ("unit_a1", ["通辽市第一中学"], ["通辽市第二中学", "通辽市医院", "卫生健康委员会", "科尔沁区实验小学"]),
    ("overseer", ["通辽市教育局", "通辽市卫生健康委员会"], []),
    ("agency_yes", ["某某会计师事务所"], ["另一咨询公司", "通辽市教育局", "通辽市第一中学"]),
    ("expert", [], ["通辽市教育局", "通辽市第一中学", "某某会计师事务所"]),
])
def test_each_role_sees_its_part_of_the_tree(client, cast, user, sees, hidden):
    r = page(client, cast.users[user])
    assert r.status_code == 200
    html = r.content.decode()
    for name in sees:
        assert name in html, name
    for name in hidden:
        assert name not in html, name


def test_finance_admin_drills_down_region_department_units(client, cast):
    html = page(client, cast.users["finance_admin"], region=cast.city.pk, department=cast.dept_a.pk).content.decode()
    assert "通辽市第一中学" in html and "通辽市医院" not in html
    assert reverse("organisations:unit_edit", args=[cast.unit_a1.pk]) in html
    assert reverse("organisations:department_create", args=[cast.city.pk]) in html
    html = page(client, cast.users["finance_admin"], region=cast.county.pk).content.decode()
    assert "科尔沁区教育局" in html  # an upper bureau reads the region below
    assert reverse("organisations:department_edit", args=[cast.county_dept.pk]) not in html  # but does not manage it


def test_overseer_reads_only(client, cast):
    html = page(client, cast.users["overseer"], department=cast.dept_a.pk).content.decode()
    assert "通辽市第一中学" in html
    assert "/edit/" not in html and "toggle" not in html and "新建" not in html


def test_unit_cannot_open_other_nodes(client, cast):
    client.force_login(cast.users["unit_a1"])
    assert client.get(BROWSE, {"department": cast.dept_b.pk}).status_code == 404
    assert client.get(BROWSE, {"region": cast.city.pk}).status_code == 404
    assert client.get(reverse("organisations:unit_edit", args=[cast.unit_a2.pk])).status_code == 404
    # its own unit is visible but not its to edit
    assert client.get(reverse("organisations:unit_edit", args=[cast.unit_a1.pk])).status_code == 403


@pytest.mark.parametrize("url_name, obj", [
    ("department_edit", "dept_b"), ("unit_edit", "unit_b1"), ("unit_move", "unit_b1"),
    ("unit_create", "dept_b"),
])
def test_clerk_gets_404_for_other_departments(client, cast, url_name, obj):
    client.force_login(cast.users["clerk_a"])
    assert client.get(reverse(f"organisations:{url_name}", args=[getattr(cast, obj).pk])).status_code == 404


@pytest.mark.parametrize("query", [
    {"region": "abc"}, {"department": "-1"}, {"dpage": "zzz"}, {"upage": "9999"}, {"q": "x" * 500},
    {"inactive": "maybe"}, {"region": "1e9"}, {"q": "%_'\""},
])
def test_bad_query_strings_never_500(client, cast, query):
    r = page(client, cast.users["finance_admin"], **query)
    assert r.status_code == 200


def test_unknown_region_is_404(client, cast):
    assert page(client, cast.users["finance_admin"], region=999999).status_code == 404
    assert page(client, cast.users["finance_admin"], department=999999).status_code == 404


def test_search_by_name_and_code_in_pinyin_order(client, cast):
    actor = act(cast, "finance_admin")
    for code, name in [("401", "通辽市安全局"), ("402", "通辽市财政局机关"), ("403", "通辽市档案馆")]:
        services.department_create(actor=actor, region=cast.city, code=code, name=name)
    html = page(client, cast.users["finance_admin"], q="通辽市").content.decode()
    order = [m for m in re.findall(r"通辽市(安全局|财政局机关|档案馆|教育局|卫生健康委员会)", html)]
    assert order[:5] == ["安全局", "财政局机关", "档案馆", "教育局", "卫生健康委员会"]  # an, cai, dang, jiao, wei
    html = page(client, cast.users["finance_admin"], q="3010").content.decode()
    assert "通辽市第一中学" in html and "通辽市医院" not in html
    html = page(client, cast.users["clerk_b"], q="中学").content.decode()
    assert "通辽市第一中学" not in html


def test_classified_department_is_hidden_from_outsiders(client, cast):
    services.department_update(actor=act(cast, "finance_admin"), department=cast.dept_b, is_classified=True)
    assert "卫生健康委员会" not in page(client, cast.users["overseer"]).content.decode()
    assert "卫生健康委员会" in page(client, cast.users["finance_admin"]).content.decode()


def test_browse_query_count_does_not_grow(client, cast, django_assert_max_num_queries):
    actor = act(cast, "sysadmin")
    for i in range(30):
        d = services.department_create(actor=actor, region=cast.city, code=f"5{i:02d}", name=f"部门{i}")
        for j in range(3):
            services.unit_create(actor=actor, department=d, code=f"5{i:02d}{j:03d}", name=f"单位{i}-{j}")
    client.force_login(cast.users["sysadmin"])
    client.get(BROWSE)  # warm the session
    with django_assert_max_num_queries(13):
        r = client.get(BROWSE, {"region": cast.city.pk, "department": cast.dept_a.pk})
    assert r.status_code == 200 and "部门29" in r.content.decode()
    with django_assert_max_num_queries(13):
        assert client.get(BROWSE, {"q": "单位"}).status_code == 200


# ---- forms --------------------------------------------------------------------------------------------------------

def test_department_form_field_errors_change_nothing(client, cast):
    client.force_login(cast.users["finance_admin"])
    url = reverse("organisations:department_create", args=[cast.city.pk])
    before = counts()
    r = client.post(url, {"code": "301", "name": "重复的部门"})
    assert r.status_code == 200
    html = r.content.decode()
    assert 'class="field-error">该区划下部门编码 301 已被“通辽市教育局”使用' in html
    assert counts() == before
    r = client.post(url, {"code": "309", "name": "", "sector": "教育"})
    assert "这个字段是必填项" in r.content.decode() or "必填" in r.content.decode()
    assert counts() == before
    r = client.post(url, {"code": "309", "name": "通辽市体育局", "sector": "体育"})
    assert r.status_code == 302
    assert Department.objects.filter(region=cast.city, code="309", name="通辽市体育局").exists()


def test_region_forms(client, cast):
    prov = make_user("prov_sys", Role.SYSADMIN, cast.province)
    client.force_login(prov)
    r = client.post(reverse("organisations:region_create", args=[cast.city.pk]),
                    {"code": "150521", "name": "科左中旗", "level": "3", "bureau_name": ""})
    assert r.status_code == 302
    new = Region.objects.get(code="150521")
    r = client.post(reverse("organisations:region_edit", args=[new.pk]),
                    {"code": "150521", "name": "科尔沁左翼中旗", "level": "2", "bureau_name": "x"})
    assert "层级必须低于上级区划" in r.content.decode()
    r = client.post(reverse("organisations:region_move", args=[new.pk]), {"parent": cast.county.pk})
    assert "同级或更低层级" in r.content.decode()
    r = client.post(reverse("organisations:region_move", args=[new.pk]), {"parent": "junk"})
    assert "请从列表中选择区划" in r.content.decode()
    client.force_login(cast.users["finance_admin"])
    assert client.get(reverse("organisations:region_create", args=[cast.city.pk])).status_code == 403
    assert client.get(reverse("organisations:region_edit", args=[cast.city.pk])).status_code == 200
    assert client.get(reverse("organisations:region_edit", args=[cast.province.pk])).status_code == 404


def test_unit_forms_create_edit_move_toggle(client, cast):
    client.force_login(cast.users["finance_admin"])
    r = client.post(reverse("organisations:unit_create", args=[cast.dept_a.pk]), {"code": "301001", "name": "重复"})
    assert "已被“通辽市第一中学”使用" in r.content.decode()
    r = client.post(reverse("organisations:unit_create", args=[cast.dept_a.pk]), {"code": "301003", "name": "三中"})
    assert r.status_code == 302
    unit = Unit.objects.get(code="301003", region=cast.city)
    r = client.post(reverse("organisations:unit_move", args=[unit.pk]), {"department": cast.dept_b.pk})
    assert r.status_code == 302
    unit.refresh_from_db()
    assert unit.department_id == cast.dept_b.pk
    r = client.post(reverse("organisations:unit_toggle", args=[unit.pk]))
    unit.refresh_from_db()
    assert r.status_code == 302 and not unit.is_active
    r = client.post(reverse("organisations:department_toggle", args=[cast.dept_a.pk]), follow=True)
    assert "还有 2 个启用的预算单位" in r.content.decode()
    assert client.get(reverse("organisations:unit_toggle", args=[unit.pk])).status_code == 405


def test_agency_forms(client, cast):
    client.force_login(cast.users["finance_admin"])
    r = client.post(reverse("organisations:agency_create"),
                    {"region": cast.county.pk, "name": "x", "credit_code": "91150500MA0000003C"})
    assert "请从列表中选择区划" in r.content.decode()
    r = client.post(reverse("organisations:agency_create"),
                    {"region": cast.city.pk, "name": "正信", "credit_code": "91150500MA0000003C"})
    assert r.status_code == 302
    client.force_login(cast.users["clerk_a"])
    assert client.get(reverse("organisations:agency_create")).status_code == 403


def test_move_button_only_where_a_move_is_possible(client, cast):
    city_html = page(client, cast.users["sysadmin"], region=cast.city.pk).content.decode()
    assert reverse("organisations:region_move", args=[cast.city.pk]) not in city_html
    county_html = page(client, cast.users["sysadmin"], region=cast.county.pk).content.decode()
    assert reverse("organisations:region_move", args=[cast.county.pk]) in county_html
    finance_html = page(client, cast.users["finance_admin"], region=cast.city.pk).content.decode()
    assert "移动区划" not in finance_html and "新建下级区划" not in finance_html and "修改区划" in finance_html
