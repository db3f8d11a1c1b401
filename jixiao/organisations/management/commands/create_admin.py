"""Production bootstrap: the first system administrator of a region (and the region itself if it is new).

    manage.py create_admin admin 150500 --region-name 通辽市 --level 2 --parent 150000
    JIXIAO_ADMIN_PASSWORD=... manage.py create_admin admin 150500     # password from the environment
    manage.py create_admin admin 150500                               # password asked twice on the terminal

The password is read from --password, else the environment variable JIXIAO_ADMIN_PASSWORD, else the terminal; a
password on the command line is visible to other users of the machine, so prefer the other two.
"""

from __future__ import annotations

import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from jixiao.organisations.models import Region
from jixiao.organisations.services import bootstrap_admin, bootstrap_region


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "；".join("，".join(v) for v in exc.message_dict.values())
    return "；".join(exc.messages)


class Command(BaseCommand):
    help = "创建区划的系统管理员（生产环境初始化）；区划不存在时可一并创建"

    def add_arguments(self, parser):
        parser.add_argument("username", help="用户名")
        parser.add_argument("region_code", help="区划代码，如 150500")
        parser.add_argument("--password", help="密码（不推荐：命令行参数对本机其他用户可见）")
        parser.add_argument("--full-name", default="系统管理员", help="姓名")
        parser.add_argument("--region-name", help="区划不存在时：区划名称")
        parser.add_argument("--level", type=int, choices=[1, 2, 3, 4],
                            help="区划不存在时：层级 1省 2市 3县(区) 4乡镇(街道)")
        parser.add_argument("--bureau-name", default="", help="区划不存在时：财政部门名称（默认按名称生成）")
        parser.add_argument("--parent", help="区划不存在时：上级区划代码（须已存在）")

    def handle(self, *args, **options):
        code = options["region_code"].strip()
        region = Region.objects.filter(code=code).first()
        parent = None
        if region is None:
            if not options["region_name"] or not options["level"]:
                raise CommandError(f"区划 {code} 不存在；如需一并创建，请提供 --region-name 和 --level")
            if options["parent"]:
                parent = Region.objects.filter(code=options["parent"].strip()).first()
                if parent is None:
                    raise CommandError(f"上级区划 {options['parent']} 不存在")
        password = options["password"] or os.environ.get("JIXIAO_ADMIN_PASSWORD") or self._ask_password()
        try:
            with transaction.atomic():
                region, user = self._create(region, code, password, options, parent if region is None else None)
        except ValidationError as exc:
            raise CommandError(_messages(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"已创建系统管理员 {user.username}（{region.name}）"))

    def _create(self, region, code, password, options, parent):
        if region is None:
            region = bootstrap_region(code=code, name=options["region_name"], level=options["level"],
                                      bureau_name=options["bureau_name"], parent=parent)
            self.stdout.write(f"已创建区划：{region.code} {region.name}（{region.bureau_name}）")
        user = bootstrap_admin(username=options["username"], password=password, region=region,
                               full_name=options["full_name"])
        return region, user

    def _ask_password(self) -> str:
        if not self.stdin_is_tty():
            raise CommandError("请通过 --password 或环境变量 JIXIAO_ADMIN_PASSWORD 提供密码")
        first = getpass.getpass("密码：")
        second = getpass.getpass("再次输入密码：")
        if first != second:
            raise CommandError("两次输入的密码不一致")
        return first

    @staticmethod
    def stdin_is_tty() -> bool:
        import sys

        return sys.stdin.isatty()
