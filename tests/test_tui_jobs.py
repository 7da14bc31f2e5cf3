"""The job panel and the journal behind it, driven with Pilot against emulators over loopback:
cancel, resubmit, poll now, details, remove, clear finished, toasts, resume after a restart, and a
journal that cannot be used."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Static
from textual.widgets._footer import FooterKey

from cttui.api.models import DateRange, PropertyFilter, Query
from cttui.emulator import Emulator, EmulatorConfig
from cttui.jobs import Job
from cttui.records import JobRecord, JobState, Origin
from cttui.session.core import FINISHED_IN_MEMORY
from cttui.store.journal import Journal
from cttui.tui.app import CttuiApp
from cttui.tui.screens.confirm import ConfirmScreen
from cttui.tui.screens.favorites import FavoritesScreen
from cttui.tui.screens.job_details import JobDetailsScreen
from cttui.tui.screens.main import MainScreen
from cttui.tui.widgets.job_columns import COLUMNS
from cttui.tui.widgets.job_panel import TICKING, JobPanel
from cttui.tui.widgets.job_table import JobTable
from tests.apps import build_app, send, until, until_equal
from tests.conftest import DEFAULTS

SIZE = (120, 40)
TODAY = date.today()
SHORT = Query("Charged", DateRange(TODAY, TODAY))
LONG = Query(
    "App Launched",
    DateRange(date.fromordinal(TODAY.toordinal() - 60), TODAY),
    (PropertyFilter.from_text("platform", "equals", "iOS"),),
)


@pytest.fixture(scope="module")
def slow_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """Every count is partial and takes ten minutes: jobs stay pending as long as a test needs."""
    config = EmulatorConfig(
        seed=5,
        profiles=300,
        events=3_000,
        today=TODAY,
        partial_after_days=0,
        compute_seconds=600,
        cache_dir=tmp_path_factory.mktemp("slow-emulator"),
    )
    with Emulator(config) as running:
        yield running


def app_on(emulator: Emulator, journal: Path | None = None, poll_interval: float = 0.1) -> CttuiApp:
    emulator.reset_log()
    environ = {
        "CLEVERTAP_ACCOUNT_ID": DEFAULTS.account_id,
        "CLEVERTAP_PASSCODE": DEFAULTS.passcode,
        "CTTUI_BASE_URL": emulator.base_url,
    }
    return build_app(environ=environ, poll_interval=poll_interval, journal=journal)


async def opened(pilot: Pilot[int]) -> JobPanel:
    # Ready once mounted and its auto focus has landed on the event name.
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, MainScreen) and pilot.app.focused is not None,
        "the main screen",
    )
    return pilot.app.screen.query_one(JobPanel)


async def sent(pilot: Pilot[int], query: Query, state: JobState | None = None) -> Job:
    """Send `query` as the editor would, and wait for its job (in `state`, if given)."""
    app = pilot.app
    assert isinstance(app, CttuiApp)
    assert app.session.selection is not None
    before = len(app.session.jobs.jobs)
    send(app, query, app.session.selection)
    await until(pilot, lambda: len(app.session.jobs.jobs) > before, "the new job")
    job = app.session.jobs.jobs[-1]
    if state is not None:
        await shown(pilot, job, state)
    return job


async def shown(pilot: Pilot[int], job: Job, state: JobState, limit: float = 60) -> None:
    """Wait until the job list shows `job` in `state`. A job changes in memory, then in the
    journal, then it is told; but a row redrawn meanwhile (for an earlier change) reads the
    state in memory, so a test reading the journal next waits for it too (`until_equal`)."""
    await until(
        pilot,
        lambda: job.state is state and listed(pilot, job) and row(pilot, job)["state"] == state,
        f"job {job.id} to show {state}",
        limit,
    )


async def select_job(pilot: Pilot[int], job: Job) -> None:
    panel = pilot.app.screen.query_one(JobPanel)
    # A new job's row comes with the list's next batch of changes.
    await until(pilot, lambda: str(job.id) in panel.table.rows, f"job {job.id} listed")
    panel.table.focus()
    panel.table.move_cursor(row=panel.table.get_row_index(str(job.id)))
    await until(pilot, lambda: panel.selected is job, f"job {job.id} under the cursor")


def methods(emulator: Emulator) -> list[str]:
    return [request.method for request in emulator.requests]


def listed(pilot: Pilot[int], job: Job) -> bool:
    """Whether the job list has a row for `job` (it takes in changes a few times a second)."""
    return str(job.id) in pilot.app.screen.query_one(DataTable).rows


def row(pilot: Pilot[int], job: Job) -> dict[str, str]:
    """What `job`'s row shows, by column key ("query", "state", "count", "polls", "next"...)."""
    panel = pilot.app.screen.query_one(JobPanel)
    cells = panel.table.get_row(str(job.id))
    return {key: str(cell) for key, cell in zip(panel.columns, cells, strict=True)}


