"""Login lockout: LOGIN_MAX_FAILURES consecutive failures lock the account for the web login and the token
endpoint alike; an administrator can lift it."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from jixiao.core.models import AuditEvent
from jixiao.core.testing import PASSWORD
from jixiao.organisations import services
from jixiao.organisations.auth import AccountLocked, check_credentials
from jixiao.organisations.models import User

from .helpers import act


def web_login(client, username, password=PASSWORD):
    return client.post(reverse("web:login"), {"username": username, "password": password})


def token(client, username, password=PASSWORD):
    return client.post("/api/auth/token", {"username": username, "password": password},
                       content_type="application/json")


def test_default_limit_is_five(settings):
    assert settings.LOGIN_MAX_FAILURES == 5


def test_five_failures_lock_the_account(client, cast, settings):
    settings.LOGIN_MAX_FAILURES = 5
    for _ in range(4):
        assert "用户名或密码错误" in web_login(client, "clerk_a", "bad-password").content.decode()
    html = web_login(client, "clerk_a", "bad-password").content.decode()
    assert "密码连续错误5次，账号已锁定15分钟" in html
    user = User.objects.get(username="clerk_a")
    assert user.is_locked() and user.failed_logins == 0
    assert "账号已锁定" in web_login(client, "clerk_a").content.decode()  # the right password is refused too
    r = token(client, "clerk_a")  # and the API token endpoint is locked as well
    assert r.status_code == 401 and "账号已锁定" in r.json()["error"]["message"]
    assert AuditEvent.objects.filter(action="login_failed", comment="连续失败已锁定").count() == 1
    assert AuditEvent.objects.filter(action="login_failed").first().region_id_value == cast.city.pk


def test_token_endpoint_failures_count_too(client, cast, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(2):
        assert token(client, "unit_a1", "nope").json()["error"]["message"] == "用户名或密码错误"
    assert "账号已锁定" in token(client, "unit_a1", "nope").json()["error"]["message"]
    assert "账号已锁定" in web_login(client, "unit_a1").content.decode()


def test_unlock_lets_the_user_in_again(client, cast, settings):
    settings.LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        web_login(client, "clerk_a", "bad")
    services.user_unlock(actor=act(cast, "finance_admin"), user=User.objects.get(username="clerk_a"))
    r = web_login(client, "clerk_a")
    assert r.status_code == 302 and r["Location"] == reverse("web:home")
    assert token(client, "clerk_a").status_code == 200


def test_lock_expires(cast, settings):
    settings.LOGIN_MAX_FAILURES = 1
    with pytest.raises(AccountLocked):
        check_credentials("clerk_a", "bad")
    User.objects.filter(username="clerk_a").update(locked_until=timezone.now() - datetime.timedelta(seconds=1))
    user = check_credentials("clerk_a", PASSWORD)
    assert user.locked_until is None and User.objects.get(pk=user.pk).locked_until is None


def test_success_resets_the_count(cast, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(2):
        with pytest.raises(PermissionDenied):
            check_credentials("clerk_a", "bad")
    check_credentials("clerk_a", PASSWORD)
    assert User.objects.get(username="clerk_a").failed_logins == 0
    for _ in range(2):
        with pytest.raises(PermissionDenied):
            check_credentials("clerk_a", "bad")
    assert not User.objects.get(username="clerk_a").is_locked()


def test_unknown_and_deactivated_users(cast):
    with pytest.raises(PermissionDenied, match="用户名或密码错误"):
        check_credentials("nobody", PASSWORD)
    services.user_deactivate(actor=act(cast, "finance_admin"), user=cast.users["clerk_a"])
    with pytest.raises(PermissionDenied, match="账号已停用"):
        check_credentials("clerk_a", PASSWORD)
    with pytest.raises(PermissionDenied, match="用户名或密码错误"):
        check_credentials("clerk_a", "bad")


def test_deactivated_user_loses_the_session(client, cast):
    client.force_login(cast.users["clerk_a"])
    assert client.get(reverse("web:home")).status_code == 200
    services.user_deactivate(actor=act(cast, "finance_admin"), user=cast.users["clerk_a"])
    assert client.get(reverse("web:home")).status_code == 302
