import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Import jobs store the uploaded file; keep them out of the working tree.
    settings.MEDIA_ROOT = tmp_path / "media"
