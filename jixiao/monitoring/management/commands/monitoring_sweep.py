"""Suspend the subjects whose monitoring warning was not decided by its due date (run daily, e.g. from cron):

    manage.py monitoring_sweep              # today
    manage.py monitoring_sweep --date 2026-09-01

Where the profile says a missed disposition deadline suspends the subject, its disposition becomes 逾期未处置 and
the subject's payments are blocked (a flag the budget export carries) until a measure is approved.
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from jixiao.monitoring.services import disposition_sweep


class Command(BaseCommand):
    help = "逾期未选定处置方式的监控预警：暂停项目执行并暂停拨款（建议每日运行）"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按该日期判断是否逾期（YYYY-MM-DD，默认今天）")

    def handle(self, *args, **options):
        today = None
        if options["date"]:
            try:
                today = datetime.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"日期“{options['date']}”格式不正确，应为 YYYY-MM-DD") from None
        count = disposition_sweep(today=today)
        self.stdout.write(f"已暂停 {count} 个逾期未处置的项目")
