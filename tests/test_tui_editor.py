"""The query editor on the main screen, driven with Pilot: rows, operators, dates, the calendar,
presets, the preview, and runs against the emulator over loopback."""

from __future__ import annotations

import json
from datetime import date

import pytest
from textual.command import CommandList, CommandPalette
from textual.coordinate import Coordinate
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from cttui.api.draft import QueryDraft
from cttui.api.models import DateRange, PropertyFilter, Query
from cttui.api.operators import Operator
from cttui.api.ranges import RangePreset
from cttui.emulator import Emulator
from cttui.tui.app import CttuiApp
from cttui.tui.screens.calendar import CalendarScreen
from cttui.tui.screens.confirm import ConfirmScreen
from cttui.tui.screens.credentials import CredentialsScreen
from cttui.tui.screens.main import MainScreen
from cttui.tui.widgets.job_panel import JobPanel
from cttui.tui.widgets.preview import QueryPreview
from cttui.tui.widgets.query_editor import QueryEditor
from tests.apps import TODAY, WORK, build_app, until, until_equal
from tests.conftest import DEFAULTS

SIZE = (120, 40)
# Operator options, in the order the select lists them.
STRING_EQUALS, STRING_CONTAINS, STRING_EXISTS = 0, 2, 4
NUMBER_EQUALS, NUMBER_GREATER_THAN = 6, 7


def emulator_app(emulator: Emulator, **options: object) -> CttuiApp:
    environ = {
        "CLEVERTAP_ACCOUNT_ID": DEFAULTS.account_id,
        "CLEVERTAP_PASSCODE": DEFAULTS.passcode,
        "CTTUI_BASE_URL": emulator.base_url,
    }
    emulator.reset_log()
    return build_app(environ=environ, **options)  # type: ignore[arg-type]


async def opened(pilot: Pilot[int]) -> QueryEditor:
    # Ready once mounted and its auto focus has landed on the event name.
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, MainScreen) and pilot.app.focused is not None,
        "the main screen",
    )
    return pilot.app.screen.query_one(QueryEditor)


def cell(table: DataTable[object], column: str, row: int = 0) -> str:
    """What the job list shows in `column` (a key: "query", "state", "count"...) of `row`."""
    row_key, _ = table.coordinate_to_cell_key(Coordinate(row, 0))
    return str(table.get_cell(row_key, column))


def field(pilot: Pilot[int], selector: str) -> Input:
    return pilot.app.screen.query_one(selector, Input)


async def type_into(pilot: Pilot[int], selector: str, text: str) -> None:
    """Focus the field, clear it with keys, and type `text` as a person would."""
    widget = field(pilot, selector)
    widget.focus()
    await pilot.press("end", "ctrl+u", *text)
    await pilot.pause()


async def choose(pilot: Pilot[int], select: Select[str], index: int) -> None:
    """Open `select` with enter and pick option `index` with the arrow keys."""
    select.focus()
    await pilot.press("enter", "home", *["down"] * index, "enter")
    await pilot.pause()


def note(pilot: Pilot[int], selector: str) -> str:
    widget = pilot.app.screen.query_one(selector, Static)
    return str(widget.render()) if widget.display else ""


def preview(pilot: Pilot[int]) -> QueryPreview:
    return pilot.app.screen.query_one(QueryPreview)


def payload(pilot: Pilot[int]) -> object:
    body = preview(pilot).body
    assert body is not None, "the preview shows no body"
    return json.loads(body)


def shown(pilot: Pilot[int]) -> dict[str, object] | None:
    """The preview's body; None while it shows none (yet): a probe to wait on."""
    body = preview(pilot).body
    return None if body is None else dict(json.loads(body))


def properties(pilot: Pilot[int]) -> object:
    return (shown(pilot) or {}).get("event_properties")


async def build_example(pilot: Pilot[int]) -> None:
    """The documented example, with keys alone: choseNewFavoriteFood, value contains piz."""
    await pilot.press(*"choseNewFavoriteFood", "ctrl+n", *"value", "tab")
    await pilot.press("enter", "home", *["down"] * STRING_CONTAINS, "enter", "tab", *"piz")
    await pilot.pause()


