"""Goal sheets (绩效目标), their reviews and ex-ante assessments (事前绩效评估) for generated subjects, so that the demo
and the benchmarks hold what a bureau's system holds half-way through a budget year.

What is made, per subject (each draw from its own seeded stream, so the rest of the generated data does not move):

* a goal sheet for every subject past the first draft: approved (已批复) or issued to the unit (已下达) for subjects
  in the project library, awaiting the department or the bureau for subjects still under review (a few past their
  review deadline), agreed edits, returned (中) or rejected (差) ones for returned subjects; half of the drafts have a
  draft sheet. Rows come from the region's library (a county uses its city's), by the subject's domain, on the
  profile's frame: 数量/质量/时效 (and sometimes 成本) output rows, 社会/经济/生态/可持续 benefit rows, a
  satisfaction row with its survey plan, weights filling each first-level group of the frame (10号 frame:
  50/30/10, 10 left to the execution rate). Targets are the library's reference values, as written (the number in
  指标值, the symbol in 计算符号).
* one review row per review round and level (优 mostly; 良 with the agreed edits; a round returned as 中 before the
  sheet passed; the 中 or 差 that returned or rejected it), with the eight review points graded, and scored for key
  projects (≥ the profile's key-project amount).
* an ex-ante assessment wherever the profile requires one (`jixiao.exante.rules.requirement_for`): supported (or, for
  classified subjects, exempted) for subjects in the project library, so the gate holds on demo data; pending,
  returned or not supported for the others. Requested amounts are larger than the budget: about half of what was
  requested is cut overall, as in 通辽 (13,285万 requested, 6,773万 cut, 50.98%). Full assessments carry the five
  dimensions with scores.

Dates: sheets and assessments of subjects in the library were prepared in the autumn before the budget year; those
still under review count back from `as_of` (the day the data is taken to describe). Everything is written with
COPY (PostgreSQL) or executemany, as the generator writes budget lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.db import connection
from django.utils import timezone

from jixiao.budget.models import ScopeKind, SubjectKind
from jixiao.budget.workflows import SubjectState
from jixiao.core.calendar import add_working_days as _add_working_days
from jixiao.core.calendar import is_working_day
from jixiao.core.money import Money
from jixiao.costs.rules import matches
from jixiao.demo.vocab import LEVEL2
from jixiao.exante import rules as exante_rules
from jixiao.exante.models import AssessmentDimension, ExAnteAssessment
from jixiao.exante.workflows import AssessmentState
from jixiao.goals.models import GoalIndicator, GoalReview, GoalSheet, SheetKind
from jixiao.goals.workflows import GoalState, ReviewLevel
from jixiao.policy.schema import Conclusion, Grade

GENERATOR_USERNAME = "demo-generator"
GENERATOR_NAME = "演示数据（系统生成）"

G = GoalState
A = AssessmentState
KIND_FOR_SUBJECT = {SubjectKind.PROJECT: SheetKind.PROJECT, SubjectKind.POLICY: SheetKind.POLICY,
                    SubjectKind.DEPARTMENT_WIDE: SheetKind.DEPARTMENT_WIDE, SubjectKind.UNIT_WIDE: SheetKind.UNIT_WIDE,
                    SubjectKind.TRANSFER_PAYMENT: SheetKind.TRANSFER_PROJECT}
WHOLE_KINDS = (SubjectKind.DEPARTMENT_WIDE, SubjectKind.UNIT_WIDE)
QUALITATIVE_TARGETS = ("达成年度指标", "按计划完成", "持续发挥作用", "健全完善", "符合相关标准要求")
SYMBOLS = "≥≤＞＜＝><="
FAIR_COMMENTS = ("绩效指标未细化量化，部分指标值无法衡量，请补充数量指标并明确指标值后重新报送。",
                 "产出指标与项目内容关联不紧密，请按审核意见修改后重新报送。",
                 "效益指标表述笼统，请结合项目实际设置可衡量的效益指标。")
GOOD_COMMENTS = ("请将满意度指标值调整为不低于上年实际水平，并补充满意度调查方案。",
                 "请补充时效指标，明确完成时限。", "请细化质量指标的指标解释和数据来源。")
POOR_COMMENTS = ("绩效目标与部门职能和项目内容明显不符，指标无法衡量，不予通过。",)
DIMENSION_TEXT = {
    "necessity": "项目立项依据充分，符合国家和自治区相关政策，与部门职能和年度重点工作相匹配。",
    "economy": "投入测算依据基本充分，成本构成合理，单位成本与同类项目和支出标准相比处于合理区间。",
    "target_soundness": "绩效目标与项目内容相关，指标基本细化量化，指标值设定依据较为充分。",
    "feasibility": "实施方案基本可行，组织机构和管理制度健全，实施进度安排合理。",
    "funding_compliance": "资金来源渠道明确，筹资方式合规，不新增政府隐性债务。",
}


@dataclass(frozen=True, slots=True)
class LibIndicator:
    """What a goal-sheet row takes from a library indicator."""

    id: int
    name: str
    level1: str
    level2: str
    unit: str
    comparator: str
    explanation: str
    value_basis: str
    data_source: str
    evidence_type: str
    reference_value: str


@dataclass
class LibraryPool:
    """A region's active library indicators by domain and level key (see `vocab.LEVEL2`), and by sector."""

    by_domain: dict[str, dict[str, list[LibIndicator]]] = field(default_factory=dict)
    by_sector: dict[str, dict[str, list[LibIndicator]]] = field(default_factory=dict)

    def add(self, domain_code: str, sector_code: str, level_key: str, ind: LibIndicator) -> None:
        self.by_domain.setdefault(domain_code, {}).setdefault(level_key, []).append(ind)
        self.by_sector.setdefault(sector_code, {}).setdefault(level_key, []).append(ind)

    def pick(self, rng, domain_code: str, sector_code: str, level_key: str, k: int, taken: set[int]) -> list:
        out: list[LibIndicator] = []
        for pool in (self.by_domain.get(domain_code, {}).get(level_key, ()),
                     self.by_sector.get(sector_code, {}).get(level_key, ())):
            if len(out) >= k or not pool:
                continue
            for _ in range(3 * k):
                ind = pool[int(rng.random() * len(pool))]
                if ind.id not in taken:
                    taken.add(ind.id)
                    out.append(ind)
                    if len(out) >= k:
                        break
        return out


