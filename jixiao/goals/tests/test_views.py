"""Goal-sheet screens: who sees which page (404 outside reach, 403 without the right), the editor (save, findings,
unreadable values, stale edits), the live check, the review rounds through to approval, issue and adjustment with a
version diff, Excel download and upload, the department export, the dry-run check and the coverage page."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jixiao.core.permissions import actor_for
from jixiao.core.testing import make_subject
from jixiao.goals import services
from jixiao.goals.data import RowData, SheetData
from jixiao.goals.models import GoalIndicator, GoalReview, GoalSheet
from jixiao.goals.workflows import GoalState

G = GoalState
POINTS = ("format", "clarity", "goal_relevance", "indicator_soundness", "performance", "funding_match",
          "achievability", "conditions")
ROWS = [
    # level1, level2, name, comparator, target, unit, weight
    ("output", "数量指标", "资助家庭经济困难学生人数", "ge", "500", "人", "20"),
    ("output", "质量指标", "资助对象认定准确率", "ge", "98", "%", "15"),
    ("output", "时效指标", "资助资金按时发放率", "ge", "100", "%", "15"),
    ("benefit", "社会效益指标", "困难学生因贫辍学人数", "le", "0", "人", "30"),
    ("satisfaction", "服务对象满意度指标", "受助学生满意度", "ge", "90", "%", "10"),
]
HEADER = {"overall_goal": "保障家庭经济困难学生顺利完成学业", "annual_goal": "2026年资助家庭经济困难学生500人，资金按时足额发放",
          "policy_basis": "学生资助管理办法", "calculation_basis": "按资助标准和人数测算",
          "survey_plan": "学期末对受助学生开展问卷调查"}


def actor(cast, name):
    return actor_for(cast.users[name])


def login(client, cast, name):
    client.force_login(cast.users[name])
    return client


def editor_post(sheet, rows=ROWS, **header) -> dict:
    """The editor's POST for these rows (keys k1, k2, ...)."""
    data = {"lock_version": str(sheet.lock_version), **HEADER, **header, "row": []}
    for i, (l1, l2, name, comp, target, unit, weight) in enumerate(rows, start=1):
        key = f"k{i}"
        data["row"].append(key)
        data.update({f"r{key}-level1": l1, f"r{key}-level2": l2, f"r{key}-name": name, f"r{key}-comparator": comp,
                     f"r{key}-target_value": target, f"r{key}-unit": unit, f"r{key}-weight": weight,
                     f"r{key}-explanation": f"{name}的计算口径", f"r{key}-value_basis": "plan",
                     f"r{key}-value_method": "统计汇总", f"r{key}-data_source": "单位统计台账",
                     f"r{key}-evidence_type": "统计报表"})
    return data


def sheet_data() -> SheetData:
    rows = [RowData(row=i, level1=l1, level2=l2, name=name, comparator=comp, target_value=target, unit=unit,
                    weight=Decimal(weight), explanation=f"{name}的计算口径", value_basis="plan",
                    value_method="统计汇总", data_source="单位统计台账", evidence_type="统计报表")
            for i, (l1, l2, name, comp, target, unit, weight) in enumerate(ROWS, start=1)]
    return SheetData(rows=rows, **HEADER)


def make_sheet(cast, key="a1", who="unit_a1", *, filled=True) -> GoalSheet:
    sheet = services.goal_sheet_create(actor=actor(cast, who), subject=cast.subjects[key])
    if filled:
        services.goal_sheet_save(actor=actor(cast, who), sheet=sheet, data=sheet_data(),
                                 expected_lock_version=sheet.lock_version)
    sheet.refresh_from_db()
    return sheet


def submit(cast, sheet, who="unit_a1"):
    sheet.refresh_from_db()
    services.goal_sheet_transition(actor=actor(cast, who), sheet=sheet, name="submit")
    sheet.refresh_from_db()
    return sheet


