"""Everything about one job: the body sent, its req_id, every request and its answer, the error
and HTTP code, and the curl command; the job's actions work here too."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from cttui.jobs import Job
from cttui.records import JobAction
from cttui.report import clock_text, job_curl, job_fields
from cttui.tui.failures import ShowsFailedWorkers
from cttui.tui.keys import bindings
from cttui.tui.widgets.footer import KeysFooter
from cttui.tui.widgets.job_panel import can
from cttui.tui.widgets.preview import broken_lines

# The requests' columns before the answer: label, key, width ("2026-11-23 10:27:40").
ATTEMPT_COLUMNS = (
    ("Sent", "sent", 19),
    ("Request", "request", 7),
    ("HTTP", "http", 4),
    ("Took", "took", 7),
)
PADDING = 2  # a DataTable cell's padding, both sides


class JobDetailsScreen(ShowsFailedWorkers, ModalScreen[None]):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"job-details--label"}
    BINDINGS: ClassVar[list[BindingType]] = bindings("job-details", "job")

    def __init__(
        self, job: Job, now: Callable[[], float], perform: Callable[[str, Job], Awaitable[None]]
    ) -> None:
        super().__init__()
        self.job = job
        self._now = now
        self._perform = perform

    def compose(self) -> ComposeResult:
        with Vertical(id="job-details"), VerticalScroll(id="job-details-scroll"):
            yield Static(id="job-fields", markup=False)
            yield Static("Requests", classes="details-heading")
            yield DataTable(id="job-attempts", cursor_type="none", zebra_stripes=True)
            yield Static("curl (passcode from $CLEVERTAP_PASSCODE)", classes="details-heading")
            yield Static(id="job-curl", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#job-details").border_title = f"Job {self.job.id}"
        self._width = -1  # the width the fields and requests were last laid out for
        self.refresh_job()
        self.set_interval(1, self.refresh_job)

    def on_resize(self) -> None:
        self.refresh_job()

    def _lay_out_attempts(self, width: int) -> None:
        """The requests' columns for `width`: the answer last, taking what the others leave,
        its long ones wrapped in it rather than pushing HTTP and Took out of sight."""
        attempts = self.query_one("#job-attempts", DataTable)
        attempts.clear(columns=True)
        for label, key, size in ATTEMPT_COLUMNS:
            attempts.add_column(label, key=key, width=size)
        fixed = sum(size + PADDING for _, _, size in ATTEMPT_COLUMNS)
        attempts.add_column("Answer", key="answer", width=max(12, width - fixed - PADDING))

    def refresh_job(self) -> None:
        """Redraw from the job as it stands (it may have changed since the last second)."""
        if not self.query("#job-fields"):
            return  # a tick while the screen is being dismissed, its widgets already gone
        job = self.job
        room = self.query_one("#job-details-scroll").scrollable_content_region.width
        fields = job_fields(job, self._now())
        width = max(len(label) for label, _ in fields)
        text = Text()
        label_style = self.get_component_rich_style("job-details--label", partial=True)
        indent = " " * (width + 2)
        for label, value in fields:
            # A long value (the body) broken between its tokens, under itself.
            lines = broken_lines(value, room - width - 2)
            text.append(f"{label:<{width}}  ", style=label_style)
            text.append(f"\n{indent}".join(lines) + "\n")
        text.rstrip()
        self.query_one("#job-fields", Static).update(text)
        attempts = self.query_one("#job-attempts", DataTable)
        if room != self._width:
            self._width = room
            self._lay_out_attempts(room)
        for index, attempt in enumerate(job.attempts[attempts.row_count :], attempts.row_count):
            attempts.add_row(
                clock_text(attempt.at),
                attempt.kind,
                str(attempt.http_status or ""),
                f"{attempt.seconds:.2f} s",
                Text(attempt.answer),
                key=str(index),
                height=None,
            )
        if not job.attempts and attempts.row_count == 0:
            attempts.display = False
        else:
            attempts.display = True
        curl = job_curl(job) or "no query: started from a req_id"
        self.query_one("#job-curl", Static).update("\n".join(broken_lines(curl, room)))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "act":
            return can(JobAction(str(parameters[0])), self.job)
        return True

    def palette_subject(self, action: str) -> str | None:
        return f"Job {self.job.id}" if action.startswith("act(") else None

    async def action_act(self, action: str) -> None:
        if not can(JobAction(action), self.job):
            return
        if action == "load":
            self.dismiss()
        await self._perform(action, self.job)
        self.refresh_job()
