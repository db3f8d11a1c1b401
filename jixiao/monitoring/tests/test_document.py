"""The Word monitoring report (绩效运行监控报告): the reference outline in order, the figures of a hand-built round
(one green, one yellow, one red subject), department scope, classified subjects by code only, bounded queries."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from docx import Document

from jixiao.budget.models import PerformanceSubject
from jixiao.core.money import Money
from jixiao.monitoring import services
from jixiao.monitoring.document import HEADINGS, round_document
from jixiao.monitoring.models import MonitoringDisposition, MonitoringIndicator, MonitoringReport, MonitoringRound
from jixiao.monitoring.tests.helpers import actor, green_rows, in_budget

pytestmark = pytest.mark.django_db
Y = Money.from_yuan
SECRET_CODE = "150500260000000000005"


def paragraphs(content: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(content)).paragraphs]


def tables(content: bytes) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in t.rows] for t in Document(io.BytesIO(content)).tables]


def text_of(content: bytes) -> str:
    parts = paragraphs(content)
    for t in tables(content):
        parts += [c for row in t for c in row]
    return "\n".join(parts)


def section(content: bytes, n: int) -> str:
    """The paragraphs of section `n` (1..6)."""
    ps = paragraphs(content)
    start = ps.index(HEADINGS[n - 1])
    end = ps.index(HEADINGS[n]) if n < len(HEADINGS) else len(ps)
    return "\n".join(ps[start:end])


def table_with(content: bytes, first_header: str) -> list[list[str]]:
    return next(t for t in tables(content) if t[0][0] == first_header)


def fill(cast, user, report, changes=None, *, forecast):
    rows = green_rows(report)
    for key, values in (changes or {}).items():
        rows[key] = {**rows[key], **values}
    services.report_save(actor=actor(cast, user), report=report, data={"rows": rows, "expected_year_end": forecast},
                         expected_lock_version=report.lock_version)
    services.report_transition(actor=actor(cast, user), report=report, name="submit")


@pytest.fixture
def rnd(cast):
    """a1 green (70万 of 120万 at 7/12, every indicator on track), the classified one yellow (50万 of 100万, one
    indicator at 540 of 700 due), b1 red (5万 of 50万, one indicator at 100 judged 完全不可能)."""
    PerformanceSubject.objects.filter(pk=cast.subjects["a1_secret"].pk).update(name="某保密工程")
    in_budget(cast, cast.subjects["a1"], annual_amount=Y("1200000"), spent_by_month={3: "300000", 7: "400000"})
    in_budget(cast, cast.subjects["a1_secret"], annual_amount=Y("1000000"), spent_by_month={5: "500000"})
    in_budget(cast, cast.subjects["b1"], annual_amount=Y("500000"), spent_by_month={2: "50000"})
    r = services.round_create(actor=actor(cast), region=cast.city, year=cast.year.year, point=0)

    def get(key):
        return MonitoringReport.objects.get(round=r, subject=cast.subjects[key])

    fill(cast, "unit_a1", get("a1"), forecast="1200000")
    fill(cast, "unit_a1", get("a1_secret"), {"0": {"current_value": "540", "deviation_causes": ["staffing"],
                                                   "cause_note": "某保密工程人手不足", "likelihood": "possible",
                                                   "remark": "加快进度"}}, forecast="1000000")
    fill(cast, "clerk_b", get("b1"), {"0": {"current_value": "100", "deviation_causes": ["funding", "other"],
                                            "cause_note": "设备招标延迟", "likelihood": "impossible",
                                            "remark": "申请调剂"}}, forecast="100000")
    a1 = get("a1")
    services.report_transition(actor=actor(cast, "clerk_a"), report=a1, name="department_pass")
    services.report_transition(actor=actor(cast), report=a1, name="accept")
    services.round_compute(actor=actor(cast), rnd=r)
    d = MonitoringDisposition.objects.get(report=get("b1"))
    services.disposition_save(actor=actor(cast, "clerk_b"), disposition=d, expected_lock_version=d.lock_version,
                              data={"measure": "reallocate", "measure_note": "调剂给急需项目", "reduce_amount": "200000"})
    services.disposition_transition(actor=actor(cast, "clerk_b"), disposition=d, name="propose")
    services.key_monitoring_set(actor=actor(cast), report=get("b1"), is_key=True, note="设备采购严重滞后")
    services.key_monitoring_set(actor=actor(cast), report=get("a1_secret"), is_key=True, note="某保密工程需跟踪")
    r.refresh_from_db()
    return r


def test_the_round_is_as_built(cast, rnd):
    got = {r.subject_id: r.colour for r in MonitoringReport.objects.filter(round=rnd)}
    assert got == {cast.subjects["a1"].pk: "green", cast.subjects["a1_secret"].pk: "yellow",
                   cast.subjects["b1"].pk: "red"}


def test_outline_in_order(cast, rnd):
    content = round_document(actor(cast), rnd)
    ps = paragraphs(content)
    assert ps[0] == "通辽市2026年度绩效运行监控报告" and ps[1] == "（1-7月绩效监控）"
    assert "数据截止日：2026年7月31日" in ps[2] and "序时进度 58.33%" in ps[2]
    positions = [ps.index(h) for h in HEADINGS]
    assert positions == sorted(positions)
    assert section(content, 6).splitlines()[1].startswith("（无。如有其他需要说明的问题")


def test_figures(cast, rnd):
    content = round_document(actor(cast), rnd)
    s1, s2, s3 = section(content, 1), section(content, 2), section(content, 3)
    assert "本轮监控纳入2个主管部门的3个项目（政策），预算270.00万元" in s1
    assert "已报送3个，报送完成率100.00%；其中财政审核通过1个，待财政审核1个，待主管部门审核1个" in s1
    assert table_with(content, "主管部门")[1:] == [
        ["通辽市卫生健康委员会", "1", "1", "0", "0", "100.00%"],  # red first
        ["通辽市教育局", "2", "2", "1", "0", "100.00%"]]
    assert "执行125.00万元，预算执行率46.30%，序时进度58.33%，执行率低于序时进度" in s2
    assert "预算执行绿色2个、黄色预警0个、红色预警1个；慢于序时进度的金额合计32.50万元" in s2
    assert "3个项目填报了全年预计执行数，合计230.00万元，占其预算270.00万元的85.19%" in s2
    assert table_with(content, "预算类别")[1:] == [
        ["一般公共预算", "3", "270.00", "125.00", "46.30%", "1", "1", "32.50"]]
    assert table_with(content, "项目")[1:] == [
        ["医疗设备购置（150500260000000000004）", "通辽市卫生健康委员会", "50.00", "5.00", "10.00%", "24.17"],
        [f"涉密项目（{SECRET_CODE}）", "通辽市教育局", "100.00", "50.00", "50.00%", "8.33"]]
    assert "15条绩效指标中，绿色（正常）13条，蓝色（超进度，可能目标偏低）0条，黄色预警1条，红色预警1条" in s3
    assert "综合预警红色1个、黄色1个、绿色1个项目" in s3
    assert "有指标“完全不可能”完成的项目1个" in s3
    assert "确定能0条，有可能1条，完全不可能1条" in s3
    assert "“资助学生人数”（年度指标值1200人，截至期末100人），原因：设备招标延迟" in s3
    assert table_with(content, "一级指标")[1] == ["产出指标", "9", "7", "0", "1", "1", "0"]


def test_problems_and_measures(cast, rnd):
    content = round_document(actor(cast), rnd)
    s4, s5 = section(content, 4), section(content, 5)
    assert "经费保障1条，人员保障1条，其他1条" in s4
    assert "综合红色预警项目1个：" in s4
    assert "医疗设备购置（150500260000000000004），通辽市卫生健康委员会，预算50.00万元：预算执行红色预警" in s4
    assert "执行率 10.00%" in s4 and "红色指标：资助学生人数（设备招标延迟）" in s4
    assert "学生资助项目" not in s4 and SECRET_CODE not in s4  # green and yellow are not main problems
    assert "本轮须处置1个：待财政确认1个" in s5
    assert table_with(content, "处置方式")[1:] == [["调剂", "1", "0", "1", "0", "0", "20.00"]]
    assert "财政重点监控项目2个" in s5 and "医疗设备购置（150500260000000000004），通辽市卫生健康委员会：设备采购严重滞后" in s5
    assert "于11月30日前按规定盘活收回" in s5


def test_classified_subject_by_code_only(cast, rnd):
    for content in (round_document(actor(cast), rnd),
                    round_document(actor(cast, "clerk_a"), rnd, department=cast.dept_a)):
        text = text_of(content)
        assert "某保密工程" not in text  # neither its name, nor its indicator's cause note, nor the key note
        assert f"涉密项目（{SECRET_CODE}），通辽市教育局。" in text


def test_classified_red_subject(cast, rnd):
    MonitoringReport.objects.filter(round=rnd, subject=cast.subjects["a1_secret"]).update(colour="red")
    MonitoringIndicator.objects.filter(report__subject=cast.subjects["a1_secret"]).update(
        likelihood="impossible", colour="red")
    text = text_of(round_document(actor(cast), rnd))
    assert "某保密工程" not in text and "资助学生人数（某" not in text
    assert f"涉密项目（{SECRET_CODE}），通辽市教育局：1条指标完全不可能完成" in text
    assert f"涉密项目（{SECRET_CODE}），通辽市教育局，预算100.00万元" in text


def test_department_report(cast, rnd):
    content = round_document(actor(cast, "clerk_b"), rnd, department=cast.dept_b)
    text = text_of(content)
    assert paragraphs(content)[0] == "通辽市卫生健康委员会2026年度部门绩效运行监控报告"
    assert "本轮监控纳入1个项目（政策），预算50.00万元" in text
    assert "医疗设备购置" in section(content, 4)
    assert "学生资助项目" not in text and SECRET_CODE not in text and "通辽市教育局" not in text
    assert not any(t[0][0] == "主管部门" for t in tables(content))  # no per-department tables
    assert paragraphs(content)[-2] == "通辽市卫生健康委员会"  # signed by the department


def test_scoped_to_what_the_actor_may_aggregate(cast, rnd):
    mine = text_of(round_document(actor(cast, "clerk_b"), rnd))  # the whole round asked: its own department only
    assert "纳入1个主管部门的1个项目" in mine and "学生资助项目" not in mine
    other = text_of(round_document(actor(cast, "clerk_b"), rnd, department=cast.dept_a))
    assert "本轮监控纳入0个项目" in other and "学生资助项目" not in other and SECRET_CODE not in other
    officer = text_of(round_document(actor(cast, "officer_a"), rnd))
    assert "纳入1个主管部门的2个项目" in officer and "医疗设备购置" not in officer


def test_trend_against_the_previous_point(cast, rnd):
    MonitoringRound.objects.create(region=cast.city, fiscal_year=cast.year, kind=rnd.kind, name="1-3月绩效监控",
                                   period_end=datetime.date(cast.year.year, 3, 31), data_months=3)
    s2 = section(round_document(actor(cast), rnd), 2)
    assert "与上一监控节点（1-3月绩效监控，截至2026年3月31日）相比，预算执行率由0.00%变为46.30%" in s2


def test_queries_are_bounded(cast, rnd):
    round_document(actor(cast), rnd)  # the round's region and year are then loaded on `rnd` for both counts
    with CaptureQueriesContext(connection) as few:
        round_document(actor(cast), rnd)
    for i in range(30):  # red, behind, 完全不可能, key monitored, with a disposition; some classified
        s = PerformanceSubject.objects.create(
            region=cast.city, fiscal_year=cast.year, department=cast.dept_b if i % 2 else cast.dept_a,
            unit=cast.unit_b1 if i % 2 else cast.unit_a1, code=f"15050026000000008{i:04d}", name=f"批量项目{i}",
            annual_amount=Y("100000"), is_classified=i % 3 == 0)
        in_budget(cast, s, spent_by_month={1: "1000"})
    services.round_generate(rnd)
    new = MonitoringReport.objects.filter(round=rnd, subject__code__startswith="15050026000000008")
    MonitoringIndicator.objects.filter(report__in=new).update(
        current_value="10", current_number=10, likelihood="impossible", deviation_causes=["funding"],
        cause_note="资金未到位", achievement="not_achieved")
    new.update(state="department_passed", is_key=True, key_note="跟踪", expected_year_end=Y("100000"))
    services.round_compute(actor=actor(cast), rnd=rnd)
    assert MonitoringDisposition.objects.filter(report__in=new).count() == 30
    assert new.filter(colour="red").count() == 30
    with CaptureQueriesContext(connection) as many:
        content = round_document(actor(cast), rnd)
    assert len(many.captured_queries) <= len(few.captured_queries)  # the same fixed set, whatever the size
    assert len(many.captured_queries) <= 30
    text = text_of(content)
    assert "综合红色预警项目31个，按慢于序时进度金额列前20个" in text
    assert "批量项目0" not in text and "批量项目3" not in text  # classified
    assert "批量项目1（" in text


def test_download_from_the_dashboard(client, cast, rnd):
    client.force_login(cast.users["finance_admin"])
    resp = client.get(reverse("monitoring:round_document", args=[rnd.pk]))
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")
    assert HEADINGS[0] in paragraphs(resp.content)
    client.force_login(cast.users["unit_a2"])  # a unit aggregates nothing of this round
    text = text_of(client.get(reverse("monitoring:round_document", args=[rnd.pk])).content)
    assert "本轮监控纳入0个项目" in text or "纳入0个主管部门的0个项目" in text
    assert "医疗设备购置" not in text
    client.force_login(cast.users["agency_yes"])  # no aggregate right
    assert client.get(reverse("monitoring:round_document", args=[rnd.pk])).status_code == 403


def _pdf_engine():
    from jixiao.core.outline import PdfUnavailable, new_outline, render_pdf

    try:
        render_pdf(new_outline())
    except PdfUnavailable:
        return False
    return True


@pytest.mark.skipif(not _pdf_engine() and not __import__("os").environ.get("CI"),
                    reason="no Pango on this machine (CI installs it)")
def test_the_pdf_has_the_same_outline_in_a_cjk_font(client, cast, rnd):
    import re

    from jixiao.core.outline import render_pdf, to_html
    from jixiao.monitoring.document import round_outline

    outline = round_outline(actor(cast), rnd)
    html = to_html(outline)
    for h in HEADINGS:
        assert h in html
    assert SECRET_CODE in html and "某保密工程" not in html  # classified: by code only, as in Word
    rendered = render_pdf(outline)
    assert len(rendered.pages) >= 2
    fonts = re.findall(rb"/BaseFont\s*/([^\s/]+)", rendered.write_pdf(uncompressed_pdf=True))
    assert any(b"WenQuanYi" in f or b"Noto" in f for f in fonts), fonts  # not dropped to a Latin font
    client.force_login(cast.users["finance_admin"])
    resp = client.get(reverse("monitoring:round_document", args=[rnd.pk]), {"format": "pdf"})
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert resp.content.startswith(b"%PDF") and ".pdf" in resp["Content-Disposition"]


def test_without_the_pdf_engine_the_page_says_so(client, cast, rnd, monkeypatch):
    from jixiao.core import outline

    def missing(doc):
        raise outline.PdfUnavailable("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(outline, "render_pdf", missing)
    client.force_login(cast.users["finance_admin"])
    resp = client.get(reverse("monitoring:round_document", args=[rnd.pk]), {"format": "pdf"}, follow=True)
    assert resp.status_code == 200 and "暂不能生成 PDF" in resp.content.decode()
