"""Issue 5's end-to-end path in a real browser: the bureau opens the year's self-evaluation, the unit fills in its
sheet and submits it (the scores explained as it goes), the bureau draws the spot-check sample and commissions an
agency, the agency re-checks the sheet line by line and submits, the bureau confirms and the gap is flagged as an
inflated self-score."""

import pytest

from jixiao.core.money import Money
from jixiao.core.permissions import actor_for
from jixiao.core.testing import PASSWORD, build_cast
from jixiao.evaluation.models import SelfEvaluation, SpotCheckItem
from jixiao.monitoring.tests.helpers import in_budget
from jixiao.policy import services as policy_services
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logout(page):
    page.click("button:has-text('退出')")
    page.wait_for_url("**/login/")


def test_self_evaluation_spot_checked_by_an_agency(page):
    cast = build_cast()
    a1 = cast.subjects["a1"]
    in_budget(cast, a1, annual_amount=Money.from_yuan("1200000"),
              spent_by_month={3: "300000", 9: "500000", 12: "280000"})
    policy_services.profile_save(actor=actor_for(cast.users["finance_admin"]), region=cast.city,
                                 fiscal_year=cast.year.year, params={"spot_check": {"sample_rate_pct": "100"}},
                                 comment="本年全部抽查", base_version=0)

    # The bureau opens the year's self-evaluation.
    log_in(page, cast.users["finance_admin"].username, PASSWORD)
    page.goto("/evaluation/rounds/")
    page.select_option("#round-create select[name=year]", str(cast.year.year))
    page.fill("#round-create input[name=due]", f"{cast.year.year + 1}-03-31")
    page.click("#round-create button:has-text('开启')")
    page.wait_for_url("**/jobs/**")
    page.wait_for_selector("text=已生成 1 张自评表")
    ev = SelfEvaluation.objects.get(subject=a1)
    logout(page)

    # The unit fills in its sheet and submits it.
    log_in(page, cast.users["unit_a1"].username, PASSWORD)
    page.goto("/evaluation/")
    page.click(f"#todo a:has-text('{a1.name}')")
    page.wait_for_selector("#evaluation-form")
    for ln in ev.lines.all():
        p = ln.position
        if ln.comparator == "qualitative":
            page.select_option(f"select[name=line-{p}-tier]", "achieved")
            page.fill(f"input[name=line-{p}-judged_score]", "10")
        elif ln.name == "资助学生人数":
            page.fill(f"input[name=line-{p}-actual_value]", "1180")
            page.fill(f"textarea[name=line-{p}-explanation]", "部分学生转学")
        elif ln.comparator == "le":
            page.fill(f"input[name=line-{p}-actual_value]", "0")
        else:
            page.fill(f"input[name=line-{p}-actual_value]", "100" if ln.weight == 20 else "95")
    page.fill("textarea[name=achieved_goal]", "资助家庭经济困难学生1180人")
    page.click("button:has-text('保存并提交')")
    page.wait_for_selector("#state:has-text('待主管部门审核')")
    assert page.locator("#total").inner_text() == "98.50"  # 9 + 29.50 + 20 + 10 + 20 + 10
    row = page.locator("#lines tr:has-text('资助学生人数')")
    assert "29.5" in row.inner_text() and "规则" in row.inner_text()
    logout(page)

    # The bureau draws the sample (every submitted sheet this year) and commissions an agency.
    log_in(page, cast.users["finance_admin"].username, PASSWORD)
    page.goto("/evaluation/spot-check/")
    page.fill("#draw-form input[name=seed]", "20261206")
    page.click("#draw-form button:has-text('抽取')")
    page.wait_for_selector("#seed:has-text('20261206')")
    row = page.locator(f"#items tr:has-text('{a1.name}')")
    row.locator("select[name=agency]").select_option(str(cast.agency_yes.pk))
    row.locator("button:has-text('委托')").click()
    page.wait_for_selector(f"text={cast.agency_yes.name}复核")
    logout(page)

    # The agency re-checks: the qualitative line and the satisfaction survey do not hold up.
    log_in(page, cast.users["agency_yes"].username, PASSWORD)
    page.goto("/evaluation/spot-check/")
    page.click(f"#my-items a:has-text('{a1.name}')")
    page.wait_for_selector("#recheck-form")
    item = SpotCheckItem.objects.get(evaluation=ev)
    for cl in item.lines.select_related("line"):
        p = cl.line.position
        score = {"qualitative": "4"}.get(cl.line.comparator, str(cl.self_score))
        if cl.line.name == "受助学生满意度":
            score = "2"
        page.fill(f"input[name=line-{p}-score]", score)
    page.fill("input[name=line-2-note]", "无发放台账，及时性无法核实")
    page.fill("textarea[name=note]", "定性指标和满意度缺少佐证材料")
    page.click("button:has-text('保存复核结果')")
    page.wait_for_selector("#gap:has-text('14.00')")  # 98.50 − (98.50 − 6 − 8)
    assert page.locator("#inflated").count() == 1
    page.click("#actions button:has-text('提交复核结果')")
    page.wait_for_selector("#state:has-text('待财政确认')")
    logout(page)

    # The bureau confirms: the inflated self-score is on record for the department appraisal.
    log_in(page, cast.users["finance_admin"].username, PASSWORD)
    page.goto(f"/evaluation/spot-check/items/{item.pk}/")
    page.click("#actions button:has-text('财政确认复核结果')")
    page.wait_for_selector("#state:has-text('已确认')")
    page.goto("/evaluation/spot-check/")
    assert page.locator("#inflated-count").inner_text() == "1"
    item.refresh_from_db()
    assert item.inflated and item.state == "confirmed" and str(item.gap) == "14.00"
