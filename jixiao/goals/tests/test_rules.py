"""Goal-sheet rules (jixiao.goals.rules): every check with hand-worked boundaries, on the national default profile
(10号 frame) and the 河南 101号 preset; review grading by the "6 of 8" rule and the key-project bands."""

import datetime
from dataclasses import replace
from decimal import Decimal as D

import pytest

from jixiao.core.money import Money
from jixiao.goals import rules
from jixiao.goals.data import RowData, RowHistory, SheetData, StandardRef
from jixiao.policy.presets import preset_params
from jixiao.policy.schema import GoalReviewParams, PolicyParams

NATIONAL = PolicyParams().goals
HENAN = preset_params("henan_2022").goals
REVIEW = PolicyParams().goal_review


def row(n, level1="output", level2="数量指标", name="", comparator="ge", target="100", unit="%", weight=None, **kw):
    kw.setdefault("explanation", "反映……的情况")
    kw.setdefault("value_basis", "plan")
    return RowData(row=n, level1=level1, level2=level2, name=name or f"指标{n}", comparator=comparator,
                   target_value=target, unit=unit, weight=D(weight) if weight is not None else None, **kw)


def good_rows():
    """A clean 10号-frame sheet: 产出 50 (20+15+15), 效益 30, 满意度 10 = 90."""
    return [
        row(1, name="学生资助人数", target="500", unit="人", weight="20"),
        row(2, level2="质量指标", name="资助对象认定准确率", weight="15"),
        row(3, level2="时效指标", name="资助资金发放及时率", weight="15"),
        row(4, level1="benefit", level2="社会效益指标", name="家庭经济困难学生资助覆盖率", weight="30"),
        row(5, level1="satisfaction", level2="服务对象满意度指标", name="受助学生满意度", target="90", weight="10"),
    ]


def sheet(rows=None, **kw):
    kw.setdefault("annual_goal", "资助家庭经济困难学生500人，保障其顺利完成学业")
    kw.setdefault("survey_plan", "学期末问卷调查受助学生")
    return SheetData(rows=good_rows() if rows is None else rows, **kw)


def check(s, goals=NATIONAL, for_submission=True):
    return rules.check_sheet(s, goals, for_submission=for_submission)


def codes(findings, severity=None):
    return [f.rule for f in findings if severity is None or f.severity == severity]


def only(findings, rule):
    found = [f for f in findings if f.rule == rule]
    assert len(found) == 1, findings
    return found[0]


def test_a_clean_sheet_has_no_findings():
    assert check(sheet()) == []


def test_every_finding_has_a_rule_and_a_chinese_basis():
    s = sheet([row(1, level1="", level2="", name="", comparator="", target="", unit="", explanation="",
                   value_basis="")], annual_goal="")
    findings = check(s)
    assert findings
    for f in findings:
        assert f.rule and f.basis and f.message
        assert "号" in f.basis or "一体化" in f.basis


# --- header ---------------------------------------------------------------------------------------------------
def test_annual_goal_is_required():
    f = only(check(sheet(annual_goal="  ")), "G10-annual-goal")
    assert f.severity == "error" and f.row is None and f.field == "年度目标"


def test_overall_goal_required_for_multi_year_and_policies_only():
    assert "G10-overall-goal" not in codes(check(sheet()))
    multi = sheet(start_date=datetime.date(2025, 1, 1), end_date=datetime.date(2027, 12, 31))
    assert "G10-overall-goal" in codes(check(multi))
    by_amount = sheet(total_amount=Money.from_yuan("3000000"), annual_amount=Money.from_yuan("1000000"))
    assert "G10-overall-goal" in codes(check(by_amount))
    one_year = sheet(total_amount=Money.from_yuan("1000000"), annual_amount=Money.from_yuan("1000000"),
                     start_date=datetime.date(2025, 1, 1), end_date=datetime.date(2025, 12, 31))
    assert "G10-overall-goal" not in codes(check(one_year))
    assert "G10-overall-goal" in codes(check(sheet(kind="policy")))
    assert "G10-overall-goal" not in codes(check(replace(multi, overall_goal="三年资助1500人")))


