"""The job runner on a fake clock: poll spacing, the gate of 3, backoff, cancellation."""

from __future__ import annotations

import asyncio
import itertools
import random
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from cttui.api.client import CleverTapClient, Credentials
from cttui.api.errors import QueryError
from cttui.api.models import DateRange, PropertyFilter, Query
from cttui.jobs import Job, JobManager
from cttui.pacing import RetryPolicy
from cttui.recording import Recorder
from cttui.records import Attempt, JobRecord, JobState, Origin
from tests.fakeclock import FakeClock

QUERY = Query(
    "choseNewFavoriteFood",
    DateRange.parse("2015-08-10", "2015-10-25"),
    (PropertyFilter.from_text("value", "contains", "piz"),),
)
Answer = tuple[int, dict[str, object]]


@dataclass
class Server:
    """Scripted answers over an in-memory transport; each request may take virtual time."""

    clock: FakeClock
    answer: Callable[[httpx.Request], Answer]
    latency: float = 0.0
    log: list[tuple[float, str, str]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.log.append((self.clock.now(), request.method, request.url.params.get("req_id", "")))
        try:
            if self.latency:
                await self.clock.sleep(self.latency)
            status, body = self.answer(request)
            return httpx.Response(status, json=body)
        finally:
            self.in_flight -= 1

    @property
    def posts(self) -> int:
        return sum(method == "POST" for _, method, _ in self.log)


@dataclass
class Setup:
    clock: FakeClock
    manager: JobManager
    client: CleverTapClient
    server: Server
    changes: list[tuple[int, JobState]]

    async def add(
        self, query: Query | None, req_id: str | None = None, client: CleverTapClient | None = None
    ) -> Job:
        client = client or self.client
        origin = Origin(client.account_id, client.base_url, "work")
        return await self.manager.add(origin, client, query, req_id)


@pytest.fixture
async def make() -> AsyncIterator[Callable[..., Setup]]:
    clients: list[CleverTapClient] = []

    def build(
        answer: Callable[[httpx.Request], Answer],
        latency: float = 0.0,
        base_url: str = "https://api.clevertap.com",
        recorder: Recorder | None = None,
    ) -> Setup:
        clock = FakeClock()
        server = Server(clock, answer, latency)
        client = CleverTapClient(
            Credentials("TEST-ACC-0001", "secret-passcode"),
            base_url,
            transport=httpx.MockTransport(server.handle),
        )
        clients.append(client)
        manager = JobManager(
            clock=clock, rng=random.Random(7), retry=RetryPolicy(attempts=5), recorder=recorder
        )
        changes: list[tuple[int, JobState]] = []
        manager.subscribe(lambda job: changes.append((job.id, job.state)))
        return Setup(clock, manager, client, server, changes)

    yield build
    for client in clients:
        await client.aclose()


def success(count: int = 42) -> Answer:
    return 200, {"status": "success", "count": count}


def partial(req_id: int = 384649162721759) -> Answer:
    return 200, {"status": "partial", "req_id": req_id}


def after_polls(polls: int, count: int = 7138) -> Callable[[httpx.Request], Answer]:
    """Partial on the POST and the first `polls` - 1 polls, then the count."""
    seen = {"polls": 0}

    def answer(request: httpx.Request) -> Answer:
        if request.method == "POST":
            return partial()
        seen["polls"] += 1
        return success(count) if seen["polls"] >= polls else partial()

    return answer


async def finish(setup: Setup, job: Job) -> Job:
    task = setup.manager.start(job)
    await setup.clock.run_until(task.done)
    return task.result()


async def test_immediate_success_sends_one_post_and_never_sleeps(
    make: Callable[..., Setup],
) -> None:
    setup = make(lambda _: success(42))
    job = await finish(setup, await setup.add(QUERY))
    assert (job.state, job.count, job.polls) == (JobState.DONE, 42, 0)
    assert [method for _, method, _ in setup.server.log] == ["POST"]
    assert setup.clock.slept == []
    assert [state for _, state in setup.changes] == [
        JobState.QUEUED,
        JobState.SENDING,
        JobState.DONE,
    ]


async def test_pending_job_polls_the_same_req_id_exactly_the_interval_apart(
    make: Callable[..., Setup],
) -> None:
    setup = make(after_polls(4))
    job = await finish(setup, await setup.add(QUERY))
    assert (job.state, job.count, job.polls, job.req_id) == (
        JobState.DONE,
        7138,
        4,
        "384649162721759",
    )
    times = [at for at, _, _ in setup.server.log]
    assert [b - a for a, b in itertools.pairwise(times)] == [30.0] * 4
    assert [req for _, method, req in setup.server.log if method == "GET"] == [
        "384649162721759"
    ] * 4
    assert setup.server.posts == 1


async def test_countdown_names_the_next_poll(make: Callable[..., Setup]) -> None:
    setup = make(after_polls(2))
    job = await setup.add(QUERY)
    task = setup.manager.start(job)
    await setup.clock.run_until(lambda: job.state is JobState.PENDING and job.polls == 1)
    assert job.next_poll_at == setup.clock.now() + 30.0
    await setup.clock.run_until(task.done)
    assert job.next_poll_at is None


async def test_known_req_id_is_polled_at_once_without_a_post(make: Callable[..., Setup]) -> None:
    setup = make(lambda _: success(9))
    job = await finish(setup, await setup.add(None, req_id="555"))
    assert (job.state, job.count, job.polls) == (JobState.DONE, 9, 1)
    assert setup.server.log == [(1_000.0, "GET", "555")]


async def test_gate_keeps_at_most_three_requests_in_flight(make: Callable[..., Setup]) -> None:
    setup = make(after_polls(2), latency=5.0)
    jobs = [await setup.add(QUERY) for _ in range(10)]
    tasks = [setup.manager.start(job) for job in jobs]
    await setup.clock.run_until(lambda: all(task.done() for task in tasks))
    assert all(job.state is JobState.DONE for job in jobs)
    assert setup.server.max_in_flight == 3
    assert setup.manager.gate(setup.client).max_in_flight == 3
    assert setup.server.posts == 10


async def test_gate_is_shared_per_account_not_per_job_manager_call(
    make: Callable[..., Setup],
) -> None:
    setup = make(lambda _: success(), latency=1.0)
    other = CleverTapClient(
        Credentials("OTHER-ACC-01", "x"),
        "https://api.clevertap.com",
        transport=httpx.MockTransport(setup.server.handle),
    )
    try:
        jobs = [await setup.add(QUERY, client=client) for client in [setup.client, other] * 4]
        tasks = [setup.manager.start(job) for job in jobs]
        await setup.clock.run_until(lambda: all(task.done() for task in tasks))
    finally:
        await other.aclose()
    # Two accounts, three slots each: six requests may be in flight together.
    assert setup.server.max_in_flight == 6
    assert setup.manager.gate(setup.client).max_in_flight == 3
    assert setup.manager.gate(other).max_in_flight == 3


async def test_server_errors_back_off_with_growing_jittered_delays(
    make: Callable[..., Setup],
) -> None:
    answers = iter([(503, {"status": "fail", "error": "busy", "code": 503})] * 3 + [success(5)])
    setup = make(lambda _: next(answers))
    job = await finish(setup, await setup.add(QUERY))
    assert (job.state, job.count, job.retries, job.error) == (JobState.DONE, 5, 3, None)
    assert len(setup.clock.slept) == 3
    for retry, delay in enumerate(setup.clock.slept):
        ceiling = min(60.0, 2.0 * 2**retry)
        assert ceiling / 2 <= delay <= ceiling
    assert setup.clock.slept == sorted(setup.clock.slept)


@pytest.mark.parametrize(
    "answer",
    [
        (429, {"status": "fail", "error": "Too many concurrent requests", "code": 429}),
        (200, {"status": "fail", "error": "throttled", "code": 1}),
        (502, {"status": "fail", "error": "bad gateway"}),
    ],
)
async def test_retries_are_bounded_then_the_job_fails_with_the_reason(
    make: Callable[..., Setup], answer: Answer
) -> None:
    setup = make(lambda _: answer)
    job = await finish(setup, await setup.add(QUERY))
    assert job.state is JobState.FAILED
    assert setup.server.posts == 5
    assert job.retries == 4
    assert job.error
    assert job.http_status == answer[0]


async def test_network_errors_are_retried(make: Callable[..., Setup]) -> None:
    failures = iter([True, True])

    def answer(_: httpx.Request) -> Answer:
        if next(failures, False):
            raise httpx.ConnectError("refused")
        return success(3)

    setup = make(answer)
    job = await finish(setup, await setup.add(QUERY))
    assert (job.state, job.count, job.retries) == (JobState.DONE, 3, 2)


async def test_bad_credentials_fail_at_once_without_retry(make: Callable[..., Setup]) -> None:
    setup = make(lambda _: (401, {"status": "fail", "error": "Invalid Credentials", "code": 401}))
    job = await finish(setup, await setup.add(QUERY))
    assert job.state is JobState.FAILED
    assert job.http_status == 401
    assert "region" in (job.error or "")
    assert setup.server.posts == 1
    assert setup.clock.slept == []


async def test_failed_poll_ends_the_job_with_the_servers_message(
    make: Callable[..., Setup],
) -> None:
    def answer(request: httpx.Request) -> Answer:
        if request.method == "POST":
            return partial()
        return 200, {"status": "fail", "error": '["Query too complex"]', "code": 400}

    setup = make(answer)
    job = await finish(setup, await setup.add(QUERY))
    assert job.state is JobState.FAILED
    assert "Query too complex" in (job.error or "")
    assert job.polls == 0


async def test_forgotten_req_id_resubmits_the_query_once(make: Callable[..., Setup]) -> None:
    posts = iter([partial(111), success(8)])

    def answer(request: httpx.Request) -> Answer:
        if request.method == "POST":
            return next(posts)
        return 200, {"status": "fail", "error": "Invalid req_id: 111", "code": 400}

    setup = make(answer)
    job = await finish(setup, await setup.add(QUERY))
    assert (job.state, job.count) == (JobState.DONE, 8)
    assert setup.server.posts == 2


async def test_forgotten_req_id_without_a_query_fails_saying_to_send_again(
    make: Callable[..., Setup],
) -> None:
    setup = make(lambda _: (200, {"status": "fail", "error": "Invalid req_id: 1", "code": 400}))
    job = await finish(setup, await setup.add(None, req_id="1"))
    assert job.state is JobState.FAILED
    assert "send the query again" in (job.error or "")


async def test_cancel_stops_a_pending_job_and_sends_nothing_more(
    make: Callable[..., Setup],
) -> None:
    setup = make(lambda request: partial())
    job = await setup.add(QUERY)
    task = setup.manager.start(job)
    await setup.clock.run_until(lambda: job.polls == 2)
    sent = len(setup.server.log)
    assert await setup.manager.cancel(job)
    await setup.clock.run_until(task.done)
    assert job.state is JobState.CANCELLED
    assert task.cancelled()
    assert len(setup.server.log) == sent
    assert not await setup.manager.cancel(job)


async def test_cancel_a_queued_job_waiting_for_the_gate(make: Callable[..., Setup]) -> None:
    setup = make(lambda _: success(), latency=10.0)
    jobs = [await setup.add(QUERY) for _ in range(4)]
    tasks = [setup.manager.start(job) for job in jobs]
    await setup.clock.run_until(lambda: setup.server.in_flight == 3)
    assert jobs[3].state is JobState.QUEUED
    await setup.manager.cancel(jobs[3])
    await setup.clock.run_until(lambda: all(task.done() for task in tasks))
    assert [job.state for job in jobs] == [JobState.DONE] * 3 + [JobState.CANCELLED]
    assert setup.server.posts == 3


async def test_invalid_query_is_refused_before_it_becomes_a_job(
    make: Callable[..., Setup],
) -> None:
    setup = make(lambda _: success())
    bad = Query("", DateRange.parse("2020-01-02", "2020-01-01"))
    with pytest.raises(QueryError, match="event name is empty"):
        await setup.add(bad)
    assert setup.manager.jobs == []
    assert setup.changes == []


def test_manager_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError, match="poll_interval"):
        JobManager(poll_interval=0)
    with pytest.raises(ValueError, match="max_in_flight"):
        JobManager(max_in_flight=0)


