"""Writes of the agency registry and of commissions (财监〔2021〕4号; 财预〔2021〕6号; RULES checklist 50-54).

Keyword-only, `actor` first, atomic, audited; messages in Chinese per field. Who may do what:
- the registry: the bureau of the agency's region (MANAGE) or the agency itself (its own entry: CONTRIBUTE) keeps
  the information, people and services; any bureau (APPROVE) records violations and sanctions and inspects;
- a commission: the commissioner (a department: SUBMIT; the bureau: APPROVE) creates it, keeps the contract, reviews
  the plan, scores quality, writes comments and closes it; the agency (CONTRIBUTE on its own commissions) keeps the
  team and the plan, adds its documents, replies to comments and signs the report. The stage gates are
  `rules.stage_problems`; the conflict checks before commissioning `rules.commission_problems`.
"""

from __future__ import annotations

import datetime
import secrets
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from jixiao.agencies import rules
from jixiao.agencies.models import (
    AgencyChange,
    AgencyPerson,
    AgencyService,
    AgencyViolation,
    Commission,
    CommissionComment,
    CommissionDocument,
    Inspection,
    PersonRole,
    Purpose,
)
from jixiao.agencies.workflows import AGENCY_MOVES, GATED_MOVES, OPEN_STAGES, CommissionStage
from jixiao.core import audit, tabular, workflow
from jixiao.core.money import money_input
from jixiao.core.permissions import Action, Actor, authorize, can
from jixiao.core.workflow import claim_lock
from jixiao.organisations.models import Agency, AgencyStatus, Role
from jixiao.policy.selectors import effective_profile

S = CommissionStage
REGISTRY_FIELDS = {"legal_representative": ("法定代表人", 60), "contact": ("联系人", 60), "phone": ("联系电话", 30),
                   "address": ("地址", 200), "qualifications": ("机构资质", 5000)}
# Where each party may add documents: the agency its deliverables, the commissioner the contract, the review of the
# plan and the feedback; either party "other".
AGENCY_DOCUMENTS = frozenset({"plan", "data_sheet", "verification", "working_paper", "questionnaire", "draft",
                              "internal_review", "final_report", "other"})
COMMISSIONER_DOCUMENTS = frozenset({"contract", "plan_review", "feedback", "other"})


def agency_params(agency_or_region_id, year: int | None = None):
    region_id = getattr(agency_or_region_id, "region_id", agency_or_region_id)
    return effective_profile(region_id, year or timezone.localdate().year).params.agencies


def _today() -> datetime.date:
    return timezone.localdate()


def _date(value, label: str, errors: dict, key: str, *, required: bool = True) -> datetime.date | None:
    if value in (None, ""):
        if required:
            errors[key] = [f"请填写{label}"]
        return None
    try:
        return tabular.date(value)
    except tabular.CellValueError as exc:
        errors[key] = [f"{label}{exc}"]
        return None


def _int(value, label: str, errors: dict, key: str, *, low: int = 0, high: int = 80) -> int:
    try:
        n = int(str(value).strip() or "0")
    except (TypeError, ValueError):
        errors[key] = [f"{label}应为整数"]
        return 0
    if not low <= n <= high:
        errors[key] = [f"{label}应在{low}～{high}之间"]
    return n


