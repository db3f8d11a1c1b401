"""Department and fiscal evaluation planning checks (RULES §6.1, checklist rules 40-41): plain values in, plain
values out. Every number comes from the profile's `params.evaluation` (`jixiao.policy.schema.EvaluationParams`).

- Each department evaluates (部门评价) at least `department_min_per_year` of its subjects a year, completed by
  `department_due` of the next year where the profile sets it (普陀: 6月30日).
- Department and fiscal evaluations together cover at least `coverage_pct` of the subjects' count or money, as
  `coverage_basis` says (海林: 20%, either).
- Every key project (重点项目) is evaluated at least once in `key_project_cycle_years` (10号 第九条: five): a key
  project whose last evaluation falls out of the window by the end of the year must be on this year's list.
- A project whose implementation period is at least `midterm_min_period_years` gets a mid-term evaluation while it
  runs and a post-period one after it ends (10号 第七条).
- Special bonds: the key evaluations cover at least `special_bond_coverage_pct` of the previous year's new
  special-bond quota (61号 第十六条); the fiscal evaluations at least `key_fund_coverage_pct` of the key special funds
  where the profile sets it (海林).
- The evaluation indicator system: weights add up to 100, output + benefit at least `output_benefit_min_pct`
  (10号 第十四条); for PPP operations, output at least `ppp_output_min_pct` and operation + maintenance at least
  `ppp_operation_maintenance_min_pct` (财金〔2020〕13号 附5).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from jixiao.policy.schema import CoverageBasis, EvaluationParams

HUNDRED = Decimal(100)
TWO = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class PlanSubject:
    id: int
    name: str
    department_id: int | None
    amount_fen: int
    planned: bool = False  # on this year's department or fiscal evaluation list
    department_planned: bool = False  # on a department evaluation list (the department minimum counts these)
    fiscal_planned: bool = False  # a fiscal evaluation or re-evaluation (the special-bond and key-fund checks)
    department_done: bool = False  # a department evaluation of it archived (the department's deadline)
    is_key: bool = False
    last_evaluated_year: int | None = None
    start_year: int | None = None
    end_year: int | None = None
    special_bond: bool = False
    key_fund: bool = False  # a key special fund (重点专项资金)


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    message: str
    subject_id: int | None = None
    department_id: int | None = None


@dataclass
class Coverage:
    subjects: int
    planned: int
    amount_fen: int
    planned_fen: int
    count_pct: Decimal
    amount_pct: Decimal
    met: bool
    findings: list[Finding] = field(default_factory=list)
    due_key: list[int] = field(default_factory=list)  # key projects that must be on this year's list
    midterm: list[int] = field(default_factory=list)  # long projects due a mid-term evaluation
    post_period: list[int] = field(default_factory=list)  # long projects ended: a post-period evaluation


def _pct(part: int, whole: int) -> Decimal:
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(TWO) if whole else Decimal("0.00")


def _fmt(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def department_deadline(params: EvaluationParams, year: int) -> datetime.date | None:
    """The day by which each department completes its evaluations of `year` (普陀: 6月30日 of the next year)."""
    if not params.department_due:
        return None
    month, day = (int(x) for x in params.department_due.split("-"))
    return datetime.date(year + 1, month, day)


def plan_coverage(subjects: Sequence[PlanSubject], params: EvaluationParams, year: int, *,
                  departments: dict[int, str] | None = None, bond_quota_fen: int | None = None,
                  today: datetime.date | None = None) -> Coverage:
    """Check a year's evaluation list (the subjects marked `planned`) against the profile; with `today`, also the
    departments that missed the profile's completion date."""
    planned = [s for s in subjects if s.planned]
    total_fen = sum(s.amount_fen for s in subjects)
    planned_fen = sum(s.amount_fen for s in planned)
    count_pct, amount_pct = _pct(len(planned), len(subjects)), _pct(planned_fen, total_fen)
    need = params.coverage_pct
    by_count, by_amount = count_pct >= need, amount_pct >= need
    met = {CoverageBasis.COUNT: by_count, CoverageBasis.AMOUNT: by_amount}.get(params.coverage_basis,
                                                                               by_count or by_amount)
    out = Coverage(len(subjects), len(planned), total_fen, planned_fen, count_pct, amount_pct, met)
    if not met and subjects:
        basis = {CoverageBasis.COUNT: "项目数", CoverageBasis.AMOUNT: "资金额"}.get(params.coverage_basis,
                                                                                    "项目数或资金额")
        out.findings.append(Finding("coverage", f"评价覆盖面不足：按{basis}应不低于{_fmt(need)}%，现项目数覆盖"
                                                f"{_fmt(count_pct)}%、资金额覆盖{_fmt(amount_pct)}%"))
    names = departments or {}
    counts = Counter(s.department_id for s in subjects if s.department_planned)
    for dept in sorted({s.department_id for s in subjects if s.department_id is not None} | set(names)):
        if counts.get(dept, 0) < params.department_min_per_year:
            name = names.get(dept, f"部门{dept}")
            out.findings.append(Finding(
                "department_minimum", f"{name}本年度列入部门评价的项目{counts.get(dept, 0)}个，"
                                      f"少于每年至少{params.department_min_per_year}个", department_id=dept))
    deadline = department_deadline(params, year)
    if deadline is not None and today is not None and today > deadline:
        done = Counter(s.department_id for s in subjects if s.department_done)
        for dept in sorted({s.department_id for s in subjects if s.department_id is not None} | set(names)):
            if done.get(dept, 0) < params.department_min_per_year:
                out.findings.append(Finding(
                    "department_overdue", f"{names.get(dept, f'部门{dept}')}应于{deadline:%Y年%m月%d日}前完成部门评价，"
                                          f"现已完成{done.get(dept, 0)}个", department_id=dept))
    cycle = params.key_project_cycle_years
    for s in subjects:
        if s.is_key and (s.last_evaluated_year is None or s.last_evaluated_year <= year - cycle):
            out.due_key.append(s.id)
            if not s.planned:
                last = "从未评价" if s.last_evaluated_year is None else f"上次评价为{s.last_evaluated_year}年"
                out.findings.append(Finding("key_cycle", f"重点项目“{s.name}”{last}，须在{cycle}年周期内评价，"
                                                         "应列入本年度评价", s.id, s.department_id))
        if s.start_year and s.end_year and s.end_year - s.start_year + 1 >= params.midterm_min_period_years:
            if s.start_year < year < s.end_year:
                out.midterm.append(s.id)
            elif year == s.end_year + 1:
                out.post_period.append(s.id)
    if bond_quota_fen:
        bond_fen = sum(s.amount_fen for s in subjects if s.special_bond and s.fiscal_planned)
        pct = _pct(bond_fen, bond_quota_fen)
        if pct < params.special_bond_coverage_pct:
            out.findings.append(Finding("special_bond", f"专项债券重点评价覆盖上年新增专项债务限额的{_fmt(pct)}%，"
                                                        f"低于{_fmt(params.special_bond_coverage_pct)}%"))
    if params.key_fund_coverage_pct is not None:
        funds = [s for s in subjects if s.key_fund]
        whole = sum(s.amount_fen for s in funds)
        pct = _pct(sum(s.amount_fen for s in funds if s.fiscal_planned), whole)
        if funds and pct < params.key_fund_coverage_pct:
            out.findings.append(Finding("key_fund", f"财政评价覆盖重点专项资金的{_fmt(pct)}%，"
                                                    f"低于{_fmt(params.key_fund_coverage_pct)}%"))
    return out


