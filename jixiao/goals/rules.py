"""Pure rules of the goal sheet (绩效目标, RULES §3-4, checklist B 10-20): values in, findings out, no ORM.

`check_sheet()` is the one check used as the user types (drafts, `for_submission=False`), on submission, on an
uploaded Excel sheet and by the JSON dry run, so a problem reads the same everywhere. Every finding carries a stable
`rule` code and a `basis` naming the rule and its source. Every number (weights, lengths, word lists, switches) comes
from the policy profile (`GoalParams`, `GoalReviewParams`), never a literal here.

`grade_review()` grades a review round from the eight review points (ordinary projects by the "N of 8" rule, key
projects by scores within the grade bands), `review_outcome()` maps the grade to the workflow outcome.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from jixiao.goals import values as v
from jixiao.goals.data import Finding, RowData, SheetData
from jixiao.indicators.models import Comparator, ValueBasis
from jixiao.indicators.rules import parse_level1, parse_value_basis
from jixiao.policy.schema import GoalParams, GoalReviewParams, Grade, IndicatorFrame, Level1, ProjectCategory

ERROR = "error"
WARNING = "warning"

WHOLE_KINDS = frozenset({"department_wide", "unit_wide"})  # SheetKind values with duties and main tasks
OVERALL_GOAL_KINDS = frozenset({"policy"})  # SheetKind values that always state an overall (实施期) goal
SPECIAL_BOND = "special_bond"  # SpecialCategory value

LEVEL1_LABELS = dict(Level1.choices)
COMPARATOR_LABELS = dict(Comparator.choices)
GRADE_LABELS = dict(Grade.choices)
VALUE_BASES = frozenset(ValueBasis.values)

# Finding.field: the label of the form field (the editor maps it back to the input; users read it).
F = {
    "level1": "一级指标", "level2": "二级指标", "name": "三级指标", "comparator": "计算符号",
    "target_value": "指标值", "unit": "计量单位", "weight": "权重", "explanation": "指标解释",
    "value_basis": "指标值设定依据", "value_note": "指标值说明", "annual_goal": "年度目标",
    "overall_goal": "总体（实施期）目标", "duties": "部门职能/年度履职目标",
    "multi_year_benefit": "多年期效益说明", "survey_plan": "满意度调查方案", "main_tasks": "年度主要任务",
    "frame_code": "指标框架",
}

COST_LEVEL2 = "成本"  # 成本指标 under 产出 in the 10号 frame (key without the 指标 suffix)
QUALITY_LEVEL2 = "质量"

# --- bases (the rule and its source, shown with each finding) ---------------------------------------------------
B_ANNUAL = "101号 一(一)：绩效目标须明确年度目标（年度任务、产出和效益）"
B_OVERALL = "101号 一(一)；豫财效〔2022〕4号 第五条：跨年度项目和政策须设置实施期（总体）目标"
B_OUTPUT_BENEFIT = "101号 二：每个项目至少设置一个产出指标和一个效益指标"
B_COST_CATEGORY = "101号 二：{categories}项目须设置成本指标"
B_MULTI_YEAR = "101号 二：{categories}项目须说明多年期效益"
B_QUALITY = "101号 二：有明确质量标准的项目（如基建、信息化）须设置质量指标"
B_SURVEY = "101号 二：设置满意度指标的，须开展满意度调查"
B_FIELDS = "101号 三；一体化系统校验：三级指标须填写名称、计算符号、指标值、计量单位（定性、定量（其他）除外）"
B_FIELDS_SUBMIT = "101号 三(一)(三)：三级指标须有指标解释和指标值设定依据"
B_NAME_LENGTH = "一体化系统校验：指标名称不超过{n}字"
B_OTHER_NOTE = "一体化系统校验：计算符号为“定量（其他）”的须填写指标值说明"
B_QUANTIFIED = "101号 一(二)“量化易评”：定量指标的指标值须为数值"
B_NAME_TARGET = "101号 三(一)：指标名称简明，指标值和计量单位分栏填写"
B_STANDARD = "101号 三(三)：成本指标值不得超过预算支出标准"
B_INPUT = "101号 一(二)“高度关联”：财力、人力和物力等投入数量不能作为绩效目标"
B_VAGUE = "101号 一(二)“量化易评”：指标应细化量化，避免“有效提升”“进一步加强”等不可衡量的表述"
B_HISTORY = "101号 一(一)(三)：指标值参考历史标准“从严从高”设定，不应低于上年实际完成值"
B_DUPLICATE = "101号 一(二)“重点突出”：同一目标表内指标不重复设置"
B_WEIGHT_POSITIVE = "10号 第十三条；101号 三(六)：各指标权重须大于0"
B_WEIGHT_MISSING = "10号 第十三条；101号 三(六)：各指标须设定权重"
B_WHOLE = "郑州目标办法 附件2-3；豫财效〔2022〕4号 附件3：部门（单位）整体绩效目标须包括年度履职目标和年度主要任务"
B_WHOLE_TASK_AMOUNT = "郑州目标办法 附件2-3：年度主要任务须列明对应的预算金额"


def _f(severity, rule, message, basis, row=None, field_name="") -> Finding:
    return Finding(severity=severity, rule=rule, message=message, basis=basis, row=row, field=field_name)


_SPACE = re.compile(r"\s+")


def _norm(text) -> str:
    s = unicodedata.normalize("NFKC", str(text if text is not None else ""))
    return _SPACE.sub("", s)


def _level2_key(text) -> str:
    return _norm(text).removesuffix("指标")


def _num(value: Decimal) -> str:
    return v.format_number(value)


def _level1_of(row: RowData) -> str:
    """The row's Level1 value ("" when it cannot be read); accepts labels ("产出指标", "产出") as the reader may."""
    if row.level1 in LEVEL1_LABELS:
        return row.level1
    parsed = parse_level1(row.level1) if row.level1 else None
    return parsed if parsed in LEVEL1_LABELS else ""


