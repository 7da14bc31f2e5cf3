"""Argument parsing and the headless commands.

Only the standard library is imported at module level: `cttui --help` and `--version` must be
instant, and `cttui count` loads httpx but never Textual.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from cttui import __version__

if TYPE_CHECKING:
    from pathlib import Path

    from cttui.api.models import Query
    from cttui.emulator import Emulator, EmulatorConfig
    from cttui.jobs import Job
    from cttui.store.credentials import Connection

EXIT_OK = 0
EXIT_API = 1
EXIT_USAGE = 2
EXIT_PENDING = 3
EXIT_INTERRUPTED = 130

ENV_POLL_INTERVAL = "CTTUI_POLL_INTERVAL"
ENV_DEBUG = "CTTUI_DEBUG"
DEMO_POLL_INTERVAL = 1.0
MIN_CLEVERTAP_POLL_INTERVAL = 30.0


class _Usage(Exception):
    """Raised by the parser instead of printing a usage block and exiting."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _Usage(f"{message} (see '{self.prog} --help')")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number of seconds")
    return value


def _bounded(kind: Callable[[str], float], low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a valid number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is outside {low:g}..{high:g}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cttui",
        description="CleverTap profile counts from the terminal. Run with no command for the app.",
        epilog=(
            "Credentials come from CLEVERTAP_ACCOUNT_ID, CLEVERTAP_PASSCODE and CLEVERTAP_REGION; "
            "CTTUI_BASE_URL points at another CleverTap-compatible server. Exit codes: 0 done, "
            "1 API or network failure, 2 bad input, 3 still pending."
        ),
    )
    parser.add_argument("--version", action="version", version=f"cttui {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run against a built-in CleverTap emulator with demo data (no account needed)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    count = commands.add_parser(
        "count",
        help="count the profiles that did an event in a date range",
        description="Count the distinct profiles that did EVENT between --from and --to "
        "(inclusive) and match every --where filter.",
    )
    count.add_argument("event", metavar="EVENT", help="event name, exact and case-sensitive")
    count.add_argument(
        "--from",
        dest="date_from",
        required=True,
        metavar="DATE",
        help="first day, YYYY-MM-DD or YYYYMMDD",
    )
    count.add_argument(
        "--to",
        dest="date_to",
        required=True,
        metavar="DATE",
        help="last day (inclusive), YYYY-MM-DD or YYYYMMDD",
    )
    count.add_argument(
        "--where",
        action="append",
        nargs="+",
        default=[],
        metavar="WORD",
        help="a property filter: NAME OPERATOR [VALUE]; repeat for more. Operators: equals, "
        "not_equals, contains, does_not_contain, exists, does_not_exist (text); equals, "
        "greater_than, greater_than_equals, less_than, less_than_equals (numbers)",
    )
    _add_wait_options(count)
    count.set_defaults(handler=_count)

    poll = commands.add_parser(
        "poll",
        help="resume a pending count by its req_id",
        description="Poll a pending count (the req_id that 'cttui count' printed) until it ends.",
    )
    poll.add_argument("req_id", metavar="REQ_ID")
    _add_wait_options(poll)
    poll.set_defaults(handler=_poll)

    emulator = commands.add_parser(
        "emulator",
        help="serve a local CleverTap emulator over synthetic data",
        description="Serve the Get Profile Count API on loopback over a deterministic synthetic "
        "event store, answering as CleverTap does (partial, 401, 429, failures).",
    )
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument(
        "--port",
        type=_bounded(int, 0, 65535),
        default=8787,
        help="0 picks a free port (default 8787)",
    )
    emulator.add_argument("--account-id", default="EMU-LAT-0001")
    emulator.add_argument(
        "--passcode",
        default="emulator-passcode",
        help="the emulator's own test passcode (never a real one)",
    )
    emulator.add_argument("--seed", type=_bounded(int, 0, 2**31), default=1)
    emulator.add_argument("--profiles", type=_bounded(int, 1, 10_000_000), default=10_000)
    emulator.add_argument("--events", type=_bounded(int, 1, 100_000_000), default=500_000)
    emulator.add_argument(
        "--fail-rate",
        type=_bounded(float, 0, 1),
        default=0.0,
        help="fraction of requests answering an injected 5xx",
    )
    emulator.add_argument(
        "--latency",
        type=_bounded(float, 0, 3600),
        default=0.0,
        help="seconds every request waits before answering",
    )
    emulator.add_argument(
        "--max-concurrent",
        type=_bounded(int, 1, 1000),
        default=3,
        help="requests in flight per account above which it answers 429",
    )
    emulator.add_argument(
        "--partial-after-days",
        type=_bounded(int, 0, 100_000),
        default=31,
        help="queries spanning more days answer partial (default 31)",
    )
    emulator.add_argument(
        "--compute-seconds",
        type=_bounded(float, 0, 86_400),
        default=5.0,
        help="how long a partial query takes to finish (default 5)",
    )
    emulator.add_argument("--verbose", action="store_true", help="log each request on stderr")
    emulator.set_defaults(handler=_emulator)
    return parser


