"""REST API of third-party agencies, mounted at /api/agencies/: the registry (agencies, people, services, changes,
violations), the quality ranking, commissions with their stage gates (contract, team and plan, documents, quality
scores, comments and point-by-point replies, signing, transitions) and inspections. Scoped like the screens: an
agency's users see only their own entry and their own commissions. Amounts are decimal strings of yuan."""

from __future__ import annotations

from ninja import Router, Schema, Status
from pydantic import Field, field_validator

from jixiao.agencies import rules, selectors, services
from jixiao.agencies.models import Commission, Inspection
from jixiao.core.api import ErrorOut, api_actor, choice_param, exact_text, no_float
from jixiao.core.workflow import available_transitions

router = Router()


def _agency_out(a, ranked=None) -> dict:
    return {"id": a.pk, "name": a.name, "credit_code": a.credit_code, "region_id": a.region_id,
            "status": a.status, "is_active": a.is_active, "platform_registered": a.platform_registered,
            "registry_updated_on": a.registry_updated_on.isoformat() if a.registry_updated_on else None,
            "has_qualified_lead": getattr(a, "has_lead", None),
            "quality_score": exact_text(ranked.score) if ranked else None,
            "rank": (ranked.rank or None) if ranked else None}


@router.get("/", response=list[dict], summary="第三方机构名录（按权限范围；含质量得分和排名）")
def agency_list(request):
    actor = api_actor(request)
    agencies = list(selectors.agency_list(actor))
    ranked = {r.agency_id: r for r in selectors.ranking(actor, agencies)}
    return [_agency_out(a, ranked.get(a.pk)) for a in agencies]


@router.get("/ranking", response=list[dict], summary="机构执业质量排名（方案、初稿阶段评分加权，扣减处理次数）")
def agency_ranking(request):
    actor = api_actor(request)
    return [{"rank": r.rank or None, "agency_id": r.agency_id, "name": r.name, "scored_commissions": r.commissions,
             "average": exact_text(r.average), "sanctions": r.sanctions, "score": exact_text(r.score)}
            for r in selectors.ranking_for(actor)]


@router.get("/{int:agency_id}", response=dict, summary="机构登记信息：人员（主评人条件）、服务记录、变更、违规及处理")
def agency_detail(request, agency_id: int):
    from django.utils import timezone

    actor = api_actor(request)
    a = selectors.agency_get(actor, agency_id)
    params, today = services.agency_params(a), timezone.localdate()
    # who keeps the entry (its bureau, the agency) sees everything; other readers what the credit platform shows:
    # whether each lead qualifies, not why not, and no certificates, services or change log
    keeper = services.keeps_registry(actor, a)
    people = []
    for p in a.people.all():
        problems = rules.lead_evaluator_problems(services.person_value(p), params, today) if p.role == "lead" else []
        row = {"id": p.pk, "name": p.name, "role": p.role, "title_or_qualification": p.title_or_qualification,
               "work_years": p.work_years, "evaluation_years": p.evaluation_years, "is_active": p.is_active,
               "qualified_lead": p.role == "lead" and not problems}
        if keeper:
            row |= {"certificate_no": p.certificate_no, "lead_problems": problems}
        people.append(row)
    out = {**_agency_out(a), "legal_representative": a.legal_representative, "contact": a.contact,
           "phone": a.phone, "address": a.address, "qualifications": a.qualifications, "people": people,
           "violations": [{"kind": v.kind, "occurred_on": v.occurred_on.isoformat(), "sanction": v.sanction,
                           "description": v.description} for v in a.violations.all()]}
    if keeper:
        out["services"] = [{"unit_id": s.unit_id, "kind": s.kind, "started_on": s.started_on.isoformat()}
                           for s in a.services.all()]
        out["changes"] = [{"changed_on": c.changed_on.isoformat(), "recorded_on": c.recorded_on.isoformat(),
                           "deadline": c.deadline.isoformat(), "late": c.late, "description": c.description}
                          for c in a.changes.all()[:100]]
    return out


class RegistryIn(Schema):
    legal_representative: str | None = None
    contact: str | None = None
    phone: str | None = None
    address: str | None = None
    qualifications: str | None = None
    platform_registered: bool | None = None
    changed_on: str | None = Field(None, description="变更发生日期（YYYY-MM-DD），缺省为今天")


@router.patch("/{int:agency_id}", response={200: dict, 400: ErrorOut, 403: ErrorOut},
              summary="更新登记信息（财政部门或机构本身；记录变更及是否逾期）")
def agency_update(request, agency_id: int, payload: RegistryIn):
    actor = api_actor(request)
    a = selectors.agency_get(actor, agency_id)
    services.registry_update(actor=actor, agency=a, data=payload.dict(exclude={"changed_on"}, exclude_none=True),
                             changed_on=payload.changed_on)
    return agency_detail(request, agency_id)


