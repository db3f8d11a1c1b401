"""Load the demo (the city of 通辽 with one login per role) into an empty database; used by `make run`.

    manage.py load_demo --if-empty     # does nothing when the database already holds regions

The demo logins share a public password (printed by `manage.py demo_logins`), so outside a DEBUG run the command
refuses unless given --allow-demo-passwords.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jixiao.core.permissions import actor_for
from jixiao.demo.generator import RegionExistsError, generate_region
from jixiao.demo.monitoring import seed_monitoring
from jixiao.demo.users import create_demo_users
from jixiao.organisations.models import Region


class Command(BaseCommand):
    help = "在空数据库中加载演示数据（通辽市）和各角色演示账号"

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="数据库已有区划时不做任何事（供 make run 使用）")
        parser.add_argument("--seed", type=int, default=1, help="随机种子（默认 1）")
        parser.add_argument("--year", type=int, default=None, help="预算年度（默认：当前年度）")
        parser.add_argument("--allow-demo-passwords", action="store_true",
                            help="在非 DEBUG 环境中也创建使用公开口令的演示账号（不要用于生产环境）")

    def handle(self, *args, **options):
        regions = Region.objects.count()
        if regions:
            if options["if_empty"]:
                self.stdout.write(f"数据库中已有数据（{regions} 个区划），不加载演示数据。")
                return
            raise CommandError(f"数据库中已有 {regions} 个区划；演示数据只能加载到空数据库（或使用 --if-empty）。")
        if not settings.DEBUG and not options["allow_demo_passwords"]:
            raise CommandError("演示账号使用公开口令，只在 DEBUG=1 的开发/演示环境中加载；"
                               "确需在其他环境加载请加 --allow-demo-passwords。")
        year = options["year"] or timezone.localdate().year
        self.stdout.write(f"正在生成演示数据：通辽市 {year} 年（约 3000 个项目、8538 个指标）……")
        try:
            result = generate_region("city", seed=options["seed"], year=year)
        except RegionExistsError as exc:
            raise CommandError(str(exc)) from None
        users = create_demo_users(result.region, year=year, seed=options["seed"])
        bureau = next((u for u in users if u.username == "caizheng"), None)
        monitoring = seed_monitoring(result.region, year, actor=actor_for(bureau), seed=options["seed"]) if bureau \
            else {"reports": 0}
        self.stdout.write(self.style.SUCCESS(
            f"演示数据已加载：{result.region.name}，{result.counts['budget.PerformanceSubject']} 个绩效管理对象，"
            f"{len(users)} 个演示账号，{monitoring['reports']} 个绩效监控任务，"
            f"用时 {result.seconds:.1f} 秒。运行 manage.py demo_logins 查看账号。"))