async def test_listeners_see_every_state_change_in_order(make: Callable[..., Setup]) -> None:
    setup = make(after_polls(2))
    seen: list[tuple[str, int]] = []
    setup.manager.subscribe(lambda job: seen.append((job.state.value, job.polls)))
    await finish(setup, await setup.add(QUERY))
    assert seen == [
        ("queued", 0),
        ("sending", 0),
        ("pending", 0),
        ("pending", 1),
        ("done", 2),
    ]


async def test_real_clock_runs_a_short_poll(make: Callable[..., Setup]) -> None:
    # The default clock drives real asyncio sleeps; a tiny interval (allowed off CleverTap's
    # hosts) keeps this fast.
    setup = make(after_polls(1), base_url="http://127.0.0.1:8787")
    manager = JobManager(poll_interval=0.01)
    job = await manager.add(Origin("TEST-ACC-0001", setup.client.base_url), setup.client, QUERY)
    await asyncio.wait_for(manager.run(job), timeout=60)
    assert (job.state, job.count) == (JobState.DONE, 7138)


# --- Helpers for the tests below -----------------------------------------------------------------


def per_request(polls: int) -> Callable[[httpx.Request], Answer]:
    """Each POST gets its own req_id (1, 2, ...); each req_id answers partial until its
    `polls`-th poll, then a count equal to the req_id."""
    ids = itertools.count(1)
    seen: dict[str, int] = {}

    def answer(request: httpx.Request) -> Answer:
        if request.method == "POST":
            return partial(next(ids))
        req_id = request.url.params["req_id"]
        seen[req_id] = seen.get(req_id, 0) + 1
        return success(int(req_id)) if seen[req_id] >= polls else partial(int(req_id))

    return answer


