"""`--compare previous` on `cttui count`: the range asked, and the range of the same length
just before it (a whole month: the month before), counted as a series of two; a range counted
before is not asked again. One line: COUNT FROM..TO vs COUNT FROM..TO CHANGE."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from cttui.api.periods import previous
from cttui.cli.exits import EXIT_API, EXIT_INTERRUPTED, EXIT_OK, EXIT_PENDING
from cttui.cli.output import print_json, say
from cttui.cli.series import counted_series, wait_for_points
from cttui.records import FavoriteRun
from cttui.session.series import Point, Series, SeriesRequest
from cttui.trends import Change, percent_text, range_text

if TYPE_CHECKING:
    from cttui.api.models import Query
    from cttui.cli.arguments import Scope, WaitArgs


def compare_previous(scope: Scope, wait: WaitArgs, query: Query) -> int:
    dates = query.date_range
    request = SeriesRequest(query, None, ranges=(previous(dates), dates))
    started: list[Series] = []

    async def follow(plan: Series, changed: asyncio.Event) -> None:
        await wait_for_points(wait, plan, changed, lambda _: None)

    try:
        plan = asyncio.run(counted_series(scope, wait, request, started, follow))
    except KeyboardInterrupt:
        say("interrupted; the counts still pending stay in the journal ('cttui jobs resume')")
        return EXIT_INTERRUPTED
    before, now = plan.points
    change = _change(before, now)
    if wait.json:
        result: dict[str, object] = {
            "status": _status(plan),
            "count": now.count,
            "from": dates.start.isoformat(),
            "to": dates.end.isoformat(),
            "previous_count": before.count,
            "previous_from": before.period.dates.start.isoformat(),
            "previous_to": before.period.dates.end.isoformat(),
        }
        if change is not None:
            result.update(change.as_json())
        print_json(result)
    else:
        print(
            f"{_count(now)} {range_text(dates)}  vs  {_count(before)} "
            f"{range_text(before.period.dates)}  {_change_text(change)}".rstrip()
        )
    return {"success": EXIT_OK, "partial": EXIT_PENDING}.get(_status(plan), EXIT_API)


def _run(point: Point) -> FavoriteRun | None:
    count, job = point.count, point.job_id
    if count is None or job is None:
        return None
    return FavoriteRun(job, 0.0, count, point.period.dates.start, point.period.dates.end)


def _change(before: Point, now: Point) -> Change | None:
    earlier, later = _run(before), _run(now)
    return Change(later, earlier) if earlier is not None and later is not None else None


def _change_text(change: Change | None) -> str:
    if change is None:
        return ""
    ratio = change.ratio
    return f"{change.difference:+,}" + (f" ({percent_text(ratio)})" if ratio is not None else "")


def _count(point: Point) -> str:
    if point.count is not None:
        return str(point.count)
    job = point.job
    if job is not None and job.req_id is not None and not job.state.finished:
        return f"pending(req_id {job.req_id})"
    return "failed"


def _status(plan: Series) -> str:
    points = plan.points
    if all(point.count is not None for point in points):
        return "success"
    if any(
        point.job is None or point.job.state.finished or point.problem
        for point in points
        if point.count is None
    ):
        return "fail"
    return "partial"
