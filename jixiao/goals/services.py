"""Writes to goal sheets (绩效目标表). Each service takes the acting `Actor` first and keyword arguments, authorises
through `jixiao.core.permissions`, checks with `jixiao.goals.rules` (messages in Chinese, per field), writes in one
transaction with its audit row, and moves the sheet only through `jixiao.core.workflow.transition`.

Every number that decides something comes from the policy profile the sheet was created under (`profile_id`), so a
later change of the profile does not change the rules half-way through a sheet's year.

The conversions between the models and the plain `SheetData` (`sheet_data_from_model`, `rows_from_library`) live
here too, because they need the ORM (last year's sheet, spending standards, the indicator library).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from jixiao.core import audit, workflow
from jixiao.core.calendar import add_working_days
from jixiao.core.money import Money, MoneyParseError
from jixiao.core.permissions import Action, Actor, authorize, can
from jixiao.core.workflow import WorkflowError, claim_lock
from jixiao.goals import rules
from jixiao.goals.data import Finding, RowData, RowHistory, SheetData, StandardRef
from jixiao.goals.models import AllocationMethod, GoalIndicator, GoalReview, GoalSheet, SheetKind
from jixiao.goals.workflows import (
    GOAL_WORKFLOW,
    LOCKED_STATES,
    REVIEW_TRANSITIONS,
    GoalState,
    ReviewLevel,
)
from jixiao.indicators.models import Comparator, Indicator, Level1, ValueBasis
from jixiao.policy.schema import Grade, PolicyParams, ProjectCategory

G = GoalState

# SubjectKind → SheetKind. A transfer payment starts as a 明细项目 target; `goal_sheet_create(kind=...)` or a save may
# choose the whole (整体) or regional (区域) kind instead.
KIND_FOR_SUBJECT = {
    "project": SheetKind.PROJECT,
    "policy": SheetKind.POLICY,
    "department_wide": SheetKind.DEPARTMENT_WIDE,
    "unit_wide": SheetKind.UNIT_WIDE,
    "transfer_payment": SheetKind.TRANSFER_PROJECT,
}
TRANSFER_KINDS = (SheetKind.TRANSFER_WHOLE, SheetKind.TRANSFER_REGION, SheetKind.TRANSFER_PROJECT)

# The header fields a save writes (everything else on the 申报表 header comes from the subject).
HEADER_FIELDS = (
    "kind", "frame_code", "category", "allocation_method", "has_quality_standard", "overall_goal", "annual_goal",
    "duties", "main_tasks", "policy_basis", "calculation_basis", "multi_year_benefit", "survey_plan",
)
TEXT_HEADER_FIELDS = ("overall_goal", "annual_goal", "duties", "policy_basis", "calculation_basis",
                      "multi_year_benefit", "survey_plan")
# Row fields, their labels and the column limits of GoalIndicator (None: a TextField).
ROW_TEXT_FIELDS = {
    "level2": ("二级指标", 30), "name": ("三级指标", 200), "target_value": ("指标值", 200), "unit": ("计量单位", 20),
    "explanation": ("指标解释", None), "value_method": ("取值方式", 50), "data_source": ("数据来源", 100),
    "evidence_type": ("佐证材料类型", 100), "value_note": ("指标值说明", None),
}
ROW_CHOICE_FIELDS = {"level1": ("一级指标", Level1), "comparator": ("计算符号", Comparator),
                     "value_basis": ("指标值设定依据", ValueBasis)}
ROW_SNAPSHOT_FIELDS = ("position", "level1", "level2", "name", "comparator", "target_value", "unit", "weight",
                       "explanation", "value_basis", "value_method", "data_source", "evidence_type", "value_note",
                       "indicator_id", "indicator_version", "propose_to_library")
WEIGHT_LIMIT = Decimal("10000")  # GoalIndicator.weight: 6 digits, 2 decimals
MAIN_TASK_TEXT_LIMIT = 2000
SPECIAL_BOND = "special_bond"
SPECIAL_BOND_NO_ADJUSTMENT = ("专项债券项目执行中绩效目标不得调整，确需变更的按新设项目办理"
                              "（财预〔2021〕61号 第十条）")
REVIEW_GRADES_MESSAGE = "评为良、中、差时须填写审核意见"


# ---- the profile ----------------------------------------------------------------------------------------------------

def sheet_params(sheet: GoalSheet) -> PolicyParams:
    """The policy parameters the sheet was created under (the version recorded on it), else the profile in force."""
    from jixiao.policy.selectors import effective_profile, params_for_version

    if sheet.profile_id:
        try:
            return params_for_version(sheet.profile_id)
        except ObjectDoesNotExist:  # the version row is gone: fall back to the rules in force
            pass
    return effective_profile(sheet.region_id, sheet.fiscal_year.year).params


def default_frame_code(*, special_category: str, category: str, goals) -> str:
    """The frame a sheet uses when none was chosen: special bonds their own, cost-bearing categories the cost frame,
    everything else the profile's project frame."""
    if special_category == SPECIAL_BOND:
        return goals.special_bond_frame
    if category and category in goals.cost_required_categories:
        return goals.project_cost_frame
    return goals.project_frame


