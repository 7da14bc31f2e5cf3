"""`cttui jobs` and `jobs show`: the journal read, never written (`jobs_work` changes it)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from cttui.api.errors import UsageError
from cttui.cli.exits import EXIT_OK
from cttui.cli.journal import journal_export, journal_jobs
from cttui.cli.output import emit, json_text, print_json, say
from cttui.console import printable
from cttui.exports import Value, filters_text, table_lines, terminal_safe_json
from cttui.report import (
    attempt_lines,
    count_text,
    dates_text,
    job_curl,
    job_fields,
    job_json,
    state_text,
    summary_text,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from cttui.cli.arguments import ListArgs, Scope
    from cttui.records import JobRecord, ListedJob


class JobsShowArgs(NamedTuple):
    scope: Scope
    job_id: int
    json: bool


# A listing's jobs, or the session's (jobs_work.py) as they are.
J = TypeVar("J", bound="ListedJob")


def jobs_list(args: ListArgs) -> int:
    fmt = args.format or "table"
    if fmt in ("json", "jsonl"):
        # As the journal holds them, one at a time: a listing of any length in flat memory.
        emit(JOBS_HEADER, (), fmt, args.output, records=json_lines(journal_export(args.scope)))
        return EXIT_OK
    jobs = journal_jobs(args.scope)
    if not jobs and fmt == "table":
        say(f"no jobs yet: run one with '{args.scope.command} count' or in the app")
        if args.output is None:
            return EXIT_OK
    emit(
        JOBS_HEADER,
        (_job_row(job) for job in jobs),
        fmt,
        args.output,
        table=lambda: _jobs_table(jobs),
    )
    return EXIT_OK


def _jobs_table(jobs: list[ListedJob]) -> Iterator[str]:
    rows = [
        (
            str(job.id),
            state_text(job),
            count_text(job),
            summary_text(job.query, 40) or f"req_id {job.req_id}",
            dates_text(job.query.date_range) if job.query else "",
            job.origin.label,
            datetime.fromtimestamp(job.created).strftime("%Y-%m-%d %H:%M"),
        )
        for job in jobs
    ]
    if rows:
        header = ("ID", "STATE", "COUNT", "QUERY", "DATES", "PROFILE", "STARTED")
        yield from table_lines(header, rows, right=(0, 2))


JOBS_HEADER = (
    "id", "state", "count", "event", "filters", "from", "to", "favorite", "profile",
    "account_id", "started", "finished", "req_id", "error",
)  # fmt: skip


def _job_row(job: ListedJob) -> tuple[Value, ...]:
    """A job for a spreadsheet: its times local, with their UTC offset."""
    query = job.query
    finished = job.finished
    return (
        job.id,
        job.state.value,
        job.count,
        query.event_name if query else None,
        filters_text(query.filters) if query else None,
        query.date_range.start if query else None,
        query.date_range.end if query else None,
        job.favorite,
        job.origin.profile,
        job.origin.account_id,
        datetime.fromtimestamp(job.created).astimezone(),
        datetime.fromtimestamp(finished).astimezone() if finished is not None else None,
        job.req_id,
        job.error,
    )


def json_lines(items: Iterable[str | JobRecord]) -> Iterator[str]:
    """Each job as one line of JSON: as SQLite wrote it, or from its record (the same bytes
    either way, see `Journal.export`), with what a terminal would act on escaped."""
    for item in items:
        yield terminal_safe_json(item if isinstance(item, str) else json_text(job_json(item)))


def jobs_show(args: JobsShowArgs) -> int:
    job = find_job(args.scope, journal_jobs(args.scope), args.job_id)
    if args.json:
        print_json(job_json(job))
        return EXIT_OK
    print(f"job {job.id}")
    for label, value in job_fields(job, time.time()):
        print(printable(f"  {label:<9} {value}"))
    print("  requests")
    for line in attempt_lines(job) or ["none yet"]:
        print(printable(f"    {line}"))
    curl = job_curl(job)
    if curl:
        print("  curl")
        for line in curl.splitlines():
            print(printable(f"    {line}"))
    return EXIT_OK


def find_job(scope: Scope, jobs: list[J], wanted: int) -> J:
    job = next((job for job in jobs if job.id == wanted), None)
    if job is None:
        raise UsageError(f"no job {wanted} in the journal; '{scope.command} jobs' lists them")
    return job
