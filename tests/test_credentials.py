"""Profiles with passcodes in the keyring, the environment's overrides, and keyrings that fail."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail, null
from keyring.errors import KeyringLocked

from cttui.api.errors import UsageError
from cttui.api.regions import get_region
from cttui.store.config import Config, Profile, load_config, save_config
from cttui.store.credentials import (
    CredentialStore,
    KeyringUnavailable,
    OsKeyring,
    PasscodeMissing,
    SessionPasscodes,
    check_passcode,
    entry_name,
)
from cttui.store.selection import connect, for_job, needs_config, select
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
    assert memory_keyring.items == {("cttui", "W9R-486-4W5Z/work"): "s3cret-passcode"}
    assert load_config(path) == Config((WORK,), "work")
    assert "s3cret" not in path.read_text()
    # Changing the region keeps the saved passcode without asking for it again.
    moved = Profile("work", WORK.account_id, get_region("us1"))
    store.save_profile(moved, None, replacing="work")
    assert load_config(path).profiles == (moved,)
    with pytest.raises(PasscodeMissing, match="enter the passcode for profile new"):
        store.save_profile(Profile("new", "NEW-ACC-0000", WORK.region), None)
    assert load_config(path).names() == ["work"]


def test_changing_the_account_moves_the_keyring_entry(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    store = CredentialStore(tmp_path / "config.toml", OsKeyring())
    store.save_profile(WORK, "one")
    store.save_profile(Profile("work", "NEW-ACC-0000", WORK.region), "two", replacing="work")
    assert memory_keyring.items == {("cttui", "NEW-ACC-0000/work"): "two"}


def test_a_keyring_failure_leaves_config_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    keyring.set_keyring(NoBusKeyring())
    with pytest.raises(KeyringUnavailable):
        CredentialStore(path, OsKeyring()).save_profile(WORK, "p")
    assert not path.exists()


def test_delete_removes_the_profiles_own_passcode_only(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    store = CredentialStore(tmp_path / "config.toml", OsKeyring())
    twin = Profile("twin", WORK.account_id, WORK.region)
    store.save_profile(WORK, "p")
    with pytest.raises(PasscodeMissing):  # another profile's passcode is not taken for it
        store.save_profile(twin, None)
    store.save_profile(twin, "p")
    config, outcome = store.delete_profile("twin")
    assert (outcome.passcode_removed, outcome.siblings) == (True, ("work",))
    assert list(memory_keyring.items) == [("cttui", "W9R-486-4W5Z/work")]
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
    assert passcodes.get("W9R-486-4W5Z/work") == "zq-secret"
    assert "zq-secret" not in repr(passcodes)
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []


# Two profiles on one account, and entries of older versions under the bare account ID.

ACCOUNT = "SHR-ACC-0001"
PERSONAL = Profile("personal", ACCOUNT, get_region("eu1"))
SHARED = Profile("shared", ACCOUNT, get_region("eu1"))
BOTH = Config((PERSONAL, SHARED), "personal")


class JournaledKeyring(MemoryKeyring):
    """Records each write and delete, in order; `fail_writes` makes every write refused."""

    def __init__(self, fail_writes: bool = False) -> None:
        super().__init__()
        self.calls: list[tuple[str, str]] = []
        self.fail_writes = fail_writes

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append(("set", username))
        if self.fail_writes:
            raise KeyringLocked("Failed to unlock the collection")
        super().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self.calls.append(("delete", username))
        super().delete_password(service, username)


def test_two_profiles_on_one_account_keep_their_own_passcodes(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    store = CredentialStore(tmp_path / "config.toml", OsKeyring())
    store.save_profile(PERSONAL, "user-passcode")
    config = store.save_profile(SHARED, "account-passcode")
    assert memory_keyring.items == {
        ("cttui", "SHR-ACC-0001/personal"): "user-passcode",
        ("cttui", "SHR-ACC-0001/shared"): "account-passcode",
    }
    assert entry_name(ACCOUNT, "shared") == "SHR-ACC-0001/shared"
    for profile, passcode in ((PERSONAL, "user-passcode"), (SHARED, "account-passcode")):
        connection = connect(select({}, config, profile.name), OsKeyring())
        assert (connection.credentials.passcode, connection.profile) == (passcode, profile.name)
    # Deleting one takes its own entry only, and says the other keeps its own.
    config, outcome = store.delete_profile("shared")
    assert memory_keyring.items == {("cttui", "SHR-ACC-0001/personal"): "user-passcode"}
    assert outcome.describe(done=True) == (
        "its passcode was removed from the OS keyring; personal, on the same account, keeps its "
        "passcode"
    )
    assert connect(select({}, config, None), OsKeyring()).credentials.passcode == "user-passcode"


def test_a_rename_or_a_new_account_moves_the_profiles_entry(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    store = CredentialStore(tmp_path / "config.toml", OsKeyring())
    store.save_profile(PERSONAL, "user-passcode")
    store.save_profile(SHARED, "account-passcode")
    store.save_profile(Profile("mine", ACCOUNT, PERSONAL.region), None, replacing="personal")
    assert memory_keyring.items == {
        ("cttui", "SHR-ACC-0001/mine"): "user-passcode",
        ("cttui", "SHR-ACC-0001/shared"): "account-passcode",
    }
    # Another account never borrows the old one's passcode.
    with pytest.raises(PasscodeMissing, match="enter the passcode for profile mine"):
        store.save_profile(Profile("mine", "NEW-ACC-0000", PERSONAL.region), None, "mine")


def test_a_legacy_entry_moves_to_each_profile_and_goes_when_none_relies_on_it(
    tmp_path: Path,
) -> None:
    backend = JournaledKeyring()
    keyring.set_keyring(backend)
    backend.items[("cttui", ACCOUNT)] = "old-passcode"
    assert connect(select({}, BOTH, "personal"), OsKeyring()).credentials.passcode == (
        "old-passcode"
    )
    # shared has no entry of its own yet: the old one stays for it.
    assert backend.items == {
        ("cttui", ACCOUNT): "old-passcode",
        ("cttui", "SHR-ACC-0001/personal"): "old-passcode",
    }
    assert connect(select({}, BOTH, "shared"), OsKeyring()).credentials.passcode == "old-passcode"
    assert backend.items == {
        ("cttui", "SHR-ACC-0001/personal"): "old-passcode",
        ("cttui", "SHR-ACC-0001/shared"): "old-passcode",
    }
    # Each copy was written (and read back) before the old entry was deleted.
    assert backend.calls == [
        ("set", "SHR-ACC-0001/personal"),
        ("set", "SHR-ACC-0001/shared"),
        ("delete", ACCOUNT),
    ]


def test_a_migration_that_cannot_write_loses_nothing(tmp_path: Path) -> None:
    backend = JournaledKeyring(fail_writes=True)
    keyring.set_keyring(backend)
    backend.items[("cttui", ACCOUNT)] = "old-passcode"
    assert connect(select({}, BOTH, "personal"), OsKeyring()).credentials.passcode == (
        "old-passcode"
    )
    assert backend.items == {("cttui", ACCOUNT): "old-passcode"}
    assert ("delete", ACCOUNT) not in backend.calls


def test_deleting_profiles_of_a_legacy_entry_says_what_happens_to_it(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    store = CredentialStore(tmp_path / "config.toml", OsKeyring())
    save_config(BOTH, store.config_path or tmp_path)
    memory_keyring.items[("cttui", ACCOUNT)] = "old-passcode"
    plan = store.delete_plan("personal")
    assert plan.describe(done=False) == (
        "its passcode stays in the OS keyring: shared, on the same account, uses it too"
    )
    store.delete_profile("personal")
    assert memory_keyring.items == {("cttui", ACCOUNT): "old-passcode"}
    assert store.delete_plan("shared").describe(done=False) == (
        "its passcode is removed from the OS keyring"
    )
    config, outcome = store.delete_profile("shared")
    assert outcome.describe(done=True) == "its passcode was removed from the OS keyring"
    assert memory_keyring.items == {}
    assert config.profiles == ()
    save_config(Config((WORK,), "work"), tmp_path / "config.toml")
    assert store.delete_plan("work").describe(done=False) == "no passcode is saved for it"


def test_a_job_finds_its_profiles_passcode_and_falls_back_when_the_profile_is_gone(
    memory_keyring: MemoryKeyring,
) -> None:
    memory_keyring.items[("cttui", "SHR-ACC-0001/personal")] = "user-passcode"
    memory_keyring.items[("cttui", "SHR-ACC-0001/shared")] = "account-passcode"
    url = "https://eu1.api.clevertap.com"
    for name, passcode in (("personal", "user-passcode"), ("shared", "account-passcode")):
        selection = for_job({}, BOTH, ACCOUNT, url, name)
        assert connect(selection, OsKeyring()).credentials.passcode == passcode
    # A job of no profile (an environment run) takes the first profile's of its account.
    assert connect(for_job({}, BOTH, ACCOUNT, url, None), OsKeyring()).credentials.passcode == (
        "user-passcode"
    )
    only_personal = Config((PERSONAL,), "personal")
    with pytest.raises(UsageError) as caught:
        connect(for_job({}, only_personal, ACCOUNT, url, "shared"), OsKeyring())
    assert caught.value.message == (
        "profile shared, which ran this job, is no longer saved; add it again with "
        "'cttui credentials set --profile shared --account-id SHR-ACC-0001', "
        "or set CLEVERTAP_PASSCODE"
    )
    memory_keyring.items[("cttui", ACCOUNT)] = "old-passcode"
    selection = for_job({}, only_personal, ACCOUNT, url, "shared")
    assert connect(selection, OsKeyring()).credentials.passcode == "old-passcode"


# Passcodes that no HTTP header can carry.

BAD_PASSCODES = [
    ("ends-with-space ", "starts or ends with a space"),
    (" starts-with-space", "starts or ends with a space"),
    ("two\nlines", "a line break or another control character"),
    ("tab\there", "a line break or another control character"),
    ("caf\u00e9-\u00fcber", "a character that is not plain ASCII"),
    ("nbsp\u00a0inside", "a character that is not plain ASCII"),
]


@pytest.mark.parametrize(("passcode", "problem"), BAD_PASSCODES)
def test_a_passcode_no_header_can_carry_is_refused_wherever_it_comes_from(
    tmp_path: Path, memory_keyring: MemoryKeyring, passcode: str, problem: str
) -> None:
    def refused(run: Callable[[], object]) -> str:
        with pytest.raises(UsageError) as caught:
            run()
        message = caught.value.message
        assert problem in message
        assert "\n" not in message
        assert all(ch.isascii() for ch in message), message  # no character of it shown
        assert passcode.strip() not in message
        return message

    with pytest.raises(UsageError):
        check_passcode(passcode, "the passcode")
    assert "CLEVERTAP_PASSCODE" in refused(
        lambda: select({"CLEVERTAP_PASSCODE": passcode}, CONFIG, None)
    )
    memory_keyring.items[("cttui", "W9R-486-4W5Z/work")] = passcode
    assert "cttui credentials set --profile work" in refused(
        lambda: connect(select({}, CONFIG, None), OsKeyring())
    )
    store = CredentialStore(tmp_path / "config.toml", OsKeyring())
    refused(lambda: store.save_profile(STAGING, passcode))
    assert not (tmp_path / "config.toml").exists()
    assert ("cttui", "TEST-8R6-5Z4Z/staging") not in memory_keyring.items
    assert check_passcode("inner space ok", "the passcode") == "inner space ok"
