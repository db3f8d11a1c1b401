"""Commissions through their stage gates, the conflict checks before commissioning, the registry, sanctions,
inspections and the ranking (services)."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from jixiao.agencies import rules, selectors, services
from jixiao.agencies.models import AgencyPerson, Commission, PersonRole, Purpose
from jixiao.agencies.workflows import CommissionStage as S
from jixiao.evaluation import evaluations as ev_services
from jixiao.monitoring.tests.helpers import actor
from jixiao.organisations.models import AgencyStatus
from jixiao.policy import services as policy_services

pytestmark = pytest.mark.django_db
CONTRACT = {"contract_no": "TL-2026-001", "contract_amount": "120000.00", "signed_on": "2026-03-01",
            "due_on": "2026-09-30", "contract_terms": "归档责任由受托方承担"}


def fiscal(cast, subject="a1", agency=None):
    ev = ev_services.evaluation_create(actor=actor(cast, "finance_admin"), subject=cast.subjects[subject],
                                       kind="fiscal", year=cast.year.year, title="学生资助项目财政评价",
                                       agency=agency or cast.agency_yes)
    return ev.commission


def drawn(cast):
    """A spot check of the city's round drawing every sheet (100%), and the item of subject a2."""
    from jixiao.evaluation import spot_checks
    from jixiao.evaluation.tests.test_spot_checks import make_round

    policy_services.profile_save(actor=actor(cast), region=cast.city, fiscal_year=cast.year.year,
                                 params={"spot_check": {"sample_rate_pct": "100"}}, comment="全部抽查",
                                 base_version=0)
    check = spot_checks.draw(actor=actor(cast), rnd=make_round(cast), seed=7)
    return check, check.items.get(subject=cast.subjects["a2"])


def fresh(c):
    return Commission.objects.get(pk=c.pk)


def move(cast, c, who, name, **kw):
    services.commission_transition(actor=actor(cast, who), commission=c, name=name, **kw)
    return fresh(c)


def run_to_close(cast, c):
    fa, ag = actor(cast, "finance_admin"), actor(cast, "agency_yes")
    services.contract_save(actor=fa, commission=c, data=CONTRACT, expected_lock_version=c.lock_version)
    services.document_add(actor=fa, commission=c, kind="contract", title="委托合同")
    lead = cast.agency_yes.people.get(role=PersonRole.LEAD)
    c = fresh(c)
    services.team_save(actor=ag, commission=c, lead_id=lead.pk, team_ids=[], plan_elements=list(rules.PLAN_ELEMENTS),
                       expected_lock_version=c.lock_version)
    services.document_add(actor=ag, commission=c, kind="plan", title="实施方案")
    c = move(cast, fresh(c), "agency_yes", "submit_plan")
    services.document_add(actor=fa, commission=c, kind="plan_review", title="专家评审意见")
    services.quality_score(actor=fa, commission=c, stage="plan", score="90")
    c = move(cast, c, "finance_admin", "approve_plan")
    services.document_add(actor=ag, commission=c, kind="working_paper", title="工作底稿")
    services.document_add(actor=ag, commission=c, kind="draft", title="报告初稿")
    c = move(cast, c, "agency_yes", "submit_draft")
    services.comment_add(actor=fa, commission=c, source="evaluated", text="满意度样本偏少")
    services.quality_score(actor=fa, commission=c, stage="draft", score="80")
    c = move(cast, c, "finance_admin", "send_comments")
    for m in c.comments.all():
        services.comment_reply(actor=ag, comment=m, accepted=False, reply="样本量已达方案要求，不予采纳")
    c = move(cast, c, "agency_yes", "submit_replies")
    services.document_add(actor=ag, commission=c, kind="internal_review", title="内部审核记录")
    c = move(cast, c, "agency_yes", "pass_internal_review")
    services.document_add(actor=ag, commission=c, kind="final_report", title="正式报告")
    services.report_sign(actor=ag, commission=c, signed_by=lead.name, sealed=True, report_uploaded=True,
                         expected_lock_version=c.lock_version)
    c = move(cast, fresh(c), "agency_yes", "submit_final")
    return move(cast, c, "finance_admin", "close")


