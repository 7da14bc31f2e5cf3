"""The session core on its own: its verbs against the emulator or an httpx.MockTransport."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from cttui.api.errors import AuthError, CttuiError, NetworkError
from cttui.api.models import DateRange, Query
from cttui.api.regions import get_region
from cttui.emulator import Emulator
from cttui.jobs import Job
from cttui.records import JobState
from cttui.session.changes import Change, FavoritesChanged, JobChanged
from cttui.session.connection import destination
from cttui.session.core import Session
from cttui.session.setup import SessionSetup
from cttui.store.config import Config, Profile, save_config
from cttui.store.credentials import CredentialStore, OsKeyring
from cttui.store.favorites import Favorite
from cttui.store.paths import config_file
from tests.conftest import DEFAULTS
from tests.memory_keyring import MemoryKeyring

EMU = Profile("emu", DEFAULTS.account_id, get_region("eu1"))
CLEVERTAP = Profile("work", "W9R-486-4W5Z", get_region("in1"))


def session_on(
    profiles: tuple[Profile, ...] = (),
    environ: Mapping[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    journal: Path | None = None,
    favorites: Path | None = None,
    today: date | None = None,
) -> Session:
    if profiles:
        save_config(Config(profiles, profiles[0].name), config_file())
    setup = SessionSetup(
        CredentialStore(config_file(), OsKeyring()),
        dict(environ or {}),
        poll_interval=0.1,
        today=lambda: today or date.today(),
        journal=journal,
        favorites=favorites or config_file().with_name("favorites.toml"),
        transport=transport,
    )
    return Session(setup)


def answering(status: int, body: object) -> httpx.MockTransport:
    return httpx.MockTransport(lambda _: httpx.Response(status, content=json.dumps(body)))


async def finished(session: Session, job: Job, limit: float = 60) -> None:
    """Wait, bounded, until `job` has finished."""
    done = asyncio.Event()

    def heard(_: Change) -> None:
        if job.state.finished:
            done.set()

    session.subscribe(heard)
    heard(JobChanged(job))
    async with asyncio.timeout(limit):
        await done.wait()


# The connection test


@pytest.mark.parametrize(
    "body",
    [
        {"status": "fail", "error": "Event not found"},
        {"status": "success", "count": 0},
        {"status": "partial", "req_id": 8125},
    ],
)
async def test_any_answer_but_an_auth_failure_means_the_credentials_work(
    body: Mapping[str, object],
) -> None:
    session = session_on(transport=answering(200, body))
    result = await session.test_connection(CLEVERTAP, "a-passcode")
    assert result.ok, result.message
    assert result.host == "in1.api.clevertap.com"
    assert result.message == (
        "OK: CleverTap accepted these credentials for W9R-486-4W5Z in India "
        "(reached in1.api.clevertap.com)."
    )


def test_a_test_says_where_it_goes_the_region_or_the_server_instead() -> None:
    assert destination(session_on().setup, CLEVERTAP) == "in India"
    elsewhere = session_on(environ={"CTTUI_BASE_URL": "http://127.0.0.1:8787"}).setup
    assert destination(elsewhere, CLEVERTAP) == (
        "at the server at http://127.0.0.1:8787 (CTTUI_BASE_URL)"
    )


async def test_an_auth_failure_says_the_credentials_are_bad() -> None:
    body = {"status": "fail", "error": "Invalid Credentials", "code": 401}
    session = session_on(transport=answering(401, body))
    result = await session.test_connection(CLEVERTAP, "a-passcode")
    assert isinstance(result.error, AuthError)
    assert result.message.startswith("Bad credentials.")
    assert "\n" not in result.message


async def test_nothing_listening_is_a_network_error() -> None:
    session = session_on(environ={"CTTUI_BASE_URL": "http://127.0.0.1:9"})
    result = await session.test_connection(EMU, DEFAULTS.passcode)
    assert isinstance(result.error, NetworkError)
    assert result.message.startswith("Network error:")
    assert result.host == "127.0.0.1:9"


async def test_a_connection_test_elsewhere_names_the_server_not_the_region() -> None:
    body = {"status": "success", "count": 0}
    base_url = "https://counts.example.com:8443"
    session = session_on(environ={"CTTUI_BASE_URL": base_url + "/"}, transport=answering(200, body))
    result = await session.test_connection(CLEVERTAP, "a-passcode")
    assert result.ok, result.message
    assert result.message == (
        f"OK: the server at {base_url} (CTTUI_BASE_URL) accepted these credentials for "
        "W9R-486-4W5Z."
    )
    assert "India" not in result.message
    assert result.host == "counts.example.com:8443"
    # The region's own host, given as CTTUI_BASE_URL, is still that region.
    session = session_on(
        environ={"CTTUI_BASE_URL": "https://in1.api.clevertap.com"},
        transport=answering(200, body),
    )
    result = await session.test_connection(CLEVERTAP, "a-passcode")
    assert result.message == (
        "OK: CleverTap accepted these credentials for W9R-486-4W5Z in India "
        "(reached in1.api.clevertap.com)."
    )


async def test_the_saved_passcode_is_tested_when_none_is_typed(
    emulator: Emulator, memory_keyring: MemoryKeyring
) -> None:
    memory_keyring.items[("cttui", f"{EMU.account_id}/emu")] = DEFAULTS.passcode
    session = session_on((EMU,), environ={"CTTUI_BASE_URL": emulator.base_url})
    result = await session.test_connection(EMU, None, saved=EMU)
    assert result.ok, result.message
    assert emulator.base_url.removeprefix("http://") in result.message
    nothing = await session.test_connection(EMU, None)
    assert not nothing.ok
    assert nothing.message == "Enter the passcode to test it."


# Jobs and favourites


async def test_send_runs_a_job_and_tells_listeners(emulator: Emulator) -> None:
    environ = {
        "CLEVERTAP_ACCOUNT_ID": DEFAULTS.account_id,
        "CLEVERTAP_PASSCODE": DEFAULTS.passcode,
        "CTTUI_BASE_URL": emulator.base_url,
    }
    session = session_on(environ=environ)
    heard: list[Change] = []
    session.subscribe(heard.append)
    today = emulator.config.resolved_today()
    query = Query("Charged", DateRange(today - timedelta(days=3), today))
    try:
        assert session.selection is not None
        job = await session.send(query, session.selection)
        await finished(session, job)
    finally:
        await session.close()
    assert job.state is JobState.DONE
    start, end = (int(day.strftime("%Y%m%d")) for day in (query.date_range.start, today))
    assert job.count == emulator.count("Charged", start, end)
    assert any(isinstance(change, JobChanged) and change.job is job for change in heard)


async def test_a_favourite_that_cannot_connect_fails_alone(emulator: Emulator) -> None:
    environ = {
        "CLEVERTAP_ACCOUNT_ID": DEFAULTS.account_id,
        "CLEVERTAP_PASSCODE": DEFAULTS.passcode,
        "CTTUI_BASE_URL": emulator.base_url,
    }
    today = emulator.config.resolved_today()
    dates = DateRange(today - timedelta(days=3), today)
    good = Favorite("good", "Charged", (), dates)
    lost = Favorite("lost", "Charged", (), dates, "no-such-profile")
    session = session_on((EMU,), environ=environ, today=today)
    try:
        launches = await session.run_favorites([lost, good])
        assert [launch.favorite.name for launch in launches] == ["lost", "good"]
        assert launches[0].job is None
        assert "no-such-profile" in (launches[0].problem or "")
        job = launches[1].job
        assert job is not None
        assert job.favorite == "good"
        await finished(session, job)
    finally:
        await session.close()


async def test_rename_and_delete_take_the_file_the_history_and_live_jobs_along(
    tmp_path: Path,
) -> None:
    session = session_on(journal=tmp_path / "journal.sqlite3", favorites=tmp_path / "fav.toml")
    heard: list[Change] = []
    session.subscribe(heard.append)
    book = session.favorites
    today = date(2026, 11, 23)
    try:
        await session.resume()
        weekly = Favorite("Weekly", "Charged", (), DateRange(today, today))
        saved, written = await book.save(weekly)
        assert (saved.name, written) == ("Weekly", True)
        # Saved again as the file holds it: nothing is written, and nothing is refused.
        assert await book.save(weekly) == (saved, False)
        copy = await book.duplicate("Weekly")
        assert [item.name for item in book.current.items] == ["Weekly", copy.name]
        await book.rename("Weekly", "Monthly")
        assert [item.name for item in book.current.items] == ["Monthly", copy.name]
        await book.delete([copy.name])
        assert [item.name for item in book.current.items] == ["Monthly"]
        with pytest.raises(CttuiError):
            await book.rename("Weekly", "Other")
    finally:
        await session.close()
    assert any(isinstance(change, FavoritesChanged) for change in heard)
