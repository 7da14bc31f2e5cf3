"""`printable`: what reaches a terminal from the journal, a server or a file."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cttui.console import _escaped, cells, clip, pad, printable


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


# --- terminal cells ----------------------------------------------------------------------------

WIDE = "売上"  # two characters, four cells
EMOJI = "😀"  # one character, two cells
ACCENT = "cafe\u0301"  # five characters, four cells: the accent combines with the e


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("", 0),
        ("abc", 3),
        (WIDE, 4),
        (EMOJI, 2),
        (ACCENT, 4),
        ("ｆｕｌｌ", 8),  # noqa: RUF001 - fullwidth letters, two cells each, on purpose
        ("a\u200bb", 2),  # a zero-width space takes no cell
        ("x\ufe0f", 1),  # a variation selector neither
        ("…", 1),
    ],
)
def test_cells_counts_what_a_terminal_shows(text: str, width: int) -> None:
    assert cells(text) == width
    assert cells(pad(text, 10)) == 10
    assert pad(text, 10, right=True).endswith(text)


@pytest.mark.parametrize(
    ("text", "width", "cut"),
    [
        ("weekly buyers", 20, "weekly buyers"),
        ("weekly buyers", 13, "weekly buyers"),
        ("weekly buyers", 12, "weekly buye…"),
        ("weekly buyers", 1, "…"),
        (WIDE * 3, 12, WIDE * 3),
        # 売上売上売 is ten cells: the next wide character does not fit in the one left.
        (WIDE * 3, 11, "売上売上売…"),
        (WIDE * 3, 10, "売上売上…"),
        (EMOJI * 10, 7, EMOJI * 3 + "…"),
        # An accent stays with its letter, or goes with it.
        (ACCENT + "s au lait", 5, ACCENT + "…"),
        ("cafe\u0301\u0301s!", 5, "cafe\u0301\u0301…"),
        ("ab" + WIDE, 4, "ab…"),
    ],
)
def test_clip_cuts_to_a_width_in_cells_with_an_ellipsis(text: str, width: int, cut: str) -> None:
    assert clip(text, width) == cut
    assert cells(clip(text, width)) <= width


@given(st.text(max_size=80), st.integers(min_value=1, max_value=90))
def test_clip_never_overflows_and_keeps_what_fits(text: str, width: int) -> None:
    cut = clip(text, width)
    assert cells(cut) <= width
    if cells(text) <= width:
        assert cut == text
    else:
        assert cut.endswith("…")
        assert text.startswith(cut[:-1])
        # Nothing more of the text would have fitted beside the ellipsis.
        rest = text[len(cut) - 1 :]
        assert cells(cut) + cells(rest[:1]) > width or not rest