def test_a_commission_from_contract_to_archive(cast):
    c = fiscal(cast)
    assert c.purpose == Purpose.FISCAL_EVALUATION and c.department_id is None and c.state == S.PLAN
    c = run_to_close(cast, c)
    assert c.state == S.CLOSED and c.closed_at is not None
    assert c.plan_quality == D("90.00") and c.draft_quality == D("80.00")
    ranked = {r.agency_id: r for r in selectors.ranking(actor(cast, "finance_admin"))}
    assert ranked[cast.agency_yes.pk].average == D("84.00") and ranked[cast.agency_yes.pk].rank == 1  # 90×40%+80×60%
    assert ranked[cast.agency_no.pk].rank == 0


def test_each_gate_says_what_it_needs(cast):
    c = fiscal(cast)
    with pytest.raises(ValidationError) as exc:
        move(cast, c, "agency_yes", "submit_plan")
    text = " ".join(exc.value.messages)
    assert "委托合同" in text and "实施方案缺少" in text and "主评人" in text
    # the commissioner cannot move the agency's stages, nor the agency the commissioner's
    with pytest.raises(PermissionDenied):
        move(cast, c, "finance_admin", "submit_plan")
    problems = services.next_problems(c)
    assert "提交实施方案" in problems


def test_the_lead_must_be_qualified_and_sign(cast):
    c = fiscal(cast)
    weak = AgencyPerson.objects.create(agency=cast.agency_yes, name="新人", role=PersonRole.LEAD, work_years=3,
                                       evaluation_years=1)
    services.team_save(actor=actor(cast, "agency_yes"), commission=c, lead_id=weak.pk, team_ids=[],
                       plan_elements=list(rules.PLAN_ELEMENTS), expected_lock_version=c.lock_version)
    facts = services.facts(fresh(c))
    problems = rules.stage_problems("submit_plan", facts, services.agency_params(c.region_id), timezone.localdate())
    assert any("新人：工作年限3年" in p for p in problems)
    other = AgencyPerson.objects.create(agency=cast.agency_no, name="外人", role=PersonRole.LEAD, work_years=9,
                                        evaluation_years=5, title_or_qualification="注册会计师")
    with pytest.raises(ValidationError, match="登记在册的主评人"):
        services.team_save(actor=actor(cast, "agency_yes"), commission=fresh(c), lead_id=other.pk, team_ids=[],
                           plan_elements=[], expected_lock_version=fresh(c).lock_version)


def test_replies_point_by_point_before_internal_review(cast):
    c = fiscal(cast)
    Commission.objects.filter(pk=c.pk).update(state=S.COMMENTS)
    c = fresh(c)
    fa = actor(cast, "finance_admin")
    with pytest.raises(ValidationError, match="至少一条"):
        move(cast, c, "finance_admin", "send_comments")
    services.comment_add(actor=fa, commission=c, source="commissioner", text="建议补充成本分析")
    services.comment_add(actor=fa, commission=c, source="expert", text="结论表述过满")
    services.quality_score(actor=fa, commission=c, stage="draft", score="75.5")
    with pytest.raises(ValidationError, match="在“方案评审”阶段评定"):
        services.quality_score(actor=fa, commission=c, stage="plan", score="80")
    with pytest.raises(ValidationError, match="0～100"):
        services.quality_score(actor=fa, commission=c, stage="draft", score="120")
    c = move(cast, c, "finance_admin", "send_comments")
    first = c.comments.get(number=1)
    with pytest.raises(ValidationError, match="是否采纳"):
        services.comment_reply(actor=actor(cast, "agency_yes"), comment=first, accepted=None, reply="好")
    services.comment_reply(actor=actor(cast, "agency_yes"), comment=first, accepted=True, reply="已补充")
    with pytest.raises(ValidationError, match="还有1条意见未逐条回复"):
        move(cast, c, "agency_yes", "submit_replies")


