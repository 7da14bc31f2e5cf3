"""The entry point: checks on the raw arguments, the parse, the dispatch to the command's
handler, and every error as one line with its exit code.

Only what `cttui --help` needs is imported here; a command's module loads once it is chosen.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from importlib import import_module

from cttui import __version__
from cttui.api.errors import DEBUG_VARIABLE, UsageError, unexpected
from cttui.cli.exits import EXIT_API, EXIT_INTERRUPTED, EXIT_USAGE
from cttui.cli.options import Handler, Usage
from cttui.cli.output import say
from cttui.cli.parser import build_parser
from cttui.console import (
    OutputFailed,
    guarded_stdout,
    silence_stdout,
    standard_streams,
    undecodable,
)

# typing for mypy only (it reads this name as typing's): importing it would cost every
# command, `cttui --help` included, a tenth of its start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

APP = Handler("cttui.cli.launch", "app", "ScopeArgs")


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


def main(argv: Sequence[str] | None = None) -> int:
    standard_streams()
    arguments = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(__version__, _RangeChoices(), set(arguments))
    try:
        not_text = undecodable(arguments)
        if not_text is not None:
            raise UsageError(not_text)
        _refuse_passcode_argument(arguments)
        with guarded_stdout():
            namespace = _parse(parser, arguments)
        handler: Handler = getattr(namespace, "handler", APP)
        run = _dispatch(handler, namespace)
        if handler == APP:
            return run()
        with guarded_stdout():
            code = run()
            # Written out here, where a full disk is still one line, not a message at exit.
            sys.stdout.flush()
        return code
    except OutputFailed as failed:
        # Only a failed write pays for loading the file helpers.
        from cttui.store.files import describe

        say(f"cannot write to standard output: {describe(failed.error)}")
        silence_stdout()
        return EXIT_API
    except (Usage, UsageError) as error:
        say(str(error))
        return EXIT_USAGE
    except KeyboardInterrupt:
        say("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `cttui jobs | head`: the reader has gone, and so has anyone to tell.
        silence_stdout()
        return EXIT_API
    except Exception as error:
        # A bug of ours: still one line for the user, with the way to the full story.
        if os.environ.get(DEBUG_VARIABLE):
            raise
        say(unexpected(error))
        return EXIT_API


def _dispatch(handler: Handler, namespace: argparse.Namespace) -> Callable[[], int]:
    """The command's handler, loaded now, bound to its typed arguments: the one place that
    reads argparse's Namespace."""
    # Not at the top: its classes cost more than the rest of `cttui --help`.
    from cttui.cli import arguments

    module = import_module(handler.module)
    # A command's own class is in its module, so that a command builds no other's.
    kind = getattr(module, handler.arguments, None) or getattr(arguments, handler.arguments)
    typed = arguments.typed(kind, namespace, arguments.Scope.of(namespace))
    function: Callable[[Any], int] = getattr(module, handler.function)
    return lambda: function(typed)


# Options whose value is a percentage, often negative: argparse takes `-20%` for an option.
_PERCENT_OPTIONS = ("--alert-change-below", "--alert-change-above")


def _joined_percentages(arguments: list[str]) -> list[str]:
    """`--alert-change-below -20%` as `--alert-change-below=-20%`, which argparse reads."""
    joined: list[str] = []
    words = iter(arguments)
    for word in words:
        if word == "--":
            joined.append(word)
            joined.extend(words)
            break
        if word in _PERCENT_OPTIONS:
            value = next(words, None)
            joined.append(word if value is None else f"{word}={value}")
        else:
            joined.append(word)
    return joined


def _parse(parser: argparse.ArgumentParser, arguments: list[str]) -> argparse.Namespace:
    try:
        namespace, extras = parser.parse_known_args(_joined_percentages(arguments))
    except SystemExit:
        # --help and --version: argparse ignores a failed write, and exits 0 having printed
        # nothing. Flushed here, the failure is told.
        sys.stdout.flush()
        raise
    if extras:
        hint = _dash_value(arguments, extras[0])
        if hint is not None:
            raise UsageError(hint)
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    return namespace


def _dash_value(arguments: list[str], extra: str) -> str | None:
    """What to say when argparse took a --where's value for an unknown option because it
    starts with '-' (`--where NAME equals --x`): the form that carries it."""
    for at in range(3, len(arguments)):
        name, operator = arguments[at - 2 : at]
        if arguments[at] == extra and arguments[at - 3] == "--where" and operator[:1] != "-":
            import shlex  # here: only this mistake pays for it

            words = " ".join(shlex.quote(word) for word in (name, operator, extra))
            joined = shlex.quote(f"{operator}={extra}")
            return (
                f"--where {words}: a value that starts with '-' is read as an option; join it "
                f"to its operator: --where {shlex.quote(name)} {joined}"
            )
    return None


def _refuse_passcode_argument(arguments: list[str]) -> None:
    """A passcode on the command line shows in `ps` and shell history: refuse it before argparse
    could echo it back in an error, and so too any misspelling of `--passcode` or
    `--passcode-stdin` (`--passcod X`, `-p X`, `--pass=X`), whose value argparse would echo as an
    unrecognised argument. The emulator's own --passcode is a test value, not a secret."""
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