# --- the evaluation indicator system -----------------------------------------------------------------------------
OUTPUT, BENEFIT = "output", "benefit"
OPERATION, MAINTENANCE = "operation", "maintenance"  # PPP operation-period second-level groups


def indicator_system_problems(weights: dict[str, Decimal], params: EvaluationParams, *, ppp: bool = False,
                              ppp_weights: dict[str, Decimal] | None = None) -> list[str]:
    """Problems of an evaluation indicator system given its first-level weights (决策/过程/产出/效益…, by Level1 value)
    and, for PPP operations, the weights of operation and maintenance."""
    out = []
    total = sum(weights.values(), Decimal(0))
    if total != HUNDRED:
        out.append(f"一级指标权重合计应为100，现为{_fmt(total)}")
    if any(w < 0 for w in weights.values()):
        out.append("权重不能为负数")
    ob = weights.get(OUTPUT, Decimal(0)) + weights.get(BENEFIT, Decimal(0))
    share = ob * HUNDRED / total if total else Decimal(0)
    if share < params.output_benefit_min_pct:
        out.append(f"产出和效益指标权重合计占{_fmt(share.quantize(TWO))}%，应不低于{_fmt(params.output_benefit_min_pct)}%")
    if ppp:
        output_share = weights.get(OUTPUT, Decimal(0)) * HUNDRED / total if total else Decimal(0)
        if output_share < params.ppp_output_min_pct:
            out.append(f"PPP项目运营期产出指标权重占{_fmt(output_share.quantize(TWO))}%，"
                       f"应不低于{_fmt(params.ppp_output_min_pct)}%")
        pw = ppp_weights or {}
        om = pw.get(OPERATION, Decimal(0)) + pw.get(MAINTENANCE, Decimal(0))
        om_share = om * HUNDRED / total if total else Decimal(0)
        if om_share < params.ppp_operation_maintenance_min_pct:
            out.append(f"PPP项目运营和维护指标权重合计占{_fmt(om_share.quantize(TWO))}%，"
                       f"应不低于{_fmt(params.ppp_operation_maintenance_min_pct)}%")
    return out
