"""Writes of self-evaluation (单位自评): rounds and their tasks, the unit's sheet, scoring and reviews.

Keyword-only, `actor` first, atomic, audited; messages in Chinese per field (`ValidationError({field: [...]})`, lines
as `lines.<n>.<field>`). Batch scoring of a province (hundreds of thousands of sheets, millions of lines) reads plain
values in chunks, applies the pure rules (`jixiao.evaluation.rules`) and writes in bulk (`jixiao.core.bulk`), never a
query per sheet.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from jixiao.core import audit, workflow
from jixiao.core.bulk import as_money, bulk_set, raw_rows
from jixiao.core.bulk import stored_decimal as _dec
from jixiao.core.money import Money, money_input
from jixiao.core.permissions import Action, Actor, authorize, can
from jixiao.core.workflow import claim_lock
from jixiao.evaluation import rules
from jixiao.evaluation.models import SelfEvaluation, SelfEvaluationLine, SelfEvaluationRound
from jixiao.evaluation.workflows import DONE_STATES, SelfEvaluationState
from jixiao.goals.values import number_in
from jixiao.policy.schema import Grade, PolicyParams, QualitativeTier, SelfEvaluationParams
from jixiao.policy.selectors import params_at

CHUNK = 2000
BREAKDOWN_ROWS = (("fiscal", "其中：当年财政拨款"), ("carryover", "上年结转资金"), ("other", "其他资金"))
BREAKDOWN_COLUMNS = ("initial", "annual", "executed")


# --- parameters ---------------------------------------------------------------------------------------------------
def round_policy(rnd: SelfEvaluationRound) -> PolicyParams:
    """The profile the round was created under (the version recorded on it)."""
    return params_at(rnd.region_id, rnd.fiscal_year.year, rnd.profile_id)


def round_params(rnd: SelfEvaluationRound) -> SelfEvaluationParams:
    return round_policy(rnd).self_evaluation


def default_due(params: SelfEvaluationParams, year: int) -> datetime.date | None:
    """The profile's due date, in the year after the evaluated one (None: with the final accounts)."""
    if not params.due:
        return None
    month, day = (int(x) for x in params.due.split("-"))
    return datetime.date(year + 1, month, day)


def _authorize_region(actor: Actor, region) -> None:
    if not can(actor, Action.APPROVE, SelfEvaluationRound(region=region)):
        raise PermissionDenied("只有本级财政部门可以开启单位自评和计分")


# --- rounds and tasks ---------------------------------------------------------------------------------------------
def round_create(*, actor: Actor, region, year: int, due: datetime.date | None = None,
                 generate: bool = True) -> SelfEvaluationRound:
    """Open the self-evaluation of a region's year (one per region and year), due on `due` or the profile's date,
    and unless `generate` is False (a background job then calls `round_generate`) create its tasks."""
    from jixiao.budget.models import FiscalYear
    from jixiao.policy.services import profile_ensure_effective

    _authorize_region(actor, region)
    fy = FiscalYear.objects.filter(year=year).first()
    if fy is None:
        raise ValidationError({"year": [f"尚未设置{year}预算年度"]})
    if SelfEvaluationRound.objects.filter(region=region, fiscal_year=fy).exists():
        raise ValidationError({"year": [f"{region.name}{year}年度的单位自评已开启"]})
    eff = profile_ensure_effective(region=region, fiscal_year=year)  # a stored version the round keeps using
    due = due or default_due(eff.params.self_evaluation, year)
    if due is not None and due <= datetime.date(year, 12, 31):
        raise ValidationError({"due": ["自评截止日应在评价年度结束之后"]})
    with transaction.atomic():
        rnd = SelfEvaluationRound.objects.create(
            region=region, fiscal_year=fy, name=f"{year}年度单位自评", due=due, profile_id=eff.profile_id,
            created_by=actor.user)
        audit.record(actor=actor, action="create", obj=rnd, after={"name": rnd.name, "due": str(due or "")})
        if generate:
            round_generate(rnd)
    return rnd


