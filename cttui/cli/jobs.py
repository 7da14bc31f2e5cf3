"""`cttui jobs` and `jobs show`: the journal read, never written (`jobs_work` changes it)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from cttui.api.errors import UsageError
from cttui.cli.exits import EXIT_OK
from cttui.cli.journal import journal_export, journal_jobs
from cttui.cli.output import (
    json_text,
    print_json,
    print_json_lines,
    print_table,
    say,
    terminal_safe_json,
)
from cttui.console import printable
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
    if args.json:
        print_json_lines(json_lines(journal_export(args.scope)))
        return EXIT_OK
    jobs = journal_jobs(args.scope)
    if not jobs:
        say(f"no jobs yet: run one with '{args.scope.command} count' or in the app")
        return EXIT_OK
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
    header = ("ID", "STATE", "COUNT", "QUERY", "DATES", "PROFILE", "STARTED")
    print_table(header, rows, right=(0, 2))
    return EXIT_OK


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