def test_agency_sees_only_its_commissions(cast):
    c = fiscal(cast)
    assert selectors.commission_list(actor(cast, "agency_yes")).filter(pk=c.pk).exists()
    assert not selectors.commission_list(actor(cast, "agency_no")).exists()
    assert not selectors.commission_list(actor(cast, "clerk_a")).exists()  # the bureau's commission
    with pytest.raises(Http404):
        selectors.commission_get(actor(cast, "agency_no"), c.pk)
    # a department's own commission is the department's
    ev = ev_services.evaluation_create(actor=actor(cast, "clerk_a"), subject=cast.subjects["a2"], kind="department",
                                       year=cast.year.year, title="校舍维修部门评价", agency=cast.agency_no)
    d = ev.commission
    assert d.department_id == cast.dept_a.pk and d.workflow.name == "department_commission"
    assert selectors.commission_list(actor(cast, "clerk_a")).filter(pk=d.pk).exists()
    assert not selectors.commission_list(actor(cast, "clerk_b")).exists()
    assert selectors.commission_list(actor(cast, "agency_no")).get() == d


def test_conflicts_refuse_the_commission(cast):
    services.service_add(actor=actor(cast, "finance_admin"), agency=cast.agency_yes, unit=cast.unit_a1,
                         kind="audit", started_on="2026-01-10")
    with pytest.raises(ValidationError, match="审计服务，应回避"):
        fiscal(cast)
    assert not Commission.objects.exists() and not cast.subjects["a1"].evaluations.exists()  # nothing half-made
    # produced the work: the ex-ante assessment it was commissioned for
    services.commission_create(actor=actor(cast, "finance_admin"), agency=cast.agency_no, purpose=Purpose.EXANTE,
                               title="事前绩效评估", year=cast.year.year, region_id=cast.city.pk,
                               subject=cast.subjects["b1"])
    with pytest.raises(ValidationError, match="不得评价自己的工作成果"):
        fiscal(cast, "b1", cast.agency_no)
    # another commissioner on the same project
    with pytest.raises(ValidationError, match="不同委托方"):
        ev_services.evaluation_create(actor=actor(cast, "clerk_b"), subject=cast.subjects["b1"], kind="department",
                                      year=cast.year.year, title="医疗设备部门评价", agency=cast.agency_no)
    # the department commissioning the evaluation of what it implements itself
    with pytest.raises(ValidationError, match="实施单位"):
        ev_services.evaluation_create(actor=actor(cast, "clerk_a"), subject=cast.subjects["a_dept"],
                                      kind="department", year=cast.year.year, title="部门整体评价",
                                      agency=cast.agency_no)


def test_serious_violation_and_sanctions(cast):
    fa = actor(cast, "finance_admin")
    c = fiscal(cast)
    services.violation_record(actor=fa, agency=cast.agency_yes, kind="false_report",
                              occurred_on=timezone.localdate() - datetime.timedelta(days=30),
                              description="报告数据与底稿不符", sanction="terminate", commission=c)
    assert fresh(c).state == S.TERMINATED
    with pytest.raises(ValidationError, match="严重违法违规或不良诚信记录（出具虚假报告或有重大遗漏）"):
        fiscal(cast, "a2")
    ranked = {r.agency_id: r for r in selectors.ranking(fa)}
    assert ranked[cast.agency_yes.pk].sanctions == 1
    services.violation_record(actor=fa, agency=cast.agency_no, kind="other", occurred_on="2026-01-05",
                              description="登记信息未及时更新", sanction="disqualify")
    cast.agency_no.refresh_from_db()
    assert cast.agency_no.status == AgencyStatus.DISQUALIFIED
    assert not selectors.choosable_agencies().filter(pk=cast.agency_no.pk).exists()
    with pytest.raises(PermissionDenied):
        services.violation_record(actor=actor(cast, "clerk_a"), agency=cast.agency_no, kind="other",
                                  occurred_on="2026-01-05", description="x")
    with pytest.raises(ValidationError) as exc:
        services.violation_record(actor=fa, agency=cast.agency_no, kind="bad", occurred_on="2026-13-01",
                                  description="")
    assert set(exc.value.message_dict) == {"kind", "occurred_on", "description"}


