"""Spending standards: keyword matching, who keeps them, which apply where, the list page, the API, the seed."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from jixiao.core.models import AuditEvent
from jixiao.core.money import Money
from jixiao.core.permissions import actor_for
from jixiao.core.testing import PASSWORD
from jixiao.costs import rules, selectors, services
from jixiao.costs.models import SpendingStandard


def yuan(text):
    return Money.from_yuan(Decimal(text))


def data(**over):
    d = {"code": "JY-01", "name": "校舍维修每平方米", "output_unit": "平方米", "amount": yuan("800"),
         "category": "capital", "sector": "教育", "keywords": "校舍维修、修缮", "valid_from": 2025, "valid_to": None,
         "source": "测试"}
    d.update(over)
    return d


def test_keywords_split_and_match():
    assert rules.split_keywords(" 维修, 校舍、修缮；维修 ") == ["维修", "校舍", "修缮"]
    assert rules.matches("教学楼校舍维修工程", standard_name="x", keywords="校舍维修，修缮")
    assert not rules.matches("设备购置", standard_name="x", keywords="校舍维修，修缮")
    assert rules.matches("会议费（含会务）", standard_name="会议费", keywords="")
    assert not rules.matches("", standard_name="会议费", keywords="会议")


def test_validate_standard_messages():
    errors = rules.validate_standard(rules.StandardValues("", "", "", Money(0), 1999, 1990))
    assert set(errors) == {"code", "name", "output_unit", "amount", "valid_from", "valid_to"}
    errors = rules.validate_standard(rules.StandardValues("a", "b", "c", yuan("1"), 2025, 2024))
    assert errors == {"valid_to": ["截止年度不能早于起始年度"]}


def test_finance_admin_creates_updates_deactivates_with_audit(cast):
    fa = actor_for(cast.finance_admin)
    s = services.standard_create(actor=fa, region=cast.city, data=data())
    assert s.keywords == "校舍维修，修缮" and s.amount == yuan("800")
    services.standard_update(actor=fa, standard=s, data=data(amount=yuan("850.50")))
    services.standard_deactivate(actor=fa, standard=s, comment="标准调整")
    s.refresh_from_db()
    assert s.amount == yuan("850.50") and not s.is_active
    actions = list(AuditEvent.objects.filter(object_id=str(s.pk)).order_by("id").values_list("action", flat=True))
    assert actions == ["create", "update", "update"]
    with pytest.raises(ValidationError) as exc:
        services.standard_create(actor=fa, region=cast.city, data=data())
    assert "code" in exc.value.message_dict


@pytest.mark.parametrize("user", ["clerk_a", "unit_a1", "officer_a", "expert", "county_admin"])
def test_others_cannot_keep_city_standards(cast, user):
    with pytest.raises(PermissionDenied):
        services.standard_create(actor=actor_for(cast.users[user]), region=cast.city, data=data())


def test_standards_for_prefers_the_nearest_region_and_matches_keywords(cast):
    fa, pa = actor_for(cast.finance_admin), actor_for(cast.province_admin)
    services.standard_create(actor=pa, region=cast.province, data=data(amount=yuan("700")))
    city = services.standard_create(actor=fa, region=cast.city, data=data())
    services.standard_create(actor=fa, region=cast.city, data=data(code="HY-01", name="会议费", keywords="会议",
                                                                     output_unit="人·天", amount=yuan("550")))
    old = services.standard_create(actor=fa, region=cast.city, data=data(code="OLD", valid_from=2020, valid_to=2022))
    found = selectors.standards_for(cast.county, 2026, "校舍维修工程")
    assert [s.pk for s in found] == [city.pk]  # the city's own overrides the province's same code
    assert {s.code for s in selectors.standards_for(cast.city, 2026)} == {"JY-01", "HY-01"}
    assert selectors.standards_for(cast.city, 2021, "校舍维修")[0].pk == old.pk
    assert selectors.standards_for(cast.city, 2026, output_unit="人·天")[0].code == "HY-01"
    assert selectors.standards_for(cast.province, 2026, "修缮")[0].amount == yuan("700")


def test_list_page_for_finance_and_for_a_department(client, cast, django_assert_max_num_queries):
    fa = actor_for(cast.finance_admin)
    for i in range(5):
        services.standard_create(actor=fa, region=cast.city, data=data(code=f"C{i}"))
    url = reverse("costs:standard_list")
    client.force_login(cast.finance_admin)
    client.get(url)
    with django_assert_max_num_queries(14):
        page = client.get(url).content.decode()
    assert "<h2>新增支出标准" in page and "C4" in page and "修改" in page
    r = client.post(url, {"region": cast.city.pk, "code": "NEW", "name": "培训费", "output_unit": "人·天",
                          "amount": "450", "valid_from": "2026"})
    assert r.status_code == 302 and SpendingStandard.objects.filter(code="NEW").exists()
    client.force_login(cast.clerk_a)
    page = client.get(url).content.decode()
    assert "C4" in page and "<h2>新增支出标准" not in page
    assert client.post(url, {"code": "X"}).status_code == 403
    assert client.post(reverse("costs:standard_active", args=[SpendingStandard.objects.first().pk]),
                       {"active": "0"}).status_code == 403


def test_api_list_and_applicable(client, cast):
    services.standard_create(actor=actor_for(cast.finance_admin), region=cast.city, data=data())
    token = client.post("/api/auth/token", {"username": "clerk_a", "password": PASSWORD},
                        content_type="application/json").json()["token"]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    body = client.get("/api/costs/standards", **headers).json()
    assert body[0]["amount"] == "800.00" and body[0]["region_name"] == "通辽市"
    body = client.get("/api/costs/standards/applicable", {"region": "150502", "year": 2026, "name": "校舍修缮"},
                      **headers).json()
    assert [s["code"] for s in body] == ["JY-01"]
    r = client.get("/api/costs/standards/applicable", {"region": "999", "year": 2026}, **headers)
    assert r.status_code == 400


def test_seed_command_is_idempotent_and_labelled(db):
    call_command("seed_spending_standards")
    call_command("seed_spending_standards")
    rows = list(SpendingStandard.objects.all())
    assert len(rows) >= 5 and all(r.name.startswith("示例") and "示例" in r.source for r in rows)