def journal_states(path: Path) -> dict[int, str]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT id, state FROM jobs").fetchall())


async def test_a_pending_job_shows_polls_countdown_and_elapsed_and_cancel_stops_it(
    slow_emulator: Emulator, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.sqlite3"
    app = app_on(slow_emulator, journal, poll_interval=30)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        job = await sent(pilot, LONG, JobState.PENDING)
        # The row follows the job a moment later.
        await until(
            pilot,
            lambda: row(pilot, job)["state"] == "pending" and row(pilot, job)["next"].endswith("s"),
            "the countdown",
        )
        cells = row(pilot, job)
        assert cells["query"] == 'App Launched · platform equals "iOS"'
        assert cells["polls"] == "0"
        assert 0 <= int(cells["next"].removesuffix("s")) <= 30
        await until_equal(pilot, lambda: journal_states(journal), {job.id: "pending"})

        await select_job(pilot, job)
        await pilot.press("x")
        await shown(pilot, job, JobState.CANCELLED)
        assert row(pilot, job)["state"] == "cancelled"
        await until_equal(pilot, lambda: journal_states(journal), {job.id: "cancelled"})
        sent_before = len(slow_emulator.requests)
        assert methods(slow_emulator) == ["POST"]
        assert not app.session.jobs.running(job)
    assert len(slow_emulator.requests) == sent_before


async def test_poll_now_asks_at_once_off_clevertap(slow_emulator: Emulator) -> None:
    app = app_on(slow_emulator, poll_interval=600)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await opened(pilot)
        job = await sent(pilot, LONG, JobState.PENDING)
        await until(pilot, lambda: job.next_poll_at is not None, "the wait for the next poll")
        await select_job(pilot, job)
        pressed = time.time()
        await pilot.press("p")
        await until(pilot, lambda: job.polls == 1, "the poll")
        assert methods(slow_emulator) == ["POST", "GET"]
        await until_equal(pilot, lambda: row(pilot, job)["polls"], "1")
        # Still pending, the next poll is an interval after the poll (which came after the
        # press, and before now): bounds that hold however slowly the machine runs.
        assert job.next_poll_at is not None
        assert pressed + 600 <= job.next_poll_at <= time.time() + 600


async def test_details_show_the_body_req_id_every_request_and_the_curl(
    slow_emulator: Emulator,
) -> None:
    app = app_on(slow_emulator, poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        job = await sent(pilot, LONG, JobState.PENDING)
        await until(pilot, lambda: job.polls >= 2, "two polls")
        await select_job(pilot, job)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, JobDetailsScreen), "the details")
        screen = app.screen
        assert isinstance(screen, JobDetailsScreen)
        fields = str(screen.query_one("#job-fields").render())
        assert f"req_id   {job.req_id}" in fields
        # The body broken between its tokens, each line under the first.
        assert LONG.to_json() in re.sub(r"\n +", "", fields)
        assert 'platform equals "iOS"' in fields
        attempts = screen.query_one("#job-attempts", DataTable)
        await until(pilot, lambda: attempts.row_count == len(job.attempts), "every request")
        first = [str(cell) for cell in attempts.get_row_at(0)]
        assert first[1:] == ["submit", "200", first[3], f"partial: req_id {job.req_id}"]
        assert [str(attempts.get_row_at(1)[1])] == ["poll"]
        curl = str(screen.query_one("#job-curl").render())
        assert slow_emulator.base_url in curl
        assert "$CLEVERTAP_PASSCODE" in curl
        assert DEFAULTS.passcode not in curl + fields
        # Later polls appear while the screen is open.
        seen = attempts.row_count
        await until(pilot, lambda: attempts.row_count > seen, "a later poll in the list")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "the main screen")


