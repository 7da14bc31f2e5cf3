"""What a session tells its listeners: plain values, which each face shows in its own way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from cttui.jobs import Job
    from cttui.store.favorites import Favorites
    from cttui.store.selection import Selection

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True)
class JobChanged:
    """A job was added, changed state, or was read from the journal."""

    job: Job


@dataclass(frozen=True)
class FavoritesChanged:
    """favorites.toml was read again or changed."""

    favorites: Favorites


@dataclass(frozen=True)
class HistoryChanged:
    """The favourites' counts over time changed (here, or in another cttui process)."""


@dataclass(frozen=True)
class SelectionChanged:
    """The active profile changed; `error` says why there is none."""

    selection: Selection | None
    error: str | None


@dataclass(frozen=True)
class Notice:
    """Something the user should hear of that no verb returned: a journal, slot or
    favorites.toml problem, or its end."""

    title: str
    message: str
    severity: Severity = "information"
    timeout: float | None = None


Change = JobChanged | FavoritesChanged | HistoryChanged | SelectionChanged | Notice
Listener = Callable[[Change], None]