async def test_the_editor_opens_on_the_event_name_with_the_last_30_days() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        editor = await opened(pilot)
        assert app.focused is field(pilot, "#event")
        assert editor.dates.texts == ("2026-10-25", "2026-11-23")
        assert editor.dates.preset is RangePreset.LAST_30_DAYS
        assert "30 days" in note(pilot, "#dates-note")


async def test_ctrl_n_and_the_button_add_rows_f8_and_the_cross_remove_them() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        editor = await opened(pilot)

        def names() -> list[str]:
            return [row.draft.name for row in editor.rows]

        await pilot.press("ctrl+n")
        await until_equal(pilot, lambda: len(editor.rows), 1)
        await until(pilot, lambda: app.focused is editor.rows[0].field("name"), "the new row")
        await pilot.press(*"first")
        await pilot.click("#add-filter")
        await until_equal(pilot, lambda: len(editor.rows), 2)
        await until(pilot, lambda: app.focused is editor.rows[1].field("name"), "row 2")
        await pilot.press(*"second")
        await pilot.press("ctrl+n")
        await until(pilot, lambda: app.focused is editor.rows[2].field("name"), "row 3")
        await pilot.press(*"third")
        await until_equal(pilot, names, ["first", "second", "third"])

        editor.rows[1].field("name").focus()
        await pilot.press("f8")
        await until_equal(pilot, names, ["first", "third"])
        # The focus stays in the list, on the row that took the removed one's place.
        await until(pilot, lambda: app.focused is editor.rows[1].field("name"), "the focus")

        await pilot.click(editor.rows[0].query_one(".filter-remove"))
        await until_equal(pilot, names, ["third"])


async def test_exists_hides_the_value_and_sends_none() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        editor = await opened(pilot)
        await pilot.press(*"Charged", "ctrl+n", *"Coupon", "tab", "tab", *"SAVE10")
        await until(pilot, lambda: len(editor.rows) == 1, "the row")
        value = editor.rows[0].field("value")
        await until_equal(pilot, lambda: value.display, True)
        await choose(pilot, editor.rows[0].query_one(Select), STRING_EXISTS)
        await until_equal(pilot, lambda: value.display, False)
        await until_equal(
            pilot,
            lambda: shown(pilot),
            {
                "event_name": "Charged",
                "event_properties": [{"name": "Coupon", "operator": "exists"}],
                "from": 20261025,
                "to": 20261123,
            },
        )
        await choose(pilot, editor.rows[0].query_one(Select), STRING_EQUALS)
        await until_equal(pilot, lambda: value.display, True)
        assert isinstance(value, Input)
        assert value.value == "SAVE10"


async def test_number_operators_need_a_number_and_say_so_inline() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        editor = await opened(pilot)
        await pilot.press(*"Charged", "ctrl+n", *"Amount")
        await choose(pilot, editor.rows[0].query_one(Select), NUMBER_GREATER_THAN)
        await pilot.press("tab", *"lots")
        problem = (
            "filter 1 (Amount greater_than) needs a number, not 'lots'; type digits, such as 42, "
            "-3.5 or 1e3"
        )
        await until_equal(pilot, lambda: note(pilot, ".filter-note"), problem)
        assert editor.rows[0].query_one(".filter-note").has_class("-error")
        assert preview(pilot).body is None
        await pilot.press("ctrl+u", *"49.5")
        await until_equal(pilot, lambda: note(pilot, ".filter-note"), "")
        props = [{"name": "Amount", "operator": "greater_than", "value": 49.5}]
        await until_equal(pilot, lambda: properties(pilot), props)
        # The preview shows the number as it goes out: 1e3 is sent as 1000.
        await pilot.press("ctrl+u", *"1e3")
        props = [{"name": "Amount", "operator": "greater_than", "value": 1000}]
        await until_equal(pilot, lambda: properties(pilot), props)
        assert '"value":1000}' in (preview(pilot).body or "")
        await pilot.press("ctrl+u", *"1e999")
        await until(
            pilot,
            lambda: note(pilot, ".filter-note").endswith("type a number below 1e308"),
            "the note on 1e999",
        )
        assert preview(pilot).body is None


