"""A favourite's counts as the chart draws them: one line per length of range (a series of
days, weeks or months, or one-off runs of another length), the y axis from zero, and the words
under the chart for one point. No Textual: the chart widget draws what this decides."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from cttui.api.models import DateRange
from cttui.records import FavoriteRun
from cttui.report import compact_count
from cttui.trends import Change, before, family, kind, range_text, under_way

# The y axis's steps, each as many cells tall: at most this many above zero.
TICKS_MAX = 4


def dates_of(run: FavoriteRun) -> DateRange:
    return DateRange(run.start, run.end)


def in_order(runs: Sequence[FavoriteRun]) -> list[FavoriteRun]:
    """By the range's end, then by when counted: the order of the x axis and of the keys."""
    return sorted(runs, key=lambda run: (run.end, run.at))


@dataclass(frozen=True)
class Line:
    label: str
    runs: tuple[FavoriteRun, ...]
    # Counts of the period under way (trends.under_way: a day, week or month not over on the
    # day counted), drawn apart beside the line of its whole periods: a part is not a drop.
    so_far: tuple[FavoriteRun, ...] = ()


SO_FAR_MARK = "○"


def _label(same: int | str) -> str:
    return "months" if same == "month" else f"{same}-day ranges"


def lines_of(runs: Sequence[FavoriteRun]) -> list[Line]:
    """One line per kind of range (trends.kind), the shortest first (months last), each
    oldest point first; a period under way goes beside the line of its whole periods when
    there is one."""
    by_kind: dict[int | str, list[FavoriteRun]] = {}
    parts: list[tuple[FavoriteRun, int | str]] = []
    for run in in_order(runs):
        if under_way(run) is None:
            by_kind.setdefault(kind(run), []).append(run)
        else:
            parts.append((run, family(run)))
    so_far: dict[int | str, list[FavoriteRun]] = {}
    for run, whole in parts:
        if whole in by_kind:
            so_far.setdefault(whole, []).append(run)
        else:
            by_kind.setdefault(kind(run), []).append(run)
    order = sorted(by_kind, key=lambda same: (1, 0) if isinstance(same, str) else (0, same))
    return [
        Line(
            _label(same) + (f", {SO_FAR_MARK} so far" if same in so_far else ""),
            tuple(in_order(by_kind[same])),
            tuple(so_far.get(same, ())),
        )
        for same in order
    ]


def _what(run: FavoriteRun) -> str:
    same = kind(run)
    if isinstance(same, str):
        return same
    return "1 day" if same == 1 else f"{same} days"


def point_text(runs: Sequence[FavoriteRun], run: FavoriteRun) -> str:
    """`7 days 2026-11-16..11-22: 1,315 · +6% vs 2026-11-09..11-15 · job 12`; of a period
    under way, `week under way 2026-11-30..12-04: 352 so far · job 14`."""
    every = under_way(run)
    if every is not None:
        dates = range_text(dates_of(run))
        return f"{every.value} under way {dates}: {run.count:,} so far · job {run.job_id}"
    earlier = before(runs, run)
    what = _what(run)
    if earlier is not None:
        change = Change(run, earlier).text()
    elif what == "month":
        change = "first count of a whole month"
    else:
        change = f"first count of {what}"
    return f"{what} {range_text(dates_of(run))}: {run.count:,} · {change} · job {run.job_id}"


def _steps() -> Iterator[int]:
    """1, 2, 5, 10, 20, 25, 50, 100, ...: steps an axis reads at a glance."""
    power = 1
    while True:
        yield from (power, 2 * power, *((power * 5 // 2,) if power >= 10 else ()), 5 * power)
        power *= 10


def y_axis(highest: int) -> tuple[list[int], list[str]]:
    """The ticks from 0 to the first round number at or above `highest`, at most TICKS_MAX
    steps, and their labels (1.5k, 2M)."""
    high = max(highest, 1)
    step = next(step for step in _steps() if -(-high // step) <= TICKS_MAX)
    ticks = list(range(0, -(-high // step) * step + 1, step))
    return ticks, [compact_count(tick) for tick in ticks]
