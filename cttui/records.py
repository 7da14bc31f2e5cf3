"""What a job is, apart from how it runs or where it is kept: its states, where it runs, the
requests it made, a favourite's counts, and which actions apply to it in which state.

No I/O here: the journal stores these records, the job manager drives them, and both faces
ask `applies` which of a job's actions to offer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from cttui.api.models import Query

# SQLite's INTEGER: a count beyond it cannot be kept, nor be real.
MAX_COUNT = 2**63 - 1


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

    @property
    def resubmittable(self) -> bool:
        return self in (JobState.FAILED, JobState.CANCELLED, JobState.INTERRUPTED)

    @property
    def cancellable(self) -> bool:
        # An interrupted job has nothing running to stop: it waits for the user to resubmit.
        return not self.finished and self is not JobState.INTERRUPTED


@dataclass(frozen=True)
class Origin:
    """Where a job runs: enough to reconnect after a restart, and never the passcode."""

    account_id: str
    base_url: str
    profile: str | None = None

    @property
    def label(self) -> str:
        return self.profile or self.account_id


@dataclass(frozen=True)
class Attempt:
    """One request of a job: when it went (epoch seconds), what it was, what came back."""

    at: float
    kind: str
    answer: str
    http_status: int | None = None
    seconds: float = 0.0
    # A POST of a query the server had already accepted once: a second request, never hidden.
    resubmission: bool = False


@dataclass(eq=False)
class JobRecord:
    """What the journal keeps of a job. Times are epoch seconds."""

    id: int
    origin: Origin
    query: Query | None
    state: JobState = JobState.QUEUED
    req_id: str | None = None
    count: int | None = None
    error: str | None = None
    http_status: int | None = None
    polls: int = 0
    retries: int = 0
    created: float = 0.0
    # When the job last changed on disk: for an interrupted job, the last moment it was alive.
    updated: float = 0.0
    finished: float | None = None
    next_poll_at: float | None = None
    last_request_at: float | None = None
    attempts: list[Attempt] = field(default_factory=list)
    # The favourite it ran for: its count joins that favourite's history.
    favorite: str | None = None


@dataclass(eq=False)
class ListedJob(JobRecord):
    """A job as a listing shows it: its record, and whether another live cttui runs it
    (`elsewhere`). The job runner's Job (jobs.py) is one that may also run here; `cttui jobs`
    reads ListedJobs, without loading the runner (and asyncio)."""

    elsewhere: bool = False

    @property
    def runs(self) -> bool:
        """Whether some process runs the job: for a listing, only another cttui can."""
        return self.elsewhere

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
        if not self.runs or self.state is not JobState.PENDING or self.next_poll_at is None:
            return None
        return max(0.0, self.next_poll_at - now)


@dataclass(frozen=True)
class FavoriteRun:
    """One count in a favourite's history. It outlives its job: removing a job from the list
    keeps the count. `query_key` is what it counted (store/favorites.query_key); None for a
    count an older cttui kept whose job is gone."""

    job_id: int
    at: float
    count: int
    start: date
    end: date
    query_key: str | None = None


class JobAction(StrEnum):
    """What a person can do with one job, in the app or on the command line."""

    DETAILS = "details"
    POLL_NOW = "poll_now"
    CANCEL = "cancel"
    RESUBMIT = "resubmit"
    COPY_COUNT = "copy_count"
    COPY_CURL = "copy_curl"
    LOAD = "load"
    REMOVE = "remove"


def applies(action: JobAction, record: JobRecord, *, elsewhere: bool) -> bool:
    """Whether `action` makes sense for `record` as it stands. `elsewhere`: another live cttui
    process runs the job, so only that one may poll, cancel or forget it."""
    state = record.state
    if action is JobAction.POLL_NOW:
        return state in (JobState.PENDING, JobState.QUEUED) and not elsewhere
    if action is JobAction.CANCEL:
        return state.cancellable and not elsewhere
    if action is JobAction.RESUBMIT:
        return state.resubmittable and record.query is not None
    if action is JobAction.COPY_COUNT:
        return record.count is not None
    if action in (JobAction.COPY_CURL, JobAction.LOAD):
        return record.query is not None
    if action is JobAction.REMOVE:
        return not elsewhere
    return True


# A job whose answer is still to come: sending the same query again asks the server twice.
ON_ITS_WAY = (JobState.QUEUED, JobState.SENDING, JobState.PENDING)


def asks_again(
    record: JobRecord, account_id: str, base_url: str, query: Query, favorite: str | None = None
) -> bool:
    """Whether sending `query` to the account at `base_url` (or running `favorite`) would ask
    what `record`, still on its way, asks already: on any profile of the account, a favourite
    whatever dates it resolved to."""
    origin = record.origin
    return (
        record.state in ON_ITS_WAY
        and (origin.account_id, origin.base_url) == (account_id, base_url)
        and (record.query == query or (favorite is not None and record.favorite == favorite))
    )