def _comparator_of(row: RowData) -> str | None:
    if row.comparator in COMPARATOR_LABELS:
        return row.comparator
    return v.normalise_comparator(row.comparator) if row.comparator else None


def _is_cost_row(row: RowData) -> bool:
    level1 = _level1_of(row)
    return level1 == Level1.COST or (level1 == Level1.OUTPUT and _level2_key(row.level2) == COST_LEVEL2)


def _has_satisfaction(sheet: SheetData) -> bool:
    return any(_level1_of(r) == Level1.SATISFACTION for r in sheet.rows)


def _frame_has(frame: IndicatorFrame, code: str) -> bool:
    return any(g.code == code for g in frame.groups)


def _needs_cost(sheet: SheetData, goals: GoalParams) -> bool:
    return bool(sheet.category) and sheet.category in goals.cost_required_categories


def _known_frame(goals: GoalParams, code: str) -> IndicatorFrame | None:
    try:
        return goals.frame(code)
    except KeyError:
        return None


# --- frame and weights --------------------------------------------------------------------------------------------
def frame_for(sheet: SheetData, goals: GoalParams) -> IndicatorFrame:
    """The frame a sheet is checked against: its own `frame_code` if the profile knows it; otherwise special bonds use
    the special-bond frame, a sheet with cost rows (or of a category that must set cost) the profile's cost frame
    when that frame puts cost at level 1, and everything else the profile's project frame."""
    if sheet.frame_code:
        frame = _known_frame(goals, sheet.frame_code)
        if frame is not None:
            return frame
    if sheet.special_category == SPECIAL_BOND:
        return goals.frame(goals.special_bond_frame)
    if any(_is_cost_row(r) for r in sheet.rows) or _needs_cost(sheet, goals):
        cost_frame = goals.frame(goals.project_cost_frame)
        if _frame_has(cost_frame, Level1.COST):
            return cost_frame
    return goals.frame(goals.project_frame)


def expected_weights(sheet: SheetData, goals: GoalParams) -> dict[str, Decimal]:
    """Level-1 group → the weight its rows must sum to. Without satisfaction rows the satisfaction weight moves to
    `goals.no_satisfaction_weight_to` (101号 三(六): 效益+10). The total is 100 − the frame's execution-rate weight,
    which is only scored at self-evaluation."""
    frame = frame_for(sheet, goals)
    weights = {str(g.code): g.weight for g in frame.groups}
    to = str(goals.no_satisfaction_weight_to)
    if Level1.SATISFACTION in weights and not _has_satisfaction(sheet) and to in weights and to != Level1.SATISFACTION:
        weights[to] += weights.pop(Level1.SATISFACTION)
    return weights


