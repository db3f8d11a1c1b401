"""Issue 2's end-to-end path in a real browser: log in, search the indicator library, import the sample project file
exported from the integrated budget system, and take one imported project through the submission workflow (unit →
department → bureau), with the history visible."""

import pytest

from jixiao.core.permissions import actor_for
from jixiao.core.testing import PASSWORD, build_cast
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = "jixiao/budget/samples/一体化系统项目预算导出样例.xlsx"


def seed_indicators(cast):
    from jixiao.indicators.services import indicator_create

    actor = actor_for(cast.users["finance_admin"])
    for name, level2, unit in [("学生资助人数", "数量指标", "人"), ("资助资金发放及时率", "时效指标", "%"),
                               ("病床使用率", "质量指标", "%")]:
        indicator_create(actor=actor, data={"name": name, "level1": "output", "level2": level2, "unit": unit,
                                            "comparator": "ge", "direction": "higher",
                                            "explanation": f"反映{name}"})


def without_goals_gate(cast):
    """Issue 2's path predates the goals gate: this region's profile switches the gate off (a region that has not yet
    required goals before budgets). The gate itself is tested on every path in jixiao/goals/tests/test_gate.py and in
    the issue-3 browser test."""
    from jixiao.policy.schema import PolicyParams
    from jixiao.policy.services import profile_save

    params = PolicyParams().to_json()
    params["goals"]["budget_gate"] = False
    profile_save(actor=actor_for(cast.users["finance_admin"]), region=cast.city, fiscal_year=cast.year.year,
                 params=params, comment="本地区尚未实行“无目标不得安排预算”", base_version=None)


def logout(page):
    page.click("button:has-text('退出')")
    page.wait_for_url("**/login/")


def act(page, label, comment=""):
    if comment:
        page.fill("textarea[name=comment]", comment)
    page.click(f"button[name=transition]:has-text('{label}')")
    page.wait_for_load_state()


def test_login_search_import_and_submit(page):
    cast = build_cast()
    seed_indicators(cast)
    without_goals_gate(cast)

    # The bureau's performance section searches the indicator library with the words in another order.
    log_in(page, "finance", PASSWORD)
    page.click("nav >> text=指标库")
    page.fill("input[name=q]", "资助学生")
    page.press("input[name=q]", "Enter")
    page.wait_for_load_state()
    assert page.locator("table.grid").inner_text().count("学生资助人数") >= 1
    assert "病床使用率" not in page.locator("table.grid").inner_text()

    # It imports the integrated budget system's export; the job page shows the result.
    page.goto("/budget/import/")
    page.set_input_files("input[name=file]", SAMPLE)
    page.click("button:has-text('上传并导入')")
    page.wait_for_url("**/jobs/*/")
    page.wait_for_selector("#job-status:has-text('已完成')")
    page.goto("/budget/subjects/?q=家庭经济困难学生资助")
    assert "家庭经济困难学生资助" in page.locator("table.grid").inner_text()
    logout(page)

    # The school submits the imported project; the education bureau returns it once, then passes it.
    log_in(page, "unit_a1", PASSWORD)
    page.goto("/budget/subjects/?q=家庭经济困难学生资助")
    page.click("table.grid >> text=家庭经济困难学生资助")
    detail_url = page.url
    act(page, "提交")
    assert "待主管部门审核" in page.content()
    logout(page)

    log_in(page, "clerk_a", PASSWORD)
    page.goto(detail_url)
    act(page, "主管部门退回", "请补充资助标准测算依据")
    logout(page)

    log_in(page, "unit_a1", PASSWORD)
    page.goto(detail_url)
    act(page, "提交")
    logout(page)

    log_in(page, "clerk_a", PASSWORD)
    page.goto(detail_url)
    act(page, "主管部门审核通过")
    logout(page)

    # The budget officer in charge of the department approves it into the project library.
    log_in(page, "officer_a", PASSWORD)
    page.goto(detail_url)
    act(page, "财政审核通过", "同意入库")
    html = page.content()
    assert "已入库" in html
    for text in ["请补充资助标准测算依据", "同意入库", "主管部门退回", "教育局财务科"]:
        assert text in html, text
