"""Toasts for jobs that end: one for jobs that end close together, none for a job whose row is
in view, and today's toast, with its detail, for a job that ends alone out of sight.

The jobs are another cttui's (as `refresh` reads them from a shared journal): nothing runs
here, and each ends the moment the test says, hundreds in the same second if need be.
"""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import DataTable

from cttui.api.models import DateRange, Query
from cttui.jobs import Job
from cttui.records import JobRecord, JobState, ListedJob, Origin
from cttui.report import ended_text
from cttui.session.changes import JobChanged
from cttui.tui.app import CttuiApp
from cttui.tui.screens.favorites import FavoritesScreen
from cttui.tui.screens.job_details import JobDetailsScreen
from cttui.tui.screens.main import MainScreen
from cttui.tui.widgets.job_panel import JobPanel
from tests.apps import TODAY, WORK, build_app, settle, until, until_equal

SIZE = (120, 40)
ORIGIN = Origin(WORK.account_id, WORK.region.base_url, WORK.name)
QUERY = Query("Charged", DateRange(TODAY, TODAY))


def pending(app: CttuiApp, jobs: int) -> list[Job]:
    """`jobs` pending jobs that another cttui runs, oldest first."""
    records = [
        JobRecord(number, ORIGIN, QUERY, JobState.PENDING, req_id=str(number), created=number)
        for number in range(1, jobs + 1)
    ]
    app.session.jobs.adopt(records, set())
    return list(app.session.jobs.jobs)


def end(app: CttuiApp, *jobs: Job, state: JobState = JobState.DONE) -> None:
    """The other cttui tells the journal that `jobs` ended."""
    for job in jobs:
        job.state = state
        job.count = 7 if state is JobState.DONE else None
        job.error = "Invalid event : Chargd" if state is JobState.FAILED else None
        job.finished = 1_000_000.0
        job.elsewhere = False
        app.session.publish(JobChanged(job))


def job_toasts(app: CttuiApp) -> list[tuple[str, str]]:
    return [(n.title, n.message) for n in app._notifications if "job" in n.title.lower()]


async def told(pilot: Pilot[int], *jobs: Job) -> list[tuple[str, str]]:
    """The job toasts, once the list shows `jobs` as they are now and no toast is still being
    gathered."""
    app = pilot.app
    assert isinstance(app, CttuiApp)
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    table = screen.query_one(JobPanel).table

    def shown(job: Job) -> bool:
        # A finished job beyond the newest 200 leaves the list.
        key = str(job.id)
        return key not in table.rows or str(table.get_cell(key, "state")) == job.state

    await until(pilot, lambda: all(map(shown, jobs)), "the jobs' ends listed")

    await until(pilot, lambda: not screen.toasts.gathering, "the toasts")
    return job_toasts(app)


def rows_in_view(app: CttuiApp) -> int:
    table = app.screen_stack[0].query_one(DataTable)
    return table.scrollable_content_region.height - table.header_height


async def opened(pilot: Pilot[int], jobs: int) -> list[Job]:
    assert isinstance(pilot.app, CttuiApp)
    await settle(pilot, MainScreen)
    listed = pending(pilot.app, jobs)
    panel = pilot.app.screen.query_one(JobPanel)
    await until_equal(pilot, lambda: panel.table.row_count, jobs)
    await settle(pilot, MainScreen)
    return listed


async def test_500_jobs_ending_in_one_second_give_one_toast_and_none_for_those_in_view() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        jobs = await opened(pilot, 500)
        # Half, then the other half once the list has shown the first: two of its redraws.
        panel = app.screen.query_one(JobPanel)
        end(app, *jobs[:250])
        await until(pilot, lambda: not panel.flushing, "the first half shown")
        end(app, *jobs[250:])
        toasts = await told(pilot, *jobs)
        # The newest are at the top, in view (the focus is in the editor, the list in sight).
        in_view = rows_in_view(app)
        assert 5 < in_view < 50
        assert toasts == [(f"{500 - in_view} jobs done", toasts[0][1])]
        assert toasts[0][1].startswith("Jobs 1, 2, 3 and ")


async def test_a_job_ending_alone_out_of_sight_keeps_its_own_toast_and_in_sight_none() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        first, second = await opened(pilot, 2)
        end(app, first)
        assert await told(pilot, first) == []

        await pilot.press("f3")
        await settle(pilot, FavoritesScreen)
        end(app, second, state=JobState.FAILED)
        assert await told(pilot, second) == [
            (
                f"Job {second.id} failed",
                f"Job {second.id}, Charged, {TODAY}: failed: Invalid event : Chargd",
            )
        ]


async def test_a_row_scrolled_out_of_view_is_not_in_sight() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        jobs = await opened(pilot, 60)
        end(app, jobs[-1])  # the newest, at the top
        assert await told(pilot, jobs[-1]) == []
        end(app, jobs[0])  # the oldest, far below the view
        assert [title for title, _ in await told(pilot, jobs[0])] == [f"Job {jobs[0].id} done"]


async def test_a_failure_among_them_is_named_and_the_job_in_its_details_is_left_out() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        jobs = await opened(pilot, 13)
        panel = app.screen.query_one(JobPanel)
        panel.table.focus()
        panel.table.move_cursor(row=0)
        await pilot.press("enter")
        await settle(pilot, JobDetailsScreen)
        watched = jobs[-1]
        assert app.screen.job is watched  # type: ignore[attr-defined]
        end(app, *jobs[:11])
        end(app, jobs[11], state=JobState.FAILED)
        end(app, watched)
        assert await told(pilot, *jobs[:12], watched) == [
            (
                "12 jobs ended",
                f"11 done, 1 failed: Job {jobs[11].id}, Charged, {TODAY}: "
                "failed: Invalid event : Chargd",
            )
        ]


def test_the_toasts_words_for_jobs_ending_together() -> None:
    def job(number: int, state: JobState = JobState.DONE) -> ListedJob:
        error = "Invalid event : Chargd" if state is JobState.FAILED else None
        return ListedJob(number, ORIGIN, QUERY, state, count=5, error=error)

    assert ended_text([job(4), job(2), job(3)]) == (
        "3 jobs done",
        "Jobs 2, 3 and 4: their counts are in the job list",
    )
    assert ended_text([job(n) for n in range(1, 13)])[1].startswith("Jobs 1, 2, 3 and 9 more:")
    failures = [job(n, JobState.FAILED) for n in (7, 9, 12)]
    assert ended_text([job(1), *failures]) == ("4 jobs ended", "1 done, 3 failed: jobs 7, 9 and 12")
    assert ended_text(failures[:2]) == ("2 jobs ended", "2 failed: jobs 7 and 9")
