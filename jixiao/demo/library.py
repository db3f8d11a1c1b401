"""The synthetic indicator library: the official common indicators of 财预〔2013〕53号 and specific indicators built
from the sector vocabularies, one library per region (as 通辽's 8,538-indicator 市级指标库).

Everything here is pure: drafts in, drafts out. `jixiao.demo.generator` turns drafts into rows.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from jixiao.demo import vocab
from jixiao.demo.vocab import LEVEL2, QUALITATIVE_UNIT, Domain

COMMON_FRAMEWORK_FILE = (Path(__file__).resolve().parent.parent / "indicators" / "data"
                         / "caiyu-2013-53-common-indicator-framework.json")
COMMON_SOURCE = {
    "annex1_project": ("P", "财预〔2013〕53号 附件1 项目支出绩效评价共性指标体系框架"),
    "annex2_department": ("D", "财预〔2013〕53号 附件2 部门整体支出绩效评价共性指标体系框架"),
}
LEVEL1_53 = {"投入": "input", "过程": "process", "产出": "output", "效果": "effect"}
# Rates of the 53号 frame where less is better (their 指标说明 read "越低/控制").
LOWER_IS_BETTER_53 = {"预算调整率", "结转结余率", "结转结余变动率", "“三公经费”变动率", "在职人员控制率",
                      "公用经费控制率",
                      "“三公经费”控制率"}

# Share of a library per level-2 group (the 10号 goal frame), roughly as real libraries are made.
LEVEL_SHARES = {"n": 0.22, "q": 0.19, "t": 0.09, "c": 0.09, "e": 0.06, "s": 0.16, "g": 0.05, "u": 0.05, "m": 0.09}
SCOPE_QUALIFIERS = ("城区", "农村牧区", "苏木乡镇", "重点区域", "项目区")
MEASURE_WORDS = {"公里": "里程", "平方米": "面积", "亩": "面积", "万亩": "面积", "公顷": "面积", "平方公里": "面积",
                 "立方米": "容量", "万立方米": "规模"}
DATA_SOURCES = {
    "n": ("部门业务统计", "部门业务记录", "统计部门"),
    "q": ("部门业务统计", "权威机构", "部门业务评判"),
    "t": ("部门业务记录", "部门业务统计"),
    "c": ("部门业务记录", "财务核算资料"),
    "e": ("统计部门", "部门统计年鉴", "部门业务统计"),
    "s": ("统计部门", "部门业务评判", "媒体舆论", "部门统计年鉴"),
    "g": ("权威机构", "部门业务统计", "统计部门"),
    "u": ("部门业务评判", "其他"),
    "m": ("问卷调查报告",),
}
EVIDENCE = {
    "n": "正式资料、工作资料", "q": "工作资料、原始凭证", "t": "原始凭证、工作资料", "c": "原始凭证、说明材料",
    "e": "正式资料、说明材料", "s": "正式资料、说明材料", "g": "正式资料、工作资料", "u": "说明材料",
    "m": "问卷调查报告",
}
SCORING = {
    "ge": "完成值达到或超过指标值的，得满分；未达到的，按完成值/指标值×分值计分。",
    "gt": "完成值超过指标值的，得满分；未超过的，按完成值/指标值×分值计分。",
    "le": "完成值不超过指标值的，得满分；超过的，按超出比例扣分，扣完为止。",
    "lt": "完成值低于指标值的，得满分；未低于的，按超出比例扣分，扣完为止。",
    "eq": "完成值等于指标值的，得满分；有偏差的，按偏差比例扣分，扣完为止。",
    "qualitative": "达成年度指标的，得满分；部分达成年度指标并具有一定效果的，得分值的60%-80%；"
                   "未达成年度指标且效果较差的，得分值的0-60%。",
}
LOWER_UNITS = {"天", "个工作日", "小时", "‰", "1/10万"}


@dataclass(frozen=True)
class IndicatorDraft:
    """An indicator definition before it becomes a row (specific or common)."""

    name: str
    level1: str
    level2: str
    unit: str
    comparator: str
    direction: str
    is_quantitative: bool
    explanation: str
    formula: str = ""
    scoring_rule: str = ""
    level_key: str = ""


@dataclass
class LibraryEntry:
    draft: IndicatorDraft
    domain: Domain
    value_basis: str
    data_source: str
    evidence_type: str
    reference_value: str
    history: list = field(default_factory=list)
    status: str = "active"
    usage_count: int = 0


def _direction(comparator: str) -> str:
    return {"ge": "higher", "gt": "higher", "le": "lower", "lt": "lower", "eq": "equal"}.get(comparator, "qualitative")


def _rate_formula(name: str) -> str:
    """The usual formula of a rate named like '...合格率', as a finance bureau's library writes it."""
    stem = name
    for prefix in SCOPE_QUALIFIERS:
        stem = stem.removeprefix(prefix)
    pairs = [
        ("按期完成率", "按期完成的{x}数量", "计划完成的{x}数量"), ("质量达标率", "质量达标的{x}数量", "{x}总数量"),
        ("验收合格率", "验收合格的{x}数量", "完成验收的{x}数量"), ("认定准确率", "认定准确的{x}数量", "{x}总数量"),
        ("知晓率", "知晓{x}的调查对象数", "有效调查样本总数"),
        ("及时率", "按规定时限完成的{x}数量", "{x}总数量"), ("合格率", "合格的{x}数量", "{x}总数量"),
        ("达标率", "达标的{x}数量", "{x}总数量"), ("覆盖率", "已覆盖的{x}数量", "应覆盖的{x}总数量"),
        ("完成率", "实际完成的{x}数量", "计划完成的{x}数量"), ("准确率", "认定（核查）准确的{x}数量", "{x}总数量"),
        ("完好率", "完好的{x}数量", "{x}总数量"), ("使用率", "实际使用的{x}数量", "{x}总数量"),
        ("利用率", "实际利用的{x}数量", "{x}总数量"), ("整改率", "已整改的{x}数量", "应整改的{x}总数量"),
        ("办结率", "已办结的{x}数量", "受理的{x}总数量"), ("普及率", "已覆盖的{x}数量", "{x}总数量"),
        ("满意度", "满意和基本满意的有效样本数", "有效调查样本总数"),
    ]
    for suffix, numerator, denominator in pairs:
        if stem.endswith(suffix):
            x = stem[: -len(suffix)] or "事项"
            return f"{name}=（{numerator.format(x=x)}/{denominator.format(x=x)}）×100%"
    if stem.endswith("率") or stem.endswith("比例") or stem.endswith("占比"):
        return f"{name}=（实际值/计划值或基数）×100%"
    return ""