def _add_wait_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--json", action="store_true", help="print the outcome as JSON")
    command.add_argument(
        "--no-wait",
        action="store_true",
        help="ask once: exit 3 with the req_id if the count is still pending",
    )
    command.add_argument(
        "--timeout",
        type=_positive_float,
        metavar="S",
        help="give up waiting after S seconds (exit 3, printing the req_id)",
    )
    command.add_argument(
        "--poll-interval",
        type=_positive_float,
        metavar="S",
        help=f"seconds between polls (default 30, or ${ENV_POLL_INTERVAL}); "
        "below 30 only against a non-CleverTap server",
    )


def main(argv: Sequence[str] | None = None) -> int:
    from cttui.api.errors import UsageError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            raise UsageError(
                "the app arrives with the next release; for now use a command (see 'cttui --help')"
            )
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except (_Usage, UsageError) as error:
        _say(str(error))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_INTERRUPTED
    except Exception as error:
        # A bug of ours: still one line for the user, with the way to the full story.
        if os.environ.get(ENV_DEBUG):
            raise
        _say(
            f"unexpected error ({type(error).__name__}: {error}); please report it, with the "
            f"traceback that {ENV_DEBUG}=1 shows"
        )
        return EXIT_API


def _say(message: str) -> None:
    print(f"cttui: {message}", file=sys.stderr)


def _poll_interval(
    args: argparse.Namespace, environ: Mapping[str, str], base_url: str, demo: bool
) -> float:
    from cttui.api.errors import UsageError
    from cttui.api.regions import is_clevertap_host

    interval: float | None = args.poll_interval
    if interval is None and environ.get(ENV_POLL_INTERVAL, "").strip():
        try:
            interval = _positive_float(environ[ENV_POLL_INTERVAL].strip())
        except argparse.ArgumentTypeError as error:
            raise UsageError(f"{ENV_POLL_INTERVAL}: {error}") from None
    if interval is None:
        interval = DEMO_POLL_INTERVAL if demo else MIN_CLEVERTAP_POLL_INTERVAL
    if interval < MIN_CLEVERTAP_POLL_INTERVAL and is_clevertap_host(base_url):
        raise UsageError(
            f"a poll interval of {interval:g} s is below CleverTap's 30 s rule; shorter intervals "
            "are only for a non-CleverTap server set with CTTUI_BASE_URL"
        )
    return interval


def _emulator_cache_dir() -> Path:
    """Generated emulator data is kept, so that only the first start pays for building it."""
    from platformdirs import user_cache_path

    return user_cache_path("cttui") / "emulator"


def demo_emulator_config() -> EmulatorConfig:
    from cttui.emulator import EmulatorConfig

    return EmulatorConfig(compute_seconds=3.0, cache_dir=_emulator_cache_dir())


@contextmanager
def _connection(demo: bool) -> Iterator[Connection]:
    """The account to talk to: the environment's, or a freshly started demo emulator's."""
    from cttui.store.credentials import from_environment

    if not demo:
        yield from_environment(os.environ)
        return
    config = demo_emulator_config()
    if sys.stderr.isatty():
        _say("demo: starting the built-in emulator (the first start builds its data)")
    with _started(config) as emulator:
        yield from_environment(
            {
                "CLEVERTAP_ACCOUNT_ID": config.account_id,
                "CLEVERTAP_PASSCODE": config.passcode,
                "CTTUI_BASE_URL": emulator.base_url,
            }
        )


@contextmanager
def _started(config: EmulatorConfig) -> Iterator[Emulator]:
    from cttui.api.errors import UsageError
    from cttui.emulator import Emulator, EmulatorError

    try:
        emulator = Emulator(config).start()
    except EmulatorError as error:
        raise UsageError(str(error)) from None
    try:
        yield emulator
    finally:
        emulator.stop()


def _count(args: argparse.Namespace) -> int:
    query = _query_from_args(args)
    return _run_job(args, query=query, req_id=None)


def _poll(args: argparse.Namespace) -> int:
    from cttui.api.errors import UsageError

    req_id = args.req_id.strip()
    if not (req_id.isascii() and req_id.isdigit()):
        raise UsageError(f"req_id {args.req_id!r} must be digits, like 384649162721759")
    return _run_job(args, query=None, req_id=req_id)


def _query_from_args(args: argparse.Namespace) -> Query:
    from cttui.api.errors import UsageError
    from cttui.api.models import DateRange, PropertyFilter, Query

    filters = []
    for index, words in enumerate(args.where):
        if len(words) not in (2, 3):
            raise UsageError(
                f"--where takes NAME OPERATOR [VALUE], got {len(words)} words "
                f"({' '.join(words)}); quote a name or value that has spaces"
            )
        filters.append(PropertyFilter.from_text(*words, index=index))
    query = Query(args.event, DateRange.parse(args.date_from, args.date_to), tuple(filters))
    query.validate()
    return query


