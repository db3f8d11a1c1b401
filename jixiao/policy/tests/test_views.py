"""The screens: effective profile by stage with sources, history with diffs, the generated edit form, presets."""

import re

import pytest

from jixiao.core.testing import PASSWORD
from jixiao.policy import selectors, services
from jixiao.policy.models import PolicyProfile
from jixiao.policy.schema import PolicyParams
from jixiao.policy.widgets import parse_post


def login(client, cast, name):
    assert client.login(username=cast.users[name].username, password=PASSWORD)
    return client


def form_data(params: dict | None = None, **changes) -> dict:
    """What the edit form posts for a parameter set, built from the rendered form itself."""
    from jixiao.policy.schema import STAGES
    from jixiao.policy.widgets import FormRenderer

    html = "".join(str(FormRenderer(params or PolicyParams().to_json()).section(n)) for n, _ in STAGES)
    data: dict = {}
    for tag in re.finditer(r"<(input|select|textarea)\b([^>]*)>(.*?)(?=<)", html, re.S):
        kind, attrs, inner = tag.group(1), tag.group(2), tag.group(3)
        name = re.search(r'name="([^"]+)"', attrs)
        if not name:
            continue
        name = name.group(1)
        value = re.search(r'value="([^"]*)"', attrs)
        if kind == "input" and 'type="checkbox"' in attrs:
            if " checked" in attrs:
                data.setdefault(name, []).append(value.group(1))
        elif kind == "select":
            continue
        elif kind == "textarea":
            data[name] = inner
        else:
            data[name] = value.group(1) if value else ""
    for sel in re.finditer(r'<select id="[^"]*" name="([^"]+)">(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', sel.group(2))
        data[sel.group(1)] = chosen.group(1) if chosen else ""
    for key, value in changes.items():
        data[key.replace("__", ".")] = value
    return data


class QD(dict):
    """Enough of a QueryDict: get() gives the last value of a list, as Django does."""

    def get(self, key, default=None):
        value = super().get(key, default)
        return value[-1] if isinstance(value, list) and value else value

    def getlist(self, key):
        value = super().get(key, [])
        return value if isinstance(value, list) else [value]


def test_the_generated_form_round_trips_every_preset():
    from jixiao.policy.presets import PRESETS

    for code, preset in PRESETS.items():
        data = preset.to_json()
        assert PolicyParams.model_validate(parse_post(QD(form_data(data)))) == preset.params(), code


