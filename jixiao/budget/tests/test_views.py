"""The project library's screens, for each role: list (filters, sorting, totals, export, bad query strings), detail
(404 outside reach), transitions, create/edit with stale-edit protection, delete, imports."""

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jixiao.budget import services
from jixiao.budget.models import BudgetLine, ExecutionRecord, PerformanceSubject
from jixiao.budget.tests.helpers import SAMPLE_XLSX, actor, yuan
from jixiao.core.models import Job
from jixiao.core.testing import make_subject

LIST = reverse("budget:subject_list")


def detail(s):
    return reverse("budget:subject_detail", args=[s.pk])


def html(response):
    return response.content.decode()


@pytest.fixture
def login(client, cast):
    def as_user(name):
        client.force_login(cast.users[name])
        return client

    return as_user


@pytest.mark.parametrize("user,visible,hidden", [
    ("finance_admin", ["a1", "b1", "a1_secret"], ["county"]),
    ("clerk_a", ["a1", "a2", "a_dept"], ["b1", "county"]),
    ("unit_a1", ["a1", "a1_secret"], ["a2", "b1"]),
    ("officer_b", ["b1"], ["a1"]),
    ("agency_yes", ["a1"], ["a1_secret", "b1"]),
    ("overseer", ["a1", "b1"], ["a1_secret", "county"]),
])
def test_list_for_each_role(cast, login, user, visible, hidden):
    page = html(login(user).get(LIST))
    for key in visible:
        assert cast.subjects[key].code in page, key
    for key in hidden:
        assert cast.subjects[key].code not in page, key


def test_list_shows_totals_in_wan_and_defaults_to_current_year(cast, login):
    page = html(login("clerk_a").get(LIST))
    assert "项目库（2026年）" in page
    assert "共 <strong>4</strong> 个项目" in page and "400.00" in page  # 4 × 1,000,000 元 = 400 万元


def test_list_query_count_is_fixed(cast, login, django_assert_max_num_queries):
    client = login("finance_admin")
    client.get(LIST)  # session and caches warm
    # session, user, role assignments (2), years, count, totals, department and unit filter boxes, the page
    with django_assert_max_num_queries(10) as ctx:
        assert client.get(LIST + "?year=2026&sort=department").status_code == 200
    few = len(ctx.captured_queries)
    for i in range(40):
        make_subject(cast, f"N{i:03d}", department=cast.dept_b, unit=cast.unit_b1, name=f"项目{i}")
    with django_assert_max_num_queries(few):
        assert client.get(LIST + "?year=2026&sort=department").status_code == 200


@pytest.mark.parametrize("query", [
    "?page=abc", "?page=-3", "?page=99999", "?sort=password", "?sort=-", "?amount_min=abc", "?amount_max=1e999",
    "?amount_min=99999999999999999999", "?year=abc", "?year=99999", "?department=abc", "?department=-1",
    "?unit=%00", "?page_size=100000", "?classified=maybe", "?state=<script>", "?q=" + "长" * 500,
    "?budget_kind=x&kind=y&special_category=z", "?amount_min=１２３４", "?format=pdf",
])
def test_bad_query_strings_never_500(cast, login, query):
    r = login("finance_admin").get(LIST + query)
    assert r.status_code == 200


def test_bad_amount_filter_is_reported_in_chinese(cast, login):
    page = html(login("finance_admin").get(LIST + "?amount_min=abc"))
    assert "不是有效金额" in page and "部分查询条件有误" in page


def test_state_link_from_home_shows_every_year(cast, login):
    from jixiao.core import workflow

    workflow.transition(actor=actor(cast, "unit_a1"), obj=cast.subjects["a1"], name="submit")
    page = html(login("clerk_a").get(LIST + "?state=submitted"))
    assert cast.subjects["a1"].code in page and cast.subjects["a2"].code not in page
    assert "共 <strong>1</strong> 个项目" in page


def test_sorting_links(cast, login):
    page = html(login("finance_admin").get(LIST + "?year=2026&sort=name"))
    assert "项目名称 ▲" in page and "sort=-name" in page
    names = [cast.subjects[k].name for k in ("a_dept", "a1_secret", "a1", "a2", "b1")]
    positions = {n: page.index(n) for n in names}
    # jiao (教育局) < she (涉密) < xue (学生) < xiao (校舍)? pinyin: jiao, she, xiao, xue, yi
    assert sorted(positions, key=positions.get) == ["教育局部门整体支出", "涉密项目", "校舍维修项目", "学生资助项目",
                                                    "医疗设备购置"]


