"""Writes of monitoring: rounds and their tasks, the unit's form, warnings, reviews and dispositions.

Keyword-only, `actor` first, atomic, audited; messages in Chinese per field (`ValidationError({field: [...]})`,
rows as `rows.<n>.<field>`). Batch work (a province's round: hundreds of thousands of reports, millions of rows) goes
through bulk reads of plain values, the pure rules and bulk writes (`jixiao.core.bulk`), never a query per report.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from jixiao.core import audit, workflow
from jixiao.core.bulk import as_money, bulk_set, raw_rows
from jixiao.core.bulk import stored_decimal as _dec
from jixiao.core.calendar import add_working_days
from jixiao.core.money import Money, money_input
from jixiao.core.permissions import Action, Actor, authorize
from jixiao.core.workflow import claim_lock
from jixiao.goals.values import number_in
from jixiao.monitoring import rules
from jixiao.monitoring.choices import Achievement, DeviationCause, Likelihood, RoundKind
from jixiao.monitoring.models import (
    MonitoringDisposition,
    MonitoringIndicator,
    MonitoringReport,
    MonitoringRound,
)
from jixiao.monitoring.workflows import DONE_STATES, DispositionState, ReportState
from jixiao.policy.schema import Colour, MonitoringParams
from jixiao.policy.schema import Disposition as Measure
from jixiao.policy.selectors import params_at

CHUNK = 2000
SPECIAL_BOND = "special_bond"


# --- parameters ---------------------------------------------------------------------------------------------------


def round_params(rnd: MonitoringRound) -> MonitoringParams:
    """The monitoring parameters the round was created under (the profile version recorded on it)."""
    return params_at(rnd.region_id, rnd.fiscal_year.year, rnd.profile_id).monitoring


def round_time_progress(rnd: MonitoringRound, params: MonitoringParams | None = None) -> rules.TimeProgress:
    params = params or round_params(rnd)
    return rules.time_progress(period_end=rnd.period_end, data_months=rnd.data_months,
                               method=params.time_progress_method)


@dataclass(frozen=True)
class PlannedRound:
    kind: str
    name: str
    period_end: datetime.date
    data_months: int
    due: datetime.date | None
    point: int | None = None  # index into params.monitoring.points
    month: int | None = None  # special bonds: the month


def _md(year: int, text: str) -> datetime.date:
    month, day = (int(x) for x in text.split("-"))
    return datetime.date(year, month, day)


def _month_end(year: int, month: int) -> datetime.date:
    nxt = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - datetime.timedelta(days=1)


def planned_rounds(region, year: int) -> list[PlannedRound]:
    """The rounds the profile plans for the region and year: its monitoring points, then (when special bonds are
    monitored monthly) one round per month, due on the 10th of the next month."""
    from jixiao.policy.selectors import effective_profile

    mp = effective_profile(region, year).params.monitoring
    out = []
    for i, p in enumerate(mp.points):
        end = _md(year, p.period_end)
        due = _md(year, p.due) if p.due else None
        if due is not None and due < end:  # a due date in the next year (e.g. 12-31 data due 01-15)
            due = due.replace(year=year + 1)
        out.append(PlannedRound(RoundKind.POINT, p.name, end, p.data_months, due, point=i))
    if mp.special_bond_monthly:
        for m in range(1, 13):
            end = _month_end(year, m)
            due = datetime.date(year + (m == 12), m % 12 + 1, 10)
            out.append(PlannedRound(RoundKind.BOND_MONTHLY, f"专项债券{m}月监控", end, m, due, month=m))
    return out


# --- rounds and tasks ---------------------------------------------------------------------------------------------
def _authorize_region(actor: Actor, region) -> None:
    """Only the region's own bureau (Action.APPROVE on the region) opens and computes its rounds."""
    from django.core.exceptions import PermissionDenied

    from jixiao.core.permissions import can

    if not can(actor, Action.APPROVE, MonitoringRound(region=region)):
        raise PermissionDenied("只有本级财政部门可以开启、生成和计算监控轮次")


