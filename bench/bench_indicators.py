"""Indicator library: Chinese search on 100,000 indicators against a naive LIKE scan of the same table, and Excel
import throughput against reading the same file with openpyxl alone. Floors are measured in the same run.

    JIXIAO_TESTING=1 .venv/bin/python -m bench indicators

The 100,000 synthetic indicators (jixiao.indicators.synthetic) are created once per bench database with
`indicator_bulk_load` (validated, versioned, as the demo generator would) and kept for later runs.
"""

from __future__ import annotations

import io
import os
import statistics
import time

N_LIBRARY = int(os.environ.get("BENCH_INDICATORS", "100000"))
N_IMPORT = int(os.environ.get("BENCH_INDICATOR_IMPORT_ROWS", "20000"))
REPEAT = 5
PREFIX = "BENCH"
IMPORT_PREFIX = "BIMP"

# Realistic queries: names as typed, words in another order, partial words, two-character queries, words that only
# the explanation holds.
QUERIES = [
    "学生资助人数", "资助学生", "资助人数", "生资", "学生", "疫苗接种", "接种疫苗", "儿童疫苗", "满意度",
    "服务对象满意度", "满意度服务对象", "覆盖率", "农村公路养护", "公路养护", "养护农村公路", "高标准农田",
    "农田建设面积", "建设面积高标准农田", "校舍维修", "维修校舍", "老旧小区改造", "改造小区", "低保救助",
    "救助低保对象", "培训人次", "就业培训", "培训就业", "健康管理", "老年人健康", "污水处理", "处理污水",
    "饮水安全", "水库除险加固", "除险加固", "完成及时率", "及时率", "合格率", "补助标准", "生活补助",
    "居家养老", "养老服务居家", "医疗设备购置", "购置设备", "政务服务网上办理", "网上办理", "文物保护单位维修",
    "图书馆免费开放", "免费开放", "河道清淤", "清淤疏浚",
]


def _percentile(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def _ensure_library():
    from jixiao.indicators import synthetic
    from jixiao.indicators.models import Indicator, Sector
    from jixiao.indicators.services import indicator_bulk_load, sector_seed_defaults

    have = Indicator.objects.filter(code__startswith=PREFIX).count()
    if have >= N_LIBRARY:
        return 0.0
    started = time.perf_counter()
    sector_seed_defaults()
    sectors = {s.name: s for s in Sector.objects.filter(parent__isnull=True)}
    domains: dict[int, list[int]] = {}
    for d in Sector.objects.filter(parent__isnull=False):
        domains.setdefault(d.parent_id, []).append(d.pk)
    chunk: list[dict] = []
    for n, s in enumerate(synthetic.generate(N_LIBRARY, prefix=PREFIX), start=1):
        if n <= have:
            continue
        sector = sectors.get(s.sector)
        dom = domains.get(sector.pk) if sector else None
        chunk.append({
            "code": s.code, "name": s.name, "level1": s.level1, "level2": s.level2, "unit": s.unit,
            "comparator": s.comparator, "direction": s.direction, "explanation": s.explanation,
            "is_common": s.is_common, "value_basis": s.value_basis, "data_source": s.data_source,
            "evidence_type": s.evidence_type, "sector_id": sector.pk if sector else None,
            "domain_id": dom[n % len(dom)] if dom else None,
        })
        if len(chunk) >= 10_000:
            indicator_bulk_load(definitions=chunk, comment="bench")
            chunk = []
    if chunk:
        indicator_bulk_load(definitions=chunk, comment="bench")
    by_usage: dict[int, list[int]] = {}
    pks = Indicator.objects.filter(code__startswith=PREFIX).order_by("code").values_list("pk", flat=True)
    for pk, s in zip(pks, synthetic.generate(N_LIBRARY, prefix=PREFIX), strict=False):
        if s.usage_count:
            by_usage.setdefault(s.usage_count, []).append(pk)
    for usage, ids in by_usage.items():
        for i in range(0, len(ids), 900):
            Indicator.objects.filter(pk__in=ids[i:i + 900]).update(usage_count=usage)
    from django.db import connection

    from jixiao.indicators.services import indicator_index_rebuild

    indicator_index_rebuild()
    if connection.vendor == "postgresql":  # what autovacuum would do soon after a bulk load
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Indicator._meta.db_table}")
    return time.perf_counter() - started


def _bench_actor():
    from jixiao.core.permissions import actor_for
    from jixiao.organisations.models import Region, Role, RoleAssignment, User

    region, _ = Region.objects.get_or_create(code="BENCH00", defaults={
        "name": "基准测试市", "level": Region.Level.CITY, "bureau_name": "基准测试市财政局"})
    user, created = User.objects.get_or_create(username="bench_finance", defaults={"full_name": "基准测试"})
    if created:
        RoleAssignment.objects.create(user=user, role=Role.FINANCE_ADMIN, region=region)
    return actor_for(user), region


def _like_scan(cursor, table, q):
    pattern = f"%{q}%"
    started = time.perf_counter()
    cursor.execute(f"SELECT id, name FROM {table} WHERE name LIKE %s OR explanation LIKE %s",  # noqa: S608
                   [pattern, pattern])
    rows = cursor.fetchall()
    return time.perf_counter() - started, {r[0] for r in rows}