def _due(days: int | None):
    return add_working_days(timezone.localdate(), days) if days is not None else None


# ---- snapshots and audit --------------------------------------------------------------------------------------------

def _row_snapshot(row: GoalIndicator) -> dict:
    return {name: audit.to_jsonable(getattr(row, name)) for name in ROW_SNAPSHOT_FIELDS}


def header_snapshot(sheet: GoalSheet) -> dict:
    data = {name: audit.to_jsonable(getattr(sheet, name)) for name in HEADER_FIELDS}
    data["is_key"] = sheet.is_key
    return data


def sheet_snapshot(sheet: GoalSheet) -> dict:
    """What a frozen version (批复) keeps: the header, the subject's amounts and every row, JSON-safe."""
    subject = sheet.subject
    data = header_snapshot(sheet)
    data.update({
        "revision": sheet.revision, "budget_adjustment_ref": sheet.budget_adjustment_ref,
        "subject_code": subject.code, "subject_name": subject.name,
        "annual_amount": subject.current_amount.to_json(), "total_amount": subject.total_amount.to_json(),
        "rows": [_row_snapshot(r) for r in sheet.indicators.order_by("position", "id")],
    })
    return data


def _compact(rows) -> list[list]:
    """Rows as short lists for the audit trail: 序号, 一级, 二级, 名称, 符号, 指标值, 单位, 权重."""
    out = []
    for r in rows:
        get = r.get if isinstance(r, dict) else (lambda name, r=r: getattr(r, name))
        weight = get("weight")
        out.append([get("position"), get("level1"), get("level2"), get("name"), get("comparator"),
                    get("target_value"), get("unit"), None if weight is None else str(weight)])
    return out


# ---- create ---------------------------------------------------------------------------------------------------------

def goal_sheet_create(*, actor: Actor, subject, kind: str | None = None) -> GoalSheet:
    """Open the goal sheet of a subject (one per subject): kind from the subject, frame and key-project flag from the
    profile in force (whose version is recorded), organisation columns from the subject. No rows yet. Authorised by
    CREATE on the subject."""
    from jixiao.policy.selectors import effective_profile

    authorize(actor, Action.CREATE, subject)
    if GoalSheet.objects.filter(subject_id=subject.pk).exists():
        raise ValidationError({"subject": [f"项目“{subject.name}”已有绩效目标表，每个项目只能编制一张"]})
    sheet_kind = KIND_FOR_SUBJECT.get(subject.kind, SheetKind.PROJECT)
    if kind:
        if sheet_kind == SheetKind.TRANSFER_PROJECT and kind in TRANSFER_KINDS:
            sheet_kind = SheetKind(kind)
        elif kind != sheet_kind:
            raise ValidationError({"kind": [f"“{subject.get_kind_display()}”不能编制“{_kind_label(kind)}”"]})
    profile = effective_profile(subject.region_id, subject.fiscal_year.year)
    params = profile.params
    threshold = params.goal_review.money("key_project_amount_yuan")
    sheet = GoalSheet(
        subject=subject, fiscal_year_id=subject.fiscal_year_id, region_id=subject.region_id,
        department_id=subject.department_id, unit_id=subject.unit_id, profile_id=profile.profile_id, kind=sheet_kind,
        frame_code=default_frame_code(special_category=subject.special_category, category="", goals=params.goals),
        is_key=threshold is not None and not (subject.current_amount < threshold),
        state=GOAL_WORKFLOW.initial, created_by=actor.user,
    )
    try:
        with transaction.atomic():
            sheet.save()
            audit.record(actor=actor, action="create", obj=sheet,
                         after={**header_snapshot(sheet), "subject_id": subject.pk, "profile_id": sheet.profile_id})
    except IntegrityError:  # somebody opened it at the same moment
        raise ValidationError({"subject": [f"项目“{subject.name}”已有绩效目标表，每个项目只能编制一张"]}) from None
    return sheet


def _kind_label(kind: str) -> str:
    return dict(SheetKind.choices).get(kind, kind)


# ---- save -----------------------------------------------------------------------------------------------------------

def _refuse_unless_editable(sheet: GoalSheet) -> None:
    if sheet.state in GOAL_WORKFLOW.editable_states:
        return
    label = sheet.get_state_display()
    if sheet.state in LOCKED_STATES:
        raise WorkflowError(f"当前状态为“{label}”，不能修改：已批复的目标须申请调整（关联预算调整或调剂）")
    if sheet.state in (G.SUBMITTED, G.DEPARTMENT_PASSED):
        raise WorkflowError(f"当前状态为“{label}”，不能修改；如需修改请先撤回或等待审核意见")
    if sheet.state == G.REJECTED:
        raise WorkflowError(f"当前状态为“{label}”，须先“重新编制”才能修改")
    raise WorkflowError(f"当前状态为“{label}”，不能修改；已批复的目标须申请调整")


