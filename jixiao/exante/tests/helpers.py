"""Helpers for the ex-ante tests."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from jixiao.core.money import Money
from jixiao.core.permissions import actor_for
from jixiao.exante import services
from jixiao.exante.models import ExAnteAssessment
from jixiao.policy.schema import PolicyParams

DIMENSION_CODES = ("necessity", "economy", "target_soundness", "feasibility", "funding_compliance")


def actor(cast, name):
    return actor_for(cast.users[name])


def wan(text) -> Money:
    return Money.from_wan(Decimal(str(text)))


def yuan(text) -> Money:
    return Money.from_yuan(Decimal(str(text)))


def set_profile(cast, **ex_ante):
    """Save a city profile for the cast's year with these ex-ante parameters changed."""
    from jixiao.policy.services import profile_save

    params = PolicyParams().to_json()
    params["ex_ante"].update({k: _json(v) for k, v in ex_ante.items()})
    return profile_save(actor=None, region=cast.city, fiscal_year=cast.year.year, params=params, comment="测试",
                        base_version=None)


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    return value


def complete_data(score=Decimal(18), conclusion="support"):
    return {
        "method": "专家评审、现场调研", "conclusion": conclusion, "suggestions": "控制成本",
        "dimensions": {c: {"text": f"{c}：已论证", "score": score} for c in DIMENSION_CODES},
    }


def pdf(name="依据.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 test", content_type="application/pdf")


def draft(cast, user, key, **data):
    """Create and fill an assessment of cast.subjects[key] as `user`, ready to submit."""
    a = services.assessment_create(actor=actor(cast, user), subject=cast.subjects[key])
    services.assessment_update(actor=actor(cast, user), assessment=a, data={**complete_data(), **data},
                               expected_lock_version=a.lock_version)
    return a


def make_assessment(cast, subject, *, state="supported", requested, approved=None, **kw):
    """A row written directly (for lists and statistics), as if it had gone through the workflow."""
    return ExAnteAssessment.objects.create(
        subject=subject, fiscal_year=cast.year, region=subject.region, department=subject.department,
        unit=subject.unit, state=state, requested_amount=requested, approved_amount=approved,
        created_by=cast.clerk_a, **kw)
