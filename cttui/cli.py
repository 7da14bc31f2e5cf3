"""Argument parsing and the headless commands.

Only the standard library is imported at module level: `cttui --help` and `--version` must be
instant, and `cttui count` loads httpx but never Textual.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import stat
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from cttui import __version__
from cttui.console import (
    OutputFailed,
    guarded_stdout,
    printable,
    silence_stdout,
    standard_streams,
    undecodable,
)

if TYPE_CHECKING:
    import asyncio
    from datetime import date

    from cttui.api.client import CleverTapClient, Credentials
    from cttui.api.errors import UsageError
    from cttui.api.models import DateRange, Query
    from cttui.api.ranges import RangePreset
    from cttui.emulator import Emulator, EmulatorConfig
    from cttui.jobs import Job, JobManager
    from cttui.records import FavoriteRun
    from cttui.store.config import Config, Profile
    from cttui.store.credentials import CredentialStore, SessionPasscodes
    from cttui.store.favorites import Favorite, Favorites
    from cttui.store.journal import Journal
    from cttui.store.journal_writer import JournalWriter
    from cttui.store.selection import Connection
    from cttui.tui.app import CttuiApp

EXIT_OK = 0
EXIT_API = 1
EXIT_USAGE = 2
EXIT_PENDING = 3
EXIT_INTERRUPTED = 130

ENV_POLL_INTERVAL = "CTTUI_POLL_INTERVAL"
DEMO_POLL_INTERVAL = 1.0
MIN_CLEVERTAP_POLL_INTERVAL = 30.0


class _Usage(Exception):
    """Raised by the parser instead of printing a usage block and exiting."""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # No abbreviations: `--passcode` must never quietly mean `--passcode-stdin`.
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

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
            "Credentials come from the active profile ('cttui credentials'), its passcode from the "
            "OS keyring; CLEVERTAP_ACCOUNT_ID, CLEVERTAP_PASSCODE and CLEVERTAP_REGION override "
            "them for one run. CTTUI_BASE_URL points at another CleverTap-compatible server. "
            "Favourites live in favorites.toml: save one with ctrl+s in the app or 'cttui count "
            "... --save NAME', list them with 'cttui favorites', run them with 'cttui run NAME'. "
            "Exit codes: 0 done, 1 API or network failure, 2 bad input, 3 still pending."
        ),
    )
    parser.add_argument("--version", action="version", version=f"cttui {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run against a built-in CleverTap emulator with demo data (no account needed)",
    )
    _add_profile_option(parser, default=None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    count = commands.add_parser(
        "count",
        help="count the profiles that did an event in a date range",
        description="Count the distinct profiles that did EVENT between --from and --to "
        "(inclusive), or in a --range such as last_7_days, and match every --where filter.",
    )
    count.add_argument("event", metavar="EVENT", help="event name, exact and case-sensitive")
    count.add_argument(
        "--from",
        dest="date_from",
        metavar="DATE",
        help="first day, YYYY-MM-DD or YYYYMMDD (with --to)",
    )
    count.add_argument(
        "--to",
        dest="date_to",
        metavar="DATE",
        help="last day (inclusive), YYYY-MM-DD or YYYYMMDD (with --from)",
    )
    count.add_argument(
        "--range",
        dest="range",
        choices=_RangeChoices(),
        metavar="PRESET",
        help="instead of --from and --to, a range resolved on the day it runs: %(choices)s",
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
    count.add_argument(
        "--save",
        metavar="NAME",
        help="save the query as favourite NAME before sending it ('cttui run NAME' runs it "
        "again); with --range it keeps the range, resolved again at each run",
    )
    count.add_argument(
        "--replace",
        action="store_true",
        help="with --save, overwrite a favourite of that name that holds another query",
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

    _add_favorites_commands(commands)
    _add_credentials_commands(commands)
    _add_jobs_commands(commands)

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
        "--throttle-rate",
        type=_bounded(float, 0, 1),
        default=0.0,
        help="fraction of requests answering an injected 429",
    )
    emulator.add_argument(
        "--reset-rate",
        type=_bounded(float, 0, 1),
        default=0.0,
        help="fraction of requests whose connection is reset, unanswered",
    )
    emulator.add_argument(
        "--forget-rate",
        type=_bounded(float, 0, 1),
        default=0.0,
        help="fraction of polls after which the req_id is forgotten",
    )
    emulator.add_argument(
        "--fault-seed",
        type=_bounded(int, 0, 2**31),
        help="seed of the injected faults (default: --seed)",
    )
    emulator.add_argument(
        "--latency",
        type=_bounded(float, 0, 3600),
        default=0.0,
        help="seconds every request waits before answering",
    )
    emulator.add_argument(
        "--latency-jitter",
        type=_bounded(float, 0, 3600),
        default=0.0,
        help="up to this many seconds more, at random",
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
    emulator.add_argument(
        "--state-file",
        type=Path,
        metavar="FILE",
        help="keep pending requests in FILE, so that a restarted emulator still answers them",
    )
    emulator.add_argument("--verbose", action="store_true", help="log each request on stderr")
    emulator.set_defaults(handler=_emulator)
    return parser


class _RangeChoices:
    """The RangePreset values for argparse, read only when asked for: building the parser must
    not import cttui.api, so that `cttui --help` stays standard library only."""

    def _values(self) -> list[str]:
        from cttui.api.ranges import RangePreset

        return [preset.value for preset in RangePreset]

    def __contains__(self, value: object) -> bool:
        return value in self._values()

    def __iter__(self) -> Iterator[str]:
        return iter(self._values())


def _add_favorites_commands(commands: argparse._SubParsersAction[_Parser]) -> None:
    favorites = commands.add_parser(
        "favorites",
        help="list the saved favourites, with each one's last count",
        description="List the favourites in favorites.toml with their history from the job "
        "journal: the last count, when it came, and how many counts there have been. A file "
        "with problems still lists what can be read, names each problem with its line and "
        "column, and exits 2.",
    )
    favorites.add_argument("--json", action="store_true", help="print the favourites as JSON")
    favorites.set_defaults(handler=_favorites_list)

    run = commands.add_parser(
        "run",
        help="run saved favourites by name, side by side",
        description="Run each named favourite (see 'cttui favorites'), relative ranges resolved "
        "for today, at most 3 requests in flight per account. Each runs on its own profile if "
        "it names one, else on --profile or the active one. One line per favourite, in the "
        "order given, as soon as it and those before it end: NAME COUNT FROM..TO, NAME failed "
        "ERROR, or NAME pending req_id N. Exit 0 when all counted, 1 if any failed, 3 if "
        "--no-wait or --timeout left some pending ('cttui jobs resume' finishes them).",
    )
    run.add_argument(
        "names",
        nargs="+",
        metavar="NAME",
        help="a favourite's name, as 'cttui favorites' lists it (case does not matter)",
    )
    _add_wait_options(run)
    run.set_defaults(handler=_favorites_run)


def _add_profile_option(command: argparse.ArgumentParser, default: object) -> None:
    # Accepted before or after the command; a subcommand's default must not undo the global one.
    command.add_argument(
        "--profile",
        metavar="NAME",
        default=default,
        help="use this saved profile instead of the active one",
    )


def _add_credentials_commands(commands: argparse._SubParsersAction[_Parser]) -> None:
    credentials = commands.add_parser(
        "credentials",
        help="save, list, show, delete or switch profiles",
        description="Profiles: a name, an account ID and a region in config.toml, with the "
        "passcode in the OS keyring (service 'cttui', username ACCOUNT_ID/PROFILE).",
    )
    actions = credentials.add_subparsers(
        dest="action", metavar="ACTION", parser_class=_Parser, required=True
    )
    save = actions.add_parser(
        "set",
        help="add or change a profile; asks for the passcode without echoing it",
        description="Add or change a profile. The passcode is asked for without echo, or read "
        "from standard input with --passcode-stdin; it is never taken as an argument.",
    )
    _add_profile_option(save, default=argparse.SUPPRESS)
    save.add_argument(
        "--account-id",
        metavar="ID",
        help="the account ID (XXX-XXX-XXXX), or a dashboard URL to take it and the region from",
    )
    save.add_argument("--region", metavar="R", help="eu1 (default), in1, sg1, us1, aps3, mec1, sk1")
    save.add_argument(
        "--passcode-stdin",
        action="store_true",
        help="read the passcode from standard input (one line) instead of asking",
    )
    save.set_defaults(handler=_credentials_set)
    listing = actions.add_parser("list", help="list the saved profiles; * marks the active one")
    listing.set_defaults(handler=_credentials_list)
    show = actions.add_parser("show", help="show a profile (the passcode stays masked)")
    _add_profile_option(show, default=argparse.SUPPRESS)
    show.set_defaults(handler=_credentials_show)
    delete = actions.add_parser("delete", help="delete a profile and its passcode in the keyring")
    _add_profile_option(delete, default=argparse.SUPPRESS)
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(handler=_credentials_delete)
    use = actions.add_parser("use", help="make a profile the active one")
    use.add_argument("name", metavar="NAME")
    use.set_defaults(handler=_credentials_use)


def _add_jobs_commands(commands: argparse._SubParsersAction[_Parser]) -> None:
    jobs = commands.add_parser(
        "jobs",
        help="list the jobs in the journal; show, resume or resubmit them",
        description="Every count sent from cttui (the app, 'count', 'poll') is kept in the job "
        "journal, pending ones included. With no action, list them, newest last.",
    )
    jobs.add_argument("--json", action="store_true", help="print the jobs as JSON")
    jobs.set_defaults(handler=_jobs_list)
    actions = jobs.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    show = actions.add_parser("show", help="everything about one job, with its every request")
    show.add_argument("job_id", type=_job_id, metavar="ID")
    show.add_argument("--json", action="store_true", help="print the job as JSON")
    show.set_defaults(handler=_jobs_show)
    resume = actions.add_parser(
        "resume",
        help="poll every pending job to the end and print the results",
        description="Poll every pending job in the journal (that no other cttui is running) "
        "until it ends, each on its own account, and print one line per job. Exit 0 when all "
        "are done, 1 if any failed or an interrupted job waits in the journal (resubmit or "
        "remove it), 3 if --timeout left some pending.",
    )
    resubmit = actions.add_parser(
        "resubmit",
        help="send a failed, cancelled or interrupted job again and wait for it",
    )
    resubmit.add_argument("job_id", type=_job_id, metavar="ID")
    remove = actions.add_parser(
        "remove",
        help="remove jobs from the journal, such as interrupted ones not to send again",
        description="Forget jobs, pending ones included (their req_ids with them). A job that "
        "another open cttui runs or shows is removed there.",
    )
    remove.add_argument("job_ids", type=_job_id, nargs="+", metavar="ID")
    remove.set_defaults(handler=_jobs_remove)
    for command in (resume, resubmit):
        command.add_argument("--timeout", type=_positive_float, metavar="S", help="stop after S s")
        command.add_argument(
            "--poll-interval",
            type=_positive_float,
            metavar="S",
            help=f"seconds between polls (default 30, or ${ENV_POLL_INTERVAL})",
        )
        command.set_defaults(handler=_jobs_resume)


def _job_id(text: str) -> int:
    if not (text.strip().isascii() and text.strip().isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a job number; 'cttui jobs' lists them")
    return int(text)


def _add_wait_options(command: argparse.ArgumentParser) -> None:
    _add_profile_option(command, default=argparse.SUPPRESS)
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
    from cttui.api.errors import DEBUG_VARIABLE, UsageError, unexpected

    standard_streams()
    parser = build_parser()
    arguments = sys.argv[1:] if argv is None else list(argv)
    try:
        not_text = undecodable(arguments)
        if not_text is not None:
            raise UsageError(not_text)
        _refuse_passcode_argument(arguments)
        with guarded_stdout():
            args = _parse(parser, arguments)
        handler: Callable[[argparse.Namespace], int] = getattr(args, "handler", _app)
        if handler is _app:
            return handler(args)
        with guarded_stdout():
            code = handler(args)
            # Written out here, where a full disk is still one line, not a message at exit.
            sys.stdout.flush()
        return code
    except OutputFailed as failed:
        from cttui.store.files import describe

        _say(f"cannot write to standard output: {describe(failed.error)}")
        silence_stdout()
        return EXIT_API
    except (_Usage, UsageError) as error:
        _say(str(error))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `cttui jobs | head`: the reader has gone, and so has anyone to tell.
        silence_stdout()
        return EXIT_API
    except Exception as error:
        # A bug of ours: still one line for the user, with the way to the full story.
        if os.environ.get(DEBUG_VARIABLE):
            raise
        _say(unexpected(error))
        return EXIT_API


def _parse(parser: argparse.ArgumentParser, arguments: list[str]) -> argparse.Namespace:
    try:
        return parser.parse_args(arguments)
    except SystemExit:
        # --help and --version: argparse ignores a failed write, and exits 0 having printed
        # nothing. Flushed here, the failure is told.
        sys.stdout.flush()
        raise


def _refuse_passcode_argument(arguments: list[str]) -> None:
    """A passcode on the command line shows in `ps` and shell history: refuse it before argparse
    could echo it back in an error, and so too any misspelling of `--passcode` or
    `--passcode-stdin` (`--passcod X`, `-p X`, `--pass=X`), whose value argparse would echo as an
    unrecognised argument. The emulator's own --passcode is a test value, not a secret."""
    from cttui.api.errors import UsageError

    command = next((word for word in arguments if not word.startswith("-")), None)
    if command == "emulator":
        return
    for word in arguments:
        if word == "--":
            return
        option = word.split("=", 1)[0].lower()
        if option == "--passcode-stdin" and "=" not in word:
            continue
        if option.startswith("--pas") or (option.startswith("-p") and not option.startswith("--")):
            raise UsageError(
                "cttui never takes a passcode as an argument (ps and shell history would show "
                f"it){_misspelt(option)}; type it at the hidden prompt, or pipe it in with "
                "--passcode-stdin"
            )


