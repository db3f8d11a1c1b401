"""Print the address of the local server and the demo logins (`make run` calls it after load_demo)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from jixiao.demo.users import DEMO_PASSWORD, demo_login_rows, pad


class Command(BaseCommand):
    help = "显示本地访问地址和演示账号"

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
        parser.add_argument("--host", default="127.0.0.1", help="地址（默认 127.0.0.1）")

    def handle(self, *args, **options):
        out = self.stdout
        out.write("")
        out.write(self.style.SUCCESS(f"预算绩效管理信息系统：http://{options['host']}:{options['port']}/"))
        rows = demo_login_rows()
        if not rows:
            out.write("未找到演示账号（数据库不是由 load_demo 创建的）。")
            return
        out.write(f"演示账号（仅供演示，口令公开：{DEMO_PASSWORD}；请勿在生产环境使用）：")
        header = ("角色", "用户名", "口令", "姓名", "所属")
        table = [header] + [(r.role, r.username, r.password, r.full_name, r.node) for r in rows]
        from jixiao.demo.users import display_width

        widths = [max(display_width(row[i]) for row in table) for i in range(len(header) - 1)]
        for n, row in enumerate(table):
            line = "  ".join(pad(cell, widths[i]) for i, cell in enumerate(row[:-1])) + "  " + row[-1]
            out.write(("  " + line) if n else self.style.MIGRATE_HEADING("  " + line))
        out.write("")