def review_post(value="excellent", comment="", **extra) -> dict:
    data = {f"grade_{p}": value for p in POINTS}
    data["comment"] = comment
    data.update(extra)
    return data


# ---- list ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who, sees", [
    ("unit_a1", {"a1"}), ("unit_a2", {"a2"}), ("clerk_a", {"a1", "a2"}), ("clerk_b", {"b1"}),
    ("officer_a", {"a1", "a2"}), ("finance_admin", {"a1", "a2", "b1"}), ("agency_yes", {"a1"}),
    ("agency_no", set()), ("overseer", {"a1", "a2", "b1"}),
])
def test_list_shows_what_the_role_reaches(client, cast, who, sees):
    for key, owner in (("a1", "unit_a1"), ("a2", "unit_a2"), ("b1", "clerk_b")):
        make_sheet(cast, key, owner, filled=False)
    response = login(client, cast, who).get(reverse("goals:sheet_list") + "?year=2026")
    if who in ("agency_no",):
        assert response.status_code in (200, 403)
        if response.status_code == 403:
            return
    assert response.status_code == 200
    shown = {key for key in ("a1", "a2", "b1") if cast.subjects[key].name in response.content.decode()}
    assert shown == sees


def test_list_filters_and_counts_by_state(client, cast):
    a1 = make_sheet(cast, "a1")
    make_sheet(cast, "a2", "unit_a2", filled=False)
    submit(cast, a1)
    response = login(client, cast, "clerk_a").get(reverse("goals:sheet_list") + "?year=2026&state=submitted")
    body = response.content.decode()
    assert cast.subjects["a1"].name in body and cast.subjects["a2"].name not in body
    counts = {c["state"]: c["count"] for c in response.context["state_counts"]}
    assert counts["submitted"] == 1 and counts["draft"] == 1  # counts ignore the state filter
    response = client.get(reverse("goals:sheet_list") + "?year=2026&overdue=yes")
    assert cast.subjects["a1"].name not in response.content.decode()  # deadline not passed yet
    GoalSheet.objects.filter(pk=a1.pk).update(review_due="2020-01-02")
    response = client.get(reverse("goals:sheet_list") + "?year=2026&overdue=yes")
    assert cast.subjects["a1"].name in response.content.decode() and "逾期" in response.content.decode()


def test_list_query_count_does_not_grow_with_rows(client, cast):
    login(client, cast, "finance_admin")
    make_sheet(cast, "a1", filled=False)
    url = reverse("goals:sheet_list") + "?year=2026"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i in range(8):
        subject = make_subject(cast, f"1505002600000000009{i:02d}", department=cast.dept_b, unit=cast.unit_b1)
        services.goal_sheet_create(actor=actor(cast, "clerk_b"), subject=subject)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["rows"]) == 9
    assert len(many.captured_queries) == len(few.captured_queries), "\n".join(
        q["sql"] for q in many.captured_queries)


def test_list_offers_subjects_without_a_sheet(client, cast):
    response = login(client, cast, "unit_a1").get(reverse("goals:sheet_list") + "?year=2026")
    assert response.context["without"]["count"] == 2  # a1 and the classified a1_secret
    assert reverse("goals:sheet_create", args=[cast.subjects["a1"].pk]) in response.content.decode()


