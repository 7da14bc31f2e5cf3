"""The toasts for jobs: for favourites that could not be sent, and, on the main screen, for
jobs that end: none for a job in sight, one for a job that ends alone, and one for all those
that end close together (500 jobs of a cron run ending in the same second make one toast, not
500)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.screen import Screen
from textual.timer import Timer

from cttui.jobs import Job
from cttui.records import JobState
from cttui.report import ended_text
from cttui.tui.widgets.job_panel import FLUSH_SECONDS, JobPanel

if TYPE_CHECKING:
    from cttui.session.core import Launch

# A toast waits until no job has ended for this long: longer than the list takes between two
# redraws, so jobs ending over several of them are still told together.
QUIET_SECONDS = FLUSH_SECONDS + 0.5
# And no longer than this after the first of them, however many keep ending.
MOST_SECONDS = 5.0
ENDED = (JobState.DONE, JobState.FAILED)


class JobToasts:
    """Told of every job change (`changed`) and of each time `panel` has shown them (`shown`):
    whether a person saw a job end is decided as the list shows it ending."""

    def __init__(self, screen: Screen[Any], panel: JobPanel) -> None:
        self._screen = screen
        self._panel = panel
        # Each job's state as last told, to tell a job that just ended from one loaded ended.
        self._states: dict[int, JobState] = {}
        # Jobs that ended since the list last showed changes, and those to tell of.
        self._ended: dict[int, Job] = {}
        self._untold: dict[int, Job] = {}
        self._first = 0.0
        self._timer: Timer | None = None

    @property
    def gathering(self) -> bool:
        """Whether jobs have ended that are still to be told of (or seen)."""
        return bool(self._ended or self._untold)

    def changed(self, job: Job) -> None:
        was = self._states.get(job.id)
        self._states[job.id] = job.state
        if job.state in ENDED and was is not None and not was.finished:
            self._ended[job.id] = job

    def shown(self) -> None:
        ended, self._ended = self._ended, {}
        unseen = {job_id: job for job_id, job in ended.items() if not self._in_sight(job)}
        if not unseen:
            return
        now = time.monotonic()
        if not self._untold:
            self._first = now
        self._untold.update(unseen)
        if self._timer is not None:
            self._timer.stop()
        wait = min(QUIET_SECONDS, self._first + MOST_SECONDS - now)
        self._timer = self._screen.set_timer(max(wait, 0.05), self._tell)

    def _tell(self) -> None:
        self._timer = None
        untold, self._untold = self._untold, {}
        # One resubmitted meanwhile has not ended after all.
        jobs = [job for job in untold.values() if job.state in ENDED]
        if not jobs:
            return
        title, message = ended_text(jobs)
        failed = any(job.state is JobState.FAILED for job in jobs)
        self._screen.notify(message, title=title, severity="error" if failed else "information")

    def _in_sight(self, job: Job) -> bool:
        """Whether the person has `job` in front of them: its details open, or its row in the
        list's view with this screen on top, or its count drawn on the chart on top."""
        from cttui.tui.screens.chart import ChartScreen
        from cttui.tui.screens.job_details import JobDetailsScreen

        screen = self._screen.app.screen
        if isinstance(screen, JobDetailsScreen):
            return screen.job is job
        if isinstance(screen, ChartScreen):
            # A series' counts are drawn as they come: toasts would cover the line under it.
            return job.state is JobState.DONE and job.favorite == screen.favorite_name
        panel = self._panel
        table = panel.table
        key = str(job.id)
        if screen is not self._screen or not (panel.display and table.display):
            return False
        if key not in table.rows:
            return False
        # Every row is one line high; the view starts at the row scrolled to.
        first = int(table.scroll_y)
        rows = table.scrollable_content_region.height - table.header_height
        return first <= table.get_row_index(key) < first + rows


def report_launches(app: App[Any], launches: Sequence[Launch]) -> int:
    """Toast each favourite that was not sent, saying why; returns how many were."""
    for launch in launches:
        if launch.problem is not None:
            app.notify(
                f"{launch.favorite.name}: {launch.problem}", title="Not run", severity="error"
            )
    return sum(launch.job is not None for launch in launches)
