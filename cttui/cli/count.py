"""`cttui count` and `cttui poll`: one job, run to its end or until told to stop waiting."""

from __future__ import annotations

import asyncio
import copy
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from cttui.api.errors import UsageError
from cttui.api.models import DateRange, Query
from cttui.api.ranges import RangePreset
from cttui.cli.connect import poll_interval, today
from cttui.cli.exits import EXIT_API, EXIT_INTERRUPTED, EXIT_OK, EXIT_PENDING
from cttui.cli.journal import progress
from cttui.cli.options import Usage
from cttui.cli.output import print_json_line, say
from cttui.cli.query_words import query_from_words
from cttui.cli.session import opened
from cttui.records import JobState, Origin
from cttui.store.config import check_profile_name

if TYPE_CHECKING:
    from cttui.api.client import CleverTapClient
    from cttui.cli.arguments import Scope, WaitArgs
    from cttui.jobs import Job, JobManager
    from cttui.store.favorites import Favorite


class CountArgs(NamedTuple):
    scope: Scope
    event: str
    date_from: str | None
    date_to: str | None
    range: str | None
    where: tuple[tuple[str, ...], ...]
    save: str | None
    replace: bool
    compare: str | None
    wait: WaitArgs


class PollArgs(NamedTuple):
    scope: Scope
    req_id: str
    wait: WaitArgs


def count(args: CountArgs) -> int:
    if args.replace and args.save is None:
        raise Usage("--replace goes with --save NAME (see 'cttui count --help')")
    dates = _count_dates(args)
    query = _query_from_args(
        args,
        dates.resolve(today(args.scope.demo)) if isinstance(dates, RangePreset) else dates,
    )
    favorite = _favorite_from_args(args, query, dates) if args.save is not None else None
    if args.compare is not None:
        if favorite is not None:
            raise Usage("--compare and --save go separately: save first, then compare")
        from cttui.cli.compare import compare_previous

        return compare_previous(args.scope, args.wait, query)
    return _run_job(
        args.scope,
        args.wait,
        query=query,
        req_id=None,
        save=favorite,
        replace_existing=args.replace,
    )


def poll(args: PollArgs) -> int:
    req_id = args.req_id.strip()
    if not (req_id.isascii() and req_id.isdigit()):
        raise UsageError(f"req_id {args.req_id!r} must be digits, like 384649162721759")
    return _run_job(args.scope, args.wait, query=None, req_id=req_id)


def _count_dates(args: CountArgs) -> DateRange | RangePreset:
    dates = (("--from", args.date_from), ("--to", args.date_to))
    given = [flag for flag, value in dates if value is not None]
    see = "(see 'cttui count --help')"
    if args.range is not None:
        if given:
            raise Usage(
                f"--range cannot go with {given[0]}; give --range alone, or both dates {see}"
            )
        return RangePreset(args.range)
    if not given:
        raise Usage(f"the following arguments are required: --from and --to, or --range {see}")
    if len(given) == 1:
        missing = "--to" if given == ["--from"] else "--from"
        raise Usage(
            f"the following arguments are required: {missing}, or use --range instead of "
            f"{given[0]} {see}"
        )
    assert args.date_from is not None
    assert args.date_to is not None
    return DateRange.parse(args.date_from, args.date_to)


def _query_from_args(args: CountArgs, dates: DateRange) -> Query:
    return query_from_words(args.event, dates, args.where)


def _favorite_from_args(args: CountArgs, query: Query, dates: DateRange | RangePreset) -> Favorite:
    # Here, not at the top: only --save loads the favourites' modules.
    from cttui.store.favorites import Favorite, check_favorite_name

    scope = args.scope
    assert args.save is not None
    # The demo's favourites run on the demo's account, whatever profile is named.
    profile = None if scope.demo or scope.profile is None else check_profile_name(scope.profile)
    return Favorite(check_favorite_name(args.save), query.event_name, query.filters, dates, profile)


def _save_favorite(scope: Scope, favorite: Favorite, replace_existing: bool) -> str:
    """Save `favorite` unless the file already holds it as it is; returns its name as saved."""
    from cttui.cli.favorites import shared_files
    from cttui.store.favorites import FavoriteExists
    from cttui.store.favorites_shared import labels, shadowing
    from cttui.store.favorites_store import FavoritesStore

    posing = shadowing(favorite.name, labels(shared_files(scope)))
    if posing is not None:
        raise UsageError(posing)
    store = FavoritesStore(scope.favorites_file)
    current = store.read()
    if not current.writable:
        raise UsageError(current.read_only_reason())
    existing = current.find(favorite.name)
    if existing is not None:
        if existing.same_query(favorite):
            return existing.name
        # Replacing keeps the name as it was written, and with it the favourite's history.
        favorite = replace(favorite, name=existing.name)
    try:
        store.save(favorite, replace_existing=replace_existing)
    except FavoriteExists as error:
        raise UsageError(
            f"a favourite named {error.name!r} already holds another query; add --replace to "
            "overwrite it, or --save another name"
        ) from None
    say(f"saved favourite {favorite.name!r} in {store.path}")
    return favorite.name


class _Watch:
    """The job a command runs, kept where an interrupt can still report it. (Not a dataclass:
    creating one costs `cttui count` a millisecond.)"""

    def __init__(self) -> None:
        self.job: Job | None = None
        # Set when the journal failed: a pending req_id may then be kept nowhere but on screen.
        self.unsaved = False

    def resume_hint(self, req_id: str, scope: Scope) -> str:
        poll = f"{scope.command} poll {req_id}"
        if self.unsaved:
            return (
                f"not saved in the job journal ('{scope.command} jobs resume' will not find it): "
                f"keep the req_id and resume with: {poll}"
            )
        return f"resume with: {poll}"


