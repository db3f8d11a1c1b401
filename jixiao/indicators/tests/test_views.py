"""The library screens: browse and search with highlights and a bounded query count, detail with versions and
history, create/edit/propose forms, status actions, import, export and the sample."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jixiao.core.testing import PASSWORD
from jixiao.indicators import services
from jixiao.indicators.models import Indicator, IndicatorStatus
from jixiao.indicators.tests.factories import definition


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def library(cast, sectors, curator):
    out = []
    for i in range(30):
        out.append(services.indicator_create(actor=curator, data=definition(
            name=f"教师培训人次{i}", sector_id=sectors["教育"].pk, domain_id=sectors["教师队伍建设"].pk,
            explanation="反映教师参加培训的人次。")))
    out.append(services.indicator_create(actor=curator, data=definition(
        name="学生资助人数", sector_id=sectors["教育"].pk, domain_id=sectors["学生资助"].pk,
        explanation="反映获得资助的学生人数。")))
    return out


def test_browse_lists_with_tree_and_a_bounded_number_of_queries(client, cast, library,
                                                                 django_assert_max_num_queries):
    login(client, cast.finance_admin)
    client.get(reverse("indicators:browse"))  # warm the search index and the tree cache
    with django_assert_max_num_queries(14):
        r = client.get(reverse("indicators:browse"))
    html = r.content.decode()
    assert r.status_code == 200 and "按分类浏览" in html and "共 31 条" in html
    assert "教师队伍建设" in html and "新增指标" in html and "导入" in html
    with django_assert_max_num_queries(14):
        r = client.get(reverse("indicators:browse"), {"q": "资助学生"})
    html = r.content.decode()
    assert "<mark>学生资助</mark>人数" in html and "共找到 1 条" in html
    with django_assert_max_num_queries(14):
        r = client.get(reverse("indicators:browse"), {"q": "培训", "page": 2})
    assert "第 2 / 2 页" in r.content.decode()


def test_browse_filters(client, cast, library, sectors):
    login(client, cast.clerk_a)
    r = client.get(reverse("indicators:browse"), {"domain": sectors["学生资助"].pk})
    html = r.content.decode()
    assert "学生资助人数" in html and "教师培训人次1" not in html
    assert "提议新增指标" in html and "新增指标</a>" not in html.replace("提议新增指标</a>", "")
    r = client.get(reverse("indicators:browse"), {"level2": "质量指标"})
    assert "没有符合条件的指标" in r.content.decode()


def test_detail_shows_versions_and_history(client, cast, library, curator):
    ind = library[-1]
    services.indicator_update(actor=curator, indicator=ind, data={"name": "家庭经济困难学生资助人数"},
                              expected_lock_version=ind.lock_version, comment="细化")
    login(client, cast.finance_admin)
    r = client.get(reverse("indicators:detail", args=[ind.pk]))
    html = r.content.decode()
    assert r.status_code == 200 and "第 2 版" in html and "细化" in html
    assert "学生资助人数 → 家庭经济困难学生资助人数" in html and "停用" in html


def test_create_edit_and_errors_in_chinese(client, cast, sectors):
    login(client, cast.finance_admin)
    r = client.post(reverse("indicators:create"), {"name": "x" * 101, "level1": "output", "level2": "数量指标",
                                                   "comparator": "ge", "unit": ""})
    html = r.content.decode()
    assert r.status_code == 200 and "计算符号为“≥”时必须填写计量单位" in html
    r = client.post(reverse("indicators:create"), {
        "name": "学生资助人数", "level1": "output", "level2": "数量指标", "comparator": "ge", "unit": "人",
        "sector": sectors["教育"].pk, "domain": sectors["学生资助"].pk})
    ind = Indicator.objects.get(name="学生资助人数")
    assert r.status_code == 302 and r["Location"] == reverse("indicators:detail", args=[ind.pk])
    r = client.get(reverse("indicators:edit", args=[ind.pk]))
    assert r.status_code == 200 and 'value="学生资助人数"' in r.content.decode()
    r = client.post(reverse("indicators:edit", args=[ind.pk]), {
        "code": ind.code, "name": "学生资助人次", "level1": "output", "level2": "数量指标", "comparator": "ge",
        "unit": "人次", "lock_version": ind.lock_version, "comment": "口径"})
    assert r.status_code == 302
    ind.refresh_from_db()
    assert ind.current_version == 2 and ind.unit == "人次"
    # a second edit from the old page is refused
    r = client.post(reverse("indicators:edit", args=[ind.pk]), {
        "code": ind.code, "name": "又改", "level1": "output", "level2": "数量指标", "comparator": "ge",
        "unit": "人", "lock_version": ind.lock_version - 1})
    assert "该记录已被他人修改" in r.content.decode()


def test_department_proposes_and_cannot_create(client, cast):
    login(client, cast.clerk_a)
    assert client.get(reverse("indicators:create")).status_code == 403
    r = client.post(reverse("indicators:propose"), {"name": "课后服务覆盖率", "level1": "benefit",
                                                    "level2": "社会效益指标", "comparator": "ge", "unit": "%",
                                                    "comment": "目标表需要"})
    ind = Indicator.objects.get(name="课后服务覆盖率")
    assert r.status_code == 302 and ind.status == IndicatorStatus.DRAFT
    client.logout()
    login(client, cast.finance_admin)
    r = client.post(reverse("indicators:approve", args=[ind.pk]), {"comment": "同意",
                                                                   "lock_version": ind.lock_version})
    assert r.status_code == 302
    assert Indicator.objects.get(pk=ind.pk).status == IndicatorStatus.ACTIVE


def test_status_actions_need_rights(client, cast, library):
    ind = library[0]
    login(client, cast.clerk_a)
    r = client.post(reverse("indicators:retire", args=[ind.pk]))
    assert r.status_code == 403
    client.logout()
    login(client, cast.finance_admin)
    r = client.post(reverse("indicators:retire", args=[ind.pk]), {"comment": "不再使用"}, follow=True)
    assert "已停用该指标" in r.content.decode()
    assert Indicator.objects.get(pk=ind.pk).status == IndicatorStatus.RETIRED


def test_other_regions_indicators_are_not_found(client, cast, library):
    login(client, cast.province_admin)
    assert client.get(reverse("indicators:detail", args=[library[0].pk])).status_code == 404


def test_import_page_starts_a_job(client, cast, sectors, django_capture_on_commit_callbacks):
    login(client, cast.finance_admin)
    assert "下载导入样例" in client.get(reverse("indicators:import")).content.decode()
    sample = client.get(reverse("indicators:sample"))
    data = b"".join(sample.streaming_content)
    upload = SimpleUploadedFile("样例.xlsx", data)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("indicators:import"), {"file": upload})
    assert r.status_code == 302 and "/jobs/" in r["Location"]
    r = client.get(r["Location"], {"format": "json"})
    assert r.json()["status"] == "succeeded"
    login(client, cast.clerk_a)
    assert client.get(reverse("indicators:import")).status_code == 403


def test_export_downloads_the_filtered_list(client, cast, library):
    login(client, cast.clerk_a)
    r = client.get(reverse("indicators:export"), {"q": "资助学生"})
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][0] == "指标编码" and len(rows) == 2 and rows[1][5] == "学生资助人数"
    r = client.get(reverse("indicators:export"))
    assert len(list(openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows())) == 32


def test_sectors_page(client, cast, sectors):
    login(client, cast.finance_admin)
    r = client.post(reverse("indicators:sectors"), {"code": "99", "name": "测试行业"})
    assert r.status_code == 302
    assert "测试行业" in client.get(reverse("indicators:sectors")).content.decode()
    login(client, cast.clerk_a)
    assert client.post(reverse("indicators:sectors"), {"code": "98", "name": "x"}).status_code == 403


def test_anonymous_goes_to_login(client, db):
    r = client.get(reverse("indicators:browse"))
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_nav_link_is_the_browse_page(client, cast):
    login(client, cast.overseer)
    r = client.get(reverse("web:home"))
    assert reverse("indicators:browse") in r.content.decode()


def test_a_bad_filter_value_drops_only_that_filter(client, cast, library):
    login(client, cast.clerk_a)
    r = client.get(reverse("indicators:browse"), {"q": "资助学生", "sector": "999999"})
    assert "<mark>学生资助</mark>人数" in r.content.decode()
    r = client.get(reverse("indicators:export"), {"q": "资助学生", "sector": "abc"})
    rows = list(openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2


def test_common_indicators_without_a_sector_can_be_browsed(client, cast, library):
    from jixiao.indicators.seed import load_common_indicators

    load_common_indicators(with_sectors=False)
    login(client, cast.finance_admin)
    html = client.get(reverse("indicators:browse")).content.decode()
    assert "通用(未分行业)" in html and 'href="?sector=0"' in html
    html = client.get(reverse("indicators:browse"), {"sector": 0, "level1": "process"}).content.decode()
    assert "资金使用合规性" in html and "教师培训人次" not in html and "共 18 条" in html
    html = client.get(reverse("indicators:browse"), {"sector": 0, "q": "管理制度"}).content.decode()
    assert html.count('class="ind-name"><mark>管理制度</mark>健全性') == 4 and "教师培训人次" not in html
