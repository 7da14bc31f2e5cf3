"""Where jobs are kept, and the rule that every change is kept before anyone hears of it: what a
screen shows is already on disk."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, Protocol, TypeVar

from cttui.pacing import Clock
from cttui.records import Attempt, JobRecord, JobState


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


RecordT = TypeVar("RecordT", bound=JobRecord)


class Changes(Generic[RecordT]):
    """Records each change of a job with `recorder`, then tells the listeners, in the order
    they subscribed."""

    def __init__(self, recorder: Recorder, clock: Clock) -> None:
        self.recorder = recorder
        self._clock = clock
        self._listeners: list[Callable[[RecordT], None]] = []

    def subscribe(self, listener: Callable[[RecordT], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[RecordT], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def set(self, job: RecordT, state: JobState, attempt: Attempt | None = None) -> None:
        job.state = state
        if state in (JobState.DONE, JobState.PENDING):
            job.error = None
            job.http_status = None
        if attempt is not None:
            job.attempts.append(attempt)
        await self.changed(job, attempt)

    async def changed(self, job: RecordT, attempt: Attempt | None = None) -> None:
        job.updated = self._clock.now()
        await self.record(job, attempt)
        self.tell(job)

    async def record(self, job: RecordT, attempt: Attempt | None) -> None:
        """Save `job`; a cancel (the manager closing) waits for the save to end, then stops it.

        Cut short, the answer to a request that left is lost: the next process asks again for
        a count the server gave, or POSTs again once the server has forgotten the req_id."""
        saving = asyncio.ensure_future(self.recorder.save(job, attempt))
        try:
            await asyncio.shield(saving)
        except asyncio.CancelledError:
            await asyncio.wait({saving})
            raise

    def tell(self, job: RecordT) -> None:
        for listener in self._listeners:
            listener(job)
