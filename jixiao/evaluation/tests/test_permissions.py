"""The permission matrix for self-evaluation sheets and spot-check items: role × organisation × action, through
`scope()` (lists, API) and `can()` (one sheet), which must agree."""

import pytest

from jixiao.core.money import Money
from jixiao.core.permissions import Action, actor_for, can, scope
from jixiao.evaluation import services, spot_checks
from jixiao.evaluation.models import SelfEvaluation
from jixiao.evaluation.selectors import spot_check_items
from jixiao.monitoring.tests.helpers import actor, in_budget

pytestmark = pytest.mark.django_db
A = Action
KEYS = ["a1", "a2", "b1", "a1_secret"]
CITY = set(KEYS)
SHEETS = {  # user → action → sheets (draft) the user may act on
    "finance_admin": {A.VIEW: CITY, A.APPROVE: CITY},
    "county_admin": {},
    "province_admin": {},
    "officer_a": {A.VIEW: {"a1", "a2", "a1_secret"}, A.APPROVE: {"a1", "a2", "a1_secret"}},
    "clerk_a": {A.VIEW: {"a1", "a2", "a1_secret"}, A.EDIT: {"a1", "a2", "a1_secret"},
                A.SUBMIT: {"a1", "a2", "a1_secret"}, A.REVIEW: {"a1", "a2", "a1_secret"}},
    "clerk_b": {A.VIEW: {"b1"}, A.EDIT: {"b1"}, A.SUBMIT: {"b1"}, A.REVIEW: {"b1"}},
    "unit_a1": {A.VIEW: {"a1", "a1_secret"}, A.EDIT: {"a1", "a1_secret"}, A.SUBMIT: {"a1", "a1_secret"}},
    "unit_a2": {A.VIEW: {"a2"}, A.EDIT: {"a2"}, A.SUBMIT: {"a2"}},
    "agency_yes": {A.VIEW: {"a1"}, A.CONTRIBUTE: {"a1"}},  # granted a1 and a1_secret; never a classified one
    "agency_no": {},
    "expert": {A.VIEW: {"b1"}, A.CONTRIBUTE: {"b1"}},
    "overseer": {A.VIEW: CITY - {"a1_secret"}},
}
ACTIONS = [A.VIEW, A.EDIT, A.SUBMIT, A.REVIEW, A.APPROVE, A.CONTRIBUTE]
CASES = [(u, a) for u in SHEETS for a in ACTIONS]


@pytest.fixture
def sheets(cast):
    for key in KEYS:
        in_budget(cast, cast.subjects[key], annual_amount=Money.from_yuan("100000"))
    rnd = services.round_create(actor=actor(cast), region=cast.city, year=cast.year.year)
    return {k: SelfEvaluation.objects.get(round=rnd, subject=cast.subjects[k]) for k in KEYS}


@pytest.mark.parametrize("user,action", CASES, ids=[f"{u}-{a}" for u, a in CASES])
def test_sheet_matrix(cast, sheets, user, action):
    a = actor_for(cast.users[user])
    by_pk = {e.pk: k for k, e in sheets.items()}
    by_scope = {by_pk[pk] for pk in scope(a, action, SelfEvaluation.objects.all()).values_list("pk", flat=True)}
    by_can = {k for k, e in sheets.items() if can(a, action, e)}
    expected = set(SHEETS[user].get(action, set()))
    assert by_scope == expected, f"scope: {user} {action}"
    assert by_can == expected, f"can: {user} {action}"


def test_agencies_see_only_the_spot_check_items_they_were_commissioned_for(cast, sheets):
    SelfEvaluation.objects.update(state="submitted")
    rnd = sheets["a1"].round
    rnd_params = services.round_policy(rnd)
    assert rnd_params.spot_check.sample_rate_pct > 0
    check = spot_checks.draw(actor=actor(cast), rnd=rnd, seed=1)
    items = list(check.items.all())
    first = next((i for i in items if not i.subject.is_classified), None)
    if first is not None:
        spot_checks.assign(actor=actor(cast), item=first, agency=cast.agency_no)
    seen = {name: set(spot_check_items(actor(cast, name), check).values_list("pk", flat=True))
            for name in ("finance_admin", "agency_yes", "agency_no", "unit_a2")}
    assert seen["finance_admin"] == {i.pk for i in items}
    assert seen["agency_yes"] == set()  # its grant on a1 is for another purpose and no item is its own
    assert seen["agency_no"] == ({first.pk} if first else set())
    assert seen["unit_a2"] <= {i.pk for i in items if i.subject_id == cast.subjects["a2"].pk}