async def test_a_details_tick_as_the_screen_goes_is_ignored(emulator: Emulator) -> None:
    """The details redraw every second: a tick can come while escape removes their widgets."""
    app = app_on(emulator)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        job = await sent(pilot, LONG, JobState.DONE)
        await select_job(pilot, job)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, JobDetailsScreen), "the details")
        screen = app.screen
        assert isinstance(screen, JobDetailsScreen)
        await screen.remove_children()
        screen.refresh_job()
        await pilot.pause()
        assert app.is_running


async def test_copy_count_and_curl_and_a_toast_only_when_looking_elsewhere(
    emulator: Emulator,
) -> None:
    app = app_on(emulator)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await opened(pilot)
        # The favourites are on top: the user is not looking at the job.
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, FavoritesScreen), "the favourites")
        first = await sent(pilot, SHORT)
        await until(pilot, lambda: bool(app._notifications), "a toast")
        toast = list(app._notifications)[-1]
        assert toast.title == f"Job {first.id} done"
        assert f"{first.count:,} profiles" in toast.message
        app.clear_notifications()
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "the main screen")
        main = app.screen
        assert isinstance(main, MainScreen)

        # The focus in the editor, the job's row in sight below it: no toast.
        app.screen.query_one("#event").focus()
        await sent(pilot, SHORT, JobState.DONE)
        await until(pilot, lambda: not main.toasts.gathering, "the toasts told")
        assert not [n for n in app._notifications if n.title.startswith("Job ")]

        await select_job(pilot, first)
        await pilot.press("c")
        await until_equal(pilot, lambda: app.clipboard, str(first.count))
        await pilot.press("y")
        curl = f"curl -X POST {emulator.base_url}"
        await until(pilot, lambda: app.clipboard.startswith(curl), "the curl copied")
        assert DEFAULTS.passcode not in app.clipboard
        app.clear_notifications()

        # Watching the job list, with the next job selected as it finishes: no toast.
        send(app, SHORT, app.session.selection)  # type: ignore[arg-type]
        await until(pilot, lambda: len(app.session.jobs.jobs) == 3, "the third job")
        second = app.session.jobs.jobs[-1]
        await select_job(pilot, second)
        await shown(pilot, second, JobState.DONE)
        await until(pilot, lambda: not main.toasts.gathering, "the toasts told")
        assert not [n for n in app._notifications if n.title.startswith("Job ")]


