"""journal.sqlite3: every job and every request it made, so that nothing sent is lost to a closed
terminal, a crash or a kill.

A change is committed (synchronous=FULL) before anyone is told of it. The passcode is never
stored: a job keeps its account ID, host and profile name, and the passcode is looked up again
when it resumes. Several cttui processes may share the file; each unfinished job is run by one
owner at a time, and an owner is alive while it holds the lock on its file in `owners/` (the
kernel drops the lock when a process dies, even by SIGKILL).

`Journal` is synchronous and keeps its connection in the thread that opened it; `JournalWriter`
runs it on one thread of its own for asyncio code, and carries on in memory if the file fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from cttui.api.errors import CttuiError
from cttui.api.models import Query, date_from_int, date_to_int
from cttui.store.journal_files import (
    ATTEMPT_COLUMNS,
    JOB_COLUMNS,
    MEMORY_ONLY,
    RUN_COLUMNS,
    JournalError,
    Owners,
    Unreadable,
    cause_of,
    checked,
    damaged,
    private_directory,
    private_file,
    problem,
    regular_file,
)

__all__ = [
    "Attempt",
    "FavoriteRun",
    "JobRecord",
    "JobState",
    "Journal",
    "JournalError",
    "JournalWriter",
    "Origin",
    "Owners",
]

T = TypeVar("T")


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


@dataclass(frozen=True)
class FavoriteRun:
    """One count in a favourite's history. It outlives its job: removing a job from the list
    keeps the count."""

    job_id: int
    at: float
    count: int
    start: date
    end: date


def _run_of(record: JobRecord) -> tuple[str, FavoriteRun] | None:
    """The history entry a finished favourite job makes, if it is one."""
    if (
        record.favorite is None
        or record.state is not JobState.DONE
        or record.count is None
        or record.query is None
    ):
        return None
    dates = record.query.date_range
    at = record.finished if record.finished is not None else record.created
    return record.favorite, FavoriteRun(record.id, at, record.count, dates.start, dates.end)


SCHEMA_VERSION = 3
# MIGRATIONS[n] takes a journal from version n to n + 1, in one transaction.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created REAL NOT NULL,
        updated REAL NOT NULL,
        profile TEXT,
        account_id TEXT NOT NULL,
        base_url TEXT NOT NULL,
        body TEXT,
        state TEXT NOT NULL,
        req_id TEXT,
        count INTEGER,
        error TEXT,
        http_status INTEGER,
        polls INTEGER NOT NULL DEFAULT 0,
        retries INTEGER NOT NULL DEFAULT 0,
        finished REAL,
        next_poll REAL,
        last_request REAL,
        owner TEXT
    );
    CREATE TABLE attempts (
        job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        at REAL NOT NULL,
        kind TEXT NOT NULL,
        answer TEXT NOT NULL,
        http_status INTEGER,
        seconds REAL NOT NULL
    );
    CREATE INDEX attempts_by_job ON attempts (job_id);
    """,
    # Favourites: the job says which one it ran for, and each count it got is kept apart from
    # the job (job ids are never reused, so one row per job).
    """
    ALTER TABLE jobs ADD COLUMN favorite TEXT;
    CREATE TABLE favorite_counts (
        job_id INTEGER PRIMARY KEY,
        favorite TEXT NOT NULL,
        at REAL NOT NULL,
        count INTEGER NOT NULL,
        date_from INTEGER NOT NULL,
        date_to INTEGER NOT NULL
    );
    CREATE INDEX favorite_counts_by_name ON favorite_counts (favorite, at);
    """,
    # A second POST of one job's query is marked as such.
    """
    ALTER TABLE attempts ADD COLUMN resubmission INTEGER NOT NULL DEFAULT 0;
    """,
)


def _row(record: JobRecord) -> tuple[Any, ...]:
    return (
        record.state.value,
        record.req_id,
        record.count,
        record.error,
        record.http_status,
        record.polls,
        record.retries,
        record.finished,
        record.next_poll_at,
        record.last_request_at,
        record.updated,
    )