class PersonIn(Schema):
    id: int | None = Field(None, description="修改已有人员时填写")
    name: str
    role: str = Field("staff", description="lead 主评人 / staff 评价人员 / expert 合作专家")
    title_or_qualification: str = ""
    certificate_no: str = ""
    work_years: int = Field(0, ge=0, le=80)
    evaluation_years: int = Field(0, ge=0, le=80)
    negligence_sentence_ended: str | None = None
    is_active: bool | None = Field(None, description="修改时填写；缺省不改变")
    changed_on: str | None = None


@router.post("/{int:agency_id}/people", response={201: dict, 400: ErrorOut, 403: ErrorOut},
             summary="新增或修改机构人员")
def agency_person(request, agency_id: int, payload: PersonIn):
    from django.core.exceptions import ValidationError

    actor = api_actor(request)
    a = selectors.agency_get(actor, agency_id)
    person = None
    if payload.id is not None:
        person = a.people.filter(pk=payload.id).first()
        if person is None:
            raise ValidationError({"id": ["该人员不属于本机构"]})
    services.person_save(actor=actor, agency=a, data=payload.dict(exclude={"id", "changed_on"}, exclude_none=True),
                         person=person, changed_on=payload.changed_on)
    return Status(201, agency_detail(request, agency_id))


class ViolationIn(Schema):
    kind: str = Field(description="、".join(f"{k} {v}" for k, v in rules.VIOLATION_LABELS.items()))
    occurred_on: str
    description: str
    sanction: str = Field("", description="、".join(f"{k} {v}" for k, v in rules.SANCTIONS.items()))
    commission_id: int | None = None


@router.post("/{int:agency_id}/violations", response={201: dict, 400: ErrorOut, 403: ErrorOut},
             summary="记录违规情况及处理（财政部门）")
def agency_violation(request, agency_id: int, payload: ViolationIn):
    """Any bureau may record what it found about an agency working in its region, wherever it is registered."""
    from django.http import Http404

    from jixiao.organisations.models import Agency

    actor = api_actor(request)
    a = Agency.objects.filter(pk=agency_id).first()
    if a is None:
        raise Http404("未找到该机构")
    commission = selectors.commission_get(actor, payload.commission_id) if payload.commission_id else None
    services.violation_record(actor=actor, agency=a, kind=payload.kind, occurred_on=payload.occurred_on,
                              description=payload.description, sanction=payload.sanction, commission=commission)
    return Status(201, {"agency_id": a.pk, "status": a.status})


# --- commissions --------------------------------------------------------------------------------------------------
def _commission_out(actor, c: Commission) -> dict:
    return {"id": c.pk, "title": c.title, "purpose": c.purpose, "year": c.fiscal_year, "agency_id": c.agency_id,
            "agency": c.agency.name, "region_id": c.region_id, "department_id": c.department_id,
            "subject_id": c.subject_id, "evaluation_id": c.evaluation_id, "spot_check_id": c.spot_check_id,
            "stage": c.state, "lock_version": c.lock_version, "contract_no": c.contract_no,
            "contract_amount": c.contract_amount.to_json() if c.contract_amount is not None else None,
            "signed_on": c.signed_on.isoformat() if c.signed_on else None,
            "due_on": c.due_on.isoformat() if c.due_on else None, "lead": c.lead.name if c.lead_id else None,
            "plan_quality": exact_text(c.plan_quality), "draft_quality": exact_text(c.draft_quality)}


def _commission_detail(actor, c: Commission) -> dict:
    f = services.facts(c)
    return {**_commission_out(actor, c), "plan_elements": list(f.plan_elements),
            "team": list(c.team.values_list("name", flat=True)),
            "documents": [{"kind": d.kind, "archive_class": d.archive_class, "title": d.title, "stage": d.stage,
                           "reference": d.reference} for d in c.documents.all()],
            "comments": [{"id": m.pk, "number": m.number, "source": m.source, "text": m.text, "accepted": m.accepted,
                          "reply": m.reply} for m in c.comments.all()],
            "signed_by": c.signed_by, "sealed": c.sealed, "report_uploaded": c.report_uploaded,
            "archive_missing": rules.archive_missing(f), "next_problems": services.next_problems(c),
            "transitions": [{"name": t.name, "label": t.label} for t in available_transitions(actor, c)]}


