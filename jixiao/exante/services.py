"""Writes of ex-ante assessments (事前绩效评估). Each service takes the acting `Actor` and keyword arguments,
authorises through `jixiao.core.permissions`, validates with `jixiao.exante.rules` (messages in Chinese, per field),
writes in one transaction and records an audit row in the same transaction.

The rules of an assessment come from the policy profile version recorded on it when it was created (`profile_id`),
so a later change of the profile does not move the goal posts of an assessment under way.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from jixiao.core import audit, workflow
from jixiao.core.money import Money
from jixiao.core.permissions import Action, Actor, acting_grant, authorize, can
from jixiao.core.workflow import WorkflowError, claim_lock
from jixiao.costs.models import CostCategory
from jixiao.exante import rules
from jixiao.exante.models import (
    AssessmentAttachment,
    AssessmentDimension,
    CostItem,
    ExAnteAssessment,
    ExpertScore,
)
from jixiao.exante.workflows import ASSESSMENT_WORKFLOW, AssessmentState
from jixiao.organisations.models import Role
from jixiao.policy.schema import ExAnteParams

S = AssessmentState
# The fields a drafter (form, API) may set; the workflow and the finance opinion own the rest.
EDITABLE_FIELDS = (
    "method", "process", "conclusion", "supported_parts", "unsupported_parts", "suggestions", "other_issues",
    "expert_opinion", "expert_meeting_date", "materials_requested_on", "materials_received_on", "requested_amount",
    "review_amount_note", "output_name", "output_quantity", "output_unit", "output_standard", "exemption_kind",
    "exemption_reason",
)
TEXT_FIELDS = ("method", "process", "conclusion", "supported_parts", "unsupported_parts", "suggestions",
               "other_issues", "expert_opinion", "review_amount_note", "output_name", "output_unit",
               "exemption_kind", "exemption_reason")
# Still in progress, or decided in the subject's favour: no second assessment of the subject meanwhile.
OPEN_STATES = (S.DRAFT, S.EXPERT_REVIEW, S.SUBMITTED, S.RETURNED)
SETTLED_STATES = (S.SUPPORTED, S.EXEMPTED)
ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
ATTACHMENT_SUFFIXES = (".pdf", ".ofd", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".csv", ".txt", ".jpg",
                       ".jpeg", ".png", ".zip", ".rar", ".7z")
SNAPSHOT_NOISE = frozenset({"id", "lock_version", "created_at", "updated_at"})


# ---- helpers ---------------------------------------------------------------------------------------------------------

def params_of(assessment: ExAnteAssessment) -> ExAnteParams:
    """The ex-ante parameters the assessment runs under: those of the profile version recorded at creation."""
    from jixiao.policy.selectors import effective_profile, params_for_version

    cached = getattr(assessment, "_exante_params", None)
    if cached is not None:
        return cached
    if assessment.profile_id:
        params = params_for_version(assessment.profile_id).ex_ante
    else:
        params = effective_profile(assessment.region_id, assessment.fiscal_year.year).params.ex_ante
    assessment._exante_params = params
    return params


def subject_facts(subject) -> rules.SubjectFacts:
    return rules.SubjectFacts(
        kind=subject.kind, scope_kind=subject.scope_kind, annual_amount=subject.current_amount,
        total_amount=subject.total_amount, government_investment=subject.government_investment,
        is_classified=subject.is_classified)


def audit_data(assessment: ExAnteAssessment, *, with_rows: bool = True) -> dict:
    """The audited values: the assessment's fields plus, with `with_rows`, its dimensions and cost items."""
    data = {k: v for k, v in audit.snapshot(assessment).items() if k not in SNAPSHOT_NOISE}
    if with_rows and assessment.pk:
        data["dimensions"] = {d.code: {"score": audit.to_jsonable(d.score), "text": d.text}
                              for d in assessment.dimensions.all()}
        data["cost_items"] = [
            {"category": c.category, "name": c.name, "quantity": str(c.quantity), "unit": c.unit,
             "unit_cost": str(c.unit_cost.yuan), "amount": str(c.amount.yuan), "standard_id": c.standard_id,
             "note": c.note}
            for c in assessment.cost_items.all()]
    return data


