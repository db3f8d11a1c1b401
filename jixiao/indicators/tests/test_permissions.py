"""Who reads, curates and proposes in the library: one table, checked on querysets (list), single objects (detail)
and the in-memory search filter, which must agree."""

import pytest

from jixiao.core.permissions import actor_for
from jixiao.indicators import selectors, services
from jixiao.indicators.models import Indicator
from jixiao.indicators.tests.factories import definition


@pytest.fixture
def libs(cast):
    sysadmin = actor_for(cast.sysadmin)
    out = {
        "national": services.indicator_create(actor=sysadmin, data=definition(name="全国指标"), region_id=None),
        "province": services.indicator_create(actor=actor_for(cast.province_admin), data=definition(name="省级指标")),
        "city": services.indicator_create(actor=actor_for(cast.finance_admin), data=definition(name="市级指标")),
        "county": services.indicator_create(actor=actor_for(cast.county_admin), data=definition(name="区级指标")),
        "draft_a": services.indicator_propose(actor=actor_for(cast.clerk_a), data=definition(name="教育局提议")),
    }
    retired = services.indicator_create(actor=actor_for(cast.finance_admin), data=definition(name="市级停用"))
    out["retired"] = services.indicator_retire(actor=actor_for(cast.finance_admin), indicator=retired)
    return out


# user → indicators they read
READS = {
    "sysadmin": {"national", "province", "city", "county", "draft_a", "retired"},
    "finance_admin": {"national", "province", "city", "draft_a", "retired"},
    "province_admin": {"national", "province"},
    "county_admin": {"national", "province", "city", "county"},
    "officer_a": {"national", "province", "city"},
    "clerk_a": {"national", "province", "city", "draft_a"},
    "clerk_b": {"national", "province", "city"},
    "unit_a1": {"national", "province", "city", "draft_a"},
    "agency_yes": {"national", "province", "city"},
    "expert": {"national", "province", "city"},
    "overseer": {"national", "province", "city"},
}
# user → indicators they curate
CURATES = {
    "sysadmin": {"national", "city", "county", "draft_a", "retired"},
    "finance_admin": {"city", "draft_a", "retired"},
    "province_admin": {"province"},
    "county_admin": {"county"},
}


@pytest.mark.parametrize("user", sorted(READS))
def test_read_and_curate_matrix(cast, libs, user):
    actor = actor_for(cast.users[user])
    by_pk = {ind.pk: key for key, ind in libs.items()}
    listed = {by_pk[pk] for pk in selectors.indicator_scope(actor).values_list("pk", flat=True)}
    assert listed == READS[user]
    access = selectors.library_access(actor)
    in_memory = {key for key, ind in libs.items() if access.can_read(ind.region_id, ind.status, ind.department_id)}
    assert in_memory == READS[user]
    curated = {key for key, ind in libs.items() if selectors.can_curate(actor, ind)}
    assert curated == CURATES.get(user, set())
    searched = {i.name for i in selectors.indicator_search(
        actor, selectors.LibraryFilters(q="指标", status="all"), page_size=50).items}
    assert searched == {libs[k].name for k in READS[user] if "指标" in libs[k].name}


def test_anonymous_reads_nothing(libs):
    from jixiao.core.permissions import ANONYMOUS

    assert not selectors.indicator_scope(ANONYMOUS).exists()
    assert Indicator.objects.count() == 6
