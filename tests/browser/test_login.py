import pytest

from jixiao.core.testing import PASSWORD, build_cast
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_shows_home_with_role(page):
    build_cast()
    log_in(page, "clerk_a", PASSWORD)
    assert page.locator("h1").inner_text() == "工作台"
    assert "主管部门" in page.content()
    page.click("button:has-text('退出')")
    page.wait_for_url("**/login/")


def test_wrong_password_message(page):
    build_cast()
    page.goto("/login/")
    page.fill("input[name=username]", "clerk_a")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert "用户名或密码错误" in page.locator(".error").inner_text()
