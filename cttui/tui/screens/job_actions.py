"""The job panel's actions, carried out for the main screen: poll, cancel, resubmit, copy,
load, remove, and the details screen that offers them too."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from cttui.api.errors import CttuiError
from cttui.jobs import Job
from cttui.records import JobState
from cttui.report import job_curl
from cttui.tui.widgets.job_panel import JobPanel
from cttui.tui.workers import start

if TYPE_CHECKING:
    from cttui.session.core import Session


class JobActions:
    """What `screen` does with a job of `panel`: the work through the session, the workers on
    `screen` (its catch-all shows their failures), and `load` to put a job's query in its
    editor."""

    def __init__(
        self,
        screen: Screen[Any],
        session: Session,
        panel: JobPanel,
        load: Callable[[Job], Awaitable[None]],
    ) -> None:
        self._screen = screen
        self._session = session
        self._panel = panel
        self._load = load

    async def perform(self, action: str, job: Job) -> None:
        """Carry out one of the job's actions (a JobAction's value) on `job`."""
        screen, session = self._screen, self._session
        if action == "details":
            from cttui.tui.screens.job_details import JobDetailsScreen  # when first shown

            screen.app.push_screen(JobDetailsScreen(job, session.jobs.clock.now, self.perform))
        elif action == "poll_now":
            start(screen, self._poll_now(job), name=f"Polling job {job.id}")
        elif action == "cancel":
            start(screen, session.cancel(job), name=f"Cancelling job {job.id}")
        elif action == "resubmit":
            start(screen, self._resubmit(job), name=f"Resubmitting job {job.id}")
        elif action == "copy_count" and job.count is not None:
            screen.app.copy_to_clipboard(str(job.count))
            screen.notify(f"{job.count:,} (job {job.id}) copied", title="Copied")
        elif action == "copy_curl":
            curl = job_curl(job)
            if curl is not None:
                screen.app.copy_to_clipboard(curl)
                self._screen.notify(
                    f"curl for job {job.id} copied; it reads the passcode from $CLEVERTAP_PASSCODE",
                    title="Copied",
                )
        elif action == "load":
            await self._load(job)
        elif action == "remove":
            self._remove([job])

    async def _poll_now(self, job: Job) -> None:
        wait = await self._session.poll_now(job)
        if wait is None:
            self._screen.notify(f"job {job.id} is not waiting to poll", severity="warning")
        elif wait >= 1:
            self._screen.notify(
                f"job {job.id} polls in {wait:.0f} s: CleverTap allows one poll per 30 s",
                title="Poll now",
            )

    async def _resubmit(self, job: Job) -> None:
        try:
            await self._session.resubmit(job)
        except CttuiError as error:
            self._screen.notify(
                f"{error.message}; or press F2", title="Not resubmitted", severity="error"
            )

    def _remove(self, jobs: list[Job]) -> None:
        async def remove() -> None:
            await self._session.remove(jobs)
            self._panel.forget(jobs)
            self._panel.say_empty()

        running = [
            job for job in jobs if not job.state.finished and job.state is not JobState.INTERRUPTED
        ]
        if not running:
            start(self._screen, remove(), name="Removing jobs")
            return

        from cttui.tui.screens.confirm import ConfirmScreen  # when first asked

        def answered(yes: bool | None) -> None:
            if yes:
                start(self._screen, remove(), name="Removing jobs")

        job = running[0]
        self._screen.app.push_screen(
            ConfirmScreen(
                f"Job {job.id} is still {job.state}; removing it stops it, and its count is lost. "
                "Remove it?",
                yes="Remove",
                no="Keep it",
            ),
            answered,
        )

    def clear_finished(self) -> None:
        """Ask, saying how many, then clear every finished job (those finishing meanwhile too:
        the question says "every")."""
        from cttui.tui.screens.confirm import ConfirmScreen  # when first asked

        session = self._session
        count = sum(job.state.finished for job in session.jobs.jobs) + session.older_finished

        def answered(yes: bool | None) -> None:
            if yes:
                start(self._screen, self._clear(), name="Clearing finished jobs")

        self._screen.app.push_screen(
            ConfirmScreen(
                f"Clear every finished job ({count:,} now) from the list and the journal? The "
                "journal keeps nothing of them; favourites keep their counts.",
                yes="Clear",
                no="Keep them",
            ),
            answered,
        )

    async def _clear(self) -> None:
        cleared, older = await self._session.clear_finished()
        self._panel.forget(cleared)
        count = len(cleared) + older
        jobs = f"{count:,} finished job{'' if count == 1 else 's'}"
        if self._session.jobs.jobs:
            self._panel.say_empty()
        else:
            them = "it" if count == 1 else "them"
            self._panel.say_empty(
                f"{jobs} cleared; the journal keeps nothing of {them}. "
                "Build a query and press ctrl+r."
            )
        self._screen.notify(f"{jobs} cleared", title="Jobs")
