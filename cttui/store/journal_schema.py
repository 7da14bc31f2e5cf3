"""The journal's SQLite schema: its migrations, the check that a file is a journal this cttui may
use, and how a job becomes rows and rows a job again (every column by name), including a job an
older cttui left half-written."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from cttui.api.errors import CttuiError
from cttui.api.models import Query, date_from_int, date_to_int
from cttui.records import MAX_COUNT, Attempt, FavoriteRun, JobRecord, JobState, Origin
from cttui.store.journal_files import MEMORY_ONLY, JournalError

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


def connect(target: str | Path, *, busy_timeout: float, uri: bool = False) -> sqlite3.Connection:
    """A connection whose rows are read by column name, that commits only in `transaction`."""
    connection = sqlite3.connect(target, uri=uri, timeout=busy_timeout, isolation_level=None)
    connection.row_factory = sqlite3.Row
    return connection


@contextlib.contextmanager
def transaction(db: sqlite3.Connection, *, write: bool = True) -> Iterator[None]:
    # IMMEDIATE takes the write lock up front, so two processes never both read then write; a
    # read alone never waits for a writer (WAL).
    db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _not_ours(path: Path) -> JournalError:
    return JournalError(
        f"{path} is an SQLite file but not a cttui job journal; move it aside and restart "
        f"cttui ({MEMORY_ONLY})"
    )


def check(path: Path, db: sqlite3.Connection) -> int:
    """The journal's schema version; a JournalError for a file that is not ours to use."""
    # Reads first: a file that is not a database fails here, before anything is written.
    version: int = db.execute("PRAGMA user_version").fetchone()["user_version"]
    tables = db.execute("SELECT count(*) AS tables FROM sqlite_master").fetchone()["tables"]
    if version == 0 and tables:
        raise _not_ours(path)
    if version > 0:
        names = {row["name"] for row in db.execute("SELECT name FROM sqlite_master")}
        if not {"jobs", "attempts"} <= names:
            raise _not_ours(path)
    if version > SCHEMA_VERSION:
        raise JournalError(
            f"the job journal {path} was written by a newer cttui (schema {version}, this "
            f"one knows {SCHEMA_VERSION}); upgrade cttui ({MEMORY_ONLY} and the file is "
            "left as it is)"
        )
    return version


def up_to_date(path: Path, db: sqlite3.Connection) -> bool:
    """Whether the journal needs no migration; see `check`."""
    return check(path, db) >= SCHEMA_VERSION


def migrate(path: Path, db: sqlite3.Connection) -> None:
    """Check the journal (see `check`), set the connection up for writing, and bring the
    schema up to date."""
    version = check(path, db)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("PRAGMA foreign_keys = ON")
    while version < SCHEMA_VERSION:
        with transaction(db):
            # Another process may have migrated it while this one waited for the lock.
            version = db.execute("PRAGMA user_version").fetchone()["user_version"]
            if version < SCHEMA_VERSION:
                for statement in MIGRATIONS[version].split(";"):
                    if statement.strip():
                        db.execute(statement)
                version += 1
                db.execute(f"PRAGMA user_version = {version}")


# Writing


def insert(
    db: sqlite3.Connection, table: str, values: Mapping[str, Any], *, unless_there: bool = False
) -> int | None:
    """Add a row of `values` by column name; the new row's id."""
    verb = "INSERT OR IGNORE" if unless_there else "INSERT"
    columns = ", ".join(values)
    names = ", ".join(f":{column}" for column in values)
    # The table and column names are this module's own; only the values are data.
    sql = f"{verb} INTO {table} ({columns}) VALUES ({names})"
    return db.execute(sql, values).lastrowid


def update_job(db: sqlite3.Connection, job_id: int, values: Mapping[str, Any]) -> None:
    changes = ", ".join(f"{column} = :{column}" for column in values)
    sql = f"UPDATE jobs SET {changes} WHERE id = :job_id"  # noqa: S608 - our column names
    db.execute(sql, {**values, "job_id": job_id})


def job_row(record: JobRecord) -> dict[str, Any]:
    """The columns of a job that change as it runs."""
    return {
        "state": record.state.value,
        "req_id": record.req_id,
        "count": record.count,
        "error": record.error,
        "http_status": record.http_status,
        "polls": record.polls,
        "retries": record.retries,
        "finished": record.finished,
        "next_poll": record.next_poll_at,
        "last_request": record.last_request_at,
        "updated": record.updated,
    }


def new_job_row(record: JobRecord, owner: str) -> dict[str, Any]:
    """Every column of a new job."""
    origin = record.origin
    return {
        "created": record.created,
        "profile": origin.profile,
        "account_id": origin.account_id,
        "base_url": origin.base_url,
        "body": record.query.to_json() if record.query is not None else None,
        "owner": owner,
        "favorite": record.favorite,
        **job_row(record),
    }


def attempt_row(job_id: int, attempt: Attempt) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "at": attempt.at,
        "kind": attempt.kind,
        "answer": attempt.answer,
        "http_status": attempt.http_status,
        "seconds": attempt.seconds,
        "resubmission": int(attempt.resubmission),
    }


