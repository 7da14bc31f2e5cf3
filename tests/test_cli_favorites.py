"""`cttui favorites`, `cttui run` and `cttui count --range/--save`: the installed binary over
loopback, with favorites.toml in the test's own config dir and the journal in its state dir."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from cttui.api.models import DateRange, PropertyFilter, date_to_int
from cttui.api.operators import Operator
from cttui.api.ranges import RangePreset
from cttui.cli.main import main
from cttui.console import cells
from cttui.emulator import Emulator, EmulatorConfig
from cttui.store.favorites import Favorite
from cttui.store.favorites_store import FavoritesStore
from cttui.store.paths import favorites_file
from tests.conftest import emulator_variables, interrupt_when_said, run_cttui

TODAY = date.today()
HEAVY = DateRange(TODAY - timedelta(days=120), TODAY)
LINE = re.compile(r"^(?P<name>.+?)  +(?P<middle>\S+)  +(?P<rest>.+)$")


@pytest.fixture(scope="module")
def slow_config(tmp_path_factory: pytest.TempPathFactory) -> EmulatorConfig:
    """Every request takes a second and answers its count at once; ten may be in flight, so
    that only cttui's own limit keeps it to three."""
    return EmulatorConfig(
        seed=5,
        profiles=300,
        events=20_000,
        today=TODAY,
        latency=1.0,
        max_concurrent=10,
        partial_after_days=100_000,
        cache_dir=tmp_path_factory.mktemp("favorites-emulator"),
        quiet=True,
    )


@pytest.fixture(scope="module")
def slow_emulator(slow_config: EmulatorConfig) -> Iterator[Emulator]:
    with Emulator(slow_config) as running:
        yield running


def save(*favorites: Favorite) -> Path:
    store = FavoritesStore(favorites_file())
    for favorite in favorites:
        store.save(favorite)
    return store.path


def true_count(emulator: Emulator, favorite: Favorite) -> int:
    query = favorite.query(TODAY)
    return emulator.count(
        query.event_name,
        date_to_int(query.date_range.start),
        date_to_int(query.date_range.end),
        [item.to_payload() for item in query.filters],
    )


def lines_of(out: str) -> list[tuple[str, str, str]]:
    rows = []
    for line in out.splitlines():
        found = LINE.match(line)
        assert found, line
        rows.append((found["name"], found["middle"], found["rest"]))
    return rows


def span(favorite: Favorite) -> str:
    dates = favorite.query(TODAY).date_range
    return f"{dates.start.isoformat()}..{dates.end.isoformat()}"


WEEKLY = Favorite("weekly buyers", "Charged", dates=RangePreset.LAST_7_DAYS)
LAUNCHES = Favorite("launches", "App Launched", dates=RangePreset.LAST_30_DAYS)
GONE = Favorite("gone", "Uninstalled", dates=RangePreset.LAST_7_DAYS)
HEAVY_VIEWS = Favorite("heavy views", "Product Viewed", dates=HEAVY)


def test_run_six_favourites_three_at_a_time_prints_each_count_in_argument_order(
    slow_emulator: Emulator,
) -> None:
    six = [
        WEEKLY,
        Favorite(
            "big spenders",
            "Charged",
            (PropertyFilter("Amount", Operator.GREATER_THAN, 100),),
            RangePreset.LAST_30_DAYS,
        ),
        LAUNCHES,
        Favorite("viewers", "Product Viewed", dates=DateRange(TODAY - timedelta(days=40), TODAY)),
        Favorite("carts", "Added To Cart", dates=RangePreset.LAST_MONTH),
        Favorite(
            "android",
            "App Launched",
            (PropertyFilter("Platform", Operator.EQUALS, "Android"),),
            RangePreset.THIS_MONTH,
        ),
    ]
    save(*six)
    order = [six[index] for index in (3, 0, 5, 1, 4, 2)]
    # One name typed in another case: favourites are found regardless of case.
    names = [favorite.name for favorite in order]
    names[1] = names[1].upper()
    result = run_cttui("run", *names, env=emulator_variables(slow_emulator))
    assert result.code == 0, result.err
    assert lines_of(result.out) == [
        (favorite.name, str(true_count(slow_emulator, favorite)), span(favorite))
        for favorite in order
    ]
    assert slow_emulator.max_in_flight == 3
    assert [request.method for request in slow_emulator.requests] == ["POST"] * 6


