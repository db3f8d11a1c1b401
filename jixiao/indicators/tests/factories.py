"""Small helpers to make indicators in tests."""

from jixiao.indicators.models import Comparator, Level1

_n = [0]


def definition(**kw) -> dict:
    _n[0] += 1
    d = {"name": f"测试指标{_n[0]}", "level1": Level1.OUTPUT, "level2": "数量指标", "unit": "人",
         "comparator": Comparator.GE, "explanation": ""}
    d.update(kw)
    return d