def server_error(message: str = "busy") -> Answer:
    return 503, {"status": "fail", "error": message, "code": 503}


Snapshot = tuple[
    JobState, str | None, int | None, str | None, int, int, float | None, float | None, int
]


def snapshot(record: JobRecord) -> Snapshot:
    """What a recorder keeps of a job, to compare with what a listener sees."""
    return (
        record.state,
        record.req_id,
        record.count,
        record.error,
        record.polls,
        record.retries,
        record.next_poll_at,
        record.finished,
        len(record.attempts),
    )


@dataclass
class FakeRecorder:
    """A Recorder that remembers everything, and yields to the loop before it has kept it."""

    first_id: int = 100
    created: list[int] = field(default_factory=list)
    saved: list[tuple[int, Snapshot, Attempt | None]] = field(default_factory=list)
    removed: list[list[int]] = field(default_factory=list)
    latest: dict[int, Snapshot] = field(default_factory=dict)

    async def create(self, record: JobRecord) -> int:
        await asyncio.sleep(0)
        job_id = self.first_id + len(self.created) + 1
        self.created.append(job_id)
        self.latest[job_id] = snapshot(record)
        return job_id

    async def save(self, record: JobRecord, attempt: Attempt | None = None) -> None:
        await asyncio.sleep(0)
        self.saved.append((record.id, snapshot(record), attempt))
        self.latest[record.id] = snapshot(record)

    async def remove(self, ids: Sequence[int]) -> None:
        await asyncio.sleep(0)
        self.removed.append(list(ids))

    def states(self, job_id: int) -> list[JobState]:
        """The states saved for a job, without repeats in a row."""
        states = [state for saved_id, (state, *_), _ in self.saved if saved_id == job_id]
        return [state for state, _ in itertools.groupby(states)]


async def tick(clock: FakeClock, seconds: float) -> None:
    """Let `seconds` of virtual time pass (every task runs whatever falls due meanwhile)."""
    waiter = asyncio.ensure_future(clock.sleep(seconds))
    await clock.run_until(waiter.done)


def send_times(server: Server, method: str | None = None) -> list[float]:
    return [at for at, sent, _ in server.log if method is None or sent == method]


def state_of(job: Job) -> JobState:
    """The job's state now (a call, so that type checkers do not narrow it across awaits)."""
    return job.state


def record_for(setup: Setup, job_id: int, **fields: object) -> JobRecord:
    origin = Origin(setup.client.account_id, setup.client.base_url, "work")
    record = JobRecord(id=job_id, origin=origin, query=QUERY)
    for name, value in fields.items():
        setattr(record, name, value)
    return record


LOCAL = "http://127.0.0.1:8787"


# --- Countdown and elapsed time -------------------------------------------------------------------


async def test_countdown_starts_at_the_interval_and_shrinks_as_time_passes(
    make: Callable[..., Setup],
) -> None:
    setup = make(after_polls(2), latency=2.0)
    job = await setup.add(QUERY)
    created = setup.clock.now()
    assert job.countdown(created) is None  # queued: no poll planned
    task = setup.manager.start(job)
    await setup.clock.run_until(lambda: job.state is JobState.PENDING)
    answered = setup.clock.now()
    assert answered == created + 2.0  # the POST took its latency
    assert job.countdown(answered) == 30.0
    await tick(setup.clock, 12.5)
    assert job.countdown(setup.clock.now()) == 17.5
    assert job.elapsed(setup.clock.now()) == 14.5
    await tick(setup.clock, 10.0)
    assert job.countdown(setup.clock.now()) == 7.5
    assert job.elapsed(setup.clock.now()) == 24.5
    # Never negative, whatever time is asked about.
    assert job.countdown(setup.clock.now() + 1_000) == 0.0
    await setup.clock.run_until(task.done)
    assert job.state is JobState.DONE
    assert job.countdown(setup.clock.now()) is None
    assert job.finished == created + 2.0 + 30.0 + 2.0 + 30.0 + 2.0
    # Elapsed stops at `finished`, however late it is asked.
    assert job.elapsed(setup.clock.now()) == 66.0
    assert job.elapsed(setup.clock.now() + 3_600) == 66.0


async def test_countdown_is_none_while_a_poll_is_in_flight(make: Callable[..., Setup]) -> None:
    setup = make(after_polls(2), latency=5.0)
    job = await finish_until(setup, lambda job: job.polls == 0 and setup.server.in_flight == 0)
    await setup.clock.run_until(lambda: setup.server.in_flight == 1 and len(setup.server.log) == 2)
    assert job.state is JobState.PENDING
    assert job.countdown(setup.clock.now()) is None
    assert setup.manager.poll_now(job) is None


