"""`cttui favorites rename`, `duplicate` and `delete`: through the session, as the app's
favourites screen does (the file, the history and live jobs together)."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, NamedTuple

from cttui.api.errors import UsageError
from cttui.cli.exits import EXIT_OK
from cttui.cli.favorites import read_shelf, unknown_favorite
from cttui.cli.output import say
from cttui.cli.session import opened
from cttui.store.favorites_shared import read_only_reason

if TYPE_CHECKING:
    from cttui.cli.arguments import NameArgs, Scope
    from cttui.store.favorites import Favorite


class FavoritesRenameArgs(NamedTuple):
    scope: Scope
    old: str
    new: str


class FavoritesDeleteArgs(NamedTuple):
    scope: Scope
    name: str
    yes: bool


def favorites_rename(args: FavoritesRenameArgs) -> int:
    old = _existing(args.scope, args.old, changed=True)

    async def rename() -> str:
        async with opened(args.scope) as session:
            await session.journal.load(lambda _: False)
            await session.favorites.rename(old.name, args.new)
            renamed = session.favorites.current.find(args.new.strip())
            return renamed.name if renamed is not None else args.new

    print(f"{old.name} is now {asyncio.run(rename())}")
    return EXIT_OK


def favorites_duplicate(args: NameArgs) -> int:
    original = _existing(args.scope, args.name)

    async def duplicate() -> Favorite:
        async with opened(args.scope) as session:
            return await session.favorites.duplicate(original.name)

    print(f"{asyncio.run(duplicate()).name} saved")
    return EXIT_OK


def favorites_delete(args: FavoritesDeleteArgs) -> int:
    favorite = _existing(args.scope, args.name, changed=True)
    if not args.yes and not sys.stdin.isatty():
        raise UsageError("add --yes to delete a favourite without being asked")

    async def delete() -> bool:
        async with opened(args.scope) as session:
            await session.journal.load(lambda _: False)
            if not args.yes:
                counts = len(session.favorites.history().get(favorite.name, ()))
                past = f" and its {counts} past count(s)" if counts else ""
                question = f"Delete favourite {favorite.name!r}{past}? [y/N] "
                answer = await asyncio.to_thread(input, question)
                if answer.strip().lower() not in {"y", "yes"}:
                    return False
            await session.favorites.delete([favorite.name])
            return True

    if not asyncio.run(delete()):
        say("nothing deleted")
        return EXIT_OK
    print(f"{favorite.name} deleted")
    return EXIT_OK


def _existing(scope: Scope, name: str, *, changed: bool = False) -> Favorite:
    """The favourite `name` names (case does not matter), else the error listing the known;
    one to be `changed` must be your own."""
    shelf = read_shelf(scope)
    found = shelf.resolve(name)
    if found is None:
        raise unknown_favorite(name, shelf)
    reason = read_only_reason(found.favorite) if changed else None
    if reason is not None:
        raise UsageError(reason)
    return found.favorite