def _misspelt(option: str) -> str:
    """What is wrong with a passcode-like option. Only a short plain spelling is quoted back,
    so that a value run into the option (`-pSECRET`) is never shown."""
    if option == "--passcode":
        return ""
    if option == "--passcode-stdin":
        return ", and --passcode-stdin takes no value"
    plain = option.startswith("--") and len(option) <= 18 and option[2:].replace("-", "").isalpha()
    return f", and {repr(option) if plain else 'that option'} is not one of its options"


def _say(message: str) -> None:
    # Messages quote what users typed and files hold: one line, with nothing a terminal obeys.
    with contextlib.suppress(OSError):
        print(f"cttui: {printable(message)}", file=sys.stderr)


def _poll_interval(
    requested: float | None, environ: Mapping[str, str], base_url: str, demo: bool
) -> float:
    from cttui.api.errors import UsageError
    from cttui.api.regions import is_clevertap_host

    interval = requested
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


def demo_emulator_config() -> EmulatorConfig:
    from cttui.emulator import EmulatorConfig
    from cttui.store.paths import demo_state_dir, emulator_cache_dir

    # Its pending requests outlive the process, as CleverTap's do: a demo closed with jobs
    # pending finishes them when it is opened again.
    return EmulatorConfig(
        compute_seconds=3.0,
        cache_dir=emulator_cache_dir(),
        state_file=demo_state_dir() / "emulator-pending.json",
    )


