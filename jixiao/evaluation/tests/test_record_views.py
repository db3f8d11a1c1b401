"""Department and fiscal evaluation screens: listing and opening one, documents per step, the indicator system, the
step buttons and what a step still needs."""

import pytest
from django.urls import reverse

from jixiao.evaluation.models import Evaluation
from jixiao.evaluation.tests.test_evaluations import SYSTEM, create

pytestmark = pytest.mark.django_db


def login(client, cast, name):
    client.force_login(cast.users[name])
    return client


def test_department_opens_and_steps_an_evaluation_on_the_screens(client, cast):
    c = login(client, cast, "clerk_a")
    url = reverse("evaluation:records")
    assert "列入评价" in c.get(url).content.decode()
    r = c.post(url + f"?year={cast.year.year}", {"subject_code": cast.subjects["a1"].code, "kind": "department",
                                                  "period": "annual", "title": "学生资助项目部门评价",
                                                  "scope": "2026年度全部资金"}, follow=True)
    html = r.content.decode()
    assert "已列入评价" in html and "确定评价对象和范围" in html
    ev = Evaluation.objects.get()
    detail = reverse("evaluation:record_detail", args=[ev.pk])
    step = reverse("evaluation:record_transition", args=[ev.pk])
    html = c.post(step, {"transition": "complete_scope"}, follow=True).content.decode()
    assert "下达评价通知" in html
    html = c.post(step, {"transition": "complete_notice"}, follow=True).content.decode()
    assert "操作未执行" in html and "评价通知" in html
    c.post(detail, {"what": "document", "kind": "notice", "title": "关于开展绩效评价的通知", "reference": "教财〔2026〕3号"})
    html = c.post(step, {"transition": "complete_notice"}, follow=True).content.decode()
    assert "已完成：下达评价通知" in html
    ev.refresh_from_db()
    post = {"what": "indicators", "lock_version": ev.lock_version}
    for i, row in enumerate(SYSTEM):
        for k, v in row.items():
            post[f"ind-{i}-{k}"] = v
    html = c.post(detail, post, follow=True).content.decode()
    assert "已保存" in html and "92" in html
    html = c.post(detail, {"what": "document", "kind": "report", "title": "报告"}, follow=True).content.decode()
    assert "未保存" in html and "可添加的材料" in html


def test_others_cannot_see_or_open(client, cast):
    ev = create(cast)
    for name in ("clerk_b", "unit_a2", "agency_no"):
        assert login(client, cast, name).get(reverse("evaluation:record_detail", args=[ev.pk])).status_code == 404
    c = login(client, cast, "clerk_b")
    r = c.post(reverse("evaluation:records") + f"?year={cast.year.year}",
               {"subject_code": cast.subjects["a1"].code, "kind": "department", "title": "x"}, follow=True)
    assert "没有您可见的项目编码" in r.content.decode()
    c = login(client, cast, "finance_admin")
    html = c.get(reverse("evaluation:records") + f"?year={cast.year.year}").content.decode()
    assert ev.title in html


def test_the_evaluation_report_in_word(client, cast):
    import io

    from docx import Document

    from jixiao.evaluation.tests.test_evaluations import run_to
    from jixiao.evaluation.workflows import EvaluationStep

    ev = create(cast)
    run_to(cast, ev, "clerk_a", EvaluationStep.ARCHIVED)
    c = login(client, cast, "clerk_a")
    r = c.get(reverse("evaluation:record_document", args=[ev.pk]))
    assert r.status_code == 200
    d = Document(io.BytesIO(r.content))
    text = "\n".join(p.text for p in d.paragraphs)
    assert "学生资助项目绩效评价报告" in text and "三、综合评价情况及评价结论" in text and "七、其他需要说明的问题" in text
    assert "综合评价得分92.00分" in text and "“优”" in text
    cells = "\n".join(cell.text for t in d.tables for row in t.rows for cell in row.cells)
    assert "资助人数完成率" in cells
    assert login(client, cast, "clerk_b").get(reverse("evaluation:record_document", args=[ev.pk])).status_code == 404
