"""The main screen: the query editor and its preview beside the job panel."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Static

from cttui.api.draft import QueryDraft
from cttui.api.errors import QueryError
from cttui.api.regions import DEFAULT_REGION
from cttui.jobs import Job
from cttui.tui.failures import ShowsFailedWorkers
from cttui.tui.screens.confirm import ConfirmScreen
from cttui.tui.widgets.job_panel import JobPanel
from cttui.tui.widgets.preview import QueryPreview
from cttui.tui.widgets.query_editor import QueryEditor

if TYPE_CHECKING:
    from cttui.store.credentials import Selection
    from cttui.tui.app import CttuiApp

NO_ACCOUNT = "$CLEVERTAP_ACCOUNT_ID"


class JobChanged(Message):
    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job


class MainScreen(ShowsFailedWorkers, Screen[None]):
    app: CttuiApp  # narrows Textual's App to this app's API

    AUTO_FOCUS = "#event"
    # Textual declares this without ClassVar, so it cannot be annotated as one here.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "run", "Run", id="run-query"),
        Binding("ctrl+n", "add_filter", "Add filter", id="add-filter"),
        Binding("ctrl+y", "copy_curl", "Copy curl", id="copy-curl"),
        Binding("ctrl+l", "new_query", "New query", id="new-query"),
    ]

    def __init__(self) -> None:
        super().__init__()
        # The draft last sent, loaded or cleared: replacing it loses nothing.
        self._kept: QueryDraft | None = None

    def compose(self) -> ComposeResult:
        app = self.app
        yield Header()
        yield Static(id="connection", markup=False)
        with Horizontal(id="workspace"):
            with VerticalScroll(id="editor-pane"):
                yield QueryEditor(
                    app.setup.today, app.known_events, app.known_properties, id="editor"
                )
                yield QueryPreview(id="preview")
            yield JobPanel(id="jobs")
        yield Footer()

    def commands(self) -> Iterator[SystemCommand]:
        """This screen's actions, for the command palette."""
        yield SystemCommand("Run query", "Send the query in the editor (ctrl+r)", self.action_run)
        yield SystemCommand(
            "Add filter",
            "A new property filter row (ctrl+n)",
            lambda: self.call_later(self.editor.add_filter),
        )
        yield SystemCommand(
            "Copy as curl", "The request as a curl command (ctrl+y)", self.action_copy_curl
        )
        yield SystemCommand("New query", "Clear the editor (ctrl+l)", self.action_new_query)
        job = self.query_one(JobPanel).selected
        if job is not None:
            yield SystemCommand(
                f"Load job {job.id} into the editor",
                "The selected job's query, to change and run again (l in the job list)",
                lambda: self.query_one(JobPanel).action_load(),
            )

    @property
    def editor(self) -> QueryEditor:
        return self.query_one(QueryEditor)

    def on_mount(self) -> None:
        self.watch(self.app, "selection", self._show_selection)
        self.app.jobs.subscribe(self._job_changed)
        self._kept = self.editor.blank()
        for job in self.app.jobs.jobs:
            self.query_one(JobPanel).show(job)

    def _show_selection(self, selection: Selection | None) -> None:
        banner = self.query_one("#connection", Static)
        if selection is None:
            banner.update(self._no_account())
        banner.display = selection is None
        self._refresh_preview()

    def _no_account(self) -> str:
        if not self.app.config.profiles:
            return (
                "No CleverTap account yet: press F2 to add one (or quit and run "
                "cttui --demo to try the built-in emulator)."
            )
        return f"{self.app.selection_error}. Press F2 to fix the profile."

    @on(QueryEditor.Edited)
    def _edited(self) -> None:
        self._refresh_preview()

    def _refresh_preview(self) -> None:
        query, problems = self.editor.draft.build()
        self.editor.show_problems(problems, everything=False)
        selection = self.app.selection
        base_url = selection.base_url if selection else DEFAULT_REGION.base_url
        account_id = selection.account_id if selection else NO_ACCOUNT
        self.query_one(QueryPreview).show(query, problems, base_url, account_id)

    def _refuse(self, problems: list[QueryError], title: str) -> None:
        """Every problem beside its field, the focus on the first, and a toast naming it."""
        self.editor.show_problems(problems, everything=True)
        self.editor.focus_problem(problems[0])
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        self.notify(f"{problems[0].message}{more}", title=title, severity="warning")

    def action_run(self) -> None:
        draft = self.editor.draft
        query, problems = draft.build()
        if query is None:
            self._refuse(problems, "Not sent")
            return
        selection = self.app.selection
        if selection is None:
            self.notify(self._no_account(), title="Not sent", severity="error")
            return
        self.app.send(query, selection)
        self._kept = draft

    async def action_add_filter(self) -> None:
        await self.editor.add_filter()

    def action_copy_curl(self) -> None:
        preview = self.query_one(QueryPreview)
        if preview.curl is None:
            self._refuse(self.editor.draft.build()[1], "Nothing to copy yet")
            return
        self.app.copy_to_clipboard(preview.curl)
        event = self.editor.draft.event_name
        self.notify(
            f"curl for {event} copied; it reads the passcode from $CLEVERTAP_PASSCODE",
            title="Copied",
        )

    def action_new_query(self) -> None:
        self._replace(self.editor.blank())

    @on(JobPanel.LoadRequested)
    def _load_job(self, event: JobPanel.LoadRequested) -> None:
        query = event.job.query
        if query is None:
            self.notify(
                f"job {event.job.id} was started from its req_id alone; there is no query to load",
                severity="warning",
            )
            return
        try:
            draft = QueryDraft.from_query(query)
        except QueryError as error:
            self.notify(error.message, title="Not loaded", severity="warning")
            return
        self._replace(draft)

    @property
    def holds_unsent_work(self) -> bool:
        """True when the editor holds typing that no job (and no blank editor) keeps."""
        return self.editor.draft not in (self._kept, self.editor.blank())

    def _replace(self, draft: QueryDraft) -> None:
        """Put `draft` in the editor; ask first if that would drop typing not kept anywhere."""
        if not self.holds_unsent_work or self.editor.draft == draft:
            self.run_worker(self._load(draft), name="Loading the editor", exit_on_error=False)
            return

        def answered(replace: bool | None) -> None:
            if replace:
                self.run_worker(self._load(draft), name="Loading the editor", exit_on_error=False)

        self.app.push_screen(
            ConfirmScreen(
                "The editor holds a query that was never run. Replace it?",
                yes="Replace",
                no="Keep editing",
            ),
            answered,
        )

    async def _load(self, draft: QueryDraft) -> None:
        await self.editor.load(draft)
        self._kept = draft

    def _job_changed(self, job: Job) -> None:
        self.post_message(JobChanged(job))

    def on_job_changed(self, message: JobChanged) -> None:
        self.query_one(JobPanel).show(message.job)

    @on(Button.Pressed, "#run")
    def _run_pressed(self) -> None:
        self.action_run()

    @on(Button.Pressed, "#copy-curl")
    def _copy_pressed(self) -> None:
        self.action_copy_curl()

    @on(Button.Pressed, "#new-query")
    def _new_pressed(self) -> None:
        self.action_new_query()