async def test_string_equals_keeps_digits_as_text_and_number_equals_sends_a_number() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        editor = await opened(pilot)
        await pilot.press(*"Signed Up", "ctrl+n", *"zip", "tab", "tab", *"007")
        props = [{"name": "zip", "operator": "equals", "value": "007"}]
        await until_equal(pilot, lambda: properties(pilot), props)
        await choose(pilot, editor.rows[0].query_one(Select), NUMBER_EQUALS)
        await until(
            pilot,
            lambda: "needs a number, not '007'" in note(pilot, ".filter-note"),
            "the note on 007",
        )
        await type_into(pilot, ".filter-value", "7")
        numeric = [{"name": "zip", "operator": "equals", "value": 7}]
        await until_equal(pilot, lambda: properties(pilot), numeric)


async def test_true_and_false_are_hinted_and_sent_as_clevertap_spells_them() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        editor = await opened(pilot)
        await pilot.press(*"Charged", "ctrl+n", *"First Purchase", "tab", "tab")
        await until(pilot, lambda: len(editor.rows) == 1, "the row")
        value = editor.rows[0].field("value")
        assert isinstance(value, Input)
        await until(pilot, lambda: app.focused is value, "the value field")
        assert "True/False" in value.placeholder
        await pilot.press("t", "right")  # takes the suggestion
        await until_equal(pilot, lambda: value.value, "True")
        await type_into(pilot, ".filter-value", "false")
        await until(pilot, lambda: 'sent as "False"' in note(pilot, ".filter-note"), "the hint")
        props = [{"name": "First Purchase", "operator": "equals", "value": "False"}]
        await until_equal(pilot, lambda: properties(pilot), props)


async def test_typed_dates_become_custom_and_a_bad_date_is_named_when_left() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        editor = await opened(pilot)
        await pilot.press(*"Charged")
        await type_into(pilot, "#from", "2026-11-02")
        await until_equal(pilot, lambda: note(pilot, "#dates-note"), "22 days, both ends included")
        assert editor.dates.preset is None
        body = {"event_name": "Charged", "from": 20261102, "to": 20261123}
        await until_equal(pilot, lambda: shown(pilot), body)

        await type_into(pilot, "#from", "2026-02-3")
        assert not editor.query_one("#dates-note").has_class("-error")  # still typing
        await pilot.press("0", "tab")
        problem = "from date '2026-02-30' is not a real calendar date"
        await until_equal(pilot, lambda: note(pilot, "#dates-note"), problem)

        await type_into(pilot, "#from", "2026-11-17")
        await until_equal(
            pilot, lambda: editor.dates.preset, RangePreset.LAST_7_DAYS
        )  # typed dates that match a preset


async def test_from_after_to_is_an_error_and_nothing_is_sent(emulator: Emulator) -> None:
    app = emulator_app(emulator)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        editor = await opened(pilot)
        await pilot.press(*"Charged")
        await type_into(pilot, "#from", "2026-11-20")
        await type_into(pilot, "#to", "2026-11-10")
        problem = "from 2026-11-20 is after to 2026-11-10; swap them"
        await until_equal(pilot, lambda: note(pilot, "#dates-note"), problem)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: app.focused is field(pilot, "#from"), "the from field")
        assert editor.dates.input("from").has_focus
        assert emulator.requests == []
        assert not app.session.jobs.jobs


@pytest.mark.parametrize(
    ("preset", "index", "expected"),
    [
        (RangePreset.TODAY, 0, ("2026-11-23", "2026-11-23")),
        (RangePreset.YESTERDAY, 1, ("2026-11-22", "2026-11-22")),
        (RangePreset.LAST_7_DAYS, 2, ("2026-11-17", "2026-11-23")),
        (RangePreset.LAST_30_DAYS, 3, ("2026-10-25", "2026-11-23")),
        (RangePreset.THIS_MONTH, 4, ("2026-11-01", "2026-11-23")),
        (RangePreset.LAST_MONTH, 5, ("2026-10-01", "2026-10-31")),
    ],
)
async def test_presets_fill_the_dates_against_the_injected_today(
    preset: RangePreset, index: int, expected: tuple[str, str]
) -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        editor = await opened(pilot)
        await type_into(pilot, "#from", "2025-01-01")
        await until_equal(pilot, lambda: editor.dates.preset, None)
        await choose(pilot, editor.query_one("#preset", Select), index)
        await until_equal(pilot, lambda: editor.dates.texts, expected)
        await until_equal(pilot, lambda: editor.dates.preset, preset)