def test_registry_changes_and_their_deadline(cast):
    ag = actor(cast, "agency_yes")
    long_ago = timezone.localdate() - datetime.timedelta(days=90)
    change = services.registry_update(actor=ag, agency=cast.agency_yes, data={"phone": "0475-1234567"},
                                      changed_on=long_ago)
    assert change.late and change.deadline > long_ago and "联系电话" in change.description
    on_time = services.registry_update(actor=ag, agency=cast.agency_yes, data={"contact": "张三"})
    assert not on_time.late
    assert services.registry_update(actor=ag, agency=cast.agency_yes, data={"contact": "张三"}) is None
    with pytest.raises(Http404):  # another agency's entry is out of reach
        services.registry_update(actor=ag, agency=cast.agency_no, data={"phone": "1"})
    with pytest.raises(ValidationError, match="绩效评价年限不能多于工作年限"):
        services.person_save(actor=ag, agency=cast.agency_yes, data={"name": "甲", "work_years": "2",
                                                                      "evaluation_years": "5"})


def test_inspections_double_random_is_reproducible(cast):
    fa = actor(cast, "finance_admin")
    names = ["检查一", "检查二", "检查三", "检查四"]
    first = services.inspections_draw(actor=fa, agencies=1, inspectors=names, per_team=2, planned_on="2026-11-01",
                                      seed=7)
    again = rules.double_random([cast.agency_yes.pk, cast.agency_no.pk], names, agencies=1, per_team=2, seed=7)
    assert [(i.agency_id, tuple(i.inspectors.split("、"))) for i in first] == again
    ins = first[0]
    with pytest.raises(ValidationError, match="须写明检查发现"):
        services.inspection_record(actor=fa, inspection=ins, result="problems", findings="")
    services.inspection_record(actor=fa, inspection=ins, result="clear", findings="")
    with pytest.raises(PermissionDenied):
        services.inspections_draw(actor=actor(cast, "agency_yes"), agencies=1, inspectors=names, per_team=2,
                                  planned_on="2026-11-01")


def test_spot_check_commission_runs_the_conflict_checks(cast):
    from jixiao.evaluation import spot_checks

    check, item = drawn(cast)
    services.service_add(actor=actor(cast, "finance_admin"), agency=cast.agency_no, unit=item.unit,
                         kind="design", started_on="2025-05-01")
    with pytest.raises(ValidationError, match="设计服务"):
        spot_checks.assign(actor=actor(cast, "finance_admin"), item=item, agency=cast.agency_no)
    spot_checks.assign(actor=actor(cast, "finance_admin"), item=item, agency=cast.agency_yes)
    c = Commission.objects.get(spot_check=item.spot_check, agency=cast.agency_yes)
    assert c.purpose == Purpose.SPOT_CHECK and c.subject_id is None


def test_ending_a_commission_takes_the_access_away(cast):
    from jixiao.budget.models import SubjectGrant

    SubjectGrant.objects.filter(agency=cast.agency_yes).delete()  # the cast's standing grants
    c = fiscal(cast)
    ev = c.evaluation
    assert SubjectGrant.objects.filter(agency=cast.agency_yes, subject=cast.subjects["a1"], is_active=True).exists()
    ev_services.document_add(actor=actor(cast, "agency_yes"), evaluation=ev, kind="other", title="调研提纲")
    move(cast, c, "finance_admin", "terminate", comment="机构人员变动，终止委托")
    assert not SubjectGrant.objects.filter(agency=cast.agency_yes, is_active=True).exists()
    ev.refresh_from_db()
    with pytest.raises((PermissionDenied, Http404)):
        ev_services.document_add(actor=actor(cast, "agency_yes"), evaluation=ev, kind="other", title="再提交")
    # the commission itself stays visible to the agency as its record
    assert selectors.commission_list(actor(cast, "agency_yes")).filter(pk=c.pk).exists()


def test_a_terminated_spot_check_commission_hands_the_items_back(cast):
    from jixiao.evaluation import spot_checks

    check, item = drawn(cast)
    spot_checks.assign(actor=actor(cast), item=item, agency=cast.agency_yes)
    c = Commission.objects.get(spot_check=check, agency=cast.agency_yes)
    move(cast, c, "finance_admin", "terminate", comment="终止")
    item.refresh_from_db()
    assert item.agency_id is None
    spot_checks.assign(actor=actor(cast), item=item, agency=cast.agency_yes)  # a new commission, not the ended one
    assert Commission.objects.filter(spot_check=check, agency=cast.agency_yes, state=S.PLAN).count() == 1


