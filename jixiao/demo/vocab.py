"""Parsed vocabularies (see `vocab_sectors` and `vocab_orgs` for the tables and their compact notation)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from jixiao.demo import vocab_orgs, vocab_sectors

LEVEL2 = {
    # key: (Level1 value, level-2 label) in the 财预〔2020〕10号 goal frame
    "n": ("output", "数量指标"),
    "q": ("output", "质量指标"),
    "t": ("output", "时效指标"),
    "c": ("output", "成本指标"),
    "e": ("benefit", "经济效益指标"),
    "s": ("benefit", "社会效益指标"),
    "g": ("benefit", "生态效益指标"),
    "u": ("benefit", "可持续影响指标"),
    "m": ("satisfaction", "服务对象满意度指标"),
}
COMPARATORS = {"≥": "ge", "＞": "gt", ">": "gt", "=": "eq", "＝": "eq", "<": "lt", "＜": "lt", "≤": "le"}
QUALITATIVE_UNIT = "定性"


@dataclass(frozen=True)
class Template:
    """A subject name template with its flags (see `vocab_sectors`)."""

    text: str
    flags: str = ""

    def has(self, flag: str) -> bool:
        return flag in self.flags


@dataclass(frozen=True)
class KeyIndicator:
    level: str  # a LEVEL2 key
    name: str
    unit: str  # "定性" for qualitative indicators
    comparator: str = ""  # a Comparator value, "" for the default of the level


@dataclass(frozen=True)
class Domain:
    code: str
    name: str
    sector_code: str
    sector_name: str
    func: tuple[tuple[str, str], ...]
    people: tuple[tuple[str, str], ...]  # (verb, group)
    works: tuple[tuple[str, str], ...]  # (activity, unit)
    assets: tuple[tuple[str, str, tuple[str, ...]], ...]  # (asset, unit, verbs)
    keys: tuple[KeyIndicator, ...]
    satisfied: tuple[str, ...]
    projects: tuple[Template, ...]
    policies: tuple[Template, ...]
    transfers: tuple[Template, ...]


@dataclass(frozen=True)
class UnitTemplate:
    text: str
    count: int | str  # a number, or "T" for one per town
    levels: str  # "pck" letters
    domains: tuple[str, ...]  # restriction of the department's domains, empty = all


@dataclass(frozen=True)
class DepartmentTemplate:
    group: str
    name_province: str
    name_local: str
    sector: str
    domains: tuple[str, ...]
    weight: int
    levels: str  # p c k, or t for the town
    units: tuple[UnitTemplate, ...]


def _templates(text: str) -> tuple[Template, ...]:
    out = []
    for token in text.split():
        name, _, flags = token.partition("@")
        out.append(Template(name, flags))
    return tuple(out)


def _parse_domain(raw: dict, sectors: dict[str, str]) -> Domain:
    sector_code = raw["code"][:2]
    func = []
    for part in raw["func"].split(";"):
        part = part.strip()
        if part:
            code, _, name = part.partition(" ")
            func.append((code, name.strip()))
    people = tuple(tuple(tok.split("+", 1)) for tok in raw["people"].split())
    works = tuple(tuple(tok.split(":", 1)) for tok in raw["works"].split())
    assets = []
    for tok in raw["assets"].split():
        name, unit, verbs = tok.split(":")
        assets.append((name, unit, tuple(verbs.split("/"))))
    keys = []
    for tok in raw["keys"].split():
        level, rest = tok[0], tok[1:]
        parts = rest.split(":")
        name, unit = parts[0], parts[1]
        comparator = COMPARATORS[parts[2]] if len(parts) > 2 else ""
        keys.append(KeyIndicator(level, name, unit, comparator))
    return Domain(
        code=raw["code"], name=raw["name"], sector_code=sector_code, sector_name=sectors[sector_code],
        func=tuple(func), people=people, works=works, assets=tuple(assets), keys=tuple(keys),
        satisfied=tuple(raw["sat"].split()), projects=_templates(raw["projects"]),
        policies=_templates(raw.get("policies", "")), transfers=_templates(raw.get("transfers", "")),
    )


@cache
def sectors() -> tuple[tuple[str, str], ...]:
    return tuple(vocab_sectors.SECTORS)


@cache
def domains() -> dict[str, Domain]:
    names = dict(vocab_sectors.SECTORS)
    out = {}
    for raw in vocab_sectors.DOMAINS:
        domain = _parse_domain(raw, names)
        assert domain.code not in out, domain.code
        out[domain.code] = domain
    return out


def _unit_template(text: str) -> UnitTemplate:
    text, _, domain_part = text.partition("#")
    text, _, levels = text.partition("@")
    text, _, count = text.partition("*")
    return UnitTemplate(text=text, count=("T" if count == "T" else int(count or 1)), levels=levels or "pckt",
                        domains=tuple(domain_part.split()))


def _department_templates(rows) -> tuple[DepartmentTemplate, ...]:
    known = domains()
    out = []
    for group, name, sector, domain_codes, weight, levels, units in rows:
        province_name, _, local_name = name.partition("|")
        codes = tuple(domain_codes.split())
        for code in codes:
            assert code in known, (name, code)
        parsed_units = tuple(_unit_template(u) for u in units)
        for unit in parsed_units:
            for code in unit.domains:
                assert code in known, (name, unit.text, code)
        out.append(DepartmentTemplate(group, province_name, local_name or province_name, sector, codes, weight,
                                      levels, parsed_units))
    return tuple(out)


@cache
def department_templates() -> tuple[DepartmentTemplate, ...]:
    return _department_templates(vocab_orgs.DEPARTMENTS)


@cache
def town_department_templates() -> tuple[DepartmentTemplate, ...]:
    return _department_templates(vocab_orgs.TOWN_DEPARTMENTS)


CHINESE_NUMBERS = "一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (enough for school numbers)."""
    if n <= 10:
        return CHINESE_NUMBERS[n - 1]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else CHINESE_NUMBERS[tens - 1]
    return head + "十" + (CHINESE_NUMBERS[ones - 1] if ones else "")


def credit_code_check_digit(base17: str) -> str:
    """The check character of a 统一社会信用代码 (GB 32100-2015) for its first 17 characters."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(alphabet.index(ch) * w for ch, w in zip(base17, weights, strict=True))
    return alphabet[(31 - total % 31) % 31]
