"""The journal's SQLite schema: its migrations, the check that a file is a journal this cttui may
use, and connections that read rows by column name (the rows themselves: journal_rows.py)."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from cttui.store.journal_files import MEMORY_ONLY, JournalError
from cttui.store.journal_rows import learn_query_keys

SCHEMA_VERSION = 4
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
    # Each count says what it counted, so that a favourite whose query is replaced tells the
    # counts of its old query from the new (learnt from the jobs still there: AFTER).
    """
    ALTER TABLE favorite_counts ADD COLUMN query_key TEXT;
    """,
)
# What a migration does beyond its SQL, in the same transaction, by the version it starts from.
AFTER: dict[int, Callable[[sqlite3.Connection], None]] = {3: learn_query_keys}


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
    # Reads first: a file that is not a database fails here, before anything is written. Both
    # reads in one snapshot: another cttui may be creating the journal between them.
    with transaction(db, write=False):
        version: int = db.execute("PRAGMA user_version").fetchone()["user_version"]
        names = {row["name"] for row in db.execute("SELECT name FROM sqlite_master")}
    if version == 0 and names:
        raise _not_ours(path)
    if version > 0 and not {"jobs", "attempts"} <= names:
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


def _write_ahead(db: sqlite3.Connection) -> None:
    """Switch a new journal to WAL. The switch needs the file to itself, and SQLite answers
    "locked" at once rather than wait while another process opening it holds a read lock (it
    would deadlock): so wait here, as long as for any other lock, before giving up."""
    timeout: float = db.execute("PRAGMA busy_timeout").fetchone()[0] / 1000
    deadline = time.monotonic() + timeout
    pause = 0.002
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def migrate(path: Path, db: sqlite3.Connection) -> None:
    """Check the journal (see `check`), set the connection up for writing, and bring the
    schema up to date."""
    version = check(path, db)
    _write_ahead(db)
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
                if version in AFTER:
                    AFTER[version](db)
                version += 1
                db.execute(f"PRAGMA user_version = {version}")
