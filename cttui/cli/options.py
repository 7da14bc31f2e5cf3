"""The parser's building blocks: value types, shared options and the handler a command names.

Standard library only, like parser.py: `cttui --help` builds all of this.
"""

from __future__ import annotations

import argparse
from collections import namedtuple
from collections.abc import Callable

# typing for mypy only (it reads this name as typing's): importing it would cost every
# command, `cttui --help` included, a tenth of its start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal, NamedTuple, NoReturn, TypeAlias


ENV_POLL_INTERVAL = "CTTUI_POLL_INTERVAL"


class Usage(Exception):
    """Raised by the parser instead of printing a usage block and exiting."""


class Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # No abbreviations: `--passcode` must never quietly mean `--passcode-stdin`.
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise Usage(f"{message} (see '{self.prog} --help')")


# A string: argparse does not make its subparsers action subscriptable at run time.
Commands: TypeAlias = "argparse._SubParsersAction[Parser]"


# A command's handler, named rather than imported: its module loads only once the command
# line has been parsed. `arguments` names its typed value's class: in that module if it defines
# one of that name (a command's own), else in cttui.cli.arguments (those shared). (Not a
# dataclass: `dataclasses` would be a third of what `cttui --help` imports.)
if TYPE_CHECKING:

    class Handler(NamedTuple):
        module: str
        function: str
        arguments: str

else:
    # The same tuple, without importing typing.
    Handler = namedtuple("Handler", ["module", "function", "arguments"])


def handle(command: argparse.ArgumentParser, module: str, function: str, arguments: str) -> None:
    command.set_defaults(handler=Handler(f"cttui.cli.{module}", function, arguments))


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number of seconds")
    return value


def bounded(kind: Callable[[str], float], low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a valid number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is outside {low:g}..{high:g}")
        return value

    return parse


def job_id(text: str) -> int:
    if not (text.strip().isascii() and text.strip().isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a job number; 'cttui jobs' lists them")
    return int(text)


def add_profile_option(command: argparse.ArgumentParser, default: object) -> None:
    _anywhere(
        command, "--profile", "NAME", default, "use this saved profile instead of the active one"
    )


# cttui.exports.FORMATS (tests/test_cli_exports.py checks), named here without importing it.
FORMATS = ("table", "csv", "tsv", "json", "jsonl")


def add_format_options(command: argparse.ArgumentParser, things: str) -> None:
    """--format FORMAT (its dest `format`, None when not given), --json as another way to say
    --format json, and -o/--output FILE (`output`): what cttui.cli.output.emit takes."""
    formats = command.add_mutually_exclusive_group()
    formats.add_argument(
        "--format",
        choices=FORMATS,
        metavar="FORMAT",
        help=f"print the {things} as FORMAT: {', '.join(FORMATS)}; the table is for people, "
        "csv or tsv for a spreadsheet, json or jsonl (one object a line) for scripts",
    )
    formats.add_argument(
        "--json",
        dest="format",
        action="store_const",
        const="json",
        help=f"print the {things} as JSON (the same as --format json)",
    )
    command.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE instead of standard output, the same bytes: FILE is replaced "
        "whole, or left as it was if the write fails",
    )


def add_favorites_option(command: argparse.ArgumentParser, default: object) -> None:
    help = "your favourites in FILE instead of favorites.toml (also CTTUI_FAVORITES)"
    _anywhere(command, "--favorites", "FILE", default, help)


def _anywhere(
    command: argparse.ArgumentParser, name: str, metavar: str, default: object, help: str
) -> None:
    # Accepted before or after the command; a subcommand's default must not undo the global one.
    command.add_argument(name, metavar=metavar, default=default, help=help)


def add_wait_options(command: argparse.ArgumentParser, *, json: bool = True) -> None:
    """--profile and how to wait; --json unless the command takes add_format_options."""
    add_profile_option(command, default=argparse.SUPPRESS)
    if json:
        command.add_argument("--json", action="store_true", help="print the outcome as JSON")
    command.add_argument(
        "--no-wait",
        action="store_true",
        help="ask once: exit 3 with the req_id if the count is still pending",
    )
    command.add_argument(
        "--timeout",
        type=positive_float,
        metavar="S",
        help="give up waiting after S seconds (exit 3, printing the req_id)",
    )
    command.add_argument(
        "--poll-interval",
        type=positive_float,
        metavar="S",
        help=f"seconds between polls (default 30, or ${ENV_POLL_INTERVAL}); "
        "below 30 only against a non-CleverTap server",
    )


def add_alert_options(command: argparse.ArgumentParser) -> None:
    """Limits a count is held to (in place of its favourite's `alert`); a breach exits 4."""
    for option, what in (("--alert-below", "below"), ("--alert-above", "above")):
        command.add_argument(
            option,
            type=bounded(int, 0, 2**63 - 1),
            metavar="N",
            help=f"exit 4 (an alert) when the count is {what} N",
        )
    for option, what in (("--alert-change-below", "below"), ("--alert-change-above", "above")):
        command.add_argument(
            option,
            metavar="PCT",
            help=f"exit 4 when the change from the count before is {what} PCT, such as -20%%",
        )


def command(
    group: Commands,
    name: str,
    handler: tuple[str, str, str] | None,
    summary: str,
    description: str | None = None,
    *,
    operand: Literal["NAME", "ID"] | None = None,
    scoped: bool = False,
    json: str | None = None,
    asks: bool = False,
) -> argparse.ArgumentParser:
    """Command `name` in `group`: its --help line, its page's text, its handler (module,
    function and typed arguments, as `handle` names them), its one operand (a NAME, of a
    favourite or a profile, or a job's ID), `--profile` if it is `scoped` to one, `--json` if
    it prints `json` as such, and `--yes` if it `asks` before deleting."""
    parser = group.add_parser(name, help=summary, description=description)
    if handler is not None:
        handle(parser, *handler)
    if operand == "NAME":
        parser.add_argument("name", metavar="NAME")
    elif operand == "ID":
        parser.add_argument("job_id", type=job_id, metavar="ID")
    if scoped:
        add_profile_option(parser, default=argparse.SUPPRESS)
    if json is not None:
        flag(parser, "--json", f"print the {json} as JSON")
    if asks:
        flag(parser, "--yes", "do not ask for confirmation")
    return parser


def flag(command: argparse.ArgumentParser, name: str, summary: str) -> None:
    command.add_argument(name, action="store_true", help=summary)


def listing(
    commands: Commands,
    name: str,
    things: str,
    summary: str,
    description: str,
    *,
    actions: Callable[[Commands], None] | None,
) -> argparse.ArgumentParser:
    """`cttui NAME [--format FORMAT] [-o FILE]` lists the `things` (handled by `NAME_list` in
    cttui.cli.NAME); `actions` adds the commands that do the rest (None: the command line does
    not name NAME, so they need not be built)."""
    handler = (name, f"{name}_list", "ListArgs")
    parser = command(commands, name, handler, summary, description)
    add_format_options(parser, things)
    subparsers = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser)
    if actions is not None:
        actions(subparsers)
    return parser
