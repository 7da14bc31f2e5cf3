"""How a job becomes rows of the journal and rows a job again, every column by name, with the
checks a row must pass to be read, and the recovery of a job an older cttui left half-written."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from cttui.api.errors import CttuiError
from cttui.api.models import Query, date_from_int, date_to_int
from cttui.records import MAX_COUNT, Attempt, FavoriteRun, JobRecord, JobState, Origin
from cttui.store.favorites import query_key

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
        "query_key": entry.query_key,
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
    query = record.query
    dates = query.date_range
    at = record.finished if record.finished is not None else record.created
    key = query_key(query.event_name, query.filters)
    return record.favorite, FavoriteRun(record.id, at, record.count, dates.start, dates.end, key)


def learn_query_keys(db: sqlite3.Connection) -> None:
    """Each count of an older journal learns what it counted from its job, where the job is
    still there and its body reads as a query; the others stay unknown (None)."""
    rows = db.execute(
        "SELECT favorite_counts.job_id AS job_id, jobs.body AS body FROM favorite_counts "
        "JOIN jobs ON jobs.id = favorite_counts.job_id WHERE favorite_counts.query_key IS NULL"
    ).fetchall()
    keys = []
    for row in rows:
        body = row["body"]
        query = query_of(body) if isinstance(body, str) else None
        if query is not None:
            keys.append((query_key(query.event_name, query.filters), row["job_id"]))
    db.executemany("UPDATE favorite_counts SET query_key = ? WHERE job_id = ?", keys)


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
    ("query_key?", _TEXT),
)
# The columns that hold a moment (epoch seconds): cttui writes none before 1970 or after 3000,
# and one out there (or inf) would fail every date shown, past what datetime can hold.
_TIMES = {"created", "updated", "finished", "next_poll", "last_request", "at"}
_LAST_TIME = 32_503_680_000


def select(columns: Sequence[tuple[str, tuple[type, ...]]], rest: str) -> str:
    """The SELECT of `columns`, and `damaged`: 1 where one of them holds what cttui does not
    write (SQLite checks each row's types at C speed; only such a row is looked at closely, to
    say what is wrong). `rest` names the table and the order."""
    names = column_names(columns)
    return f"SELECT {names}, NOT {sound(columns)} AS damaged FROM {rest}"  # noqa: S608 - ours


def column_names(columns: Sequence[tuple[str, tuple[type, ...]]]) -> str:
    return ", ".join(name.rstrip("?") for name, _ in columns)


def sound(columns: Sequence[tuple[str, tuple[type, ...]]]) -> str:
    """SQL that holds where each of `columns` holds what `checked` accepts."""
    return "(" + " AND ".join(_sound(name, kinds) for name, kinds in columns) + ")"


_TYPEOF = {_TEXT: "('text')", _INT: "('integer')", _NUMBER: "('integer', 'real')"}


def _sound(name: str, kinds: tuple[type, ...]) -> str:
    """SQL that holds where the column holds what `checked` accepts: the same types (SQLite's
    integer, real and text are Python's int, float and str), and moments within range."""
    plain = name.rstrip("?")
    test = f"typeof({plain}) IN {_TYPEOF[kinds]}"
    if plain in _TIMES:
        test = f"({test} AND {plain} BETWEEN 0 AND {_LAST_TIME})"
    return f"({plain} IS NULL OR {test})" if name.endswith("?") else test


def checked(row: sqlite3.Row, columns: Sequence[tuple[str, tuple[type, ...]]], where: str) -> None:
    """Unreadable unless each of `columns` holds what cttui writes there."""
    problem = _problem(row, _checks(columns))
    if problem is not None:
        raise Unreadable(f"{where}: {problem}")


# Each column as (name, the types it may hold, whether it may be NULL, whether it is a moment):
# worked out once, since every row of a long journal goes through them.
_Check = tuple[str, tuple[type, ...], bool, bool]
_CHECKS: dict[int, tuple[_Check, ...]] = {}


def _checks(columns: Sequence[tuple[str, tuple[type, ...]]]) -> tuple[_Check, ...]:
    known = _CHECKS.get(id(columns))
    if known is None:
        known = tuple(
            (name.rstrip("?"), kinds, name.endswith("?"), name.rstrip("?") in _TIMES)
            for name, kinds in columns
        )
        _CHECKS[id(columns)] = known
    return known


def _implausible(moment: Any) -> bool:
    return not 0 <= moment <= _LAST_TIME


def _problem(row: sqlite3.Row, checks: tuple[_Check, ...]) -> str | None:
    """What is wrong with `row`, if SQLite flagged it."""
    return _problem_in(row, checks) if row["damaged"] else None


def _problem_in(row: sqlite3.Row, checks: tuple[_Check, ...]) -> str | None:
    for name, kinds, optional, moment in checks:
        value = row[name]
        if value is None and optional:
            continue
        if not isinstance(value, kinds) or (moment and _implausible(value)):
            return f"{name} is {value!r}"
    return None


_ATTEMPT_CHECKS = _checks(ATTEMPT_COLUMNS)
_JOB_CHECKS = _checks(JOB_COLUMNS)


def attempt_of(row: sqlite3.Row) -> Attempt:
    problem = _problem(row, _ATTEMPT_CHECKS)
    if problem is not None:
        raise Unreadable(f"a request of job {row['job_id']!r}: {problem}")
    return Attempt(
        row["at"],
        row["kind"],
        row["answer"],
        row["http_status"],
        row["seconds"],
        bool(row["resubmission"]),
    )


def job_of(row: sqlite3.Row, attempts: list[Attempt]) -> JobRecord:
    problem = _problem(row, _JOB_CHECKS)
    if problem is None and row["state"] not in JobState._value2member_map_:
        problem = f"state is {row['state']!r}"
    if problem is not None:
        raise Unreadable(f"job {row['id']!r}: {problem}")
    return JobRecord(
        id=row["id"],
        origin=Origin(row["account_id"], row["base_url"], row["profile"]),
        query=query_of(row["body"]),
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


def side_by_side(
    jobs: sqlite3.Cursor, attempts: sqlite3.Cursor
) -> Iterator[tuple[sqlite3.Row, list[Attempt]]]:
    """Each job's row with its attempts: the jobs and the attempts are read side by side,
    both in job order. Every attempt `attempts` holds is read, its own job's or not, so
    that a damaged one refuses the file (reading every job, every attempt)."""
    attempt = attempts.fetchone()
    for row in jobs:
        own: list[Attempt] = []
        while attempt is not None and not _later(attempt["job_id"], row["id"]):
            read = attempt_of(attempt)
            if attempt["job_id"] == row["id"]:
                own.append(read)
            attempt = attempts.fetchone()
        yield row, own
    while attempt is not None:  # after the last job: no job's, but read all the same
        attempt_of(attempt)
        attempt = attempts.fetchone()


def _later(job_id: object, than: int) -> bool:
    """Whether an attempt's `job_id` sorts after job `than` in SQLite's order (NULL, then
    numbers, then text and blobs)."""
    if job_id is None:
        return False
    if isinstance(job_id, int | float):
        return job_id > than
    return True


def favorite_run_of(row: sqlite3.Row) -> tuple[str, FavoriteRun]:
    """A favourite's name and one of its counts; raises Unreadable, ValueError or
    OverflowError for a row cttui did not write."""
    checked(row, RUN_COLUMNS, f"the count of job {row['job_id']!r}")
    start, end = date_from_int(row["date_from"]), date_from_int(row["date_to"])
    run = FavoriteRun(row["job_id"], row["at"], row["count"], start, end, row["query_key"])
    return row["favorite"], run


def query_of(body: str | None) -> Query | None:
    """The query a job's `body` holds, or None (none, or one that does not read as a query)."""
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
