"""Writes of the bureau's spot check (抽查复核, 10号 第十九条; RULES checklist 39): the draw, commissioning an agency,
the re-check line by line, the bureau's confirmation, the inflation flag.

Keyword-only, `actor` first, atomic, audited; messages in Chinese per field (lines as `lines.<n>.<field>`).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone

from jixiao.core import audit, workflow
from jixiao.core.permissions import Action, Actor, authorize, can
from jixiao.core.workflow import claim_lock
from jixiao.evaluation import sampling
from jixiao.evaluation.models import (
    SelfEvaluation,
    SelfEvaluationRound,
    SpotCheck,
    SpotCheckItem,
    SpotCheckLine,
)
from jixiao.evaluation.services import round_policy, score_input
from jixiao.evaluation.workflows import DONE_STATES, SpotCheckState
from jixiao.policy.schema import SelfEvaluationParams

PURPOSE = "抽查复核"
TWO = Decimal("0.01")


def _authorize_bureau(actor: Actor, region) -> None:
    if not can(actor, Action.APPROVE, SelfEvaluationRound(region=region)):
        raise PermissionDenied("只有本级财政部门可以组织抽查复核")


def _inflated_units(rnd: SelfEvaluationRound) -> frozenset[int]:
    """Units whose self-scores the previous year's spot check of the region found inflated."""
    return frozenset(SpotCheckItem.objects.filter(
        spot_check__round__region_id=rnd.region_id, spot_check__round__fiscal_year__year=rnd.fiscal_year.year - 1,
        inflated=True, unit__isnull=False).values_list("unit_id", flat=True))


def candidates(rnd: SelfEvaluationRound) -> list[sampling.Candidate]:
    """The round's self-evaluations that can be drawn: those submitted or later (one query, plain values)."""
    return [sampling.Candidate(pk, dept, budget.fen if hasattr(budget, "fen") else int(budget or 0), grade, unit,
                               bool(is_key))
            for pk, dept, budget, grade, unit, is_key in
            SelfEvaluation.objects.filter(round=rnd, state__in=sorted(DONE_STATES)).order_by("pk").values_list(
                "pk", "department_id", "annual_budget", "grade", "unit_id", "goal_sheet__is_key")]


def draw(*, actor: Actor, rnd: SelfEvaluationRound, seed: int | None = None) -> SpotCheck:
    """Draw the round's sample (once; the seed is recorded so the draw can be repeated and checked) and create an
    item per drawn self-evaluation, with its lines' self scores, for the bureau to re-check or commission."""
    _authorize_bureau(actor, rnd.region)
    if SpotCheck.objects.filter(round=rnd).exists():
        raise ValidationError({"round": ["本年度已抽取，抽查样本不能重新抽取"]})
    if seed is not None and not 0 < seed < 2**62:
        raise ValidationError({"seed": ["随机种子应为正整数"]})
    policy = round_policy(rnd)
    params = policy.spot_check
    pool = candidates(rnd)
    if not pool:
        raise ValidationError({"round": ["还没有已提交的自评表，无法抽取"]})
    seed = seed or sampling.new_seed()
    sample = sampling.draw(pool, params, seed, inflated_units=_inflated_units(rnd))
    names = dict(SelfEvaluation.objects.filter(pk__in=sample.ids).values_list("department_id", "department__name"))
    with transaction.atomic():
        check = SpotCheck.objects.create(
            round=rnd, region_id=rnd.region_id, seed=seed, rate_pct=params.sample_rate_pct,
            population=sample.population, target=sample.target, thresholds=list(sample.thresholds),
            strata=[{"department_id": d, "department": names.get(d, ""), "band": band,
                     "band_label": sampling.BAND_LABELS[band], "items": n, "drawn": k}
                    for (d, band), (n, k) in sample.strata.items()],
            profile_id=rnd.profile_id, inflation_gap=params.inflation_gap_points, drawn_by=actor.user)
        evaluations = {e.pk: e for e in SelfEvaluation.objects.filter(pk__in=sample.ids)}
        items = [SpotCheckItem(
            spot_check=check, evaluation_id=d.id, subject_id=evaluations[d.id].subject_id,
            region_id=evaluations[d.id].region_id, department_id=evaluations[d.id].department_id,
            unit_id=evaluations[d.id].unit_id, reason=d.reason,
            stratum=f"{names.get(d.stratum[0], '本级')}·{sampling.BAND_LABELS[d.stratum[1]]}",
            self_total=evaluations[d.id].total_score, self_grade=evaluations[d.id].grade,
            execution_score=evaluations[d.id].execution_score) for d in sample.drawn]
        SpotCheckItem.objects.bulk_create(items, batch_size=1000)
        by_eval = dict(SpotCheckItem.objects.filter(spot_check=check).values_list("evaluation_id", "pk"))
        from jixiao.evaluation.models import SelfEvaluationLine

        SpotCheckLine.objects.bulk_create([
            SpotCheckLine(item_id=by_eval[eid], line_id=pk, self_score=score)
            for pk, eid, score in SelfEvaluationLine.objects.filter(evaluation_id__in=sample.ids)
            .values_list("pk", "evaluation_id", "score")], batch_size=2000)
        audit.record(actor=actor, action="create", obj=check,
                     after={"seed": seed, "population": sample.population, "target": sample.target,
                            "drawn": len(sample.drawn), "must_included": sample.must_included})
        summarize(check)
    return check