def _explanation(level: str, name: str, unit: str, satisfied: str = "") -> str:
    if unit == QUALITATIVE_UNIT:
        aspect = {"e": "经济", "s": "社会", "g": "生态", "u": "可持续"}.get(level, "")
        return (f"反映项目（政策）实施对{name.removesuffix('情况').removesuffix('程度')}的{aspect}影响，"
                "按达成、部分达成、未达成三档定性评判，须附情况说明及佐证材料。")
    if level == "m":
        return (f"反映{satisfied or '服务对象'}对项目实施效果和服务质量的满意程度，"
                "通过抽样问卷调查取得，有效样本不少于30份。")
    if level == "t":
        return f"反映{name.removesuffix('率')}的及时程度，以规定时限或合同约定时限为准。"
    if level == "c":
        return f"反映{name}的成本控制情况，计量单位为{unit}，指标值不得高于相关预算支出标准。"
    if unit in ("%", "‰"):
        return f"反映{name.removesuffix('率').removesuffix('比例')}情况，统计口径为本年度（或项目实施期）全部相关对象。"
    return f"反映{name}，按本年度实际完成数统计，计量单位为{unit}。"


def _draft(level: str, name: str, unit: str, comparator: str = "", satisfied: str = "") -> IndicatorDraft:
    level1, level2 = LEVEL2[level]
    if unit == QUALITATIVE_UNIT:
        comparator, unit_out = "qualitative", ""
    else:
        unit_out = unit
        if not comparator:
            if level == "c" or unit in LOWER_UNITS:
                comparator = "le"
            else:
                comparator = "ge"
    formula = _rate_formula(name) if unit_out in ("%",) else ""
    return IndicatorDraft(name=name[:100], level1=level1, level2=level2, unit=unit_out, comparator=comparator,
                          direction=_direction(comparator), is_quantitative=comparator != "qualitative",
                          explanation=_explanation(level, name, unit, satisfied), formula=formula,
                          scoring_rule=SCORING[comparator], level_key=level)


def _measure(unit: str) -> str:
    return MEASURE_WORDS.get(unit, "数量")


