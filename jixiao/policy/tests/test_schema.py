"""The typed parameter set: defaults, Chinese messages that name the field, exact decimals, half-open bands."""

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from jixiao.core.money import Money
from jixiao.policy import introspect
from jixiao.policy.rules import ParamsInvalid, validate_params
from jixiao.policy.schema import Grade, PolicyParams, month_day_on


def national():
    return PolicyParams().to_json()


def errors_of(data) -> dict[str, list[str]]:
    with pytest.raises(ParamsInvalid) as info:
        validate_params(data)
    assert isinstance(info.value, ValidationError)
    return info.value.message_dict


def test_defaults_validate_and_round_trip_exactly():
    data = national()
    # Stored as JSON text: no float ever touches a number.
    assert json.loads(json.dumps(data)) == data
    assert data["ex_ante"]["annual_amount_yuan"] == "5000000"
    again = validate_params(data)
    assert again == PolicyParams()
    assert again.ex_ante.annual_amount_yuan == Decimal("5000000")


def test_money_thresholds_are_fen_exact():
    data = national()
    data["ex_ante"]["annual_amount_yuan"] = "4999999.99"
    params = validate_params(data)
    assert params.ex_ante.money("annual_amount_yuan") == Money(499999999)
    assert params.ex_ante.money("total_amount_yuan") == Money.from_wan("1500")
    data["ex_ante"]["annual_amount_yuan"] = "1.234"
    assert errors_of(data) == {"ex_ante.annual_amount_yuan": [
        "事前绩效评估 › 年度投入门槛（元）：金额最多保留两位小数（精确到分）"]}


def test_thresholds_must_be_positive():
    data = national()
    data["ex_ante"]["annual_amount_yuan"] = "0"
    assert errors_of(data)["ex_ante.annual_amount_yuan"] == ["事前绩效评估 › 年度投入门槛（元）：必须大于 0"]


def test_percentages_between_0_and_100():
    data = national()
    data["spot_check"]["sample_rate_pct"] = "130"
    assert errors_of(data)["spot_check.sample_rate_pct"] == ["抽查复核 › 抽查比例（%）：不能大于 100"]
    data["spot_check"]["sample_rate_pct"] = "abc"
    assert errors_of(data)["spot_check.sample_rate_pct"] == ["抽查复核 › 抽查比例（%）：应为数字"]


def test_frame_weights_must_sum_to_100():
    data = national()
    data["goals"]["frames"][0]["groups"][0]["weight"] = "45"
    assert errors_of(data) == {"goals.frames.0.groups": [
        "绩效目标 › 指标框架「10号框架（成本在产出下）」 › 一级指标：一级指标权重与预算执行率权重之和应为 100，当前为 95"]}


def test_review_points_must_add_up():
    data = national()
    data["goal_review"]["groups"][0]["points"][0]["items"][0]["weight"] = "4"
    messages = errors_of(data)["goal_review.groups.0.points.0.items"]
    assert messages == ["绩效目标审核 › 审核表「完整性」 › 审核内容「规范完整性」 › 审核要点及分值："
                        "“规范完整性”各要点分值之和应为 10，当前为 9"]


def test_bands_must_be_strictly_descending():
    data = national()
    data["self_evaluation"]["grade_bands"][1]["lower"] = "90"
    assert errors_of(data)["self_evaluation.grade_bands.1.lower"] == [
        "单位自评 › 自评结论等级「良」 › 下限（含）：自评结论等级的下限必须严格递减：第2档（90）应小于第1档（90）"]
    data = national()
    data["self_evaluation"]["grade_bands"][3]["lower"] = "10"
    assert "最后一档的下限必须为 0" in errors_of(data)["self_evaluation.grade_bands.3.lower"][0]


@pytest.mark.parametrize("value,message", [
    ("02-30", "不是有效日期：2月30日"),
    ("02-29", "不能使用2月29日（平年没有这一天）"),
    ("13-01", "不是有效日期：13月1日"),
    ("八月", "应为“月-日”，如 08-15"),
])
def test_dates_must_be_valid(value, message):
    data = national()
    data["monitoring"]["points"][0]["due"] = value
    assert errors_of(data)["monitoring.points.0.due"] == [f"绩效运行监控 › 监控节点「1-7月绩效监控」 › 报送截止日：{message}"]


