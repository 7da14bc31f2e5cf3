"""config.toml and favorites.toml as a disk, an editor or a careless script can leave them, read
and written by the real `cttui`: every case is one line naming the file, the right exit code, the
previous file byte-identical, and no temporary file left behind."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from cttui.api.errors import UsageError
from cttui.emulator import Emulator
from cttui.store.credentials import CredentialStore, OsKeyring
from cttui.store.files import FAVORITES_MAX_BYTES, SMALL_FILE_MAX_BYTES, describe
from tests.conftest import Run, run_cttui

PROFILES = (
    'active_profile = "work"\n\n'
    '[profiles.work]\naccount_id = "W00-W00-W000"\nregion = "eu1"\n\n'
    '[profiles.home]\naccount_id = "H00-H00-H000"\nregion = "in1"\n'
)
FAVORITE = '[[favorite]]\nname = "{name}"\nevent_name = "Charged"\nrange = "last_7_days"\n'
TODAY = date.today()
HEAVY = ["--from", (TODAY - timedelta(days=120)).isoformat(), "--to", TODAY.isoformat()]
VALID_FAVORITES = "version = 1\n\n" + FAVORITE.format(name="Weekly buyers")


def config_dir(home: Path) -> Path:
    return home / ".config" / "cttui"


def one_line(result: Run, path: Path, code: int) -> str:
    """The single stderr line of a refusal, which must name `path`."""
    assert "Traceback" not in result.err, result.err
    assert "unexpected error" not in result.err, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert str(path) in lines[0], lines[0]
    assert result.code == code, result
    return lines[0]


def leftovers(directory: Path, keep: set[str]) -> set[str]:
    return {entry.name for entry in directory.iterdir()} - keep


def deep_arrays(depth: int) -> str:
    return "a = " + "[" * depth + "]" * depth + "\n"


def deep_tables(depth: int) -> str:
    return "a = " + "{ b = " * depth + "1" + " }" * depth + "\n"


BAD_CONTENT: dict[str, bytes] = {
    "garbage": b"this is = = not ] toml [\n",
    "binary": bytes(range(256)) * 8,
    "truncated": PROFILES.encode()[: PROFILES.index("W00-W0") + 3],
    "nested arrays": deep_arrays(5_000).encode(),
    "nested tables": deep_tables(5_000).encode(),
    "nul bytes": b'active_profile = "work\x00"\n',
}


READERS = [("config.toml", ("credentials", "list")), ("favorites.toml", ("favorites",))]


@pytest.mark.parametrize(("name", "command"), READERS)
@pytest.mark.parametrize("case", sorted(BAD_CONTENT))
def test_a_file_that_cannot_be_read_is_one_line_and_exit_2(
    isolated_home: Path, name: str, command: tuple[str, ...], case: str
) -> None:
    path = config_dir(isolated_home) / name
    path.parent.mkdir(parents=True)
    path.write_bytes(BAD_CONTENT[case])
    one_line(run_cttui(*command, timeout=60), path, 2)
    assert path.read_bytes() == BAD_CONTENT[case]


def test_zero_length_files_are_empty_not_errors(isolated_home: Path) -> None:
    directory = config_dir(isolated_home)
    directory.mkdir(parents=True)
    (directory / "config.toml").write_bytes(b"")
    (directory / "favorites.toml").write_bytes(b"")
    listed = run_cttui("credentials", "list")
    assert (listed.code, listed.out) == (0, ""), listed
    favorites = run_cttui("favorites")
    assert (favorites.code, favorites.out) == (0, ""), favorites
    assert "no favourites yet" in favorites.err


def oversized(path: Path, limit: int) -> None:
    # Valid TOML all through: only its size is wrong.
    with path.open("w") as out:
        line = "# " + "x" * 1_000 + "\n"
        for _ in range(limit // len(line) + 2):
            out.write(line)


@pytest.mark.parametrize(
    ("name", "command", "limit"),
    [
        ("config.toml", ("credentials", "list"), SMALL_FILE_MAX_BYTES),
        ("favorites.toml", ("favorites",), FAVORITES_MAX_BYTES),
    ],
)
def test_a_file_over_the_size_limit_is_refused_saying_so(
    isolated_home: Path, name: str, command: tuple[str, ...], limit: int
) -> None:
    path = config_dir(isolated_home) / name
    path.parent.mkdir(parents=True)
    oversized(path, limit)
    line = one_line(run_cttui(*command, timeout=60), path, 2)
    assert "larger than" in line, line
    assert "MB" in line, line


def test_forty_thousand_favourites_are_listed_before_the_timeout(isolated_home: Path) -> None:
    # 20,000 took two minutes when each name was compared with every one before it.
    path = config_dir(isolated_home) / "favorites.toml"
    path.parent.mkdir(parents=True)
    blocks = [FAVORITE.format(name=f"favourite {n}") for n in range(40_000)]
    # One duplicate at the very end: found, and the file still answers in time.
    blocks.append(FAVORITE.format(name="FAVOURITE 7"))
    path.write_text("version = 1\n\n" + "\n".join(blocks))
    assert path.stat().st_size < FAVORITES_MAX_BYTES
    result = run_cttui("favorites", "--json", timeout=60)
    line = one_line(result, path, 2)
    assert "used twice" in line
    assert result.out.count('"event_name"') == 40_000


@pytest.mark.parametrize(("name", "command"), READERS)
@pytest.mark.parametrize("kind", ["directory", "fifo", "symlink loop", "device"])
def test_something_else_in_place_of_the_file_is_one_line_and_never_hangs(
    isolated_home: Path, name: str, command: tuple[str, ...], kind: str
) -> None:
    path = config_dir(isolated_home) / name
    path.parent.mkdir(parents=True)
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    else:
        path.symlink_to(path.name)
    # A FIFO opened for reading would wait for a writer forever: the timeout catches that.
    one_line(run_cttui(*command, timeout=60), path, 2)


# Writing on a read-only or a full filesystem: a small tmpfs in place of the config directory.


@contextlib.contextmanager
def tmpfs(directory: Path) -> Iterator[Path]:
    """A 64 KB filesystem mounted on `directory` for the test; skipped only where mounting is
    not permitted."""
    directory.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        reason = f"cannot mount a tmpfs here ({mounted.stderr.strip() or mounted.returncode})"
        if os.environ.get("CTTUI_REQUIRE_MOUNTS"):
            pytest.fail(f"{reason}; a tmpfs is required (CTTUI_REQUIRE_MOUNTS is set)")
        pytest.skip(f"{reason} (set CTTUI_REQUIRE_MOUNTS=1 to make it a failure)")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


@pytest.fixture
def small_fs(isolated_home: Path) -> Iterator[Path]:
    with tmpfs(config_dir(isolated_home)) as directory:
        yield directory


def read_only(directory: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(directory)], check=True)


def fill(directory: Path) -> None:
    """Every block taken, so that the next write of any size fails with ENOSPC."""
    handle = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(handle, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(handle)


Breaker = Callable[[Path], None]
BREAKERS: dict[str, tuple[Breaker, str]] = {
    "read-only": (read_only, "read-only"),
    "full": (fill, "full"),
}


@pytest.mark.parametrize("case", sorted(BREAKERS))
def test_credentials_use_on_an_unwritable_disk_keeps_the_config(small_fs: Path, case: str) -> None:
    path = small_fs / "config.toml"
    path.write_text(PROFILES)
    breaker, advice = BREAKERS[case]
    breaker(small_fs)
    before = leftovers(small_fs, set())
    line = one_line(run_cttui("credentials", "use", "home"), path, 2)
    assert advice in line, line
    assert path.read_text() == PROFILES
    assert leftovers(small_fs, before) == set()


@pytest.mark.parametrize("case", sorted(BREAKERS))
def test_count_save_on_an_unwritable_disk_keeps_the_favourites_and_sends_nothing(
    small_fs: Path, case: str, emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    path = small_fs / "favorites.toml"
    path.write_text(VALID_FAVORITES)
    breaker, advice = BREAKERS[case]
    breaker(small_fs)
    before = leftovers(small_fs, set())
    result = run_cttui(
        "count", "Charged", "--range", "last_7_days", "--save", "New one", env=emulator_env
    )
    line = one_line(result, path, 2)
    assert advice in line, line
    assert path.read_text() == VALID_FAVORITES
    assert leftovers(small_fs, before) == set()
    assert emulator.requests == []


@pytest.mark.parametrize("case", sorted(BREAKERS))
def test_saving_the_theme_on_an_unwritable_disk_is_one_message_naming_the_file(
    small_fs: Path, case: str
) -> None:
    # The theme is saved by the app alone; its store is what the app calls.
    path = small_fs / "config.toml"
    path.write_text(PROFILES)
    breaker, advice = BREAKERS[case]
    breaker(small_fs)
    before = leftovers(small_fs, set())
    with pytest.raises(UsageError) as raised:
        CredentialStore(path, OsKeyring()).set_theme("nord")
    assert str(path) in raised.value.message
    assert advice in raised.value.message
    assert "\n" not in raised.value.message
    assert path.read_text() == PROFILES
    assert leftovers(small_fs, before) == set()


def test_a_full_state_directory_says_the_pending_req_id_was_not_saved(
    isolated_home: Path, emulator_env: dict[str, str]
) -> None:
    with tmpfs(isolated_home / ".local" / "state" / "cttui") as state:
        fill(state)
        result = run_cttui("count", "Charged", *HEAVY, "--no-wait", env=emulator_env)
    assert result.code == 3, result
    req_id = result.out.strip()
    assert req_id.isdigit()
    last = result.err.strip().splitlines()[-1]
    assert "not saved" in last, result.err
    assert f"cttui poll {req_id}" in last, result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("code", "advice"),
    [
        (errno.ENOSPC, "the disk is full"),
        (errno.EDQUOT, "over quota"),
        (errno.EROFS, "read-only"),
        (errno.EACCES, "permission denied; check the permissions of /x/config.toml"),
        (errno.EPERM, "permission denied"),
    ],
)
def test_the_advice_fits_the_cause(code: int, advice: str) -> None:
    # As root, the tests cannot be refused for permissions: the wording is checked here.
    assert advice in describe(OSError(code, os.strerror(code), "/x/config.toml"))
