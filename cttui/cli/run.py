"""`cttui run NAME...`: favourites side by side, one line each in the order named."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, cast

from cttui.api.errors import CttuiError, unexpected
from cttui.cli.alerts import alert_of
from cttui.cli.connect import poll_interval
from cttui.cli.exits import EXIT_ALERT, EXIT_API, EXIT_INTERRUPTED, EXIT_OK, EXIT_PENDING
from cttui.cli.favorites import read_shelf, unknown_favorite
from cttui.cli.journal import progress
from cttui.cli.output import emit, say
from cttui.cli.session import opened
from cttui.console import cells, clip, pad, printable
from cttui.exports import CELL_MAX, Value
from cttui.records import FavoriteRun, JobState
from cttui.store.favorites import since_query_changed
from cttui.store.files import export_target
from cttui.trends import Change, before

if TYPE_CHECKING:
    from cttui.cli.arguments import AlertArgs, Scope, WaitArgs
    from cttui.jobs import Job, JobManager
    from cttui.session.core import Session
    from cttui.session.series import Series
    from cttui.store.favorites import Favorite
    from cttui.store.favorites_shared import Shelf
    from cttui.trends import Alert


class RunArgs(NamedTuple):
    scope: Scope
    names: tuple[str, ...]
    compare: str | None
    alert: AlertArgs
    wait: WaitArgs
    # None, with no --output: a line a favourite, each as soon as it is known.
    format: str | None
    output: str | None


# The columns of --format: the keys of --json (`_run_result`, and the change's once known).
RUN_HEADER = (
    "name", "status", "count", "req_id", "error", "from", "to", "job",
    "previous_count", "previous_from", "previous_to", "change", "change_ratio",
)  # fmt: skip
# The numbers, aligned right in the table.
RUN_RIGHT = (2, 7, 8, 11, 12)


# A favourite's result as --json gives it, and the change of its count (see _change).
_Reported = tuple[dict[str, object], "Change | None"]

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
    # --compare previous: the range before, counted (or known) beside it.
    compare: Series | None = None
    compared: asyncio.Event = field(default_factory=asyncio.Event)

    async def ready(self) -> None:
        await self.settled.wait()
        if self.compare is not None:
            await self.compared.wait()

    def settle(self, task: asyncio.Task[Job]) -> None:
        if not task.cancelled():
            # Retrieved here, so that a bug in a job is reported once and not as a traceback.
            task.exception()
        self.settled.set()


def run(args: RunArgs) -> int:
    chosen = _chosen_favorites(args)
    if args.output is not None:
        # Before anything is sent: counts asked for must have somewhere to go.
        export_target(Path(args.output).expanduser())
    # Every limit read before anything is sent: a typo in one is a usage error, not a breach.
    alerts = {favorite.name: alert_of(args.alert, favorite) for favorite in chosen}
    batch = _Batch()
    try:
        return asyncio.run(_run_favorites(args, chosen, batch, alerts))
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
        favorite = _find(shelf, name)
        if all(item.name != favorite.name for item in chosen):
            chosen.append(favorite)
    return chosen


def find_favorite(scope: Scope, name: str) -> Favorite:
    """The favourite `name` names, yours or a shared file's (`Shelf.resolve`), as listed: its
    name is its history key. Raises UsageError saying which there are."""
    return _find(read_shelf(scope), name)


def _find(shelf: Shelf, name: str) -> Favorite:
    found = shelf.resolve(name)
    if found is None:
        raise unknown_favorite(name, shelf)
    return found.favorite


async def _run_favorites(
    args: RunArgs, chosen: list[Favorite], batch: _Batch, alerts: Mapping[str, Alert]
) -> int:
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

        compared: dict[int, _Planned] = {}

        def on_change(job: Job) -> None:
            plan = compared.get(job.id)
            if plan is not None:
                if plan.compare is not None and all(p.settled for p in plan.compare.points):
                    plan.compared.set()
                return
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
        if args.compare is not None:
            for plan in plans.values():
                await _compare(session, plan, compared)
        for launch in await session.run_favorites(chosen):
            plan = plans[launch.favorite.name]
            plan.problem, plan.job, plan.task = launch.problem, launch.job, launch.task
            if launch.task is None:
                plan.settled.set()
            else:
                launch.task.add_done_callback(plan.settle)
        code, reported = await _report_runs(args, session, list(plans.values()))
        return _alerted(alerts, reported, code)


async def _compare(session: Session, plan: _Planned, compared: dict[int, _Planned]) -> None:
    """Count (unless known) the range just before the favourite's, for --compare previous."""
    from cttui.api.periods import previous
    from cttui.session.series import SeriesRequest, start_series

    query = plan.favorite.query(session.today())
    request = SeriesRequest(
        query, None, ranges=(previous(query.date_range),), favorite=plan.favorite
    )
    try:
        plan.compare = await start_series(session, request)
    except CttuiError:
        return  # the favourite's own run says why
    for point in plan.compare.points:
        if point.job is not None:
            compared[point.job.id] = plan
    if all(point.settled for point in plan.compare.points):
        plan.compared.set()