def test_profile_page_for_any_logged_in_user(client, cast, django_assert_max_num_queries):
    login(client, cast, "unit_a1")
    with django_assert_max_num_queries(14):
        r = client.get("/policy/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "政策配置：通辽市 2026年" in html
    assert "内置预设" in html and "事前绩效评估" in html and "单位自评" in html
    assert "5,000,000.00 元（500.00 万元）" in html and "来源：郑州市市级新增重大支出政策和项目事前绩效评估管理实施暂行办法" in html
    assert "修改配置" not in html  # a unit may read, not edit
    r = client.get(f"/policy/?region={cast.county.pk}&year=2026")
    assert r.status_code == 404  # the county below is outside a city unit's reach


def test_anonymous_is_sent_to_login(client, cast):
    r = client.get("/policy/")
    assert r.status_code == 302 and "/login" in r["Location"]


def test_edit_form_saves_a_new_version(client, cast):
    login(client, cast, "finance_admin")
    r = client.get(f"/policy/edit/?region={cast.city.pk}&year=2026")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'name="monitoring.points.0.due"' in html and 'name="monitoring.points.__count"' in html
    data = form_data(**{"results__rectification_days": "30", "monitoring__points__1__name": "9月底监控",
                        "monitoring__points__1__period_end": "9-30", "monitoring__points__1__data_months": "9",
                        "monitoring__points__1__due": "10月15日"})
    data.update(comment="按本地文件调整", base_version="0")
    r = client.post(f"/policy/edit/?region={cast.city.pk}&year=2026", data)
    assert r.status_code == 302, r.content.decode()[:3000]
    row = PolicyProfile.objects.get(region=cast.city, fiscal_year=2026)
    params = row.typed()
    assert params.results.rectification_days == 30
    assert [(p.period_end, p.due) for p in params.monitoring.points] == [("07-31", "08-15"), ("09-30", "10-15")]
    # the other numbers are untouched
    assert params.model_copy(update={"results": PolicyParams().results,
                                     "monitoring": PolicyParams().monitoring}) == PolicyParams()


def test_edit_form_shows_chinese_errors_and_saves_nothing(client, cast):
    login(client, cast, "finance_admin")
    data = form_data(**{"goals__frames__0__groups__0__weight": "45", "spot_check__sample_rate_pct": "130",
                        "monitoring__points__0__due": "02-30", "ex_ante__annual_amount_yuan": "5000000.123"})
    data.update(comment="试试", base_version="0")
    r = client.post(f"/policy/edit/?region={cast.city.pk}&year=2026", data)
    assert r.status_code == 400
    html = r.content.decode()
    assert "保存失败，未做任何修改：共 4 处错误" in html
    assert "一级指标权重与预算执行率权重之和应为 100，当前为 95" in html
    assert "抽查复核 › 抽查比例（%）：不能大于 100" in html
    assert "不是有效日期：2月30日" in html and "金额最多保留两位小数（精确到分）" in html
    # the typed values are shown again, next to their errors
    assert 'value="130"' in html and 'value="02-30"' in html
    assert not PolicyProfile.objects.exists()


def test_edit_deletes_and_adds_rows(client, cast):
    login(client, cast, "finance_admin")
    data = form_data(**{"monitoring__cumulative_floors__0__month": "6", "monitoring__cumulative_floors__0__min_rate": "40"})
    data.update({"spot_check.must_include.0.__delete": "1", "comment": "删一行加一行", "base_version": "0"})
    r = client.post(f"/policy/edit/?region={cast.city.pk}&year=2026", data)
    assert r.status_code == 302
    params = PolicyProfile.objects.get(region=cast.city).typed()
    assert [(f.month, f.min_rate) for f in params.monitoring.cumulative_floors] == [(6, 40)]
    assert params.spot_check.must_include == []


def test_stale_edit_is_refused_on_screen(client, cast, actors):
    login(client, cast, "finance_admin")
    services.profile_save(actor=actors("finance_admin"), region=cast.city, fiscal_year=2026,
                          params=PolicyParams(), comment="别人先存", base_version=0)
    data = form_data()
    data.update(comment="我也存", base_version="0")
    r = client.post(f"/policy/edit/?region={cast.city.pk}&year=2026", data)
    assert r.status_code == 200 and "已被他人修改" in r.content.decode()
    assert PolicyProfile.objects.count() == 1


@pytest.mark.parametrize("user,status", [("clerk_a", 403), ("unit_a1", 403), ("county_admin", 403),
                                         ("overseer", 403)])
def test_edit_is_for_the_regions_finance_admin(client, cast, user, status):
    login(client, cast, user)
    assert client.get(f"/policy/edit/?region={cast.city.pk}&year=2026").status_code == status
    assert client.post(f"/policy/from-preset/?region={cast.city.pk}&year=2026",
                       {"preset": "shanxi"}).status_code == status
    assert not PolicyProfile.objects.exists()


def test_from_preset_history_and_diff(client, cast, django_assert_max_num_queries):
    login(client, cast, "finance_admin")
    q = f"?region={cast.city.pk}&year=2026"
    assert client.get("/policy/from-preset/" + q).status_code == 200
    r = client.post("/policy/from-preset/" + q, {"preset": "zhengzhou_2023", "comment": "", "base_version": "0"})
    assert r.status_code == 302
    r = client.post("/policy/from-preset/" + q, {"preset": "putuo_2023", "comment": "改用普陀口径", "base_version": "1"})
    assert r.status_code == 302
    r = client.get("/policy/" + q)
    assert "本级2026年第2版" in r.content.decode()
    with django_assert_max_num_queries(14):
        r = client.get("/policy/history/" + q)
    html = r.content.decode()
    assert r.status_code == 200 and "第2版" in html and "改用普陀口径" in html
    assert "结果应用 › 整改期限（天）：60 天 → <b>30 天</b>" in html
    a, b = PolicyProfile.objects.order_by("version")
    r = client.get(f"/policy/diff/?a={a.pk}&b={b.pk}")
    assert r.status_code == 200 and "30 天" in r.content.decode()
    r = client.get(f"/policy/versions/{a.pk}/")
    assert r.status_code == 200 and "6月30日" in r.content.decode()


def test_compare_with_a_preset_and_preset_pages(client, cast):
    login(client, cast, "clerk_a")
    r = client.get("/policy/compare/?preset=sichuan_2025")
    html = r.content.decode()
    assert r.status_code == 200 and "累计执行率下限" in html and "四川省（2025）" in html
    assert client.get("/policy/presets/").status_code == 200
    r = client.get("/policy/presets/?code=hailin_2021")
    assert r.status_code == 200 and "11月30日" in r.content.decode()
    assert client.get("/policy/presets/?code=nope").status_code == 404
    assert client.get("/policy/compare/?preset=nope").status_code == 404


def test_versions_of_unreachable_regions_are_not_found(client, cast, actors):
    row = services.profile_save(actor=actors("county_admin"), region=cast.county, fiscal_year=2026,
                                params=PolicyParams(), comment="区级", base_version=0)
    login(client, cast, "unit_a1")
    assert client.get(f"/policy/versions/{row.pk}/").status_code == 404
    assert client.get(f"/policy/history/?region={cast.county.pk}").status_code == 404
    client.logout()
    login(client, cast, "finance_admin")
    assert client.get(f"/policy/versions/{row.pk}/").status_code == 200


def test_lock_from_the_profile_page(client, cast):
    login(client, cast, "finance_admin")
    r = client.post("/policy/lock/", {"region": cast.city.pk, "year": 2025, "reason": "2025年结果已定稿"})
    assert r.status_code == 302
    assert selectors.year_lock(cast.city, 2025) is not None
    r = client.get(f"/policy/?region={cast.city.pk}&year=2025")
    assert "已锁定" in r.content.decode()
    client.logout()
    login(client, cast, "clerk_a")
    assert client.post("/policy/lock/", {"region": cast.city.pk, "year": 2025, "unlock": "1",
                                         "reason": "x"}).status_code == 403