def round_create(*, actor: Actor, region, year: int, point: int | None = None, month: int | None = None,
                 generate: bool = True) -> MonitoringRound:
    """Open one planned round (a monitoring point by its index, or a special bonds' month) and, unless `generate`
    is False (a background job then calls `round_generate`), create its tasks."""
    from jixiao.budget.models import FiscalYear
    from jixiao.policy.services import profile_ensure_effective

    _authorize_region(actor, region)
    planned = planned_rounds(region, year)
    match = [p for p in planned if (point is not None and p.point == point) or (month is not None and p.month == month)]
    if not match:
        raise ValidationError({"point": ["政策配置中没有该监控节点"]})
    plan = match[0]
    fy = FiscalYear.objects.filter(year=year).first()
    if fy is None:
        raise ValidationError({"year": [f"尚未设置{year}预算年度"]})
    if MonitoringRound.objects.filter(region=region, fiscal_year=fy, kind=plan.kind,
                                      period_end=plan.period_end).exists():
        raise ValidationError({"point": [f"{year}年“{plan.name}”已开启"]})
    with transaction.atomic():
        rnd = MonitoringRound.objects.create(
            region=region, fiscal_year=fy, kind=plan.kind, name=plan.name, period_end=plan.period_end,
            data_months=plan.data_months, due=plan.due,
            profile_id=profile_ensure_effective(region=region, fiscal_year=year).profile_id,
            created_by=actor.user)
        audit.record(actor=actor, action="create", obj=rnd, after={"name": rnd.name, "period_end": str(plan.period_end),
                                                                    "due": str(plan.due or "")})
        if generate:
            round_generate(rnd)
    return rnd


def round_subjects(rnd: MonitoringRound, params: MonitoringParams | None = None):
    """The subjects in the round's scope: the region's subjects of the year in the budget (入库) with passed goals,
    not cancelled; research projects left out where the profile exempts them; special bonds only in their monthly
    rounds."""
    from jixiao.budget.models import ExecutionStatus, PerformanceSubject, SubjectState
    from jixiao.goals.workflows import PASSED_STATES

    params = params or round_params(rnd)
    qs = (PerformanceSubject.objects.filter(region_id=rnd.region_id, fiscal_year_id=rnd.fiscal_year_id,
                                            state=SubjectState.APPROVED, goal_sheet__state__in=sorted(PASSED_STATES))
          .exclude(execution_status=ExecutionStatus.CANCELLED))
    if params.research_exempt:
        qs = qs.exclude(is_research=True)
    if rnd.kind == RoundKind.BOND_MONTHLY:
        qs = qs.filter(special_category=SPECIAL_BOND)
    return qs


def _target_number(text: str) -> Decimal | None:
    from jixiao.goals.values import split_target

    _, number, _ = split_target(text)
    if number is None:
        return None
    try:
        return number.quantize(Decimal("0.000001"))
    except InvalidOperation:
        return None


def round_generate(rnd: MonitoringRound, progress: Callable[[int, int], None] | None = None) -> int:
    """Create the missing tasks of a round (one report per subject in scope, with the goal sheet's rows and the
    spending recorded up to the data month). Idempotent: subjects that already have a report are skipped. Returns
    how many reports were created."""
    from jixiao.budget.models import ExecutionRecord
    from jixiao.goals.models import GoalIndicator, GoalSheet

    params = round_params(rnd)
    existing = set(MonitoringReport.objects.filter(round=rnd).values_list("subject_id", flat=True))
    subject_rows = list(round_subjects(rnd, params).order_by("pk").values_list(
        "pk", "region_id", "department_id", "unit_id", "annual_amount", "adjusted_amount", "budget_kind"))
    todo = [s for s in subject_rows if s[0] not in existing]
    created, total = 0, len(todo)
    year = rnd.fiscal_year.year
    for start in range(0, total, CHUNK):
        chunk = todo[start:start + CHUNK]
        ids = [s[0] for s in chunk]
        sheets = {sid: (pk, rev, goal, duties, tasks) for pk, sid, rev, goal, duties, tasks in
                  GoalSheet.objects.filter(subject_id__in=ids).values_list(
                      "pk", "subject_id", "revision", "annual_goal", "duties", "main_tasks")}
        spent = dict(ExecutionRecord.objects.filter(subject_id__in=ids, year=year, month__lte=rnd.data_months)
                     .values("subject_id").annotate(total=Sum("amount")).values_list("subject_id", "total"))
        reports = []
        for sid, region_id, dept_id, unit_id, annual, adjusted, budget_kind in chunk:
            sheet = sheets.get(sid)
            budget = adjusted if adjusted is not None else annual
            recorded = as_money(spent.get(sid))
            tasks = [{"name": t.get("name", ""), "content": t.get("content", ""), "progress": ""}
                     for t in (sheet[4] if sheet else []) or []]
            reports.append(MonitoringReport(
                round=rnd, subject_id=sid, region_id=region_id, department_id=dept_id, unit_id=unit_id,
                goal_sheet_id=sheet[0] if sheet else None, goal_revision=sheet[1] if sheet else 1,
                budget_kind=budget_kind, budget_amount=budget, recorded_spent=recorded, spent_to_date=recorded,
                annual_goal=sheet[2] if sheet else "", duties=sheet[3] if sheet else "", main_tasks=tasks,
                state=ReportState.DRAFT))
        with transaction.atomic():
            MonitoringReport.objects.bulk_create(reports, batch_size=500)
            by_subject = {r.subject_id: r.pk for r in reports}
            if any(r.pk is None for r in reports):  # backends without RETURNING
                by_subject = dict(MonitoringReport.objects.filter(round=rnd, subject_id__in=ids)
                                  .values_list("subject_id", "pk"))
            sheet_to_report = {sheets[sid][0]: by_subject[sid] for sid in ids if sid in sheets}
            rows = []
            for (sheet_id, position, level1, level2, name, comparator, target, unit, weight, indicator_id) in (
                    GoalIndicator.objects.filter(sheet_id__in=list(sheet_to_report)).order_by("sheet_id", "position",
                                                                                           "id")
                    .values_list("sheet_id", "position", "level1", "level2", "name", "comparator", "target_value",
                                 "unit", "weight", "indicator_id")):
                rows.append(MonitoringIndicator(
                    report_id=sheet_to_report[sheet_id], position=position, level1=level1, level2=level2, name=name,
                    comparator=comparator, target_value=target, target_number=_target_number(target), unit=unit,
                    weight=weight, indicator_id=indicator_id))
            MonitoringIndicator.objects.bulk_create(rows, batch_size=2000)
        created += len(chunk)
        if progress:
            progress(created, total)
    return created


