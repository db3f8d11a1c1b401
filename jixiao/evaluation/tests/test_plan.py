"""The year's evaluation plan: coverage by count and money over the subjects in reach, the department minimum, key
projects due in their cycle, long projects' mid-term evaluations, and the coverage figures by budget."""

import datetime

import pytest

from jixiao.core.money import Money
from jixiao.core.testing import make_subject
from jixiao.evaluation import evaluations as ev_services
from jixiao.evaluation import selectors
from jixiao.monitoring.tests.helpers import actor

pytestmark = pytest.mark.django_db


def fiscal(cast, key, title="财政评价"):
    return ev_services.evaluation_create(actor=actor(cast, "finance_admin"), subject=cast.subjects[key],
                                         kind="fiscal", year=cast.year.year, title=title)


def test_coverage_findings_and_by_budget(cast):
    big = make_subject(cast, "150500260000000000009", department=cast.dept_b, unit=cast.unit_b1, name="医院改扩建",
                       annual_amount=Money.from_yuan("8000000"), budget_kind="government_fund",
                       start_date=datetime.date(2024, 1, 1), end_date=datetime.date(2028, 12, 31))
    fiscal(cast, "a1")
    plan = selectors.evaluation_plan(actor(cast, "finance_admin"), cast.year.year, region_id=cast.city.pk)
    c = plan.coverage
    # a1, a2, b1, the classified one and the big one are projects of the city (department-wide excluded)
    assert (c.subjects, c.planned) == (5, 1) and str(c.count_pct) == "20.00" and c.met
    messages = " ".join(f.message for f in c.findings)
    # the bureau's fiscal evaluation does not count toward a department's own minimum
    assert "通辽市卫生健康委员会本年度列入部门评价的项目0个" in messages
    assert "通辽市教育局本年度列入部门评价的项目0个" in messages
    assert "重点项目“150500260000000000009 医院改扩建”从未评价" in messages
    assert big.pk in c.due_key and big.pk in c.midterm
    rows = {b.budget_kind: b for b in plan.by_budget}
    assert rows["general_public"].fiscal == 1 and rows["general_public"].fiscal_amount == Money.from_yuan("1000000")
    assert rows["government_fund"].subjects == 1 and rows["government_fund"].fiscal == 0
    # a department sees its own subjects only
    mine = selectors.evaluation_plan(actor(cast, "clerk_a"), cast.year.year, region_id=cast.city.pk,
                                     department_id=cast.dept_a.pk)
    assert mine.coverage.subjects == 3 and mine.coverage.planned == 1


def test_plan_screen_and_api(client, cast):
    fiscal(cast, "b1")
    client.force_login(cast.users["finance_admin"])
    r = client.get(f"/evaluation/plan/?year={cast.year.year}&bond_quota=abc")
    page = r.content.decode()
    assert r.status_code == 200 and "上年新增专项债务限额" in page and "已忽略" in page
    assert "按预算类别的评价覆盖情况" in page and "一般公共预算" in page
    r = client.get(f"/api/evaluation/plan?year={cast.year.year}&bond_quota=1000000")
    body = r.json()
    assert r.status_code == 200 and body["planned"] == 1
    assert "专项债券重点评价覆盖上年新增专项债务限额的0%" in " ".join(f["message"] for f in body["findings"])
    assert client.get(f"/api/evaluation/plan?year={cast.year.year}&bond_quota=x").status_code == 400
    client.force_login(cast.users["unit_a1"])
    assert client.get(f"/evaluation/plan/?year={cast.year.year}").status_code == 403


def test_key_special_funds_count_toward_the_profiles_share(cast):
    from jixiao.policy import services as policy_services

    policy_services.profile_save(actor=actor(cast, "finance_admin"), region=cast.city, fiscal_year=cast.year.year,
                                 params={"evaluation": {"key_fund_coverage_pct": "20"}}, comment="海林口径",
                                 base_version=0)
    cast.subjects["policy"] = make_subject(cast, "150500260000000000011", department=cast.dept_b,
                                           name="基层医疗卫生机构补助", kind="policy",
                                           annual_amount=Money.from_yuan("9000000"))
    plan = selectors.evaluation_plan(actor(cast, "finance_admin"), cast.year.year, region_id=cast.city.pk)
    assert "财政评价覆盖重点专项资金的0%，低于20%" in " ".join(f.message for f in plan.coverage.findings)
    assert cast.subjects["policy"].pk not in plan.coverage.due_key  # a key fund, not a key project
    fiscal(cast, "policy", "补助政策财政评价")
    plan = selectors.evaluation_plan(actor(cast, "finance_admin"), cast.year.year, region_id=cast.city.pk)
    assert "重点专项资金" not in " ".join(f.message for f in plan.coverage.findings)


def test_a_department_evaluation_archived_after_the_date_does_not_clear_the_department(cast, monkeypatch):
    from jixiao.evaluation.models import Evaluation
    from jixiao.policy import services as policy_services

    policy_services.profile_save(actor=actor(cast, "finance_admin"), region=cast.city, fiscal_year=cast.year.year,
                                 params={"evaluation": {"department_due": "06-30"}}, comment="普陀口径",
                                 base_version=0)
    ev = ev_services.evaluation_create(actor=actor(cast, "clerk_a"), subject=cast.subjects["a1"], kind="department",
                                       year=cast.year.year, title="部门评价")
    late = datetime.datetime(2027, 8, 1, 10, tzinfo=datetime.UTC)
    Evaluation.objects.filter(pk=ev.pk).update(state="archived", archived_at=late)
    monkeypatch.setattr("jixiao.evaluation.selectors.timezone.localdate",
                        lambda *a: datetime.date(2027, 9, 1) if not a else a[0].date())
    plan = selectors.evaluation_plan(actor(cast, "finance_admin"), cast.year.year, region_id=cast.city.pk)
    overdue = [f.message for f in plan.coverage.findings if f.code == "department_overdue"]
    assert any("通辽市教育局应于2027年06月30日前完成部门评价，现已完成0个" in m for m in overdue)
    Evaluation.objects.filter(pk=ev.pk).update(archived_at=datetime.datetime(2027, 6, 1, tzinfo=datetime.UTC))
    plan = selectors.evaluation_plan(actor(cast, "finance_admin"), cast.year.year, region_id=cast.city.pk)
    assert not any("通辽市教育局" in f.message for f in plan.coverage.findings if f.code == "department_overdue")
