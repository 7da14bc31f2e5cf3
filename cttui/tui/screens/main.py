"""The main screen: the query editor and its preview beside the job panel."""

from __future__ import annotations

from collections.abc import Coroutine
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Static

from cttui.api.draft import QueryDraft
from cttui.api.errors import CttuiError, QueryError
from cttui.api.models import Query
from cttui.api.regions import DEFAULT_REGION
from cttui.jobs import Job
from cttui.session import changes
from cttui.store.favorites import Favorite
from cttui.tui.breakpoints import set_breakpoints
from cttui.tui.failures import ShowsFailedWorkers
from cttui.tui.keys import bindings
from cttui.tui.screens.job_actions import JobActions
from cttui.tui.screens.job_toasts import JobToasts, report_launches
from cttui.tui.screens.resend import Resends
from cttui.tui.widgets.date_range import DateRangeField
from cttui.tui.widgets.footer import KeysFooter
from cttui.tui.widgets.job_panel import SHOWN_FINISHED, JobPanel
from cttui.tui.widgets.preview import QueryPreview
from cttui.tui.widgets.query_editor import QueryEditor
from cttui.tui.workers import start

# The screens this one opens are imported when first opened: the start pays only for this one.
if TYPE_CHECKING:
    from cttui.session.core import Session
    from cttui.store.selection import Selection

NO_ACCOUNT = "$CLEVERTAP_ACCOUNT_ID"
# The rows the job list keeps however tall the top grows (border, header, 3 jobs, the line under
# them); the top's least (it scrolls below that).
JOBS_LEAST, TOP_LEAST = 9, 6


@dataclass
class JobChanged(Message):
    job: Job


class SelectionShown(Message):
    """The active profile changed."""


