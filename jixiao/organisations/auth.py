"""Password login with lockout after repeated failures (settings LOGIN_MAX_FAILURES, LOGIN_LOCKOUT_MINUTES)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jixiao.core import audit
from jixiao.organisations.models import User

BAD_CREDENTIALS = "用户名或密码错误"


class AccountLocked(PermissionDenied):
    pass


def locked_message(user: User) -> str:
    return f"账号已锁定，请于{timezone.localtime(user.locked_until):%H:%M}后重试或联系管理员"


def check_credentials(username: str, password: str) -> User:
    """Check a username and password with lockout. Returns the user, or raises AccountLocked / PermissionDenied
    with a Chinese message. Used by the login page and the API token endpoint alike.

    While an account is locked its password is not even checked. An unknown username costs the same password
    hashing as a known one, so that the answer's timing does not tell which usernames exist."""
    user = User.objects.filter(username=username).first()
    now = timezone.now()
    if user is None:
        User().set_password(password)
        raise PermissionDenied(BAD_CREDENTIALS)
    if user.is_locked(now):
        raise AccountLocked(locked_message(user))
    if not user.check_password(password):
        if _record_failure(user, now):
            raise AccountLocked(
                f"密码连续错误{settings.LOGIN_MAX_FAILURES}次，账号已锁定{settings.LOGIN_LOCKOUT_MINUTES}分钟")
        raise PermissionDenied(BAD_CREDENTIALS)
    if not user.is_active:
        raise PermissionDenied("账号已停用，请联系管理员")
    if user.failed_logins or user.locked_until:
        User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        user.failed_logins, user.locked_until = 0, None
    return user


def _record_failure(user: User, now) -> bool:
    """Count one failure (an atomic increment, so concurrent attempts all count) and lock the account when the
    limit is reached. Returns whether the account is now locked."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
        failures = User.objects.filter(pk=user.pk).values_list("failed_logins", flat=True).get()
        locked = failures >= settings.LOGIN_MAX_FAILURES
        if locked:
            user.locked_until = now + datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
            User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=user.locked_until)
        first = user.role_assignments.order_by("id").values_list("region_id", flat=True).first()
        audit.record(actor=None, action="login_failed", obj=user, object_repr=user.username, region_id=first,
                     comment="连续失败已锁定" if locked else f"连续失败{failures}次")
    return locked


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
