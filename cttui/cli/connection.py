"""`cttui credentials test`: the session's connection test, as the app's credentials screen
runs it, on a profile's saved passcode (never shown), or on what the environment overrides, as
a run would use them."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from cttui.api.errors import UsageError
from cttui.cli.credentials import credential_store, profile_named
from cttui.cli.exits import EXIT_API, EXIT_OK
from cttui.cli.output import say
from cttui.cli.session import opened
from cttui.store.config import Profile
from cttui.store.selection import ENV_ACCOUNT_ID, ENV_PASSCODE, ENV_REGION, select

# The variables that override a profile for one run.
OVERRIDES = (ENV_ACCOUNT_ID, ENV_PASSCODE, ENV_REGION)

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
        environ = session.setup.environ
        if not scope.demo and any(environ.get(name, "").strip() for name in OVERRIDES):
            # What a run would use, as every command does: the environment first.
            selection = select(environ, config, scope.profile)
            source = (
                selection.source if selection.profile else "the credentials from the environment"
            )
            say(f"testing {source}")
            tested = Profile(selection.label, selection.account_id, selection.region)
            if selection.env_passcode is not None:
                return await session.test_connection(tested, selection.env_passcode)
            profile = selection.profile
        else:
            profile = profile_named(config, scope.profile if not scope.demo else None)
            tested = profile
        if profile is None or not await asyncio.to_thread(session.store.saved_passcode, profile):
            raise UsageError(_no_passcode(scope.command, profile))
        return await session.test_connection(tested, saved=profile)


def _no_passcode(command: str, profile: Profile | None) -> str:
    if profile is None:
        return f"{ENV_ACCOUNT_ID} is set without {ENV_PASSCODE}: set it too, to test them"
    return (
        f"no passcode saved for profile {profile.name}: save one with "
        f"'{command} credentials set --profile {profile.name}'"
    )
