"""A ready cast for tests (Healthchecks-style): one region with two departments and their units, and a user for
every role × organisation relation the permission matrix needs."""

from __future__ import annotations

from dataclasses import dataclass, field

from jixiao.budget.models import FiscalYear, PerformanceSubject, SubjectGrant
from jixiao.core.money import Money
from jixiao.organisations.models import Agency, Department, Region, Role, RoleAssignment, Unit, User

PASSWORD = "Jixiao-test-2026"


@dataclass
class Cast:
    province: Region
    city: Region
    county: Region
    dept_a: Department
    dept_b: Department
    unit_a1: Unit
    unit_a2: Unit
    unit_b1: Unit
    county_dept: Department
    county_unit: Unit
    agency_yes: Agency
    agency_no: Agency
    year: FiscalYear
    users: dict[str, User] = field(default_factory=dict)
    subjects: dict[str, PerformanceSubject] = field(default_factory=dict)

    def __getattr__(self, name):
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)


def make_user(username: str, role: str, region: Region, *, full_name: str = "", department=None, unit=None,
              agency=None, departments=()) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, full_name=full_name or username)
    ra = RoleAssignment.objects.create(user=user, role=role, region=region, department=department, unit=unit,
                                       agency=agency)
    if departments:
        ra.departments.set(departments)
    return user


def make_subject(cast: Cast, code: str, *, department, unit=None, region=None, **kwargs) -> PerformanceSubject:
    region = region or department.region
    kwargs.setdefault("name", f"项目{code}")
    kwargs.setdefault("annual_amount", Money.from_yuan("1000000"))
    return PerformanceSubject.objects.create(region=region, department=department, unit=unit, fiscal_year=cast.year,
                                             code=code, **kwargs)


def build_cast() -> Cast:
    province = Region.objects.create(code="150000", name="内蒙古自治区", level=Region.Level.PROVINCE,
                                     bureau_name="内蒙古自治区财政厅")
    city = Region.objects.create(code="150500", name="通辽市", level=Region.Level.CITY, parent=province,
                                 bureau_name="通辽市财政局")
    county = Region.objects.create(code="150502", name="科尔沁区", level=Region.Level.COUNTY, parent=city,
                                   bureau_name="科尔沁区财政局")
    dept_a = Department.objects.create(region=city, code="301", name="通辽市教育局", sector="教育")
    dept_b = Department.objects.create(region=city, code="302", name="通辽市卫生健康委员会", sector="卫生健康")
    unit_a1 = Unit.objects.create(department=dept_a, region=city, code="301001", name="通辽市第一中学")
    unit_a2 = Unit.objects.create(department=dept_a, region=city, code="301002", name="通辽市第二中学")
    unit_b1 = Unit.objects.create(department=dept_b, region=city, code="302001", name="通辽市医院")
    county_dept = Department.objects.create(region=county, code="301", name="科尔沁区教育局", sector="教育")
    county_unit = Unit.objects.create(department=county_dept, region=county, code="301001", name="科尔沁区实验小学")
    agency_yes = Agency.objects.create(region=city, name="某某会计师事务所", credit_code="91150500MA0000001A")
    agency_no = Agency.objects.create(region=city, name="另一咨询公司", credit_code="91150500MA0000002B")
    from jixiao.agencies.models import AgencyPerson, PersonRole

    for agency, lead in ((agency_yes, "王主评"), (agency_no, "李主评")):
        AgencyPerson.objects.create(agency=agency, name=lead, role=PersonRole.LEAD, work_years=12, evaluation_years=6,
                                    title_or_qualification="注册会计师")
    year = FiscalYear.objects.create(year=2026, is_current=True)
    cast = Cast(province, city, county, dept_a, dept_b, unit_a1, unit_a2, unit_b1, county_dept, county_unit,
                agency_yes, agency_no, year)
    u = cast.users
    u["sysadmin"] = make_user("sysadmin", Role.SYSADMIN, city, full_name="系统管理员")
    u["finance_admin"] = make_user("finance", Role.FINANCE_ADMIN, city, full_name="绩效科张科长")
    u["province_admin"] = make_user("province", Role.FINANCE_ADMIN, province, full_name="财政厅绩效处")
    u["county_admin"] = make_user("county", Role.FINANCE_ADMIN, county, full_name="区财政局绩效股")
    u["officer_a"] = make_user("officer_a", Role.BUDGET_OFFICER, city, departments=[dept_a], full_name="教科文科")
    u["officer_b"] = make_user("officer_b", Role.BUDGET_OFFICER, city, departments=[dept_b], full_name="社保科")
    u["clerk_a"] = make_user("clerk_a", Role.DEPARTMENT, city, department=dept_a, full_name="教育局财务科")
    u["clerk_b"] = make_user("clerk_b", Role.DEPARTMENT, city, department=dept_b, full_name="卫健委财务科")
    u["unit_a1"] = make_user("unit_a1", Role.UNIT, city, department=dept_a, unit=unit_a1, full_name="一中财务")
    u["unit_a2"] = make_user("unit_a2", Role.UNIT, city, department=dept_a, unit=unit_a2, full_name="二中财务")
    u["agency_yes"] = make_user("agency_yes", Role.AGENCY, city, agency=agency_yes, full_name="受托机构")
    u["agency_no"] = make_user("agency_no", Role.AGENCY, city, agency=agency_no, full_name="未受托机构")
    u["expert"] = make_user("expert", Role.EXPERT, city, full_name="评审专家")
    u["overseer"] = make_user("overseer", Role.OVERSEER, city, full_name="人大预工委")
    s = cast.subjects
    s["a1"] = make_subject(cast, "150500260000000000001", department=dept_a, unit=unit_a1, name="学生资助项目")
    s["a2"] = make_subject(cast, "150500260000000000002", department=dept_a, unit=unit_a2, name="校舍维修项目")
    s["a_dept"] = make_subject(cast, "150500260000000000003", department=dept_a, name="教育局部门整体支出",
                               kind="department_wide")
    s["b1"] = make_subject(cast, "150500260000000000004", department=dept_b, unit=unit_b1, name="医疗设备购置")
    s["a1_secret"] = make_subject(cast, "150500260000000000005", department=dept_a, unit=unit_a1, name="涉密项目",
                                  is_classified=True, classified_reason="涉及国家秘密")
    s["county"] = make_subject(cast, "150502260000000000001", department=county_dept, unit=county_unit,
                               region=county, name="区级项目")
    SubjectGrant.objects.create(subject=s["a1"], agency=agency_yes, purpose="财政重点评价")
    SubjectGrant.objects.create(subject=s["a1_secret"], agency=agency_yes, purpose="财政重点评价")
    SubjectGrant.objects.create(subject=s["b1"], expert=u["expert"], purpose="事前评估评审")
    return cast