async def finish_until(setup: Setup, condition: Callable[[Job], bool]) -> Job:
    """Add and start a job, and run until it is pending and `condition` holds."""
    job = await setup.add(QUERY)
    setup.manager.start(job)
    await setup.clock.run_until(
        lambda: job.state is JobState.PENDING and job.next_poll_at is not None and condition(job)
    )
    return job


# --- Poll now -------------------------------------------------------------------------------------


async def test_poll_now_off_clevertap_polls_at_once(make: Callable[..., Setup]) -> None:
    setup = make(after_polls(3), base_url=LOCAL)
    job = await finish_until(setup, lambda _: True)
    await tick(setup.clock, 4.0)
    asked = setup.clock.now()
    assert job.countdown(asked) == 26.0
    assert setup.manager.poll_now(job) == 0.0
    assert job.countdown(asked) == 0.0
    await setup.clock.run_until(lambda: job.polls == 1)
    assert send_times(setup.server) == [1_000.0, asked]
    # The poll after it keeps the normal interval from then.
    await setup.clock.run_until(lambda: job.state is JobState.DONE)
    assert send_times(setup.server) == [1_000.0, asked, asked + 30.0, asked + 60.0]


async def test_poll_now_on_clevertap_waits_for_thirty_seconds_after_the_last_request(
    make: Callable[..., Setup],
) -> None:
    setup = make(after_polls(3))
    job = await finish_until(setup, lambda job: job.polls == 1)
    polled = setup.clock.now()
    assert send_times(setup.server) == [1_000.0, 1_030.0]
    # Right after a poll: the next one cannot come sooner than 30 s after it.
    assert setup.manager.poll_now(job) == 30.0
    assert job.countdown(polled) == 30.0
    await tick(setup.clock, 29.0)
    assert len(setup.server.log) == 2
    await setup.clock.run_until(lambda: job.polls == 2)
    assert send_times(setup.server)[-1] == polled + 30.0
    await setup.clock.run_until(lambda: job.state is JobState.DONE)
    times = send_times(setup.server)
    assert all(b - a >= 30.0 for a, b in itertools.pairwise(times))


async def test_poll_now_brings_a_long_interval_forward_to_the_clevertap_minimum(
    make: Callable[..., Setup],
) -> None:
    setup = make(after_polls(2))
    setup.manager.poll_interval = 120.0
    job = await finish_until(setup, lambda _: True)
    assert job.countdown(setup.clock.now()) == 120.0
    await tick(setup.clock, 10.0)
    assert setup.manager.poll_now(job) == 20.0
    assert job.countdown(setup.clock.now()) == 20.0
    await setup.clock.run_until(lambda: job.polls == 1)
    assert send_times(setup.server, "GET") == [1_030.0]
    # A second "poll now" long after the last request is at once.
    await tick(setup.clock, 45.0)
    assert setup.manager.poll_now(job) == 0.0
    await setup.clock.run_until(lambda: job.state is JobState.DONE)
    assert send_times(setup.server, "GET") == [1_030.0, 1_075.0]


async def test_countdown_on_clevertap_names_the_real_poll_when_the_interval_is_shorter(
    make: Callable[..., Setup],
) -> None:
    # The TUI takes its interval from $CTTUI_POLL_INTERVAL without knowing the host, so a
    # CleverTap job may run under an interval below 30 s: the poll still waits 30 s after the
    # last request, and the countdown has to count to then.
    setup = make(after_polls(2))
    setup.manager.poll_interval = 10.0
    job = await finish_until(setup, lambda _: True)
    answered = setup.clock.now()
    assert job.countdown(answered) == 30.0
    await tick(setup.clock, 10.0)
    assert job.polls == 0  # not polled at the interval
    assert job.countdown(setup.clock.now()) == 20.0
    await setup.clock.run_until(lambda: job.polls == 1)
    assert send_times(setup.server, "GET") == [answered + 30.0]


async def test_poll_now_is_none_for_a_job_that_is_not_waiting_to_poll(
    make: Callable[..., Setup],
) -> None:
    setup = make(lambda _: success(1), latency=3.0)
    job = await setup.add(QUERY)
    assert setup.manager.poll_now(job) is None  # queued, never started
    task = setup.manager.start(job)
    await setup.clock.run_until(lambda: setup.server.in_flight == 1)
    assert state_of(job) is JobState.SENDING
    assert setup.manager.poll_now(job) is None
    await setup.clock.run_until(task.done)
    assert state_of(job) is JobState.DONE
    assert setup.manager.poll_now(job) is None
    assert len(setup.server.log) == 1


# --- CleverTap's spacing on retries ---------------------------------------------------------------


def poll_fails_once() -> Callable[[httpx.Request], Answer]:
    gets = iter([server_error(), success(11)])

    def answer(request: httpx.Request) -> Answer:
        return partial() if request.method == "POST" else next(gets)

    return answer


async def test_retried_poll_on_clevertap_keeps_thirty_seconds_from_the_last_request(
    make: Callable[..., Setup],
) -> None:
    setup = make(poll_fails_once())
    job = await finish(setup, await setup.add(QUERY))
    assert (job.state, job.count, job.retries, job.polls) == (JobState.DONE, 11, 1, 1)
    assert send_times(setup.server) == [1_000.0, 1_030.0, 1_060.0]
    assert [method for _, method, _ in setup.server.log] == ["POST", "GET", "GET"]


async def test_retried_poll_off_clevertap_only_waits_for_the_backoff(
    make: Callable[..., Setup],
) -> None:
    setup = make(poll_fails_once(), base_url=LOCAL)
    job = await finish(setup, await setup.add(QUERY))
    assert (job.state, job.count, job.retries) == (JobState.DONE, 11, 1)
    first_poll, retry = send_times(setup.server, "GET")
    assert first_poll == 1_030.0
    assert 1.0 <= retry - first_poll <= 2.0  # RetryPolicy's first delay, no more


