"""The app at every size: 80x24 is a first-class size, the editor gets its room before the job
list, and a resize round trip gives the layout of a fresh start."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widget import Widget

from cttui.report import sparkline, summary_text
from cttui.tui.app import CttuiApp
from cttui.tui.keys import catalogue
from cttui.tui.screens.favorites import FavoritesScreen
from cttui.tui.screens.main import JOBS_LEAST, MainScreen
from cttui.tui.widgets.job_panel import JobPanel
from cttui.tui.widgets.preview import QueryPreview
from cttui.tui.widgets.query_editor import QueryEditor
from tests.apps import WORK, build_app, settle, until
from tests.job_states import FrozenClock
from tests.saved_favorites import FAVORITES, HISTORY, save_favorites, show_favorites

SIZES = [(80, 24), (120, 40), (200, 50)]


def screen_text(app: CttuiApp) -> str:
    """The screen as plain text, as a terminal of the app's size shows it."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()


def whole(widget: Widget, within: Widget) -> bool:
    """Whether every cell of `widget` (its border too) shows inside `within`."""
    region, outer = widget.region, within.region
    return outer.contains_region(region) and region.height == widget.outer_size.height


async def with_filters(pilot: Pilot[int], rows: int) -> QueryEditor:
    await settle(pilot, MainScreen)
    editor = pilot.app.screen.query_one(QueryEditor)
    await pilot.press(*"Charged")
    for row in range(rows):
        await pilot.press("ctrl+n", *f"Prop{row}")
    await until(pilot, lambda: len(editor.rows) == rows, f"{rows} filter rows")
    await pilot.pause()
    return editor


@pytest.mark.parametrize("size", SIZES, ids=lambda size: "x".join(map(str, size)))
@pytest.mark.parametrize("rows", [0, 4])
async def test_the_editor_shows_whole_before_the_job_list_takes_spare_rows(
    size: tuple[int, int], rows: int
) -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=size) as pilot:
        editor = await with_filters(pilot, rows)
        screen = app.screen
        run = screen.query_one("#run")
        await until(pilot, lambda: whole(editor, screen.query_one("#editor-pane")), "room")
        assert whole(run, screen.query_one("#editor-pane"))
        panel = screen.query_one(JobPanel)
        assert panel.outer_size.height >= JOBS_LEAST
        # The top is as tall as the editor or the preview beside it, and the list has every row
        # they leave: nothing blank between them.
        top = screen.query_one("#top")
        preview = screen.query_one(QueryPreview)
        beside = preview.outer_size.height if screen.query_one("#preview-pane").display else 0
        tallest = max(editor.outer_size.height, beside)
        assert top.region.height == min(tallest, size[1] - 2 - JOBS_LEAST)
        assert panel.region.y == top.region.bottom


async def test_a_resize_round_trip_gives_the_screen_of_a_fresh_start() -> None:
    fresh: dict[tuple[int, int], str] = {}
    for size in SIZES:
        app = build_app(profiles=(WORK,))
        async with app.run_test(size=size) as pilot:
            await with_filters(pilot, 2)
            fresh[size] = screen_text(app)
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=(120, 40)) as pilot:
        await with_filters(pilot, 2)
        for size in [(80, 24), (200, 50), (120, 40), (80, 24), (200, 50)]:
            await pilot.resize_terminal(*size)
            await until(pilot, lambda: app.size == size, "the resize")  # noqa: B023
            await pilot.pause()
            await pilot.pause()
            assert screen_text(app) == fresh[size], size


@pytest.fixture
def favourites_journal(tmp_path: Path) -> Path:
    """favorites.toml and months of their counts (made outside the test's event loop)."""
    journal = tmp_path / "journal.sqlite3"
    save_favorites(journal)
    return journal


@pytest.mark.parametrize("size", SIZES, ids=lambda size: "x".join(map(str, size)))
async def test_the_favourites_fit_the_width_name_count_when_and_trend_first(
    size: tuple[int, int], favourites_journal: Path
) -> None:
    app = build_app(profiles=(WORK,), clock=FrozenClock(), journal=favourites_journal)
    async with app.run_test(size=size) as pilot:
        await show_favorites(pilot)
        screen = app.screen
        assert isinstance(screen, FavoritesScreen)
        table = screen.table
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert {"name", "last", "when", "trend"} <= set(table.shown)
        # The weekly buyers' newest counts, labelled with the lowest and the highest of them:
        # eleven of the twelve fit beside the label.
        trend = str(table.get_cell("Weekly buyers", "trend"))
        counts = [count for _, count in HISTORY["Weekly buyers"]]
        assert trend == f"{sparkline(counts[-11:])} 790–1.3k"
        names = [str(table.get_cell(item.name, "name")) for item in FAVORITES]
        assert names == [item.name for item in FAVORITES]
        if size[0] >= 120:
            assert {"query", "range"} <= set(table.shown)
        if size[0] >= 200:
            today = app.session.today()
            queries = [str(table.get_cell(item.name, "query")) for item in FAVORITES]
            assert queries == [summary_text(item.query(today), 200) for item in FAVORITES]
        detail = screen.query_one("#favorites-detail")
        assert whole(detail, screen)
        # Every key the footer shows, whole: the rest are in F1 and the palette.
        footer = screen_text(app).splitlines()[-1]
        shown = [key.footer for name in ("favorites-table", "favorites-screen")
                 for key in catalogue()[name] if key.show]  # fmt: skip
        assert [word for word in shown if f" {word} " not in footer] == [], footer


async def test_the_preview_shows_whole_beside_the_editor_when_there_is_room() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=(120, 40)) as pilot:
        await with_filters(pilot, 1)
        await pilot.press("tab", "tab", *"piz")
        screen = app.screen
        preview = screen.query_one(QueryPreview)
        await until(pilot, lambda: preview.curl is not None, "the curl")
        await until(pilot, lambda: whole(preview, screen.query_one("#preview-pane")), "room")
        panel = screen.query_one(JobPanel)
        assert panel.outer_size.height >= JOBS_LEAST
        assert panel.region.y == screen.query_one("#top").region.bottom