async def test_the_calendar_opens_from_a_date_field_and_picks_or_cancels() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        editor = await opened(pilot)
        field(pilot, "#to").focus()
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, CalendarScreen), "the calendar")
        assert app.screen.cursor == TODAY  # type: ignore[attr-defined]
        await pilot.press("left", "up", "enter")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "the editor again")
        await until_equal(pilot, lambda: editor.dates.texts, ("2026-10-25", "2026-11-15"))
        await until(pilot, lambda: app.focused is field(pilot, "#to"), "the to field")

        await pilot.click("#from-calendar")
        await until(pilot, lambda: isinstance(app.screen, CalendarScreen), "the calendar")
        assert app.screen.cursor == date(2026, 10, 25)  # type: ignore[attr-defined]
        await pilot.press("pagedown", "escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "the editor again")
        assert editor.dates.texts == ("2026-10-25", "2026-11-15")


async def test_the_preview_is_the_payload_and_the_curl_hides_the_passcode() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        editor = await opened(pilot)
        await build_example(pilot)
        query, problems = editor.draft.build()
        assert problems == []
        expected = Query(
            "choseNewFavoriteFood",
            DateRange(date(2026, 10, 25), TODAY),
            (PropertyFilter("value", Operator.CONTAINS, "piz"),),
        )
        assert query == expected
        assert payload(pilot) == expected.to_payload()
        shown = str(app.screen.query_one("#preview-body", Static).render())
        assert json.loads(shown) == expected.to_payload()
        curl = preview(pilot).curl
        assert curl is not None
        assert f"'{expected.to_json()}'" in curl
        assert f"https://{WORK.region.host}/1/counts/profiles.json" in curl
        assert f"X-CleverTap-Account-Id: {WORK.account_id}" in curl
        assert '"X-CleverTap-Passcode: $CLEVERTAP_PASSCODE"' in curl

        await pilot.press("ctrl+y")
        await until(
            pilot, lambda: any("copied" in n.message for n in app._notifications), "the toast"
        )
        assert app.clipboard == curl


async def test_an_unfinished_query_shows_what_is_missing_instead_of_a_body() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await opened(pilot)
        assert preview(pilot).body is None
        shown = str(app.screen.query_one("#preview-body", Static).render())
        assert "event name is empty" in shown
        # Nothing is marked wrong before the user has had a chance to type.
        assert note(pilot, "#event-note") == ""
        await pilot.press("ctrl+y")
        problem = "event name is empty; type the exact event name"
        await until_equal(pilot, lambda: note(pilot, "#event-note"), problem)
        assert app.clipboard == ""


async def test_ctrl_r_with_an_invalid_field_sends_nothing_and_focuses_it(
    emulator: Emulator,
) -> None:
    app = emulator_app(emulator)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        editor = await opened(pilot)
        await pilot.press(*"Charged", "ctrl+n", *"Amount")
        await choose(pilot, editor.rows[0].query_one(Select), NUMBER_GREATER_THAN)
        field(pilot, "#event").focus()
        await pilot.press("ctrl+r")
        await until(
            pilot, lambda: any(n.title == "Not sent" for n in app._notifications), "the toast"
        )
        await until(pilot, lambda: app.focused is editor.rows[0].field("value"), "the value")
        problem = "filter 1 (Amount greater_than) needs a value"
        await until_equal(pilot, lambda: note(pilot, ".filter-note"), problem)
        assert emulator.requests == []
        assert not app.session.jobs.jobs
        assert app.screen.query_one(DataTable).row_count == 0


async def test_ctrl_r_runs_the_query_and_the_job_finishes_with_the_count(
    emulator: Emulator,
) -> None:
    app = emulator_app(emulator)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await opened(pilot)
        await build_example(pilot)
        await pilot.press("ctrl+r")
        table = app.screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 1, "the job's row")
        await until(pilot, lambda: app.session.jobs.jobs[0].state == "done", "the job to finish")
        # The row shows the state last: once it says done, the rest of the row is drawn.
        await until(pilot, lambda: cell(table, "state") == "done", "the row to say done")
        expected = emulator.count(
            "choseNewFavoriteFood",
            20261025,
            20261123,
            [{"name": "value", "operator": "contains", "value": "piz"}],
        )
        assert app.session.jobs.jobs[0].count == expected
        assert cell(table, "query") == 'choseNewFavoriteFood · value contains "piz"'
        assert cell(table, "state") == "done"
        assert cell(table, "count") == f"{expected:,}"
        assert [r.method for r in emulator.requests] == ["POST"]


