"""The favourites as a table: one row per favourite, its last count and its counts over time;
and the words under it about the one selected."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import BindingType
from textual.widgets import DataTable

from cttui.api.errors import CttuiError
from cttui.api.models import DateRange
from cttui.api.ranges import RangePreset
from cttui.jobs import Job
from cttui.records import FavoriteRun
from cttui.report import filter_text, labelled_sparkline, summary_text, when_text
from cttui.store.favorites import Favorite, since_query_changed
from cttui.trends import Alert, Verdict, drawn, family, range_text, under_way, verdict
from cttui.tui.keys import bindings

# Label, key and width; the name's and the query's follow the width (see `fit`).
COLUMNS = (
    (" ", "mark", 1),
    ("Name", "name", 22),
    ("Query", "query", 24),
    ("Range", "range", 17),
    ("Last count", "last", 10),
    ("Change", "change", 6),
    ("When", "when", 10),
    ("Counts over time", "trend", 20),
)
WIDTHS = {key: width for _, key, width in COLUMNS}
MARK = "●"
# When the width runs short the range goes first, then the query: the box under the list says
# both of the selected favourite, and the count, when and trend are what the list is for.
DROPPED_FIRST = ("range", "query")
NAME_LEAST, QUERY_LEAST = 16, 20
PADDING = 2  # a DataTable cell's padding, both sides
# A filter in the detail, at most: two fit beside the event at 80 columns.
FILTER_WIDTH = 36


class FavoritesTable(DataTable[str | Text]):
    # The cells' styles, from cttui.tcss: `FavoritesTable > .favorites--trend`.
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "favorites--mark",
        "favorites--name",
        "favorites--running",
        "favorites--never-run",
        "favorites--trend",
        "favorites--up",
        "favorites--down",
        "favorites--alert",
    }
    # DataTable keeps enter to itself, unshown: here it is the key that matters most.
    BINDINGS: ClassVar[list[BindingType]] = bindings("favorites-table")

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.widths: dict[str, int] = dict(WIDTHS)
        self.shown: tuple[str, ...] = ()

    def fit(self, available: int, longest_name: int, longest_query: int) -> bool:
        """Choose the columns and widths for `available` cells, the name whole if it can be
        and the query up to its longest summary; whether they changed (the columns are then
        added afresh, and the rows must be too). The change gives way to a whole name (the
        box under the list says it of the selected favourite)."""
        keys, widths = self._widths(available, longest_name, longest_query, with_change=True)
        if widths["name"] < longest_name:
            whole = self._widths(available, longest_name, longest_query, with_change=False)
            if whole[1]["name"] >= longest_name:
                keys, widths = whole
        shown = tuple(keys)
        if (shown, widths) == (self.shown, self.widths):
            return False
        self.shown, self.widths = shown, widths
        self.clear(columns=True)
        labels = {key: label for label, key, _ in COLUMNS}
        for key in shown:
            self.add_column(labels[key], key=key, width=widths[key])
        return True

    @staticmethod
    def _widths(
        available: int, longest_name: int, longest_query: int, *, with_change: bool
    ) -> tuple[list[str], dict[str, int]]:
        keys = [key for _, key, _ in COLUMNS if with_change or key != "change"]
        fixed = {key: width for key, width in WIDTHS.items() if key not in ("name", "query")}

        def room(keys: list[str]) -> int:
            return available - sum(fixed.get(key, 0) + PADDING for key in keys)

        for key in DROPPED_FIRST:
            least = NAME_LEAST + (QUERY_LEAST if "query" in keys else 0)
            if room(keys) >= least:
                break
            keys.remove(key)
        left = max(0, room(keys))
        widths = dict(WIDTHS)
        if "query" in keys:
            widths["name"] = max(min(longest_name, left - QUERY_LEAST), min(NAME_LEAST, left))
            widths["query"] = max(len("Query"), min(left - widths["name"], longest_query))
        else:
            widths["name"] = max(len("Name"), min(left, longest_name))
        return keys, widths

    def shown_cells(self, cells: Sequence[str | Text]) -> list[str | Text]:
        """Of a row's every cell (as `cells` gives them), those of the columns shown."""
        every = dict(zip((key for _, key, _ in COLUMNS), cells, strict=True))
        return [every[key] for key in self.shown]

    def cells(
        self,
        item: Favorite,
        runs: Sequence[FavoriteRun],
        running: Sequence[Job],
        *,
        marked: bool,
        today: date,
        now: float,
    ) -> tuple[str | Text, ...]:
        """`item`'s row: `runs` its counts so far, `running` its jobs still out. The last
        count and the sparkline are of its current query: those of a query it held before are
        left out (the detail says how many)."""
        earlier, runs = since_query_changed(runs, item.query_key)
        judged = judge(item, runs)
        # The count its change is of, so that the two say the same period.
        last = judged.latest
        change = Text(judged.short_change, justify="right")
        if judged.change is not None and judged.change.difference:
            change.stylize(
                self._style("favorites--up" if judged.change.difference > 0 else "favorites--down")
            )
        if running:
            count = Text(
                str(running[-1].state), style=self._style("favorites--running"), justify="right"
            )
        else:
            never = "new query" if earlier else "never run"
            count = Text(f"{last.count:,}" if last else never, justify="right")
            if last is None:
                count.stylize(self._style("favorites--never-run"))
            elif judged.breaches:
                # Marked by more than its colour: "!" reads in every theme and on a mono terminal.
                count = Text(
                    f"!{last.count:,}", justify="right", style=self._style("favorites--alert")
                )
        return (
            Text(MARK if marked else " ", style=self._style("favorites--mark")),
            Text(cut(item.name, self.widths["name"]), style=self._style("favorites--name")),
            Text(summary_text(item.query(today), self.widths["query"])),
            Text(cut(short_range(item.dates), self.widths["range"])),
            count,
            change,
            Text(when_text(last.at, now) if last else ""),
            Text(
                labelled_sparkline(trend_counts(runs, last), WIDTHS["trend"]),
                style=self._style("favorites--trend"),
            ),
        )

    def _style(self, component: str) -> Style:
        return self.get_component_rich_style(component, partial=True)


