"""Writes of department and fiscal evaluations (部门评价 / 财政评价 / 再评价, 10号 第二十二条; RULES checklist 40-43):
creating one, the documents of each of the nine steps, the evaluation indicator system and its scores, and moving
from step to step (each step completed only with its documents).

Keyword-only, `actor` first, atomic, audited; messages in Chinese per field.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from jixiao.core import audit, workflow
from jixiao.core.permissions import Action, Actor, authorize, can
from jixiao.core.workflow import claim_lock
from jixiao.evaluation import coverage
from jixiao.evaluation.models import (
    DOCUMENT_KINDS,
    Evaluation,
    EvaluationDocument,
    EvaluationIndicator,
    EvaluationKind,
    EvaluationPeriod,
)
from jixiao.evaluation.workflows import STEP_DOCUMENTS, EvaluationStep
from jixiao.goals.values import number_in
from jixiao.indicators.models import Level1
from jixiao.policy.selectors import params_at

KIND_LABELS = dict(DOCUMENT_KINDS)
PURPOSES = {EvaluationKind.DEPARTMENT: "部门评价", EvaluationKind.FISCAL: "财政评价",
            EvaluationKind.RE_EVALUATION: "再评价"}


def _action(kind: str) -> Action:
    return Action.SUBMIT if kind == EvaluationKind.DEPARTMENT else Action.APPROVE


def evaluation_create(*, actor: Actor, subject, kind: str, year: int, title: str, period: str = "annual",
                      scope: str = "", agency=None, reviewed: Evaluation | None = None) -> Evaluation:
    """Put a subject on the year's evaluation list: a department evaluation (by its department), a fiscal
    evaluation or a re-evaluation of an archived evaluation (by the region's bureau), optionally commissioned to an
    agency (granted access to the subject; never for a classified subject)."""
    from jixiao.budget.models import FiscalYear, SubjectGrant
    from jixiao.policy.services import profile_ensure_effective

    errors: dict[str, list[str]] = {}
    if kind not in EvaluationKind.values:
        errors["kind"] = ["评价类型只能是部门评价、财政评价或再评价"]
    if period not in EvaluationPeriod.values:
        errors["period"] = ["评价时段只能是年度、中期或实施期后"]
    title = (title or "").strip()
    if not title:
        errors["title"] = ["请填写评价名称"]
    fy = FiscalYear.objects.filter(year=year).first()
    if fy is None:
        errors["year"] = [f"尚未设置{year}预算年度"]
    if kind == EvaluationKind.RE_EVALUATION:
        if reviewed is None or reviewed.subject_id != subject.pk:
            errors["reviewed"] = ["再评价须指定本项目已完成的评价"]
        elif reviewed.state != EvaluationStep.ARCHIVED:
            errors["reviewed"] = ["只能对已归档的评价开展再评价"]
    if agency is not None and (subject.is_classified or (subject.department and subject.department.is_classified)):
        errors["agency"] = ["涉密项目不能委托第三方机构评价"]
    if errors:
        raise ValidationError(errors)
    ev = Evaluation(kind=kind, period=period, fiscal_year=fy, subject=subject, region_id=subject.region_id,
                    department_id=subject.department_id, unit=None, title=title, scope=(scope or "").strip(),
                    agency=agency, reviewed=reviewed, created_by=actor.user)
    authorize(actor, _action(kind), ev)
    if kind == EvaluationKind.DEPARTMENT and subject.department_id is None:
        raise PermissionDenied("部门评价须由项目的主管部门组织")
    with transaction.atomic():
        ev.profile_id = profile_ensure_effective(region=subject.region, fiscal_year=year).profile_id
        ev.save()
        if agency is not None:
            # the conflict checks, then the commission (contract and stage gates) the agency works under
            from jixiao.agencies.models import Purpose
            from jixiao.agencies.services import commission_create

            purpose = {EvaluationKind.DEPARTMENT: Purpose.DEPARTMENT_EVALUATION,
                       EvaluationKind.FISCAL: Purpose.FISCAL_EVALUATION}.get(kind, Purpose.RE_EVALUATION)
            by_department = ev.department_id if kind == EvaluationKind.DEPARTMENT else None
            commission_create(actor=actor, agency=agency, purpose=purpose, title=title, year=year,
                              region_id=ev.region_id, department_id=by_department, subject=subject, evaluation=ev)
            SubjectGrant.objects.update_or_create(subject=subject, agency=agency, purpose=PURPOSES[kind],
                                                  defaults={"is_active": True})
        audit.record(actor=actor, action="create", obj=ev, after={"kind": kind, "title": title,
                                                                  "agency": agency.name if agency else ""})
    return ev


def _may_work(actor: Actor, ev: Evaluation) -> None:
    """The organiser (department or bureau), or the commissioned agency (CONTRIBUTE on a granted subject)."""
    if can(actor, _action(ev.kind), ev):
        return
    agencies = {g.agency_id for g in actor.grants if g.agency_id}
    if ev.agency_id and ev.agency_id in agencies and can(actor, Action.CONTRIBUTE, ev):
        from jixiao.agencies.services import open_commission

        if open_commission(agency_id=ev.agency_id, evaluation=ev):
            return
        raise PermissionDenied("委托业务已终止或已归档，受托机构不能再办理该评价")
    raise PermissionDenied("只有评价组织方或受托机构可以办理该评价")


def document_add(*, actor: Actor, evaluation: Evaluation, kind: str, title: str, content: str = "",
                 reference: str = "") -> EvaluationDocument:
    """Add a document to the step under way (the kinds that step needs, or 其他材料)."""
    _may_work(actor, evaluation)
    step = evaluation.state
    if step == EvaluationStep.ARCHIVED:
        raise ValidationError({"kind": ["评价已归档，不能再添加材料"]})
    allowed = (*STEP_DOCUMENTS.get(step, ()), "other")
    errors: dict[str, list[str]] = {}
    if kind not in allowed:
        names = "、".join(KIND_LABELS[k] for k in allowed)
        errors["kind"] = [f"“{EvaluationStep(step).label}”阶段可添加的材料为：{names}"]
    title = (title or "").strip()
    if not title:
        errors["title"] = ["请填写材料标题"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        doc = EvaluationDocument.objects.create(evaluation=evaluation, step=step, kind=kind, title=title[:200],
                                                content=(content or "").strip(), reference=(reference or "")[:100],
                                                added_by=actor.user)
        audit.record(actor=actor, action="create", obj=evaluation, after={"document": title, "kind": kind},
                     comment=f"添加材料（{KIND_LABELS[kind]}）")
    return doc


def indicators_save(*, actor: Actor, evaluation: Evaluation, rows: list[dict], expected_lock_version: int
                    ) -> list[str]:
    """Replace the evaluation indicator system: rows {level1, level2, name, weight, standard, score, basis}. Weights
    and scores are checked (a score within its weight); the system's weight rules come back as warnings until the
    final conclusion, which needs them met. Stores the total and the grade once every line is scored."""
    _may_work(actor, evaluation)
    if evaluation.state == EvaluationStep.ARCHIVED:
        raise ValidationError({"rows": ["评价已归档，不能修改指标体系"]})
    errors: dict[str, list[str]] = {}
    clean = []
    for i, row in enumerate(rows or []):
        where, key = f"第{i + 1}行", f"rows.{i + 1}"
        if not isinstance(row, dict):
            errors.setdefault(key, []).append(f"{where}：格式不正确")
            continue
        level1 = str(row.get("level1") or "")
        if level1 not in Level1.values:
            errors.setdefault(f"{key}.level1", []).append(f"{where}：一级指标只能是决策、过程、产出、效益等")
        name = str(row.get("name") or "").strip()
        if not name:
            errors.setdefault(f"{key}.name", []).append(f"{where}：请填写指标名称")
        weight = number_in(str(row.get("weight") or ""))
        if weight is None or weight <= 0:
            errors.setdefault(f"{key}.weight", []).append(f"{where}：权重应为大于0的数值")
        score = None
        if row.get("score") not in (None, ""):
            score = number_in(str(row.get("score")))
            if score is None or score < 0 or (weight is not None and score > weight):
                errors.setdefault(f"{key}.score", []).append(f"{where}：得分应在0至权重之间")
        clean.append(EvaluationIndicator(
            evaluation=evaluation, position=i, level1=level1, level2=str(row.get("level2") or "")[:60],
            name=name[:200], weight=(weight or Decimal(0)).quantize(Decimal("0.01")),
            standard=str(row.get("standard") or ""), score=None if score is None else score.quantize(Decimal("0.01")),
            basis=str(row.get("basis") or "")))
    if not clean:
        errors.setdefault("rows", []).append("请至少填写一项评价指标")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        claim_lock(evaluation, expected_lock_version)
        evaluation.indicators.all().delete()
        EvaluationIndicator.objects.bulk_create(clean)
        _score(evaluation, clean)
        evaluation.save(update_fields=["total_score", "grade", "lock_version"])
        audit.record(actor=actor, action="update", obj=evaluation, after={"indicators": len(clean),
                                                                          "total": str(evaluation.total_score)},
                     comment="评价指标体系及评分")
    return system_problems(evaluation, clean)


def _params(ev: Evaluation):
    return params_at(ev.region_id, ev.fiscal_year.year, ev.profile_id).evaluation


def _score(ev: Evaluation, rows) -> None:
    if rows and all(r.score is not None for r in rows):
        ev.total_score = sum((r.score for r in rows), Decimal(0))
        ev.grade = _params(ev).grade_for(ev.total_score)
    else:
        ev.total_score, ev.grade = None, ""


def system_problems(ev: Evaluation, rows=None) -> list[str]:
    rows = list(ev.indicators.all()) if rows is None else rows
    weights: dict[str, Decimal] = {}
    for r in rows:
        weights[r.level1] = weights.get(r.level1, Decimal(0)) + r.weight
    ppp = {}
    if ev.is_ppp:
        for r in rows:
            for word, key in (("运营", coverage.OPERATION), ("维护", coverage.MAINTENANCE)):
                if word in r.level2:
                    ppp[key] = ppp.get(key, Decimal(0)) + r.weight
    return coverage.indicator_system_problems(weights, _params(ev), ppp=ev.is_ppp, ppp_weights=ppp)


def step_problems(ev: Evaluation) -> dict[str, list[str]]:
    """What completing the step under way needs: its documents, and at the final conclusion a valid, fully scored
    indicator system and the conclusion itself."""
    step = ev.state
    out: dict[str, list[str]] = {}
    have = set(ev.documents.filter(step=step).values_list("kind", flat=True))
    missing = [KIND_LABELS[k] for k in STEP_DOCUMENTS.get(step, ()) if k not in have]
    if missing:
        out["documents"] = [f"“{EvaluationStep(step).label}”须有：{'、'.join(missing)}"]
    if step == EvaluationStep.SCOPE and not ev.scope.strip():
        out["scope"] = ["请填写评价对象和范围"]
    if step == EvaluationStep.FINAL:
        rows = list(ev.indicators.all())
        if not rows or any(r.score is None for r in rows):
            out["indicators"] = ["评价指标须全部评分后方可形成最终结论"]
        problems = system_problems(ev, rows) if rows else []
        if problems:
            out.setdefault("indicators", []).extend(problems)
        if not ev.conclusion.strip():
            out["conclusion"] = ["请填写评价结论"]
    out.update(_commission_gates(ev, step))
    return out


def _commission_gates(ev: Evaluation, step: str) -> dict[str, list[str]]:
    """An evaluation commissioned to an agency follows the agency's stage gates: its work plan passes review before
    the plan step is completed, and its signed final report is in before the report step is (a terminated commission
    leaves the evaluation to its organiser)."""
    from jixiao.agencies.models import Commission
    from jixiao.agencies.workflows import CommissionStage as C

    if step not in (EvaluationStep.PLAN, EvaluationStep.REPORT):
        return {}
    state = Commission.objects.filter(evaluation=ev).exclude(state=C.TERMINATED).values_list("state", flat=True).first()
    if state is None:
        return {}
    if step == EvaluationStep.PLAN and state in (C.PLAN, C.PLAN_REVIEW):
        return {"commission": ["受托机构的评价实施方案尚未通过评审（见委托业务）"]}
    if step == EvaluationStep.REPORT and state not in (C.ARCHIVE, C.CLOSED):
        return {"commission": ["受托机构尚未提交主评人签字并加盖公章的正式报告（见委托业务）"]}
    return {}


def evaluation_update(*, actor: Actor, evaluation: Evaluation, data: dict, expected_lock_version: int) -> None:
    """The texts: scope, conclusion, methods (list of names)."""
    _may_work(actor, evaluation)
    values = {}
    for f in ("scope", "conclusion"):
        if f in data:
            values[f] = str(data.get(f) or "").strip()
    if "methods" in data:
        methods = data.get("methods") or []
        if not isinstance(methods, list):
            raise ValidationError({"methods": ["评价方法格式不正确"]})
        values["methods"] = [str(m).strip()[:50] for m in methods if str(m).strip()]
    with transaction.atomic():
        claim_lock(evaluation, expected_lock_version)
        before = audit.snapshot(evaluation, list(values))
        for f, v in values.items():
            setattr(evaluation, f, v)
        evaluation.save(update_fields=[*values, "lock_version"])
        audit.record(actor=actor, action="update", obj=evaluation, before=before,
                     after=audit.snapshot(evaluation, list(values)))


def evaluation_transition(*, actor: Actor, evaluation: Evaluation, name: str, comment: str = "",
                          expected_lock_version: int | None = None) -> Evaluation:
    t = evaluation.workflow.get(name)
    if name.startswith("complete_") and evaluation.state in t.sources:
        authorize(actor, t.action, evaluation)
        problems = step_problems(evaluation)
        if problems:
            raise ValidationError(problems)
    with transaction.atomic():
        workflow.transition(actor=actor, obj=evaluation, name=name, comment=comment,
                            expected_lock_version=expected_lock_version)
        if evaluation.state == EvaluationStep.ARCHIVED:
            evaluation.archived_at = timezone.now()
            evaluation.save(update_fields=["archived_at"])
    return evaluation
