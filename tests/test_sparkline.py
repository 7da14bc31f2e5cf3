"""Counts in few cells: compact numbers (the chart's axis, the sparkline's label), and the
favourites' sparkline labelled with its lowest and highest count."""

from __future__ import annotations

import pytest

from cttui.report import compact_count, labelled_sparkline


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
