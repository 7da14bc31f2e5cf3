"""The name ctrl+s offers for a new favourite: one rule for every operator, a name the file
takes as it is, cut to the name limit at a word boundary."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from textual.widgets import Input

from cttui.api.draft import QueryDraft
from cttui.api.models import OPERATOR_CHOICES, DateRange, PropertyFilter, Query
from cttui.api.operators import Operator, Value
from cttui.store.favorites import NAME_MAX, check_favorite_name
from cttui.tui.screens.main import MainScreen
from cttui.tui.screens.save_favorite import SaveFavoriteScreen, suggested_name
from tests.apps import WORK, build_app, settle

DAY = DateRange(date(2026, 11, 23), date(2026, 11, 23))

# Every operator CleverTap documents, each with the name its first filter suggests.
EVERY_OPERATOR: dict[Operator, tuple[str, str, Value | None, str]] = {
    Operator.EQUALS: ("App Launched", "Platform", "iOS", "App Launched Platform = iOS"),
    Operator.NOT_EQUALS: ("App Launched", "Platform", "iOS", "App Launched Platform != iOS"),
    Operator.CONTAINS: ("Charged", "City", "Pun", "Charged City contains Pun"),
    Operator.DOES_NOT_CONTAIN: ("Charged", "City", "Pun", "Charged City does not contain Pun"),
    Operator.EXISTS: ("Charged", "Coupon", None, "Charged Coupon exists"),
    Operator.DOES_NOT_EXIST: ("Charged", "Coupon", None, "Charged Coupon does not exist"),
    Operator.GREATER_THAN: ("Charged", "Amount", 100, "Charged Amount > 100"),
    Operator.GREATER_THAN_EQUALS: ("Charged", "Amount", 100, "Charged Amount >= 100"),
    Operator.LESS_THAN: ("Charged", "Amount", 99.5, "Charged Amount < 99.5"),
    Operator.LESS_THAN_EQUALS: ("Charged", "Amount", 0, "Charged Amount <= 0"),
}


def named(event: str, *filters: PropertyFilter) -> str:
    return suggested_name(Query(event, DAY, filters))


def test_the_table_covers_every_operator_and_every_choice_of_the_editor() -> None:
    assert set(EVERY_OPERATOR) == set(Operator)
    assert {choice.operator for choice in OPERATOR_CHOICES} <= set(EVERY_OPERATOR)


@pytest.mark.parametrize("operator", list(Operator), ids=str)
def test_every_operator_names_the_property_the_operator_and_the_value(
    operator: Operator,
) -> None:
    event, prop, value, expected = EVERY_OPERATOR[operator]
    query = Query(event, DAY, (PropertyFilter(prop, operator, value),))
    assert query.problems() == []
    assert suggested_name(query) == expected
    assert check_favorite_name(expected) == expected


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (PropertyFilter("First Purchase", Operator.EQUALS, True), "First Purchase = True"),
        (PropertyFilter("First Purchase", Operator.NOT_EQUALS, False), "First Purchase != False"),
        (PropertyFilter("Genre", Operator.EQUALS, ("Books", "Games")), "Genre = Books or Games"),
        (PropertyFilter("Amount", Operator.EQUALS, 7), "Amount = 7"),
        (PropertyFilter("Coupon", Operator.EQUALS, "a[/]b"), "Coupon = a[/]b"),
        (PropertyFilter("Ville", Operator.CONTAINS, "Zürich 東京"), "Ville contains Zürich 東京"),
    ],
)
def test_booleans_lists_numbers_markup_and_unicode_read_as_typed(
    item: PropertyFilter, expected: str
) -> None:
    assert named("Charged", item) == f"Charged {expected}"


def test_no_filter_is_the_event_and_later_filters_are_left_to_the_query() -> None:
    assert named("App Launched") == "App Launched"
    first = PropertyFilter("Amount", Operator.GREATER_THAN, 100)
    second = PropertyFilter("Coupon", Operator.EXISTS)
    assert named("Charged", first, second) == "Charged Amount > 100"


def test_a_long_value_is_cut_at_the_last_whole_word_within_the_limit() -> None:
    words = " ".join(f"word{n}" for n in range(120))  # about 700 characters
    name = named("Charged", PropertyFilter("Note", Operator.CONTAINS, words))
    whole = f"Charged Note contains {words}"
    assert len(name) <= NAME_MAX
    assert whole.startswith(name)
    assert whole[len(name)] == " "  # a word boundary: no word is cut in two
    assert len(name) > NAME_MAX - len(" word119")
    assert check_favorite_name(name) == name


def test_a_600_character_word_is_cut_at_the_limit() -> None:
    name = named("Charged", PropertyFilter("City", Operator.EQUALS, "x" * 600))
    assert name == ("Charged City = " + "x" * 600)[:NAME_MAX]
    # A long event alone, too.
    assert named("E" * 600) == "E" * NAME_MAX


def test_a_value_with_line_breaks_tabs_or_odd_spaces_gives_a_name_the_file_takes() -> None:
    value = "New\nYork\tCity\u00a0North\u200bEnd  "
    name = named("Charged", PropertyFilter("City", Operator.EQUALS, value))
    assert name == "Charged City = New York City NorthEnd"
    assert check_favorite_name(name) == name


async def test_ctrl_s_offers_the_name_for_the_editors_query(isolated_home: Path) -> None:
    query = Query("Charged", DAY, (PropertyFilter("Amount", Operator.GREATER_THAN, 100),))
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, MainScreen)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await screen.editor.load(QueryDraft.from_query(query))
        await pilot.press("ctrl+s")
        await settle(pilot, SaveFavoriteScreen)
        assert app.screen.query_one("#favorite-name", Input).value == "Charged Amount > 100"
