"""`make bench`: run every bench/bench_*.py module's `run()` and print one `name: value unit` line per figure.

Each module measures against a floor taken in the same run (e.g. the raw SQL reading the same rows), so the figures
hold on a noisy machine. Benchmarks use their own database (BENCH_DATABASE_URL, default a SQLite file in var/bench).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jixiao.settings")
    os.environ.setdefault("JIXIAO_TESTING", "1")
    bench_dir = Path(__file__).resolve().parent
    (bench_dir.parent / "var" / "bench").mkdir(parents=True, exist_ok=True)
    if "BENCH_DATABASE_URL" in os.environ:
        os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    else:
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{bench_dir.parent / 'var' / 'bench' / 'bench.sqlite3'}")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    wanted = set(argv)
    names = sorted(m.name for m in pkgutil.iter_modules([str(bench_dir)]) if m.name.startswith("bench_"))
    failed = 0
    for name in names:
        if wanted and name not in wanted and name.removeprefix("bench_") not in wanted:
            continue
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        try:
            for figure, value, unit in module.run():
                print(f"{figure}: {value} {unit}", flush=True)
        except Exception as exc:  # keep going: one broken benchmark must not hide the others
            failed += 1
            print(f"{name}.error: {exc!r} -", flush=True)
        print(f"{name}.wall_time: {time.perf_counter() - started:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
