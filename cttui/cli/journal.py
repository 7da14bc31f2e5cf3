"""The job journal read without a session, taking no job over (listings never write), and a
job's progress lines."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from cttui.api.errors import UsageError
from cttui.cli.output import say
from cttui.records import FavoriteRun, JobRecord, JobState, ListedJob
from cttui.store.journal import Journal
from cttui.store.paths import journal_file

if TYPE_CHECKING:
    from cttui.cli.arguments import Scope
    from cttui.jobs import Job


@contextmanager
def journal_read(scope: Scope) -> Iterator[Journal | None]:
    """The journal, open to read without taking any job over; None while there is none."""
    path = journal_file(demo=scope.demo)
    # Nothing there, or an empty file (a journal not begun, as SQLite reads it): none to list,
    # and listing must not begin one.
    try:
        found = path.stat()
        unbegun = stat.S_ISREG(found.st_mode) and found.st_size == 0
    except FileNotFoundError:
        unbegun = True
    except OSError:  # a symlink loop, say: Journal.open names the file and the cause
        unbegun = False
    if unbegun:
        yield None
        return
    # Reading never writes: jobs can be listed from a full or read-only state directory.
    journal = Journal.open(path, read_only=True)
    try:
        yield journal
    finally:
        journal.close()


def journal_history(scope: Scope) -> dict[str, list[FavoriteRun]]:
    """Every favourite's counts, oldest first (none while there is no journal); a journal that
    cannot be read raises UsageError naming it."""
    try:
        with journal_read(scope) as journal:
            return journal.history() if journal is not None else {}
    except OSError as error:
        path = journal_file(demo=scope.demo)
        raise UsageError(
            f"cannot read the job journal {path} ({error.strerror or error})"
        ) from None


def journal_jobs(scope: Scope) -> list[ListedJob]:
    """The jobs in the journal, read without taking any over (a missing journal has none)."""
    return list(journal_listing(scope))


def journal_listing(scope: Scope) -> Iterator[ListedJob]:
    """`journal_jobs` one at a time, oldest first: a listing of any length in flat memory."""
    # As the job runner adopts them, without loading it: a listing runs no job.
    fields = JobRecord.__dataclass_fields__
    for record, elsewhere in _listing(scope):
        yield ListedJob(**{name: getattr(record, name) for name in fields}, elsewhere=elsewhere)


def journal_export(scope: Scope) -> Iterator[str | JobRecord]:
    """The jobs for `jobs --json`, oldest first, one at a time: see `Journal.export`."""
    with journal_read(scope) as journal:
        if journal is not None:
            yield from journal.export()


def _listing(scope: Scope) -> Iterator[tuple[JobRecord, bool]]:
    with journal_read(scope) as journal:
        if journal is not None:
            yield from journal.listing()


def progress(job: Job, interval: float, label: str = "") -> None:
    about = f"{label}: " if label else ""
    if job.state is JobState.PENDING and job.next_poll_at is not None:
        say(
            f"{about}pending as req_id {job.req_id}; polling every {interval:g} s "
            f"({job.polls} poll{'s' if job.polls != 1 else ''} so far)"
        )
    elif job.error and not job.state.finished:
        say(f"{about}retrying ({job.retries}): {job.error}")