def assign(*, actor: Actor, item: SpotCheckItem, agency) -> SpotCheckItem:
    """Commission an agency to re-check an item (None: the bureau re-checks it itself). The agency is granted access
    to the subject for the re-check; a classified subject is never given to an outsider."""
    _authorize_bureau(actor, item.region)
    if item.state not in (SpotCheckState.ASSIGNED, SpotCheckState.RETURNED):
        raise ValidationError({"agency": [f"当前状态为“{item.get_state_display()}”，不能更换复核机构"]})
    from jixiao.budget.models import SubjectGrant

    subject = item.subject
    if agency is not None:
        if subject.is_classified or (item.department_id and item.department.is_classified):
            raise ValidationError({"agency": ["涉密项目不能委托第三方机构复核，请财政部门自行复核"]})
    with transaction.atomic():
        from jixiao.agencies.services import open_commission

        if agency is not None and (agency.pk != item.agency_id
                                   or not open_commission(agency_id=agency.pk, spot_check_id=item.spot_check_id)):
            # the conflict checks (serves the unit, produced the work, lead evaluator, violations, status), then
            # the spot check's commission of the agency
            from jixiao.agencies.services import spot_check_commission

            spot_check_commission(actor=actor, spot_check=item.spot_check, agency=agency, item_subject=subject)
        before = {"agency": item.agency.name if item.agency_id else ""}
        if item.agency_id and (agency is None or agency.pk != item.agency_id):
            SubjectGrant.objects.filter(subject=subject, agency_id=item.agency_id, purpose=PURPOSE).update(
                is_active=False)
        if agency is not None:
            SubjectGrant.objects.update_or_create(subject=subject, agency=agency, purpose=PURPOSE,
                                                  defaults={"is_active": True})
        item.agency = agency
        item.save(update_fields=["agency"])
        summarize(item.spot_check)
        audit.record(actor=actor, action="update", obj=item, before=before,
                     after={"agency": agency.name if agency else ""}, comment="委托复核机构")
    return item


def _may_recheck(actor: Actor, item: SpotCheckItem) -> None:
    """The bureau (APPROVE) or the agency commissioned for this item (CONTRIBUTE and it is theirs)."""
    if can(actor, Action.APPROVE, item):
        return
    agencies = {g.agency_id for g in actor.grants if g.agency_id}
    if item.agency_id and item.agency_id in agencies and can(actor, Action.CONTRIBUTE, item):
        from jixiao.agencies.services import open_commission

        if open_commission(agency_id=item.agency_id, spot_check_id=item.spot_check_id):
            return
        raise PermissionDenied("复核委托已终止或已归档，受托机构不能再复核")
    raise PermissionDenied("只有财政部门或受委托的复核机构可以复核")


def recheck_values(item: SpotCheckItem, lines: list[SpotCheckLine], params: SelfEvaluationParams
                   ) -> tuple[Decimal | None, str, Decimal | None, bool]:
    """(re-check total, its grade, gap = self − re-check, inflated) once every line has a re-check score."""
    if item.execution_score is None or any(ln.score is None for ln in lines):
        return None, "", None, False
    total = item.execution_score + sum((ln.score for ln in lines), Decimal(0))
    gap = None if item.self_total is None else item.self_total - total
    return total, params.grade_for(total), gap, gap is not None and gap > item.spot_check.inflation_gap


