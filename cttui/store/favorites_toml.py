"""favorites.toml's text: parsed into favourites (every problem placed at the line and column to
fix, though tomllib keeps no positions), and written back from them.

The format is in the README. Keys cttui does not know are kept; a file that does not parse, or
says something cttui cannot use, comes back with its problems and is never written over.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from cttui.api.errors import CttuiError
from cttui.api.models import DateRange, PropertyFilter, parse_date
from cttui.api.operators import Scalar, Value, parse_operator
from cttui.api.ranges import RangePreset
from cttui.store.config import check_profile_name
from cttui.store.favorites import Favorite, Favorites, FavoritesError, check_favorite_name

FORMAT_VERSION = 1
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