def test_department_wide_sheet_needs_duties_and_main_tasks():
    s = sheet(kind="department_wide")
    assert {"G20-duties", "G20-main-tasks"} <= set(codes(check(s), "error"))
    s = sheet(kind="unit_wide", duties="负责全市学生资助工作",
              main_tasks=[{"name": "学生资助", "content": "发放资助", "amount": Money.from_yuan("100")},
                          {"name": "资助宣传", "content": "", "amount": None},
                          {"name": "", "content": "没有名称的任务", "amount": None}])
    findings = check(s)
    assert "G20-duties" not in codes(findings) and "G20-main-tasks" not in codes(findings)
    assert only(findings, "G20-task-amount").severity == "warning"
    assert only(findings, "G20-task-name").severity == "error"
    # the frame checks still apply to a department's indicators
    assert "G11-output-required" in codes(check(replace(s, rows=[])))


# --- groups and frames ----------------------------------------------------------------------------------------------
def test_output_and_benefit_required():
    rows = [r for r in good_rows() if r.level1 != "benefit"]
    f = only(check(sheet(rows)), "G11-benefit-required")
    assert f.basis == "101号 二：每个项目至少设置一个产出指标和一个效益指标"
    assert "G11-output-required" in codes(check(sheet([])))
    # satisfaction is optional in both frames
    rows = [r for r in good_rows() if r.level1 != "satisfaction"]
    assert "G11-satisfaction-required" not in codes(check(sheet(rows)))


def test_level2_must_belong_to_the_group():
    rows = good_rows()
    rows[0] = replace(rows[0], level2="经济效益指标")
    f = only(check(sheet(rows)), "G11-level2")
    assert f.row == 1 and "不属于产出指标" in f.message
    rows[0] = replace(rows[0], level2="数量")  # written without 指标
    assert "G11-level2" not in codes(check(sheet(rows)))
    rows[0] = replace(rows[0], level2="")
    assert only(check(sheet(rows)), "G11-level2").message == "未填写二级指标"
    rows = good_rows()
    rows[4] = replace(rows[4], level2="满意度")  # unique ending of 服务对象满意度指标
    assert "G11-level2" not in codes(check(sheet(rows)))


def test_level1_labels_are_read_and_unknown_ones_reported():
    rows = good_rows()
    rows[0] = replace(rows[0], level1="产出指标")
    assert check(sheet(rows)) == []
    rows[0] = replace(rows[0], level1="过程")
    assert only(check(sheet(rows)), "G11-level1").row == 1


def test_frame_selection():
    assert rules.frame_for(sheet(), NATIONAL).code == "frame_10"
    assert rules.frame_for(sheet(), HENAN).code == "frame_101"
    cost = row(6, level1="cost", level2="经济成本指标", name="人均资助标准", comparator="le", target="2000",
               unit="元/人", weight="20")
    with_cost = sheet(good_rows() + [cost])
    assert rules.frame_for(with_cost, HENAN).code == "frame_101_cost"
    # the national profile's cost frame is the 10号 frame itself: cost is not a level-1 group there
    assert rules.frame_for(with_cost, NATIONAL).code == "frame_10"
    f = only(check(with_cost), "G11-level1")
    assert f.row == 6 and "成本指标为产出指标下的二级指标" in f.message
    assert rules.frame_for(sheet(special_category="special_bond"), NATIONAL).code == "special_bond"
    assert rules.frame_for(sheet(frame_code="frame_101"), NATIONAL).code == "frame_101"
    unknown = sheet(frame_code="nonesuch")
    assert rules.frame_for(unknown, NATIONAL).code == "frame_10"
    assert "G15-frame" in codes(check(unknown), "error")


