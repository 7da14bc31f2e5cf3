"""What a closing JobManager leaves on disk for the next process to pick up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from cttui.api.client import CleverTapClient, Credentials
from cttui.api.models import DateRange, Query
from cttui.jobs import Job, JobManager
from cttui.records import Attempt, JobRecord, JobState, Origin
from tests.fakeclock import FakeClock

QUERY = Query("Charged", DateRange.parse("2026-01-01", "2026-03-31"))


def _client(handler: Callable[[httpx.Request], Any]) -> CleverTapClient:
    credentials = Credentials("TEST-ACC-0001", "secret-passcode")
    transport = httpx.MockTransport(handler)
    return CleverTapClient(credentials, "http://127.0.0.1:1", transport=transport)


async def _started(manager: JobManager, client: CleverTapClient) -> Job:
    origin = Origin(client.account_id, client.base_url, "work")
    job = await manager.add(origin, client, QUERY)
    manager.start(job)
    return job


class LastSaved:
    def __init__(self) -> None:
        self.states: dict[int, JobState] = {}

    async def create(self, record: JobRecord) -> int:
        return len(self.states) + 1

    async def save(self, record: JobRecord, attempt: Attempt | None = None) -> None:
        self.states[record.id] = record.state

    async def remove(self, ids: object) -> None:
        return None


async def test_a_job_closed_while_waiting_to_resend_its_post_is_queued_not_sending() -> None:
    """Every POST of it was answered (429 here), so the next process may send it again; left
    as sending, it would read as cut off mid-POST (interrupted) and never run again."""

    def throttled(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, json={"status": "fail", "error": "Too many", "code": 429})

    clock = FakeClock()
    saved = LastSaved()
    manager = JobManager(clock=clock, recorder=saved)
    async with _client(throttled) as client:
        job = await _started(manager, client)
        await clock.run_until(lambda: job.retries == 1)
        await manager.close()
    assert saved.states[job.id] is JobState.QUEUED


class SlowToSave(LastSaved):
    """Saves that take a few turns of the loop, as the journal's thread does when it is busy
    with another job's write: a cancel that lands meanwhile loses the save."""

    async def save(self, record: JobRecord, attempt: Attempt | None = None) -> None:
        for _ in range(20):
            await asyncio.sleep(0)
        await super().save(record, attempt)


async def _closed_while_answering(
    tmp_path: Path, answer: Callable[[httpx.Request], httpx.Response], held: str
) -> tuple[Job, JobState]:
    """A manager on shared slots closes while a request of method `held` is in flight; the job
    in memory, and its state as last saved."""
    arrived = asyncio.Event()
    closing = asyncio.Event()

    async def server(request: httpx.Request) -> httpx.Response:
        if request.method == held:
            arrived.set()
            await closing.wait()
        return answer(request)

    clock = FakeClock()
    saved = SlowToSave()
    manager = JobManager(clock=clock, recorder=saved, slots=tmp_path / "slots")
    async with _client(server) as client:
        job = await _started(manager, client)
        await clock.run_until(arrived.is_set)
        closed = asyncio.ensure_future(manager.close())
        closing.set()
        await asyncio.wait_for(closed, 10)
    return job, saved.states[job.id]


async def test_an_answer_that_arrives_while_closing_is_saved_before_the_job_stops(
    tmp_path: Path,
) -> None:
    """A closing manager lets the requests in flight answer (shared slots); the answer must
    then reach the journal. Cut off mid-save, the count was lost: the next process polled again,
    and once the server had forgotten the req_id, POSTed a query the server had answered."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json={"status": "partial", "req_id": 7})
        return httpx.Response(200, json={"status": "success", "count": 42})

    job, saved = await _closed_while_answering(tmp_path, answer, "GET")
    assert (job.state, saved) == (JobState.DONE, JobState.DONE)


async def test_a_post_refused_while_closing_leaves_the_job_queued(tmp_path: Path) -> None:
    """The same cut, on the save that follows a 429: the job was left as sending, read as cut
    off mid-POST by the next process (interrupted), and never ran again."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, json={"status": "fail", "error": "Too many", "code": 429})

    _, saved = await _closed_while_answering(tmp_path, answer, "POST")
    assert saved is JobState.QUEUED