def check_editable(*, actor: Actor, sheet: GoalSheet) -> None:
    """Raise unless the actor may edit the sheet now: 404 outside reach, WorkflowError in a locked state, 403
    without the right."""
    authorize(actor, Action.VIEW, sheet)
    _refuse_unless_editable(sheet)
    authorize(actor, Action.EDIT, sheet)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _clean_weight(row: RowData, errors: dict) -> Decimal | None:
    value = row.weight
    if value is None or value == "":
        return None
    try:
        weight = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[f"rows.{row.row}.weight"] = [f"第{row.row}行权重“{value}”不是有效数字"]
        return None
    if not weight.is_finite() or abs(weight) >= WEIGHT_LIMIT:
        errors[f"rows.{row.row}.weight"] = [f"第{row.row}行权重“{value}”超出允许范围"]
        return None
    if weight != weight.quantize(Decimal("0.01")):
        errors[f"rows.{row.row}.weight"] = [f"第{row.row}行权重最多保留两位小数"]
        return None
    return weight.quantize(Decimal("0.01"))  # as stored, so that an unchanged row compares equal


def _clean_rows(rows: list[RowData], errors: dict) -> list[dict]:
    """Model values of the rows (text stripped, choices and lengths checked). Unreadable choices may stay blank: a
    draft may be saved incomplete, and the rules report what is missing."""
    out = []
    for position, row in enumerate(rows, start=1):
        values = {"position": position, "row": row.row}
        for name, (label, limit) in ROW_TEXT_FIELDS.items():
            value = _text(getattr(row, name))
            if limit and len(value) > limit:
                errors[f"rows.{row.row}.{name}"] = [f"第{row.row}行{label}不能超过{limit}个字（现有{len(value)}个）"]
            values[name] = value
        for name, (label, choices) in ROW_CHOICE_FIELDS.items():
            value = _text(getattr(row, name))
            if value and value not in choices.values:
                errors[f"rows.{row.row}.{name}"] = [f"第{row.row}行{label}“{value}”无效，应为："
                                                    + "、".join(str(c) for c in choices.labels)]
            values[name] = value
        values["weight"] = _clean_weight(row, errors)
        values["indicator_id"] = row.indicator_id or None
        values["propose"] = bool(getattr(row, "propose_to_library", False))
        out.append(values)
    return out


def _clean_main_tasks(tasks: list[dict], errors: dict) -> list[dict]:
    out = []
    for i, task in enumerate(tasks or [], start=1):
        if not isinstance(task, dict):
            errors["main_tasks"] = [f"第{i}项主要任务格式有误"]
            continue
        name, content = _text(task.get("name")), _text(task.get("content"))
        amount = task.get("amount")
        if amount not in (None, "") and not isinstance(amount, Money):
            try:
                amount = Money.parse(amount)
            except MoneyParseError as exc:
                errors["main_tasks"] = [f"第{i}项主要任务金额：{exc}"]
                amount = None
        if len(name) > 200 or len(content) > MAIN_TASK_TEXT_LIMIT:
            errors["main_tasks"] = [f"第{i}项主要任务内容过长"]
        if not (name or content or amount):
            continue
        out.append({"name": name, "content": content,
                    "amount": amount.to_json() if isinstance(amount, Money) else None})
    return out


def _clean_header(sheet: GoalSheet, data: SheetData, params: PolicyParams, errors: dict) -> dict:
    values = {name: _text(getattr(data, name)) for name in TEXT_HEADER_FIELDS}
    # The kind follows the subject; only a transfer payment chooses among the three transfer kinds.
    values["kind"] = data.kind if sheet.kind in TRANSFER_KINDS and data.kind in TRANSFER_KINDS else sheet.kind
    category = _text(data.category)
    if category and category not in ProjectCategory.values:
        errors["category"] = [f"项目类别“{category}”无效"]
    values["category"] = category
    allocation = _text(data.allocation_method)
    if allocation and allocation not in AllocationMethod.values:
        errors["allocation_method"] = [f"分配方式“{allocation}”无效，应为：因素法、项目法、其他"]
    values["allocation_method"] = allocation
    values["has_quality_standard"] = bool(data.has_quality_standard)
    frame = _text(data.frame_code)
    codes = [f.code for f in params.goals.frames]
    if frame and frame not in codes:
        errors["frame_code"] = [f"指标框架“{frame}”不在本地区政策配置中，应为：" + "、".join(codes)]
    values["frame_code"] = frame or default_frame_code(
        special_category=sheet.subject.special_category, category=category, goals=params.goals)
    values["main_tasks"] = _clean_main_tasks(data.main_tasks, errors)
    return values


def approved_version_data(sheet: GoalSheet) -> dict | None:
    """The frozen data of the latest approved revision before the current one (None before the first approval)."""
    version = workflow.versions_for(sheet).filter(revision__lt=sheet.revision).order_by("-revision").first()
    return version.data if version is not None else None


