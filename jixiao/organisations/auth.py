"""Password login with lockout after repeated failures (settings LOGIN_MAX_FAILURES, LOGIN_LOCKOUT_MINUTES)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from jixiao.core import audit
from jixiao.organisations.models import User


class AccountLocked(PermissionDenied):
    pass


def check_credentials(username: str, password: str) -> User:
    """Check a username and password with lockout. Returns the user, or raises AccountLocked / PermissionDenied
    with a Chinese message. Used by the login page and the API token endpoint alike."""
    user = User.objects.filter(username=username).first()
    now = timezone.now()
    if user is not None and user.is_locked(now):
        raise AccountLocked(f"账号已锁定，请于{timezone.localtime(user.locked_until):%H:%M}后重试或联系管理员")
    if user is None or not user.is_active or not user.check_password(password):
        if user is not None:
            failures = user.failed_logins + 1
            fields = {"failed_logins": failures}
            if failures >= settings.LOGIN_MAX_FAILURES:
                fields["locked_until"] = now + datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
                fields["failed_logins"] = 0
            User.objects.filter(pk=user.pk).update(**fields)
            audit.record(actor=None, action="login_failed", obj=user, object_repr=user.username,
                         comment="连续失败已锁定" if "locked_until" in fields else "")
            if "locked_until" in fields:
                raise AccountLocked(
                    f"密码连续错误{settings.LOGIN_MAX_FAILURES}次，账号已锁定{settings.LOGIN_LOCKOUT_MINUTES}分钟")
        raise PermissionDenied("用户名或密码错误")
    if user.failed_logins or user.locked_until:
        User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        user.failed_logins, user.locked_until = 0, None
    return user


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        try:
            user = check_credentials(username, password)
        except AccountLocked:
            raise
        except PermissionDenied:
            return None
        return user if self.user_can_authenticate(user) else None
