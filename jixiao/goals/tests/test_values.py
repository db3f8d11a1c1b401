"""Reading messy goal-sheet cells (jixiao.goals.values): comparators, numbers, targets, targets inside names."""

from decimal import Decimal

import pytest

from jixiao.goals import values as v
from jixiao.indicators.models import Comparator


@pytest.mark.parametrize("text", ["≥", ">=", "＞＝", "≧", "⩾", "不低于", "不少于", "大于等于", "大于或等于", "至少",
                                  " ≥ ", "＞ ＝", "1", 1, 1.0])
def test_ge_spellings(text):
    assert v.normalise_comparator(text) == Comparator.GE


@pytest.mark.parametrize("text,value", [
    (">", "gt"), ("＞", "gt"), ("大于", "gt"), ("高于", "gt"), ("超过", "gt"),
    ("=", "eq"), ("＝", "eq"), ("等于", "eq"),
    ("<", "lt"), ("＜", "lt"), ("小于", "lt"), ("低于", "lt"),
    ("≤", "le"), ("<=", "le"), ("＜＝", "le"), ("≦", "le"), ("不高于", "le"), ("不超过", "le"), ("不多于", "le"),
    ("小于等于", "le"), ("控制在5%以内", "le"), ("控制在预算以内", "le"),
    ("定性", "qualitative"), ("定量(其他)", "other"), ("定量（其他）", "other"), ("其他", "other"),
    ("ge", "ge"), ("le", "le"), ("qualitative", "qualitative"),
])
def test_other_spellings(text, value):
    assert v.normalise_comparator(text) == value


@pytest.mark.parametrize("text", ["", None, "  ", "约", "大概", "定量", True, "≥≥"])
def test_unknown_comparator_is_none(text):
    assert v.normalise_comparator(text) is None


@pytest.mark.parametrize("text,number", [
    ("1,200", Decimal(1200)), ("１２００", Decimal(1200)), ("1，200", Decimal(1200)), ("95%", Decimal(95)),
    ("95.5％", Decimal("95.5")), ("1.2万", Decimal(12000)), ("0.5亿", Decimal(50_000_000)), ("9000.0", Decimal(9000)),
    (9000.0, Decimal(9000)), (9000, Decimal(9000)), (Decimal("12.50"), Decimal("12.5")), (0.1 + 0.2, Decimal("0.3")),
    ("-3.5", Decimal("-3.5")), (" 12 ", Decimal(12)), ("1,234,567.89", Decimal("1234567.89")), ("1e3", Decimal(1000)),
    ("¥1,234.50", Decimal("1234.5")),
])
def test_parse_number(text, number):
    got = v.parse_number(text)
    assert got == number
    assert isinstance(got, Decimal)


def test_parse_number_never_goes_through_binary_floats():
    # 1.1 万 is 11000 exactly, not 11000.000000000002
    assert str(v.parse_number("1.1万")) == "11000"
    assert str(v.parse_number(0.07)) == "0.07"


@pytest.mark.parametrize("text", ["", None, "abc", "90-95", "1,2", "5人", "好", "约100", float("nan"), True, "万"])
def test_parse_number_refuses(text):
    assert v.parse_number(text) is None


@pytest.mark.parametrize("text,expected", [
    ("≥95%", ("ge", Decimal(95), "%")),
    ("＞＝95％", ("ge", Decimal(95), "%")),
    ("不低于500人", ("ge", Decimal(500), "人")),
    ("100%", (None, Decimal(100), "%")),
    ("500人以上", ("ge", Decimal(500), "人")),
    ("达到95%以上", ("ge", Decimal(95), "%")),
    ("控制在5%以内", ("le", Decimal(5), "%")),
    ("≤ 1,200 元/人", ("le", Decimal(1200), "元/人")),
    ("1.2万", (None, Decimal(12000), None)),
    ("1.2万元", (None, Decimal("1.2"), "万元")),
    (9000.0, (None, Decimal(9000), None)),
    ("9000.0", (None, Decimal(9000), None)),
    ("1", (None, Decimal(1), None)),
    ("定性", ("qualitative", None, None)),
    ("好", (None, None, None)),
    ("", (None, None, None)),
    ("≥", ("ge", None, None)),
    ("90-95%", (None, None, None)),
    ("2025年12月31日前", (None, None, None)),
])
def test_split_target(text, expected):
    assert v.split_target(text) == expected


@pytest.mark.parametrize("name,expected", [
    ("学生资助人数≥500人", ("学生资助人数", "ge", "500", "人")),
    ("按时完成率达到100%", ("按时完成率", "ge", "100", "%")),
    ("服务对象满意度≥90%", ("服务对象满意度", "ge", "90", "%")),
    ("满意度达90%以上", ("满意度", "ge", "90", "%")),
    ("人均成本控制在500元以内", ("人均成本", "le", "500", "元")),
    ("培训人数不少于1,200人次", ("培训人数", "ge", "1200", "人次")),
    ("贫困户覆盖率100%", ("贫困户覆盖率", None, "100", "%")),
    ("学生资助人数：≥ 500 人", ("学生资助人数", "ge", "500", "人")),
])
def test_target_in_name(name, expected):
    assert v.target_in_name(name) == expected


@pytest.mark.parametrize("name", ["学生资助人数", "5G基站建设数量", "G107国道改造", "新建5G基站", "2024年培训人次", "",
                                  "≥500人", "第3批"])
def test_no_target_in_name(name):
    assert v.target_in_name(name) is None


def test_dates_and_words():
    assert v.looks_like_date("2025年12月31日前")
    assert v.looks_like_date("12月底前完成")
    assert v.looks_like_date("2025-06-30")
    assert not v.looks_like_date("好")
    words = ["有效", "提升", "进一步"]
    assert v.is_vague("有效提升服务水平", words)
    assert not v.is_vague("服务水平提升5%", words)  # a number makes it measurable
    assert not v.is_vague("学生资助人数", words)
    assert v.find_words("进一步有效提升", words) == ["有效", "提升", "进一步"]


@pytest.mark.parametrize("number,unit,yuan", [
    (Decimal("1.2"), "万元", Decimal(12000)), (Decimal(500), "元", Decimal(500)), (Decimal(500), "", Decimal(500)),
    (Decimal(500), "元/人", Decimal(500)), (Decimal(3), "万元/公里", Decimal(30000)), (Decimal(95), "%", None),
])
def test_amount_in_yuan(number, unit, yuan):
    assert v.amount_in_yuan(number, unit) == yuan
