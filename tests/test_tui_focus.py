"""Focus is visible on every kind of widget, in the default theme and in textual-light: what the
screen draws over a focused Input, Select, Button or DataTable differs clearly from what it
draws over the same widget unfocused (the focus elsewhere), over most of its cells, not in
one cursor cell or by one shade of grey."""

from __future__ import annotations

import math

import pytest
from rich.color import Color
from textual.command import CommandInput, CommandPalette
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input

from cttui.tui.app import CttuiApp
from cttui.tui.screens.credentials import CredentialsScreen
from cttui.tui.screens.main import MainScreen
from tests.apps import WORK, build_app, settle
from tests.job_states import FrozenClock, show_every_state

SIZE = (120, 40)
THEMES = ("textual-dark", "textual-light")
# How far apart two colours of a cell must be to count (0 the same, 1 black and white), and
# how many of a widget's cells must change so.
CLEARLY = 0.12
MOST = 0.5

Cell = tuple[tuple[int, int, int] | None, tuple[int, int, int] | None, tuple[bool, ...]]


def drawn(app: CttuiApp, widget: Widget, edge: bool = False) -> list[Cell]:
    """Every cell the screen draws over `widget`'s region (or its edge: its border): its
    background, its foreground (a border's colour) and its bold, reverse and underline."""
    region = widget.region
    strips = app.screen._compositor.render_strips()
    cells: list[Cell] = []
    for y in range(region.y, region.bottom):
        x = region.x
        for segment in strips[y].crop(region.x, region.right):
            style = segment.style
            assert style is not None
            colours = [
                colour.get_truecolor() if isinstance(colour, Color) else None
                for colour in (style.bgcolor, style.color)
            ]
            flags = (bool(style.bold), bool(style.reverse), bool(style.underline))
            for _ in segment.text:
                rim = y in (region.y, region.bottom - 1) or x in (region.x, region.right - 1)
                if rim or not edge:
                    cells.append((colours[0], colours[1], flags))
                x += 1
    return cells


def apart(a: tuple[int, int, int] | None, b: tuple[int, int, int] | None) -> float:
    if a is None or b is None:
        return 0.0 if a == b else 1.0
    return math.dist(a, b) / math.dist((0, 0, 0), (255, 255, 255))


def changed(before: list[Cell], after: list[Cell]) -> float:
    """The share of cells that look clearly different."""
    assert len(before) == len(after)
    differ = [
        apart(was[0], now[0]) >= CLEARLY or apart(was[1], now[1]) >= CLEARLY or was[2] != now[2]
        for was, now in zip(before, after, strict=True)
    ]
    return sum(differ) / len(differ)


async def focus_change(
    pilot: Pilot[int], widget: Widget, elsewhere: Widget, shown: Widget, edge: bool = False
) -> float:
    """The share of `shown`'s cells (or of its edge's) that change when the focus moves from
    `elsewhere` to `widget`."""
    app = pilot.app
    assert isinstance(app, CttuiApp)
    for field in app.screen.query(Input):
        field.cursor_blink = False
    elsewhere.focus()
    await settle(pilot, type(app.screen), lambda: elsewhere.has_focus)
    before = drawn(app, shown, edge)
    widget.focus()
    await settle(pilot, type(app.screen), lambda: widget.has_focus)
    return changed(before, drawn(app, shown, edge))


@pytest.mark.parametrize("theme", THEMES)
async def test_focus_is_visible_on_the_main_screens_fields_buttons_and_job_list(theme: str) -> None:
    app = build_app(profiles=(WORK,), clock=FrozenClock())
    async with app.run_test(size=SIZE) as pilot:
        app.theme = theme
        await show_every_state(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        event, dates = screen.query_one("#event"), screen.query_one("#to")
        jobs = screen.query_one("#jobs")
        shares = {
            "compact Input": await focus_change(pilot, event, dates, event),
            "compact Select": await focus_change(
                pilot, screen.query_one("#preset"), event, screen.query_one("#preset")
            ),
            "compact Button": await focus_change(
                pilot, screen.query_one("#add-filter"), event, screen.query_one("#add-filter")
            ),
            "primary Button": await focus_change(
                pilot, screen.query_one("#run"), event, screen.query_one("#run")
            ),
            # The list's cursor row is drawn either way: its pane's border says where the
            # focus is.
            "DataTable": await focus_change(
                pilot, screen.query_one("#job-table"), event, jobs, edge=True
            ),
        }
        weak = {name: round(share, 2) for name, share in shares.items() if share < MOST}
        assert weak == {}, f"{theme}: too little changes on focus"


@pytest.mark.parametrize("theme", THEMES)
async def test_focus_is_visible_on_full_size_fields(theme: str) -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        app.theme = theme
        await settle(pilot, MainScreen)
        await pilot.press("f2")
        await settle(pilot, CredentialsScreen)
        screen = app.screen
        name, region = screen.query_one("#name"), screen.query_one("#region")
        shares = {
            "Input": await focus_change(pilot, name, region, name),
            "Select": await focus_change(pilot, region, name, region),
            "Button": await focus_change(
                pilot, screen.query_one("#test"), name, screen.query_one("#test")
            ),
        }
        weak = {name: round(share, 2) for name, share in shares.items() if share < MOST}
        assert weak == {}, f"{theme}: too little changes on focus"


async def test_the_command_palettes_search_line_keeps_its_own_look() -> None:
    """Textual's palette searches in an Input of its own, drawn without a border: the rules for
    a focused field leave it so."""
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, MainScreen)
        await pilot.press("ctrl+p")
        await settle(pilot, CommandPalette)
        search = app.screen.query_one(CommandInput)
        await settle(pilot, CommandPalette, lambda: search.has_focus)
        assert [edge[0] for edge in search.styles.border] == ["blank"] * 4