@contextmanager
def _demo_emulator() -> Iterator[Emulator]:
    if sys.stderr.isatty():
        _say("demo: starting the built-in emulator (the first start builds its data)")
    with _started(demo_emulator_config()) as emulator:
        yield emulator


@contextmanager
def _connection(args: argparse.Namespace) -> Iterator[Connection]:
    """The account to talk to: the stored profile or the environment, or the demo emulator's."""
    if not args.demo:
        yield _stored_connection(os.environ, args.profile)
        return
    with _demo_emulator() as emulator:
        yield _demo_connection(emulator)


def _demo_connection(emulator: Emulator) -> Connection:
    from cttui.store.selection import from_environment

    config = emulator.config
    return from_environment(
        {
            "CLEVERTAP_ACCOUNT_ID": config.account_id,
            "CLEVERTAP_PASSCODE": config.passcode,
            "CTTUI_BASE_URL": emulator.base_url,
        }
    )


def _stored_connection(environ: Mapping[str, str], profile: str | None) -> Connection:
    from cttui.store.config import Config, load_config
    from cttui.store.credentials import OsKeyring
    from cttui.store.paths import config_file
    from cttui.store.selection import connect, needs_config, select

    # The environment alone can say everything; then config.toml and the keyring stay unread.
    config = load_config(config_file()) if needs_config(environ, profile) else Config()
    return connect(select(environ, config, profile), OsKeyring())


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
    from cttui.api.ranges import RangePreset

    if args.replace and args.save is None:
        raise _Usage("--replace goes with --save NAME (see 'cttui count --help')")
    dates = _count_dates(args)
    today = _today(args.demo)
    query = _query_from_args(
        args, dates.resolve(today) if isinstance(dates, RangePreset) else dates
    )
    favorite = _favorite_from_args(args, query, dates) if args.save is not None else None
    return _run_job(args, query=query, req_id=None, save=favorite)


def _today(demo: bool) -> date:
    """The day relative ranges end on: the demo's data has its own."""
    from datetime import date

    return demo_emulator_config().resolved_today() if demo else date.today()


def _count_dates(args: argparse.Namespace) -> DateRange | RangePreset:
    from cttui.api.models import DateRange
    from cttui.api.ranges import RangePreset

    dates = (("--from", args.date_from), ("--to", args.date_to))
    given = [flag for flag, value in dates if value is not None]
    see = "(see 'cttui count --help')"
    if args.range is not None:
        if given:
            raise _Usage(
                f"--range cannot go with {given[0]}; give --range alone, or both dates {see}"
            )
        return RangePreset(args.range)
    if not given:
        raise _Usage(f"the following arguments are required: --from and --to, or --range {see}")
    if len(given) == 1:
        missing = "--to" if given == ["--from"] else "--from"
        raise _Usage(
            f"the following arguments are required: {missing}, or use --range instead of "
            f"{given[0]} {see}"
        )
    return DateRange.parse(args.date_from, args.date_to)


def _favorite_from_args(
    args: argparse.Namespace, query: Query, dates: DateRange | RangePreset
) -> Favorite:
    from cttui.store.config import check_profile_name
    from cttui.store.favorites import Favorite, check_favorite_name

    # The demo's favourites run on the demo's account, whatever profile is named.
    profile = None if args.demo or args.profile is None else check_profile_name(args.profile)
    return Favorite(check_favorite_name(args.save), query.event_name, query.filters, dates, profile)


def _save_favorite(args: argparse.Namespace, favorite: Favorite) -> str:
    """Save `favorite` unless the file already holds it as it is; returns its name as saved."""
    from dataclasses import replace

    from cttui.api.errors import UsageError
    from cttui.store.favorites import FavoriteExists
    from cttui.store.favorites_store import FavoritesStore
    from cttui.store.paths import favorites_file

    store = FavoritesStore(favorites_file(demo=args.demo))
    current = store.read()
    if not current.writable:
        raise UsageError(current.read_only_reason())
    existing = current.find(favorite.name)
    if existing is not None:
        if _same_query(existing, favorite):
            return existing.name
        # Replacing keeps the name as it was written, and with it the favourite's history.
        favorite = replace(favorite, name=existing.name)
    try:
        store.save(favorite, replace_existing=args.replace)
    except FavoriteExists as error:
        raise UsageError(
            f"a favourite named {error.name!r} already holds another query; add --replace to "
            "overwrite it, or --save another name"
        ) from None
    _say(f"saved favourite {favorite.name!r} in {store.path}")
    return favorite.name


def _same_query(a: Favorite, b: Favorite) -> bool:
    """Whether two favourites count the same thing (notes and unknown keys aside)."""

    def definition(favorite: Favorite) -> tuple[object, ...]:
        return (favorite.event_name, favorite.filters, favorite.dates, favorite.profile)

    return definition(a) == definition(b)


def _poll(args: argparse.Namespace) -> int:
    from cttui.api.errors import UsageError

    req_id = args.req_id.strip()
    if not (req_id.isascii() and req_id.isdigit()):
        raise UsageError(f"req_id {args.req_id!r} must be digits, like 384649162721759")
    return _run_job(args, query=None, req_id=req_id)


def _query_from_args(args: argparse.Namespace, dates: DateRange) -> Query:
    from cttui.api.errors import UsageError
    from cttui.api.models import PropertyFilter, Query

    filters = []
    for index, words in enumerate(args.where):
        if len(words) not in (2, 3):
            raise UsageError(
                f"--where takes NAME OPERATOR [VALUE], got {len(words)} words "
                f"({' '.join(words)}); quote a name or value that has spaces"
            )
        filters.append(PropertyFilter.from_text(*words, index=index))
    query = Query(args.event, dates, tuple(filters))
    query.validate()
    return query


