"""A favourite whose query is replaced keeps every count, and tells those of its current query
from those of the one before: each count in the journal says what it counted (the event and the
filters as sent), older journals learn it from their jobs, and the favourites screen draws the
current query's counts alone, saying how many came before."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from textual.widgets import Static

from cttui.api.models import DateRange, PropertyFilter, Query
from cttui.api.operators import Operator
from cttui.records import FavoriteRun, JobRecord, JobState, Origin
from cttui.store.favorites import Favorite, query_key, since_query_changed
from cttui.store.favorites_store import FavoritesStore
from cttui.store.journal import Journal
from cttui.store.journal_schema import MIGRATIONS, SCHEMA_VERSION
from cttui.store.journal_writer import JournalWriter
from cttui.store.paths import favorites_file
from tests.apps import WORK, build_app, until, until_equal
from tests.test_tui_favorites import cell, open_favorites

WEEK = DateRange(date(2026, 11, 16), date(2026, 11, 22))
OLD = Query("Charged", WEEK, (PropertyFilter("Amount", Operator.GREATER_THAN, 100),))
NEW = Query("Charged", WEEK, (PropertyFilter("Amount", Operator.GREATER_THAN, 500),))
OLD_KEY, NEW_KEY = (query_key(q.event_name, q.filters) for q in (OLD, NEW))
ORIGIN = Origin(WORK.account_id, "http://127.0.0.1:9", "work")
NAME = "Big buyers [b]ünï[/b]"


def run(job_id: int, key: str | None) -> FavoriteRun:
    return FavoriteRun(job_id, float(job_id), job_id * 10, WEEK.start, WEEK.end, key)


def test_the_counts_since_the_query_last_changed() -> None:
    a, b = "A", "B"
    assert since_query_changed([], a) == (0, [])
    same = [run(1, a), run(2, a)]
    assert since_query_changed(same, a) == (0, same)
    # Changed and changed back: only the counts after the last one of another query.
    mixed = [run(1, a), run(2, a), run(3, b), run(4, a)]
    assert since_query_changed(mixed, a) == (3, [run(4, a)])
    # Nothing counted since the change.
    assert since_query_changed(mixed, b) == (4, [])
    # A count whose query is not known marks no change.
    unknown = [run(1, None), run(2, a), run(3, None)]
    assert since_query_changed(unknown, a) == (0, unknown)
    assert since_query_changed([run(1, b), run(2, None)], a) == (1, [run(2, None)])


def test_true_and_1_are_other_queries() -> None:
    flag = PropertyFilter("Beta", Operator.EQUALS, True)
    one = PropertyFilter("Beta", Operator.EQUALS, 1)
    assert query_key("E", (flag,)) != query_key("E", (one,))
    assert query_key("E", ()) != query_key("F", ())


def done(query: Query, at: float, count: int) -> JobRecord:
    return JobRecord(
        0, ORIGIN, query, JobState.DONE, count=count, created=at, finished=at, favorite=NAME
    )


async def record_counts(journal: Path, counts: list[tuple[Query, int]]) -> None:
    writer = JournalWriter(journal)
    await writer.load()
    for number, (query, count) in enumerate(counts):
        record = done(query, 1_000.0 + number * 86_400, count)
        record.id = await writer.create(record)
        await writer.save(record)
    # The writer's copy is the file's.
    memory = writer.history()
    writer.close()
    on_disk = Journal.open(journal)
    try:
        assert on_disk.history() == memory
    finally:
        on_disk.close()


async def test_each_count_in_the_journal_says_what_it_counted(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    await record_counts(path, [(OLD, 1), (OLD, 2), (NEW, 3)])
    journal = Journal.open(path)
    try:
        runs = journal.history()[NAME]
    finally:
        journal.close()
    assert [(r.count, r.query_key) for r in runs] == [(1, OLD_KEY), (2, OLD_KEY), (3, NEW_KEY)]


def version_3_journal(path: Path) -> None:
    """A journal as the cttui before this one left it: three counts of the old query, one of
    the new, and the job of the first count removed (its count outlives it)."""
    connection = sqlite3.connect(path)
    try:
        for migration in MIGRATIONS[:3]:
            connection.executescript(migration)
        connection.execute("PRAGMA user_version = 3")
        for job_id, query, count in [(1, OLD, 11), (2, OLD, 12), (3, OLD, 13), (4, NEW, 14)]:
            at = 1_000.0 + job_id
            if job_id != 1:
                connection.execute(
                    "INSERT INTO jobs (id, created, updated, account_id, base_url, body, state, "
                    "count, finished, favorite) VALUES (?, ?, ?, ?, ?, ?, 'done', ?, ?, ?)",
                    (
                        job_id,
                        at,
                        at,
                        ORIGIN.account_id,
                        ORIGIN.base_url,
                        query.to_json(),
                        count,
                        at,
                        NAME,
                    ),
                )
            connection.execute(
                "INSERT INTO favorite_counts VALUES (?, ?, ?, ?, 20261116, 20261122)",
                (job_id, NAME, at, count),
            )
        # A body that is not a query (a hand-edited file): its count stays, its query unknown.
        connection.execute(
            "INSERT INTO jobs (id, created, updated, account_id, base_url, body, state, count, "
            "finished, favorite) VALUES (5, 1005, 1005, 'A', 'B', '{\"nope\": 1}', 'done', 15, "
            "1005, ?)",
            (NAME,),
        )
        connection.execute(
            "INSERT INTO favorite_counts VALUES (5, ?, 1005, 15, 20261116, 20261122)", (NAME,)
        )
        connection.commit()
    finally:
        connection.close()


def test_an_older_journal_learns_what_each_count_counted_from_its_jobs(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    version_3_journal(path)
    journal = Journal.open(path)
    try:
        runs = journal.history()[NAME]
    finally:
        journal.close()
    # Every count kept, in order; the one whose job is gone, and the one whose job's body is
    # not a query, say nothing of their query.
    assert [(r.job_id, r.count, r.query_key) for r in runs] == [
        (1, 11, None),
        (2, 12, OLD_KEY),
        (3, 13, OLD_KEY),
        (4, 14, NEW_KEY),
        (5, 15, None),
    ]
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    finally:
        connection.close()


async def test_the_screen_draws_the_current_querys_counts_and_says_how_many_came_before(
    tmp_path: Path,
) -> None:
    journal = tmp_path / "journal.sqlite3"
    await record_counts(journal, [(OLD, 1_000), (OLD, 2_000), (OLD, 9_000), (NEW, 400)])
    store = FavoritesStore(favorites_file())
    store.save(Favorite(NAME, NEW.event_name, NEW.filters, WEEK, notes="kept"))
    app = build_app(profiles=(WORK,), journal=journal)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_favorites(pilot)
        await until_equal(pilot, lambda: cell(screen, NAME, "last"), "400")
        # One count of this query: one block, not four mixing 9,000 with 400.
        assert cell(screen, NAME, "trend") == "▄ 400"
        detail = screen.query_one("#favorites-detail", Static)
        text = str(detail.render())
        assert "1 count, of " in text
        assert "lowest 400, highest 400" in text
        assert "3 earlier counts of a previous query" in text
        assert "9,000" not in text
        # Put back by hand to the old query while the screen is open: none of its counts is
        # since the last change, and all four are still there.
        old = Favorite(NAME, OLD.event_name, OLD.filters, WEEK, notes="kept")
        store.save(old, replace_existing=True)
        await until_equal(pilot, lambda: cell(screen, NAME, "last"), "new query")
        assert cell(screen, NAME, "trend") == ""
        await until(
            pilot,
            lambda: (
                "No count of this query yet; 4 earlier counts of a previous query"
                in str(detail.render())
            ),
            "the detail",
        )
        assert len(app.session.favorites.history()[NAME]) == 4