def round_subjects(rnd: SelfEvaluationRound):
    """Every subject of the region and year in the budget (入库) that had money in the year (年初或调整后预算大于0):
    self-evaluation covers 100% of them (10号 第八条)."""
    from jixiao.budget.models import PerformanceSubject, SubjectState

    return PerformanceSubject.objects.filter(
        Q(annual_amount__gt=0) | Q(adjusted_amount__gt=0), region_id=rnd.region_id, fiscal_year_id=rnd.fiscal_year_id,
        state=SubjectState.APPROVED)


def _execution_weight(goals, frame_code: str, special: str) -> tuple[str, Decimal]:
    code = frame_code
    try:
        frame = goals.frame(code)
    except KeyError:
        code = goals.special_bond_frame if special == "special_bond" else goals.project_frame
        frame = goals.frame(code)
    return code, frame.execution_weight


def round_generate(rnd: SelfEvaluationRound, progress: Callable[[int, int], None] | None = None, *,
                   score: bool = True) -> int:
    """Create the missing sheets of a round: one per subject in scope, with the goal sheet's indicators (target and
    weight), the overall goal, the budget and the year's recorded spending. Idempotent. Returns how many were
    created."""
    from jixiao.budget.models import ExecutionRecord
    from jixiao.goals.models import GoalIndicator, GoalSheet

    goals = round_policy(rnd).goals
    existing = set(SelfEvaluation.objects.filter(round=rnd).values_list("subject_id", flat=True))
    subjects = list(round_subjects(rnd).order_by("pk").values_list(
        "pk", "region_id", "department_id", "unit_id", "annual_amount", "adjusted_amount", "budget_kind",
        "special_category"))
    todo = [s for s in subjects if s[0] not in existing]
    created, total, year = 0, len(todo), rnd.fiscal_year.year
    for start in range(0, total, CHUNK):
        chunk = todo[start:start + CHUNK]
        ids = [s[0] for s in chunk]
        sheets = {sid: (pk, rev, frame, goal, duties, tasks) for pk, sid, rev, frame, goal, duties, tasks in
                  GoalSheet.objects.filter(subject_id__in=ids).values_list(
                      "pk", "subject_id", "revision", "frame_code", "annual_goal", "duties", "main_tasks")}
        spent = dict(ExecutionRecord.objects.filter(subject_id__in=ids, year=year)
                     .values("subject_id").annotate(total=Sum("amount")).values_list("subject_id", "total"))
        evaluations = []
        for sid, region_id, dept_id, unit_id, annual, adjusted, budget_kind, special in chunk:
            sheet = sheets.get(sid)
            frame_code, weight = _execution_weight(goals, sheet[2] if sheet else "", special)
            recorded = as_money(spent.get(sid))
            tasks = [{"name": t.get("name", ""), "content": t.get("content", ""), "result": ""}
                     for t in (sheet[5] if sheet else []) or []]
            evaluations.append(SelfEvaluation(
                round=rnd, subject_id=sid, region_id=region_id, department_id=dept_id, unit_id=unit_id,
                goal_sheet_id=sheet[0] if sheet else None, goal_revision=sheet[1] if sheet else 1,
                budget_kind=budget_kind, frame_code=frame_code, execution_weight=weight,
                initial_budget=annual, annual_budget=adjusted if adjusted is not None else annual,
                recorded_executed=recorded, executed=recorded, expected_goal=sheet[3] if sheet else "",
                duties=sheet[4] if sheet else "", main_tasks=tasks, state=SelfEvaluationState.DRAFT))
        with transaction.atomic():
            SelfEvaluation.objects.bulk_create(evaluations, batch_size=500)
            by_subject = {e.subject_id: e.pk for e in evaluations}
            if any(e.pk is None for e in evaluations):  # backends without RETURNING
                by_subject = dict(SelfEvaluation.objects.filter(round=rnd, subject_id__in=ids)
                                  .values_list("subject_id", "pk"))
            sheet_to_eval = {sheets[sid][0]: by_subject[sid] for sid in ids if sid in sheets}
            lines = [
                SelfEvaluationLine(evaluation_id=sheet_to_eval[sheet_id], position=position, level1=level1,
                                   level2=level2, name=name, comparator=comparator, target_value=target,
                                   target_number=_target(comparator, target), unit=unit, weight=weight,
                                   indicator_id=indicator_id)
                for sheet_id, position, level1, level2, name, comparator, target, unit, weight, indicator_id in
                GoalIndicator.objects.filter(sheet_id__in=list(sheet_to_eval)).order_by("sheet_id", "position", "id")
                .values_list("sheet_id", "position", "level1", "level2", "name", "comparator", "target_value", "unit",
                             "weight", "indicator_id")]
            SelfEvaluationLine.objects.bulk_create(lines, batch_size=2000)
        created += len(chunk)
        if progress:
            progress(created, total)
    if score:
        score_evaluations(rnd)
    return created


