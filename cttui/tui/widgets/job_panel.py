"""The jobs sent from this app: one row each, newest first, kept current as they change."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Static

from cttui.jobs import Job, JobState

COLUMNS = (("#", "id"), ("Event", "event"), ("Dates", "dates"), ("State", "state"))
COUNT_COLUMN = ("Count", "count")
STATE_STYLES = {JobState.DONE: "bold", JobState.FAILED: "italic"}


def dates_text(start: date, end: date) -> str:
    if start == end:
        return start.isoformat()
    if start.year == end.year:
        return f"{start.isoformat()} → {end:%m-%d}"
    return f"{start.isoformat()} → {end.isoformat()}"


def state_text(job: Job) -> str:
    if job.state is JobState.PENDING and job.polls:
        return f"pending, {job.polls} poll{'s' if job.polls > 1 else ''}"
    if job.state is JobState.FAILED and job.error:
        return f"failed: {job.error}"
    if job.retries and not job.state.finished:
        return f"{job.state}, retry {job.retries}"
    return str(job.state)


def event_text(job: Job) -> str:
    if job.query is None:
        return f"req_id {job.req_id}"
    filters = len(job.query.filters)
    more = f" (+{filters} filter{'s' if filters > 1 else ''})" if filters else ""
    return job.query.event_name + more


class JobPanel(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "load", "Load into editor", id="load-job"),
    ]

    class LoadRequested(Message):
        def __init__(self, job: Job) -> None:
            super().__init__()
            self.job = job

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._jobs: dict[int, Job] = {}

    def compose(self) -> ComposeResult:
        yield DataTable(id="job-table", cursor_type="row", zebra_stripes=True)
        yield Static(
            "No jobs yet. Build a query on the left and press ctrl+r: it shows here, "
            "pending jobs poll on their own, and l loads one back into the editor.",
            id="jobs-empty",
        )
        yield Button("Load into editor  l", id="load-job", compact=True)

    def on_mount(self) -> None:
        self.border_title = "Jobs"
        table = self.query_one(DataTable)
        for label, key in COLUMNS:
            table.add_column(label, key=key)
        table.add_column(COUNT_COLUMN[0], key=COUNT_COLUMN[1])
        self._show_empty()

    def show(self, job: Job) -> None:
        """Add `job`'s row, or bring it up to date."""
        table = self.query_one(DataTable)
        cells = self._cells(job)
        key = str(job.id)
        self._jobs[job.id] = job
        if key in table.rows:
            for (_, column), value in zip((*COLUMNS, COUNT_COLUMN), cells, strict=True):
                table.update_cell(key, column, value)
        else:
            table.add_row(*cells, key=key)
            table.sort("id", key=lambda job_id: -int(job_id), reverse=False)
            table.move_cursor(row=0)
        self._show_empty()

    @property
    def selected(self) -> Job | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return self._jobs.get(int(str(row_key.value)))

    def action_load(self) -> None:
        job = self.selected
        if job is not None:
            self.post_message(self.LoadRequested(job))

    @on(Button.Pressed, "#load-job")
    def _load_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_load()

    def _cells(self, job: Job) -> tuple[str | Text, ...]:
        # Strings in a DataTable are markup; what a user typed (or a server said) is not.
        query = job.query
        dates = dates_text(query.date_range.start, query.date_range.end) if query else ""
        count = f"{job.count:,}" if job.count is not None else ""
        return (
            str(job.id),
            Text(event_text(job)),
            dates,
            Text(state_text(job), style=STATE_STYLES.get(job.state, "")),
            Text(count, justify="right"),
        )

    def _show_empty(self) -> None:
        has_jobs = bool(self._jobs)
        self.query_one(DataTable).display = has_jobs
        self.query_one("#load-job").display = has_jobs
        self.query_one("#jobs-empty").display = not has_jobs
