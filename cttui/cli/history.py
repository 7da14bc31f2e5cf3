"""`cttui history NAME`: every count of one favourite, oldest first, as a table or an export.
Read only, like `cttui favorites`: no session, no network, no keyring."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from cttui.cli.exits import EXIT_OK
from cttui.cli.favorites import read_shelf, unknown_favorite
from cttui.cli.journal import journal_history
from cttui.cli.output import emit
from cttui.exports import history_rows

if TYPE_CHECKING:
    from cttui.cli.arguments import Scope


class HistoryArgs(NamedTuple):
    scope: Scope
    name: str
    every_query: bool
    format: str | None
    output: str | None


def history(args: HistoryArgs) -> int:
    # Yours or a shared file's (FILE:NAME), as `cttui run` finds it: its name is its history key.
    shelf = read_shelf(args.scope)
    found = shelf.resolve(args.name)
    if found is None:
        raise unknown_favorite(args.name, shelf)
    favorite = found.favorite
    runs = journal_history(args.scope).get(favorite.name, [])
    header, rows = history_rows(runs, favorite.query_key, every_query=args.every_query)
    # Counts and job numbers to the right, where their digits line up.
    emit(header, rows, args.format or "table", args.output, right=(2, 4))
    return EXIT_OK
