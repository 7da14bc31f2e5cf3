"""The command line as argparse reads it. Standard library only (tests/test_layers.py checks):
each command names its handler as a string, loaded by cttui.cli.main once parsing is done, so
that `cttui --help` and `--version` import nothing of cttui's commands."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable, Container, Iterable

from cttui.cli.options import (
    Commands,
    Parser,
    add_alert_options,
    add_favorites_option,
    add_format_options,
    add_profile_option,
    add_wait_options,
    bounded,
    command,
    flag,
    listing,
)
from cttui.cli.parser_groups import (
    add_credentials_commands,
    add_favorites_actions,
    add_jobs_actions,
)

# typing for mypy only (it reads this name as typing's): importing it would cost every
# command, `cttui --help` included, a tenth of its start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

# The emulator's numbers, in --help's order: option, kind, bounds, default (None: unset).
_EMULATOR_NUMBERS: tuple[tuple[str, type[float], float, float, float | None], ...] = (
    ("--port", int, 0, 65535, 8787),
    ("--seed", int, 0, 2**31, 1),
    ("--profiles", int, 1, 10_000_000, 10_000),
    ("--events", int, 1, 100_000_000, 500_000),
    ("--fail-rate", float, 0, 1, 0.0),
    ("--throttle-rate", float, 0, 1, 0.0),
    ("--reset-rate", float, 0, 1, 0.0),
    ("--forget-rate", float, 0, 1, 0.0),
    ("--fault-seed", int, 0, 2**31, None),
    ("--latency", float, 0, 3600, 0.0),
    ("--latency-jitter", float, 0, 3600, 0.0),
    ("--max-concurrent", int, 1, 1000, 3),
    ("--partial-after-days", int, 0, 100_000, 31),
    ("--compute-seconds", float, 0, 86_400, 5.0),
)
_EMULATOR_HELP = {
    "--port": "0 picks a free port (default 8787)",
    "--fail-rate": "fraction of requests answering an injected 5xx",
    "--throttle-rate": "fraction of requests answering an injected 429",
    "--reset-rate": "fraction of requests whose connection is reset, unanswered",
    "--forget-rate": "fraction of polls after which the req_id is forgotten",
    "--fault-seed": "seed of the injected faults (default: --seed)",
    "--latency": "seconds every request waits before answering",
    "--latency-jitter": "up to this many seconds more, at random",
    "--max-concurrent": "requests in flight per account above which it answers 429",
    "--partial-after-days": "queries spanning more days answer partial (default 31)",
    "--compute-seconds": "how long a partial query takes to finish (default 5)",
}


def build_parser(
    version: str, presets: Iterable[str], words: Container[str] | None = None
) -> argparse.ArgumentParser:
    """The whole command line; `presets` are the --range choices, read only when asked for
    (see cttui.cli.main), so that building this imports nothing beyond the standard library.

    Given `words`, the command line, only the commands it names get their arguments and
    actions: every command still has its line in `cttui --help`, and argparse takes a command
    only by its exact name, so one that is not among the words cannot be the one run. That
    halves the building, which every command pays for."""

    def wanted(name: str) -> bool:
        return words is None or name in words

    parser = Parser(
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
    parser.add_argument("--version", action="version", version=f"cttui {version}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run against a built-in CleverTap emulator with demo data (no account needed)",
    )
    add_profile_option(parser, default=None)
    add_favorites_option(parser, default=None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    lazy = functools.partial(_lazy_command, commands, wanted)
    lazy(
        "count",
        handler=("count", "count", "CountArgs"),
        summary="count the profiles that did an event in a date range",
        description=(
            "Count the distinct profiles that did EVENT between --from and --to (inclusive), or in "
            "a --range such as last_7_days, and match every --where filter."
        ),
        arguments=functools.partial(_add_count_arguments, presets=presets),
    )
    lazy(
        "poll",
        handler=("count", "poll", "PollArgs"),
        summary="resume a pending count by its req_id",
        description="Poll a pending count (the req_id that 'cttui count' printed) until it ends.",
        arguments=_add_poll_arguments,
    )
    favorites = listing(
        commands,
        "favorites",
        "favourites",
        "list the saved favourites, with each one's last count",
        (
            "List the favourites in favorites.toml with their history from the job journal: "
            "the last count, when it came, and how many counts there have been. A file with "
            "problems still lists what can be read, names each problem with its line and "
            "column, and exits 2."
        ),
        actions=add_favorites_actions if wanted("favorites") else None,
    )
    add_favorites_option(favorites, default=argparse.SUPPRESS)
    lazy(
        "run",
        handler=("run", "run", "RunArgs"),
        summary="run saved favourites by name, side by side",
        description=(
            "Run each named favourite (see 'cttui favorites'), relative ranges resolved for today, "
            "at most 3 requests in flight per account. Each runs on its own profile if it names "
            "one, else on --profile or the active one. One line per favourite, in the order given, "
            "as soon as it and those before it end: NAME COUNT FROM..TO (and its change from the "
            "count before, +8.2% vs FROM..TO), NAME failed ERROR, or NAME pending req_id N. "
            "Exit 0 when all counted, 1 if any failed, 3 if --no-wait or --timeout left some "
            "pending ('cttui jobs resume' finishes them), 4 if a count breaks a limit and none "
            "failed (an alert: one line on stderr says which)."
        ),
        arguments=_add_run_arguments,
    )
    lazy(
        "series",
        handler=("series", "series", "SeriesArgs"),
        summary="count a favourite (or a query) for each of the last N days, weeks or months",
        description=(
            "Count favourite NAME, or the query of --event and --where, for each of the last "
            "--last periods of --every (ISO weeks run Monday to Sunday; months are calendar "
            "months), the one under way included unless --no-current. Each period is a job of "
            "its own, at most 3 in flight per account, and a favourite's counts join its "
            "history. A period counted before is not asked again (--refresh asks anyway); a "
            "series cut off half way resumes where it stopped. One line per period in order: "
            "FROM TO COUNT CHANGE. Exit codes as for 'cttui run', and 4 when a limit of "
            "--alert-* (or the favourite's alert) is breached."
        ),
        arguments=_add_series_arguments,
    )
    lazy(
        "history",
        handler=("history", "history", "HistoryArgs"),
        summary="every count of a favourite, oldest first, to export",
        description=(
            "Every count of favourite NAME (case does not matter) in the job journal, oldest "
            "first: from, to, count, counted_at (ISO 8601, with the UTC offset) and its job, for "
            "the query it has now. --all adds the counts of the queries it had before, with a "
            "query column. A table by default; --format csv or tsv for a spreadsheet."
        ),
        arguments=_add_history_arguments,
    )
    add_credentials_commands(commands, wanted)
    jobs_description = (
        "Every count sent from cttui (the app, 'count', 'poll') is kept in the job journal, "
        "pending ones included. With no action, list them, newest last."
    )
    jobs_actions = add_jobs_actions if wanted("jobs") else None
    listing(
        commands,
        "jobs",
        "jobs",
        "list the jobs in the journal; show, resume or resubmit them",
        jobs_description,
        actions=jobs_actions,
    )
    lazy(
        "emulator",
        handler=("emulator", "emulator", "EmulatorArgs"),
        summary="serve a local CleverTap emulator over synthetic data",
        description=(
            "Serve the Get Profile Count API on loopback over a deterministic synthetic event "
            "store, answering as CleverTap does (partial, 401, 429, failures)."
        ),
        arguments=_add_emulator_arguments,
    )
    return parser


def _lazy_command(
    commands: Commands,
    wanted: Callable[[str], bool],
    name: str,
    *,
    handler: tuple[str, str, str],
    summary: str,
    description: str,
    arguments: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Command `name`, given its `arguments` only if the command line names it."""
    parser = command(commands, name, handler, summary, description)
    if wanted(name):
        arguments(parser)


