"""Third-party agencies (第三方机构, 财监〔2021〕4号; 财预〔2021〕6号; 财预〔2023〕95号; RULES §8, checklist rules
50-54): plain values in, plain values out. Numbers from the profile's `params.agencies` (`AgencyParams`).

- Lead evaluator (主评人): at least `lead_min_work_years` of work, of which `lead_min_evaluation_years` in performance
  evaluation; a title or professional qualification; no criminal liability for a negligence offence in the field
  within `lead_negligence_bar_years` (five) of the sentence ending. A commission needs a qualified lead evaluator on
  the team.
- Selection: no serious violation or bad-credit record within `violation_lookback_years`; the agency active.
- Conflicts before commissioning: the agency must not evaluate a subject whose unit it serves (设计/造价/招标代理/
  监理/审计 engagements, 95号) or work it produced itself (the ex-ante assessment or the goals it wrote, 6号); one
  agency per project per commissioner (`one_commissioner_per_project`); the commissioner is not the implementing office
  (委托方与项目实施主体相分离, 10号 第二十四条); self-evaluation is not contracted out
  (`self_evaluation.outsourcing_forbidden`); a classified subject never goes to an agency.
- Quality and ranking: plan-stage and draft-stage quality scores weighted by `quality_plan_weight_pct`, less
  `sanction_points` per sanction; agencies ranked by that figure (ties by more commissions, then name).
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from jixiao.core.calendar import add_working_days
from jixiao.policy.schema import AgencyParams

HUNDRED = Decimal(100)
TWO = Decimal("0.01")
SERVICE_KINDS = {"design": "设计", "cost": "造价咨询", "tender": "招标代理", "supervision": "监理", "audit": "审计"}
PRODUCED_KINDS = {"exante": "事前绩效评估", "goals": "绩效目标编制", "evaluation": "绩效评价"}
SERIOUS = frozenset({"subcontract_whole", "subcontract_unapproved", "name_lending", "false_report", "underpricing",
                     "unqualified_staff"})  # 第十一条
VIOLATION_LABELS = {"subcontract_whole": "转包", "subcontract_unapproved": "未经同意分包",
                    "name_lending": "挂靠或出借名义", "false_report": "出具虚假报告或有重大遗漏",
                    "underpricing": "恶意压价", "unqualified_staff": "使用不具备条件的人员", "other": "其他违法违规"}


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    work_years: int
    evaluation_years: int
    has_title_or_qualification: bool
    negligence_sentence_ended: datetime.date | None = None  # a negligence offence in the field: when it ended


@dataclass(frozen=True, slots=True)
class Violation:
    kind: str
    on: datetime.date
    sanction: str = ""  # a SANCTIONS key, or "" when none was imposed


# Sanctions that bar selection whatever the behaviour: a bad-credit record, a disqualification.
BARRING_SANCTIONS = frozenset({"bad_credit", "disqualify"})


def lead_evaluator_problems(p: Person, params: AgencyParams, today: datetime.date) -> list[str]:
    out = []
    if p.work_years < params.lead_min_work_years:
        out.append(f"{p.name}：工作年限{p.work_years}年，主评人须不少于{params.lead_min_work_years}年")
    if p.evaluation_years < params.lead_min_evaluation_years:
        out.append(f"{p.name}：从事绩效评价{p.evaluation_years}年，主评人须不少于{params.lead_min_evaluation_years}年")
    if p.evaluation_years > p.work_years:
        out.append(f"{p.name}：绩效评价年限不能多于工作年限")
    if not p.has_title_or_qualification:
        out.append(f"{p.name}：主评人须具有中高级职称或相关职业资格")
    ended = p.negligence_sentence_ended
    if ended is not None and today < _years_after(ended, params.lead_negligence_bar_years):
        out.append(f"{p.name}：因过失犯罪受刑事处罚，刑罚执行完毕未满{params.lead_negligence_bar_years}年")
    return out


def _years_after(d: datetime.date, years: int) -> datetime.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def recent_violations(violations: Sequence[Violation], params: AgencyParams, today: datetime.date) -> list[Violation]:
    """The serious violations (第十一条 behaviours) and bad-credit records within the look-back: they bar
    selection (第十条)."""
    since = _years_after(today, -params.violation_lookback_years)
    return [v for v in violations if v.on > since and (v.kind in SERIOUS or v.sanction in BARRING_SANCTIONS)]


@dataclass(frozen=True, slots=True)
class Commission:
    """A proposed commission of an agency for one subject."""

    agency_id: int
    subject_id: object  # the project's key: the same across its budget years (region and project code)
    unit_id: int | None
    commissioner: str  # "bureau:<region>" / "department:<id>" / "unit:<id>"
    purpose: str  # "evaluation" / "exante" / "self_evaluation" / "spot_check" / …
    implementing_commissioner: bool = False  # the commissioner is the subject's implementing office
    classified: bool = False
    agency_active: bool = True


@dataclass
class AgencyRecord:
    """What the registry knows of the agency when it is commissioned."""

    lead_evaluators: Sequence[Person] = ()
    violations: Sequence[Violation] = ()
    services: Sequence[tuple[int, str]] = ()  # (unit id, SERVICE_KINDS key) engagements with the agency
    produced: Sequence[tuple[object, str]] = ()  # (project key, PRODUCED_KINDS key) work the agency did
    other_commissions: Sequence[tuple[object, str]] = ()  # (project key, commissioner) already held by the agency


def commission_problems(c: Commission, record: AgencyRecord, params: AgencyParams, today: datetime.date, *,
                        self_evaluation_outsourcing_forbidden: bool = True) -> list[str]:
    out = []
    if not c.agency_active:
        out.append("该机构已停用，不能委托")
    if c.classified:
        out.append("涉密项目不能委托第三方机构")
    if c.purpose == "self_evaluation" and self_evaluation_outsourcing_forbidden:
        out.append("单位自评由单位自行开展，不得委托第三方机构（财预〔2021〕6号）")
    if c.implementing_commissioner:
        out.append("委托方不能是项目实施单位（委托方与项目实施主体相分离，财预〔2020〕10号 第二十四条）")
    if not any(not lead_evaluator_problems(p, params, today) for p in record.lead_evaluators):
        out.append(f"机构须至少有一名符合条件的主评人（工作{params.lead_min_work_years}年以上，"
                   f"其中绩效评价{params.lead_min_evaluation_years}年以上，具有职称或职业资格）")
    bad = recent_violations(record.violations, params, today)
    if bad:
        kinds = "、".join(sorted({VIOLATION_LABELS.get(v.kind, v.kind) if v.kind in SERIOUS
                                  else SANCTIONS.get(v.sanction, v.sanction) for v in bad}))
        out.append(f"机构近{params.violation_lookback_years}年内有严重违法违规或不良诚信记录（{kinds}），不得委托")
    if c.unit_id is not None:
        served = sorted({SERVICE_KINDS[k] for u, k in record.services if u == c.unit_id and k in SERVICE_KINDS})
        if served:
            out.append(f"机构为该项目单位提供过{'、'.join(served)}服务，应回避")
    produced = sorted({PRODUCED_KINDS[k] for s, k in record.produced if s == c.subject_id and k in PRODUCED_KINDS})
    if produced:
        out.append(f"机构承担过该项目的{'、'.join(produced)}工作，不得评价自己的工作成果")
    if params.one_commissioner_per_project and any(s == c.subject_id and who != c.commissioner
                                                   for s, who in record.other_commissions):
        out.append("机构已就该项目接受其他委托方的委托，同一项目不得接受不同委托方委托")
    return out


# --- quality and ranking ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class QualityScore:
    agency_id: int
    plan: Decimal | None  # 方案阶段 (0-100)
    draft: Decimal | None  # 初稿阶段 (0-100)


def commission_quality(q: QualityScore, params: AgencyParams) -> Decimal | None:
    """The weighted quality of one commission: both stages scored, or the one there is."""
    if q.plan is None and q.draft is None:
        return None
    if q.plan is None or q.draft is None:
        return (q.plan if q.draft is None else q.draft).quantize(TWO)
    w = params.quality_plan_weight_pct / HUNDRED
    return (q.plan * w + q.draft * (1 - w)).quantize(TWO)


@dataclass
class Ranked:
    agency_id: int
    name: str
    commissions: int
    average: Decimal | None
    sanctions: int
    score: Decimal | None
    rank: int = 0
    notes: list[str] = field(default_factory=list)


def rank(agencies: dict[int, str], scores: Sequence[QualityScore], sanctions: dict[int, int], params: AgencyParams
         ) -> list[Ranked]:
    """Agencies ordered by their average commission quality less the sanction points; unscored agencies last."""
    by_agency: dict[int, list[Decimal]] = {}
    for q in scores:
        value = commission_quality(q, params)
        if value is not None:
            by_agency.setdefault(q.agency_id, []).append(value)
    out = []
    for aid, name in agencies.items():
        values = by_agency.get(aid, [])
        average = (sum(values, Decimal(0)) / len(values)).quantize(TWO) if values else None
        n = sanctions.get(aid, 0)
        score = None if average is None else max(average - params.sanction_points * n, Decimal(0))
        out.append(Ranked(aid, name, len(values), average, n, score))
    out.sort(key=lambda r: (r.score is None, -(r.score or 0), -r.commissions, r.name))
    for i, r in enumerate(out, start=1):
        r.rank = i if r.score is not None else 0
    return out


# --- commissions: stage gates and the archive ---------------------------------------------------------------------
# The twelve elements of a work plan (实施方案, 财监〔2021〕4号 第十五条).
PLAN_ELEMENTS = ("人员配置", "时间安排", "评价目的", "评价内容", "评价依据", "评价方法", "评价指标体系", "评价标准",
                 "样本确定", "调查问卷", "资料清单", "工作纪律")
DOCUMENT_KINDS = {"contract": "委托合同", "plan": "实施方案", "plan_review": "方案评审意见",
                  "data_sheet": "基础数据表", "verification": "数据核查报告", "working_paper": "工作底稿",
                  "questionnaire": "调查问卷", "draft": "报告初稿", "internal_review": "内部质量审核记录",
                  "final_report": "正式评价报告", "feedback": "反馈意见及情况说明", "other": "其他材料"}
# 第二十条: what the archive holds, by class; each listed kind must be there before the commission is closed.
ARCHIVE_CLASSES = {"立项性材料": ("contract",),
                   "证明性材料": ("plan", "data_sheet", "verification", "working_paper", "questionnaire"),
                   "结论性材料": ("final_report", "feedback", "draft", "internal_review", "plan_review")}
ARCHIVE_REQUIRED = {"立项性材料": ("contract",), "证明性材料": ("plan", "working_paper"),
                    "结论性材料": ("final_report", "feedback")}
SANCTIONS = {"correction": "责令改正", "talk": "约谈诫勉", "notice": "通报行业主管部门",
             "bad_credit": "记录不良诚信档案", "warning": "警告", "terminate": "终止委托合同",
             "disqualify": "取消评价资格"}


@dataclass
class CommissionFacts:
    """What a commission holds, as plain values, for the stage gates."""

    contract_no: str = ""
    signed_on: datetime.date | None = None
    has_amount: bool = False
    lead: Person | None = None
    plan_elements: Sequence[str] = ()
    documents: Sequence[str] = ()  # document kinds present
    plan_quality: Decimal | None = None
    draft_quality: Decimal | None = None
    comments: int = 0
    unanswered: int = 0  # comments without a reply or without the accepted/not decision
    signed_by: str = ""
    sealed: bool = False
    report_uploaded: bool = False


def _needs(facts: CommissionFacts, kind: str) -> list[str]:
    return [] if kind in facts.documents else [f"须有{DOCUMENT_KINDS[kind]}"]


def stage_problems(move: str, facts: CommissionFacts, params: AgencyParams, today: datetime.date) -> list[str]:
    """What the commission still needs before `move` (a transition name) may happen; empty when nothing."""
    out: list[str] = []
    if move == "submit_plan":
        if not facts.contract_no or facts.signed_on is None or not facts.has_amount:
            out.append("须先登记书面委托合同（合同编号、签订日期、合同金额）")
        out += _needs(facts, "contract") + _needs(facts, "plan")
        missing = [e for e in PLAN_ELEMENTS if e not in set(facts.plan_elements)]
        if missing:
            out.append(f"实施方案缺少：{'、'.join(missing)}")
        if facts.lead is None:
            out.append("须指定工作组主评人")
        else:
            out += lead_evaluator_problems(facts.lead, params, today)
    elif move == "approve_plan":
        out += _needs(facts, "plan_review")
        if facts.plan_quality is None:
            out.append("须评定方案阶段质量评分")
    elif move == "submit_draft":
        out += _needs(facts, "draft")
    elif move == "send_comments":
        if facts.comments == 0:
            out.append("须录入被评价单位或委托方的书面意见（至少一条）")
        if facts.draft_quality is None:
            out.append("须评定初稿阶段质量评分")
    elif move == "submit_replies":
        if facts.unanswered:
            out.append(f"还有{facts.unanswered}条意见未逐条回复（须说明采纳与否及理由）")
    elif move == "pass_internal_review":
        out += _needs(facts, "internal_review")
    elif move == "submit_final":
        out += _needs(facts, "final_report")
        if not facts.signed_by:
            out.append("正式报告须由主评人签字")
        elif facts.lead is not None and facts.signed_by != facts.lead.name:
            out.append(f"正式报告须由本项目主评人{facts.lead.name}签字")
        if not facts.sealed:
            out.append("正式报告须加盖机构公章")
        if not facts.report_uploaded:
            out.append("须将报告信息上传第三方机构信用管理平台（第十九条）")
    elif move == "close":
        for label, missing in archive_missing(facts).items():
            out.append(f"档案缺少{label}：{'、'.join(missing)}")
    return out


def archive_missing(facts: CommissionFacts) -> dict[str, list[str]]:
    """The archive checklist (第二十条): required kinds missing, by class. Written comments recorded in the system
    count as the feedback."""
    present = set(facts.documents) | ({"feedback"} if facts.comments else set())
    out = {}
    for label, kinds in ARCHIVE_REQUIRED.items():
        missing = [DOCUMENT_KINDS[k] for k in kinds if k not in present]
        if missing:
            out[label] = missing
    return out


def registry_deadline(changed_on: datetime.date, params: AgencyParams) -> datetime.date:
    """The day by which a change of registered information must be recorded (working days, 第八条)."""
    return add_working_days(changed_on, params.registry_update_working_days)


def double_random(agency_ids: Sequence[int], inspectors: Sequence[str], *, agencies: int, per_team: int,
                  seed: int) -> list[tuple[int, tuple[str, ...]]]:
    """双随机 (不定向抽查): draw `agencies` agencies and, for each, `per_team` inspectors, both at random from the
    recorded seed (the same seed and lists give the same draw)."""
    rng = random.Random(seed)
    pool = sorted(set(agency_ids))
    names = sorted(set(n for n in inspectors if n))
    chosen = rng.sample(pool, min(agencies, len(pool)))
    team = min(per_team, len(names))
    return [(aid, tuple(sorted(rng.sample(names, team)))) for aid in sorted(chosen)]