def _weights_basis(frame: IndicatorFrame, goals: GoalParams) -> str:
    parts = "、".join(f"{LEVEL1_LABELS[g.code]}{_num(g.weight)}" for g in frame.groups)
    text = f"{frame.source or '10号 第十三条；101号 三(六)'}：{frame.name} {parts}"
    if _frame_has(frame, Level1.SATISFACTION):
        text += f"，未设满意度指标时其权重并入{LEVEL1_LABELS[goals.no_satisfaction_weight_to]}"
    if frame.execution_weight:
        text += f"；预算执行率{_num(frame.execution_weight)}分仅在自评时计分"
    return text


# --- the sheet check ----------------------------------------------------------------------------------------------
def _is_multi_year(sheet: SheetData) -> bool:
    if sheet.start_date and sheet.end_date and sheet.end_date.year > sheet.start_date.year:
        return True
    return bool(sheet.total_amount is not None and sheet.annual_amount is not None
                and sheet.total_amount > sheet.annual_amount)


def _check_header(sheet: SheetData, goals: GoalParams, out: list[Finding]) -> None:
    if not sheet.annual_goal.strip():
        out.append(_f(ERROR, "G10-annual-goal", "未填写年度绩效目标", B_ANNUAL, field_name=F["annual_goal"]))
    if not sheet.overall_goal.strip() and (sheet.kind in OVERALL_GOAL_KINDS or _is_multi_year(sheet)):
        why = "政策" if sheet.kind in OVERALL_GOAL_KINDS else "跨年度项目"
        out.append(_f(ERROR, "G10-overall-goal", f"{why}须填写总体（实施期）绩效目标", B_OVERALL,
                      field_name=F["overall_goal"]))
    if sheet.kind in WHOLE_KINDS:
        if not sheet.duties.strip():
            out.append(_f(ERROR, "G20-duties", "未填写部门（单位）职能职责及年度履职目标", B_WHOLE,
                          field_name=F["duties"]))
        named = [t for t in sheet.main_tasks if str(t.get("name") or "").strip()]
        if not named:
            out.append(_f(ERROR, "G20-main-tasks", "至少填写一项年度主要任务", B_WHOLE, field_name=F["main_tasks"]))
        for i, task in enumerate(sheet.main_tasks, start=1):
            if not str(task.get("name") or "").strip():
                if str(task.get("content") or "").strip() or task.get("amount") is not None:
                    out.append(_f(ERROR, "G20-task-name", f"第{i}项主要任务未填写任务名称", B_WHOLE,
                                  field_name=F["main_tasks"]))
            elif task.get("amount") is None:
                out.append(_f(WARNING, "G20-task-amount", f"主要任务“{task['name']}”未填写预算金额",
                              B_WHOLE_TASK_AMOUNT, field_name=F["main_tasks"]))