def _target(comparator: str, text: str) -> Decimal | None:
    if comparator not in rules.QUANTITATIVE:
        return None
    from jixiao.goals.values import looks_like_date

    return None if looks_like_date(text) else number_in(text)


# --- scoring ------------------------------------------------------------------------------------------------------
@dataclass
class ScoreResult:
    evaluations: int = 0
    lines: int = 0
    changed: int = 0  # sheets whose stored scores changed (and were written)
    results: dict = field(default_factory=dict)  # sheet id -> rules.SheetScore, with keep=True


EVALUATION_FIGURES = ["execution_rate", "execution_score", "indicator_score", "total_score", "grade", "problems",
                      "overshoot"]
_EVAL_COLUMNS = ("pk", "execution_weight", "annual_budget", "executed", "received", "finished", "funds_explanation",
                 "conclusion_explanation", *EVALUATION_FIGURES)
_LINE_COLUMNS = ("pk", "evaluation_id", "comparator", "weight", "target_number", "actual_number", "unit", "level1",
                 "tier", "judged_score", "overshoot_reason", "explanation", "score", "method")


def _line_input(c, w, t, a, u, lv, tier, j, reason, expl) -> rules.LineInput:
    return rules.LineInput(comparator=c, weight=_dec(w), target=_dec(t), actual=_dec(a), unit=u, level1=lv,
                           tier=tier, judged=_dec(j), overshoot_reason=reason, explanation=expl)


def _figures(res: rules.SheetScore) -> tuple:
    ex = res.execution
    return (None if ex.rate is None else ex.shown_rate_pct, ex.score,
            res.indicator_total, res.total, res.grade, len(res.blocking), any(ls.overshoot for ls in res.lines))


def _same(new, old) -> bool:
    if old is None or new is None:
        return old is new
    if isinstance(new, Decimal):
        return new == _dec(old)
    return new == old


