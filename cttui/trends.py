"""Counts over time, as a person reads them: the change of a count from the one before for the
same kind of range, and the limits (alerts) a count may breach. No I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from cttui.api.errors import UsageError
from cttui.api.models import DateRange
from cttui.api.periods import Every, period_of
from cttui.records import FavoriteRun


def range_text(dates: DateRange) -> str:
    """`2026-11-10..11-16`: the end's year said only when it differs."""
    start, end = dates.start, dates.end
    tail = end.isoformat() if start.year != end.year else end.strftime("%m-%d")
    return f"{start.isoformat()}..{tail}"


def percent_text(ratio: float) -> str:
    """+8.2%, -20%, +0%: one decimal below 10%, none above."""
    value = ratio * 100
    digits = 1 if abs(value) < 10 else 0
    text = f"{value:+.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("+0", "-0"):
        text = "+0"
    return f"{text}%"


@dataclass(frozen=True)
class Change:
    """The latest count of a kind of range, against the one before it."""

    run: FavoriteRun
    before: FavoriteRun

    @property
    def difference(self) -> int:
        return self.run.count - self.before.count

    @property
    def ratio(self) -> float | None:
        """None when the count before was 0 (no percentage means anything then)."""
        if self.before.count == 0:
            return None
        return self.difference / self.before.count

    @property
    def before_dates(self) -> DateRange:
        return DateRange(self.before.start, self.before.end)

    def text(self) -> str:
        """`+8.2% vs 2026-11-10..11-16` (or `+120 vs ...` from a count of 0)."""
        ratio = self.ratio
        amount = f"{self.difference:+,}" if ratio is None else percent_text(ratio)
        return f"{amount} vs {range_text(self.before_dates)}"

    def described(self) -> str:
        """`1,082 in 2026-11-17..11-23, +8.2% vs 2026-11-10..11-16`: which count it is of too,
        for where it stands apart from its count."""
        dates = DateRange(self.run.start, self.run.end)
        return f"{self.run.count:,} in {range_text(dates)}, {self.text()}"

    def as_json(self) -> dict[str, object]:
        return {
            "previous_count": self.before.count,
            "previous_from": self.before.start.isoformat(),
            "previous_to": self.before.end.isoformat(),
            "change": self.difference,
            "change_ratio": None if self.ratio is None else round(self.ratio, 6),
        }


def kind(run: FavoriteRun) -> int | str:
    """What a range is, to compare it with: a whole calendar month (of any length), else its
    number of days."""
    dates = DateRange(run.start, run.end)
    return "month" if dates == period_of(Every.MONTH, run.start) else dates.days


def under_way(run: FavoriteRun) -> Every | None:
    """The day, week or month that `run`'s range began and was not over on the day it was
    counted (a series' last point, a "this month" run, today alone), if it is one: its count
    is of part of that period, so far. A range cut short of a week or a month is one; so is a
    single day counted on that day."""
    if date.fromtimestamp(run.at) != run.end:
        return None
    if run.start == run.end:
        return Every.DAY
    for every in (Every.WEEK, Every.MONTH):
        whole = period_of(every, run.start)
        if whole.start == run.start and run.end < whole.end:
            return every
    return None


_WHOLE_KIND: dict[Every, int | str] = {Every.DAY: 1, Every.WEEK: 7, Every.MONTH: "month"}


def family(run: FavoriteRun) -> int | str:
    """The kind of range a count is drawn with: its own (see `kind`), or, of a period under
    way, that of the whole period (the week so far goes with the weeks)."""
    every = under_way(run)
    return kind(run) if every is None else _WHOLE_KIND[every]


def _alike(run: FavoriteRun) -> tuple[int | str, bool]:
    """What a count is compared with: the same kind of range, and of single days, one counted
    as late (a day counted while under way is compared with none but another such day)."""
    same = kind(run)
    return same, same == 1 and under_way(run) is not None


def drawn(runs: Sequence[FavoriteRun]) -> list[FavoriteRun]:
    """The counts a chart or a sparkline shows, by the range's end: the newest count of each
    range (the same week asked again is one point, not two), and of a period under way only
    its newest count, and none once the whole period is counted. The history keeps them all."""
    newest: dict[tuple[date, date], FavoriteRun] = {}
    for run in sorted(runs, key=lambda item: item.at):
        newest[run.start, run.end] = run
    parts: dict[tuple[Every, date], FavoriteRun] = {}
    kept = []
    for run in newest.values():
        every = under_way(run)
        if every is None:
            kept.append(run)
        elif (every, run.start) not in parts or parts[every, run.start].at <= run.at:
            parts[every, run.start] = run
    wholes = {(run.start, run.end) for run in kept}
    kept.extend(
        run
        for (every, start), run in parts.items()
        if (start, period_of(every, start).end) not in wholes
    )
    return sorted(kept, key=lambda run: (run.end, run.at))


def before(runs: Sequence[FavoriteRun], run: FavoriteRun) -> FavoriteRun | None:
    """The count of `runs` just before `run` for the same kind of range (see `kind`), ending
    before it starts (the last 7 days today are not compared with the last 7 days of two days
    ago, which share five of them): the latest such range, and of its counts the newest."""
    same = _alike(run)
    earlier = [item for item in runs if item.end < run.start and _alike(item) == same]
    return max(earlier, key=lambda item: (item.end, item.at), default=None)