def _add_poll_arguments(poll: argparse.ArgumentParser) -> None:
    poll.add_argument("req_id", metavar="REQ_ID")
    add_wait_options(poll)


def _add_count_arguments(count: argparse.ArgumentParser, *, presets: Iterable[str]) -> None:
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
        choices=presets,
        metavar="PRESET",
        help="instead of --from and --to, a range resolved on the day it runs: %(choices)s",
    )
    _add_where(count)
    count.add_argument(
        "--save",
        metavar="NAME",
        help="save the query as favourite NAME before sending it ('cttui run NAME' runs it "
        "again); with --range it keeps the range, resolved again at each run",
    )
    flag(
        count,
        "--replace",
        "with --save, overwrite a favourite of that name that holds another query",
    )
    _add_compare(count)
    add_wait_options(count)


def _add_compare(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--compare",
        choices=("previous",),
        help="also count the range of the same length just before (a whole month: the month "
        "before) and print both with the change",
    )


def _add_where(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--where",
        action="append",
        nargs="+",
        default=[],
        metavar="WORD",
        help="a property filter: NAME OPERATOR [VALUE]; repeat for more. A VALUE that starts "
        "with '-' (but for a plain negative number, such as -5) is joined to its operator as "
        "one word, NAME OPERATOR=VALUE: --where Code equals=--x, --where Amount "
        "greater_than=-1e3. Operators: equals, not_equals, contains, does_not_contain, exists, "
        "does_not_exist (text); equals, greater_than, greater_than_equals, less_than, "
        "less_than_equals (numbers, such as 42, -3.5, 1e3)",
    )


