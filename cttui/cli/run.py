"""`cttui run NAME...`: favourites side by side, one line each in the order named."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from cttui.api.errors import CttuiError, unexpected
from cttui.cli.connect import poll_interval
from cttui.cli.exits import EXIT_API, EXIT_INTERRUPTED, EXIT_OK, EXIT_PENDING
from cttui.cli.favorites import read_shelf, unknown_favorite
from cttui.cli.journal import progress
from cttui.cli.output import CELL_MAX, print_json, say
from cttui.cli.session import opened
from cttui.console import cells, clip, pad, printable
from cttui.records import JobState

if TYPE_CHECKING:
    from cttui.cli.arguments import Scope, WaitArgs
    from cttui.jobs import Job, JobManager
    from cttui.session.core import Session
    from cttui.store.favorites import Favorite


class RunArgs(NamedTuple):
    scope: Scope
    names: tuple[str, ...]
    wait: WaitArgs


# Each line of `cttui run` is printed before the next count is known: wide enough for any count
# up to ten digits, so that the third column still lines up.
RUN_COUNT_WIDTH = 10


@dataclass
class _Batch:
    """The jobs `cttui run` started, kept where an interrupt can still report them."""

    jobs: list[Job] = field(default_factory=list)


@dataclass
class _Planned:
    """One favourite of `cttui run`: its job (or why it was not sent), and whether the command
    is done waiting for it (`settled`)."""

    favorite: Favorite
    settled: asyncio.Event
    problem: str | None = None
    job: Job | None = None
    task: asyncio.Task[Job] | None = None

    def settle(self, task: asyncio.Task[Job]) -> None:
        if not task.cancelled():
            # Retrieved here, so that a bug in a job is reported once and not as a traceback.
            task.exception()
        self.settled.set()


def run(args: RunArgs) -> int:
    chosen = _chosen_favorites(args)
    batch = _Batch()
    try:
        return asyncio.run(_run_favorites(args, chosen, batch))
    except KeyboardInterrupt:
        unfinished = [job for job in batch.jobs if not job.state.finished]
        if unfinished:
            say(
                f"interrupted; {len(unfinished)} unfinished job(s) stay in the journal: "
                f"'{args.scope.command} jobs resume' picks them up"
            )
        else:
            say("interrupted; nothing is pending")
        return EXIT_INTERRUPTED


def _chosen_favorites(args: RunArgs) -> list[Favorite]:
    """The favourites `cttui run` names, each once, in the order first named."""
    shelf = read_shelf(args.scope)
    chosen: list[Favorite] = []
    for name in args.names:
        found = shelf.resolve(name)
        if found is None:
            raise unknown_favorite(name, shelf)
        favorite = found.favorite
        if all(item.name != favorite.name for item in chosen):
            chosen.append(favorite)
    return chosen


async def _run_favorites(args: RunArgs, chosen: list[Favorite], batch: _Batch) -> int:
    scope, wait = args.scope, args.wait
    interval = poll_interval(wait.poll_interval, os.environ, "", scope.demo)
    async with opened(scope, interval=interval, sends=True) as session:
        plans = {favorite.name: _Planned(favorite, asyncio.Event()) for favorite in chosen}
        for url in _base_urls(session, chosen):
            # Raises, before anything is sent, for an interval below 30 s on a CleverTap host.
            poll_interval(wait.poll_interval, os.environ, url, scope.demo)
        # Claims nothing: pending jobs of earlier runs stay for 'cttui jobs resume'.
        await session.journal.load(lambda _: False)
        shown = sys.stderr.isatty()

        def on_change(job: Job) -> None:
            plan = plans.get(job.favorite or "")
            if plan is None:
                return
            if job not in batch.jobs:
                batch.jobs.append(job)
            answered = job.state is JobState.PENDING and job.next_poll_at is not None
            if job.state.finished or (wait.no_wait and answered):
                plan.settled.set()
            if shown:
                progress(job, interval, plan.favorite.name)

        session.jobs.subscribe(on_change)
        for launch in await session.run_favorites(chosen):
            plan = plans[launch.favorite.name]
            plan.problem, plan.job, plan.task = launch.problem, launch.job, launch.task
            if launch.task is None:
                plan.settled.set()
            else:
                launch.task.add_done_callback(plan.settle)
        return await _report_runs(args, session.jobs, list(plans.values()), session.today())


def _base_urls(session: Session, favorites: list[Favorite]) -> set[str]:
    """The hosts the favourites will run on; one that cannot is told of when it is run."""
    urls = set()
    for favorite in favorites:
        with contextlib.suppress(CttuiError):
            urls.add(session.favorite_selection(favorite).base_url)
    return urls


async def _report_runs(
    args: RunArgs, manager: JobManager, plans: list[_Planned], today: date
) -> int:
    """One line per favourite in the order named, each as soon as it and those before it are
    settled; --timeout stops the waiting for all of them at once."""
    loop = asyncio.get_running_loop()
    timeout = args.wait.timeout
    deadline = None if timeout is None else loop.time() + timeout
    width = min(CELL_MAX, max(cells(printable(plan.favorite.name)) for plan in plans))
    results: list[dict[str, object]] = []
    for plan in plans:
        if not plan.settled.is_set():
            left = None if deadline is None else max(0.0, deadline - loop.time())
            try:
                await asyncio.wait_for(plan.settled.wait(), left)
            except TimeoutError:
                await _stop_unsent(manager, plans)
        result = _run_result(plan, today)
        results.append(result)
        if not args.wait.json:
            print(_run_line(result, width), flush=True)
    if args.wait.json:
        print_json(results)
    statuses = [result["status"] for result in results]
    if "partial" in statuses:
        say(
            f"{statuses.count('partial')} still pending; '{args.scope.command} jobs resume' "
            "finishes them"
        )
    if "fail" in statuses:
        return EXIT_API
    return EXIT_PENDING if "partial" in statuses else EXIT_OK


async def _stop_unsent(manager: JobManager, plans: list[_Planned]) -> None:
    """--timeout is up: a job still waiting for the server's first answer is cancelled, so that
    no later 'cttui jobs resume' sends a query the user was told was not sent."""
    for plan in plans:
        job = plan.job
        if job is not None and not job.state.finished and job.req_id is None:
            await manager.cancel(job)


def _run_result(plan: _Planned, today: date) -> dict[str, object]:
    job, task = plan.job, plan.task
    dates = job.query.date_range if job and job.query else plan.favorite.query(today).date_range
    result: dict[str, object] = {
        "name": plan.favorite.name,
        "status": "fail",
        "count": None,
        "req_id": None,
        "error": plan.problem,
        "from": dates.start.isoformat(),
        "to": dates.end.isoformat(),
        "job": job.id if job else None,
    }
    if job is None or task is None:
        return result
    failure = task.exception() if task.done() and not task.cancelled() else None
    if job.req_id is not None:
        result["req_id"] = int(job.req_id) if job.req_id.isdigit() else job.req_id
    if failure is not None:
        result["error"] = unexpected(failure)
    elif job.state is JobState.DONE:
        result.update(status="success", count=job.count)
    elif job.state is JobState.FAILED:
        result["error"] = job.error or "the request failed"
    elif job.state is JobState.CANCELLED or job.req_id is None:
        result["error"] = (
            "--timeout came before the server answered; nothing is pending, run it again"
        )
    else:
        result["status"] = "partial"
    return result


def _run_line(result: Mapping[str, object], width: int) -> str:
    """One line of `cttui run`, made printable; `width` is the names' column, in cells (a
    name wider is cut)."""
    status = result["status"]
    if status == "success":
        middle, rest = str(result["count"]), f"{result['from']}..{result['to']}"
    elif status == "partial":
        middle, rest = "pending", f"req_id {result['req_id']}"
    else:
        middle, rest = "failed", str(result["error"])
    name = pad(clip(printable(str(result["name"])), width), width)
    return f"{name}  {middle:<{RUN_COUNT_WIDTH}}  {printable(rest)}".rstrip()
