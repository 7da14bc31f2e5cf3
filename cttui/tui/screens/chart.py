"""A favourite's counts over time as a chart (g on the favourites screen): a line per length of
range, a highlighted point that the arrows move, and enter for its job's details. It reads the
history itself at each change, so counts that come while it shows (a series being filled, or
cron's `cttui run` elsewhere) are drawn as they come."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Static

from cttui.jobs import Job
from cttui.records import FavoriteRun
from cttui.session import changes
from cttui.store.favorites import since_query_changed
from cttui.trends import change_of, drawn
from cttui.tui.failures import ShowsFailedWorkers
from cttui.tui.keys import bindings
from cttui.tui.widgets.chart_lines import lines_of, point_text
from cttui.tui.widgets.count_chart import CountChart
from cttui.tui.widgets.footer import KeysFooter
from cttui.tui.widgets.job_panel import JobPanel

if TYPE_CHECKING:
    from cttui.session.core import Session

EMPTY = "no counts yet: press s to fill a series"


class CountsChanged(Message):
    """The history, favorites.toml or a job of the favourite changed: read them again."""


def show_chart(screen: Screen[Any], session: Session, name: str) -> None:
    """The chart of favourite `name` over `screen`, unless `screen` is that chart."""
    if not (isinstance(screen, ChartScreen) and screen.favorite_name == name):
        screen.app.push_screen(ChartScreen(session, name))


class ChartScreen(ShowsFailedWorkers, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings("chart-screen")

    def __init__(self, session: Session, name: str) -> None:
        super().__init__()
        self.session = session
        self.favorite_name = name
        # The counts drawn, in the x axis's order, and the one highlighted.
        self.points: list[FavoriteRun] = []
        self.highlighted: FavoriteRun | None = None
        self._first: FavoriteRun | None = None
        self._chart = CountChart(id="chart-plot")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="chart-heading", markup=False)
        yield self._chart
        yield Static(id="chart-point", markup=False)
        yield Static(id="chart-empty", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.session.subscribe(self._session_changed)
        self._read()

    def on_unmount(self) -> None:
        self.session.unsubscribe(self._session_changed)

    def _session_changed(self, change: changes.Change) -> None:
        # Any change of one of its jobs: a count when it ends, "counting" while none is drawn.
        if isinstance(change, changes.FavoritesChanged | changes.HistoryChanged) or (
            isinstance(change, changes.JobChanged) and change.job.favorite == self.favorite_name
        ):
            self.post_message(CountsChanged())

    def on_counts_changed(self) -> None:
        # One may come as the screen goes, its widgets already removed.
        if self.query("#chart-plot"):
            self._read()

    def _read(self) -> None:
        name = self.favorite_name
        favorite = self.session.favorites.current.find(name)
        runs = self.session.favorites.history().get(name, ())
        if favorite is not None:
            _, runs = since_query_changed(runs, favorite.query_key)
        self.points = drawn(runs)
        change = change_of(runs)
        # The count the heading's change is of, else the newest: where the highlight starts,
        # and follows as counts come; moved elsewhere, it stays.
        first = change.run if change and change.run in self.points else None
        first = first or (self.points[-1] if self.points else None)
        if self.highlighted not in self.points or self.highlighted == self._first:
            self.highlighted = first
        self._first = first
        heading = self.query_one("#chart-heading", Static)
        if favorite is None:
            heading.update(f"{name} · no longer a favourite: escape goes back")
        else:
            heading.update(f"{name} · {change.described()}" if change else name)
        empty = self.query_one("#chart-empty", Static)
        out = sum(
            1 for job in self.session.jobs.jobs if job.favorite == name and not job.state.finished
        )
        empty.update(
            f"counting: {out} range(s) on their way, each drawn as it comes" if out else EMPTY
        )
        empty.display = not self.points
        self._chart.display = bool(self.points)
        self._show_point()

    def _show_point(self) -> None:
        run = self.highlighted
        line = "" if run is None else point_text(self.points, run)
        self.query_one("#chart-point", Static).update(line)
        self._chart.show(lines_of(self.points), run)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action in ("back", "series") or self.highlighted is not None

    def action_series(self) -> None:
        from cttui.tui.screens.series_start import ask_series

        found = self.session.favorites.resolve(self.favorite_name)
        if found is None:
            self.notify(f"{self.favorite_name!r} is no longer a favourite", severity="warning")
        else:
            ask_series(self, self.session, found.favorite)

    def action_back(self) -> None:
        self.dismiss()

    def _go(self, index: int) -> None:
        if self.points:
            self.highlighted = self.points[max(0, min(index, len(self.points) - 1))]
            self._show_point()

    def action_move(self, step: int) -> None:
        if self.highlighted is not None:
            self._go(self.points.index(self.highlighted) + step)

    def action_first(self) -> None:
        self._go(0)

    def action_last(self) -> None:
        self._go(len(self.points) - 1)

    def action_details(self) -> None:
        run = self.highlighted
        if run is None:
            return
        job = self.session.jobs.find(run.job_id)
        if job is None:
            self.notify(
                f"job {run.job_id} is no longer in the job list; its count stays in the chart",
                title="No details",
                severity="warning",
            )
            return
        from cttui.tui.screens.job_details import JobDetailsScreen  # when first shown

        self.app.push_screen(JobDetailsScreen(job, self.session.jobs.clock.now, self._perform))

    async def _perform(self, action: str, job: Job) -> None:
        """A key of the job's details: the job list carries it out, as for its own details."""
        panels = [panel for screen in self.app.screen_stack for panel in screen.query(JobPanel)]
        if panels:
            panels[0].post_message(JobPanel.ActionRequested(action, job))
