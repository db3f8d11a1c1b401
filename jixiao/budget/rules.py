"""Rules of the project library: plain values in, Chinese messages out. No ORM here, so the form, the API, the
import and the management command all apply exactly the same checks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from jixiao.core.money import Money

CODE_MAX_LENGTH = 40
NAME_MAX_LENGTH = 200
CODE_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-_.]*")

# Special categories and the kinds of subject they make sense for.
PROJECT_LIKE_KINDS = frozenset({"project", "policy", "transfer_payment"})
WHOLE_SPENDING_KINDS = frozenset({"department_wide", "unit_wide"})
# Categories whose life cycle (建设期/运营期, 合作期限) must be known: dates required.
DATED_SPECIAL_CATEGORIES = frozenset({"special_bond", "ppp"})


def code_error(code: str) -> str | None:
    """Why `code` is not a valid project code (一体化系统项目编码, kept as text), or None."""
    code = (code or "").strip()
    if not code:
        return "项目编码不能为空"
    if len(code) > CODE_MAX_LENGTH:
        return f"项目编码不能超过{CODE_MAX_LENGTH}位"
    if not CODE_PATTERN.fullmatch(code):
        return "项目编码只能包含数字、字母和 - _ .，且须以数字或字母开头"
    return None


def validate_subject(v: Mapping) -> dict[str, list[str]]:
    """Check one subject's values; returns {field: [messages]} (empty when valid).

    Expected keys (missing keys are treated as empty): code, name, kind, budget_kind, special_category,
    annual_amount, total_amount, adjusted_amount (Money or None), start_date, end_date (date or None),
    is_classified, classified_reason, department_id, unit_id, unit_department_id (the unit's own department)."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    msg = code_error(v.get("code") or "")
    if msg:
        add("code", msg)
    name = (v.get("name") or "").strip()
    if not name:
        add("name", "项目名称不能为空")
    elif len(name) > NAME_MAX_LENGTH:
        add("name", f"项目名称不能超过{NAME_MAX_LENGTH}个字符")

    annual, total, adjusted = v.get("annual_amount"), v.get("total_amount"), v.get("adjusted_amount")
    for field, label, amount in (("annual_amount", "年度预算金额", annual), ("total_amount", "项目总金额", total),
                                 ("adjusted_amount", "调整后预算", adjusted)):
        if amount is not None and amount.fen < 0:
            add(field, f"{label}不能为负数")
    if annual is None:
        add("annual_amount", "年度预算金额不能为空")
    if (annual is not None and total is not None and annual.fen >= 0 and total.fen >= 0
            and total.fen < annual.fen):
        add("total_amount", f"项目总金额（{total.format_yuan()}元）不能小于年度预算金额（{annual.format_yuan()}元）")

    start, end = v.get("start_date"), v.get("end_date")
    if start and end and end < start:
        add("end_date", "结束日期不能早于开始日期")

    if v.get("is_classified") and not (v.get("classified_reason") or "").strip():
        add("classified_reason", "涉密或敏感项目必须填写向财政部门备案的原因")

    department_id, unit_id = v.get("department_id"), v.get("unit_id")
    if not department_id:
        add("department", "请选择主管部门")
    if unit_id and department_id and v.get("unit_department_id") != department_id:
        add("unit", "所选预算单位不属于该主管部门")

    kind = v.get("kind") or "project"
    if kind == "department_wide" and unit_id:
        add("unit", "部门整体支出属于主管部门，不应选择预算单位")
    if kind == "unit_wide" and not unit_id:
        add("unit", "单位整体支出必须选择预算单位")

    special = v.get("special_category") or ""
    budget_kind = v.get("budget_kind") or "general_public"
    if special and kind in WHOLE_SPENDING_KINDS:
        add("special_category", "部门（单位）整体支出不能标注特殊类别")
    if special == "special_bond":
        # 专项债券收支纳入政府性基金预算管理 (财预〔2021〕61号): a bond project outside the fund budget is a mistake.
        if budget_kind != "government_fund":
            add("budget_kind", "政府专项债券项目应纳入政府性基金预算")
        if kind != "project":
            add("kind", "政府专项债券只能是项目")
    if special and budget_kind == "social_insurance":
        add("special_category", "社会保险基金预算项目不能标注特殊类别")
    if special in DATED_SPECIAL_CATEGORIES:
        if not start:
            add("start_date", "政府专项债券和PPP项目须填写开始日期（全生命周期管理）")
        if not end:
            add("end_date", "政府专项债券和PPP项目须填写结束日期（全生命周期管理）")
        if total is not None and total.fen <= 0:
            add("total_amount", "政府专项债券和PPP项目须填写项目总金额")
    return errors


def submission_errors(v: Mapping) -> list[str]:
    """What keeps a valid draft from being submitted for review."""
    problems = []
    annual = v.get("annual_amount")
    if annual is None or annual.fen <= 0:
        problems.append("年度预算金额为0，不能提交审核")
    return problems


def execution_rate(spent: Money, budget: Money | None) -> Decimal | None:
    """Cumulative spending ÷ budget as a percentage with one decimal, or None when there is no budget."""
    if budget is None:
        return None
    ratio = spent.ratio(budget)
    if ratio is None:
        return None
    return (ratio * 100).quantize(Decimal("0.1"))


def monthly_from_cumulative(cumulative: Mapping[int, Money], known_monthly: Mapping[int, Money]
                            ) -> tuple[dict[int, Money], dict[int, str]]:
    """Derive monthly spending from cumulative figures (累计支出) of one subject and year.

    `cumulative` maps month → cumulative spending to the end of that month (from the file); `known_monthly` the
    monthly amounts already stored for other months. Returns (monthly amounts by month, errors by month). A month
    needs the cumulative figure of the month before it, from the file or from what is stored: otherwise the gap's
    spending would be booked in the wrong month, so that month is refused."""
    monthly: dict[int, Money] = {}
    errors: dict[int, str] = {}
    running: Money | None = Money(0)
    for month in range(1, 13):
        if month in cumulative:
            if running is None:
                errors[month] = f"缺少{month - 1}月的累计支出（文件和系统中都没有），无法推算{month}月当月支出"
                running = cumulative[month]
                continue
            amount = cumulative[month] - running
            if amount.fen < 0:
                errors[month] = (f"累计支出（{cumulative[month].format_yuan()}元）小于上月累计"
                                 f"（{running.format_yuan()}元）")
            else:
                monthly[month] = amount
            running = cumulative[month]
        elif month in known_monthly and running is not None:
            running = running + known_monthly[month]
        else:
            running = None
    return monthly, errors
