"""The Textual app: header with the active profile, screens, the command palette, themes."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from rich.traceback import Traceback
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.signal import Signal

from cttui.api.errors import DEBUG_VARIABLE, CttuiError, unexpected
from cttui.api.models import Query
from cttui.api.regions import DEFAULT_REGION
from cttui.jobs import Job, JobManager
from cttui.pacing import Clock
from cttui.records import JobState, Origin
from cttui.store.config import Config, Profile
from cttui.store.credentials import CredentialStore, SessionPasscodes
from cttui.store.favorites import Favorite, Favorites
from cttui.store.favorites_store import FavoritesStore, signature
from cttui.store.journal_writer import JournalWriter
from cttui.store.paths import favorites_file
from cttui.store.selection import DEMO_PROFILE, ENV_BASE_URL, Selection, connect, for_job, select
from cttui.store.slots import slots_dir
from cttui.tui.commands import ScreenActions, beneath_palette
from cttui.tui.failures import ShowsFailedWorkers
from cttui.tui.screens.confirm import ConfirmScreen
from cttui.tui.screens.credentials import CredentialsScreen
from cttui.tui.screens.favorites import FavoritesScreen
from cttui.tui.screens.help import HelpScreen
from cttui.tui.screens.main import MainScreen

if TYPE_CHECKING:
    from cttui.api.client import CleverTapClient
    from cttui.emulator import EmulatorConfig


class FavoritesRead(Message):
    def __init__(self, favorites: Favorites) -> None:
        super().__init__()
        self.favorites = favorites


class ProfileSwitched(Message):
    def __init__(self, config: Config | None, name: str, error: str | None = None) -> None:
        super().__init__()
        self.config = config
        self.name = name
        self.error = error


@dataclass
class AppSetup:
    """What the app runs on: where profiles and passcodes live, and the run's environment."""

    store: CredentialStore
    environ: Mapping[str, str]
    profile: str | None = None
    poll_interval: float = 30.0
    demo: bool = False
    today: Callable[[], date] = field(default=date.today)
    # Names to suggest before any job has used them: the demo's emulator knows its own.
    events: tuple[str, ...] = ()
    properties: tuple[str, ...] = ()
    # The job journal; None keeps jobs in memory only (tests, snapshots).
    journal: Path | None = None
    clock: Clock | None = None
    favorites: Path = field(default_factory=favorites_file)

    @classmethod
    def for_demo(
        cls,
        config: EmulatorConfig,
        base_url: str,
        poll_interval: float,
        journal: Path | None = None,
        favorites: Path | None = None,
    ) -> AppSetup:
        """A demo profile held in memory only: nothing reaches the keyring or config.toml."""
        from cttui.emulator.dataset import EVENT_SCHEMA

        passcodes = SessionPasscodes()
        passcodes.set(config.account_id, config.passcode)
        profile = Profile(DEMO_PROFILE, config.account_id, DEFAULT_REGION)
        store = CredentialStore(None, passcodes, Config((profile,), DEMO_PROFILE))
        properties = dict.fromkeys(name for schema in EVENT_SCHEMA.values() for name in schema)
        return cls(
            store,
            {ENV_BASE_URL: base_url},
            None,
            poll_interval,
            demo=True,
            today=config.resolved_today,
            events=tuple(EVENT_SCHEMA),
            properties=tuple(properties),
            journal=journal,
            favorites=favorites or favorites_file(demo=True),
        )