async def test_retried_poll_on_clevertap_with_latency_counts_from_when_the_request_left(
    make: Callable[..., Setup],
) -> None:
    gets = iter([server_error(), server_error(), success(3)])

    def answer(request: httpx.Request) -> Answer:
        return partial() if request.method == "POST" else next(gets)

    setup = make(answer, latency=4.0)
    job = await finish(setup, await setup.add(QUERY))
    assert (job.state, job.retries) == (JobState.DONE, 2)
    times = send_times(setup.server, "GET")
    assert times == [1_034.0, 1_064.0, 1_094.0]
    assert [attempt.at for attempt in job.attempts if attempt.kind == "poll"] == times


# --- The gate under load --------------------------------------------------------------------------


async def test_gate_holds_three_in_flight_across_many_submitting_and_polling_jobs(
    make: Callable[..., Setup],
) -> None:
    setup = make(per_request(3), latency=7.0)
    # Half are new queries, half known req_ids polled at once: POSTs and GETs compete.
    submitted = [await setup.add(QUERY) for _ in range(6)]
    known = [await setup.add(None, req_id=str(1_000 + n)) for n in range(6)]
    jobs = submitted + known
    tasks = [setup.manager.start(job) for job in jobs]
    peak_while_polling = 0

    def settled() -> bool:
        nonlocal peak_while_polling
        if any(job.polls for job in jobs):
            peak_while_polling = max(peak_while_polling, setup.server.in_flight)
        return all(task.done() for task in tasks)

    await setup.clock.run_until(settled)
    assert [job.state for job in jobs] == [JobState.DONE] * 12
    assert setup.server.max_in_flight == 3
    assert peak_while_polling == 3
    assert setup.manager.gate(setup.client).max_in_flight == 3
    assert setup.manager.gate(setup.client).in_flight == 0
    assert setup.server.posts == 6
    assert sorted(job.count or 0 for job in submitted) == [1, 2, 3, 4, 5, 6]
    assert [job.count for job in known] == [1_000 + n for n in range(6)]
    # Each req_id is still polled 30 s apart or more, however long it queued for the gate.
    for job in jobs:
        times = [at for at, method, req in setup.server.log if req == job.req_id]
        assert len(times) == 3
        assert all(b - a >= 30.0 for a, b in itertools.pairwise(times))


# --- Attempts -------------------------------------------------------------------------------------


async def test_every_request_is_kept_as_an_attempt_at_the_time_it_was_sent(
    make: Callable[..., Setup],
) -> None:
    posts = iter(["refuse", "fail", "partial"])
    gets = iter([partial(), success(7_138)])

    def answer(request: httpx.Request) -> Answer:
        if request.method == "GET":
            return next(gets)
        what = next(posts)
        if what == "refuse":
            raise httpx.ConnectError("refused")
        return server_error("overloaded") if what == "fail" else partial()

    setup = make(answer, latency=2.0)
    job = await finish(setup, await setup.add(QUERY))
    assert (job.state, job.count) == (JobState.DONE, 7_138)
    attempts = job.attempts
    assert [attempt.kind for attempt in attempts] == ["submit", "submit", "submit", "poll", "poll"]
    assert [attempt.http_status for attempt in attempts] == [None, 503, 200, 200, 200]
    # Each at the virtual time it was sent: the server saw them then.
    assert [attempt.at for attempt in attempts] == send_times(setup.server)
    assert attempts[0].at == 1_000.0
    assert [attempt.seconds for attempt in attempts] == [2.0] * 5
    assert "cannot connect" in attempts[0].answer
    assert attempts[1].answer.startswith("HTTP 503: ")
    assert "overloaded" in attempts[1].answer
    assert attempts[2].answer == "partial: req_id 384649162721759"
    assert attempts[3].answer == "partial: req_id 384649162721759"
    assert attempts[4].answer == "success: 7,138 profiles"


# --- The recorder comes first ---------------------------------------------------------------------


async def test_listeners_hear_of_a_change_only_after_the_recorder_kept_it(
    make: Callable[..., Setup],
) -> None:
    recorder = FakeRecorder()
    ids = itertools.count(1)
    scripts: dict[str, list[Answer]] = {}

    def answer(request: httpx.Request) -> Answer:
        # Each job: a req_id, then a 503 (retried), a partial, and its count.
        if request.method == "POST":
            req_id = next(ids)
            scripts[str(req_id)] = [server_error(), partial(req_id), success(5)]
            return partial(req_id)
        return scripts[request.url.params["req_id"]].pop(0)

    setup = make(answer, latency=1.0, recorder=recorder)
    heard: list[Snapshot] = []
    unrecorded: list[tuple[int, Snapshot, Snapshot | None]] = []

    def listener(job: Job) -> None:
        heard.append(snapshot(job))
        kept = recorder.latest.get(job.id)
        if kept != snapshot(job):
            unrecorded.append((job.id, snapshot(job), kept))

    setup.manager.subscribe(listener)
    first = await setup.add(QUERY)
    second = await setup.add(QUERY)
    assert (first.id, second.id) == (101, 102)
    assert recorder.created == [101, 102]
    tasks = [setup.manager.start(first), setup.manager.start(second)]
    await setup.clock.run_until(lambda: all(task.done() for task in tasks))
    assert first.state is JobState.DONE
    assert unrecorded == []
    assert [state for state, *_ in heard].count(JobState.DONE) == 2
    assert recorder.states(first.id) == [
        JobState.SENDING,
        JobState.PENDING,
        JobState.DONE,
    ]
    # Every attempt went to the recorder with the save that kept it.
    kept = [attempt for job_id, _, attempt in recorder.saved if job_id == first.id and attempt]
    assert kept == first.attempts
    assert len(kept) == 4


async def test_cancel_records_cancelled_before_telling(make: Callable[..., Setup]) -> None:
    recorder = FakeRecorder()
    setup = make(lambda _: partial(), recorder=recorder)
    job = await finish_until(setup, lambda job: job.polls == 1)
    told: list[tuple[JobState, Snapshot | None]] = []
    setup.manager.subscribe(lambda job: told.append((job.state, recorder.latest.get(job.id))))
    assert await setup.manager.cancel(job)
    assert job.state is JobState.CANCELLED
    assert job.finished == setup.clock.now()
    assert job.next_poll_at is None
    assert recorder.states(job.id)[-1] is JobState.CANCELLED
    assert told == [(JobState.CANCELLED, snapshot(job))]
    assert not setup.manager.running(job)