def test_who_may_record_violations_and_disqualify(cast):
    other = actor(cast, "county_admin")  # a bureau where the agency is neither registered nor commissioned
    with pytest.raises(PermissionDenied, match="本地区"):
        services.violation_record(actor=other, agency=cast.agency_yes, kind="other", occurred_on="2026-01-05",
                                  description="x")
    province = actor(cast, "province_admin")
    services.commission_create_direct(actor=province, agency=cast.agency_yes, purpose=Purpose.OTHER,
                                      title="省级委托", year=2026, region_id=cast.province.pk)
    services.violation_record(actor=province, agency=cast.agency_yes, kind="other", occurred_on="2026-01-05",
                              description="报告报送迟延", sanction="correction")
    with pytest.raises(PermissionDenied, match="登记地"):
        services.violation_record(actor=province, agency=cast.agency_yes, kind="other", occurred_on="2026-01-05",
                                  description="x", sanction="disqualify")


def test_bad_credit_bars_selection_and_projects_keep_their_conflicts_across_years(cast):
    fa = actor(cast, "finance_admin")
    services.violation_record(actor=fa, agency=cast.agency_no, kind="other",
                              occurred_on=timezone.localdate() - datetime.timedelta(days=10),
                              description="不良诚信", sanction="bad_credit")
    with pytest.raises(ValidationError, match="记录不良诚信档案"):
        fiscal(cast, "b1", cast.agency_no)
    # last year's ex-ante assessment of the same project (same code) bars this year's evaluation by that agency
    from jixiao.budget.models import FiscalYear, PerformanceSubject

    last = FiscalYear.objects.create(year=2025)
    old = PerformanceSubject.objects.create(region=cast.city, department=cast.dept_a, unit=cast.unit_a2,
                                            fiscal_year=last, code=cast.subjects["a2"].code, name="校舍维修项目")
    services.commission_create_direct(actor=fa, agency=cast.agency_yes, purpose=Purpose.EXANTE, title="事前评估",
                                      year=2025, region_id=cast.city.pk, subject=old)
    with pytest.raises(ValidationError, match="不得评价自己的工作成果"):
        fiscal(cast, "a2")


def test_a_re_evaluation_never_goes_to_the_agency_that_did_the_evaluation(cast):
    from jixiao.evaluation.models import Evaluation

    c = fiscal(cast, "a2")
    Evaluation.objects.filter(pk=c.evaluation_id).update(state="archived")
    with pytest.raises(ValidationError, match="不得评价自己的工作成果"):
        ev_services.evaluation_create(actor=actor(cast, "finance_admin"), subject=cast.subjects["a2"],
                                      kind="re_evaluation", year=cast.year.year, title="再评价",
                                      reviewed=Evaluation.objects.get(pk=c.evaluation_id), agency=cast.agency_yes)


def test_direct_commissions_and_who_may_commission(cast):
    with pytest.raises(ValidationError, match="此处只能委托"):
        services.commission_create_direct(actor=actor(cast, "finance_admin"), agency=cast.agency_yes,
                                          purpose=Purpose.FISCAL_EVALUATION, title="x", year=2026,
                                          region_id=cast.city.pk)
    with pytest.raises(ValidationError, match="本部门"):  # a department commissions only on its own projects
        services.commission_create_direct(actor=actor(cast, "clerk_a"), agency=cast.agency_yes,
                                          purpose=Purpose.EXANTE, title="x", year=2026, region_id=cast.city.pk,
                                          department_id=cast.dept_a.pk, subject=cast.subjects["b1"])
    # a budget officer may list a fiscal evaluation but not commission an agency: a clear message, not a 404
    with pytest.raises(ValidationError, match="您不能委托"):
        ev_services.evaluation_create(actor=actor(cast, "officer_a"), subject=cast.subjects["a2"], kind="fiscal",
                                      year=cast.year.year, title="财政评价", agency=cast.agency_yes)


