"""Spot checks end to end on the cast: the draw from the recorded seed, commissioning an agency, the agency's
re-check line by line, the bureau's confirmation, the gap and the inflation flag; who may do what."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jixiao.budget.models import SubjectGrant
from jixiao.core.money import Money
from jixiao.evaluation import services, spot_checks
from jixiao.evaluation.models import SelfEvaluation, SpotCheckItem
from jixiao.evaluation.tests.test_services import filled_lines
from jixiao.monitoring.tests.helpers import actor, in_budget
from jixiao.policy import services as policy_services

pytestmark = pytest.mark.django_db
Y = Money.from_yuan


def make_round(cast):
    for key in ("a1", "a2", "b1"):
        in_budget(cast, cast.subjects[key], annual_amount=Y("1200000"),
                  spent_by_month={3: "300000", 9: "500000", 12: "280000"})
    rnd = services.round_create(actor=actor(cast), region=cast.city, year=cast.year.year)
    clerks = {cast.subjects["a1"].pk: "unit_a1", cast.subjects["a2"].pk: "unit_a2", cast.subjects["b1"].pk: "clerk_b"}
    for ev in SelfEvaluation.objects.filter(round=rnd):
        who = actor(cast, clerks[ev.subject_id])
        services.evaluation_save(actor=who, evaluation=ev, data={"lines": filled_lines(ev), "achieved_goal": "完成"},
                                 expected_lock_version=ev.lock_version)
        ev.refresh_from_db()
        services.evaluation_transition(actor=who, evaluation=ev, name="submit")
    return rnd


@pytest.fixture
def rnd(cast):
    return make_round(cast)


@pytest.fixture
def rnd_full(cast):
    """A round whose profile samples every submitted sheet (a 100% rate), so the tests know what is drawn."""
    policy_services.profile_save(actor=actor(cast), region=cast.city, fiscal_year=cast.year.year,
                                 params={"spot_check": {"sample_rate_pct": "100"}}, comment="全部抽查",
                                 base_version=0)
    return make_round(cast)


def recheck_all(cast, item, who="agency_yes", *, qualitative="5", note="定性指标自评偏高"):
    lines = {}
    for ln in item.lines.select_related("line"):
        score = qualitative if ln.line.comparator == "qualitative" else str(ln.self_score)
        lines[str(ln.line.position)] = {"score": score, "note": ""}
    return spot_checks.recheck_save(actor=actor(cast, who), item=item, data={
        "execution_score": str(item.execution_score), "lines": lines, "note": note},
        expected_lock_version=item.lock_version)


def test_draw_is_the_profile_share_and_reproducible(cast, rnd):
    check = spot_checks.draw(actor=actor(cast), rnd=rnd, seed=12345)
    assert (check.population, check.target, check.rate_pct) == (3, 1, D("30.00"))  # ceil(30% × 3)
    assert check.items.count() == 1 and check.seed == 12345
    first = check.items.get().evaluation_id
    assert sum(s["drawn"] for s in check.strata) == 1
    with pytest.raises(ValidationError):  # once per round
        spot_checks.draw(actor=actor(cast), rnd=rnd)
    check.delete()
    again = spot_checks.draw(actor=actor(cast), rnd=rnd, seed=12345)
    assert again.items.get().evaluation_id == first


def test_only_the_bureau_draws(cast, rnd):
    for name in ("clerk_a", "unit_a1", "agency_yes", "county_admin"):
        with pytest.raises(PermissionDenied):
            spot_checks.draw(actor=actor(cast, name), rnd=rnd)


def test_agency_rechecks_and_the_bureau_confirms_the_inflated_gap(cast, rnd_full):
    check = spot_checks.draw(actor=actor(cast), rnd=rnd_full, seed=7)
    item = check.items.get(subject=cast.subjects["a2"])
    assert item.self_total == D("97.50") and item.lines.count() == 5
    spot_checks.assign(actor=actor(cast), item=item, agency=cast.agency_yes)
    assert SubjectGrant.objects.filter(subject=item.subject, agency=cast.agency_yes, purpose="抽查复核",
                                       is_active=True).exists()
    with pytest.raises(PermissionDenied):  # another agency
        recheck_all(cast, item, "agency_no")
    problems = recheck_all(cast, item, qualitative="1")  # 9 → 1: 8 points lower
    item.refresh_from_db()
    assert problems == {}
    assert (item.recheck_total, item.gap, item.inflated) == (D("89.50"), D("8.00"), False)  # 8 ≤ 10
    spot_checks.transition(actor=actor(cast, "agency_yes"), item=item, name="submit")
    with pytest.raises(PermissionDenied):
        spot_checks.transition(actor=actor(cast, "agency_yes"), item=item, name="confirm")
    spot_checks.transition(actor=actor(cast), item=item, name="return", comment="满意度复核依据不足")
    item.refresh_from_db()
    lines = {str(ln.line.position): {"score": str(ln.self_score)} for ln in item.lines.select_related("line")}
    sat = item.lines.select_related("line").get(line__name="受助学生满意度")
    lines[str(sat.line.position)] = {"score": "5", "note": "满意度调查样本不足"}
    spot_checks.recheck_save(actor=actor(cast, "agency_yes"), item=item,
                             data={"lines": lines, "note": "满意度无有效调查"}, expected_lock_version=item.lock_version)
    item.refresh_from_db()
    qual = item.lines.select_related("line").get(line__comparator="qualitative")
    assert qual.score == D(9)  # back to the self score in the re-submitted lines
    assert (item.recheck_total, item.gap, item.inflated) == (D("92.50"), D("5.00"), False)
    version = rnd_full.profile_id
    policy_services.profile_save(actor=actor(cast), region=cast.city, fiscal_year=cast.year.year,
                                 params={"spot_check": {"sample_rate_pct": "100", "inflation_gap_points": "4"}},
                                 comment="分差4分", base_version=1)
    assert SelfEvaluation.objects.filter(round=rnd_full).first().round.profile_id == version
    # the limit was recorded with the draw: a later profile change does not move it
    spot_checks.transition(actor=actor(cast, "agency_yes"), item=item, name="submit")
    spot_checks.transition(actor=actor(cast), item=item, name="confirm")
    item.refresh_from_db()
    assert item.state == "confirmed" and item.inflated is False
    check.refresh_from_db()
    assert check.summary["confirmed"] == 1 and check.summary["average_gap"] == "5.00"


def test_a_gap_over_the_limit_is_inflated(cast, rnd_full):
    check = spot_checks.draw(actor=actor(cast), rnd=rnd_full, seed=7)
    item = check.items.get(subject=cast.subjects["a2"])
    lines = {str(ln.line.position): {"score": "0"} for ln in item.lines.select_related("line")}
    spot_checks.recheck_save(actor=actor(cast), item=item, data={"execution_score": "9", "lines": lines,
                                                                 "note": "佐证材料缺失"},
                             expected_lock_version=item.lock_version)
    item.refresh_from_db()
    assert (item.recheck_total, item.gap, item.inflated, item.recheck_grade) == (D(9), D("88.50"), True, "poor")
    with pytest.raises(ValidationError):  # the bureau's own re-check is confirmed, not submitted
        spot_checks.transition(actor=actor(cast), item=item, name="submit")
    from jixiao.evaluation.selectors import inflated_by_department

    assert inflated_by_department(cast.city.pk, cast.year.year) == {}  # only confirmed re-checks count
    spot_checks.transition(actor=actor(cast), item=item, name="confirm")
    check.refresh_from_db()
    assert check.summary["inflated"] == 1
    assert inflated_by_department(cast.city.pk, cast.year.year) == {cast.dept_a.pk: 1}


def test_recheck_scores_are_checked(cast, rnd_full):
    item = spot_checks.draw(actor=actor(cast), rnd=rnd_full, seed=7).items.get(subject=cast.subjects["a2"])
    first = item.lines.select_related("line").order_by("line__position").first()
    with pytest.raises(ValidationError) as err:
        spot_checks.recheck_save(actor=actor(cast), item=item, data={
            "execution_score": "11", "lines": {str(first.line.position): {"score": "999"}, "77": {"score": "1"}}},
            expected_lock_version=item.lock_version)
    fields = err.value.message_dict
    assert "execution_score" in fields and f"lines.{first.line.position + 1}.score" in fields and "lines" in fields
    with pytest.raises(ValidationError) as err:
        spot_checks.transition(actor=actor(cast), item=item, name="confirm")
    assert "execution_score" not in err.value.message_dict  # copied from the self-evaluation at the draw
    assert any(k.startswith("lines.") for k in err.value.message_dict)


def test_classified_subjects_are_not_given_to_agencies(cast, rnd_full):
    item = spot_checks.draw(actor=actor(cast), rnd=rnd_full, seed=7).items.first()
    item.subject.is_classified = True
    item.subject.save(update_fields=["is_classified"])
    item = SpotCheckItem.objects.get(pk=item.pk)
    with pytest.raises(ValidationError) as err:
        spot_checks.assign(actor=actor(cast), item=item, agency=cast.agency_yes)
    assert "涉密" in str(err.value)


def test_must_include_last_years_inflated_units(cast, rnd):
    from jixiao.evaluation.sampling import Candidate

    pool = spot_checks.candidates(rnd)
    assert len(pool) == 3 and all(isinstance(c, Candidate) for c in pool)
    assert spot_checks._inflated_units(rnd) == frozenset()
