"""The preview breaks the body and the curl between tokens: never in a number or a name where
a line can break before it, and never a character lost or added but the newlines."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from cttui.api.curl import curl_command
from cttui.api.models import DateRange, PropertyFilter, Query
from cttui.tui.widgets.preview import (
    BREAKS,
    BREAKS_BEFORE_NOT_SLASH,
    break_offsets,
    broken_lines,
)
from tests.apps import TODAY

QUERY = Query(
    "choseNewFavoriteFood",
    DateRange(TODAY.replace(year=TODAY.year - 1), TODAY),
    (
        PropertyFilter.from_text("value", "contains", "piz"),
        PropertyFilter.from_text("売上", "equals", "東京"),
    ),
)
BODY = QUERY.to_json()
CURL = curl_command(QUERY, "https://in1.api.clevertap.com", "W9R-486-4W5Z")


def lines_of(text: str, width: int) -> list[str]:
    return broken_lines(text, width)


def may_break_after(text: str, index: int) -> bool:
    character, after = text[index], text[index + 1 : index + 2]
    return character in BREAKS or (character in BREAKS_BEFORE_NOT_SLASH and after != "/")


def test_the_body_breaks_only_between_tokens_at_every_width() -> None:
    # From the width of the longest token up: below it, a token must be cut somewhere.
    for width in range(len('"choseNewFavoriteFood",'), 120):
        lines = lines_of(BODY, width)
        assert "".join(lines) == BODY
        assert all(cell_len(line) <= width for line in lines), (width, lines)
        for line in lines[:-1]:
            assert line[-1] in ",:", (width, lines)
        json.loads(BODY)  # what is shown joins back to what is sent


def test_the_curl_keeps_its_lines_and_breaks_a_url_after_a_slash() -> None:
    for width in range(30, 100):
        lines = lines_of(CURL, width)
        assert "".join(lines) == CURL
        for line in "\n".join(lines).split("\n"):
            assert cell_len(line) <= width, (width, line)
    url_lines = lines_of(CURL.split("\n")[0], 40)
    assert len(url_lines) > 1
    assert all(line.endswith(("/", " ")) for line in url_lines[:-1]), url_lines


@given(st.text(max_size=300), st.integers(min_value=2, max_value=80))
def test_no_character_is_lost_and_no_line_is_too_wide(text: str, width: int) -> None:
    offsets = break_offsets(text, width)
    assert offsets == sorted(set(offsets))
    lines = lines_of(text, width)
    assert "".join(lines) == text
    for line in "\n".join(lines).split("\n"):
        assert cell_len(line) <= width or len(line) == 1
    # A line is cut where it may break whenever a place to break was within its reach.
    for start, end in zip([0, *offsets], offsets, strict=False):
        reachable = [
            i for i in range(start, end) if may_break_after(text, i) and "\n" not in text[start:i]
        ]
        if reachable and cell_len(text[start : reachable[-1] + 1]) <= width:
            assert may_break_after(text, end - 1), (text, width, start, end)
