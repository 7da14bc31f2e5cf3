"""Running count queries to completion: submit, poll, retry, cancel, resubmit, resume.

A `JobManager` drives each job through its states in an asyncio task. Every request goes through
one gate per account (CleverTap allows 3 count requests in flight); pending jobs sleep outside the
gate between polls. Every change is handed to the `Recorder` (the journal) and awaited before any
listener hears of it, so what a screen shows is already on disk. Time and randomness are injected
so that tests run on a fake clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cttui.api.errors import DEBUG_VARIABLE, ApiError, UnknownRequestError, unexpected
from cttui.api.models import Query
from cttui.api.outcomes import Done, Outcome, Pending
from cttui.api.regions import is_clevertap_host
from cttui.records import MAX_COUNT, Attempt, JobRecord, JobState, Origin
from cttui.store.slots import SlotFiles, SlotsUnavailableError

if TYPE_CHECKING:
    from cttui.api.client import CleverTapClient

__all__ = ["Job", "JobManager", "RetryPolicy"]

DEFAULT_POLL_INTERVAL = 30.0
DEFAULT_MAX_IN_FLIGHT = 3
# CleverTap's rule: a req_id is never polled sooner than this after the last request for it,
# whatever the interval, a "poll now" or a retry asks.
CLEVERTAP_MIN_SPACING = 30.0
# Seconds between tries for a slot another process holds: short enough not to leave a slot idle
# for long, long enough not to spin.
SLOT_PAUSE_MIN = 0.005
SLOT_PAUSE_MAX = 0.1
# Seconds a closing manager waits for requests in flight to answer before it cancels them.
DRAIN_LIMIT = 10.0


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch: times are kept in the journal and outlive the process."""

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class Recorder(Protocol):
    """Where jobs are kept: the journal, or nowhere (`MemoryRecorder`)."""

    async def create(self, record: JobRecord) -> int:
        """Keep a new job; returns its id."""

    async def save(self, record: JobRecord, attempt: Attempt | None = None) -> None: ...

    async def remove(self, ids: Sequence[int]) -> None: ...