def test_list_needs_login(client, cast):
    response = client.get(reverse("goals:sheet_list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# ---- create ----------------------------------------------------------------------------------------------------------

def test_create_from_a_subject(client, cast):
    subject = cast.subjects["a1"]
    url = reverse("goals:sheet_create", args=[subject.pk])
    assert login(client, cast, "unit_a2").post(url).status_code == 404
    assert login(client, cast, "finance_admin").post(url).status_code == 403
    assert not GoalSheet.objects.exists()
    response = login(client, cast, "unit_a1").post(url)
    sheet = GoalSheet.objects.get(subject=subject)
    assert response.status_code == 302 and response["Location"] == reverse("goals:sheet_edit", args=[sheet.pk])
    again = client.post(url)  # a second click opens the existing sheet
    assert again["Location"] == reverse("goals:sheet_detail", args=[sheet.pk])
    assert GoalSheet.objects.count() == 1
    assert client.get(url).status_code == 405


def test_subject_page_links_to_its_goal_sheet(client, cast):
    subject = cast.subjects["a1"]
    body = login(client, cast, "unit_a1").get(reverse("budget:subject_detail", args=[subject.pk])).content.decode()
    assert reverse("goals:sheet_create", args=[subject.pk]) in body and "尚未编制绩效目标" in body
    sheet = make_sheet(cast, filled=False)
    body = client.get(reverse("budget:subject_detail", args=[subject.pk])).content.decode()
    assert reverse("goals:sheet_detail", args=[sheet.pk]) in body
    body = login(client, cast, "finance_admin").get(reverse("budget:subject_detail",
                                                            args=[cast.subjects["a2"].pk])).content.decode()
    assert reverse("goals:sheet_create", args=[cast.subjects["a2"].pk]) not in body


# ---- detail ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who, status", [
    ("unit_a1", 200), ("clerk_a", 200), ("officer_a", 200), ("finance_admin", 200), ("agency_yes", 200),
    ("overseer", 200), ("unit_a2", 404), ("clerk_b", 404), ("officer_b", 404), ("agency_no", 404), ("expert", 404),
    ("county_admin", 404),
])
def test_detail_by_role(client, cast, who, status):
    sheet = make_sheet(cast)
    response = login(client, cast, who).get(reverse("goals:sheet_detail", args=[sheet.pk]))
    assert response.status_code == status
    if status == 200:
        body = response.content.decode()
        assert "资助家庭经济困难学生人数" in body and "产出指标" in body and "上年指标值" in body


def test_detail_shows_findings_with_their_basis_and_the_owner_buttons(client, cast):
    sheet = make_sheet(cast, filled=False)
    response = login(client, cast, "unit_a1").get(reverse("goals:sheet_detail", args=[sheet.pk]))
    assert response.context["error_count"] > 0
    body = response.content.decode()
    assert "G10-annual-goal" in body and "101号" in body  # rule code and basis
    assert reverse("goals:sheet_edit", args=[sheet.pk]) in body
    assert 'value="submit"' in body
    body = login(client, cast, "clerk_a").get(reverse("goals:sheet_detail", args=[sheet.pk])).content.decode()
    assert 'value="submit"' in body  # the department may submit for its unit
    body = login(client, cast, "finance_admin").get(reverse("goals:sheet_detail", args=[sheet.pk])).content.decode()
    assert reverse("goals:sheet_edit", args=[sheet.pk]) not in body and 'value="submit"' not in body


def test_history_is_shown_beside_rows(client, cast):
    from jixiao.budget.models import FiscalYear, PerformanceSubject
    from jixiao.core.money import Money

    sheet = make_sheet(cast)
    old_subject = PerformanceSubject.objects.create(
        region=cast.city, department=cast.dept_a, unit=cast.unit_a1, fiscal_year=FiscalYear.objects.create(year=2025),
        code=cast.subjects["a1"].code, name="学生资助项目", annual_amount=Money.from_yuan("900000"))
    old = services.goal_sheet_create(actor=actor(cast, "unit_a1"), subject=old_subject)
    data = sheet_data()
    data.rows[0].target_value = "480"
    services.goal_sheet_save(actor=actor(cast, "unit_a1"), sheet=old, data=data,
                             expected_lock_version=old.lock_version)
    response = login(client, cast, "unit_a1").get(reverse("goals:sheet_detail", args=[sheet.pk]))
    row = response.context["groups"][0]["subgroups"][0]["rows"][0]
    assert row.history.last_year_target == "480"
    assert ">480<" in response.content.decode()


