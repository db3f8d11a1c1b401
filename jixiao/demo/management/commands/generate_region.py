"""Generate a synthetic region into the database (deterministic: the same seed gives the same data).

    manage.py generate_region --scale town                 # 清溪镇: one bureau, 20 units, 100 subjects
    manage.py generate_region --scale city --seed 1        # 通辽市: 73 departments, 237 units, ~3,000 subjects
    manage.py generate_region --scale province --year 2025 # 内蒙古自治区: 116 regions, 300,000 subjects

It refuses to run when the region's code is already in the database (use an empty database, or delete that region's
data first); a failed run writes nothing (one transaction).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from jixiao.demo.generator import SCALES, RegionExistsError, generate_region

LABELS = {
    "organisations.Region": "区划", "organisations.Department": "部门", "organisations.Unit": "单位",
    "budget.PerformanceSubject": "绩效管理对象", "budget.BudgetLine": "预算指标", "budget.ExecutionRecord": "月度执行",
    "indicators.Sector": "行业领域", "indicators.Indicator": "绩效指标", "indicators.IndicatorVersion": "指标版本",
    "goals.GoalSheet": "绩效目标表", "goals.GoalIndicator": "绩效目标指标", "goals.GoalReview": "绩效目标审核",
    "exante.ExAnteAssessment": "事前绩效评估", "exante.AssessmentDimension": "事前评估维度",
    "costs.SpendingStandard": "支出标准（示例）",
}


class Command(BaseCommand):
    help = "生成合成的演示/压测区划数据（town 乡镇 / city 通辽市 / province 内蒙古自治区）"

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=SCALES, default="city", help="规模：town、city（默认）、province")
        parser.add_argument("--seed", type=int, default=1, help="随机种子（默认 1），相同种子生成相同数据")
        parser.add_argument("--year", type=int, default=2026, help="预算年度（默认 2026）")
        parser.add_argument("--through-month", type=int, default=None,
                            help="执行数据截至月份（0-12）；默认：往年 12，当年为当前月份，未来年度 0")
        parser.add_argument("--batch-size", type=int, default=2000, help="批量写入的批大小（默认 2000）")

    def handle(self, *args, **options):
        started = time.perf_counter()
        last = [0.0]

        def progress(stage: str, done: int, total: int) -> None:
            now = time.perf_counter()
            if options["verbosity"] >= 1 and (now - last[0] >= 1 or done >= total):
                last[0] = now
                self.stdout.write(f"[{now - started:7.1f}s] {stage}：{done}/{total}")

        try:
            result = generate_region(options["scale"], seed=options["seed"], year=options["year"],
                                     progress=progress, through_month=options["through_month"],
                                     batch_size=options["batch_size"])
        except RegionExistsError as exc:
            raise CommandError(str(exc)) from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(
            f"已生成 {result.region.name}（{options['scale']}，种子 {result.seed}，{result.year}年，"
            f"执行数据截至 {result.through_month} 月），用时 {result.seconds:.1f} 秒，共 {result.rows} 行："))
        for label, count in sorted(result.counts.items()):
            self.stdout.write(f"  {LABELS.get(label, label)}：{count}")