async def test_a_long_range_goes_pending_and_is_polled_to_its_count(emulator: Emulator) -> None:
    app = emulator_app(emulator, poll_interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press(*"App Launched")
        await type_into(pilot, "#from", "2026-06-01")
        await pilot.press("ctrl+r")
        await until(
            pilot,
            lambda: bool(app.session.jobs.jobs) and app.session.jobs.jobs[0].polls > 0,
            "a poll",
        )
        await until(pilot, lambda: app.session.jobs.jobs[0].state == "done", "the job to finish")
        assert app.session.jobs.jobs[0].count == emulator.count("App Launched", 20260601, 20261123)
        methods = [r.method for r in emulator.requests]
        assert methods[0] == "POST"
        assert set(methods[1:]) == {"GET"}


async def test_without_a_profile_ctrl_r_says_what_to_do(emulator: Emulator) -> None:
    app = build_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CredentialsScreen), "first run")
        await pilot.press("escape")
        await opened(pilot)
        assert "F2" in note(pilot, "#connection")
        await pilot.press(*"Charged", "ctrl+r")
        await until(
            pilot,
            lambda: any("F2" in n.message for n in app._notifications if n.severity == "error"),
            "the toast",
        )
        assert not app.session.jobs.jobs
        assert "$CLEVERTAP_ACCOUNT_ID" in (preview(pilot).curl or "")


async def test_a_job_loads_back_and_new_query_clears(emulator: Emulator) -> None:
    app = emulator_app(emulator)
    async with app.run_test(size=SIZE) as pilot:
        editor = await opened(pilot)
        await build_example(pilot)
        sent = editor.draft
        await pilot.press("ctrl+r")
        await until(pilot, lambda: bool(app.session.jobs.jobs), "the job")

        # Sent work is kept in its job, so clearing asks nothing.
        await pilot.press("ctrl+l")
        await until(pilot, lambda: not editor.rows, "the editor to clear")
        assert editor.draft == editor.blank()
        assert app.focused is field(pilot, "#event")

        table = app.screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 1, "the job's row")
        table.focus()
        await pilot.press("l")
        await until(pilot, lambda: editor.draft == sent, "the job in the editor")
        assert editor.dates.preset is RangePreset.LAST_30_DAYS


async def test_the_editors_buttons_run_what_their_keys_do(emulator: Emulator) -> None:
    app = emulator_app(emulator)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        editor = await opened(pilot)
        await build_example(pilot)
        await pilot.click("#copy-curl")
        await until_equal(pilot, lambda: app.clipboard, preview(pilot).curl)
        await pilot.click("#run")
        await until(pilot, lambda: bool(app.session.jobs.jobs), "the job")
        await pilot.click("#new-query")
        await until(pilot, lambda: not editor.rows, "the editor to clear")
        assert editor.draft == editor.blank()


async def test_replacing_a_query_never_run_asks_first() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        editor = await opened(pilot)
        await pilot.press(*"Half typed")
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "the editor")
        assert editor.draft.event_name == "Half typed"
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        await until(pilot, lambda: editor.draft.event_name == "", "the editor to clear")


async def test_event_names_are_suggested_from_jobs_and_case_slips_are_flagged(
    emulator: Emulator,
) -> None:
    app = emulator_app(emulator)
    async with app.run_test(size=SIZE) as pilot:
        editor = await opened(pilot)
        await pilot.press(*"Charged", "ctrl+r")
        await until(pilot, lambda: bool(app.session.jobs.jobs), "the job")
        await type_into(pilot, "#event", "Ch")
        await pilot.press("right")
        await until_equal(pilot, lambda: field(pilot, "#event").value, "Charged")
        await type_into(pilot, "#event", "charged")
        await until(
            pilot, lambda: "did you mean 'Charged'?" in note(pilot, "#event-note"), "the hint"
        )
        assert editor.query_one("#event-note").has_class("-warning")