async def test_close_stops_a_pending_job_without_recording_anything(
    make: Callable[..., Setup],
) -> None:
    recorder = FakeRecorder()
    setup = make(lambda _: partial(), recorder=recorder)
    job = await finish_until(setup, lambda job: job.polls == 1)
    [task] = [t for t in asyncio.all_tasks() if t.get_name() == f"cttui-job-{job.id}"]
    saves = len(recorder.saved)
    changes = len(setup.changes)
    sent = len(setup.server.log)
    await setup.manager.close()
    assert task.cancelled()
    assert not setup.manager.running(job)
    assert len(recorder.saved) == saves
    assert len(setup.changes) == changes
    assert recorder.saved[-1][1][0] is JobState.PENDING
    assert JobState.CANCELLED not in recorder.states(job.id)
    assert job.state is JobState.PENDING
    assert job.finished is None
    # Nothing more is sent, however long the loop runs on.
    waiter = asyncio.ensure_future(setup.clock.sleep(600))
    await setup.clock.run_until(waiter.done)
    assert len(setup.server.log) == sent


async def test_closed_job_resumes_in_a_new_manager_with_its_req_id(
    make: Callable[..., Setup],
) -> None:
    setup = make(after_polls(2))
    job = await finish_until(setup, lambda job: job.polls == 1)
    await setup.manager.close()
    await tick(setup.clock, 5.0)
    # A restart: the record as the journal would hand it back.
    record = JobRecord(**{name: getattr(job, name) for name in JobRecord.__dataclass_fields__})
    manager = JobManager(clock=setup.clock, rng=random.Random(1))
    [resumed] = manager.adopt([record], {record.id})
    resumed.client = setup.client
    task = manager.start(resumed)
    await setup.clock.run_until(task.done)
    assert (resumed.state, resumed.count, resumed.req_id) == (
        JobState.DONE,
        7138,
        "384649162721759",
    )
    assert setup.server.posts == 1
    assert send_times(setup.server, "GET") == [1_030.0, 1_060.0]


# --- Resubmit -------------------------------------------------------------------------------------


async def test_resubmit_runs_a_failed_job_again_as_the_same_job(
    make: Callable[..., Setup],
) -> None:
    recorder = FakeRecorder()
    broken = {"poll": True}

    def answer(request: httpx.Request) -> Answer:
        if request.method == "POST":
            return partial(111) if broken["poll"] else success(99)
        return 200, {"status": "fail", "error": '["Query too complex"]', "code": 400}

    setup = make(answer, recorder=recorder)
    job = await finish(setup, await setup.add(QUERY))
    assert job.state is JobState.FAILED
    assert (job.req_id, job.http_status) == ("111", 200)
    assert "Query too complex" in (job.error or "")
    job_id, earlier = job.id, list(job.attempts)
    assert len(earlier) == 2
    broken["poll"] = False
    task = await setup.manager.resubmit(job, setup.client)
    assert state_of(job) is JobState.QUEUED
    assert (job.req_id, job.count, job.error, job.http_status, job.finished) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert (job.polls, job.retries) == (0, 0)
    assert recorder.latest[job_id] == snapshot(job)  # QUEUED was recorded
    await setup.clock.run_until(task.done)
    assert (job.id, job.state, job.count, job.error) == (job_id, JobState.DONE, 99, None)
    assert setup.server.posts == 2  # sent again, not the old req_id polled
    assert job.attempts[:2] == earlier
    assert [attempt.kind for attempt in job.attempts] == ["submit", "poll", "submit"]
    assert [state for changed, state in setup.changes if changed == job_id][-4:] == [
        JobState.FAILED,
        JobState.QUEUED,
        JobState.SENDING,
        JobState.DONE,
    ]
    assert setup.manager.jobs == [job]
    with pytest.raises(ValueError, match="cannot be resubmitted"):
        await setup.manager.resubmit(job, setup.client)


async def test_resubmit_refuses_a_pending_job(make: Callable[..., Setup]) -> None:
    setup = make(lambda _: partial())
    job = await finish_until(setup, lambda _: True)
    with pytest.raises(ValueError, match="cannot be resubmitted"):
        await setup.manager.resubmit(job, setup.client)
    assert job.state is JobState.PENDING
    await setup.manager.close()


# --- Resume from the journal ----------------------------------------------------------------------


async def test_adopted_pending_job_polls_thirty_seconds_after_its_last_request(
    make: Callable[..., Setup],
) -> None:
    recorder = FakeRecorder()
    setup = make(lambda _: success(77), recorder=recorder)
    now = setup.clock.now()
    record = record_for(
        setup,
        7,
        state=JobState.PENDING,
        req_id="555",
        polls=1,
        created=now - 100,
        last_request_at=now - 10,
        next_poll_at=now + 20,
    )
    [job] = setup.manager.adopt([record], {7})
    assert setup.manager.jobs == [job]
    assert (job.id, job.state, job.elsewhere) == (7, JobState.PENDING, False)
    assert setup.changes == [(7, JobState.PENDING)]
    with pytest.raises(ValueError, match="no client"):
        setup.manager.start(job)
    job.client = setup.client
    task = setup.manager.start(job)
    await setup.clock.run_until(lambda: job.next_poll_at is not None and recorder.saved != [])
    assert job.countdown(setup.clock.now()) == 20.0
    await setup.clock.run_until(task.done)
    assert setup.server.log == [(now + 20, "GET", "555")]
    assert (job.state, job.count, job.req_id, job.polls) == (JobState.DONE, 77, "555", 2)
    assert recorder.created == []  # the same job, not a new one


async def test_adopted_job_off_clevertap_is_polled_at_once(
    make: Callable[..., Setup],
) -> None:
    setup = make(lambda _: success(1), base_url=LOCAL)
    now = setup.clock.now()
    record = record_for(setup, 3, state=JobState.PENDING, req_id="9", last_request_at=now - 5)
    [job] = setup.manager.adopt([record], {3})
    job.client = setup.client
    await setup.clock.run_until(setup.manager.start(job).done)
    assert setup.server.log == [(now, "GET", "9")]
    assert job.state is JobState.DONE


