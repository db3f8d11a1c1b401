"""Screens and API of agencies: pages by role, the commission's forms and buttons, filters, query counts, the API's
stage gates and refusals, and the permission matrix of role × organisation × action."""

import pytest

from jixiao.agencies import rules
from jixiao.agencies.models import Commission, PersonRole
from jixiao.agencies.tests.test_commissions import CONTRACT, fiscal
from jixiao.agencies.workflows import CommissionStage as S

pytestmark = pytest.mark.django_db
API = "/api/agencies"
JSON = "application/json"


def test_pages_by_role(client, cast):
    c = fiscal(cast)
    for who in ("finance_admin", "clerk_a", "agency_yes", "agency_no"):
        client.force_login(cast.users[who])
        assert client.get("/agencies/").status_code == 200
        assert client.get("/agencies/registry/").status_code == 200
        assert client.get("/agencies/ranking/").status_code == 200
        r = client.get(f"/agencies/commissions/{c.pk}/")
        assert r.status_code == (200 if who in ("finance_admin", "agency_yes") else 404), who
    client.force_login(cast.users["agency_yes"])
    page = client.get("/agencies/registry/").content.decode()
    assert cast.agency_yes.name in page and cast.agency_no.name not in page  # an agency sees its own entry
    assert client.get(f"/agencies/registry/{cast.agency_no.pk}/").status_code == 404
    assert client.get("/agencies/inspections/").status_code == 403


def test_commission_list_is_filtered_and_without_n_plus_one(client, cast, django_assert_max_num_queries):
    for key in ("a1", "a2", "b1"):
        fiscal(cast, key, cast.agency_yes if key != "b1" else cast.agency_no)
    client.force_login(cast.users["finance_admin"])
    with django_assert_max_num_queries(14):
        r = client.get("/agencies/")
    assert r.content.decode().count("/agencies/commissions/") == 3
    r = client.get(f"/agencies/?agency={cast.agency_no.pk}&state=plan")
    assert r.content.decode().count("/agencies/commissions/") == 1
    r = client.get("/agencies/?state=bogus&year=x", follow=True)
    assert "查询条件“阶段”的值无效" in r.content.decode() and "查询条件“年度”的值无效" in r.content.decode()


def test_commission_screen_through_the_gates(client, cast):
    c = fiscal(cast)
    lead = cast.agency_yes.people.get(role=PersonRole.LEAD)
    url = f"/agencies/commissions/{c.pk}/"
    client.force_login(cast.users["finance_admin"])
    r = client.post(url, {"what": "contract", "lock_version": c.lock_version, **CONTRACT}, follow=True)
    assert "已保存委托合同" in r.content.decode()
    r = client.post(url, {"what": "contract", "lock_version": 1, **CONTRACT}, follow=True)  # stale
    assert "已被他人修改" in r.content.decode()
    client.post(url, {"what": "document", "kind": "contract", "title": "委托合同"})
    client.force_login(cast.users["agency_yes"])
    r = client.post(f"{url}transition/", {"transition": "submit_plan"}, follow=True)
    assert "实施方案缺少" in r.content.decode()
    c.refresh_from_db()
    client.post(url, {"what": "team", "lock_version": c.lock_version, "lead": lead.pk,
                      "plan_elements": list(rules.PLAN_ELEMENTS)})
    client.post(url, {"what": "document", "kind": "plan", "title": "实施方案"})
    r = client.post(url, {"what": "document", "kind": "contract", "title": "机构不能上传合同"}, follow=True)
    assert "您可添加的材料为" in r.content.decode()
    r = client.post(f"{url}transition/", {"transition": "submit_plan"}, follow=True)
    assert "当前状态：方案评审" in r.content.decode()
    client.force_login(cast.users["finance_admin"])
    r = client.post(url, {"what": "quality", "stage": "plan", "score": "八十"}, follow=True)
    assert "不是有效数字" in r.content.decode()
    client.post(url, {"what": "quality", "stage": "plan", "score": "88"})
    client.post(url, {"what": "document", "kind": "plan_review", "title": "专家评审意见"})
    r = client.post(f"{url}transition/", {"transition": "approve_plan"}, follow=True)
    assert "当前状态：撰写报告初稿" in r.content.decode()
    assert Commission.objects.get(pk=c.pk).plan_quality == 88