def round_refresh_spending(rnd: MonitoringRound) -> int:
    """Re-read the recorded spending (execution records up to the data month) and the current budget of every report
    still in draft or returned; where the unit had not corrected the figure, the report's spending follows."""
    from jixiao.budget.models import ExecutionRecord

    reports = list(MonitoringReport.objects.filter(round=rnd, state__in=[ReportState.DRAFT, ReportState.RETURNED])
                   .values_list("pk", "subject_id", "recorded_spent", "spent_to_date", "subject__annual_amount",
                                "subject__adjusted_amount"))
    spent = dict(ExecutionRecord.objects.filter(subject__monitoring_reports__round=rnd, year=rnd.fiscal_year.year,
                                                month__lte=rnd.data_months)
                 .values("subject_id").annotate(total=Sum("amount")).values_list("subject_id", "total"))
    updates = []
    for pk, sid, recorded, to_date, annual, adjusted in reports:
        new = as_money(spent.get(sid))
        follow = to_date is None or to_date == recorded
        updates.append((pk, new.fen, new.fen if follow else to_date.fen, (adjusted if adjusted is not None
                                                                            else annual).fen))
    bulk_set(MonitoringReport, ["recorded_spent", "spent_to_date", "budget_amount"], updates)
    round_summarize(rnd)
    return len(updates)


# --- computing warnings -------------------------------------------------------------------------------------------
@dataclass
class ComputeResult:
    reports: int = 0
    rows: int = 0
    needs_disposition: int = 0
    changed_reports: int = 0  # whose stored figures changed (and were written)
    changed_rows: int = 0
    memo_hits: int = 0  # indicator rows whose result was that of an identical row computed before


MEMO_SIZE = 200_000  # distinct indicator inputs remembered while computing a round (0: none)

REPORT_FIGURES = ["time_progress", "execution_rate", "execution_colour", "goal_colour", "colour", "gap",
                  "gap_exceeded", "floor_breached", "impossible", "needs_disposition", "behind_amount", "rows_total",
                  "rows_blue", "rows_green", "rows_yellow", "rows_red"]


def _stored(value):
    """A stored figure as read raw (fen for money; on SQLite, decimals as floats) as the computed one compares to
    it."""
    if isinstance(value, Money):
        return value.fen
    return _dec(value) if isinstance(value, float) else value


def _same(new: Decimal | None, old) -> bool:
    """A computed two-decimal figure against the stored one (Decimal, the numeric's text, or a float on SQLite)."""
    if old is None or new is None:
        return old is new
    if isinstance(old, str):
        return str(new) == old or new == Decimal(old)
    return new == (old if isinstance(old, Decimal) else _dec(old))