# How a count of an activity is named by its unit: 招聘会场次, 食品安全监督抽检批次, 法律援助案件数量...
WORK_MEASURES = {"次": "次数", "人次": "人次", "场": "场次", "批次": "批次", "人": "人数", "户": "户数", "户次": "户次",
                 "起": "起数", "笔": "笔数", "卷": "卷数", "宗": "宗数", "条": "条数", "家次": "家次", "台次": "台次",
                 "例": "例数", "对": "对数", "册次": "册次", "课时": "课时数", "天": "天数", "吨": "量", "万页": "量",
                 "GB": "量", "公里": "长度", "平方米": "面积", "万亩": "面积", "亩": "面积", "平方公里": "面积"}
WORK_COST_UNITS = {"人次", "人", "场", "批次", "件", "户", "户次", "次", "台次", "例", "宗", "笔", "份", "家次", "项"}
SUBSIDY_VERBS = {"资助", "补贴", "补助", "救助", "保障", "优抚", "优待", "奖补", "供养", "减免", "援助", "资助参保",
                 "领取",
                 "享受", "返还"}


def _asset_cost_unit(unit: str) -> str:
    if unit == "平方米":
        return "元/平方米"
    if unit in ("亩", "万亩", "公顷"):
        return "元/亩"
    if unit in ("公里",):
        return "万元/公里"
    return f"万元/{unit}"


def _pattern_drafts(domain: Domain) -> list[IndicatorDraft]:
    """Indicators derived from the domain's people, works and assets, in a fixed order."""
    out: list[IndicatorDraft] = []
    for verb, group in domain.people:
        out += [
            _draft("n", f"{verb}{group}人数", "人"),
            _draft("q", f"{group}{verb}覆盖率", "%"),
            _draft("q", f"{group}认定准确率", "%"),
            _draft("s", f"{group}获得感提升情况", QUALITATIVE_UNIT),
            _draft("m", f"{group}满意度", "%", satisfied=group),
        ]
        if verb in SUBSIDY_VERBS:
            out += [
                _draft("n", f"{verb}{group}人次", "人次"),
                _draft("t", f"{group}{verb}资金发放及时率", "%"),
                _draft("c", f"{group}人均{verb}标准", "元/人", "eq"),
                _draft("s", f"{group}{verb}政策知晓率", "%"),
            ]
        else:
            out += [
                _draft("q", f"{verb}{group}计划完成率", "%"),
                _draft("t", f"{verb}{group}按期完成率", "%"),
            ]
    for work, unit in domain.works:
        out += [
            _draft("n", f"{work}{WORK_MEASURES.get(unit, '数量')}", unit),
            _draft("q", f"{work}完成率", "%"),
            _draft("q", f"{work}质量达标率", "%"),
            _draft("t", f"{work}按期完成率", "%"),
            _draft("u", f"{work}常态化开展情况", QUALITATIVE_UNIT),
        ]
        if unit in WORK_COST_UNITS:
            out.append(_draft("c", f"{work}平均成本", f"元/{unit}"))
    for asset, unit, verbs in domain.assets:
        for verb in verbs:
            out.append(_draft("n", f"{verb}{asset}{_measure(unit)}", unit))
        first = verbs[0]
        out += [
            _draft("q", f"{asset}{first}工程验收合格率" if unit in MEASURE_WORDS else f"{asset}验收合格率", "%"),
            _draft("q", f"{asset}完好率", "%"),
            _draft("q", f"{asset}使用率", "%"),
            _draft("t", f"{asset}{first}按期完成率", "%"),
            _draft("c", f"{asset}{first}单位成本", _asset_cost_unit(unit)),
            _draft("c", f"{asset}{first}成本控制率", "%", "le"),
            _draft("u", f"{asset}设计使用年限", "年"),
            _draft("u", f"{asset}长效管护机制健全情况", QUALITATIVE_UNIT),
        ]
    for who in domain.satisfied:
        out.append(_draft("m", f"{who}满意度", "%", satisfied=who))
        out.append(_draft("m", f"{who}对服务质量的满意度", "%", satisfied=who))
    out += [
        _draft("q", f"{domain.name}项目完成率", "%"),
        _draft("t", f"{domain.name}资金拨付及时率", "%"),
        _draft("e", f"{domain.name}带动社会投资", "万元"),
        _draft("s", f"{domain.name}公共服务水平提升情况", QUALITATIVE_UNIT),
        _draft("g", f"{domain.name}项目环境影响情况", QUALITATIVE_UNIT),
        _draft("u", f"{domain.name}长效机制建设情况", QUALITATIVE_UNIT),
    ]
    return out


