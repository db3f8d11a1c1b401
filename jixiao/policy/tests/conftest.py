import pytest

from jixiao.core.permissions import actor_for
from jixiao.organisations.models import Role
from jixiao.policy.schema import PolicyParams


@pytest.fixture
def actors(cast):
    """Actors of the cast by name, built fresh (no cached grants between tests)."""
    return lambda name: actor_for(cast.users[name])


@pytest.fixture
def root_sysadmin(cast):
    """A sysadmin at the top region (the only one who may change the national default)."""
    from jixiao.core.testing import make_user

    return make_user("root_sysadmin", Role.SYSADMIN, cast.province, full_name="全省系统管理员")


def params_with(**changes) -> dict:
    """The national default as stored JSON, with dotted-path changes: params_with(**{"results.rectification_days": 30})."""
    data = PolicyParams().to_json()
    for path, value in changes.items():
        node = data
        parts = path.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[parts[-1]] = value
    return data