def compute_reports(rnd: MonitoringRound, report_ids: Iterable[int] | None = None, *,
                    params: MonitoringParams | None = None, write: bool = True) -> ComputeResult:
    """Compute every warning of the round's reports (or of `report_ids`) with the pure rules and store the figures
    and colours on the reports and rows. Reads plain values (with the stored figures) in two queries per chunk and
    writes, in bulk, only the reports and rows whose figures changed: a recomputation of an unchanged round writes
    nothing. Identical indicator inputs get the result computed for the first of them (the rules are pure; the
    time progress and parameters are the round's). A report's `computed_at` is when its figures last changed; the
    round's, when it was last computed."""
    params = params or round_params(rnd)
    tp = round_time_progress(rnd, params)
    tp_pct = tp.pct
    now = timezone.now()
    result = ComputeResult()
    memo: dict[tuple, tuple] = {}
    base = MonitoringReport.objects.filter(round=rnd)
    if report_ids is not None:
        base = base.filter(pk__in=list(report_ids))
    ids = list(base.order_by("pk").values_list("pk", flat=True))
    blue, green, yellow, red = Colour.BLUE, Colour.GREEN, Colour.YELLOW, Colour.RED
    period_end, subject_result, behind_schedule = rnd.period_end, rules.subject_result, rules.behind_schedule
    plain = connection.vendor == "postgresql"  # stored figures read raw compare as they are (SQLite: floats)
    hits = 0
    for start in range(0, len(ids), CHUNK * 5):
        numbers: dict = {}  # stored target and weight values as Decimals, per chunk
        chunk = ids[start:start + CHUNK * 5]
        lo, hi = chunk[0], chunk[-1]
        reports = raw_rows(MonitoringReport.objects.filter(round=rnd, pk__gte=lo, pk__lte=hi).order_by("pk")
                            .values_list("pk", "budget_amount", "spent_to_date", "recorded_spent", *REPORT_FIGURES))
        rows_by_report: dict[int, list] = defaultdict(list)
        # by the report id range alone (an index range scan); rows of other rounds' reports in the range are skipped
        for row in raw_rows(MonitoringIndicator.objects.filter(report_id__gte=lo, report_id__lte=hi)
                             .order_by("report_id", "position", "id")
                             .values_list("report_id", "pk", "comparator", "target_number", "unit", "current_number",
                                          "achievement", "weight", "likelihood", "colour", "ratio"),
                             numeric_as_text=True):
            rows_by_report[row[0]].append(row)
        report_updates, row_updates = [], []
        wanted = set(chunk)
        for pk, budget, spent, recorded, *stored in reports:
            if pk not in wanted:
                continue
            budget = Money(budget or 0)
            spent = Money(spent if spent is not None else recorded or 0)
            raw = rows_by_report.get(pk, ())
            rowres, row_colours = [], []
            for row in raw:
                key = row[2:9]  # the rules' inputs; identical rows of a round have identical results
                hit = memo.get(key) if MEMO_SIZE else None
                if hit is None:
                    c, t, u, cur, a, w, lk = key
                    target, weight = numbers.get(t), numbers.get(w)  # few distinct targets and weights: kept
                    if target is None and t is not None:
                        target = numbers[t] = _dec(t)
                    if weight is None and w is not None:
                        weight = numbers[w] = _dec(w)
                    ir = rules.indicator_warning(
                        rules.IndicatorInput(comparator=c, target=target, unit=u, current=_dec(cur), achievement=a,
                                             weight=weight, likelihood=lk), tp, params)
                    if len(memo) >= MEMO_SIZE:
                        memo.clear()
                    ratio = ir.ratio_pct
                    hit = memo[key] = (ir, ir.colour or "", ratio, None if ratio is None else str(ratio))
                else:
                    hits += 1
                ir, colour, ratio, text = hit
                rowres.append(ir)
                row_colours.append(colour)
                old = row[10]
                if colour != row[9] or (old != text and not _same(ratio, old)):
                    row_updates.append((row[1], colour, ratio))
            result.rows += len(raw)
            res = subject_result(budget=budget, spent=spent, results=tuple(rowres), tp=tp, period_end=period_end,
                                 params=params)
            gap = res.gap
            figures = (tp_pct, res.execution.rate_pct, res.execution.colour, res.goal_colour or "", res.colour,
                       gap.gap if gap else None, bool(gap and gap.exceeded),
                       bool(res.floor and res.floor.breached), res.impossible, res.needs_disposition,
                       behind_schedule(budget, spent, tp).fen, len(row_colours), row_colours.count(blue),
                       row_colours.count(green), row_colours.count(yellow), row_colours.count(red))
            result.reports += 1
            result.needs_disposition += res.needs_disposition
            if figures != (tuple(stored) if plain else tuple(map(_stored, stored))):
                report_updates.append((pk, *figures, now))
        result.changed_reports += len(report_updates)
        result.changed_rows += len(row_updates)
        if write:
            bulk_set(MonitoringReport, [*REPORT_FIGURES, "computed_at"], report_updates)
            bulk_set(MonitoringIndicator, ["colour", "ratio"], row_updates)
    result.memo_hits = hits
    if write:
        round_summarize(rnd)
    return result


def round_summarize(rnd: MonitoringRound | int) -> dict:
    """Store the round's totals on it (counts by colour, reported, needing a decision, money in fen) with one
    aggregate over its reports, so a province's dashboard sums its cities' and counties' rounds without reading their
    reports. Called after every computation and every report transition."""
    from jixiao.monitoring.models import MonitoringRoundFigures
    from jixiao.monitoring.selectors import GROUP_FIELDS, Figures, report_groups

    rnd_id = rnd if isinstance(rnd, int) else rnd.pk
    groups = report_groups(MonitoringReport.objects.filter(round_id=rnd_id))
    figures = Figures()
    for g in groups:
        figures.add_group(g)
    out = figures.to_summary()
    MonitoringRound.objects.filter(pk=rnd_id).update(summary=out)
    MonitoringRoundFigures.objects.update_or_create(
        round_id=rnd_id, defaults={"groups": [[g[f] for f in GROUP_FIELDS] for g in groups]})
    if not isinstance(rnd, int):
        rnd.summary = out
    return out


