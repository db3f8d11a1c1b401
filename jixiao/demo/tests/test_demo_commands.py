"""load_demo, demo_logins and generate_region, and what the demo logins may see."""

from io import StringIO

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import CommandError

from jixiao.budget.models import PerformanceSubject, SubjectGrant
from jixiao.core.permissions import Action, actor_for, scope
from jixiao.demo.goals import GENERATOR_USERNAME
from jixiao.demo.users import DEMO_LOGINS, DEMO_PASSWORD
from jixiao.organisations.models import Region, RoleAssignment, User

pytestmark = pytest.mark.django_db


def run(*args, **kwargs) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **kwargs)
    return out.getvalue()


def test_load_demo_then_logins(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        run("load_demo", "--if-empty")
    assert not Region.objects.exists()
    run("load_demo", "--if-empty", "--allow-demo-passwords", "--year", "2026")
    city = Region.objects.get(code="150500")
    assert PerformanceSubject.objects.filter(region=city).count() == 3000
    # One login per role, each with the documented password and a role assignment in the city; the author of the
    # generated goal sheets cannot log in.
    users = {u.username: u for u in User.objects.exclude(username=GENERATOR_USERNAME)}
    assert set(users) == {login.username for login in DEMO_LOGINS}
    author = User.objects.get(username=GENERATOR_USERNAME)
    assert not author.is_active and not author.has_usable_password()
    assert not RoleAssignment.objects.filter(user=author).exists()
    for login in DEMO_LOGINS:
        user = users[login.username]
        assert user.check_password(DEMO_PASSWORD)
        validate_password(DEMO_PASSWORD, user)
        assert RoleAssignment.objects.filter(user=user, role=login.role, region=city).exists()
    officer = RoleAssignment.objects.get(user=users["yusuan"])
    assert {d.name for d in officer.departments.all()} == {"通辽市教育局", "通辽市科学技术局", "通辽市文化旅游体育局",
                                                           "通辽市融媒体中心"}
    assert RoleAssignment.objects.get(user=users["wuzhong"]).unit.name == "通辽市第五中学"

    # What each demo login sees comes from the permission rules, and none of them sees nothing.
    subjects = PerformanceSubject.objects.all()
    visible = {name: scope(actor_for(u), Action.VIEW, subjects) for name, u in users.items()}
    assert visible["caizheng"].count() == 3000
    assert 0 < visible["yusuan"].count() < 3000
    assert visible["jiaoyu"].count() == subjects.filter(department__name="通辽市教育局").count() > 50
    assert visible["wuzhong"].exists()
    assert set(visible["wuzhong"].values_list("unit__name", flat=True)) == {"通辽市第五中学"}
    agency_grants = SubjectGrant.objects.filter(agency__isnull=False)
    assert agency_grants.count() == 5 and visible["jigou"].count() == 5
    assert SubjectGrant.objects.filter(expert=users["zhuanjia"]).count() == visible["zhuanjia"].count() == 3
    assert not SubjectGrant.objects.filter(subject__is_classified=True).exists()
    # the agency's grants come from its commissions (fiscal evaluations with contracts); one plan awaits review
    from jixiao.agencies.selectors import commission_list

    commissions = commission_list(actor_for(users["jigou"]))
    assert commissions.count() == 5 and all(c.contract_no for c in commissions)
    assert commissions.filter(state="plan_review").count() == 1
    assert commission_list(actor_for(users["caizheng"])).count() == 5

    # The demo walks the goals flow: the unit finds a new draft project without goals and one with a draft sheet,
    # the department has sheets to review, the bureau sheets to review and approve and the coverage the seed reports.
    school = visible["wuzhong"].filter(state="draft", kind="project", is_new=True)
    assert school.filter(goal_sheet__isnull=True).exists()
    assert school.filter(goal_sheet__state="draft").exists()
    from jixiao.goals.models import GoalSheet
    from jixiao.goals.stats import coverage

    sheets = GoalSheet.objects.all()
    assert scope(actor_for(users["jiaoyu"]), Action.REVIEW, sheets.filter(state="submitted")).exists()
    assert scope(actor_for(users["caizheng"]), Action.APPROVE, sheets.filter(state="department_passed")).exists()
    figures = coverage(actor_for(users["caizheng"]), 2026)
    assert (figures.departments_covered, figures.departments_total) == (73, 73)
    assert (figures.units_covered, figures.units_total) == (237, 237)

    # Monitoring: the first round is open with its tasks; the school has a draft to fill in, the department reports
    # to review and warnings to decide, the bureau a dashboard with every colour.
    from jixiao.monitoring.models import MonitoringDisposition, MonitoringReport

    reports = MonitoringReport.objects.all()
    assert reports.count() > 2000
    assert scope(actor_for(users["wuzhong"]), Action.EDIT, reports).exists()
    assert scope(actor_for(users["jiaoyu"]), Action.REVIEW, reports.filter(state="submitted")).exists()
    assert set(reports.values_list("colour", flat=True)) >= {"green", "yellow", "red"}
    assert scope(actor_for(users["jiaoyu"]), Action.SUBMIT, MonitoringDisposition.objects.filter(state="open")).exists()
    assert MonitoringDisposition.objects.filter(state="proposed").exists()

    # Running again: the data exists, nothing happens (and without --if-empty, a clear refusal).
    assert "不加载演示数据" in run("load_demo", "--if-empty")
    with pytest.raises(CommandError):
        run("load_demo", "--allow-demo-passwords")

    out = run("demo_logins", "--port", "8123")
    assert "http://127.0.0.1:8123/" in out
    for login in DEMO_LOGINS:
        assert login.username in out
    assert out.count(DEMO_PASSWORD) == len(DEMO_LOGINS) + 1  # each row, and the header line
    users["renda"].set_password("another-Secret-2026")
    users["renda"].save()
    out = run("demo_logins")
    assert "（已修改）" in out and "another-Secret-2026" not in out


def test_demo_logins_without_demo_users():
    out = run("demo_logins", "--port", "9000")
    assert "http://127.0.0.1:9000/" in out and "未找到演示账号" in out


def test_generate_region_command():
    out = run("generate_region", "--scale", "town", "--seed", "2", "--year", "2025")
    assert "清溪镇" in out and "绩效管理对象：100" in out
    with pytest.raises(CommandError, match="已存在"):
        run("generate_region", "--scale", "town")
    with pytest.raises(CommandError):
        run("generate_region", "--scale", "town", "--through-month", "13", "--seed", "3")