def _row_key_maps(rows: Iterable[dict]) -> tuple[dict, dict]:
    by_indicator, by_name = {}, {}
    for r in rows:
        if r.get("indicator_id"):
            by_indicator.setdefault(r["indicator_id"], r)
        by_name.setdefault((r.get("level1") or "", _text(r.get("name"))), r)
    return by_indicator, by_name


def _match(row: dict, by_indicator: dict, by_name: dict) -> dict | None:
    if row.get("indicator_id") and row["indicator_id"] in by_indicator:
        return by_indicator[row["indicator_id"]]
    return by_name.get((row.get("level1") or "", _text(row.get("name"))))


def _weight_lock_errors(sheet: GoalSheet, rows: list[dict], params: PolicyParams) -> dict:
    """In an adjustment (revision > 1), the weights of rows that were approved may not change (101号 三(六))."""
    if sheet.revision <= 1 or not params.goals.weights_locked_after_approval:
        return {}
    approved = approved_version_data(sheet)
    if not approved:
        return {}
    by_indicator, by_name = _row_key_maps(approved.get("rows", []))
    errors = {}
    for row in rows:
        old = _match(row, by_indicator, by_name)
        if old is None:
            continue
        old_weight = None if old.get("weight") in (None, "") else Decimal(str(old["weight"]))
        if old_weight != row["weight"]:
            shown = "未设" if old_weight is None else f"{old_weight.normalize():f}分"
            errors[f"rows.{row['row']}.weight"] = [
                f"第{row['row']}行“{row['name']}”：批复后指标权重不得调整（批复时为{shown}）"]
    return errors


def _propose(*, actor: Actor, sheet: GoalSheet, row: dict) -> tuple[int | None, str]:
    """Propose a row's indicator into the library (a draft the curators approve). Returns (indicator id, problem)."""
    from jixiao.indicators.services import indicator_propose

    data = {"name": row["name"][:100], "level1": row["level1"], "level2": row["level2"], "unit": row["unit"],
            "comparator": row["comparator"] or Comparator.GE, "explanation": row["explanation"],
            "value_basis": row["value_basis"], "data_source": row["data_source"],
            "evidence_type": row["evidence_type"]}
    try:
        ind = indicator_propose(actor=actor, data=data, department_id=sheet.department_id,
                                comment=f"来自绩效目标表：{sheet.subject.name}"[:200])
    except ValidationError as exc:
        messages = exc.messages if hasattr(exc, "messages") else [str(exc)]
        return None, "；".join(messages)
    except PermissionDenied as exc:
        return None, str(exc) or "没有提议新增指标的权限"
    return ind.pk, ""


def _usable_indicators(actor: Actor, sheet: GoalSheet, ids: set[int]) -> dict[int, int]:
    """{id: current version} of the library indicators a row may refer to: those the actor may read, and those the
    sheet already uses (an indicator retired since stays on the sheet)."""
    from jixiao.indicators.selectors import library_access

    if not ids:
        return {}
    on_sheet = set(sheet.indicators.filter(indicator_id__in=sorted(ids)).values_list("indicator_id", flat=True))
    readable = Q(pk__in=sorted(on_sheet)) | library_access(actor).q()
    return dict(Indicator.objects.filter(readable, pk__in=sorted(ids)).values_list("pk", "current_version"))