@pytest.mark.parametrize(("width", "preview_shown"), [(120, True), (90, False)])
async def test_the_job_panel_spans_the_width_under_the_editor(
    width: int, preview_shown: bool
) -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=(width, 40)) as pilot:
        await opened(pilot)
        assert app.screen.has_class("-narrow") is not preview_shown
        editor = app.screen.query_one("#editor-pane")
        jobs = app.screen.query_one(JobPanel)
        assert jobs.region.y >= editor.region.bottom
        assert jobs.region.width == width
        assert app.screen.query_one("#preview-pane").display is preview_shown


def test_a_draft_reads_back_a_query_it_built() -> None:
    draft = QueryDraft.from_query(
        Query(
            "Charged",
            DateRange(date(2026, 1, 1), date(2026, 1, 31)),
            (
                PropertyFilter.from_text("Amount", "greater_than", "10"),
                PropertyFilter.from_text("First Purchase", "equals", "true"),
                PropertyFilter.from_text("Coupon", "exists"),
            ),
        )
    )
    built, problems = draft.build()
    assert problems == []
    assert built is not None
    assert QueryDraft.from_query(built) == draft


async def test_a_failed_job_says_why_under_the_job_list(emulator: Emulator) -> None:
    app = emulator_app(emulator)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press(*"No Such Event", "ctrl+r")
        await until(
            pilot,
            lambda: bool(app.session.jobs.jobs) and app.session.jobs.jobs[0].state == "failed",
            "failure",
        )
        # The list shows a job's change a moment after it happens (a few times a second).
        await until(
            pilot, lambda: ": failed: " in note(pilot, "#job-detail"), "the job's failure shown"
        )
        detail = note(pilot, "#job-detail")
        assert detail.startswith("Job 1, No Such Event, 2026-10-25 → 11-23: failed: ")
        assert detail.endswith("Invalid event : No Such Event")
        assert cell(app.screen.query_one(DataTable), "state") == "failed"


async def offered(pilot: Pilot[int], title: str) -> None:
    """Wait, bounded, until the command palette's search has put `title` under the cursor."""

    def highlighted() -> str:
        screen = pilot.app.screen
        if not isinstance(screen, CommandPalette):
            return ""
        results = screen.query_one(CommandList)
        index = results.highlighted
        return "" if index is None else str(results.get_option_at_index(index).prompt)

    await until(pilot, lambda: highlighted().startswith(title), f"the palette to offer {title}")


async def test_the_palette_offers_the_editor_actions(emulator: Emulator) -> None:
    app = emulator_app(emulator)
    async with app.run_test(size=SIZE) as pilot:
        editor = await opened(pilot)
        await pilot.press("ctrl+p", *"Add filter")
        await offered(pilot, "Add filter")
        await pilot.press("enter")
        await until(pilot, lambda: len(editor.rows) == 1, "a row from the palette")
        await pilot.press(*"Category", "tab", "tab", *"Books")
        field(pilot, "#event").focus()
        await pilot.press(*"Charged", "ctrl+p", *"Run query")
        await offered(pilot, "Run query")
        await pilot.press("enter")
        await until(pilot, lambda: bool(app.session.jobs.jobs), "a job from the palette")
        query = app.session.jobs.jobs[0].query
        assert query is not None
        assert query.filters == (PropertyFilter("Category", Operator.EQUALS, "Books"),)


async def test_markup_in_what_a_user_types_is_shown_as_typed() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await opened(pilot)
        await pilot.press(*"a[/]b ", "ctrl+r")  # the space at the end makes it invalid
        await pilot.press("backspace", "ctrl+y")

        def said(text: str) -> bool:
            return any(text in n.message for n in app._notifications)

        # Toasts come as messages: waited for, not assumed handled once the keys are.
        await until(pilot, lambda: said("'a[/]b '") and said("curl for a[/]b copied"), "toasts")
        assert app.is_running
        screen = app.export_screenshot()
        assert "a[/]b" in screen


async def test_quitting_asks_first_only_when_typing_would_be_lost(emulator: Emulator) -> None:
    app = emulator_app(emulator)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press(*"Charged", "ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "the editor")
        assert app.is_running
        await pilot.press("ctrl+r")
        await until(pilot, lambda: bool(app.session.jobs.jobs), "the job")
        await pilot.press("ctrl+q")  # the query is in a job now: nothing to lose
        await until(pilot, lambda: not app.is_running, "the app to quit")


async def test_quitting_with_unsent_typing_quits_when_confirmed() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("x", "ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        await until(pilot, lambda: not app.is_running, "the app to quit")