def _key_drafts(domain: Domain) -> list[IndicatorDraft]:
    out = []
    for key in domain.keys:
        satisfied = key.name.removesuffix("满意度") if key.level == "m" else ""
        out.append(_draft(key.level, key.name, key.unit, key.comparator, satisfied))
    return out


@cache
def domain_pool(code: str) -> dict[str, tuple[IndicatorDraft, ...]]:
    """Per level-2 key, the distinct indicators of a domain: its signature indicators first, then the derived ones,
    then scope-qualified variants (城区…, 农村牧区…), so that a large library still finds distinct names."""
    domain = vocab.domains()[code]
    base = _key_drafts(domain) + _pattern_drafts(domain)
    seen: set[str] = set()
    by_level: dict[str, list[IndicatorDraft]] = {k: [] for k in LEVEL2}
    for d in base:
        if d.name not in seen:
            seen.add(d.name)
            by_level[d.level_key].append(d)
    for qualifier in SCOPE_QUALIFIERS:
        for d in base:
            # Only rates and satisfaction read well with a scope in front (农村牧区高血压患者规范管理率).
            if d.level_key not in ("q", "s", "m") or d.unit != "%":
                continue
            name = qualifier + d.name
            if name not in seen:
                seen.add(name)
                by_level[d.level_key].append(_draft(d.level_key, name, d.unit or QUALITATIVE_UNIT, d.comparator))
    return {k: tuple(v) for k, v in by_level.items()}


def _reference_value(rng: random.Random, draft: IndicatorDraft) -> str:
    symbol = {"ge": "≥", "gt": "＞", "le": "≤", "lt": "＜", "eq": "＝"}.get(draft.comparator, "")
    if not draft.is_quantitative:
        return rng.choice(("达成年度指标", "有效提升", "明显改善", "健全", "持续发挥作用"))
    if draft.unit == "%":
        if draft.name.endswith("控制率"):
            value = 100
        elif draft.comparator in ("le", "lt"):
            value = rng.choice((1, 2, 3, 5, 10))
        elif draft.level2 == "服务对象满意度指标":
            value = rng.choice((80, 85, 90, 95))
        else:
            value = rng.choice((85, 90, 95, 98, 100))
        return f"{symbol}{value}%"
    if draft.unit in ("天", "个工作日", "小时"):
        return f"{symbol}{rng.choice((3, 5, 7, 10, 15, 20, 30))}{draft.unit}"
    if draft.unit == "年":
        return f"{symbol}{rng.choice((3, 5, 8, 10, 15, 20, 30, 50))}年"
    unit = draft.unit
    if unit.startswith("万元/"):
        magnitude = rng.choice((0.5, 1, 2, 5, 10, 20, 50, 100, 300))
    elif unit == "元/平方米":
        magnitude = rng.choice((1200, 1800, 2500, 3200, 4500))
    elif unit == "元/亩":
        magnitude = rng.choice((1500, 2000, 2500, 3000))
    elif unit.startswith("元/人"):
        magnitude = rng.choice((200, 500, 1000, 1500, 3000, 6000))
    elif unit.startswith("元/"):
        magnitude = rng.choice((50, 100, 200, 500, 1000, 2000, 5000))
    elif unit.startswith("万") or unit.startswith("亿"):
        magnitude = rng.choice((1, 2, 5, 10, 20, 50))
    else:
        magnitude = rng.choice((5, 10, 20, 50, 100, 200, 500, 1000, 5000))
    return f"{symbol}{magnitude:g}{unit}"


def _history(rng: random.Random, draft: IndicatorDraft, reference: str, year: int, region_name: str) -> list:
    if not draft.is_quantitative or rng.random() > 0.35:
        return []
    digits = "".join(ch for ch in reference if ch.isdigit() or ch == ".")
    try:
        base = float(digits)
    except ValueError:
        return []
    out = []
    for y in range(year - 3, year):
        value = base * rng.uniform(0.85, 1.08)
        if draft.unit == "%":
            value = min(value, 100.0)
        text = f"{value:.1f}" if draft.unit in ("%", "‰") else str(int(round(value)))
        out.append({"year": y, "value": text, "source": f"{region_name}{y}年度绩效自评结果"})
    return out


