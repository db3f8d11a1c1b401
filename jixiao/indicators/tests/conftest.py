import pytest


@pytest.fixture(autouse=True)
def _fresh_search_index():
    """Each test starts with an empty per-process search index (the database is rolled back between tests)."""
    from jixiao.indicators.search import library_search

    library_search.reset()
    yield
    library_search.reset()


@pytest.fixture
def sectors(db):
    from jixiao.indicators.services import sector_seed_defaults

    sector_seed_defaults()
    from jixiao.indicators.models import Sector

    return {s.name: s for s in Sector.objects.all()}


@pytest.fixture
def curator(cast):
    from jixiao.core.permissions import actor_for

    return actor_for(cast.finance_admin)
