"""The self-evaluation sheet in Excel: downloaded in the 10号 附1 layout, read back by the published-table reader,
filled offline and uploaded atomically; stale and foreign files refused."""

import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jixiao.core.money import Money
from jixiao.core.workflow import ConcurrentEditError
from jixiao.evaluation import excel, services
from jixiao.evaluation import sheet as reader
from jixiao.evaluation.models import SelfEvaluation
from jixiao.monitoring.tests.helpers import actor, in_budget

pytestmark = pytest.mark.django_db
Y = Money.from_yuan


@pytest.fixture
def ev(cast):
    in_budget(cast, cast.subjects["a1"], annual_amount=Y("1200000"),
              spent_by_month={3: "300000", 9: "500000", 12: "280000"})
    in_budget(cast, cast.subjects["a2"], annual_amount=Y("300000"))
    rnd = services.round_create(actor=actor(cast), region=cast.city, year=cast.year.year)
    return SelfEvaluation.objects.get(round=rnd, subject=cast.subjects["a1"])


def _fill(data: bytes, values: dict[str, dict]) -> bytes:
    """Fill the downloaded sheet as a clerk would: by indicator name, the 实际完成值 / 得分 / 偏差原因 columns."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["项目支出绩效自评表"]
    for row in ws.iter_rows(min_row=13):
        name = row[3].value
        if name in values:
            v = values[name]
            if "actual" in v:
                row[5].value = v["actual"]
            if "score" in v:
                row[7].value = v["score"]
            if "why" in v:
                row[8].value = v["why"]
    ws["F11"] = "资助1180名学生"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


FILLED = {"资助学生人数": {"actual": 1180, "why": "部分学生转学"}, "资助资金发放准确率": {"actual": "100%"},
          "资金发放及时性": {"actual": "达成", "score": 9}, "因贫辍学人数": {"actual": 0},
          "受助学生满意度": {"actual": 0.95}}


def test_download_is_the_standard_layout_and_reads_back(ev):
    data = excel.evaluation_workbook(ev)
    (t,) = reader.read_workbook(data, "a.xlsx").tables
    assert t.project == "学生资助项目" and t.year == ev.round.fiscal_year.year
    assert t.funds_rows[0].annual == Y("1200000") and t.funds_rows[0].executed == Y("1080000")
    assert (t.execution_weight, t.execution_score) == (D(10), D(9))
    assert [ln.name for ln in t.lines] == [ln.name for ln in ev.lines.order_by("position")]
    assert t.expected_goal == "资助家庭经济困难学生1200人"
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb["_jixiao_key"].sheet_state == "veryHidden"
    assert wb["项目支出绩效自评表"].column_dimensions["J"].hidden


def test_upload_fills_the_sheet_and_scores_it(ev, cast):
    data = _fill(excel.evaluation_workbook(ev), FILLED)
    problems = excel.upload(actor=actor(cast, "unit_a1"), evaluation=ev, data=data, filename="a.xlsx")
    assert problems == {}
    ev.refresh_from_db()
    assert ev.achieved_goal == "资助1180名学生"
    lines = {ln.name: ln for ln in ev.lines.all()}
    assert lines["资助学生人数"].actual_number == D(1180) and lines["资助学生人数"].explanation == "部分学生转学"
    assert lines["资金发放及时性"].tier == "achieved" and lines["资金发放及时性"].judged_score == D(9)
    assert lines["受助学生满意度"].actual_number == D(95)  # Excel's 0.95 in a percentage column
    assert ev.total_score == D("97.50") and ev.grade == "excellent"


def test_upload_is_atomic_and_names_rows(ev, cast):
    bad = dict(FILLED)
    bad["资金发放及时性"] = {"actual": "还行吧", "score": 9}
    data = _fill(excel.evaluation_workbook(ev), bad)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["项目支出绩效自评表"]
    ws["D14"] = "自己加的指标"
    ws["J14"] = None
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ValidationError) as err:
        excel.upload(actor=actor(cast, "unit_a1"), evaluation=ev, data=buf.getvalue(), filename="a.xlsx")
    text = " ".join(err.value.messages)
    assert "第14行“三级指标”列" in text and "第15行“实际完成值”列" in text
    ev.refresh_from_db()
    assert ev.achieved_goal == "" and not ev.lines.exclude(actual_value="").exists()


def test_stale_and_foreign_files_are_refused(ev, cast):
    data = excel.evaluation_workbook(ev)
    services.evaluation_save(actor=actor(cast, "unit_a1"), evaluation=ev, data={"achieved_goal": "先在网页上改了"},
                             expected_lock_version=ev.lock_version)
    ev.refresh_from_db()
    with pytest.raises(ConcurrentEditError):
        excel.upload(actor=actor(cast, "unit_a1"), evaluation=ev, data=_fill(data, FILLED), filename="a.xlsx")
    other = SelfEvaluation.objects.get(round=ev.round, subject=cast.subjects["a2"])
    with pytest.raises(ValidationError) as err:
        excel.upload(actor=actor(cast, "unit_a2"), evaluation=other, data=excel.evaluation_workbook(ev),
                     filename="a.xlsx")
    assert "另一张自评表" in " ".join(err.value.messages)
    with pytest.raises(ValidationError):
        excel.upload(actor=actor(cast, "unit_a1"), evaluation=ev, data=b"not a workbook", filename="a.xlsx")


def test_download_and_upload_on_the_screen(client, cast, ev):
    client.force_login(cast.users["unit_a1"])
    r = client.get(reverse("evaluation:evaluation_download", args=[ev.pk]))
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    data = _fill(r.content, FILLED)
    r = client.post(reverse("evaluation:evaluation_upload", args=[ev.pk]),
                    {"file": SimpleUploadedFile("a.xlsx", data)}, follow=True)
    assert "已导入" in r.content.decode()
    ev.refresh_from_db()
    assert ev.total_score == D("97.50")
    r = client.post(reverse("evaluation:evaluation_upload", args=[ev.pk]),
                    {"file": SimpleUploadedFile("a.xlsx", data)}, follow=True)
    assert "重新下载" in r.content.decode()
    client.force_login(cast.users["unit_a2"])
    assert client.get(reverse("evaluation:evaluation_download", args=[ev.pk])).status_code == 404
