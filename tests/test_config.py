"""config.toml: profiles, the active one, the theme; hand edits kept, mistakes named."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from cttui.api.errors import UsageError
from cttui.api.regions import get_region
from cttui.store.config import (
    Config,
    Profile,
    account_id_warning,
    check_account_id,
    check_profile_name,
    load_config,
    save_config,
)

WORK = Profile("work", "W9R-486-4W5Z", get_region("in1"))
STAGING = Profile("staging", "TEST-8R6-5Z4Z", get_region("eu1"))


def test_the_file_is_written_0600_in_a_0700_directory(tmp_path: Path) -> None:
    path = tmp_path / "new" / "cttui" / "config.toml"
    save_config(Config((WORK,), "work"), path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    # An older file made readable by all becomes private on the next write.
    path.chmod(0o644)
    path.parent.chmod(0o755)
    save_config(Config((WORK,), "work", "nord"), path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert sorted(item.name for item in path.parent.iterdir()) == ["config.toml"]


def test_a_missing_file_is_an_empty_config(tmp_path: Path) -> None:
    assert load_config(tmp_path / "config.toml") == Config()


def test_round_trip_keeps_profiles_order_active_theme_and_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "cttui" / "config.toml"
    path.parent.mkdir()
    path.write_text(
        '# mine\nfuture_setting = { depth = 3 }\n[profiles.work]\naccount_id = "W9R-486-4W5Z"\n'
        'region = "in1"\n[profiles.staging]\naccount_id = "TEST-8R6-5Z4Z"\nregion = "Europe"\n'
    )
    config = load_config(path)
    assert config.profiles == (WORK, STAGING)
    assert config.active == "work"  # no active named: the first profile
    save_config(config.with_theme("nord").with_active("staging"), path)
    raw = tomllib.loads(path.read_text())
    assert raw["future_setting"] == {"depth": 3}
    assert raw["active_profile"] == "staging"
    assert raw["theme"] == "nord"
    assert raw["profiles"]["staging"] == {"account_id": "TEST-8R6-5Z4Z", "region": "eu1"}
    assert load_config(path).profiles == (WORK, STAGING)
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temporary left


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("profiles = [", "is not valid TOML"),
        ("profiles = 3", "profiles must be a table"),
        ('[profiles.work]\naccount_id = "A"\nregion = "mars"', "profiles.work is not usable "
         "(unknown region 'mars'"),
        ('[profiles.work]\nregion = "eu1"', "profiles.work is not usable (enter the account ID"),
        ('[profiles."a/b"]\naccount_id = "A"\nregion = "eu1"', "may use letters, digits"),
        ("theme = 3", "theme must be a theme name in quotes"),
        ("active_profile = true", "active_profile must be a profile name"),
    ],
)  # fmt: skip
def test_a_bad_file_is_one_line_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(UsageError) as caught:
        load_config(path)
    assert message in caught.value.message
    assert str(path) in caught.value.message
    assert "\n" not in caught.value.message


def test_a_dangling_active_name_falls_back_to_the_first_profile(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    save_config(Config((WORK, STAGING), "staging"), path)
    path.write_text(path.read_text().replace('"staging"', '"gone"', 1))
    assert load_config(path).active == "work"


def test_adding_renaming_and_removing_profiles() -> None:
    config = Config().with_profile(WORK)
    assert config.active == "work"  # the first profile becomes active
    config = config.with_profile(STAGING)
    assert config.active == "work"
    renamed = Profile("prod", WORK.account_id, WORK.region)
    config = config.with_profile(renamed, replacing="work")
    assert config.names() == ["prod", "staging"]
    assert config.active == "prod"  # the active profile keeps being active under its new name
    with pytest.raises(UsageError, match="a profile named 'staging' already exists"):
        config.with_profile(Profile("staging", "X", WORK.region), replacing="prod")
    config = config.without_profile("prod")
    assert config.active == "staging"
    assert config.without_profile("staging").active is None
    with pytest.raises(UsageError, match="no profile named 'nope' \\(known: staging\\)"):
        config.with_active("nope")


def test_profiles_sharing_an_account_share_its_keyring_entry() -> None:
    twin = Profile("work-copy", WORK.account_id, get_region("us1"))
    config = Config((WORK, twin, STAGING), "work")
    assert config.shares_account(WORK)
    assert not config.shares_account(STAGING)


@pytest.mark.parametrize(
    ("name", "ok"),
    [("work", True), (" spaced out ", True), ("a.b_c-d", True), ("", False), ("-x", False),
     ("x" * 41, False), ("tab\there", False), ("émoji", False)],
)  # fmt: skip
def test_profile_names(name: str, ok: bool) -> None:
    if ok:
        assert check_profile_name(name) == name.strip()
    else:
        with pytest.raises(UsageError):
            check_profile_name(name)


def test_account_ids_are_checked_for_shape_with_a_warning_only() -> None:
    assert account_id_warning("W9R-486-4W5Z") is None
    warning = account_id_warning("w9r-486-4w5z")
    assert warning is not None
    assert "XXX-XXX-XXXX" in warning
    assert check_account_id(" w9r-486-4w5z ") == "w9r-486-4w5z"  # accepted as typed
    for bad in ("", "W9R 486", "W9R-48€"):
        with pytest.raises(UsageError):
            check_account_id(bad)