async def test_adopted_job_whose_last_request_is_long_past_is_polled_at_once(
    make: Callable[..., Setup],
) -> None:
    setup = make(lambda _: success(1))
    now = setup.clock.now()
    record = record_for(setup, 3, state=JobState.PENDING, req_id="9", last_request_at=now - 300)
    [job] = setup.manager.adopt([record], {3})
    job.client = setup.client
    await setup.clock.run_until(setup.manager.start(job).done)
    assert setup.server.log == [(now, "GET", "9")]


async def test_adopt_runs_only_this_processes_resumable_jobs(make: Callable[..., Setup]) -> None:
    setup = make(lambda _: success())
    records = [
        record_for(setup, 1, state=JobState.PENDING, req_id="1"),
        record_for(setup, 2, state=JobState.PENDING, req_id="2"),
        record_for(setup, 3, state=JobState.INTERRUPTED),
        record_for(setup, 4, state=JobState.DONE, count=5, finished=990.0),
        record_for(setup, 5, state=JobState.QUEUED),
        record_for(setup, 6, state=JobState.SENDING),
    ]
    ours = {1, 3, 5}
    adopted = setup.manager.adopt(records, ours)
    assert [job.id for job in adopted] == [1, 5]
    assert [job.id for job in setup.manager.jobs] == [1, 2, 3, 4, 5, 6]
    elsewhere = {job.id: job.elsewhere for job in setup.manager.jobs}
    assert elsewhere == {1: False, 2: True, 3: False, 4: False, 5: False, 6: True}
    assert [job_id for job_id, _ in setup.changes] == [1, 2, 3, 4, 5, 6]
    # Another process's job is not this one's to cancel; ours, not started, is.
    other = setup.manager.find(2)
    assert other is not None
    assert not await setup.manager.cancel(other)
    assert other.state is JobState.PENDING
    interrupted = setup.manager.find(3)
    assert interrupted is not None
    assert not interrupted.state.cancellable
    assert not await setup.manager.cancel(interrupted)
    assert await setup.manager.cancel(adopted[1])
    assert adopted[1].state is JobState.CANCELLED
    assert setup.server.log == []


# --- Remove and clear -----------------------------------------------------------------------------


async def test_remove_and_clear_finished_forget_jobs_here_and_in_the_recorder(
    make: Callable[..., Setup],
) -> None:
    recorder = FakeRecorder()

    def answer(request: httpx.Request) -> Answer:
        body = request.content.decode()
        if request.method == "GET":
            return partial()
        if "fail-me" in body:
            return 401, {"status": "fail", "error": "Invalid Credentials", "code": 401}
        return success(4) if "done-me" in body else partial()

    setup = make(answer, recorder=recorder)

    def query(name: str) -> Query:
        return Query(name, QUERY.date_range)

    done = await finish(setup, await setup.add(query("done-me")))
    failed = await finish(setup, await setup.add(query("fail-me")))
    pending = await setup.add(query("wait-me"))
    setup.manager.start(pending)
    await setup.clock.run_until(lambda: pending.polls == 1)
    cancelled = await setup.add(query("wait-me"))
    assert await setup.manager.cancel(cancelled)
    assert setup.manager.adopt([record_for(setup, 500, state=JobState.INTERRUPTED)], {500}) == []
    interrupted = setup.manager.jobs[-1]
    assert [job.state for job in setup.manager.jobs] == [
        JobState.DONE,
        JobState.FAILED,
        JobState.PENDING,
        JobState.CANCELLED,
        JobState.INTERRUPTED,
    ]
    cleared = await setup.manager.clear_finished()
    assert cleared == [done, failed, cancelled]
    assert recorder.removed == [[done.id, failed.id, cancelled.id]]
    assert setup.manager.jobs == [pending, interrupted]
    assert setup.manager.running(pending)
    sent = len(setup.server.log)
    await setup.manager.remove([pending])
    assert recorder.removed[-1] == [pending.id]
    assert setup.manager.jobs == [interrupted]
    assert not setup.manager.running(pending)
    assert setup.manager.find(pending.id) is None
    waiter = asyncio.ensure_future(setup.clock.sleep(300))
    await setup.clock.run_until(waiter.done)
    assert len(setup.server.log) == sent
    assert await setup.manager.clear_finished() == []
    assert setup.manager.jobs == [interrupted]


async def test_adopt_takes_the_journals_word_for_which_jobs_run_elsewhere(
    make: Callable[..., Setup],
) -> None:
    setup = make(lambda _: success())
    records = [
        record_for(setup, 1, state=JobState.PENDING, req_id="1"),
        record_for(setup, 2, state=JobState.PENDING, req_id="2"),
        record_for(setup, 3, state=JobState.SENDING),
    ]
    # Job 2's owner died and this process did not claim it (no credentials): not elsewhere.
    adopted = setup.manager.adopt(records, {1}, elsewhere={3})
    assert [job.id for job in adopted] == [1]
    assert {job.id: job.elsewhere for job in setup.manager.jobs} == {1: False, 2: False, 3: True}


async def test_hold_records_the_reason_before_telling(make: Callable[..., Setup]) -> None:
    recorder = FakeRecorder()
    setup = make(lambda _: success(3), recorder=recorder)
    [job] = setup.manager.adopt([record_for(setup, 9, state=JobState.PENDING, req_id="4")], {9})
    told: list[tuple[JobState, str | None, bool]] = []
    setup.manager.subscribe(
        lambda job: told.append(
            (job.state, job.error, recorder.latest.get(job.id) == snapshot(job))
        )
    )
    await setup.manager.hold(job, "no passcode for profile work")
    assert told == [(JobState.PENDING, "no passcode for profile work", True)]
    # Once it can run, the reason goes.
    job.client = setup.client
    await setup.clock.run_until(setup.manager.start(job).done)
    assert (job.state, job.error, job.count) == (JobState.DONE, None, 3)


# --- One transaction for an answer, a second POST shown as one, counts the journal can hold -------


