"""The session: one per run of cttui, owning the config, the credentials, the clients, the
journal, the jobs and the favourites, with every verb both faces call on them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from cttui.api.errors import CttuiError, UsageError
from cttui.jobs import Job, JobManager
from cttui.records import JobAction, JobRecord, JobState, Origin, applies
from cttui.session.changes import (
    Change,
    HistoryChanged,
    JobChanged,
    Listener,
    Notice,
    SelectionChanged,
)
from cttui.store.credentials import CredentialStore, SessionPasscodes
from cttui.store.journal_writer import JournalWriter
from cttui.store.selection import DEMO_PROFILE, Selection, connect, for_job, select
from cttui.store.slots import slots_dir

# The finished jobs the app reads at its start, newest first: a year of cron runs leaves tens of
# thousands, and each held costs memory and every refresh a read. The rest come on request.
FINISHED_IN_MEMORY = 1_000
_NO_ID = 2**63 - 1  # beyond every job's id

if TYPE_CHECKING:
    from cttui.api.client import CleverTapClient
    from cttui.api.models import Query
    from cttui.session.connection import ConnectionTest
    from cttui.session.favorites import FavoriteBook
    from cttui.session.setup import Demo, SessionSetup
    from cttui.store.config import Config, Profile
    from cttui.store.favorites import Favorite


@dataclass(frozen=True)
class Launch:
    """One favourite of `run_favorites`: its job and the task running it, or why not sent."""

    favorite: Favorite
    job: Job | None = None
    problem: str | None = None
    task: asyncio.Task[Job] | None = None


class Session:
    """The active profile is `selection` (None with `selection_error` saying why); `config` is
    config.toml as last read or written. Changes go to the listeners of `subscribe`."""

    def __init__(self, setup: SessionSetup) -> None:
        self.setup = setup
        self._listeners: list[Listener] = []
        self.config = setup.store.load()
        self.selection: Selection | None = None
        self.selection_error: str | None = None
        self._profile_override = setup.profile
        self.journal = JournalWriter(setup.journal, on_error=self._journal_failed)
        # Finished jobs in the journal older than any the session holds (see load_older).
        self.older_finished = 0
        self.jobs = JobManager(
            poll_interval=setup.poll_interval,
            recorder=self.journal,
            clock=setup.clock,
            # Shared with every cttui on the machine; None (tests) keeps the limit in this run.
            slots=slots_dir(setup.journal) if setup.journal is not None else None,
            on_warning=self._slots_failed,
        )
        self.jobs.subscribe(lambda job: self.publish(JobChanged(job)))
        # One client per account, host and profile, made on first use; a profile edit starts
        # afresh, but jobs already running keep theirs until close() closes them all.
        self._clients: dict[tuple[str, str, str | None], CleverTapClient] = {}
        self._all_clients: list[CleverTapClient] = []
        self._connecting = asyncio.Lock()
        self.apply_config(self.config)

    @cached_property
    def favorites(self) -> FavoriteBook:
        """The favourites and their history, made when first asked for (so never by `count`)."""
        from cttui.session.favorites import FavoriteBook

        return FavoriteBook(self.setup.favorites, self.journal, self.jobs, self.publish, self)

    # Listeners

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def publish(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    def _slots_failed(self, message: str) -> None:
        self.publish(Notice("Requests in flight", message, "warning", 30))

    def _journal_failed(self, message: str) -> None:
        self.publish(Notice("Job journal", message, "error", 30))

    # The run

    @property
    def demo(self) -> Demo | None:
        return self.setup.demo

    @property
    def store(self) -> CredentialStore:
        return self.setup.store

    def today(self) -> date:
        return self.setup.today()

    def known_events(self) -> Iterator[str]:
        """Event names used before, the latest first, for suggestions."""
        names = [job.query.event_name for job in reversed(self.jobs.jobs) if job.query]
        yield from dict.fromkeys([*names, *(self.demo.events if self.demo else ())])

    def known_properties(self) -> Iterator[str]:
        names = [
            item.name for job in reversed(self.jobs.jobs) if job.query for item in job.query.filters
        ]
        yield from dict.fromkeys([*names, *(self.demo.properties if self.demo else ())])

    # Profiles

    def apply_config(self, config: Config) -> None:
        """Take a changed config.toml, and so the active profile."""
        self.config = config
        if self._profile_override and config.profile(self._profile_override) is None:
            self._profile_override = None
        try:
            selection = select(self.setup.environ, config, self._profile_override)
            self.selection_error = None
        except CttuiError as error:
            selection, self.selection_error = None, error.message
        self._clients.clear()
        self.selection = selection
        self.publish(SelectionChanged(selection, self.selection_error))

    async def switch_profile(self, name: str) -> Config:
        """Make profile `name` the active one, in config.toml too."""
        config = await asyncio.to_thread(self.store.use, name)
        self._profile_override = None
        self.apply_config(config)
        return config

    def remember_theme(self, theme: str) -> bool:
        """Whether `theme` is new, and so to be written with `store.set_theme` (on a thread)."""
        if theme == self.config.theme:
            return False
        self.config = self.config.with_theme(theme)
        return True

    def use_session_passcodes(self) -> None:
        """No usable keyring: passcodes typed from now on are kept in memory until the end."""
        self.store.passcodes = SessionPasscodes()

    @property
    def session_only(self) -> bool:
        return isinstance(self.store.passcodes, SessionPasscodes)

    async def test_connection(
        self, profile: Profile, passcode: str | None = None, saved: Profile | None = None
    ) -> ConnectionTest:
        """Whether CleverTap accepts `profile`'s account with `passcode`, else with the one
        kept for `saved` (when on the same account)."""
        from cttui.session.connection import check_connection  # here: only the test needs it

        return await check_connection(self.store, self.setup, profile, passcode, saved)

    # Jobs

    async def client(self, selection: Selection) -> CleverTapClient:
        """The client for `selection`'s account and host, made once; raises CttuiError when it
        cannot connect (no passcode, no keyring)."""
        from cttui.api.client import CleverTapClient

        # By profile too: two profiles on one account may hold different passcodes.
        profile = selection.profile.name if selection.profile else selection.lost_profile
        key = (selection.account_id, selection.base_url, profile)
        async with self._connecting:
            client = self._clients.get(key)
            if client is None:
                # The keyring may block (a locked collection): never on the caller's loop.
                connection = await asyncio.to_thread(connect, selection, self.store.passcodes)
                client = CleverTapClient(
                    connection.credentials, connection.base_url, transport=self.setup.transport
                )
                self._clients[key] = client
                self._all_clients.append(client)
        return client

    async def send(self, query: Query, selection: Selection, favorite: str | None = None) -> Job:
        """Start `query` as a job on `selection`'s account; raises CttuiError, sending nothing,
        when it cannot connect. A job run for `favorite` adds to that favourite's history."""
        job, _ = await self._send(query, selection, favorite)
        return job

    async def _send(
        self, query: Query, selection: Selection, favorite: str | None
    ) -> tuple[Job, asyncio.Task[Job]]:
        job = await self.add_job(selection, query, favorite=favorite)
        return job, self.jobs.start(job)

    async def add_job(
        self,
        selection: Selection,
        query: Query | None,
        req_id: str | None = None,
        *,
        favorite: str | None = None,
    ) -> Job:
        """A new job on `selection`'s account, recorded but not started: a query to send, or
        (with `req_id`) one already pending there."""
        client = await self.client(selection)
        profile = selection.profile.name if selection.profile else None
        origin = Origin(selection.account_id, selection.base_url, profile)
        return await self.jobs.add(origin, client, query, req_id, favorite=favorite)

    def favorite_selection(self, favorite: Favorite) -> Selection:
        """The account `favorite` runs on: its own profile, else the active one."""
        # The demo has one account: a favourite's profile names one of yours, not the demo's.
        if favorite.profile is not None and self.demo is None:
            return select(self.setup.environ, self.config, favorite.profile)
        if self.selection is None:
            raise CttuiError(self.selection_error or "no profile yet; add one first")
        return self.selection

    async def run_favorites(self, favorites: Sequence[Favorite]) -> list[Launch]:
        """Run each favourite as a job, for today's dates; one that cannot be sent fails alone."""
        launches = []
        for favorite in favorites:
            try:
                selection = self.favorite_selection(favorite)
                job, task = await self._send(favorite.query(self.today()), selection, favorite.name)
            except CttuiError as error:
                launches.append(Launch(favorite, problem=error.message))
            else:
                launches.append(Launch(favorite, job, task=task))
        return launches

    async def adopt_journal(
        self,
        claim: Callable[[Origin], bool] = lambda _: True,
        *,
        finished: bool | int = True,
        req_id: str | None = None,
    ) -> list[Job]:
        """Read every job the journal holds (or only the unfinished ones and those of `req_id`,
        see `Journal.load`), taking over the pending ones of `claim`'s origins that no other
        cttui runs; returns those, not yet started."""
        records, ours = await self.journal.load(claim, finished=finished, req_id=req_id)
        adopted = self.jobs.adopt(records, ours)
        # The favourites' counts over time came with it.
        self.publish(HistoryChanged())
        return adopted

    async def resume(self, finished: int = FINISHED_IN_MEMORY) -> list[Job]:
        """Read the journal's unfinished jobs and its newest `finished` finished ones (the rest
        come a page at a time, see `load_older`), and resume the pending ones no other cttui
        runs; returns those."""
        resumed = await self.adopt_journal(finished=finished)
        self.older_finished = await self._older_than_loaded()
        for job in resumed:
            await self.resume_job(job)
        return resumed

    async def _older_than_loaded(self) -> int:
        _, older = await self.journal.older(self._oldest_finished(), 0)
        return older

    def _oldest_finished(self) -> int:
        return min((job.id for job in self.jobs.jobs if job.state.finished), default=_NO_ID)

    async def load_older(self, limit: int) -> list[Job]:
        """The next `limit` finished jobs older than those known, from the journal (each told
        as a change, as at the start); `older_finished` says how many remain."""
        records, self.older_finished = await self.journal.older(self._oldest_finished(), limit)
        known = {job.id for job in self.jobs.jobs}
        return self.jobs.adopt([record for record in records if record.id not in known], set())

    def _job_selection(self, job: Job) -> Selection:
        """Where `job` runs now: its own account and host (the demo's emulator, though, moves
        to a new port at each start)."""
        origin = job.origin
        if self.demo is not None:
            origin = Origin(origin.account_id, self.demo.base_url, DEMO_PROFILE)
        return for_job(
            self.setup.environ, self.config, origin.account_id, origin.base_url, origin.profile
        )

    async def start_job(self, job: Job) -> asyncio.Task[Job]:
        """Start `job` from the journal again, on its account; raises CttuiError when it
        cannot connect."""
        job.client = await self.client(self._job_selection(job))
        return self.jobs.start(job)

    async def resume_job(self, job: Job) -> bool:
        """Start `job` from the journal again; False (the job says why) when it cannot connect."""
        try:
            await self.start_job(job)
        except CttuiError as error:
            await self.jobs.hold(job, f"cannot resume: {error.message}; then press p")
            return False
        return True

    async def poll_now(self, job: Job) -> float | None:
        """Poll now (as soon as the job manager allows): the seconds until then, or None when
        `job` is not waiting to poll. A job waiting for credentials tries to resume."""
        if self.jobs.running(job):
            return self.jobs.poll_now(job)
        if job.elsewhere or job.state not in (JobState.PENDING, JobState.QUEUED):
            return None
        await self.resume_job(job)
        return 0.0

    async def resubmit(self, job: Job) -> asyncio.Task[Job]:
        """Send a failed, cancelled or interrupted job's query again, as the same job; returns
        its task."""
        if job.elsewhere:
            raise UsageError(f"job {job.id} is held by another cttui that is still open")
        if not applies(JobAction.RESUBMIT, job, elsewhere=False):
            if job.state.resubmittable:
                raise UsageError(f"job {job.id} was started from a req_id alone; there is no query")
            raise UsageError(
                f"job {job.id} is {job.state}; only failed, cancelled or interrupted jobs can be "
                "resubmitted"
            )
        return await self.jobs.resubmit(job, await self.client(self._job_selection(job)))

    async def cancel(self, job: Job) -> bool:
        return await self.jobs.cancel(job)

    async def remove(self, jobs: Sequence[Job]) -> None:
        await self.jobs.remove(jobs)

    async def clear_finished(self) -> tuple[list[Job], int]:
        """Remove every finished job: those held (returned), and those of the journal older
        than them, not read (how many)."""
        oldest = self._oldest_finished()
        cleared = await self.jobs.clear_finished()
        # Whether or not they are counted yet (that comes a moment after the start).
        older = await self.journal.remove_finished_before(oldest)
        self.older_finished = 0
        return cleared, older

    # Other processes

    async def refresh(self) -> None:
        """Take what other cttui processes (or a hand edit) changed: favorites.toml, the
        favourites' counts, and the jobs they added or moved on."""
        await self.favorites.reload()
        # Reading every job and count of a long journal each second would cost the idle app
        # more than anything else it does: only when another process has written.
        if not await self.journal.changed_elsewhere():
            return
        if await self.journal.reload_history():
            self.publish(HistoryChanged())
        records = await self.journal.read_jobs()
        if records is not None:
            self._take_jobs(records)

    def _take_jobs(self, records: Sequence[JobRecord]) -> None:
        # This run's own jobs are in its list before their row can be read back (one writer
        # thread, answers in order): a row it does not know is another process's.
        known = {job.id: job for job in self.jobs.jobs}
        self.jobs.adopt([record for record in records if record.id not in known], set())
        for record in records:
            job = known.get(record.id)
            if job is None or not job.elsewhere:
                continue
            fields = JobRecord.__dataclass_fields__
            if all(getattr(job, name) == getattr(record, name) for name in fields):
                continue
            for name in fields:
                setattr(job, name, getattr(record, name))
            job.elsewhere = not job.state.finished
            self.publish(JobChanged(job))

    async def close(self) -> None:
        # Stopped, not cancelled: pending jobs stay pending in the journal and resume next time.
        await self.jobs.close()
        for client in self._all_clients:
            await client.aclose()
        await asyncio.to_thread(self.journal.close)
