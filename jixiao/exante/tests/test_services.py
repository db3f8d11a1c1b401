"""Ex-ante services end to end with the cast: draft, expert scores, submission, the bureau's opinions, the block
after 不予支持, exemptions, permissions, stale edits and the audit trail."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from jixiao.core.models import AuditEvent
from jixiao.core.workflow import ConcurrentEditError, WorkflowError
from jixiao.costs import services as cost_services
from jixiao.exante import selectors, services
from jixiao.exante.models import ExAnteAssessment, ExpertScore
from jixiao.exante.tests.helpers import actor, complete_data, draft, pdf, set_profile, wan, yuan
from jixiao.goals import gate

D = Decimal


@pytest.fixture
def big(cast):
    """a2 and b1 become 600万 new projects (full assessment required)."""
    for key in ("a2", "b1"):
        s = cast.subjects[key]
        s.annual_amount = wan(600)
        s.total_amount = wan(600)
        s.save()
    return cast


def test_create_records_requirement_profile_and_dimensions(big):
    a = services.assessment_create(actor=actor(big, "clerk_a"), subject=big.subjects["a2"])
    assert a.state == "draft" and a.requirement == "full" and a.profile_id is not None
    assert a.requirement_reasons == ["年度投入600.00万元达到门槛500.00万元"]
    assert a.requested_amount == wan(600) and a.unit_id == big.unit_a2.pk and a.department_id == big.dept_a.pk
    assert [d.name for d in a.dimensions.all()] == ["立项必要性", "投入经济性", "绩效目标合理性", "实施方案可行性",
                                                    "筹资合规性"]
    assert [d.weight for d in a.dimensions.all()] == [D(20)] * 5
    assert AuditEvent.objects.filter(object_id=str(a.pk), action="create").exists()
    with pytest.raises(ValidationError) as exc:
        services.assessment_create(actor=actor(big, "unit_a2"), subject=big.subjects["a2"])
    assert "已有进行中的事前评估" in exc.value.message_dict["subject"][0]


def test_create_refuses_outside_reach_and_department_wide(big):
    with pytest.raises(PermissionDenied):
        services.assessment_create(actor=actor(big, "unit_a2"), subject=big.subjects["a1"])
    for user in ("finance_admin", "expert", "agency_yes", "clerk_b"):
        with pytest.raises(PermissionDenied):
            services.assessment_create(actor=actor(big, user), subject=big.subjects["a2"])
    with pytest.raises(ValidationError) as exc:
        services.assessment_create(actor=actor(big, "clerk_a"), subject=big.subjects["a_dept"])
    assert exc.value.message_dict["subject"] == ["部门（单位）整体支出不开展事前评估"]


def test_update_scores_cost_items_deadlines_and_stale_edit(big):
    clerk = actor(big, "clerk_a")
    a = services.assessment_create(actor=clerk, subject=big.subjects["a2"])
    standard = cost_services.standard_create(actor=actor(big, "finance_admin"), region=big.city, data={
        "code": "JY", "name": "校舍维修每平方米", "output_unit": "平方米", "amount": yuan(800), "keywords": "校舍维修",
        "valid_from": 2026})
    version = a.lock_version
    services.assessment_update(actor=clerk, assessment=a, expected_lock_version=version, data={
        **complete_data(), "expert_meeting_date": datetime.date(2026, 9, 29),
        "materials_requested_on": datetime.date(2026, 9, 24), "output_name": "校舍维修面积",
        "output_quantity": D(1200), "output_unit": "平方米", "output_standard": standard,
        "cost_items": [
            {"category": "capital", "name": "校舍维修工程", "quantity": D(1200), "unit": "平方米",
             "unit_cost": yuan(850), "standard": standard},
            {"category": "goods_services", "name": "设计监理", "quantity": D(1), "unit_cost": yuan(60000)},
        ]})
    a.refresh_from_db()
    assert a.lock_version == version + 1
    assert a.report_due == datetime.date(2026, 10, 12) and a.materials_due == datetime.date(2026, 10, 9)
    assert [(c.name, c.amount) for c in a.cost_items.all()] == [("校舍维修工程", yuan(1020000)),
                                                               ("设计监理", yuan(60000))]
    analysis = selectors.cost_analysis(clerk, a)
    assert analysis.total == yuan(1080000) and analysis.unit_cost == yuan(900)
    assert analysis.deviation_rate == D("12.50") and analysis.differs_from_requested
    with pytest.raises(ConcurrentEditError):
        services.assessment_update(actor=clerk, assessment=a, data={"method": "x"}, expected_lock_version=version)
    with pytest.raises(ValidationError) as exc:
        services.assessment_update(actor=clerk, assessment=a, expected_lock_version=a.lock_version, data={
            "dimensions": {"economy": {"score": D(21)}}, "conclusion": "partial_support",
            "cost_items": [{"category": "", "name": "", "quantity": D(0), "unit_cost": None}]})
    errors = exc.value.message_dict
    assert errors["score_economy"] == ["投入经济性得分21超过该维度分值20"]
    assert set(errors) >= {"supported_parts", "unsupported_parts", "cost_items"}
    a.refresh_from_db()
    assert a.conclusion == "support" and a.cost_items.count() == 2  # nothing written
    update = AuditEvent.objects.filter(object_id=str(a.pk), action="update").first()
    assert update.after["cost_items"][0]["amount"] == "1020000.00"


def test_unit_a2_cannot_edit_a1s_assessment(big):
    a = services.assessment_create(actor=actor(big, "unit_a1"), subject=big.subjects["a1"])
    with pytest.raises(Http404):
        services.assessment_update(actor=actor(big, "unit_a2"), assessment=a, data={"method": "x"},
                                   expected_lock_version=a.lock_version)
    with pytest.raises(Http404):
        selectors.assessment_get(actor(big, "unit_a2"), a.pk)
    services.assessment_update(actor=actor(big, "clerk_a"), assessment=a, data={"method": "部门修改"},
                               expected_lock_version=a.lock_version)


def test_workflow_end_to_end_for_a2(big):
    clerk, finance = actor(big, "clerk_a"), actor(big, "finance_admin")
    a = draft(big, "clerk_a", "a2")
    services.assessment_transition(actor=clerk, assessment=a, name="submit_to_experts")
    with pytest.raises(Http404):  # the expert is granted b1 only
        services.expert_score_save(actor=actor(big, "expert"), assessment=a, scores={"necessity": D(15)})
    services.assessment_transition(actor=clerk, assessment=a, name="submit", comment="随预算申报")
    assert a.state == "submitted" and a.submitted_at is not None
    assert a.opinion_due == services.rules.opinion_due(timezone.localdate(), services.params_of(a))
    with pytest.raises(Http404):  # officer_b is not in charge of dept_a
        services.assessment_transition(actor=actor(big, "officer_b"), assessment=a, name="support")
    with pytest.raises(PermissionDenied):
        services.assessment_transition(actor=clerk, assessment=a, name="support")
    with pytest.raises(ValidationError) as exc:
        services.assessment_transition(actor=finance, assessment=a, name="support", approved_amount=wan(601))
    assert "核定金额不能超过申请金额" in exc.value.message_dict["approved_amount"][0]
    services.assessment_transition(actor=finance, assessment=a, name="support", approved_amount=wan(500),
                                   comment="核减设计费")
    a.refresh_from_db()
    assert a.state == "supported" and a.finance_opinion == "support" and a.approved_amount == wan(500)
    assert a.finance_opinion_text == "核减设计费" and a.opinion_at is not None
    assert gate.latest_assessment_facts(big.subjects["a2"]).state == "supported"
    assert selectors.subject_requirement(big.subjects["a2"]).gate_problems == []
    with pytest.raises(ValidationError):
        services.assessment_create(actor=clerk, subject=big.subjects["a2"])
    results = AuditEvent.objects.filter(object_id=str(a.pk), comment__contains="记录结果")
    assert results.count() == 2  # submit and support recorded their fields


def test_support_defaults_to_requested_and_officer_a_may_opine(big):
    a = draft(big, "unit_a2", "a2")
    services.assessment_transition(actor=actor(big, "unit_a2"), assessment=a, name="submit")
    services.assessment_transition(actor=actor(big, "officer_a"), assessment=a, name="support")
    assert a.approved_amount == wan(600) and a.state == "supported"


def test_expert_scores_b1_and_no_support_blocks_reapplication(big):
    clerk_b, expert, finance = actor(big, "clerk_b"), actor(big, "expert"), actor(big, "finance_admin")
    a = draft(big, "clerk_b", "b1")
    with pytest.raises(WorkflowError):  # not yet in expert review
        services.expert_score_save(actor=expert, assessment=a, scores={"necessity": D(15)})
    services.assessment_transition(actor=clerk_b, assessment=a, name="submit_to_experts")
    with pytest.raises(ValidationError) as exc:
        services.expert_score_save(actor=expert, assessment=a, scores={"necessity": D(25)})
    assert exc.value.message_dict == {"score_necessity": ["立项必要性得分25超过该维度分值20"]}
    services.expert_score_save(actor=expert, assessment=a, scores={"necessity": D(12), "economy": D(10)},
                               opinion="必要性论证不足")
    services.expert_score_save(actor=expert, assessment=a, scores={"necessity": D(11)}, opinion="改")
    assert ExpertScore.objects.get(assessment=a).scores == {"necessity": "11"}
    with pytest.raises(Http404):  # agency_yes is commissioned on a1 only
        services.expert_score_save(actor=actor(big, "agency_yes"), assessment=a, scores={"necessity": D(11)})
    with pytest.raises(PermissionDenied):  # the department sees it but does not score
        services.expert_score_save(actor=clerk_b, assessment=a, scores={"necessity": D(11)})
    services.assessment_transition(actor=clerk_b, assessment=a, name="submit")
    with pytest.raises(ValidationError) as exc:
        services.assessment_transition(actor=finance, assessment=a, name="no_support")
    assert "必须填写意见" in exc.value.message_dict["comment"][0]
    services.assessment_transition(actor=finance, assessment=a, name="no_support", comment="必要性不足")
    a.refresh_from_db()
    today = timezone.localdate()
    assert a.state == "not_supported" and a.approved_amount == yuan(0)
    assert a.blocked_until == today + datetime.timedelta(days=365)
    with pytest.raises(ValidationError) as exc:
        services.assessment_create(actor=clerk_b, subject=big.subjects["b1"])
    assert f"{a.blocked_until:%Y年%m月%d日}前不得再次申报" in exc.value.message_dict["subject"][0]
    # after the date it may be proposed again
    ExAnteAssessment.objects.filter(pk=a.pk).update(blocked_until=today - datetime.timedelta(days=1))
    assert services.assessment_create(actor=clerk_b, subject=big.subjects["b1"]).state == "draft"


def test_agency_opinion_on_a1(big):
    a = draft(big, "unit_a1", "a1")
    services.assessment_transition(actor=actor(big, "unit_a1"), assessment=a, name="submit_to_experts")
    services.expert_score_save(actor=actor(big, "agency_yes"), assessment=a, scores={"economy": D(16)},
                               opinion="成本测算依据基本充分")
    a.refresh_from_db()
    assert a.agency_id == big.agency_yes.pk and a.agency_opinion == "成本测算依据基本充分"
    with pytest.raises(Http404):
        services.expert_score_save(actor=actor(big, "agency_no"), assessment=a, scores={"economy": D(16)})


def test_submission_needs_a_complete_assessment(big):
    clerk = actor(big, "clerk_a")
    a = services.assessment_create(actor=clerk, subject=big.subjects["a2"])
    with pytest.raises(ValidationError) as exc:
        services.assessment_transition(actor=clerk, assessment=a, name="submit")
    assert set(exc.value.message_dict) == {"dimensions", "conclusion"}
    assert a.state == "draft"


def test_partial_support_and_support_after_changes(big):
    set_profile(big, finance_opinions=["support", "partial_support", "support_after_changes", "no_support"])
    clerk, finance = actor(big, "clerk_a"), actor(big, "finance_admin")
    a = draft(big, "clerk_a", "a2")
    services.assessment_transition(actor=clerk, assessment=a, name="submit")
    services.assessment_transition(actor=finance, assessment=a, name="support_after_changes", comment="补充测算依据")
    assert a.state == "returned" and a.finance_opinion == "support_after_changes"
    services.assessment_update(actor=clerk, assessment=a, data={"other_issues": "已补充"},
                               expected_lock_version=a.lock_version)
    services.assessment_transition(actor=clerk, assessment=a, name="submit")
    assert a.finance_opinion == "" and a.approved_amount is None
    with pytest.raises(ValidationError) as exc:
        services.assessment_transition(actor=finance, assessment=a, name="partial_support", comment="部分",
                                       approved_amount=wan(300))
    assert set(exc.value.message_dict) == {"supported_parts", "unsupported_parts"}
    services.assessment_transition(actor=finance, assessment=a, name="partial_support", comment="部分",
                                   approved_amount=wan(300), supported_parts="校舍维修",
                                   unsupported_parts="操场改造")
    a.refresh_from_db()
    assert a.state == "supported" and a.finance_opinion == "partial_support" and a.unsupported_parts == "操场改造"
    assert services.rules.cut_rate(a.requested_amount, a.approved_amount) == D("50.00")


def test_partial_support_refused_when_not_in_profile(big):
    a = draft(big, "clerk_a", "a2")
    services.assessment_transition(actor=actor(big, "clerk_a"), assessment=a, name="submit")
    with pytest.raises(ValidationError) as exc:
        services.assessment_transition(actor=actor(big, "finance_admin"), assessment=a, name="partial_support",
                                       comment="x", approved_amount=wan(1), supported_parts="a",
                                       unsupported_parts="b")
    assert exc.value.message_dict["transition"] == ["本地政策配置的财政审核意见不含“建议部分支持”"]


def test_exemption_claim_needs_reason_and_file(cast):
    unit = actor(cast, "unit_a1")
    with pytest.raises(ValidationError) as exc:
        services.assessment_create(actor=unit, subject=cast.subjects["a1_secret"], exemption_kind="other")
    assert "exemption_kind" in exc.value.message_dict
    a = services.assessment_create(actor=unit, subject=cast.subjects["a1_secret"], exemption_kind="classified")
    assert a.requirement == "simplified" and a.is_exemption
    with pytest.raises(ValidationError) as exc:
        services.assessment_transition(actor=unit, assessment=a, name="submit_to_experts")
    with pytest.raises(ValidationError) as exc:
        services.assessment_transition(actor=unit, assessment=a, name="submit")
    assert set(exc.value.message_dict) == {"exemption_reason", "attachments"}
    services.assessment_update(actor=unit, assessment=a, data={"exemption_reason": "涉及国家秘密，已备案"},
                               expected_lock_version=a.lock_version)
    with pytest.raises(ValidationError) as exc:
        services.attachment_add(actor=unit, assessment=a, file=pdf("x.exe"), purpose="exemption")
    services.attachment_add(actor=unit, assessment=a, file=pdf(), purpose="exemption")
    services.assessment_transition(actor=unit, assessment=a, name="submit")
    finance = actor(cast, "finance_admin")
    with pytest.raises(ValidationError):
        services.assessment_transition(actor=finance, assessment=a, name="support")
    services.assessment_transition(actor=finance, assessment=a, name="accept_exemption")
    assert a.state == "exempted" and a.approved_amount is None
    assert selectors.subject_requirement(cast.subjects["a1_secret"]).gate_problems == []


def test_continuing_subject_cannot_claim_exemption(cast):
    s = cast.subjects["a2"]
    s.scope_kind = "continuing"
    s.save()
    with pytest.raises(ValidationError) as exc:
        services.assessment_create(actor=actor(cast, "clerk_a"), subject=s, exemption_kind="emergency")
    assert exc.value.message_dict["exemption_kind"] == ["该项目无须开展事前评估，无须申请免评"]


def test_attachments_and_delete(big):
    clerk = actor(big, "clerk_a")
    a = services.assessment_create(actor=clerk, subject=big.subjects["a2"])
    att = services.attachment_add(actor=clerk, assessment=a, file=pdf("调研报告.pdf"), dimension_code="necessity")
    assert att.name == "调研报告.pdf" and att.dimension_code == "necessity"
    with pytest.raises(Http404):
        services.attachment_remove(actor=actor(big, "clerk_b"), attachment=att)
    services.attachment_remove(actor=clerk, attachment=att)
    assert not a.attachments.exists()
    services.assessment_delete(actor=clerk, assessment=a)
    assert not ExAnteAssessment.objects.filter(pk=a.pk).exists()
