"""The change from the count before, and alert limits."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cttui.api.errors import UsageError
from cttui.api.models import DateRange
from cttui.api.periods import Every
from cttui.records import FavoriteRun
from cttui.trends import (
    Alert,
    before,
    change_of,
    drawn,
    parse_alert,
    percent_text,
    range_text,
    under_way,
)


def run(job: int, start: date, days: int, count: int, at: float = 0.0) -> FavoriteRun:
    return FavoriteRun(job, at or float(job), count, start, start + timedelta(days=days - 1))


WEEK1 = date(2026, 11, 9)
WEEK2 = date(2026, 11, 16)
WEEK3 = date(2026, 11, 23)


def test_the_change_is_from_the_range_of_the_same_length_just_before() -> None:
    runs = [run(1, WEEK1, 7, 1000), run(2, WEEK2, 7, 1082)]
    change = change_of(runs)
    assert change is not None
    assert change.text() == "+8.2% vs 2026-11-09..11-15"
    assert change.as_json()["previous_count"] == 1000


def test_counts_filled_out_of_order_compare_by_their_ranges() -> None:
    runs = [run(1, WEEK3, 7, 900), run(2, WEEK1, 7, 1000), run(3, WEEK2, 7, 1200)]
    change = change_of(runs)
    assert change is not None
    assert change.run.job_id == 1
    assert change.before.job_id == 3
    assert change.text() == "-25% vs 2026-11-16..11-22"


def test_the_week_under_way_gives_way_to_the_last_whole_week() -> None:
    runs = [run(1, WEEK1, 7, 100), run(2, WEEK2, 7, 110), run(3, WEEK3, 3, 40)]
    change = change_of(runs)
    assert change is not None
    assert change.run.job_id == 2


def test_no_change_without_two_ranges_of_a_kind() -> None:
    assert change_of([]) is None
    assert change_of([run(1, WEEK1, 7, 10), run(2, WEEK1, 30, 10)]) is None
    # The same range counted twice is not a change over time.
    assert change_of([run(1, WEEK1, 7, 10), run(2, WEEK1, 7, 12)]) is None
    # Nor are two ranges that share days: the last 7 days, two days apart.
    assert change_of([run(1, WEEK1, 7, 10), run(2, WEEK1 + timedelta(days=2), 7, 12)]) is None


def test_overlapping_ranges_give_way_to_the_one_ending_before_it_starts() -> None:
    rolling = run(3, WEEK2 + timedelta(days=3), 7, 130)
    change = change_of([run(1, WEEK1, 7, 100), run(2, WEEK2, 7, 120), rolling])
    assert change is not None
    assert (change.run, change.before.job_id) == (rolling, 1)
    assert change.described() == "130 in 2026-11-19..11-25, +30% vs 2026-11-09..11-15"


def test_a_change_from_zero_is_said_as_a_number() -> None:
    change = change_of([run(1, WEEK1, 7, 0), run(2, WEEK2, 7, 120)])
    assert change is not None
    assert change.ratio is None
    assert change.text() == "+120 vs 2026-11-09..11-15"


@pytest.mark.parametrize(
    ("ratio", "text"),
    [(0.082, "+8.2%"), (-0.2, "-20%"), (0.0, "+0%"), (-0.00001, "+0%"), (1.5, "+150%")],
)
def test_percent_text(ratio: float, text: str) -> None:
    assert percent_text(ratio) == text


def test_range_text_says_the_year_once() -> None:
    assert range_text(DateRange(date(2026, 12, 28), date(2027, 1, 3))) == "2026-12-28..2027-01-03"
    assert range_text(DateRange(date(2026, 11, 28), date(2026, 12, 4))) == "2026-11-28..12-04"


def test_alert_breaches_say_which_limit_and_by_how_much() -> None:
    alert = parse_alert({"below": 500, "above": 20000, "change_below": "-20%"})
    assert alert.breaches(420, None) == ["420 is below 500 by 80"]
    assert alert.breaches(25_000, None) == ["25,000 is above 20,000 by 5,000"]
    change = change_of([run(1, WEEK1, 7, 1000), run(2, WEEK2, 7, 700)])
    assert alert.breaches(700, change) == ["change -30% vs 2026-11-09..11-15 is below -20%"]
    assert alert.breaches(1000, None) == []


def test_flags_take_the_place_of_the_files_limits() -> None:
    merged = Alert(below=500, above=9).merged(Alert(above=20))
    assert (merged.below, merged.above) == (500, 20)
    assert merged.as_toml() == {"below": 500, "above": 20}
    assert not Alert()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"belw": 5}, "unknown key 'belw'"),
        ({"below": -1}, "whole number"),
        ({"below": True}, "whole number"),
        ({"below": 1.5}, "whole number"),
        ({"change_below": -20}, "in quotes"),
        ({"change_below": "twenty"}, "percentage such as -20%"),
    ],
)
def test_a_bad_alert_says_what_to_write(table: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_alert(table)


def test_whole_months_of_different_lengths_are_one_kind() -> None:
    runs = [run(1, date(2026, 9, 1), 30, 1500), run(2, date(2026, 10, 1), 31, 1650)]
    change = change_of(runs)
    assert change is not None
    assert change.text() == "+10% vs 2026-09-01..09-30"


@given(
    st.lists(
        st.tuples(st.integers(0, 60), st.sampled_from([1, 3, 7, 30, 31]), st.integers(0, 50)),
        max_size=30,
    )
)
def test_change_of_is_the_latest_count_with_one_before_it(
    items: list[tuple[int, int, int]],
) -> None:
    runs = [
        run(n + 1, date(2026, 1, 1) + timedelta(days=offset), days, count, at=float(n % 7 + 1))
        for n, (offset, days, count) in enumerate(items)
    ]
    expected = None
    for item in sorted(runs, key=lambda r: (r.end, r.at), reverse=True):
        found = before(runs, item)
        if found is not None:
            expected = (item.end, item.at, found.end, found.at)
            break
    change = change_of(runs)
    got = (
        None
        if change is None
        else (change.run.end, change.run.at, change.before.end, change.before.at)
    )
    assert got == expected


def noon(day: date) -> float:
    return datetime.combine(day, time(12)).timestamp()


def test_drawn_keeps_each_range_once_and_the_period_under_way_until_it_is_whole() -> None:
    week1 = run(1, WEEK1, 7, 100, at=noon(WEEK2))
    again = run(2, WEEK1, 7, 104, at=noon(WEEK2 + timedelta(days=1)))
    # The week of WEEK2 under way, counted on its Tuesday and its Wednesday.
    tuesday = run(3, WEEK2, 2, 30, at=noon(WEEK2 + timedelta(days=1)))
    wednesday = run(4, WEEK2, 3, 45, at=noon(WEEK2 + timedelta(days=2)))
    assert drawn([week1, tuesday, again, wednesday]) == [again, wednesday]
    whole = run(5, WEEK2, 7, 110, at=noon(WEEK3))
    assert drawn([week1, tuesday, again, wednesday, whole]) == [again, whole]
    # Three days counted after they ended are a range of their own, not a part.
    later = run(6, WEEK3, 3, 50, at=noon(WEEK3 + timedelta(days=5)))
    assert drawn([later, whole]) == [whole, later]


def test_a_day_counted_while_under_way_is_compared_only_with_another_such_day() -> None:
    monday, tuesday, wednesday = (WEEK2 + timedelta(days=n) for n in range(3))
    whole_monday = run(1, monday, 1, 100, at=noon(tuesday))
    tuesday_so_far = run(2, tuesday, 1, 40, at=noon(tuesday))
    change = change_of([whole_monday, tuesday_so_far])
    assert change is None
    # "Today" run each day at noon: like with like.
    wednesday_so_far = run(3, wednesday, 1, 44, at=noon(wednesday))
    change = change_of([whole_monday, tuesday_so_far, wednesday_so_far])
    assert change is not None
    assert (change.run, change.before) == (wednesday_so_far, tuesday_so_far)
    assert under_way(tuesday_so_far) is Every.DAY
    assert under_way(whole_monday) is None
