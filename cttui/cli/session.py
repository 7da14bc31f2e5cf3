"""The one Session a command runs on, made from its scope: the user's profiles, files and
journal, or the demo's; its notices are warnings on stderr."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from cttui.api.errors import UsageError
from cttui.cli.connect import demo_emulator
from cttui.cli.output import say
from cttui.session.changes import Change, Notice
from cttui.session.core import Session
from cttui.session.setup import SessionSetup
from cttui.store.config import Config
from cttui.store.credentials import CredentialStore
from cttui.store.passcodes import OsKeyring, SessionPasscodes
from cttui.store.paths import config_file, journal_file
from cttui.store.selection import needs_config

if TYPE_CHECKING:
    from cttui.cli.arguments import Scope
    from cttui.emulator.server import Emulator


def session_setup(scope: Scope, interval: float, emulator: Emulator | None = None) -> SessionSetup:
    """The demo's setup needs its running `emulator`; without one, a demo session has the
    demo's files and journal but no account to send to."""
    journal = journal_file(demo=scope.demo)
    if emulator is not None:
        return SessionSetup.for_demo(
            emulator.config, emulator.base_url, interval, journal, scope.favorites_file
        )
    if scope.demo:
        store = CredentialStore(None, SessionPasscodes(), Config())
        return SessionSetup(
            store, {}, None, interval, journal=journal, favorites=scope.favorites_file
        )
    environ = dict(os.environ)
    store = CredentialStore(config_file(), OsKeyring())
    if not needs_config(environ, scope.profile):
        try:
            store.load()
        except UsageError:
            # The environment says everything: a broken config.toml is not this run's concern.
            store = CredentialStore(None, OsKeyring(), Config())
    return SessionSetup(
        store=store,
        environ=environ,
        profile=scope.profile,
        poll_interval=interval,
        journal=journal,
        favorites=scope.favorites_file,
    )


def _warn(change: Change) -> None:
    if isinstance(change, Notice) and change.severity != "information":
        say(f"warning: {change.message}")


@contextlib.asynccontextmanager
async def opened(
    scope: Scope, *, interval: float = 30.0, sends: bool = False
) -> AsyncIterator[Session]:
    """The command's session, closed at the end; `sends` starts the demo's emulator."""
    with contextlib.ExitStack() as stack:
        emulator = stack.enter_context(demo_emulator()) if scope.demo and sends else None
        session = Session(session_setup(scope, interval, emulator))
        session.subscribe(_warn)
        try:
            yield session
        finally:
            await session.close()
