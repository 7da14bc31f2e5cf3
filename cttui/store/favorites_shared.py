"""Shared favourites: files a team keeps (in a git repository, say) that config.toml names with
`favorites_files`, read beside your own favorites.toml and never written.

A shared favourite is listed, run and kept in the journal's history as `FILE:NAME` (`FILE` is
its file's name, such as `team.toml`), so two files' "weekly" and your own "weekly" never mix.
`Shelf.resolve` is the one rule that turns a name someone typed into a favourite and the key
its history is kept under: your own favourite of that name wins, then the shared files in the
order config.toml names them; `FILE:NAME` picks one file's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

from cttui.api.errors import UsageError
from cttui.store.config import Config
from cttui.store.favorites import Favorite, Favorites, FavoritesError, same_name
from cttui.store.favorites_store import read_favorites
from cttui.store.files import signature


@dataclass(frozen=True)
class SharedFavorite(Favorite):
    """A favourite of a shared file, as cttui lists it: `name` is `FILE:NAME`, its history
    key; `source` is FILE, and `own_name` the name the file gives it."""

    source: str = ""
    own_name: str = ""


@dataclass(frozen=True)
class SharedFile:
    """One shared file as last read, under the `label` its favourites carry."""

    label: str
    favorites: Favorites

    @property
    def items(self) -> tuple[SharedFavorite, ...]:
        return tuple(shared(self.label, item) for item in self.favorites.items)


class Resolved(NamedTuple):
    """A favourite found by name: as listed (a shared one named `FILE:NAME`), and the key its
    counts are kept under in the journal (always its listed name)."""

    favorite: Favorite
    history_key: str


def shared(label: str, favorite: Favorite) -> SharedFavorite:
    return SharedFavorite(
        **_fields(favorite, f"{label}:{favorite.name}"), source=label, own_name=favorite.name
    )


def as_own(favorite: SharedFavorite) -> Favorite:
    """A shared favourite as one of your own, under the name its file gives it."""
    return Favorite(**_fields(favorite, favorite.own_name))


def _fields(favorite: Favorite, name: str) -> dict[str, Any]:
    fields = {key: getattr(favorite, key) for key in Favorite.__dataclass_fields__}
    return {**fields, "name": name}


def shared_paths(config: Config, config_path: Path | None) -> tuple[Path, ...]:
    """The files config.toml names: `~` is the home directory, a relative name is relative to
    config.toml's directory; each once. None without a config.toml (the demo)."""
    if config_path is None:
        return ()
    paths = (config_path.parent / Path(text).expanduser() for text in config.favorites_files)
    return tuple(dict.fromkeys(paths))


def labels(paths: Sequence[Path]) -> list[str]:
    """Each file's label: its name, or with its directory when another file has the same name
    (two teams' cttui.toml), or the whole path when even that is taken."""
    found: list[str] = []
    for path in paths:
        label = path.name
        if label in found or sum(other.name == path.name for other in paths) > 1:
            label = f"{path.parent.name}/{path.name}"
        if label in found:
            label = str(path)
        found.append(label)
    return found


def read_shared(path: Path, label: str) -> SharedFile:
    """Never raises: a file missing, unreadable, not TOML or with a favourite that does not
    validate comes back with that as its problem, and whatever could be read."""
    favorites = read_favorites(path)
    if favorites.signature is None and not favorites.problems:
        reason = "does not exist (config.toml names it in favorites_files); fix the name there"
        favorites = replace(favorites, problems=(FavoritesError(path, 0, 0, reason),))
    return SharedFile(label, favorites)


def reread(files: Sequence[SharedFile], paths: Sequence[Path]) -> tuple[SharedFile, ...] | None:
    """The files again where they changed on disk (a cheap stat when none did): None when
    none did. A file that breaks keeps the favourites it had, as favorites.toml does."""
    known = {file.favorites.path: file for file in files}
    changed = False
    again: list[SharedFile] = []
    for path, label in zip(paths, labels(paths), strict=True):
        old = known.get(path)
        if old is not None and old.label == label and signature(path) == old.favorites.signature:
            again.append(old)
            continue
        new = read_shared(path, label)
        if old is not None and new.favorites.problems and not new.favorites.items:
            new = SharedFile(label, replace(new.favorites, items=old.favorites.items))
        changed = changed or old is None or new != old
        again.append(new)
    changed = changed or len(again) != len(files)
    return tuple(again) if changed else None


@dataclass(frozen=True)
class Shelf:
    """Your own favourites and the shared files', in the order they are listed."""

    own: Favorites
    files: tuple[SharedFile, ...] = ()

    @classmethod
    def read(cls, own: Path, paths: Sequence[Path]) -> Shelf:
        return cls(read_favorites(own), reread((), paths) or ())

    def items(self) -> list[Favorite]:
        return [*self.own.items, *(item for file in self.files for item in file.items)]

    def problems(self) -> list[FavoritesError]:
        return [problem for file in self.files for problem in file.favorites.problems]

    def resolve(self, name: str) -> Resolved | None:
        """The favourite `name` names (case does not matter): your own, else the first shared
        file's (config.toml's order); `FILE:NAME` picks FILE's."""
        name = name.strip()
        own = self.own.find(name)
        if own is not None:
            return Resolved(own, own.name)
        listed = [item for file in self.files for item in file.items]
        found = next((item for item in listed if item.name == name), None)
        found = found or next((item for item in listed if same_name(item.name, name)), None)
        found = found or next((item for item in listed if same_name(item.own_name, name)), None)
        return None if found is None else Resolved(found, found.name)

    def unknown(self, name: str, none_saved: str) -> UsageError:
        """Why `name` names no favourite: the problem that kept it out, or the names known."""
        name = name.strip()
        broken = self.own.broken(name)
        for file in self.files:
            broken = broken or file.favorites.broken(name.removeprefix(f"{file.label}:"))
        if broken is not None:
            return UsageError(broken.message)
        known = [item.name for item in self.items()]
        own = self.own
        whole = next((problem for problem in own.problems if problem.name is None), None)
        if whole is not None and not own.items and not known:
            return UsageError(f"no favourite named {name!r} could be read: {whole.message}")
        if not known:
            return UsageError(
                f"no favourite named {name!r}: none saved yet in {own.path}; {none_saved}"
            )
        return UsageError(f"no favourite named {name!r} (known: {', '.join(known)})")


def read_only_reason(favorite: Favorite) -> str | None:
    """Why `favorite` cannot be changed in its file, if it is a shared one."""
    if not isinstance(favorite, SharedFavorite):
        return None
    return (
        f"{favorite.own_name!r} comes from {favorite.source}, which cttui only reads; "
        "duplicate it (c) to change your own copy"
    )


def shadowing(name: str, shared: Sequence[str]) -> str | None:
    """Why your own favourite may not be called `name`: it would read as a favourite of one of
    the `shared` files' labels (and its history would mix with that one's)."""
    for label in shared:
        if name.casefold().startswith(f"{label}:".casefold()):
            return (
                f"a name starting {label + ':'!r} names a favourite of {label}, which cttui "
                "only reads; pick another name"
            )
    return None
