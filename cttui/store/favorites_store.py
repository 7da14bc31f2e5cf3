"""favorites.toml on disk: read whole, and changed one step at a time.

Every change re-reads the file under a lock and replaces it whole (temporary file, fsync,
rename), so neither a hand edit made meanwhile nor a crash mid-write loses a favourite; a file
with problems is never written, and until it is fixed the favourites that could be read are
read-only.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from cttui.api.errors import UsageError
from cttui.store.favorites import (
    NAME_MAX,
    Favorite,
    FavoriteExists,
    Favorites,
    FavoritesError,
    check_favorite_name,
    same_name,
)
from cttui.store.favorites_toml import dump_favorites, parse_favorites
from cttui.store.files import (
    FAVORITES_MAX_BYTES,
    Unreadable,
    describe,
    private_directory,
    read_limited,
    signature,
    write_atomically,
)


def read_favorites(path: Path) -> Favorites:
    """The file's favourites; a missing file has none. Never raises: a file that cannot be read
    comes back with that as its problem."""
    before = signature(path)
    try:
        data = read_limited(path, FAVORITES_MAX_BYTES)
    except Unreadable as error:
        problem = FavoritesError(path, 0, 0, error.reason)
        return Favorites(path, problems=(problem,), signature=before)
    if data is None:
        return Favorites(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        # In characters, as TOML errors and editors count: all before the bad byte decodes.
        start = data.rfind(b"\n", 0, error.start) + 1
        column = len(data[start : error.start].decode("utf-8")) + 1
        reason = "is not UTF-8 text; save it as UTF-8"
        return Favorites(
            path, problems=(FavoritesError(path, line, column, reason),), signature=before
        )
    return replace(parse_favorites(text, path), signature=before)


class FavoritesStore:
    """favorites.toml: read it, and change it one step at a time.

    Every change reads the file afresh under a lock (another cttui may be saving too), refuses
    if the file has problems, and writes the whole new file in place of the old.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> Favorites:
        return read_favorites(self.path)

    def save(self, favorite: Favorite, *, replace_existing: bool = False) -> Favorites:
        """Add `favorite`, or with `replace_existing` put it in place of the one of its name."""
        return self.save_if_changed(favorite, replace_existing=replace_existing)[0]

    def save_if_changed(
        self, favorite: Favorite, *, replace_existing: bool = False
    ) -> tuple[Favorites, bool]:
        """`save`, unless the file holds `favorite` already as it is (`same_query`): then not a
        byte is written, whatever `replace_existing`. Whether it wrote."""

        def change(items: list[Favorite]) -> list[Favorite] | None:
            index = _index(items, favorite.name)
            if index is None:
                return [*items, favorite]
            if items[index].same_query(favorite):
                return None
            if not replace_existing:
                raise FavoriteExists(items[index].name)
            items[index] = favorite.keeping(items[index])
            return items

        return self._change_if(change)

    def rename(self, old: str, new: str) -> Favorites:
        new = check_favorite_name(new)

        def change(items: list[Favorite]) -> list[Favorite]:
            index = self._existing(items, old)
            taken = _index(items, new)
            if taken is not None and taken != index:
                raise FavoriteExists(items[taken].name)
            items[index] = replace(items[index], name=new)
            return items

        return self._change(change)

    def duplicate(self, name: str) -> tuple[Favorites, Favorite]:
        """A copy beside the original, named "NAME (copy)", "NAME (copy 2)", ..."""
        made: list[Favorite] = []

        def change(items: list[Favorite]) -> list[Favorite]:
            index = self._existing(items, name)
            made.append(replace(items[index], name=_free_name(items, items[index].name)))
            items.insert(index + 1, made[0])
            return items

        return self._change(change), made[0]

    def add_copy(self, favorite: Favorite) -> tuple[Favorites, Favorite]:
        """`favorite` (another file's) at the end, under its own name if free, else as a copy."""
        made: list[Favorite] = []

        def change(items: list[Favorite]) -> list[Favorite]:
            free = _index(items, favorite.name) is None
            made.append(
                replace(favorite, name=favorite.name if free else _free_name(items, favorite.name))
            )
            return [*items, made[0]]

        return self._change(change), made[0]

    def delete(self, names: Sequence[str]) -> Favorites:
        def change(items: list[Favorite]) -> list[Favorite]:
            doomed = {self._existing(items, name) for name in names}
            return [item for index, item in enumerate(items) if index not in doomed]

        return self._change(change)

    def _existing(self, items: list[Favorite], name: str) -> int:
        index = _index(items, name)
        if index is None:
            raise UsageError(
                f"no favourite named {name!r} in {self.path} any more (was it edited by hand?)"
            )
        return index

    def _change(self, change: Callable[[list[Favorite]], list[Favorite]]) -> Favorites:
        return self._change_if(change)[0]

    def _change_if(
        self, change: Callable[[list[Favorite]], list[Favorite] | None]
    ) -> tuple[Favorites, bool]:
        """The file changed by `change`, which returns None when there is nothing to write;
        whether it wrote."""
        with self._locked():
            current = self.read()
            if not current.writable:
                raise UsageError(current.read_only_reason())
            items = change(list(current.items))
            if items is None:
                return current, False
            updated = replace(current, items=tuple(items))
            try:
                text = dump_favorites(updated)
            except RecursionError:
                raise UsageError(
                    f"{self.path} holds keys nested too deeply to write back; fix it"
                ) from None
            self._write(text)
        return replace(updated, signature=signature(self.path)), True

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # The directory itself is locked: the file is replaced by each write, and a lock file
        # would be one more thing in the user's config directory.
        directory = self.path.parent
        try:
            private_directory(directory)
            handle = os.open(directory, os.O_RDONLY)
        except OSError as error:
            raise UsageError(
                f"cannot write {self.path}: {describe(error)}; the file was not changed"
            ) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            os.close(handle)

    def _write(self, text: str) -> None:
        write_atomically(self.path, text.encode("utf-8"))


def _free_name(items: Sequence[Favorite], name: str) -> str:
    """ "NAME (copy)", else "NAME (copy 2)", ...: the first no favourite of `items` has."""
    number = 1
    while True:
        suffix = " (copy)" if number == 1 else f" (copy {number})"
        candidate = name[: NAME_MAX - len(suffix)] + suffix
        if _index(items, candidate) is None:
            return candidate
        number += 1


def _index(items: Sequence[Favorite], name: str) -> int | None:
    return next((n for n, item in enumerate(items) if same_name(item.name, name)), None)
