import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Import jobs store the uploaded file; keep them out of the working tree.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _without_goals_gate():
    """The project library's own tests run without the goals app's gate (no budget without approved goals), which
    `jixiao/goals/tests/test_gate.py` tests on every path. Re-installed afterwards."""
    from jixiao.budget import hooks
    from jixiao.goals import gate

    hooks.unregister_transition_check(gate.transition_check)
    hooks.unregister_import_check(gate.import_check)
    yield
    gate.install()