def _add_series_arguments(series: argparse.ArgumentParser) -> None:
    series.add_argument(
        "name", nargs="?", metavar="NAME", help="a favourite's name (or use --event instead)"
    )
    series.add_argument("--event", metavar="EVENT", help="count this event instead of a favourite")
    _add_where(series)
    series.add_argument(
        "--every",
        choices=("day", "week", "month"),
        default="week",
        help="the length of each period (default week)",
    )
    series.add_argument(
        "--last",
        type=bounded(int, 1, 120),
        default=12,
        metavar="N",
        help="how many periods, up to 120 (default 12)",
    )
    flag(series, "--no-current", "leave out the period under way: end with the last whole one")
    flag(series, "--refresh", "ask for every period again, even those counted before")
    add_alert_options(series)
    add_favorites_option(series, default=argparse.SUPPRESS)
    add_wait_options(series, json=False)
    add_format_options(series, "points, all at the end (from, to, status, count, change, ...)")


def _add_emulator_arguments(emulator: argparse.ArgumentParser) -> None:
    emulator.add_argument("--host", default="127.0.0.1")
    _emulator_numbers(emulator, _EMULATOR_NUMBERS[:1])
    emulator.add_argument("--account-id", default="EMU-LAT-0001")
    emulator.add_argument(
        "--passcode",
        default="emulator-passcode",
        help="the emulator's own test passcode (never a real one)",
    )
    _emulator_numbers(emulator, _EMULATOR_NUMBERS[1:])
    emulator.add_argument(
        "--state-file",
        type=_path,
        metavar="FILE",
        help="keep pending requests in FILE, so that a restarted emulator still answers them",
    )
    flag(emulator, "--verbose", "log each request on stderr")


def _add_run_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "names",
        nargs="+",
        metavar="NAME",
        help="a favourite's name, as 'cttui favorites' lists it (case does not matter); "
        "FILE:NAME for a shared file's",
    )
    _add_compare(run)
    add_alert_options(run)
    add_wait_options(run, json=False)
    add_favorites_option(run, default=argparse.SUPPRESS)
    add_format_options(
        run, "results, all at the end (name, status, count, req_id, error, from, to, job)"
    )


def _add_history_arguments(history: argparse.ArgumentParser) -> None:
    history.add_argument("name", metavar="NAME")
    history.add_argument(
        "--all",
        dest="every_query",
        action="store_true",
        help="also the counts of the queries the favourite had before, with a query column",
    )
    add_format_options(history, "counts")


def _emulator_numbers(
    emulator: argparse.ArgumentParser,
    numbers: tuple[tuple[str, type[float], float, float, float | None], ...],
) -> None:
    for option, kind, low, high, default in numbers:
        emulator.add_argument(
            option, type=bounded(kind, low, high), default=default, help=_EMULATOR_HELP.get(option)
        )


def _path(text: str) -> Path:
    # pathlib is imported only when --state-file is given: `cttui --help` does without it.
    from pathlib import Path

    return Path(text)
