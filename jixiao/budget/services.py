"""Writes to the project library. Each service takes the acting `Actor` and keyword arguments, authorises through
`jixiao.core.permissions`, validates with `jixiao.budget.rules` (messages in Chinese, per field), writes in one
transaction and records an audit row with before and after in the same transaction.

Imports from the integrated budget system live in `jixiao.budget.imports`.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from jixiao.budget import hooks, rules
from jixiao.budget.models import PerformanceSubject
from jixiao.budget.workflows import SNAPSHOT_NOISE, SUBJECT_WORKFLOW, SubjectState
from jixiao.core import audit, workflow
from jixiao.core.money import Money
from jixiao.core.permissions import Action, Actor, authorize, can
from jixiao.core.workflow import WorkflowError, claim_lock

# The fields a user (form, API) may set. Region follows the department; state, lock_version and revision belong to
# the workflow.
EDITABLE_FIELDS = (
    "fiscal_year", "code", "name", "kind", "project_category", "budget_kind", "special_category", "department",
    "unit", "is_new", "start_date", "end_date", "functional_class", "functional_class_name", "sector", "description",
    "annual_amount", "total_amount", "adjusted_amount", "is_classified", "classified_reason", "classified_filed_at",
    "is_research", "scope_kind", "government_investment",
)
MONEY_FIELDS = ("annual_amount", "total_amount", "adjusted_amount", "government_investment")
TEXT_FIELDS = ("code", "name", "functional_class", "functional_class_name", "sector", "description",
               "classified_reason", "project_category", "special_category", "scope_kind")


def audit_data(subject: PerformanceSubject) -> dict:
    """The audited values of a subject (amounts as yuan strings, foreign keys as ids)."""
    return {k: v for k, v in audit.snapshot(subject).items() if k not in SNAPSHOT_NOISE}


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def apply_values(subject: PerformanceSubject, data: dict) -> None:
    """Copy the editable values of `data` onto `subject`, normalised: text stripped, region from the department,
    a blank or zero total taken as the annual amount, the 备案 fields cleared on a non-classified subject and the
    filing date defaulting to today."""
    for name in EDITABLE_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name in TEXT_FIELDS:
            value = (value or "").strip()
        setattr(subject, name, value)
    for name in MONEY_FIELDS:
        # MoneyField(default=0) leaves a bare int 0 on an unsaved instance: make it Money like a loaded one.
        value = getattr(subject, name)
        if value is not None and not isinstance(value, Money):
            setattr(subject, name, PerformanceSubject._meta.get_field(name).to_python(value))
    if "is_new" in data and (not data.get("scope_kind")) and subject.scope_kind in ("new", "continuing", ""):
        subject.scope_kind = "new" if subject.is_new else "continuing"  # files without 立项性质 follow 新增/延续
    if subject.department_id:
        subject.region_id = subject.department.region_id
    if subject.total_amount is None or (subject.total_amount.fen == 0 and subject.annual_amount is not None):
        subject.total_amount = subject.annual_amount  # a total not filled in (blank or 0) is the year's amount
    if not subject.is_classified:
        subject.classified_reason = ""
        subject.classified_filed_at = None
    elif subject.classified_filed_at is None:
        subject.classified_filed_at = timezone.localdate()


def rule_values(subject: PerformanceSubject) -> dict:
    values = {name: getattr(subject, name, None) for name in EDITABLE_FIELDS if name not in ("department", "unit")}
    values["department_id"] = subject.department_id
    values["unit_id"] = subject.unit_id
    values["unit_department_id"] = subject.unit.department_id if subject.unit_id else None
    return values


def validate(subject: PerformanceSubject) -> None:
    """Raise ValidationError({field: [messages]}) unless the subject is valid, including the organisation checks and
    the code being unique in its region and year."""
    errors = rules.validate_subject(rule_values(subject))
    if subject.department_id and not subject.department.is_active:
        errors.setdefault("department", []).append("该主管部门已停用")
    if subject.unit_id and not subject.unit.is_active:
        errors.setdefault("unit", []).append("该预算单位已停用")
    if subject.fiscal_year_id is None:
        errors.setdefault("fiscal_year", []).append("请选择预算年度")
    if "code" not in errors and subject.region_id and subject.fiscal_year_id:
        clash = PerformanceSubject.objects.filter(region_id=subject.region_id, fiscal_year_id=subject.fiscal_year_id,
                                                  code=subject.code).exclude(pk=subject.pk)
        if clash.exists():
            errors.setdefault("code", []).append(
                f"{subject.fiscal_year.year}年本区划已存在项目编码“{subject.code}”，项目编码不能重复")
    if errors:
        raise ValidationError(errors)


def _save(subject: PerformanceSubject) -> None:
    # The unique constraint is the last word when two people create the same code at the same moment.
    try:
        with transaction.atomic():
            subject.save()
    except IntegrityError:
        raise ValidationError({"code": [f"本区划该年度已存在项目编码“{subject.code}”，项目编码不能重复"]}) from None


def subject_create(*, actor: Actor, data: dict) -> PerformanceSubject:
    """Create a draft subject from cleaned values (see EDITABLE_FIELDS; `fiscal_year`, `department` and `unit` as
    model instances, amounts as Money). Only units and departments create subjects, within their own reach."""
    subject = PerformanceSubject(state=SUBJECT_WORKFLOW.initial, created_by=actor.user, total_amount=None)
    apply_values(subject, data)
    if not subject.department_id:
        raise ValidationError({"department": ["请选择主管部门"]})
    if not can(actor, Action.CREATE, subject):
        raise PermissionDenied("您无权在该主管部门或预算单位下新建项目")
    validate(subject)
    with transaction.atomic():
        _save(subject)
        audit.record(actor=actor, action="create", obj=subject, after=audit_data(subject))
    return subject


def _refuse_unless_editable(subject: PerformanceSubject, what: str = "修改") -> None:
    if subject.state not in SUBJECT_WORKFLOW.editable_states:
        hint = "；如需变更，请先发起调整" if subject.state == SubjectState.APPROVED else ""
        raise WorkflowError(f"当前状态为“{subject.get_state_display()}”，不能{what}{hint}")


def check_editable(*, actor: Actor, subject: PerformanceSubject) -> None:
    """Raise unless the actor may edit the subject now (WorkflowError for a locked state, 403/404 otherwise)."""
    _refuse_unless_editable(subject)
    authorize(actor, Action.EDIT, subject)


def subject_update(*, actor: Actor, subject: PerformanceSubject, data: dict,
                   expected_lock_version: int) -> PerformanceSubject:
    """Change a draft or returned subject. `expected_lock_version` is the version the editor started from: if
    anybody changed the subject since, ConcurrentEditError is raised and nothing is written."""
    check_editable(actor=actor, subject=subject)
    before = audit_data(subject)
    original = {f.attname: getattr(subject, f.attname) for f in subject._meta.concrete_fields}
    old_org = (subject.department_id, subject.unit_id)
    try:
        apply_values(subject, data)
        if not subject.department_id:
            raise ValidationError({"department": ["请选择主管部门"]})
        if (subject.department_id, subject.unit_id) != old_org and not can(actor, Action.EDIT, subject):
            raise PermissionDenied("您无权将项目移至该主管部门或预算单位")
        validate(subject)
        with transaction.atomic():
            claim_lock(subject, expected_lock_version)
            _save(subject)
            old, new = changed(before, audit_data(subject))
            audit.record(actor=actor, action="update", obj=subject, before=old, after=new)
    except Exception:
        # Nothing was written: give the caller its object back as it was.
        for name, value in original.items():
            setattr(subject, name, value)
        raise
    return subject


def subject_delete(*, actor: Actor, subject: PerformanceSubject, expected_lock_version: int | None = None) -> None:
    """Delete a draft that was never approved (revision 1). Approved history is never deleted: an adjustment's draft
    is withdrawn through the workflow instead."""
    if subject.state != SubjectState.DRAFT:
        raise WorkflowError(f"当前状态为“{subject.get_state_display()}”，只能删除草稿")
    if subject.revision > 1 or workflow.versions_for(subject).exists():
        raise WorkflowError("该项目已有入库版本，不能删除")
    authorize(actor, Action.DELETE, subject)
    with transaction.atomic():
        if expected_lock_version is not None:
            claim_lock(subject, expected_lock_version)
        audit.record(actor=actor, action="delete", obj=subject, before=audit_data(subject))
        try:
            subject.delete()
        except ProtectedError:
            raise ValidationError("该项目已被其他记录（如绩效目标、评估）引用，不能删除") from None


def subject_transition(*, actor: Actor, subject: PerformanceSubject, name: str, comment: str = "",
                       expected_lock_version: int | None = None) -> PerformanceSubject:
    """Fire workflow transition `name` (submit, withdraw, department_approve, department_return, approve, return,
    start_adjustment) with the project library's own checks first: a submission must be complete, and checks that
    other apps register in `jixiao.budget.hooks` (e.g. goals approved before approval) must pass."""
    t = SUBJECT_WORKFLOW.get(name)
    if subject.state in t.sources and can(actor, t.action, subject):
        problems: list[str] = []
        if name == "submit":
            problems += rules.submission_errors(rule_values(subject))
        problems += hooks.transition_problems(actor=actor, subject=subject, name=name)
        if problems:
            raise ValidationError(problems)
    return workflow.transition(actor=actor, obj=subject, name=name, comment=comment,
                               expected_lock_version=expected_lock_version)


# --- corrective measures of monitoring (纠偏) ----------------------------------------------------------------------
def _block_reason(subject: PerformanceSubject) -> str:
    from jixiao.budget.models import ExecutionStatus

    parts = []
    if subject.execution_status != ExecutionStatus.NORMAL:
        parts.append(subject.get_execution_status_display())
    if subject.disbursement_stopped:
        parts.append(f"财政重点监控停止拨款：{subject.disbursement_stop_reason}".rstrip("："))
    return "；".join(parts)


def _refresh_payment_block(subject: PerformanceSubject) -> list[str]:
    from jixiao.budget.models import ExecutionStatus

    subject.payment_blocked = subject.execution_status != ExecutionStatus.NORMAL or subject.disbursement_stopped
    subject.payment_block_reason = _block_reason(subject)[:300]
    return ["payment_blocked", "payment_block_reason"]


CORRECTION_FIELDS = ("adjusted_amount", "execution_status", "disbursement_stopped", "disbursement_stop_reason",
                     "payment_blocked", "payment_block_reason")


def subject_correct(*, actor: Actor, subject: PerformanceSubject, reason: str, reduce_by: Money | None = None,
                    execution_status: str | None = None, disbursement_stopped: bool | None = None,
                    stop_reason: str = "") -> PerformanceSubject:
    """Apply a corrective measure to a subject already in the budget: reduce its budget (调减/调剂/收回), suspend,
    cancel or resume it, stop or resume disbursement. The finance bureau only (Action.APPROVE on the subject); the
    payment block the budget export carries follows from the status and the stop. Audited with before and after."""
    from jixiao.budget.models import ExecutionStatus

    authorize(actor, Action.APPROVE, subject)
    errors: dict[str, list[str]] = {}
    if reduce_by is not None:
        if reduce_by.fen <= 0:
            errors["reduce_amount"] = ["调减金额须大于0"]
        elif reduce_by > subject.current_amount:
            errors["reduce_amount"] = [f"调减金额不能超过当前预算数{subject.current_amount.format_wan()}万元"]
    if execution_status is not None and execution_status not in ExecutionStatus.values:
        errors["execution_status"] = ["执行状态无效"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        subject = PerformanceSubject.objects.select_for_update().get(pk=subject.pk)
        before = audit.snapshot(subject, list(CORRECTION_FIELDS))
        if reduce_by is not None:
            subject.adjusted_amount = subject.current_amount - reduce_by
        if execution_status is not None:
            subject.execution_status = execution_status
        if disbursement_stopped is not None:
            subject.disbursement_stopped = disbursement_stopped
            subject.disbursement_stop_reason = (stop_reason or "").strip()[:300] if disbursement_stopped else ""
        _refresh_payment_block(subject)
        subject.save(update_fields=[*CORRECTION_FIELDS, "updated_at"])
        after = audit.snapshot(subject, list(CORRECTION_FIELDS))
        b, a = changed(before, after)
        audit.record(actor=actor, action="update", obj=subject, before=b, after=a, comment=reason)
    return subject
