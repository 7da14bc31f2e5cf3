"""`jobs resume`, `jobs resubmit` and `jobs remove`: the journal's jobs taken over by a session
(apart from the listings, so that `cttui jobs` loads no session)."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import TYPE_CHECKING, NamedTuple

from cttui.api.errors import CttuiError, UsageError
from cttui.cli.connect import poll_interval
from cttui.cli.exits import EXIT_API, EXIT_INTERRUPTED, EXIT_OK, EXIT_PENDING
from cttui.cli.jobs import find_job
from cttui.cli.journal import progress
from cttui.cli.output import say
from cttui.cli.session import opened
from cttui.console import printable
from cttui.records import JobAction, JobState, applies
from cttui.report import detail_text

if TYPE_CHECKING:
    from cttui.cli.arguments import Scope
    from cttui.jobs import Job


class JobsResumeArgs(NamedTuple):
    """`jobs resume` (every pending job), or `jobs resubmit ID` when `resubmit` is set."""

    scope: Scope
    resubmit: int | None
    timeout: float | None
    poll_interval: float | None


class JobsRemoveArgs(NamedTuple):
    scope: Scope
    job_ids: tuple[int, ...]


def jobs_resume(args: JobsResumeArgs) -> int:
    """`jobs resume` (every pending job) and `jobs resubmit ID` (one, sent again)."""
    try:
        return asyncio.run(_resume_jobs(args))
    except KeyboardInterrupt:
        say(
            f"interrupted; the jobs stay pending: '{args.scope.command} jobs resume' picks them "
            "up again"
        )
        return EXIT_INTERRUPTED


def jobs_remove(args: JobsRemoveArgs) -> int:
    return asyncio.run(_remove_jobs(args))


async def _resume_jobs(args: JobsResumeArgs) -> int:
    scope, resubmit = args.scope, args.resubmit
    # No 30 s check here: the manager keeps every job on a CleverTap host 30 s apart.
    interval = poll_interval(args.poll_interval, os.environ, "", scope.demo)
    async with opened(scope, interval=interval, sends=True) as session:
        runnable = await session.adopt_journal()
        if session.journal.error:
            raise UsageError(session.journal.error)
        # Sent, perhaps received, never answered: only the user can say to send them again, so
        # each is reported (and the exit code says so) until it is resubmitted or removed.
        interrupted = [job for job in session.jobs.jobs if job.state is JobState.INTERRUPTED]
        if resubmit is not None:
            runnable = [_resubmittable(find_job(scope, session.jobs.jobs, resubmit), scope)]
            interrupted = []
        for job in interrupted:
            say(_interrupted_advice(job, scope))
        if not runnable:
            if interrupted:
                return EXIT_API
            say("nothing pending in the journal")
            return EXIT_OK
        if sys.stderr.isatty():
            session.jobs.subscribe(lambda job: progress(job, interval) if job in runnable else None)
        tasks: list[asyncio.Task[Job]] = []
        stuck = False
        for job in runnable:
            try:
                if resubmit is not None:
                    tasks.append(await session.resubmit(job))
                else:
                    tasks.append(await session.start_job(job))
            except CttuiError as error:
                say(f"job {job.id} cannot run: {error.message}")
                stuck = True
        if tasks:
            await asyncio.wait(tasks, timeout=args.timeout)
        await session.jobs.close()
    for job in runnable:
        print(printable(detail_text(job)))
    states = {job.state for job in runnable}
    if stuck or interrupted or states & {JobState.FAILED, JobState.INTERRUPTED}:
        return EXIT_API
    return EXIT_OK if states <= {JobState.DONE} else EXIT_PENDING


def _interrupted_advice(job: Job, scope: Scope) -> str:
    resubmit = f"'{scope.command} jobs resubmit {job.id}'"
    if job.elsewhere:
        how = f"press r on it in the cttui that has it open, or close that one and run {resubmit}"
    else:
        how = f"{resubmit} sends it again, '{scope.command} jobs remove {job.id}' forgets it"
    return (
        f"job {job.id} was interrupted before the server answered (it may or may not have "
        f"the query), and nothing sends it again by itself: {how}"
    )


async def _remove_jobs(args: JobsRemoveArgs) -> int:
    async with opened(args.scope) as session:
        await session.adopt_journal()
        if session.journal.error:
            raise UsageError(session.journal.error)
        jobs = [
            find_job(args.scope, session.jobs.jobs, job_id)
            for job_id in dict.fromkeys(args.job_ids)
        ]
        for job in jobs:
            if not applies(JobAction.REMOVE, job, elsewhere=job.elsewhere):
                raise UsageError(
                    f"job {job.id} is held by another cttui that is still open: remove it there "
                    "(d in the app), or close that one first; nothing was removed"
                )
        await session.remove(jobs)
        if session.journal.error:
            raise UsageError(session.journal.error)
    for job in jobs:
        print(f"removed job {job.id}")
    return EXIT_OK


def _resubmittable(job: Job, scope: Scope) -> Job:
    if job.elsewhere and job.state is JobState.INTERRUPTED:
        # The other cttui will never send it either: only where it is shown can it be sent.
        raise UsageError(
            f"job {job.id} is interrupted and held by another cttui that is still open: press r "
            f"on it there to send it again, or close that one and run "
            f"'{scope.command} jobs resubmit {job.id}'"
        )
    if job.elsewhere:
        raise UsageError(f"job {job.id} is being run by another cttui; wait for it there")
    if not applies(JobAction.RESUBMIT, job, elsewhere=False):
        if job.state.resubmittable:
            raise UsageError(
                f"job {job.id} was started from a req_id alone; there is no query to send"
            )
        raise UsageError(
            f"job {job.id} is {job.state}; only failed, cancelled or interrupted jobs can be "
            "resubmitted"
        )
    return job