def goal_sheet_save(*, actor: Actor, sheet: GoalSheet, data: SheetData, expected_lock_version: int,
                    propose_rows: Iterable[int] = ()) -> list[Finding]:
    """Replace the header and all rows of an editable sheet in one transaction, guarded by `expected_lock_version`
    (ConcurrentEditError when somebody saved in between). Runs the checks (`for_submission=False`) and returns the
    findings, each naming the caller's row number; errors do not stop a draft from being saved.

    In an adjustment the weights of approved rows are locked (profile: `goals.weights_locked_after_approval`).
    Library indicators newly used count as uses; rows marked `propose_to_library` (or listed in `propose_rows`, by
    RowData.row) are proposed into the library once, and linked to the proposal."""
    check_editable(actor=actor, sheet=sheet)
    params = sheet_params(sheet)
    errors: dict[str, list[str]] = {}
    header = _clean_header(sheet, data, params, errors)
    rows = _clean_rows(list(data.rows), errors)
    propose_set = set(propose_rows)
    for r in rows:
        r["propose"] = r["propose"] or r["row"] in propose_set
    versions = _usable_indicators(actor, sheet, {r["indicator_id"] for r in rows if r["indicator_id"]})
    for r in rows:
        if r["indicator_id"] and r["indicator_id"] not in versions:
            errors[f"rows.{r['row']}.indicator_id"] = [f"第{r['row']}行引用的库内指标不存在或无权使用"]
    if errors:
        raise ValidationError(errors)
    lock_errors = _weight_lock_errors(sheet, rows, params)
    if lock_errors:
        raise ValidationError(lock_errors)

    old_rows = list(sheet.indicators.order_by("position", "id"))
    before_header = header_snapshot(sheet)
    old_versions = {r.indicator_id: r.indicator_version for r in old_rows if r.indicator_id}
    proposed_before = {(r.level1, r.name): r.indicator_id for r in old_rows
                       if r.propose_to_library and r.indicator_id}
    extra_findings: list[Finding] = []
    original = {name: getattr(sheet, name) for name in (*header, "lock_version")}
    try:
        with transaction.atomic():
            claim_lock(sheet, expected_lock_version)
            for name, value in header.items():
                setattr(sheet, name, value)
            sheet.save(update_fields=[*header, "lock_version", "updated_at"])
            new_rows = []
            for r in rows:
                indicator_id = r["indicator_id"]
                if r["propose"] and not indicator_id:
                    indicator_id = proposed_before.get((r["level1"], r["name"]))
                    if indicator_id is None:
                        indicator_id, problem = _propose(actor=actor, sheet=sheet, row=r)
                        if problem:
                            extra_findings.append(Finding("warning", "G-propose", f"未能提议纳入指标库：{problem}",
                                                          "指标库管理", r["row"], "三级指标"))
                        else:
                            versions[indicator_id] = 1
                version = None
                if indicator_id:
                    version = old_versions.get(indicator_id) or versions.get(indicator_id)
                new_rows.append(GoalIndicator(
                    sheet=sheet, position=r["position"], level1=r["level1"], level2=r["level2"], name=r["name"],
                    comparator=r["comparator"], target_value=r["target_value"], unit=r["unit"], weight=r["weight"],
                    explanation=r["explanation"], value_basis=r["value_basis"], value_method=r["value_method"],
                    data_source=r["data_source"], evidence_type=r["evidence_type"], value_note=r["value_note"],
                    indicator_id=indicator_id, indicator_version=version,
                    propose_to_library=r["propose"] or (r["indicator_id"] is None and indicator_id is not None),
                ))
            sheet.indicators.all().delete()
            GoalIndicator.objects.bulk_create(new_rows)
            _count_usage(old_rows, new_rows)
            after_header = header_snapshot(sheet)
            before = {k: v for k, v in before_header.items() if after_header.get(k) != v}
            after = {k: after_header[k] for k in before}
            old_compact, new_compact = _compact(old_rows), _compact(new_rows)
            if old_compact != new_compact:
                before["rows"], after["rows"] = old_compact, new_compact
            audit.record(actor=actor, action="update", obj=sheet, before=before, after=after,
                         comment=f"保存绩效目标（{len(new_rows)}项指标）")
    except Exception:
        # Nothing was written: give the caller its object back as it was.
        for name, value in original.items():
            setattr(sheet, name, value)
        raise
    checked = sheet_data_from_model(sheet, rows=new_rows)
    for row, r in zip(checked.rows, rows, strict=True):
        row.row = r["row"]
    return rules.check_sheet(checked, params.goals, for_submission=False) + extra_findings


def _count_usage(old_rows: list[GoalIndicator], new_rows: list[GoalIndicator]) -> None:
    from jixiao.indicators.services import indicator_usage_add

    old = {r.indicator_id for r in old_rows if r.indicator_id}
    new = {r.indicator_id for r in new_rows if r.indicator_id}
    indicator_usage_add(indicator_ids=new - old, delta=1)
    indicator_usage_add(indicator_ids=old - new, delta=-1)


def goal_sheet_check(*, sheet: GoalSheet) -> list[Finding]:
    """The submission checks on the sheet as stored (rows numbered by position)."""
    params = sheet_params(sheet)
    return rules.check_sheet(sheet_data_from_model(sheet), params.goals, for_submission=True)


# ---- transitions ----------------------------------------------------------------------------------------------------

REVIEW_TRANSITION_NAMES = frozenset(n for level in REVIEW_TRANSITIONS.values() for n in level.values())
CHECKED_TRANSITIONS = frozenset({"submit", "confirm_edits"})


def _after_transition(sheet: GoalSheet, name: str, from_state: str, params: PolicyParams, **extra) -> None:
    """Deadlines and review bookkeeping after a transition (same transaction)."""
    fields = set(extra)
    for key, value in extra.items():
        setattr(sheet, key, value)
    if name == "submit":
        sheet.submitted_at = timezone.now()
        sheet.review_round += 1
        sheet.resubmit_due = None
        fields |= {"submitted_at", "review_round", "resubmit_due"}
    if sheet.state != from_state and sheet.state in (G.SUBMITTED, G.DEPARTMENT_PASSED):
        sheet.review_level = ReviewLevel.DEPARTMENT if sheet.state == G.SUBMITTED else ReviewLevel.FINANCE
        sheet.review_due = _due(params.goal_review.review_working_days)
        fields |= {"review_level", "review_due"}
    if name == "start_adjustment":
        sheet.review_level, sheet.review_due, sheet.resubmit_due = "", None, None
        fields |= {"review_level", "review_due", "resubmit_due"}
    if fields:
        sheet.save(update_fields=[*sorted(fields), "updated_at"])


