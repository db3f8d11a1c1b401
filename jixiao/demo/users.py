"""Demo logins for the generated city: one user per role, all with the documented demo password.

The password is public (printed by `manage.py demo_logins`), so `load_demo` refuses to create these users outside a
DEBUG (development or demo) run unless told explicitly.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from jixiao.budget.models import PerformanceSubject, SubjectGrant
from jixiao.budget.workflows import SubjectState
from jixiao.core import audit
from jixiao.core.money import Money
from jixiao.demo import vocab_orgs
from jixiao.demo.generator import DEMO_SCHOOL
from jixiao.demo.vocab import credit_code_check_digit
from jixiao.organisations.models import Agency, Department, Region, Role, RoleAssignment, Unit, User

DEMO_PASSWORD = "Jixiao@2026"  # noqa: S105 - the documented, public demo password


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    full_name: str
    node: str  # where the role is held: region, department (by name suffix), unit, agency
    note: str = ""


# Department names are matched by their ending within the city (e.g. "教育局" finds 通辽市教育局).
OFFICER_DEPARTMENTS = ("教育局", "科学技术局", "文化旅游体育局", "融媒体中心")
DEMO_LOGINS = (
    DemoLogin("admin", Role.SYSADMIN, "系统管理员", "region"),
    DemoLogin("caizheng", Role.FINANCE_ADMIN, "绩效管理科 王丽", "region"),
    DemoLogin("yusuan", Role.BUDGET_OFFICER, "教科文科 张强", "region", note="分管：" + "、".join(OFFICER_DEPARTMENTS)),
    DemoLogin("jiaoyu", Role.DEPARTMENT, "教育局计划财务科 刘芳", "department:教育局"),
    DemoLogin("wuzhong", Role.UNIT, "第五中学财务室 陈静", f"unit:{DEMO_SCHOOL}"),
    DemoLogin("jigou", Role.AGENCY, "衡信会计师事务所 赵磊", "agency"),
    DemoLogin("zhuanjia", Role.EXPERT, "评审专家 孙明", "region"),
    DemoLogin("renda", Role.OVERSEER, "市人大常委会预算工作委员会", "region"),
)
AGENCY_GRANTS = 5  # subjects commissioned to the demo agency (财政重点评价)
EXPERT_GRANTS = 3  # subjects assigned to the demo expert (事前绩效评估评审)


def _department(city: Region, suffix: str) -> Department:
    return Department.objects.filter(region=city, name__endswith=suffix).order_by("code").first()


def create_agencies(city: Region) -> list[Agency]:
    """The fictitious third-party institutions registered in the city (idempotent by credit code)."""
    out = []
    for name, base in vocab_orgs.AGENCIES:
        code = base + credit_code_check_digit(base)
        agency, created = Agency.objects.get_or_create(
            credit_code=code, defaults={"name": name, "region": city, "platform_registered": True,
                                        "contact": "业务部", "qualifications": "信用管理平台已登记"})
        if created:
            _people(agency, len(out))
        out.append(agency)
    return out


LEADS = ("赵磊", "钱敏", "孙伟", "李静", "周强", "吴芳")
STAFF = ("郑洁", "王涛", "冯雪", "陈刚", "褚丽", "卫东")


def _people(agency: Agency, i: int) -> None:
    """A registered lead evaluator (主评人) and two staff for a demo agency (fictitious people)."""
    from jixiao.agencies.models import AgencyPerson, PersonRole

    AgencyPerson.objects.bulk_create([
        AgencyPerson(agency=agency, name=LEADS[i % len(LEADS)], role=PersonRole.LEAD, work_years=10 + i,
                     evaluation_years=5 + i % 3, title_or_qualification="注册会计师", certificate_no=f"CPA-{i:04d}"),
        AgencyPerson(agency=agency, name=STAFF[i % len(STAFF)], role=PersonRole.STAFF, work_years=4,
                     evaluation_years=2, title_or_qualification=""),
        AgencyPerson(agency=agency, name=STAFF[(i + 3) % len(STAFF)], role=PersonRole.EXPERT, work_years=20,
                     evaluation_years=8, title_or_qualification="高级工程师"),
    ])


@transaction.atomic
def create_demo_users(city: Region, *, year: int, seed: int = 1) -> list[User]:
    """One user per role in the city (existing usernames are left alone), the demo agency's commissions and the
    expert's assignments. Returns the users."""
    agencies = create_agencies(city)
    for login in DEMO_LOGINS:  # the documented password must pass the configured validators
        validate_password(DEMO_PASSWORD, User(username=login.username, full_name=login.full_name))
    users, password_hash = [], None
    for login in DEMO_LOGINS:
        user = User.objects.filter(username=login.username).first()
        if user is not None:
            users.append(user)
            continue
        if password_hash is None:
            user = User.objects.create_user(username=login.username, password=DEMO_PASSWORD,
                                            full_name=login.full_name)
            password_hash = user.password
        else:  # hashing once is enough: the same password for every demo login
            user = User.objects.create_user(username=login.username, password=None, full_name=login.full_name)
            user.password = password_hash
            user.save(update_fields=["password"])
        department = unit = agency = None
        kind, _, which = login.node.partition(":")
        if kind == "department":
            department = _department(city, which)
        elif kind == "unit":
            unit = Unit.objects.filter(region=city, name__contains=which).order_by("code").first()
            department = unit.department if unit else None
        elif kind == "agency":
            agency = agencies[0]
        assignment = RoleAssignment.objects.create(user=user, role=login.role, region=city, department=department,
                                                   unit=unit, agency=agency)
        if login.role == Role.BUDGET_OFFICER:
            assignment.departments.set([d for d in (_department(city, s) for s in OFFICER_DEPARTMENTS) if d])
        audit.record(actor=None, action="create", obj=user, region_id=city.pk, after={"username": user.username,
                     "role": login.role}, comment="演示账号")
        users.append(user)
    by_name = {u.username: u for u in users}
    _grant(city, year, seed, agencies[0], by_name.get("zhuanjia"), by_name.get("caizheng"))
    return users