def round_compute(*, actor: Actor | None, rnd: MonitoringRound) -> ComputeResult:
    """Recompute the whole round (the bureau's button and the background job), open the dispositions submitted
    reports now need, and suspend the overdue ones."""
    if actor is not None:
        _authorize_region(actor, rnd.region)
    params = round_params(rnd)
    res = compute_reports(rnd, params=params)
    MonitoringRound.objects.filter(pk=rnd.pk).update(computed_at=timezone.now())
    open_dispositions(rnd, params=params)
    disposition_sweep(today=timezone.localdate())
    return res


def report_explanation(report: MonitoringReport, params: MonitoringParams | None = None) -> rules.SubjectResult:
    """The rules' result for one report from its stored inputs (for the screens' explanations)."""
    params = params or round_params(report.round)
    tp = round_time_progress(report.round, params)
    rows = list(report.indicators.all())
    inputs = [rules.IndicatorInput(comparator=r.comparator, target=_dec(r.target_number), unit=r.unit,
                                   current=_dec(r.current_number), achievement=r.achievement, weight=_dec(r.weight),
                                   likelihood=r.likelihood) for r in rows]
    spent = report.spent_to_date if report.spent_to_date is not None else report.recorded_spent
    return rules.subject_warning(budget=report.budget_amount, spent=spent, rows=inputs, tp=tp,
                                 period_end=report.round.period_end, params=params)


# --- the unit's form ----------------------------------------------------------------------------------------------
REPORT_TEXT_FIELDS = ("goal_progress", "duties", "remark", "spent_note")
ROW_TEXT_FIELDS = ("current_value", "expected_value", "cause_note", "remark")


def report_save(*, actor: Actor, report: MonitoringReport, data: dict, expected_lock_version: int) -> dict:
    """Save the unit's form: amounts (`spent_to_date`, `expected_year_end`, as yuan text), the text fields, main tasks'
    progress and `rows` ({position: {current_value, achievement, expected_value, deviation_causes, cause_note,
    likelihood, remark}}). Atomic; a stale `expected_lock_version` changes nothing (ConcurrentEditError). Returns the
    submission problems of the saved form (empty when it could be submitted)."""
    authorize(actor, Action.EDIT, report)
    errors: dict[str, list[str]] = {}
    values: dict = {}
    for f in ("spent_to_date", "expected_year_end"):
        if f in data:
            values[f] = money_input(data.get(f), f, errors)
    for f in REPORT_TEXT_FIELDS:
        if f in data:
            values[f] = str(data.get(f) or "").strip()
    if "main_tasks" in data:
        progress = data.get("main_tasks") or []
        if not isinstance(progress, list):
            errors["main_tasks"] = ["主要任务完成情况格式不正确"]
        else:
            tasks = [dict(t) for t in report.main_tasks]
            for i, item in enumerate(progress):
                if i < len(tasks):
                    tasks[i]["progress"] = str((item or {}).get("progress", "") if isinstance(item, dict)
                                               else item).strip()
            values["main_tasks"] = tasks
    rows = {r.position: r for r in report.indicators.all()}
    row_values: dict[int, dict] = {}
    for key, item in (data.get("rows") or {}).items():
        try:
            position = int(key)
        except (TypeError, ValueError):
            errors.setdefault("rows", []).append(f"指标序号“{key}”无效")
            continue
        row = rows.get(position)
        if row is None:
            errors.setdefault("rows", []).append(f"没有序号为{position}的指标")
            continue
        where = f"第{position + 1}行（{row.name}）"
        k = f"rows.{position + 1}"
        v: dict = {}
        for f in ROW_TEXT_FIELDS:
            if f in item:
                v[f] = str(item.get(f) or "").strip()
        if "current_value" in v:
            v["current_number"] = number_in(v["current_value"])
            if v["current_value"] and v["current_number"] is None and rules.is_quantitative(row.comparator,
                                                                                           row.target_number):
                errors.setdefault(f"{k}.current_value", []).append(f"{where}：当前完成值须为数值，如“45”或“45.5”")
        if "achievement" in item:
            a = str(item.get("achievement") or "")
            if a and a not in Achievement.values:
                errors.setdefault(f"{k}.achievement", []).append(f"{where}：完成情况只能是达成、部分达成或未达成")
            v["achievement"] = a
        if "likelihood" in item:
            lk = str(item.get("likelihood") or "")
            if lk and lk not in Likelihood.values:
                errors.setdefault(f"{k}.likelihood", []).append(
                    f"{where}：完成目标可能性只能是确定能、有可能或完全不可能")
            v["likelihood"] = lk
        if "deviation_causes" in item:
            causes = item.get("deviation_causes") or []
            if isinstance(causes, str):
                causes = [c for c in causes.replace("，", ",").split(",") if c.strip()]
            causes = [str(c).strip() for c in causes]
            bad = [c for c in causes if c not in DeviationCause.values]
            if bad:
                errors.setdefault(f"{k}.deviation_causes", []).append(
                    f"{where}：偏差原因“{'、'.join(bad)}”不在可选范围内")
            v["deviation_causes"] = [c for c in DeviationCause.values if c in causes]
        row_values[position] = v
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        claim_lock(report, expected_lock_version)
        before = audit.snapshot(report, ["spent_to_date", "expected_year_end", *REPORT_TEXT_FIELDS])
        for f, value in values.items():
            setattr(report, f, value)
        report.save(update_fields=[*values, "lock_version"] if values else ["lock_version"])
        changed_rows = []
        for position, v in row_values.items():
            row = rows[position]
            for f, value in v.items():
                setattr(row, f, value)
            changed_rows.append(row)
        if changed_rows:
            fields = sorted({f for v in row_values.values() for f in v})
            if fields:
                MonitoringIndicator.objects.bulk_update(changed_rows, fields)
        compute_reports(report.round, [report.pk])
        after = audit.snapshot(report, ["spent_to_date", "expected_year_end", *REPORT_TEXT_FIELDS])
        audit.record(actor=actor, action="update", obj=report, before=before, after=after,
                     comment=f"填报监控表（{len(changed_rows)}行指标）")
    report.refresh_from_db()
    return report_problems(report)