def goal_sheet_transition(*, actor: Actor, sheet: GoalSheet, name: str, comment: str = "",
                          expected_lock_version: int | None = None, budget_adjustment_ref: str = "") -> GoalSheet:
    """Fire workflow transition `name` (submit, withdraw, confirm_edits, rework, approve, issue, start_adjustment).

    Review transitions go through `goal_sheet_review` (they need the review form). Submission and confirming the
    agreed edits refuse a sheet with any error finding. `start_adjustment` needs the 预算调整/调剂 document number it
    is tied to, and is refused for special bonds where the profile forbids their adjustment."""
    t = GOAL_WORKFLOW.get(name)
    if name in REVIEW_TRANSITION_NAMES:
        raise WorkflowError("审核须填写审核表评定等级（优、良、中、差），不能直接流转")
    params = None
    extra: dict = {}
    if sheet.state in t.sources and can(actor, t.action, sheet):
        params = sheet_params(sheet)
        if name in CHECKED_TRANSITIONS:
            problems = [f for f in rules.check_sheet(sheet_data_from_model(sheet), params.goals, for_submission=True)
                        if f.severity == "error"]
            if problems:
                raise ValidationError([f"不能{t.label}：{p}" for p in problems])
        if name == "start_adjustment":
            if sheet.subject.special_category == SPECIAL_BOND and params.goals.special_bond_no_adjustment:
                raise WorkflowError(SPECIAL_BOND_NO_ADJUSTMENT)
            ref = _text(budget_adjustment_ref)
            if not ref:
                raise ValidationError({"budget_adjustment_ref": [
                    "调整绩效目标须关联预算调整（调剂）事项，请填写预算调整（调剂）文号"]})
            if len(ref) > GoalSheet._meta.get_field("budget_adjustment_ref").max_length:
                raise ValidationError({"budget_adjustment_ref": ["预算调整（调剂）文号过长"]})
            extra["budget_adjustment_ref"] = ref
            comment = f"{comment.strip()}（关联预算调整：{ref}）" if comment.strip() else comment
    from_state = sheet.state
    with transaction.atomic():
        workflow.transition(actor=actor, obj=sheet, name=name, comment=comment,
                            expected_lock_version=expected_lock_version)
        _after_transition(sheet, name, from_state, params or sheet_params(sheet), **extra)
    return sheet


def goal_adjustment_open(*, actor: Actor, sheet: GoalSheet, budget_adjustment_ref: str, comment: str) -> GoalSheet:
    """Open the goal adjustment that a budget decision of the bureau demands (a monitoring disposition
    “调减预算并同步调整绩效目标”): the same checks as `start_adjustment`, fired by the approver (Action.APPROVE) on
    the unit's behalf."""
    params = sheet_params(sheet)
    if sheet.subject.special_category == SPECIAL_BOND and params.goals.special_bond_no_adjustment:
        raise WorkflowError(SPECIAL_BOND_NO_ADJUSTMENT)
    ref = _text(budget_adjustment_ref)
    if not ref:
        raise ValidationError({"budget_adjustment_ref": [
            "调整绩效目标须关联预算调整（调剂）事项，请填写预算调整（调剂）文号"]})
    from_state = sheet.state
    with transaction.atomic():
        workflow.transition(actor=actor, obj=sheet, name="start_adjustment", acting_as=Action.APPROVE,
                            comment=f"{comment.strip()}（关联预算调整：{ref}）")
        _after_transition(sheet, "start_adjustment", from_state, params, budget_adjustment_ref=ref)
    return sheet


def goal_sheet_approve_many(*, actor: Actor, sheets: Iterable[GoalSheet], comment: str = "") -> int:
    """批复 with the budget: approve every sheet that has passed review (others are skipped). All or nothing: a sheet
    the actor may not approve refuses the whole batch. Returns how many were approved."""
    count, seen = 0, set()
    with transaction.atomic():
        for sheet in sheets:
            if sheet.state != G.PASSED or sheet.pk in seen:
                continue
            seen.add(sheet.pk)
            workflow.transition(actor=actor, obj=sheet, name="approve", comment=comment)
            count += 1
    return count


def goal_sheet_issue(*, actor: Actor, sheet: GoalSheet, comment: str = "",
                     expected_lock_version: int | None = None) -> GoalSheet:
    """The department passes the approved goals down to its unit (下达)."""
    return goal_sheet_transition(actor=actor, sheet=sheet, name="issue", comment=comment,
                                 expected_lock_version=expected_lock_version)


# ---- review ---------------------------------------------------------------------------------------------------------

_GRADE_WORDS = {**{g.value: g.value for g in Grade}, **{g.label: g.value for g in Grade}}
LEVEL_FOR_STATE = {G.SUBMITTED: ReviewLevel.DEPARTMENT, G.DEPARTMENT_PASSED: ReviewLevel.FINANCE}


def _json_scores(scores: dict | None) -> dict:
    return {str(k): (None if v is None else str(v)) for k, v in (scores or {}).items()}


