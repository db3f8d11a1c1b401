import datetime as dt

from jixiao.core.calendar import add_working_days, is_working_day, known_year, working_days_between


def test_spring_festival_2026_and_make_up_days():
    assert not is_working_day(dt.date(2026, 2, 16))  # 春节
    assert is_working_day(dt.date(2026, 2, 14))  # 调休上班 (Saturday)
    assert is_working_day(dt.date(2026, 2, 28))
    assert not is_working_day(dt.date(2026, 2, 21))  # a Saturday inside the holiday


def test_national_day_2025_spans_eight_days():
    assert all(not is_working_day(dt.date(2025, 10, d)) for d in range(1, 9))
    assert is_working_day(dt.date(2025, 9, 28)) and is_working_day(dt.date(2025, 10, 11))


def test_add_working_days_skips_holidays():
    # Received Friday 2026-02-13; 20 working days: 14 Feb (调休) counts, 15-23 Feb are off.
    assert add_working_days(dt.date(2026, 2, 13), 1) == dt.date(2026, 2, 14)
    assert add_working_days(dt.date(2026, 2, 13), 2) == dt.date(2026, 2, 24)
    assert add_working_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)
    # Ordinary week: Monday + 5 working days is next Monday.
    assert add_working_days(dt.date(2026, 3, 2), 5) == dt.date(2026, 3, 9)


def test_zero_days_and_counting_back():
    assert add_working_days(dt.date(2026, 10, 3), 0) == dt.date(2026, 10, 8)
    start = dt.date(2026, 3, 2)
    assert working_days_between(start, add_working_days(start, 17)) == 17
    assert working_days_between(start, start) == 0


def test_unknown_year_falls_back_to_weekends():
    assert not known_year(2031)
    assert known_year(2026)
    assert not is_working_day(dt.date(2031, 1, 4))  # Saturday
    assert is_working_day(dt.date(2031, 1, 1))  # not known as a holiday