@dataclass
class _Watch:
    """The job a command runs, kept where an interrupt can still report it."""

    job: Job | None = None
    # Set when the journal failed: a pending req_id may then be kept nowhere but on screen.
    unsaved: bool = False

    def resume_hint(self, req_id: str, demo: bool) -> str:
        poll = f"{_command(demo)} poll {req_id}"
        if self.unsaved:
            return (
                f"not saved in the job journal ('{_command(demo)} jobs resume' will not find it): "
                f"keep the req_id and resume with: {poll}"
            )
        return f"resume with: {poll}"


def _run_job(
    args: argparse.Namespace,
    *,
    query: Query | None,
    req_id: str | None,
    save: Favorite | None = None,
) -> int:
    """Run one job to the end. `save` is a favourite to keep first: only once nothing else
    can stop the run, so that a usage error saves nothing."""
    import asyncio

    watch = _Watch()
    try:
        with _connection(args) as connection:
            interval = _poll_interval(
                args.poll_interval, os.environ, connection.base_url, args.demo
            )
            favorite = _save_favorite(args, save) if save is not None else None
            asyncio.run(
                _wait_for_job(
                    args,
                    connection,
                    interval,
                    query=query,
                    req_id=req_id,
                    watch=watch,
                    favorite=favorite,
                )
            )
    except KeyboardInterrupt:
        pending = watch.job.req_id if watch.job else None
        if pending:
            _say(f"interrupted while pending; {watch.resume_hint(pending, args.demo)}")
        else:
            _say("interrupted before the server answered; nothing is pending")
        return EXIT_INTERRUPTED
    assert watch.job is not None
    return _report(
        watch.job, args.json, sys.stdout, lambda req_id: watch.resume_hint(req_id, args.demo)
    )


def _journal_writer(args: argparse.Namespace) -> JournalWriter:
    from cttui.store.journal_writer import JournalWriter
    from cttui.store.paths import journal_file

    # A journal that cannot be used costs the record, never the run.
    return JournalWriter(journal_file(demo=args.demo), on_error=lambda m: _say(f"warning: {m}"))


def _job_manager(args: argparse.Namespace, interval: float, writer: JournalWriter) -> JobManager:
    from cttui.jobs import JobManager
    from cttui.store.paths import journal_file
    from cttui.store.slots import slots_dir

    # Slots beside the journal: every cttui on the machine shares an account's requests in flight.
    return JobManager(
        poll_interval=interval,
        recorder=writer,
        slots=slots_dir(journal_file(demo=args.demo)),
        on_warning=lambda m: _say(f"warning: {m}"),
    )


