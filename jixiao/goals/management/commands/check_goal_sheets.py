"""Screen a folder of goal sheets (e.g. last year's, in bulk) without saving anything:

    manage.py check_goal_sheets 2025目标表/ --preset national_2020
    manage.py check_goal_sheets 2025目标表/ --region 150500 --year 2026 --output 校验结果.xlsx

Every .xlsx, .xls and .csv file of the folder is read as a 项目支出绩效目标申报表 and checked with the submission
rules of the chosen policy profile (a named preset, or the effective profile of a region and year; the national
preset when neither is given). Prints one summary line per file with its first findings; `--output` writes every
finding (file, row, column, rule, message, basis) to an .xlsx. Exits 0 whatever the sheets contain: it screens.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from jixiao.goals.checking import check_folder, params_for, report_workbook


class Command(BaseCommand):
    help = "批量校验文件夹中的绩效目标申报表（不保存），可输出问题清单 Excel"

    def add_arguments(self, parser):
        parser.add_argument("folder", help="存放 .xlsx、.xls、.csv 目标表的文件夹")
        parser.add_argument("--preset", default=None, help="按预设校验，如 national_2020、zhengzhou_2023")
        parser.add_argument("--region", default=None, help="按该区划（区划代码，如 150500）的现行政策配置校验")
        parser.add_argument("--year", type=int, default=None,
                            help="政策配置年度（与 --region 同用；缺省为当前预算年度）")
        parser.add_argument("--output", default=None, help="把全部问题写入该 .xlsx 文件")
        parser.add_argument("--recursive", action="store_true", help="包括子文件夹")
        parser.add_argument("--show", type=int, default=3, help="每个文件显示的问题条数（默认3）")

    def handle(self, *args, **options):
        folder = Path(options["folder"])
        if not folder.is_dir():
            raise CommandError(f"文件夹不存在：{folder}")
        if options["preset"] and options["region"]:
            raise CommandError("--preset 与 --region 只能指定其一")
        if options["year"] and not options["region"]:
            raise CommandError("--year 须与 --region 一起使用")
        region = None
        if options["region"]:
            from jixiao.organisations.models import Region

            region = Region.objects.filter(code=options["region"]).first()
            if region is None:
                raise CommandError(f"区划代码“{options['region']}”不存在")
        try:
            params = params_for(preset=options["preset"], region=region, year=options["year"])
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        output = Path(options["output"]) if options["output"] else None
        if output is not None and output.suffix.lower() != ".xlsx":
            raise CommandError("--output 须为 .xlsx 文件")
        results = check_folder(folder, params, recursive=options["recursive"])
        self.stdout.write(f"校验规则：{params.label}")
        if not results:
            self.stdout.write(f"文件夹中没有 .xlsx、.xls 或 .csv 文件：{folder}")
        files_with_errors = 0
        for name, report in results:
            sheet = report.sheet
            what = f"{sheet.subject_code} {sheet.subject_name}".strip() if sheet else ""
            if report.unreadable:
                status = self.style.ERROR("无法读取")
            elif report.ok:
                status = self.style.SUCCESS("通过")
            else:
                status = self.style.WARNING("有错误")
            if report.errors:
                files_with_errors += 1
            self.stdout.write(f"{name}  {what}  {status}  错误 {report.errors}，警告 {report.warnings}")
            errors_first = sorted(report.findings, key=lambda f: f.severity != "error")
            for finding in errors_first[: options["show"]]:
                mark = "错误" if finding.severity == "error" else "警告"
                self.stdout.write(f"    [{mark}] {finding}（{finding.rule}）")
            if len(report.findings) > options["show"]:
                self.stdout.write(f"    ……另有 {len(report.findings) - options['show']} 条")
        self.stdout.write(f"共 {len(results)} 个文件，{files_with_errors} 个有错误")
        if output is not None:
            output.write_bytes(report_workbook(results))
            self.stdout.write(self.style.SUCCESS(f"问题清单已写入：{output}"))