def report_problems(report: MonitoringReport) -> dict[str, list[str]]:
    """The submission checks (RULES checklist 27) of the stored form."""
    res = report_explanation(report)
    rows = list(report.indicators.all())
    form = rules.FormReport(
        spent=report.spent_to_date, expected_year_end=report.expected_year_end, budget=report.budget_amount,
        rows=tuple(rules.RowReport(row=r.position + 1, name=r.name, expected_value=r.expected_value,
                                   deviation_causes=tuple(r.deviation_causes or ()), cause_note=r.cause_note,
                                   remark=r.remark) for r in rows))
    problems = rules.form_problems(form, res.indicators)
    if report.spent_to_date is not None and report.spent_to_date != report.recorded_spent and not report.spent_note:
        problems.setdefault("spent_note", []).append(
            f"执行数与一体化系统记录（{report.recorded_spent.format_wan()}万元）不一致，请说明更正原因")
    return problems


def report_transition(*, actor: Actor, report: MonitoringReport, name: str, comment: str = "",
                      expected_lock_version: int | None = None) -> MonitoringReport:
    """submit (checks the form), withdraw, department_pass / department_return, accept / finance_return. A submitted
    report whose warnings need a decision opens its disposition in the same transaction."""
    t = report.workflow.get(name)
    if name == "submit" and report.state in t.sources:
        authorize(actor, t.action, report)
        problems = report_problems(report)
        if problems:
            raise ValidationError(problems)
    with transaction.atomic():
        workflow.transition(actor=actor, obj=report, name=name, comment=comment,
                            expected_lock_version=expected_lock_version)
        if name == "submit":
            report.submitted_at = timezone.now()
            report.save(update_fields=["submitted_at"])
            compute_reports(report.round, [report.pk])
            report.refresh_from_db()
            open_dispositions(report.round, report_ids=[report.pk])
        else:
            round_summarize(report.round_id)
    return report


# --- dispositions -------------------------------------------------------------------------------------------------
def open_dispositions(rnd: MonitoringRound, *, report_ids: Iterable[int] | None = None,
                      params: MonitoringParams | None = None, today: datetime.date | None = None) -> int:
    """Open a disposition for every reported (submitted or later) report that needs one and has none, due within
    the profile's working days. Returns how many were opened."""
    params = params or round_params(rnd)
    today = today or timezone.localdate()
    qs = MonitoringReport.objects.filter(round=rnd, needs_disposition=True, state__in=sorted(DONE_STATES),
                                         disposition__isnull=True)
    if report_ids is not None:
        qs = qs.filter(pk__in=list(report_ids))
    due = add_working_days(today, params.disposition_working_days)
    new = []
    reports = list(qs.select_related("round", "subject").prefetch_related("indicators"))
    for report in reports:
        res = report_explanation(report, params)
        new.append(MonitoringDisposition(report=report, round_id=report.round_id, subject=report.subject,
                                         region_id=report.region_id, department_id=report.department_id,
                                         unit_id=report.unit_id,
                                         reasons=res.reasons(), opened_on=today, due=due,
                                         state=DispositionState.OPEN))
    MonitoringDisposition.objects.bulk_create(new, batch_size=500)
    audit.record_many(actor=None, action="create", entries=(
        {"obj": d, "after": {"reasons": d.reasons, "due": str(due)}, "comment": "监控预警，待选定处置方式"}
        for d in new))
    return len(new)