def change_of(runs: Sequence[FavoriteRun]) -> Change | None:
    """The change of the latest count (the latest range, then the newest count of it) from the
    one before for the same kind of range, ending before it starts (see `before`). A latest
    range with none before it (the week under way beside whole weeks, a one-off run) gives way
    to the latest that has one."""
    kinds: dict[tuple[int | str, bool], list[FavoriteRun]] = {}
    for run in runs:
        kinds.setdefault(_alike(run), []).append(run)
    found: Change | None = None
    for same in kinds.values():
        same.sort(key=lambda item: (item.end, item.at))
        latest = same[-1]
        # The newest count of the latest range that ends before this one starts.
        earlier = next((item for item in reversed(same) if item.end < latest.start), None)
        if earlier is None:
            continue
        if found is None or (latest.end, latest.at) > (found.run.end, found.run.at):
            found = Change(latest, earlier)
    return found


_PERCENT = re.compile(r"\s*([+-]?\d+(?:\.\d+)?)\s*%\s*")


def parse_percent(text: str, what: str) -> float:
    """'-20%' -> -0.2; raises UsageError saying how to write it."""
    found = _PERCENT.fullmatch(text)
    if found is None:
        raise UsageError(f"{what} must be a percentage such as -20% (got {text!r})")
    return float(found.group(1)) / 100


@dataclass(frozen=True)
class Alert:
    """Limits on a favourite's count: below or above a number, or a change from the count
    before (a fraction: -0.2 is -20%) below or above a percentage."""

    below: int | None = None
    above: int | None = None
    change_below: float | None = None
    change_above: float | None = None

    def __bool__(self) -> bool:
        return any(value is not None for value in self.as_toml().values())

    def merged(self, other: Alert) -> Alert:
        """These limits, with those `other` sets in their place."""
        return Alert(
            self.below if other.below is None else other.below,
            self.above if other.above is None else other.above,
            self.change_below if other.change_below is None else other.change_below,
            self.change_above if other.change_above is None else other.change_above,
        )

    def as_toml(self) -> dict[str, int | str]:
        table: dict[str, int | str] = {}
        if self.below is not None:
            table["below"] = self.below
        if self.above is not None:
            table["above"] = self.above
        if self.change_below is not None:
            table["change_below"] = percent_text(self.change_below)
        if self.change_above is not None:
            table["change_above"] = percent_text(self.change_above)
        return table

    def breaches(self, count: int, change: Change | None) -> list[str]:
        """One sentence per limit `count` (and its change) breaks, saying by how much."""
        found = []
        if self.below is not None and count < self.below:
            found.append(f"{count:,} is below {self.below:,} by {self.below - count:,}")
        if self.above is not None and count > self.above:
            found.append(f"{count:,} is above {self.above:,} by {count - self.above:,}")
        ratio = None if change is None else change.ratio
        if change is not None and ratio is not None:
            vs = f"vs {range_text(change.before_dates)}"
            if self.change_below is not None and ratio < self.change_below:
                found.append(
                    f"change {percent_text(ratio)} {vs} is below {percent_text(self.change_below)}"
                )
            if self.change_above is not None and ratio > self.change_above:
                found.append(
                    f"change {percent_text(ratio)} {vs} is above {percent_text(self.change_above)}"
                )
        return found


_ALERT_KEYS = ("below", "above", "change_below", "change_above")


def parse_alert(table: Mapping[str, object]) -> Alert:
    """An alert table of favorites.toml; raises UsageError naming the key to fix."""
    unknown = sorted(set(table) - set(_ALERT_KEYS))
    if unknown:
        raise UsageError(f"alert has an unknown key {unknown[0]!r}; use {', '.join(_ALERT_KEYS)}")
    return Alert(
        _limit(table, "below"),
        _limit(table, "above"),
        _change_limit(table, "change_below"),
        _change_limit(table, "change_above"),
    )


def _limit(table: Mapping[str, object], key: str) -> int | None:
    value = table.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise UsageError(f"alert {key} must be a whole number of 0 or more (got {value!r})")
    return value


def _change_limit(table: Mapping[str, object], key: str) -> float | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise UsageError(f'alert {key} must be a percentage in quotes, such as "-20%"')
    return parse_percent(value, f"alert {key}")


@dataclass(frozen=True)
class Verdict:
    """A favourite's counts as they stand: the latest (see `change_of` for which), its change,
    and the limits it breaches."""

    latest: FavoriteRun | None
    change: Change | None
    breaches: tuple[str, ...] = ()

    @property
    def short_change(self) -> str:
        """`+8.2%` (or `+120` from a count of 0); empty without a change."""
        change = self.change
        if change is None:
            return ""
        ratio = change.ratio
        return percent_text(ratio) if ratio is not None else f"{change.difference:+,}"


def verdict(alert: Alert, runs: Sequence[FavoriteRun]) -> Verdict:
    """Where `runs` (oldest first) stand against `alert`."""
    if not runs:
        return Verdict(None, None)
    change = change_of(runs)
    latest = change.run if change else max(runs, key=lambda run: (run.end, run.at))
    found = alert.breaches(latest.count, change) if alert else []
    return Verdict(latest, change, tuple(found))