async def test_the_answer_its_req_id_and_the_new_state_are_recorded_in_one_save(
    make: Callable[..., Setup],
) -> None:
    """A kill between two saves would leave the answer on disk and the job still `sending`."""
    recorder = FakeRecorder()
    setup = make(after_polls(1, count=5), recorder=recorder)
    job = await finish(setup, await setup.add(QUERY))
    assert job.state is JobState.DONE
    with_attempt = [(kept, attempt) for _, kept, attempt in recorder.saved if attempt]
    assert [(kept[0], kept[1], kept[2], attempt.answer) for kept, attempt in with_attempt] == [
        (JobState.PENDING, "384649162721759", None, "partial: req_id 384649162721759"),
        (JobState.DONE, "384649162721759", 5, "success: 5 profiles"),
    ]


async def test_an_immediate_count_is_recorded_done_with_its_answer(
    make: Callable[..., Setup],
) -> None:
    recorder = FakeRecorder()
    setup = make(lambda _: success(42), recorder=recorder)
    await finish(setup, await setup.add(QUERY))
    [(kept, attempt)] = [(kept, attempt) for _, kept, attempt in recorder.saved if attempt]
    assert (kept[0], kept[2], attempt.answer) == (JobState.DONE, 42, "success: 42 profiles")


async def test_a_forgotten_req_id_is_resubmitted_as_a_second_post_on_record(
    make: Callable[..., Setup],
) -> None:
    posts = iter([partial(111), success(8)])

    def answer(request: httpx.Request) -> Answer:
        if request.method == "POST":
            return next(posts)
        return 200, {"status": "fail", "error": "Invalid req_id: 111", "code": 400}

    recorder = FakeRecorder()
    setup = make(answer, recorder=recorder)
    job = await finish(setup, await setup.add(QUERY))
    assert (job.state, job.count, setup.server.posts) == (JobState.DONE, 8, 2)
    submits = [attempt for attempt in job.attempts if attempt.kind == "submit"]
    assert [attempt.resubmission for attempt in submits] == [False, True]
    kept = [attempt for _, _, attempt in recorder.saved if attempt and attempt.kind == "submit"]
    assert kept == submits


async def test_a_count_too_large_for_the_journal_fails_the_job_with_the_reason(
    tmp_path: Path,
) -> None:
    from cttui.store.journal_writer import JournalWriter

    def answer(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "success", "count": 2**63})

    writer = JournalWriter(tmp_path / "journal.sqlite3")
    await writer.load()
    manager = JobManager(recorder=writer)
    async with CleverTapClient(
        Credentials("TEST-ACC-0001", "x"), LOCAL, transport=httpx.MockTransport(answer)
    ) as client:
        try:
            job = await manager.add(Origin(client.account_id, LOCAL), client, QUERY)
            await asyncio.wait_for(manager.run(job), timeout=60)
            assert writer.error is None
        finally:
            writer.close()
    assert job.state is JobState.FAILED
    assert job.count is None
    assert "count" in (job.error or "")
    connection = sqlite3.connect(tmp_path / "journal.sqlite3")
    try:
        assert connection.execute("SELECT state, count FROM jobs").fetchall() == [("failed", None)]
    finally:
        connection.close()


async def test_an_interrupted_jobs_elapsed_time_stops_when_it_was_last_known_alive() -> None:
    manager = JobManager()
    record = JobRecord(
        id=1,
        origin=Origin("TEST-ACC-0001", LOCAL),
        query=QUERY,
        state=JobState.INTERRUPTED,
        created=1_000.0,
        updated=1_012.0,
    )
    manager.adopt([record], set())
    [job] = manager.jobs
    assert job.elapsed(90_000.0) == 12.0


async def test_a_resubmission_is_marked_only_after_a_post_the_server_accepted(
    make: Callable[..., Setup],
) -> None:
    posts = iter([(200, {"status": "fail", "error": "Invalid event : X", "code": 400}), success(3)])
    setup = make(lambda request: next(posts) if request.method == "POST" else partial())
    refused = await finish(setup, await setup.add(QUERY))
    assert refused.state is JobState.FAILED
    await setup.clock.run_until((await setup.manager.resubmit(refused, setup.client)).done)
    assert [(a.kind, a.resubmission) for a in refused.attempts] == [
        ("submit", False),
        ("submit", False),
    ]

    setup = make(lambda _: partial())
    accepted = await finish_until(setup, lambda job: job.polls == 1)
    assert await setup.manager.cancel(accepted)
    task = await setup.manager.resubmit(accepted, setup.client)
    await setup.clock.run_until(lambda: len(accepted.attempts) == 3)
    assert [(a.kind, a.resubmission) for a in accepted.attempts] == [
        ("submit", False),
        ("poll", False),
        ("submit", True),
    ]
    await setup.manager.cancel(accepted)
    assert task.done()


async def test_a_bug_below_the_job_fails_it_with_one_line_instead_of_a_lost_task_exception(
    make: Callable[..., Setup], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CTTUI_DEBUG", raising=False)

    def answer(request: httpx.Request) -> Answer:
        raise RuntimeError("boom in a layer below")

    setup = make(answer)
    job = await finish(setup, await setup.add(QUERY))
    assert job.state is JobState.FAILED
    assert job.error is not None
    assert job.error.startswith("unexpected error (RuntimeError: boom in a layer below)")
    assert "\n" not in job.error
    assert job.finished is not None
    assert setup.changes[-1] == (job.id, JobState.FAILED)


class HeldRemoval(FakeRecorder):
    """A recorder whose removals wait until the test lets them go on."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def remove(self, ids: Sequence[int]) -> None:
        self.entered.set()
        await self.release.wait()
        await super().remove(ids)


async def test_a_clear_while_a_job_is_being_removed_leaves_that_job_to_the_removal(
    make: Callable[..., Setup],
) -> None:
    """`d` on a finished job, then `D` before the journal has answered: the clear does not count
    (or remove a second time) the job already on its way out."""
    recorder = HeldRemoval()
    setup = make(lambda request: success(), recorder=recorder)
    jobs = [await finish(setup, await setup.add(QUERY)) for _ in range(3)]
    removing = asyncio.ensure_future(setup.manager.remove([jobs[0]]))
    await recorder.entered.wait()
    clearing = asyncio.ensure_future(setup.manager.clear_finished())
    recorder.release.set()
    assert await clearing == jobs[1:]
    await removing
    assert setup.manager.jobs == []
    assert sorted(recorder.removed) == [[jobs[0].id], [jobs[1].id, jobs[2].id]]
