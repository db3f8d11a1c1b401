from io import StringIO

from django.core.management import call_command

from jixiao.policy import selectors
from jixiao.policy.models import PolicyProfile


def test_load_policy_presets_is_idempotent(db):
    out = StringIO()
    call_command("load_policy_presets", "--year", "2025", "--year", "2026", stdout=out)
    call_command("load_policy_presets", "--year", "2026", stdout=out)
    rows = PolicyProfile.objects.filter(region__isnull=True).order_by("fiscal_year")
    assert [(r.fiscal_year, r.version, r.preset) for r in rows] == [(2025, 1, "national_2020"),
                                                                    (2026, 1, "national_2020")]
    assert "已存在，跳过" in out.getvalue()
    eff = selectors.effective_profile(None, 2026)
    assert eff.origin == "own" and eff.profile_id == rows[1].pk