def judge(item: Favorite, runs: Sequence[FavoriteRun]) -> Verdict:
    """`runs` (of its current query) against its limits; a table that does not read (kept out
    of the list when it is read, so only by a race) holds it to none."""
    try:
        alert = item.alert
    except CttuiError:
        alert = Alert()
    return verdict(alert, runs)


def trend_counts(runs: Sequence[FavoriteRun], latest: FavoriteRun | None) -> list[int]:
    """The sparkline's counts, by their ranges' ends: those of the kind of the last count
    (trends.family: weeks with weeks, not a month among them), each range once (trends.drawn),
    and beside whole periods without the one under way (a part is not a drop)."""
    if latest is None:
        return []
    same = family(latest)
    shown = [run for run in drawn(runs) if family(run) == same]
    whole = [run.count for run in shown if under_way(run) is None]
    return whole if whole and under_way(latest) is None else [run.count for run in shown]


def short_range(dates: DateRange | RangePreset) -> str:
    """ "Last 7 days", or fixed dates as `2026-11-10..11-16`: seventeen cells at most."""
    return dates.label if isinstance(dates, RangePreset) else range_text(dates)


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def matches(item: Favorite, terms: list[str]) -> bool:
    """Every word typed appears in the name, the event, a property or the notes."""
    haystack = " ".join(
        [item.name, item.event_name, *(f.name for f in item.filters), item.notes or ""]
    ).casefold()
    return all(term in haystack for term in terms)


def favorite_detail(
    item: Favorite, runs: Sequence[FavoriteRun], today: date, interrupted: Job | None
) -> str:
    """One line for each part, the query first, the notes last. The box draws each line
    unwrapped, cut with "…" where it is too long, so a long value never pushes the dates, the
    profile or the notes out of it; a filter is cut short too, for the next to show."""
    query = item.query(today)
    dates = query.date_range
    span = str(dates.start) if dates.start == dates.end else f"{dates.start} to {dates.end}"
    lines = [
        " · ".join([query.event_name, *(cut(filter_text(f), FILTER_WIDTH) for f in query.filters)]),
        " · ".join(
            [
                f"{item.dates.label}: {span}" if isinstance(item.dates, RangePreset) else span,
                f"runs on profile {item.profile}" if item.profile else "runs on the active profile",
            ]
        ),
    ]
    earlier, runs = since_query_changed(runs, item.query_key)
    judged = judge(item, runs)
    counted = []
    if runs:
        # The lowest and highest as the sparkline has them: of one kind of range, whole.
        counts = trend_counts(runs, judged.latest)
        # Of which days, not when: a series fills months of them in a minute.
        days = range_text(DateRange(min(run.start for run in runs), max(run.end for run in runs)))
        what = f"{len(runs)} counts of {days}" if len(runs) > 1 else f"1 count, of {days}"
        counted.append(f"{what}: lowest {min(counts):,}, highest {max(counts):,}")
    elif earlier:
        counted.append("No count of this query yet")
    if earlier:
        counted.append(f"{earlier} earlier count{'s' if earlier > 1 else ''} of a previous query")
    if counted:
        lines.append("; ".join(counted))
    if judged.change is not None:
        lines.append(f"Change: {judged.change.described()}")
    lines.extend(f"Alert: {breach}" for breach in judged.breaches)
    if interrupted is not None:
        started = datetime.fromtimestamp(interrupted.created).strftime("%Y-%m-%d %H:%M")
        lines.append(
            f"Last run (job {interrupted.id}, {started}) interrupted before CleverTap answered: "
            "r in the job list resubmits it"
        )
    if item.notes:
        lines.append(item.notes)
    return "\n".join(lines)