async def _wait_for_job(
    args: argparse.Namespace,
    connection: Connection,
    interval: float,
    *,
    query: Query | None,
    req_id: str | None,
    watch: _Watch,
    favorite: str | None = None,
) -> None:
    """Run the job until it ends, or until --no-wait or --timeout says to stop watching.

    Pending jobs of the same account left in the journal by an earlier run resume alongside.
    On stopping early, `watch.job` keeps a copy of the job as it stood: stopping leaves it
    pending, in the journal too, for `cttui poll` or `cttui jobs resume`.
    """
    import asyncio
    import copy

    from cttui.api.client import CleverTapClient
    from cttui.records import JobState, Origin

    account, base_url = connection.credentials.account_id, connection.base_url
    writer = _journal_writer(args)
    try:
        async with CleverTapClient(connection.credentials, base_url) as client:
            manager = _job_manager(args, interval, writer)

            # The demo's emulator moves to a new port each start; its own journal knows no other.
            def here(origin: Origin) -> bool:
                return origin.account_id == account and (args.demo or origin.base_url == base_url)

            records, ours = await writer.load(here)
            resumed = manager.adopt(records, ours)
            # `cttui poll` of a req_id the journal knows: that job, finished or still ours. A
            # req_id names a job only with its server and account; the newest one wins.
            job = next(
                (
                    known
                    for known in reversed(manager.jobs)
                    if req_id is not None
                    and known.req_id == req_id
                    and here(known.origin)
                    and (known.state.finished or known.id in ours)
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
                    _progress(changed, interval)

            manager.subscribe(on_change)
            if job is None:
                from cttui.store.selection import DEMO_PROFILE

                profile = DEMO_PROFILE if args.demo else connection.profile
                origin = Origin(account, base_url, profile)
                job = await manager.add(origin, client, query, req_id, favorite=favorite)
            watch.job = job
            if job.state.finished:
                # Nothing to wait for: the jobs from earlier stay pending for the next run,
                # rather than be started and cut off at once.
                return
            others = [other for other in resumed if other is not job]
            _resume_alongside(manager, others, client, args.demo)
            job.client = client
            task = manager.start(job)
            waits: set[asyncio.Future[Any]] = {task}
            if args.no_wait:
                waits.add(asyncio.ensure_future(answered.wait()))
            try:
                await asyncio.wait(waits, timeout=args.timeout, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiting in waits - {task}:
                    waiting.cancel()
                if not task.done():
                    watch.job = copy.copy(job)
                # Every task ends before the client closes under it.
                await manager.close()
    finally:
        writer.close()
        watch.unsaved = writer.error is not None


def _resume_alongside(
    manager: JobManager, jobs: list[Job], client: CleverTapClient, demo: bool
) -> None:
    for other in jobs:
        other.client = client
        manager.start(other)
    if jobs and sys.stderr.isatty():
        _say(f"also resuming {len(jobs)} pending job(s) from earlier ('{_command(demo)} jobs')")


def _progress(job: Job, interval: float, label: str = "") -> None:
    from cttui.records import JobState

    about = f"{label}: " if label else ""
    if job.state is JobState.PENDING and job.next_poll_at is not None:
        _say(
            f"{about}pending as req_id {job.req_id}; polling every {interval:g} s "
            f"({job.polls} poll{'s' if job.polls != 1 else ''} so far)"
        )
    elif job.error and not job.state.finished:
        _say(f"{about}retrying ({job.retries}): {job.error}")


def _report(job: Job, as_json: bool, out: TextIO, hint: Callable[[str], str]) -> int:
    from cttui.records import JobState

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
    _say(f"still pending; {hint(job.req_id)}")
    return EXIT_PENDING


NO_FAVORITES = "save one with ctrl+s in the app, or 'cttui count ... --save NAME'"
# Each line of `cttui run` is printed before the next count is known: wide enough for any count
# up to ten digits, so that the third column still lines up.
RUN_COUNT_WIDTH = 10


def _favorites_list(args: argparse.Namespace) -> int:
    from cttui.store.favorites_store import read_favorites
    from cttui.store.paths import favorites_file

    favorites = read_favorites(favorites_file(demo=args.demo))
    for problem in favorites.problems:
        _say(problem.message)
    code = EXIT_USAGE if favorites.problems else EXIT_OK
    if not favorites.items and not favorites.problems:
        _say(f"no favourites yet: {NO_FAVORITES}")
    history = _favorite_history(args) if favorites.items else {}
    today = _today(args.demo)
    if args.json:
        listed = [
            _favorite_json(item, history.get(item.name, ()), today) for item in favorites.items
        ]
        print(json.dumps(listed, ensure_ascii=False, indent=2))
        return code
    if favorites.items:
        _print_favorites(favorites, history, today)
    return code


def _favorite_history(args: argparse.Namespace) -> Mapping[str, Sequence[FavoriteRun]]:
    """Every favourite's counts from the journal; one it cannot read is a warning, not a
    reason to list no favourites."""
    from cttui.store.journal_files import JournalError
    from cttui.store.paths import journal_file

    try:
        with _journal_read(args) as journal:
            return journal.history() if journal is not None else {}
    except JournalError as error:
        _say(f"warning: {error.message}")
    except OSError as error:
        path = journal_file(demo=args.demo)
        _say(f"warning: cannot read the job journal {path} ({error.strerror or error})")
    return {}


def _range_text(dates: DateRange | RangePreset) -> str:
    from cttui.api.ranges import RangePreset

    if isinstance(dates, RangePreset):
        return dates.label
    return f"{dates.start.isoformat()}..{dates.end.isoformat()}"


def _print_favorites(
    favorites: Favorites, history: Mapping[str, Sequence[FavoriteRun]], today: date
) -> None:
    from datetime import datetime

    from cttui.report import summary_text

    rows = []
    for item in favorites.items:
        runs = history.get(item.name, ())
        last = runs[-1] if runs else None
        rows.append(
            (
                item.name,
                summary_text(item.query(today), 40),
                _range_text(item.dates),
                item.profile or "",
                str(last.count) if last else "",
                datetime.fromtimestamp(last.at).strftime("%Y-%m-%d %H:%M") if last else "",
                str(len(runs)),
            )
        )
    header = ("NAME", "QUERY", "RANGE", "PROFILE", "LAST", "WHEN", "RUNS")
    _print_table(header, rows, right=(4, 6))


def _print_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], right: tuple[int, ...]
) -> None:
    """Columns two spaces apart, those in `right` aligned right; every cell made printable
    before it is measured."""
    table = [[printable(cell) for cell in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        cells = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())


def _favorite_json(
    favorite: Favorite, runs: Sequence[FavoriteRun], today: date
) -> dict[str, object]:
    """A favourite for scripts: its dates resolved for today, its counts with local times."""
    from datetime import datetime

    from cttui.api.ranges import RangePreset

    dates = favorite.query(today).date_range
    return {
        "name": favorite.name,
        "event_name": favorite.event_name,
        "filters": [
            {
                "name": item.name,
                "operator": item.operator.value,
                "value": list(item.value) if isinstance(item.value, tuple) else item.value,
            }
            for item in favorite.filters
        ],
        "range": favorite.dates.value if isinstance(favorite.dates, RangePreset) else None,
        "from": dates.start.isoformat(),
        "to": dates.end.isoformat(),
        "profile": favorite.profile,
        "notes": favorite.notes,
        "runs": [
            {
                "job": run.job_id,
                "at": datetime.fromtimestamp(run.at).astimezone().isoformat(timespec="seconds"),
                "count": run.count,
                "from": run.start.isoformat(),
                "to": run.end.isoformat(),
            }
            for run in runs
        ],
    }


def _chosen_favorites(args: argparse.Namespace) -> list[Favorite]:
    """The favourites `cttui run` names, each once, in the order first named."""
    from cttui.store.favorites_store import read_favorites
    from cttui.store.paths import favorites_file

    favorites = read_favorites(favorites_file(demo=args.demo))
    chosen: list[Favorite] = []
    for name in args.names:
        favorite = favorites.find(name.strip())
        if favorite is None:
            raise _unknown_favorite(name.strip(), favorites)
        if all(item.name != favorite.name for item in chosen):
            chosen.append(favorite)
    return chosen


def _unknown_favorite(name: str, favorites: Favorites) -> UsageError:
    from cttui.api.errors import UsageError

    broken = favorites.broken(name)
    if broken is not None:
        return UsageError(broken.message)
    # A file that cannot be read or parsed at all: that is what to fix.
    whole = next((problem for problem in favorites.problems if problem.name is None), None)
    if whole is not None and not favorites.items:
        return UsageError(f"no favourite named {name!r} could be read: {whole.message}")
    if not favorites.items:
        return UsageError(
            f"no favourite named {name!r}: none saved yet in {favorites.path}; {NO_FAVORITES}"
        )
    return UsageError(f"no favourite named {name!r} (known: {', '.join(favorites.names())})")


@dataclass
class _Batch:
    """The jobs `cttui run` started, kept where an interrupt can still report them."""

    jobs: list[Job] = field(default_factory=list)


@dataclass
class _Planned:
    """One favourite of `cttui run`: the account it runs on (or why it cannot), its job, and
    whether the command is done waiting for it (`settled`)."""

    favorite: Favorite
    settled: asyncio.Event
    connection: Connection | None = None
    problem: str | None = None
    job: Job | None = None
    task: asyncio.Task[Job] | None = None

    def settle(self, task: asyncio.Task[Job]) -> None:
        if not task.cancelled():
            # Retrieved here, so that a bug in a job is reported once and not as a traceback.
            task.exception()
        self.settled.set()


def _favorites_run(args: argparse.Namespace) -> int:
    import asyncio

    chosen = _chosen_favorites(args)
    batch = _Batch()
    try:
        return asyncio.run(_run_favorites(args, chosen, batch))
    except KeyboardInterrupt:
        unfinished = [job for job in batch.jobs if not job.state.finished]
        if unfinished:
            _say(
                f"interrupted; {len(unfinished)} unfinished job(s) stay in the journal: "
                f"'{_command(args.demo)} jobs resume' picks them up"
            )
        else:
            _say("interrupted; nothing is pending")
        return EXIT_INTERRUPTED


async def _run_favorites(args: argparse.Namespace, chosen: list[Favorite], batch: _Batch) -> int:
    import contextlib

    async with contextlib.AsyncExitStack() as stack:
        code = await _run_favorites_in(stack, args, chosen, batch)
    return code


async def _run_favorites_in(
    stack: AsyncExitStack, args: argparse.Namespace, chosen: list[Favorite], batch: _Batch
) -> int:
    import asyncio

    from cttui.api.client import CleverTapClient
    from cttui.records import JobState, Origin
    from cttui.store.selection import DEMO_PROFILE

    emulator = stack.enter_context(_demo_emulator()) if args.demo else None
    today = emulator.config.resolved_today() if emulator is not None else _today(False)
    plans = [_Planned(favorite, asyncio.Event()) for favorite in chosen]
    await _connect_plans(plans, args, emulator)
    interval = _poll_interval(args.poll_interval, os.environ, "", args.demo)
    for url in {plan.connection.base_url for plan in plans if plan.connection is not None}:
        # Raises, before anything is sent, for an interval below 30 s on a CleverTap host.
        _poll_interval(args.poll_interval, os.environ, url, args.demo)

    writer = _journal_writer(args)
    stack.callback(writer.close)
    # Claims nothing: pending jobs of earlier runs stay for 'cttui jobs resume'.
    await writer.load(lambda _: False)
    # Two profiles on one account may hold different passcodes: one client per credentials.
    clients: dict[tuple[Credentials, str], CleverTapClient] = {}

    async def close_clients() -> None:
        for client in clients.values():
            await client.aclose()

    stack.push_async_callback(close_clients)
    manager = _job_manager(args, interval, writer)
    stack.push_async_callback(manager.close)
    by_job: dict[int, _Planned] = {}
    progress = sys.stderr.isatty()

    def on_change(job: Job) -> None:
        plan = by_job.get(job.id)
        if plan is None:
            return
        answered = job.state is JobState.PENDING and job.next_poll_at is not None
        if job.state.finished or (args.no_wait and answered):
            plan.settled.set()
        if progress:
            _progress(job, interval, plan.favorite.name)

    manager.subscribe(on_change)
    for plan in plans:
        connection = plan.connection
        if connection is None:
            continue
        key = (connection.credentials, connection.base_url)
        if key not in clients:
            clients[key] = CleverTapClient(connection.credentials, connection.base_url)
        account = connection.credentials.account_id
        origin = Origin(
            account, connection.base_url, DEMO_PROFILE if args.demo else connection.profile
        )
        query = plan.favorite.query(today)
        plan.job = await manager.add(origin, clients[key], query, favorite=plan.favorite.name)
        batch.jobs.append(plan.job)
        by_job[plan.job.id] = plan
        plan.task = manager.start(plan.job)
        plan.task.add_done_callback(plan.settle)
    return await _report_runs(args, manager, plans, today)


async def _connect_plans(
    plans: list[_Planned], args: argparse.Namespace, emulator: Emulator | None
) -> None:
    """Each favourite's account: the demo's, else its own profile, --profile or the active one
    (the environment overriding as for any run). One that cannot connect fails alone."""
    import asyncio

    from cttui.api.errors import CttuiError

    connections: dict[str | None, Connection | str] = {}
    for plan in plans:
        profile = None if emulator is not None else plan.favorite.profile or args.profile
        if profile not in connections:
            try:
                connections[profile] = (
                    _demo_connection(emulator)
                    if emulator is not None
                    else await asyncio.to_thread(_stored_connection, os.environ, profile)
                )
            except CttuiError as error:
                connections[profile] = error.message
        found = connections[profile]
        if isinstance(found, str):
            plan.problem = found
            plan.settled.set()
        else:
            plan.connection = found


async def _report_runs(
    args: argparse.Namespace, manager: JobManager, plans: list[_Planned], today: date
) -> int:
    """One line per favourite in the order named, each as soon as it and those before it are
    settled; --timeout stops the waiting for all of them at once."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = None if args.timeout is None else loop.time() + args.timeout
    width = max(len(plan.favorite.name) for plan in plans)
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
        if not args.json:
            print(printable(_run_line(result, width)), flush=True)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    statuses = [result["status"] for result in results]
    if "partial" in statuses:
        _say(
            f"{statuses.count('partial')} still pending; '{_command(args.demo)} jobs resume' "
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
    from cttui.api.errors import unexpected
    from cttui.records import JobState

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
    status = result["status"]
    if status == "success":
        middle, rest = str(result["count"]), f"{result['from']}..{result['to']}"
    elif status == "partial":
        middle, rest = "pending", f"req_id {result['req_id']}"
    else:
        middle, rest = "failed", str(result["error"])
    name = str(result["name"])
    return f"{name:<{width}}  {middle:<{RUN_COUNT_WIDTH}}  {rest}".rstrip()


@contextmanager
def _journal_read(args: argparse.Namespace) -> Iterator[Journal | None]:
    """The journal, open to read without taking any job over; None while there is none."""
    from cttui.store.journal import Journal
    from cttui.store.paths import journal_file

    path = journal_file(demo=args.demo)
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


def _journal_jobs(args: argparse.Namespace) -> list[Job]:
    """The jobs in the journal, read without taking any over (a missing journal has none)."""
    from cttui.jobs import JobManager

    with _journal_read(args) as journal:
        if journal is None:
            return []
        records, _ = journal.load()
        elsewhere = journal.elsewhere()
    manager = JobManager()
    manager.adopt(records, set(), elsewhere)
    return manager.jobs


def _jobs_list(args: argparse.Namespace) -> int:
    from cttui.report import count_text, dates_text, job_json, state_text, summary_text

    jobs = _journal_jobs(args)
    if args.json:
        print(json.dumps([job_json(job) for job in jobs], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not jobs:
        _say(f"no jobs yet: run one with '{_command(args.demo)} count' or in the app")
        return EXIT_OK
    from datetime import datetime

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
    _print_table(header, rows, right=(0, 2))
    return EXIT_OK


def _find_job(args: argparse.Namespace, jobs: list[Job], job_id: int | None = None) -> Job:
    from cttui.api.errors import UsageError

    wanted = args.job_id if job_id is None else job_id
    job = next((job for job in jobs if job.id == wanted), None)
    if job is None:
        raise UsageError(f"no job {wanted} in the journal; '{_command(args.demo)} jobs' lists them")
    return job


def _jobs_show(args: argparse.Namespace) -> int:
    import time

    from cttui.report import attempt_lines, job_curl, job_fields, job_json

    job = _find_job(args, _journal_jobs(args))
    if args.json:
        print(json.dumps(job_json(job), ensure_ascii=False, indent=2))
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


def _jobs_resume(args: argparse.Namespace) -> int:
    """`jobs resume` (every pending job) and `jobs resubmit ID` (one, sent again)."""
    import asyncio

    try:
        return asyncio.run(_resume_jobs(args))
    except KeyboardInterrupt:
        _say(
            f"interrupted; the jobs stay pending: '{_command(args.demo)} jobs resume' picks them "
            "up again"
        )
        return EXIT_INTERRUPTED


async def _resume_jobs(args: argparse.Namespace) -> int:
    import contextlib

    async with contextlib.AsyncExitStack() as stack:
        code = await _resume_in(stack, args)
    return code


async def _resume_in(stack: AsyncExitStack, args: argparse.Namespace) -> int:
    import asyncio

    from cttui.api.errors import CttuiError, UsageError
    from cttui.records import JobState
    from cttui.report import detail_text

    resubmit: int | None = getattr(args, "job_id", None)
    emulator = stack.enter_context(_demo_emulator()) if args.demo else None
    writer = _journal_writer(args)
    stack.callback(writer.close)
    records, ours = await writer.load(lambda _: True)
    if writer.error:
        raise UsageError(writer.error)
    # No 30 s check here: the manager keeps every job on a CleverTap host 30 s apart.
    interval = _poll_interval(args.poll_interval, os.environ, "", args.demo)
    manager = _job_manager(args, interval, writer)
    runnable = manager.adopt(records, ours)
    # Sent, perhaps received, never answered: only the user can say to send them again, so
    # each is reported (and the exit code says so) until it is resubmitted or removed.
    interrupted = [job for job in manager.jobs if job.state is JobState.INTERRUPTED]
    if resubmit is not None:
        runnable = [_resubmittable(_find_job(args, manager.jobs), args.demo)]
        interrupted = []
    for job in interrupted:
        _say(_interrupted_advice(job, args.demo))
    if not runnable:
        if interrupted:
            return EXIT_API
        _say("nothing pending in the journal")
        return EXIT_OK
    if sys.stderr.isatty():
        manager.subscribe(lambda job: _progress(job, interval) if job in runnable else None)
    connector = _JobConnector(emulator)
    stack.push_async_callback(connector.aclose)
    # Runs first: every task ends before the clients close under it.
    stack.push_async_callback(manager.close)
    tasks: list[asyncio.Task[Job]] = []
    stuck = False
    for job in runnable:
        try:
            client = await connector.client(job)
        except CttuiError as error:
            _say(f"job {job.id} cannot run: {error.message}")
            stuck = True
            continue
        if resubmit is not None:
            tasks.append(await manager.resubmit(job, client))
        else:
            job.client = client
            tasks.append(manager.start(job))
    if tasks:
        await asyncio.wait(tasks, timeout=args.timeout)
    await manager.close()
    for job in runnable:
        print(printable(detail_text(job)))
    states = {job.state for job in runnable}
    if stuck or interrupted or states & {JobState.FAILED, JobState.INTERRUPTED}:
        return EXIT_API
    return EXIT_OK if states <= {JobState.DONE} else EXIT_PENDING


def _interrupted_advice(job: Job, demo: bool) -> str:
    resubmit = f"'{_command(demo)} jobs resubmit {job.id}'"
    if job.elsewhere:
        how = f"press r on it in the cttui that has it open, or close that one and run {resubmit}"
    else:
        how = f"{resubmit} sends it again, '{_command(demo)} jobs remove {job.id}' forgets it"
    return (
        f"job {job.id} was interrupted before the server answered (it may or may not have "
        f"the query), and nothing sends it again by itself: {how}"
    )


def _command(demo: bool) -> str:
    """How to run cttui again on the same journal, for a hint to quote."""
    return "cttui --demo" if demo else "cttui"


def _jobs_remove(args: argparse.Namespace) -> int:
    import asyncio

    return asyncio.run(_remove_jobs(args))


async def _remove_jobs(args: argparse.Namespace) -> int:
    from cttui.api.errors import UsageError
    from cttui.jobs import JobManager

    writer = _journal_writer(args)
    try:
        records, ours = await writer.load(lambda _: True)
        if writer.error:
            raise UsageError(writer.error)
        manager = JobManager(recorder=writer)
        manager.adopt(records, ours)
        jobs = [_find_job(args, manager.jobs, job_id) for job_id in dict.fromkeys(args.job_ids)]
        for job in jobs:
            if job.elsewhere:
                raise UsageError(
                    f"job {job.id} is held by another cttui that is still open: remove it there "
                    "(d in the app), or close that one first; nothing was removed"
                )
        await manager.remove(jobs)
        if writer.error:
            raise UsageError(writer.error)
    finally:
        writer.close()
    for job in jobs:
        print(f"removed job {job.id}")
    return EXIT_OK


def _resubmittable(job: Job, demo: bool) -> Job:
    from cttui.api.errors import UsageError
    from cttui.records import JobState

    if job.elsewhere and job.state is JobState.INTERRUPTED:
        # The other cttui will never send it either: only where it is shown can it be sent.
        raise UsageError(
            f"job {job.id} is interrupted and held by another cttui that is still open: press r "
            f"on it there to send it again, or close that one and run "
            f"'{_command(demo)} jobs resubmit {job.id}'"
        )
    if job.elsewhere:
        raise UsageError(f"job {job.id} is being run by another cttui; wait for it there")
    if not job.state.resubmittable:
        raise UsageError(
            f"job {job.id} is {job.state}; only failed, cancelled or interrupted jobs can be "
            "resubmitted"
        )
    if job.query is None:
        raise UsageError(f"job {job.id} was started from a req_id alone; there is no query to send")
    return job


class _JobConnector:
    """A client for each account and host that jobs from the journal run on."""

    def __init__(self, emulator: Emulator | None) -> None:
        self._emulator = emulator
        # By profile too: two profiles on one account may hold different passcodes.
        self._clients: dict[tuple[str, str, str | None], CleverTapClient] = {}
        self._config: Config | None = None

    async def client(self, job: Job) -> CleverTapClient:
        import asyncio

        from cttui.api.client import CleverTapClient
        from cttui.store.config import Config, load_config
        from cttui.store.credentials import OsKeyring, Passcodes
        from cttui.store.paths import config_file
        from cttui.store.selection import connect, for_job

        origin = job.origin
        passcodes: Passcodes
        if self._emulator is not None:
            # The demo's emulator listens on a new port at each start.
            account, base_url = self._emulator.config.account_id, self._emulator.base_url
            passcodes = _demo_passcodes(self._emulator)
        else:
            account, base_url, passcodes = origin.account_id, origin.base_url, OsKeyring()
        key = (account, base_url, origin.profile)
        if key not in self._clients:
            if self._config is None:
                self._config = Config() if self._emulator else load_config(config_file())
            selection = for_job(os.environ, self._config, account, base_url, origin.profile)
            connection = await asyncio.to_thread(connect, selection, passcodes)
            self._clients[key] = CleverTapClient(connection.credentials, connection.base_url)
        return self._clients[key]

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()


def _demo_passcodes(emulator: Emulator) -> SessionPasscodes:
    from cttui.store.credentials import SessionPasscodes

    passcodes = SessionPasscodes()
    passcodes.set(emulator.config.account_id, emulator.config.passcode)
    return passcodes


def _credential_store() -> CredentialStore:
    from cttui.store.credentials import CredentialStore, OsKeyring
    from cttui.store.paths import config_file

    return CredentialStore(config_file(), OsKeyring())


def _target_profile(args: argparse.Namespace, config: Config) -> Profile:
    """The profile a credentials action is about: --profile, else the active one."""
    from cttui.api.errors import UsageError
    from cttui.store.config import unknown_profile

    name: str | None = args.profile or config.active
    if name is None:
        raise UsageError("no profiles yet: add one with 'cttui credentials set --account-id ID'")
    profile = config.profile(name)
    if profile is None:
        raise unknown_profile(name, config)
    return profile


def _credentials_set(args: argparse.Namespace) -> int:
    from cttui.api.errors import UsageError
    from cttui.api.regions import DEFAULT_REGION, Region, get_region, parse_dashboard_url
    from cttui.store.config import Profile, account_id_warning, check_account_id
    from cttui.store.config import check_profile_name as checked_name
    from cttui.store.credentials import KeyringUnavailable

    store = _credential_store()
    config = store.load()
    name = checked_name(args.profile or config.active or "default")
    existing = config.profile(name)
    region: Region | None = get_region(args.region) if args.region else None
    account_text: str | None = args.account_id
    if account_text is not None and "dashboard.clevertap.com" in account_text.lower():
        url_region, account_text = parse_dashboard_url(account_text)
        if region is not None and region != url_region:
            raise UsageError(
                f"the dashboard URL is in region {url_region.code} but --region says "
                f"{region.code}; drop --region or use the matching URL"
            )
        region = url_region
    if account_text is None:
        if existing is None:
            raise UsageError(f"a new profile needs --account-id (for profile {name!r})")
        account_text = existing.account_id
    account_id = check_account_id(account_text)
    if region is None:
        same_account = existing is not None and existing.account_id == account_id
        region = existing.region if existing is not None and same_account else DEFAULT_REGION
    warning = account_id_warning(account_id)
    if warning:
        _say(f"warning: {warning}")
    profile = Profile(name, account_id, region)
    try:
        passcode = _read_passcode(args, profile, existing, store)
        store.save_profile(profile, passcode, replacing=name if existing else None)
    except KeyringUnavailable as error:
        raise UsageError(
            f"{error}; nothing was saved. Install and unlock a keyring (such as gnome-keyring), "
            "or save nothing and set CLEVERTAP_ACCOUNT_ID and CLEVERTAP_PASSCODE for each run"
        ) from None
    print(
        f"saved profile {name}: account {account_id}, region {region.code} "
        f"({region.name}, {region.host}); passcode in the OS keyring"
    )
    return EXIT_OK


def _read_passcode(
    args: argparse.Namespace, profile: Profile, existing: Profile | None, store: CredentialStore
) -> str | None:
    """The passcode from stdin or a hidden prompt (never argv). None keeps the saved one."""
    import getpass

    from cttui.api.errors import UsageError
    from cttui.store.credentials import check_passcode

    if args.passcode_stdin:
        text = sys.stdin.read()
        passcode = text.removesuffix("\n").removesuffix("\r")
        if not passcode:
            raise UsageError("no passcode on standard input; pipe it in, e.g. from a secrets tool")
        if "\n" in passcode or "\r" in passcode:
            raise UsageError("the passcode on standard input must be a single line")
        return check_passcode(passcode, "the passcode on standard input")
    if not sys.stdin.isatty():
        raise UsageError(
            "no terminal to ask for the passcode on; pipe it in and add --passcode-stdin"
        )
    # What enter keeps is the profile's own passcode, on the account it stays on.
    same_account = existing is not None and existing.account_id == profile.account_id
    saved = store.saved_passcode(existing if existing and same_account else profile) is not None
    keep = " (enter keeps the saved one)" if saved else ""
    passcode = getpass.getpass(f"Passcode for {profile.name} ({profile.account_id}){keep}: ")
    if passcode:
        return check_passcode(passcode, "the passcode typed")
    if saved:
        return None
    raise UsageError("no passcode entered; nothing was saved")


def _credentials_list(args: argparse.Namespace) -> int:
    from cttui.store.selection import ENV_ACCOUNT_ID

    config = _credential_store().load()
    if not config.profiles:
        _say("no profiles yet: add one with 'cttui credentials set --account-id ID --region R'")
        return EXIT_OK
    width = max(len(profile.name) for profile in config.profiles)
    for profile in config.profiles:
        mark = "*" if profile.name == config.active else " "
        print(
            f"{mark} {profile.name:<{width}}  {profile.account_id:<14}  "
            f"{profile.region.code} ({profile.region.name})"
        )
    if os.environ.get(ENV_ACCOUNT_ID, "").strip():
        _say(f"{ENV_ACCOUNT_ID} is set: it overrides the active profile in this shell")
    return EXIT_OK


def _credentials_show(args: argparse.Namespace) -> int:
    from cttui.store.credentials import KeyringUnavailable

    store = _credential_store()
    config = store.load()
    profile = _target_profile(args, config)
    name = profile.name
    try:
        saved = store.saved_passcode(profile, config) is not None
        passcode = "******** (in the OS keyring)" if saved else "not saved yet"
    except KeyringUnavailable as error:
        passcode = f"unknown: {error}"
    active = " (active)" if name == config.active else ""
    rows = [
        ("profile", f"{name}{active}"),
        ("account ID", profile.account_id),
        ("region", f"{profile.region.code} ({profile.region.name}, {profile.region.host})"),
        ("passcode", passcode),
    ]
    for label, value in rows:
        print(f"{label:<11} {value}")
    return EXIT_OK


def _credentials_delete(args: argparse.Namespace) -> int:
    from cttui.api.errors import UsageError

    store = _credential_store()
    config = store.load()
    profile = _target_profile(args, config)
    name = profile.name
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("add --yes to delete a profile without being asked")
        fate = store.delete_plan(name).describe(done=False)
        answer = input(
            f"Delete profile {name} ({profile.account_id})? {fate[:1].upper()}{fate[1:]}. [y/N] "
        )
        if answer.strip().lower() not in {"y", "yes"}:
            _say("nothing deleted")
            return EXIT_OK
    config, outcome = store.delete_profile(name)
    if outcome.error:
        _say(f"deleted profile {name}, but {outcome.describe(done=True)}")
        return EXIT_API
    print(f"deleted profile {name}; {outcome.describe(done=True)}")
    if config.active:
        print(f"active profile: {config.active}")
    return EXIT_OK


def _credentials_use(args: argparse.Namespace) -> int:
    store = _credential_store()
    config = store.use(args.name.strip())
    print(f"active profile: {config.active}")
    return EXIT_OK


def _app(args: argparse.Namespace) -> int:
    """No command: the Textual app, on the stored profiles or on the demo emulator."""
    from cttui.api.errors import UsageError
    from cttui.store.config import unknown_profile

    store = _credential_store()
    if not args.demo:
        # A broken config.toml or an unknown --profile is one line here, not a screen later.
        config = store.load()
        if args.profile is not None and config.profile(args.profile) is None:
            raise unknown_profile(args.profile, config)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "the app needs a terminal; in scripts use a command such as 'cttui count' "
            "(see 'cttui --help')"
        )
    from cttui.store.paths import journal_file
    from cttui.tui.app import AppSetup, CttuiApp

    if not args.demo:
        setup = AppSetup(
            store=store,
            environ=dict(os.environ),
            profile=args.profile,
            poll_interval=_poll_interval(None, os.environ, "", demo=False),
            journal=journal_file(),
        )
        return _run_app(CttuiApp(setup))
    with _demo_emulator() as emulator:
        setup = AppSetup.for_demo(
            emulator.config, emulator.base_url, DEMO_POLL_INTERVAL, journal_file(demo=True)
        )
        return _run_app(CttuiApp(setup))


def _run_app(app: CttuiApp) -> int:
    app.run()
    return app.return_code or EXIT_OK


def _emulator(args: argparse.Namespace) -> int:
    from cttui.api.errors import UsageError
    from cttui.emulator import EmulatorConfig, EmulatorError, serve
    from cttui.store.paths import emulator_cache_dir

    if args.fail_rate + args.throttle_rate + args.reset_rate > 1:
        raise UsageError(
            "--fail-rate, --throttle-rate and --reset-rate add up to more than 1; lower one"
        )
    config = EmulatorConfig(
        host=args.host,
        port=args.port,
        account_id=args.account_id,
        passcode=args.passcode,
        seed=args.seed,
        profiles=args.profiles,
        events=args.events,
        fail_rate=args.fail_rate,
        throttle_rate=args.throttle_rate,
        reset_rate=args.reset_rate,
        forget_rate=args.forget_rate,
        fault_seed=args.fault_seed,
        latency=args.latency,
        latency_jitter=args.latency_jitter,
        max_concurrent=args.max_concurrent,
        partial_after_days=args.partial_after_days,
        compute_seconds=args.compute_seconds,
        cache_dir=emulator_cache_dir(),
        state_file=args.state_file,
        quiet=not args.verbose,
    )
    try:
        return serve(config, sys.stdout)
    except EmulatorError as error:
        raise UsageError(str(error)) from None
