"""`printable`: what reaches a terminal from the journal, a server or a file."""

from __future__ import annotations

import sys

from cttui.console import _escaped, printable


def test_the_fast_path_escapes_exactly_what_the_slow_one_does() -> None:
    """Text that str.isprintable() passes is returned whole: so no code point the escaper
    changes may pass it, alone or in text."""
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        assert printable(char) == _escaped(char), hex(code)
        assert printable(f"a{char}b") == f"a{_escaped(char)}b", hex(code)


def test_control_bidi_and_broken_bytes_are_shown_as_escapes() -> None:
    raw = b"Charged\x1b[2J \xff".decode("utf-8", "surrogateescape") + "\u202e\u2028ok"
    assert printable(raw) == "Charged\\x1b[2J \\xff\\u202e\\u2028ok"
    assert printable("Ünïcode 日本 plain") == "Ünïcode 日本 plain"
