"""What a closing JobManager leaves on disk for the next process to pick up."""

from __future__ import annotations

import httpx

from cttui.api.client import CleverTapClient, Credentials
from cttui.api.models import DateRange, Query
from cttui.jobs import Attempt, JobManager, JobState, Origin
from cttui.store.journal import JobRecord
from tests.fakeclock import FakeClock

QUERY = Query("Charged", DateRange.parse("2026-01-01", "2026-03-31"))


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
    credentials = Credentials("TEST-ACC-0001", "secret-passcode")
    transport = httpx.MockTransport(throttled)
    async with CleverTapClient(credentials, "http://127.0.0.1:1", transport=transport) as client:
        origin = Origin(client.account_id, client.base_url, "work")
        job = await manager.add(origin, client, QUERY)
        manager.start(job)
        await clock.run_until(lambda: job.retries == 1)
        await manager.close()
    assert saved.states[job.id] is JobState.QUEUED