def run_row(name: str, entry: FavoriteRun) -> dict[str, Any]:
    return {
        "job_id": entry.job_id,
        "favorite": name,
        "at": entry.at,
        "count": entry.count,
        "date_from": date_to_int(entry.start),
        "date_to": date_to_int(entry.end),
    }


def run_of(record: JobRecord) -> tuple[str, FavoriteRun] | None:
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


# Reading


class Unreadable(Exception):
    """A row whose values are not what cttui writes: the journal is damaged or hand-edited."""


_TEXT: tuple[type, ...] = (str,)
_INT: tuple[type, ...] = (int,)
_NUMBER: tuple[type, ...] = (int, float)
# The columns read back, with the types each may hold; a name ending in "?" may be NULL.
JOB_COLUMNS = (
    ("id", _INT),
    ("created", _NUMBER),
    ("updated", _NUMBER),
    ("profile?", _TEXT),
    ("account_id", _TEXT),
    ("base_url", _TEXT),
    ("body?", _TEXT),
    ("state", _TEXT),
    ("req_id?", _TEXT),
    ("count?", _INT),
    ("error?", _TEXT),
    ("http_status?", _INT),
    ("polls", _INT),
    ("retries", _INT),
    ("finished?", _NUMBER),
    ("next_poll?", _NUMBER),
    ("last_request?", _NUMBER),
    ("favorite?", _TEXT),
    ("owner?", _TEXT),
)
ATTEMPT_COLUMNS = (
    ("job_id", _INT),
    ("at", _NUMBER),
    ("kind", _TEXT),
    ("answer", _TEXT),
    ("http_status?", _INT),
    ("seconds", _NUMBER),
    ("resubmission", _INT),
)
RUN_COLUMNS = (
    ("favorite", _TEXT),
    ("job_id", _INT),
    ("at", _NUMBER),
    ("count", _INT),
    ("date_from", _INT),
    ("date_to", _INT),
)
# The columns that hold a moment (epoch seconds): cttui writes none before 1970 or after 3000,
# and one out there (or inf) would fail every date shown, past what datetime can hold.
_TIMES = {"created", "updated", "finished", "next_poll", "last_request", "at"}
_LAST_TIME = 32_503_680_000


def select(columns: Sequence[tuple[str, tuple[type, ...]]], rest: str) -> str:
    """The SELECT of `columns`; `rest` names the table and the order."""
    names = ", ".join(name.rstrip("?") for name, _ in columns)
    return f"SELECT {names} FROM {rest}"  # noqa: S608 - our column names


def checked(row: sqlite3.Row, columns: Sequence[tuple[str, tuple[type, ...]]], where: str) -> None:
    """Unreadable unless each of `columns` holds what cttui writes there."""
    for name, kinds in columns:
        plain = name.rstrip("?")
        value = row[plain]
        if value is None and name.endswith("?"):
            continue
        if not isinstance(value, kinds) or _implausible(plain, value):
            raise Unreadable(f"{where}: {plain} is {value!r}")


def _implausible(name: str, value: Any) -> bool:
    return name in _TIMES and not 0 <= value <= _LAST_TIME


def attempt_of(row: sqlite3.Row) -> Attempt:
    checked(row, ATTEMPT_COLUMNS, f"a request of job {row['job_id']!r}")
    return Attempt(
        row["at"],
        row["kind"],
        row["answer"],
        row["http_status"],
        row["seconds"],
        bool(row["resubmission"]),
    )


def job_of(row: sqlite3.Row, attempts: list[Attempt]) -> JobRecord:
    where = f"job {row['id']!r}"
    checked(row, JOB_COLUMNS, where)
    if row["state"] not in JobState._value2member_map_:
        raise Unreadable(f"{where}: state is {row['state']!r}")
    return JobRecord(
        id=row["id"],
        origin=Origin(row["account_id"], row["base_url"], row["profile"]),
        query=_query(row["body"]),
        state=JobState(row["state"]),
        req_id=row["req_id"],
        count=row["count"],
        error=row["error"],
        http_status=row["http_status"],
        polls=row["polls"],
        retries=row["retries"],
        created=row["created"],
        updated=row["updated"],
        finished=row["finished"],
        next_poll_at=row["next_poll"],
        last_request_at=row["last_request"],
        attempts=attempts,
        favorite=row["favorite"],
    )


def favorite_run_of(row: sqlite3.Row) -> tuple[str, FavoriteRun]:
    """A favourite's name and one of its counts; raises Unreadable, ValueError or
    OverflowError for a row cttui did not write."""
    checked(row, RUN_COLUMNS, f"the count of job {row['job_id']!r}")
    start, end = date_from_int(row["date_from"]), date_from_int(row["date_to"])
    return row["favorite"], FavoriteRun(row["job_id"], row["at"], row["count"], start, end)


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


def recover(record: JobRecord) -> bool:
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