@router.get("/commissions", response=list[dict], summary="委托业务（委托方见本部门或本级的；机构只见自己的）")
def commission_list(request, state: str | None = None, purpose: str | None = None, agency: int | None = None,
                    year: int | None = None):
    from jixiao.agencies.models import Purpose
    from jixiao.agencies.workflows import CommissionStage

    choice_param(state, CommissionStage, "state", "阶段")
    choice_param(purpose, Purpose, "purpose", "委托事项")
    actor = api_actor(request)
    filters = {"state": state, "purpose": purpose, "agency": agency, "year": year}
    return [_commission_out(actor, c) for c in selectors.commission_list(actor, filters)[:1000]]


class CommissionIn(Schema):
    agency_id: int
    purpose: str = Field(description="exante 事前绩效评估 / goals 绩效目标审核 / other 其他（评价在评价接口中委托）")
    title: str
    year: int = Field(ge=2000, le=2100)
    subject_id: int | None = None
    as_department: bool = Field(False, description="以本部门为委托方（缺省为财政部门）")
    contract_no: str = ""
    contract_amount: str | None = Field(None, description="元，十进制字符串")
    signed_on: str | None = None
    due_on: str | None = None
    contract_terms: str = ""

    @field_validator("contract_amount", mode="before")
    @classmethod
    def _no_floats(cls, value):
        return no_float(value, "120000.00")


