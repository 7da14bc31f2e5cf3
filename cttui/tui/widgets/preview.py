"""What a query will send: the JSON body, and a curl command for the same request."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from rich.cells import get_character_cell_size
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message

from cttui.api.curl import curl_command
from cttui.api.errors import QueryError
from cttui.api.models import Query
from cttui.tui.widgets.live_text import LiveText

# Where a line of JSON or shell may break: after a space or a comma, and after a colon or a
# slash not followed by a slash (between a URL's parts, never inside its "://").
BREAKS = " ,"
BREAKS_BEFORE_NOT_SLASH = ":/"


def break_offsets(text: str, width: int) -> list[int]:
    """Where to break `text` so that no line is wider than `width` cells: at each line's last
    place that may break (see BREAKS) within the width, and only where there is none, at the
    width itself. Offsets are into `text`; its own newlines stay."""
    offsets: list[int] = []
    if width <= 0:
        return offsets
    start = used = 0  # the line's first character, and the cells it takes so far
    last_break = None  # the line's last place that may break, so far
    for index, character in enumerate(text):
        if character == "\n":
            start, used, last_break = index + 1, 0, None
            continue
        cells = get_character_cell_size(character)
        if used + cells > width and index > start:
            cut = last_break if last_break is not None and last_break > start else index
            offsets.append(cut)
            start, last_break = cut, None
            used = sum(get_character_cell_size(c) for c in text[start:index])
        used += cells
        after = text[index + 1 : index + 2]
        if character in BREAKS or (character in BREAKS_BEFORE_NOT_SLASH and after != "/"):
            last_break = index + 1
    return offsets


def broken_lines(text: str, width: int) -> list[str]:
    """`text` in the lines its break offsets for `width` make (its own newlines kept in them)."""
    offsets = [0, *break_offsets(text, width), len(text)]
    return [text[start:end] for start, end in pairwise(offsets)]


def wrapped(content: Content, width: int) -> Content:
    """`content` with a newline at each of its break offsets for `width`."""
    offsets = break_offsets(content.plain, width)
    if not offsets:
        return content
    return Content("\n").join(content.divide(offsets))


class QueryPreview(Vertical):
    """Shows the body and curl for a valid query, or what stands in the way of sending one."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.body: str | None = None
        self.curl: str | None = None
        # The body and the curl highlighted, before they are broken into lines.
        self._shown: tuple[Content, Content] | None = None

    def compose(self) -> ComposeResult:
        yield LiveText(id="preview-body")
        yield LiveText(id="preview-curl")

    def on_mount(self) -> None:
        self.query_one("#preview-body").border_title = "Body, exactly as sent"
        self.query_one("#preview-curl").border_title = "curl (passcode from $CLEVERTAP_PASSCODE)"

    def show(
        self, query: Query | None, problems: Sequence[QueryError], base_url: str, account_id: str
    ) -> None:
        body = self.query_one("#preview-body", LiveText)
        curl = self.query_one("#preview-curl", LiveText)
        if query is None:
            self.body = self.curl = None
            lines = [f"• {problem.message}" for problem in problems]
            body.show("Nothing to send yet:\n" + "\n".join(lines))
            body.set_class(True, "-waiting")
            curl.display = False
            return
        # Pygments, a tenth of the start, waits for the first query there is to show.
        from textual.highlight import highlight

        self.body = query.to_json()
        self.curl = curl_command(query, base_url, account_id)
        self._shown = (highlight(self.body, language="json"), highlight(self.curl, language="bash"))
        self._wrap()
        body.set_class(False, "-waiting")
        curl.display = True

    class Resized(Message):
        """The preview grew or shrank: the screen gives it room, if it has some."""

    def on_resize(self) -> None:
        self._wrap()
        self.post_message(self.Resized())

    def _wrap(self) -> None:
        """The body and the curl broken between tokens for the width they have, never in the
        middle of a number or a name where a line can break before it."""
        if self.body is None or self._shown is None:
            return
        for selector, content in zip(("#preview-body", "#preview-curl"), self._shown, strict=True):
            text = self.query_one(selector, LiveText)
            lines = wrapped(content, text.content_size.width or self.content_size.width - 4)
            text.show(lines.plain, lines)
