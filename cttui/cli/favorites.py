"""`cttui favorites`: the saved favourites, yours and the shared files', with their history of
counts (read only: the edits are `favorites_edit`, which loads a session)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from cttui.api.errors import UsageError
from cttui.api.ranges import RangePreset
from cttui.cli.connect import today
from cttui.cli.exits import EXIT_OK, EXIT_USAGE
from cttui.cli.output import emit, say
from cttui.exports import Value, filters_text, table_lines
from cttui.report import summary_text
from cttui.store.favorites import since_query_changed
from cttui.store.favorites_shared import SharedFavorite, Shelf, shared_paths
from cttui.store.paths import config_file
from cttui.trends import Alert, Change, change_of, verdict

if TYPE_CHECKING:
    from pathlib import Path

    from cttui.api.models import DateRange
    from cttui.cli.arguments import (
        ListArgs,
        Scope,
    )
    from cttui.records import FavoriteRun
    from cttui.store.favorites import Favorite

NO_FAVORITES = "save one with ctrl+s in the app, or 'cttui count ... --save NAME'"


def favorites_list(args: ListArgs) -> int:
    scope = args.scope
    shelf = read_shelf(scope)
    favorites, items = shelf.own, shelf.items()
    for problem in favorites.problems:
        say(problem.message)
    code = EXIT_USAGE if favorites.problems else EXIT_OK
    if not items and not favorites.problems:
        say(f"no favourites yet: {NO_FAVORITES}")
    history = _favorite_history(scope) if items else {}
    day = today(scope.demo)
    emit(
        FAVORITES_HEADER,
        (_favorite_row(item, _current(item, history), day) for item in items),
        args.format or "table",
        args.output,
        table=lambda: _favorites_table(items, history, day),
        records=(_favorite_json(item, history.get(item.name, ()), day) for item in items),
    )
    return code


def read_shelf(scope: Scope) -> Shelf:
    """Your favourites and the shared files' that config.toml names (none in the demo). A
    shared file's problem is a warning: your own favourites work whatever it says."""
    shelf = Shelf.read(scope.favorites_file, shared_files(scope))
    for problem in shelf.problems():
        say(f"warning: {problem.message}; your own favourites work as before")
    return shelf


def shared_files(scope: Scope) -> tuple[Path, ...]:
    """The shared favourites files config.toml names; a config.toml that cannot be read names
    none, with a warning."""
    from cttui.store.config import load_config

    if scope.demo:
        return ()
    path = config_file()
    try:
        return shared_paths(load_config(path), path)
    except UsageError as error:
        say(f"warning: {error.message}; shared favourites are not read until then")
    return ()


def unknown_favorite(name: str, shelf: Shelf) -> UsageError:
    return shelf.unknown(name, NO_FAVORITES)


def _favorite_history(scope: Scope) -> Mapping[str, Sequence[FavoriteRun]]:
    """Every favourite's counts from the journal; one it cannot read is a warning, not a
    reason to list no favourites."""
    # Here, not at the top: with no favourites saved, the journal (SQLite) is never loaded.
    from cttui.cli.journal import journal_history

    try:
        return journal_history(scope)
    except UsageError as error:
        say(f"warning: {error.message}")
    return {}


def _range_text(dates: DateRange | RangePreset) -> str:
    if isinstance(dates, RangePreset):
        return dates.label
    return f"{dates.start.isoformat()}..{dates.end.isoformat()}"


def _favorites_table(
    items: Sequence[Favorite], history: Mapping[str, Sequence[FavoriteRun]], day: date
) -> Iterator[str]:
    rows = []
    for item in items:
        runs = _current(item, history)
        judged = verdict(Alert(), runs)
        # The count its change is of, so that the two say the same period.
        last = judged.latest
        rows.append(
            (
                item.name,
                summary_text(item.query(day), 40),
                _range_text(item.dates),
                item.profile or "",
                str(last.count) if last else "",
                judged.short_change,
                datetime.fromtimestamp(last.at).strftime("%Y-%m-%d %H:%M") if last else "",
                str(len(runs)),
            )
        )
    if rows:
        header = ("NAME", "QUERY", "RANGE", "PROFILE", "LAST", "CHANGE", "WHEN", "RUNS")
        yield from table_lines(header, rows, right=(4, 5, 7))


def _current(item: Favorite, history: Mapping[str, Sequence[FavoriteRun]]) -> Sequence[FavoriteRun]:
    """Its counts of the query it has now: those of a query it held before count no more."""
    return since_query_changed(history.get(item.name, ()), item.query_key)[1]


FAVORITES_HEADER = (
    "name", "event", "filters", "range", "from", "to", "profile", "notes", "last_count",
    "last_counted_at", "runs", "change", "change_ratio",
)  # fmt: skip


def _favorite_row(favorite: Favorite, runs: Sequence[FavoriteRun], day: date) -> tuple[Value, ...]:
    """A favourite for a spreadsheet: its dates resolved for today, its last count (of `runs`,
    those of its current query) and its change."""
    dates = favorite.query(day).date_range
    judged = verdict(Alert(), runs)
    last, change = judged.latest, judged.change
    return (
        favorite.name,
        favorite.event_name,
        filters_text(favorite.filters),
        favorite.dates.value if isinstance(favorite.dates, RangePreset) else None,
        dates.start,
        dates.end,
        favorite.profile,
        favorite.notes,
        last.count if last else None,
        datetime.fromtimestamp(last.at).astimezone() if last else None,
        len(runs),
        change.difference if change else None,
        round(change.ratio, 6) if change and change.ratio is not None else None,
    )


def _change_json(change: Change | None) -> dict[str, object] | None:
    if change is None:
        return None
    run = change.run
    return {"count": run.count, "from": run.start.isoformat(), "to": run.end.isoformat()} | (
        change.as_json()
    )


def _favorite_json(favorite: Favorite, runs: Sequence[FavoriteRun], day: date) -> dict[str, object]:
    """A favourite for scripts: its dates resolved for today, its counts with local times."""
    dates = favorite.query(day).date_range
    change = change_of(since_query_changed(runs, favorite.query_key)[1])
    return {
        "name": favorite.name,
        "event_name": favorite.event_name,
        "filters": [
            {
                "name": item.name,
                "operator": item.operator.value,
                "value": list(item.value) if isinstance(item.value, tuple) else item.value,
            }
            for item in favorite.filters
        ],
        "range": favorite.dates.value if isinstance(favorite.dates, RangePreset) else None,
        "from": dates.start.isoformat(),
        "to": dates.end.isoformat(),
        "profile": favorite.profile,
        "notes": favorite.notes,
        # The shared file it comes from (its name, as `name` starts), or null for your own.
        "file": favorite.source if isinstance(favorite, SharedFavorite) else None,
        # Of its current query's counts: the latest against the one before of its kind, the
        # count it is of and its dates first.
        "change": _change_json(change),
        "runs": [
            {
                "job": run.job_id,
                "at": datetime.fromtimestamp(run.at).astimezone().isoformat(timespec="seconds"),
                "count": run.count,
                "from": run.start.isoformat(),
                "to": run.end.isoformat(),
            }
            for run in runs
        ],
    }
