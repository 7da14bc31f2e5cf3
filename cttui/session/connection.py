"""The connection test: does CleverTap accept these credentials, and which host answered."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cttui.api.errors import (
    AuthError,
    BadRequestError,
    CttuiError,
    NetworkError,
    RateLimitedError,
    UsageError,
)
from cttui.api.regions import check_base_url
from cttui.store.credentials import CredentialStore, KeyringUnavailable, check_passcode
from cttui.store.selection import ENV_BASE_URL

if TYPE_CHECKING:
    from cttui.session.setup import SessionSetup
    from cttui.store.config import Profile

# Any event will do: only whether CleverTap takes the credentials matters, not the count.
TEST_EVENT = "App Launched"
TEST_TIMEOUT = 20.0


@dataclass(frozen=True)
class ConnectionTest:
    """`message` is one line saying what happened; `error` is None when the credentials work,
    and `host` is where the test went (empty when nothing was sent)."""

    message: str
    host: str = ""
    error: CttuiError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


async def check_connection(
    store: CredentialStore,
    setup: SessionSetup,
    profile: Profile,
    passcode: str | None,
    saved: Profile | None,
) -> ConnectionTest:
    """With no `passcode`, the one kept for `saved` if that is on the same account."""
    if passcode is None and saved is not None and saved.account_id == profile.account_id:
        try:
            passcode = await asyncio.to_thread(store.saved_passcode, saved)
            if passcode is not None:
                check_passcode(passcode, "the saved passcode", "type it again here and save it")
        except KeyringUnavailable as error:
            return ConnectionTest(f"No passcode to test: {error}.", error=error)
        except UsageError as error:
            return ConnectionTest(f"{error.message}.", error=error)
    if not passcode:
        return ConnectionTest("Enter the passcode to test it.", error=UsageError("no passcode"))
    try:
        override = setup.environ.get(ENV_BASE_URL, "").strip()
        base_url = check_base_url(override) if override else profile.region.base_url
    except CttuiError as error:
        return ConnectionTest(error.message, error=error)
    host = urlsplit(base_url).netloc
    try:
        await _ask(profile.account_id, passcode, base_url, setup)
    except AuthError as error:
        if base_url != profile.region.base_url:
            # Not CleverTap's host: its advice about the region does not apply.
            return ConnectionTest(
                f"Bad credentials: {server_words(setup, base_url)} refused account "
                f"{profile.account_id} with this passcode.",
                host,
                error,
            )
        return ConnectionTest(f"Bad credentials. {error.message}.", host, error)
    except NetworkError as error:
        return ConnectionTest(f"Network error: {error.message}.", host, error)
    except (BadRequestError, RateLimitedError):
        # A refusal of the query, or throttling, comes only after the credentials passed.
        pass
    except CttuiError as error:
        return ConnectionTest(error.message, host, error)
    account = profile.account_id
    if base_url == profile.region.base_url:
        return ConnectionTest(
            f"OK: CleverTap accepted these credentials for {account} in {profile.region.name} "
            f"(reached {host}).",
            host,
        )
    # Another server: the region plays no part, so the test names where it went instead.
    return ConnectionTest(
        f"OK: {server_words(setup, base_url)} accepted these credentials for {account}.", host
    )


def server_words(setup: SessionSetup, base_url: str) -> str:
    """A server that is not CleverTap's, as a test of it names it."""
    if setup.demo:
        return f"the built-in emulator at {base_url}"
    return f"the server at {base_url} ({ENV_BASE_URL})"


def destination(setup: SessionSetup, profile: Profile) -> str:
    """Where a test of `profile` goes, for "Testing X ...": "in Europe", or "at" the server
    CTTUI_BASE_URL names (the region then plays no part)."""
    override = setup.environ.get(ENV_BASE_URL, "").strip()
    try:
        base_url = check_base_url(override) if override else profile.region.base_url
    except CttuiError:
        return f"in {profile.region.name}"
    if base_url == profile.region.base_url:
        return f"in {profile.region.name}"
    return f"at {server_words(setup, base_url)}"


async def _ask(account_id: str, passcode: str, base_url: str, setup: SessionSetup) -> None:
    from cttui.api.client import CleverTapClient, Credentials
    from cttui.api.models import DateRange, Query

    today = setup.today()
    query = Query(TEST_EVENT, DateRange(today, today))
    async with CleverTapClient(
        Credentials(account_id, passcode), base_url, timeout=TEST_TIMEOUT, transport=setup.transport
    ) as client:
        await client.submit(query)
