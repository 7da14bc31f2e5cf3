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
        attempts = self.query_one("#job-attempts", DataTable)
        for label in ("Sent", "Request", "Answer", "HTTP", "Took"):
            attempts.add_column(label, key=label.lower())
        self.refresh_job()
        self.set_interval(1, self.refresh_job)

    def refresh_job(self) -> None:
        """Redraw from the job as it stands (it may have changed since the last second)."""
        if not self.query("#job-fields"):
            return  # a tick while the screen is being dismissed, its widgets already gone
        job = self.job
        fields = job_fields(job, self._now())
        width = max(len(label) for label, _ in fields)
        text = Text()
        label_style = self.get_component_rich_style("job-details--label", partial=True)
        for label, value in fields:
            text.append(f"{label:<{width}}  ", style=label_style)
            text.append(f"{value}\n")
        text.rstrip()
        self.query_one("#job-fields", Static).update(text)
        attempts = self.query_one("#job-attempts", DataTable)
        for index, attempt in enumerate(job.attempts[attempts.row_count :], attempts.row_count):
            attempts.add_row(
                clock_text(attempt.at),
                attempt.kind,
                Text(attempt.answer),
                str(attempt.http_status or ""),
                f"{attempt.seconds:.2f} s",
                key=str(index),
            )
        if not job.attempts and attempts.row_count == 0:
            attempts.display = False
        else:
            attempts.display = True
        self.query_one("#job-curl", Static).update(
            job_curl(job) or "no query: started from a req_id"
        )
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