def _text(value, label: str, limit: int, errors: dict, key: str, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        errors[key] = [f"请填写{label}"]
    elif len(text) > limit:
        errors[key] = [f"{label}不能超过{limit}个字"]
    return text


# --- the registry -------------------------------------------------------------------------------------------------
def keeps_registry(actor: Actor, agency: Agency) -> bool:
    """The bureau of the agency's region (MANAGE) or the agency itself (CONTRIBUTE on its own entry)."""
    return can(actor, Action.MANAGE, agency) or can(actor, Action.CONTRIBUTE, agency)


def _may_keep_registry(actor: Actor, agency: Agency) -> None:
    if keeps_registry(actor, agency):
        return
    authorize(actor, Action.MANAGE, agency)


def _record_change(actor: Actor, agency: Agency, description: str, changed_on: datetime.date | None) -> AgencyChange:
    today = _today()
    changed_on = min(changed_on or today, today)
    deadline = rules.registry_deadline(changed_on, agency_params(agency))
    change = AgencyChange.objects.create(agency=agency, changed_on=changed_on, recorded_on=today, deadline=deadline,
                                         late=today > deadline, description=description[:300],
                                         recorded_by=actor.user)
    Agency.objects.filter(pk=agency.pk).update(registry_updated_on=today)
    agency.registry_updated_on = today
    return change


def registry_update(*, actor: Actor, agency: Agency, data: dict, changed_on=None) -> AgencyChange | None:
    """Update the registered information; the change is logged with the day it happened (`changed_on`, default
    today) and flagged late when recorded after the profile's working days."""
    _may_keep_registry(actor, agency)
    errors: dict[str, list[str]] = {}
    changes = {}
    for key, (label, limit) in REGISTRY_FIELDS.items():
        if key in data:
            value = _text(data[key], label, limit, errors, key)
            if value != getattr(agency, key):
                changes[key] = value
    if "platform_registered" in data:
        value = bool(data["platform_registered"])
        if value != agency.platform_registered:
            changes["platform_registered"] = value
    when = _date(changed_on, "变更发生日期", errors, "changed_on", required=False)
    if when and when > _today():
        errors["changed_on"] = ["变更发生日期不能晚于今天"]
    if errors:
        raise ValidationError(errors)
    if not changes:
        return None
    labels = {**{k: v[0] for k, v in REGISTRY_FIELDS.items()}, "platform_registered": "信用管理平台登记"}
    with transaction.atomic():
        before = {k: getattr(agency, k) for k in changes}
        for k, v in changes.items():
            setattr(agency, k, v)
        agency.save(update_fields=list(changes))
        change = _record_change(actor, agency, "变更：" + "、".join(labels[k] for k in changes), when)
        audit.record(actor=actor, action="update", obj=agency, before=before, after=changes, comment="更新登记信息")
    return change


def person_save(*, actor: Actor, agency: Agency, data: dict, person: AgencyPerson | None = None,
                changed_on=None) -> AgencyPerson:
    """Add or change one of the agency's people (主评人, 评价人员, 合作专家)."""
    _may_keep_registry(actor, agency)
    if person is not None and person.agency_id != agency.pk:
        raise ValidationError({"person": ["该人员不属于本机构"]})
    errors: dict[str, list[str]] = {}
    name = _text(data.get("name"), "姓名", 60, errors, "name", required=True)
    role = data.get("role") or PersonRole.STAFF
    if role not in PersonRole.values:
        errors["role"] = ["身份只能是主评人、评价人员或合作专家"]
    work = _int(data.get("work_years", 0), "工作年限", errors, "work_years")
    evaluation = _int(data.get("evaluation_years", 0), "绩效评价年限", errors, "evaluation_years")
    if "evaluation_years" not in errors and "work_years" not in errors and evaluation > work:
        errors["evaluation_years"] = ["从事绩效评价年限不能多于工作年限"]
    title = _text(data.get("title_or_qualification"), "职称或职业资格", 120, errors, "title_or_qualification")
    cert = _text(data.get("certificate_no"), "证书编号", 60, errors, "certificate_no")
    ended = _date(data.get("negligence_sentence_ended"), "刑罚执行完毕日期", errors, "negligence_sentence_ended",
                  required=False)
    when = _date(changed_on, "变更发生日期", errors, "changed_on", required=False)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        p = person or AgencyPerson(agency=agency)
        before = audit.snapshot(p) if person else None
        p.name, p.role, p.work_years, p.evaluation_years = name, role, work, evaluation
        p.title_or_qualification, p.certificate_no, p.negligence_sentence_ended = title, cert, ended
        if "is_active" in data:
            p.is_active = bool(data["is_active"])
        p.save()
        _record_change(actor, agency, f"{'变更' if person else '新增'}人员：{name}（{p.get_role_display()}）", when)
        audit.record(actor=actor, action="update" if person else "create", obj=agency, before=before,
                     after=audit.snapshot(p), comment=f"机构人员：{name}")
    return p


def service_add(*, actor: Actor, agency: Agency, unit, kind: str, started_on, description: str = "") -> AgencyService:
    """Record work the agency does for a unit (设计/造价/招标代理/监理/审计): it then may not evaluate that unit."""
    _may_keep_registry(actor, agency)
    errors: dict[str, list[str]] = {}
    if unit is None:
        errors["unit"] = ["请选择服务的预算单位"]
    if kind not in rules.SERVICE_KINDS:
        errors["kind"] = ["服务类别只能是" + "、".join(rules.SERVICE_KINDS.values())]
    started = _date(started_on, "开始日期", errors, "started_on")
    text = _text(description, "说明", 200, errors, "description")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        svc = AgencyService.objects.create(agency=agency, unit=unit, kind=kind, started_on=started, description=text)
        audit.record(actor=actor, action="create", obj=agency, after={"service": kind, "unit": unit.name},
                     comment=f"服务记录：{unit.name}{rules.SERVICE_KINDS[kind]}")
    return svc


def _bureau_region(actor: Actor):
    for grant, _reach in actor.grants_for(Action.APPROVE):
        if grant.role == Role.FINANCE_ADMIN:
            return grant.region_id
    raise PermissionDenied("只有财政部门可以记录违规、作出处理和开展检查")


def violation_record(*, actor: Actor, agency: Agency, kind: str, occurred_on, description: str, sanction: str = "",
                     commission: Commission | None = None, inspection: Inspection | None = None) -> AgencyViolation:
    """A prohibited behaviour found and the sanction imposed. 取消评价资格 disqualifies the agency; 终止委托合同
    terminates the commission named."""
    region_id = _bureau_region(actor)
    if agency.region_id != region_id and not Commission.objects.filter(agency=agency, region_id=region_id).exists():
        raise PermissionDenied("只能记录在本地区登记或承接本地区委托业务的机构的违规情况")
    if sanction == "disqualify" and not can(actor, Action.MANAGE, agency):
        raise PermissionDenied("取消评价资格由机构登记地财政部门作出")
    errors: dict[str, list[str]] = {}
    if kind not in rules.VIOLATION_LABELS:
        errors["kind"] = ["违规情形只能是" + "、".join(rules.VIOLATION_LABELS.values())]
    on = _date(occurred_on, "发生或查实日期", errors, "occurred_on")
    if on and on > _today():
        errors["occurred_on"] = ["日期不能晚于今天"]
    text = _text(description, "情况说明", 5000, errors, "description", required=True)
    if sanction and sanction not in rules.SANCTIONS:
        errors["sanction"] = ["处理方式只能是" + "、".join(rules.SANCTIONS.values())]
    if commission is not None and (commission.agency_id != agency.pk or commission.region_id != region_id):
        errors["commission"] = ["该委托业务不属于本机构或不是本地区的委托业务"]
    if sanction == "terminate" and (commission is None or commission.state not in OPEN_STAGES):
        errors["commission"] = ["终止委托合同须指定一项进行中的委托业务"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        v = AgencyViolation.objects.create(agency=agency, region_id=region_id, kind=kind, occurred_on=on,
                                           description=text, sanction=sanction, commission=commission,
                                           inspection=inspection, recorded_by=actor.user)
        if sanction == "disqualify" and agency.status != AgencyStatus.DISQUALIFIED:
            Agency.objects.filter(pk=agency.pk).update(status=AgencyStatus.DISQUALIFIED)
            agency.status = AgencyStatus.DISQUALIFIED
        audit.record(actor=actor, action="create", obj=agency, region_id=region_id,
                     after={"violation": kind, "sanction": sanction},
                     comment=f"违规记录：{rules.VIOLATION_LABELS[kind]}"
                             + (f"，处理：{rules.SANCTIONS[sanction]}" if sanction else ""))
        if sanction == "terminate":
            workflow.transition(actor=actor, obj=commission, name="terminate", acting_as=Action.APPROVE,
                                comment=f"因{rules.VIOLATION_LABELS[kind]}终止委托合同")
            release(commission, actor=actor)
    return v


def status_set(*, actor: Actor, agency: Agency, status: str, comment: str) -> Agency:
    """Suspend, disqualify or restore an agency (the bureau of its region)."""
    authorize(actor, Action.MANAGE, agency)
    if status not in AgencyStatus.values:
        raise ValidationError({"status": ["执业状态只能是正常、暂停委托或取消评价资格"]})
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": ["请说明调整执业状态的理由"]})
    with transaction.atomic():
        before = agency.status
        agency.status = status
        agency.save(update_fields=["status"])
        audit.record(actor=actor, action="update", obj=agency, before={"status": before}, after={"status": status},
                     comment=comment[:500])
    return agency


# --- inspections --------------------------------------------------------------------------------------------------
def inspection_create(*, actor: Actor, agency: Agency, kind: str, planned_on, inspectors: str, focus: str = "",
                      commission: Commission | None = None, seed: int | None = None) -> Inspection:
    region_id = _bureau_region(actor)
    errors: dict[str, list[str]] = {}
    if kind not in Inspection.Kind.values:
        errors["kind"] = ["检查方式只能是定向检查或不定向抽查"]
    on = _date(planned_on, "检查日期", errors, "planned_on")
    names = _text(inspectors, "检查人员", 200, errors, "inspectors", required=True)
    focus = _text(focus, "检查内容", 300, errors, "focus")
    if commission is not None and commission.agency_id != agency.pk:
        errors["commission"] = ["该委托业务不属于被检查机构"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        ins = Inspection.objects.create(region_id=region_id, agency=agency, commission=commission, kind=kind,
                                        planned_on=on, inspectors=names, focus=focus, seed=seed,
                                        created_by=actor.user)
        audit.record(actor=actor, action="create", obj=ins, after={"agency": agency.name, "kind": kind})
    return ins


def inspections_draw(*, actor: Actor, agencies: int, inspectors: list[str], per_team: int, planned_on,
                     focus: str = "", seed: int | None = None) -> list[Inspection]:
    """不定向抽查 (双随机): agencies drawn at random from those working in the bureau's region (commissioned there or
    registered there, not disqualified), each with inspectors drawn at random from the list given."""
    region_id = _bureau_region(actor)
    errors: dict[str, list[str]] = {}
    names = [n.strip() for n in inspectors if n and n.strip()]
    if len(set(names)) < per_team or per_team < 1:
        errors["inspectors"] = [f"检查人员名单至少须有{max(per_team, 1)}人"]
    if agencies < 1:
        errors["agencies"] = ["抽查机构数应为正整数"]
    if errors:
        raise ValidationError(errors)
    from django.db.models import Q

    pool = list(Agency.objects.filter(Q(region_id=region_id) | Q(commissions__region_id=region_id), is_active=True)
                .exclude(status=AgencyStatus.DISQUALIFIED).values_list("pk", flat=True).distinct())
    if not pool:
        raise ValidationError({"agencies": ["本地区没有可抽查的第三方机构"]})
    seed = seed if seed is not None else secrets.randbelow(10**9)
    drawn = rules.double_random(pool, names, agencies=agencies, per_team=per_team, seed=seed)
    by_pk = Agency.objects.in_bulk([aid for aid, _ in drawn])
    with transaction.atomic():
        return [inspection_create(actor=actor, agency=by_pk[aid], kind=Inspection.Kind.RANDOM, planned_on=planned_on,
                                  inspectors="、".join(team), focus=focus, seed=seed) for aid, team in drawn]


def inspection_record(*, actor: Actor, inspection: Inspection, result: str, findings: str) -> Inspection:
    authorize(actor, Action.APPROVE, inspection)
    if result not in (Inspection.Result.CLEAR, Inspection.Result.PROBLEMS):
        raise ValidationError({"result": ["检查结果只能是未发现问题或发现问题"]})
    findings = (findings or "").strip()
    if result == Inspection.Result.PROBLEMS and not findings:
        raise ValidationError({"findings": ["发现问题的，须写明检查发现"]})
    with transaction.atomic():
        inspection.result, inspection.findings = result, findings
        inspection.save(update_fields=["result", "findings"])
        audit.record(actor=actor, action="update", obj=inspection, after={"result": result}, comment="检查结果")
    return inspection


# --- commissions --------------------------------------------------------------------------------------------------
def person_value(p: AgencyPerson) -> rules.Person:
    """A registered person as the rules see them."""
    return rules.Person(p.name, p.work_years, p.evaluation_years, bool(p.title_or_qualification.strip()),
                        p.negligence_sentence_ended)


def commissioner_key(department_id: int | None, region_id: int) -> str:
    """Who commissions, for the one-commissioner-per-project check: a department, or the region's bureau."""
    return f"department:{department_id}" if department_id else f"bureau:{region_id}"


def commissioner_grant(actor: Actor, *, as_department: bool):
    """The actor's role to commission under: its department's, or its bureau's (财政绩效管理员)."""
    role = Role.DEPARTMENT if as_department else Role.FINANCE_ADMIN
    grant = next((g for g in actor.grants if g.role == role), None)
    if grant is None:
        raise PermissionDenied("您不能以该委托方身份委托")
    return grant


def _key(subject) -> tuple[int, str] | None:
    """A project's key across its budget years (each year has its own subject row; the code is kept)."""
    return (subject.region_id, subject.code) if subject is not None else None


EVALUATION_PURPOSES = frozenset({Purpose.DEPARTMENT_EVALUATION, Purpose.FISCAL_EVALUATION, Purpose.RE_EVALUATION})


def agency_record(agency: Agency, *, for_purpose: str = "", evaluation=None) -> rules.AgencyRecord:
    """What the registry knows of the agency, for the conflict checks. Projects are keyed by region and code, so a
    conflict from one budget year holds in the next; the agency's earlier evaluations count as work it produced when
    the new commission is a re-evaluation (6号: no agency evaluates its own work)."""
    from jixiao.evaluation.models import Evaluation
    from jixiao.exante.models import ExAnteAssessment

    leads = [person_value(p) for p in agency.people.filter(role=PersonRole.LEAD, is_active=True)]
    violations = [rules.Violation(v.kind, v.occurred_on, v.sanction)
                  for v in agency.violations.all().only("kind", "occurred_on", "sanction")]
    services = list(agency.services.values_list("unit_id", "kind"))
    produced = [((r, c), "exante") for r, c in ExAnteAssessment.objects.filter(agency=agency)
                .values_list("subject__region_id", "subject__code")]
    others = Commission.objects.filter(agency=agency, subject__isnull=False).exclude(state=S.TERMINATED)
    other_commissions = []
    for region, code, dept, c_region, purpose in others.values_list("subject__region_id", "subject__code",
                                                                     "department_id", "region_id", "purpose"):
        key = (region, code)
        other_commissions.append((key, commissioner_key(dept, c_region)))
        if purpose in (Purpose.EXANTE, Purpose.GOALS):
            produced.append((key, "exante" if purpose == Purpose.EXANTE else "goals"))
        elif purpose in EVALUATION_PURPOSES and for_purpose == Purpose.RE_EVALUATION:
            produced.append((key, "evaluation"))
    if for_purpose == Purpose.RE_EVALUATION:
        earlier = Evaluation.objects.filter(agency=agency)
        if evaluation is not None and evaluation.pk:  # the re-evaluation being commissioned is not earlier work
            earlier = earlier.exclude(pk=evaluation.pk)
        produced += [((r, c), "evaluation") for r, c in earlier.values_list("subject__region_id", "subject__code")]
    return rules.AgencyRecord(leads, violations, services, produced, other_commissions)


def commission_problems(*, agency: Agency, subject, purpose: str, department_id: int | None, region_id: int,
                        year: int | None = None, evaluation=None) -> list[str]:
    """The conflict checks before commissioning `agency` for `subject` (or, with no subject, for a batch such as a
    spot check: the agency's own fitness only)."""
    from jixiao.organisations.models import Department

    params = effective_profile(region_id, year or _today().year).params
    commissioner = commissioner_key(department_id, region_id)
    classified = bool(subject and (subject.is_classified or (subject.department_id and
                                                             subject.department.is_classified)))
    if department_id and not classified:
        classified = Department.objects.filter(pk=department_id, is_classified=True).exists()
    implementing = bool(subject and department_id and subject.unit_id is None
                        and subject.department_id == department_id)
    c = rules.Commission(agency.pk, _key(subject), subject.unit_id if subject else None,
                         commissioner, purpose, implementing_commissioner=implementing, classified=classified,
                         agency_active=agency.is_active and agency.status == AgencyStatus.NORMAL)
    problems = rules.commission_problems(
        c, agency_record(agency, for_purpose=purpose, evaluation=evaluation), params.agencies, _today(),
        self_evaluation_outsourcing_forbidden=params.self_evaluation.outsourcing_forbidden)
    if agency.status != AgencyStatus.NORMAL:
        problems = [f"该机构执业状态为“{agency.get_status_display()}”，不能委托"
                    if p == "该机构已停用，不能委托" else p for p in problems]
    return problems


def _commissioner_action(department_id) -> Action:
    return Action.SUBMIT if department_id else Action.APPROVE


def commission_create(*, actor: Actor, agency: Agency, purpose: str, title: str, year: int, region_id: int,
                      department_id: int | None = None, subject=None, evaluation=None, spot_check=None,
                      contract: dict | None = None) -> Commission:
    """Commission an agency (the conflict checks first). A subject's commission grants the agency access to it."""
    from jixiao.budget.models import SubjectGrant

    errors: dict[str, list[str]] = {}
    if purpose not in Purpose.values:
        errors["purpose"] = ["委托事项无效"]
    title = _text(title, "委托业务名称", 200, errors, "title", required=True)
    if errors:
        raise ValidationError(errors)
    if subject is not None and (subject.region_id != region_id
                                or (department_id and subject.department_id != department_id)):
        raise ValidationError({"subject": ["委托方只能就本级（本部门）的项目委托第三方机构"]})
    c = Commission(agency=agency, purpose=purpose, title=title, fiscal_year=year, region_id=region_id,
                   department_id=department_id, subject=subject, evaluation=evaluation, spot_check=spot_check,
                   created_by=actor.user)
    if not can(actor, _commissioner_action(department_id), c):
        raise ValidationError({"agency": ["委托第三方机构由本级财政部门绩效管理机构或主管部门办理，您不能委托"]})
    problems = commission_problems(agency=agency, subject=subject, purpose=purpose, department_id=department_id,
                                   region_id=region_id, year=year, evaluation=evaluation)
    if problems:
        raise ValidationError({"agency": problems})
    with transaction.atomic():
        c.save()
        if contract:
            _apply_contract(c, contract)
        if subject is not None:
            SubjectGrant.objects.update_or_create(subject=subject, agency=agency, purpose=c.get_purpose_display(),
                                                  defaults={"is_active": True})
        audit.record(actor=actor, action="create", obj=c, after={"agency": agency.name, "purpose": purpose,
                                                                 "title": title})
    return c


DIRECT_PURPOSES = (Purpose.EXANTE, Purpose.GOALS, Purpose.OTHER)


def commission_create_direct(*, actor: Actor, agency: Agency, purpose: str, title: str, year, region_id: int,
                             department_id: int | None = None, subject=None, contract: dict | None = None
                             ) -> Commission:
    """A commission opened on its own (事前绩效评估, 绩效目标审核, 其他). Evaluations are commissioned when they are
    listed (`jixiao.evaluation.evaluations.evaluation_create`) and spot-check re-checks when items are assigned."""
    errors: dict[str, list[str]] = {}
    if purpose not in DIRECT_PURPOSES:
        errors["purpose"] = ["此处只能委托事前绩效评估、绩效目标审核或其他事项；"
                             "评价在列入评价时委托，抽查复核在抽查复核中委托"]
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["year"] = ["年度应在2000～2100之间"]
    if errors:
        raise ValidationError(errors)
    return commission_create(actor=actor, agency=agency, purpose=purpose, title=title, year=year,
                             region_id=region_id, department_id=department_id, subject=subject, contract=contract)


def _apply_contract(c: Commission, data: dict) -> list[str]:
    errors: dict[str, list[str]] = {}
    fields = []
    if "contract_no" in data:
        c.contract_no = _text(data["contract_no"], "合同编号", 60, errors, "contract_no")
        fields.append("contract_no")
    if "contract_amount" in data:
        amount = money_input(data["contract_amount"], "contract_amount", errors)
        if amount is not None and amount.fen <= 0:
            errors["contract_amount"] = ["合同金额应大于0"]
        c.contract_amount = amount
        fields.append("contract_amount")
    for key, label in (("signed_on", "签订日期"), ("due_on", "约定完成日期")):
        if key in data:
            setattr(c, key, _date(data[key], label, errors, key, required=False))
            fields.append(key)
    if c.signed_on and c.due_on and c.due_on < c.signed_on:
        errors["due_on"] = ["约定完成日期不能早于签订日期"]
    if "contract_terms" in data:
        c.contract_terms = _text(data["contract_terms"], "合同主要条款", 5000, errors, "contract_terms")
        fields.append("contract_terms")
    if errors:
        raise ValidationError(errors)
    if fields and c.pk:
        c.save(update_fields=fields)
    return fields


def _is_commissioner(actor: Actor, c: Commission) -> bool:
    return can(actor, _commissioner_action(c.department_id), c)


def _is_agency(actor: Actor, c: Commission) -> bool:
    return any(g.agency_id == c.agency_id for g in actor.grants) and can(actor, Action.CONTRIBUTE, c)


def _open(c: Commission) -> None:
    if c.state not in OPEN_STAGES:
        raise ValidationError({"state": [f"委托业务{c.get_state_display()}，不能再修改"]})


def contract_save(*, actor: Actor, commission: Commission, data: dict, expected_lock_version: int) -> Commission:
    """The commissioner keeps the contract data (合同编号、金额、签订日期、期限、主要条款)."""
    if not _is_commissioner(actor, commission):
        authorize(actor, _commissioner_action(commission.department_id), commission)
    _open(commission)
    with transaction.atomic():
        claim_lock(commission, expected_lock_version)
        before = audit.snapshot(commission, ["contract_no", "contract_amount", "signed_on", "due_on"])
        fields = _apply_contract(commission, data)
        commission.save(update_fields=[*fields, "lock_version"])
        audit.record(actor=actor, action="update", obj=commission, before=before,
                     after=audit.snapshot(commission, ["contract_no", "contract_amount", "signed_on", "due_on"]),
                     comment="委托合同")
    return commission


def team_save(*, actor: Actor, commission: Commission, lead_id: int | None, team_ids: list[int],
              plan_elements: list[str], expected_lock_version: int) -> Commission:
    """The agency names its lead evaluator and team and marks what its work plan covers (until the plan passes)."""
    if not _is_agency(actor, commission):
        raise PermissionDenied("只有受托机构可以确定工作组和实施方案")
    if commission.state not in (S.PLAN,):
        raise ValidationError({"state": ["实施方案已提交评审，工作组和方案要素不能再修改"]})
    people = {p.pk: p for p in commission.agency.people.filter(is_active=True)}
    errors: dict[str, list[str]] = {}
    lead = people.get(lead_id) if lead_id else None
    if lead_id and (lead is None or lead.role != PersonRole.LEAD):
        errors["lead"] = ["主评人须是本机构登记在册的主评人"]
    bad = [i for i in team_ids if i not in people]
    if bad:
        errors["team"] = ["工作组成员须是本机构登记在册的人员"]
    unknown = [e for e in plan_elements if e not in rules.PLAN_ELEMENTS]
    if unknown:
        errors["plan_elements"] = [f"未知的方案要素：{'、'.join(unknown)}"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        claim_lock(commission, expected_lock_version)
        commission.lead = lead
        commission.plan_elements = [e for e in rules.PLAN_ELEMENTS if e in set(plan_elements)]
        commission.save(update_fields=["lead", "plan_elements", "lock_version"])
        commission.team.set(sorted(set(team_ids) | ({lead.pk} if lead else set())))
        audit.record(actor=actor, action="update", obj=commission,
                     after={"lead": lead.name if lead else "", "team": sorted(team_ids),
                            "plan_elements": commission.plan_elements}, comment="工作组及实施方案要素")
    return commission


def document_add(*, actor: Actor, commission: Commission, kind: str, title: str, content: str = "",
                 reference: str = "") -> CommissionDocument:
    _open(commission)
    agency, commissioner = _is_agency(actor, commission), _is_commissioner(actor, commission)
    if not (agency or commissioner):
        raise PermissionDenied("只有委托方或受托机构可以添加材料")
    allowed = (AGENCY_DOCUMENTS if agency else frozenset()) | (COMMISSIONER_DOCUMENTS if commissioner else frozenset())
    errors: dict[str, list[str]] = {}
    if kind not in allowed:
        names = "、".join(rules.DOCUMENT_KINDS[k] for k in rules.DOCUMENT_KINDS if k in allowed)
        errors["kind"] = [f"您可添加的材料为：{names}"]
    title = _text(title, "材料标题", 200, errors, "title", required=True)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        doc = CommissionDocument.objects.create(commission=commission, stage=commission.state, kind=kind, title=title,
                                                content=(content or "").strip(), reference=(reference or "")[:100],
                                                added_by=actor.user)
        audit.record(actor=actor, action="create", obj=commission, after={"document": title, "kind": kind},
                     comment=f"添加材料（{rules.DOCUMENT_KINDS[kind]}）")
    return doc


def quality_score(*, actor: Actor, commission: Commission, stage: str, score) -> Commission:
    """The commissioner scores the agency's work at the plan stage (during plan review) or the draft stage (while
    collecting comments), 0-100."""
    if not _is_commissioner(actor, commission):
        raise PermissionDenied("只有委托方可以评定机构执业质量")
    where = {"plan": (S.PLAN_REVIEW, "plan_quality", "方案评审"),
             "draft": (S.COMMENTS, "draft_quality", "书面征求意见")}
    if stage not in where:
        raise ValidationError({"stage": ["评分阶段只能是方案阶段或初稿阶段"]})
    state, field, label = where[stage]
    if commission.state != state:
        raise ValidationError({"stage": [f"{'方案' if stage == 'plan' else '初稿'}阶段质量评分在“{label}”阶段评定"]})
    try:
        value = Decimal(str(score).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"score": [f"质量评分“{score}”不是有效数字"]}) from None
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        raise ValidationError({"score": ["质量评分应在0～100之间"]})
    with transaction.atomic():
        setattr(commission, field, value.quantize(Decimal("0.01")))
        commission.save(update_fields=[field])
        audit.record(actor=actor, action="update", obj=commission, after={field: str(value)}, comment="执业质量评分")
    return commission


def comment_add(*, actor: Actor, commission: Commission, source: str, text: str) -> CommissionComment:
    if not _is_commissioner(actor, commission):
        raise PermissionDenied("只有委托方可以录入书面意见")
    if commission.state != S.COMMENTS:
        raise ValidationError({"state": ["书面意见在“书面征求意见”阶段录入"]})
    errors: dict[str, list[str]] = {}
    if source not in CommissionComment.Source.values:
        errors["source"] = ["意见来源只能是被评价单位、委托方或评审专家"]
    text = _text(text, "意见内容", 5000, errors, "text", required=True)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # hold the commission's row (PostgreSQL) or the write lock (SQLite) so two clerks never take one number
        list(Commission.objects.select_for_update().filter(pk=commission.pk).values_list("pk", flat=True))
        number = (commission.comments.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        comment = CommissionComment.objects.create(commission=commission, number=number, source=source, text=text,
                                                   added_by=actor.user)
        audit.record(actor=actor, action="create", obj=commission, after={"comment": number}, comment="书面意见")
    return comment


def comment_reply(*, actor: Actor, comment: CommissionComment, accepted, reply: str) -> CommissionComment:
    """The agency's point-by-point reply: accepted or not, with the reason."""
    c = comment.commission
    if not _is_agency(actor, c):
        raise PermissionDenied("只有受托机构可以回复意见")
    if c.state != S.REPLIES:
        raise ValidationError({"state": ["逐条回复在“逐条回复意见”阶段进行"]})
    errors: dict[str, list[str]] = {}
    if accepted not in (True, False):
        errors["accepted"] = [f"第{comment.number}条：请选择是否采纳"]
    reply = _text(reply, f"第{comment.number}条回复", 5000, errors, "reply", required=True)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        comment.accepted, comment.reply = accepted, reply
        comment.replied_by, comment.replied_at = actor.user, timezone.now()
        comment.save(update_fields=["accepted", "reply", "replied_by", "replied_at"])
        audit.record(actor=actor, action="update", obj=c, after={"comment": comment.number, "accepted": accepted},
                     comment="逐条回复意见")
    return comment


def report_sign(*, actor: Actor, commission: Commission, signed_by: str, sealed: bool, report_uploaded: bool,
                expected_lock_version: int) -> Commission:
    """The agency records the lead evaluator's signature, the seal and the upload of the report information."""
    if not _is_agency(actor, commission):
        raise PermissionDenied("只有受托机构可以签署正式报告")
    if commission.state != S.FINAL:
        raise ValidationError({"state": ["正式报告在内部质量审核通过后签署"]})
    errors: dict[str, list[str]] = {}
    signed_by = _text(signed_by, "签字主评人", 60, errors, "signed_by")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        claim_lock(commission, expected_lock_version)
        commission.signed_by, commission.sealed, commission.report_uploaded = signed_by, bool(sealed), \
            bool(report_uploaded)
        commission.save(update_fields=["signed_by", "sealed", "report_uploaded", "lock_version"])
        audit.record(actor=actor, action="update", obj=commission,
                     after={"signed_by": signed_by, "sealed": bool(sealed), "report_uploaded": bool(report_uploaded)},
                     comment="正式报告签章")
    return commission


def facts(c: Commission) -> rules.CommissionFacts:
    comments = list(c.comments.all())
    return rules.CommissionFacts(
        contract_no=c.contract_no, signed_on=c.signed_on, has_amount=c.contract_amount is not None,
        lead=person_value(c.lead) if c.lead_id else None, plan_elements=list(c.plan_elements or ()),
        documents=sorted(set(c.documents.values_list("kind", flat=True))), plan_quality=c.plan_quality,
        draft_quality=c.draft_quality, comments=len(comments),
        unanswered=sum(1 for m in comments if m.accepted is None or not m.reply.strip()),
        signed_by=c.signed_by, sealed=c.sealed, report_uploaded=c.report_uploaded)


def next_problems(c: Commission) -> dict[str, list[str]]:
    """For each gated move open from the current stage: what it still needs."""
    f = facts(c)
    params = agency_params(c.region_id, c.fiscal_year)
    out = {}
    for t in c.workflow.available(c):
        if t.name in GATED_MOVES:
            problems = rules.stage_problems(t.name, f, params, _today())
            if problems:
                out[t.label] = problems
    return out


def commission_transition(*, actor: Actor, commission: Commission, name: str, comment: str = "",
                          expected_lock_version: int | None = None) -> Commission:
    t = commission.workflow.get(name)
    if name in AGENCY_MOVES and commission.state in t.sources and not _is_agency(actor, commission):
        raise PermissionDenied("该操作由受托机构办理")
    if name in GATED_MOVES and commission.state in t.sources:
        authorize(actor, t.action, commission)
        problems = rules.stage_problems(name, facts(commission), agency_params(commission.region_id,
                                                                               commission.fiscal_year), _today())
        if problems:
            raise ValidationError({"state": problems})
    with transaction.atomic():
        workflow.transition(actor=actor, obj=commission, name=name, comment=comment,
                            expected_lock_version=expected_lock_version)
        if commission.state == S.CLOSED:
            commission.closed_at = timezone.now()
            commission.save(update_fields=["closed_at"])
        if commission.state in (S.CLOSED, S.TERMINATED):
            release(commission, actor=actor)
    return commission


def release(commission: Commission, *, actor: Actor | None = None) -> None:
    """When a commission ends (closed or terminated), the agency loses what it was given for it: its access to the
    subject (unless another open commission of the agency needs it) and, for a spot check, the items it had not yet
    submitted (they go back to the bureau)."""
    from jixiao.budget.models import SubjectGrant
    from jixiao.evaluation.models import SpotCheckItem
    from jixiao.evaluation.workflows import SpotCheckState

    subject_ids, handed_back = set(), 0
    if commission.subject_id:
        subject_ids.add(commission.subject_id)
    if commission.spot_check_id:
        items = SpotCheckItem.objects.filter(spot_check_id=commission.spot_check_id, agency_id=commission.agency_id)
        subject_ids |= set(items.values_list("subject_id", flat=True))
        # whatever the agency had not submitted goes back to the bureau (closed or terminated alike)
        handed_back = items.filter(state__in=[SpotCheckState.ASSIGNED, SpotCheckState.RETURNED]).update(agency=None)
        if handed_back:
            from jixiao.evaluation.models import SpotCheck
            from jixiao.evaluation.spot_checks import summarize

            summarize(SpotCheck.objects.get(pk=commission.spot_check_id))
    still = set(Commission.objects.filter(agency_id=commission.agency_id, state__in=OPEN_STAGES,
                                          subject_id__in=subject_ids).values_list("subject_id", flat=True))
    still |= set(SpotCheckItem.objects.filter(agency_id=commission.agency_id, subject_id__in=subject_ids,
                                              spot_check__commissions__agency_id=commission.agency_id,
                                              spot_check__commissions__state__in=OPEN_STAGES)
                 .values_list("subject_id", flat=True))
    revoked = SubjectGrant.objects.filter(agency_id=commission.agency_id, subject_id__in=subject_ids - still,
                                          is_active=True).update(is_active=False)
    if revoked or handed_back:
        audit.record(actor=actor, action="update", obj=commission,
                     after={"grants_revoked": revoked, "items_handed_back": handed_back},
                     comment=f"委托业务{commission.get_state_display()}：收回机构访问权限")


def open_commission(*, agency_id: int | None, evaluation=None, spot_check_id: int | None = None) -> bool:
    """Whether the agency holds an open commission for this evaluation or spot check (what lets it work on it)."""
    if agency_id is None:
        return False
    qs = Commission.objects.filter(agency_id=agency_id, state__in=OPEN_STAGES)
    if evaluation is not None:
        return qs.filter(evaluation=evaluation).exists() or not Commission.objects.filter(evaluation=evaluation
                                                                                           ).exists()
    return qs.filter(spot_check_id=spot_check_id).exists() or not Commission.objects.filter(
        spot_check_id=spot_check_id, agency_id=agency_id).exists()


def spot_check_commission(*, actor: Actor, spot_check, agency: Agency, item_subject) -> Commission:
    """Before an agency re-checks a spot-check item: the conflict checks for that subject, then the spot check's one
    commission of the agency (created on the first item)."""
    problems = commission_problems(agency=agency, subject=item_subject, purpose=Purpose.SPOT_CHECK,
                                   department_id=None, region_id=spot_check.region_id,
                                   year=spot_check.round.fiscal_year.year)
    if problems:
        raise ValidationError({"agency": problems})
    existing = Commission.objects.filter(spot_check=spot_check, agency=agency, state__in=OPEN_STAGES).first()
    if existing is not None:
        return existing
    return commission_create(actor=actor, agency=agency, purpose=Purpose.SPOT_CHECK,
                             title=f"{spot_check.round}抽查复核（{agency.name}）",
                             year=spot_check.round.fiscal_year.year, region_id=spot_check.region_id,
                             spot_check=spot_check)
