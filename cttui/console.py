"""Standard streams and text on a terminal: what cttui prints must be one line that a terminal
shows and never obeys, and a stream that is closed or full must be one line, not a crash.

Standard library only: `cttui --help` imports this.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

# typing for mypy only (it reads this name as typing's): importing it would cost every
# command, `cttui --help` included, a tenth of its start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO


def standard_streams() -> None:
    """A closed stdin, stdout or stderr reads as empty and writes to nowhere: else a file
    opened later could take its place, and None stands where code expects a stream."""
    for fd, name, mode in ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w")):
        if getattr(sys, name) is not None:
            continue
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
        setattr(sys, name, open(fd, mode, encoding="utf-8", closefd=False))  # noqa: SIM115


class OutputFailed(Exception):
    """Standard output refused what was written to it (a full disk, /dev/full)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _GuardedOutput:
    """sys.stdout, with a failed write told apart from every other OSError."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputFailed(error) from error

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputFailed(error) from error

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def guarded_stdout() -> Iterator[None]:
    stream = sys.stdout
    sys.stdout = _GuardedOutput(stream)
    try:
        yield
    finally:
        sys.stdout = stream


def silence_stdout() -> None:
    # What is still buffered goes nowhere, rather than fail again as the interpreter exits.
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def undecodable(arguments: Sequence[str]) -> str | None:
    """What to say of the first argument that is not UTF-8 (bytes that are not reach Python
    as lone surrogates, which no output can print); None when all are."""
    for number, word in enumerate(arguments, start=1):
        try:
            word.encode("utf-8")
        except UnicodeEncodeError:
            return (
                f"argument {number} ({printable(word)}) is not valid UTF-8 text; type it again, "
                "or set a UTF-8 locale in the terminal"
            )
    return None


# Characters that move the cursor, retitle the terminal or reorder the text around them.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def printable(text: str) -> str:
    """`text` safe to show on a terminal: control and bidi characters as escapes, and the bytes
    of invalid UTF-8 as \\xNN."""
    if text.isprintable():
        # Every character escaped below is a control, format, surrogate or line separator one,
        # none of which str.isprintable() lets through: most text needs no look at each one.
        return text
    return "".join(_escaped(char) for char in text)


def _escaped(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x20 or 0x7F <= code < 0xA0 or char in _BIDI_CONTROLS:
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    if 0xD800 <= code <= 0xDFFF or code in (0x2028, 0x2029):
        return f"\\u{code:04x}"
    return char


# Categories a terminal draws in no cell: combining marks and format characters (a zero-width
# space, a variation selector, a joiner).
_ZERO_WIDTH = {"Mn", "Me", "Cf"}


def cells(text: str) -> int:
    """How many terminal columns `text` takes: wide East-Asian characters (and emoji) two,
    combining marks none."""
    if text.isascii():
        # Every ASCII character takes one cell; and most tables are ASCII.
        return len(text)
    return sum(_cells(char) for char in text)


def _cells(char: str) -> int:
    import unicodedata  # here: only text beyond ASCII pays for it

    if unicodedata.combining(char) or unicodedata.category(char) in _ZERO_WIDTH:
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def pad(text: str, width: int, *, right: bool = False) -> str:
    """`text` filled with spaces to `width` cells, on the left when `right`."""
    fill = " " * max(0, width - cells(text))
    return fill + text if right else text + fill


def clip(text: str, width: int) -> str:
    """`text` cut to at most `width` cells (at least 1), ending in "…" where it was cut: never
    in the middle of a wide character, and a combining mark goes with its letter."""
    if cells(text) <= width:
        return text
    room, kept = width - 1, 0
    for end, char in enumerate(text):
        kept += _cells(char)
        if kept > room:
            return text[:end] + "…"
    return text
