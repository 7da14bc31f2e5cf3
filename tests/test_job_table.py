"""The job list's table draws a cell whose text alone has changed (the second's tick of a
countdown or an elapsed time) by respelling its last drawing, where that drawing has the plain
shape DataTable gives such text: a padding, the text justified, a padding. Whatever the values,
it must draw what DataTable itself draws: here a JobTable and a plain DataTable, side by side,
are given the same cells one after another and every line of the two is compared."""

from __future__ import annotations

import itertools

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable

from cttui.tui.widgets.job_table import JobTable

VALUES: list[str | Text] = [
    Text("12 s", justify="right"),
    Text("1 h 02 m", justify="right"),
    Text("", justify="right"),
    Text("9", justify="right"),
    Text("far too long for its column", justify="right"),
    Text("12 s", justify="left"),
    Text("12 s"),
    Text("12 s", justify="center"),
    Text("12 s", justify="right", style="bold red"),
    Text(" 12 s ", justify="right"),
    Text("two  spaces", justify="right"),
    Text("é 12 s", justify="right"),
    Text("全角", justify="right"),
    Text("tab\tin", justify="right"),
    Text.assemble(("12", "bold"), " s", justify="right"),
    "12 s",
    "[b]12[/b] s",
]


class Tables(App[None]):
    CSS = "DataTable { width: 40; height: 8; }"

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield JobTable(id="ours", cursor_type="row", zebra_stripes=True)
            yield DataTable(id="theirs", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        for table in self.tables:
            table.add_column("Next", key="next", width=10)
            table.add_column("Job", key="job", width=6)
            for row in range(4):
                table.add_row(Text("0 s", justify="right"), Text(str(row)), key=str(row))

    @property
    def tables(self) -> tuple[JobTable, DataTable[str | Text]]:
        return self.query_one("#ours", JobTable), self.query_one("#theirs", DataTable)


def lines(table: DataTable[str | Text]) -> list[list[tuple[str, object]]]:
    return [
        [(segment.text, segment.style) for segment in table.render_line(y)]
        for y in range(table.size.height)
    ]


def plain(value: str | Text) -> bool:
    """What can be respelled: right-justified ASCII text with no spans or outer spaces, not
    empty, of the column's content width (10 less 2 of padding) or less."""
    return (
        isinstance(value, Text)
        and bool(value.plain)
        and value.justify == "right"
        and not value.spans
        and value.plain.isascii()
        and value.plain.isprintable()
        and value.plain == value.plain.strip()
        and len(value.plain) <= 8
    )


@pytest.mark.parametrize("row", [0, 1, 2])  # the cursor's row, an odd one, an even one
async def test_a_respelled_cell_is_drawn_as_datatable_draws_it(
    row: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = Tables()
    async with app.run_test(size=(90, 12)) as pilot:
        app.set_focus(None)  # neither drawn as focused
        await pilot.pause()
        ours, theirs = app.tables
        drawn: list[tuple[int, int]] = []
        render_cell = DataTable._render_cell

        def counted(table: DataTable[object], *args: object, **kw: object) -> object:
            if table is ours:
                drawn.append((args[0], args[1]))  # type: ignore[arg-type]
            return render_cell(table, *args, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(DataTable, "_render_cell", counted)
        respelled = 0
        for first, second in itertools.product(VALUES, repeat=2):
            for value in (first, second):
                for table in (ours, theirs):
                    table.update_cell(str(row), "next", value)
                drawn.clear()
                assert lines(ours) == lines(theirs), (first, second)
            kept = (row, 0) not in drawn
            # The same value is left as drawn; a plain one after a plain one of the same style
            # is respelled; any other is drawn afresh.
            same_shape = (
                isinstance(first, Text)
                and isinstance(second, Text)
                and plain(first)
                and plain(second)
                and first.style == second.style
            )
            assert kept == (first is second or same_shape), (first, second)
            respelled += kept and first is not second
        # Each ordered pair of the three plain unstyled values: the respelling was reached.
        assert respelled == 6
