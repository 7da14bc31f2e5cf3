"""Profiles with passcodes in the keyring, the environment's overrides, and keyrings that fail."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backends import fail, null

from cttui.api.errors import UsageError
from cttui.api.regions import get_region
from cttui.store.config import Config, Profile, load_config
from cttui.store.credentials import (
    CredentialStore,
    KeyringUnavailable,
    OsKeyring,
    PasscodeMissing,
    SessionPasscodes,
    connect,
    needs_config,
    select,
)
from tests.memory_keyring import LockedKeyring, MemoryKeyring, NoBusKeyring

WORK = Profile("work", "W9R-486-4W5Z", get_region("in1"))
STAGING = Profile("staging", "TEST-8R6-5Z4Z", get_region("eu1"))
CONFIG = Config((WORK, STAGING), "work")


def test_the_active_profile_with_its_region() -> None:
    selection = select({}, CONFIG, None)
    assert (selection.account_id, selection.region.code) == (WORK.account_id, "in1")
    assert selection.base_url == "https://in1.api.clevertap.com"
    assert selection.source == "profile work"
    assert selection.overrides == ()


def test_profile_option_picks_another_and_an_unknown_one_is_refused() -> None:
    assert select({}, CONFIG, "staging").profile == STAGING
    with pytest.raises(UsageError, match="no profile named 'prod' \\(known: work, staging\\)"):
        select({}, CONFIG, "prod")


def test_environment_overrides_each_field_for_one_run() -> None:
    passcode_only = select({"CLEVERTAP_PASSCODE": "from-env"}, CONFIG, None)
    assert passcode_only.profile == WORK
    assert passcode_only.overrides == ("CLEVERTAP_PASSCODE",)
    assert "with CLEVERTAP_PASSCODE from environment" in passcode_only.source
    region_only = select({"CLEVERTAP_REGION": "sg1"}, CONFIG, None)
    assert (region_only.account_id, region_only.region.code) == (WORK.account_id, "sg1")
    other = select({"CLEVERTAP_ACCOUNT_ID": "ZZZ-ZZZ-ZZZZ"}, CONFIG, None)
    # Another account does not borrow the profile's region.
    assert (other.profile, other.region.code, other.source) == (None, "eu1", "environment")
    same = select({"CLEVERTAP_ACCOUNT_ID": WORK.account_id}, CONFIG, None)
    assert (same.profile, same.region.code) == (WORK, "in1")


def test_no_profile_and_no_environment_says_how_to_add_one() -> None:
    with pytest.raises(UsageError, match="cttui credentials set --account-id ID --region R"):
        select({}, Config(), None)


def test_connect_reads_the_keyring_only_without_an_environment_passcode(
    memory_keyring: MemoryKeyring,
) -> None:
    memory_keyring.items[("cttui", WORK.account_id)] = "kept"
    assert connect(select({}, CONFIG, None), OsKeyring()).credentials.passcode == "kept"
    env = select({"CLEVERTAP_PASSCODE": "given"}, CONFIG, None)
    keyring.set_keyring(NoBusKeyring())  # never touched
    assert connect(env, OsKeyring()).credentials.passcode == "given"
    assert not needs_config({"CLEVERTAP_ACCOUNT_ID": "A", "CLEVERTAP_PASSCODE": "p"}, None)
    assert needs_config({"CLEVERTAP_PASSCODE": "p"}, None)


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        (fail.Keyring(), "no keyring backend found; install and unlock one"),  # type: ignore[no-untyped-call]
        (NoBusKeyring(), "RuntimeError: No D-Bus session bus address"),
    ],
)
def test_an_unusable_keyring_names_the_fix(
    backend: keyring.backend.KeyringBackend, reason: str
) -> None:
    keyring.set_keyring(backend)
    with pytest.raises(UsageError) as caught:
        connect(select({}, CONFIG, None), OsKeyring())
    message = caught.value.message
    assert reason in message
    assert "set CLEVERTAP_PASSCODE for this run" in message
    with pytest.raises(KeyringUnavailable):
        OsKeyring().set(WORK.account_id, "p")


def test_a_locked_keyring_and_one_that_drops_what_it_is_given() -> None:
    keyring.set_keyring(LockedKeyring())
    with pytest.raises(KeyringUnavailable, match="the keyring is locked; unlock it"):
        OsKeyring().set(WORK.account_id, "p")
    keyring.set_keyring(null.Keyring())  # type: ignore[no-untyped-call]
    with pytest.raises(KeyringUnavailable, match="did not keep it"):
        OsKeyring().set(WORK.account_id, "p")


def test_a_missing_passcode_names_the_command_that_saves_it() -> None:
    with pytest.raises(UsageError, match="cttui credentials set --profile work"):
        connect(select({}, CONFIG, None), OsKeyring())
    with pytest.raises(UsageError, match="cttui credentials set --account-id ZZZ-ZZZ-ZZZZ"):
        connect(select({"CLEVERTAP_ACCOUNT_ID": "ZZZ-ZZZ-ZZZZ"}, CONFIG, None), OsKeyring())


def test_store_saves_passcode_in_keyring_and_profile_in_config(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "config.toml"
    store = CredentialStore(path, OsKeyring())
    store.save_profile(WORK, "s3cret-passcode")
    assert memory_keyring.items == {("cttui", WORK.account_id): "s3cret-passcode"}
    assert load_config(path) == Config((WORK,), "work")
    assert "s3cret" not in path.read_text()
    # Changing the region keeps the saved passcode without asking for it again.
    moved = Profile("work", WORK.account_id, get_region("us1"))
    store.save_profile(moved, None, replacing="work")
    assert load_config(path).profiles == (moved,)
    with pytest.raises(PasscodeMissing, match="enter the passcode for NEW-ACC-0000"):
        store.save_profile(Profile("new", "NEW-ACC-0000", WORK.region), None)
    assert load_config(path).names() == ["work"]


def test_changing_the_account_moves_the_keyring_entry(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    store = CredentialStore(tmp_path / "config.toml", OsKeyring())
    store.save_profile(WORK, "one")
    store.save_profile(Profile("work", "NEW-ACC-0000", WORK.region), "two", replacing="work")
    assert memory_keyring.items == {("cttui", "NEW-ACC-0000"): "two"}


def test_a_keyring_failure_leaves_config_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    keyring.set_keyring(NoBusKeyring())
    with pytest.raises(KeyringUnavailable):
        CredentialStore(path, OsKeyring()).save_profile(WORK, "p")
    assert not path.exists()


def test_delete_removes_the_passcode_unless_another_profile_shares_it(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    store = CredentialStore(tmp_path / "config.toml", OsKeyring())
    twin = Profile("twin", WORK.account_id, WORK.region)
    store.save_profile(WORK, "p")
    store.save_profile(twin, None)
    config, outcome = store.delete_profile("twin")
    assert (outcome.shared, outcome.passcode_removed) == (True, False)
    assert ("cttui", WORK.account_id) in memory_keyring.items
    config, outcome = store.delete_profile("work")
    assert outcome.passcode_removed
    assert memory_keyring.items == {}
    assert config == Config()
    with pytest.raises(UsageError, match="no profile named 'work'"):
        store.delete_profile("work")


def test_delete_with_no_keyring_still_deletes_and_says_what_was_left(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path / "config.toml", OsKeyring())
    store.save_profile(WORK, "p")
    keyring.set_keyring(NoBusKeyring())
    config, outcome = store.delete_profile("work")
    assert config.profiles == ()
    assert outcome.error is not None
    assert "D-Bus" in outcome.error


def test_an_in_memory_store_never_writes_a_file(tmp_path: Path) -> None:
    passcodes = SessionPasscodes()
    store = CredentialStore(None, passcodes)
    store.save_profile(WORK, "zq-secret")
    store.set_theme("nord")
    assert store.load() == Config((WORK,), "work", "nord")
    assert passcodes.get(WORK.account_id) == "zq-secret"
    assert "zq-secret" not in repr(passcodes)
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []
