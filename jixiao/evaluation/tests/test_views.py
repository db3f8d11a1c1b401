"""Self-evaluation screens: rounds, the list with filters (no N+1), the unit's form with its checks, the review
buttons, the department roll-up, and who sees what."""

import pytest
from django.urls import reverse

from jixiao.core.money import Money
from jixiao.evaluation import services
from jixiao.evaluation.models import SelfEvaluation
from jixiao.evaluation.tests.test_services import filled_lines
from jixiao.monitoring.tests.helpers import actor, in_budget

pytestmark = pytest.mark.django_db
Y = Money.from_yuan


@pytest.fixture
def rnd(cast):
    in_budget(cast, cast.subjects["a1"], annual_amount=Y("1200000"),
              spent_by_month={3: "300000", 9: "500000", 12: "280000"})
    in_budget(cast, cast.subjects["b1"], annual_amount=Y("800000"), spent_by_month={6: "400000"})
    return services.round_create(actor=actor(cast), region=cast.city, year=cast.year.year)


def login(client, cast, name):
    client.force_login(cast.users[name])
    return client


def _form_post(ev) -> dict:
    post = {"lock_version": ev.lock_version, "achieved_goal": "资助1180人", "executed": str(ev.executed.yuan)}
    for position, values in filled_lines(ev).items():
        for field, value in values.items():
            post[f"line-{position}-{field}"] = value
    return post


def test_bureau_opens_a_round_on_the_screen(client, cast, django_capture_on_commit_callbacks):
    in_budget(cast, cast.subjects["a1"], annual_amount=Y("1200000"))
    c = login(client, cast, "finance_admin")
    r = c.get(reverse("evaluation:round_list"))
    assert r.status_code == 200 and "开启通辽市单位自评" in r.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(reverse("evaluation:round_list"), {"year": cast.year.year, "due": "2027-03-31"})
    assert r.status_code == 302 and "/jobs/" in r["Location"]
    assert "已生成 1 张自评表" in c.get(r["Location"]).content.decode()
    ev = SelfEvaluation.objects.get()
    assert str(ev.round.due) == "2027-03-31"
    r = c.post(reverse("evaluation:round_list"), {"year": cast.year.year}, follow=True)
    assert "已开启" in r.content.decode()
    r = c.post(reverse("evaluation:round_list"), {"year": cast.year.year, "due": "31/03"}, follow=True)
    assert "格式" in r.content.decode()


def test_a_unit_cannot_open_a_round(client, cast):
    c = login(client, cast, "unit_a1")
    assert c.post(reverse("evaluation:round_list"), {"year": cast.year.year}).status_code == 403


def test_list_scoped_filtered_and_without_n_plus_one(client, cast, rnd, django_assert_max_num_queries):
    c = login(client, cast, "finance_admin")
    url = reverse("evaluation:evaluation_list") + f"?round={rnd.pk}"
    with django_assert_max_num_queries(20):
        html = c.get(url).content.decode()
    assert "学生资助项目" in html and "医疗设备购置" in html
    html = c.get(url + f"&department={cast.dept_b.pk}").content.decode()
    assert "医疗设备购置" in html and "学生资助项目" not in html
    html = c.get(url + "&grade=bogus").content.decode()
    assert "等级" in html and "已忽略" in html
    c = login(client, cast, "unit_a1")
    html = c.get(url).content.decode()
    assert "学生资助项目" in html and "医疗设备购置" not in html
    assert "待我自评" in html
    assert c.get(reverse("evaluation:evaluation_list") + "?round=999999").status_code == 404


def test_unit_fills_in_the_form_and_submits(client, cast, rnd):
    ev = SelfEvaluation.objects.get(round=rnd, subject=cast.subjects["a1"])
    c = login(client, cast, "unit_a1")
    url = reverse("evaluation:evaluation_edit", args=[ev.pk])
    html = c.get(url).content.decode()
    assert "填报绩效自评表" in html and "资助学生人数" in html
    post = _form_post(ev)
    post["then"] = "submit"
    r = c.post(url, post, follow=True)
    html = r.content.decode()
    assert "已保存并提交" in html, html[:2000]
    ev.refresh_from_db()
    assert ev.state == "submitted" and str(ev.total_score) == "97.50"
    detail = c.get(reverse("evaluation:evaluation_detail", args=[ev.pk])).content.decode()
    assert "97.5" in detail and "规则" in detail and "优" in detail


def test_missing_explanations_block_submission_on_the_screen(client, cast, rnd):
    ev = SelfEvaluation.objects.get(round=rnd, subject=cast.subjects["a1"])
    c = login(client, cast, "unit_a1")
    post = _form_post(ev)
    post = {k: ("" if k.endswith("-explanation") else v) for k, v in post.items()}
    post["then"] = "submit"
    html = c.post(reverse("evaluation:evaluation_edit", args=[ev.pk]), post, follow=True).content.decode()
    assert "提交前还须处理" in html and "偏差原因分析及改进措施" in html
    ev.refresh_from_db()
    assert ev.state == "draft"