def _changed(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def _add(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def blocking_assessment(subject, today: datetime.date) -> ExAnteAssessment | None:
    """The 不予支持 that still blocks the subject (found by its code in the region, any year: continuing projects keep
    their code, so a block follows the project into next year's library)."""
    return (ExAnteAssessment.objects.filter(region_id=subject.region_id, subject__code=subject.code,
                                            state=S.NOT_SUPPORTED, blocked_until__gte=today)
            .order_by("-blocked_until").first())


# ---- create ----------------------------------------------------------------------------------------------------------

def assessment_create(*, actor: Actor, subject, exemption_kind: str = "", exemption_reason: str = "",
                      requested_amount: Money | None = None) -> ExAnteAssessment:
    """Open an assessment (or, with `exemption_kind`, an exemption claim) of `subject`, in draft.

    Records the requirement the profile sets for the subject (`rules.requirement_for`) with its reasons and the
    profile version; creates the dimension rows from the profile's score template. Refused while an earlier 不予支持
    blocks the subject (naming the date), while another assessment of it is under way or already settled, for
    department- and unit-wide spending, and for exemption grounds the profile does not allow. Units and departments
    create, within their own reach."""
    from jixiao.policy.services import profile_ensure_effective

    assessment = ExAnteAssessment(
        subject=subject, fiscal_year_id=subject.fiscal_year_id, region_id=subject.region_id,
        department_id=subject.department_id, unit_id=subject.unit_id, state=ASSESSMENT_WORKFLOW.initial,
        created_by=actor.user, exemption_kind=(exemption_kind or "").strip(),
        exemption_reason=(exemption_reason or "").strip(),
        requested_amount=subject.current_amount if requested_amount is None else requested_amount)
    if not can(actor, Action.CREATE, assessment):
        raise PermissionDenied("您无权为该项目开展事前评估")
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if subject.kind not in rules.ASSESSED_KINDS:
        _add(errors, "subject", "部门（单位）整体支出不开展事前评估")
    blocker = blocking_assessment(subject, today)
    if blocker is not None:
        _add(errors, "subject", rules.blocked_problem(blocker.blocked_until, today))
    existing = (ExAnteAssessment.objects.filter(subject=subject, state__in=OPEN_STATES + SETTLED_STATES)
                .values_list("state", flat=True).first())
    if existing in SETTLED_STATES:
        _add(errors, "subject", f"该项目已有事前评估（{S(existing).label}），无须重复评估")
    elif existing is not None:
        _add(errors, "subject", f"该项目已有进行中的事前评估（{S(existing).label}），请在原评估上继续")
    if assessment.requested_amount.fen < 0:
        _add(errors, "requested_amount", "申请金额不能为负数")
    if errors:
        raise ValidationError(errors)
    eff = profile_ensure_effective(region=subject.region, fiscal_year=subject.fiscal_year.year)
    params = eff.params.ex_ante
    requirement = rules.requirement_for(subject_facts(subject), params)
    if assessment.exemption_kind:
        if requirement.requirement == "none":
            _add(errors, "exemption_kind", "该项目无须开展事前评估，无须申请免评")
        for key, messages in rules.exemption_problems(assessment.exemption_kind, assessment.exemption_reason, False,
                                                      params, for_submission=False).items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    assessment.profile_id = eff.profile_id
    assessment.requirement = requirement.requirement
    assessment.requirement_reasons = list(requirement.reasons)
    assessment._exante_params = params
    with transaction.atomic():
        assessment.save()
        AssessmentDimension.objects.bulk_create([
            AssessmentDimension(assessment=assessment, code=d.code, name=d.name, weight=Decimal(d.weight), position=i)
            for i, d in enumerate(params.dimensions)])
        audit.record(actor=actor, action="create", obj=assessment, after=audit_data(assessment),
                     comment="申请免于评估" if assessment.exemption_kind else "")
    return assessment


# ---- update ----------------------------------------------------------------------------------------------------------

def check_editable(*, actor: Actor, assessment: ExAnteAssessment) -> None:
    if assessment.state not in ASSESSMENT_WORKFLOW.editable_states:
        raise WorkflowError(f"当前状态为“{assessment.get_state_display()}”，不能修改")
    authorize(actor, Action.EDIT, assessment)


def _clean_cost_items(items: list[dict], assessment: ExAnteAssessment, errors: dict) -> list[CostItem]:
    allowed_standards = None
    out = []
    for i, item in enumerate(items, start=1):
        name = (item.get("name") or "").strip()
        category = item.get("category") or ""
        quantity = item.get("quantity")
        unit_cost = item.get("unit_cost")
        standard = item.get("standard")
        row = f"成本测算第{i}行"
        if not name:
            _add(errors, "cost_items", f"{row}：请填写成本项目")
        if category not in CostCategory.values:
            _add(errors, "cost_items", f"{row}：请选择成本类别")
        if quantity is None or not isinstance(quantity, Decimal) or not quantity.is_finite() or quantity <= 0:
            _add(errors, "cost_items", f"{row}：数量须大于0")
            quantity = Decimal(0)
        elif quantity != quantity.quantize(Decimal("0.01")):
            _add(errors, "cost_items", f"{row}：数量最多保留两位小数")
        if not isinstance(unit_cost, Money):
            _add(errors, "cost_items", f"{row}：请填写单价")
            unit_cost = Money(0)
        elif unit_cost.fen < 0:
            _add(errors, "cost_items", f"{row}：单价不能为负数")
        if standard is not None:
            if allowed_standards is None:
                allowed_standards = _applicable_standard_ids(assessment)
            if standard.pk not in allowed_standards:
                _add(errors, "cost_items", f"{row}：所选支出标准不适用于本区划本年度")
        out.append(CostItem(
            assessment=assessment, category=category, name=name[:100], quantity=quantity,
            unit=(item.get("unit") or "").strip()[:20], unit_cost=unit_cost,
            amount=rules.cost_item_amount(quantity, unit_cost), standard=standard,
            note=(item.get("note") or "").strip()[:300], position=i))
    return out


def _applicable_standard_ids(assessment: ExAnteAssessment) -> set[int]:
    from jixiao.costs.selectors import standards_for

    return {s.pk for s in standards_for(assessment.region_id, assessment.fiscal_year.year)}


def _validate(assessment: ExAnteAssessment, params: ExAnteParams, errors: dict) -> None:
    if assessment.requested_amount is None:
        _add(errors, "requested_amount", "请填写申请金额")
    elif assessment.requested_amount.fen < 0:
        _add(errors, "requested_amount", "申请金额不能为负数")
    for key, messages in rules.conclusion_problems(assessment.conclusion, assessment.supported_parts,
                                                   assessment.unsupported_parts, params).items():
        errors.setdefault(key, []).extend(messages)
    if assessment.exemption_kind:
        if assessment.requirement == "none":
            _add(errors, "exemption_kind", "该项目无须开展事前评估，无须申请免评")
        for key, messages in rules.exemption_problems(assessment.exemption_kind, assessment.exemption_reason, False,
                                                      params, for_submission=False).items():
            errors.setdefault(key, []).extend(messages)
    q = assessment.output_quantity
    if q is not None and (not q.is_finite() or q < 0):
        _add(errors, "output_quantity", "计划产出数量不能为负数")
    if assessment.output_standard_id and assessment.output_standard_id not in _applicable_standard_ids(assessment):
        _add(errors, "output_standard", "所选支出标准不适用于本区划本年度")
    if (assessment.materials_received_on and assessment.materials_requested_on
            and assessment.materials_received_on < assessment.materials_requested_on):
        _add(errors, "materials_received_on", "收到日期不能早于要求补充材料日期")


def assessment_update(*, actor: Actor, assessment: ExAnteAssessment, data: dict,
                      expected_lock_version: int) -> ExAnteAssessment:
    """Change a draft, returned or in-review assessment.

    `data` holds any of EDITABLE_FIELDS (amounts as Money, dates as dates, `output_standard` a SpendingStandard or
    None), plus `dimensions` ({code: {"text": str, "score": Decimal | None}}; codes not given stay as they are) and
    `cost_items` (a list of {category, name, quantity: Decimal, unit, unit_cost: Money, standard, note} that
    replaces the breakdown; absent = unchanged). Deadlines (materials, report) are computed from the dates on the
    working-day calendar. `expected_lock_version` is the version the editor started from: a stale one raises
    ConcurrentEditError and nothing is written."""
    check_editable(actor=actor, assessment=assessment)
    params = params_of(assessment)
    before = audit_data(assessment)
    original = {f.attname: getattr(assessment, f.attname) for f in assessment._meta.concrete_fields}
    errors: dict[str, list[str]] = {}
    try:
        for name in EDITABLE_FIELDS:
            if name not in data:
                continue
            value = data[name]
            if name in TEXT_FIELDS:
                value = (value or "").strip()
            setattr(assessment, name, value)
        assessment.materials_due = rules.materials_due(assessment.materials_requested_on, params)
        assessment.report_due = rules.report_due(assessment.expert_meeting_date, params)
        _validate(assessment, params, errors)
        dimensions = list(assessment.dimensions.all())
        dim_changes = data.get("dimensions") or {}
        scores = {code: v.get("score") for code, v in dim_changes.items() if isinstance(v, dict)}
        for code, message in rules.score_problems(scores, dimensions).items():
            _add(errors, f"score_{code}", message)
        cost_items = None
        if data.get("cost_items") is not None:
            cost_items = _clean_cost_items(list(data["cost_items"]), assessment, errors)
        if errors:
            raise ValidationError(errors)
        for d in dimensions:
            change = dim_changes.get(d.code)
            if isinstance(change, dict):
                if "text" in change:
                    d.text = (change["text"] or "").strip()
                if "score" in change:
                    d.score = change["score"]
        with transaction.atomic():
            claim_lock(assessment, expected_lock_version)
            assessment.save()
            AssessmentDimension.objects.bulk_update(dimensions, ["text", "score"])
            if cost_items is not None:
                assessment.cost_items.all().delete()
                CostItem.objects.bulk_create(cost_items)
            old, new = _changed(before, audit_data(assessment))
            audit.record(actor=actor, action="update", obj=assessment, before=old, after=new)
    except Exception:
        for name, value in original.items():
            setattr(assessment, name, value)
        raise
    return assessment


def assessment_delete(*, actor: Actor, assessment: ExAnteAssessment) -> None:
    """Delete a draft that never left the drafter (no workflow step yet)."""
    if assessment.state != S.DRAFT or workflow.steps_for(assessment).exists():
        raise WorkflowError("只能删除从未提交过的草稿")
    authorize(actor, Action.DELETE, assessment)
    with transaction.atomic():
        audit.record(actor=actor, action="delete", obj=assessment, before=audit_data(assessment))
        files = [a.file.name for a in assessment.attachments.all()]
        assessment.delete()
        transaction.on_commit(lambda: _delete_files(files))


# ---- attachments -----------------------------------------------------------------------------------------------------

def _delete_files(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        if name:
            default_storage.delete(name)


def attachment_add(*, actor: Actor, assessment: ExAnteAssessment, file, purpose: str = "evidence",
                   dimension_code: str = "") -> AssessmentAttachment:
    """Attach a file (evidence of a dimension, the exemption basis, the report, the expected-performance report)
    while the assessment can be edited."""
    check_editable(actor=actor, assessment=assessment)
    errors: dict[str, list[str]] = {}
    if purpose not in AssessmentAttachment.Purpose.values:
        _add(errors, "purpose", "请选择附件用途")
    codes = set(assessment.dimensions.values_list("code", flat=True))
    if dimension_code and dimension_code not in codes:
        _add(errors, "dimension_code", "所属评估维度无效")
    name = Path(getattr(file, "name", "") or "").name
    if not name:
        _add(errors, "file", "请选择文件")
    elif not name.lower().endswith(ATTACHMENT_SUFFIXES):
        _add(errors, "file", "不支持的文件类型（支持 PDF、OFD、Word、Excel、图片、压缩包等）")
    size = getattr(file, "size", 0) or 0
    if size > ATTACHMENT_MAX_BYTES:
        _add(errors, "file", f"文件过大（{size / 1024 / 1024:.1f}MB），上限为{ATTACHMENT_MAX_BYTES // 1024 // 1024}MB")
    elif size == 0 and name:
        _add(errors, "file", "文件为空")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        attachment = AssessmentAttachment(assessment=assessment, purpose=purpose, dimension_code=dimension_code,
                                          name=name[:200], uploaded_by=actor.user)
        attachment.file.save(name, file, save=False)
        attachment.save()
        audit.record(actor=actor, action="update", obj=assessment, after={"attachment_added": name},
                     comment=f"上传附件：{name}（{attachment.get_purpose_display()}）")
    return attachment


def attachment_remove(*, actor: Actor, attachment: AssessmentAttachment) -> None:
    assessment = attachment.assessment
    check_editable(actor=actor, assessment=assessment)
    with transaction.atomic():
        name, stored = attachment.name, attachment.file.name
        attachment.delete()
        audit.record(actor=actor, action="update", obj=assessment, before={"attachment_removed": name},
                     comment=f"删除附件：{name}")
        transaction.on_commit(lambda: _delete_files([stored]))


# ---- expert scores ---------------------------------------------------------------------------------------------------

def expert_score_save(*, actor: Actor, assessment: ExAnteAssessment, scores: dict[str, Decimal | None],
                      opinion: str = "") -> ExpertScore:
    """An expert's (or the commissioned agency's) scores and opinion while the assessment is in expert review.
    Only experts and agencies granted the subject (budget.SubjectGrant) may score (Action.CONTRIBUTE); an agency's
    opinion is also recorded as the assessment's agency opinion."""
    grant = acting_grant(actor, Action.CONTRIBUTE, assessment)
    if grant is None:
        authorize(actor, Action.CONTRIBUTE, assessment)  # raises 403 or 404
    if assessment.state != S.EXPERT_REVIEW:
        raise WorkflowError(f"当前状态为“{assessment.get_state_display()}”，只有“专家评审中”的评估可以评分")
    dimensions = list(assessment.dimensions.all())
    known = {d.code for d in dimensions}
    errors: dict[str, list[str]] = {}
    for code, message in rules.score_problems(scores, dimensions).items():
        _add(errors, f"score_{code}", message)
    opinion = (opinion or "").strip()
    clean = {code: str(value) for code, value in scores.items() if value is not None and code in known}
    if not clean and not opinion:
        _add(errors, "opinion", "请至少填写一项得分或专家意见")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        previous = ExpertScore.objects.filter(assessment=assessment, expert=actor.user).first()
        before = {"scores": previous.scores, "opinion": previous.opinion} if previous else None
        row, _ = ExpertScore.objects.update_or_create(assessment=assessment, expert=actor.user,
                                                      defaults={"scores": clean, "opinion": opinion})
        if grant.role == Role.AGENCY and grant.agency_id:
            assessment.agency_id = grant.agency_id
            assessment.agency_opinion = opinion
            assessment.save(update_fields=["agency", "agency_opinion", "updated_at"])
        audit.record(actor=actor, action="update", obj=assessment, before=before,
                     after={"scores": clean, "opinion": opinion},
                     comment=f"{'第三方机构' if grant.role == Role.AGENCY else '专家'}评分")
    return row


# ---- workflow --------------------------------------------------------------------------------------------------------

def draft_of(assessment: ExAnteAssessment) -> rules.AssessmentDraft:
    dimensions = list(assessment.dimensions.all())
    return rules.AssessmentDraft(
        requested_amount=assessment.requested_amount, conclusion=assessment.conclusion,
        supported_parts=assessment.supported_parts, unsupported_parts=assessment.unsupported_parts,
        dimension_texts={d.code: d.text for d in dimensions}, scores={d.code: d.score for d in dimensions},
        exemption_kind=assessment.exemption_kind, exemption_reason=assessment.exemption_reason,
        has_exemption_attachment=assessment.attachments.filter(
            purpose=AssessmentAttachment.Purpose.EXEMPTION).exists())


def transition_problems(*, assessment: ExAnteAssessment, name: str, approved_amount: Money | None = None,
                        supported_parts: str | None = None, unsupported_parts: str | None = None) -> dict:
    """What stops transition `name` on this assessment now (field → messages); empty when nothing does."""
    params = params_of(assessment)
    if name == "submit":
        return rules.submission_problems(draft_of(assessment), list(assessment.dimensions.all()), params)
    if name == "submit_to_experts" and assessment.is_exemption:
        return {"transition": ["免评申请无须专家评审，请直接报送财政审核"]}
    if name in rules.OPINION_TRANSITIONS or name == "accept_exemption":
        return rules.opinion_problems(
            name, requested=assessment.requested_amount, approved=approved_amount,
            is_exemption=assessment.is_exemption, params=params,
            supported_parts=assessment.supported_parts if supported_parts is None else supported_parts,
            unsupported_parts=assessment.unsupported_parts if unsupported_parts is None else unsupported_parts)
    return {}


def offered_transitions(actor: Actor, assessment: ExAnteAssessment) -> list:
    """The transitions to offer the actor (buttons, API): those the workflow and permissions allow, less those the
    profile or the kind of record rules out (opinions not in the profile, experts for an exemption claim, an
    exemption for a real assessment)."""
    out = []
    for t in workflow.available_transitions(actor, assessment):
        problems = transition_problems(assessment=assessment, name=t.name) if t.name != "submit" else {}
        if "transition" not in problems:
            out.append(t)
    return out


def assessment_transition(*, actor: Actor, assessment: ExAnteAssessment, name: str, comment: str = "",
                          approved_amount: Money | None = None, expected_lock_version: int | None = None,
                          supported_parts: str | None = None, unsupported_parts: str | None = None
                          ) -> ExAnteAssessment:
    """Fire workflow transition `name`:

    - submit_to_experts, submit, withdraw (the drafter): submit checks the assessment is complete (five dimensions
      written, scores within weights, a conclusion of the profile, 部分支持 with its parts, a request; an exemption
      claim with its reason and basis file), sets `submitted_at` and `opinion_due` (working days).
    - support, partial_support, support_after_changes, no_support, accept_exemption (the finance bureau): only the
      opinions of the profile; records `finance_opinion`, the comment, `opinion_at` and `approved_amount` (支持
      defaults to the request, 不予支持 is 0), and for 不予支持 `blocked_until` = today + the profile's block period.
    """
    t = ASSESSMENT_WORKFLOW.get(name)
    if assessment.state in t.sources and can(actor, t.action, assessment):
        problems = transition_problems(assessment=assessment, name=name, approved_amount=approved_amount,
                                       supported_parts=supported_parts, unsupported_parts=unsupported_parts)
        if problems:
            raise ValidationError(problems)
    params = params_of(assessment)
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        before = audit_data(assessment, with_rows=False)
        workflow.transition(actor=actor, obj=assessment, name=name, comment=comment,
                            expected_lock_version=expected_lock_version)
        if name == "submit":
            assessment.submitted_at = now
            assessment.opinion_due = rules.opinion_due(today, params)
            assessment.finance_opinion = ""
            assessment.finance_opinion_text = ""
            assessment.opinion_at = None
            assessment.approved_amount = None
            assessment.blocked_until = None
        elif name == "withdraw":
            assessment.submitted_at = None
            assessment.opinion_due = None
        elif name in rules.OPINION_TRANSITIONS or name == "accept_exemption":
            assessment.finance_opinion = rules.OPINION_TRANSITIONS.get(name, "")
            assessment.finance_opinion_text = (comment or "").strip()
            assessment.opinion_at = now
            assessment.approved_amount = rules.approved_for(name, requested=assessment.requested_amount,
                                                            approved=approved_amount)
            if name == "partial_support":
                if supported_parts is not None:
                    assessment.supported_parts = supported_parts.strip()
                if unsupported_parts is not None:
                    assessment.unsupported_parts = unsupported_parts.strip()
            if name == "no_support":
                assessment.blocked_until = rules.blocked_until(today, params)
        assessment.save(update_fields=[
            "submitted_at", "opinion_due", "finance_opinion", "finance_opinion_text", "opinion_at",
            "approved_amount", "blocked_until", "supported_parts", "unsupported_parts", "updated_at"])
        old, new = _changed(before, audit_data(assessment, with_rows=False))
        for key in ("state", "lock_version", "updated_at"):
            old.pop(key, None)
            new.pop(key, None)
        if new:
            audit.record(actor=actor, action="update", obj=assessment, before=old, after=new,
                         comment=f"{t.label}：记录结果")
    return assessment
