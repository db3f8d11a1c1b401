import os

import pytest

os.environ.setdefault("JIXIAO_TESTING", "1")


@pytest.fixture
def cast(db):
    from jixiao.core.testing import build_cast

    return build_cast()


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