def test_bad_input_and_stale_form(client, cast, rnd):
    ev = SelfEvaluation.objects.get(round=rnd, subject=cast.subjects["a1"])
    c = login(client, cast, "unit_a1")
    url = reverse("evaluation:evaluation_edit", args=[ev.pk])
    post = _form_post(ev)
    post["executed"] = "很多"
    html = c.post(url, post).content.decode()
    assert "未保存" in html
    post = _form_post(ev)
    post["lock_version"] = ev.lock_version - 1
    html = c.post(url, post, follow=True).content.decode()
    assert "已被他人修改" in html


def test_department_and_bureau_review_with_buttons(client, cast, rnd):
    ev = SelfEvaluation.objects.get(round=rnd, subject=cast.subjects["a1"])
    services.evaluation_save(actor=actor(cast, "unit_a1"), evaluation=ev,
                             data={"lines": filled_lines(ev), "achieved_goal": "资助1180人"},
                             expected_lock_version=ev.lock_version)
    ev.refresh_from_db()
    services.evaluation_transition(actor=actor(cast, "unit_a1"), evaluation=ev, name="submit")
    url = reverse("evaluation:evaluation_transition", args=[ev.pk])
    c = login(client, cast, "clerk_a")
    html = c.get(reverse("evaluation:evaluation_list") + f"?round={rnd.pk}").content.decode()
    assert "待我审核" in html
    r = c.post(url, {"transition": "department_return", "comment": ""}, follow=True)
    assert "操作未执行" in r.content.decode()
    c.post(url, {"transition": "department_pass", "comment": "同意"})
    c = login(client, cast, "finance_admin")
    html = c.post(url, {"transition": "accept"}, follow=True).content.decode()
    assert "已财政审核通过" in html
    ev.refresh_from_db()
    assert ev.state == "accepted"
    html = c.get(reverse("evaluation:evaluation_detail", args=[ev.pk])).content.decode()
    assert "办理记录" in html and "同意" in html


def test_other_units_and_outsiders_do_not_see_the_sheet(client, cast, rnd):
    ev = SelfEvaluation.objects.get(round=rnd, subject=cast.subjects["a1"])
    for name in ("unit_a2", "clerk_b"):
        c = login(client, cast, name)
        assert c.get(reverse("evaluation:evaluation_detail", args=[ev.pk])).status_code == 404
        assert c.get(reverse("evaluation:evaluation_edit", args=[ev.pk])).status_code == 404


def test_rollup_per_department(client, cast, rnd, django_assert_max_num_queries,
                               django_capture_on_commit_callbacks):
    c = login(client, cast, "finance_admin")
    url = reverse("evaluation:rollup") + f"?round={rnd.pk}"
    with django_assert_max_num_queries(15):
        html = c.get(url).content.decode()
    assert "通辽市教育局" in html and "通辽市卫生健康委员会" in html and "合计" in html
    assert "重新计分" in html
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(reverse("evaluation:round_score", args=[rnd.pk]))
    assert "已计分 2 张自评表" in c.get(r["Location"]).content.decode()
    c = login(client, cast, "clerk_a")
    html = c.get(url).content.decode()
    assert "通辽市教育局" in html and "通辽市卫生健康委员会" not in html and "重新计分" not in html
    assert c.post(reverse("evaluation:round_score", args=[rnd.pk])).status_code == 403


def test_summary_report_in_word(client, cast, rnd):
    import io

    from docx import Document

    ev = SelfEvaluation.objects.get(round=rnd, subject=cast.subjects["b1"])
    services.evaluation_save(actor=actor(cast, "clerk_b"), evaluation=ev,
                             data={"lines": filled_lines(ev), "achieved_goal": "完成",
                                   "funds_explanation": "设备延期到货"},
                             expected_lock_version=ev.lock_version)
    ev.refresh_from_db()
    services.evaluation_transition(actor=actor(cast, "clerk_b"), evaluation=ev, name="submit")
    c = login(client, cast, "finance_admin")
    r = c.get(reverse("evaluation:rollup_document", args=[rnd.pk]))
    assert r.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(r.content)).paragraphs)
    assert "通辽市2026年度项目支出绩效自评总结报告" in text and "三、自评结果及分析" in text
    tables = "\n".join(c.text for t in Document(io.BytesIO(r.content)).tables for row in t.rows for c in row.cells)
    assert "医疗设备购置" in tables and "设备延期到货" in tables  # 50% executed: listed with its reasons
    r = c.get(reverse("evaluation:rollup_document", args=[rnd.pk]) + f"?department={cast.dept_a.pk}")
    assert r.status_code == 200
    assert c.get(reverse("evaluation:rollup_document", args=[rnd.pk]) + "?department=99999").status_code == 404
    c = login(client, cast, "unit_a1")  # a unit's report covers its own subjects only
    r = c.get(reverse("evaluation:rollup_document", args=[rnd.pk]))
    assert r.status_code == 200
    tables = "\n".join(c.text for t in Document(io.BytesIO(r.content)).tables for row in t.rows for c in row.cells)
    assert "医疗设备购置" not in tables
