"""The session's favourites: favorites.toml and the shared files config.toml names, and with
each change the journal's history and the live jobs that carry a favourite's name."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cttui.api.errors import UsageError
from cttui.session.changes import Change, FavoritesChanged, Notice
from cttui.store.favorites import Favorite, Favorites, same_name
from cttui.store.favorites_shared import (
    Resolved,
    SharedFavorite,
    SharedFile,
    Shelf,
    as_own,
    read_only_reason,
    reread,
    shadowing,
    shared_paths,
)
from cttui.store.favorites_store import FavoritesStore
from cttui.store.files import signature

if TYPE_CHECKING:
    from cttui.jobs import Job, JobManager
    from cttui.records import FavoriteRun
    from cttui.store.config import Config
    from cttui.store.credentials import CredentialStore
    from cttui.store.journal_writer import JournalWriter


class Configured(Protocol):
    """Where the shared files are named: config.toml as last read, and where it is."""

    @property
    def config(self) -> Config: ...

    @property
    def store(self) -> CredentialStore: ...


class FavoriteBook:
    """`current` is favorites.toml as last read; while the file has problems, the favourites
    last read whole (read-only). `shared` are the files `configured`'s config.toml names, as
    last read."""

    def __init__(
        self,
        path: Path,
        journal: JournalWriter,
        jobs: JobManager,
        publish: Callable[[Change], None],
        configured: Configured | None = None,
    ) -> None:
        self.store = FavoritesStore(path)
        self.current = Favorites(path)
        self.shared: tuple[SharedFile, ...] = ()
        self._configured = configured
        self._shared_read = False
        self._journal = journal
        self._jobs = jobs
        self._publish = publish
        # The favourite the list stood on last, by name: F3 comes back to it (this run only).
        self.last_used: str | None = None

    def history(self) -> Mapping[str, Sequence[FavoriteRun]]:
        """Each favourite's counts over time, the oldest first."""
        return self._journal.history()

    def _shared_files(self) -> Sequence[Path]:
        configured = self._configured
        if configured is None:
            return ()
        return shared_paths(configured.config, configured.store.config_path)

    def listed(self) -> list[Favorite]:
        """Your own favourites, then each shared file's (named `FILE:NAME`)."""
        return Shelf(self.current, self.shared).items()

    def resolve(self, name: str) -> Resolved | None:
        """The favourite `name` names, and its history key: see `Shelf.resolve`."""
        return Shelf(self.current, self.shared).resolve(name)

    def holds(self, favorite: Favorite) -> bool:
        """Whether `favorite` is still listed, as it is."""
        found = self.resolve(favorite.name)
        return found is not None and found.favorite == favorite

    def jobs_of(self, name: str) -> list[Job]:
        return [job for job in self._jobs.jobs if job.favorite == name]

    async def reload(self) -> None:
        """Read favorites.toml and the shared files again where they changed on disk (a hand
        edit, another cttui, a git pull)."""

        def read() -> tuple[Favorites | None, tuple[SharedFile, ...] | None]:
            own = None
            if signature(self.store.path) != self.current.signature:
                own = self.store.read()
            return own, reread(self.shared, self._shared_files())

        favorites, shared = await asyncio.to_thread(read)
        self._shared_read = True
        if shared is not None:
            self._take_shared(shared)
        if favorites is not None:
            self._take(favorites)

    def _take_shared(self, files: tuple[SharedFile, ...]) -> None:
        before = {file.favorites.path: file.favorites.problems for file in self.shared}
        self.shared = files
        for file in files:
            problems, old = file.favorites.problems, before.get(file.favorites.path)
            if problems and (not old or old[0].message != problems[0].message):
                self._publish(
                    Notice(
                        "Shared favourites",
                        f"{problems[0].message}; your own favourites work as before",
                        "warning",
                        20,
                    )
                )
            elif old and not problems:
                self._publish(Notice("Shared favourites", f"{file.favorites.path} reads again"))
        self._publish(FavoritesChanged(self.current))

    async def _own(self, names: Sequence[str]) -> None:
        """Raises for a name that is a shared file's favourite: cttui never writes those."""
        if not self._shared_read:
            await self.reload()
        for name in names:
            found = self.resolve(name)
            reason = None if found is None else read_only_reason(found.favorite)
            if reason is not None:
                raise UsageError(reason)

    async def _free_of_shared(self, name: str) -> None:
        if not self._shared_read:
            await self.reload()
        reason = shadowing(name.strip(), [file.label for file in self.shared])
        if reason is not None:
            raise UsageError(reason)

    def _take(self, favorites: Favorites) -> None:
        old = self.current
        if favorites.problems and not favorites.items and old.items:
            # A file that no longer parses: its favourites as last read, read-only.
            favorites = replace(favorites, items=old.items)
        self.current = favorites
        self._publish(FavoritesChanged(favorites))
        if favorites.problems:
            if not old.problems or old.problems[0].message != favorites.problems[0].message:
                self._publish(
                    Notice(
                        "Favourites",
                        f"{favorites.problems[0].message}. Until it is fixed, favourites can be "
                        "run but not changed, and cttui writes nothing to the file.",
                        "error",
                        20,
                    )
                )
        elif old.problems:
            self._publish(
                Notice(
                    "Favourites",
                    f"{favorites.path} reads again: {len(favorites.items)} favourite(s)",
                )
            )

    async def _change(self, change: Callable[[FavoritesStore], Favorites]) -> Favorites:
        # On a thread: it reads, locks and writes the file. Raises CttuiError, changing nothing.
        favorites = await asyncio.to_thread(change, self.store)
        self._take(favorites)
        return favorites

    async def save(
        self, favorite: Favorite, *, replace_existing: bool = False
    ) -> tuple[Favorite, bool]:
        """Save `favorite`, unless the file holds it already as it is; returns it as stored (a
        replaced one keeps what the file had), and whether the file was written."""
        await self._free_of_shared(favorite.name)
        written: list[bool] = []

        def save(store: FavoritesStore) -> Favorites:
            favorites, wrote = store.save_if_changed(favorite, replace_existing=replace_existing)
            written.append(wrote)
            return favorites

        favorites = await self._change(save)
        return favorites.find(favorite.name) or favorite, written[0]

    async def rename(self, old: str, new: str) -> None:
        """Rename in the file; its counts over time and its live jobs follow."""
        await self._own([old])
        await self._free_of_shared(new)
        await self._change(lambda store: store.rename(old, new))
        if self.last_used is not None and same_name(self.last_used, old):
            self.last_used = new
        await self._journal.rename_favorite(old, new)
        for job in self.jobs_of(old):
            job.favorite = new

    async def duplicate(self, name: str) -> Favorite:
        """Save a copy of `name` under a new name; returns the copy. A shared favourite's copy
        is your own, under its name in its file if that is free."""
        if not self._shared_read:
            await self.reload()
        found = self.resolve(name)
        made: list[Favorite] = []

        def duplicate(store: FavoritesStore) -> Favorites:
            if found is not None and isinstance(found.favorite, SharedFavorite):
                favorites, copy = store.add_copy(as_own(found.favorite))
            else:
                favorites, copy = store.duplicate(name)
            made.append(copy)
            return favorites

        await self._change(duplicate)
        return made[0]

    async def delete(self, names: Sequence[str]) -> None:
        """Delete from the file, with their counts over time; their live jobs run on unnamed."""
        await self._own(names)
        await self._change(lambda store: store.delete(names))
        for name in names:
            await self._journal.forget_favorite(name)
            for job in self.jobs_of(name):
                job.favorite = None
