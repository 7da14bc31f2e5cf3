"""What the chart says of a favourite's counts: one line per length of range, the y axis from
zero, and the line under the chart."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from cttui.records import FavoriteRun
from cttui.tui.widgets.chart_lines import lines_of, point_text, y_axis


def run(job_id: int, start: date, end: date, count: int, at: float = 0.0) -> FavoriteRun:
    return FavoriteRun(job_id, at or float(job_id), count, start, end)


OCTOBER = run(1, date(2026, 10, 1), date(2026, 10, 31), 9_000)
NOVEMBER = run(2, date(2026, 11, 1), date(2026, 11, 30), 9_900)
SEPTEMBER = run(3, date(2026, 9, 1), date(2026, 9, 30), 8_000)
WEEK_1 = run(4, date(2026, 11, 9), date(2026, 11, 15), 1_000)
WEEK_2 = run(5, date(2026, 11, 16), date(2026, 11, 22), 1_100)
ONE_OFF = run(6, date(2026, 11, 2), date(2026, 11, 4), 300)


def test_one_line_per_length_whole_months_together_oldest_point_first() -> None:
    lines = lines_of([NOVEMBER, WEEK_2, ONE_OFF, OCTOBER, WEEK_1, SEPTEMBER])
    assert [(line.label, [r.job_id for r in line.runs]) for line in lines] == [
        ("3-day ranges", [6]),
        ("7-day ranges", [4, 5]),
        ("months", [3, 1, 2]),
    ]


def test_the_line_under_says_the_change_from_the_point_before_of_its_kind() -> None:
    runs = [SEPTEMBER, OCTOBER, NOVEMBER, WEEK_1, WEEK_2, ONE_OFF]
    # November has 30 days, October 31: still the month before.
    assert (
        point_text(runs, NOVEMBER)
        == "month 2026-11-01..11-30: 9,900 · +10% vs 2026-10-01..10-31 · job 2"
    )
    assert (
        point_text(runs, WEEK_1)
        == "7 days 2026-11-09..11-15: 1,000 · first count of 7 days · job 4"
    )
    one_day = run(7, date(2026, 11, 3), date(2026, 11, 3), 12)
    assert (
        point_text([one_day], one_day)
        == "1 day 2026-11-03..11-03: 12 · first count of 1 day · job 7"
    )


@pytest.mark.parametrize(
    ("highest", "ticks", "labels"),
    [
        (5_402, [0, 2_000, 4_000, 6_000], ["0", "2k", "4k", "6k"]),
        (1_315, [0, 500, 1_000, 1_500], ["0", "500", "1k", "1.5k"]),
        (9, [0, 5, 10], ["0", "5", "10"]),
        (0, [0, 1], ["0", "1"]),
        (2_400_000, [0, 1_000_000, 2_000_000, 3_000_000], ["0", "1M", "2M", "3M"]),
        (2_000, [0, 500, 1_000, 1_500, 2_000], ["0", "500", "1k", "1.5k", "2k"]),
    ],
)
def test_the_y_axis_starts_at_zero_and_reaches_past_the_highest(
    highest: int, ticks: list[int], labels: list[str]
) -> None:
    assert y_axis(highest) == (ticks, labels)


def counted_on(day: date) -> float:
    return datetime.combine(day, time(12)).timestamp()


def test_the_period_under_way_stands_beside_its_whole_periods_not_on_their_line() -> None:
    # Counted on the Wednesday it ends: three days of the week so far.
    so_far = run(7, date(2026, 11, 23), date(2026, 11, 25), 480, at=counted_on(date(2026, 11, 25)))
    lines = lines_of([WEEK_1, WEEK_2, so_far])
    assert [(line.label, line.runs, line.so_far) for line in lines] == [
        ("7-day ranges, ○ so far", (WEEK_1, WEEK_2), (so_far,)),
    ]
    assert point_text(lines[0].runs, so_far) == (
        "week under way 2026-11-23..11-25: 480 so far · job 7"
    )
    # The same days counted after they ended are a 3-day range like any other; and alone, the
    # week under way is a line of its own length.
    later = run(8, date(2026, 11, 23), date(2026, 11, 25), 480, at=counted_on(date(2026, 11, 26)))
    assert [line.label for line in lines_of([WEEK_1, later])] == ["3-day ranges", "7-day ranges"]
    assert [(line.label, line.so_far) for line in lines_of([so_far])] == [("3-day ranges", ())]
