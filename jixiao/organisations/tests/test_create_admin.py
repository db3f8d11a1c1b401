"""`manage.py create_admin`: the production bootstrap of a region's first system administrator."""

import pytest
from django.core.management import CommandError, call_command

from jixiao.core.models import AuditEvent
from jixiao.core.permissions import Action, actor_for
from jixiao.organisations.models import Region, Role, User


def test_creates_region_and_sysadmin_on_an_empty_database(db, capsys):
    call_command("create_admin", "admin", "150500", "--password", "Strong-pass-2026", "--region-name", "通辽市",
                 "--level", "2")
    region = Region.objects.get(code="150500")
    assert region.bureau_name == "通辽市财政局" and region.path == f"/{region.pk}/"
    user = User.objects.get(username="admin")
    assert user.check_password("Strong-pass-2026")
    ra = user.role_assignments.get()
    assert ra.role == Role.SYSADMIN and ra.region_id == region.pk
    assert actor_for(user).may(Action.MANAGE)
    assert AuditEvent.objects.filter(actor=None, comment="命令行创建系统管理员").exists()
    assert "已创建系统管理员 admin" in capsys.readouterr().out


def test_existing_region_and_password_from_environment(cast, monkeypatch):
    monkeypatch.setenv("JIXIAO_ADMIN_PASSWORD", "Strong-pass-2026")
    call_command("create_admin", "county_sys", "150502")
    assert User.objects.get(username="county_sys").role_assignments.get().region_id == cast.county.pk


@pytest.mark.parametrize("args, message", [
    (["admin2", "150599", "--password", "Strong-pass-2026"], "区划 150599 不存在"),
    (["sysadmin", "150500", "--password", "Strong-pass-2026"], "已存在"),
    (["admin2", "150500", "--password", "12345678"], "密码"),
    (["admin2", "150599", "--password", "Strong-pass-2026", "--region-name", "x", "--level", "3", "--parent",
      "159999"], "上级区划 159999 不存在"),
])
def test_refusals(cast, args, message):
    users, regions = User.objects.count(), Region.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("create_admin", *args)
    assert (User.objects.count(), Region.objects.count()) == (users, regions)


def test_bad_password_does_not_leave_a_half_created_region(db):
    with pytest.raises(CommandError):
        call_command("create_admin", "admin", "150500", "--password", "short", "--region-name", "通辽市",
                     "--level", "2")
    assert not Region.objects.exists() and not User.objects.exists()
