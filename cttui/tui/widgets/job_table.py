"""The job list's table: a DataTable whose cursor moving one row redraws the rows it touched.

DataTable keys each row it has drawn on where the cursor (and the mouse's hover) is, anywhere
in the table: a move of the cursor by one row drew every row in view afresh, and a move that
scrolls draws them all anyway (the view shifts), so with a list longer than the view each key
cost a full redraw of every row's cells, 15 rows and 120 cells at 120x40. Here a row the cursor
is not on is drawn the same wherever the cursor is, and comes from the cache.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

# Where the cursor is, as far as a row it is not on can tell.
ELSEWHERE = Coordinate(-2, -2)

Lines = list[list[Segment]]


class JobTable(DataTable[str | Text]):
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