def _check_groups(sheet: SheetData, goals: GoalParams, frame: IndicatorFrame, out: list[Finding]) -> None:
    present = {_level1_of(r) for r in sheet.rows}
    cost_rows = [r for r in sheet.rows if _is_cost_row(r)]
    needs_cost = _needs_cost(sheet, goals)
    for group in frame.groups:
        if needs_cost and group.code == Level1.COST:
            continue  # reported below with the category's rule
        if group.required and group.code not in present:
            label = LEVEL1_LABELS[group.code]
            basis = (B_OUTPUT_BENEFIT if group.code in (Level1.OUTPUT, Level1.BENEFIT)
                     else f"{frame.source}：{frame.name}必设{label}")
            out.append(_f(ERROR, f"G11-{group.code}-required", f"至少设置一个{label}", basis, field_name=F["level1"]))
    categories = [ProjectCategory(c) for c in goals.cost_required_categories]
    if needs_cost:
        names = "、".join(c.label for c in categories)
        category = ProjectCategory(sheet.category).label
        if not cost_rows:
            if _frame_has(frame, Level1.COST):
                where = "一级成本指标"
            elif any(COST_LEVEL2 in map(_level2_key, g.level2) for g in frame.groups if g.code == Level1.OUTPUT):
                where = "成本指标（产出指标下的二级指标）"
            else:
                where = "成本指标"
            out.append(_f(ERROR, "G11-cost-category", f"{category}项目须设置{where}",
                          B_COST_CATEGORY.format(categories=names), field_name=F["level1"]))
        if not sheet.multi_year_benefit.strip():
            out.append(_f(ERROR, "G11-multi-year-benefit", f"{category}项目须说明多年期效益",
                          B_MULTI_YEAR.format(categories=names), field_name=F["multi_year_benefit"]))
    if sheet.has_quality_standard and goals.quality_required_with_standard:
        if not any(_level2_key(r.level2) == QUALITY_LEVEL2 for r in sheet.rows):
            out.append(_f(ERROR, "G11-quality-required", "项目有明确质量标准，须设置质量指标", B_QUALITY,
                          field_name=F["level2"]))
    if goals.satisfaction_requires_survey and _has_satisfaction(sheet) and not sheet.survey_plan.strip():
        out.append(_f(ERROR, "G11-satisfaction-survey", "设置了满意度指标，须填写满意度调查方案", B_SURVEY,
                      field_name=F["survey_plan"]))


def _level2_match(frame_names: list[str], level2: str) -> str | None:
    key = _level2_key(level2)
    if not key:
        return None
    keys = {_level2_key(n): n for n in frame_names}
    if key in keys:
        return keys[key]
    endings = [n for k, n in keys.items() if len(key) >= 2 and k.endswith(key)]
    return endings[0] if len(endings) == 1 else None


def _check_row_place(row: RowData, frame: IndicatorFrame, out: list[Finding]) -> str:
    level1 = _level1_of(row)
    groups = {g.code: g for g in frame.groups}
    frame_labels = "、".join(LEVEL1_LABELS[g.code] for g in frame.groups)
    basis = f"{frame.source}：{frame.name}的一级指标为{frame_labels}" if frame.source else \
        f"{frame.name}的一级指标为{frame_labels}"
    if not level1:
        what = f"“{row.level1}”不是有效的一级指标" if row.level1.strip() else "未填写一级指标"
        out.append(_f(ERROR, "G11-level1", what, basis, row.row, F["level1"]))
        return ""
    if level1 not in groups:
        message = f"一级指标“{LEVEL1_LABELS[level1]}”不在{frame.name}中"
        if level1 == Level1.COST and any(COST_LEVEL2 in map(_level2_key, g.level2) for g in frame.groups):
            message += "，本框架的成本指标为产出指标下的二级指标"
        out.append(_f(ERROR, "G11-level1", message, basis, row.row, F["level1"]))
        return level1
    names = groups[level1].level2
    l2_basis = f"{frame.source}：{LEVEL1_LABELS[level1]}下的二级指标为{'、'.join(names)}"
    if not row.level2.strip():
        out.append(_f(ERROR, "G11-level2", "未填写二级指标", l2_basis, row.row, F["level2"]))
    elif _level2_match(names, row.level2) is None:
        out.append(_f(ERROR, "G11-level2", f"二级指标“{row.level2}”不属于{LEVEL1_LABELS[level1]}", l2_basis,
                      row.row, F["level2"]))
    return level1


def _comparable(a_num: Decimal, a_unit: str | None, b_num: Decimal,
                b_unit: str | None) -> tuple[Decimal, Decimal] | None:
    """Two numbers on the same scale, or None when their units differ (万元 and 元 are converted)."""
    a_u, b_u = _norm(a_unit or ""), _norm(b_unit or "")
    if a_u == b_u or not a_u or not b_u:
        return a_num, b_num
    a_y, b_y = v.amount_in_yuan(a_num, a_u), v.amount_in_yuan(b_num, b_u)
    if a_y is not None and b_y is not None and v.per_unit(a_u) == v.per_unit(b_u):
        return a_y, b_y
    return None


