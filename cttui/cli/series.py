"""`cttui series NAME --every week --last 12`: one query counted over many periods, one line
per period in order, each as soon as it and those before it are known."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, NamedTuple, cast

from cttui.api.errors import UsageError
from cttui.api.models import DateRange, Query
from cttui.api.periods import Every
from cttui.cli.alerts import alert_of, report_breaches
from cttui.cli.connect import poll_interval, today
from cttui.cli.exits import EXIT_API, EXIT_INTERRUPTED, EXIT_OK, EXIT_PENDING
from cttui.cli.journal import progress
from cttui.cli.output import emit, say
from cttui.cli.query_words import query_from_words
from cttui.cli.run import find_favorite
from cttui.cli.session import opened
from cttui.console import printable
from cttui.records import FavoriteRun, JobState, Origin
from cttui.session.series import Point, Series, SeriesRequest, start_series
from cttui.trends import Change, before, percent_text, range_text

if TYPE_CHECKING:
    from cttui.cli.arguments import AlertArgs, Scope, WaitArgs
    from cttui.exports import Value
    from cttui.jobs import Job
    from cttui.store.favorites import Favorite


class SeriesArgs(NamedTuple):
    scope: Scope
    name: str | None
    event: str | None
    where: tuple[tuple[str, ...], ...]
    every: str
    last: int
    no_current: bool
    refresh: bool
    alert: AlertArgs
    wait: WaitArgs
    # None, with no --output: a line a period, each as soon as it is known.
    format: str | None
    output: str | None


def series(args: SeriesArgs) -> int:
    favorite, query = _target(args)
    if args.output is not None:
        from pathlib import Path

        from cttui.store.files import export_target

        # Before anything is sent: counts asked for must have somewhere to go.
        export_target(Path(args.output).expanduser())
    alert = alert_of(args.alert, favorite)
    request = SeriesRequest(
        query,
        Every(args.every),
        args.last,
        current=not args.no_current,
        refresh=args.refresh,
        favorite=favorite,
    )
    started: list[Series] = []
    try:
        code, points = asyncio.run(_series(args, request, started))
    except KeyboardInterrupt:
        unfinished = [point for plan in started for point in plan.points if point.count is None]
        say(
            f"interrupted; {len(unfinished)} point(s) not counted yet: the same "
            f"'{args.scope.command} series' asks only for those"
        )
        return EXIT_INTERRUPTED
    label = favorite.name if favorite else query.event_name
    return report_breaches(alert, label, points, code)


def _target(args: SeriesArgs) -> tuple[Favorite | None, Query]:
    """The favourite NAME, or the query of --event and --where (its dates are the periods')."""
    if (args.name is None) == (args.event is None):
        raise UsageError(
            "name a favourite (cttui series NAME ...) or give a query with --event EVENT "
            "[--where ...], not both"
        )
    if args.name is not None:
        if args.where:
            raise UsageError("--where goes with --event; a favourite has its own filters")
        favorite = find_favorite(args.scope, args.name)
        return favorite, favorite.query(today(args.scope.demo))
    assert args.event is not None
    day = today(args.scope.demo)
    return None, query_from_words(args.event, DateRange(day, day), args.where)


async def _series(
    args: SeriesArgs, request: SeriesRequest, started: list[Series]
) -> tuple[int, list[FavoriteRun]]:
    async def follow(plan: Series, changed: asyncio.Event) -> None:
        await _print_as_known(args, plan, changed)

    plan = await counted_series(args.scope, args.wait, request, started, follow)
    # The alert judges the last whole period, when there is one: the one under way is
    # still counting.
    whole = [point for point in plan.points if not point.period.current]
    return _exit_code(plan), _runs(plan, whole or plan.points)


async def counted_series(
    scope: Scope,
    wait: WaitArgs,
    request: SeriesRequest,
    started: list[Series],
    follow: Callable[[Series, asyncio.Event], Awaitable[None]],
) -> Series:
    """Start `request`'s series in a session of its own (`started` holds it, for an
    interrupt to report), and `follow` it: the event is set at each change of a job."""
    interval = poll_interval(wait.poll_interval, os.environ, "", scope.demo)
    async with opened(scope, interval=interval, sends=True) as session:
        selection = (
            session.favorite_selection(request.favorite) if request.favorite else session.selection
        )
        if selection is None:
            raise UsageError(session.selection_error or "no profile yet; add one first")
        poll_interval(wait.poll_interval, os.environ, selection.base_url, scope.demo)
        account_id, base_url = selection.account_id, selection.base_url

        def here(origin: Origin) -> bool:
            return origin.account_id == account_id and (scope.demo or origin.base_url == base_url)

        # The unfinished jobs of the account, so that those of an earlier series resume.
        await session.adopt_journal(here, finished=False)
        changed = asyncio.Event()
        shown = sys.stderr.isatty()

        def on_change(job: Job) -> None:
            changed.set()
            point = started[0].of(job) if started else None
            if shown and point is not None:
                progress(job, interval, range_text(point.period.dates))

        session.jobs.subscribe(on_change)
        plan = await start_series(session, request)
        started.append(plan)
        _say_plan(plan)
        await follow(plan, changed)
        return plan


def _say_plan(plan: Series) -> None:
    request = plan.request
    kind = request.every.plural if request.every else "ranges"
    what = f"{len(plan.points)} {kind}"
    parts = [f"{plan.asked} asked"]
    if plan.resumed:
        parts.append(f"{plan.resumed} taken up from an earlier run")
    if plan.saved:
        parts.append(f"{plan.saved} known already ({plan.saved} request(s) saved)")
    say(f"{what}: {', '.join(parts)}")


# The columns of --format: the keys of each point's JSON (the change's once known).
SERIES_HEADER = (
    "from", "to", "status", "count", "current", "known", "job", "req_id", "error",
    "previous_count", "previous_from", "previous_to", "change", "change_ratio",
)  # fmt: skip


async def _print_as_known(args: SeriesArgs, plan: Series, changed: asyncio.Event) -> None:
    """Each point's line in order, as soon as it and those before it are settled (--no-wait:
    answered), until --timeout; with --format or -o, every point at the end."""
    lines = args.format is None and args.output is None

    def each(point: Point) -> None:
        if lines:
            print(_line(plan, point), flush=True)

    printed = await wait_for_points(args.wait, plan, changed, each)
    if lines:
        for point in plan.points[printed:]:
            print(_line(plan, point), flush=True)
        return
    records = [_json(plan, point) for point in plan.points]
    rows = cast("list[list[Value]]", [[item.get(key) for key in SERIES_HEADER] for item in records])
    emit(SERIES_HEADER, rows, args.format or "table", args.output, right=(3, 6), records=records)


async def wait_for_points(
    wait: WaitArgs, plan: Series, changed: asyncio.Event, each: Callable[[Point], None]
) -> int:
    """Wait for the points in order, calling `each` as soon as a point and those before it
    are settled (--no-wait: answered), until --timeout; returns how many were."""
    loop = asyncio.get_running_loop()
    deadline = None if wait.timeout is None else loop.time() + wait.timeout
    done = 0
    while done < len(plan.points):
        while done < len(plan.points) and _ready(plan.points[done], wait.no_wait):
            each(plan.points[done])
            done += 1
        left = None if deadline is None else deadline - loop.time()
        if done == len(plan.points) or (left is not None and left <= 0):
            break
        changed.clear()
        try:
            await asyncio.wait_for(changed.wait(), left)
        except TimeoutError:
            break
    return done


def _ready(point: Point, no_wait: bool) -> bool:
    job = point.job
    answered = job is not None and job.state is JobState.PENDING and job.req_id is not None
    return point.settled or (no_wait and answered)


def _runs(plan: Series, points: list[Point] | None = None) -> list[FavoriteRun]:
    """The series' counts (or those of `points`) as history runs, for the change and the
    alerts."""
    runs = []
    for point in plan.points if points is None else points:
        count, job_id = point.count, point.job_id
        if count is not None and job_id is not None:
            dates = point.period.dates
            # Counted on its last day if it is under way, after it if not (trends.under_way).
            day = dates.end if point.period.current else dates.end + timedelta(days=1)
            at = datetime.combine(day, time(12)).timestamp()
            runs.append(FavoriteRun(job_id, at, count, dates.start, dates.end))
    return runs


def _change(plan: Series, point: Point) -> Change | None:
    runs = _runs(plan)
    run = next((item for item in runs if item.job_id == point.job_id), None)
    found = before(runs, run) if run is not None else None
    return Change(run, found) if run is not None and found is not None else None


def _status(point: Point) -> str:
    if point.count is not None:
        return "success"
    job = point.job
    if point.problem is not None or job is None or job.state.finished:
        return "fail"
    return "partial"


def _line(plan: Series, point: Point) -> str:
    dates = point.period.dates
    status = _status(point)
    if status == "success":
        middle = f"{point.count:,}"
        change = _change(plan, point)
        ratio = change.ratio if change is not None else None
        rest = percent_text(ratio) if ratio is not None else ""
    elif status == "partial":
        job = point.job
        middle, rest = "pending", f"req_id {job.req_id}" if job and job.req_id else "not sent yet"
    else:
        job = point.job
        middle = "failed"
        rest = point.problem or (job.error if job else None) or "the request failed"
    marks = []
    if point.period.current:
        marks.append("under way")
    if point.known is not None:
        marks.append("known")
    tail = f"  ({', '.join(marks)})" if marks else ""
    line = f"{dates.start.isoformat()}  {dates.end.isoformat()}  {middle:>12}  {rest:<7}{tail}"
    return printable(line.rstrip())


def _json(plan: Series, point: Point) -> dict[str, object]:
    job = point.job
    change = _change(plan, point) if point.count is not None else None
    result: dict[str, object] = {
        "from": point.period.dates.start.isoformat(),
        "to": point.period.dates.end.isoformat(),
        "status": _status(point),
        "count": point.count,
        "current": point.period.current,
        "known": point.known is not None,
        "job": point.job_id,
        "req_id": job.req_id if job else None,
        "error": point.problem or (job.error if job and _status(point) == "fail" else None),
    }
    result.update(change.as_json() if change else {})
    return result


def _exit_code(plan: Series) -> int:
    statuses = [_status(point) for point in plan.points]
    if "fail" in statuses:
        return EXIT_API
    if "partial" in statuses:
        say(
            f"{statuses.count('partial')} point(s) still pending; the same series again, or "
            "'cttui jobs resume', finishes them"
        )
        return EXIT_PENDING
    return EXIT_OK
