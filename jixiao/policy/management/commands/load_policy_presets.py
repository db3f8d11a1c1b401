"""Create the national default policy profile for a year if it has none (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from jixiao.policy import selectors, services
from jixiao.policy.models import PolicyProfile
from jixiao.policy.presets import NATIONAL, PRESETS


class Command(BaseCommand):
    help = "为指定年度创建全国默认政策配置（已存在则跳过）。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", dest="years",
                            help="年度，可重复；不填为当前年度")
        parser.add_argument("--preset", default=NATIONAL, help=f"所用预设（默认 {NATIONAL}）")

    def handle(self, *args, years=None, preset=NATIONAL, **options):
        if preset not in PRESETS:
            raise CommandError(f"未知的预设：{preset}（可用：{', '.join(PRESETS)}）")
        if not years:
            years = [selectors.current_year()]
        for year in years:
            if PolicyProfile.objects.filter(region__isnull=True, fiscal_year=year).exists():
                self.stdout.write(f"{year}年全国默认配置已存在，跳过")
                continue
            row = services.profile_create_from_preset(actor=None, region=None, fiscal_year=year, preset=preset,
                                                      comment="初始化全国默认配置")
            self.stdout.write(self.style.SUCCESS(f"已创建{year}年全国默认配置（{row.name}，第{row.version}版）"))
