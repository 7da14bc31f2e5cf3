"""Alerts for cron: a favourite's limits (favorites.toml's `alert`) with those of --alert-*
in their place; a breach is one line on stderr and exit code 4 (EXIT_ALERT)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cttui.cli.exits import EXIT_ALERT, EXIT_OK, EXIT_PENDING
from cttui.cli.output import say
from cttui.trends import Alert, parse_percent, verdict

if TYPE_CHECKING:
    from cttui.cli.arguments import AlertArgs
    from cttui.records import FavoriteRun
    from cttui.store.favorites import Favorite


def alert_of(args: AlertArgs, favorite: Favorite | None) -> Alert:
    """The limits to hold a count to; raises UsageError for a flag or a table that does not
    read."""
    flags = Alert(
        args.alert_below,
        args.alert_above,
        _percent(args.alert_change_below, "--alert-change-below"),
        _percent(args.alert_change_above, "--alert-change-above"),
    )
    own = favorite.alert if favorite is not None else Alert()
    return own.merged(flags)


def _percent(text: str | None, option: str) -> float | None:
    return None if text is None else parse_percent(text, option)


def breaches(alert: Alert, label: str, runs: Sequence[FavoriteRun]) -> list[str]:
    """One line per limit the latest of `runs` breaks (see trends.change_of for which)."""
    judged = verdict(alert, runs)
    latest = judged.latest
    if latest is None:
        return []
    dates = f"{latest.start.isoformat()}..{latest.end.isoformat()}"
    return [f"alert: {label} {dates}: {found}" for found in judged.breaches]


def report_breaches(alert: Alert, label: str, runs: Sequence[FavoriteRun], code: int) -> int:
    """Say each breach; the exit code is EXIT_ALERT when there is one and nothing failed."""
    found = breaches(alert, label, runs)
    for line in found:
        say(line)
    if found and code in (EXIT_OK, EXIT_PENDING):
        return EXIT_ALERT
    return code