class MainScreen(ShowsFailedWorkers, Screen[None]):
    AUTO_FOCUS = "#event"
    # Not ClassVar, as Textual declares them. Below 32 rows the editor drops its blank lines.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = bindings("main")

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        # The draft last sent, loaded or cleared: replacing it loses nothing.
        self._kept: QueryDraft | None = None
        # The favourite last loaded, with the draft it loaded as: run unchanged, it runs as
        # that favourite (its profile, its history).
        self._favorite: tuple[Favorite, QueryDraft] | None = None
        self._resumed = False

    def compose(self) -> ComposeResult:
        session = self.session
        set_breakpoints(self)  # before any child mounts
        yield Header()
        yield Static(id="connection", markup=False)
        with Vertical(id="workspace"):
            with Horizontal(id="top"):
                with VerticalScroll(id="editor-pane"):
                    yield QueryEditor(
                        session.today,
                        session.known_events,
                        session.known_properties,
                        id="editor",
                    )
                with VerticalScroll(id="preview-pane"):
                    yield QueryPreview(id="preview")
            yield JobPanel(session.jobs.clock.now, older=lambda: session.older_finished, id="jobs")
        yield KeysFooter()

    @property
    def editor(self) -> QueryEditor:
        return self.query_one(QueryEditor)

    def on_mount(self) -> None:
        panel = self.query_one(JobPanel)
        self._job_actions = JobActions(self, self.session, panel, self._load_job)
        self.toasts = JobToasts(self, panel)
        self._resends = Resends(self, self.session)
        self.session.subscribe(self._session_changed)
        self._kept = self.editor.blank()
        for job in self.session.jobs.jobs:
            self.query_one(JobPanel).show(job)
        self._show_selection()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Screen's own handler. At the first resume every node has just had its
        # styles applied as it mounted, and each change since (a breakpoint's class, the focus)
        # restyled what it touched: restyling the whole screen again cost a third of the first
        # frame. Later resumes, after another screen, restyle as Textual decides.
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    def on_unmount(self) -> None:
        self.session.unsubscribe(self._session_changed)

    def _session_changed(self, change: changes.Change) -> None:
        if isinstance(change, changes.JobChanged):
            self.post_message(JobChanged(change.job))
        elif isinstance(change, changes.SelectionChanged):
            self.post_message(SelectionShown())

    def on_selection_shown(self) -> None:
        self._show_selection()

    def _show_selection(self) -> None:
        selection = self.session.selection
        banner = self.query_one("#connection", Static)
        if selection is None:
            banner.update(self._no_account())
        banner.display = selection is None
        self._refresh_preview()

    def _no_account(self) -> str:
        if not self.session.config.profiles:
            return (
                "No CleverTap account yet: press F2 to add one (or quit and run "
                "cttui --demo to try the built-in emulator)."
            )
        return f"{self.session.selection_error}. Press F2 to fix the profile."

    @on(QueryEditor.Edited)
    def _edited(self) -> None:
        self._refresh_preview()

    def on_resize(self) -> None:
        self._fit_top()

    @on(QueryEditor.Resized)
    @on(QueryPreview.Resized)
    def _fit_top(self) -> None:
        """The editor gets its room first: the top is as tall as the editor or the preview
        beside it, as long as the job list keeps its least; the list takes the rest."""
        top = self.query_one("#top")
        room = self.query_one("#workspace").size.height - JOBS_LEAST
        preview = self.query_one(QueryPreview)
        beside = preview.outer_size.height if self.query_one("#preview-pane").display else 0
        height = max(TOP_LEAST, min(max(self.editor.outer_size.height, beside), room))
        if top.styles.height is None or top.styles.height.value != height:
            top.styles.height = height

    def _refresh_preview(self) -> None:
        query, problems = self.editor.draft.build()
        self.editor.show_problems(problems, everything=False)
        selection = self.session.selection
        base_url = selection.base_url if selection else DEFAULT_REGION.base_url
        account_id = selection.account_id if selection else NO_ACCOUNT
        self.query_one(QueryPreview).show(query, problems, base_url, account_id)

    def _refuse(self, problems: list[QueryError], title: str) -> None:
        """Every problem beside its field, the focus on the first, and a toast naming it."""
        self.editor.show_problems(problems, everything=True)
        self.editor.focus_problem(problems[0])
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        self.notify(f"{problems[0].message}{more}", title=title, severity="warning")

    def _built(self, refusal: str) -> tuple[QueryDraft, Query] | None:
        """The editor's draft and the query it builds; None, refused under `refusal`, when its
        fields have problems."""
        draft = self.editor.draft
        query, problems = draft.build()
        if query is None:
            self._refuse(problems, refusal)
            return None
        return draft, query

    def action_run(self) -> None:
        built = self._built("Not sent")
        if built is None:
            return
        draft, query = built
        favorite = self._loaded_favorite(draft)
        if favorite is not None:
            # The favourite's own account; None if it has none, which the run says.
            account = self._resends.account_of(favorite)
            run = partial(self._run_favorite, favorite, draft)
            self._resends.send(query, account, favorite, run, f"Running {favorite.name}")
            return
        selection = self.session.selection
        if selection is None:
            self.notify(self._no_account(), title="Not sent", severity="error")
            return

        def send() -> Coroutine[Any, Any, None]:
            self._kept = draft
            return self._send(query, selection)

        self._resends.send(query, selection, None, send, f"Running {query.event_name}")

    async def _send(self, query: Query, selection: Selection) -> None:
        try:
            await self.session.send(query, selection)
        except CttuiError as error:
            self.notify(f"{error.message}; or press F2", title="Not sent", severity="error")

    async def _run_favorite(self, favorite: Favorite, draft: QueryDraft) -> None:
        if report_launches(self.app, await self.session.run_favorites([favorite])):
            self._kept = draft

    def _loaded_favorite(self, draft: QueryDraft) -> Favorite | None:
        """The favourite the editor holds unchanged, as it still is in its file."""
        if self._favorite is None:
            return None
        favorite, loaded = self._favorite
        if draft != loaded or not self.session.favorites.holds(favorite):
            return None
        return favorite

    def action_save_favorite(self) -> None:
        from cttui.tui.screens.save_favorite import ask_to_save

        built = self._built("Not saved")
        if built is not None:
            draft, query = built
            loaded = self._favorite[0] if self._favorite else None
            saved = partial(self._saved, draft)
            preset = self.editor.dates.preset
            ask_to_save(self, self.session, query, preset, loaded=loaded, saved=saved)

    def _saved(self, draft: QueryDraft, stored: Favorite) -> None:
        self._favorite = (stored, draft)
        self._kept = draft

    def action_series(self) -> None:
        from cttui.tui.screens.series_start import ask_series, ask_series_of_query

        built = self._built("Not sent")
        if built is not None:
            favorite, chart = self._loaded_favorite(built[0]), self._show_chart
            if favorite is not None:
                ask_series(self, self.session, favorite, chart)
            else:
                ask_series_of_query(self, self.session, built[1], self.editor.dates.preset, chart)

    def _show_chart(self, name: str) -> None:
        from cttui.tui.screens.chart import show_chart  # when first shown: plotext costs

        show_chart(self, self.session, name)

    async def load_favorite(self, favorite: Favorite) -> None:
        """Put `favorite` in the editor, its dates as they resolve today."""
        try:
            draft = QueryDraft.from_query(favorite.query(self.session.today()))
        except QueryError as error:
            self.notify(error.message, title="Not loaded", severity="warning")
            return
        await self._replace(draft, favorite)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The key to the field already focused would do nothing: the footer has room for the
        # other one (and F1's key) at 80 columns.
        if action == "go_to" and parameters:
            there = {"editor": "event", "jobs": "job-table"}.get(str(parameters[0]))
            return there is None or self.focused is None or self.focused.id != there
        return True

    def action_go_to(self, pane: str) -> None:
        """F4, F5, F6: the focus to the event name, the job list or the preview, before this
        returns (the next key lands there); a pane with nothing to focus says why."""
        if pane == "jobs":
            target: Widget = self.query_one(JobPanel).table
            why = "No jobs yet: ctrl+r sends the query, and its job shows in the list"
        elif pane == "preview":
            target = self.query_one("#preview-pane")
            why = "The preview shows in a terminal 110 columns wide or more; ctrl+y copies the curl"
        else:
            target, why = self.query_one("#event"), ""
        if target.display and target.parent is not None and target.parent.display:
            target.focus()
        else:
            self.notify(why, title="Nothing there", severity="warning")

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

    async def action_new_query(self) -> None:
        await self._replace(self.editor.blank())

    @on(DateRangeField.PickRequested)
    def _pick_date(self, request: DateRangeField.PickRequested) -> None:
        from cttui.tui.screens.calendar import CalendarScreen

        calendar = CalendarScreen(request.initial, request.today, request.title)
        self.app.push_screen(calendar, request.picked)

    @on(JobPanel.ActionRequested)
    async def _job_action(self, event: JobPanel.ActionRequested) -> None:
        await self._job_actions.perform(event.action, event.job)

    @on(JobPanel.OlderRequested)
    def _older_requested(self) -> None:
        start(
            self,
            self.session.load_older(SHOWN_FINISHED),
            name="Reading older jobs from the journal",
        )

    @on(JobPanel.ClearFinishedRequested)
    def _clear_requested(self) -> None:
        self._job_actions.clear_finished()

    async def _load_job(self, job: Job) -> None:
        query = job.query
        if query is None:
            self.notify(
                f"job {job.id} was started from its req_id alone; there is no query to load",
                severity="warning",
            )
            return
        try:
            draft = QueryDraft.from_query(query)
        except QueryError as error:
            self.notify(error.message, title="Not loaded", severity="warning")
            return
        await self._replace(draft)

    @property
    def holds_unsent_work(self) -> bool:
        """True when the editor holds typing that no job (and no blank editor) keeps."""
        return self.editor.draft not in (self._kept, self.editor.blank())

    async def _replace(self, draft: QueryDraft, favorite: Favorite | None = None) -> None:
        """Put `draft` in the editor; ask first if that would drop typing not kept anywhere.
        Loaded before this returns (not in a worker): keys typed next go into the new draft."""
        if not self.holds_unsent_work or self.editor.draft == draft:
            await self._load(draft, favorite)
            return
        from cttui.tui.screens.confirm import ConfirmScreen

        async def answered(replace: bool | None) -> None:
            if replace:
                await self._load(draft, favorite)

        self.app.push_screen(
            ConfirmScreen(
                "The editor holds a query that was never run. Replace it?",
                yes="Replace",
                no="Keep editing",
            ),
            answered,
        )

    async def _load(self, draft: QueryDraft, favorite: Favorite | None = None) -> None:
        await self.editor.load(draft)
        self._kept = draft
        self._favorite = (favorite, draft) if favorite is not None else None

    def on_job_changed(self, message: JobChanged) -> None:
        self.toasts.changed(message.job)
        self.query_one(JobPanel).show(message.job)

    def on_job_panel_shown(self) -> None:
        self.toasts.shown()
