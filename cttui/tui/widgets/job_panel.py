"""The jobs sent from this app: one row each, newest first, kept current as they change."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Static

from cttui.api.models import DateRange
from cttui.jobs import Job, JobState

# The count comes before the dates: in a narrow panel, the last column is the one cut off.
COLUMNS = (
    ("#", "id"),
    ("Event", "event"),
    ("State", "state"),
    ("Count", "count"),
    ("Dates", "dates"),
)
STATE_STYLES = {JobState.DONE: "bold", JobState.FAILED: "italic"}
# Long event names are cut in the list (the line under it has them whole).
EVENT_WIDTH = 24


def dates_text(dates: DateRange) -> str:
    start, end = dates.start, dates.end
    if start == end:
        return start.isoformat()
    if start.year == end.year:
        return f"{start.isoformat()} → {end:%m-%d}"
    return f"{start.isoformat()} → {end.isoformat()}"


def detail_text(job: Job) -> str:
    """One line on the highlighted job: what it asked, and how it ended or why it waits."""
    if job.state is JobState.DONE and job.count is not None:
        outcome = f"{job.count:,} profiles"
    elif job.error:
        # CleverTap refuses many queries with HTTP 200 and a "fail" body; that code says nothing.
        status = f" (HTTP {job.http_status})" if job.http_status not in (None, 200) else ""
        retry = f", retry {job.retries}" if job.retries and not job.state.finished else ""
        outcome = f"{job.state}{retry}: {job.error}{status}"
    elif job.req_id:
        polls = f", {job.polls} poll{'s' if job.polls != 1 else ''}" if job.polls else ""
        outcome = f"{job.state} as req_id {job.req_id}{polls}"
    else:
        outcome = str(job.state)
    dates = f", {dates_text(job.query.date_range)}" if job.query else ""
    return f"Job {job.id}, {event_text(job)}{dates}: {outcome}"


def list_event_text(job: Job) -> str:
    """The event for the list: cut to fit, with `+N` for its filters kept in view."""
    if job.query is None:
        return event_text(job)
    filters = len(job.query.filters)
    more = f" +{filters}" if filters else ""
    name = job.query.event_name
    room = EVENT_WIDTH - len(more)
    return (name if len(name) <= room else name[: room - 1] + "…") + more


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
        yield Static(id="job-detail", markup=False)
        yield Static(
            "No jobs yet. Build a query and press ctrl+r: it shows here, "
            "pending jobs poll on their own, and l loads one back into the editor.",
            id="jobs-empty",
        )
        yield Button("Load into editor  l", id="load-job", compact=True)

    def on_mount(self) -> None:
        self.border_title = "Jobs"
        table = self.query_one(DataTable)
        for label, key in COLUMNS:
            table.add_column(label, key=key)
        self._show_empty()

    def show(self, job: Job) -> None:
        """Add `job`'s row, or bring it up to date."""
        table = self.query_one(DataTable)
        cells = self._cells(job)
        key = str(job.id)
        self._jobs[job.id] = job
        if key in table.rows:
            for (_, column), value in zip(COLUMNS, cells, strict=True):
                table.update_cell(key, column, value)
        else:
            table.add_row(*cells, key=key)
            table.sort("id", key=lambda job_id: -int(job_id), reverse=False)
            table.move_cursor(row=0)
        self._show_empty()
        self._show_detail()

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

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        job = self.selected
        self.query_one("#job-detail", Static).update(detail_text(job) if job else "")

    @on(Button.Pressed, "#load-job")
    def _load_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_load()

    def _cells(self, job: Job) -> tuple[str | Text, ...]:
        # Strings in a DataTable are markup; what a user typed (or a server said) is not.
        query = job.query
        dates = dates_text(query.date_range) if query else ""
        count = f"{job.count:,}" if job.count is not None else ""
        return (
            str(job.id),
            Text(list_event_text(job)),
            # One word, so that the count beside it stays in view in a narrow panel.
            Text(str(job.state), style=STATE_STYLES.get(job.state, "")),
            Text(count, justify="right"),
            dates,
        )

    def _show_empty(self) -> None:
        has_jobs = bool(self._jobs)
        self.query_one(DataTable).display = has_jobs
        self.query_one("#job-detail").display = has_jobs
        self.query_one("#load-job").display = has_jobs
        self.query_one("#jobs-empty").display = not has_jobs
