"""No command: the Textual app, on the stored profiles or on the demo emulator."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from cttui.api.errors import UsageError
from cttui.cli.connect import DEMO_POLL_INTERVAL, demo_emulator, poll_interval
from cttui.cli.credentials import credential_store
from cttui.cli.exits import EXIT_OK
from cttui.store.config import unknown_profile

if TYPE_CHECKING:
    from cttui.cli.arguments import ScopeArgs
    from cttui.tui.app import CttuiApp


def app(args: ScopeArgs) -> int:
    scope = args.scope
    store = credential_store()
    if not scope.demo:
        # A broken config.toml or an unknown --profile is one line here, not a screen later.
        config = store.load()
        if scope.profile is not None and config.profile(scope.profile) is None:
            raise unknown_profile(scope.profile, config)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "the app needs a terminal; in scripts use a command such as 'cttui count' "
            "(see 'cttui --help')"
        )
    # Textual is loaded last, once the checks above can no longer send the user away.
    from cttui.cli.session import session_setup
    from cttui.tui.app import CttuiApp

    if not scope.demo:
        interval = poll_interval(None, os.environ, "", demo=False)
        return _run_app(CttuiApp(session_setup(scope, interval)))
    with demo_emulator() as emulator:
        return _run_app(CttuiApp(session_setup(scope, DEMO_POLL_INTERVAL, emulator)))


def _run_app(app: CttuiApp) -> int:
    app.run()
    return app.return_code or EXIT_OK
