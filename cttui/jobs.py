"""Running count queries to completion: submit, poll, retry, cancel, resubmit, resume.

A `JobManager` drives each job through its states in an asyncio task. Every request goes through
one gate per account (CleverTap allows 3 count requests in flight); pending jobs sleep outside the
gate between polls. Every change is handed to the `Recorder` (the journal) and awaited before any
listener hears of it, so what a screen shows is already on disk. Time and randomness are injected
so that tests run on a fake clock.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cttui.api.errors import DEBUG_VARIABLE, ApiError, UnknownRequestError, unexpected
from cttui.api.models import Query
from cttui.api.outcomes import Outcome, Pending
from cttui.gate import Gate, Spacing
from cttui.pacing import DEFAULT_POLL_INTERVAL, Clock, RetryPolicy, SystemClock
from cttui.recording import Changes, MemoryRecorder, Recorder
from cttui.records import MAX_COUNT, Attempt, JobRecord, JobState, ListedJob, Origin
from cttui.sending import Sender
from cttui.store.slots import SlotFiles

if TYPE_CHECKING:
    from cttui.api.client import CleverTapClient

__all__ = ["Job", "JobManager"]

DEFAULT_MAX_IN_FLIGHT = 3
# Seconds a closing manager waits for requests in flight to answer before it cancels them.
DRAIN_LIMIT = 10.0


@dataclass(eq=False)
class Job(ListedJob):
    """One query on its way to a count. Mutated only by its JobManager.

    `client` is None for a job that cannot run here: loaded from the journal and not (yet)
    connected, or run by another cttui process (`elsewhere`).
    """

    client: CleverTapClient | None = field(default=None, repr=False)

    @property
    def runs(self) -> bool:
        return self.client is not None or self.elsewhere


Listener = Callable[[Job], None]


class JobManager:
    def __init__(
        self,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        recorder: Recorder | None = None,
        slots: Path | None = None,
        on_warning: Callable[[str], None] | None = None,
    ) -> None:
        """`slots` is the folder of the slot files shared with other cttui processes (None:
        this process keeps the limit on its own); `on_warning` hears when they cannot be used."""
        if poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.poll_interval = poll_interval
        self.max_in_flight = max_in_flight
        self.retry = retry or RetryPolicy()
        self.clock: Clock = clock or SystemClock()
        self.recorder: Recorder = recorder or MemoryRecorder()
        self._gates: dict[tuple[str, str], Gate] = {}
        self._spacing = Spacing(clock=self.clock)
        self._slots = slots
        self._on_warning = on_warning
        self._changes: Changes[Job] = Changes(self.recorder, self.clock)
        self._sender = Sender(self._changes, self.clock, self.retry, rng or random.Random())
        self._tasks: dict[int, asyncio.Task[Job]] = {}
        self._wake: dict[int, asyncio.Event] = {}
        # Jobs the user cancelled, as opposed to tasks stopped because the process is closing:
        # those stay pending in the journal and resume on the next start.
        self._cancelling: set[int] = set()
        # Jobs a removal has taken and not yet dropped from `jobs` (it waits for the journal).
        self._leaving: set[int] = set()
        self.jobs: list[Job] = []

    def subscribe(self, listener: Listener) -> None:
        """Call `listener` after every change has been recorded, in the order of subscribing."""
        self._changes.subscribe(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._changes.unsubscribe(listener)

    def gate(self, client: CleverTapClient) -> Gate:
        key = (client.base_url, client.account_id)
        if key not in self._gates:
            files = None
            if self._slots is not None:
                files = SlotFiles(self._slots, *key, self.max_in_flight)
            self._gates[key] = Gate(self.max_in_flight, files, self._on_warning, self._spacing)
        return self._gates[key]

    def find(self, job_id: int) -> Job | None:
        return next((job for job in self.jobs if job.id == job_id), None)

    def running(self, job: Job) -> bool:
        task = self._tasks.get(job.id)
        return task is not None and not task.done()

    async def add(
        self,
        origin: Origin,
        client: CleverTapClient | None,
        query: Query | None,
        req_id: str | None = None,
        *,
        favorite: str | None = None,
    ) -> Job:
        """A new job, recorded: a query to send, or (with `req_id`) one already pending.

        A job run for a favourite names it; its count then joins the favourite's history."""
        if query is None and req_id is None:
            raise ValueError("a job needs a query or a req_id")
        if query is not None:
            query.validate()
        job = Job(
            id=0,
            origin=origin,
            query=query,
            req_id=req_id,
            created=self.clock.now(),
            updated=self.clock.now(),
            client=client,
            favorite=favorite,
        )
        job.id = await self.recorder.create(job)
        self.jobs.append(job)
        self._changes.tell(job)
        return job

    def adopt(
        self, records: Iterable[JobRecord], ours: set[int], elsewhere: set[int] | None = None
    ) -> list[Job]:
        """Jobs read from the journal; returns those this process should run (`ours`).

        `elsewhere` names the jobs another cttui runs; by default every unfinished one not ours.
        """
        adopted = []
        for record in records:
            job = Job(**{name: getattr(record, name) for name in JobRecord.__dataclass_fields__})
            if elsewhere is None:
                job.elsewhere = not job.state.finished and job.id not in ours
            else:
                job.elsewhere = job.id in elsewhere
            self.jobs.append(job)
            self._changes.tell(job)
            if job.id in ours and job.state is not JobState.INTERRUPTED:
                adopted.append(job)
        return adopted

    async def hold(self, job: Job, reason: str) -> None:
        """A job that cannot run here for now keeps its state, and says why."""
        job.error = reason
        await self._changes.changed(job)

    def start(self, job: Job) -> asyncio.Task[Job]:
        """Run `job` in a task of the running loop; it needs a client."""
        if job.client is None:
            raise ValueError(f"job {job.id} has no client to run on")
        job.elsewhere = False
        job.error = None
        task = asyncio.get_running_loop().create_task(self.run(job), name=f"cttui-job-{job.id}")
        self._tasks[job.id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job.id, None))
        return task

    async def cancel(self, job: Job) -> bool:
        """Stop a job the user no longer wants; False when there was nothing to stop."""
        if await self._stop(job):
            return True
        if job.state in (JobState.QUEUED, JobState.PENDING) and not job.elsewhere:
            # Loaded from the journal and never started here (no credentials yet).
            job.finished = self.clock.now()
            await self._changes.set(job, JobState.CANCELLED)
            return True
        return False

    async def resubmit(self, job: Job, client: CleverTapClient) -> asyncio.Task[Job]:
        """Send a failed, cancelled or interrupted job's query again, as the same job."""
        if not job.state.resubmittable or job.query is None:
            raise ValueError(f"job {job.id} cannot be resubmitted ({job.state})")
        job.client = client
        job.req_id = job.count = job.error = job.http_status = None
        # The old answers are not this POST's: see `journal_rows.recover`.
        job.finished = job.next_poll_at = job.last_request_at = None
        job.polls = job.retries = 0
        await self._changes.set(job, JobState.QUEUED)
        return self.start(job)

    def poll_now(self, job: Job) -> float | None:
        """Poll a pending job as soon as allowed; returns the seconds until then, or None if
        it is not waiting to poll. On a CleverTap host that is never sooner than 30 s after the
        last request for it."""
        wake = self._wake.get(job.id)
        if wake is None or job.state is not JobState.PENDING or job.next_poll_at is None:
            return None
        now = self.clock.now()
        job.next_poll_at = max(now, self._sender.earliest(job))
        wake.set()
        return job.next_poll_at - now

    async def remove(self, jobs: Sequence[Job]) -> None:
        """Forget jobs, here and in the journal; running ones are stopped first."""
        gone = {job.id for job in jobs}
        self._leaving |= gone
        try:
            for job in jobs:
                await self._stop(job)
            await self.recorder.remove([job.id for job in jobs])
            self.jobs = [job for job in self.jobs if job.id not in gone]
        finally:
            self._leaving -= gone

    async def clear_finished(self) -> list[Job]:
        """Remove every done, failed and cancelled job; returns them. Those a removal under way
        has taken are left to it: cleared twice, they would be counted twice."""
        finished = [job for job in self.jobs if job.state.finished and job.id not in self._leaving]
        await self.remove(finished)
        return finished

    async def close(self) -> None:
        """Stop every task without recording anything: pending jobs stay pending on disk.

        Requests in flight on slots shared with other processes are let answer first (for at
        most DRAIN_LIMIT s): until then the server counts them, whatever this process does."""
        shared = [gate for gate in self._gates.values() if gate.shared]
        for gate in shared:
            gate.shut()
        await asyncio.gather(*(gate.drained(DRAIN_LIMIT) for gate in shared))
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _stop(self, job: Job) -> bool:
        """Cancel `job`'s task as the user's wish (recorded); False if it had none running."""
        task = self._tasks.get(job.id)
        if task is None or task.done():
            return False
        self._cancelling.add(job.id)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return True

    async def run(self, job: Job) -> Job:
        """Drive `job` to done or failed; a cancelled run re-raises (and records `cancelled`
        only when the user asked for it)."""
        resubmitted = False
        try:
            while True:
                try:
                    await self._drive(job)
                    break
                except UnknownRequestError:
                    # A req_id the server forgot (expired, or another host's): the query itself is
                    # still good, so send it once more rather than lose the user's work.
                    if job.query is None or resubmitted:
                        raise
                    resubmitted = True
                    job.req_id = None
        except ApiError as error:
            job.error = error.message
            job.http_status = error.http_status
            job.finished = self.clock.now()
            await self._changes.set(job, JobState.FAILED)
        except asyncio.CancelledError:
            if job.id in self._cancelling:
                self._cancelling.discard(job.id)
                job.finished = self.clock.now()
                job.next_poll_at = None
                # Recording must finish even though this task is being cancelled.
                await asyncio.shield(self._changes.set(job, JobState.CANCELLED))
            raise
        except Exception as error:
            # A bug of ours or of a part below: the job ends failed with the one line that says
            # so, rather than as a task exception nobody retrieves (a traceback at exit).
            await self._fail_unexpectedly(job, error)
            if os.environ.get(DEBUG_VARIABLE):
                raise
        finally:
            self._wake.pop(job.id, None)
        return job

    async def _fail_unexpectedly(self, job: Job, error: Exception) -> None:
        job.error = unexpected(error)
        job.http_status = None
        job.finished = self.clock.now()
        job.next_poll_at = None
        try:
            await self._changes.set(job, JobState.FAILED)
        except Exception:
            # The recorder itself failed: the job still ends here, in memory.
            job.state = JobState.FAILED
            self._changes.tell(job)

    async def _drive(self, job: Job) -> None:
        if job.req_id is None:
            assert job.query is not None
            query, client = job.query, job.client
            assert client is not None
            outcome, attempt = await self._sender.send(
                job, "submit", self.gate(client), lambda: client.submit(query)
            )
        else:
            # A req_id from a command line, or resumed from the journal, is asked about as soon
            # as allowed: at once, or on a CleverTap host 30 s after its last request.
            if job.last_request_at is not None:
                job.next_poll_at = self._sender.earliest(job)
                await self._changes.set(job, JobState.PENDING)
                await self._wait_to_poll(job)
            outcome, attempt = await self._poll(job, job.req_id)
        # Each answer, what it means for the job and the job's new state are one save: a kill
        # never leaves an answer kept without its req_id or count.
        while isinstance(outcome, Pending):
            job.req_id = outcome.req_id
            # The countdown names the real poll: never sooner than CleverTap's spacing allows.
            job.next_poll_at = max(
                self.clock.now() + self.poll_interval, self._sender.earliest(job)
            )
            await self._changes.set(job, JobState.PENDING, attempt)
            await self._wait_to_poll(job)
            outcome, attempt = await self._poll(job, outcome.req_id)
        job.finished = self.clock.now()
        if not 0 <= outcome.count <= MAX_COUNT:
            job.error = f"the server answered an impossible count ({outcome.count})"
            await self._changes.set(job, JobState.FAILED, attempt)
            return
        job.count = outcome.count
        await self._changes.set(job, JobState.DONE, attempt)

    async def _wait_to_poll(self, job: Job) -> None:
        """Sleep until `next_poll_at`, which `poll_now` may bring forward (waking us)."""
        wake = self._wake.setdefault(job.id, asyncio.Event())
        while job.next_poll_at is not None:
            remaining = max(job.next_poll_at, self._sender.earliest(job)) - self.clock.now()
            if remaining <= 0:
                return
            wake.clear()
            sleeper = asyncio.ensure_future(self.clock.sleep(remaining))
            woken = asyncio.ensure_future(wake.wait())
            try:
                await asyncio.wait({sleeper, woken}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeper.cancel()
                woken.cancel()
            if woken.done() and not woken.cancelled():
                # Brought forward: show the new countdown before waiting out what is left of it.
                await self._changes.set(job, JobState.PENDING)

    async def _poll(self, job: Job, req_id: str) -> tuple[Outcome, Attempt]:
        job.next_poll_at = None
        client = job.client
        assert client is not None
        answered = await self._sender.send(
            job, "poll", self.gate(client), lambda: client.poll(req_id)
        )
        job.polls += 1
        return answered
