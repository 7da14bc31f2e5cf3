"""Counts in few cells: compact numbers (the chart's axis, the sparkline's label), and the
favourites' sparkline labelled with its lowest and highest count."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from cttui.records import FavoriteRun
from cttui.report import compact_count, labelled_sparkline
from cttui.tui.widgets.favorites_table import trend_counts


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0"),
        (999, "999"),
        (1_000, "1k"),
        (1_234, "1.2k"),
        (9_960, "10k"),
        (34_500, "34k"),
        (999_600, "1M"),
        (1_250_000, "1.2M"),
        (3_400_000_000, "3.4B"),
    ],
)
def test_compact_counts(count: int, text: str) -> None:
    assert compact_count(count) == text


def test_the_sparkline_says_its_lowest_and_highest_and_keeps_the_newest_that_fit() -> None:
    assert labelled_sparkline([1_200, 2_100, 3_400], 22) == "▁▄█ 1.2k–3.4k"
    assert labelled_sparkline([], 22) == ""
    assert labelled_sparkline([500, 500], 22) == "▄▄ 500"
    # As many blocks as fit beside the label in 16 cells: the oldest go first.
    line = labelled_sparkline(list(range(1_000, 31_000, 1_000)), 16)
    assert line == "▁▂▃▄▅▆▇█ 23k–30k"
    assert len(line) == 16
    # Lowest and highest of those shown, not of every count.
    assert labelled_sparkline([1, *[2_000] * 30], 12) == "▄▄▄▄▄▄▄▄▄ 2k"


def test_the_sparkline_keeps_to_the_kind_of_the_last_count() -> None:
    """Weeks with weeks: a month's count among them would be a spike that is not there, and the
    week so far a drop that is not there either."""

    def week(job: int, monday: date, count: int, days: int = 7) -> FavoriteRun:
        end = monday + timedelta(days=days - 1)
        counted = end + timedelta(days=0 if days < 7 else 1)
        return FavoriteRun(job, datetime.combine(counted, time(9)).timestamp(), count, monday, end)

    weeks = [week(n + 1, date(2026, 11, 2) + timedelta(weeks=n), 500 + n) for n in range(3)]
    month = FavoriteRun(9, weeks[-1].at, 6_000, date(2026, 10, 1), date(2026, 10, 31))
    so_far = week(10, date(2026, 11, 23), 120, days=3)
    assert trend_counts([*weeks, month, so_far], weeks[-1]) == [500, 501, 502]
    assert trend_counts([month], month) == [6_000]
    assert trend_counts([so_far], so_far) == [120]
    assert trend_counts([], None) == []