def test_run_an_unknown_name_exits_2_naming_the_known_ones_and_sends_nothing(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    save(WEEKLY, LAUNCHES)
    result = run_cttui("run", "launches", "weekly", env=emulator_env)
    assert result.code == 2
    assert result.out == ""
    assert result.err == ("cttui: no favourite named 'weekly' (known: weekly buyers, launches)\n")
    assert emulator.requests == []


def test_run_with_no_favourites_file_says_how_to_save_one(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    result = run_cttui("run", "weekly", env=emulator_env)
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert "no favourite named 'weekly': none saved yet" in result.err
    assert "--save NAME" in result.err
    assert emulator.requests == []


def test_run_a_failing_favourite_exits_1_and_the_others_still_count(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    save(WEEKLY, GONE, LAUNCHES)
    # A name given twice runs once.
    result = run_cttui(
        "run", "weekly buyers", "gone", "launches", "Weekly Buyers", env=emulator_env
    )
    assert result.code == 1, result.err
    assert lines_of(result.out) == [
        ("weekly buyers", str(true_count(emulator, WEEKLY)), span(WEEKLY)),
        ("gone", "failed", "CleverTap refused the query: Invalid event : Uninstalled"),
        ("launches", str(true_count(emulator, LAUNCHES)), span(LAUNCHES)),
    ]
    assert [request.method for request in emulator.requests] == ["POST"] * 3
    assert "Traceback" not in result.err


def test_run_a_favourite_on_an_unknown_profile_fails_alone(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    save(Favorite("at work", "Charged", profile="work"), WEEKLY)
    result = run_cttui("run", "at work", "weekly buyers", env=emulator_env)
    assert result.code == 1, result.err
    assert lines_of(result.out) == [
        ("at work", "failed", "no profile named 'work' (none saved yet: add one with "
         "'cttui credentials set')"),
        ("weekly buyers", str(true_count(emulator, WEEKLY)), span(WEEKLY)),
    ]  # fmt: skip
    assert [request.method for request in emulator.requests] == ["POST"]


def test_run_no_wait_on_a_partial_favourite_exits_3_and_leaves_it_pending(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    save(HEAVY_VIEWS, WEEKLY)
    result = run_cttui("run", "heavy views", "weekly buyers", "--no-wait", env=emulator_env)
    assert result.code == 3, result.err
    [post] = [
        request for request in emulator.requests if request.body and "Product" in request.body
    ]
    req_id = str(post.response["req_id"])  # type: ignore[index]
    assert lines_of(result.out) == [
        ("heavy views", "pending", f"req_id {req_id}"),
        ("weekly buyers", str(true_count(emulator, WEEKLY)), span(WEEKLY)),
    ]
    assert [request.method for request in emulator.requests] == ["POST"] * 2
    assert "cttui: 1 still pending; 'cttui jobs resume' finishes them" in result.err

    listed = run_cttui("jobs", "--json")
    jobs = {job["req_id"]: job for job in json.loads(listed.out)}
    assert jobs[req_id]["state"] == "pending"

    # Finished later by 'jobs resume', its count still joins the favourite's history.
    resumed = run_cttui("jobs", "resume", env=emulator_env)
    assert resumed.code == 0, resumed.err
    shown = run_cttui("favorites", "--json")
    runs = {item["name"]: item["runs"] for item in json.loads(shown.out)}
    assert [run["count"] for run in runs["heavy views"]] == [true_count(emulator, HEAVY_VIEWS)]


def test_run_json_is_one_array_at_the_end(emulator: Emulator, emulator_env: dict[str, str]) -> None:
    save(HEAVY_VIEWS, GONE, WEEKLY)
    result = run_cttui(
        "run", "heavy views", "gone", "weekly buyers", "--no-wait", "--json", env=emulator_env
    )
    assert result.code == 1, result.err
    pending, failed, done = json.loads(result.out)
    assert pending["status"] == "partial"
    assert isinstance(pending["req_id"], int)
    assert (pending["from"], pending["to"]) == (HEAVY.start.isoformat(), HEAVY.end.isoformat())
    assert failed["status"] == "fail"
    assert failed["error"] == "CleverTap refused the query: Invalid event : Uninstalled"
    assert done["status"] == "success"
    assert done["count"] == true_count(emulator, WEEKLY)
    assert isinstance(done["job"], int)
    assert done["name"] == "weekly buyers"


def test_run_timeout_cancels_what_the_server_has_not_answered(
    slow_config: EmulatorConfig,
) -> None:
    four = [
        Favorite(f"slow {n}", "Charged", dates=DateRange(TODAY - timedelta(days=n), TODAY))
        for n in range(4)
    ]
    save(*four)
    # An emulator of its own: the requests cut off here are still answered after the test.
    with Emulator(slow_config) as slow:
        names = [item.name for item in four]
        result = run_cttui("run", *names, "--timeout", "0.5", env=emulator_variables(slow))
    assert result.code == 1, result.err
    unsent = "--timeout came before the server answered; nothing is pending, run it again"
    assert lines_of(result.out) == [(item.name, "failed", unsent) for item in four]
    # Cancelled, so that no later 'cttui jobs resume' sends what the user was told is not sent.
    jobs = json.loads(run_cttui("jobs", "--json").out)
    assert [job["state"] for job in jobs] == ["cancelled"] * 4


def test_run_timeout_leaves_a_partial_favourite_pending(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    save(HEAVY_VIEWS)
    result = run_cttui(
        "run", "heavy views", "--poll-interval", "60", "--timeout", "1", env=emulator_env
    )
    assert result.code == 3, result.err
    [post] = emulator.requests
    assert lines_of(result.out) == [
        ("heavy views", "pending", f"req_id {post.response['req_id']}")  # type: ignore[index]
    ]


def test_favorites_lists_each_ones_last_count_and_runs_from_the_journal(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    save(WEEKLY, HEAVY_VIEWS, replace_notes(LAUNCHES, "the Monday number"))
    for _ in range(2):
        assert run_cttui("run", "weekly buyers", env=emulator_env).code == 0
    assert run_cttui("run", "launches", env=emulator_env).code == 0
    weekly, launches = true_count(emulator, WEEKLY), true_count(emulator, LAUNCHES)

    listed = run_cttui("favorites", "--json")
    assert listed.code == 0, listed.err
    by_name = {item["name"]: item for item in json.loads(listed.out)}
    assert list(by_name) == ["weekly buyers", "heavy views", "launches"]
    item = by_name["weekly buyers"]
    assert {key: item[key] for key in ("event_name", "filters", "range", "profile")} == {
        "event_name": "Charged",
        "filters": [],
        "range": "last_7_days",
        "profile": None,
    }
    assert (item["from"], item["to"]) == tuple(span(WEEKLY).split(".."))
    assert [run["count"] for run in item["runs"]] == [weekly, weekly]
    last = item["runs"][-1]
    assert (last["from"], last["to"]) == (item["from"], item["to"])
    assert datetime.fromisoformat(last["at"]).utcoffset() is not None
    assert by_name["heavy views"]["range"] is None
    assert by_name["heavy views"]["runs"] == []
    assert by_name["launches"]["notes"] == "the Monday number"

    plain = run_cttui("favorites")
    assert plain.code == 0, plain.err
    header, *rows = plain.out.splitlines()
    assert header.split() == [
        "NAME", "QUERY", "RANGE", "PROFILE", "LAST", "CHANGE", "WHEN", "RUNS",
    ]  # fmt: skip
    when = datetime.fromisoformat(last["at"]).strftime("%Y-%m-%d %H:%M")
    assert rows[0].startswith("weekly buyers  Charged")
    assert "Last 7 days" in rows[0]
    # Both of its runs are of the same seven days: no change to show.
    assert rows[0].split()[-4:] == [str(weekly), *when.split(), "2"]
    # Never run: no last count, no time, no runs.
    assert rows[1].split()[-2:] == [span(HEAVY_VIEWS), "0"]
    launched = datetime.fromisoformat(by_name["launches"]["runs"][-1]["at"])
    assert rows[2].split()[-4:] == [str(launches), *f"{launched:%Y-%m-%d %H:%M}".split(), "1"]


def replace_notes(favorite: Favorite, notes: str) -> Favorite:
    from dataclasses import replace

    return replace(favorite, notes=notes)


def test_favorites_with_none_saved_says_how_to_save_one() -> None:
    result = run_cttui("favorites")
    assert (result.code, result.out) == (0, "")
    assert result.err == (
        "cttui: no favourites yet: save one with ctrl+s in the app, or "
        "'cttui count ... --save NAME'\n"
    )


BROKEN = """version = 1

[[favorite]]
name = "good"
event_name = "Charged"
range = "last_7_days"

[[favorite]]
name = "bad"
event_name = "Charged"
  range = "last_fortnight"
"""


def test_a_broken_file_lists_the_good_ones_names_the_problem_and_is_left_alone(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    path = favorites_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BROKEN)
    before = path.read_bytes()

    listed = run_cttui("favorites")
    assert listed.code == 2
    _, good = listed.out.splitlines()
    assert good.startswith("good ")
    problem = f"cttui: {path}:11:3: favourite 'bad': unknown range 'last_fortnight'; use one of"
    assert listed.err.startswith(problem)
    assert listed.err.count("\n") == 1

    as_json = run_cttui("favorites", "--json")
    assert as_json.code == 2
    assert [item["name"] for item in json.loads(as_json.out)] == ["good"]

    broken = run_cttui("run", "good", "bad", env=emulator_env)
    assert broken.code == 2
    assert broken.err.startswith(problem)

    saving = run_cttui(
        "count", "Charged", "--range", "today", "--save", "another", env=emulator_env
    )
    assert saving.code == 2
    assert f"{path}:11:3" in saving.err
    assert "fix it first" in saving.err
    assert emulator.requests == []
    assert path.read_bytes() == before


def test_count_range_save_keeps_the_relative_range_and_its_run(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    result = run_cttui(
        "count", "Charged", "--where", "Amount", "greater_than", "50",
        "--range", "last_7_days", "--save", "weekly", env=emulator_env,
    )  # fmt: skip
    assert result.code == 0, result.err
    saved = Favorite(
        "weekly",
        "Charged",
        (PropertyFilter("Amount", Operator.GREATER_THAN, 50),),
        RangePreset.LAST_7_DAYS,
    )
    expected = true_count(emulator, saved)
    assert result.out == f"{expected}\n"
    path = favorites_file()
    assert f"cttui: saved favourite 'weekly' in {path}\n" in result.err
    [entry] = tomllib.loads(path.read_text())["favorite"]
    assert entry == {
        "name": "weekly",
        "event_name": "Charged",
        "filters": [{"name": "Amount", "operator": "greater_than", "value": 50}],
        "range": "last_7_days",
    }
    listed = json.loads(run_cttui("favorites", "--json").out)
    assert [[run["count"] for run in item["runs"]] for item in listed] == [[expected]]


def test_count_save_of_another_query_needs_replace(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    dates = ["--from", (TODAY - timedelta(days=9)).isoformat(), "--to", TODAY.isoformat()]
    first = run_cttui("count", "Charged", *dates, "--save", "q", env=emulator_env)
    assert first.code == 0, first.err
    path = favorites_file()
    before = path.read_bytes()
    assert tomllib.loads(before.decode())["favorite"][0]["from"] == TODAY - timedelta(days=9)

    # The same query under the same name just runs.
    again = run_cttui("count", "Charged", *dates, "--save", "Q", env=emulator_env)
    assert again.code == 0, again.err
    assert "saved favourite" not in again.err
    assert path.read_bytes() == before

    emulator.reset_log()
    other = run_cttui("count", "App Launched", *dates, "--save", "q", env=emulator_env)
    assert other.code == 2
    assert other.err == (
        "cttui: a favourite named 'q' already holds another query; add --replace to overwrite "
        "it, or --save another name\n"
    )
    assert emulator.requests == []
    assert path.read_bytes() == before

    replaced = run_cttui(
        "count", "App Launched", *dates, "--save", "q", "--replace", env=emulator_env
    )
    assert replaced.code == 0, replaced.err
    [entry] = tomllib.loads(path.read_text())["favorite"]
    assert (entry["name"], entry["event_name"]) == ("q", "App Launched")
    runs = {item["name"]: item["runs"] for item in json.loads(run_cttui("favorites", "--json").out)}
    assert len(runs["q"]) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--range", "last_7_days", "--from", "20150101"],
         "--range cannot go with --from; give --range alone, or both dates"),
        ([], "the following arguments are required: --from and --to, or --range"),
        (["--to", "20150101"],
         "the following arguments are required: --from, or use --range instead of --to"),
        (["--range", "fortnight"], "invalid choice: 'fortnight' (choose from 'today', "),
        (["--range", "today", "--replace"], "--replace goes with --save NAME"),
        (["--range", "today", "--save", " "], "a favourite needs a name"),
    ],
)  # fmt: skip
def test_count_date_usage_errors_are_one_line_and_exit_2(
    args: list[str],
    message: str,
    emulator: Emulator,
    emulator_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in emulator_env.items():
        monkeypatch.setenv(name, value)
    assert main(["count", "Charged", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith("cttui: ")
    assert message in line
    assert emulator.requests == []
    assert not favorites_file().exists()


def test_help_names_the_presets_and_the_new_commands() -> None:
    usage = run_cttui("count", "--help")
    for word in ("--range", "last_7_days", "this_month", "--save", "--replace"):
        assert word in usage.out
    top = run_cttui("--help")
    for word in ("favorites", "run", "--save NAME"):
        assert word in top.out


def test_interrupted_run_says_the_unfinished_jobs_stay_in_the_journal(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    save(HEAVY_VIEWS)
    code, last = interrupt_when_said(
        ["run", "heavy views", "--poll-interval", "60"],
        emulator_env,
        "heavy views: pending as req_id",
    )
    assert code == 130
    assert last == (
        "cttui: interrupted; 1 unfinished job(s) stay in the journal: 'cttui jobs resume' "
        "picks them up"
    )
    [job] = json.loads(run_cttui("jobs", "--json").out)
    assert job["state"] == "pending"


def test_favorites_table_lines_up_wide_and_combining_names_in_terminal_cells(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # 売上 is four cells wide in two characters; "café" spelt with a combining accent is four
    # cells in five characters: the NAME column is as wide as "weekly", six cells.
    names = ("売上", "weekly", "cafe\u0301")
    save(*(Favorite(name, "Charged", dates=RangePreset.LAST_7_DAYS) for name in names))
    assert main(["favorites"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.startswith("NAME    QUERY")
    assert [row.split("Charged")[0] for row in rows] == ["売上    ", "weekly  ", "cafe\u0301    "]


def column_starts(line: str) -> list[int]:
    """The terminal column at which each field of a table line starts: fields are two spaces
    or more apart, and a character takes as many columns as a terminal gives it."""
    starts, column, gap = [], 0, 2
    for char in line:
        if char != " " and gap >= 2:
            starts.append(column)
        gap = gap + 1 if char == " " else 0
        column += cells(char)
    return starts


def test_favorites_table_cuts_what_is_too_wide_by_its_cells_and_keeps_the_columns_in_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A name of 60 wide characters is 120 cells: cut to 60, as an ASCII name of 60 is shown
    # whole. A query of wide characters is cut at 40 cells, not 40 characters.
    long_name, event = "売上" * 30, "😀売上" * 20
    names = (long_name, "a" * 60, "weekly", "cafe\u0301 ☕")
    save(*(Favorite(name, event, dates=RangePreset.LAST_7_DAYS) for name in names))
    assert main(["favorites"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert len(rows) == 4
    # NAME, QUERY and RANGE start where the header's do; RUNS, aligned right, ends there.
    assert all(column_starts(row)[:3] == column_starts(header)[:3] for row in rows), rows
    assert all(cells(row) == cells(header) for row in rows), [header, *rows]
    assert column_starts(header)[1] == 62
    assert rows[0].startswith("売上" * 14 + "売…  ")
    assert rows[1].startswith("a" * 60 + "  ")
    query = "😀売上" * 6 + "😀…"
    assert cells(query) == 39
    assert all(f"  {query}  " in row for row in rows)


def test_run_lines_up_wide_names_in_cells_and_cuts_one_too_wide(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    long_name = "売上" * 30
    favorites = [
        Favorite(name, "Charged", dates=RangePreset.LAST_7_DAYS)
        for name in (long_name, "😀 launches", "cafe\u0301", "weekly")
    ]
    save(*favorites)
    result = run_cttui("run", *(favorite.name for favorite in favorites), env=emulator_env)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert len(lines) == 4
    # The count starts in the same column on every line, two cells after a 60-cell name.
    assert {column_starts(line)[1] for line in lines} == {62}, lines
    assert lines[0].startswith("売上" * 14 + "売…  ")
    assert [line.split()[-1] for line in lines] == [span(favorites[0])] * 4


def test_run_on_the_environment_alone_ignores_a_broken_config_toml(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    from cttui.store.paths import config_file

    save(WEEKLY)
    config_file().write_text("this is [not toml")
    result = run_cttui("run", "weekly buyers", env=emulator_env)
    assert result.code == 0, result.err
    assert lines_of(result.out) == [
        ("weekly buyers", str(true_count(emulator, WEEKLY)), span(WEEKLY))
    ]
