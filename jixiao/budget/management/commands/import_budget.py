"""Import an export of the integrated budget system (预算管理一体化系统) from a script:

    manage.py import_budget 项目预算.xlsx --region 150500 --user finance
    manage.py import_budget 执行数据.csv --region 150500 --user finance --kind execution --year 2026
    manage.py import_budget 项目预算.xlsx --region 150500 --user finance --dry-run

Runs synchronously with the same checks and permissions as the web import (the user needs the import right for the
region's rows); all-or-nothing. Exits with status 1 and lists every error by row and column when the file is bad.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jixiao.budget.imports import execution_import, subject_import
from jixiao.core.permissions import Action, actor_for
from jixiao.organisations.models import Region, User


class Command(BaseCommand):
    help = "从预算管理一体化系统导出文件导入项目及预算指标（或月度执行数据）"

    def add_arguments(self, parser):
        parser.add_argument("file", help=".xlsx、.xls 或 .csv 文件")
        parser.add_argument("--region", required=True, help="区划代码，如 150500")
        parser.add_argument("--user", required=True, help="以该用户的身份和权限导入")
        parser.add_argument("--kind", choices=["subjects", "execution"], default="subjects",
                            help="subjects：项目及预算指标（默认）；execution：月度执行数据")
        parser.add_argument("--year", type=int, default=None, help="文件没有年度列时使用的预算年度")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        region = Region.objects.filter(code=options["region"]).first()
        if region is None:
            raise CommandError(f"区划代码“{options['region']}”不存在")
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"用户“{options['user']}”不存在或已停用")
        actor = actor_for(user)
        if not any(g.region_id == region.pk for g, _ in actor.grants_for(Action.IMPORT)):
            raise CommandError(f"用户“{user.username}”没有向{region.name}导入数据的权限")
        importer = subject_import if options["kind"] == "subjects" else execution_import

        def progress(n, total, message=""):
            if options["verbosity"] >= 2 and message:
                self.stdout.write(f"{message} {n}/{total}")

        result = importer(actor=actor, region=region, data=path.read_bytes(), filename=path.name,
                          default_year=options["year"], dry_run=options["dry_run"], progress=progress)
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(f"未导入：文件有{len(result.errors)}处错误")
        for warning in result.warnings:
            self.stdout.write(f"提示：{warning}")
        self.stdout.write(self.style.SUCCESS(result.message))