def _run_job(
    scope: Scope,
    wait: WaitArgs,
    *,
    query: Query | None,
    req_id: str | None,
    save: Favorite | None = None,
    replace_existing: bool = False,
) -> int:
    """Run one job to the end. `save` is a favourite to keep first: only once nothing else
    can stop the run, so that a usage error saves nothing."""
    watch = _Watch()
    try:
        asyncio.run(
            _wait_for_job(
                scope,
                wait,
                query=query,
                req_id=req_id,
                watch=watch,
                save=save,
                replace_existing=replace_existing,
            )
        )
    except KeyboardInterrupt:
        pending = watch.job.req_id if watch.job else None
        if pending:
            say(f"interrupted while pending; {watch.resume_hint(pending, scope)}")
        else:
            say("interrupted before the server answered; nothing is pending")
        return EXIT_INTERRUPTED
    assert watch.job is not None
    return _report(watch.job, wait.json, sys.stdout, lambda req: watch.resume_hint(req, scope))


async def _wait_for_job(
    scope: Scope,
    wait: WaitArgs,
    *,
    query: Query | None,
    req_id: str | None,
    watch: _Watch,
    save: Favorite | None,
    replace_existing: bool,
) -> None:
    """Run the job until it ends, or until --no-wait or --timeout says to stop watching.

    Pending jobs of the same account left in the journal by an earlier run resume alongside.
    On stopping early, `watch.job` keeps a copy of the job as it stood: stopping leaves it
    pending, in the journal too, for `cttui poll` or `cttui jobs resume`.
    """
    interval = poll_interval(wait.poll_interval, os.environ, "", scope.demo)
    async with opened(scope, interval=interval, sends=True) as session:
        try:
            selection = session.selection
            if selection is None:
                raise UsageError(session.selection_error or "no profile yet; add one first")
            client = await session.client(selection)
            account_id, base_url = selection.account_id, selection.base_url
            poll_interval(wait.poll_interval, os.environ, base_url, scope.demo)
            favorite = _save_favorite(scope, save, replace_existing) if save else None

            # The demo's emulator moves to a new port each start; its own journal knows no other.
            def here(origin: Origin) -> bool:
                return origin.account_id == account_id and (
                    scope.demo or origin.base_url == base_url
                )

            # Not the finished jobs (a year of cron runs leaves thousands), but that of req_id.
            resumed = await session.adopt_journal(here, finished=False, req_id=req_id)
            # `cttui poll` of a req_id the journal knows: that job, finished or still ours. A req_id
            # names a job only with its server and account; the newest one wins.
            job = next(
                (
                    known
                    for known in reversed(session.jobs.jobs)
                    if req_id is not None
                    and known.req_id == req_id
                    and here(known.origin)
                    and (known.state.finished or known in resumed)
                ),
                None,
            )
            answered = asyncio.Event()
            asked = len(job.attempts) if job else 0

            def on_change(changed: Job) -> None:
                if changed is not watch.job:
                    return
                waiting = changed.state is JobState.PENDING and changed.next_poll_at is not None
                if (waiting and len(changed.attempts) > asked) or changed.state.finished:
                    answered.set()
                if sys.stderr.isatty():
                    progress(changed, session.jobs.poll_interval)

            session.jobs.subscribe(on_change)
            if job is None:
                job = await session.add_job(selection, query, req_id, favorite=favorite)
            watch.job = job
            if job.state.finished:
                # Nothing to wait for: the jobs from earlier stay pending for the next run, rather
                # than be started and cut off at once.
                return
            others = [other for other in resumed if other is not job]
            _resume_alongside(session.jobs, others, client, scope)
            job.client = client
            task = session.jobs.start(job)
            waits: set[asyncio.Future[Any]] = {task}
            if wait.no_wait:
                waits.add(asyncio.ensure_future(answered.wait()))
            try:
                await asyncio.wait(waits, timeout=wait.timeout, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiting in waits - {task}:
                    waiting.cancel()
                if not task.done():
                    watch.job = copy.copy(job)
        finally:
            # Every task ends before the client closes under it.
            await session.jobs.close()
            watch.unsaved = session.journal.error is not None


def _resume_alongside(
    manager: JobManager, jobs: list[Job], client: CleverTapClient, scope: Scope
) -> None:
    for other in jobs:
        other.client = client
        manager.start(other)
    if jobs and sys.stderr.isatty():
        say(f"also resuming {len(jobs)} pending job(s) from earlier ('{scope.command} jobs')")


def _report(job: Job, as_json: bool, out: TextIO, hint: Callable[[str], str]) -> int:
    if job.state is JobState.DONE:
        assert job.count is not None
        if as_json:
            print_json_line({"status": "success", "count": job.count}, out)
        else:
            print(job.count, file=out)
        return EXIT_OK
    if job.state is JobState.FAILED or job.req_id is None:
        if job.state is JobState.FAILED:
            error = job.error or "the request failed"
        else:
            last = f" (last try: {job.error})" if job.error else ""
            error = f"gave up before the server answered{last}; nothing is pending, run it again"
        if as_json:
            print_json_line({"status": "fail", "error": error, "code": job.http_status}, out)
        say(error)
        return EXIT_API
    req_id: int | str = int(job.req_id) if job.req_id.isdigit() else job.req_id
    if as_json:
        print_json_line({"status": "partial", "req_id": req_id}, out)
    else:
        print(job.req_id, file=out)
    say(f"still pending; {hint(job.req_id)}")
    return EXIT_PENDING
