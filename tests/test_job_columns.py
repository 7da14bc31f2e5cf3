"""Which columns the job list shows at each width, and how wide (tui/widgets/job_columns.py),
and the list itself at 80, 120 and 200 columns: no horizontal scrolling, the query, state and
count always there, every state's name whole."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from cttui.tui.app import CttuiApp
from cttui.tui.widgets.job_columns import KEYS, PADDING, QUERY_MIN, STATE_MIN, layout
from cttui.tui.widgets.job_panel import JobPanel
from tests.apps import WORK, build_app, until
from tests.job_states import FrozenClock, show_every_state

# What the job list of tests/job_states.py holds at most in each column.
CONTENT = {"id": 1, "query": 36, "state": 23, "count": 5, "dates": 23, "polls": 1}


def total(widths: tuple[tuple[str, int], ...]) -> int:
    return sum(width + PADDING for _, width in widths)


@pytest.mark.parametrize("available", [0, 30, 60, 74, 90, 114, 150, 194, 400])
def test_the_columns_never_overflow_and_keep_their_order(available: int) -> None:
    shown = layout(available, CONTENT)
    assert shown.keys == KEYS[: len(shown.keys)]
    assert len(shown.keys) >= 4
    if len(shown.keys) > 4:
        assert total(shown.widths) <= available
        assert shown.width("query") >= QUERY_MIN
    assert shown.width("state") >= STATE_MIN


def test_more_width_shows_more_and_the_query_whole_before_the_long_state() -> None:
    seen = [layout(available, CONTENT) for available in range(40, 260)]
    counts = [len(shown.keys) for shown in seen]
    assert counts == sorted(counts)
    assert counts[0] == 4
    assert counts[-1] == len(KEYS)
    widest = seen[-1]
    assert widest.width("query") == CONTENT["query"]
    assert widest.width("state") == CONTENT["state"]
    # Where every column fits but not every long spelling, the query's summary comes first.
    for shown in seen:
        if shown.width("state") > STATE_MIN:
            assert shown.width("query") == CONTENT["query"]


def test_a_column_absent_from_the_content_is_as_wide_as_its_label() -> None:
    shown = layout(300, {})
    assert shown.width("count") == len("Count")
    assert shown.width("elapsed") == len("Elapsed")


async def shown_at(size: tuple[int, int]) -> tuple[JobPanel, dict[str, list[str]]]:
    app = build_app(profiles=(WORK,), clock=FrozenClock())
    async with app.run_test(size=size) as pilot:
        await show_every_state(pilot)
        return await columns_of(pilot)


async def columns_of(pilot: Pilot[int]) -> tuple[JobPanel, dict[str, list[str]]]:
    app = pilot.app
    assert isinstance(app, CttuiApp)
    panel = app.screen.query_one(JobPanel)
    table = panel.table
    await until(pilot, lambda: not panel.flushing, "the list to take in the jobs")
    cells = {
        key: [str(table.get_row_at(row)[index]) for row in range(table.row_count)]
        for index, key in enumerate(panel.columns)
    }
    # Nothing behind a horizontal scrollbar: the table's content fits its width.
    assert table.virtual_size.width <= table.scrollable_content_region.width
    return panel, cells


@pytest.mark.parametrize("width", [80, 120, 200])
async def test_the_job_list_fits_the_width_with_every_state_named_whole(width: int) -> None:
    panel, cells = await shown_at((width, 40))
    assert panel.columns[:4] == ("id", "query", "state", "count")
    for state in cells["state"]:
        name = state.removesuffix("…").split(" (")[0].split(",")[0]
        assert name in (
            "queued",
            "sending",
            "pending",
            "done",
            "failed",
            "cancelled",
            "interrupted",
        ), state
    if width >= 120:
        assert panel.columns == KEYS
        assert 'App Launched · platform equals "iOS"' in cells["query"]
    if width >= 200:
        assert "pending (another cttui)" in cells["state"]


async def test_a_resize_round_trip_gives_the_layout_of_a_fresh_start() -> None:
    fresh = {}
    for size in ((120, 40), (80, 24)):
        _, fresh[size] = await shown_at(size)
    app = build_app(profiles=(WORK,), clock=FrozenClock())
    async with app.run_test(size=(120, 40)) as pilot:
        await show_every_state(pilot)
        for size in ((80, 24), (200, 50), (120, 40), (80, 24)):
            await pilot.resize_terminal(*size)
            await until(pilot, lambda: app.size == size, "the resize")  # noqa: B023
            await pilot.pause()
            _, cells = await columns_of(pilot)
            if size in fresh:
                assert cells == fresh[size]