def _check_row(row: RowData, sheet: SheetData, goals: GoalParams, frame: IndicatorFrame, for_submission: bool,
               out: list[Finding]) -> None:
    n = row.row
    level1 = _check_row_place(row, frame, out)
    name = row.name.strip()
    target = str(row.target_value or "").strip()
    unit = row.unit.strip()
    # mandatory fields
    if not name:
        out.append(_f(ERROR, "G12-name", "未填写指标名称", B_FIELDS, n, F["name"]))
    elif len(name) > goals.indicator_name_max_length:
        out.append(_f(ERROR, "G12-name-length",
                      f"指标名称{len(name)}字，超过{goals.indicator_name_max_length}字",
                      B_NAME_LENGTH.format(n=goals.indicator_name_max_length), n, F["name"]))
    t_cmp, t_num, t_unit = v.split_target(target) if target else (None, None, None)
    comparator = _comparator_of(row)
    if not str(row.comparator or "").strip():
        hint = f"（指标值中写有“{COMPARATOR_LABELS[t_cmp]}”，请填入计算符号栏）" if t_cmp else ""
        out.append(_f(ERROR, "G12-comparator", f"未填写计算符号{hint}", B_FIELDS, n, F["comparator"]))
    elif comparator is None:
        out.append(_f(ERROR, "G12-comparator",
                      f"计算符号“{row.comparator}”无法识别，应为≥、＞、＝、＜、≤、定性或定量（其他）",
                      B_FIELDS, n, F["comparator"]))
    if not target:
        out.append(_f(ERROR, "G12-target", "未填写指标值", B_FIELDS, n, F["target_value"]))
        parsed = v.target_in_name(name)
        if parsed is not None:
            clean, p_cmp, p_value, p_unit = parsed
            parts = [f"指标名称“{clean}”"]
            if p_cmp:
                parts.append(f"计算符号“{COMPARATOR_LABELS[p_cmp]}”")
            parts.append(f"指标值“{p_value}”")
            if p_unit:
                parts.append(f"计量单位“{p_unit}”")
            out.append(_f(WARNING, "G12-target-in-name",
                          f"指标值写在了指标名称中，建议拆分为：{'，'.join(parts)}", B_NAME_TARGET, n, F["name"]))
    elif comparator in v.QUANTITATIVE:
        if t_num is None and not v.looks_like_date(target):
            out.append(_f(ERROR, "G12-target-number",
                          f"计算符号为“{COMPARATOR_LABELS[comparator]}”的定量指标，指标值“{target}”不是数值",
                          B_QUANTIFIED, n, F["target_value"]))
        if t_cmp in v.QUANTITATIVE and t_cmp != comparator:
            out.append(_f(WARNING, "G12-comparator-conflict",
                          f"指标值“{target}”中的“{COMPARATOR_LABELS[t_cmp]}”与计算符号"
                          f"“{COMPARATOR_LABELS[comparator]}”不一致", B_FIELDS, n, F["comparator"]))
        if t_unit and unit and _norm(t_unit) != _norm(unit):
            out.append(_f(WARNING, "G12-unit-conflict", f"指标值“{target}”中的单位与计量单位“{unit}”不一致",
                          B_FIELDS, n, F["unit"]))
    if comparator in v.QUANTITATIVE and not unit:
        hint = f"（指标值中写有“{t_unit}”，请填入计量单位栏）" if t_unit else ""
        out.append(_f(ERROR, "G12-unit", f"未填写计量单位{hint}", B_FIELDS, n, F["unit"]))
    if comparator == Comparator.OTHER and not row.value_note.strip():
        out.append(_f(ERROR, "G12-value-note", "计算符号为“定量（其他）”，须填写指标值说明", B_OTHER_NOTE, n,
                      F["value_note"]))
    severity = ERROR if for_submission else WARNING
    if not row.explanation.strip():
        out.append(_f(severity, "G12-explanation", "未填写指标解释", B_FIELDS_SUBMIT, n, F["explanation"]))
    if not row.value_basis.strip():
        out.append(_f(severity, "G12-value-basis", "未选择指标值设定依据", B_FIELDS_SUBMIT, n, F["value_basis"]))
    elif row.value_basis not in VALUE_BASES and parse_value_basis(row.value_basis) is None:
        labels = "、".join(ValueBasis.labels)
        out.append(_f(ERROR, "G12-value-basis", f"指标值设定依据“{row.value_basis}”无法识别，应为{labels}",
                      B_FIELDS_SUBMIT, n, F["value_basis"]))
    # cost within the spending standard
    if row.standard is not None and goals.cost_target_within_standard and t_num is not None:
        _check_standard(row, t_num, t_unit or unit, out)
    # input quantities posing as goals
    if level1 in (Level1.OUTPUT, Level1.BENEFIT) and not _is_cost_row(row):
        words = v.find_words(name, goals.input_words)
        if words:
            out.append(_f(ERROR, "G-input-as-goal",
                          f"指标“{name}”含“{'、'.join(words)}”，投入数量不能作为产出或效益目标", B_INPUT, n, F["name"]))
    # vague wording
    text = f"{name} {target}"
    if v.is_vague(text, goals.vague_words):
        words = v.find_words(text, goals.vague_words)
        out.append(_f(WARNING, "G-vague", f"含“{'、'.join(words)}”等模糊表述且无具体数值，难以衡量", B_VAGUE, n,
                      F["name"]))
    # last year's actual
    if row.history is not None and row.history.last_year_actual.strip() and t_num is not None:
        _check_history(row, comparator, target, t_num, t_unit or unit, out)


