"""favorites.toml: saved queries, to run again in one key.

The file is the user's as much as cttui's. It is plain TOML (the format is in the README); keys
cttui does not know are kept; every change re-reads the file under a lock and replaces it whole
(temporary file, fsync, rename), so neither a hand edit made meanwhile nor a crash mid-write
loses a favourite. A file that does not parse, or that says something cttui cannot use, is
never written: its problems name the line and column to fix, and until it is fixed the
favourites that could be read are read-only.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from cttui.api.errors import CttuiError, UsageError
from cttui.api.models import DateRange, PropertyFilter, Query, parse_date
from cttui.api.operators import Scalar, Value, parse_operator
from cttui.api.ranges import RangePreset
from cttui.store.config import check_profile_name
from cttui.store.files import (
    FAVORITES_MAX_BYTES,
    Unreadable,
    describe,
    private_directory,
    read_limited,
    write_atomically,
)

FORMAT_VERSION = 1
NAME_MAX = 60
HEADER = (
    "# cttui favourites. The format is in cttui's README, under Favourites.\n"
    "# Edit freely: a running cttui picks changes up. When cttui writes this file it keeps\n"
    '# every key, but not comments: use notes = "..." for words that must stay.\n\n'
)
_KNOWN = {"name", "event_name", "filters", "range", "from", "to", "profile", "notes"}
_FILTER_KNOWN = {"name", "operator", "value"}
_SYNTAX_PLACE = re.compile(r"\s*\(at line ([0-9]+), column ([0-9]+)\)$")
_SYNTAX_AT_END = re.compile(r"\s*\(at end of document\)$")
_HEADER_LINE = re.compile(r"^\s*\[\[\s*favorite\s*\]\]")
_TABLE_LINE = re.compile(r"^\s*\[")
_FAVORITE_TABLE = re.compile(r"^\s*\[\s*[\"']?favorite[\"']?\s*[\].]")
_FILTER_FIELD = re.compile(r"^filters\[([0-9]+)\]")


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
    def relative(self) -> bool:
        return isinstance(self.dates, RangePreset)

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
class Signature:
    """What a file looked like on disk, to notice that it changed."""

    inode: int
    size: int
    mtime_ns: int


def signature(path: Path) -> Signature | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return Signature(status.st_ino, status.st_size, status.st_mtime_ns)


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


# Reading


def parse_favorites(text: str, path: Path) -> Favorites:
    """The favourites in `text` (the contents of `path`); never raises for what the text says."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return Favorites(path, problems=(_syntax_problem(str(error), text, path),))
    except RecursionError:
        reason = "is nested too deeply to read; fix it or move it aside"
        return Favorites(path, problems=(FavoritesError(path, 0, 0, reason),))
    locate = _Locator(text, path)
    problems: list[FavoritesError] = []
    version = raw.get("version", FORMAT_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append(locate.top("version", f"version must be {FORMAT_VERSION}"))
    elif version > FORMAT_VERSION:
        problems.append(
            locate.top(
                "version",
                f"this file is format {version}, from a newer cttui (this one reads "
                f"{FORMAT_VERSION}); upgrade cttui",
            )
        )
        return Favorites(path, problems=tuple(problems))
    entries = raw.get("favorite", [])
    if not isinstance(entries, list) or not all(isinstance(item, dict) for item in entries):
        problems.append(
            locate.top("favorite", "favourites must be [[favorite]] tables (see the README)")
        )
        entries = []
    items: list[Favorite] = []
    # Every name read so far, folded as same_name compares them: one look-up per favourite.
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        try:
            favorite = _favorite(entry)
            if favorite.name.casefold() in seen:
                raise _Bad("name", f"the name {favorite.name!r} is used twice; rename one")
        except _Bad as bad:
            name = entry.get("name")
            label = f"favourite {name!r}" if isinstance(name, str) else f"favourite {index + 1}"
            problems.append(
                locate.entry(
                    index,
                    bad.key,
                    f"{label}: {bad.reason}",
                    name if isinstance(name, str) else None,
                    bad.item,
                )
            )
            continue
        seen.add(favorite.name.casefold())
        items.append(favorite)
    extra = {key: value for key, value in raw.items() if key not in ("version", "favorite")}
    return Favorites(path, tuple(items), tuple(problems), MappingProxyType(extra))


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


class _Bad(Exception):
    """A problem with `key` of a favourite (with its `item`-th entry, for filters)."""

    def __init__(self, key: str, reason: str, item: int | None = None) -> None:
        super().__init__(reason)
        self.key = key
        self.reason = reason
        self.item = item


def _syntax_problem(message: str, text: str, path: Path) -> FavoritesError:
    found = _SYNTAX_PLACE.search(message)
    at_end = _SYNTAX_AT_END.search(message)
    reason = (_SYNTAX_PLACE if found else _SYNTAX_AT_END).sub("", message)
    reason = f"not valid TOML: {reason[:1].lower()}{reason[1:]}"
    if found is not None:
        return FavoritesError(path, int(found.group(1)), int(found.group(2)), reason)
    if at_end is not None:
        # A file cut short: the place just after its last character.
        line = text.count("\n") + 1
        column = len(text) - (text.rfind("\n") + 1) + 1
        return FavoritesError(path, line, column, reason)
    return FavoritesError(path, 0, 0, reason)


class _Locator:
    """Where a key is in the text, for a problem found after parsing (tomllib keeps no
    positions): the line of `key` in the n-th [[favorite]] table, else the table's own line."""

    def __init__(self, text: str, path: Path) -> None:
        self._lines = text.splitlines()
        self._path = path
        self._headers = [n for n, line in enumerate(self._lines) if _HEADER_LINE.match(line)]

    def _find(self, key: str, start: int, end: int) -> tuple[int, int] | None:
        pattern = re.compile(rf"^(\s*)[\"']?{re.escape(key)}[\"']?\s*[=.]")
        for number in range(start, end):
            found = pattern.match(self._lines[number])
            if found:
                return number + 1, len(found.group(1)) + 1
        return None

    def top(self, key: str, reason: str) -> FavoritesError:
        end = self._headers[0] if self._headers else len(self._lines)
        place = self._find(key, 0, end)
        if place is None and key == "favorite":
            # Written as a table, [favorite], where [[favorite]] tables belong.
            tables = (n for n, line in enumerate(self._lines) if _FAVORITE_TABLE.match(line))
            table = next(tables, None)
            if table is not None:
                place = (table + 1, self._lines[table].index("[") + 1)
            elif self._headers:
                place = (self._headers[0] + 1, 1)
        return FavoritesError(self._path, *(place or (1, 1)), reason)

    def entry(
        self, index: int, key: str, reason: str, name: str | None, item: int | None = None
    ) -> FavoritesError:
        if index >= len(self._headers):
            # Written another way (`favorite = [{...}]`): the first line that mentions it.
            place = self._find("favorite", 0, len(self._lines)) or (1, 1)
            return FavoritesError(self._path, *place, reason, name)
        start = self._headers[index]
        end = next(
            (n for n in range(start + 1, len(self._lines)) if _TABLE_LINE.match(self._lines[n])),
            len(self._lines),
        )
        line, column = self._find(key, start + 1, end) or (start + 1, 1)
        if item is not None:
            # Filters are written one inline table a line: the item-th of those.
            rows = [n for n in range(line, end) if self._lines[n].lstrip().startswith("{")]
            if item < len(rows):
                column = self._lines[rows[item]].index("{") + 1
                line = rows[item] + 1
        return FavoritesError(self._path, line, column, reason, name)


def _text(entry: Mapping[str, Any], key: str, *, required: bool) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise _Bad(key, f'needs {key} = "..."')
        return None
    if not isinstance(value, str):
        raise _Bad(key, f'{key} must be text in quotes, like {key} = "..."')
    return value


def _favorite(entry: Mapping[str, Any]) -> Favorite:
    name = _text(entry, "name", required=True)
    assert name is not None
    try:
        name = check_favorite_name(name)
    except CttuiError as error:
        raise _Bad("name", error.message) from None
    event_name = _text(entry, "event_name", required=True)
    assert event_name is not None
    filters, filter_extra = _filters(entry.get("filters", []))
    dates = _dates(entry)
    profile = _text(entry, "profile", required=False)
    if profile is not None:
        try:
            profile = check_profile_name(profile)
        except CttuiError as error:
            raise _Bad("profile", error.message) from None
    notes = _text(entry, "notes", required=False)
    favorite = Favorite(
        name,
        event_name,
        filters,
        dates,
        profile,
        notes,
        MappingProxyType({key: value for key, value in entry.items() if key not in _KNOWN}),
        filter_extra,
    )
    for problem in favorite.query(date(2000, 1, 1)).problems():
        found = _FILTER_FIELD.match(problem.field)
        if found:
            raise _Bad("filters", problem.message, int(found.group(1)))
        raise _Bad(problem.field if problem.field in _KNOWN else "event_name", problem.message)
    return favorite


def _filters(raw: object) -> tuple[tuple[PropertyFilter, ...], tuple[Mapping[str, Any], ...]]:
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise _Bad(
            "filters",
            'filters must be a list of tables: [{ name = "...", operator = "...", value = ... }]',
        )
    filters: list[PropertyFilter] = []
    extras: list[Mapping[str, Any]] = []
    for index, item in enumerate(raw):
        label = f"filter {index + 1}"
        name = item.get("name")
        if not isinstance(name, str):
            raise _Bad("filters", f'{label} needs name = "..." (the property)', index)
        operator_text = item.get("operator")
        if not isinstance(operator_text, str):
            raise _Bad(
                "filters", f'{label} needs operator = "..." (equals, greater_than, ...)', index
            )
        try:
            operator = parse_operator(operator_text)
        except CttuiError as error:
            raise _Bad("filters", f"{label}: {error.message}", index) from None
        value: Value | None = None
        if "value" in item:
            value = _value(item["value"], label, index)
        filters.append(PropertyFilter(name, operator, value))
        extras.append(
            MappingProxyType({key: v for key, v in item.items() if key not in _FILTER_KNOWN})
        )
    return tuple(filters), tuple(extras)


def _value(raw: object, label: str, index: int) -> Value:
    def scalar(item: object) -> Scalar:
        if isinstance(item, str | int | float | bool):
            return item
        raise _Bad("filters", f"{label}: value must be text, a number or true/false", index)

    if isinstance(raw, list):
        return tuple(scalar(item) for item in raw)
    return scalar(raw)


def _dates(entry: Mapping[str, Any]) -> DateRange | RangePreset:
    fixed = [key for key in ("from", "to") if key in entry]
    if "range" in entry:
        if fixed:
            raise _Bad(fixed[0], "has both range and from/to; keep one of them")
        text = entry["range"]
        presets = ", ".join(preset.value for preset in RangePreset)
        if not isinstance(text, str):
            raise _Bad("range", f"range must be one of {presets}, in quotes")
        try:
            return RangePreset(text.strip().lower())
        except ValueError:
            raise _Bad("range", f"unknown range {text!r}; use one of {presets}") from None
    if len(fixed) < 2:
        raise _Bad(
            fixed[0] if fixed else "name",
            'needs dates: range = "last_30_days" (or another preset), or both '
            "from = 2026-01-01 and to = 2026-01-31",
        )
    days = [_day(entry[key], key) for key in ("from", "to")]
    dates = DateRange(days[0], days[1])
    for problem in dates.problems():
        raise _Bad("from", problem.message)
    return dates


def _day(raw: object, key: str) -> date:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if isinstance(raw, str):
        try:
            return parse_date(raw, key)
        except CttuiError as error:
            raise _Bad(key, error.message) from None
    raise _Bad(key, f"{key} must be a date, like {key} = 2026-01-31")


# Writing


def dump_favorites(favorites: Favorites) -> str:
    import tomli_w

    document: dict[str, Any] = {"version": FORMAT_VERSION, **favorites.extra}
    tables = [_table(item) for item in favorites.items]
    # Multi-line strings read better, but tomli_w writes a "\r\n" in one as a bare newline: a
    # file holding one is written with escaped one-line strings, so that it reads back the same.
    multiline = not _has_crlf([document, tables])

    def dumps(value: Mapping[str, Any]) -> str:
        return tomli_w.dumps(value, multiline_strings=multiline, indent=2)

    # Left to itself, tomli_w writes short favourites as one inline array (`favorite = [{...}]`)
    # and long ones as tables: always a [[favorite]] table each, as the README shows them, so
    # that adding one by hand is copying a block.
    text = HEADER + dumps(document)
    for table in tables:
        own: dict[str, Any] = {}
        sections: dict[str, Any] = {}
        for key, value in table.items():
            # A key tomli_w would give its own [section] must be named inside this favourite.
            (sections if dumps({key: value}).startswith("[") else own)[key] = value
        text += "\n[[favorite]]\n" + dumps(own)
        if sections:
            text += "\n" + dumps({"favorite": sections})
    return text


def _has_crlf(value: object) -> bool:
    if isinstance(value, str):
        return "\r\n" in value
    if isinstance(value, Mapping):
        return any(_has_crlf(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_has_crlf(item) for item in value)
    return False


def _table(favorite: Favorite) -> dict[str, Any]:
    table: dict[str, Any] = {"name": favorite.name, "event_name": favorite.event_name}
    if favorite.filters:
        table["filters"] = [
            {
                **_filter_table(item),
                **(favorite.filter_extra[index] if index < len(favorite.filter_extra) else {}),
            }
            for index, item in enumerate(favorite.filters)
        ]
    if isinstance(favorite.dates, RangePreset):
        table["range"] = favorite.dates.value
    else:
        table["from"] = favorite.dates.start
        table["to"] = favorite.dates.end
    if favorite.profile is not None:
        table["profile"] = favorite.profile
    if favorite.notes is not None:
        table["notes"] = favorite.notes
    table.update(favorite.extra)
    return table


def _filter_table(item: PropertyFilter) -> dict[str, Any]:
    table: dict[str, Any] = {"name": item.name, "operator": item.operator.value}
    if item.value is not None:
        table["value"] = list(item.value) if isinstance(item.value, tuple) else item.value
    return table


class FavoriteExists(UsageError):
    def __init__(self, name: str) -> None:
        super().__init__(f"a favourite named {name!r} already exists; pick another name")
        self.name = name


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

        def change(items: list[Favorite]) -> list[Favorite]:
            index = _index(items, favorite.name)
            if index is None:
                return [*items, favorite]
            if not replace_existing:
                raise FavoriteExists(items[index].name)
            items[index] = favorite.keeping(items[index])
            return items

        return self._change(change)

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
            original = items[index]
            number = 1
            while True:
                suffix = " (copy)" if number == 1 else f" (copy {number})"
                candidate = original.name[: NAME_MAX - len(suffix)] + suffix
                if _index(items, candidate) is None:
                    break
                number += 1
            made.append(replace(original, name=candidate))
            items.insert(index + 1, made[0])
            return items

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
        with self._locked():
            current = self.read()
            if not current.writable:
                raise UsageError(current.read_only_reason())
            updated = replace(current, items=tuple(change(list(current.items))))
            try:
                text = dump_favorites(updated)
            except RecursionError:
                raise UsageError(
                    f"{self.path} holds keys nested too deeply to write back; fix it"
                ) from None
            self._write(text)
        return replace(updated, signature=signature(self.path))

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


def _index(items: Sequence[Favorite], name: str) -> int | None:
    return next((n for n, item in enumerate(items) if same_name(item.name, name)), None)
