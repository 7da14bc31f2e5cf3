"""A series: one query counted for each of the last N days, ISO weeks or months. Each period is
a job of its own through the same gate as any other (3 in flight per account, the 30 s rule,
retries, the journal); a favourite's points join its history, keyed by their own dates.

A period already counted is not asked again: a favourite's history holds it, or (for a query
of the editor or the command line) a done job of the same account asked exactly that. A period
still under way always is, since its count still grows. Jobs of a series cut off half way (a
kill, a closed app) are taken up again by the next series of the same query: a pending one
resumes with its req_id, a queued one is sent, one cut off mid-POST is sent again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

from cttui.api.errors import CttuiError
from cttui.api.models import DateRange
from cttui.api.periods import Every, Period, periods
from cttui.records import JobState

if TYPE_CHECKING:
    from cttui.api.models import Query
    from cttui.jobs import Job
    from cttui.session.core import Session
    from cttui.store.favorites import Favorite
    from cttui.store.selection import Selection


@dataclass(frozen=True)
class SeriesRequest:
    """What to count: `query` (its dates are ignored) over the `last` periods of `every`, the
    period under way too unless `current` is False; or, with no `every`, over `ranges` (a
    comparison: a range and the one before it). `refresh` asks for every point again."""

    query: Query
    every: Every | None
    last: int = 0
    current: bool = True
    refresh: bool = False
    favorite: Favorite | None = None
    ranges: tuple[DateRange, ...] = ()

    def periods(self, today: date) -> list[Period]:
        if self.every is None:
            return [Period(dates, current=dates.end >= today) for dates in self.ranges]
        return periods(self.every, self.last, today, current=self.current)


@dataclass
class Point:
    """One period of a series: counted before (`known`, with the job that counted it), or the
    job asking for it now (`job`), or why it could not be asked (`problem`)."""

    period: Period
    query: Query
    known: int | None = None
    known_job: int | None = None
    job: Job | None = None
    problem: str | None = None

    @property
    def count(self) -> int | None:
        if self.known is not None:
            return self.known
        if self.job is not None and self.job.state is JobState.DONE:
            return self.job.count
        return None

    @property
    def job_id(self) -> int | None:
        return self.job.id if self.job is not None else self.known_job

    @property
    def settled(self) -> bool:
        """Nothing more will come of it in this run: counted, failed, or held by another cttui
        (which is the one to poll it)."""
        job = self.job
        return job is None or job.state.finished or job.elsewhere or self.problem is not None


@dataclass
class Series:
    request: SeriesRequest
    selection: Selection
    points: list[Point] = field(default_factory=list)
    resumed: int = 0

    @property
    def name(self) -> str | None:
        return self.request.favorite.name if self.request.favorite else None

    @property
    def saved(self) -> int:
        """Requests not made: points whose exact dates were counted before."""
        return sum(point.known is not None for point in self.points)

    @property
    def asked(self) -> int:
        return sum(point.job is not None for point in self.points) - self.resumed

    def of(self, job: Job) -> Point | None:
        return next((point for point in self.points if point.job is job), None)


def _same(job: Job, query: Query, selection: Selection) -> bool:
    return (
        job.query is not None
        and job.origin.account_id == selection.account_id
        and job.query.to_json() == query.to_json()
    )


async def start_series(session: Session, request: SeriesRequest) -> Series:
    """Plan the series and start the jobs of the points not known; raises CttuiError, sending
    nothing, when the account cannot be reached."""
    favorite = request.favorite
    if favorite is not None:
        selection = session.favorite_selection(favorite)
    elif session.selection is None:
        raise CttuiError(session.selection_error or "no profile yet; add one first")
    else:
        selection = session.selection
    chosen = request.periods(session.today())
    series = Series(
        request,
        selection,
        [Point(period, replace(request.query, date_range=period.dates)) for period in chosen],
    )
    if not request.refresh:
        await _take_known(session, series)
    name = favorite.name if favorite else None
    for point in series.points:
        if point.known is not None:
            continue
        live = _live_job(session, point.query, selection)
        if live is not None:
            point.job = live
            series.resumed += 1
            point.problem = await _take_up(session, live)
        else:
            point.job = await session.send(point.query, selection, name)
    return series


async def _take_known(session: Session, series: Series) -> None:
    """Mark the points whose exact dates were counted before (never one that reaches today:
    its count still grows)."""
    whole = [point for point in series.points if not point.period.current]
    favorite = series.request.favorite
    if favorite is not None:
        from cttui.store.favorites import since_query_changed

        runs = session.favorites.history().get(favorite.name, ())
        _, current = since_query_changed(runs, favorite.query_key)
        by_dates = {(run.start, run.end): run for run in current}
        for point in whole:
            run = by_dates.get((point.period.dates.start, point.period.dates.end))
            if run is not None:
                point.known, point.known_job = run.count, run.job_id
        # Only its history: a count kept elsewhere would be missing from its chart.
        return
    bodies = [point.query.to_json() for point in whole]
    counted = await session.journal.counted(series.selection.account_id, bodies)
    for point in whole:
        found = counted.get(point.query.to_json())
        if found is not None:
            point.known_job, point.known = found


def _live_job(session: Session, query: Query, selection: Selection) -> Job | None:
    """An unfinished job of the same query on the same account, the newest: one a series (or
    anything else) started and that has not ended."""
    for job in reversed(session.jobs.jobs):
        if not job.state.finished and _same(job, query, selection):
            return job
    return None


async def _take_up(session: Session, job: Job) -> str | None:
    """Run `job` here if no one does: resumed from its req_id (or sent, never having been);
    one cut off mid-POST is sent again, a count having no side effects. Returns why it
    cannot run, if it cannot."""
    if job.elsewhere or session.jobs.running(job):
        return None
    if job.state is JobState.INTERRUPTED:
        await session.resubmit(job)
    elif not await session.resume_job(job):
        return job.error or "cannot resume"
    return None
