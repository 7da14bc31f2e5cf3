"""Periods of a series, and the range just before a range."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cttui.api.errors import UsageError
from cttui.api.models import DateRange
from cttui.api.periods import PERIODS_MAX, Every, period_of, periods, previous

TODAY = date(2026, 12, 2)  # a Wednesday


def test_weeks_are_iso_weeks_monday_to_sunday_with_the_week_under_way_last() -> None:
    found = periods(Every.WEEK, 3, TODAY)
    assert [p.dates for p in found] == [
        DateRange(date(2026, 11, 16), date(2026, 11, 22)),
        DateRange(date(2026, 11, 23), date(2026, 11, 29)),
        DateRange(date(2026, 11, 30), TODAY),
    ]
    assert [p.current for p in found] == [False, False, True]


def test_without_the_current_period_the_series_ends_with_the_last_whole_one() -> None:
    found = periods(Every.WEEK, 2, TODAY, current=False)
    assert [p.dates.end for p in found] == [date(2026, 11, 22), date(2026, 11, 29)]
    assert not any(p.current for p in found)


def test_months_are_calendar_months_across_a_year_and_february() -> None:
    found = periods(Every.MONTH, 12, date(2024, 3, 5), current=False)
    assert found[0].dates == DateRange(date(2023, 3, 1), date(2023, 3, 31))
    assert DateRange(date(2024, 2, 1), date(2024, 2, 29)) in [p.dates for p in found]
    assert found[-1].dates == DateRange(date(2024, 2, 1), date(2024, 2, 29))


def test_days_end_with_today_under_way() -> None:
    found = periods(Every.DAY, 2, TODAY)
    assert [p.dates for p in found] == [
        DateRange(TODAY - timedelta(days=1), TODAY - timedelta(days=1)),
        DateRange(TODAY, TODAY),
    ]


@pytest.mark.parametrize("last", [0, -1, PERIODS_MAX + 1])
def test_a_count_of_periods_out_of_bounds_says_the_bounds(last: int) -> None:
    with pytest.raises(UsageError, match=f"between 1 and {PERIODS_MAX}"):
        periods(Every.DAY, last, TODAY)


@given(
    st.sampled_from(list(Every)),
    st.integers(1, 40),
    st.dates(date(1990, 1, 1), date(2090, 1, 1)),
    st.booleans(),
)
def test_periods_touch_end_to_end_and_never_pass_today(
    every: Every, last: int, today: date, current: bool
) -> None:
    found = periods(every, last, today, current=current)
    assert len(found) == last
    for a, b in itertools.pairwise(found):
        assert a.dates.end + timedelta(days=1) == b.dates.start
    assert found[-1].dates.end <= today
    for p in found:
        assert p.dates.start == period_of(every, p.dates.start).start
        assert p.current == (p.dates.end == today and current)


def test_previous_is_the_same_length_just_before() -> None:
    week = DateRange(date(2026, 11, 23), date(2026, 11, 29))
    assert previous(week) == DateRange(date(2026, 11, 16), date(2026, 11, 22))
    assert previous(DateRange(TODAY, TODAY)) == DateRange(
        TODAY - timedelta(1), TODAY - timedelta(1)
    )


def test_previous_of_a_whole_month_is_the_whole_month_before() -> None:
    march = DateRange(date(2024, 3, 1), date(2024, 3, 31))
    assert previous(march) == DateRange(date(2024, 2, 1), date(2024, 2, 29))