def test_api_commission_flow_and_refusals(client, cast):
    client.force_login(cast.users["finance_admin"])
    r = client.post(f"{API}/commissions", {"agency_id": cast.agency_yes.pk, "purpose": "exante", "title": "事前评估",
                                           "year": 2026, "subject_id": cast.subjects["b1"].pk,
                                           "contract_amount": 1000.5}, content_type=JSON)
    assert r.status_code == 400  # a float amount
    r = client.post(f"{API}/commissions", {"agency_id": cast.agency_yes.pk, "purpose": "exante", "title": "事前评估",
                                           "year": 2026, "subject_id": cast.subjects["b1"].pk, **CONTRACT},
                    content_type=JSON)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["contract_amount"] == "120000.00" and body["stage"] == "plan"
    assert "提交实施方案" in body["next_problems"]
    cid = body["id"]
    r = client.post(f"{API}/commissions/{cid}/transition", {"name": "approve_plan"}, content_type=JSON)
    assert r.status_code == 400 and "不能执行" in r.content.decode()
    client.force_login(cast.users["agency_yes"])
    lead = cast.agency_yes.people.get(role=PersonRole.LEAD)
    r = client.put(f"{API}/commissions/{cid}/team", {"lock_version": body["lock_version"], "lead_id": lead.pk,
                                                     "plan_elements": ["人员配置", "不存在的要素"]}, content_type=JSON)
    assert r.status_code == 400 and "不存在的要素" in r.content.decode()
    r = client.get(f"{API}/commissions")
    assert [x["id"] for x in r.json()] == [cid]
    client.force_login(cast.users["agency_no"])
    assert client.get(f"{API}/commissions").json() == []
    assert client.get(f"{API}/commissions/{cid}").status_code == 404
    assert client.get(f"{API}/commissions?state=bogus").status_code == 400


def test_api_registry_and_ranking(client, cast):
    client.force_login(cast.users["agency_yes"])
    r = client.patch(f"{API}/{cast.agency_yes.pk}", {"phone": "0475-8888888", "changed_on": "2026-01-05"},
                     content_type=JSON)
    assert r.status_code == 200 and r.json()["changes"][0]["late"] in (True, False)
    assert r.json()["phone"] == "0475-8888888"
    r = client.post(f"{API}/{cast.agency_yes.pk}/people", {"name": "钱多", "role": "lead", "work_years": 8,
                                                           "evaluation_years": 4}, content_type=JSON)
    assert r.status_code == 201
    people = {p["name"]: p for p in r.json()["people"]}
    assert any("职称或相关职业资格" in m for m in people["钱多"]["lead_problems"])
    assert client.patch(f"{API}/{cast.agency_no.pk}", {"phone": "1"}, content_type=JSON).status_code == 404
    r = client.post(f"{API}/{cast.agency_no.pk}/violations", {"kind": "other", "occurred_on": "2026-01-01",
                                                              "description": "x"}, content_type=JSON)
    assert r.status_code == 403
    client.force_login(cast.users["finance_admin"])
    r = client.post(f"{API}/{cast.agency_no.pk}/violations", {"kind": "underpricing", "occurred_on": "2026-02-01",
                                                              "description": "恶意压价", "sanction": "warning"},
                    content_type=JSON)
    assert r.status_code == 201
    ranking = client.get(f"{API}/ranking").json()
    assert {x["name"]: x["sanctions"] for x in ranking}[cast.agency_no.name] == 1
    r = client.post(f"{API}/inspections/draw", {"agencies": 1, "inspectors": ["甲", "乙", "丙"], "per_team": 2,
                                                "planned_on": "2026-11-20", "seed": 3}, content_type=JSON)
    assert r.status_code == 201 and r.json()[0]["seed"] == 3