def _check_standard(row: RowData, number: Decimal, unit: str, out: list[Finding]) -> None:
    standard = row.standard
    yuan = v.amount_in_yuan(number, unit)
    per = v.per_unit(unit)
    limit = standard.amount.yuan
    std_text = f"“{standard.name}”{standard.amount.format_yuan()}元" + (
        f"/{standard.output_unit}" if standard.output_unit else "")
    if yuan is None or (per and standard.output_unit and per != _norm(standard.output_unit)):
        out.append(_f(WARNING, "G13-standard-unit",
                      f"计量单位“{unit}”与支出标准{std_text}的口径不同，无法比较", B_STANDARD, row.row, F["unit"]))
        return
    if yuan > limit:
        over = yuan - limit
        out.append(_f(ERROR, "G13-over-standard",
                      f"成本指标值{_num(number)}{unit or '元'}（{_num(yuan)}元）超过支出标准{std_text}，"
                      f"超出{_num(over)}元", B_STANDARD + (f"（{standard.source}）" if standard.source else ""),
                      row.row, F["target_value"]))


def _check_history(row: RowData, comparator: str | None, target: str, number: Decimal, unit: str,
                   out: list[Finding]) -> None:
    actual_text = row.history.last_year_actual.strip()
    _, h_num, h_unit = v.split_target(actual_text)
    if h_num is None:
        return
    pair = _comparable(number, unit, h_num, h_unit or unit)
    if pair is None:
        return
    new, old = pair
    if comparator in v.HIGHER_IS_BETTER and new < old:
        message = f"指标值“{target}”低于上年实际完成值“{actual_text}”"
    elif comparator in v.LOWER_IS_BETTER and new > old:
        message = f"指标值“{target}”高于上年实际完成值“{actual_text}”（反向指标越小越好）"
    else:
        return
    out.append(_f(WARNING, "G14-below-last-year", message + "，指标值设定应从严从高", B_HISTORY, row.row,
                  F["target_value"]))


def _check_duplicates(sheet: SheetData, out: list[Finding]) -> None:
    first: dict[str, int] = {}
    for row in sheet.rows:
        key = _norm(row.name)
        if not key:
            continue
        if key in first:
            out.append(_f(WARNING, "G-duplicate-name", f"指标“{row.name.strip()}”与第{first[key]}行重复", B_DUPLICATE,
                          row.row, F["name"]))
        else:
            first[key] = row.row