def test_henan_cost_frame_a_clean_sheet():
    rows = [
        row(1, level1="cost", level2="经济成本指标", name="人均资助标准", comparator="le", target="2000", unit="元/人",
            weight="20"),
        row(2, name="学生资助人数", target="500", unit="人", weight="20"),
        row(3, level2="质量指标", name="资助对象认定准确率", weight="20"),
        row(4, level1="benefit", level2="社会效益指标", name="资助覆盖率", weight="20"),
        row(5, level1="satisfaction", level2="服务对象满意度指标", name="受助学生满意度", target="90", weight="10"),
    ]
    assert check(sheet(rows), HENAN) == []
    # under 河南 the 10号 spelling of cost (产出 → 成本指标) is not in the 101号 output group
    rows[0] = replace(rows[0], level1="output", level2="成本指标")
    findings = check(sheet(rows), HENAN)
    assert rules.frame_for(sheet(rows), HENAN).code == "frame_101_cost"
    assert "G11-level2" in codes(findings) and "G11-cost-required" in codes(findings)


def test_cost_required_for_construction_with_multi_year_benefit():
    s = sheet(category="construction")
    findings = check(s)
    assert only(findings, "G11-cost-category").message == "工程基建类项目须设置成本指标（产出指标下的二级指标）"
    assert only(findings, "G11-multi-year-benefit").field == "多年期效益说明"
    rows = good_rows()
    rows[0] = replace(rows[0], level2="成本指标", name="单位造价", comparator="le", target_value="3000", unit="元/平方米")
    ok = sheet(rows, category="construction", multi_year_benefit="建成后使用30年，每年服务5000人")
    assert "G11-cost-category" not in codes(check(ok)) and "G11-multi-year-benefit" not in codes(check(ok))
    # information systems are not in the default list
    assert "G11-cost-category" not in codes(check(sheet(category="information_system")))
    # 河南: the message asks for a level-1 cost indicator
    assert "一级成本指标" in only(check(s, HENAN), "G11-cost-category").message


def test_quality_required_with_a_standard():
    rows = [r for r in good_rows() if r.level2 != "质量指标"]
    rows[0] = replace(rows[0], weight=D(35))
    assert check(sheet(rows)) == []
    assert only(check(sheet(rows, has_quality_standard=True)), "G11-quality-required").severity == "error"
    off = NATIONAL.model_copy(update={"quality_required_with_standard": False})
    assert "G11-quality-required" not in codes(check(sheet(rows, has_quality_standard=True), off))


def test_satisfaction_needs_a_survey_plan():
    assert only(check(sheet(survey_plan="")), "G11-satisfaction-survey").field == "满意度调查方案"
    no_sat = [r for r in good_rows() if r.level1 != "satisfaction"]
    no_sat[3] = replace(no_sat[3], weight=D(40))
    assert check(sheet(no_sat, survey_plan="")) == []
    off = NATIONAL.model_copy(update={"satisfaction_requires_survey": False})
    assert check(sheet(survey_plan=""), off) == []


# --- row fields -----------------------------------------------------------------------------------------------
def test_mandatory_fields():
    rows = good_rows()
    rows[0] = replace(rows[0], name="", comparator="", target_value="", unit="")
    findings = check(sheet(rows))
    assert {"G12-name", "G12-comparator", "G12-target"} <= set(codes(findings, "error"))
    # without a comparator the unit requirement cannot be decided
    assert "G12-unit" not in codes(findings)
    rows[0] = replace(rows[0], name="学生资助人数", comparator="≥", target_value="500")
    f = only(check(sheet(rows)), "G12-unit")
    assert str(f) == "第1行“计量单位”：未填写计量单位"  # the field is the form's label: users read it


def test_name_length_from_the_profile():
    rows = good_rows()
    rows[0] = replace(rows[0], name="人" * 100)
    assert "G12-name-length" not in codes(check(sheet(rows)))
    rows[0] = replace(rows[0], name="人" * 101)
    assert "超过100字" in only(check(sheet(rows)), "G12-name-length").message
    short = NATIONAL.model_copy(update={"indicator_name_max_length": 20})
    rows[0] = replace(rows[0], name="人" * 21)
    assert "超过20字" in only(check(sheet(rows), short), "G12-name-length").message


