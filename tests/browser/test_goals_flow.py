"""Issue 3's end-to-end path in a real browser: a project is assessed before the money (ex-ante assessment with the
bureau's opinion), its goal sheet is filled offline in the usual Excel layout and uploaded, reviewed by the
department and by the bureau, the gate refuses the project library until the goals have passed, the goals are
approved with the budget and passed down, and an adjustment produces a second version whose difference is visible,
with the whole history on the page."""

import datetime
from decimal import Decimal

import pytest

from jixiao.budget.models import PerformanceSubject
from jixiao.budget.services import subject_transition
from jixiao.core.money import Money
from jixiao.core.permissions import actor_for
from jixiao.core.testing import PASSWORD, build_cast
from jixiao.goals.data import RowData, SheetData
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DIMENSIONS = ("necessity", "economy", "target_soundness", "feasibility", "funding_compliance")
# The eight review points with their weights (郑州 附件2-5); 600万 makes this a key project, scored point by point.
REVIEW_POINTS = {"format": 10, "clarity": 10, "goal_relevance": 15, "indicator_soundness": 15, "performance": 15,
                 "funding_match": 15, "achievability": 10, "conditions": 10}


def goal_sheet_file(subject, tmp_path, *, repaired_area: str) -> str:
    """The school's goal sheet, filled offline in the integrated platform's layout."""
    from jixiao.goals.excel import write_sheet

    rows = [
        RowData(row=1, level1="output", level2="数量指标", name="校舍维修面积", comparator="ge",
                target_value=repaired_area, unit="平方米", weight="20", explanation="年度完成维修的校舍建筑面积",
                value_basis="plan", value_method="直接证明法", data_source="竣工验收资料", evidence_type="正式资料"),
        RowData(row=2, level1="output", level2="质量指标", name="工程验收合格率", comparator="eq", target_value="100",
                unit="%", weight="20", explanation="验收合格的维修工程占全部工程的比例", value_basis="industry"),
        RowData(row=3, level1="output", level2="时效指标", name="维修工程按期完工率", comparator="ge",
                target_value="95", unit="%", weight="10", explanation="按合同工期完工的工程占比", value_basis="plan"),
        RowData(row=4, level1="benefit", level2="社会效益指标", name="消除校舍安全隐患数", comparator="ge",
                target_value="12", unit="处", weight="30", explanation="维修后消除的安全隐患处数",
                value_basis="history"),
        RowData(row=5, level1="satisfaction", level2="服务对象满意度指标", name="师生满意度", comparator="ge",
                target_value="90", unit="%", weight="10", explanation="问卷调查满意的师生占比", value_basis="industry"),
    ]
    for r in rows:
        r.weight = Decimal(r.weight)
    data = SheetData(
        kind="project", subject_code=subject.code, subject_name=subject.name, department_name="通辽市教育局",
        unit_name="通辽市第二中学", fiscal_year=2026, start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2026, 12, 31), is_new=True, annual_amount=Money.from_yuan("6000000"),
        total_amount=Money.from_yuan("6000000"), policy_basis="《中小学校舍安全工程实施意见》",
        calculation_basis="维修面积×单位造价", overall_goal="完成教学楼及宿舍楼维修，消除安全隐患",
        annual_goal=f"2026年完成{repaired_area}平方米校舍维修，验收合格率100%", survey_plan="年末向师生发放满意度问卷",
        rows=rows)
    path = tmp_path / f"绩效目标表_{repaired_area}.xlsx"
    path.write_bytes(write_sheet(data))
    return str(path)


def logout(page):
    page.click("button:has-text('退出')")
    page.wait_for_url("**/login/")


def click_transition(page, label, comment=""):
    if comment:
        page.fill("textarea[name=comment]", comment)
    page.click(f"button[name=transition]:has-text('{label}')")
    page.wait_for_load_state()


def review_all(page, sheet_url, grade_label, comment):
    page.goto(sheet_url + "review/")
    for code, weight in REVIEW_POINTS.items():
        page.select_option(f"select[name=grade_{code}]", label=grade_label)
        page.fill(f"input[name=score_{code}]", str(weight * 0.95))  # 优: 90-100% of the point's weight
    page.fill("textarea[name=comment]", comment)
    page.click("button:has-text('提交审核结果')")
    page.wait_for_load_state()


