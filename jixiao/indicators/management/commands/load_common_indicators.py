"""Seed the national common (共性) indicators of 财预〔2013〕53号 and the default sector tree. Idempotent."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management.base import BaseCommand, CommandError

from jixiao.indicators.seed import framework_path, load_common_indicators


class Command(BaseCommand):
    help = "载入财预〔2013〕53号共性指标（及默认行业领域），可重复执行"

    def add_arguments(self, parser):
        parser.add_argument("--path", help=f"框架文件路径（默认 {framework_path()}）")
        parser.add_argument("--no-sectors", action="store_true", help="不创建默认行业领域")

    def handle(self, *args, **options):
        path = Path(options["path"]) if options.get("path") else None
        try:
            result = load_common_indicators(path=path, with_sectors=not options["no_sectors"])
        except (ImproperlyConfigured, ValidationError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"共性指标：{result.message}"))