def test_unit_optional_for_qualitative_and_other_and_other_needs_a_note():
    rows = good_rows()
    rows[3] = replace(rows[3], comparator="qualitative", target_value="好", unit="")
    assert check(sheet(rows)) == []
    rows[3] = replace(rows[3], comparator="定量（其他）", target_value="按年度计划完成", unit="")
    assert only(check(sheet(rows)), "G12-value-note").row == 4
    rows[3] = replace(rows[3], value_note="以年度工作计划为准")
    assert check(sheet(rows)) == []


def test_explanation_and_basis_are_warnings_for_drafts_errors_for_submission():
    rows = good_rows()
    rows[0] = replace(rows[0], explanation="", value_basis="")
    draft = check(sheet(rows), for_submission=False)
    assert codes(draft, "warning") == ["G12-explanation", "G12-value-basis"] and codes(draft, "error") == []
    assert codes(check(sheet(rows)), "error") == ["G12-explanation", "G12-value-basis"]
    rows[0] = replace(rows[0], explanation="x", value_basis="计划标准")  # a label is read too
    assert check(sheet(rows)) == []
    rows[0] = replace(rows[0], value_basis="拍脑袋")
    assert only(check(sheet(rows), for_submission=False), "G12-value-basis").severity == "error"


@pytest.mark.parametrize("comparator", ["≥", ">=", "＞＝", "≧", "不低于", "不少于", "大于等于", "至少", "ge"])
def test_ge_variants_are_accepted(comparator):
    rows = good_rows()
    rows[0] = replace(rows[0], comparator=comparator)
    assert check(sheet(rows)) == []


def test_unknown_comparator():
    rows = good_rows()
    rows[0] = replace(rows[0], comparator="约")
    assert "无法识别" in only(check(sheet(rows)), "G12-comparator").message


def test_quantitative_comparator_needs_a_number():
    rows = good_rows()
    rows[0] = replace(rows[0], target_value="较多")
    f = only(check(sheet(rows)), "G12-target-number")
    assert f.severity == "error" and "较多" in f.message
    rows[2] = replace(rows[2], comparator="le", target_value="2025年12月31日前", unit="日期")  # a date is a time target
    rows[0] = replace(rows[0], target_value="1,200")
    assert check(sheet(rows)) == []


def test_comparator_written_into_the_value():
    rows = good_rows()
    rows[0] = replace(rows[0], comparator="", target_value="≥500")
    f = only(check(sheet(rows)), "G12-comparator")
    assert "指标值中写有“≥”" in f.message
    rows[0] = replace(rows[0], comparator="le", target_value="≥500")
    assert only(check(sheet(rows)), "G12-comparator-conflict").severity == "warning"
    rows[0] = replace(rows[0], comparator="ge", target_value="95%", unit="")
    assert "“%”" in only(check(sheet(rows)), "G12-unit").message
    rows[0] = replace(rows[0], target_value="95%", unit="人")
    assert only(check(sheet(rows)), "G12-unit-conflict").severity == "warning"


def test_target_written_into_the_name():
    rows = good_rows()
    rows[0] = replace(rows[0], name="学生资助人数≥500人", comparator="", target_value="", unit="")
    findings = check(sheet(rows))
    f = only(findings, "G12-target-in-name")
    assert f.severity == "warning" and f.row == 1
    assert f.message == ("指标值写在了指标名称中，建议拆分为：指标名称“学生资助人数”，计算符号“≥”，指标值“500”，"
                         "计量单位“人”")
    assert "G12-target" in codes(findings, "error")
    rows[0] = replace(rows[0], name="按时完成率达到100%")
    assert "指标值“100”" in only(check(sheet(rows)), "G12-target-in-name").message
    # a name with a number that is no target gives no suggestion
    rows[0] = replace(rows[0], name="5G基站建设数量")
    assert "G12-target-in-name" not in codes(check(sheet(rows)))