def goal_sheet_review(*, actor: Actor, sheet: GoalSheet, point_grades: dict[str, str],
                      point_scores: dict[str, Decimal] | None = None, point_comments: dict[str, str] | None = None,
                      comment: str = "", is_key: bool | None = None,
                      expected_lock_version: int | None = None) -> GoalReview:
    """One review round at the sheet's current level (submitted → the department; department_passed → the bureau):
    grade the review points (key projects also score them), derive the grade and the outcome (a second 中 at the same
    level in the same revision blocks), keep the round and fire the matching transition in one transaction.

    `is_key` overrides the sheet's key-project flag (the reviewer decides when the profile sets no amount)."""
    level = LEVEL_FOR_STATE.get(sheet.state)
    names = REVIEW_TRANSITIONS[level] if level else None
    if names is None:
        authorize(actor, Action.VIEW, sheet)
        raise WorkflowError(f"当前状态为“{sheet.get_state_display()}”，不在审核环节")
    authorize(actor, GOAL_WORKFLOW.get(names["excellent"]).action, sheet)
    params = sheet_params(sheet)
    key = sheet.is_key if is_key is None else bool(is_key)
    result = rules.grade_review(dict(point_grades or {}), params.goal_review, key=key, point_scores=point_scores)
    if result.problems:
        raise ValidationError({"point_grades": [str(p) for p in result.problems]})
    # "A second 中 blocks": the last round at this level in this revision returned the sheet as 中.
    last_outcome = (GoalReview.objects.filter(sheet=sheet, revision=sheet.revision, level=level)
                    .order_by("-at", "-id").values_list("outcome", flat=True).first())
    previous_fair = last_outcome == Grade.FAIR
    outcome = rules.review_outcome(result.grade, previous_fair_at_level=previous_fair)
    name = names[outcome]
    comment = _text(comment)
    if outcome != Grade.EXCELLENT and not comment:
        raise ValidationError({"comment": [REVIEW_GRADES_MESSAGE]})
    resubmit_due = _due(params.goal_review.fair_resubmit_working_days) if outcome == Grade.FAIR else None
    codes = {p.code for p in params.goal_review.points}
    comments = {k: _text(v) for k, v in (point_comments or {}).items() if k in codes and _text(v)}
    from_state = sheet.state
    grade_label = Grade(result.grade).label
    with transaction.atomic():
        workflow.transition(actor=actor, obj=sheet, name=name, comment=comment or f"审核等级：{grade_label}",
                            expected_lock_version=expected_lock_version)
        review = GoalReview.objects.create(
            sheet=sheet, revision=sheet.revision, round=max(sheet.review_round, 1), level=level,
            mode=GoalReview.Mode.KEY if key else GoalReview.Mode.ORDINARY, reviewer=actor.user,
            point_grades={k: _GRADE_WORDS.get(str(v).strip(), str(v)) for k, v in (point_grades or {}).items()},
            point_scores=_json_scores(result.scores if key else None), point_comments=comments,
            total_score=result.total, grade=result.grade, outcome=outcome, comment=comment,
            resubmit_due=resubmit_due, profile_id=sheet.profile_id,
        )
        _after_transition(sheet, name, from_state, params, last_grade=result.grade, resubmit_due=resubmit_due,
                          is_key=key)
        audit.record(actor=actor, action="create", obj=review, region_id=sheet.region_id,
                     object_repr=f"{sheet} 第{review.round}轮{review.get_level_display()}",
                     after={"grade": result.grade, "outcome": outcome, "total": audit.to_jsonable(result.total),
                            "point_grades": review.point_grades})
    return review


# ---- model ↔ SheetData ---------------------------------------------------------------------------------------------

def indicator_actuals(goal_indicator_ids: Iterable[int]) -> dict[int, str]:
    """Hook: the year-end actual value (实际完成值, as written) of goal-sheet rows, by GoalIndicator id.

    Nothing records actuals yet; the self-evaluation (单位自评) work fills this in, and the history beside each row
    (RowHistory.last_year_actual / year_before_actual) and the "target below last year's actual" check then work
    without other changes."""
    return {}


def _history(sheet: GoalSheet, rows: list[GoalIndicator]) -> dict[int, RowHistory]:
    """History per row position: the same subject code's sheets of the two previous years, rows matched by library
    indicator, else by name."""
    year = sheet.fiscal_year.year
    earlier = list(GoalSheet.objects.filter(region_id=sheet.region_id, subject__code=sheet.subject.code,
                                            fiscal_year__year__in=[year - 1, year - 2])
                   .values_list("pk", "fiscal_year__year"))
    if not earlier or not rows:
        return {}
    year_of = dict(earlier)
    old_rows = list(GoalIndicator.objects.filter(sheet_id__in=list(year_of))
                    .only("pk", "sheet_id", "indicator_id", "name", "target_value"))
    actuals = indicator_actuals([r.pk for r in old_rows])
    maps = {}
    for y in (year - 1, year - 2):
        mine = [r for r in old_rows if year_of[r.sheet_id] == y]
        maps[y] = ({r.indicator_id: r for r in mine if r.indicator_id}, {_text(r.name): r for r in mine})

    def find(row, y):
        by_ind, by_name = maps[y]
        return (by_ind.get(row.indicator_id) if row.indicator_id else None) or by_name.get(_text(row.name))

    out = {}
    for row in rows:
        last, before = find(row, year - 1), find(row, year - 2)
        if last is None and before is None:
            continue
        out[row.position] = RowHistory(
            last_year_target=last.target_value if last else "",
            last_year_actual=actuals.get(last.pk, "") if last else "",
            year_before_actual=actuals.get(before.pk, "") if before else "")
    return out