def score_evaluations(rnd: SelfEvaluationRound, ids: Iterable[int] | None = None, *, write: bool = True,
                      params: SelfEvaluationParams | None = None, keep: bool = False) -> ScoreResult:
    """Score the round's sheets (or those in `ids`) from their stored inputs and store what changed: each line's
    score and method, the sheet's execution rate and score, indicator and total scores, grade, number of missing
    explanations and the overshoot flag. `write=False` scores without writing (the benchmark's read-and-rules);
    `keep=True` keeps each sheet's result (for a few sheets: the one just saved)."""
    params = params or round_params(rnd)
    out = ScoreResult()
    qs = SelfEvaluation.objects.filter(round=rnd)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    pks = list(qs.order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    for start in range(0, len(pks), CHUNK):
        lo, hi = pks[start], pks[min(start + CHUNK, len(pks)) - 1]
        chunk_qs = SelfEvaluation.objects.filter(round=rnd, pk__gte=lo, pk__lte=hi)
        if ids is not None:
            chunk_qs = chunk_qs.filter(pk__in=pks[start:start + CHUNK])
        evaluations = raw_rows(chunk_qs.order_by("pk").values_list(*_EVAL_COLUMNS))
        by_eval: dict[int, list] = defaultdict(list)
        for row in raw_rows(SelfEvaluationLine.objects.filter(evaluation__in=chunk_qs)
                            .order_by("evaluation_id", "position", "id").values_list(*_LINE_COLUMNS)):
            by_eval[row[1]].append(row)
        eval_updates, line_updates = [], []
        for (pk, ew, budget, executed, received, finished, f_expl, c_expl, *old) in evaluations:
            rows = by_eval.get(pk, [])
            sheet = rules.SheetInput(
                funds=rules.FundsInput(annual_budget=Money(budget), executed=Money(executed),
                                       received=None if received is None else Money(received), finished=finished),
                execution_weight=_dec(ew), lines=[_line_input(*r[2:12]) for r in rows],
                funds_explanation=f_expl, conclusion_explanation=c_expl)
            res = rules.score_sheet(sheet, params)
            if keep:
                out.results[pk] = res
            out.evaluations += 1
            out.lines += len(rows)
            figures = _figures(res)
            if not all(_same(n, o) for n, o in zip(figures, old, strict=True)):
                eval_updates.append((pk, *figures, now))
            for r, ls in zip(rows, res.lines, strict=True):
                if not (_same(ls.score, r[12]) and ls.method == r[13]):
                    line_updates.append((r[0], ls.score, ls.method))
        out.changed += len(eval_updates)
        if write:
            with transaction.atomic():
                bulk_set(SelfEvaluation, [*EVALUATION_FIGURES, "scored_at"], eval_updates)
                bulk_set(SelfEvaluationLine, ["score", "method"], line_updates)
    if write and ids is None:
        SelfEvaluationRound.objects.filter(pk=rnd.pk).update(scored_at=now)
    if write:
        round_summarize(rnd)
    return out


def round_summarize(rnd: SelfEvaluationRound | int) -> dict:
    """Store the round's totals on it: tasks, done (submitted or later), accepted, by grade, average total score."""
    from django.db.models import Avg, Count

    rnd_id = rnd if isinstance(rnd, int) else rnd.pk
    qs = SelfEvaluation.objects.filter(round_id=rnd_id)
    by_state = dict(qs.values("state").annotate(n=Count("id")).values_list("state", "n"))
    done_qs = qs.filter(state__in=sorted(DONE_STATES))
    by_grade = dict(done_qs.values("grade").annotate(n=Count("id")).values_list("grade", "n"))
    avg = done_qs.aggregate(a=Avg("total_score"))["a"]
    total = sum(by_state.values())
    done = sum(n for s, n in by_state.items() if s in DONE_STATES)
    out = {"tasks": total, "done": done, "accepted": by_state.get(SelfEvaluationState.ACCEPTED, 0),
           "returned": by_state.get(SelfEvaluationState.RETURNED, 0),
           "coverage_pct": str((Decimal(done * 100) / total).quantize(Decimal("0.01"))) if total else "0.00",
           "grades": {g: by_grade.get(g, 0) for g in Grade.values},
           "average": None if avg is None else str(Decimal(str(avg)).quantize(Decimal("0.01")))}
    SelfEvaluationRound.objects.filter(pk=rnd_id).update(summary=out)
    if not isinstance(rnd, int):
        rnd.summary = out
    return out


def round_score(*, actor: Actor | None, rnd: SelfEvaluationRound) -> ScoreResult:
    if actor is not None:
        _authorize_region(actor, rnd.region)
    return score_evaluations(rnd)


def evaluation_result(ev: SelfEvaluation, params: SelfEvaluationParams | None = None,
                      lines: list[SelfEvaluationLine] | None = None) -> rules.SheetScore:
    """The rules' result for one sheet from its stored inputs (the screens' scores and explanations)."""
    params = params or round_params(ev.round)
    lines = list(ev.lines.all()) if lines is None else lines
    sheet = rules.SheetInput(
        funds=rules.FundsInput(annual_budget=ev.annual_budget, executed=ev.executed, received=ev.received,
                               initial_budget=ev.initial_budget, finished=ev.finished),
        execution_weight=ev.execution_weight,
        lines=[rules.LineInput(comparator=ln.comparator, weight=ln.weight, target=ln.target_number,
                               actual=ln.actual_number, unit=ln.unit, level1=ln.level1, tier=ln.tier,
                               judged=ln.judged_score, overshoot_reason=ln.overshoot_reason,
                               explanation=ln.explanation) for ln in lines],
        funds_explanation=ev.funds_explanation, conclusion_explanation=ev.conclusion_explanation)
    return rules.score_sheet(sheet, params)


# --- the unit's sheet ---------------------------------------------------------------------------------------------
TEXT_FIELDS = ("achieved_goal", "funds_explanation", "conclusion_explanation", "executed_note", "duties")
LINE_TEXT_FIELDS = ("actual_value", "explanation")


def score_input(value, field: str, where: str, errors: dict, *, weight: Decimal | None = None) -> Decimal | None:
    """A score from outside (the unit's judged score, a re-check score): a number from 0 to its line's weight (100
    when none is given), two decimals; blank is None. A float or a bad number adds a message to `errors[field]`."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        errors.setdefault(field, []).append(f"{where}：分数请以字符串传入，不接受浮点数")
        return None
    n = number_in(str(value))
    if n is None or n < 0:
        errors.setdefault(field, []).append(f"{where}：得分应为不小于0的数值")
        return None
    cap = weight if weight is not None else Decimal(100)
    if n > cap:
        errors.setdefault(field, []).append(f"{where}：得分不能超过分值{rules.fmt(cap)}")
        return None
    return n.quantize(Decimal("0.01"))


def _breakdown(data, errors: dict) -> dict:
    if not isinstance(data, dict):
        errors.setdefault("funds_breakdown", []).append("资金来源明细格式不正确")
        return {}
    out = {}
    for key, label in BREAKDOWN_ROWS:
        row = data.get(key) or {}
        if not isinstance(row, dict):
            errors.setdefault(f"funds_breakdown.{key}", []).append(f"{label}格式不正确")
            continue
        values = {}
        for col in BREAKDOWN_COLUMNS:
            m = money_input(row.get(col), f"funds_breakdown.{key}.{col}", errors)
            if m is not None:
                values[col] = str(m.yuan)
        if values:
            out[key] = values
    return out


def evaluation_save(*, actor: Actor, evaluation: SelfEvaluation, data: dict, expected_lock_version: int
                    ) -> dict[str, list[str]]:
    """Save the unit's sheet: `executed` (yuan text; where it differs from the recorded spending `executed_note`
    explains why), `received`, `finished`, `funds_breakdown`, the text fields, main tasks' results and `lines`
    ({position: {actual_value, tier, judged_score, overshoot_reason, explanation}}). Atomic; a stale
    `expected_lock_version` changes nothing (ConcurrentEditError). Scores the sheet and returns its submission
    problems (empty when it could be submitted)."""
    authorize(actor, Action.EDIT, evaluation)
    errors: dict[str, list[str]] = {}
    values: dict = {}
    for f in ("executed", "received"):
        if f in data:
            values[f] = money_input(data.get(f), f, errors)
    if "executed" in values and values["executed"] is None:  # cleared: back to the recorded spending
        values["executed"] = evaluation.recorded_executed
    if "finished" in data:
        v = data.get("finished")
        if v not in (None, "", True, False, "true", "false", "1", "0"):
            errors.setdefault("finished", []).append("项目是否完成只能是“是”或“否”")
        values["finished"] = None if v in (None, "") else v in (True, "true", "1")
    if "funds_breakdown" in data:
        values["funds_breakdown"] = _breakdown(data.get("funds_breakdown") or {}, errors)
    for f in TEXT_FIELDS:
        if f in data:
            values[f] = str(data.get(f) or "").strip()
    if "main_tasks" in data:
        results = data.get("main_tasks") or []
        if not isinstance(results, list):
            errors["main_tasks"] = ["主要任务完成情况格式不正确"]
        else:
            tasks = [dict(t) for t in evaluation.main_tasks]
            for i, item in enumerate(results[:len(tasks)]):
                tasks[i]["result"] = str((item or {}).get("result", "") if isinstance(item, dict) else item).strip()
            values["main_tasks"] = tasks
    lines = {ln.position: ln for ln in evaluation.lines.all()}
    line_values: dict[int, dict] = {}
    for key, item in (data.get("lines") or {}).items():
        try:
            position = int(key)
        except (TypeError, ValueError):
            errors.setdefault("lines", []).append(f"指标序号“{key}”无效")
            continue
        ln = lines.get(position)
        if ln is None or not isinstance(item, dict):
            errors.setdefault("lines", []).append(f"没有序号为{position}的指标")
            continue
        where, k = f"第{position + 1}行（{ln.name}）", f"lines.{position + 1}"
        v: dict = {f: str(item.get(f) or "").strip() for f in LINE_TEXT_FIELDS if f in item}
        if "actual_value" in v:
            v["actual_number"] = number_in(v["actual_value"])
            if v["actual_value"] and v["actual_number"] is None and ln.target_number is not None:
                errors.setdefault(f"{k}.actual_value", []).append(f"{where}：实际完成值须为数值，如“45”或“45.5%”")
        if "tier" in item:
            tier = str(item.get("tier") or "")
            if tier and tier not in QualitativeTier.values:
                errors.setdefault(f"{k}.tier", []).append(f"{where}：完成档次只能是达成、部分达成或未达成")
            v["tier"] = tier
        if "judged_score" in item:
            v["judged_score"] = score_input(item.get("judged_score"), f"{k}.judged_score", where, errors,
                                            weight=ln.weight)
        if "overshoot_reason" in item:
            reason = str(item.get("overshoot_reason") or "")
            if reason and reason not in rules.OVERSHOOT_REASONS:
                errors.setdefault(f"{k}.overshoot_reason", []).append(f"{where}：超额原因不在可选范围内")
            v["overshoot_reason"] = reason
        line_values[position] = v
    if errors:
        raise ValidationError(errors)
    watched = ["executed", "received", "finished", *TEXT_FIELDS]
    with transaction.atomic():
        claim_lock(evaluation, expected_lock_version)
        before = audit.snapshot(evaluation, watched)
        for f, value in values.items():
            setattr(evaluation, f, value)
        evaluation.save(update_fields=[*values, "lock_version"])
        changed = []
        for position, v in line_values.items():
            ln = lines[position]
            for f, value in v.items():
                setattr(ln, f, value)
            changed.append(ln)
        fields = sorted({f for v in line_values.values() for f in v})
        if changed and fields:
            SelfEvaluationLine.objects.bulk_update(changed, fields)
        scored = score_evaluations(evaluation.round, [evaluation.pk], keep=True)
        audit.record(actor=actor, action="update", obj=evaluation, before=before,
                     after=audit.snapshot(evaluation, watched), comment=f"填报自评表（{len(changed)}项指标）")
    evaluation.refresh_from_db()
    return evaluation_problems(evaluation, scored.results.get(evaluation.pk))


def evaluation_problems(ev: SelfEvaluation, result: rules.SheetScore | None = None) -> dict[str, list[str]]:
    """What a submission needs (10号 第十一、二十六条): the rules' required explanations, keyed by field (lines as
    `lines.<n>.<field>`, counted from 1), and a note for an executed amount that departs from the records."""
    res = result or evaluation_result(ev)
    out: dict[str, list[str]] = {}
    for p in res.blocking:
        key = f"lines.{p.loc[1] + 1}.{p.loc[2]}" if p.loc[0] == "lines" else ".".join(str(x) for x in p.loc)
        out.setdefault(key, []).append(p.message)
    if ev.executed != ev.recorded_executed and not ev.executed_note:
        out.setdefault("executed_note", []).append(
            f"全年执行数与一体化系统记录（{ev.recorded_executed.format_wan()}万元）不一致，请说明更正原因")
    if not ev.achieved_goal.strip():
        out.setdefault("achieved_goal", []).append("请填写年度总体目标实际完成情况")
    return out


def evaluation_transition(*, actor: Actor, evaluation: SelfEvaluation, name: str, comment: str = "",
                          expected_lock_version: int | None = None) -> SelfEvaluation:
    """submit (every required explanation present), withdraw, department_pass / department_return, accept /
    finance_return."""
    t = evaluation.workflow.get(name)
    if name == "submit" and evaluation.state in t.sources:
        authorize(actor, t.action, evaluation)
        problems = evaluation_problems(evaluation)
        if problems:
            raise ValidationError(problems)
    with transaction.atomic():
        workflow.transition(actor=actor, obj=evaluation, name=name, comment=comment,
                            expected_lock_version=expected_lock_version)
        if name == "submit":
            evaluation.submitted_at = timezone.now()
            evaluation.save(update_fields=["submitted_at"])
        round_summarize(evaluation.round_id)
    return evaluation