def _check_weights(sheet: SheetData, goals: GoalParams, frame: IndicatorFrame, for_submission: bool,
                   out: list[Finding]) -> None:
    if not sheet.rows:
        return
    missing = [r for r in sheet.rows if r.weight is None]
    severity = ERROR if for_submission else WARNING
    if len(missing) == len(sheet.rows):
        out.append(_f(severity, "G15-weight-missing", "指标均未设定权重", B_WEIGHT_MISSING, None, F["weight"]))
    else:
        for row in missing:
            out.append(_f(severity, "G15-weight-missing", "未设定权重", B_WEIGHT_MISSING, row.row, F["weight"]))
    for row in sheet.rows:
        if row.weight is not None and row.weight <= 0:
            out.append(_f(ERROR, "G15-weight-positive", f"权重{_num(row.weight)}，须大于0", B_WEIGHT_POSITIVE,
                          row.row, F["weight"]))
    if missing:
        return
    expected = expected_weights(sheet, goals)
    basis = _weights_basis(frame, goals)
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for row in sheet.rows:
        sums[_level1_of(row)] += row.weight
    for code, weight in expected.items():
        if code in sums and sums[code] != weight:
            note = ""
            if code == goals.no_satisfaction_weight_to and Level1.SATISFACTION not in expected \
                    and _frame_has(frame, Level1.SATISFACTION):
                note = "（未设满意度指标，其权重已并入）"
            out.append(_f(ERROR, "G15-weight-group",
                          f"{LEVEL1_LABELS[code]}权重合计{_num(sums[code])}，应为{_num(weight)}{note}", basis, None,
                          F["weight"]))
    total = sum(sums.values(), Decimal(0))
    should = sum(expected.values(), Decimal(0))
    if total != should:
        exec_note = f"（100减去预算执行率{_num(frame.execution_weight)}分）" if frame.execution_weight else ""
        out.append(_f(ERROR, "G15-weight-total", f"权重合计{_num(total)}，应为{_num(should)}{exec_note}", basis,
                      None, F["weight"]))


def check_sheet(sheet: SheetData, goals: GoalParams, *, for_submission: bool) -> list[Finding]:
    """All findings for a goal sheet, header first, then rows in order, then duplicates and weights. Errors block
    submission; with `for_submission=False` (drafts, as the user types) fields only needed for submission are
    warnings."""
    out: list[Finding] = []
    if sheet.frame_code and _known_frame(goals, sheet.frame_code) is None:
        out.append(_f(ERROR, "G15-frame", f"指标框架“{sheet.frame_code}”不在本地政策配置中，已按默认框架检查",
                      "10号 第十三条；101号 三(六)：按本地区、本年度的指标框架编制", None, F["frame_code"]))
    frame = frame_for(sheet, goals)
    _check_header(sheet, goals, out)
    _check_groups(sheet, goals, frame, out)
    for row in sheet.rows:
        _check_row(row, sheet, goals, frame, for_submission, out)
    _check_duplicates(sheet, out)
    _check_weights(sheet, goals, frame, for_submission, out)
    return out


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


# --- review grading -----------------------------------------------------------------------------------------------
@dataclass
class ReviewResult:
    """A review round's grade (a Grade value, None when the input has problems), the total score of a key project
    (None for ordinary projects), the problems in Chinese, and the per-point scores as rounded."""

    grade: str | None
    total: Decimal | None = None
    problems: list[str] = field(default_factory=list)
    scores: dict[str, Decimal] = field(default_factory=dict)


_GRADE_WORDS = {**{g.value: g.value for g in Grade}, **{g.label: g.value for g in Grade}}
_RANK = {Grade.EXCELLENT: 0, Grade.GOOD: 1, Grade.FAIR: 2, Grade.POOR: 3}


def _grade_value(text) -> str | None:
    return _GRADE_WORDS.get(_norm(text)) if text is not None else None


def _ordinary_grade(grades: list[str], n: int) -> str:
    def at_least(rank):
        return sum(1 for g in grades if _RANK[g] <= rank)

    worst = max(_RANK[g] for g in grades)
    if at_least(0) >= n and worst < _RANK[Grade.FAIR]:
        return Grade.EXCELLENT
    if at_least(1) >= n and worst < _RANK[Grade.POOR]:
        return Grade.GOOD
    if at_least(2) >= n:
        return Grade.FAIR
    return Grade.POOR


