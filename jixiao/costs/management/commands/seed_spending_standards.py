"""Seed a few ILLUSTRATIVE spending standards (示例) so that the cost analysis and the goal checks have something to
compare against on a demo or test machine. They are not real norms of any region: each name starts with “示例”
and each source says so. Idempotent: run it again and the same rows are updated, not duplicated."""

from __future__ import annotations

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from jixiao.core import audit
from jixiao.core.money import Money
from jixiao.costs.models import CostCategory, SpendingStandard
from jixiao.organisations.models import Region

SOURCE = "示例数据（演示用，非真实支出标准）"
EXAMPLES = [
    # code, name, unit, yuan per unit, category, sector, keywords
    ("EX-JY-001", "示例：中小学校舍维修每平方米", "平方米", "800", CostCategory.CAPITAL, "教育",
     "校舍维修，校舍修缮，维修面积"),
    ("EX-JY-002", "示例：学生资助每生每年", "人·年", "2000", CostCategory.GOODS_SERVICES, "教育", "学生资助，助学金"),
    ("EX-WS-001", "示例：基层医疗设备购置每台（套）", "台（套）", "150000", CostCategory.CAPITAL, "卫生健康",
     "医疗设备，设备购置"),
    ("EX-TY-001", "示例：物业管理每平方米每年", "平方米·年", "36", CostCategory.GOODS_SERVICES, "",
     "物业管理，物业服务"),
    ("EX-TY-002", "示例：会议费每人每天", "人·天", "550", CostCategory.GOODS_SERVICES, "", "会议费，会务"),
    ("EX-TY-003", "示例：培训费每人每天", "人·天", "450", CostCategory.GOODS_SERVICES, "", "培训费，培训"),
    ("EX-SZ-001", "示例：道路日常养护每平方米每年", "平方米·年", "12", CostCategory.GOODS_SERVICES, "城乡建设",
     "道路养护，道路日常养护"),
]


class Command(BaseCommand):
    help = "写入几条示例支出标准（名称以“示例”开头，非真实标准），可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument("--region", default="", help="区划代码；不填则写入全国（无区划）示例标准")
        parser.add_argument("--year", type=int, default=2024, help="起始年度（默认 2024）")

    def handle(self, *args, region="", year=2024, **options):
        target = None
        if region:
            target = Region.objects.filter(code=region).first()
            if target is None:
                raise CommandError(f"区划代码“{region}”不存在")
        created = updated = 0
        with transaction.atomic():
            for code, name, unit, amount, category, sector, keywords in EXAMPLES:
                values = {"name": name, "output_unit": unit, "amount": Money.from_yuan(Decimal(amount)),
                          "category": category, "sector": sector, "keywords": keywords, "source": SOURCE,
                          "is_active": True}
                row, was_created = SpendingStandard.objects.update_or_create(
                    region=target, code=code, valid_from=year, defaults=values)
                audit.record(actor=None, action="create" if was_created else "update", obj=row,
                             after=audit.snapshot(row, fields=["code", "name", "amount", "output_unit"]),
                             comment="写入示例支出标准")
                created += was_created
                updated += not was_created
        where = target.name if target else "全国"
        self.stdout.write(f"{where}：新增示例支出标准 {created} 条，更新 {updated} 条（均为示例，非真实标准）")