def recheck_save(*, actor: Actor, item: SpotCheckItem, data: dict, expected_lock_version: int) -> dict:
    """Save the re-check: `execution_score`, `note` and `lines` ({line position: {score, note}}), each score within
    its weight. Recomputes the re-check total, grade, gap and inflation flag. Returns what submission still needs."""
    _may_recheck(actor, item)
    if item.state not in (SpotCheckState.ASSIGNED, SpotCheckState.RETURNED):
        raise ValidationError({"state": [f"当前状态为“{item.get_state_display()}”，不能修改复核结果"]})
    lines = list(item.lines.select_related("line").order_by("line__position", "pk"))
    by_position = {ln.line.position: ln for ln in lines}
    errors: dict[str, list[str]] = {}
    ev = item.evaluation

    values: dict = {}
    if "execution_score" in data:
        values["execution_score"] = score_input(data["execution_score"], "execution_score", "预算执行率得分", errors,
                                                weight=ev.execution_weight)
    if "note" in data:
        values["note"] = str(data.get("note") or "").strip()[:4000]
    changed = []
    for key, v in (data.get("lines") or {}).items():
        try:
            position = int(key)
        except (TypeError, ValueError):
            errors.setdefault("lines", []).append(f"指标序号“{key}”无效")
            continue
        ln = by_position.get(position)
        if ln is None or not isinstance(v, dict):
            errors.setdefault("lines", []).append(f"没有序号为{position}的指标")
            continue
        where = f"第{position + 1}行（{ln.line.name}）"
        if "score" in v:
            ln.score = score_input(v["score"], f"lines.{position + 1}.score", where, errors, weight=ln.line.weight)
        if "note" in v:
            ln.note = str(v.get("note") or "").strip()[:500]
        changed.append(ln)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        claim_lock(item, expected_lock_version)
        before = audit.snapshot(item, ["execution_score", "recheck_total", "gap", "note"])
        for f, value in values.items():
            setattr(item, f, value)
        if changed:
            SpotCheckLine.objects.bulk_update(changed, ["score", "note"])
        params = round_policy(item.spot_check.round).self_evaluation
        item.recheck_total, item.recheck_grade, item.gap, item.inflated = recheck_values(item, lines, params)
        item.save(update_fields=[*values, "recheck_total", "recheck_grade", "gap", "inflated", "lock_version"])
        audit.record(actor=actor, action="update", obj=item, before=before,
                     after=audit.snapshot(item, ["execution_score", "recheck_total", "gap", "note"]),
                     comment=f"复核（{len(changed)}项指标）")
    return recheck_problems(item)


def recheck_problems(item: SpotCheckItem) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if item.execution_score is None:
        out["execution_score"] = ["请填写复核的预算执行率得分"]
    for ln in item.lines.select_related("line").filter(score__isnull=True).order_by("line__position"):
        out.setdefault(f"lines.{ln.line.position + 1}.score", []).append(
            f"第{ln.line.position + 1}行（{ln.line.name}）：请填写复核得分")
    if item.gap is not None and item.gap != 0 and not item.note.strip():
        out["note"] = ["复核得分与自评得分不一致，请填写复核意见"]
    return out


def transition(*, actor: Actor, item: SpotCheckItem, name: str, comment: str = "",
               expected_lock_version: int | None = None) -> SpotCheckItem:
    """submit (the commissioned agency; every line re-scored), confirm (the bureau; the gap is final and an
    inflated self-score flagged for the department appraisal), return (the bureau, with its reason)."""
    t = item.workflow.get(name)
    if name == "submit" and item.agency_id is None:
        raise ValidationError({"transition": ["由财政部门自行复核的项目直接确认，无需提交"]})
    if name == "submit":
        _may_recheck(actor, item)
    if name in ("submit", "confirm") and item.state in t.sources:
        authorize(actor, t.action, item)
        problems = recheck_problems(item)
        if problems:
            raise ValidationError(problems)
    with transaction.atomic():
        workflow.transition(actor=actor, obj=item, name=name, comment=comment,
                            expected_lock_version=expected_lock_version)
        now = timezone.now()
        if name == "submit":
            item.submitted_at = now
            item.save(update_fields=["submitted_at"])
        elif name == "confirm":
            item.confirmed_at = now
            item.save(update_fields=["confirmed_at"])
        summarize(item.spot_check)
    return item


def summarize(check: SpotCheck) -> dict:
    qs = SpotCheckItem.objects.filter(spot_check=check)
    agg = qs.aggregate(total=Count("id"), confirmed=Count("id", filter=Q(state=SpotCheckState.CONFIRMED)),
                       inflated=Count("id", filter=Q(state=SpotCheckState.CONFIRMED, inflated=True)),
                       by_agency=Count("id", filter=Q(agency__isnull=False)),
                       gap=Avg("gap", filter=Q(state=SpotCheckState.CONFIRMED)))
    out = {"items": agg["total"], "confirmed": agg["confirmed"], "inflated": agg["inflated"],
           "by_agency": agg["by_agency"],
           "average_gap": None if agg["gap"] is None else str(Decimal(str(agg["gap"])).quantize(TWO))}
    SpotCheck.objects.filter(pk=check.pk).update(summary=out)
    check.summary = out
    return out