def is_cost_row(level1: str, level2: str) -> bool:
    """A cost indicator: 一级 成本 (101号), or the 成本指标 under 产出 (10号)."""
    return level1 == Level1.COST or "成本" in (level2 or "")


def _standards(sheet: GoalSheet, rows: list[GoalIndicator]) -> dict[int, StandardRef]:
    """The spending standard for each cost row whose name matches one (`jixiao.costs`: the region's, its parents' and
    the national active standards of the year, nearest first; one query for the whole sheet)."""
    from jixiao.costs import rules as cost_rules
    from jixiao.costs.selectors import standards_for

    cost_rows = [r for r in rows if is_cost_row(r.level1, r.level2) and r.name]
    if not cost_rows:
        return {}
    standards = standards_for(sheet.region, sheet.fiscal_year.year)
    out = {}
    for row in cost_rows:
        for std in standards:
            if cost_rules.matches(row.name, standard_name=std.name, keywords=std.keywords):
                out[row.position] = StandardRef(name=std.name, amount=std.amount, output_unit=std.output_unit,
                                                source=std.source)
                break
    return out


def _money_or_none(value) -> Money | None:
    if value in (None, ""):
        return None
    try:
        return Money.from_yuan(value)
    except MoneyParseError:
        return None


def sheet_data_from_model(sheet: GoalSheet, *, rows: list[GoalIndicator] | None = None) -> SheetData:
    """The sheet as plain values for the rules, the Excel writer and the screens: header from the sheet and its
    subject, rows by position (row = position), each with its history and applicable spending standard."""
    subject = sheet.subject
    if rows is None:
        rows = list(sheet.indicators.order_by("position", "id"))
    history = _history(sheet, rows)
    standards = _standards(sheet, rows)
    subject_type = subject.get_project_category_display() if subject.project_category else subject.get_kind_display()
    return SheetData(
        kind=sheet.kind, frame_code=sheet.frame_code, subject_code=subject.code, subject_name=subject.name,
        department_name=sheet.department.name if sheet.department_id else "",
        unit_name=sheet.unit.name if sheet.unit_id else "", fiscal_year=sheet.fiscal_year.year,
        start_date=subject.start_date, end_date=subject.end_date, subject_type=subject_type, is_new=subject.is_new,
        allocation_method=sheet.allocation_method, special_category=subject.special_category,
        category=sheet.category, has_quality_standard=sheet.has_quality_standard, is_key=sheet.is_key,
        total_amount=subject.total_amount, annual_amount=subject.current_amount, policy_basis=sheet.policy_basis,
        calculation_basis=sheet.calculation_basis, overall_goal=sheet.overall_goal, annual_goal=sheet.annual_goal,
        duties=sheet.duties,
        main_tasks=[{"name": t.get("name", ""), "content": t.get("content", ""),
                     "amount": _money_or_none(t.get("amount"))} for t in (sheet.main_tasks or [])],
        multi_year_benefit=sheet.multi_year_benefit, survey_plan=sheet.survey_plan,
        rows=[RowData(
            row=r.position, level1=r.level1, level2=r.level2, name=r.name, comparator=r.comparator,
            target_value=r.target_value, unit=r.unit, weight=r.weight, explanation=r.explanation,
            value_basis=r.value_basis, value_method=r.value_method, data_source=r.data_source,
            evidence_type=r.evidence_type, value_note=r.value_note, indicator_id=r.indicator_id,
            history=history.get(r.position), standard=standards.get(r.position),
        ) for r in rows],
    )


def rows_from_library(indicator_ids: Iterable[int]) -> list[RowData]:
    """New rows from library indicators, in the order given (unknown ids are skipped); target and weight blank."""
    ids = [int(i) for i in indicator_ids]
    found = Indicator.objects.in_bulk(ids)
    out = []
    for pk in ids:
        ind = found.get(pk)
        if ind is None:
            continue
        out.append(RowData(
            row=len(out) + 1, level1=ind.level1, level2=ind.level2, name=ind.name, comparator=ind.comparator,
            unit=ind.unit, explanation=ind.explanation, value_basis=ind.value_basis, data_source=ind.data_source,
            evidence_type=ind.evidence_type, indicator_id=ind.pk))
    return out

