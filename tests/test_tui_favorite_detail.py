"""The box under the favourites list, as drawn: the whole query, its dates once, the profile, the
counts and the notes, each still there whatever the length of a value, at 80x24 and 120x40."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Static

from cttui.api.models import DateRange, PropertyFilter
from cttui.api.operators import Operator
from cttui.records import JobRecord, JobState, Origin
from cttui.store.favorites import Favorite
from cttui.store.journal_writer import JournalWriter
from cttui.tui.screens.favorites import FavoritesScreen
from tests.apps import TODAY, WORK, build_app, until
from tests.test_tui_favorites import LAUNCHES, WEEKLY, open_favorites, saved

SIZES = [(80, 24), (120, 40)]
LONG = Favorite(
    "a[/]b long ünï",
    "Charged",
    (
        PropertyFilter("City", Operator.CONTAINS, "x" * 600),
        PropertyFilter("Amount", Operator.GREATER_THAN, 100),
    ),
    DateRange(date(2026, 11, 1), date(2026, 11, 22)),
    profile="work",
    notes="first line of the notes [b]not bold[/b]\n" + "and a second one, " * 40,
)


def drawn(screen: FavoritesScreen) -> list[str]:
    """The detail box's lines as the terminal shows them, its border included."""
    box = screen.query_one("#favorites-detail", Static)
    width, height = box.outer_size
    return [strip.text for strip in box.render_lines(Region(0, 0, width, height))]


async def select(pilot: Pilot[int], screen: FavoritesScreen, name: str, shows: str) -> list[str]:
    """The cursor on `name`, and its lines once the box `shows` what only it has."""
    row = [item.name for item in screen.favorites.items].index(name)
    screen.table.move_cursor(row=row)
    await until(pilot, lambda: shows in "".join(drawn(screen)), f"the detail of {name}")
    return drawn(screen)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: "x".join(map(str, size)))
async def test_the_dates_are_said_once(isolated_home: Path, size: tuple[int, int]) -> None:
    saved(WEEKLY, LAUNCHES)
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=size) as pilot:
        screen = await open_favorites(pilot)
        text = "\n".join(await select(pilot, screen, LAUNCHES.name, "App Launched"))
        assert text.count("2026-11-01") == 1
        assert text.count("11-22") == 1
        assert "2026-11-01 to 2026-11-22" in text
        # A rolling range says which and the dates it stands for today, each once.
        text = "\n".join(await select(pilot, screen, WEEKLY.name, "Amount"))
        assert "Last 7 days: 2026-11-17 to 2026-11-23" in text
        assert text.count("2026-11-17") == 1
        assert text.count("Last 7 days") == 1


@pytest.mark.parametrize("size", SIZES, ids=lambda size: "x".join(map(str, size)))
async def test_a_600_character_value_leaves_the_profile_range_and_notes_in_view(
    isolated_home: Path, tmp_path: Path, size: tuple[int, int]
) -> None:
    """Worst case: a 600-character value, two filters, a profile, two lines of notes, counts
    and an interrupted last run, all in the box at once."""
    saved(WEEKLY, LONG)
    journal = tmp_path / "journal.sqlite3"
    writer = JournalWriter(journal)
    await writer.load()
    origin = Origin(WORK.account_id, "http://127.0.0.1:9")
    query = LONG.query(TODAY)
    done = JobRecord(
        0, origin, query, JobState.DONE, count=4_321, created=1.0, finished=2.0, favorite=LONG.name
    )
    done.id = await writer.create(done)
    await writer.save(done)
    cut = JobRecord(0, origin, query, JobState.SENDING, created=3.0, favorite=LONG.name)
    cut.id = await writer.create(cut)
    writer.close()
    app = build_app(profiles=(WORK,), journal=journal)
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: bool(app.session.jobs.jobs), "the jobs from the journal")
        screen = await open_favorites(pilot)
        await select(pilot, screen, LONG.name, "City contains")
        await until(pilot, lambda: "interrupted" in "".join(drawn(screen)), "the cut run")
        lines = drawn(screen)
        text = "\n".join(lines)
        box_width = len(lines[0])
        assert all(len(line) == box_width for line in lines), lines
        assert lines[0].startswith("╭")
        assert lines[-1].startswith("╰")
        inner = lines[1:-1]
        # The long value is cut short, and the filter after it still shows.
        assert 'City contains "xxx' in inner[0]
        assert "…" in inner[0]
        assert "Amount greater_than 100" in inner[0]
        assert "2026-11-01 to 2026-11-22" in text
        assert "runs on profile work" in text
        assert "lowest 4,321, highest 4,321" in text
        assert "interrupted before CleverTap answered" in text
        assert "first line of the notes [b]not bold[/b]" in text
        assert "and a second one" in text
        # Every part on a line of its own, none wrapped onto the next: the box is bounded.
        assert len(inner) == 6
        # The list above keeps room for its rows.
        assert screen.table.size.height >= 3