# --- cost within the spending standard ----------------------------------------------------------------------------
STANDARD = StandardRef(name="学生资助标准", amount=Money.from_yuan("2000"), output_unit="人", source="财教〔2019〕19号")


def cost_sheet(target, unit, comparator="le", goals=NATIONAL):
    rows = good_rows()
    rows[0] = replace(rows[0], level2="成本指标", name="人均资助金额", comparator=comparator, target_value=target, unit=unit,
                      standard=STANDARD)
    return check(sheet(rows), goals)


@pytest.mark.parametrize("target,unit", [("2000", "元/人"), ("2,000.00", "元/人"), ("0.2", "万元/人"), ("1999.99", "元/人"),
                                         ("2000", "元")])
def test_cost_at_or_below_the_standard(target, unit):
    assert cost_sheet(target, unit) == []


@pytest.mark.parametrize("target,unit,over", [("2000.01", "元/人", "0.01"), ("0.200001", "万元/人", "0.01"),
                                              ("0.21", "万元/人", "100")])
def test_cost_over_the_standard(target, unit, over):
    f = only(cost_sheet(target, unit), "G13-over-standard")
    assert f.severity == "error" and f.field == "指标值"
    assert f"超出{over}元" in f.message and "2,000.00元/人" in f.message
    assert f.basis.startswith("101号 三(三)") and "财教〔2019〕19号" in f.basis


def test_cost_standard_switch_and_units():
    off = NATIONAL.model_copy(update={"cost_target_within_standard": False})
    assert cost_sheet("3000", "元/人", goals=off) == []
    assert only(cost_sheet("3000", "元/天"), "G13-standard-unit").severity == "warning"
    assert only(cost_sheet("95", "%"), "G13-standard-unit").severity == "warning"


# --- input words, vague wording, history, duplicates --------------------------------------------------------------
def test_input_quantities_are_not_goals():
    rows = good_rows()
    rows[0] = replace(rows[0], name="资金拨付到位金额", target_value="500", unit="万元")
    f = only(check(sheet(rows)), "G-input-as-goal")
    assert f.severity == "error" and "资金拨付" in f.message
    rows[0] = replace(rows[0], level2="成本指标")  # a cost indicator may talk about money
    assert "G-input-as-goal" not in codes(check(sheet(rows)))
    rows = good_rows()
    rows[3] = replace(rows[3], name="预算执行进度")
    assert "G-input-as-goal" in codes(check(sheet(rows)))


def test_vague_wording_without_a_number():
    rows = good_rows()
    rows[3] = replace(rows[3], name="群众生活水平有效提升", comparator="qualitative", target_value="明显改善", unit="")
    f = only(check(sheet(rows)), "G-vague")
    assert f.severity == "warning" and "有效" in f.message and "明显" in f.message
    rows[3] = replace(rows[3], comparator="ge", target_value="5", unit="%")  # a number makes it measurable
    assert "G-vague" not in codes(check(sheet(rows)))
    custom = NATIONAL.model_copy(update={"vague_words": ["若干"]})
    rows[3] = replace(rows[3], name="若干村庄", comparator="qualitative", target_value="好", unit="")
    assert "G-vague" in codes(check(sheet(rows), custom)) and "G-vague" not in codes(check(sheet(rows)))