def test_month_days_accept_office_spellings():
    data = national()
    data["monitoring"]["points"][0]["due"] = "8月15日"
    data["monitoring"]["year_end_sweep"] = "11-30"
    params = validate_params(data)
    assert params.monitoring.points[0].due == "08-15"
    assert month_day_on(params.monitoring.points[0].due, 2026).isoformat() == "2026-08-15"


def test_due_not_before_period_end_and_points_in_order():
    data = national()
    data["monitoring"]["points"][0]["due"] = "07-15"
    assert errors_of(data)["monitoring.points.0.due"][0].endswith("报送截止日不能早于数据截止日")
    data = national()
    data["monitoring"]["points"].append(dict(data["monitoring"]["points"][0], name="重复"))
    assert "monitoring.points.1.period_end" in errors_of(data)


def test_cumulative_floors_rise_month_by_month():
    data = national()
    data["monitoring"]["cumulative_floors"] = [{"month": 4, "min_rate": "25"}, {"month": 6, "min_rate": "20"}]
    assert errors_of(data)["monitoring.cumulative_floors.1.min_rate"][0].endswith("6月末的下限应高于4月末")


def test_linkage_cut_range():
    data = national()
    data["results"]["budget_linkage"][2]["cut_max_pct"] = "5"
    assert errors_of(data)["results.budget_linkage.2.cut_max_pct"][0].endswith("压减上限不能低于下限")


def test_unknown_keys_and_missing_required_values_are_named():
    data = national()
    data["ex_ante"]["annual_amount"] = "1"
    data["monitoring"]["points"][0]["name"] = None
    errors = errors_of(data)
    assert errors["ex_ante.annual_amount"] == ["事前绩效评估 › annual_amount：不是可识别的参数"]
    assert errors["monitoring.points.0.name"] == ["绩效运行监控 › 监控节点「第1项」 › 名称：必填"]


def test_frame_references_must_exist():
    data = national()
    data["goals"]["project_frame"] = "frame_x"
    assert errors_of(data)["goals.project_frame"] == ["绩效目标 › 项目默认框架：项目默认框架“frame_x”不在指标框架中"]


def test_grade_bands_are_half_open():
    params = PolicyParams()
    se = params.self_evaluation
    assert se.grade_for(Decimal("90")) == Grade.EXCELLENT
    assert se.grade_for(Decimal("89.99")) == Grade.GOOD
    assert se.grade_for(Decimal("89.5")) == Grade.GOOD  # no gap between 89 and 90
    assert se.grade_for(Decimal("59.99")) == Grade.POOR
    assert params.monitoring.execution_colour(Decimal("79.9")) == "yellow"
    assert params.monitoring.indicator_colour(Decimal("120")) == "blue"
    assert params.ex_ante.conclusion_for(Decimal("70")) == "support_after_changes"


def test_frames_cover_the_10_and_101_variants():
    goals = PolicyParams().goals
    f10 = goals.frame("frame_10")
    assert [(g.code, g.weight) for g in f10.groups] == [("output", 50), ("benefit", 30), ("satisfaction", 10)]
    assert f10.execution_weight == 10
    f101 = goals.frame("frame_101_cost")
    assert [(g.code, g.weight) for g in f101.groups] == [("cost", 20), ("output", 40), ("benefit", 20),
                                                          ("satisfaction", 10)]
    op = goals.frame("special_bond_operation")
    assert op.execution_weight == 0 and op.weight_of("cost") == 30
    assert goals.no_satisfaction_weight_to == "benefit"
    review = PolicyParams().goal_review
    assert [g.weight for g in review.groups] == [20, 30, 30, 20] and len(review.points) == 8


def test_every_field_has_a_chinese_title_and_a_source():
    def walk(model):
        for spec in introspect.fields_of(model):
            if spec.name == "schema_version":
                continue
            yield model, spec
            if spec.model is not None:
                yield from walk(spec.model)

    section_fields = 0
    for model, spec in walk(PolicyParams):
        assert spec.title and spec.title != spec.name, (model.__name__, spec.name)
        if model is not PolicyParams and spec.source:
            section_fields += 1
            assert spec.description
    assert section_fields > 80


def test_json_schema_carries_titles_and_sources():
    schema = PolicyParams.model_json_schema()
    ex_ante = schema["$defs"]["ExAnteParams"]["properties"]["annual_amount_yuan"]
    assert ex_ante["title"] == "年度投入门槛（元）"
    assert "来源：" in ex_ante["description"] and ex_ante["source"]