def _query(body: str | None) -> Query | None:
    if body is None:
        return None
    try:
        return Query.from_payload(json.loads(body))
    except (ValueError, TypeError, KeyError, AttributeError, CttuiError):
        # Only a hand-edited file gets here; the job keeps its req_id and outcome regardless.
        return None


_PARTIAL = re.compile(r"partial: req_id (\S+)")
_SUCCESS = re.compile(r"success: ([0-9,]+) profiles")
# SQLite's INTEGER: a count beyond it cannot be kept, nor be real.
MAX_COUNT = 2**63 - 1


def _recover(record: JobRecord) -> bool:
    """A job an older cttui left half-written: a request answered and the answer kept, but
    killed before what it meant was (a POST's req_id or count, the row still `sending` or since
    marked interrupted; a poll's count, the row still `pending`). Takes the answer back into the
    job; whether it did.

    The answer must be the job's last request: a resubmitted job clears `last_request_at`, so an
    old answer never stands in for a POST that may still be on its way."""
    if not record.attempts or record.count is not None:
        return False
    last = record.attempts[-1]
    if last.http_status != 200 or last.at != record.last_request_at:
        return False
    posted = last.kind == "submit" and record.req_id is None
    if posted and record.state in (JobState.SENDING, JobState.INTERRUPTED):
        if pending := _PARTIAL.fullmatch(last.answer):
            record.state, record.req_id = JobState.PENDING, pending.group(1)
            return True
    elif not (last.kind == "poll" and record.state is JobState.PENDING):
        return False
    done = _SUCCESS.fullmatch(last.answer)
    count = int(done.group(1).replace(",", "")) if done else None
    if count is None or count > MAX_COUNT:
        return False
    record.state, record.count = JobState.DONE, count
    record.finished = last.at + last.seconds
    record.next_poll_at = None
    return True