def generator_user():
    """The (inactive, password-less) author of generated goal sheets, reviews and assessments."""
    from jixiao.organisations.models import User

    user = User.objects.filter(username=GENERATOR_USERNAME).first()
    if user is None:
        user = User.objects.create_user(username=GENERATOR_USERNAME, password=None, full_name=GENERATOR_NAME)
        user.is_active = False
        user.save(update_fields=["is_active"])
    return user


def default_as_of(year: int, today: date | None = None) -> date:
    """The day generated data describes: today for the current (or a future) year, 31 December for a past one."""
    today = today or timezone.localdate()
    return date(year, 12, 31) if year < today.year else today


@lru_cache(maxsize=200_000)
def add_working_days(day: date, n: int) -> date:
    """`jixiao.core.calendar.add_working_days`, remembered (the same few hundred days come back all the time)."""
    return _add_working_days(day, n)


@lru_cache(maxsize=200_000)
def back_working_days(day: date, n: int) -> date:
    """The day `n` working days before `day` (`add_working_days` backwards)."""
    while not is_working_day(day):
        day -= timedelta(days=1)
    counted = 0
    while counted < n:
        day -= timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def _split_points(total: int, n: int) -> list[int]:
    base, extra = divmod(total, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def _target(rng, ind: LibIndicator) -> str:
    """The row's target value as written in 指标值: the library's reference value without its symbol and unit."""
    if ind.comparator == "qualitative":
        return QUALITATIVE_TARGETS[int(rng.random() * len(QUALITATIVE_TARGETS))]
    text = ind.reference_value.lstrip(SYMBOLS).strip()
    if ind.unit and text.endswith(ind.unit):
        text = text[: -len(ind.unit)]
    return text.strip() or "100"


@dataclass
class _SheetSpec:
    subject: object  # PerformanceSubject (saved)
    domain_code: str
    sector_code: str
    flags: str
    state: str
    kind: str
    frame_code: str
    category: str
    is_key: bool
    created: datetime
    updated: datetime
    submitted: datetime | None = None
    review_due: date | None = None
    review_level: str = ""
    review_round: int = 0
    last_grade: str = ""
    resubmit_due: date | None = None
    reviews: list = field(default_factory=list)  # (round, level, grade, at, comment)


class GoalStage:
    """Writes the goal sheets, reviews and assessments of one plan's subjects (see the module docstring)."""

    def __init__(self, gen, params, as_of: date):
        self.gen = gen
        self.params = params
        self.goals = params.goals
        self.review = params.goal_review
        self.as_of = as_of
        self.year = gen.year
        self.user = generator_user()
        self.tz = timezone.get_current_timezone()
        self.review_days = self.review.review_working_days or 10
        self.key_amount = self.review.money("key_project_amount_yuan")
        self.points = self.review.points
        bands = sorted(((b.lower, b.grade) for b in self.review.key_point_bands), reverse=True)
        self.bands: dict[str, tuple[Decimal, Decimal]] = {}
        upper = Decimal(100)
        for lower, grade in bands:
            self.bands[str(grade)] = (Decimal(lower), upper)
            upper = Decimal(lower) - Decimal("0.1")
        self.json = (lambda v: json.dumps(v, ensure_ascii=False))
        self.adapt_dt = connection.ops.adapt_datetimefield_value
        self.adapt_d = connection.ops.adapt_datefield_value
        self.input_words = tuple(w for w in self.goals.input_words if w)
        self._variants: dict[tuple[str, bool], list] = {}
        self._targets: dict[int, str] = {}
        self._input: dict[int, bool] = {}
        self._frames: dict[str, dict] = {}
        self.standards = self._standards()

    def _input_word(self, ind: LibIndicator) -> bool:
        found = self._input.get(ind.id)
        if found is None:
            found = self._input[ind.id] = any(w in ind.name for w in self.input_words)
        return found

    def _standards(self) -> list[tuple[str, str, Decimal]]:
        """The spending standards a cost row may be checked against (the generated examples): name, keywords,
        yuan per unit."""
        from jixiao.costs.models import SpendingStandard

        return [(name, keywords or "", amount.yuan) for name, keywords, amount in SpendingStandard.objects.filter(
            is_active=True).order_by("code").values_list("name", "keywords", "amount")]

    def cost_target(self, name: str, unit: str, target: str) -> str:
        """A cost row under a spending standard stays within it: 90% of the standard, in the row's unit."""
        for std_name, keywords, yuan in self.standards:
            if matches(name, standard_name=std_name, keywords=keywords):
                value = yuan * Decimal("0.9")
                if unit.startswith("万元"):
                    value = value / 10000
                elif not unit.startswith("元"):
                    return target
                return format(value.quantize(Decimal("0.01")).normalize(), "f")
        return target

    # -- helpers -----------------------------------------------------------------------------------------------------
    def at(self, day: date, rng) -> datetime:
        return datetime.combine(day, time(9 + int(rng.random() * 8), int(rng.random() * 60)), tzinfo=self.tz)

    def dt(self, value: datetime | None):
        return None if value is None else self.adapt_dt(value)

    def d(self, value: date | None):
        return None if value is None else self.adapt_d(value)

    def frame_code(self, subject, category: str) -> str:
        goals = self.goals
        if subject.special_category == "special_bond":
            return goals.special_bond_frame
        if category and category in [str(c) for c in goals.cost_required_categories]:
            return goals.project_cost_frame
        return goals.project_frame

    @staticmethod
    def category(flags: str, name: str) -> str:
        if "信息系统" in name or "信息化" in name or "数字化" in name:
            return "information_system"
        if "H" in flags or "L" in flags:
            return "construction"
        if "C" in flags and ("维修" in name or "改造" in name or "购置" in name):
            return "major_repair_purchase"
        return ""

    # -- the plan ----------------------------------------------------------------------------------------------------
    def run(self, plan, drafts, pool: LibraryPool | None, marks: dict[int, str]) -> None:
        """`marks`: subject pk → "none" (no sheet) or "draft" (a draft sheet), for the demo logins."""
        rng = self.gen.rng("goal-sheets", plan.region.code)
        specs: list[_SheetSpec] = []
        for d in drafts:
            spec = self._spec(rng, d, marks.get(d.subject.pk))
            if spec is not None:
                specs.append(spec)
        self._write_sheets(plan, specs)
        ids = dict(GoalSheet.objects.filter(region=plan.region, fiscal_year=self.gen.fiscal_year)
                   .values_list("subject_id", "id"))
        self._write_rows(plan, specs, ids, pool)
        self._write_reviews(plan, specs, ids)
        self._assessments(plan, drafts, marks)

    def _spec(self, rng, d, mark: str | None) -> _SheetSpec | None:
        s = d.subject
        unit_level = s.unit_id is not None
        r = rng.random()
        state = self._state(r, s.state, unit_level, mark, rng.random(), s.kind == SubjectKind.DEPARTMENT_WIDE)
        if state is None:
            return None
        category = self.category(d.flags, s.name) if s.kind == SubjectKind.PROJECT else ""
        is_key = self.key_amount is not None and not (s.current_amount < self.key_amount)
        domain = d.domain
        spec = _SheetSpec(subject=s, domain_code=domain.code if domain else "",
                          sector_code=domain.sector_code if domain else "", flags=d.flags, state=state,
                          kind=KIND_FOR_SUBJECT.get(s.kind, SheetKind.PROJECT),
                          frame_code=self.frame_code(s, category), category=category, is_key=is_key,
                          created=self.at(date(self.year - 1, 9, 1), rng), updated=self.at(date(self.year - 1, 9, 1),
                                                                                          rng))
        self._timeline(rng, spec, unit_level)
        return spec

    @staticmethod
    def _state(r: float, subject_state: str, unit_level: bool, mark: str | None, r2: float,
               department_wide: bool) -> str | None:
        if mark == "none":
            return None
        if mark == "draft":
            return G.DRAFT
        if subject_state == SubjectState.APPROVED:
            if r < 0.03 and not department_wide:  # passed, to be approved with a budget adjustment
                return G.PASSED
            return G.ISSUED if unit_level and r2 < 0.75 else G.APPROVED
        if subject_state == SubjectState.DEPARTMENT_APPROVED:
            return G.DEPARTMENT_PASSED if r < 0.6 else G.PASSED if r < 0.85 else G.EDITS_REQUESTED
        if subject_state == SubjectState.SUBMITTED:
            if not unit_level:
                return G.DEPARTMENT_PASSED if r < 0.85 else G.DRAFT
            return G.SUBMITTED if r < 0.8 else G.EDITS_REQUESTED if r < 0.9 else G.DRAFT
        if subject_state == SubjectState.RETURNED:
            return G.RETURNED if r < 0.55 else G.REJECTED if r < 0.7 else G.DRAFT
        return None if r < 0.5 else G.DRAFT  # a draft subject

    def _grade(self, rng, good_share: float) -> str:
        return Grade.GOOD if rng.random() < good_share else Grade.EXCELLENT

    def _timeline(self, rng, spec: _SheetSpec, unit_level: bool) -> None:
        """Reviews (round, level, grade, date) and the sheet's dates, review level and deadline."""
        state = spec.state
        dept, fin = ReviewLevel.DEPARTMENT, ReviewLevel.FINANCE
        settled = spec.subject.state == SubjectState.APPROVED
        reviews: list[tuple[int, str, str]] = []  # (round, level, grade)
        rnd = 1
        if state in (G.DEPARTMENT_PASSED, G.PASSED, G.APPROVED, G.ISSUED):
            if state != G.DEPARTMENT_PASSED and rng.random() < 0.08:  # returned once as 中, passed on resubmission
                if unit_level:
                    reviews.append((1, dept, Grade.EXCELLENT))
                reviews.append((1, fin, Grade.FAIR))
                rnd = 2
            if unit_level:
                reviews.append((rnd, dept, self._grade(rng, 0.2)))
            if state != G.DEPARTMENT_PASSED:
                reviews.append((rnd, fin, self._grade(rng, 0.25)))
            level = fin
        elif state == G.EDITS_REQUESTED:
            level = fin if spec.subject.state == SubjectState.DEPARTMENT_APPROVED or not unit_level else dept
            if level == fin and unit_level:
                reviews.append((1, dept, Grade.EXCELLENT))
            reviews.append((1, level, Grade.GOOD))
        elif state in (G.RETURNED, G.REJECTED):
            level = dept if unit_level and rng.random() < 0.5 else fin
            if level == fin and unit_level:
                reviews.append((1, dept, Grade.EXCELLENT))
            reviews.append((1, level, Grade.FAIR if state == G.RETURNED else Grade.POOR))
        elif state == G.SUBMITTED:
            level = dept
            if rng.random() < 0.1:
                reviews.append((1, dept, Grade.FAIR))
                rnd = 2
        else:  # draft
            level = ""
            rnd = 0
        spec.review_round = rnd if state != G.DRAFT else 0
        spec.review_level = level
        # dates: settled sheets in the autumn before the year; the others counting back from as_of
        steps = len(reviews)
        if settled or state in (G.APPROVED, G.ISSUED):
            start = date(self.year - 1, 9, 1) + timedelta(days=int(rng.random() * 50))
            day = start
            dated = []
            for rv in reviews:
                day = add_working_days(day, 2 + int(rng.random() * 7))
                dated.append((*rv, day))
            submitted = start
            if reviews and reviews[0][0] != reviews[-1][0]:  # resubmitted: the last round's submission
                submitted = next(x[3] for x in dated if x[0] == reviews[-1][0])
            last = dated[-1][3] if dated else start
            spec.updated = self.at(max(last, date(self.year, 1, 20)) if state in (G.APPROVED, G.ISSUED) else last,
                                   rng)
        else:
            overdue = state in (G.SUBMITTED, G.DEPARTMENT_PASSED) and rng.random() < 0.15
            wait = (self.review_days + 1 + int(rng.random() * 25)) if overdue else int(rng.random() * self.review_days)
            level_start = back_working_days(self.as_of, wait)
            day = back_working_days(level_start, 1 + (steps + 1) * 4)
            dated = []
            for i, rv in enumerate(reviews):
                if i == steps - 1 and state in (G.DEPARTMENT_PASSED, G.EDITS_REQUESTED, G.RETURNED, G.REJECTED):
                    day = level_start
                else:
                    day = add_working_days(day, 2 + int(rng.random() * 2))
                    day = min(day, level_start)
                dated.append((*rv, day))
            submitted = level_start if state == G.SUBMITTED else back_working_days(level_start, 3)
            if state == G.DEPARTMENT_PASSED and not unit_level:
                submitted = level_start
            start = back_working_days(submitted, 5 + int(rng.random() * 10))
            if state in (G.SUBMITTED, G.DEPARTMENT_PASSED):
                spec.review_due = add_working_days(level_start, self.review_days)
            spec.updated = self.at(level_start, rng)
        spec.created = self.at(start, rng)
        if state != G.DRAFT:
            spec.submitted = self.at(submitted, rng)
        elif not settled:
            spec.updated = spec.created
        spec.reviews = [(rnd_, level_, grade, self.at(day, rng)) for rnd_, level_, grade, day in dated]
        if spec.reviews:
            spec.last_grade = str(spec.reviews[-1][2])
        if state == G.RETURNED and self.review.fair_resubmit_working_days is not None:
            spec.resubmit_due = add_working_days(dated[-1][3], self.review.fair_resubmit_working_days)

    # -- writing -----------------------------------------------------------------------------------------------------
    SHEET_COLUMNS = ["region_id", "department_id", "unit_id", "state", "lock_version", "revision", "subject_id",
                     "fiscal_year_id", "profile_id", "kind", "frame_code", "category", "allocation_method",
                     "has_quality_standard", "is_key", "overall_goal", "annual_goal", "duties", "main_tasks",
                     "policy_basis", "calculation_basis", "multi_year_benefit", "survey_plan", "budget_adjustment_ref",
                     "review_level", "review_round", "submitted_at", "review_due", "resubmit_due", "last_grade",
                     "created_by_id", "created_at", "updated_at"]

    def _write_sheets(self, plan, specs: list[_SheetSpec]) -> None:
        rng = self.gen.rng("goal-headers", plan.region.code)
        rows = []
        for spec in specs:
            s = spec.subject
            whole = s.kind in WHOLE_KINDS
            owner = plan_owner(s)
            if whole:
                duties = (f"{owner}依据“三定”规定履行{s.sector or '本行业'}领域公共管理和服务职能，"
                          f"组织实施年度重点工作任务，保障机构正常运转。")
                tasks = self._main_tasks(rng, s)
                annual = f"{self.year}年保障{owner}正常运转，完成年度重点工作任务，实现部门（单位）履职目标。"
                overall = annual
            else:
                duties, tasks = "", []
                core = s.name.removeprefix(f"{self.year}年")
                annual = f"{self.year}年按计划完成{core}各项任务，实现预期产出和效益。"
                overall = (f"实施期内（{s.start_date:%Y年%m月}至{s.end_date:%Y年%m月}）全面完成{core}建设内容，"
                           f"项目效益持续发挥。") if s.end_date.year > self.year else annual
            survey = "采用抽样问卷调查，有效样本不少于30份，于项目完成后1个月内开展。"
            multi_year = ("项目建成后预计使用年限不少于10年，长期发挥效益。"
                          if spec.category in ("construction", "major_repair_purchase") else "")
            allocation = "factor" if s.kind == SubjectKind.TRANSFER_PAYMENT else ""
            rows.append((
                s.region_id, s.department_id, s.unit_id, spec.state, 1, 1, s.pk, self.gen.fiscal_year.pk, None,
                spec.kind, spec.frame_code, spec.category, allocation,
                spec.category in ("construction", "information_system"), spec.is_key, overall, annual, duties,
                self.json(tasks), f"《{s.sector or '相关'}领域“十四五”发展规划》及上级相关文件",
                f"按{self.year}年度工作量和相关支出标准测算" if not whole else "按部门（单位）预算编制口径测算",
                multi_year, survey, "", spec.review_level, spec.review_round, self.dt(spec.submitted),
                self.d(spec.review_due), self.d(spec.resubmit_due), spec.last_grade, self.user.pk,
                self.dt(spec.created), self.dt(spec.updated)))
        self.gen.insert_rows(GoalSheet, self.SHEET_COLUMNS, rows)

    def _main_tasks(self, rng, s) -> list[dict]:
        amount = s.annual_amount.fen
        parts = [0.5, 0.3, 0.2]
        names = ("保障机构正常运转", "履行行业管理和公共服务职能", "完成年度重点项目")
        return [{"name": n, "content": f"{n}，按年度计划组织实施。",
                 "amount": str(Money(int(amount * p) // 100 * 100).yuan)} for n, p in zip(names, parts, strict=True)]

    ROW_COLUMNS = ["sheet_id", "position", "level1", "level2", "name", "comparator", "target_value", "unit", "weight",
                   "explanation", "value_basis", "value_method", "data_source", "evidence_type", "value_note",
                   "indicator_id", "indicator_version", "propose_to_library"]

    def _composition(self, rng, spec: _SheetSpec, cost_group: bool) -> list[tuple[str, int]]:
        """(level key, how many rows) for a sheet; a frame with a cost group always gets cost rows."""
        r = rng.random
        whole = spec.subject.kind in WHOLE_KINDS
        n = 3 + int(r() * 3) if whole else 2 + int(r() * 3)
        q = 2 if whole else 1 + int(r() < 0.5)
        if spec.is_key:
            n += 1 + int(r() < 0.5)
            q += 1
        cost = 1 if cost_group or spec.category in ("construction", "major_repair_purchase") else int(r() < 0.35)
        out = [("n", n), ("q", q), ("t", 1), ("c", cost), ("e", int(r() < 0.3)), ("s", 1 + int(r() < 0.4)),
               ("g", int(r() < 0.15)), ("u", int(r() < 0.6)), ("m", int(r() < 0.85))]
        return [(k, c) for k, c in out if c]

    def _write_rows(self, plan, specs: list[_SheetSpec], ids: dict[int, int], pool: LibraryPool | None) -> None:
        if pool is None:
            return
        rng = self.gen.rng("goal-rows", plan.region.code)
        targets = self._targets  # a quantitative indicator's target, worked out once
        rows: list[tuple] = []
        basis_standard = "spending_standard"
        for spec in specs:
            sheet_id = ids.get(spec.subject.pk)
            if sheet_id is None:
                continue
            frame = self._frames.get(spec.frame_code)
            if frame is None:
                frame = self._frames[spec.frame_code] = self._frame(spec.frame_code)
            taken: set[int] = set()
            groups: dict[str, list[tuple[str, LibIndicator]]] = {}
            for key, count in self._composition(rng, spec, "cost" in frame):
                level1, level2 = LEVEL2[key]
                if key == "c" and "cost" in frame:
                    level1, level2 = "cost", frame["cost"][1][0]
                if level1 not in frame or level2 not in frame[level1][1]:
                    continue
                for ind in pool.pick(rng, spec.domain_code, spec.sector_code, key, count, taken):
                    if key != "c" and self._input_word(ind):
                        continue  # input quantities are no goals (the rules refuse them)
                    groups.setdefault(level1, []).append((level2, ind))
            weights = {level1: w for level1, (w, _l2) in frame.items()}
            if "satisfaction" in weights and "satisfaction" not in groups:
                target = str(self.goals.no_satisfaction_weight_to)
                weights[target] = weights.get(target, 0) + weights.pop("satisfaction")
            position = 0
            for level1 in ("cost", "output", "benefit", "satisfaction"):
                items = groups.get(level1)
                if not items:
                    continue
                points = _split_points(int(weights.get(level1, 0)), len(items))
                for (level2, ind), w in zip(items, points, strict=True):
                    position += 1
                    if ind.comparator == "qualitative":
                        target = _target(rng, ind)
                    else:
                        target = targets.get(ind.id)
                        if target is None:
                            target = targets[ind.id] = _target(rng, ind)
                            if self.standards and (level1 == "cost" or "成本" in level2):
                                target = targets[ind.id] = self.cost_target(ind.name, ind.unit, target)
                    rows.append((sheet_id, position, level1, level2, ind.name, ind.comparator, target,
                                 ind.unit, Decimal(w), ind.explanation,
                                 ind.value_basis or (basis_standard if level2 == "成本指标" else "plan"), "",
                                 ind.data_source, ind.evidence_type, "", ind.id, 1, False))
            if len(rows) >= 200_000:
                self.gen.insert_rows(GoalIndicator, self.ROW_COLUMNS, rows)
                rows = []
        self.gen.insert_rows(GoalIndicator, self.ROW_COLUMNS, rows)

    def _frame(self, code: str) -> dict[str, tuple[int, list[str]]]:
        try:
            frame = self.goals.frame(code)
        except KeyError:
            frame = self.goals.frame(self.goals.project_frame)
        return {str(g.code): (int(g.weight), list(g.level2)) for g in frame.groups}

    REVIEW_COLUMNS = ["sheet_id", "revision", "round", "level", "mode", "reviewer_id", "point_grades", "point_scores",
                      "point_comments", "total_score", "grade", "outcome", "comment", "resubmit_due", "profile_id",
                      "at"]

    def _points(self, rng, grade: str, key: bool) -> tuple[dict, dict, Decimal | None]:
        """Point grades that give `grade` under the ordinary rule (and, for key projects, scores in its bands)."""
        codes = [p.code for p in self.points]
        n = len(codes)
        need = min(self.review.ordinary_min_points, n)
        order = codes[:]
        rng.shuffle(order)
        if grade == Grade.EXCELLENT:
            best = need + int(rng.random() * (n - need + 1))
            grades = {c: (Grade.EXCELLENT if i < best else Grade.GOOD) for i, c in enumerate(order)}
        elif grade == Grade.GOOD:
            best = int(rng.random() * need)
            grades = {c: (Grade.EXCELLENT if i < best else Grade.GOOD) for i, c in enumerate(order)}
        elif grade == Grade.FAIR:
            weak = n - need + 1  # too few 良 or better for 良, enough 中 or better for 中
            grades = {c: (Grade.FAIR if i < weak else Grade.GOOD) for i, c in enumerate(order)}
        else:
            weak = n - need + 1
            grades = {c: (Grade.POOR if i < weak else Grade.FAIR) for i, c in enumerate(order)}
        if not key:
            return {c: str(g) for c, g in grades.items()}, {}, None
        scores = {}
        total = Decimal(0)
        for p in self.points:
            low, high = self.bands.get(str(grade), (Decimal(0), Decimal(100)))
            pct = low + (high - low) * Decimal(int(rng.random() * 100)) / 100
            score = (Decimal(p.weight) * pct / 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            scores[p.code] = score
            total += score
        grades = {c: str(grade) for c in codes}  # a key project's points carry the grade their scores show
        return grades, {c: str(v) for c, v in scores.items()}, total

    VARIANTS = 16  # review forms per grade and mode, drawn once and reused (JSON ready)

    def _point_variant(self, rng, grade: str, key: bool) -> tuple[str, str, Decimal | None]:
        pool = self._variants.setdefault((str(grade), key), [])
        if len(pool) < self.VARIANTS:
            grades, scores, total = self._points(rng, grade, key)
            pool.append((self.json(grades), self.json(scores), total))
            return pool[-1]
        return pool[int(rng.random() * len(pool))]

    def _write_reviews(self, plan, specs: list[_SheetSpec], ids: dict[int, int]) -> None:
        rng = self.gen.rng("goal-reviews", plan.region.code)
        rows = []
        for spec in specs:
            sheet_id = ids.get(spec.subject.pk)
            if sheet_id is None:
                continue
            for rnd, level, grade, at in spec.reviews:
                grades, scores, total = self._point_variant(rng, grade, spec.is_key)
                comment = ""
                if grade == Grade.GOOD:
                    comment = GOOD_COMMENTS[int(rng.random() * len(GOOD_COMMENTS))]
                elif grade == Grade.FAIR:
                    comment = FAIR_COMMENTS[int(rng.random() * len(FAIR_COMMENTS))]
                elif grade == Grade.POOR:
                    comment = POOR_COMMENTS[0]
                rows.append((sheet_id, 1, rnd, level, "key" if spec.is_key else "ordinary", self.user.pk,
                             grades, scores, "{}", total, str(grade), str(grade),
                             comment, None, None, self.dt(at)))
        self.gen.insert_rows(GoalReview, self.REVIEW_COLUMNS, rows)

    # -- ex-ante assessments -----------------------------------------------------------------------------------------
    ASSESSMENT_COLUMNS = [
        "region_id", "department_id", "unit_id", "state", "lock_version", "revision", "subject_id", "fiscal_year_id",
        "profile_id", "requirement", "requirement_reasons", "exemption_kind", "exemption_reason", "method", "process",
        "conclusion", "supported_parts", "unsupported_parts", "suggestions", "other_issues", "expert_opinion",
        "agency_opinion", "expert_meeting_date", "report_due", "requested_amount", "approved_amount",
        "review_amount_note", "output_name", "output_unit", "finance_opinion", "finance_opinion_text",
        "submitted_at", "opinion_due", "opinion_at", "blocked_until", "created_by_id", "created_at", "updated_at"]

    def _assessments(self, plan, drafts, marks: dict[int, str]) -> None:
        ex = self.params.ex_ante
        rng = self.gen.rng("exante", plan.region.code)
        rows, full = [], []
        for d in drafts:
            s = d.subject
            facts = exante_rules.SubjectFacts(kind=s.kind, scope_kind=s.scope_kind, annual_amount=s.current_amount,
                                              total_amount=s.total_amount, government_investment=None,
                                              is_classified=s.is_classified)
            req = exante_rules.requirement_for(facts, ex)
            if req.requirement == "none":
                continue
            state = self._assessment_state(rng, s, req.requirement, marks.get(s.pk))
            if state is None:
                continue
            row, is_full = self._assessment_row(rng, s, req, state, ex)
            rows.append(row)
            if is_full and state not in (A.DRAFT, A.EXEMPTED):
                full.append((s.pk, state))
        self.gen.insert_rows(ExAnteAssessment, self.ASSESSMENT_COLUMNS, rows)
        if full:
            ids = dict(ExAnteAssessment.objects.filter(region=plan.region, subject_id__in=[pk for pk, _s in full])
                       .values_list("subject_id", "id"))
            dims = []
            for pk, state in full:
                good = state != A.NOT_SUPPORTED
                for i, dim in enumerate(ex.dimensions):
                    pct = (0.8 + 0.18 * rng.random()) if good else (0.4 + 0.25 * rng.random())
                    score = (Decimal(dim.weight) * Decimal(str(round(pct, 2)))).quantize(Decimal("0.01"))
                    dims.append((ids[pk], dim.code, dim.name, Decimal(dim.weight), score,
                                 DIMENSION_TEXT.get(dim.code, f"{dim.name}：符合要求。"), i))
            self.gen.insert_rows(AssessmentDimension, ["assessment_id", "code", "name", "weight", "score", "text",
                                                       "position"], dims)

    @staticmethod
    def _assessment_state(rng, s, requirement: str, mark: str | None) -> str | None:
        r = rng.random()
        if mark == "none":
            return None
        if s.state == SubjectState.APPROVED:
            return A.EXEMPTED if s.is_classified else A.SUPPORTED
        if s.state == SubjectState.DEPARTMENT_APPROVED:
            return A.SUPPORTED if r < 0.55 else A.SUBMITTED
        if s.state == SubjectState.SUBMITTED:
            if r < 0.4:
                return A.SUBMITTED
            if r < 0.7 and requirement in ("full", "finance"):
                return A.EXPERT_REVIEW
            return A.DRAFT
        if s.state == SubjectState.RETURNED:
            return A.NOT_SUPPORTED if r < 0.35 else A.RETURNED if r < 0.75 else A.DRAFT
        return None if r < 0.5 or mark == "draft" else A.DRAFT

    def _assessment_row(self, rng, s, req, state: str, ex) -> tuple[tuple, bool]:
        is_full = req.requirement in ("full", "finance")
        annual = s.current_amount.fen
        # what was asked for: the budget is what survived the review (about half cut overall)
        cut_share = 0.0 if rng.random() < 0.2 else 0.4 + 0.3 * rng.random()
        requested = int(round(annual / (1 - cut_share), -6)) if cut_share else annual
        requested = max(requested, annual)
        decided = state in (A.SUPPORTED, A.NOT_SUPPORTED, A.EXEMPTED)
        settled = s.state == SubjectState.APPROVED
        if settled:
            submitted_day = date(self.year - 1, 9, 1) + timedelta(days=int(rng.random() * 60))
        else:
            submitted_day = back_working_days(self.as_of, 5 + int(rng.random() * 30))
        opinion_due = add_working_days(submitted_day, ex.finance_opinion_working_days)
        opinion_day = add_working_days(submitted_day, 3 + int(rng.random() * ex.finance_opinion_working_days))
        opinion_day = min(opinion_day, self.as_of) if not settled else opinion_day
        approved = None
        conclusion = finance_opinion = opinion_text = ""
        blocked = None
        exemption_kind = exemption_reason = ""
        if state == A.SUPPORTED:
            approved = annual
            conclusion = Conclusion.PARTIAL_SUPPORT if cut_share else Conclusion.SUPPORT
            finance_opinion = Conclusion.SUPPORT
            opinion_text = "同意入库。" + (f"核减{Money(requested - annual).format_wan()}万元。" if cut_share else "")
        elif state == A.NOT_SUPPORTED:
            requested = max(requested, annual)
            conclusion = finance_opinion = Conclusion.NO_SUPPORT
            opinion_text = "立项必要性不足，实施方案不成熟，不予支持。"
            blocked = opinion_day + timedelta(days=ex.reapply_block_days)
        elif state == A.RETURNED:
            conclusion = Conclusion.SUPPORT_AFTER_CHANGES
            finance_opinion = Conclusion.SUPPORT_AFTER_CHANGES
            opinion_text = "请按专家意见调整完善实施方案和绩效目标后重新报送。"
        elif state == A.EXEMPTED:
            exemption_kind = "classified"
            exemption_reason = "项目涉及国家秘密，已按规定备案，申请免于事前绩效评估。"
            requested = annual
        method = ("采用专家评审与现场调研相结合的方式，运用成本效益分析法、比较法开展评估。" if is_full
                  else "采用简易评估方式，由主管部门组织对项目必要性、绩效目标和资金测算进行审核。")
        created = self.at(back_working_days(submitted_day, 10), rng)
        submitted_at = self.at(submitted_day, rng) if state not in (A.DRAFT, A.EXPERT_REVIEW) else None
        opinion_at = self.at(opinion_day, rng) if decided or state == A.RETURNED else None
        updated = opinion_at or submitted_at or created
        row = (s.region_id, s.department_id, s.unit_id, state, 1, 1, s.pk, self.gen.fiscal_year.pk, None,
               req.requirement, self.json(list(req.reasons)), exemption_kind, exemption_reason, method,
               "部门自评、专家评审、形成评估报告。" if is_full else "", str(conclusion),
               "" if state != A.SUPPORTED or not cut_share else "项目主体内容", "", "", "",
               "经评审，项目总体可行。" if is_full and decided else "", "",
               self.d(back_working_days(submitted_day, 3)) if is_full else None,
               self.d(add_working_days(submitted_day, ex.report_working_days)) if is_full else None,
               requested, approved, "", "", "", str(finance_opinion), opinion_text, self.dt(submitted_at),
               self.d(opinion_due) if submitted_at else None, self.dt(opinion_at), self.d(blocked), self.user.pk,
               self.dt(created), self.dt(updated))
        return row, is_full


def plan_owner(s) -> str:
    return s.name.split(str(s.fiscal_year.year) + "年")[0] if s.kind in WHOLE_KINDS else ""


# -- subjects' 立项性质 (decides whether an assessment is required) -------------------------------------------------

def scope_kinds(rng, drafts, year: int) -> None:
    """New subjects are new (新出台); most others continue unchanged, a few are renewed at the end of their period or
    substantially changed (these need an assessment again)."""
    for d in drafts:
        s = d.subject
        r = rng.random()
        if s.kind in WHOLE_KINDS or s.budget_kind in ("social_insurance", "state_capital"):
            s.scope_kind = ScopeKind.CONTINUING  # statutory funds and whole budgets are no new decisions
        elif s.is_new:
            s.scope_kind = ScopeKind.NEW
        elif r < 0.05:
            s.scope_kind = ScopeKind.CHANGED
        elif r < 0.09 or (s.kind == SubjectKind.POLICY and s.start_date and s.start_date.year < year - 2
                          and r < 0.2):
            s.scope_kind = ScopeKind.RENEWED
        else:
            s.scope_kind = ScopeKind.CONTINUING