def test_target_below_last_years_actual():
    rows = good_rows()
    rows[0] = replace(rows[0], target_value="500", unit="人", history=RowHistory(last_year_actual="520人"))
    f = only(check(sheet(rows)), "G14-below-last-year")
    assert f.severity == "warning" and "“500”" in f.message and "“520人”" in f.message
    assert "从严从高" in f.basis and "101号 一(一)(三)" in f.basis
    rows[0] = replace(rows[0], target_value="520")
    assert check(sheet(rows)) == []
    # lower is better: a cap above last year's actual
    rows[0] = replace(rows[0], comparator="le", target_value="5", unit="%", history=RowHistory(last_year_actual="4%"))
    assert "高于上年实际完成值" in only(check(sheet(rows)), "G14-below-last-year").message
    rows[0] = replace(rows[0], target_value="4")
    assert check(sheet(rows)) == []
    # 万元 and 元 are compared exactly; different units are not compared
    rows[0] = replace(rows[0], comparator="ge", target_value="1.2", unit="万元", history=RowHistory(last_year_actual="12001元"))
    assert "G14-below-last-year" in codes(check(sheet(rows)))
    rows[0] = replace(rows[0], history=RowHistory(last_year_actual="12000元"))
    assert check(sheet(rows)) == []
    rows[0] = replace(rows[0], history=RowHistory(last_year_actual="99%"))
    assert check(sheet(rows)) == []


def test_duplicate_names():
    rows = good_rows()
    rows[2] = replace(rows[2], name=" 学生资助人数")
    f = only(check(sheet(rows)), "G-duplicate-name")
    assert f.row == 3 and f.severity == "warning" and "第1行" in f.message


# --- weights --------------------------------------------------------------------------------------------------
def test_expected_weights_by_frame():
    assert rules.expected_weights(sheet(), NATIONAL) == {"output": D(50), "benefit": D(30), "satisfaction": D(10)}
    no_sat = sheet([r for r in good_rows() if r.level1 != "satisfaction"])
    assert rules.expected_weights(no_sat, NATIONAL) == {"output": D(50), "benefit": D(40)}
    cost = row(6, level1="cost", level2="经济成本指标", name="人均资助标准", comparator="le", target="1", unit="元")
    assert rules.expected_weights(sheet(good_rows() + [cost]), HENAN) == {
        "cost": D(20), "output": D(40), "benefit": D(20), "satisfaction": D(10)}
    assert rules.expected_weights(sheet([cost]), HENAN) == {"cost": D(20), "output": D(40), "benefit": D(30)}
    operation = sheet(frame_code="special_bond_operation")
    assert sum(rules.expected_weights(operation, NATIONAL).values()) == D(100)  # no execution-rate weight
    elsewhere = NATIONAL.model_copy(update={"no_satisfaction_weight_to": "output"})
    assert rules.expected_weights(no_sat, elsewhere) == {"output": D(60), "benefit": D(30)}


def test_weights_summing_to_89_99_are_refused():
    rows = good_rows()
    rows[2] = replace(rows[2], weight=D("14.99"))
    findings = check(sheet(rows))
    assert only(findings, "G15-weight-group").message == "产出指标权重合计49.99，应为50"
    assert only(findings, "G15-weight-total").message == "权重合计89.99，应为90（100减去预算执行率10分）"
    rows[1] = replace(rows[1], weight=D("15.01"))
    assert check(sheet(rows)) == []


def test_no_satisfaction_moves_its_weight():
    rows = [r for r in good_rows() if r.level1 != "satisfaction"]
    f = only(check(sheet(rows)), "G15-weight-group")
    assert f.message == "效益指标权重合计30，应为40（未设满意度指标，其权重已并入）"
    assert "未设满意度指标时其权重并入效益指标" in f.basis
    rows[3] = replace(rows[3], weight=D(40))
    assert check(sheet(rows)) == []


def test_weights_missing_zero_or_negative():
    rows = [replace(r, weight=None) for r in good_rows()]
    f = only(check(sheet(rows)), "G15-weight-missing")
    assert f.severity == "error" and f.row is None
    assert only(check(sheet(rows), for_submission=False), "G15-weight-missing").severity == "warning"
    rows = good_rows()
    rows[1] = replace(rows[1], weight=None)
    f = only(check(sheet(rows)), "G15-weight-missing")
    assert f.row == 2
    assert "G15-weight-total" not in codes(check(sheet(rows)))  # sums wait until every weight is set
    rows = good_rows()
    rows[1], rows[2] = replace(rows[1], weight=D(0)), replace(rows[2], weight=D(30))
    assert only(check(sheet(rows)), "G15-weight-positive").row == 2


