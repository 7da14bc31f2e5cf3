"""One request of a job, sent through its account's gate and tried again with backoff while the
answer is worth it (429, 5xx, network); every attempt is kept in the job's history."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Generic

from cttui.api.errors import ApiError
from cttui.api.outcomes import Done, Outcome
from cttui.gate import Gate
from cttui.pacing import Clock, RetryPolicy, earliest_poll
from cttui.recording import Changes, RecordT
from cttui.records import Attempt, JobState


def _answer(outcome: Outcome) -> str:
    # The journal reads these words back to recover a job an older cttui left half-written.
    if isinstance(outcome, Done):
        return f"success: {outcome.count:,} profiles"
    return f"partial: req_id {outcome.req_id}"


class Sender(Generic[RecordT]):
    def __init__(
        self, changes: Changes[RecordT], clock: Clock, retry: RetryPolicy, rng: random.Random
    ) -> None:
        self._changes = changes
        self._clock = clock
        self._retry = retry
        self._rng = rng

    def earliest(self, job: RecordT) -> float:
        """The soonest `job`'s req_id may be polled again."""
        return earliest_poll(job.origin.base_url, job.last_request_at, self._clock.now())

    async def send(
        self, job: RecordT, kind: str, gate: Gate, call: Callable[[], Awaitable[Outcome]]
    ) -> tuple[Outcome, Attempt]:
        """The answer and the attempt that got it, for the caller to record with what the
        answer changes; a failed attempt is recorded here."""
        clock, changes = self._clock, self._changes
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
                delay = self.earliest(job) - clock.now()
                if delay > 0:
                    await clock.sleep(delay)
            async with gate:
                if job.state is not sending_state:
                    # On disk before the request leaves: a kill mid-POST is then known as such.
                    await changes.set(job, sending_state)
                started = job.last_request_at = clock.now()
                try:
                    outcome = await call()
                except ApiError as error:
                    status = f"HTTP {error.http_status}: " if error.http_status else ""
                    answer = f"{status}{error.message}"
                    failed = self._attempt(kind, started, answer, error.http_status, again)
                    job.attempts.append(failed)
                    await changes.record(job, failed)
                    if not error.retryable or retry + 1 >= self._retry.attempts:
                        raise
                    job.error = error.message
                    job.http_status = error.http_status
                else:
                    return outcome, self._attempt(kind, started, _answer(outcome), 200, again)
            job.retries += 1
            if kind == "submit":
                # The POST was answered, so none is in flight: a process that closes during the
                # pause leaves the job to be sent again, not cut off mid-POST (interrupted).
                await changes.set(job, JobState.QUEUED)
            else:
                await changes.changed(job)
            await clock.sleep(self._retry.delay(retry, self._rng))
            retry += 1

    def _attempt(
        self, kind: str, started: float, answer: str, status: int | None, again: bool
    ) -> Attempt:
        return Attempt(started, kind, answer, status, self._clock.now() - started, again)
