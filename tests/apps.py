"""Apps for Pilot tests, snapshots and screenshots: isolated config, a keyring of the test's
choosing, a fixed today, and never the developer's own files."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import WorkerState

from cttui.api.models import Query
from cttui.api.regions import get_region
from cttui.pacing import Clock
from cttui.session.setup import SessionSetup
from cttui.store.config import Config, Profile, save_config
from cttui.store.credentials import CredentialStore, OsKeyring, Passcodes
from cttui.store.paths import config_file
from cttui.store.selection import Selection
from cttui.tui.app import CttuiApp
from cttui.tui.widgets.job_panel import JobPanel

TODAY = date(2026, 11, 23)
WORK = Profile("work", "W9R-486-4W5Z", get_region("in1"))
STAGING = Profile("staging", "TEST-8R6-5Z4Z", get_region("eu1"))


def build_app(
    *,
    profiles: tuple[Profile, ...] = (),
    active: str | None = None,
    environ: Mapping[str, str] | None = None,
    passcodes: Passcodes | None = None,
    profile: str | None = None,
    theme: str | None = None,
    config_path: Path | None = None,
    poll_interval: float = 30.0,
    journal: Path | None = None,
    clock: Clock | None = None,
) -> CttuiApp:
    """The app over config.toml at `config_path` (the isolated HOME's by default), written
    first with `profiles`; passcodes through the `keyring` package unless given."""
    path = config_path or config_file()
    if profiles or theme:
        save_config(Config(profiles, active or profiles[0].name, theme), path)
    store = CredentialStore(path, passcodes or OsKeyring())
    setup = SessionSetup(
        store,
        dict(environ or {}),
        profile,
        poll_interval,
        today=lambda: TODAY,
        journal=journal,
        clock=clock,
    )
    return CttuiApp(setup)


def send(app: CttuiApp, query: Query, selection: Selection) -> None:
    """Send `query` on `selection` as the editor does: through the session, in a worker."""
    app.run_worker(app.session.send(query, selection), exit_on_error=False)


async def settle(
    pilot: Pilot[int],
    screen: type[Screen[Any]],
    ready: Callable[[], bool] = lambda: True,
    limit: float = 60,
) -> None:
    """Wait, bounded, until `screen` is on top, `ready` holds and no background work but jobs
    is under way; then stop the cursor blinking so it is always drawn."""
    app = pilot.app
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, screen)
            # Pushed is not yet composed: its fields come with its mount.
            and app.screen.is_mounted
            and all(field.is_mounted for field in app.screen.query(Input))
            and ready()
            and idle(app)
        ),
        f"{screen.__name__} to be ready",
        limit,
    )
    for field in app.screen.query(Input):
        field.cursor_blink = False
        # Drawn again: a cursor the blink had hidden may otherwise stay so in the screenshot.
        field.refresh()
    await pilot.pause()
    await until(pilot, lambda: idle(app), "the app to be idle again", limit)


async def until(
    pilot: Pilot[Any], condition: Callable[[], bool], what: str, limit: float = 60
) -> None:
    """Let the app run until `condition` holds; fail after `limit` seconds (a bound only: on a
    loaded machine a condition may take long to come, and it ends the wait the moment it does)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def until_equal(
    pilot: Pilot[Any], probe: Callable[[], object], expected: object, limit: float = 60
) -> None:
    """Let the app run until `probe()` equals `expected`: what a pause then an assert would
    check, without trusting one pause to let a chain of messages, a worker or a timer finish.
    On timeout the failure shows the last value seen."""
    deadline = time.monotonic() + limit
    while (seen := probe()) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out: {seen!r} != {expected!r}")
        await pilot.pause(0.02)


def idle(app: App[Any]) -> bool:
    """No worker but the jobs' is pending or running. Looked at, never awaited: the app starts
    exclusive readers every second, and a newer one cancels the one a test would wait for.
    Jobs may poll for minutes, so they do not count; job changes the job list has still to
    show do."""
    busy = (WorkerState.PENDING, WorkerState.RUNNING)
    if any(worker.state in busy for worker in app.workers if worker.group != "jobs"):
        return False
    return not any(panel.flushing for panel in app.screen.query(JobPanel))
