"""The Word monitoring report: the reference outline in order, figures from a hand-built round, department scope,
classified subjects by code only, bounded queries."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from docx import Document

from jixiao.budget.models import PerformanceSubject
from jixiao.core.money import Money
from jixiao.monitoring import services
from jixiao.monitoring.document import round_document
from jixiao.monitoring.models import MonitoringReport
from jixiao.monitoring.tests.helpers import actor, green_rows, in_budget

pytestmark = pytest.mark.django_db
Y = Money.from_yuan
HEADINGS = ["一、组织实施情况", "二、预算执行进度及趋势", "三、绩效目标实现程度及趋势", "四、主要问题及原因",
            "五、改进意见（措施）", "六、其他需要说明的问题"]


def text_of(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        parts += [c.text for row in t.rows for c in row.cells]
    return "\n".join(parts)


@pytest.fixture
def rnd(cast):
    # a1 green (60万 of 120万 by July), b1 red (5万 of 50万), secret yellow-ish (behind), all in one round
    in_budget(cast, cast.subjects["a1"], annual_amount=Y("1200000"), spent_by_month={3: "200000", 7: "400000"})
    in_budget(cast, cast.subjects["b1"], annual_amount=Y("500000"), spent_by_month={2: "50000"})
    in_budget(cast, cast.subjects["a1_secret"], annual_amount=Y("100000"), spent_by_month={1: "10000"})
    r = services.round_create(actor=actor(cast), region=cast.city, year=cast.year.year, point=0)
    report = MonitoringReport.objects.get(round=r, subject=cast.subjects["a1"])
    rows = green_rows(report)
    rows["0"] = {"current_value": "300", "expected_value": "800", "deviation_causes": ["funding"],
                 "cause_note": "资金未到位", "likelihood": "possible", "remark": "加快"}
    services.report_save(actor=actor(cast, "unit_a1"), report=report, data={"rows": rows,
                         "expected_year_end": "1200000"}, expected_lock_version=report.lock_version)
    services.report_transition(actor=actor(cast, "unit_a1"), report=report, name="submit")
    services.round_compute(actor=actor(cast), rnd=r)
    return r


def test_outline_and_figures(cast, rnd):
    text = text_of(round_document(actor(cast), rnd))
    positions = [text.index(h) for h in HEADINGS]
    assert positions == sorted(positions)
    assert "本轮监控纳入3个项目" in text and "已报送1个" in text
    assert "医疗设备购置" in text  # the red one, in section 4
    assert text.index("医疗设备购置") > text.index("四、主要问题及原因")
    assert "经费保障1条" in text
    assert "涉密项目" in text and "150500260000000000005" in text


def test_classified_names_stay_out(cast, rnd):
    PerformanceSubject.objects.filter(pk=cast.subjects["a1_secret"].pk).update(name="某保密工程")
    text = text_of(round_document(actor(cast), rnd))
    assert "某保密工程" not in text


def test_department_scope(cast, rnd):
    text = text_of(round_document(actor(cast, "clerk_b"), rnd, department=cast.dept_b))
    assert "通辽市卫生健康委员会" in text and "本轮监控纳入1个项目" in text
    assert "学生资助项目" not in text


def test_queries_are_bounded(cast, rnd):
    with CaptureQueriesContext(connection) as few:
        round_document(actor(cast), rnd)
    for i in range(15):
        s = PerformanceSubject.objects.create(
            region=cast.city, fiscal_year=cast.year, department=cast.dept_b, unit=cast.unit_b1,
            code=f"15050026000000008{i:04d}", name=f"批量项目{i}", annual_amount=Y("100000"))
        in_budget(cast, s)
    services.round_generate(rnd)
    services.round_compute(actor=actor(cast), rnd=rnd)
    with CaptureQueriesContext(connection) as many:
        round_document(actor(cast), rnd)
    assert len(many.captured_queries) <= len(few.captured_queries) + 2


def test_download_from_the_dashboard(client, cast, rnd):
    client.force_login(cast.users["finance_admin"])
    resp = client.get(reverse("monitoring:round_document", args=[rnd.pk]))
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "一、组织实施情况" in text_of(resp.content)
    client.force_login(cast.users["unit_a2"])  # a unit gets its own part only: nothing here
    text = text_of(client.get(reverse("monitoring:round_document", args=[rnd.pk])).content)
    assert "本轮监控纳入0个项目" in text and "医疗设备购置" not in text
    client.force_login(cast.users["agency_yes"])  # no aggregate right
    assert client.get(reverse("monitoring:round_document", args=[rnd.pk])).status_code == 403