def test_assessment_goal_sheet_reviews_gate_approval_and_adjustment(page, tmp_path):
    cast = build_cast()
    subject = cast.subjects["a2"]  # 校舍维修项目 of 通辽市第二中学 (unit_a2), 教育局
    PerformanceSubject.objects.filter(pk=subject.pk).update(annual_amount=Money.from_yuan("6000000"),
                                                           total_amount=Money.from_yuan("6000000"))
    subject.refresh_from_db()

    # 1. 教育局 assesses the new 600万 project before asking for money (threshold 500万).
    log_in(page, "clerk_a", PASSWORD)
    page.goto(f"/exante/new/?subject={subject.pk}")
    page.fill("input[name=requested_amount]", "6000000")
    page.click("form button[type=submit].primary")
    page.wait_for_url("**/exante/*/")
    assessment_url = page.url
    page.click("a:has-text('修改')")
    for code in DIMENSIONS:
        page.fill(f"textarea[name=text_{code}]", "经调研论证，符合要求。")
    page.select_option("select[name=conclusion]", "support")
    page.click("form button[type=submit].primary")
    page.wait_for_url(assessment_url)
    click_transition(page, "报送财政审核")
    assert "待财政审核" in page.inner_text("body")
    logout(page)

    # 2. The bureau supports it, cutting the request to 450万.
    log_in(page, "finance", PASSWORD)
    page.goto(assessment_url)
    page.fill("input[name=approved_amount]", "4500000")
    page.click("button[name=transition][value=support]")
    page.wait_for_load_state()
    body = page.inner_text("body")
    assert "财政支持" in body and "450.00" in body
    logout(page)

    # 3. The school creates the goal sheet, fills it offline in Excel and uploads it, then submits.
    log_in(page, "unit_a2", PASSWORD)
    page.goto(f"/budget/subjects/{subject.pk}/")
    page.click("button:has-text('编制绩效目标')")
    page.wait_for_url("**/goals/*/**")
    sheet_url = page.url.split("/goals/")[0] + "/goals/" + page.url.split("/goals/")[1].split("/")[0] + "/"
    page.goto(sheet_url + "upload/")
    page.set_input_files("input[name=file]", goal_sheet_file(subject, tmp_path, repaired_area="3000"))
    page.click("button:has-text('上传并保存')")
    page.wait_for_load_state()
    page.goto(sheet_url)
    assert "校舍维修面积" in page.inner_text("body")
    click_transition(page, "提交")
    assert "待主管部门审核" in page.inner_text("body")
    logout(page)

    # The project itself goes up the library's own workflow (unit → department) outside the browser.
    subject_transition(actor=actor_for(cast.users["unit_a2"]), subject=subject, name="submit")
    subject_transition(actor=actor_for(cast.users["clerk_a"]), subject=subject, name="department_approve")

    # 4. The department reviews its unit's goals: 优 on all eight points passes them on to the bureau.
    log_in(page, "clerk_a", PASSWORD)
    review_all(page, sheet_url, "优", "目标明确，指标细化量化")
    page.goto(sheet_url)
    assert "待财政审核" in page.inner_text("body")
    logout(page)

    # 5. The gate: the bureau cannot put the project into the library before the goals pass its own review.
    log_in(page, "finance", PASSWORD)
    page.goto(f"/budget/subjects/{subject.pk}/")
    click_transition(page, "财政审核通过", "同意入库")
    assert "绩效目标尚未审核通过" in page.inner_text("body")
    subject.refresh_from_db()
    assert subject.state == "department_approved"

    # 6. The bureau reviews the goals (优), then the project enters the library, and the goals are approved with it.
    review_all(page, sheet_url, "优", "同意")
    page.goto(sheet_url)
    assert "审核通过" in page.inner_text("body")
    page.goto(f"/budget/subjects/{subject.pk}/")
    click_transition(page, "财政审核通过", "同意入库")
    subject.refresh_from_db()
    assert subject.state == "approved"
    page.goto(sheet_url)
    page.click("button:has-text('随预算批复')")
    page.wait_for_load_state()
    assert "已批复" in page.inner_text("body")
    logout(page)

    # 7. The department passes the approved goals down to the school.
    log_in(page, "clerk_a", PASSWORD)
    page.goto(sheet_url)
    page.click("button:has-text('下达至预算单位')")
    page.wait_for_load_state()
    assert "已下达" in page.inner_text("body")
    logout(page)

    # 8. Mid-year the budget is adjusted: the school asks to adjust its goals, tied to the adjustment's reference,
    #    uploads the changed sheet and submits it; both reviews pass; the bureau approves version 2.
    log_in(page, "unit_a2", PASSWORD)
    page.goto(sheet_url + "adjust/")
    page.fill("input[name=budget_adjustment_ref]", "通财预〔2026〕58号")
    page.fill("textarea[name=reason]", "预算调减，维修面积相应调整")
    page.click("button:has-text('开始调整')")
    page.wait_for_load_state()
    page.goto(sheet_url + "upload/")
    page.set_input_files("input[name=file]", goal_sheet_file(subject, tmp_path, repaired_area="2500"))
    page.click("button:has-text('上传并保存')")
    page.wait_for_load_state()
    page.goto(sheet_url)
    click_transition(page, "提交")
    logout(page)
    log_in(page, "clerk_a", PASSWORD)
    review_all(page, sheet_url, "优", "同意调整")
    logout(page)
    log_in(page, "finance", PASSWORD)
    review_all(page, sheet_url, "优", "同意调整")
    page.goto(sheet_url)
    page.click("button:has-text('随预算批复')")
    page.wait_for_load_state()

    # The history and both versions are on the page, with the changed target shown in the difference.
    body = page.inner_text("body")
    assert "已批复" in body
    for step in ("提交", "主管部门审核", "财政审核", "随预算批复", "下达至预算单位", "申请调整绩效目标"):
        assert step in body, step
    assert "通财预〔2026〕58号" in body
    diff = page.inner_text("body")
    assert "3000" in diff and "2500" in diff
