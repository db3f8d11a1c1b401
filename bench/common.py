"""What the benchmarks share: percentiles, milliseconds, and the generated data set of the bench database."""

from __future__ import annotations

import os
import time

YEAR = 2025  # a past year, as bench_generate: all twelve months of execution
CODES = {"province": "150000", "city": "150500"}


def percentile(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def dataset(scale_env: str):
    """The generated region of the bench database (generated now when missing): the province on PostgreSQL, the city
    on SQLite, or what the environment variable `scale_env` names. Returns (region, seconds spent generating)."""
    from django.db import connection

    from jixiao.demo.generator import RegionExistsError, generate_region
    from jixiao.organisations.models import Region

    scale = os.environ.get(scale_env) or ("province" if connection.vendor == "postgresql" else "city")
    region = Region.objects.filter(code=CODES[scale]).first()
    # (a city generated alone brings its province's row, with no other city under it)
    if region is not None and (scale == "city" or Region.objects.filter(parent=region).count() > 1):
        return region, 0.0
    started = time.perf_counter()
    try:
        region = generate_region(scale, seed=1, year=YEAR, through_month=12).region
    except RegionExistsError:  # the other scale is there: use it
        return Region.objects.get(code=CODES["city"]), 0.0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return region, time.perf_counter() - started


def admin_of(region, prefix: str = "bench_monitoring_admin"):
    """A finance admin (财政绩效管理员) of the region, created for the bench when missing: (user, actor)."""
    from jixiao.core.permissions import actor_for
    from jixiao.organisations.models import Role, RoleAssignment, User

    user, created = User.objects.get_or_create(username=f"{prefix}_{region.code}",
                                               defaults={"full_name": f"{region.name}绩效管理员"})
    if created:
        RoleAssignment.objects.create(user=user, role=Role.FINANCE_ADMIN, region=region)
    return user, actor_for(user)


def floor_read(sql: str, round_ids: list[int], fetch: int = 5000) -> tuple[int, float]:
    """The floor of a round benchmark: read the rounds' rows with one query (`sql` with `{ids}`) through a
    server-side cursor, `fetch` rows at a time: (rows, seconds)."""
    from django.db import connection, transaction

    started = time.perf_counter()
    n = 0
    with transaction.atomic(), connection.chunked_cursor() as c:
        c.execute(sql.format(ids=", ".join(str(int(pk)) for pk in round_ids)))
        while batch := c.fetchmany(fetch):
            n += len(batch)
    return n, time.perf_counter() - started