async def test_clear_finished_keeps_pending_jobs_here_and_in_the_journal(
    emulator: Emulator, slow_emulator: Emulator, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.sqlite3"
    app = app_on(slow_emulator, journal, poll_interval=30)
    async with app.run_test(size=SIZE) as pilot:
        panel = await opened(pilot)
        pending = await sent(pilot, LONG, JobState.PENDING)
        failed = await sent(pilot, Query("No Such Event", SHORT.date_range), JobState.FAILED)
        panel.table.focus()
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        await until(pilot, lambda: panel.table.row_count == 1, "the finished job to go")
        assert app.session.jobs.jobs == [pending]
        assert journal_states(journal) == {pending.id: "pending"}
        assert str(failed.id) not in panel.table.rows


async def test_removing_a_pending_job_asks_first(slow_emulator: Emulator, tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite3"
    app = app_on(slow_emulator, journal, poll_interval=30)
    async with app.run_test(size=SIZE) as pilot:
        panel = await opened(pilot)
        job = await sent(pilot, LONG, JobState.PENDING)
        await select_job(pilot, job)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "the main screen")
        assert app.session.jobs.jobs == [job]
        assert app.session.jobs.running(job)
        await select_job(pilot, job)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        await until(pilot, lambda: not app.session.jobs.jobs, "the job to go")
        assert panel.table.row_count == 0
        assert journal_states(journal) == {}


def dead_owner_journal(path: Path, *records: JobRecord) -> None:
    """A journal left by a cttui that was killed: rows owned by a process that is gone."""
    journal = Journal.open(path)
    try:
        for record in records:
            record.id = journal.create(record)
    finally:
        journal.close()


async def test_an_interrupted_job_resubmits_with_one_key(
    emulator: Emulator, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.sqlite3"
    origin = Origin(DEFAULTS.account_id, emulator.base_url)
    dead_owner_journal(journal, JobRecord(0, origin, SHORT, JobState.SENDING, created=1.0))
    app = app_on(emulator, journal)
    async with app.run_test(size=SIZE) as pilot:
        panel = await opened(pilot)
        await until(pilot, lambda: bool(app.session.jobs.jobs), "the job from the journal")
        job = app.session.jobs.jobs[0]
        assert job.state is JobState.INTERRUPTED
        await until(pilot, lambda: panel.table.row_count == 1, "its row")
        assert row(pilot, job)["state"] == "interrupted"
        assert emulator.requests == []
        await select_job(pilot, job)
        await pilot.press("r")
        await shown(pilot, job, JobState.DONE)
        assert job.count == emulator.count("Charged", *(int(f"{TODAY:%Y%m%d}"),) * 2)
        assert methods(emulator) == ["POST"]
        await until_equal(pilot, lambda: journal_states(journal), {job.id: "done"})


async def test_a_pending_job_resumes_on_start_without_a_second_post(
    emulator: Emulator, tmp_path: Path
) -> None:
    # A real pending request on the emulator, as a killed cttui would have left it.
    app = app_on(emulator, tmp_path / "first.sqlite3", poll_interval=600)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        first = await sent(pilot, LONG, JobState.PENDING)
    req_id = first.req_id
    assert req_id is not None
    journal = tmp_path / "journal.sqlite3"
    origin = Origin(DEFAULTS.account_id, emulator.base_url)
    record = JobRecord(0, origin, LONG, JobState.PENDING, req_id=req_id, created=1.0)
    record.last_request_at = time.time()
    dead_owner_journal(journal, record)

    app = app_on(emulator, journal, poll_interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await until(pilot, lambda: bool(app.session.jobs.jobs), "the job from the journal")
        job = app.session.jobs.jobs[0]
        await shown(pilot, job, JobState.DONE)
        assert methods(emulator) == ["GET"] * len(emulator.requests)
        assert {r.query["req_id"] for r in emulator.requests} == {req_id}
        assert job.count == emulator.count(
            "App Launched",
            int(f"{LONG.date_range.start:%Y%m%d}"),
            int(f"{TODAY:%Y%m%d}"),
            [{"name": "platform", "operator": "equals", "value": "iOS"}],
        )
        await until_equal(pilot, lambda: journal_states(journal), {job.id: "done"})


async def test_a_corrupt_journal_is_named_left_alone_and_jobs_run_in_memory(
    emulator: Emulator, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    journal = state / "journal.sqlite3"
    garbage = b"this is not a database\n" * 100
    journal.write_bytes(garbage)
    app = app_on(emulator, journal)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await opened(pilot)
        await until(
            pilot, lambda: any(n.title == "Job journal" for n in app._notifications), "the error"
        )
        message = next(n.message for n in app._notifications if n.title == "Job journal")
        assert str(journal) in message
        assert "memory" in message
        job = await sent(pilot, SHORT, JobState.DONE)
        assert job.id == 1
        assert job.count is not None
    assert journal.read_bytes() == garbage
    # No journal beside it (the slots of the requests in flight are the gate's, not the journal's).
    assert sorted(p.name for p in state.iterdir()) == ["journal.sqlite3", "slots"]


async def all_sent(pilot: Pilot[int], jobs: int, state: JobState) -> JobPanel:
    """The panel of the app on `pilot` once `jobs` jobs sent are all in `state`, listed."""
    app = pilot.app
    assert isinstance(app, CttuiApp)
    panel = await opened(pilot)
    selection = app.session.selection
    assert selection is not None
    for _ in range(jobs):
        send(app, SHORT, selection)
    await until(
        pilot,
        lambda: (
            len(app.session.jobs.jobs) == jobs
            and all(j.state is state for j in app.session.jobs.jobs)
        ),
        f"{jobs} {state}",
    )
    await until(pilot, lambda: panel.table.row_count == jobs and not panel.flushing, "listed")
    return panel


async def test_only_rows_in_view_whose_times_moved_are_redrawn_each_second(
    slow_emulator: Emulator,
) -> None:
    """The second's tick redraws the countdown and elapsed time of the rows in view, and of
    those only the ones that changed: a redrawn cell makes the table draw every row afresh."""
    app = app_on(slow_emulator, poll_interval=30)
    async with app.run_test(size=SIZE) as pilot:
        panel = await all_sent(pilot, 30, JobState.PENDING)
        in_view = panel.table.scrollable_content_region.height - panel.table.header_height
        assert 3 <= in_view < 30
        now = panel._now
        panel._now = lambda: now() + 3600  # an hour on: every elapsed time has moved
        assert panel.tick() == in_view
        assert panel.tick() == 0  # and the same hour again moves none


async def test_a_tick_draws_afresh_only_the_cells_it_moved(
    slow_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With 30 jobs pending, the second's tick moves two cells of each row in view (the
    countdown and the elapsed time): those are respelled (their new text put in the place of
    the old, tests/test_job_table.py), and no other cell is drawn afresh but any whose value
    changed meanwhile (DataTable draws every cell in view again on any update, 8 for each 2
    moved: 128 cells a second with 500 pending at 120x40)."""
    app = app_on(slow_emulator, poll_interval=30)
    async with app.run_test(size=SIZE) as pilot:
        panel = await all_sent(pilot, 30, JobState.PENDING)
        table = panel.table
        in_view = table.scrollable_content_region.height - table.header_height
        # Every cell in view drawn as the table holds it now: the screen may not have drawn the
        # last changes yet, nor at the columns' last widths (its lines cached drew no cells).
        table._line_cache.clear()
        table._row_render_cache.clear()
        for y in range(table.size.height):
            table.render_line(y)
        before = {
            (row, column): value
            for row, cells in enumerate(table.get_row_at(r) for r in range(table.row_count))
            for column, value in enumerate(cells)
        }
        drawn: list[tuple[int, int]] = []  # by DataTable, through Rich
        asked: list[tuple[int, int]] = []  # by the table's lines, drawn or not
        render_cell = DataTable._render_cell
        ours = JobTable._render_cell

        def counted(table: DataTable[object], row: int, column: int, *args: Any, **kw: Any) -> Any:
            if row >= 0:  # the header's cells too: the table has no cache across an update
                drawn.append((row, column))
            return render_cell(table, row, column, *args, **kw)

        def seen(table: JobTable, row: int, column: int, *args: Any, **kw: Any) -> Any:
            asked.append((row, column))
            return ours(table, row, column, *args, **kw)

        monkeypatch.setattr(DataTable, "_render_cell", counted)
        monkeypatch.setattr(JobTable, "_render_cell", seen)
        now = panel._now
        panel._now = lambda: now() + 3600  # an hour on: every elapsed time has moved
        panel.tick()  # (a change to a job just come takes some of them in first)
        ticking = [index for index, key in enumerate(panel.columns) if key in TICKING]
        moved = {(row, column) for row in range(in_view) for column in ticking}
        await until(pilot, lambda: moved <= set(asked), "the moved cells drawn")
        await pilot.pause()
        # Drawn afresh only where the old text or the new one was no text (a countdown while
        # its job's poll is on its way): an empty cell is drawn as two runs.
        empty = {
            (row, column)
            for row, column in moved
            if not str(before[row, column]) or not str(table.get_row_at(row)[column])
        }
        assert moved & set(drawn) <= empty
        assert len(empty) < len(moved) / 4
        unchanged = [
            (row, column)
            for row, column in set(drawn) - moved
            if table.get_row_at(row)[column] is before[row, column]
        ]
        assert unchanged == []


async def test_cells_that_stand_still_are_left_alone(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A finished job's times stand still: the tick leaves its row alone; and a change shown
    again puts in only the cells that differ (each cell put in makes the table draw every row
    in view afresh)."""
    app = app_on(emulator)
    async with app.run_test(size=SIZE) as pilot:
        panel = await opened(pilot)
        job = await sent(pilot, SHORT, JobState.DONE)
        await until(pilot, lambda: not panel.flushing, "listed")
        updated: list[str] = []
        update_cell = DataTable.update_cell

        def counted(table: DataTable[object], row: Any, column: Any, *args: Any) -> None:
            updated.append(str(getattr(column, "value", column)))
            update_cell(table, row, column, *args)

        monkeypatch.setattr(DataTable, "update_cell", counted)
        now = panel._now
        panel._now = lambda: now() + 3600
        assert panel.tick() == 0
        panel.show(job)
        await until(pilot, lambda: not panel.flushing, "shown again")
        assert updated == []
        job.polls += 1
        panel.show(job)
        await until(pilot, lambda: not panel.flushing, "its polls shown")
        assert updated == ["polls"]
        assert row(pilot, job)["polls"] == str(job.polls)


def seeded(emulator: Emulator, path: Path, jobs: int) -> Path:
    """A journal of `jobs` finished jobs, newest last."""
    origin = Origin(DEFAULTS.account_id, emulator.base_url)
    writer = Journal.open(path)
    try:
        for number in range(jobs):
            record = JobRecord(0, origin, SHORT, JobState.DONE, count=number, created=1.0 + number)
            record.finished = 2.0 + number
            writer.create(record)
    finally:
        writer.close()
    return path


class Walked(dict[int, Job]):
    """The panel's jobs, counting each walk over all of them."""

    walks = 0

    def values(self) -> Any:
        self.walks += 1
        return super().values()

    def items(self) -> Any:
        self.walks += 1
        return super().items()

    def __iter__(self) -> Any:
        self.walks += 1
        return super().__iter__()


async def cursor_costs(
    emulator: Emulator, journal: Path, jobs: int, presses: int, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, int, int]:
    """`presses` down arrows in the job list over `jobs` finished jobs, each waited for until
    the detail line names the job reached: the cells drawn afresh, the screen's layouts asked
    for, and the walks over every job, in all."""
    cells = layouts = 0
    render_cell = DataTable._render_cell
    refresh = Widget.refresh

    def drawn(table: DataTable[object], *args: Any, **kwargs: Any) -> Any:
        nonlocal cells
        cells += 1
        return render_cell(table, *args, **kwargs)

    def refreshed(widget: Widget, *regions: Any, **kwargs: Any) -> Any:
        nonlocal layouts
        layouts += bool(kwargs.get("layout") or kwargs.get("recompose"))
        return refresh(widget, *regions, **kwargs)

    app = app_on(emulator, journal)
    async with app.run_test(size=SIZE) as pilot:
        panel = await opened(pilot)
        listed = min(jobs, 200)
        await until(pilot, lambda: panel.table.row_count == listed, "the jobs listed")
        await until(pilot, lambda: not panel.flushing, "the jobs shown")
        panel.table.focus()
        detail = panel.query_one("#job-detail", Static)
        await until(pilot, lambda: f"Job {jobs}," in str(detail.content), "the newest job")
        await pilot.pause()
        walked = panel._jobs = Walked(panel._jobs)
        with monkeypatch.context() as patched:
            patched.setattr(DataTable, "_render_cell", drawn)
            patched.setattr(Widget, "refresh", refreshed)
            for step in range(1, presses + 1):
                await pilot.press("down")
                wanted = f"Job {jobs - step},"

                def reached(wanted: str = wanted) -> bool:
                    return wanted in str(detail.content)

                await until(pilot, reached, wanted)
                await pilot.pause()
        return cells, layouts, walked.walks


async def test_a_cursor_move_costs_as_much_over_500_jobs_as_over_10(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each down arrow in the job list draws afresh the cells of the two rows it touched, the
    one it left and the one it reached, however long the list (the table drew every row in
    view on each move, and the second's tick, redrawing unchanged times, made it draw them
    all again); it lays nothing out (the detail line laid the whole screen out on each key);
    and it walks over no list of every job. With 500 finished jobs a key took 54 ms to show
    against 37 ms with 10."""
    short = await cursor_costs(
        emulator, seeded(emulator, tmp_path / "10.sqlite3", 10), 10, 9, monkeypatch
    )
    long = await cursor_costs(
        emulator, seeded(emulator, tmp_path / "500.sqlite3", 500), 500, 9, monkeypatch
    )
    columns = len(COLUMNS)
    # The same 9 keys, within the view: a move that scrolls redraws the view, as often as
    # frames come between the keys, which the machine's load decides (30 keys drew 488 cells
    # once against a bound of 480).
    assert short[0] <= 9 * 2 * columns
    assert long[0] <= 9 * 2 * columns
    assert short[1:] == long[1:] == (0, 0)


async def test_the_detail_line_is_redrawn_only_when_it_changes(emulator: Emulator) -> None:
    """The line under the list says what the highlighted job is: updating it lays the whole
    screen out again (a third of the app's time with 500 jobs polling), so changes to other
    jobs leave it alone."""
    app = app_on(emulator)
    async with app.run_test(size=SIZE) as pilot:
        panel = await all_sent(pilot, 5, JobState.DONE)
        detail = panel.query_one("#job-detail", Static)
        updates = 0
        update = detail.update

        def counted(*args: Any, **kwargs: Any) -> None:
            nonlocal updates
            updates += 1
            update(*args, **kwargs)

        detail.update = counted  # type: ignore[method-assign]
        selected = panel.selected
        assert selected is not None
        for _ in range(20):
            for job in app.session.jobs.jobs:
                if job is not selected:
                    panel.show(job)
            await until(pilot, lambda: not panel.flushing, "shown")
        assert updates == 0
        (other, *_) = [job for job in app.session.jobs.jobs if job is not selected]
        await select_job(pilot, other)
        await until(pilot, lambda: updates == 1, "the other job's line")
        assert f"Job {other.id}," in str(detail.content)


async def test_jobs_another_cttui_adds_appear_in_the_panel(
    tmp_path: Path, emulator: Emulator
) -> None:
    """A headless `cttui count` beside the open app: its job shows in the panel, and then its
    end, without a restart."""
    from cttui.store.journal_writer import JournalWriter

    path = tmp_path / "journal.sqlite3"
    app = app_on(emulator, journal=path)
    async with app.run_test(size=SIZE) as pilot:
        panel = await opened(pilot)
        await until(pilot, path.exists, "the journal opened")
        other = JournalWriter(path)
        try:
            await other.load(lambda _: False)
            origin = Origin(DEFAULTS.account_id, emulator.base_url, None)
            record = JobRecord(0, origin, SHORT, JobState.PENDING, req_id="42", created=time.time())
            record.id = await other.create(record)
            await until(
                pilot,
                lambda: record.id in [job.id for job in app.session.jobs.jobs],
                "the other process's job",
            )
            (job,) = [job for job in app.session.jobs.jobs if job.id == record.id]
            assert job.elsewhere
            await until(pilot, lambda: panel.table.row_count == 1, "its row")
            record.state, record.count, record.finished = JobState.DONE, 7, time.time()
            await other.save(record)
            await until(pilot, lambda: job.state is JobState.DONE, "its end")
            assert job.count == 7
        finally:
            other.close()


def footer_watchers(footer: Footer) -> int:
    """The watchers Textual keeps on the footer's `compact` (one per FooterKey, data-bound)."""
    watchers: dict[str, list[object]] = getattr(footer, "__watchers", {})
    return len(watchers.get("compact", []))


async def test_the_footer_is_rebuilt_only_when_its_keys_change(emulator: Emulator) -> None:
    """Every job change refreshes the screen's keys: the footer is rebuilt only when the keys it
    shows change, not on each of 200 changes to one job."""
    app = app_on(emulator)
    async with app.run_test(size=SIZE) as pilot:
        panel = await opened(pilot)
        job = await sent(pilot, SHORT, JobState.DONE)
        footer = app.screen.query_one(Footer)
        rebuilt = 0
        recompose = footer.recompose

        async def counted() -> None:
            nonlocal rebuilt
            rebuilt += 1
            await recompose()

        footer.recompose = counted  # type: ignore[method-assign]
        for _ in range(200):
            panel.show(job)
        # Then one change the footer must show: the job list's keys.
        await select_job(pilot, job)
        await until(
            pilot,
            lambda: "Copy count" in [key.description for key in footer.query(FooterKey)],
            "the job's keys in the footer",
        )
        # A few at most: a rebuild for the job's end may still be on its way (was 202).
        assert rebuilt <= 5


async def test_rebuilding_the_footer_leaves_no_watcher_behind(emulator: Emulator) -> None:
    """Textual's FooterKey data-binds `compact` to the footer, which dropped those watchers only
    when `compact` changed: they piled up, each rebuild slower than the last (1,501 watchers after
    1,500 rebuilds), holding every removed key."""
    app = app_on(emulator)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        job = await sent(pilot, SHORT, JobState.DONE)
        footer = app.screen.query_one(Footer)
        event = app.screen.query_one("#event")

        def shown() -> list[str]:
            return [key.description for key in footer.query(FooterKey)]

        for _ in range(30):
            await select_job(pilot, job)
            await until(pilot, lambda: "Copy count" in shown(), "the job's keys")
            event.focus()
            await until(
                pilot,
                lambda: "Run" in shown() and "Copy count" not in shown(),
                "the editor's keys",
            )
        # Bounded, not at every instant: in the middle of a rebuild the old keys still count.
        await until(
            pilot,
            lambda: footer_watchers(footer) <= len(footer.query(FooterKey)),
            "one watcher a key shown",
        )


async def test_a_long_journal_is_listed_with_one_sort_and_the_newest_first(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """300 finished jobs in the journal: the newest 200 listed, newest first, the table sorted
    once for all of them, not once a row (with 10,000 jobs that took 194 s before the first key
    was answered); `o` lists the older ones, the cursor staying where it was."""
    journal = seeded(emulator, tmp_path / "journal.sqlite3", 300)
    sorts = 0
    sort = DataTable.sort

    def counted(table: DataTable[object], *columns: object, **options: object) -> object:
        nonlocal sorts
        sorts += 1
        return sort(table, *columns, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(DataTable, "sort", counted)
    app = app_on(emulator, journal)
    async with app.run_test(size=SIZE) as pilot:
        panel = await opened(pilot)
        await until(pilot, lambda: panel.table.row_count == 200, "the newest 200 listed")
        assert [str(panel.table.get_row_at(0)[0]), str(panel.table.get_row_at(199)[0])] == [
            "300",
            "101",
        ]
        assert sorts <= 2
        assert str(panel.border_subtitle) == "100 older finished jobs not listed: o lists 200 more"
        panel.table.focus()
        panel.table.move_cursor(row=5)
        await pilot.press("o")
        await until(pilot, lambda: panel.table.row_count == 300, "every job listed")
        assert str(panel.table.get_row_at(299)[0]) == "1"
        selected = panel.selected
        assert selected is not None
        assert selected.id == 295
        assert not panel.border_subtitle


def rows_are(panel: JobPanel, count: int) -> bool:
    return panel.table.row_count == count


async def test_the_app_holds_the_newest_finished_jobs_and_reads_older_ones_a_page_at_a_time(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A year of cron runs: the app holds every unfinished job and the newest 1,000 finished
    ones (100,000 held took 312 MB and 24 s before the newest was listed); `o` lists more of
    those it holds, then reads the older ones from the journal, a page a press, until none is
    left, oldest last."""
    jobs = FINISHED_IN_MEMORY + 250
    journal = seeded(emulator, tmp_path / "journal.sqlite3", jobs)
    app = app_on(emulator, journal)
    async with app.run_test(size=SIZE) as pilot:
        panel = await opened(pilot)
        await until(pilot, lambda: panel.table.row_count == 200, "the newest 200 listed")
        # Counted once the newest are read: a moment after they are listed.
        await until(pilot, lambda: app.session.older_finished == 250, "the older ones counted")
        assert len(app.session.jobs.jobs) == FINISHED_IN_MEMORY
        await until(
            pilot,
            lambda: str(panel.border_subtitle).startswith(f"{jobs - 200:,} older finished jobs"),
            "every older job counted",
        )
        panel.table.focus()
        for listed in range(400, jobs + 200, 200):
            await pilot.press("o")
            wanted = min(listed, jobs)
            await until(pilot, partial(rows_are, panel, wanted), f"{wanted} listed")
        assert app.session.older_finished == 0
        assert len(app.session.jobs.jobs) == jobs
        assert str(panel.table.get_row_at(jobs - 1)[0]) == "1"
        assert not panel.border_subtitle


async def test_clear_finished_clears_the_older_jobs_not_held_too(
    emulator: Emulator, slow_emulator: Emulator, tmp_path: Path
) -> None:
    """D clears every finished job, those of a long journal the app has not read (beyond the
    newest 1,000) too: they stayed in the journal, and came back with the next start or `o`.
    A pending job, and the favourites' counts, stay."""
    jobs = FINISHED_IN_MEMORY + 30
    journal = seeded(emulator, tmp_path / "journal.sqlite3", jobs)
    app = app_on(slow_emulator, journal, poll_interval=30)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        panel = await opened(pilot)
        await until(pilot, lambda: app.session.older_finished == 30, "the older ones counted")
        pending = await sent(pilot, LONG, JobState.PENDING)
        panel.table.focus()
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        await until(pilot, lambda: panel.table.row_count == 1, "the finished jobs to go")
        assert app.session.jobs.jobs == [pending]
        assert journal_states(journal) == {pending.id: "pending"}
        assert app.session.older_finished == 0
        await until(pilot, lambda: not panel.border_subtitle, "no older jobs said")
        await until(
            pilot,
            lambda: any(f"{jobs:,} finished jobs cleared" in n.message for n in app._notifications),
            "the count of those cleared",
        )