class Journal:
    """The SQLite file. Use from one thread: the one that opened it."""

    def __init__(
        self, path: Path, connection: sqlite3.Connection, owners: Owners, *, read_only: bool
    ) -> None:
        self.path = path
        self._db = connection
        self.owners = owners
        self.read_only = read_only

    @classmethod
    def open(cls, path: Path, *, busy_timeout: float = 5.0, read_only: bool = False) -> Journal:
        """Open or create the journal, migrating it forward.

        Nothing is written to a file that is not a cttui journal, or to one of a newer version.
        `read_only` writes nothing at all, so that jobs can be listed from a full or read-only
        directory (a journal of an older schema is migrated first all the same).
        """
        regular_file(path)
        if read_only:
            journal = cls._open_to_read(path, busy_timeout)
            if journal is not None:
                return journal
        try:
            private_directory(path.parent)
            private_file(path)
            connection = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise problem(path, error) from None
        try:
            cls._check_and_migrate(path, connection)
            for suffix in ("-wal", "-shm"):
                sibling = path.with_name(path.name + suffix)
                if sibling.exists():
                    private_file(sibling)
            owners = Owners(path.parent / "owners")
            owners.hold()
        except (OSError, sqlite3.Error) as error:
            connection.close()
            raise problem(path, error) from None
        except JournalError:
            connection.close()
            raise
        return cls(path, connection, owners, read_only=False)

    @classmethod
    def _open_to_read(cls, path: Path, busy_timeout: float) -> Journal | None:
        """The journal opened read-only, or None if it needs migrating first."""
        uri = path.absolute().as_uri()
        connection: sqlite3.Connection | None = None
        first: sqlite3.Error | None = None
        # WAL needs its -shm to read; where that cannot be made (a full or read-only directory,
        # and so no live writer), the file is read as it stands.
        for mode in ("?mode=ro", "?mode=ro&immutable=1"):
            try:
                connection = sqlite3.connect(
                    uri + mode, uri=True, timeout=busy_timeout, isolation_level=None
                )
                version = cls._check(path, connection)
                break
            except sqlite3.Error as error:
                if connection is not None:
                    connection.close()
                    connection = None
                first = first or error
                if cause_of(path.parent, error) is None:
                    break
            except JournalError:
                if connection is not None:
                    connection.close()
                raise
        if connection is None:
            assert first is not None
            raise problem(path, first) from None
        if version < SCHEMA_VERSION:
            connection.close()
            return None
        return cls(path, connection, Owners(path.parent / "owners"), read_only=True)

    @staticmethod
    def _check(path: Path, db: sqlite3.Connection) -> int:
        """The journal's schema version; a JournalError for a file that is not ours to use."""
        # Reads first: a file that is not a database fails here, before anything is written.
        version: int = db.execute("PRAGMA user_version").fetchone()[0]
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if version == 0 and tables:
            raise JournalError(
                f"{path} is an SQLite file but not a cttui job journal; move it aside and "
                f"restart cttui ({MEMORY_ONLY})"
            )
        if version > 0:
            names = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
            if not {"jobs", "attempts"} <= names:
                raise JournalError(
                    f"{path} is an SQLite file but not a cttui job journal; move it aside and "
                    f"restart cttui ({MEMORY_ONLY})"
                )
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"the job journal {path} was written by a newer cttui (schema {version}, this "
                f"one knows {SCHEMA_VERSION}); upgrade cttui ({MEMORY_ONLY} and the file is "
                "left as it is)"
            )
        return version

    @classmethod
    def _check_and_migrate(cls, path: Path, db: sqlite3.Connection) -> None:
        version = cls._check(path, db)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA foreign_keys = ON")
        while version < SCHEMA_VERSION:
            with _transaction(db):
                # Another process may have migrated it while this one waited for the lock.
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version < SCHEMA_VERSION:
                    for statement in MIGRATIONS[version].split(";"):
                        if statement.strip():
                            db.execute(statement)
                    version += 1
                    db.execute(f"PRAGMA user_version = {version}")

    def close(self) -> None:
        self._db.close()
        self.owners.release()

    def load(
        self, claim: Callable[[Origin], bool] | None = None
    ) -> tuple[list[JobRecord], set[int]]:
        """See `_load`; a locked or broken file is a JournalError naming it."""
        if claim is not None and self.read_only:
            raise ValueError("a journal opened read-only cannot claim jobs")
        try:
            return self._load(claim)
        except sqlite3.Error as error:
            raise problem(self.path, error) from None
        except Unreadable as error:
            raise damaged(self.path, str(error)) from None

    def _load(self, claim: Callable[[Origin], bool] | None) -> tuple[list[JobRecord], set[int]]:
        """Every job, oldest first, and the ids of the unfinished ones this process now runs.

        Unfinished jobs whose owner died, and whose origin `claim` accepts, are taken over; a job
        among them that died mid-POST is marked interrupted (its POST may or may not have
        reached the server, so only the user may send it again), unless its answer was kept
        (see `_recover`). With no `claim`, nothing is written and nothing is taken, and such a
        job is only reported so.
        """
        db = self._db
        me = self.owners.token
        with _transaction(db, write=claim is not None):
            rows = self._jobs()
            claimed: set[int] = set()
            alive: dict[str | None, bool] = {}
            for record, owner in rows:
                if owner not in alive:
                    alive[owner] = owner != me and self.owners.alive(owner)
                if record.state.finished or alive[owner]:
                    continue
                mine = owner == me or (claim is not None and claim(record.origin))
                recovered = _recover(record)
                if record.state is JobState.SENDING:
                    record.state = JobState.INTERRUPTED
                if not mine or claim is None:
                    continue
                self._take(record, recovered)
                if not record.state.finished:
                    claimed.add(record.id)
        return [record for record, _ in rows], claimed

    def _jobs(self) -> list[tuple[JobRecord, str | None]]:
        db = self._db
        attempts: dict[int, list[Attempt]] = {}
        for row in db.execute(
            "SELECT job_id, at, kind, answer, http_status, seconds, resubmission FROM attempts "
            "ORDER BY rowid"
        ):
            checked(row, ATTEMPT_COLUMNS, f"a request of job {row[0]!r}")
            job_id, at, kind, answer, status, seconds, again = row
            attempt = Attempt(at, kind, answer, status, seconds, bool(again))
            attempts.setdefault(job_id, []).append(attempt)
        jobs = []
        for row in db.execute(
            "SELECT id, created, updated, profile, account_id, base_url, body, state, req_id, "
            "count, error, http_status, polls, retries, finished, next_poll, last_request, "
            "favorite, owner FROM jobs ORDER BY id"
        ):
            where = f"job {row[0]!r}"
            checked(row, JOB_COLUMNS, where)
            if row[7] not in JobState._value2member_map_:
                raise Unreadable(f"{where}: state is {row[7]!r}")
            record = JobRecord(
                id=row[0],
                origin=Origin(row[4], row[5], row[3]),
                query=_query(row[6]),
                state=JobState(row[7]),
                req_id=row[8],
                count=row[9],
                error=row[10],
                http_status=row[11],
                polls=row[12],
                retries=row[13],
                created=row[1],
                updated=row[2],
                finished=row[14],
                next_poll_at=row[15],
                last_request_at=row[16],
                attempts=attempts.get(row[0], []),
                favorite=row[17],
            )
            jobs.append((record, row[18]))
        return jobs

    def _take(self, record: JobRecord, recovered: bool) -> None:
        """A dead owner's job is this process's now; its `updated` stays the last moment it was
        known alive."""
        self._db.execute(
            "UPDATE jobs SET owner = ?, state = ?, req_id = ?, count = ?, finished = ?, "
            "next_poll = ? WHERE id = ?",
            (
                self.owners.token,
                record.state.value,
                record.req_id,
                record.count,
                record.finished,
                record.next_poll_at,
                record.id,
            ),
        )
        run = _run_of(record) if recovered else None
        if run is not None:
            self._keep_run(*run)

    def elsewhere(self) -> set[int]:
        """The unfinished jobs another live cttui process is running."""
        try:
            rows = self._db.execute(
                "SELECT id, owner FROM jobs WHERE state NOT IN ('done', 'failed', 'cancelled') "
                "AND owner IS NOT NULL AND owner != ?",
                (self.owners.token,),
            ).fetchall()
        except sqlite3.Error as error:
            raise problem(self.path, error) from None
        return {job_id for job_id, owner in rows if self.owners.alive(owner)}

    def create(self, record: JobRecord) -> int:
        origin = record.origin
        body = record.query.to_json() if record.query is not None else None
        with _transaction(self._db):
            cursor = self._db.execute(
                "INSERT INTO jobs (created, profile, account_id, base_url, body, owner, "
                "favorite, state, req_id, count, error, http_status, polls, retries, finished, "
                "next_poll, last_request, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?, ?, ?, ?)",
                (
                    record.created,
                    origin.profile,
                    origin.account_id,
                    origin.base_url,
                    body,
                    self.owners.token,
                    record.favorite,
                    *_row(record),
                ),
            )
            job_id = cursor.lastrowid
        assert job_id is not None
        return job_id

    def save(
        self,
        job_id: int,
        row: tuple[Any, ...],
        attempt: Attempt | None,
        run: tuple[str, FavoriteRun] | None = None,
    ) -> None:
        """The job's new state, the request that led to it, and (for a favourite's job that
        has just counted) the count in the favourite's history, in one transaction."""
        with _transaction(self._db):
            self._db.execute(
                "UPDATE jobs SET state = ?, req_id = ?, count = ?, error = ?, http_status = ?, "
                "polls = ?, retries = ?, finished = ?, next_poll = ?, last_request = ?, "
                "updated = ?, owner = ? WHERE id = ?",
                (*row, self.owners.token, job_id),
            )
            if attempt is not None:
                self._db.execute(
                    "INSERT INTO attempts (job_id, at, kind, answer, http_status, seconds, "
                    "resubmission) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        job_id,
                        attempt.at,
                        attempt.kind,
                        attempt.answer,
                        attempt.http_status,
                        attempt.seconds,
                        int(attempt.resubmission),
                    ),
                )
            if run is not None:
                self._keep_run(*run)

    def _keep_run(self, name: str, entry: FavoriteRun) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO favorite_counts (job_id, favorite, at, count, date_from, "
            "date_to) VALUES (?, ?, ?, ?, ?, ?)",
            (
                entry.job_id,
                name,
                entry.at,
                entry.count,
                date_to_int(entry.start),
                date_to_int(entry.end),
            ),
        )

    def remove(self, ids: Sequence[int]) -> None:
        with _transaction(self._db):
            self._db.executemany("DELETE FROM jobs WHERE id = ?", [(job_id,) for job_id in ids])

    def history(self) -> dict[str, list[FavoriteRun]]:
        """Every favourite's counts, oldest first."""
        runs: dict[str, list[FavoriteRun]] = {}
        try:
            rows = self._db.execute(
                "SELECT favorite, job_id, at, count, date_from, date_to FROM favorite_counts "
                "ORDER BY at, job_id"
            ).fetchall()
        except sqlite3.Error as error:
            raise problem(self.path, error) from None
        for row in rows:
            name, job_id, at, count, start, end = row
            try:
                checked(row, RUN_COLUMNS, f"the count of job {job_id!r}")
                dates = date_from_int(start), date_from_int(end)
            except (Unreadable, ValueError, OverflowError) as error:
                raise damaged(self.path, str(error)) from None
            runs.setdefault(name, []).append(FavoriteRun(job_id, at, count, *dates))
        return runs

    def rename_favorite(self, old: str, new: str) -> None:
        """Its jobs and its history follow a favourite to its new name."""
        with _transaction(self._db):
            self._db.execute("UPDATE jobs SET favorite = ? WHERE favorite = ?", (new, old))
            self._db.execute(
                "UPDATE favorite_counts SET favorite = ? WHERE favorite = ?", (new, old)
            )

    def forget_favorite(self, name: str) -> None:
        """A deleted favourite's history goes with it; its jobs stay, as plain jobs."""
        with _transaction(self._db):
            self._db.execute("UPDATE jobs SET favorite = NULL WHERE favorite = ?", (name,))
            self._db.execute("DELETE FROM favorite_counts WHERE favorite = ?", (name,))


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection, *, write: bool = True) -> Iterator[None]:
    # IMMEDIATE takes the write lock up front, so two processes never both read then write; a
    # read alone never waits for a writer (WAL).
    db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class JournalWriter:
    """The journal for asyncio code: every call runs on one thread of its own, in order.

    If the file cannot be opened, or a write fails later, `error` says so (once, through
    `on_error` too) and the writer carries on in memory: jobs keep running, and the file is
    never touched again by this process.
    """

    def __init__(self, path: Path | None, on_error: Callable[[str], None] | None = None) -> None:
        self.path = path
        self.error: str | None = None
        self._on_error = on_error
        self._journal: Journal | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cttui-journal")
        self._last_id = 0
        # Every favourite's counts, kept here too: the file's, and those of this run.
        self._history: dict[str, list[FavoriteRun]] = {}
        # How many times this process changed _history: a reload must not undo a change.
        self._changes = 0
        # Writes wait for load(): a job created before the file is read would take a used id.
        self._loaded = asyncio.Event()
        if path is None:
            self._loaded.set()

    @property
    def in_memory(self) -> bool:
        return self._journal is None

    async def _call(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    def _failed(self, error: BaseException) -> None:
        assert self.path is not None
        failure = error if isinstance(error, JournalError) else problem(self.path, error)
        journal, self._journal = self._journal, None
        if journal is not None:
            self._executor.submit(journal.close)
        if self.error is None:
            self.error = failure.message
            if self._on_error is not None:
                self._on_error(failure.message)

    async def load(
        self, claim: Callable[[Origin], bool] | None = None
    ) -> tuple[list[JobRecord], set[int]]:
        """Open the file and read it: every job, and the unfinished ones this process now runs
        (see `Journal.load`)."""
        if self.path is None:
            return [], set()
        path = self.path
        try:
            return await self._open_and_load(path, claim)
        finally:
            self._loaded.set()

    async def _open_and_load(
        self, path: Path, claim: Callable[[Origin], bool] | None
    ) -> tuple[list[JobRecord], set[int]]:

        def open_and_load() -> tuple[
            Journal, list[JobRecord], set[int], dict[str, list[FavoriteRun]]
        ]:
            journal = Journal.open(path)
            try:
                records, claimed = journal.load(claim)
                history = journal.history()
            except BaseException:
                journal.close()
                raise
            return journal, records, claimed, history

        try:
            self._journal, records, claimed, history = await self._call(open_and_load)
        except (JournalError, OSError, sqlite3.Error) as error:
            self._failed(error)
            return [], set()
        self._last_id = max((record.id for record in records), default=0)
        for name, runs in history.items():
            self._history.setdefault(name, []).extend(runs)
        return records, claimed

    def history(self) -> Mapping[str, Sequence[FavoriteRun]]:
        """Every favourite's counts, oldest first (as far as this process knows: the file's
        when it was loaded, and every count since)."""
        return self._history

    async def reload_history(self) -> bool:
        """Take the favourites' counts from the file again, as other processes left them (a
        `cttui run` from cron while the app is open, a rename in another window); whether
        anything changed. A failed read changes nothing: what is known stays."""
        await self._loaded.wait()
        journal = self._journal
        if journal is None:
            return False
        before = self._changes
        try:
            on_disk = await self._call(journal.history)
        except (JournalError, OSError, sqlite3.Error):
            return False
        # A change of this process since the read began may not be in it: the next reload
        # takes it, rather than this one showing the history as it was a moment ago.
        if self._changes != before or on_disk == self._history:
            return False
        self._history = on_disk
        return True

    async def read_jobs(self) -> list[JobRecord] | None:
        """Every job as the file holds it now, other processes' too; None when no file is in
        use or it cannot be read. Claims and writes nothing."""
        await self._loaded.wait()
        journal = self._journal
        if journal is None:
            return None
        try:
            records, _ = await self._call(journal.load)
        except (JournalError, OSError, sqlite3.Error):
            return None
        return records

    def _remember(self, run: tuple[str, FavoriteRun] | None) -> None:
        if run is None:
            return
        name, entry = run
        runs = self._history.setdefault(name, [])
        if all(known.job_id != entry.job_id for known in runs):
            runs.append(entry)
            self._changes += 1

    async def create(self, record: JobRecord) -> int:
        await self._loaded.wait()
        journal = self._journal
        if journal is not None:
            try:
                job_id = await self._call(lambda: journal.create(record))
            except (OSError, sqlite3.Error) as error:
                self._failed(error)
            else:
                self._last_id = max(self._last_id, job_id)
                return job_id
        self._last_id += 1
        return self._last_id

    async def save(self, record: JobRecord, attempt: Attempt | None = None) -> None:
        await self._loaded.wait()
        # The row is read here, on the caller's thread, so the job may change while it is written.
        row, job_id, run = _row(record), record.id, _run_of(record)
        journal = self._journal
        if journal is not None:
            try:
                await self._call(lambda: journal.save(job_id, row, attempt, run))
            except (OSError, sqlite3.Error) as error:
                self._failed(error)
        self._remember(run)

    async def rename_favorite(self, old: str, new: str) -> None:
        await self._loaded.wait()
        if old in self._history and old != new:
            self._history.setdefault(new, []).extend(self._history.pop(old))
            self._history[new].sort(key=lambda run: (run.at, run.job_id))
            self._changes += 1
        await self._write(lambda journal: journal.rename_favorite(old, new))

    async def forget_favorite(self, name: str) -> None:
        await self._loaded.wait()
        if self._history.pop(name, None) is not None:
            self._changes += 1
        await self._write(lambda journal: journal.forget_favorite(name))

    async def _write(self, work: Callable[[Journal], None]) -> None:
        journal = self._journal
        if journal is None:
            return
        try:
            await self._call(lambda: work(journal))
        except (OSError, sqlite3.Error) as error:
            self._failed(error)

    async def remove(self, ids: Sequence[int]) -> None:
        await self._loaded.wait()
        journal = self._journal
        if journal is None or not ids:
            return
        chosen = list(ids)
        try:
            await self._call(lambda: journal.remove(chosen))
        except (OSError, sqlite3.Error) as error:
            self._failed(error)

    def close(self) -> None:
        """Finish pending writes and close the file (blocking; call once, on the way out)."""
        journal, self._journal = self._journal, None
        if journal is not None:
            self._executor.submit(journal.close)
        self._executor.shutdown(wait=True)