def _grant(city: Region, year: int, seed: int, agency: Agency, expert: User | None, bureau: User | None) -> None:
    """Commission fiscal evaluations of a few large approved subjects to the agency (through the conflict checks,
    with their contracts; the first one's work plan is submitted for review), and assign a few new ones to the
    expert."""
    if SubjectGrant.objects.filter(subject__region=city).exists():
        return
    rng = random.Random(f"{seed}|{year}|grants")
    base = PerformanceSubject.objects.filter(region=city, fiscal_year__year=year, is_classified=False).order_by("code")
    large = base.filter(kind="project", project_category="specific", annual_amount__gte=Money.from_yuan("5000000"))
    big = list(large.filter(state=SubjectState.APPROVED).values_list("pk", flat=True))
    if bureau is not None:
        _commission(year, agency, bureau, [base.get(pk=pk) for pk in rng.sample(big, min(AGENCY_GRANTS, len(big)))])
    if expert is not None:
        # Ex-ante assessment: new projects of 500万 or more not yet in the library.
        fresh = list(large.filter(is_new=True).exclude(state=SubjectState.APPROVED).values_list("pk", flat=True))
        fresh = fresh or list(large.filter(is_new=True).values_list("pk", flat=True))
        for pk in rng.sample(fresh, min(EXPERT_GRANTS, len(fresh))):
            SubjectGrant.objects.create(subject_id=pk, expert=expert, purpose="事前绩效评估评审")


def _commission(year: int, agency: Agency, bureau: User, subjects: list) -> None:
    from jixiao.agencies import rules, services
    from jixiao.agencies.models import PersonRole
    from jixiao.core.permissions import actor_for
    from jixiao.evaluation import evaluations

    fa = actor_for(bureau)
    agency_user = User.objects.filter(role_assignments__agency=agency).first()
    for i, subject in enumerate(subjects):
        ev = evaluations.evaluation_create(actor=fa, subject=subject, kind="fiscal", year=year,
                                           title=f"{subject.name}财政重点评价", agency=agency)
        c = ev.commission
        services.contract_save(actor=fa, commission=c, expected_lock_version=c.lock_version, data={
            "contract_no": f"TLCZ-{year}-PJ{i + 1:03d}", "contract_amount": str(60000 + 10000 * i),
            "signed_on": f"{year}-03-{10 + i:02d}", "due_on": f"{year}-09-30",
            "contract_terms": "委托事项、期限、费用及支付方式、双方权利义务、归档责任、违约责任、争议解决按合同约定"})
        services.document_add(actor=fa, commission=c, kind="contract", title="委托合同")
        if i == 0 and agency_user is not None:
            ag = actor_for(agency_user)
            c.refresh_from_db()
            lead = agency.people.filter(role=PersonRole.LEAD).first()
            services.team_save(actor=ag, commission=c, lead_id=lead.pk if lead else None, team_ids=[],
                               plan_elements=list(rules.PLAN_ELEMENTS), expected_lock_version=c.lock_version)
            services.document_add(actor=ag, commission=c, kind="plan", title=f"{subject.name}绩效评价实施方案")
            c.refresh_from_db()
            services.commission_transition(actor=ag, commission=c, name="submit_plan")


@dataclass(frozen=True)
class LoginRow:
    role: str
    username: str
    password: str
    full_name: str
    node: str


def demo_login_rows() -> list[LoginRow]:
    """The demo logins present in the database, for printing. The password column shows the documented demo
    password only where the user still has it; nothing else about passwords is read or shown."""
    wanted = {login.username: login for login in DEMO_LOGINS}
    users = {u.username: u for u in User.objects.filter(username__in=list(wanted), is_active=True)}
    verdicts: dict[str, bool] = {}  # password hash -> is the demo password (one check per distinct hash)
    rows = []
    for login in DEMO_LOGINS:
        user = users.get(login.username)
        if user is None:
            continue
        if user.password not in verdicts:
            verdicts[user.password] = user.check_password(DEMO_PASSWORD)
        assignment = RoleAssignment.objects.filter(user=user).select_related(
            "region", "department", "unit", "agency").order_by("id").first()
        node = ""
        if assignment is not None:
            regional = not (assignment.department_id or assignment.unit_id or assignment.agency_id)
            # Experts and overseers are not part of the bureau: name the region, not its finance bureau.
            node = (assignment.region.name if regional and login.role in (Role.EXPERT, Role.OVERSEER)
                    else assignment.node_name())
        if login.note:
            node = f"{node}（{login.note}）"
        rows.append(LoginRow(Role(login.role).label, user.username,
                             DEMO_PASSWORD if verdicts[user.password] else "（已修改）", user.full_name, node))
    return rows


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))
