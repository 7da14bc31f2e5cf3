"""journal.sqlite3: every job and every request it made, so that nothing sent is lost to a closed
terminal, a crash or a kill.

A change is committed (synchronous=FULL) before anyone is told of it. The passcode is never
stored: a job keeps its account ID, host and profile name, and the passcode is looked up again
when it resumes. Several cttui processes may share the file; each unfinished job is run by one
owner at a time, and an owner is alive while it holds the lock on its file in `owners/` (the
kernel drops the lock when a process dies, even by SIGKILL).

`Journal` is synchronous and keeps its connection in the thread that opened it; `JournalWriter`
(journal_writer.py) runs it on one thread of its own for asyncio code. The schema is
journal_schema.py's, the rows journal_rows.py's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cttui.records import Attempt, FavoriteRun, JobRecord, JobState, Origin
from cttui.store.journal_export import ATTEMPTS_SQL, JOBS_SQL, VALUES, body_json
from cttui.store.journal_files import (
    JournalError,
    Owners,
    cause_of,
    damaged,
    private_directory,
    private_file,
    problem,
    regular_file,
)
from cttui.store.journal_rows import (
    ATTEMPT_COLUMNS,
    JOB_COLUMNS,
    RUN_COLUMNS,
    Unreadable,
    attempt_row,
    favorite_run_of,
    insert,
    job_of,
    new_job_row,
    recover,
    run_of,
    run_row,
    select,
    side_by_side,
    update_job,
)
from cttui.store.journal_schema import connect, migrate, transaction, up_to_date
from cttui.store.journal_select import EVERY, FINISHED, Only, counted_sql

# The finished jobs older than a job (parameters: FINISHED, then the job's id).
FINISHED_BEFORE = f"FROM jobs WHERE state IN ({', '.join('?' * len(FINISHED))}) AND id < ?"


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
            connection = connect(path, busy_timeout=busy_timeout)
        except (OSError, sqlite3.Error) as error:
            raise problem(path, error) from None
        try:
            migrate(path, connection)
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
                connection = connect(uri + mode, busy_timeout=busy_timeout, uri=True)
                current = up_to_date(path, connection)
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
        if not current:
            connection.close()
            return None
        return cls(path, connection, Owners(path.parent / "owners"), read_only=True)

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """A read of the jobs: a locked or broken file, or a row cttui did not write, is a
        JournalError naming the file."""
        try:
            yield
        except sqlite3.Error as error:
            raise problem(self.path, error) from None
        except Unreadable as error:
            raise damaged(self.path, str(error)) from None

    def close(self) -> None:
        self._db.close()
        self.owners.release()

    def load(
        self,
        claim: Callable[[Origin], bool] | None = None,
        *,
        finished: bool | int = True,
        req_id: str | None = None,
    ) -> tuple[list[JobRecord], set[int]]:
        """See `_load`; a locked or broken file is a JournalError naming it.

        `finished=False` leaves out the finished jobs (but those of `req_id`): what a `cttui
        count` from cron needs, however many a year of runs has left; a number keeps the
        newest that many of them (the app's panel, see `older`)."""
        if claim is not None and self.read_only:
            raise ValueError("a journal opened read-only cannot claim jobs")
        with self._reading():
            return self._load(claim, Only(finished, req_id))

    def _load(
        self, claim: Callable[[Origin], bool] | None, only: Only
    ) -> tuple[list[JobRecord], set[int]]:
        """Every job, oldest first, and the ids of the unfinished ones this process now runs.

        Unfinished jobs whose owner died, and whose origin `claim` accepts, are taken over; a job
        among them that died mid-POST is marked interrupted (its POST may or may not have
        reached the server, so only the user may send it again), unless its answer was kept
        (see `recover`). With no `claim`, nothing is written and nothing is taken, and such a
        job is only reported so.
        """
        db = self._db
        me = self.owners.token
        with transaction(db, write=claim is not None):
            rows = list(self._jobs(only))
            claimed: set[int] = set()
            alive: dict[str | None, bool] = {}
            for record, owner in rows:
                if owner not in alive:
                    alive[owner] = owner != me and self.owners.alive(owner)
                if record.state.finished or alive[owner]:
                    continue
                mine = owner == me or (claim is not None and claim(record.origin))
                recovered = recover(record)
                if record.state is JobState.SENDING:
                    record.state = JobState.INTERRUPTED
                if not mine or claim is None:
                    continue
                self._take(record, recovered)
                if not record.state.finished:
                    claimed.add(record.id)
        return [record for record, _ in rows], claimed

    def listing(self) -> Iterator[tuple[JobRecord, bool]]:
        """Every job, oldest first, as `load()` with no claim reads it, with whether another
        live process runs it: one at a time, from one snapshot, so that listing 100,000 jobs
        holds one in memory. Nothing is written."""
        with self._reading():
            yield from self._listing()

    def _listing(self) -> Iterator[tuple[JobRecord, bool]]:
        listed = self._as_listed()
        with transaction(self._db, write=False):
            for record, owner in self._jobs(EVERY):
                yield listed(record, owner)

    def _as_listed(self) -> Callable[[JobRecord, str | None], tuple[JobRecord, bool]]:
        """A job as a listing shows it, with whether another live process runs it: a dead
        owner's unfinished job with its kept answer taken back (see `recover`), and marked
        interrupted if it died mid-POST."""
        me = self.owners.token
        alive: dict[str | None, bool] = {}

        def listed(record: JobRecord, owner: str | None) -> tuple[JobRecord, bool]:
            if record.state.finished:
                return record, False
            if owner not in alive:
                alive[owner] = owner != me and self.owners.alive(owner)
            if not alive[owner]:
                recover(record)
                if record.state is JobState.SENDING:
                    record.state = JobState.INTERRUPTED
            return record, alive[owner]

        return listed

    def export(self) -> Iterator[str | JobRecord]:
        """Every job, oldest first, as `listing()` reads it, for `cttui jobs --json`: a
        finished job whose cells are as cttui writes them as the JSON text SQLite writes of it
        (see journal_export.py), every other as its record. Nothing is written."""
        with self._reading():
            yield from self._export()

    def _export(self) -> Iterator[str | JobRecord]:
        db = self._db
        listed = self._as_listed()
        with transaction(db, write=False):
            attempts = db.execute(ATTEMPTS_SQL, VALUES)
            for row, own in side_by_side(db.execute(JOBS_SQL, VALUES), attempts):
                if row["fast"]:
                    yield row["before"] + body_json(row["body"]) + row["after"]
                else:
                    yield listed(job_of(row, own), row["owner"])[0]

    def _jobs(self, only: Only) -> Iterator[tuple[JobRecord, str | None]]:
        """Every job `only` asks for with its owner's token, one at a time."""
        db = self._db
        jobs, their_attempts, values = only.tables()
        attempts = db.execute(select(ATTEMPT_COLUMNS, their_attempts), values)
        for row, own in side_by_side(db.execute(select(JOB_COLUMNS, jobs), values), attempts):
            yield job_of(row, own), row["owner"]

    def _take(self, record: JobRecord, recovered: bool) -> None:
        """A dead owner's job is this process's now; its `updated` stays the last moment it was
        known alive."""
        update_job(
            self._db,
            record.id,
            {
                "owner": self.owners.token,
                "state": record.state.value,
                "req_id": record.req_id,
                "count": record.count,
                "finished": record.finished,
                "next_poll": record.next_poll_at,
            },
        )
        run = run_of(record) if recovered else None
        if run is not None:
            self._keep_run(*run)

    def older(self, before: int, limit: int) -> list[JobRecord]:
        """The newest `limit` finished jobs older than job `before`, oldest first (the next
        page of a panel that holds the newest ones); nothing is claimed or written."""
        with self._reading(), transaction(self._db, write=False):
            return [record for record, _ in self._jobs(Only(limit, before=before))]

    def finished_before(self, before: int) -> int:
        """How many finished jobs are older than job `before`."""
        sql = f"SELECT count(*) {FINISHED_BEFORE}"
        try:
            return int(self._db.execute(sql, (*FINISHED, before)).fetchone()[0])
        except sqlite3.Error as error:
            raise problem(self.path, error) from None

    def last_id(self) -> int:
        """The newest job's id (0 for none), whichever jobs were loaded."""
        try:
            row = self._db.execute("SELECT max(id) FROM jobs").fetchone()
        except sqlite3.Error as error:
            raise problem(self.path, error) from None
        return int(row[0] or 0)

    def data_version(self) -> int:
        """SQLite's data_version: a number that changes when another connection commits, and
        stays the same while only this one writes."""
        try:
            row = self._db.execute("PRAGMA data_version").fetchone()
        except sqlite3.Error as error:
            raise problem(self.path, error) from None
        return int(row[0])

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
        return {row["id"] for row in rows if self.owners.alive(row["owner"])}

    def counted(self, account_id: str, bodies: Sequence[str]) -> dict[str, tuple[int, int]]:
        """Of `bodies` (queries as sent), those a job on `account_id` counted: each to the id
        and count of the newest such job."""
        with self._reading(), transaction(self._db, write=False):
            rows = self._db.execute(counted_sql(len(bodies)), (account_id, *bodies)).fetchall()
        return {row["body"]: (row["id"], row["count"]) for row in rows}

    def create(self, record: JobRecord) -> int:
        with transaction(self._db):
            job_id = insert(self._db, "jobs", new_job_row(record, self.owners.token))
        assert job_id is not None
        return job_id

    def save(
        self,
        job_id: int,
        row: Mapping[str, Any],
        attempt: Attempt | None,
        run: tuple[str, FavoriteRun] | None = None,
    ) -> None:
        """The job's new state (`row`, from `job_row`), the request that led to it, and (for a
        favourite's job that has just counted) the count in the favourite's history, in one
        transaction."""
        with transaction(self._db):
            update_job(self._db, job_id, {**row, "owner": self.owners.token})
            if attempt is not None:
                insert(self._db, "attempts", attempt_row(job_id, attempt))
            if run is not None:
                self._keep_run(*run)

    def _keep_run(self, name: str, entry: FavoriteRun) -> None:
        insert(self._db, "favorite_counts", run_row(name, entry), unless_there=True)

    def remove(self, ids: Sequence[int]) -> None:
        with transaction(self._db):
            self._db.executemany("DELETE FROM jobs WHERE id = ?", [(job_id,) for job_id in ids])

    def remove_finished_before(self, before: int) -> int:
        """Remove the finished jobs older than job `before`; how many."""
        with transaction(self._db):
            return self._db.execute(f"DELETE {FINISHED_BEFORE}", (*FINISHED, before)).rowcount

    def history(self) -> dict[str, list[FavoriteRun]]:
        """Every favourite's counts, oldest first."""
        runs: dict[str, list[FavoriteRun]] = {}
        try:
            rows = self._db.execute(
                select(RUN_COLUMNS, "favorite_counts ORDER BY at, job_id")
            ).fetchall()
        except sqlite3.Error as error:
            raise problem(self.path, error) from None
        for row in rows:
            try:
                name, entry = favorite_run_of(row)
            except (Unreadable, ValueError, OverflowError) as error:
                raise damaged(self.path, str(error)) from None
            runs.setdefault(name, []).append(entry)
        return runs

    def rename_favorite(self, old: str, new: str) -> None:
        """Its jobs and its history follow a favourite to its new name."""
        with transaction(self._db):
            self._db.execute("UPDATE jobs SET favorite = ? WHERE favorite = ?", (new, old))
            self._db.execute(
                "UPDATE favorite_counts SET favorite = ? WHERE favorite = ?", (new, old)
            )

    def forget_favorite(self, name: str) -> None:
        """A deleted favourite's history goes with it; its jobs stay, as plain jobs."""
        with transaction(self._db):
            self._db.execute("UPDATE jobs SET favorite = NULL WHERE favorite = ?", (name,))
            self._db.execute("DELETE FROM favorite_counts WHERE favorite = ?", (name,))