def disposition_sweep(*, today: datetime.date | None = None) -> int:
    """Dispositions still undecided after their due date are suspended (where the profile says so): the subject is
    suspended and its payments blocked until a measure is approved. Returns how many were suspended."""
    from jixiao.budget.models import ExecutionStatus, PerformanceSubject
    from jixiao.budget.services import _refresh_payment_block

    today = today or timezone.localdate()
    count = 0
    overdue = (MonitoringDisposition.objects.filter(state=DispositionState.OPEN, due__lt=today)
               .select_related("report__round"))
    params_by_round: dict[int, MonitoringParams] = {}
    for d in overdue:
        rnd = d.report.round
        if rnd.pk not in params_by_round:
            params_by_round[rnd.pk] = round_params(rnd)
        if not params_by_round[rnd.pk].disposition_timeout_suspends:
            continue
        with transaction.atomic():
            changed = MonitoringDisposition.objects.filter(pk=d.pk, state=DispositionState.OPEN).update(
                state=DispositionState.SUSPENDED, suspended_at=timezone.now(), lock_version=d.lock_version + 1)
            if not changed:
                continue
            subject = PerformanceSubject.objects.select_for_update().get(pk=d.subject_id)
            subject.execution_status = ExecutionStatus.SUSPENDED
            _refresh_payment_block(subject)
            subject.save(update_fields=["execution_status", "payment_blocked", "payment_block_reason", "updated_at"])
            audit.record(actor=None, action="transition", obj=d, before={"state": DispositionState.OPEN},
                         after={"state": DispositionState.SUSPENDED},
                         comment=f"处置期限{d.due}已过，未选定处置方式，自动暂停并暂停拨款")
            audit.record(actor=None, action="update", obj=subject, before={"execution_status": "normal"},
                         after={"execution_status": "suspended", "payment_blocked": True},
                         comment="监控预警逾期未处置，自动暂停")
        count += 1
    return count


