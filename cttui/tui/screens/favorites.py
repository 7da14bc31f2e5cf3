"""F3: the saved queries, each with its last count and its counts over time, to run again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.events import Key
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from cttui.api.errors import CttuiError
from cttui.jobs import Job
from cttui.records import JobState
from cttui.report import summary_text
from cttui.session import changes
from cttui.store.favorites import Favorite, Favorites
from cttui.store.favorites_shared import read_only_reason
from cttui.tui.failures import ShowsFailedWorkers
from cttui.tui.keys import bindings
from cttui.tui.screens.confirm import ConfirmScreen
from cttui.tui.screens.history_export import copy_history, save_history
from cttui.tui.screens.job_toasts import report_launches
from cttui.tui.screens.name_prompt import NamePromptScreen
from cttui.tui.screens.resend import ask_then, favorite_question
from cttui.tui.widgets.favorites_table import FavoritesTable, favorite_detail, matches
from cttui.tui.widgets.footer import KeysFooter
from cttui.tui.workers import start

if TYPE_CHECKING:
    from cttui.session.core import Session


class FavoritesChanged(Message):
    """favorites.toml was read again, or a job of a favourite changed."""


# The table's margins (cttui.tcss) and its vertical scrollbar, kept room for whether shown or
# not: a favourite more or less must not move every column.
TABLE_MARGINS, SCROLLBAR = 2, 2
# A query's summary no longer than this: the box under the list says it whole.
SUMMARY_MAX = 120


class FavoritesScreen(ShowsFailedWorkers, Screen[Favorite | None]):
    """Dismissed with the favourite to load into the editor, if one is chosen for that."""

    # The app action that shows this screen: the app leaves its key out while it shows.
    OPENED_BY: ClassVar[str] = "favorites"
    AUTO_FOCUS = "#favorites-table"
    BINDINGS: ClassVar[list[BindingType]] = bindings("favorites-screen")

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self._marked: set[str] = set()
        self._shown: list[Favorite] = []
        self._table = FavoritesTable(id="favorites-table", cursor_type="row", zebra_stripes=True)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="favorites-bar"):
            yield Input(
                placeholder="type to filter by name, event, property or notes (/)",
                id="favorites-filter",
                compact=True,
            )
            yield Static(id="favorites-count", markup=False)
        yield Static(id="favorites-problem", markup=False)
        yield self._table
        yield Static(id="favorites-detail", markup=False)
        yield Static(id="favorites-empty", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        # Counts that come from elsewhere (cron's `cttui run`) come through the session too.
        self.session.subscribe(self._session_changed)
        self.refresh_rows()

    def on_unmount(self) -> None:
        self.session.unsubscribe(self._session_changed)

    @property
    def table(self) -> FavoritesTable:
        # Held, not queried: the footer asks check_action (and so `selected`) even while the
        # screen is being dismissed, its widgets already removed.
        return self._table

    @property
    def favorites(self) -> Favorites:
        return self.session.favorites.current

    @property
    def selected(self) -> Favorite | None:
        table = self.table
        if not table.row_count or not self._shown:
            return None
        return self._shown[min(table.cursor_row, len(self._shown) - 1)]

    def chosen(self) -> list[Favorite]:
        """The marked favourites in list order, else the one under the cursor."""
        marked = [item for item in self.session.favorites.listed() if item.name in self._marked]
        if marked:
            return marked
        return [self.selected] if self.selected else []

    def _session_changed(self, change: changes.Change) -> None:
        if isinstance(change, changes.FavoritesChanged | changes.HistoryChanged) or (
            isinstance(change, changes.JobChanged) and change.job.favorite is not None
        ):
            self.post_message(FavoritesChanged())

    def on_favorites_changed(self) -> None:
        # One can come while the screen is being dismissed (enter runs a favourite and goes
        # back: its job changes at once), when its widgets are already gone.
        if self.query("#favorites-table"):
            self.refresh_rows()

    def refresh_rows(self, show: str | None = None) -> None:
        """Rebuild the list (it is short), keeping the cursor on the same favourite (at first,
        the one used last), or moving it to `show`."""
        table = self.table
        keep = show or (self.selected.name if self.selected else self.session.favorites.last_used)
        items = self.session.favorites.listed()
        self._marked &= {item.name for item in items}
        terms = self.query_one("#favorites-filter", Input).value.casefold().split()
        self._shown = [item for item in items if matches(item, terms)]
        history = self.session.favorites.history()
        now = self.session.jobs.clock.now()
        self._fit_columns()
        table.clear()
        for item in self._shown:
            cells = table.cells(
                item,
                history.get(item.name, ()),
                self._running_jobs(item),
                marked=item.name in self._marked,
                today=self.session.today(),
                now=now,
            )
            table.add_row(*table.shown_cells(cells), key=item.name)
        names = [item.name for item in self._shown]
        if keep in names:
            table.move_cursor(row=names.index(keep))
        count = self.query_one("#favorites-count", Static)
        count.update(f"{len(self._shown)} of {len(items)}" if terms else f"{len(items)} saved")
        self._show_problem()
        self._show_empty(bool(items))
        self._show_detail()
        self.refresh_bindings()

    def _fit_columns(self) -> bool:
        """The columns for the table's width: whether they changed."""
        items, today = self.session.favorites.listed(), self.session.today()
        name = max((len(item.name) for item in items), default=0)
        summaries = (summary_text(item.query(today), SUMMARY_MAX) for item in items)
        query = max((len(summary) for summary in summaries), default=0)
        return self.table.fit(self.app.size.width - TABLE_MARGINS - SCROLLBAR, name, query)

    def on_resize(self) -> None:
        if self._fit_columns():
            self.refresh_rows()

    def _running_jobs(self, item: Favorite) -> list[Job]:
        # An interrupted job is not running: the last real count stays, the detail says why.
        return [
            job
            for job in self.session.favorites.jobs_of(item.name)
            if not job.state.finished and job.state is not JobState.INTERRUPTED
        ]

    def _show_problem(self) -> None:
        banner = self.query_one("#favorites-problem", Static)
        problems = self.favorites.problems
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            banner.update(
                f"{problems[0].message}{more}. Read-only until it is fixed: cttui picks the "
                "file up again as soon as it is saved."
            )
        banner.display = bool(problems)

    def _show_empty(self, any_saved: bool) -> None:
        empty = self.query_one("#favorites-empty", Static)
        if not any_saved:
            empty.update(
                "No favourites yet. Build a query in the editor and press ctrl+s to save it: "
                "it runs again from here with enter, keeps its counts over time, and lives in "
                f"{self.favorites.path}, which you may edit by hand."
            )
        elif not self._shown:
            empty.update("No favourite matches the filter. Escape clears it.")
        empty.display = not self._shown
        self.table.display = bool(self._shown)
        self.query_one("#favorites-detail").display = bool(self._shown)

    def _show_detail(self) -> None:
        item = self.selected
        detail = self.query_one("#favorites-detail", Static)
        if item is None:
            detail.update("")
            return
        runs = self.session.favorites.history().get(item.name, ())
        jobs = self.session.favorites.jobs_of(item.name)
        cut = jobs[-1] if jobs and jobs[-1].state is JobState.INTERRUPTED else None
        detail.update(favorite_detail(item, runs, self.session.today(), cut))

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        if self.selected is not None:
            self.session.favorites.last_used = self.selected.name
        self._show_detail()
        self.refresh_bindings()

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_run()

    @on(Input.Changed, "#favorites-filter")
    def _filter_changed(self) -> None:
        self.refresh_rows()

    @on(Input.Submitted, "#favorites-filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    def on_key(self, event: Key) -> None:
        field = self.query_one("#favorites-filter", Input)
        if event.key == "escape" and field.has_focus:
            event.stop()
            event.prevent_default()
            if field.value:
                field.value = ""
            else:
                self.table.focus()
        elif event.key == "down" and field.has_focus:
            event.stop()
            self.table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Keys that change the file stay on while it is read-only: pressed, they say why not.
        return action in ("back", "filter") or self.selected is not None

    def _refused(self, items: Sequence[Favorite] = ()) -> bool:
        """Whether the file cannot be changed now, or `items` not at all (a shared file's); if
        so, a toast says why (a key that did nothing would leave the user guessing)."""
        reason = next(filter(None, map(read_only_reason, items)), None)
        if reason is None and self.favorites.writable:
            return False
        reason = reason or self.favorites.read_only_reason()
        self.notify(reason, title="Not changed", severity="error")
        return True

    def action_back(self) -> None:
        self.dismiss()

    def action_filter(self) -> None:
        self.query_one("#favorites-filter", Input).focus()

    def action_copy_history(self) -> None:
        copy_history(self, self.session, self.selected)

    def action_save_history(self) -> None:
        save_history(self, self.session, self.selected)

    def action_mark(self) -> None:
        item = self.selected
        if item is None:
            return
        self._marked ^= {item.name}
        row = self.table.cursor_row
        self.refresh_rows()
        self.table.move_cursor(row=min(row + 1, len(self._shown) - 1))

    def action_run(self) -> None:
        chosen = self.chosen()
        if chosen:
            ask_then(
                self,
                favorite_question(self.session, chosen),
                True,
                lambda: start(self, self._run(chosen), name="Running favourites"),
            )

    async def _run(self, chosen: list[Favorite]) -> None:
        sent = report_launches(self.app, await self.session.run_favorites(chosen))
        if not sent:
            return
        self._marked.clear()
        names = ", ".join(item.name for item in chosen[:3])
        more = f" and {len(chosen) - 3} more" if len(chosen) > 3 else ""
        self.notify(f"{names}{more}: running; the jobs are in the panel", title=f"Running {sent}")
        self.dismiss()

    def action_load(self) -> None:
        item = self.selected
        if item is not None:
            self.dismiss(item)

    def action_series(self) -> None:
        from cttui.tui.screens.series_start import ask_series

        if self.selected is not None:
            ask_series(self, self.session, self.selected, self._show_chart)

    def action_chart(self) -> None:
        if self.selected is not None:
            self._show_chart(self.selected.name)

    def _show_chart(self, name: str) -> None:
        from cttui.tui.screens.chart import show_chart  # when first shown: plotext costs

        show_chart(self, self.session, name)

    def action_rename(self) -> None:
        item = self.selected
        if item is None or self._refused([item]):
            return

        def answered(name: str | None) -> None:
            if name is not None and name != item.name:
                start(self, self._rename(item.name, name), name="Renaming the favourite")

        self.app.push_screen(
            NamePromptScreen(
                "Rename favourite",
                item.name,
                "Its counts over time follow it to the new name.",
                [other.name for other in self.favorites.items if other is not item],
            ),
            answered,
        )

    async def _rename(self, old: str, new: str) -> None:
        try:
            await self.session.favorites.rename(old, new)
        except CttuiError as error:
            self._failed(error, "Not renamed")
            return
        self._marked.discard(old)
        self.refresh_rows(show=new)
        self.notify(f"{old} is now {new}", title="Renamed")

    def _failed(self, error: CttuiError, title: str) -> None:
        self.notify(error.message, title=title, severity="error", timeout=15)

    def action_duplicate(self) -> None:
        item = self.selected
        if item is not None and not self._refused():
            start(self, self._duplicate(item.name), name="Duplicating the favourite")

    async def _duplicate(self, name: str) -> None:
        try:
            copy = await self.session.favorites.duplicate(name)
        except CttuiError as error:
            self._failed(error, "Not duplicated")
            return
        self.refresh_rows(show=copy.name)
        self.notify(f"{copy.name} saved; n renames it", title="Duplicated")

    def action_delete(self) -> None:
        chosen = self.chosen()
        if not chosen or self._refused(chosen):
            return
        history = self.session.favorites.history()
        counts = sum(len(history.get(item.name, ())) for item in chosen)
        what = f"favourite {chosen[0].name!r}" if len(chosen) == 1 else f"{len(chosen)} favourites"
        past = f" and its {counts} past count(s)" if counts else ""
        if len(chosen) > 1:
            past = f" ({', '.join(item.name for item in chosen)}) and {counts} past count(s)"

        def answered(yes: bool | None) -> None:
            if yes:
                start(
                    self, self._delete([item.name for item in chosen]), name="Deleting favourites"
                )

        self.app.push_screen(
            ConfirmScreen(f"Delete {what}{past}?", yes="Delete", no="Keep"), answered
        )

    async def _delete(self, names: list[str]) -> None:
        try:
            await self.session.favorites.delete(names)
        except CttuiError as error:
            self._failed(error, "Not deleted")
            return
        self._marked.clear()
        self.refresh_rows()
        self.notify(f"{', '.join(names)} deleted", title="Deleted")
