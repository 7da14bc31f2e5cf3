"""F1 lists the app's own keys first: the screen's and the focused widget's, then those that work
everywhere, and Textual's editing keys last under a heading of their own. On the job list every
job key is listed, those that do not apply to the highlighted job marked so."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from cttui.tui.screens.credentials import CredentialsScreen
from cttui.tui.screens.help import HelpScreen
from cttui.tui.screens.main import MainScreen
from cttui.tui.widgets.job_panel import JobPanel
from tests.apps import WORK, build_app, settle
from tests.job_states import FrozenClock, show_every_state

SIZE = (120, 40)
Section = tuple[str, list[tuple[str, str]]]


async def help_for(pilot: Pilot[int]) -> list[Section]:
    """F1's headings, each with its rows (key, action), in the order shown."""
    await pilot.press("f1")
    await settle(pilot, HelpScreen)
    screen = pilot.app.screen
    headings = [str(static.content) for static in screen.query(".help-heading").results(Static)]
    tables = list(screen.query(DataTable))
    assert len(headings) == len(tables)
    sections = []
    for heading, table in zip(headings, tables, strict=True):
        rows = [
            tuple(str(cell) for cell in table.get_row_at(row)) for row in range(table.row_count)
        ]
        sections.append((heading, [(key, action) for key, action in rows]))
    return sections


def actions(section: Section) -> list[str]:
    return [action for _, action in section[1]]


async def test_f1_on_the_editor_lists_its_keys_then_the_apps_then_textuals() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, MainScreen)
        here, everywhere, editing = await help_for(pilot)
        assert here == (
            "In the query editor",
            [
                ("^r", "Run query"),
                ("^n", "Add filter"),
                ("^y", "Copy as curl"),
                ("^l", "New query"),
                ("^t", "Count over time"),
                ("^s", "Save as favourite"),
                ("f4", "Go to the editor (the focus is there)"),
                ("f5", "Go to the job list"),
                ("f6", "Go to the preview"),
            ],
        )
        assert everywhere[0] == "Everywhere"
        assert actions(everywhere)[:3] == ["Help", "Credentials", "Favourites"]
        assert ("^p", "Command palette") in everywhere[1]
        assert ("^q", "Quit") in everywhere[1]
        assert editing[0] == "Editing and moving (Textual's keys)"
        assert "Go to end" in actions(editing)
        # Nothing twice: the app's keys are not repeated among Textual's.
        cttui_actions = set(actions(here) + actions(everywhere))
        assert cttui_actions.isdisjoint(actions(editing))
        assert "Command palette" not in actions(editing)


async def test_f1_in_a_date_field_lists_the_calendar_key_first() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, MainScreen)
        app.screen.query_one("#from").focus()
        here, *_ = await help_for(pilot)
        assert here[1][0] == ("^o", "Calendar")
        assert "Run query" in actions(here)


async def test_f1_on_the_job_list_lists_every_job_key_marking_those_that_do_not_apply() -> None:
    app = build_app(profiles=(WORK,), clock=FrozenClock())
    async with app.run_test(size=SIZE) as pilot:
        await show_every_state(pilot)
        panel = app.screen.query_one(JobPanel)
        panel.table.move_cursor(row=panel.table.get_row_index("1"))  # the done job
        await settle(pilot, MainScreen, lambda: panel.selected is not None)
        here, *_ = await help_for(pilot)
        assert here[0] == "In the job list"
        not_here = "(not for this job)"
        assert here[1][:11] == [
            ("⏎", "Details"),
            ("p", f"Poll now {not_here}"),
            ("x", f"Cancel {not_here}"),
            ("r", f"Resubmit {not_here}"),
            ("c", "Copy the count"),
            ("y", "Copy as curl"),
            ("l", "Load into the editor"),
            ("del, d", "Remove"),
            ("D", "Clear finished jobs"),
            ("o", "Show older jobs (not now)"),
            ("^r", "Run query"),
        ]


async def test_f1_on_the_credentials_lists_its_keys_first() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, MainScreen)
        await pilot.press("f2")
        await settle(pilot, CredentialsScreen)
        here, everywhere, editing = await help_for(pilot)
        assert actions(here)[:5] == [
            "Save profile",
            "Test connection",
            "New profile",
            "Delete profile",
            "Back to the editor",
        ]
        assert "Quit" in actions(everywhere)
        assert "Move cursor left" in actions(editing)
