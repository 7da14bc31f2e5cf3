"""A key for each pane of the main screen: F4 the editor's event name, F5 the job list, F6 the
preview; in Pilot, and in a real terminal (tmux, xterm-256color) with keys sent in one burst."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from cttui.tui.screens.main import MainScreen
from cttui.tui.widgets.job_panel import JobPanel
from tests.apps import WORK, build_app, settle, until, until_equal
from tests.conftest import CTTUI, require
from tests.job_states import FrozenClock, show_every_state
from tests.test_terminal import EDITOR_READY, isolated_env
from tests.tmux import Terminal

SIZE = (120, 40)


async def test_each_pane_has_its_key_and_the_next_key_lands_there() -> None:
    app = build_app(profiles=(WORK,), clock=FrozenClock())
    async with app.run_test(size=SIZE) as pilot:
        await show_every_state(pilot)
        screen = app.screen
        event = screen.query_one("#event", Input)
        table = screen.query_one(JobPanel).table
        preview = screen.query_one("#preview-pane")
        screen.query_one("#to").focus()
        await pilot.press("f5")
        await until(pilot, lambda: table.has_focus, "the job list focused")
        await pilot.press("f6")
        await until(pilot, lambda: preview.has_focus, "the preview focused")
        await pilot.press("f4")
        await until(pilot, lambda: event.has_focus, "the event name focused")
        # In one burst: each key lands where the one before it moved the focus.
        table.move_cursor(row=0)
        await pilot.press("f5", "down", "f4", "x", "f5", "down")
        await until_equal(pilot, lambda: table.cursor_row, 2)
        assert event.value == "x"
        assert table.has_focus


async def test_a_pane_with_nothing_to_focus_says_so_and_the_focus_stays() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot, MainScreen)
        event = app.screen.query_one("#event", Input)
        assert event.has_focus
        await pilot.press("f5", "f6", "z")
        await until_equal(pilot, lambda: event.value, "z")
        said = [n.message for n in app._notifications]
        assert said == [
            "No jobs yet: ctrl+r sends the query, and its job shows in the list",
            "The preview shows in a terminal 110 columns wide or more; ctrl+y copies the curl",
        ]


def test_the_pane_keys_in_a_real_terminal_sent_in_one_burst(tmp_path: Path) -> None:
    tmux = require("tmux", "CTTUI_REQUIRE_TMUX")
    with Terminal(tmux, tmp_path / "tmux.sock") as terminal:
        terminal.start([CTTUI, "--demo"], isolated_env())
        terminal.wait_for(EDITOR_READY, limit=90)
        terminal.send_keys("Charged", literal=True)
        terminal.send_keys("C-r")
        terminal.wait_for(r".*Charged +done +[0-9,]+ ")
        terminal.send_keys("F5")
        # The job list's keys in the footer: the focus is on the job.
        terminal.wait_for(r".*c Copy count")
        terminal.send_keys("F4", "End")
        terminal.send_keys("X", literal=True)
        terminal.wait_for(r'.*"event_name":"ChargedX"')
        # One burst: to the jobs, the preview (where a letter types nothing), and back.
        terminal.send_keys("F5", "Down", "F6", "Z", "F4", "End", "Y")
        terminal.wait_for(r'.*"event_name":"ChargedXY"')
        terminal.send_keys("C-q")
        terminal.wait_for(r".*Quit anyway")
        terminal.send_keys("y")
        screen = terminal.wait_for(r"^EXIT=\d+$")
    assert "EXIT=0" in [line.strip() for line in screen.splitlines()], screen
    assert "Traceback" not in screen, screen
