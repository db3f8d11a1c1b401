"""Spot-check screens: the bureau draws and commissions, the agency sees only its items and re-checks, the bureau
confirms; the gap and the inflation flag on the pages."""

import pytest
from django.urls import reverse

from jixiao.evaluation.models import SpotCheck, SpotCheckItem
from jixiao.evaluation.tests.test_spot_checks import make_round
from jixiao.monitoring.tests.helpers import actor
from jixiao.policy import services as policy_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def rnd(cast):
    policy_services.profile_save(actor=actor(cast), region=cast.city, fiscal_year=cast.year.year,
                                 params={"spot_check": {"sample_rate_pct": "100"}}, comment="全部抽查",
                                 base_version=0)
    return make_round(cast)


def login(client, cast, name):
    client.force_login(cast.users[name])
    return client


def test_draw_commission_recheck_confirm_on_the_screens(client, cast, rnd):
    c = login(client, cast, "finance_admin")
    url = reverse("evaluation:spot_check") + f"?round={rnd.pk}"
    assert "抽取复核样本" in c.get(url).content.decode()
    html = c.post(url, {"seed": "99"}, follow=True).content.decode()
    assert "已抽取 3 张自评表（随机种子 99）" in html
    check = SpotCheck.objects.get()
    item = check.items.get(subject=cast.subjects["a2"])
    c.post(reverse("evaluation:spot_check_assign", args=[item.pk]), {"agency": cast.agency_yes.pk})
    item.refresh_from_db()
    assert item.agency == cast.agency_yes
    assert "抽查样本不能重新抽取" in c.post(url, {"seed": "1"}, follow=True).content.decode()

    a = login(client, cast, "agency_yes")
    html = a.get(reverse("evaluation:spot_check")).content.decode()
    assert "委托我复核" in html and "校舍维修项目" in html and "医疗设备购置" not in html
    page = reverse("evaluation:spot_check_item", args=[item.pk])
    post = {"lock_version": item.lock_version, "execution_score": str(item.execution_score), "note": "佐证不足"}
    for ln in item.lines.select_related("line"):
        post[f"line-{ln.line.position}-score"] = "0"
    html = a.post(page, post, follow=True).content.decode()
    assert "已保存复核结果" in html and "自评虚高" in html
    html = a.post(reverse("evaluation:spot_check_transition", args=[item.pk]), {"transition": "submit"},
                  follow=True).content.decode()
    assert "已提交复核结果" in html
    other = check.items.exclude(pk=item.pk).first()
    assert a.get(reverse("evaluation:spot_check_item", args=[other.pk])).status_code == 404
    assert login(client, cast, "agency_no").get(page).status_code == 404

    c = login(client, cast, "finance_admin")
    html = c.post(reverse("evaluation:spot_check_transition", args=[item.pk]), {"transition": "confirm"},
                  follow=True).content.decode()
    assert "已财政确认复核结果" in html
    item.refresh_from_db()
    assert item.state == "confirmed" and item.inflated
    html = c.get(url + "&inflated=1").content.decode()
    assert "校舍维修项目" in html and "学生资助项目" not in html


def test_bad_input_on_the_screens(client, cast, rnd):
    c = login(client, cast, "finance_admin")
    url = reverse("evaluation:spot_check") + f"?round={rnd.pk}"
    assert "随机种子应为正整数" in c.post(url, {"seed": "abc"}, follow=True).content.decode()
    c.post(url, {"seed": "5"})
    item = SpotCheckItem.objects.first()
    html = c.post(reverse("evaluation:spot_check_item", args=[item.pk]),
                  {"lock_version": item.lock_version, "execution_score": "99"}).content.decode()
    assert "未保存" in html and "不能超过分值" in html
    html = c.get(url + "&state=bogus").content.decode()
    assert "已忽略" in html


def test_units_and_departments_cannot_draw(client, cast, rnd):
    for name in ("unit_a1", "clerk_a"):
        c = login(client, cast, name)
        r = c.post(reverse("evaluation:spot_check") + f"?round={rnd.pk}", {"seed": "1"})
        assert r.status_code == 403
        assert "draw-form" not in c.get(reverse("evaluation:spot_check") + f"?round={rnd.pk}").content.decode()
    assert not SpotCheck.objects.exists()