@router.post("/commissions", response={201: dict, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="委托第三方机构（先做回避和资格检查）")
def commission_create(request, payload: CommissionIn):
    from django.core.exceptions import ValidationError

    from jixiao.budget import selectors as budget_selectors

    actor = api_actor(request)
    agency = selectors.choosable_agencies().filter(pk=payload.agency_id).first()
    if agency is None:
        raise ValidationError({"agency_id": ["机构不存在或已取消评价资格"]})
    subject = budget_selectors.subject_get(actor, payload.subject_id) if payload.subject_id else None
    grant = services.commissioner_grant(actor, as_department=payload.as_department)
    c = services.commission_create_direct(
        actor=actor, agency=agency, purpose=payload.purpose, title=payload.title, year=payload.year,
        region_id=grant.region_id, department_id=grant.department_id, subject=subject,
        contract={k: v for k, v in payload.dict().items() if k in ("contract_no", "contract_amount", "signed_on",
                                                                    "due_on", "contract_terms")})
    return Status(201, _commission_detail(actor, c))


@router.get("/commissions/{int:commission_id}", response=dict,
            summary="委托业务详情：合同、工作组、材料、意见及回复、档案核验、下一步所需")
def commission_detail(request, commission_id: int):
    actor = api_actor(request)
    return _commission_detail(actor, selectors.commission_get(actor, commission_id))


class ContractIn(Schema):
    lock_version: int
    contract_no: str | None = None
    contract_amount: str | None = None
    signed_on: str | None = None
    due_on: str | None = None
    contract_terms: str | None = None

    @field_validator("contract_amount", mode="before")
    @classmethod
    def _no_floats(cls, value):
        return no_float(value, "120000.00")


@router.put("/commissions/{int:commission_id}/contract", response={200: dict, 400: ErrorOut, 403: ErrorOut,
                                                                    409: ErrorOut},
            summary="委托合同（委托方；须带 lock_version）")
def commission_contract(request, commission_id: int, payload: ContractIn):
    actor = api_actor(request)
    c = selectors.commission_get(actor, commission_id)
    services.contract_save(actor=actor, commission=c, data=payload.dict(exclude={"lock_version"}, exclude_unset=True),
                           expected_lock_version=payload.lock_version)
    return _commission_detail(actor, c)


class TeamIn(Schema):
    lock_version: int
    lead_id: int | None = None
    team_ids: list[int] = Field(default_factory=list)
    plan_elements: list[str] = Field(default_factory=list, description="、".join(rules.PLAN_ELEMENTS))


@router.put("/commissions/{int:commission_id}/team", response={200: dict, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
            summary="工作组（主评人）及实施方案要素（受托机构）")
def commission_team(request, commission_id: int, payload: TeamIn):
    actor = api_actor(request)
    c = selectors.commission_get(actor, commission_id)
    services.team_save(actor=actor, commission=c, lead_id=payload.lead_id, team_ids=payload.team_ids,
                       plan_elements=payload.plan_elements, expected_lock_version=payload.lock_version)
    return _commission_detail(actor, c)


class DocumentIn(Schema):
    kind: str = Field(description="、".join(f"{k} {v}" for k, v in rules.DOCUMENT_KINDS.items()))
    title: str
    content: str = ""
    reference: str = ""


@router.post("/commissions/{int:commission_id}/documents", response={201: dict, 400: ErrorOut, 403: ErrorOut},
             summary="添加材料")
def commission_document(request, commission_id: int, payload: DocumentIn):
    actor = api_actor(request)
    c = selectors.commission_get(actor, commission_id)
    services.document_add(actor=actor, commission=c, **payload.dict())
    return Status(201, _commission_detail(actor, c))


class QualityIn(Schema):
    stage: str = Field(description="plan 方案阶段 / draft 初稿阶段")
    score: str

    @field_validator("score", mode="before")
    @classmethod
    def _no_floats(cls, value):
        return no_float(value, "85.5")


@router.post("/commissions/{int:commission_id}/quality", response={200: dict, 400: ErrorOut, 403: ErrorOut},
             summary="执业质量评分（委托方）")
def commission_quality(request, commission_id: int, payload: QualityIn):
    actor = api_actor(request)
    c = selectors.commission_get(actor, commission_id)
    services.quality_score(actor=actor, commission=c, stage=payload.stage, score=payload.score)
    return _commission_detail(actor, c)


class CommentIn(Schema):
    source: str = Field(description="evaluated 被评价单位 / commissioner 委托方 / expert 评审专家")
    text: str


@router.post("/commissions/{int:commission_id}/comments", response={201: dict, 400: ErrorOut, 403: ErrorOut},
             summary="录入书面意见（委托方）")
def commission_comment(request, commission_id: int, payload: CommentIn):
    actor = api_actor(request)
    c = selectors.commission_get(actor, commission_id)
    services.comment_add(actor=actor, commission=c, source=payload.source, text=payload.text)
    return Status(201, _commission_detail(actor, c))


class ReplyIn(Schema):
    accepted: bool
    reply: str


@router.post("/commissions/{int:commission_id}/comments/{int:comment_id}/reply",
             response={200: dict, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut}, summary="逐条回复意见（受托机构）")
def commission_reply(request, commission_id: int, comment_id: int, payload: ReplyIn):
    from django.http import Http404

    actor = api_actor(request)
    c = selectors.commission_get(actor, commission_id)
    comment = c.comments.filter(pk=comment_id).first()
    if comment is None:
        raise Http404("未找到该意见")
    services.comment_reply(actor=actor, comment=comment, accepted=payload.accepted, reply=payload.reply)
    return _commission_detail(actor, c)


class SignIn(Schema):
    lock_version: int
    signed_by: str
    sealed: bool
    report_uploaded: bool


@router.put("/commissions/{int:commission_id}/signature", response={200: dict, 400: ErrorOut, 403: ErrorOut,
                                                                     409: ErrorOut},
            summary="正式报告签章及报告信息上传（受托机构）")
def commission_sign(request, commission_id: int, payload: SignIn):
    actor = api_actor(request)
    c = selectors.commission_get(actor, commission_id)
    services.report_sign(actor=actor, commission=c, signed_by=payload.signed_by, sealed=payload.sealed,
                         report_uploaded=payload.report_uploaded, expected_lock_version=payload.lock_version)
    return _commission_detail(actor, c)


class TransitionIn(Schema):
    name: str
    comment: str = ""
    lock_version: int | None = None


@router.post("/commissions/{int:commission_id}/transition", response={200: dict, 400: ErrorOut, 403: ErrorOut,
                                                                       409: ErrorOut},
             summary="办理下一阶段（各阶段须具备所需材料）")
def commission_transition(request, commission_id: int, payload: TransitionIn):
    actor = api_actor(request)
    c = selectors.commission_get(actor, commission_id)
    services.commission_transition(actor=actor, commission=c, name=payload.name, comment=payload.comment,
                                   expected_lock_version=payload.lock_version)
    return _commission_detail(actor, c)


# --- inspections --------------------------------------------------------------------------------------------------
def _inspection_out(i: Inspection) -> dict:
    return {"id": i.pk, "agency_id": i.agency_id, "kind": i.kind, "planned_on": i.planned_on.isoformat(),
            "inspectors": i.inspectors, "focus": i.focus, "seed": i.seed, "result": i.result, "findings": i.findings}


@router.get("/inspections", response=list[dict], summary="机构检查（定向检查、不定向抽查）")
def inspection_list(request):
    return [_inspection_out(i) for i in selectors.inspection_list(api_actor(request))[:1000]]


class DrawIn(Schema):
    agencies: int = Field(ge=1, le=100)
    inspectors: list[str] = Field(min_length=1)
    per_team: int = Field(2, ge=1, le=10)
    planned_on: str
    focus: str = ""
    seed: int | None = Field(None, ge=0, le=999_999_999_999)


@router.post("/inspections/draw", response={201: list[dict], 400: ErrorOut, 403: ErrorOut},
             summary="不定向抽查：随机抽取机构和检查人员（双随机，记录随机种子）")
def inspection_draw(request, payload: DrawIn):
    actor = api_actor(request)
    return Status(201, [_inspection_out(i) for i in services.inspections_draw(actor=actor, **payload.dict())])
