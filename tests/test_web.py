"""Login, lockout, each role's home page, job progress: the screens every role starts from."""

import pytest
from django.urls import reverse

from jixiao.core.testing import PASSWORD


def login(client, username, password=PASSWORD):
    return client.post(reverse("web:login"), {"username": username, "password": password})


def test_login_page_is_chinese(client, db):
    r = client.get(reverse("web:login"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "用户登录" in html and 'lang="zh-CN"' in html


def test_anonymous_is_sent_to_login(client, db):
    r = client.get(reverse("web:home"))
    assert r.status_code == 302 and reverse("web:login") in r["Location"]


@pytest.mark.parametrize("user", ["finance_admin", "officer_a", "clerk_a", "unit_a1", "agency_yes", "expert",
                                  "overseer", "sysadmin"])
def test_each_role_gets_its_home(client, cast, user):
    r = login(client, cast.users[user].username)
    assert r.status_code == 302
    r = client.get(reverse("web:home"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "工作台" in html and "待办事项" in html
    for ra in cast.users[user].role_assignments.all():
        assert ra.get_role_display() in html


def test_home_todo_counts_follow_the_workflow(client, cast):
    from jixiao.core import workflow
    from jixiao.core.permissions import actor_for

    workflow.transition(actor=actor_for(cast.users["unit_a1"]), obj=cast.subjects["a1"], name="submit")
    login(client, "clerk_a")
    html = client.get(reverse("web:home")).content.decode()
    assert "待主管部门审核的项目" in html


def test_wrong_password_and_lockout(client, cast, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(2):
        r = login(client, "unit_a1", "wrong-password")
        assert "用户名或密码错误" in r.content.decode()
    r = login(client, "unit_a1", "wrong-password")
    assert "账号已锁定" in r.content.decode()
    r = login(client, "unit_a1")  # even the right password is refused while locked
    assert r.status_code == 200 and "账号已锁定" in r.content.decode()
    cast.users["unit_a1"].refresh_from_db()
    assert cast.users["unit_a1"].locked_until is not None


def test_open_redirect_is_refused(client, cast):
    r = client.post(reverse("web:login") + "?next=//evil.example.com/", {"username": "unit_a1", "password": PASSWORD})
    assert r["Location"] == reverse("web:home")


def test_job_page_is_private(client, cast):
    from jixiao.core.models import Job

    job = Job.objects.create(created_by=cast.users["unit_a1"], kind="x", label="导入")
    login(client, "unit_a2")
    assert client.get(reverse("web:job_detail", args=[job.pk])).status_code == 404
    client.logout()
    login(client, "unit_a1")
    r = client.get(reverse("web:job_detail", args=[job.pk]) + "?format=json")
    assert r.json()["status"] == "queued"


def test_audit_trail_is_scoped_and_filterable(client, cast, django_assert_max_num_queries):
    from jixiao.core import audit, workflow
    from jixiao.core.permissions import actor_for

    workflow.transition(actor=actor_for(cast.users["unit_a1"]), obj=cast.subjects["a1"], name="submit")
    audit.record(actor=cast.users["county_admin"], action="update", obj=cast.subjects["county"],
                 before={"name": "旧"}, after={"name": "新"})
    login(client, "finance")
    with django_assert_max_num_queries(12):
        html = client.get(reverse("web:audit")).content.decode()
    assert "学生资助项目" in html and "区级项目" not in html  # the county's rows are not the city's
    html = client.get(reverse("web:audit") + "?date_from=2026-13-01&action=bogus").content.decode()
    assert "审计日志" in html  # bad filters are reported, never a 500
    client.logout()
    login(client, "county")
    html = client.get(reverse("web:audit")).content.decode()
    assert "区级项目" in html and "旧 → 新" in html
    client.logout()
    login(client, "unit_a1")
    assert client.get(reverse("web:audit")).status_code == 403
