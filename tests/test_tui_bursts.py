"""Keys that arrive in one burst (over SSH, from a paste of keys, on a busy machine) apply as
if typed slowly: each key is handled, focus moves and actions run, before the next is looked at.

A burst is sent as the terminal driver sends keys, all at once, with no wait between them.
"""

from __future__ import annotations

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from cttui.api.draft import QueryDraft
from cttui.emulator import Emulator
from cttui.tui.app import CttuiApp
from cttui.tui.screens.favorites import FavoritesScreen
from cttui.tui.screens.main import MainScreen
from cttui.tui.widgets.query_editor import QueryEditor
from tests.apps import WORK, build_app, idle, until
from tests.test_tui_editor import SIZE, emulator_app, opened

TAB3 = ("tab", "tab", "tab")
# What a terminal sends for the keys that are characters too (Textual binds some by them).
CHARACTERS = {"tab": "\t", "escape": "\x1b", "enter": "\r"}


def keys(*parts: str | tuple[str, ...]) -> list[str]:
    """Key names: a string is text, typed character by character; a tuple holds key names."""
    names: list[str] = []
    for part in parts:
        names.extend(part)
    return names


def burst(app: CttuiApp, names: list[str]) -> None:
    """Every key handed to the app at once, as the driver hands over one read of the terminal."""
    driver = app._driver
    assert driver is not None
    for name in names:
        character = CHARACTERS.get(name, name if len(name) == 1 else None)
        event = events.Key(name, character)
        event.set_sender(app)
        driver.send_message(event)


def settled(app: CttuiApp) -> bool:
    """Nothing left to do: no key waiting, no worker but the jobs', no message in a queue."""
    return not app.keys_in_hand and idle(app)


async def draft_after(pilot: Pilot[int], names: list[str], *, at_once: bool) -> QueryDraft:
    app = pilot.app
    assert isinstance(app, CttuiApp)
    editor = await opened(pilot)
    if at_once:
        burst(app, names)
    else:
        await pilot.press(*names)
    await until(pilot, lambda: settled(app), "the keys to be handled")
    await pilot.pause()
    return editor.draft


async def typed(names: list[str], *, at_once: bool) -> QueryDraft:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        return await draft_after(pilot, names, at_once=at_once)


async def test_tab_in_a_burst_moves_on_before_the_next_keys() -> None:
    names = keys("Abc", TAB3, "2026")
    slow = await typed(names, at_once=False)
    assert slow.event_name == "Abc"
    for _ in range(3):
        assert await typed(names, at_once=True) == slow


async def test_ctrl_n_in_a_burst_types_the_rest_into_the_new_row() -> None:
    names = keys("Charged", ("ctrl+n",), "Amount")
    slow = await typed(names, at_once=False)
    assert slow.event_name == "Charged"
    assert [row.name for row in slow.filters] == ["Amount"]
    for _ in range(3):
        assert await typed(names, at_once=True) == slow


async def test_a_key_after_a_burst_of_runs_is_not_in_the_queries_they_sent(
    emulator: Emulator,
) -> None:
    app = emulator_app(emulator)
    async with app.run_test(size=SIZE) as pilot:
        editor = await opened(pilot)
        # Each run a query of its own: the same one again would ask first (test_tui_resend).
        burst(app, keys("Charged", ("ctrl+r",), "x", ("ctrl+r",), "w", ("ctrl+r",), "z"))
        await until(pilot, lambda: len(app.session.jobs.jobs) == 3, "three jobs")
        await until(pilot, lambda: settled(app), "the keys to be handled")
        sent = [job.query.event_name for job in app.session.jobs.jobs if job.query]
        assert sent == ["Charged", "Chargedx", "Chargedxw"]
        assert editor.draft.event_name == "Chargedxwz"


async def test_keys_after_a_screen_key_go_to_the_screen_it_opened() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        burst(app, keys("Abc", ("f3",)))
        await until(pilot, lambda: isinstance(app.screen, FavoritesScreen), "favourites")
        await until(pilot, lambda: settled(app), "the keys to be handled")
        burst(app, keys(("escape",), "def"))
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "the main screen")
        await until(pilot, lambda: settled(app), "the keys to be handled")
        assert app.screen.query_one(QueryEditor).draft.event_name == "Abcdef"


async def test_a_paste_lands_between_the_keys_around_it() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        driver = app._driver
        assert driver is not None
        burst(app, keys("ab"))
        paste = events.Paste("cd")
        paste.set_sender(app)
        driver.send_message(paste)
        burst(app, keys("ef"))
        await until(pilot, lambda: settled(app), "the keys to be handled")
        event = app.screen.query_one("#event", Input)
        await until(pilot, lambda: event.value == "abcdef", f"abcdef, not {event.value!r}")


async def test_keys_after_new_query_and_its_question_go_into_the_new_query() -> None:
    names = keys("Abc", ("ctrl+l", "y"), "def", ("ctrl+n",), "Amount")
    slow = await typed(names, at_once=False)
    assert slow.event_name == "def"
    assert [row.name for row in slow.filters] == ["Amount"]
    for _ in range(3):
        assert await typed(names, at_once=True) == slow
