"""The ex-ante screens for each role: list (filters, fixed query count), requirement list, create, detail, edit with
cost items and stale-edit protection, transitions with the bureau's opinion, expert scoring, attachments, the Word
report and the statistics page."""

import io
from decimal import Decimal

import docx
import pytest
from django.urls import reverse

from jixiao.core.testing import make_subject
from jixiao.exante import services
from jixiao.exante.models import ExAnteAssessment
from jixiao.exante.tests.helpers import actor, draft, make_assessment, pdf, wan

LIST = reverse("exante:assessment_list")


def detail(a):
    return reverse("exante:assessment_detail", args=[a.pk])


def html(r):
    return r.content.decode()


@pytest.fixture
def login(client, cast):
    def as_user(name):
        client.force_login(cast.users[name])
        return client

    return as_user


@pytest.fixture
def assessments(cast):
    return {key: services.assessment_create(actor=actor(cast, user), subject=cast.subjects[key])
            for key, user in (("a1", "unit_a1"), ("a2", "clerk_a"), ("b1", "clerk_b"))}


@pytest.mark.parametrize("user,visible,hidden", [
    ("finance_admin", ["a1", "a2", "b1"], []),
    ("clerk_a", ["a1", "a2"], ["b1"]),
    ("unit_a2", ["a2"], ["a1", "b1"]),
    ("officer_b", ["b1"], ["a1", "a2"]),
    ("expert", ["b1"], ["a1", "a2"]),
    ("agency_yes", ["a1"], ["a2", "b1"]),
])
def test_list_for_each_role(cast, assessments, login, user, visible, hidden):
    page = html(login(user).get(LIST))
    for key in visible:
        assert cast.subjects[key].code in page, key
    for key in hidden:
        assert cast.subjects[key].code not in page, key


def test_list_query_count_is_fixed(cast, assessments, login, django_assert_max_num_queries):
    client = login("finance_admin")
    client.get(LIST)
    url = LIST + "?year=2026&state=draft&overdue=&q=项目"
    with django_assert_max_num_queries(12) as ctx:
        assert client.get(LIST + "?year=2026").status_code == 200
    few = len(ctx.captured_queries)
    for i in range(30):
        s = make_subject(cast, f"M{i:03d}", department=cast.dept_b, unit=cast.unit_b1)
        make_assessment(cast, s, state="supported", requested=wan(100 + i), approved=wan(90))
    with django_assert_max_num_queries(few):
        page = html(client.get(LIST + "?year=2026"))
    assert "M029" in page
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("query", ["?year=abc", "?department=x", "?state=<script>", "?overdue=maybe",
                                   "?page=-1", "?requirement=zz", "?q=" + "长" * 300])
def test_bad_query_strings_never_500(cast, login, query):
    assert login("clerk_a").get(LIST + query).status_code == 200


def test_requirement_list(cast, login):
    a2 = cast.subjects["a2"]
    a2.annual_amount = wan(600)
    a2.save()
    page = html(login("clerk_a").get(reverse("exante:requirement_list") + "?year=2026"))
    assert a2.code in page and "年度投入600.00万元达到门槛500.00万元" in page and "开展评估" in page
    assert cast.subjects["b1"].code not in page
    page = html(login("finance_admin").get(reverse("exante:requirement_list")))
    assert a2.code in page and "开展评估" not in page


def test_create_page_and_post(cast, login):
    client = login("clerk_a")
    url = reverse("exante:assessment_create")
    page = html(client.get(url + f"?subject={cast.subjects['a2'].pk}"))
    assert cast.subjects["a2"].name in page and cast.subjects["b1"].name not in page
    r = client.post(url, {"subject": cast.subjects["a2"].pk, "requested_amount": "1,200,000"})
    a = ExAnteAssessment.objects.get(subject=cast.subjects["a2"])
    assert r.status_code == 302 and r["Location"] == detail(a) and a.requested_amount == wan(120)
    r = client.post(url, {"subject": cast.subjects["a2"].pk})
    assert "已有进行中的事前评估" in html(r)
    assert login("expert").get(url).status_code == 403


def test_detail_and_edit_with_cost_items(cast, assessments, login):
    a = assessments["a2"]
    client = login("clerk_a")
    page = html(client.get(detail(a)))
    assert "立项必要性" in page and "成本分析" in page and "报送财政审核" in page and "提交专家评审" in page
    edit = reverse("exante:assessment_edit", args=[a.pk])
    assert client.get(edit).status_code == 200
    post = {"lock_version": a.lock_version, "requested_amount": "1000000", "method": "专家评审",
            "conclusion": "support", "output_name": "维修面积", "output_quantity": "500", "output_unit": "平方米",
            "cost-TOTAL_FORMS": "3", "cost-INITIAL_FORMS": "0", "cost-MIN_NUM_FORMS": "0", "cost-MAX_NUM_FORMS": "200",
            "cost-0-category": "capital", "cost-0-name": "维修工程", "cost-0-quantity": "500",
            "cost-0-unit_cost": "1800", "cost-1-category": "goods_services", "cost-1-name": "监理",
            "cost-1-quantity": "1", "cost-1-unit_cost": "100000"}
    for code in ("necessity", "economy", "target_soundness", "feasibility", "funding_compliance"):
        post[f"text_{code}"] = f"{code}论证"
        post[f"score_{code}"] = "18"
    r = client.post(edit, post)
    assert r.status_code == 302, html(r)
    a.refresh_from_db()
    assert a.cost_items.count() == 2 and a.output_quantity == Decimal(500)
    page = html(client.get(detail(a)))
    assert "1,000,000.00" in page and "2,000.00" in page  # total and unit cost 1,000,000 ÷ 500
    r = client.post(edit, post)  # the old lock_version again
    assert "您的修改没有保存" in html(r)
    post["lock_version"] = a.lock_version
    post["score_economy"] = "25"
    assert "投入经济性得分25超过该维度分值20" in html(client.post(edit, post))
    assert login("unit_a1").get(edit).status_code == 404  # a2 belongs to unit_a2


