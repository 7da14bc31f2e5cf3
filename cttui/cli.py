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
    from cttui.api.models import Query
    from cttui.emulator import Emulator, EmulatorConfig
    from cttui.jobs import Job
    from cttui.store.config import Config, Profile
    from cttui.store.credentials import Connection, CredentialStore
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

    _add_credentials_commands(commands)

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
        "passcode in the OS keyring (service 'cttui', username the account ID).",
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

    parser = build_parser()
    arguments = sys.argv[1:] if argv is None else list(argv)
    try:
        _refuse_passcode_argument(arguments)
        args = parser.parse_args(arguments)
        handler: Callable[[argparse.Namespace], int] = getattr(args, "handler", _app)
        return handler(args)
    except (_Usage, UsageError) as error:
        _say(str(error))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_INTERRUPTED
    except Exception as error:
        # A bug of ours: still one line for the user, with the way to the full story.
        if os.environ.get(DEBUG_VARIABLE):
            raise
        _say(unexpected(error))
        return EXIT_API


def _refuse_passcode_argument(arguments: list[str]) -> None:
    """A passcode on the command line shows in `ps` and shell history: refuse it before argparse
    could echo it back in an error. The emulator's own --passcode is a test value, not a secret."""
    from cttui.api.errors import UsageError

    command = next((word for word in arguments if not word.startswith("-")), None)
    if command == "emulator":
        return
    if any(word == "--passcode" or word.startswith("--passcode=") for word in arguments):
        raise UsageError(
            "cttui never takes a passcode as an argument (ps and shell history would show it); "
            "type it at the hidden prompt, or pipe it in with --passcode-stdin"
        )


def _say(message: str) -> None:
    print(f"cttui: {message}", file=sys.stderr)


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
    from cttui.store.paths import emulator_cache_dir

    return EmulatorConfig(compute_seconds=3.0, cache_dir=emulator_cache_dir())


@contextmanager
def _demo_emulator() -> Iterator[Emulator]:
    if sys.stderr.isatty():
        _say("demo: starting the built-in emulator (the first start builds its data)")
    with _started(demo_emulator_config()) as emulator:
        yield emulator


@contextmanager
def _connection(args: argparse.Namespace) -> Iterator[Connection]:
    """The account to talk to: the stored profile or the environment, or the demo emulator's."""
    from cttui.store.credentials import from_environment

    if not args.demo:
        yield _stored_connection(os.environ, args.profile)
        return
    with _demo_emulator() as emulator:
        config = emulator.config
        yield from_environment(
            {
                "CLEVERTAP_ACCOUNT_ID": config.account_id,
                "CLEVERTAP_PASSCODE": config.passcode,
                "CTTUI_BASE_URL": emulator.base_url,
            }
        )


def _stored_connection(environ: Mapping[str, str], profile: str | None) -> Connection:
    from cttui.store.config import Config, load_config
    from cttui.store.credentials import OsKeyring, connect, needs_config, select
    from cttui.store.paths import config_file

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
        with _connection(args) as connection:
            interval = _poll_interval(
                args.poll_interval, os.environ, connection.base_url, args.demo
            )
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
        passcode = _read_passcode(args, account_id, store)
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


def _read_passcode(args: argparse.Namespace, account_id: str, store: CredentialStore) -> str | None:
    """The passcode from stdin or a hidden prompt (never argv). None keeps the saved one."""
    import getpass

    from cttui.api.errors import UsageError

    if args.passcode_stdin:
        text = sys.stdin.read()
        passcode = text.removesuffix("\n").removesuffix("\r")
        if not passcode:
            raise UsageError("no passcode on standard input; pipe it in, e.g. from a secrets tool")
        if "\n" in passcode or "\r" in passcode:
            raise UsageError("the passcode on standard input must be a single line")
        return passcode
    if not sys.stdin.isatty():
        raise UsageError(
            "no terminal to ask for the passcode on; pipe it in and add --passcode-stdin"
        )
    saved = store.passcodes.get(account_id) is not None
    keep = " (enter keeps the saved one)" if saved else ""
    passcode = getpass.getpass(f"Passcode for {account_id}{keep}: ")
    if passcode:
        return passcode
    if saved:
        return None
    raise UsageError("no passcode entered; nothing was saved")


def _credentials_list(args: argparse.Namespace) -> int:
    from cttui.store.credentials import ENV_ACCOUNT_ID

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
        saved = store.passcodes.get(profile.account_id) is not None
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
        answer = input(f"Delete profile {name} ({profile.account_id}) and its passcode? [y/N] ")
        if answer.strip().lower() not in {"y", "yes"}:
            _say("nothing deleted")
            return EXIT_OK
    config, outcome = store.delete_profile(name)
    if outcome.error:
        _say(
            f"deleted profile {name}, but its passcode could not be removed: the OS keyring is "
            f"not usable ({outcome.error}); remove the 'cttui' entry for {profile.account_id} "
            "with your keyring tool"
        )
        return EXIT_API
    if outcome.shared:
        kept = "its passcode stays in the keyring for another profile with the same account"
    elif outcome.passcode_removed:
        kept = "its passcode was removed from the OS keyring"
    else:
        kept = "no passcode was saved for it"
    print(f"deleted profile {name}; {kept}")
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
    from cttui.tui.app import AppSetup, CttuiApp

    if not args.demo:
        setup = AppSetup(
            store=store,
            environ=dict(os.environ),
            profile=args.profile,
            poll_interval=_poll_interval(None, os.environ, "", demo=False),
        )
        return _run_app(CttuiApp(setup))
    with _demo_emulator() as emulator:
        setup = AppSetup.for_demo(emulator.config, emulator.base_url, DEMO_POLL_INTERVAL)
        return _run_app(CttuiApp(setup))


def _run_app(app: CttuiApp) -> int:
    app.run()
    return app.return_code or EXIT_OK


def _emulator(args: argparse.Namespace) -> int:
    from cttui.api.errors import UsageError
    from cttui.emulator import EmulatorConfig, EmulatorError, serve
    from cttui.store.paths import emulator_cache_dir

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
        cache_dir=emulator_cache_dir(),
        quiet=not args.verbose,
    )
    try:
        return serve(config, sys.stdout)
    except EmulatorError as error:
        raise UsageError(str(error)) from None
