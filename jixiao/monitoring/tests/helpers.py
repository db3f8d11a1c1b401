"""Subjects in the budget with approved goals and spending records, ready to be monitored."""

from __future__ import annotations

from decimal import Decimal

from jixiao.budget.models import ExecutionRecord, PerformanceSubject
from jixiao.core.money import Money
from jixiao.core.permissions import actor_for
from jixiao.goals.models import GoalIndicator, GoalSheet

ROWS = [  # level1, level2, name, comparator, target, unit, weight
    ("output", "数量指标", "资助学生人数", "ge", "1200", "人", "30"),
    ("output", "质量指标", "资助资金发放准确率", "ge", "100", "%", "20"),
    ("output", "时效指标", "资金发放及时性", "qualitative", "及时", "", "10"),
    ("benefit", "社会效益指标", "因贫辍学人数", "le", "0", "人", "20"),
    ("satisfaction", "服务对象满意度指标", "受助学生满意度", "ge", "90", "%", "10"),
]


def actor(cast, name="finance_admin"):
    return actor_for(cast.users[name])


def in_budget(cast, subject, *, spent_by_month: dict[int, str] | None = None, rows=ROWS, state="approved",
              **fields) -> GoalSheet:
    """Put the subject into the budget (入库) with an approved goal sheet of `rows` and monthly spending (yuan)."""
    PerformanceSubject.objects.filter(pk=subject.pk).update(state="approved", **fields)
    subject.refresh_from_db()
    sheet = GoalSheet.objects.create(subject=subject, fiscal_year=subject.fiscal_year, region=subject.region,
                                     department=subject.department, unit=subject.unit, frame_code="frame_10",
                                     state=state, annual_goal="资助家庭经济困难学生1200人", created_by=cast.users["unit_a1"])
    GoalIndicator.objects.bulk_create([
        GoalIndicator(sheet=sheet, position=i, level1=l1, level2=l2, name=name, comparator=c, target_value=t,
                      unit=u, weight=Decimal(w)) for i, (l1, l2, name, c, t, u, w) in enumerate(rows)])
    for month, amount in (spent_by_month or {}).items():
        ExecutionRecord.objects.create(subject=subject, year=subject.fiscal_year.year, month=month,
                                       amount=Money.from_yuan(amount))
    return sheet


def green_rows(report) -> dict:
    """Form rows that are all on track at 7/12 (target 1200 → 700 due)."""
    out = {}
    for r in report.indicators.all():
        v = {"expected_value": r.target_value}
        if r.comparator == "qualitative":
            v["achievement"] = "achieved"
        elif r.unit == "%":
            v["current_value"] = r.target_value
        elif r.comparator == "le":
            v["current_value"] = "0"
        else:
            v["current_value"] = "700"
        out[str(r.position)] = v
    return out