def test_the_ranking_is_for_commissioners(cast):
    assert len(selectors.ranking_for(actor(cast, "clerk_a"))) == 2
    assert [r.agency_id for r in selectors.ranking_for(actor(cast, "agency_yes"))] == [cast.agency_yes.pk]
    with pytest.raises(PermissionDenied):
        selectors.ranking_for(actor(cast, "unit_a1"))


def test_the_evaluation_waits_for_the_agencys_stage_gates(cast):
    from jixiao.evaluation.workflows import EvaluationStep

    c = fiscal(cast)
    ev = c.evaluation
    fa = actor(cast, "finance_admin")
    from jixiao.evaluation.models import Evaluation

    Evaluation.objects.filter(pk=ev.pk).update(state=EvaluationStep.PLAN)
    ev.refresh_from_db()
    for kind in ("work_plan", "plan_review"):
        ev_services.document_add(actor=fa, evaluation=ev, kind=kind, title=kind)
    assert "实施方案尚未通过评审" in " ".join(ev_services.step_problems(ev).get("commission", []))
    Commission.objects.filter(pk=c.pk).update(state=S.DRAFT)
    assert "commission" not in ev_services.step_problems(ev)
    Evaluation.objects.filter(pk=ev.pk).update(state=EvaluationStep.REPORT)
    ev.refresh_from_db()
    assert "正式报告" in " ".join(ev_services.step_problems(ev)["commission"])
    Commission.objects.filter(pk=c.pk).update(state=S.TERMINATED)  # ended: the organiser carries on
    assert "commission" not in ev_services.step_problems(ev)


def test_a_re_evaluation_goes_to_an_agency_with_no_part_in_the_evaluation(cast):
    from jixiao.evaluation.models import Evaluation

    c = fiscal(cast, "a2")
    Evaluation.objects.filter(pk=c.evaluation_id).update(state="archived")
    ev = ev_services.evaluation_create(actor=actor(cast, "finance_admin"), subject=cast.subjects["a2"],
                                       kind="re_evaluation", year=cast.year.year, title="再评价",
                                       reviewed=Evaluation.objects.get(pk=c.evaluation_id), agency=cast.agency_no)
    assert ev.commission.purpose == Purpose.RE_EVALUATION and ev.commission.agency_id == cast.agency_no.pk


def test_closing_a_spot_check_commission_hands_back_what_was_not_submitted(cast):
    from jixiao.evaluation import spot_checks
    from jixiao.evaluation.models import SpotCheck

    check, item = drawn(cast)
    spot_checks.assign(actor=actor(cast), item=item, agency=cast.agency_yes)
    assert SpotCheck.objects.get(pk=check.pk).summary["by_agency"] == 1
    c = Commission.objects.get(spot_check=check, agency=cast.agency_yes)
    Commission.objects.filter(pk=c.pk).update(state=S.CLOSED)  # closed with an item still unsubmitted
    services.release(fresh(c))
    item.refresh_from_db()
    assert item.agency_id is None and SpotCheck.objects.get(pk=check.pk).summary["by_agency"] == 0
    # the same agency again: a new open commission, so it can work
    spot_checks.assign(actor=actor(cast), item=item, agency=cast.agency_yes)
    assert services.open_commission(agency_id=cast.agency_yes.pk, spot_check_id=check.pk)


def test_the_registry_shows_outsiders_only_what_the_platform_shows(client, cast):
    AgencyPerson.objects.filter(agency=cast.agency_no).update(certificate_no="CPA-SECRET")
    client.force_login(cast.users["clerk_a"])
    page = client.get(f"/agencies/registry/{cast.agency_no.pk}/").content.decode()
    assert "CPA-SECRET" not in page and "信息变更记录" not in page and "为预算单位提供的服务" not in page
    body = client.get(f"/api/agencies/{cast.agency_no.pk}").json()
    assert "services" not in body and "changes" not in body
    assert all("certificate_no" not in p for p in body["people"]) and body["people"][0]["qualified_lead"]
    client.force_login(cast.users["agency_no"])
    body = client.get(f"/api/agencies/{cast.agency_no.pk}").json()
    assert body["people"][0]["certificate_no"] == "CPA-SECRET" and "services" in body
    assert client.get("/agencies/registry/99999999999999999999/").status_code == 404
    assert client.get("/agencies/commissions/99999999999999999999/").status_code == 404
