"""Fuzzing what users hand cttui: argument lists for the real parser (with invalid UTF-8 as
Python gives it for bytes argv, control and bidi characters), filter values and dates, and
favourites files. Whatever comes in, out comes an exit code and clean lines: never a
traceback, never "unexpected error", never a character a terminal would obey.

Nothing is ever sent: the server is a loopback port with nothing listening, and every command
that would wait is given a tiny --timeout. CTTUI_FUZZ_EXAMPLES scales every test's examples
(`make fuzz` runs ten times the default).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cttui.api.errors import CttuiError
from cttui.api.models import DateRange, PropertyFilter, parse_date
from cttui.cli.main import main
from cttui.store.config import load_config
from cttui.store.favorites_store import read_favorites
from cttui.store.favorites_toml import dump_favorites, parse_favorites

SCALE = float(os.environ.get("CTTUI_FUZZ_EXAMPLES", "1"))


def examples(default: int) -> settings:
    return settings(
        max_examples=max(1, int(default * SCALE)),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# Escape sequences, carriage returns, bidi overrides: what must never reach a terminal raw.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
ODD = "\x00\x07\x08\t\n\r\x1b\x7f\x85\x9b\u061c\u200e\u202e\u2066\u2028\ufeff\udcff"
COMMANDS = ["count", "poll", "favorites", "run", "credentials", "jobs"]
ACTIONS = ["set", "list", "show", "delete", "use", "resume", "resubmit", "--json"]
OPTIONS = [
    "--from", "--to", "--range", "--where", "--save", "--replace", "--json", "--no-wait",
    "--timeout", "--poll-interval", "--profile", "--account-id", "--region", "--yes",
    "--passcode-stdin", "--help", "-h", "--version", "--", "-", "--passcode", "--passcode=x",
]  # fmt: skip
VALUES = [
    "Charged", "App Launched", "last_7_days", "yesterday", "2026-01-31", "20260131", "2026-02-30",
    "0", "-1", "1e309", "nan", "inf", "1", "equals", "greater_than", "exists", "contains", "work",
    "eu1", "W9R-486-4W5Z", "384649162721759", " ", "",
]  # fmt: skip


def undecodable() -> st.SearchStrategy[str]:
    """Bytes as a shell passes them, decoded the way Python decodes argv."""
    return st.binary(max_size=12).map(lambda raw: raw.decode("utf-8", "surrogateescape"))


WORDS = st.one_of(
    st.sampled_from(COMMANDS + ACTIONS + OPTIONS + VALUES),
    st.text(alphabet=st.sampled_from(ODD + "ab-=1 "), max_size=8),
    st.text(max_size=10),
    undecodable(),
)


@pytest.fixture
def offline(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An account that points at a loopback port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("CLEVERTAP_ACCOUNT_ID", "W9R-486-4W5Z")
    monkeypatch.setenv("CLEVERTAP_PASSCODE", "fuzz-passcode")
    monkeypatch.setenv("CTTUI_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("CTTUI_POLL_INTERVAL", "0.05")


def run_main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    stdin = sys.stdin
    sys.stdin = io.StringIO("")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as leaving:  # --help and --version, as argparse does them
                code = leaving.code if isinstance(leaving.code, int) else 2
    finally:
        sys.stdin = stdin
    return code, out.getvalue(), err.getvalue()


def assert_clean(code: int, out: str, err: str) -> None:
    assert code in (0, 1, 2, 3), (code, err)
    for stream in (out, err):
        assert "Traceback" not in stream, stream
        assert "unexpected error" not in stream, stream
    for line in err.splitlines():
        assert line.startswith("cttui: "), err
        assert not UNSAFE.search(line), line
    # JSON on stdout escapes control characters itself; tables and counts have none.
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f]", out), out


def bounded(argv: list[str]) -> list[str]:
    """The argument list, with every wait cut short: nothing is listening anyway."""
    words = set(argv)
    if words & {"count", "poll", "run", "resume", "resubmit"}:
        return [*argv, "--timeout", "0.01"]
    return argv


@examples(1_200)
@given(argv=st.lists(WORDS, max_size=8))
def test_any_argument_list_is_an_exit_code_and_clean_lines(offline: None, argv: list[str]) -> None:
    # The demo would start an emulator, and `emulator` would serve until stopped.
    assume("--demo" not in argv and "emulator" not in argv)
    assert_clean(*run_main(bounded(argv)))


@examples(500)
@given(
    event=WORDS,
    dates=st.tuples(WORDS, WORDS) | st.just(("2026-01-01", "2026-01-31")),
    where=st.lists(st.lists(WORDS, min_size=1, max_size=4), max_size=3),
    save=st.none() | WORDS,
)
def test_count_arguments_are_an_exit_code_and_clean_lines(
    offline: None,
    event: str,
    dates: tuple[str, str],
    where: list[list[str]],
    save: str | None,
) -> None:
    argv = ["count", event, "--from", dates[0], "--to", dates[1]]
    for words in where:
        argv += ["--where", *words]
    if save is not None:
        argv += ["--save", save]
    assume(not any(word.startswith("-") for word in [event, *dates]))
    assert_clean(*run_main(bounded(argv)))


@examples(2_000)
@given(
    name=WORDS,
    operator=st.sampled_from(["equals", "greater_than", "exists", "contains", "less_than"]) | WORDS,
    value=st.none() | WORDS | st.floats().map(repr) | st.integers().map(str),
    start=WORDS | st.dates().map(str),
    end=WORDS | st.dates().map(lambda day: day.strftime("%Y%m%d")),
)
def test_filters_and_dates_are_valid_or_errors_that_say_what_to_fix(
    name: str, operator: str, value: str | None, start: str, end: str
) -> None:
    # Only cttui's own errors, each with a message; the CLI prints them escaped (above).
    for attempt in (
        lambda: PropertyFilter.from_text(name, operator, value).problems(),
        lambda: DateRange.parse(start, end).problems(),
        lambda: [parse_date(end, "to")],
    ):
        found: list[object]
        try:
            found = list(attempt())
        except CttuiError as error:
            found = [error]
        for problem in found:
            assert not isinstance(problem, CttuiError) or problem.message.strip()


def toml_scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.text(max_size=12), st.integers(), st.booleans(), st.dates(), st.floats(allow_nan=False)
    )


def favorite_tables() -> st.SearchStrategy[dict[str, Any]]:
    """[[favorite]] tables, mostly usable and sometimes not, with keys cttui does not know."""
    filters = st.lists(
        st.fixed_dictionaries(
            {
                "name": st.text(min_size=1, max_size=8),
                "operator": st.sampled_from(["equals", "greater_than", "exists", "contains"]),
            },
            optional={"value": toml_scalars(), "colour": st.text(max_size=5)},
        ),
        max_size=3,
    )
    return st.fixed_dictionaries(
        {
            "name": st.text(min_size=1, max_size=20) | st.sampled_from(["Same", "same"]),
            "event_name": st.text(min_size=1, max_size=20),
        },
        optional={
            "range": st.sampled_from(["last_7_days", "yesterday", "someday"]),
            "from": st.dates() | st.text(max_size=10),
            "to": st.dates(),
            "filters": filters,
            "profile": st.text(max_size=10),
            "notes": st.text(max_size=30),
            "mine": st.recursive(toml_scalars(), lambda inner: st.lists(inner, max_size=3)),
        },
    )


@examples(700)
@given(tables=st.lists(favorite_tables(), max_size=6), extra=st.dictionaries(
    st.text(min_size=1, max_size=5).filter(lambda key: key not in ("version", "favorite")),
    toml_scalars(), max_size=2,
))  # fmt: skip
def test_random_favourites_read_back_the_same_once_written(
    tables: list[dict[str, Any]], extra: dict[str, Any]
) -> None:
    path = Path("/nonexistent/favorites.toml")
    text = tomli_w.dumps({"version": 1, **extra, "favorite": tables})
    favorites = parse_favorites(text, path)
    for problem in favorites.problems:
        assert "\n" not in problem.message
        assert str(path) in problem.message
    if favorites.writable:
        again = parse_favorites(dump_favorites(favorites), path)
        assert again.items == favorites.items
        assert again.extra == favorites.extra


@examples(600)
@given(
    text=st.one_of(
        st.text(max_size=200),
        st.text(alphabet=st.sampled_from("[]{}=.\"'#\n ,ab1" + ODD), max_size=120),
        st.builds(lambda depth: "a = " + "[" * depth + "]" * depth, st.integers(0, 3_000)),
    ),
    name=st.sampled_from(["favorites.toml", "config.toml"]),
)
def test_random_toml_text_in_either_file_is_never_a_crash(
    offline: None, isolated_home: Path, text: str, name: str
) -> None:
    path = isolated_home / ".config" / "cttui" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    argv = ["favorites"] if name == "favorites.toml" else ["credentials", "list"]
    try:
        assert_clean(*run_main(argv))
        # The readers themselves: problems and errors, one line each, never anything else.
        if name == "favorites.toml":
            assert all("\n" not in problem.message for problem in read_favorites(path).problems)
        else:
            with contextlib.suppress(CttuiError):
                load_config(path)
    finally:
        path.unlink()
