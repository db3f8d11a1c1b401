"""Monitoring in the demo: the year's first monitoring round (1-7月 in the national preset) opened by the bureau, its
tasks generated for every subject in scope, and progress filled in for most of them — deterministic from the seed:
most indicators on track, some behind (yellow, red), a few judged 完全不可能; most reports submitted and reviewed, some
still drafts; the warnings computed and their dispositions opened, some decided. The unit login (第五中学) keeps a
draft to fill in, the department login has reports to review and warnings to decide.

Writes in bulk (a city: about 3,000 reports and 25,000 indicator rows in a few seconds); uses the monitoring services
for everything that carries a rule (scope, computation, dispositions).
"""

from __future__ import annotations

import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from jixiao.core.permissions import Actor
from jixiao.organisations.models import Region

DEMO_SCHOOL = "第五中学"
CAUSES = ("funding", "institution", "staffing", "facilities", "other")
CAUSE_NOTES = {"funding": "上级资金尚未到位，配套资金拨付滞后", "institution": "实施方案调整，需重新履行审批程序",
               "staffing": "项目负责人员变动，工作衔接不够及时", "facilities": "设备采购招标流标，需重新组织采购",
               "other": "受天气等客观因素影响，施工进度滞后"}


def _fill(rng: random.Random, row, tp: Decimal) -> dict:
    """Progress for one indicator row: the share of the annual target reached by now."""
    from jixiao.monitoring.rules import is_quantitative

    luck = rng.random()
    if not is_quantitative(row.comparator, row.target_number):
        achievement = "achieved" if luck < 0.8 else ("partial" if luck < 0.95 else "not_achieved")
        out = {"achievement": achievement, "expected_value": row.target_value or "达成"}
        if achievement != "achieved":
            out.update(_behind(rng, likely=achievement == "partial"))
        return out
    target = row.target_number
    if row.comparator in ("le", "lt"):  # lower is better: mostly within the ceiling
        value = target * Decimal(str(0.5 + rng.random() * 0.4)) if luck < 0.9 else target * Decimal("1.3")
        out = {"current_value": _num(value), "expected_value": row.target_value}
        if luck >= 0.9:
            out.update(_behind(rng, likely=True))
        return out
    if (row.unit or "").strip() in ("%", "％") or not tp:
        share = Decimal("1") if luck < 0.85 else Decimal(str(0.6 + rng.random() * 0.3))
    elif luck < 0.78:
        share = tp / 100 * Decimal(str(0.95 + rng.random() * 0.2))
    elif luck < 0.9:
        share = tp / 100 * Decimal(str(0.75 + rng.random() * 0.15))
    else:
        share = tp / 100 * Decimal(str(0.2 + rng.random() * 0.4))
    out = {"current_value": _num(target * share), "expected_value": row.target_value}
    if luck >= 0.78:
        out.update(_behind(rng, likely=luck < 0.97))
    return out


def _behind(rng: random.Random, *, likely: bool) -> dict:
    cause = rng.choice(CAUSES)
    return {"deviation_causes": [cause], "cause_note": CAUSE_NOTES[cause],
            "likelihood": ("possible" if rng.random() < 0.7 else "certain") if likely else "impossible",
            "remark": "加快实施进度，按月调度" if likely else "建议调减预算并同步调整绩效目标"}


def _num(value: Decimal) -> str:
    value = value.quantize(Decimal("0.01"))
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def seed_monitoring(region: Region, year: int, *, actor: Actor, seed: int = 1) -> dict:
    """Open (as `actor`, the region's finance admin) and fill the demo round. Returns counts (reports, rows,
    dispositions)."""
    from jixiao.core.money import Money
    from jixiao.goals.values import number_in
    from jixiao.monitoring import services
    from jixiao.monitoring.models import MonitoringDisposition, MonitoringIndicator, MonitoringReport
    from jixiao.monitoring.workflows import DispositionState, ReportState

    plans = [p for p in services.planned_rounds(region, year) if p.point is not None]
    if not plans:
        return {"reports": 0}
    rnd = services.round_create(actor=actor, region=region, year=year, point=plans[0].point, generate=True)
    tp = services.round_time_progress(rnd).pct
    rng = random.Random(f"{seed}|{year}|monitoring")
    reports = list(MonitoringReport.objects.filter(round=rnd).select_related("unit").order_by("pk"))
    rows_by_report: dict[int, list] = {}
    for row in MonitoringIndicator.objects.filter(report__round=rnd).order_by("report_id", "position"):
        rows_by_report.setdefault(row.report_id, []).append(row)
    school_draft = next((r for r in reports if r.unit_id and DEMO_SCHOOL in r.unit.name), None)
    changed_rows, changed_reports, states = [], [], {}
    now = timezone.now()
    for report in reports:
        if report is school_draft:
            continue  # the unit login's task: still to fill in
        luck = rng.random()
        if luck < 0.12:
            continue  # not reported yet
        for row in rows_by_report.get(report.pk, []):
            for field, value in _fill(rng, row, tp).items():
                setattr(row, field, value)
            row.current_number = number_in(row.current_value) if row.current_value else None
            changed_rows.append(row)
        spent = report.recorded_spent
        report.expected_year_end = Money(max(report.budget_amount.fen, spent.fen) if rng.random() < 0.8
                                         else int(report.budget_amount.fen * 0.85))
        report.goal_progress = ("项目按计划推进，阶段性目标基本实现。" if luck > 0.3
                                else "部分任务进度滞后，正在加快实施。")
        changed_reports.append(report)
        states[report.pk] = (ReportState.ACCEPTED if luck > 0.55 else ReportState.DEPARTMENT_PASSED if luck > 0.35
                             else ReportState.SUBMITTED)
    with transaction.atomic():
        MonitoringIndicator.objects.bulk_update(
            changed_rows, ["current_value", "current_number", "achievement", "expected_value", "deviation_causes",
                           "cause_note", "likelihood", "remark"], batch_size=1000)
        for report in changed_reports:
            report.state = states[report.pk]
            report.submitted_at = now
        MonitoringReport.objects.bulk_update(changed_reports, ["expected_year_end", "goal_progress", "state",
                                                               "submitted_at"], batch_size=1000)
        services.compute_reports(rnd)
        opened = services.open_dispositions(rnd)
        # some departments have decided: 继续执行 with measures, proposed to the bureau
        for d in MonitoringDisposition.objects.filter(round=rnd).order_by("pk"):
            if rng.random() < 0.4:
                MonitoringDisposition.objects.filter(pk=d.pk).update(
                    measure="continue", measure_note="制定整改措施，加快项目实施和资金支付进度",
                    state=DispositionState.PROPOSED, proposed_at=now)
    return {"reports": len(reports), "rows": len(changed_rows), "dispositions": opened}
