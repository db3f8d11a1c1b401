"""Synthetic data generation (`jixiao.demo.generator`): time and rows per second for the city (通辽-shaped, what
`make run` loads) and the province (内蒙古自治区: 116 regions, 300,000 subjects, ~2.4 million rows in all).

Each scale is generated into a fresh database of the same kind as the bench database (BENCH_DATABASE_URL; by default
a SQLite file in var/bench), so the figures repeat and the bench database itself is left alone: a SQLite file
var/bench/generate.sqlite3, or on PostgreSQL a database named after the bench database with "_generate" appended
(dropped and created by this module). The generation runs in a child process, which also reports its peak memory.
BENCH_GENERATE_SCALES (default "city,province") chooses the scales. The machine is shared: load from other processes
slows every figure alike.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import dj_database_url

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2025  # a past year: all twelve months of execution, whatever the date of the run
CHILD = """
import json, sys, time, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False)
from jixiao.demo.generator import generate_region
result = generate_region(sys.argv[1], seed=1, year=int(sys.argv[2]), through_month=12)
print(json.dumps({"seconds": result.seconds, "rows": result.rows, "counts": dict(result.counts)}))
"""


def _fresh_database() -> tuple[str, callable]:
    """The URL of an empty database of the bench database's kind, and a function that removes it."""
    url = os.environ.get("DATABASE_URL", "")
    config = dj_database_url.parse(url) if url else {"ENGINE": "django.db.backends.sqlite3"}
    if config["ENGINE"] == "django.db.backends.postgresql":
        import psycopg

        name = f"{config['NAME']}_generate"
        admin = {"host": config.get("HOST") or None, "port": config.get("PORT") or None,
                 "user": config.get("USER") or None, "password": config.get("PASSWORD") or None, "dbname": "postgres"}
        admin = {k: v for k, v in admin.items() if v}

        def drop():
            with psycopg.connect(**admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        drop()
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        parsed = url.rsplit("/", 1)[0] + "/" + name
        return parsed, drop
    path = ROOT / "var" / "bench" / "generate.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)

    def remove():
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    remove()
    return f"sqlite:///{path}", remove


def _generate(scale: str) -> dict:
    url, remove = _fresh_database()
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "jixiao.settings", "JIXIAO_TESTING": "1"}
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, scale, str(YEAR)], env=env, cwd=ROOT,  # noqa: S603
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"generate_region {scale} failed: {done.stderr.strip()[-2000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        remove()
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


def run():
    scales = [s.strip() for s in os.environ.get("BENCH_GENERATE_SCALES", "city,province").split(",") if s.strip()]
    for scale in scales:
        result = _generate(scale)
        seconds, rows = result["seconds"], result["rows"]
        yield f"generate.{scale}.seconds", f"{seconds:.1f}", "s"
        yield f"generate.{scale}.rows", rows, "rows"
        yield f"generate.{scale}.rows_per_second", f"{rows / seconds:.0f}", "rows/s"
        yield f"generate.{scale}.subjects", result["counts"].get("budget.PerformanceSubject", 0), "subjects"
        yield f"generate.{scale}.indicators", result["counts"].get("indicators.Indicator", 0), "indicators"
        yield f"generate.{scale}.peak_rss", f"{result['peak_mb']:.0f}", "MB (largest child so far)"