def disposition_save(*, actor: Actor, disposition: MonitoringDisposition, data: dict,
                     expected_lock_version: int) -> MonitoringDisposition:
    """The department's (or unit's) choice: `measure`, `measure_note`, `reduce_amount` (yuan text; for 调减 and
    调剂), `budget_adjustment_ref` (for 调减预算并同步调整绩效目标)."""
    authorize(actor, Action.EDIT, disposition)
    params = round_params(disposition.report.round)
    errors: dict[str, list[str]] = {}
    measure = str(data.get("measure") or "")
    if measure not in [m for m in params.disposition_options]:
        allowed = "、".join(Measure(m).label for m in params.disposition_options)
        errors["measure"] = [f"请选择处置方式（{allowed}）"]
    note = str(data.get("measure_note") or "").strip()
    amount = money_input(data.get("reduce_amount"), "reduce_amount", errors)
    ref = str(data.get("budget_adjustment_ref") or "").strip()
    if len(ref) > 100:
        errors["budget_adjustment_ref"] = ["预算调整（调剂）文号过长"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        claim_lock(disposition, expected_lock_version)
        before = audit.snapshot(disposition, ["measure", "measure_note", "reduce_amount", "budget_adjustment_ref"])
        disposition.measure, disposition.measure_note = measure, note
        disposition.reduce_amount, disposition.budget_adjustment_ref = amount, ref
        disposition.save(update_fields=["measure", "measure_note", "reduce_amount", "budget_adjustment_ref",
                                        "lock_version"])
        audit.record(actor=actor, action="update", obj=disposition, before=before,
                     after=audit.snapshot(disposition, ["measure", "measure_note", "reduce_amount",
                                                        "budget_adjustment_ref"]))
    return disposition


def disposition_problems(d: MonitoringDisposition) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not d.measure:
        errors["measure"] = ["请选择处置方式"]
        return errors
    if not d.measure_note:
        errors["measure_note"] = ["请说明处置措施"]
    subject = d.subject
    if d.measure in (Measure.REDUCE_ADJUST, Measure.REALLOCATE):
        if d.reduce_amount is None or d.reduce_amount.fen <= 0:
            errors["reduce_amount"] = ["调减或调剂须填写金额"]
        elif d.reduce_amount > subject.current_amount:
            errors["reduce_amount"] = [f"金额不能超过当前预算数{subject.current_amount.format_wan()}万元"]
    if d.measure == Measure.REDUCE_ADJUST:
        if not d.budget_adjustment_ref:
            errors["budget_adjustment_ref"] = ["调减预算并同步调整绩效目标须填写预算调整（调剂）文号"]
        from jixiao.goals.models import GoalSheet
        from jixiao.goals.workflows import LOCKED_STATES

        sheet = GoalSheet.objects.filter(subject_id=d.subject_id).first()
        if sheet is None or sheet.state not in LOCKED_STATES:
            errors.setdefault("measure", []).append("该项目的绩效目标不在已批复（已下达）状态，无法同步调整目标")
        elif subject.special_category == SPECIAL_BOND:
            params = params_at(d.region_id, d.report.round.fiscal_year.year, d.report.round.profile_id)
            if params.goals.special_bond_no_adjustment:
                errors.setdefault("measure", []).append("专项债券项目绩效目标原则上不作调整，请选择其他处置方式")
    return errors


def disposition_transition(*, actor: Actor, disposition: MonitoringDisposition, name: str, comment: str = "",
                           expected_lock_version: int | None = None) -> MonitoringDisposition:
    """propose (the chosen measure must be complete), withdraw, approve (the measure takes effect on the subject and,
    for 调减预算并同步调整绩效目标, the goal sheet opens its adjustment), return."""
    d = disposition
    t = d.workflow.get(name)
    if name in ("propose", "approve") and d.state in t.sources:
        authorize(actor, t.action, d)
        problems = disposition_problems(d)
        if problems:
            raise ValidationError(problems)
    with transaction.atomic():
        workflow.transition(actor=actor, obj=d, name=name, comment=comment,
                            expected_lock_version=expected_lock_version)
        if name == "propose":
            d.proposed_at = timezone.now()
            d.save(update_fields=["proposed_at"])
        elif name == "approve":
            d.approved_at = timezone.now()
            d.save(update_fields=["approved_at"])
            _apply_measure(actor, d, comment)
    return d


def _apply_measure(actor: Actor, d: MonitoringDisposition, comment: str) -> None:
    from jixiao.budget.models import ExecutionStatus
    from jixiao.budget.services import subject_correct

    subject = d.subject
    label = Measure(d.measure).label
    reason = f"监控预警处置：{label}。{d.measure_note}"
    if d.measure == Measure.CONTINUE:
        subject_correct(actor=actor, subject=subject, reason=reason, execution_status=ExecutionStatus.NORMAL)
    elif d.measure == Measure.REDUCE_ADJUST:
        subject_correct(actor=actor, subject=subject, reason=f"{reason}（{d.budget_adjustment_ref}）",
                        reduce_by=d.reduce_amount, execution_status=ExecutionStatus.NORMAL)
        from jixiao.goals.models import GoalSheet
        from jixiao.goals.services import goal_adjustment_open

        sheet = GoalSheet.objects.select_related("subject").get(subject_id=d.subject_id)
        goal_adjustment_open(actor=actor, sheet=sheet, budget_adjustment_ref=d.budget_adjustment_ref,
                             comment=f"监控预警处置：调减预算{d.reduce_amount.format_wan()}万元，同步调整绩效目标")
    elif d.measure == Measure.REALLOCATE:
        subject_correct(actor=actor, subject=subject, reason=reason, reduce_by=d.reduce_amount,
                        execution_status=ExecutionStatus.NORMAL)
    elif d.measure == Measure.SUSPEND:
        subject_correct(actor=actor, subject=subject, reason=reason, execution_status=ExecutionStatus.SUSPENDED)
    elif d.measure == Measure.CANCEL:
        report = d.report
        spent = report.spent_to_date if report.spent_to_date is not None else report.recorded_spent
        unspent = subject.current_amount - spent
        subject_correct(actor=actor, subject=subject, reason=f"{reason}（收回未支出资金{unspent.format_wan()}万元）",
                        reduce_by=unspent if unspent.fen > 0 else None, execution_status=ExecutionStatus.CANCELLED)


def key_monitoring_set(*, actor: Actor, report: MonitoringReport, is_key: bool, note: str = "",
                       stop_disbursement: bool | None = None) -> MonitoringReport:
    """The bureau's key monitoring (财政重点监控): mark a report, and optionally stop (or resume) the subject's
    disbursement (暂缓或停止拨款)."""
    from jixiao.budget.services import subject_correct

    authorize(actor, Action.APPROVE, report)
    note = (note or "").strip()
    if stop_disbursement and not note:
        raise ValidationError({"key_note": ["停止拨款须说明原因"]})
    with transaction.atomic():
        before = {"is_key": report.is_key, "key_note": report.key_note}
        report.is_key, report.key_note = is_key, note[:300]
        report.save(update_fields=["is_key", "key_note"])
        round_summarize(report.round_id)
        audit.record(actor=actor, action="update", obj=report, before=before,
                     after={"is_key": is_key, "key_note": report.key_note}, comment="财政重点监控")
        if stop_disbursement is not None:
            what = "停止拨款" if stop_disbursement else "恢复拨款"
            subject_correct(actor=actor, subject=report.subject, reason=f"财政重点监控{what}",
                            disbursement_stopped=stop_disbursement, stop_reason=note)
    return report