def point_band(review: GoalReviewParams, grade: str, weight: Decimal) -> tuple[Decimal, Decimal, bool]:
    """(lowest, highest, highest_included) score a point of `weight` may get with `grade` (key projects)."""
    bands = review.key_point_bands
    for i, band in enumerate(bands):
        if band.grade == grade:
            low = weight * band.lower / 100
            if i == 0:
                return low, weight, True
            return low, weight * bands[i - 1].lower / 100, False
    raise ValueError(grade)


def _band_text(low: Decimal, high: Decimal, inclusive: bool) -> str:
    if inclusive:
        return f"{_num(low)}至{_num(high)}分之间（含）"
    if low == 0:
        return f"低于{_num(high)}分"
    return f"不低于{_num(low)}分且低于{_num(high)}分"


def grade_review(point_grades: dict[str, str], review: GoalReviewParams, *, key: bool,
                 point_scores: dict[str, Decimal] | None = None) -> ReviewResult:
    """Grade one review round (郑州目标办法 附件2-6; RULES §3.4, checklist 16).

    Ordinary projects: 优 when at least `ordinary_min_points` points are 优 and none is 中/差; 良 when at least that
    many are 良 or better and none is 差; 中 when at least that many are 中 or better; otherwise 差.
    Key projects: each point also gets a score within its grade's band of the point weight (`key_point_bands`, 优
    [90,100]%, 良 [80,90)%...), rounded to `score_decimal_places`; the total grades by `key_total_bands`.
    Missing or unknown points, unknown grades and scores out of band are returned as problems (grade None).
    """
    points = review.points
    by_code = {p.code: p for p in points}
    problems: list[str] = []
    grades: dict[str, str] = {}
    for code in point_grades:
        if code not in by_code:
            problems.append(f"未知的审核内容“{code}”")
    for point in points:
        raw = point_grades.get(point.code)
        if raw is None or not str(raw).strip():
            problems.append(f"“{point.name}”未评定等级")
            continue
        grade = _grade_value(raw)
        if grade is None:
            problems.append(f"“{point.name}”的等级“{raw}”无效，应为优、良、中、差")
            continue
        grades[point.code] = grade
    scores: dict[str, Decimal] = {}
    total = None
    if key:
        quantum = Decimal(1).scaleb(-review.score_decimal_places)
        given = point_scores or {}
        for code in given:
            if code not in by_code:
                problems.append(f"未知的审核内容“{code}”（得分）")
        for point in points:
            raw = given.get(point.code)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                problems.append(f"“{point.name}”未打分（重点项目须逐项打分）")
                continue
            score = v.parse_number(raw)
            if score is None:
                problems.append(f"“{point.name}”的得分“{raw}”不是数值")
                continue
            score = score.quantize(quantum, rounding=ROUND_HALF_UP)
            scores[point.code] = score
            if score < 0 or score > point.weight:
                problems.append(f"“{point.name}”得分{_num(score)}，应在0至{_num(point.weight)}分之间")
                continue
            grade = grades.get(point.code)
            if grade is None:
                continue
            low, high, inclusive = point_band(review, grade, point.weight)
            if score < low or score > high or (score == high and not inclusive):
                problems.append(f"“{point.name}”评为{GRADE_LABELS[grade]}，得分应{_band_text(low, high, inclusive)}，"
                                f"当前为{_num(score)}分")
        if not problems:
            total = sum(scores.values(), Decimal(0))
    if problems:
        return ReviewResult(grade=None, total=None, problems=problems, scores=scores)
    if key:
        return ReviewResult(grade=str(review.grade_for_total(total)), total=total, scores=scores)
    ordered = [grades[p.code] for p in points]
    return ReviewResult(grade=str(_ordinary_grade(ordered, review.ordinary_min_points)))


def review_outcome(grade: str, *, previous_fair_at_level: bool) -> str:
    """The workflow outcome of a grade (郑州目标办法 第二十二条): 优 passes, 良 passes after agreed edits, 中 is
    returned — but a second 中 at the same level means it still failed to reach 良 and is blocked like 差."""
    if grade not in _RANK:
        raise ValueError(f"unknown grade {grade!r}")
    if grade == Grade.FAIR and previous_fair_at_level:
        return str(Grade.POOR)
    return str(Grade(grade))
