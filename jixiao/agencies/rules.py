"""Third-party agencies (第三方机构, 财监〔2021〕4号; 财预〔2021〕6号; 财预〔2023〕95号; RULES §8, checklist rules
50-54): plain values in, plain values out. Numbers from the profile's `params.agencies` (`AgencyParams`).

- Lead evaluator (主评人): at least `lead_min_work_years` of work, of which `lead_min_evaluation_years` in performance
  evaluation; a title or professional qualification; no criminal liability for a negligence offence in the field
  within five years of the sentence ending. A commission needs a qualified lead evaluator on the team.
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

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
    sanctioned: bool = True


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
    if ended is not None and today < _years_after(ended, 5):
        out.append(f"{p.name}：因过失犯罪受刑事处罚，刑罚执行完毕未满五年")
    return out


def _years_after(d: datetime.date, years: int) -> datetime.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def recent_violations(violations: Sequence[Violation], params: AgencyParams, today: datetime.date) -> list[Violation]:
    since = _years_after(today, -params.violation_lookback_years)
    return [v for v in violations if v.on > since and v.kind in SERIOUS]


@dataclass(frozen=True, slots=True)
class Commission:
    """A proposed commission of an agency for one subject."""

    agency_id: int
    subject_id: int
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
    produced: Sequence[tuple[int, str]] = ()  # (subject id, PRODUCED_KINDS key) work the agency did
    other_commissions: Sequence[tuple[int, str]] = ()  # (subject id, commissioner) already held by the agency


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
        kinds = "、".join(sorted({VIOLATION_LABELS.get(v.kind, v.kind) for v in bad}))
        out.append(f"机构近{params.violation_lookback_years}年内有严重违法违规记录（{kinds}），不得委托")
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
