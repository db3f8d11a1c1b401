"""A department evaluation through the nine steps in a real browser: the department lists its subject, files each
step's documents, scores the evaluation indicator system, concludes, archives and downloads the report."""

import pytest

from jixiao.core.testing import PASSWORD, build_cast
from jixiao.evaluation.models import Evaluation
from jixiao.evaluation.tests.test_evaluations import SYSTEM
from jixiao.evaluation.workflows import STEP_DOCUMENTS, STEPS
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_department_evaluation_nine_steps(page):
    cast = build_cast()
    a1 = cast.subjects["a1"]
    log_in(page, cast.users["clerk_a"].username, PASSWORD)
    page.goto(f"/evaluation/evaluations/?year={cast.year.year}")
    page.fill("#record-create input[name=subject_code]", a1.code)
    page.select_option("#record-create select[name=kind]", "department")
    page.fill("#record-create input[name=title]", "学生资助项目部门评价")
    page.fill("#record-create textarea[name=scope]", "2026年度学生资助资金")
    page.click("#record-create button:has-text('列入评价')")
    page.wait_for_selector("#step:has-text('确定评价对象和范围')")
    ev = Evaluation.objects.get()
    for step in STEPS[:-1]:
        for kind in STEP_DOCUMENTS[step]:
            page.select_option("#document select[name=kind]", kind)
            page.fill("#document input[name=title]", f"{kind}材料")
            page.click("#document button:has-text('添加')")
            page.wait_for_selector("text=已保存")
        if step == "final":
            for i, row in enumerate(SYSTEM):
                page.select_option(f"select[name=ind-{i}-level1]", row["level1"])
                for f in ("level2", "name", "weight", "score"):
                    page.fill(f"input[name=ind-{i}-{f}]", row[f])
            page.click("#indicators button:has-text('保存指标体系及评分')")
            page.wait_for_selector("#score:has-text('92.00')")
            page.fill("#texts textarea[name=conclusion]", "项目决策依据充分，资金管理规范，目标基本实现")
            page.click("#texts button:has-text('保存')")
            page.wait_for_selector("text=已保存")
        page.click(f"#actions button[value=complete_{step.value}]")
        page.wait_for_selector("text=已完成")
    page.wait_for_selector("#step:has-text('已归档')")
    with page.expect_download() as download:
        page.click("#report-docx")
    assert download.value.suggested_filename.endswith(".docx")
    ev.refresh_from_db()
    assert ev.state == "archived" and ev.grade == "excellent"
