"""favorites.toml: every favourite and every unknown key survives a write and a read, relative
ranges resolve on the day they run, a file with problems names the place to fix and is never
written, writes are atomic and serialised between processes, and names are told apart without
regard to case."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cttui.api.errors import UsageError
from cttui.api.models import DateRange, PropertyFilter, Query
from cttui.api.operators import Operator, Scalar, Value
from cttui.api.ranges import RangePreset
from cttui.console import printable
from cttui.store.config import check_profile_name
from cttui.store.favorites import (
    NAME_MAX,
    Favorite,
    FavoriteExists,
    Favorites,
    FavoritesError,
    check_favorite_name,
    same_name,
)
from cttui.store.favorites_store import FavoritesStore, read_favorites
from cttui.store.favorites_toml import dump_favorites, parse_favorites

PATH = Path("/config/cttui/favorites.toml")
FAVORITE_KNOWN = {"name", "event_name", "filters", "range", "from", "to", "profile", "notes"}
FILTER_KNOWN = {"name", "operator", "value"}
TOP_KNOWN = {"version", "favorite"}


# --- Strategies -----------------------------------------------------------------------------------

# What str.isprintable() accepts, with the ASCII space as the only separator.
_PRINTABLE = st.characters(exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"))
# Any text, with the characters a TOML writer must escape (and "\r\n") made common.
_CHARACTERS = st.characters(codec="utf-8") | st.sampled_from("\"'\\\n\r\t\x00\x7fé")
any_text = st.text(_CHARACTERS, max_size=12)


def _trimmed(text: str) -> bool:
    return bool(text) and text == text.strip()


favorite_names = st.text(st.one_of(_PRINTABLE, st.just(" ")), min_size=1, max_size=NAME_MAX).filter(
    _trimmed
)
# Names hold no control or bidi character (such a name is refused); values may, and test the
# writer's escapes.
name_text = any_text.filter(lambda text: printable(text) == text)
event_names = name_text.filter(_trimmed)
_PROFILE_START = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
profile_names = st.builds(
    lambda first, rest: (first + rest).rstrip(),
    st.sampled_from(_PROFILE_START),
    st.text(st.sampled_from(_PROFILE_START + " ._-"), max_size=39),
)
numbers: st.SearchStrategy[Scalar] = st.one_of(
    st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False, allow_infinity=False)
)
texts: st.SearchStrategy[Scalar] = any_text.filter(bool)
scalars: st.SearchStrategy[Scalar] = st.one_of(numbers, st.booleans(), texts)


def values_of(scalar: st.SearchStrategy[Scalar]) -> st.SearchStrategy[Value]:
    return st.one_of(scalar, st.lists(scalar, min_size=1, max_size=4).map(tuple))


@st.composite
def property_filters(draw: st.DrawFn) -> PropertyFilter:
    operator = draw(st.sampled_from(Operator))
    if not operator.takes_value:
        value: Value | None = None
    elif operator.needs_number:
        value = draw(values_of(numbers))
    elif operator.needs_text:
        value = draw(values_of(texts))
    else:
        value = draw(values_of(scalars))
    return PropertyFilter(draw(name_text.filter(str.strip)), operator, value)


@st.composite
def fixed_ranges(draw: st.DrawFn) -> DateRange:
    start, end = sorted((draw(st.dates()), draw(st.dates())))
    return DateRange(start, end)


toml_keys = st.text(_CHARACTERS, min_size=1, max_size=6)
toml_scalars = st.one_of(
    any_text,
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    st.dates(),
    st.floats(allow_nan=False, allow_infinity=False),
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(toml_keys, inner, max_size=3)
    ),
    max_leaves=8,
)


def unknown_keys(known: set[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(toml_keys.filter(lambda key: key not in known), toml_values, max_size=3)


@st.composite
def favorites_of(draw: st.DrawFn, name: st.SearchStrategy[str] = favorite_names) -> Favorite:
    filters = tuple(draw(st.lists(property_filters(), max_size=3)))
    return Favorite(
        name=draw(name),
        event_name=draw(event_names),
        filters=filters,
        dates=draw(st.one_of(st.sampled_from(RangePreset), fixed_ranges())),
        profile=draw(st.none() | profile_names),
        notes=draw(st.none() | any_text),
        extra=draw(unknown_keys(FAVORITE_KNOWN)),
        filter_extra=tuple(draw(unknown_keys(FILTER_KNOWN)) for _ in filters),
    )


@st.composite
def favorite_files(draw: st.DrawFn) -> Favorites:
    names = draw(st.lists(favorite_names, max_size=4, unique_by=str.casefold))
    items = tuple(draw(favorites_of(st.just(name))) for name in names)
    return Favorites(PATH, items, extra=MappingProxyType(draw(unknown_keys(TOP_KNOWN))))


def typed(value: object) -> object:
    """`value` with every leaf's type beside it: == alone takes True for 1 and 1.0 for 1."""
    if isinstance(value, Mapping):
        return ("table", sorted((key, typed(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return (type(value).__name__, [typed(item) for item in value])
    if isinstance(value, PropertyFilter):
        return ("filter", value.name, value.operator, typed(value.value))
    if isinstance(value, Favorite):
        return (
            value.name,
            value.event_name,
            typed(value.filters),
            value.dates,
            value.profile,
            value.notes,
            typed(value.extra),
            typed(value.filter_extra),
        )
    return (type(value).__name__, repr(value))


# --- Round trip -----------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(favorite_files())
def test_a_dumped_file_parses_back_to_the_same_favourites_and_keys(original: Favorites) -> None:
    for item in original.items:
        assert item.problems() == []
    text = dump_favorites(original)
    parsed = parse_favorites(text, PATH)
    assert parsed.problems == ()
    assert parsed.items == original.items
    assert typed(parsed.items) == typed(original.items)
    assert parsed.extra == original.extra
    assert typed(parsed.extra) == typed(original.extra)
    assert dump_favorites(parsed) == text
    # Every favourite is its own [[favorite]] block, never part of an inline array.
    assert text.count("\n[[favorite]]\n") == len(original.items)
    assert "favorite = [" not in text


def test_short_favourites_are_written_as_favorite_tables_like_the_readme_shows() -> None:
    short = Favorite("A", "Charged", (PropertyFilter("Coupon", Operator.EXISTS, None),))
    fixed = Favorite("B", "App Launched", dates=DateRange(date(2025, 11, 28), date(2025, 11, 30)))
    text = dump_favorites(Favorites(PATH, (short, fixed)))
    assert text.endswith(
        "version = 1\n"
        "\n[[favorite]]\n"
        'name = "A"\n'
        'event_name = "Charged"\n'
        "filters = [\n"
        '  { name = "Coupon", operator = "exists" },\n'
        "]\n"
        'range = "last_30_days"\n'
        "\n[[favorite]]\n"
        'name = "B"\n'
        'event_name = "App Launched"\n'
        "from = 2025-11-28\n"
        "to = 2025-11-30\n"
    )


def test_a_filter_too_long_for_one_line_is_written_inside_its_favourite() -> None:
    value = "x" * 120
    long = Favorite("Long", "Charged", (PropertyFilter("Note", Operator.EQUALS, value),))
    other = Favorite("Other", "Charged")
    text = dump_favorites(Favorites(PATH, (long, other)))
    assert "\n[[favorite.filters]]\n" in text
    assert parse_favorites(text, PATH).items == (long, other)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(favorites_of(), min_size=1, max_size=3, unique_by=lambda item: item.name.casefold())
)
def test_a_saved_favourite_reads_back_the_same(saved: list[Favorite]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        store = FavoritesStore(Path(directory) / "favorites.toml")
        for item in saved:
            store.save(item)
        read = store.read()
        assert read.problems == ()
        assert read.items == tuple(saved)
        assert typed(read.items) == typed(tuple(saved))
        for item in saved:
            assert read.find(item.name) == item


def test_windows_line_ends_in_any_text_read_back_the_same() -> None:
    favorite = Favorite(
        "CRLF",
        "Charged",
        (PropertyFilter("Note", Operator.CONTAINS, "first\r\nsecond"),),
        notes="line one\r\nline two\nline three",
        extra={"pasted": ["a\r\nb"]},
    )
    original = Favorites(PATH, (favorite,), extra=MappingProxyType({"footer": "x\r\ny"}))
    parsed = parse_favorites(dump_favorites(original), PATH)
    assert parsed.items == (favorite,)
    assert parsed.extra == original.extra


def test_multi_line_notes_are_written_as_multi_line_strings() -> None:
    favorite = Favorite("Notes", "Charged", notes="first line\nsecond line")
    text = dump_favorites(Favorites(PATH, (favorite,)))
    assert 'notes = """\nfirst line\nsecond line"""' in text
    assert parse_favorites(text, PATH).items == (favorite,)


# --- Unknown keys survive every change ------------------------------------------------------------

HAND_WRITTEN = """\
version = 1
editor = "vim"
synced = 2026-03-01

[sync]
host = "nas.local"
ports = [1, 2]

[[favorite]]
name = "Weekly buyers"
event_name = "Charged"
filters = [
  { name = "Amount", operator = "greater_than", value = 100, colour = "green" },
  { name = "City", operator = "equals", value = "Pune", tags = ["a", 1] },
]
range = "last_7_days"
notes = "for the Monday meeting"
owner = "asha"
priority = 3

[favorite.meta]
created = 2026-01-05
reviewers = ["ravi", "li"]

[[favorite]]
name = "Launches"
event_name = "App Launched"
from = 2026-01-01
to = 2026-01-31
pinned = true
"""
TOP_EXTRA = {
    "editor": "vim",
    "synced": date(2026, 3, 1),
    "sync": {"host": "nas.local", "ports": [1, 2]},
}
WEEKLY_EXTRA = {
    "owner": "asha",
    "priority": 3,
    "meta": {"created": date(2026, 1, 5), "reviewers": ["ravi", "li"]},
}
AMOUNT = PropertyFilter("Amount", Operator.GREATER_THAN, 100)
CITY = PropertyFilter("City", Operator.EQUALS, "Pune")
LAST_WEEK = DateRange(date(2026, 1, 1), date(2026, 1, 31))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "cttui" / "favorites.toml"


@pytest.fixture
def store(path: Path) -> FavoritesStore:
    path.parent.mkdir(parents=True)
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    return FavoritesStore(path)


def assert_keys_kept(favorites: Favorites, weekly: str = "Weekly buyers") -> None:
    assert favorites.problems == ()
    assert dict(favorites.extra) == TOP_EXTRA
    found = favorites.find(weekly)
    assert found is not None
    assert dict(found.extra) == WEEKLY_EXTRA
    assert [dict(item) for item in found.filter_extra] == [
        {"colour": "green"},
        {"tags": ["a", 1]},
    ]
    launches = favorites.find("Launches")
    assert launches is not None
    assert dict(launches.extra) == {"pinned": True}


def test_the_hand_written_file_reads_with_its_unknown_keys(store: FavoritesStore) -> None:
    favorites = store.read()
    assert_keys_kept(favorites)
    weekly = favorites.find("Weekly buyers")
    assert weekly is not None
    assert weekly.filters == (AMOUNT, CITY)
    assert weekly.dates is RangePreset.LAST_7_DAYS
    assert weekly.notes == "for the Monday meeting"


def test_unknown_keys_survive_every_store_operation(store: FavoritesStore, path: Path) -> None:
    new = Favorite("New one", "Charged", extra={"mine": {"x": [1, 2]}})
    assert_keys_kept(store.save(new))
    assert_keys_kept(store.read())
    added = store.read().find("New one")
    assert added is not None
    assert dict(added.extra) == {"mine": {"x": [1, 2]}}

    # As the editor hands it back: no notes, no unknown keys; the first filter unchanged.
    edited = Favorite("weekly BUYERS", "Charged", (AMOUNT, CITY), RangePreset.LAST_30_DAYS)
    after = store.save(edited, replace_existing=True)
    assert_keys_kept(after)
    replaced = after.find("Weekly buyers")
    assert replaced is not None
    assert (replaced.name, replaced.dates) == ("weekly BUYERS", RangePreset.LAST_30_DAYS)
    assert replaced.notes == "for the Monday meeting"
    assert_keys_kept(store.read(), "weekly BUYERS")

    assert_keys_kept(store.rename("weekly BUYERS", "Weekly buyers"))
    _, copy = store.duplicate("Weekly buyers")
    assert copy.name == "Weekly buyers (copy)"
    assert_keys_kept(store.read())
    assert_keys_kept(store.read(), "Weekly buyers (copy)")
    assert_keys_kept(store.delete(["New one"]))
    assert_keys_kept(store.read())
    assert store.read().names() == ["Weekly buyers", "Weekly buyers (copy)", "Launches"]
    assert "vim" in path.read_text(encoding="utf-8")


def test_a_replaced_filter_drops_only_its_own_unknown_keys(store: FavoritesStore) -> None:
    changed = PropertyFilter("City", Operator.EQUALS, "Mumbai")
    edited = Favorite("Weekly buyers", "Charged", (AMOUNT, changed), RangePreset.LAST_7_DAYS)
    store.save(edited, replace_existing=True)
    weekly = store.read().find("Weekly buyers")
    assert weekly is not None
    assert [dict(item) for item in weekly.filter_extra] == [{"colour": "green"}, {}]
    assert dict(weekly.extra) == WEEKLY_EXTRA


def test_keeping_lets_the_new_favourite_win_where_it_says_something() -> None:
    old = Favorite("W", "Charged", notes="old notes", extra={"a": 1, "b": 2})
    new = Favorite("W", "Charged", notes="new notes", extra={"b": 3})
    kept = new.keeping(old)
    assert kept.notes == "new notes"
    assert dict(kept.extra) == {"a": 1, "b": 3}
    assert Favorite("W", "Charged").keeping(old).notes == "old notes"


# --- Relative ranges ------------------------------------------------------------------------------

D = date
RANGES: list[tuple[date, RangePreset, date, date]] = [
    # January 1st: everything before today is last year.
    (D(2025, 1, 1), RangePreset.TODAY, D(2025, 1, 1), D(2025, 1, 1)),
    (D(2025, 1, 1), RangePreset.YESTERDAY, D(2024, 12, 31), D(2024, 12, 31)),
    (D(2025, 1, 1), RangePreset.LAST_7_DAYS, D(2024, 12, 26), D(2025, 1, 1)),
    (D(2025, 1, 1), RangePreset.LAST_30_DAYS, D(2024, 12, 3), D(2025, 1, 1)),
    (D(2025, 1, 1), RangePreset.THIS_MONTH, D(2025, 1, 1), D(2025, 1, 1)),
    (D(2025, 1, 1), RangePreset.LAST_MONTH, D(2024, 12, 1), D(2024, 12, 31)),
    # March 1st of a leap year: February has 29 days.
    (D(2024, 3, 1), RangePreset.TODAY, D(2024, 3, 1), D(2024, 3, 1)),
    (D(2024, 3, 1), RangePreset.YESTERDAY, D(2024, 2, 29), D(2024, 2, 29)),
    (D(2024, 3, 1), RangePreset.LAST_7_DAYS, D(2024, 2, 24), D(2024, 3, 1)),
    (D(2024, 3, 1), RangePreset.LAST_30_DAYS, D(2024, 2, 1), D(2024, 3, 1)),
    (D(2024, 3, 1), RangePreset.THIS_MONTH, D(2024, 3, 1), D(2024, 3, 1)),
    (D(2024, 3, 1), RangePreset.LAST_MONTH, D(2024, 2, 1), D(2024, 2, 29)),
    # March 1st of a common year: February has 28.
    (D(2023, 3, 1), RangePreset.TODAY, D(2023, 3, 1), D(2023, 3, 1)),
    (D(2023, 3, 1), RangePreset.YESTERDAY, D(2023, 2, 28), D(2023, 2, 28)),
    (D(2023, 3, 1), RangePreset.LAST_7_DAYS, D(2023, 2, 23), D(2023, 3, 1)),
    (D(2023, 3, 1), RangePreset.LAST_30_DAYS, D(2023, 1, 31), D(2023, 3, 1)),
    (D(2023, 3, 1), RangePreset.THIS_MONTH, D(2023, 3, 1), D(2023, 3, 1)),
    (D(2023, 3, 1), RangePreset.LAST_MONTH, D(2023, 2, 1), D(2023, 2, 28)),
    # The 31st of a month after a 30-day month.
    (D(2023, 5, 31), RangePreset.TODAY, D(2023, 5, 31), D(2023, 5, 31)),
    (D(2023, 5, 31), RangePreset.YESTERDAY, D(2023, 5, 30), D(2023, 5, 30)),
    (D(2023, 5, 31), RangePreset.LAST_7_DAYS, D(2023, 5, 25), D(2023, 5, 31)),
    (D(2023, 5, 31), RangePreset.LAST_30_DAYS, D(2023, 5, 2), D(2023, 5, 31)),
    (D(2023, 5, 31), RangePreset.THIS_MONTH, D(2023, 5, 1), D(2023, 5, 31)),
    (D(2023, 5, 31), RangePreset.LAST_MONTH, D(2023, 4, 1), D(2023, 4, 30)),
    # December 31st.
    (D(2024, 12, 31), RangePreset.TODAY, D(2024, 12, 31), D(2024, 12, 31)),
    (D(2024, 12, 31), RangePreset.YESTERDAY, D(2024, 12, 30), D(2024, 12, 30)),
    (D(2024, 12, 31), RangePreset.LAST_7_DAYS, D(2024, 12, 25), D(2024, 12, 31)),
    (D(2024, 12, 31), RangePreset.LAST_30_DAYS, D(2024, 12, 2), D(2024, 12, 31)),
    (D(2024, 12, 31), RangePreset.THIS_MONTH, D(2024, 12, 1), D(2024, 12, 31)),
    (D(2024, 12, 31), RangePreset.LAST_MONTH, D(2024, 11, 1), D(2024, 11, 30)),
]


@pytest.mark.parametrize(("today", "preset", "start", "end"), RANGES)
def test_a_relative_favourite_resolves_on_the_day_it_runs(
    today: date, preset: RangePreset, start: date, end: date
) -> None:
    text = f'[[favorite]]\nname = "R"\nevent_name = "Charged"\nrange = "{preset.value}"\n'
    [favorite] = parse_favorites(text, PATH).items
    assert favorite.relative
    assert favorite.query(today) == Query("Charged", DateRange(start, end))


def test_every_preset_is_covered_on_every_day() -> None:
    days = {today for today, *_ in RANGES}
    assert {(today, preset) for today, preset, *_ in RANGES} == {
        (today, preset) for today in days for preset in RangePreset
    }


def test_a_fixed_range_ignores_today() -> None:
    text = (
        '[[favorite]]\nname = "F"\nevent_name = "Charged"\n'
        'filters = [{ name = "City", operator = "equals", value = "Pune" }]\n'
        "from = 2015-08-10\nto = 2015-10-25\n"
    )
    [favorite] = parse_favorites(text, PATH).items
    assert not favorite.relative
    expected = Query("Charged", DateRange(D(2015, 8, 10), D(2015, 10, 25)), (CITY,))
    for today in (D(2015, 9, 1), D(2024, 2, 29), D(2030, 12, 31)):
        assert favorite.query(today) == expected


# --- Invalid files --------------------------------------------------------------------------------

GOOD = """\
[[favorite]]
name = "Good"
event_name = "Charged"
range = "today"
"""


@dataclass(frozen=True)
class Broken:
    """A file with one problem, where it is, what its message says, and what still reads."""

    content: bytes
    line: int
    column: int
    says: str
    readable: tuple[str, ...] = ("Good",)


def broken(
    text: str, line: int, column: int, says: str, readable: tuple[str, ...] = ("Good",)
) -> Broken:
    return Broken(text.encode("utf-8"), line, column, says, readable)


SYNTAX = {
    "bare word": broken(
        GOOD + '\n[[favorite]]\nname = "Bad"\nevent_name = "Charged"\nrange = today\n',
        9,
        9,
        "invalid value",
    ),
    "unterminated string": broken(
        'version = 1\n\n[[favorite]]\nname = "Bad\nevent_name = "Charged"\n', 4, 12, "illegal"
    ),
    "key twice": broken(
        '[[favorite]]\nname = "A"\nevent_name = "Charged"\nname = "B"\n', 4, 11, "overwrite"
    ),
    "missing equals": broken(GOOD + "\n[[favorite]]\n  name\n", 7, 7, "expected '='"),
    "cut off at the end": broken(GOOD + "\n[[favorite]]\nname = [", 7, 9, "invalid value"),
}
SEMANTIC = {
    "bad operator": broken(
        GOOD + '\n[[favorite]]\nname = "Bad"\nevent_name = "Charged"\nfilters = [\n'
        '  { name = "Amount", operator = "greater_than", value = 1 },\n'
        '  { name = "Amount", operator = "bigger", value = 3 },\n]\nrange = "today"\n',
        11,
        3,
        "favourite 'Bad': filter 2: unknown operator 'bigger'",
    ),
    "not a number": broken(
        GOOD + '\n[[favorite]]\nname = "Bad"\nevent_name = "Charged"\nfilters = [\n'
        '    { name = "Amount", operator = "greater_than", value = "lots" },\n]\n'
        'range = "today"\n',
        10,
        5,
        "needs a number, not 'lots'",
    ),
    "unknown range": broken(
        GOOD + '\n[[favorite]]\nname = "Bad"\nevent_name = "Charged"\n  range = "last_week"\n',
        9,
        3,
        "unknown range 'last_week'",
    ),
    "range and from": broken(
        '[[favorite]]\nname = "Bad"\nevent_name = "Charged"\nrange = "today"\n'
        "from = 2026-01-01\nto = 2026-01-31\n\n" + GOOD,
        5,
        1,
        "both range and from/to",
    ),
    "only from": broken(
        GOOD + '\n[[favorite]]\nname = "Bad"\nevent_name = "Charged"\nfrom = 2026-01-01\n',
        9,
        1,
        "needs dates",
    ),
    "a datetime": broken(
        GOOD + '\n[[favorite]]\nname = "Bad"\nevent_name = "Charged"\n'
        "to = 2026-01-31\nfrom = 2026-01-01T10:00:00\n",
        10,
        1,
        "from must be a date",
    ),
    "from after to": broken(
        GOOD + '\n[[favorite]]\nname = "Bad"\nevent_name = "Charged"\n'
        "from = 2026-02-01\nto = 2026-01-31\n",
        9,
        1,
        "from 2026-02-01 is after to 2026-01-31",
    ),
    "names differing in case": broken(
        GOOD + '\n[[favorite]]\n\tname = "GOOD"\nevent_name = "Charged"\nrange = "today"\n',
        7,
        2,
        "the name 'GOOD' is used twice",
    ),
    "name missing": broken(
        GOOD + '\n[[favorite]]\nevent_name = "Charged"\nrange = "today"\n',
        6,
        1,
        'favourite 2: needs name = "..."',
    ),
    "event name missing": broken(
        GOOD + '\n[[favorite]]\nname = "Bad"\nrange = "today"\n',
        6,
        1,
        'needs event_name = "..."',
    ),
    "a bad profile name": broken(
        GOOD + '\n[[favorite]]\nname = "Bad"\nevent_name = "Charged"\nrange = "today"\n'
        'profile = "-work"\n',
        10,
        1,
        "profile name '-work'",
    ),
    # A newer format may mean something else by the same keys: none of it is guessed at.
    "a newer format": broken("\nversion = 2\n\n" + GOOD, 2, 1, "from a newer cttui", ()),
    "favorite is text": broken(
        'version = 1\nfavorite = "Weekly"\n', 2, 1, "[[favorite]] tables", ()
    ),
    "favorite is a dotted table": broken(
        GOOD.replace("[[favorite]]", "version = 1\n\n  [favorite.meta]\n  x = 1\n\n[[other]]"),
        3,
        3,
        "[[favorite]] tables",
        (),
    ),
    "favorite is a table": broken(
        'version = 1\n\n[favorite]\nname = "Good"\nevent_name = "Charged"\n',
        3,
        1,
        "[[favorite]] tables",
        (),
    ),
}
NOT_UTF8 = Broken(
    GOOD.encode() + b'\n[[favorite]]\nname = "Caf\xe9"\nevent_name = "Charged"\n',
    7,
    12,
    "UTF-8",
    (),
)
NOT_UTF8_AFTER_WIDE = Broken(
    GOOD.encode() + '\n[[favorite]]\nname = "Café \xe9'.encode() + b'\xe9"\n', 7, 15, "UTF-8", ()
)
ALL_BROKEN = {
    **{f"syntax: {name}": case for name, case in SYNTAX.items()},
    **SEMANTIC,
    "not UTF-8": NOT_UTF8,
    "not UTF-8 after wide characters": NOT_UTF8_AFTER_WIDE,
}


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("case", SYNTAX.values(), ids=SYNTAX.keys())
def test_a_toml_syntax_error_names_the_line_and_column(path: Path, case: Broken) -> None:
    favorites = read_favorites(write(path, case.content))
    [problem] = favorites.problems
    assert (problem.line, problem.column) == (case.line, case.column)
    assert problem.message.startswith(f"{path}:{case.line}:{case.column}: not valid TOML: ")
    assert case.says in problem.message
    # TOML cannot be half read: nothing is offered, and nothing can be written.
    assert favorites.items == ()
    assert not favorites.writable


@pytest.mark.parametrize(
    "case",
    [*SEMANTIC.values(), NOT_UTF8, NOT_UTF8_AFTER_WIDE],
    ids=[*SEMANTIC.keys(), "not UTF-8", "not UTF-8 after wide characters"],
)
def test_a_problem_in_one_favourite_names_its_place_and_keeps_the_others(
    path: Path, case: Broken
) -> None:
    favorites = read_favorites(write(path, case.content))
    [problem] = favorites.problems
    assert isinstance(problem, FavoritesError)
    assert (problem.line, problem.column) == (case.line, case.column), problem.message
    assert problem.message.startswith(f"{path}:{case.line}:{case.column}: ")
    assert case.says in problem.message
    assert "\n" not in problem.message
    assert favorites.names() == list(case.readable)
    assert not favorites.writable
    assert problem.message in favorites.read_only_reason()


def test_a_broken_favourite_is_found_by_its_name(path: Path) -> None:
    favorites = read_favorites(write(path, SEMANTIC["unknown range"].content))
    problem = favorites.broken("bad")
    assert problem is not None
    assert problem.name == "Bad"
    assert favorites.broken("Good") is None
    assert favorites.find("Bad") is None


def test_several_problems_are_all_reported_in_order(path: Path) -> None:
    text = (
        '[[favorite]]\nname = "One"\nevent_name = "Charged"\nrange = "soon"\n\n'
        + GOOD
        + '\n[[favorite]]\nname = "Two"\nevent_name = "  Charged"\nrange = "today"\n'
    )
    favorites = read_favorites(write(path, text.encode()))
    assert [(problem.name, problem.line) for problem in favorites.problems] == [
        ("One", 4),
        ("Two", 13),
    ]
    assert favorites.names() == ["Good"]
    assert "(and 1 more)" in favorites.read_only_reason()


OPERATIONS: dict[str, Callable[[FavoritesStore], object]] = {
    "save": lambda store: store.save(Favorite("Fresh", "Charged")),
    "save replace": lambda store: store.save(Favorite("Good", "Other"), replace_existing=True),
    "rename": lambda store: store.rename("Good", "Better"),
    "duplicate": lambda store: store.duplicate("Good"),
    "delete": lambda store: store.delete(["Good"]),
}


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=OPERATIONS.keys())
@pytest.mark.parametrize("case", ALL_BROKEN.values(), ids=ALL_BROKEN.keys())
def test_a_file_with_problems_is_never_written(
    path: Path, case: Broken, operation: Callable[[FavoritesStore], object]
) -> None:
    write(path, case.content)
    before = path.stat()
    with pytest.raises(UsageError, match="fix it first") as caught:
        operation(FavoritesStore(path))
    assert read_favorites(path).problems[0].message in caught.value.message
    assert path.read_bytes() == case.content
    after = path.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert sorted(item.name for item in path.parent.iterdir()) == ["favorites.toml"]


def test_a_missing_file_has_no_favourites_and_the_first_save_makes_it(path: Path) -> None:
    store = FavoritesStore(path)
    assert store.read() == Favorites(path)
    assert store.read().writable
    store.save(Favorite("First", "Charged"))
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# cttui favourites.")
    assert "version = 1\n" in text
    assert store.read().names() == ["First"]


# --- Atomic writes --------------------------------------------------------------------------------


def test_a_write_leaves_no_temporary_file_and_makes_the_file_private(
    store: FavoritesStore,
) -> None:
    # Queries say what a business counts: the file is the user's alone, in a directory that is.
    store.path.chmod(0o644)
    store.path.parent.chmod(0o755)
    before = store.path.stat().st_ino
    store.save(Favorite("Another", "Charged"))
    assert sorted(item.name for item in store.path.parent.iterdir()) == ["favorites.toml"]
    status = store.path.stat()
    assert status.st_mode & 0o777 == 0o600
    assert store.path.parent.stat().st_mode & 0o777 == 0o700
    # Replaced, not rewritten in place: a reader never sees half a file.
    assert status.st_ino != before


@pytest.mark.parametrize(
    ("step", "error"),
    [("replace", OSError(28, "No space left on device")), ("fsync", KeyboardInterrupt())],
)
def test_a_failed_write_leaves_the_file_and_no_temporary_file(
    store: FavoritesStore, monkeypatch: pytest.MonkeyPatch, step: str, error: BaseException
) -> None:
    before = store.path.read_bytes()

    def fail(*_: object) -> None:
        raise error

    monkeypatch.setattr(os, step, fail)
    with pytest.raises(UsageError if isinstance(error, OSError) else KeyboardInterrupt) as caught:
        store.save(Favorite("Another", "Charged"))
    monkeypatch.undo()
    if isinstance(error, OSError):
        assert str(store.path) in str(caught.value)
        assert "the disk is full" in str(caught.value)
    assert store.path.read_bytes() == before
    assert sorted(item.name for item in store.path.parent.iterdir()) == ["favorites.toml"]


def test_a_refused_change_leaves_no_temporary_file(store: FavoritesStore) -> None:
    before = store.path.read_bytes()
    with pytest.raises(FavoriteExists):
        store.save(Favorite("LAUNCHES", "Charged"))
    with pytest.raises(UsageError, match="no favourite named 'Nope'"):
        store.delete(["Launches", "Nope"])
    assert store.path.read_bytes() == before
    assert sorted(item.name for item in store.path.parent.iterdir()) == ["favorites.toml"]


SAVER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from cttui.store.favorites import Favorite
    from cttui.store.favorites_store import FavoritesStore

    store = FavoritesStore(Path(sys.argv[1]))
    print("ready", flush=True)
    sys.stdin.readline()
    for number in range(20):
        store.save(Favorite(f"{sys.argv[2]} {number}", "Charged"))
    print("done", flush=True)
    """
)


def test_two_processes_saving_at_once_lose_nothing(path: Path) -> None:
    path.parent.mkdir(parents=True)
    savers = [
        subprocess.Popen(
            [sys.executable, "-c", SAVER, str(path), tag],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for tag in ("left", "right")
    ]
    try:
        for saver in savers:
            assert saver.stdout is not None
            assert saver.stdout.readline() == "ready\n"
        # Both are started and waiting: let them go together.
        for saver in savers:
            assert saver.stdin is not None
            saver.stdin.write("go\n")
            saver.stdin.flush()
        for saver in savers:
            out, _ = saver.communicate(timeout=60)
            assert (saver.returncode, out) == (0, "done\n")
    finally:
        for saver in savers:
            if saver.poll() is None:
                saver.kill()
                saver.wait()
    favorites = read_favorites(path)
    assert favorites.problems == ()
    assert sorted(favorites.names()) == sorted(
        f"{tag} {number}" for tag in ("left", "right") for number in range(20)
    )
    assert sorted(item.name for item in path.parent.iterdir()) == ["favorites.toml"]


# --- Names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "needs a name"),
        ("   ", "needs a name"),
        ("x" * (NAME_MAX + 1), f"up to {NAME_MAX} characters"),
        ("tab\there", "printable"),
        ("line\nbreak", "printable"),
        ("zero\u200bwidth", "printable"),
    ],
)
def test_a_bad_favourite_name_is_refused_saying_why(text: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        check_favorite_name(text)


def test_a_good_favourite_name_is_trimmed() -> None:
    assert check_favorite_name("  Weekly buyers  ") == "Weekly buyers"
    assert check_favorite_name("x" * NAME_MAX) == "x" * NAME_MAX
    assert check_favorite_name("Ünïcödé 売上 ✓") == "Ünïcödé 売上 ✓"
    assert check_favorite_name(" " * 3 + "y" * NAME_MAX + " " * 3) == "y" * NAME_MAX


def test_names_are_the_same_without_regard_to_case() -> None:
    assert same_name("Weekly", "WEEKLY")
    assert same_name("Straße", "STRASSE")
    assert not same_name("Weekly", "Weekly ")
    assert not same_name("Weekly", "Weekl")


def test_find_prefers_the_exact_name_then_any_case() -> None:
    upper, lower = Favorite("Weekly", "A"), Favorite("weekly", "B")
    favorites = Favorites(PATH, (upper, lower))
    assert favorites.find("weekly") is lower
    assert favorites.find("Weekly") is upper
    assert favorites.find("WEEKLY") is upper
    assert favorites.find("monthly") is None
    assert Favorites(PATH, (lower,)).find("WEEKLY") is lower


def test_a_name_taken_in_another_case_is_refused(store: FavoritesStore) -> None:
    before = store.path.read_bytes()
    with pytest.raises(FavoriteExists) as caught:
        store.save(Favorite("WEEKLY buyers", "Charged"))
    assert caught.value.name == "Weekly buyers"
    assert "'Weekly buyers' already exists" in caught.value.message
    with pytest.raises(FavoriteExists):
        store.rename("Launches", "weekly Buyers")
    assert store.path.read_bytes() == before
    # A favourite may take its own name in another case.
    store.rename("launches", "LAUNCHES")
    assert store.read().names() == ["Weekly buyers", "LAUNCHES"]


def test_a_rename_is_checked_and_trimmed(store: FavoritesStore) -> None:
    with pytest.raises(UsageError, match="needs a name"):
        store.rename("Launches", "  ")
    with pytest.raises(UsageError, match="no favourite named 'Gone'"):
        store.rename("Gone", "Here")
    store.rename("Launches", "  App launches ")
    assert store.read().names() == ["Weekly buyers", "App launches"]


def test_duplicate_names_copies_after_the_original(store: FavoritesStore) -> None:
    _, first = store.duplicate("weekly buyers")
    _, second = store.duplicate("Weekly buyers")
    _, third = store.duplicate("Weekly buyers")
    _, of_copy = store.duplicate("Weekly buyers (copy)")
    assert [first.name, second.name, third.name, of_copy.name] == [
        "Weekly buyers (copy)",
        "Weekly buyers (copy 2)",
        "Weekly buyers (copy 3)",
        "Weekly buyers (copy) (copy)",
    ]
    assert store.read().names() == [
        "Weekly buyers",
        "Weekly buyers (copy 3)",
        "Weekly buyers (copy 2)",
        "Weekly buyers (copy)",
        "Weekly buyers (copy) (copy)",
        "Launches",
    ]
    original = store.read().find("Weekly buyers")
    assert original is not None
    assert first == replace(original, name="Weekly buyers (copy)")


def test_a_copy_of_a_long_name_stays_within_the_limit(path: Path) -> None:
    store = FavoritesStore(path)
    long = "L" * NAME_MAX
    store.save(Favorite(long, "Charged"))
    _, first = store.duplicate(long)
    _, second = store.duplicate(long)
    assert first.name == "L" * (NAME_MAX - 7) + " (copy)"
    assert second.name == "L" * (NAME_MAX - 9) + " (copy 2)"
    assert store.read().problems == ()
    assert sorted(len(name) for name in store.read().names()) == [NAME_MAX] * 3


def test_a_favourite_names_its_own_problems() -> None:
    bad = Favorite(
        "",
        " Charged",
        (PropertyFilter("Amount", Operator.LESS_THAN, "many"),),
        DateRange(date(2026, 2, 1), date(2026, 1, 1)),
        profile="no/slashes",
    )
    problems = bad.problems()
    assert len(problems) == 5
    assert "needs a name" in problems[0]
    assert "profile name" in problems[1]
    assert Favorite("Good", "Charged", profile=check_profile_name("work")).problems() == []
