"""The job list's table: a DataTable whose cursor moving one row redraws the rows it touched, and
whose cells are drawn afresh only when they change.

DataTable keys each row it has drawn on where the cursor (and the mouse's hover) is, anywhere
in the table: a move of the cursor by one row drew every row in view afresh, and a move that
scrolls draws them all anyway (the view shifts), so with a list longer than the view each key
cost a full redraw of every row's cells, 15 rows and 120 cells at 120x40. Here a row the cursor
is not on is drawn the same wherever the cursor is, and comes from the cache.

DataTable also keys each cell it has drawn on a count of every update to the table: the
second's tick, moving two cells of each pending job's row (the countdown and the elapsed time),
drew every cell in view afresh, 8 for each 2 moved (with 500 jobs pending at 120x40, 128 cells
a second; 39 now). Here a cell is drawn again only when its value is another object (every
value the job panel puts in is a new one, never one changed in place) or where it is drawn
changes.

And a cell whose text alone has changed (the tick's countdowns and elapsed times) is not drawn
through Rich again (about 0.2 ms a cell): where its last drawing has the plain shape DataTable
gives right-justified text on one line (a padding, the text justified, a padding), the new text
takes the old one's place in it. tests/test_job_table.py holds it to DataTable's own drawing.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

# Where the cursor is, as far as a row it is not on can tell.
ELSEWHERE = Coordinate(-2, -2)

Lines = list[list[Segment]]
# As many cells as DataTable's own cache keeps: the view of a 200x50 terminal many times over.
CELLS_CACHED = 10_000


class Drawn:
    """A cell's lines and the value they were drawn from, and whether another text can take
    that value's place in them (see `respelled`)."""

    __slots__ = ("lines", "plain", "value")

    def __init__(self, value: object, lines: Lines, padding: int) -> None:
        self.drawn(value, lines, padding)

    def drawn(self, value: object, lines: Lines, padding: int) -> None:
        self.value = value
        self.lines = lines
        self.plain = _plain_shape(value, lines, padding)

    def respelled(self, value: object) -> Lines | None:
        """The lines `value` draws, if it is plain text of the same style as the value drawn
        (None: it must be drawn afresh)."""
        if not self.plain or not isinstance(value, Text) or not _plain(value):
            return None
        drawn = self.value
        assert isinstance(drawn, Text)
        if value.style != drawn.style or value.end != drawn.end:
            return None
        before, body, after = self.lines[0]
        if len(value.plain) > len(body.text):
            return None
        return [[before, Segment(value.plain.rjust(len(body.text)), body.style), after]]


def _plain(text: Text) -> bool:
    """Right-justified text that draws as one run: printable ASCII, not empty (which Rich
    draws as two runs), no spans, no outer spaces (which justifying trims)."""
    plain = text.plain
    return (
        bool(plain)
        and text.justify == "right"
        and not text.spans
        and plain.isascii()
        and plain.isprintable()
        and plain == plain.strip()
    )


def _plain_shape(value: object, lines: Lines, padding: int) -> bool:
    """Whether `lines` are what DataTable draws of `value` as plain text: one line of a
    padding, the text right-justified, a padding, without a control code."""
    if not isinstance(value, Text) or not _plain(value) or padding < 1 or len(lines) != 1:
        return False
    line = lines[0]
    if len(line) != 3 or any(segment.control for segment in line):
        return False
    before, body, after = line
    return (
        before.text == after.text == " " * padding
        and len(body.text) >= len(value.plain)
        and body.text == value.plain.rjust(len(body.text))
    )


class JobTable(DataTable[str | Text]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # A cell's lines, with the value they were drawn from, by where and how it is drawn
        # (before DataTable's own start, which clears the caches).
        self._drawn: LRUCache[tuple[object, ...], Drawn] = LRUCache(CELLS_CACHED)
        super().__init__(*args, **kwargs)

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._drawn.clear()

    def notify_style_update(self) -> None:
        self._drawn.clear()
        super().notify_style_update()

    def _render_cell(  # noqa: PLR0917 (DataTable's own signature)
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> Lines:
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        row = self.rows.get(row_key) if row_key is not None else None
        if row_key is None or row is None or column_key is None or not row.height:
            # The header, a label, a row whose height is still to be measured.
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        value = self._data[row_key].get(column_key)
        key = (
            row_key, column_key, row_index, column_index, base_style, width, cursor, hover,
            row.height, self._show_hover_cursor, self._pseudo_class_state, self.show_cursor,
            self.cursor_type, self.cell_padding,
        )  # fmt: skip
        drawn = self._drawn.get(key)
        if drawn is None:
            lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            self._drawn[key] = Drawn(value, lines, self.cell_padding)
            return lines
        if drawn.value is value:
            return drawn.lines
        respelled = drawn.respelled(value)
        if respelled is not None:
            drawn.value, drawn.lines = value, respelled
            return respelled
        # Drawn afresh, in place: Textual's LRUCache keeps the first value set for a key.
        lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        drawn.drawn(value, lines, self.cell_padding)
        return lines

    def _render_line_in_row(
        self,
        row_key: RowKey,
        line_no: int,
        base_style: Style,
        cursor_location: Coordinate,
        hover_location: Coordinate,
    ) -> tuple[Lines, Lines]:
        # A row cursor (and its hover) highlights a whole row: what another row draws depends
        # only on whether it is that row.
        if self.cursor_type == "row":
            row = self._row_locations.get(row_key)
            if row is None:  # the header
                row = -1
            if cursor_location.row != row:
                cursor_location = ELSEWHERE
            if hover_location.row != row:
                hover_location = ELSEWHERE
        return super()._render_line_in_row(
            row_key, line_no, base_style, cursor_location, hover_location
        )
