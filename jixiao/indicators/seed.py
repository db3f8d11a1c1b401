"""Seeding the national common (共性) indicators from 财预〔2013〕53号 (../shared/data/...json).

`load_common_indicators()` is idempotent: codes are fixed (GX-XM-nnn for annex 1, project spending; GX-BM-nnn for
annex 2, department-wide spending), unchanged indicators are left alone and a changed source makes a new version.
The demo data generator and the `load_common_indicators` management command both call it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from jixiao.indicators.models import Comparator, Level1
from jixiao.indicators.services import UpsertResult, indicator_bulk_load, sector_seed_defaults

FRAMEWORK_FILE = "caiyu-2013-53-common-indicator-framework.json"
LEVEL1_OF = {"投入": Level1.INPUT, "过程": Level1.PROCESS, "产出": Level1.OUTPUT, "效果": Level1.EFFECT,
             "决策": Level1.DECISION, "效益": Level1.BENEFIT}
# Rates where a lower value is the better one (53号: staff, 三公 and public-funds control, adjustments, carry-overs).
LOWER_IS_BETTER = {"在职人员控制率", "“三公经费”变动率", "预算调整率", "结转结余率", "结转结余变动率", "公用经费控制率",
                   "“三公经费”控制率"}
ANNEXES = (("annex1_project", "GX-XM", "财预〔2013〕53号 附件1 项目支出绩效评价共性指标体系框架"),
           ("annex2_department", "GX-BM", "财预〔2013〕53号 附件2 部门整体支出绩效评价共性指标体系框架"))


def framework_path() -> Path:
    """The framework file: the copy shipped in the repository (jixiao/indicators/data/, identical to
    ../shared/data/), so a fresh machine needs nothing beside the project."""
    shipped = Path(__file__).resolve().parent / "data" / FRAMEWORK_FILE
    return shipped if shipped.exists() else Path(settings.BASE_DIR).parent / "shared" / "data" / FRAMEWORK_FILE


def _rows_of(annex: list[dict]) -> list[dict]:
    """The annex rows with the transcription's OCR artefacts repaired: a name split over two rows ("管理制度健全" +
    "性") is joined, and a leading row whose merged 二级 cell was lost takes the next row's."""
    rows = [dict(r) for r in annex]
    out: list[dict] = []
    for i, r in enumerate(rows):
        name = (r.get("三级指标") or "").strip()
        if len(name) <= 1 and out and not (r.get("指标解释") or "").strip():
            out[-1]["三级指标"] += name
            continue
        if not r.get("二级指标"):
            nxt = next((x.get("二级指标") for x in rows[i + 1:] if x.get("一级指标") == r.get("一级指标")
                        and x.get("二级指标")), None)
            r["二级指标"] = nxt or ""
        out.append(r)
    return out


def common_indicator_definitions(path: Path | None = None) -> list[dict]:
    """The common indicators of the framework file as definitions (rules.DEFINITION_FIELDS)."""
    path = path or framework_path()
    if not path.exists():
        raise ImproperlyConfigured(f"找不到共性指标框架文件：{path}")
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for key, prefix, source in ANNEXES:
        for n, r in enumerate(_rows_of(data.get(key) or []), start=1):
            name = r["三级指标"].strip()
            explanation = (r.get("指标解释") or "").strip()
            note = (r.get("指标说明") or "").strip()
            formula = scoring = ""
            if "=" in note.split("\n", 1)[0]:
                formula = note
            elif note.startswith("评价要点"):
                scoring = note
            elif note:
                explanation = f"{explanation}\n说明：{note}".strip()
            is_rate = name.endswith("率")
            comparator = ((Comparator.LE if name in LOWER_IS_BETTER else Comparator.GE) if is_rate
                          else Comparator.QUALITATIVE)
            out.append({
                "code": f"{prefix}-{n:03d}", "name": name, "level1": LEVEL1_OF.get(r["一级指标"], r["一级指标"]),
                "level2": r["二级指标"], "sector_id": None, "domain_id": None, "is_common": True,
                "explanation": explanation, "unit": "%" if is_rate else "", "comparator": comparator,
                "direction": None, "value_basis": "", "formula": re.sub(r"\n+", "\n", formula),
                "data_source": "", "evidence_type": "", "scoring_rule": scoring, "reference_value": "",
                "source_document": source,
            })
    return out


def load_common_indicators(*, path: Path | None = None, actor=None, with_sectors: bool = True) -> UpsertResult:
    """Seed (or refresh) the national library's common indicators; with `with_sectors`, also the default sector
    tree. Idempotent. Raises ImproperlyConfigured when the framework file is missing."""
    definitions = common_indicator_definitions(path)
    with transaction.atomic():
        if with_sectors:
            sector_seed_defaults(actor=actor)
        return indicator_bulk_load(definitions=definitions, region_id=None, actor=None,
                                   comment="载入财预〔2013〕53号共性指标")
