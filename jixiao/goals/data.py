"""The goal sheet as plain values: the one shape that the rules check, the Excel reader produces and writer consumes,
the JSON check API accepts, and the services convert to and from the models. No ORM here.

Numbers that users type (target values, weights) stay text until a rule parses them (`jixiao.goals.values`), so that
what was written is what is kept and a bad value is reported, not silently changed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from jixiao.core.money import Money


@dataclass
class RowHistory:
    """The same indicator in earlier years (历史标准), shown beside the row; values as written."""

    last_year_target: str = ""
    last_year_actual: str = ""
    year_before_actual: str = ""


@dataclass
class StandardRef:
    """A spending standard that applies to a cost indicator row."""

    name: str
    amount: Money  # per output unit
    output_unit: str
    source: str = ""


@dataclass
class RowData:
    """One indicator row. `row` is where it came from (Excel row number, or 1-based position on screen/JSON)."""

    row: int
    level1: str = ""  # Level1 value: cost, output, benefit, satisfaction ("" when it could not be read)
    level2: str = ""  # 二级指标 name, e.g. "数量指标"
    name: str = ""
    comparator: str = ""  # Comparator value: ge, gt, eq, lt, le, qualitative, other ("" when missing)
    target_value: str = ""
    unit: str = ""
    weight: Decimal | None = None
    explanation: str = ""
    value_basis: str = ""  # ValueBasis value
    value_method: str = ""
    data_source: str = ""
    evidence_type: str = ""
    value_note: str = ""
    indicator_id: int | None = None  # the library indicator it was picked from
    history: RowHistory | None = None
    standard: StandardRef | None = None


@dataclass
class SheetData:
    """A goal sheet: the header of the 项目支出绩效目标申报表 and the indicator rows."""

    kind: str = "project"  # SheetKind value
    frame_code: str = ""  # "" → the profile's default frame for the kind
    subject_code: str = ""
    subject_name: str = ""
    department_name: str = ""
    unit_name: str = ""
    fiscal_year: int | None = None
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    subject_type: str = ""  # 项目类型 as written
    is_new: bool | None = None
    allocation_method: str = ""  # AllocationMethod value
    special_category: str = ""  # SpecialCategory value (special_bond matters: no adjustment)
    category: str = ""  # policy ProjectCategory value: construction, major_repair_purchase, information_system
    has_quality_standard: bool = False
    is_key: bool = False
    total_amount: Money | None = None
    annual_amount: Money | None = None
    policy_basis: str = ""
    calculation_basis: str = ""
    overall_goal: str = ""
    annual_goal: str = ""
    duties: str = ""
    main_tasks: list[dict] = field(default_factory=list)  # [{"name", "content", "amount" (Money | None)}]
    multi_year_benefit: str = ""
    survey_plan: str = ""
    rows: list[RowData] = field(default_factory=list)


@dataclass(frozen=True)
class Finding:
    """One problem found in a sheet. `severity` is "error" (blocks submission) or "warning" (shown, does not
    block); `rule` a stable code (e.g. "G11-output-required"), `basis` the rule it enforces with its source, in
    Chinese; `row` the RowData.row it concerns (None for the header), `field` the field name or header label."""

    severity: str
    rule: str
    message: str
    basis: str = ""
    row: int | None = None
    field: str = ""

    def as_dict(self) -> dict:
        return {"severity": self.severity, "rule": self.rule, "message": self.message, "basis": self.basis,
                "row": self.row, "field": self.field}

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row is not None else "表头"
        col = f"“{self.field}”" if self.field else ""
        return f"{where}{col}：{self.message}"