def run():
    import rjieba
    from django.db import connection

    from jixiao.indicators import selectors
    from jixiao.indicators.models import Indicator
    from jixiao.indicators.search import library_search, parse_query, snapshots

    setup = _ensure_library()
    if setup:
        yield "indicators.setup_100k", round(setup, 1), "s"
    actor, region = _bench_actor()
    total = Indicator.objects.count()
    yield "indicators.library_size", total, "indicators"

    directory = snapshots.directory()
    for old in directory.glob("indicator-index-*.bin") if directory and directory.exists() else []:
        old.unlink()
    library_search.reset()
    started = time.perf_counter()
    library_search.ensure_fresh()  # analyses the whole library, then saves a snapshot
    yield "indicators.index_build", round(time.perf_counter() - started, 2), "s"
    library_search.reset()
    started = time.perf_counter()
    library_search.ensure_fresh()  # what the other processes do: load the snapshot
    yield "indicators.index_load_snapshot", round(time.perf_counter() - started, 2), "s"
    import resource

    yield "indicators.process_max_rss", round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), "MB"

    # search as a user sees it: the selector (index + one query for the page's rows), page of 20
    latencies = []
    results: dict[str, list[int]] = {}
    for _ in range(REPEAT):
        for q in QUERIES:
            started = time.perf_counter()
            page = selectors.indicator_search(actor, selectors.LibraryFilters(q=q), page_size=20)
            latencies.append((time.perf_counter() - started) * 1000)
            results[q] = [i.pk for i in page.items]
    yield "indicators.search_p50", round(_percentile(latencies, 0.5), 2), "ms"
    yield "indicators.search_p95", round(_percentile(latencies, 0.95), 2), "ms"

    table = Indicator._meta.db_table
    like_times = []
    like_hits: dict[str, set[int]] = {}
    with connection.cursor() as cursor:
        for _ in range(REPEAT):
            for q in QUERIES:
                dt, ids = _like_scan(cursor, table, q)
                like_times.append(dt * 1000)
                like_hits[q] = ids
    like_median = statistics.median(like_times)
    yield "indicators.like_scan_median", round(like_median, 2), "ms"
    yield "indicators.search_p95_vs_like_median", round(_percentile(latencies, 0.95) / like_median, 2), "x"

    # relevance: a result is relevant when its name or explanation holds every word of the query, in any order
    names = dict(Indicator.objects.filter(pk__in={i for ids in results.values() for i in ids})
                 .values_list("pk", "name"))
    expl = dict(Indicator.objects.filter(pk__in=names).values_list("pk", "explanation"))
    better = 0
    for q in QUERIES:
        words = parse_query(q).units or [w for w in rjieba.cut(q) if len(w) > 1] or [q]
        relevant = [i for i in results[q] if all(w in names[i] + expl[i] for w in words)]
        if any(i not in like_hits[q] for i in relevant):
            better += 1
    yield "indicators.queries_search_found_relevant_like_missed", f"{better}/{len(QUERIES)}", "queries"
    yield "indicators.queries_like_found_nothing", sum(1 for q in QUERIES if not like_hits[q]), "queries"

    yield from _bench_import(actor, region)


def _bench_import(actor, region):
    import openpyxl
    from django.db import transaction

    from jixiao.indicators import excel, synthetic
    from jixiao.indicators.models import Indicator
    from jixiao.indicators.services import indicator_index_rebuild

    rows = []
    for s in synthetic.generate(N_IMPORT, seed=7, prefix=IMPORT_PREFIX):
        rows.append([s.code, s.sector, "", {"output": "产出指标", "benefit": "效益指标", "satisfaction": "满意度指标",
                                            "cost": "成本指标"}[s.level1], s.level2, s.name, s.explanation, s.unit,
                     {"ge": "≥", "le": "≤", "qualitative": "定性"}[s.comparator], "", "", "计划标准", "",
                     s.data_source, s.evidence_type, "", "", "个性", "启用"])
    data = excel.write_workbook(rows)
    yield "indicators.import_file_size", round(len(data) / 1024 / 1024, 1), "MB"

    def bare_read():
        started = time.perf_counter()
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        for _ in wb.worksheets[0].iter_rows(values_only=True):
            pass
        wb.close()
        return time.perf_counter() - started

    # Two rounds of (bare read, import), best of each: the machine is shared, noise only ever adds time.
    bares, imports = [], []
    for _ in range(2):
        bares.append(bare_read())
        with transaction.atomic():
            Indicator.objects.filter(code__startswith=IMPORT_PREFIX).delete()
        started = time.perf_counter()
        outcome = excel.import_indicators(data, filename="bench.xlsx", actor=actor, region_id=region.pk)
        imports.append(time.perf_counter() - started)
        if not outcome.ok:
            raise RuntimeError(f"import failed: {[str(e) for e in outcome.errors[:5]]}")
    bare, took = min(bares), min(imports)
    yield "indicators.import_rows", outcome.result.created, "rows"
    yield "indicators.import_throughput", round(N_IMPORT / took), "rows/s"
    yield "indicators.openpyxl_bare_read", round(N_IMPORT / bare), "rows/s"
    yield "indicators.import_vs_bare_read", round(took / bare, 2), "x"
    with transaction.atomic():
        Indicator.objects.filter(code__startswith=IMPORT_PREFIX).delete()
        indicator_index_rebuild()
