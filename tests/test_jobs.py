"""The job runner on a fake clock: poll spacing, the gate of 3, backoff, cancellation."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx
import pytest

from cttui.api.client import CleverTapClient, Credentials
from cttui.api.errors import QueryError
from cttui.api.models import DateRange, PropertyFilter, Query
from cttui.jobs import Job, JobManager, JobState, RetryPolicy
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


@pytest.fixture
async def make() -> AsyncIterator[Callable[..., Setup]]:
    clients: list[CleverTapClient] = []

    def build(answer: Callable[[httpx.Request], Answer], latency: float = 0.0) -> Setup:
        clock = FakeClock()
        server = Server(clock, answer, latency)
        client = CleverTapClient(
            Credentials("TEST-ACC-0001", "secret-passcode"),
            "https://api.clevertap.com",
            transport=httpx.MockTransport(server.handle),
        )
        clients.append(client)
        manager = JobManager(clock=clock, rng=random.Random(7), retry=RetryPolicy(attempts=5))
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
    job = await finish(setup, setup.manager.add(setup.client, QUERY))
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
    job = await finish(setup, setup.manager.add(setup.client, QUERY))
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
    job = setup.manager.add(setup.client, QUERY)
    task = setup.manager.start(job)
    await setup.clock.run_until(lambda: job.state is JobState.PENDING and job.polls == 1)
    assert job.next_poll_at == setup.clock.now() + 30.0
    await setup.clock.run_until(task.done)
    assert job.next_poll_at is None


async def test_known_req_id_is_polled_at_once_without_a_post(make: Callable[..., Setup]) -> None:
    setup = make(lambda _: success(9))
    job = await finish(setup, setup.manager.add(setup.client, None, req_id="555"))
    assert (job.state, job.count, job.polls) == (JobState.DONE, 9, 1)
    assert setup.server.log == [(1_000.0, "GET", "555")]


async def test_gate_keeps_at_most_three_requests_in_flight(make: Callable[..., Setup]) -> None:
    setup = make(after_polls(2), latency=5.0)
    jobs = [setup.manager.add(setup.client, QUERY) for _ in range(10)]
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
        jobs = [setup.manager.add(client, QUERY) for client in [setup.client, other] * 4]
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
    job = await finish(setup, setup.manager.add(setup.client, QUERY))
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
    job = await finish(setup, setup.manager.add(setup.client, QUERY))
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
    job = await finish(setup, setup.manager.add(setup.client, QUERY))
    assert (job.state, job.count, job.retries) == (JobState.DONE, 3, 2)


async def test_bad_credentials_fail_at_once_without_retry(make: Callable[..., Setup]) -> None:
    setup = make(lambda _: (401, {"status": "fail", "error": "Invalid Credentials", "code": 401}))
    job = await finish(setup, setup.manager.add(setup.client, QUERY))
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
    job = await finish(setup, setup.manager.add(setup.client, QUERY))
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
    job = await finish(setup, setup.manager.add(setup.client, QUERY))
    assert (job.state, job.count) == (JobState.DONE, 8)
    assert setup.server.posts == 2


async def test_forgotten_req_id_without_a_query_fails_saying_to_send_again(
    make: Callable[..., Setup],
) -> None:
    setup = make(lambda _: (200, {"status": "fail", "error": "Invalid req_id: 1", "code": 400}))
    job = await finish(setup, setup.manager.add(setup.client, None, req_id="1"))
    assert job.state is JobState.FAILED
    assert "send the query again" in (job.error or "")


async def test_cancel_stops_a_pending_job_and_sends_nothing_more(
    make: Callable[..., Setup],
) -> None:
    setup = make(lambda request: partial())
    job = setup.manager.add(setup.client, QUERY)
    task = setup.manager.start(job)
    await setup.clock.run_until(lambda: job.polls == 2)
    sent = len(setup.server.log)
    assert setup.manager.cancel(job)
    await setup.clock.run_until(task.done)
    assert job.state is JobState.CANCELLED
    assert task.cancelled()
    assert len(setup.server.log) == sent
    assert not setup.manager.cancel(job)


async def test_cancel_a_queued_job_waiting_for_the_gate(make: Callable[..., Setup]) -> None:
    setup = make(lambda _: success(), latency=10.0)
    jobs = [setup.manager.add(setup.client, QUERY) for _ in range(4)]
    tasks = [setup.manager.start(job) for job in jobs]
    await setup.clock.run_until(lambda: setup.server.in_flight == 3)
    assert jobs[3].state is JobState.QUEUED
    setup.manager.cancel(jobs[3])
    await setup.clock.run_until(lambda: all(task.done() for task in tasks))
    assert [job.state for job in jobs] == [JobState.DONE] * 3 + [JobState.CANCELLED]
    assert setup.server.posts == 3


async def test_invalid_query_is_refused_before_it_becomes_a_job(
    make: Callable[..., Setup],
) -> None:
    setup = make(lambda _: success())
    bad = Query("", DateRange.parse("2020-01-02", "2020-01-01"))
    with pytest.raises(QueryError, match="event name is empty"):
        setup.manager.add(setup.client, bad)
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
    await finish(setup, setup.manager.add(setup.client, QUERY))
    assert seen == [
        ("queued", 0),
        ("sending", 0),
        ("pending", 0),
        ("pending", 1),
        ("done", 2),
    ]


async def test_real_clock_runs_a_short_poll(make: Callable[..., Setup]) -> None:
    # The default clock drives real asyncio sleeps; a tiny interval keeps this fast.
    setup = make(after_polls(1))
    manager = JobManager(poll_interval=0.01)
    job = manager.add(setup.client, QUERY)
    await asyncio.wait_for(manager.run(job), timeout=10)
    assert (job.state, job.count) == (JobState.DONE, 7138)
