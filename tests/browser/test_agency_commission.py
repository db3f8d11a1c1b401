"""An agency's commission in a real browser: the bureau lists a fiscal evaluation with an agency (the conflict checks
pass), keeps the contract; the agency names its lead and the plan's elements and submits the plan; the bureau scores
and approves it; the agency submits the draft; the bureau records a written comment and scores the draft; the agency
replies point by point, passes its internal review, signs and seals the report; the bureau checks the archive and
closes the commission, which then counts in the ranking. The other agency never sees it."""

import pytest

from jixiao.agencies import rules
from jixiao.agencies.models import Commission
from jixiao.core.testing import PASSWORD, build_cast
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def switch(page, user):
    page.context.clear_cookies()
    log_in(page, user.username, PASSWORD)


def add_document(page, kind, title):
    page.select_option("#document select[name=kind]", kind)
    page.fill("#document input[name=title]", title)
    page.click("#document button:has-text('添加')")
    page.wait_for_selector("text=已添加材料")


def act(page, name, stage):
    page.click(f"#actions button[value={name}]")
    page.wait_for_selector(f"#stage:has-text('{stage}')")


def test_commission_from_contract_to_archive(page):
    cast = build_cast()
    a1 = cast.subjects["a1"]
    switch(page, cast.users["finance_admin"])
    page.goto(f"/evaluation/evaluations/?year={cast.year.year}")
    page.fill("#record-create input[name=subject_code]", a1.code)
    page.select_option("#record-create select[name=kind]", "fiscal")
    page.fill("#record-create input[name=title]", "学生资助项目财政评价")
    page.select_option("#record-create select[name=agency]", str(cast.agency_yes.pk))
    page.click("#record-create button:has-text('列入评价')")
    page.wait_for_selector("#step:has-text('确定评价对象和范围')")
    c = Commission.objects.get()
    url = f"/agencies/commissions/{c.pk}/"
    page.goto(url)
    page.fill("#contract input[name=contract_no]", "TL-2026-008")
    page.fill("#contract input[name=contract_amount]", "86000")
    page.fill("#contract input[name=signed_on]", "2026-03-02")
    page.fill("#contract input[name=due_on]", "2026-08-31")
    page.click("#contract button:has-text('保存合同')")
    page.wait_for_selector("text=已保存委托合同")
    add_document(page, "contract", "委托合同（扫描件）")

    switch(page, cast.users["agency_no"])
    assert page.goto(url).status == 404

    switch(page, cast.users["agency_yes"])
    page.goto("/agencies/")
    page.click("text=学生资助项目财政评价")
    page.select_option("#team select[name=lead]", label="王主评")
    for element in rules.PLAN_ELEMENTS:
        page.check(f"#plan-elements input[value='{element}']")
    page.click("#team button:has-text('保存')")
    page.wait_for_selector("text=已保存工作组及方案要素")
    add_document(page, "plan", "绩效评价实施方案")
    add_document(page, "working_paper", "现场核查工作底稿")
    act(page, "submit_plan", "方案评审")

    switch(page, cast.users["finance_admin"])
    page.goto(url)
    page.fill("#quality input[name=score]", "92")
    page.click("#quality button")
    page.wait_for_selector("#plan-quality:has-text('92.00')")
    add_document(page, "plan_review", "专家评审意见")
    act(page, "approve_plan", "撰写报告初稿")

    switch(page, cast.users["agency_yes"])
    page.goto(url)
    add_document(page, "draft", "评价报告初稿")
    act(page, "submit_draft", "书面征求意见")

    switch(page, cast.users["finance_admin"])
    page.goto(url)
    page.click("#actions button[value=send_comments]")
    page.wait_for_selector("#problems:has-text('至少一条')")
    page.select_option("#comment select[name=source]", "evaluated")
    page.fill("#comment textarea[name=text]", "满意度调查样本偏少，结论应审慎")
    page.click("#comment button")
    page.wait_for_selector("text=已录入意见")
    page.fill("#quality input[name=score]", "78")
    page.click("#quality button")
    page.wait_for_selector("#draft-quality:has-text('78.00')")
    act(page, "send_comments", "逐条回复意见")

    switch(page, cast.users["agency_yes"])
    page.goto(url)
    page.select_option("form.reply select[name=accepted]", "yes")
    page.fill("form.reply input[name=reply]", "已补充样本并修改结论表述")
    page.click("form.reply button")
    page.wait_for_selector("text=已回复第1条意见")
    act(page, "submit_replies", "机构内部质量审核")
    add_document(page, "internal_review", "内部质量审核记录")
    act(page, "pass_internal_review", "主评人签字盖章")
    add_document(page, "final_report", "学生资助项目绩效评价报告（正式）")
    page.check("#sign input[name=sealed]")
    page.check("#sign input[name=report_uploaded]")
    page.click("#sign button:has-text('保存')")
    page.wait_for_selector("text=已保存签章情况")
    act(page, "submit_final", "委托方核验归档")

    switch(page, cast.users["finance_admin"])
    page.goto(url)
    assert "缺" not in page.inner_text("#archive")
    act(page, "close", "已归档")
    page.goto("/agencies/ranking/")
    row = page.locator("#ranking tbody tr", has_text=cast.agency_yes.name)
    assert "83.60" in row.inner_text()  # 92 × 40% + 78 × 60%