@dataclass
class _Watch:
    """The job a command runs, kept where an interrupt can still report it."""

    job: Job | None = None


def _run_job(args: argparse.Namespace, *, query: Query | None, req_id: str | None) -> int:
    import asyncio

    watch = _Watch()
    try:
        with _connection(args.demo) as connection:
            interval = _poll_interval(args, os.environ, connection.base_url, args.demo)
            asyncio.run(
                _wait_for_job(args, connection, interval, query=query, req_id=req_id, watch=watch)
            )
    except KeyboardInterrupt:
        pending = watch.job.req_id if watch.job else None
        if pending:
            _say(f"interrupted while pending; resume with: cttui poll {pending}")
        else:
            _say("interrupted before the server answered; nothing is pending")
        return EXIT_INTERRUPTED
    assert watch.job is not None
    return _report(watch.job, args.json, sys.stdout)


async def _wait_for_job(
    args: argparse.Namespace,
    connection: Connection,
    interval: float,
    *,
    query: Query | None,
    req_id: str | None,
    watch: _Watch,
) -> None:
    """Run the job until it ends, or until --no-wait or --timeout says to stop watching.

    On stopping early, `watch.job` keeps a copy of the job as it stood, since cancelling the
    task marks the live one cancelled while the query itself is still pending on the server.
    """
    import asyncio
    import copy

    from cttui.api.client import CleverTapClient
    from cttui.jobs import JobManager, JobState

    async with CleverTapClient(connection.credentials, connection.base_url) as client:
        manager = JobManager(poll_interval=interval)
        answered = asyncio.Event()

        def on_change(job: Job) -> None:
            waiting = job.state is JobState.PENDING and job.next_poll_at is not None
            if waiting or job.state.finished:
                answered.set()
            if sys.stderr.isatty():
                _progress(job, interval)

        manager.subscribe(on_change)
        job = manager.add(client, query, req_id)
        watch.job = job
        task = manager.start(job)
        waits: set[asyncio.Future[Any]] = {task}
        if args.no_wait:
            waits.add(asyncio.ensure_future(answered.wait()))
        await asyncio.wait(waits, timeout=args.timeout, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            watch.job = copy.copy(job)
            for waiting in waits:
                waiting.cancel()
            await asyncio.gather(*waits, return_exceptions=True)


def _progress(job: Job, interval: float) -> None:
    from cttui.jobs import JobState

    if job.state is JobState.PENDING and job.next_poll_at is not None:
        _say(
            f"pending as req_id {job.req_id}; polling every {interval:g} s "
            f"({job.polls} poll{'s' if job.polls != 1 else ''} so far)"
        )
    elif job.error and not job.state.finished:
        _say(f"retrying ({job.retries}): {job.error}")


def _report(job: Job, as_json: bool, out: TextIO) -> int:
    from cttui.jobs import JobState

    if job.state is JobState.DONE:
        assert job.count is not None
        print(
            json.dumps({"status": "success", "count": job.count}) if as_json else job.count,
            file=out,
        )
        return EXIT_OK
    if job.state is JobState.FAILED or job.req_id is None:
        if job.state is JobState.FAILED:
            error = job.error or "the request failed"
        else:
            last = f" (last try: {job.error})" if job.error else ""
            error = f"gave up before the server answered{last}; nothing is pending, run it again"
        if as_json:
            print(json.dumps({"status": "fail", "error": error, "code": job.http_status}), file=out)
        _say(error)
        return EXIT_API
    req_id: int | str = int(job.req_id) if job.req_id.isdigit() else job.req_id
    print(json.dumps({"status": "partial", "req_id": req_id}) if as_json else job.req_id, file=out)
    _say(f"still pending; resume with: cttui poll {job.req_id}")
    return EXIT_PENDING


def _emulator(args: argparse.Namespace) -> int:
    from cttui.api.errors import UsageError
    from cttui.emulator import EmulatorConfig, EmulatorError, serve

    config = EmulatorConfig(
        host=args.host,
        port=args.port,
        account_id=args.account_id,
        passcode=args.passcode,
        seed=args.seed,
        profiles=args.profiles,
        events=args.events,
        fail_rate=args.fail_rate,
        latency=args.latency,
        max_concurrent=args.max_concurrent,
        partial_after_days=args.partial_after_days,
        compute_seconds=args.compute_seconds,
        cache_dir=_emulator_cache_dir(),
        quiet=not args.verbose,
    )
    try:
        return serve(config, sys.stdout)
    except EmulatorError as error:
        raise UsageError(str(error)) from None
