"""`cttui jobs --json` written by SQLite (see `Journal.export`): a finished job whose cells are
as cttui writes them comes out of SQLite as the very JSON text `report.job_json` makes of its
record, without a Python object per job or per request; every other job is read as a record.

Only cells whose JSON SQLite writes exactly as Python does are left to it: times from 1971 to
2037 (outside them, SQLite may take a moment's offset from UTC from 2000-01-01's, as its docs
say), a request's seconds above 0 and below 10^9 that do not round half way (Python rounds half
to even, SQLite away from zero). tests/test_journal_export.py holds the two ways to the same
bytes, job by job, whatever the cells hold.
"""

from __future__ import annotations

from functools import lru_cache

from cttui.store.journal_rows import (
    ATTEMPT_COLUMNS,
    JOB_COLUMNS,
    column_names,
    query_of,
    sound,
)
from cttui.store.journal_select import FINISHED

# The moments SQLite finds the local time of as Python does: 1971-01-01 to 2037-12-31 (UTC).
_FROM_1971 = 31_536_000
_BEFORE_2038 = 2_145_916_800


def _plain_time(column: str, optional: bool = False) -> str:
    test = f"{column} >= {_FROM_1971} AND {column} < {_BEFORE_2038}"
    return f"({column} IS NULL OR ({test}))" if optional else f"({test})"


def _when(column: str) -> str:
    """A moment as `report.job_json` words it: local time, to the second."""
    return f"strftime('%Y-%m-%dT%H:%M:%S', CAST({column} AS INTEGER), 'unixepoch', 'localtime')"


# A request's seconds, as Python's round(seconds, 3) gives them (an integer stays one).
_SECONDS = "CASE typeof(seconds) WHEN 'integer' THEN seconds ELSE round(seconds, 3) END"
_PLAIN_SECONDS = (
    "(typeof(seconds) = 'integer' OR (seconds > 0 AND seconds < 1e9 AND NOT ("
    "seconds * 2000 = CAST(seconds * 2000 AS INTEGER) AND CAST(seconds * 2000 AS INTEGER) % 2)))"
)
_PLAIN_ATTEMPT = f"({sound(ATTEMPT_COLUMNS)} AND {_plain_time('at')} AND {_PLAIN_SECONDS})"
_MARKS = ", ".join("?" * len(FINISHED))
# The finished jobs SQLite writes: every cell as cttui writes it, and plain (above).
_PLAIN_JOBS = f"""
    SELECT id FROM jobs
    WHERE state IN ({_MARKS}) AND {sound(JOB_COLUMNS)}
        AND {_plain_time("created")} AND {_plain_time("finished", optional=True)}
        AND NOT EXISTS (
            SELECT 1 FROM attempts WHERE attempts.job_id = jobs.id AND NOT {_PLAIN_ATTEMPT}
        )
"""  # noqa: S608 - our own words, and ? for the states
_ATTEMPT_JSON = f"""json_object(
    'at', {_when("at")}, 'kind', kind, 'answer', answer, 'http_status', http_status,
    'seconds', {_SECONDS}, 'resubmission', json(CASE WHEN resubmission THEN 'true' ELSE 'false' END)
)"""
# Up to the body (the last key before it holds text: its brace is the only one trimmed), and
# after it: the keys in the order of report.job_json.
_BEFORE_BODY = """rtrim(json_object(
    'id', id, 'state', state, 'count', count, 'req_id', req_id, 'error', error,
    'http_status', http_status, 'polls', polls, 'retries', retries, 'favorite', favorite,
    'profile', profile, 'account_id', account_id, 'base_url', base_url
), '}') || ',"body":'"""
_AFTER_BODY = f"""',"created":"' || {_when("created")} || '","finished":' || CASE
    WHEN finished IS NULL THEN 'null' ELSE '"' || {_when("finished")} || '"' END
    || ',"attempts":' || coalesce((
        SELECT '[' || group_concat(request, ',') || ']' FROM (
            SELECT {_ATTEMPT_JSON} AS request FROM attempts
            WHERE attempts.job_id = jobs.id ORDER BY rowid
        )
    ), '[]') || '}}'"""  # noqa: S608 - our own words


_WITH_PLAIN = f"WITH plain(id) AS ({_PLAIN_JOBS})"
# Every job in order, its columns as `select` reads them; for a job SQLite writes, `fast` is 1
# and `before` and `after` are its JSON around the body.
JOBS_SQL = f"""{_WITH_PLAIN}
    SELECT {column_names(JOB_COLUMNS)}, NOT {sound(JOB_COLUMNS)} AS damaged, id IN plain AS fast,
        CASE WHEN id IN plain THEN {_BEFORE_BODY} END AS before,
        CASE WHEN id IN plain THEN {_AFTER_BODY} END AS after
    FROM jobs ORDER BY id"""  # noqa: S608 - our own words
# The requests of the jobs SQLite does not write, and any damaged request, in the order
# `Journal._jobs` reads them.
ATTEMPTS_SQL = f"""{_WITH_PLAIN}
    SELECT {column_names(ATTEMPT_COLUMNS)}, NOT {sound(ATTEMPT_COLUMNS)} AS damaged FROM attempts
    WHERE job_id NOT IN plain OR NOT {sound(ATTEMPT_COLUMNS)}
    ORDER BY job_id, rowid"""  # noqa: S608 - our own words
# The values of both: the finished states, once.
VALUES = FINISHED


@lru_cache(maxsize=256)
def body_json(body: str | None) -> str:
    """A job's body as `report.job_json` gives it: the query as sent, or null (a cache: a
    journal of daily runs holds the same few bodies many times)."""
    query = query_of(body)
    return "null" if query is None else query.to_json()
