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
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from cttui.api.errors import CttuiError, UsageError
from cttui.api.models import Query, date_from_int, date_to_int

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


class JournalError(UsageError):
    """The journal cannot be used; the message names the file and what to do."""


SCHEMA_VERSION = 2
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
    )


def _query(body: str | None) -> Query | None:
    if body is None:
        return None
    try:
        return Query.from_payload(json.loads(body))
    except (ValueError, CttuiError):
        # Only a hand-edited file gets here; the job keeps its req_id and outcome regardless.
        return None


class Owners:
    """Which cttui processes are alive: each holds an exclusive lock on `owners/<token>.lock`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.token = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._handle: int | None = None

    def hold(self) -> None:
        try:
            import fcntl
        except ImportError:  # Windows: no sharing between processes there.
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        handle = os.open(self.directory / f"{self.token}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._handle = handle

    def alive(self, token: str) -> bool:
        if token == self.token:
            return True
        try:
            import fcntl
        except ImportError:
            return False
        path = self.directory / f"{token}.lock"
        try:
            handle = os.open(path, os.O_RDWR)
        except OSError:
            return False
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        finally:
            os.close(handle)
        with contextlib.suppress(OSError):
            path.unlink()
        return False

    def release(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                (self.directory / f"{self.token}.lock").unlink()
            os.close(self._handle)
            self._handle = None


def _problem(path: Path, error: BaseException) -> JournalError:
    text = str(error)
    if "locked" in text or "busy" in text:
        return JournalError(
            f"the job journal {path} is locked by another program ({text}); close that program "
            "and restart cttui (until then, jobs are kept in memory only)"
        )
    return JournalError(
        f"the job journal {path} cannot be used ({text}); move it aside and restart cttui "
        "to start a new one (until then, jobs are kept in memory only; the file is left as it is)"
    )


class Journal:
    """The SQLite file. Use from one thread: the one that opened it."""

    def __init__(self, path: Path, connection: sqlite3.Connection, owners: Owners) -> None:
        self.path = path
        self._db = connection
        self.owners = owners

    @classmethod
    def open(cls, path: Path, *, busy_timeout: float = 5.0) -> Journal:
        """Open or create the journal, migrating it forward.

        Nothing is written to a file that is not a cttui journal, or to one of a newer version.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise _problem(path, error) from None
        try:
            cls._check_and_migrate(path, connection)
            owners = Owners(path.parent / "owners")
            owners.hold()
        except (OSError, sqlite3.Error) as error:
            connection.close()
            raise _problem(path, error) from None
        except JournalError:
            connection.close()
            raise
        return cls(path, connection, owners)

    @staticmethod
    def _check_and_migrate(path: Path, db: sqlite3.Connection) -> None:
        # Reads first: a file that is not a database fails here, before anything is written.
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if version == 0 and tables:
            raise JournalError(
                f"{path} is an SQLite file but not a cttui job journal; move it aside and "
                "restart cttui (until then, jobs are kept in memory only)"
            )
        if version > 0:
            names = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
            if not {"jobs", "attempts"} <= names:
                raise JournalError(
                    f"{path} is an SQLite file but not a cttui job journal; move it aside and "
                    "restart cttui (until then, jobs are kept in memory only)"
                )
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"the job journal {path} was written by a newer cttui (schema {version}, this "
                f"one knows {SCHEMA_VERSION}); upgrade cttui (until then, jobs are kept in "
                "memory only and the file is left as it is)"
            )
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
        try:
            return self._load(claim)
        except sqlite3.Error as error:
            raise _problem(self.path, error) from None

    def _load(self, claim: Callable[[Origin], bool] | None) -> tuple[list[JobRecord], set[int]]:
        """Every job, oldest first, and the ids of the unfinished ones this process now runs.

        Unfinished jobs whose owner died, and whose origin `claim` accepts, are taken over; a job
        among them that died mid-POST is marked interrupted (its POST may or may not have
        reached the server, so only the user may send it again). With no `claim`, nothing is
        written and nothing is taken, and such a job is only reported interrupted.
        """
        db = self._db
        me = self.owners.token
        with _transaction(db, write=claim is not None):
            unfinished = db.execute(
                "SELECT id, owner, account_id, base_url, profile FROM jobs "
                "WHERE state NOT IN ('done', 'failed', 'cancelled')"
            ).fetchall()
            alive = {owner: self.owners.alive(owner) for _, owner, *_ in unfinished if owner}
            dead = {owner for _, owner, *_ in unfinished if not alive.get(owner, False)}
            if claim is not None:
                for job_id, owner, account_id, base_url, profile in unfinished:
                    if owner in dead and claim(Origin(account_id, base_url, profile)):
                        db.execute("UPDATE jobs SET owner = ? WHERE id = ?", (me, job_id))
                db.execute(
                    "UPDATE jobs SET state = ?, updated = ? WHERE owner = ? AND state = ?",
                    (JobState.INTERRUPTED.value, time.time(), me, JobState.SENDING.value),
                )
            claimed = {
                job_id
                for (job_id,) in db.execute(
                    "SELECT id FROM jobs WHERE owner = ? AND state NOT IN ('done', 'failed', "
                    "'cancelled')",
                    (me,),
                )
            }
            orphans = {
                job_id
                for (job_id, owner) in db.execute(
                    "SELECT id, owner FROM jobs WHERE state = ?", (JobState.SENDING.value,)
                )
                if owner in dead
            }
            attempts: dict[int, list[Attempt]] = {}
            for job_id, *values in db.execute(
                "SELECT job_id, at, kind, answer, http_status, seconds FROM attempts ORDER BY rowid"
            ):
                attempts.setdefault(job_id, []).append(Attempt(*values))
            records = [
                JobRecord(
                    id=row[0],
                    origin=Origin(row[4], row[5], row[3]),
                    query=_query(row[6]),
                    state=JobState.INTERRUPTED if row[0] in orphans else JobState(row[7]),
                    req_id=row[8],
                    count=row[9],
                    error=row[10],
                    http_status=row[11],
                    polls=row[12],
                    retries=row[13],
                    created=row[1],
                    finished=row[14],
                    next_poll_at=row[15],
                    last_request_at=row[16],
                    attempts=attempts.get(row[0], []),
                    favorite=row[17],
                )
                for row in db.execute(
                    "SELECT id, created, updated, profile, account_id, base_url, body, state, "
                    "req_id, count, error, http_status, polls, retries, finished, next_poll, "
                    "last_request, favorite FROM jobs ORDER BY id"
                )
            ]
        return records, claimed

    def elsewhere(self) -> set[int]:
        """The unfinished jobs another live cttui process is running."""
        try:
            rows = self._db.execute(
                "SELECT id, owner FROM jobs WHERE state NOT IN ('done', 'failed', 'cancelled') "
                "AND owner IS NOT NULL AND owner != ?",
                (self.owners.token,),
            ).fetchall()
        except sqlite3.Error as error:
            raise _problem(self.path, error) from None
        return {job_id for job_id, owner in rows if self.owners.alive(owner)}

    def create(self, record: JobRecord) -> int:
        origin = record.origin
        body = record.query.to_json() if record.query is not None else None
        with _transaction(self._db):
            cursor = self._db.execute(
                "INSERT INTO jobs (created, updated, profile, account_id, base_url, body, owner, "
                "favorite, state, req_id, count, error, http_status, polls, retries, finished, "
                "next_poll, last_request) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?)",
                (
                    record.created,
                    time.time(),
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
                (*row, time.time(), self.owners.token, job_id),
            )
            if attempt is not None:
                self._db.execute(
                    "INSERT INTO attempts (job_id, at, kind, answer, http_status, seconds) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        job_id,
                        attempt.at,
                        attempt.kind,
                        attempt.answer,
                        attempt.http_status,
                        attempt.seconds,
                    ),
                )
            if run is not None:
                name, entry = run
                self._db.execute(
                    "INSERT OR IGNORE INTO favorite_counts (job_id, favorite, at, count, "
                    "date_from, date_to) VALUES (?, ?, ?, ?, ?, ?)",
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
            raise _problem(self.path, error) from None
        for name, job_id, at, count, start, end in rows:
            runs.setdefault(name, []).append(
                FavoriteRun(job_id, at, count, date_from_int(start), date_from_int(end))
            )
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
        problem = error if isinstance(error, JournalError) else _problem(self.path, error)
        journal, self._journal = self._journal, None
        if journal is not None:
            self._executor.submit(journal.close)
        if self.error is None:
            self.error = problem.message
            if self._on_error is not None:
                self._on_error(problem.message)

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