def build_library(rng: random.Random, size: int, region_name: str, year: int,
                  domain_codes: list[str] | None = None) -> list[LibraryEntry]:
    """`size` specific indicators spread over the domains (all by default) and the levels of the goal frame."""
    all_domains = vocab.domains()
    codes = domain_codes or list(all_domains)
    # Larger domains (more vocabulary) hold more indicators, as real libraries do for 教育 or 卫生健康.
    weights = [sum(len(v) for v in domain_pool(code).values()) ** 0.7 * rng.uniform(0.8, 1.2) for code in codes]
    total_weight = sum(weights)
    quotas = [int(size * w / total_weight) for w in weights]
    for i in range(size - sum(quotas)):
        quotas[i % len(quotas)] += 1
    entries: list[LibraryEntry] = []
    for code, quota in zip(codes, quotas, strict=True):
        domain = all_domains[code]
        pool = domain_pool(code)
        chosen: list[IndicatorDraft] = []
        leftovers: list[IndicatorDraft] = []
        for level, share in LEVEL_SHARES.items():
            want = max(round(quota * share), sum(1 for k in domain.keys if k.level == level))
            candidates = list(pool[level])
            # Signature indicators first: every library holds a domain's key indicators.
            key_names = {k.name for k in domain.keys if k.level == level}
            keys = [d for d in candidates if d.name in key_names]
            rest = [d for d in candidates if d.name not in key_names]
            rng.shuffle(rest)
            ordered = keys + rest
            chosen += ordered[:want]
            leftovers += ordered[want:]
        rng.shuffle(leftovers)
        if len(chosen) < quota:
            chosen += leftovers[: quota - len(chosen)]
        chosen = chosen[:quota]
        while len(chosen) < quota:  # a very large library: repeat names (as department libraries do)
            chosen.append(rng.choice(leftovers or chosen))
        for draft in chosen:
            reference = _reference_value(rng, draft)
            level = draft.level_key
            roll = rng.random()
            status = "active" if roll < 0.965 else ("draft" if roll < 0.99 else "retired")
            usage = 0 if rng.random() < 0.4 else min(int(rng.paretovariate(1.1)), 600)
            value_basis = {
                "n": "plan", "q": "industry" if rng.random() < 0.6 else "history", "t": "plan",
                "c": "spending_standard", "e": "history", "s": "plan" if rng.random() < 0.5 else "history",
                "g": "industry", "u": "other", "m": "history" if rng.random() < 0.6 else "other",
            }[level]
            entries.append(LibraryEntry(
                draft=draft, domain=domain, value_basis=value_basis, data_source=rng.choice(DATA_SOURCES[level]),
                evidence_type=EVIDENCE[level], reference_value=reference,
                history=_history(rng, draft, reference, year, region_name), status=status, usage_count=usage,
            ))
    return entries


@cache
def common_drafts() -> tuple[tuple[str, str, IndicatorDraft], ...]:
    """The common (共性) evaluation indicators of 财预〔2013〕53号, as (code, source document, draft).

    The transcription splits 管理制度健全性 of annex 1 (财务管理) over two rows ("管理制度健全" + "性"); they are joined
    here, so the 45 rows give 44 indicators. A missing 二级指标 is carried forward from the next row of its block."""
    data = json.loads(COMMON_FRAMEWORK_FILE.read_text(encoding="utf-8"))
    out = []
    for annex, (prefix, source) in COMMON_SOURCE.items():
        rows = data[annex]
        number = 0
        for i, row in enumerate(rows):
            name = row["三级指标"]
            if name == "性":  # OCR fragment, joined to the row before
                continue
            if i + 1 < len(rows) and rows[i + 1]["三级指标"] == "性":
                name += "性"
            level2 = row["二级指标"] or next((r["二级指标"] for r in rows[i + 1:] if r["二级指标"]), "")
            note = (row.get("指标说明") or "").strip()
            formula = note if "=" in note else ""
            scoring = "" if formula else note
            rate = bool(formula) and "100%" in formula
            if name.endswith("满意度"):
                unit, comparator = "%", "ge"
            elif rate:
                unit, comparator = "%", ("le" if name in LOWER_IS_BETTER_53 else "ge")
            else:
                unit, comparator = "", "qualitative"
            number += 1
            draft = IndicatorDraft(
                name=name, level1=LEVEL1_53[row["一级指标"]], level2=level2, unit=unit, comparator=comparator,
                direction=_direction(comparator), is_quantitative=comparator != "qualitative",
                explanation=(row.get("指标解释") or "").strip(), formula=formula,
                scoring_rule=scoring or SCORING[comparator], level_key="",
            )
            out.append((f"GX2013053{prefix}{number:02d}", source, draft))
    return tuple(out)