def test_henan_weights():
    rows = [
        row(1, level1="cost", level2="经济成本", name="人均资助标准", comparator="le", target="2000", unit="元/人",
            weight="20"),
        row(2, name="学生资助人数", target="500", unit="人", weight="50"),
        row(3, level1="benefit", level2="社会效益", name="资助覆盖率", weight="20"),
    ]
    findings = check(sheet(rows, survey_plan=""), HENAN)
    assert [f.message for f in findings if f.rule == "G15-weight-group"] == [
        "产出指标权重合计50，应为40", "效益指标权重合计20，应为30（未设满意度指标，其权重已并入）"]
    rows[1], rows[2] = replace(rows[1], weight=D(40)), replace(rows[2], weight=D(30))
    assert check(sheet(rows, survey_plan=""), HENAN) == []


# --- review grading -------------------------------------------------------------------------------------------
POINTS = [p.code for p in REVIEW.points]


def grades(*letters):
    words = {"优": "excellent", "良": "good", "中": "fair", "差": "poor"}
    return {code: words[x] for code, x in zip(POINTS, letters, strict=True)}


@pytest.mark.parametrize("letters,grade", [
    ("优优优优优优优优", "excellent"),
    ("优优优优优优良良", "excellent"),   # 6 of 8 优, none 中/差
    ("优优优优优良良良", "good"),        # only 5 优
    ("优优优优优优良中", "good"),        # a 中 spoils 优; 7 良-or-better, no 差
    ("优优优优优优优差", "fair"),        # a 差 spoils 良; 7 中-or-better
    ("良良良良良良中中", "good"),
    ("良良良良良中中中", "fair"),        # only 5 良-or-better
    ("中中中中中中差差", "fair"),        # 6 中-or-better
    ("中中中中中差差差", "poor"),        # only 5
    ("差差差差差差差差", "poor"),
])
def test_ordinary_six_of_eight(letters, grade):
    result = rules.grade_review(grades(*letters), REVIEW, key=False)
    assert result.problems == [] and result.grade == grade and result.total is None


def test_ordinary_rule_follows_the_profile():
    five = GoalReviewParams(ordinary_min_points=5)
    assert rules.grade_review(grades(*"优优优优优良良良"), five, key=False).grade == "excellent"
    assert rules.grade_review(grades(*"优优优优优良良良"), REVIEW, key=False).grade == "good"


def test_chinese_grade_labels_are_read():
    result = rules.grade_review(dict(zip(POINTS, "优优优优优优良良", strict=True)), REVIEW, key=False)
    assert result.grade == "excellent"


def test_missing_and_unknown_points_are_problems():
    g = grades(*"优优优优优优优优")
    del g["format"]
    g["nonesuch"] = "excellent"
    g["clarity"] = "很好"
    result = rules.grade_review(g, REVIEW, key=False)
    assert result.grade is None
    assert result.problems == ["未知的审核内容“nonesuch”", "“规范完整性”未评定等级",
                               "“明确清晰性”的等级“很好”无效，应为优、良、中、差"]


# weights of the default points: format 10, clarity 10, goal_relevance 15, indicator_soundness 15, performance 15,
# funding_match 15, achievability 10, conditions 10
AT_90 = {"format": D(9), "clarity": D(9), "goal_relevance": D("13.5"), "indicator_soundness": D("13.5"),
         "performance": D("13.5"), "funding_match": D("13.5"), "achievability": D(9), "conditions": D(9)}


def test_key_project_total_90_is_excellent_and_89_9_good():
    result = rules.grade_review(grades(*"优优优优优优优优"), REVIEW, key=True, point_scores=AT_90)
    assert result.problems == [] and result.total == D(90) and result.grade == "excellent"
    scores = dict(AT_90, funding_match=D("13.4"))  # 13.4 of 15 is 89.3%: 良
    result = rules.grade_review(grades(*"优优优优优良优优"), REVIEW, key=True, point_scores=scores)
    assert result.problems == [] and result.total == D("89.9") and result.grade == "good"


