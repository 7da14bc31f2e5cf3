"""Periods of a series: the last N days, ISO weeks (Monday to Sunday) or calendar months, and
the period of the same length just before a range (what `--compare previous` counts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from cttui.api.errors import UsageError
from cttui.api.models import DateRange

# A series asks one count per period: more than this is a mistake, not a question (52 weeks,
# 24 months and three months of days all fit).
PERIODS_MAX = 120


class Every(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    @property
    def plural(self) -> str:
        return f"{self.value}s"


@dataclass(frozen=True)
class Period:
    """One point of a series: its dates, and whether the period is still under way (its range
    then stops at today)."""

    dates: DateRange
    current: bool = False


def period_of(every: Every, day: date) -> DateRange:
    """The whole period of `every` that holds `day`."""
    if every is Every.DAY:
        return DateRange(day, day)
    if every is Every.WEEK:
        monday = day - timedelta(days=day.weekday())
        return DateRange(monday, monday + timedelta(days=6))
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return DateRange(first, following - timedelta(days=1))


def periods(every: Every, last: int, today: date, *, current: bool = True) -> list[Period]:
    """The `last` periods up to today, oldest first: the one under way (cut at today) is the
    last of them, or, without `current`, they end with the last one finished."""
    if not 1 <= last <= PERIODS_MAX:
        raise UsageError(f"--last must be between 1 and {PERIODS_MAX} (got {last})")
    # The period holding today is under way until today is over, whatever day it is.
    now = period_of(every, today)
    found = [Period(DateRange(now.start, today), current=True)] if current else []
    day = now.start - timedelta(days=1)
    while len(found) < last:
        whole = period_of(every, day)
        found.append(Period(whole))
        day = whole.start - timedelta(days=1)
    found.reverse()
    return found


def previous(dates: DateRange) -> DateRange:
    """The range of the same number of days just before `dates`; a whole calendar month gives
    the whole month before it."""
    month = period_of(Every.MONTH, dates.start)
    if dates == month:
        return period_of(Every.MONTH, dates.start - timedelta(days=1))
    end = dates.start - timedelta(days=1)
    return DateRange(end - timedelta(days=dates.days - 1), end)