# ---- editor ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who, status", [
    ("unit_a1", 200), ("clerk_a", 200), ("finance_admin", 403), ("officer_a", 403), ("agency_yes", 403),
    ("unit_a2", 404), ("clerk_b", 404),
])
def test_editor_by_role(client, cast, who, status):
    sheet = make_sheet(cast)
    assert login(client, cast, who).get(reverse("goals:sheet_edit", args=[sheet.pk])).status_code == status


def test_editor_saves_rows_and_shows_findings(client, cast):
    sheet = make_sheet(cast, filled=False)
    login(client, cast, "unit_a1")
    url = reverse("goals:sheet_edit", args=[sheet.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="lock_version"' in page.content.decode()
    assert "从指标库选择" in page.content.decode()
    rows = [*ROWS[:4], ("satisfaction", "服务对象满意度指标", "受助学生满意度", "ge", "90", "%", "5")]
    data = editor_post(sheet, rows)
    data["rk2-propose_to_library"] = "on"
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    sheet.refresh_from_db()
    saved = list(sheet.indicators.order_by("position"))
    assert [r.name for r in saved] == [r[2] for r in rows]
    assert saved[0].weight == Decimal("20") and sheet.annual_goal == HEADER["annual_goal"]
    assert saved[1].propose_to_library
    body = response.content.decode()
    assert "已保存" in body and "G15-weight" in body  # weights short by 5: shown after saving
    assert response.context["error_count"] >= 1

    # "save and return" goes to the detail page
    sheet.refresh_from_db()
    response = client.post(url, {**editor_post(sheet), "then": "detail"})
    assert response["Location"] == reverse("goals:sheet_detail", args=[sheet.pk])
    assert sheet.indicators.filter(weight=Decimal("10"), level1="satisfaction").exists()


def test_editor_keeps_unreadable_values_unsaved(client, cast):
    sheet = make_sheet(cast)
    login(client, cast, "unit_a1")
    url = reverse("goals:sheet_edit", args=[sheet.pk])
    data = editor_post(sheet)
    data["rk1-weight"] = "二十"
    data["rk1-name"] = "改过的名称"
    response = client.post(url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "未保存" in body and "改过的名称" in body  # the typed values are kept on the page
    assert not GoalIndicator.objects.filter(name="改过的名称").exists()


def test_editor_refuses_a_stale_save(client, cast):
    sheet = make_sheet(cast)
    login(client, cast, "unit_a1")
    url = reverse("goals:sheet_edit", args=[sheet.pk])
    old = editor_post(sheet)
    client.post(url, editor_post(sheet, ROWS[:2]))
    response = client.post(url, old)
    assert response.status_code == 200 and "他人修改" in response.content.decode()
    assert sheet.indicators.count() == 2


def test_editor_redirects_when_the_sheet_is_locked(client, cast):
    sheet = submit(cast, make_sheet(cast))
    response = login(client, cast, "unit_a1").get(reverse("goals:sheet_edit", args=[sheet.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("goals:sheet_detail", args=[sheet.pk])


def test_check_endpoint_returns_findings_for_unsaved_data(client, cast):
    sheet = make_sheet(cast)
    login(client, cast, "unit_a1")
    url = reverse("goals:sheet_check", args=[sheet.pk])
    rows = [ROWS[0], ("output", "数量指标", "有效提升服务水平", "qualitative", "", "", "30"), *ROWS[2:]]
    data = editor_post(sheet, rows)
    data["rk3-weight"] = "abc"
    response = client.post(url, data)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    payload = json.loads(response.content)
    assert {"findings", "errors", "warnings", "weights", "frame"} <= set(payload)
    by_rule = {f["rule"]: f for f in payload["findings"]}
    assert by_rule["form-invalid"]["row"] == 3 and by_rule["form-invalid"]["field"] == "weight"
    assert any(f["row"] == 2 and f["rule"] == "G-vague" for f in payload["findings"])
    assert all(f["basis"] for f in payload["findings"])
    output = next(w for w in payload["weights"] if w["level1"] == "output")
    assert output["expected"] == "50" and output["actual"] == "50" and output["ok"]
    assert payload["frame"]["code"] == "frame_10"
    # nothing stored
    assert sheet.indicators.filter(name="有效提升服务水平").count() == 0
    assert client.get(url).status_code == 405
    assert login(client, cast, "finance_admin").post(url, data).status_code == 403
    assert login(client, cast, "unit_a2").post(url, data).status_code == 404


# ---- workflow: submit, review, approve, issue, adjust -----------------------------------------------------------------

def test_submit_from_the_detail_page_refuses_errors(client, cast):
    sheet = make_sheet(cast, filled=False)
    login(client, cast, "unit_a1")
    url = reverse("goals:sheet_transition", args=[sheet.pk])
    response = client.post(url, {"transition": "submit", "lock_version": sheet.lock_version}, follow=True)
    assert "操作未执行" in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.state == G.DRAFT
    services.goal_sheet_save(actor=actor(cast, "unit_a1"), sheet=sheet, data=sheet_data(),
                             expected_lock_version=sheet.lock_version)
    sheet.refresh_from_db()
    response = client.post(url, {"transition": "submit", "lock_version": sheet.lock_version}, follow=True)
    sheet.refresh_from_db()
    assert sheet.state == G.SUBMITTED and "已提交" in response.content.decode()


@pytest.mark.parametrize("who, status", [
    ("clerk_a", 200), ("unit_a1", 403), ("finance_admin", 403), ("agency_yes", 403), ("clerk_b", 404),
])
def test_review_page_is_for_the_reviewing_level(client, cast, who, status):
    sheet = submit(cast, make_sheet(cast))
    assert login(client, cast, who).get(reverse("goals:sheet_review", args=[sheet.pk])).status_code == status


def test_review_form_needs_every_point(client, cast):
    sheet = submit(cast, make_sheet(cast))
    login(client, cast, "clerk_a")
    url = reverse("goals:sheet_review", args=[sheet.pk])
    page = client.get(url)
    body = page.content.decode()
    assert "规范完整性" in body and "条件充分性" in body and body.count('name="grade_') == 8
    data = review_post()
    del data["grade_conditions"]
    response = client.post(url, data)
    assert response.status_code == 200 and "条件充分性" in response.context["form"].non_field_errors()[0]
    response = client.post(url, review_post("good"))  # 良 needs a comment
    assert response.status_code == 200 and response.context["form"].errors
    sheet.refresh_from_db()
    assert sheet.state == G.SUBMITTED and not GoalReview.objects.exists()


def test_key_project_review_scores_each_point(client, cast):
    sheet = submit(cast, make_sheet(cast))
    login(client, cast, "clerk_a")
    url = reverse("goals:sheet_review", args=[sheet.pk])
    response = client.post(url, review_post(is_key="on"))  # scores missing
    assert response.status_code == 200 and "打分" in str(response.context["form"].non_field_errors())
    weights = {"format": 10, "clarity": 10, "goal_relevance": 15, "indicator_soundness": 15, "performance": 15,
               "funding_match": 15, "achievability": 10, "conditions": 10}
    scores = {f"score_{code}": str(Decimal(w) * Decimal("0.95")) for code, w in weights.items()}  # 9.5, 14.25→14.3
    response = client.post(url, review_post(is_key="on", **scores), follow=True)
    review = GoalReview.objects.get(sheet=sheet)
    assert review.mode == "key" and review.total_score == Decimal("95.2") and review.grade == "excellent"
    assert "总分 95.2" in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.state == G.DEPARTMENT_PASSED and sheet.is_key


def test_review_rounds_through_approval_issue_and_adjustment(client, cast):
    sheet = submit(cast, make_sheet(cast))
    # department: 中 returns with a comment
    login(client, cast, "clerk_a")
    response = client.post(reverse("goals:sheet_review", args=[sheet.pk]),
                           review_post("fair", comment="指标值偏低，请按上年完成情况调整", note_performance="偏低"),
                           follow=True)
    sheet.refresh_from_db()
    assert sheet.state == G.RETURNED and "审核完成" in response.content.decode()
    # the unit resubmits; the department passes; the bureau passes
    submit(cast, sheet)
    client.post(reverse("goals:sheet_review", args=[sheet.pk]), review_post())
    sheet.refresh_from_db()
    assert sheet.state == G.DEPARTMENT_PASSED
    assert login(client, cast, "clerk_a").get(reverse("goals:sheet_review", args=[sheet.pk])).status_code == 403
    login(client, cast, "finance_admin")
    client.post(reverse("goals:sheet_review", args=[sheet.pk]), review_post())
    sheet.refresh_from_db()
    assert sheet.state == G.PASSED
    # the history shows each round with its grades per point and comments
    body = client.get(reverse("goals:sheet_detail", args=[sheet.pk])).content.decode()
    assert body.count("review-round") == 3 and "偏低" in body and "指标值偏低" in body
    # approval with the budget, then the department passes it down
    response = client.post(reverse("goals:sheet_approve_many"),
                           {"department": cast.dept_a.pk, "year": 2026, "sheet": [sheet.pk]}, follow=True)
    sheet.refresh_from_db()
    assert sheet.state == G.APPROVED and "已随预算批复 1 张" in response.content.decode()
    assert login(client, cast, "unit_a1").post(reverse("goals:sheet_issue", args=[sheet.pk])).status_code == 403
    sheet.refresh_from_db()
    assert sheet.state == G.APPROVED  # a unit cannot issue
    login(client, cast, "clerk_a").post(reverse("goals:sheet_issue", args=[sheet.pk]),
                                        {"lock_version": sheet.lock_version})
    sheet.refresh_from_db()
    assert sheet.state == G.ISSUED
    # adjustment: needs the budget adjustment reference and a reason, opens revision 2
    login(client, cast, "unit_a1")
    url = reverse("goals:sheet_adjust", args=[sheet.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"budget_adjustment_ref": "", "reason": "", "lock_version": sheet.lock_version})
    assert response.status_code == 200 and response.context["form"].errors
    response = client.post(url, {"budget_adjustment_ref": "通财预〔2026〕12号", "reason": "追加资助名额",
                                 "lock_version": sheet.lock_version})
    sheet.refresh_from_db()
    assert response["Location"] == reverse("goals:sheet_edit", args=[sheet.pk])
    assert (sheet.state, sheet.revision, sheet.budget_adjustment_ref) == (G.DRAFT, 2, "通财预〔2026〕12号")
    rows = [("output", "数量指标", "资助家庭经济困难学生人数", "ge", "600", "人", "20"), *ROWS[1:]]
    client.post(reverse("goals:sheet_edit", args=[sheet.pk]), editor_post(sheet, rows))
    response = client.get(reverse("goals:sheet_detail", args=[sheet.pk]))
    assert response.context["diff_rows"], "the changed target shows in the version diff"
    change = response.context["diff_rows"][0]
    assert change["change"] == "修改" and ("指标值", "500", "600") in change["fields"]


def test_adjust_refused_before_approval(client, cast):
    sheet = make_sheet(cast)
    response = login(client, cast, "unit_a1").get(reverse("goals:sheet_adjust", args=[sheet.pk]))
    assert response.status_code == 302


def test_approve_many_is_for_finance(client, cast):
    assert login(client, cast, "unit_a1").get(reverse("goals:sheet_approve_many")).status_code == 403
    assert login(client, cast, "clerk_a").get(reverse("goals:sheet_approve_many")).status_code == 403
    response = login(client, cast, "finance_admin").get(reverse("goals:sheet_approve_many")
                                                        + f"?department={cast.dept_a.pk}&year=2026")
    assert response.status_code == 200 and response.context["sheets"] == []


# ---- Excel -----------------------------------------------------------------------------------------------------------

def test_download_filled_and_blank(client, cast):
    sheet = make_sheet(cast)
    login(client, cast, "unit_a1")
    response = client.get(reverse("goals:sheet_download", args=[sheet.pk]))
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert "attachment" in response["Content-Disposition"]
    response = client.get(reverse("goals:blank_download", args=[cast.subjects["a1_secret"].pk]))
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert login(client, cast, "unit_a2").get(reverse("goals:sheet_download", args=[sheet.pk])).status_code == 404
    assert client.get(reverse("goals:blank_download", args=[cast.subjects["a1"].pk])).status_code == 404


def test_upload_round_trip_and_refusal(client, cast):
    source = make_sheet(cast)
    login(client, cast, "unit_a1")
    content = client.get(reverse("goals:sheet_download", args=[source.pk])).content
    target = make_sheet(cast, "a1_secret", filled=False)
    url = reverse("goals:sheet_upload", args=[target.pk])
    assert client.get(url).status_code == 200
    # a sheet of another subject is refused, nothing written
    upload = io.BytesIO(content)
    upload.name = "目标表.xlsx"
    response = client.post(url, {"file": upload, "lock_version": target.lock_version})
    assert response.status_code == 200 and response.context["parse_errors"] >= 1
    assert target.indicators.count() == 0
    # the same sheet back into its own draft
    url = reverse("goals:sheet_upload", args=[source.pk])
    source.refresh_from_db()
    upload = io.BytesIO(content)
    upload.name = "目标表.xlsx"
    response = client.post(url, {"file": upload, "lock_version": source.lock_version})
    assert response.status_code == 200 and response.context["saved"], response.context["form"].errors
    assert [r.name for r in source.indicators.order_by("position")] == [r[2] for r in ROWS]
    # not an Excel file
    bad = io.BytesIO(b"not a workbook")
    bad.name = "x.txt"
    response = client.post(url, {"file": bad})
    assert response.status_code == 200 and response.context["form"].errors
    assert login(client, cast, "finance_admin").get(url).status_code == 403


def test_department_export(client, cast):
    make_sheet(cast)
    make_sheet(cast, "a2", "unit_a2")
    url = reverse("goals:department_export")
    assert login(client, cast, "agency_yes").get(url).status_code == 403
    login(client, cast, "clerk_a")
    assert client.get(url).status_code == 200
    response = client.get(url + f"?department={cast.dept_a.pk}&year=2026")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) >= 2
    response = client.get(url + f"?department={cast.dept_b.pk}&year=2026")
    assert response.status_code == 302  # nothing of dept_b within reach


def test_check_upload_stores_nothing(client, cast):
    pytest.importorskip("jixiao.goals.checking")
    source = make_sheet(cast)
    login(client, cast, "unit_a1")
    content = client.get(reverse("goals:sheet_download", args=[source.pk])).content
    before = GoalIndicator.objects.count()
    login(client, cast, "agency_no")
    url = reverse("goals:check_upload")
    assert client.get(url).status_code == 200
    upload = io.BytesIO(content)
    upload.name = "目标表.xlsx"
    response = client.post(url, {"file": upload})
    assert response.status_code == 200 and response.context["checked"]
    assert GoalIndicator.objects.count() == before


# ---- coverage --------------------------------------------------------------------------------------------------------

def test_coverage(client, cast):
    make_sheet(cast)
    response = login(client, cast, "finance_admin").get(reverse("goals:coverage") + "?year=2026")
    assert response.status_code == 200
    body = response.content.decode()
    assert "bar-fill" in body and "审核等级分布" in body and cast.dept_a.name in body
    assert login(client, cast, "agency_yes").get(reverse("goals:coverage")).status_code == 403
    assert login(client, cast, "unit_a1").get(reverse("goals:coverage")).status_code == 200
