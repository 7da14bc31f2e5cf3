"""`cttui credentials test`: the session's connection test, as the app's credentials screen
runs it, on a profile's saved passcode (never shown)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from cttui.api.errors import UsageError
from cttui.cli.credentials import credential_store, profile_named
from cttui.cli.exits import EXIT_API, EXIT_OK
from cttui.cli.output import say
from cttui.cli.session import opened

if TYPE_CHECKING:
    from cttui.cli.arguments import ScopeArgs
    from cttui.session.connection import ConnectionTest


def credentials_test(args: ScopeArgs) -> int:
    result = asyncio.run(_test(args))
    if result.ok:
        print(result.message)
        return EXIT_OK
    if isinstance(result.error, UsageError):
        raise UsageError(result.message.removesuffix("."))
    say(result.message)
    return EXIT_API


async def _test(args: ScopeArgs) -> ConnectionTest:
    scope = args.scope
    async with opened(scope, sends=True) as session:
        # config.toml itself, even where the environment would do without it: its profile
        # is the one to test.
        config = session.config if scope.demo else await asyncio.to_thread(credential_store().load)
        profile = profile_named(config, scope.profile if not scope.demo else None)
        if not await asyncio.to_thread(session.store.saved_passcode, profile):
            raise UsageError(
                f"no passcode saved for profile {profile.name}: save one with "
                f"'{scope.command} credentials set --profile {profile.name}'"
            )
        return await session.test_connection(profile, saved=profile)