MATRIX = [  # (who, action, allowed) on a bureau commission for subject a1 commissioned to agency_yes
    ("finance_admin", "view", True), ("finance_admin", "commission", True), ("finance_admin", "agency_move", False),
    ("county_admin", "view", False), ("clerk_a", "view", False), ("unit_a1", "view", False),
    ("agency_yes", "view", True), ("agency_yes", "agency_move", True), ("agency_yes", "commission", False),
    ("agency_no", "view", False), ("agency_no", "agency_move", False), ("overseer", "view", True),
    ("overseer", "commission", False), ("expert", "view", False),
]


@pytest.mark.parametrize(("who", "action", "allowed"), MATRIX)
def test_permission_matrix(cast, who, action, allowed):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from jixiao.agencies import selectors, services
    from jixiao.monitoring.tests.helpers import actor

    c = fiscal(cast)
    a = actor(cast, who)
    try:
        c = selectors.commission_get(a, c.pk)
    except Http404:
        assert not allowed or action != "view"
        return
    if action == "view":
        assert allowed
    elif action == "commission":
        assert services._is_commissioner(a, c) is allowed
    else:
        assert services._is_agency(a, c) is allowed
    if action == "agency_move" and not allowed:
        with pytest.raises(PermissionDenied):
            services.commission_transition(actor=a, commission=c, name="submit_plan")
    assert c.state == S.PLAN


def test_bad_form_input_is_refused_with_a_message(client, cast):
    client.force_login(cast.users["finance_admin"])
    r = client.post("/agencies/", {"commissioner": "bureau", "purpose": "exante", "agency": cast.agency_yes.pk,
                                   "title": "x", "year": "-5"}, follow=True)
    assert "年度应在2000～2100之间" in r.content.decode()
    r = client.post("/agencies/", {"commissioner": "bureau", "purpose": "fiscal_evaluation",
                                   "agency": cast.agency_yes.pk, "title": "x", "year": "2026"}, follow=True)
    assert "此处只能委托" in r.content.decode()
    r = client.post("/agencies/inspections/", {"what": "draw", "agencies": "1", "inspectors": "甲,乙",
                                               "per_team": "2", "planned_on": "2026-11-01", "seed": "²"},
                    follow=True)
    assert "随机种子应为不超过12位的正整数" in r.content.decode()
    r = client.post("/agencies/inspections/", {"what": "draw", "agencies": "1", "inspectors": "甲",
                                               "per_team": "2", "planned_on": "2026-11-01"}, follow=True)
    assert "检查人员名单至少须有2人" in r.content.decode()
    assert not cast.agency_yes.inspections.exists()


def test_registry_shows_whether_a_lead_qualifies(client, cast):
    from jixiao.agencies.models import AgencyPerson

    AgencyPerson.objects.filter(agency=cast.agency_no).update(title_or_qualification="")
    from jixiao.agencies.selectors import agency_list
    from jixiao.monitoring.tests.helpers import actor

    rows = {a.pk: a for a in agency_list(actor(cast, "finance_admin"))}
    assert rows[cast.agency_yes.pk].has_lead and not rows[cast.agency_no.pk].has_lead


def test_commissioners_read_the_whole_registry(client, cast):
    client.force_login(cast.users["clerk_a"])
    page = client.get("/agencies/registry/").content.decode()
    assert cast.agency_yes.name in page and cast.agency_no.name in page
    r = client.get(f"/agencies/registry/{cast.agency_no.pk}/")
    assert r.status_code == 200 and 'name="what" value="info"' not in r.content.decode()  # read only
    assert client.post(f"/agencies/registry/{cast.agency_no.pk}/", {"what": "info", "phone": "1"}).status_code == 404
    assert client.get(f"{API}/{cast.agency_no.pk}").status_code == 200
    client.force_login(cast.users["unit_a1"])
    assert client.get(f"/agencies/registry/{cast.agency_no.pk}/").status_code == 404
