"""Validation of an indicator's definition (RULES.md 4.1, 4.2): one function, Chinese messages per field."""

import pytest

from jixiao.indicators import rules
from jixiao.indicators.models import Comparator, Direction, Level1


def clean(**kw):
    d = {"code": "A1", "name": "学生资助人数", "level1": Level1.OUTPUT, "level2": "数量指标", "unit": "人",
         "comparator": Comparator.GE, "direction": None}
    d.update(kw)
    return rules.clean_indicator(d)


def test_a_good_definition_is_normalised():
    d, errors = clean(level1="产出", level2="数量", comparator="不低于")
    assert errors == {}
    assert d["level1"] == Level1.OUTPUT and d["level2"] == "数量指标"
    assert d["comparator"] == Comparator.GE and d["direction"] == Direction.HIGHER_IS_BETTER
    assert d["is_quantitative"] is True


@pytest.mark.parametrize("text,value", [
    (">=", "ge"), ("≥", "ge"), ("大于等于", "ge"), ("不低于", "ge"), ("≧", "ge"), ("＞", "gt"), ("大于", "gt"),
    ("=", "eq"), ("＝", "eq"), ("<", "lt"), ("≤", "le"), ("<=", "le"), ("不超过", "le"), ("不高于", "le"),
    ("定性", "qualitative"), ("定量(其他)", "other"), ("定量（其他）", "other"), (" ≥ ", "ge"),
])
def test_messy_comparators(text, value):
    assert rules.parse_comparator(text) == value


def test_name_length_and_required_fields():
    _, errors = clean(name="指" * 101)
    assert errors["name"] == "指标名称不能超过100个字符（现有101个）"
    _, errors = clean(name="  ")
    assert errors["name"] == "指标名称不能为空"
    _, errors = clean(code="A 1")
    assert "指标编码只能包含" in errors["code"]


def test_unit_required_unless_qualitative_or_other():
    _, errors = clean(unit="")
    assert errors["unit"] == "计算符号为“≥”时必须填写计量单位"
    for comparator in (Comparator.QUALITATIVE, Comparator.OTHER):
        _, errors = clean(unit="", comparator=comparator)
        assert "unit" not in errors


def test_qualitative_implies_qualitative_direction():
    d, errors = clean(comparator="定性", unit="")
    assert errors == {} and d["direction"] == Direction.QUALITATIVE and d["is_quantitative"] is False
    _, errors = clean(comparator="定性", unit="", direction="正向")
    assert errors["direction"] == "定性指标的指标方向应为“定性”"
    _, errors = clean(direction="定性")
    assert "不能为“定性”" in errors["direction"]
    _, errors = clean(nature=False)
    assert errors["is_quantitative"] == "指标性质为定性时，计算符号应为“定性”"


def test_direction_must_agree_with_comparator():
    _, errors = clean(comparator="≤", direction="正向")
    assert errors["direction"] == "计算符号“≤”对应“反向”指标，与指标方向“正向”不一致"
    d, errors = clean(comparator="≤")
    assert errors == {} and d["direction"] == Direction.LOWER_IS_BETTER


@pytest.mark.parametrize("level1,level2,fit", [
    ("output", "数量", "数量指标"), ("output", "成本指标", "成本指标"), ("benefit", "社会效益", "社会效益指标"),
    ("benefit", "可持续影响", "可持续影响指标"), ("satisfaction", "服务对象满意度", "服务对象满意度指标"),
    ("cost", "生态环境成本", "生态环境成本指标"), ("decision", "项目立项", "项目立项"),
    ("process", "资金管理", "资金管理"), ("input", "资金落实", "资金落实"), ("effect", "履职效益", "履职效益"),
])
def test_level2_fits_the_frames(level1, level2, fit):
    d, errors = clean(level1=level1, level2=level2)
    assert errors == {} and d["level2"] == fit


def test_level2_outside_the_frame_is_named():
    _, errors = clean(level1="benefit", level2="数量指标")
    assert errors["level2"].startswith("二级指标“数量指标”不属于一级指标“效益指标”，应为：经济效益指标")
    _, errors = clean(level1="产出啊")
    assert errors["level1"].startswith("一级指标“产出啊”无效")
    _, errors = clean(comparator="约等于")
    assert errors["comparator"].startswith("计算符号“约等于”无效")