def test_key_project_total_bands():
    full = {p.code: p.weight for p in REVIEW.points}
    assert rules.grade_review(grades(*"优优优优优优优优"), REVIEW, key=True, point_scores=full).total == D(100)
    fair = {code: w * D("0.6") for code, w in full.items()}  # exactly 60%: 中 band floor, total 60
    result = rules.grade_review(grades(*"中中中中中中中中"), REVIEW, key=True, point_scores=fair)
    assert (result.total, result.grade) == (D(60), "fair")
    poor = dict(fair, format=D("5.9"))  # 59% of 10
    result = rules.grade_review(grades(*"差中中中中中中中"), REVIEW, key=True, point_scores=poor)
    assert (result.total, result.grade) == (D("59.9"), "poor")


def test_key_point_scores_must_lie_in_the_grade_band():
    # 良 on a 15-point item: [12, 13.5)
    base = grades(*"优优优优优良优优")
    for score, ok in [("12", True), ("13.4", True), ("13.5", False), ("11.9", False), ("13.44", True),
                      ("13.45", False)]:  # 13.45 rounds half up to 13.5
        result = rules.grade_review(base, REVIEW, key=True, point_scores=dict(AT_90, funding_match=score))
        assert (result.problems == []) is ok, (score, result.problems)
    result = rules.grade_review(base, REVIEW, key=True, point_scores=dict(AT_90, funding_match=D("13.5")))
    assert result.problems == ["“资金匹配性”评为良，得分应不低于12分且低于13.5分，当前为13.5分"]
    # 优: [13.5, 15]
    result = rules.grade_review(grades(*"优" * 8), REVIEW, key=True, point_scores=dict(AT_90, funding_match="13.4"))
    assert result.problems == ["“资金匹配性”评为优，得分应13.5至15分之间（含），当前为13.4分"]
    result = rules.grade_review(grades(*"优" * 8), REVIEW, key=True, point_scores=dict(AT_90, funding_match="16"))
    assert result.problems == ["“资金匹配性”得分16，应在0至15分之间"]


def test_key_project_needs_every_score():
    scores = dict(AT_90)
    del scores["conditions"]
    scores["nonesuch"] = D(1)
    result = rules.grade_review(grades(*"优" * 8), REVIEW, key=True, point_scores=scores)
    assert result.grade is None and result.total is None
    assert result.problems == ["未知的审核内容“nonesuch”（得分）", "“条件充分性”未打分（重点项目须逐项打分）"]
    assert rules.grade_review(grades(*"优" * 8), REVIEW, key=True).problems[0] == "“规范完整性”未打分（重点项目须逐项打分）"


def test_key_score_decimal_places_follow_the_profile():
    whole = GoalReviewParams(score_decimal_places=0)
    # 13.4 rounds to 13 under 0 places: in 良's band [12, 13.5)
    result = rules.grade_review(grades(*"优优优优优良优优"), whole, key=True,
                                point_scores=dict(AT_90, funding_match=D("13.4"), goal_relevance=D(14),
                                                  indicator_soundness=D(14), performance=D(14)))
    assert result.problems == [] and result.scores["funding_match"] == D(13)
    assert result.total == D(91) and result.grade == "excellent"


@pytest.mark.parametrize("grade,previous,outcome", [
    ("excellent", False, "excellent"), ("good", False, "good"), ("fair", False, "fair"), ("fair", True, "poor"),
    ("poor", False, "poor"), ("excellent", True, "excellent"), ("good", True, "good"),
])
def test_review_outcome(grade, previous, outcome):
    assert rules.review_outcome(grade, previous_fair_at_level=previous) == outcome


def test_review_outcome_refuses_unknown_grades():
    with pytest.raises(ValueError):
        rules.review_outcome("great", previous_fair_at_level=False)