class CttuiApp(ShowsFailedWorkers, App[int]):
    """The active profile is `selection` (None with `selection_error` saying why), which
    screens watch; `config` is config.toml as last read or written."""

    CSS_PATH = "cttui.tcss"
    COMMANDS = App.COMMANDS | {ScreenActions}
    TITLE = "cttui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", id="help"),
        Binding("f2", "credentials", "Credentials", id="credentials"),
        Binding("f3", "favorites", "Favourites", id="favorites"),
    ]

    selection: reactive[Selection | None] = reactive(None, always_update=True, init=False)

    def __init__(self, setup: AppSetup) -> None:
        super().__init__()
        self.setup = setup
        self.config = setup.store.load()
        self.selection_error: str | None = None
        self._profile_override = setup.profile
        self.journal = JournalWriter(setup.journal, on_error=self._journal_failed)
        self.jobs = JobManager(
            poll_interval=setup.poll_interval,
            recorder=self.journal,
            clock=setup.clock,
            # Shared with every cttui on the machine; None (tests) keeps the limit in this app.
            slots=slots_dir(setup.journal) if setup.journal is not None else None,
            on_warning=self._slots_failed,
        )
        # One client per account and host, made on first use; a profile edit starts afresh, but
        # jobs already running keep theirs until the app closes them all on exit.
        self._clients: dict[tuple[str, str, str | None], CleverTapClient] = {}
        self._all_clients: list[CleverTapClient] = []
        self._connecting = asyncio.Lock()
        self.favorites_store = FavoritesStore(setup.favorites)
        # favorites.toml as last read; while it has problems, the favourites last read whole.
        self.favorites = Favorites(setup.favorites)
        self.favorites_changed: Signal[Favorites] = Signal(self, "favorites-changed")
        if setup.demo:
            self.title = "cttui DEMO"

    @property
    def store(self) -> CredentialStore:
        return self.setup.store

    def get_default_screen(self) -> Screen[None]:
        return MainScreen()

    def on_mount(self) -> None:
        if self.setup.demo:
            self.add_class("-demo")
        self._apply_saved_theme()
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.apply_config(self.config)
        self.run_worker(self._load_journal(), name="Reading the job journal", exit_on_error=False)
        self._read_favorites()
        # Hand edits are picked up within a second.
        self.set_interval(1.0, self._read_favorites)
        if self.selection is None and not self.config.profiles:
            self.call_after_refresh(self.push_screen, CredentialsScreen(first_run=True))

    def apply_config(self, config: Config) -> None:
        """Take a changed config.toml: the active profile, and so the header."""
        self.config = config
        if self._profile_override and config.profile(self._profile_override) is None:
            self._profile_override = None
        try:
            selection = select(self.setup.environ, config, self._profile_override)
            self.selection_error = None
        except CttuiError as error:
            selection, self.selection_error = None, error.message
        self._clients.clear()
        self.selection = selection
        self.sub_title = self._identity()

    def _identity(self) -> str:
        selection = self.selection
        if selection is None:
            return "no profile yet"
        region = f"{selection.region.code} {selection.region.name}"
        where = " · from environment" if selection.overrides else ""
        if self.setup.demo:
            return f"demo profile · built-in emulator · {region}"
        return f"{selection.label} · {region}{where}"

    def known_events(self) -> Iterator[str]:
        """Event names used before, the latest first, for suggestions."""
        names = [job.query.event_name for job in reversed(self.jobs.jobs) if job.query]
        yield from dict.fromkeys([*names, *self.setup.events])

    def known_properties(self) -> Iterator[str]:
        names = [
            item.name for job in reversed(self.jobs.jobs) if job.query for item in job.query.filters
        ]
        yield from dict.fromkeys([*names, *self.setup.properties])

    def send(self, query: Query, selection: Selection, favorite: str | None = None) -> None:
        """Run `query` as a job on `selection`'s account; it shows in the job panel at once.
        A job run for `favorite` adds its count to that favourite's history."""
        self._in_worker(
            self._run_job(query, selection, favorite), f"Running {favorite or query.event_name}"
        )

    def _in_worker(self, work: Awaitable[object], name: str) -> None:
        self.run_worker(work, name=name, group="jobs", exit_on_error=False)

    async def _run_job(self, query: Query, selection: Selection, favorite: str | None) -> None:
        try:
            client = await self._client(selection)
        except CttuiError as error:
            self.notify(f"{error.message}; or press F2", title="Not sent", severity="error")
            return
        profile = selection.profile.name if selection.profile else None
        origin = Origin(selection.account_id, selection.base_url, profile)
        await self.jobs.start(await self.jobs.add(origin, client, query, favorite=favorite))

    def run_favorites(self, favorites: Sequence[Favorite]) -> int:
        """Run each favourite as a job, for today's dates; returns how many were sent (the
        others say why not in a toast)."""
        sent = 0
        for favorite in favorites:
            try:
                selection = self._favorite_selection(favorite)
            except CttuiError as error:
                self.notify(f"{favorite.name}: {error.message}", title="Not run", severity="error")
                continue
            self.send(favorite.query(self.setup.today()), selection, favorite.name)
            sent += 1
        return sent

    def _favorite_selection(self, favorite: Favorite) -> Selection:
        # The demo has one account: a favourite's profile names one of yours, not the demo's.
        if favorite.profile is not None and not self.setup.demo:
            return select(self.setup.environ, self.config, favorite.profile)
        if self.selection is None:
            raise CttuiError(self.selection_error or "no profile yet; press F2 to add one")
        return self.selection

    def _read_favorites(self) -> None:
        def read() -> None:
            if signature(self.favorites_store.path) != self.favorites.signature:
                self.post_message(FavoritesRead(self.favorites_store.read()))

        self.run_worker(
            read,
            name="Reading favorites.toml",
            group="favorites",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    async def reload_history(self) -> None:
        """The favourites' counts as the journal holds them now, with those of other processes
        (cron's `cttui run`): the favourites screen asks every second."""
        if await self.journal.reload_history():
            self.favorites_changed.publish(self.favorites)

    def on_favorites_read(self, message: FavoritesRead) -> None:
        self._take_favorites(message.favorites)

    def _take_favorites(self, favorites: Favorites) -> None:
        old = self.favorites
        if favorites.problems and not favorites.items and old.items:
            # A file that no longer parses: its favourites as last read, read-only.
            favorites = replace(favorites, items=old.items)
        self.favorites = favorites
        self.favorites_changed.publish(favorites)
        if favorites.problems:
            if not old.problems or old.problems[0].message != favorites.problems[0].message:
                self.notify(
                    f"{favorites.problems[0].message}. Until it is fixed, favourites can be run "
                    "but not changed, and cttui writes nothing to the file.",
                    title="Favourites",
                    severity="error",
                    timeout=20,
                )
        elif old.problems:
            self.notify(
                f"{favorites.path} reads again: {len(favorites.items)} favourite(s)",
                title="Favourites",
            )

    async def change_favorites(
        self, change: Callable[[FavoritesStore], Favorites], title: str
    ) -> bool:
        """Apply `change` to favorites.toml (on a thread: it reads, locks and writes the file);
        False, with a toast saying why, if it could not be made."""
        try:
            favorites = await asyncio.to_thread(change, self.favorites_store)
        except CttuiError as error:
            self.notify(error.message, title=title, severity="error", timeout=15)
            return False
        self._take_favorites(favorites)
        return True

    def favorite_jobs(self, name: str) -> list[Job]:
        return [job for job in self.jobs.jobs if job.favorite == name]

    async def _load_journal(self) -> None:
        """Show every job the journal holds, and resume the pending ones no other cttui runs."""
        records, ours = await self.journal.load(lambda _: True)
        for job in self.jobs.adopt(records, ours):
            self._in_worker(self._resume(job), f"Resuming job {job.id}")
        # The favourites' counts over time came with it.
        self.favorites_changed.publish(self.favorites)

    async def _resume(self, job: Job) -> None:
        try:
            job.client = await self._client(self._job_selection(job))
        except CttuiError as error:
            await self.jobs.hold(job, f"cannot resume: {error.message}; then press p")
            return
        await self.jobs.start(job)

    def _job_selection(self, job: Job) -> Selection:
        """Where `job` runs now: its own account and host (the demo's emulator, though, moves
        to a new port at each start)."""
        origin = job.origin
        if self.setup.demo:
            origin = Origin(origin.account_id, self.setup.environ[ENV_BASE_URL], DEMO_PROFILE)
        return for_job(
            self.setup.environ, self.config, origin.account_id, origin.base_url, origin.profile
        )

    def poll_job_now(self, job: Job) -> float | None:
        """Poll now (as soon as allowed); a job waiting for credentials tries to resume."""
        if self.jobs.running(job):
            return self.jobs.poll_now(job)
        if job.elsewhere or job.state not in (JobState.PENDING, JobState.QUEUED):
            return None
        self._in_worker(self._resume(job), f"Resuming job {job.id}")
        return 0.0

    def resubmit(self, job: Job) -> None:
        self._in_worker(self._resubmit(job), f"Resubmitting job {job.id}")

    async def _resubmit(self, job: Job) -> None:
        try:
            client = await self._client(self._job_selection(job))
        except CttuiError as error:
            self.notify(f"{error.message}; or press F2", title="Not resubmitted", severity="error")
            return
        await (await self.jobs.resubmit(job, client))

    def _slots_failed(self, message: str) -> None:
        self.notify(message, title="Requests in flight", severity="warning", timeout=30)

    def _journal_failed(self, message: str) -> None:
        self.notify(message, title="Job journal", severity="error", timeout=30)

    async def _client(self, selection: Selection) -> CleverTapClient:
        from cttui.api.client import CleverTapClient

        # By profile too: two profiles on one account may hold different passcodes.
        profile = selection.profile.name if selection.profile else selection.lost_profile
        key = (selection.account_id, selection.base_url, profile)
        async with self._connecting:
            client = self._clients.get(key)
            if client is None:
                # The keyring may block (a locked collection): never on the UI's loop.
                connection = await asyncio.to_thread(connect, selection, self.store.passcodes)
                client = CleverTapClient(connection.credentials, connection.base_url)
                self._clients[key] = client
                self._all_clients.append(client)
        return client

    async def on_unmount(self) -> None:
        # Stopped, not cancelled: pending jobs stay pending in the journal and resume next time.
        await self.jobs.close()
        for client in self._all_clients:
            await client.aclose()
        await asyncio.to_thread(self.journal.close)

    def use_session_passcodes(self) -> None:
        """No usable keyring: passcodes typed from now on are kept in memory until quit."""
        self.store.passcodes = SessionPasscodes()

    @property
    def session_only(self) -> bool:
        return isinstance(self.store.passcodes, SessionPasscodes)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        # Toasts carry what people typed and servers said, never markup: an event named "a[/]"
        # would otherwise be parsed as markup, and crash the app.
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def _fatal_error(self) -> None:
        # Textual's report is a traceback with local variables, and a local may be a passcode:
        # one line instead, and the traceback (without locals) only when asked for.
        error = sys.exc_info()[1] or self._exception or Exception("no details")
        self.bell()
        self._exit_renderables.append(Text(f"cttui: {unexpected(error)}"))
        if os.environ.get(DEBUG_VARIABLE):
            self._exit_renderables.append(
                Traceback.from_exception(type(error), error, error.__traceback__)
            )
        self._close_messages_no_wait()

    def _apply_saved_theme(self) -> None:
        theme = self.config.theme
        if theme is None:
            return
        if theme in self.available_themes:
            self.theme = theme
        else:
            self.notify(
                f"config.toml names theme {theme!r}, which this version lacks; "
                "pick one with ctrl+p > Theme",
                severity="warning",
            )

    def _remember_theme(self, theme: object) -> None:
        # The demo's store is in memory, so its theme is never written anywhere.
        if self.theme == self.config.theme:
            return
        self.run_worker(
            lambda: self.store.set_theme(self.theme),
            name="Saving the theme",
            thread=True,
            exit_on_error=False,
        )
        self.config = self.config.with_theme(self.theme)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Keys for the screen already showing would do nothing: keep them out of the footer.
        showing = {
            "credentials": CredentialsScreen,
            "help": HelpScreen,
            "favorites": FavoritesScreen,
        }.get(action)
        return showing is None or not isinstance(beneath_palette(self), showing)

    async def action_quit(self) -> None:
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is None or not main.holds_unsent_work:
            self.exit()
            return

        def answered(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.exit()

        self.push_screen(
            ConfirmScreen(
                "The editor holds a query that was never run; quitting drops it. Quit anyway?",
                yes="Quit",
                no="Keep editing",
            ),
            answered,
        )

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_credentials(self) -> None:
        if not isinstance(self.screen, CredentialsScreen):
            self.push_screen(CredentialsScreen())

    def action_favorites(self) -> None:
        if not isinstance(self.screen, FavoritesScreen):
            self.push_screen(FavoritesScreen())

    def switch_profile(self, name: str) -> None:
        def use() -> None:
            try:
                config = self.store.use(name)
            except CttuiError as error:
                self.post_message(ProfileSwitched(None, name, error.message))
            else:
                self.post_message(ProfileSwitched(config, name))

        self.run_worker(use, name=f"Switching to profile {name}", thread=True, exit_on_error=False)

    def on_profile_switched(self, message: ProfileSwitched) -> None:
        if message.config is None:
            self.notify(message.error or "", title="Profile not switched", severity="error")
            return
        self._profile_override = None
        self.apply_config(message.config)
        self.notify(f"Active profile: {message.name}")

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        # What a key does comes from ScreenActions; these are the actions no key has.
        for profile in self.config.profiles:
            if self.selection is None or profile.name != self.selection.label:
                yield SystemCommand(
                    f"Switch profile: {profile.name}",
                    f"Make {profile.name} ({profile.account_id}, {profile.region.code}) active",
                    lambda name=profile.name: self.switch_profile(name),
                )
        for command in super().get_system_commands(screen):
            if command.title != "Keys":
                yield command
