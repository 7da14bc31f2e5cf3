"""Running count queries to completion: submit, poll, retry, cancel.

A `JobManager` drives each job through its states in an asyncio task. Every request goes through
one gate per account (CleverTap allows 3 count requests in flight); pending jobs sleep outside the
gate between polls. Time and randomness are injected so that tests run on a fake clock.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from cttui.api.errors import ApiError, UnknownRequestError
from cttui.api.models import Query
from cttui.api.outcomes import Outcome, Pending

if TYPE_CHECKING:
    from cttui.api.client import CleverTapClient

DEFAULT_POLL_INTERVAL = 30.0
DEFAULT_MAX_IN_FLIGHT = 3


class JobState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


class Clock(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


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


@dataclass
class Job:
    """One query on its way to a count. Mutated only by its JobManager."""

    id: int
    client: CleverTapClient = field(repr=False)
    query: Query | None
    state: JobState = JobState.QUEUED
    req_id: str | None = None
    count: int | None = None
    error: str | None = None
    http_status: int | None = None
    polls: int = 0
    retries: int = 0
    next_poll_at: float | None = None


Listener = Callable[[Job], None]


class Gate:
    """At most `limit` requests in flight; counts what it lets through, for tests and the UI."""

    def __init__(self, limit: int) -> None:
        self._semaphore = asyncio.Semaphore(limit)
        self.in_flight = 0
        self.max_in_flight = 0

    async def __aenter__(self) -> None:
        await self._semaphore.acquire()
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    async def __aexit__(self, *_: object) -> None:
        self.in_flight -= 1
        self._semaphore.release()


class JobManager:
    def __init__(
        self,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.poll_interval = poll_interval
        self.max_in_flight = max_in_flight
        self.retry = retry or RetryPolicy()
        self.clock: Clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._gates: dict[tuple[str, str], Gate] = {}
        self._ids = itertools.count(1)
        self._listeners: list[Listener] = []
        self._tasks: dict[int, asyncio.Task[Job]] = {}
        self.jobs: list[Job] = []

    def subscribe(self, listener: Listener) -> None:
        """Call `listener` after every state change, in the order listeners subscribed.

        Subscribe the journal first so that a change is on disk before anything shows it.
        """
        self._listeners.append(listener)

    def gate(self, client: CleverTapClient) -> Gate:
        key = (client.base_url, client.account_id)
        if key not in self._gates:
            self._gates[key] = Gate(self.max_in_flight)
        return self._gates[key]

    def add(self, client: CleverTapClient, query: Query | None, req_id: str | None = None) -> Job:
        """A new job: a query to send, or (with `req_id`) one already pending to poll."""
        if query is None and req_id is None:
            raise ValueError("a job needs a query or a req_id")
        if query is not None:
            query.validate()
        job = Job(id=next(self._ids), client=client, query=query, req_id=req_id)
        self.jobs.append(job)
        self._changed(job)
        return job

    def start(self, job: Job) -> asyncio.Task[Job]:
        """Run `job` in a task of the running loop."""
        task = asyncio.get_running_loop().create_task(self.run(job), name=f"cttui-job-{job.id}")
        self._tasks[job.id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job.id, None))
        return task

    def cancel(self, job: Job) -> bool:
        """Stop a queued or pending job; False when it had nothing left to stop."""
        task = self._tasks.get(job.id)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    async def run(self, job: Job) -> Job:
        """Drive `job` to done or failed; a cancelled run leaves it cancelled and re-raises."""
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
            self._set(job, JobState.FAILED)
        except asyncio.CancelledError:
            self._set(job, JobState.CANCELLED)
            raise
        return job

    async def _drive(self, job: Job) -> None:
        if job.req_id is None:
            assert job.query is not None
            query, client = job.query, job.client
            outcome = await self._request(job, lambda: client.submit(query), JobState.SENDING)
        else:
            # A req_id from elsewhere (a command line, a restart) is asked about at once.
            outcome = await self._poll(job, job.req_id)
        while isinstance(outcome, Pending):
            job.req_id = outcome.req_id
            job.next_poll_at = self.clock.now() + self.poll_interval
            self._set(job, JobState.PENDING)
            await self.clock.sleep(self.poll_interval)
            outcome = await self._poll(job, outcome.req_id)
        job.count = outcome.count
        self._set(job, JobState.DONE)

    async def _poll(self, job: Job, req_id: str) -> Outcome:
        job.next_poll_at = None
        client = job.client
        outcome = await self._request(job, lambda: client.poll(req_id), JobState.PENDING)
        job.polls += 1
        return outcome

    async def _request(
        self, job: Job, call: Callable[[], Awaitable[Outcome]], sending_state: JobState
    ) -> Outcome:
        gate = self.gate(job.client)
        retry = 0
        while True:
            async with gate:
                if job.state is not sending_state:
                    self._set(job, sending_state)
                try:
                    return await call()
                except ApiError as error:
                    if not error.retryable or retry + 1 >= self.retry.attempts:
                        raise
                    job.error = error.message
                    job.http_status = error.http_status
            job.retries += 1
            self._changed(job)
            await self.clock.sleep(self.retry.delay(retry, self._rng))
            retry += 1

    def _set(self, job: Job, state: JobState) -> None:
        job.state = state
        if state in (JobState.DONE, JobState.PENDING):
            job.error = None
            job.http_status = None
        self._changed(job)

    def _changed(self, job: Job) -> None:
        for listener in self._listeners:
            listener(job)
