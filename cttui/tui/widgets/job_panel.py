"""Every job, newest first, kept current as it changes, with the actions on the selected one.

The countdown and elapsed columns tick each second, for the rows in view only: a list of
hundreds of jobs costs no more than the dozen a user can see.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Static
from textual.widgets.data_table import RowKey

from cttui.jobs import Job
from cttui.records import JobAction, JobState, applies
from cttui.report import (
    detail_text,
)
from cttui.tui.commands import Unbound
from cttui.tui.keys import bindings
from cttui.tui.widgets.job_columns import (
    COLUMNS,
    Layout,
    cells,
    layout,
    measure,
    same,
    ticking,
)
from cttui.tui.widgets.job_table import JobTable
from cttui.tui.widgets.live_text import LiveText

TICKING = ("next", "elapsed")
# The table's vertical scrollbar, kept room for whether shown or not: a row more or less must
# not move every column.
SCROLLBAR = 2
# Finished jobs listed at first, and added by each "show older".
SHOWN_FINISHED = 200
# At most this often the list takes in job changes (the first after a quiet spell at once), and
# with the countdowns' tick when it can: each change redraws every row in view (DataTable keeps
# no cache across one), 30 ms for 15 rows, so a busy list redraws once a second.
FLUSH_SECONDS = 1.0
# New jobs come sooner: a row a user has just asked for should not wait for the tick.
ADD_SECONDS = 0.2
# What the empty list says, unless told otherwise (see say_empty).
EMPTY = (
    "No jobs yet. Build a query and press ctrl+r: it shows here, and pending jobs poll on their "
    "own, even across restarts. Enter on a job shows everything about it."
)


def _newest(job: Job) -> int:
    return -job.id


def can(action: JobAction, job: Job) -> bool:
    """Whether `action` applies to `job`: the footer shows only those that do."""
    return applies(action, job, elsewhere=job.elsewhere)


class JobPanel(Vertical):
    # A job's state in its own style, from cttui.tcss: `JobPanel > .job-state--done`.
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"job-state--{state}" for state in JobState}
    # A job's keys (on its details screen too) and the list's own.
    BINDINGS: ClassVar[list[BindingType]] = bindings("job", "job-panel")

    @dataclass
    class ActionRequested(Message):
        """`action` (a JobAction's value) on `job`, for the screen to carry out."""

        action: str
        job: Job

    class ClearFinishedRequested(Message):
        pass

    class Shown(Message):
        """The list has taken in the job changes so far."""

    class OlderRequested(Message):
        """Every finished job held is listed, and the journal has older ones: read a page."""

    def __init__(
        self,
        now: Callable[[], float],
        *,
        older: Callable[[], int] = lambda: 0,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._now = now
        # How many finished jobs the journal holds beyond those given to show.
        self._older = older
        self._jobs: dict[int, Job] = {}
        # Those of them finished when last shown: whether "clear finished" applies is asked on
        # every key, and a walk over every job for it cost each key in proportion.
        self._finished: set[int] = set()
        # Changes not yet shown, and when they last were (see show).
        self._due: dict[int, Job] = {}
        self._flushing = False
        self._flushed = 0.0
        self._flush_at = 0.0
        self._timer: Timer | None = None
        # How many finished jobs the list holds (see _listed).
        self._finished_shown = SHOWN_FINISHED
        # The widest text each sized column has held, and the columns shown for the width.
        self._content: dict[str, int] = {}
        self._layout = Layout(())

    def compose(self) -> ComposeResult:
        yield JobTable(id="job-table", cursor_type="row", zebra_stripes=True)
        yield LiveText(id="job-detail")
        yield Static(EMPTY, id="jobs-empty", markup=False)

    def say_empty(self, text: str = EMPTY) -> None:
        """What the list says once it is empty: why it is, where that is worth saying."""
        self.query_one("#jobs-empty", Static).update(text)

    def on_mount(self) -> None:
        self.border_title = "Jobs"
        self._relayout()
        self._show_empty()
        self.set_interval(1, self.tick)

    def on_resize(self, event: events.Resize) -> None:
        if self._relayout():
            self._rebuild()

    @property
    def columns(self) -> tuple[str, ...]:
        """The keys of the columns shown, in order."""
        return self._layout.keys

    def _relayout(self) -> bool:
        """Whether the columns (or their widths) must change for the width and the texts."""
        available = self.content_size.width - SCROLLBAR
        new = layout(available, self._content)
        if new == self._layout:
            return False
        self._layout = new
        return True

    def _rebuild(self) -> None:
        """Every column and listed row afresh, the cursor kept on its job (or, for a job newer
        than any listed, on the newest, as when one is added)."""
        table = self.table
        selected = self.selected
        newest = max((int(str(row.value)) for row in table.rows), default=0)
        table.clear(columns=True)
        labels = dict((key, label) for label, key in COLUMNS)
        for key, width in self._layout.widths:
            table.add_column(labels[key], key=key, width=width)
        listed = sorted(self._listed(), reverse=True)
        for job_id in listed:
            table.add_row(*self._row(self._jobs[job_id]), key=str(job_id))
        if selected is None or max(listed, default=0) > newest:
            table.move_cursor(row=0, animate=False)
        elif str(selected.id) in table.rows:
            table.move_cursor(row=table.get_row_index(str(selected.id)), animate=False)

    def _measure(self, jobs: Iterable[Job]) -> bool:
        """Take in how wide `jobs`' texts are; whether the columns must change for them."""
        return measure(jobs, self._content) and self._relayout()

    @property
    def table(self) -> DataTable[str | Text]:
        return self.query_one(DataTable)

    def show(self, job: Job) -> None:
        """Add `job`'s row, or bring it up to date: at once when the panel was quiet, else with
        the other changes of the next ADD_SECONDS (a new job) or FLUSH_SECONDS (a change to
        one listed), so that hundreds of jobs changing cost a redraw a second, and one sort
        for a whole journal's worth of new rows."""
        self._due[job.id] = job
        at = self._flushed + (FLUSH_SECONDS if job.id in self._jobs else ADD_SECONDS)
        if self._flushing and at >= self._flush_at:
            return
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._flushing, self._flush_at = True, at
        wait = at - time.monotonic()
        if wait > 0:
            self._timer = self.set_timer(wait, self._flush_due)
        else:
            self.call_after_refresh(self._flush_due)

    def _flush_due(self) -> None:
        # The second's tick may have shown them already.
        if self._flushing:
            self._flush()

    @property
    def flushing(self) -> bool:
        """Whether changes are waiting to be shown."""
        return self._flushing

    def _flush(self) -> None:
        self._flushing = False
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._flushed = time.monotonic()
        due, self._due = self._due, {}
        if not self.is_attached:
            return
        self._jobs.update(due)
        for job in due.values():
            if job.state.finished:
                self._finished.add(job.id)
            else:
                self._finished.discard(job.id)
        if self._measure(due.values()):
            self._rebuild()
            self._shown()
            return
        table = self.table
        listed = self._listed()
        for key in [row.value for row in table.rows if int(str(row.value)) not in listed]:
            table.remove_row(str(key))
        newest = max((int(str(row.value)) for row in table.rows), default=0)
        added: list[int] = []
        for job_id in listed:
            key = str(job_id)
            if key not in table.rows:
                table.add_row(*self._row(self._jobs[job_id]), key=key)
                added.append(job_id)
            elif job_id in due:
                self._update(key, self._cells(due[job_id]).items())
        if added:
            selected = self.selected
            table.sort("id", key=lambda job_id: -int(job_id))
            if max(added) > newest or selected is None:
                table.move_cursor(row=0)
            else:  # older rows, taken in below: the cursor stays on its job
                table.move_cursor(row=table.get_row_index(str(selected.id)))
        self._shown()

    def _shown(self) -> None:
        self._say_older()
        self._show_empty()
        self._show_detail()
        self.screen.refresh_bindings()
        self.post_message(self.Shown())

    def _say_older(self) -> None:
        """How many finished jobs are not listed: those held and not shown, and those the
        journal holds beyond them."""
        hidden = len(self._jobs) - self.table.row_count + self._older()
        subtitle = f"{hidden:,} older finished jobs not listed: o lists {SHOWN_FINISHED} more"
        subtitle = subtitle if hidden > 0 else ""
        if self.border_subtitle != subtitle:
            self.border_subtitle = subtitle

    def _listed(self) -> set[int]:
        """The jobs the list shows: every unfinished one, and the newest finished ones (as many
        as `show older` has asked for), so that a journal of 10,000 jobs costs a redraw no more
        than one of a few hundred (each row the table holds is walked on every change)."""
        finished = sorted((j for j in self._jobs.values() if j.state.finished), key=_newest)
        return {job.id for job in self._jobs.values() if not job.state.finished} | {
            job.id for job in finished[: self._finished_shown]
        }

    def action_show_older(self) -> None:
        if self._finished_shown >= len(self._finished) and self._older():
            # Every one held is listed: the next page comes from the journal, as changes.
            self.post_message(self.OlderRequested())
        self._finished_shown += SHOWN_FINISHED
        self._flush()

    def forget(self, jobs: list[Job]) -> None:
        table = self.table
        for job in jobs:
            self._jobs.pop(job.id, None)
            self._finished.discard(job.id)
            self._due.pop(job.id, None)
            if str(job.id) in table.rows:
                table.remove_row(str(job.id))
        # An older finished job may take a place freed.
        self._flush()

    def tick(self) -> int:
        """Redraw the countdown and elapsed time of the rows in view where they have moved on
        (a finished job's stay put); returns how many rows.

        Each cell updated makes the table draw every row in view afresh on its next move
        (DataTable keys its caches on a count of updates): a list of finished jobs ticking
        their unchanged times made each key after a tick redraw the whole view."""
        if self._flushing:  # the changes waiting go with it: one redraw, not two
            self._flush()
        self._say_older()  # the journal's count of older ones may have come since
        table = self.table
        if not table.row_count or not table.display:
            return 0
        first = int(table.scroll_y)
        in_view = max(0, table.scrollable_content_region.height - table.header_height)
        now = self._now()
        drawn = 0
        for row in table.ordered_rows[first : first + in_view]:
            job = self._jobs.get(int(str(row.key.value)))
            if job is None:
                continue
            drawn += self._update(row.key, zip(TICKING, ticking(job, now), strict=True))
        return drawn

    def _update(self, row: RowKey | str, cells: Iterable[tuple[str, str | Text]]) -> bool:
        """Put in `row` those of `cells` (column and value) that differ from what it shows;
        whether any did. Each cell updated costs a call (a refresh of the table) and makes the
        table draw every row in view afresh: a poll moves three cells of its job's eight."""
        table = self.table
        changed = False
        shown = self._layout.keys
        for column, value in cells:
            if column not in shown:
                continue
            if not same(table.get_cell(row, column), value):
                table.update_cell(row, column, value)
                changed = True
        return changed

    @property
    def selected(self) -> Job | None:
        table = self.table
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return self._jobs.get(int(str(row_key.value)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "act":
            job = self.selected
            return job is not None and can(JobAction(str(parameters[0])), job)
        if action == "show_older":
            return len(self.table.rows) < len(self._jobs) or self._older() > 0
        if action == "clear_finished":
            return bool(self._finished)
        return True

    def palette_subject(self, action: str) -> str | None:
        job = self.selected
        return f"Job {job.id}" if job is not None and action.startswith("act(") else None

    def palette_unbound(self) -> Iterable[Unbound]:
        yield Unbound(
            "act('details')", "Details", "Everything about the job: its requests, answers, curl"
        )

    def action_act(self, action: str) -> None:
        job = self.selected
        if job is not None and can(JobAction(action), job):
            self.post_message(self.ActionRequested(action, job))

    def action_clear_finished(self) -> None:
        self.post_message(self.ClearFinishedRequested())

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_act("details")

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()
        self.screen.refresh_bindings()

    def _show_detail(self) -> None:
        job = self.selected
        self.query_one("#job-detail", LiveText).show(detail_text(job) if job else "")

    def _cells(self, job: Job) -> dict[str, str | Text]:
        style = self.get_component_rich_style(f"job-state--{job.state}", partial=True)
        return cells(job, self._layout, style, self._now())

    def _row(self, job: Job) -> list[str | Text]:
        every = self._cells(job)
        return [every[key] for key in self._layout.keys]

    def _show_empty(self) -> None:
        has_jobs = bool(self._jobs)
        self.table.display = has_jobs
        self.query_one("#job-detail").display = has_jobs
        self.query_one("#jobs-empty").display = not has_jobs
