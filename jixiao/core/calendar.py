"""Working days (工作日) on the Chinese public-holiday calendar, with make-up working days (调休).

Deadlines in the policy profile are counted in 工作日: "the bureau gives its opinion within 20 working days of
receiving the report" means the 20th working day after the day of receipt. Holidays and 调休 come from the State
Council's yearly notice, shipped in `data/holidays.json`; a province can point `JIXIAO_HOLIDAYS_FILE` at its own copy
(same format) to add a year before the project ships it. A year the calendar does not know is counted on weekends
alone, and `known_year()` lets screens say so.

Pure functions: dates in, dates out, no ORM.
"""

from __future__ import annotations

import datetime
import json
import os
from functools import lru_cache
from pathlib import Path

_DEFAULT_FILE = Path(__file__).parent / "data" / "holidays.json"


@lru_cache(maxsize=1)
def _calendar() -> dict[int, tuple[frozenset[datetime.date], frozenset[datetime.date]]]:
    files = [_DEFAULT_FILE]
    extra = os.environ.get("JIXIAO_HOLIDAYS_FILE")
    if extra:
        files.append(Path(extra))
    out: dict[int, tuple[frozenset, frozenset]] = {}
    for f in files:
        data = json.loads(f.read_text(encoding="utf-8"))
        for key, year_data in data.items():
            if not key.isdigit():
                continue
            year = int(key)

            def dates(items, year=year):
                return frozenset(datetime.date(year, int(md[:2]), int(md[3:])) for md in items)

            out[year] = (dates(year_data.get("off", [])), dates(year_data.get("work", [])))
    return out


def known_year(year: int) -> bool:
    """Whether the holiday calendar of `year` is loaded (otherwise only weekends are rest days)."""
    return year in _calendar()


def is_working_day(day: datetime.date) -> bool:
    off, work = _calendar().get(day.year, (frozenset(), frozenset()))
    if day in work:
        return True
    if day in off:
        return False
    return day.weekday() < 5


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The `days`-th working day after `start` (the day of receipt does not count). `days` = 0 gives `start` itself
    if it is a working day, else the next working day."""
    if days < 0:
        raise ValueError("days must be >= 0")
    day = start
    if days == 0:
        while not is_working_day(day):
            day += datetime.timedelta(days=1)
        return day
    counted = 0
    while counted < days:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start): how many working days have
    passed since `start`."""
    if end <= start:
        return 0
    n = 0
    day = start
    while day < end:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            n += 1
    return n
