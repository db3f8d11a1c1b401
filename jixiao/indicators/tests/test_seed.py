"""Seeding the common indicators of 财预〔2013〕53号."""

import pytest
from django.core.management import CommandError, call_command

from jixiao.indicators.models import Indicator, Sector
from jixiao.indicators.seed import common_indicator_definitions, load_common_indicators


def test_definitions_repair_the_transcription():
    defs = common_indicator_definitions()
    names = [d["name"] for d in defs]
    assert "性" not in names and "管理制度健全性" in names and "管理制度健全" not in names
    first = defs[0]
    assert first["code"] == "GX-XM-001" and first["level2"] == "项目立项" and first["comparator"] == "qualitative"
    rate = next(d for d in defs if d["name"] == "资金到位率")
    assert rate["unit"] == "%" and rate["comparator"] == "ge" and rate["formula"].startswith("资金到位率=")
    assert next(d for d in defs if d["name"] == "预算调整率")["comparator"] == "le"
    assert len(defs) == 44


def test_load_is_idempotent(db):
    first = load_common_indicators()
    assert first.created == 44 and Sector.objects.filter(parent__isnull=True).count() > 10
    again = load_common_indicators()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 44)
    ind = Indicator.objects.get(code="GX-BM-003")
    assert ind.name == "在职人员控制率" and ind.is_common and ind.region_id is None and ind.direction == "lower"
    assert ind.versions.count() == 1


def test_command_and_missing_file(db, tmp_path):
    call_command("load_common_indicators", "--no-sectors")
    assert Indicator.objects.filter(is_common=True).count() == 44 and not Sector.objects.exists()
    with pytest.raises(CommandError, match="找不到共性指标框架文件"):
        call_command("load_common_indicators", "--path", str(tmp_path / "missing.json"))