def _alerted(alerts: Mapping[str, Alert], reported: list[_Reported], code: int) -> int:
    """Say each limit a favourite's count breached; exit 4 when one did and nothing failed."""
    found = []
    for result, change in reported:
        count, name = result["count"], str(result["name"])
        if isinstance(count, int):
            found += [
                f"alert: {name} {result['from']}..{result['to']}: {breach}"
                for breach in alerts[name].breaches(count, change)
            ]
    for line in found:
        say(line)
    return EXIT_ALERT if found and code in (EXIT_OK, EXIT_PENDING) else code


def _base_urls(session: Session, favorites: list[Favorite]) -> set[str]:
    """The hosts the favourites will run on; one that cannot is told of when it is run."""
    urls = set()
    for favorite in favorites:
        with contextlib.suppress(CttuiError):
            urls.add(session.favorite_selection(favorite).base_url)
    return urls


async def _report_runs(
    args: RunArgs, session: Session, plans: list[_Planned]
) -> tuple[int, list[_Reported]]:
    """One line per favourite in the order named, each as soon as it and those before it are
    settled; --timeout stops the waiting for all of them at once."""
    manager, today = session.jobs, session.today()
    loop = asyncio.get_running_loop()
    timeout = args.wait.timeout
    deadline = None if timeout is None else loop.time() + timeout
    width = min(CELL_MAX, max(cells(printable(plan.favorite.name)) for plan in plans))
    results: list[dict[str, object]] = []
    reported: list[_Reported] = []
    for plan in plans:
        if not plan.settled.is_set():
            left = None if deadline is None else max(0.0, deadline - loop.time())
            try:
                await asyncio.wait_for(plan.ready(), left)
            except TimeoutError:
                await _stop_unsent(manager, plans)
        result = _run_result(plan, today)
        change = _change(session, plan)
        result.update(change.as_json() if change else {})
        results.append(result)
        reported.append((result, change))
        if args.format is None and args.output is None:
            print(_run_line(result, width, change), flush=True)
    if args.format is not None or args.output is not None:
        # Every value of a result is plain (text, a number or None); the change's are there
        # only once it is known.
        rows = [[result.get(key) for key in RUN_HEADER] for result in results]
        table = cast("list[list[Value]]", rows)
        emit(
            RUN_HEADER, table, args.format or "table", args.output, right=RUN_RIGHT, records=results
        )
    statuses = [result["status"] for result in results]
    if "partial" in statuses:
        say(
            f"{statuses.count('partial')} still pending; '{args.scope.command} jobs resume' "
            "finishes them"
        )
    if "fail" in statuses:
        return EXIT_API, reported
    return EXIT_PENDING if "partial" in statuses else EXIT_OK, reported


def _change(session: Session, plan: _Planned) -> Change | None:
    """The change of the count just made: from the range just before (--compare previous),
    else from the count before it of the same kind of range in the favourite's history."""
    job = plan.job
    if job is None or job.state is not JobState.DONE or job.query is None or job.count is None:
        return None
    dates = job.query.date_range
    run = FavoriteRun(job.id, job.updated, job.count, dates.start, dates.end)
    if plan.compare is not None:
        point = plan.compare.points[0]
        if point.count is None or point.job_id is None:
            return None
        earlier = point.period.dates
        return Change(run, FavoriteRun(point.job_id, 0.0, point.count, earlier.start, earlier.end))
    history = session.favorites.history().get(plan.favorite.name, ())
    _, runs = since_query_changed(history, plan.favorite.query_key)
    found = before(runs, run)
    return Change(run, found) if found is not None else None


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


def _run_line(result: Mapping[str, object], width: int, change: Change | None = None) -> str:
    """One line of `cttui run`, made printable; `width` is the names' column, in cells (a
    name wider is cut)."""
    status = result["status"]
    if status == "success":
        middle, rest = str(result["count"]), f"{result['from']}..{result['to']}"
        if change is not None:
            rest += f"  {change.text()}"
    elif status == "partial":
        middle, rest = "pending", f"req_id {result['req_id']}"
    else:
        middle, rest = "failed", str(result["error"])
    name = pad(clip(printable(str(result["name"])), width), width)
    return f"{name}  {middle:<{RUN_COUNT_WIDTH}}  {printable(rest)}".rstrip()