class MemoryRecorder:
    def __init__(self) -> None:
        self._last_id = 0

    async def create(self, record: JobRecord) -> int:
        self._last_id += 1
        return self._last_id

    async def save(self, record: JobRecord, attempt: Attempt | None = None) -> None:
        return None

    async def remove(self, ids: Sequence[int]) -> None:
        return None


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, for answers worth trying again (429, 5xx, network).

    `attempts` bounds the tries of one request, the first included. The delay before retry n
    (from 0) is drawn from the upper half of min(cap, base * 2**n), so it always grows and
    never synchronises clients that failed together.
    """

    attempts: int = 6
    base: float = 2.0
    cap: float = 60.0

    def delay(self, retry: int, rng: random.Random) -> float:
        ceiling = min(self.cap, self.base * 2.0**retry)
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass(eq=False)
class Job(JobRecord):
    """One query on its way to a count. Mutated only by its JobManager.

    `client` is None for a job that cannot run here: loaded from the journal and not (yet)
    connected, or run by another cttui process (`elsewhere`).
    """

    client: CleverTapClient | None = field(default=None, repr=False)
    elsewhere: bool = False

    def elapsed(self, now: float) -> float:
        """Seconds from its start to its end, or to now; an interrupted job stopped counting
        when it was last known alive."""
        if self.finished is not None:
            end = self.finished
        elif self.state is JobState.INTERRUPTED:
            end = max(self.updated, self.last_request_at or 0.0)
        else:
            end = now
        return max(0.0, end - self.created)

    def countdown(self, now: float) -> float | None:
        """Seconds to the next poll, for a job waiting to poll in some process: a stored
        `next_poll_at` means nothing while no one runs the job."""
        runs = self.client is not None or self.elsewhere
        if not runs or self.state is not JobState.PENDING or self.next_poll_at is None:
            return None
        return max(0.0, self.next_poll_at - now)


Listener = Callable[[Job], None]


class Gate:
    """At most `limit` requests in flight: in this process, and with `slots` in every cttui
    process on the machine (CleverTap's limit is per account). Counts what it lets through in
    this process, for tests and the UI.

    The semaphore comes first, so that 500 jobs of one process wait on it rather than on the
    lock files. A process waiting for another's slot retries after short, jittered pauses: a
    non-blocking lock never stalls the event loop, and a cancelled wait leaves nothing behind.
    Slot files that cannot be used leave the limit to this process alone, said once through
    `on_warning`.

    A request abandoned mid-way still counts at the server until it answers, so a closing
    process lets those in flight finish (`shut`, then `drained`) before its slots go free.
    """

    def __init__(
        self,
        limit: int,
        slots: SlotFiles | None = None,
        on_warning: Callable[[str], None] | None = None,
    ) -> None:
        self._semaphore = asyncio.Semaphore(limit)
        self._slots = slots
        self._on_warning = on_warning
        # Descriptors of the slot files this process holds: any one of them frees a slot.
        self._held: list[int] = []
        self._shut = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self.in_flight = 0
        self.max_in_flight = 0

    @property
    def shared(self) -> bool:
        """Whether the limit is kept with other processes (through the slot files)."""
        return self._slots is not None

    async def __aenter__(self) -> None:
        await self._semaphore.acquire()
        try:
            await self._take_slot()
        except BaseException:
            self._semaphore.release()
            raise
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self._idle.clear()

    async def __aexit__(self, *_: object) -> None:
        self.in_flight -= 1
        if self._held:
            SlotFiles.give_back(self._held.pop())
        if not self.in_flight:
            self._idle.set()
        self._semaphore.release()

    def shut(self) -> None:
        """Let no new request through, for a manager that is closing."""
        self._shut.set()

    async def drained(self, limit: float) -> None:
        """Wait, at most `limit` seconds, until no request is in flight."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), limit)

    async def _take_slot(self) -> None:
        pause = SLOT_PAUSE_MIN
        while self._slots is not None:
            if self._shut.is_set():
                # Closing: nothing new leaves; the caller is about to be cancelled.
                await asyncio.get_running_loop().create_future()
            try:
                fd = self._slots.try_take()
            except SlotsUnavailableError as error:
                self._slots = None
                if self._on_warning is not None:
                    self._on_warning(
                        f"{error}; other cttui processes may add to this account's requests "
                        "in flight"
                    )
                return
            if fd is not None:
                self._held.append(fd)
                return
            await asyncio.sleep(pause * random.uniform(0.5, 1.0))
            pause = min(SLOT_PAUSE_MAX, pause * 1.5)


def _answer(outcome: Outcome) -> str:
    # The journal reads these words back to recover a job an older cttui left half-written.
    if isinstance(outcome, Done):
        return f"success: {outcome.count:,} profiles"
    return f"partial: req_id {outcome.req_id}"


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
        self._rng = rng or random.Random()
        self._gates: dict[tuple[str, str], Gate] = {}
        self._slots = slots
        self._on_warning = on_warning
        self._listeners: list[Listener] = []
        self._tasks: dict[int, asyncio.Task[Job]] = {}
        self._wake: dict[int, asyncio.Event] = {}
        # Jobs the user cancelled, as opposed to tasks stopped because the process is closing:
        # those stay pending in the journal and resume on the next start.
        self._cancelling: set[int] = set()
        self.jobs: list[Job] = []

    def subscribe(self, listener: Listener) -> None:
        """Call `listener` after every change has been recorded, in the order of subscribing."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def gate(self, client: CleverTapClient) -> Gate:
        key = (client.base_url, client.account_id)
        if key not in self._gates:
            files = None
            if self._slots is not None:
                files = SlotFiles(self._slots, *key, self.max_in_flight)
            self._gates[key] = Gate(self.max_in_flight, files, self._on_warning)
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
        self._tell(job)
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
            self._tell(job)
            if job.id in ours and job.state is not JobState.INTERRUPTED:
                adopted.append(job)
        return adopted

    async def hold(self, job: Job, reason: str) -> None:
        """A job that cannot run here for now keeps its state, and says why."""
        job.error = reason
        await self._changed(job)

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
            await self._set(job, JobState.CANCELLED)
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
        await self._set(job, JobState.QUEUED)
        return self.start(job)

    def poll_now(self, job: Job) -> float | None:
        """Poll a pending job as soon as allowed; returns the seconds until then, or None if
        it is not waiting to poll. On a CleverTap host that is never sooner than 30 s after the
        last request for it."""
        wake = self._wake.get(job.id)
        if wake is None or job.state is not JobState.PENDING or job.next_poll_at is None:
            return None
        now = self.clock.now()
        job.next_poll_at = max(now, self._earliest(job))
        wake.set()
        return job.next_poll_at - now

    async def remove(self, jobs: Sequence[Job]) -> None:
        """Forget jobs, here and in the journal; running ones are stopped first."""
        for job in jobs:
            await self._stop(job)
        await self.recorder.remove([job.id for job in jobs])
        gone = {job.id for job in jobs}
        self.jobs = [job for job in self.jobs if job.id not in gone]

    async def clear_finished(self) -> list[Job]:
        """Remove every done, failed and cancelled job; returns them."""
        finished = [job for job in self.jobs if job.state.finished]
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
            await self._set(job, JobState.FAILED)
        except asyncio.CancelledError:
            if job.id in self._cancelling:
                self._cancelling.discard(job.id)
                job.finished = self.clock.now()
                job.next_poll_at = None
                # Recording must finish even though this task is being cancelled.
                await asyncio.shield(self._set(job, JobState.CANCELLED))
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
            await self._set(job, JobState.FAILED)
        except Exception:
            # The recorder itself failed: the job still ends here, in memory.
            job.state = JobState.FAILED
            self._tell(job)

    def _earliest(self, job: Job) -> float:
        if job.last_request_at is None or not is_clevertap_host(job.origin.base_url):
            return self.clock.now()
        return job.last_request_at + CLEVERTAP_MIN_SPACING

    async def _drive(self, job: Job) -> None:
        if job.req_id is None:
            assert job.query is not None
            query, client = job.query, job.client
            assert client is not None
            outcome, attempt = await self._request(job, "submit", lambda: client.submit(query))
        else:
            # A req_id from a command line, or resumed from the journal, is asked about as soon
            # as allowed: at once, or on a CleverTap host 30 s after its last request.
            if job.last_request_at is not None:
                job.next_poll_at = self._earliest(job)
                await self._set(job, JobState.PENDING)
                await self._wait_to_poll(job)
            outcome, attempt = await self._poll(job, job.req_id)
        # Each answer, what it means for the job and the job's new state are one save: a kill
        # never leaves an answer kept without its req_id or count.
        while isinstance(outcome, Pending):
            job.req_id = outcome.req_id
            # The countdown names the real poll: never sooner than CleverTap's spacing allows.
            job.next_poll_at = max(self.clock.now() + self.poll_interval, self._earliest(job))
            await self._set(job, JobState.PENDING, attempt)
            await self._wait_to_poll(job)
            outcome, attempt = await self._poll(job, outcome.req_id)
        job.finished = self.clock.now()
        if not 0 <= outcome.count <= MAX_COUNT:
            job.error = f"the server answered an impossible count ({outcome.count})"
            await self._set(job, JobState.FAILED, attempt)
            return
        job.count = outcome.count
        await self._set(job, JobState.DONE, attempt)

    async def _wait_to_poll(self, job: Job) -> None:
        """Sleep until `next_poll_at`, which `poll_now` may bring forward (waking us)."""
        wake = self._wake.setdefault(job.id, asyncio.Event())
        while job.next_poll_at is not None:
            remaining = max(job.next_poll_at, self._earliest(job)) - self.clock.now()
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
                await self._set(job, JobState.PENDING)

    async def _poll(self, job: Job, req_id: str) -> tuple[Outcome, Attempt]:
        job.next_poll_at = None
        client = job.client
        assert client is not None
        answered = await self._request(job, "poll", lambda: client.poll(req_id))
        job.polls += 1
        return answered

    async def _request(
        self, job: Job, kind: str, call: Callable[[], Awaitable[Outcome]]
    ) -> tuple[Outcome, Attempt]:
        """The answer and the attempt that got it, for the caller to record with what the
        answer changes; a failed attempt is recorded here."""
        assert job.client is not None
        gate = self.gate(job.client)
        sending_state = JobState.SENDING if kind == "submit" else JobState.PENDING
        # A POST of a query the server had accepted before (it forgot the req_id, or the user
        # sent the job again): a second request for one count, kept visible as such.
        again = kind == "submit" and any(
            earlier.kind == "submit" and earlier.answer.startswith(("partial: ", "success: "))
            for earlier in job.attempts
        )
        retry = 0
        while True:
            if kind == "poll":
                # A retried poll keeps CleverTap's spacing too.
                delay = self._earliest(job) - self.clock.now()
                if delay > 0:
                    await self.clock.sleep(delay)
            async with gate:
                if job.state is not sending_state:
                    # On disk before the request leaves: a kill mid-POST is then known as such.
                    await self._set(job, sending_state)
                started = job.last_request_at = self.clock.now()
                try:
                    outcome = await call()
                except ApiError as error:
                    status = f"HTTP {error.http_status}: " if error.http_status else ""
                    answer = f"{status}{error.message}"
                    failed = self._attempt(kind, started, answer, error.http_status, again)
                    job.attempts.append(failed)
                    await self._record(job, failed)
                    if not error.retryable or retry + 1 >= self.retry.attempts:
                        raise
                    job.error = error.message
                    job.http_status = error.http_status
                else:
                    return outcome, self._attempt(kind, started, _answer(outcome), 200, again)
            job.retries += 1
            if kind == "submit":
                # The POST was answered, so none is in flight: a process that closes during the
                # pause leaves the job to be sent again, not cut off mid-POST (interrupted).
                await self._set(job, JobState.QUEUED)
            else:
                await self._changed(job)
            await self.clock.sleep(self.retry.delay(retry, self._rng))
            retry += 1

    def _attempt(
        self, kind: str, started: float, answer: str, status: int | None, again: bool
    ) -> Attempt:
        return Attempt(started, kind, answer, status, self.clock.now() - started, again)

    async def _set(self, job: Job, state: JobState, attempt: Attempt | None = None) -> None:
        job.state = state
        if state in (JobState.DONE, JobState.PENDING):
            job.error = None
            job.http_status = None
        if attempt is not None:
            job.attempts.append(attempt)
        await self._changed(job, attempt)

    async def _changed(self, job: Job, attempt: Attempt | None = None) -> None:
        job.updated = self.clock.now()
        await self._record(job, attempt)
        self._tell(job)

    async def _record(self, job: Job, attempt: Attempt | None) -> None:
        """Save `job`; a cancel (the manager closing) waits for the save to end, then stops it.

        Cut short, the answer to a request that left is lost: the next process asks again for
        a count the server gave, or POSTs again once the server has forgotten the req_id."""
        saving = asyncio.ensure_future(self.recorder.save(job, attempt))
        try:
            await asyncio.shield(saving)
        except asyncio.CancelledError:
            await asyncio.wait({saving})
            raise

    def _tell(self, job: Job) -> None:
        for listener in self._listeners:
            listener(job)
