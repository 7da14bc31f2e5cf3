"""Favourites as cttui holds them: a saved query with its name, the file's favourites with the
problems that keep it read-only, and the rules for names.

favorites.toml itself is the user's as much as cttui's: favorites_toml.py reads and writes its
text, favorites_store.py changes the file safely.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from cttui.api.errors import UsageError
from cttui.api.models import DateRange, PropertyFilter, Query
from cttui.api.ranges import RangePreset
from cttui.store.config import check_profile_name
from cttui.trends import Alert, parse_alert

if TYPE_CHECKING:
    from cttui.records import FavoriteRun
    from cttui.store.files import Signature

NAME_MAX = 60


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


def check_favorite_name(text: str) -> str:
    name = text.strip()
    if not name:
        raise UsageError("a favourite needs a name, such as 'weekly buyers'")
    if len(name) > NAME_MAX or not name.isprintable():
        raise UsageError(
            f"favourite name {name!r} must be printable text of up to {NAME_MAX} characters"
        )
    return name


def query_key(event_name: str, filters: Sequence[PropertyFilter]) -> str:
    """What a query counts, its dates aside, as the text CleverTap is sent: two queries count
    the same thing when their keys are equal (True and 1 compare equal in Python, yet one is
    sent as "True" and the other as 1)."""
    body = {"event_name": event_name, "event_properties": [f.to_payload() for f in filters]}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def since_query_changed(runs: Sequence[FavoriteRun], key: str) -> tuple[int, Sequence[FavoriteRun]]:
    """How many of `runs` (oldest first) came before the favourite's query last became `key`,
    and the counts since: those after the last count of another query. A count whose query is
    not known marks no change."""
    changed = [n for n, run in enumerate(runs) if run.query_key not in (None, key)]
    earlier = changed[-1] + 1 if changed else 0
    return earlier, runs[earlier:]


def same_name(a: str, b: str) -> bool:
    """Favourite names are told apart without regard to case, as people type them."""
    return a.casefold() == b.casefold()


def taken_name(names: Iterable[str], name: str) -> str | None:
    """The one of `names` that `name` would clash with, as it is spelt there."""
    return next((other for other in names if same_name(other, name)), None)


@dataclass(frozen=True)
class Favorite:
    """A saved query. `dates` is fixed, or a preset resolved on the day it runs; `profile`
    None runs it on whichever profile is active."""

    name: str
    event_name: str
    filters: tuple[PropertyFilter, ...] = ()
    dates: DateRange | RangePreset = RangePreset.LAST_30_DAYS
    profile: str | None = None
    notes: str | None = None
    # Keys cttui does not know, written back as they were read: the favourite's own, and each
    # filter's (by position, for as long as that filter stays the same).
    extra: Mapping[str, Any] = field(default_factory=_empty)
    filter_extra: tuple[Mapping[str, Any], ...] = ()

    def __post_init__(self) -> None:
        # One read-only mapping per filter, so that equal favourites compare equal however
        # they were made.
        extras: list[Mapping[str, Any]] = [
            MappingProxyType(dict(item)) for item in self.filter_extra[: len(self.filters)]
        ]
        extras += [_empty()] * (len(self.filters) - len(extras))
        object.__setattr__(self, "filter_extra", tuple(extras))
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    def query(self, today: date) -> Query:
        """The query to send on `today`."""
        dates = self.dates.resolve(today) if isinstance(self.dates, RangePreset) else self.dates
        return Query(self.event_name, dates, self.filters)

    @property
    def alert(self) -> Alert:
        """Its limits: favorites.toml's `alert` table (none when it has none); raises
        UsageError naming the favourite when the table does not read."""
        table = self.extra.get("alert")
        if table is None:
            return Alert()
        if not isinstance(table, Mapping):
            raise UsageError(
                f"favourite {self.name!r}: alert must be a table, such as "
                'alert = { below = 500, change_below = "-20%" }'
            )
        try:
            return parse_alert(table)
        except UsageError as error:
            raise UsageError(f"favourite {self.name!r}: {error.message}") from None

    @property
    def relative(self) -> bool:
        return isinstance(self.dates, RangePreset)

    @property
    def query_key(self) -> str:
        return query_key(self.event_name, self.filters)

    def same_query(self, other: Favorite) -> bool:
        """Whether `other` counts the same thing on the same dates and profile: saving it in
        this one's place would change nothing but the notes and unknown keys it keeps."""
        return (self.query_key, self.dates, self.profile) == (
            other.query_key,
            other.dates,
            other.profile,
        )

    def problems(self) -> list[str]:
        found: list[str] = []
        try:
            check_favorite_name(self.name)
        except UsageError as error:
            found.append(error.message)
        if self.profile is not None:
            try:
                check_profile_name(self.profile)
            except UsageError as error:
                found.append(error.message)
        try:
            self.alert  # noqa: B018 - read for its problems
        except UsageError as error:
            found.append(error.message)
        # Any day will do: a preset always resolves to a valid range.
        found.extend(problem.message for problem in self.query(date(2000, 1, 1)).problems())
        return found

    def keeping(self, old: Favorite) -> Favorite:
        """This favourite in place of `old`: what `old` held that the editor does not (notes,
        keys cttui does not know) is kept."""
        filter_extra = tuple(
            old.filter_extra[index]
            if index < len(old.filter_extra)
            and index < len(old.filters)
            and old.filters[index] == item
            else _empty()
            for index, item in enumerate(self.filters)
        )
        return replace(
            self,
            notes=self.notes if self.notes is not None else old.notes,
            extra=MappingProxyType({**old.extra, **self.extra}),
            filter_extra=filter_extra,
        )


class FavoritesError(UsageError):
    """Something in the file to fix, at `line` and `column` (1-based; 0 when not known), in
    the favourite called `name` when it has one."""

    def __init__(
        self, path: Path, line: int, column: int, reason: str, name: str | None = None
    ) -> None:
        place = f"{path}:{line}:{column}" if line else str(path)
        super().__init__(f"{place}: {reason}")
        self.path = path
        self.line = line
        self.column = column
        self.reason = reason
        self.name = name


@dataclass(frozen=True)
class Favorites:
    """The file as read: the favourites it holds, and its problems (none when it is fine)."""

    path: Path
    items: tuple[Favorite, ...] = ()
    problems: tuple[FavoritesError, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=_empty)
    signature: Signature | None = None

    @property
    def writable(self) -> bool:
        return not self.problems

    def find(self, name: str) -> Favorite | None:
        """The favourite called `name`: exactly, else without regard to case."""
        exact = next((item for item in self.items if item.name == name), None)
        return exact or next((item for item in self.items if same_name(item.name, name)), None)

    def names(self) -> list[str]:
        return [item.name for item in self.items]

    def broken(self, name: str) -> FavoritesError | None:
        """The problem that kept a favourite called `name` out of `items`, if one did."""
        named = (problem for problem in self.problems if problem.name is not None)
        return next((problem for problem in named if same_name(problem.name or "", name)), None)

    def read_only_reason(self) -> str:
        first = self.problems[0]
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        return f"{first.message}{more}; fix it first: cttui writes nothing to the file until then"


class FavoriteExists(UsageError):
    def __init__(self, name: str) -> None:
        super().__init__(f"a favourite named {name!r} already exists; pick another name")
        self.name = name