def test_export_csv_and_xlsx(cast, login):
    client = login("finance_admin")
    r = client.get(LIST + "?year=2026&format=csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    body = b"".join(r.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][6] == "项目编码" and len(rows) == 6
    assert {r[6] for r in rows[1:]} >= {cast.subjects["a1_secret"].code}  # insiders may export classified items
    r = client.get(LIST + "?year=2026&format=xlsx&department=" + str(cast.dept_b.pk))
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    data = list(ws.values)
    assert data[1][6] == cast.subjects["b1"].code and isinstance(data[1][6], str)
    assert len(data) == 2 and float(data[1][17]) == 1000000.0


def test_export_scoped_and_refused_without_export_right(cast, login):
    body = b"".join(login("unit_a2").get(LIST + "?format=csv").streaming_content).decode()
    assert cast.subjects["a2"].code in body and cast.subjects["a1"].code not in body
    assert login("overseer").get(LIST + "?format=csv").status_code == 403
    assert login("agency_yes").get(LIST + "?format=xlsx").status_code == 403


def test_detail_is_404_outside_reach(cast, login):
    assert login("unit_a2").get(detail(cast.subjects["a1"])).status_code == 404
    assert login("clerk_b").get(detail(cast.subjects["a1"])).status_code == 404
    assert login("county_admin").get(detail(cast.subjects["a1"])).status_code == 404
    assert login("agency_yes").get(detail(cast.subjects["a1_secret"])).status_code == 404
    assert login("agency_yes").get(detail(cast.subjects["a1"])).status_code == 200
    assert login("unit_a1").get(reverse("budget:subject_detail", args=[999999])).status_code == 404


def test_detail_shows_everything(cast, login):
    s = cast.subjects["a1"]
    BudgetLine.objects.create(subject=s, line_code="ZB1", functional_class="2050204", economic_class="30308",
                              fund_source="一般公共预算资金", initial_amount=yuan("600000"),
                              adjusted_amount=yuan("650000"))
    ExecutionRecord.objects.create(subject=s, year=2026, month=2, amount=yuan("250000"))
    services.subject_transition(actor=actor(cast, "unit_a1"), subject=s, name="submit")
    services.subject_transition(actor=actor(cast, "clerk_a"), subject=s, name="department_return",
                                comment="请补充测算依据")
    page = html(login("clerk_a").get(detail(s)))
    assert "学生资助项目" in page and "1,000,000.00" in page and "100.00" in page  # 元 and 万元
    assert "ZB1" in page and "650,000.00" in page  # budget line
    assert "2月" in page and "25.0%" in page  # execution rate 250,000 / 1,000,000
    assert "请补充测算依据" in page and "主管部门退回" in page and "教育局财务科" in page  # workflow step
    assert "修改记录" in page and "流转" in page
    assert "待主管部门审核 → 已退回" in page
    assert "<del>草稿</del> → <ins>待主管部门审核</ins>" in page  # the transition's audit row, with labels


def test_outsiders_do_not_see_the_audit_history(cast, login):
    page = html(login("agency_yes").get(detail(cast.subjects["a1"])))
    assert "修改记录" not in page and "审核流转" not in page


def test_transition_buttons_follow_role_and_state(cast, login):
    s = cast.subjects["a1"]
    page = html(login("unit_a1").get(detail(s)))
    assert 'value="submit"' in page and 'value="department_approve"' not in page
    login("unit_a1").post(reverse("budget:subject_transition", args=[s.pk]),
                          {"transition": "submit", "lock_version": s.lock_version})
    page = html(login("clerk_a").get(detail(s)))
    assert 'value="department_approve"' in page and 'value="department_return"' in page
    assert 'value="submit"' not in page
    assert 'value="submit"' not in html(login("officer_a").get(detail(s)))


def test_transition_messages(cast, login):
    s = cast.subjects["a1"]
    url = reverse("budget:subject_transition", args=[s.pk])
    client = login("unit_a1")
    r = client.post(url, {"transition": "submit", "lock_version": 1}, follow=True)
    assert "已提交" in html(r)
    client = login("clerk_a")
    r = client.post(url, {"transition": "department_return", "lock_version": 2}, follow=True)
    assert "必须填写意见" in html(r)
    r = client.post(url, {"transition": "department_approve", "lock_version": 1}, follow=True)
    assert "已被他人修改" in html(r)
    s.refresh_from_db()
    assert s.state == "submitted"
    assert login("unit_a2").post(url, {"transition": "withdraw"}).status_code == 404
    assert login("officer_a").post(url, {"transition": "department_approve"}).status_code == 403


def test_create_form(cast, login):
    client = login("unit_a1")
    page = html(client.get(reverse("budget:subject_create")))
    assert "新建项目" in page and "通辽市第一中学" in page and "通辽市第二中学" not in page
    data = {"fiscal_year": 2026, "code": "1505002699", "name": "实验室设备更新", "kind": "project",
            "budget_kind": "general_public", "department": cast.dept_a.pk, "unit": cast.unit_a1.pk,
            "annual_amount": "350,000.00", "total_amount": "", "is_new": "on"}
    r = client.post(reverse("budget:subject_create"), data)
    s = PerformanceSubject.objects.get(code="1505002699")
    assert r.status_code == 302 and r["Location"] == detail(s)
    assert s.annual_amount == yuan("350000") and s.total_amount == yuan("350000") and s.created_by.username == "unit_a1"


def test_create_form_errors_in_chinese(cast, login):
    client = login("unit_a1")
    data = {"fiscal_year": 2026, "code": cast.subjects["a2"].code, "name": "重复编码", "kind": "project",
            "budget_kind": "general_public", "department": cast.dept_a.pk, "unit": cast.unit_a1.pk,
            "annual_amount": "100", "total_amount": "50", "is_classified": "on"}
    page = html(client.post(reverse("budget:subject_create"), data))
    assert "不能重复" in page or "不能小于年度预算金额" in page
    assert "备案的原因" in page
    data.update(code="NEW1", annual_amount="十块钱")
    page = html(client.post(reverse("budget:subject_create"), data))
    assert "不是有效金额" in page
    data.update(unit=cast.unit_b1.pk, annual_amount="100")
    page = html(client.post(reverse("budget:subject_create"), data))
    assert "选择一个有效的选项" in page
    assert not PerformanceSubject.objects.filter(code="NEW1").exists()


@pytest.mark.parametrize("user", ["finance_admin", "officer_a", "overseer", "agency_yes"])
def test_create_refused_for_non_writers(cast, login, user):
    assert login(user).get(reverse("budget:subject_create")).status_code == 403


def _edit_data(s, **overrides):
    data = {"fiscal_year": 2026, "code": s.code, "name": s.name, "kind": s.kind, "budget_kind": s.budget_kind,
            "department": s.department_id, "unit": s.unit_id or "", "annual_amount": str(s.annual_amount.yuan),
            "total_amount": str(s.total_amount.yuan), "lock_version": s.lock_version}
    data.update(overrides)
    return data


def test_edit_and_stale_edit(cast, login):
    s = PerformanceSubject.objects.get(pk=cast.subjects["a1"].pk)
    url = reverse("budget:subject_edit", args=[s.pk])
    client = login("unit_a1")
    page = html(client.get(url))
    assert 'name="lock_version"' in page and 'value="1"' in page
    r = client.post(url, _edit_data(s, name="学生资助（第一次修改）"))
    assert r.status_code == 302, r.context["form"].errors
    r = client.post(url, _edit_data(s, name="基于旧版本的修改", lock_version=1))  # opened before the first save
    page = html(r)
    assert r.status_code == 200 and "您的修改没有保存" in page and "打开最新内容重新修改" in page
    s.refresh_from_db()
    assert s.name == "学生资助（第一次修改）" and s.lock_version == 2


def test_edit_of_submitted_or_foreign_subject(cast, login):
    s = cast.subjects["a1"]
    services.subject_transition(actor=actor(cast, "unit_a1"), subject=s, name="submit")
    r = login("unit_a1").get(reverse("budget:subject_edit", args=[s.pk]), follow=True)
    assert "不能修改" in html(r)
    assert login("unit_a2").get(reverse("budget:subject_edit", args=[s.pk])).status_code == 404
    assert login("officer_a").get(reverse("budget:subject_edit", args=[s.pk])).status_code == 403


def test_delete(cast, login):
    s = cast.subjects["a2"]
    url = reverse("budget:subject_delete", args=[s.pk])
    assert login("unit_a1").post(url, {"lock_version": 1}).status_code == 404
    assert login("finance_admin").post(url, {"lock_version": 1}).status_code == 403
    r = login("unit_a2").post(url, {"lock_version": 1}, follow=True)
    assert "已删除项目" in html(r)
    assert not PerformanceSubject.objects.filter(code=s.code).exists()


def test_versions_are_compared_after_an_adjustment(cast, login):
    s = cast.subjects["a1"]
    for user, name, comment in [("unit_a1", "submit", ""), ("clerk_a", "department_approve", ""),
                                ("finance_admin", "approve", "同意入库"), ("unit_a1", "start_adjustment", "追加预算")]:
        services.subject_transition(actor=actor(cast, user), subject=s, name=name, comment=comment)
    s.refresh_from_db()
    services.subject_update(actor=actor(cast, "unit_a1"), subject=s, data={
        "annual_amount": yuan("1200000"), "total_amount": yuan("1200000")}, expected_lock_version=s.lock_version)
    page = html(login("unit_a1").get(detail(s)))
    assert "版本对比" in page and "第1版" in page and "当前（第2版" in page
    assert "1,000,000.00" in page and "1,200,000.00" in page
    page = html(login("unit_a1").get(detail(s) + "?from=x&to=99"))  # bad choices fall back to the default
    assert "版本对比" in page


def test_import_pages(cast, login, django_capture_on_commit_callbacks):
    client = login("finance_admin")
    page = html(client.get(reverse("budget:import_subjects")))
    assert "一体化系统项目预算导出样例.xlsx" in page and "以<strong>元</strong>为单位" in page
    upload = SimpleUploadedFile(SAMPLE_XLSX.name, SAMPLE_XLSX.read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("budget:import_subjects"), {"file": upload, "region": cast.city.pk, "year": 2026})
    job = Job.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("web:job_detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == "succeeded" and PerformanceSubject.objects.filter(code="1505002630100100001").exists()
    assert "执行数据导出样例.csv" in html(client.get(reverse("budget:import_execution")))


def test_import_page_refusals(cast, login, settings):
    assert login("overseer").get(reverse("budget:import_subjects")).status_code == 403
    assert login("officer_a").get(reverse("budget:import_execution")).status_code == 403
    settings.IMPORT_MAX_BYTES = 10
    page = html(login("unit_a1").post(reverse("budget:import_subjects"), {
        "file": SimpleUploadedFile("a.xlsx", b"x" * 100), "region": cast.city.pk}))
    assert "文件过大" in page
    page = html(login("unit_a1").post(reverse("budget:import_subjects"), {
        "file": SimpleUploadedFile("a.pdf", b"x"), "region": cast.city.pk}))
    assert "只支持" in page
    page = html(login("unit_a1").post(reverse("budget:import_subjects"), {
        "file": SimpleUploadedFile("a.csv", b"x"), "region": cast.county.pk}))
    assert "选择一个有效的选项" in page
    assert not Job.objects.exists()


def test_sample_download_and_year_selector(cast, login):
    client = login("unit_a1")
    r = client.get(reverse("budget:sample", args=["subjects"]))
    assert r.status_code == 200 and b"".join(r.streaming_content)[:2] == b"PK"
    assert client.get(reverse("budget:sample", args=["settings"])).status_code == 404
    r = client.post(reverse("budget:select_year"), {"year": 2026})
    assert r["Location"].endswith("?year=2026")
    assert client.post(reverse("budget:select_year"), {"year": "x"}).status_code == 302


def test_anonymous_is_sent_to_login(client, cast):
    r = client.get(LIST)
    assert r.status_code == 302 and reverse("web:login") in r["Location"]


def test_edit_form_shows_dates_as_iso(cast, login):
    import datetime

    s = cast.subjects["a1"]
    PerformanceSubject.objects.filter(pk=s.pk).update(start_date=datetime.date(2026, 1, 5))
    page = html(login("unit_a1").get(reverse("budget:subject_edit", args=[s.pk])))
    assert 'type="date" name="start_date" value="2026-01-05"' in page