def test_transitions_and_finance_opinion_on_screen(cast, login):
    a = draft(cast, "clerk_a", "a2")
    client = login("clerk_a")
    url = reverse("exante:assessment_transition", args=[a.pk])
    client.post(url, {"transition": "submit", "lock_version": a.lock_version, "comment": "随预算报送"})
    a.refresh_from_db()
    assert a.state == "submitted"
    page = html(login("finance_admin").get(detail(a)))
    assert "财政审核：支持" in page and "核定金额(元)" in page and "财政审核：不予支持" in page
    assert "财政审核：部分支持" not in page  # not among the default profile's opinions
    r = client.post(url, {"transition": "support", "lock_version": a.lock_version, "approved_amount": "800000"})
    a.refresh_from_db()
    assert r.status_code == 302 and a.state == "supported" and a.approved_amount == wan(80)
    page = html(client.get(detail(a)))
    assert "20.00%" in page and "财政审核：支持" in page  # cut rate and the history step
    assert login("officer_b").get(detail(a)).status_code == 404


def test_expert_scores_only_granted(cast, login):
    a = draft(cast, "clerk_b", "b1")
    services.assessment_transition(actor=actor(cast, "clerk_b"), assessment=a, name="submit_to_experts")
    client = login("expert")
    url = reverse("exante:expert_score", args=[a.pk])
    assert "立项必要性" in html(client.get(url))
    r = client.post(url, {"score_necessity": "17.5", "score_economy": "16", "opinion": "同意"})
    assert r.status_code == 302
    page = html(client.get(detail(a)))
    assert "17.50" in page and "同意" in page
    other = draft(cast, "clerk_a", "a2")
    assert client.get(reverse("exante:expert_score", args=[other.pk])).status_code == 404
    assert login("clerk_b").get(url).status_code == 403


def test_attachments_upload_download_delete(cast, assessments, login):
    a = assessments["a2"]
    client = login("clerk_a")
    r = client.post(reverse("exante:attachment_upload", args=[a.pk]),
                    {"file": pdf("可研报告.pdf"), "purpose": "evidence", "dimension_code": "feasibility"})
    assert r.status_code == 302
    att = a.attachments.get()
    r = client.get(reverse("exante:attachment_download", args=[a.pk, att.pk]))
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"%PDF")
    assert login("clerk_b").get(reverse("exante:attachment_download", args=[a.pk, att.pk])).status_code == 404
    client = login("clerk_a")
    client.post(reverse("exante:attachment_delete", args=[a.pk, att.pk]))
    assert not a.attachments.exists()


def test_report_docx_opens_and_names_the_subject(cast, login):
    a = draft(cast, "clerk_a", "a2", cost_items=[
        {"category": "capital", "name": "维修工程", "quantity": Decimal(10), "unit_cost": wan(1)}],
        output_name="维修面积", output_quantity=Decimal(10), output_unit="平方米")
    r = login("clerk_a").get(reverse("exante:report_docx", args=[a.pk]))
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    document = docx.Document(io.BytesIO(r.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "校舍维修项目事前绩效评估报告" in text
    for heading in ("一、评估对象", "二、评估方式和方法", "三、评估内容与结论", "四、总体结论", "五、相关建议",
                    "六、其他需要说明的问题", "附件1：专家意见", "附件2：成本测算明细"):
        assert heading in text, heading
    assert "（一）立项必要性（得分 18 / 分值 20）" in text
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "维修工程" in cells and "100,000.00" in cells
    east_asia = document.styles["Normal"].element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
    assert east_asia == "宋体"
    assert login("clerk_b").get(reverse("exante:report_docx", args=[a.pk])).status_code == 404


def test_statistics_page(cast, login):
    s = make_subject(cast, "S1", department=cast.dept_a, unit=cast.unit_a1)
    make_assessment(cast, s, requested=wan(13285), approved=wan(6512))
    page = html(login("finance_admin").get(reverse("exante:statistics") + "?year=2026"))
    assert "13,285.00" in page and "6,773.00" in page and "50.98%" in page and "合计" in page
    assert login("expert").get(reverse("exante:statistics")).status_code == 403


def test_exemption_claim_edit_page(cast, login):
    a = services.assessment_create(actor=actor(cast, "unit_a1"), subject=cast.subjects["a1_secret"],
                                   exemption_kind="classified")
    client = login("unit_a1")
    edit = reverse("exante:assessment_edit", args=[a.pk])
    page = html(client.get(edit))
    assert "免评理由" in page and "成本测算" not in page
    r = client.post(edit, {"lock_version": a.lock_version, "requested_amount": "1000000",
                           "exemption_kind": "classified", "exemption_reason": "涉密备案"})
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.exemption_reason == "涉密备案"
    page = html(client.get(detail(a)))
    assert "免评申请：涉密项目" in page and "报送财政审核" in page and "提交专家评审" not in page
