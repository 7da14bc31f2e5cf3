"""`cttui series` and the alerts of `cttui series` and `cttui run`: the installed binary over
loopback, favorites.toml in the test's config dir, the journal on disk."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from cttui.api.periods import Every, periods
from cttui.emulator import Emulator
from cttui.store.favorites import Favorite
from cttui.store.paths import journal_file
from tests.conftest import CTTUI, emulator_variables, run_cttui
from tests.test_cli_favorites import save

WEEKLY = Favorite("weekly buyers", "Charged", ())


def lines(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines()]


def test_series_prints_one_line_per_week_in_order_and_counts_each_once(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    save(WEEKLY)
    today = emulator.config.resolved_today()
    expected = periods(Every.WEEK, 4, today)
    result = run_cttui(
        "series", "weekly buyers", "--every", "week", "--last", "4", env=emulator_env
    )
    assert result.code == 0, result.err
    rows = lines(result.out)
    assert [(row[0], row[1]) for row in rows] == [
        (p.dates.start.isoformat(), p.dates.end.isoformat()) for p in expected
    ]
    assert rows[-1][-2:] == ["(under", "way)"]
    assert "4 weeks: 4 asked" in result.err
    again = run_cttui("series", "weekly buyers", "--last", "4", env=emulator_env)
    assert again.code == 0, again.err
    assert "3 known already (3 request(s) saved)" in again.err
    assert [row[2] for row in lines(again.out)][:3] == [row[2] for row in rows][:3]


def test_series_json_parses_back_with_the_change_from_the_week_before(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    save(WEEKLY)
    result = run_cttui(
        "series", "weekly buyers", "--last", "3", "--no-current", "--json", env=emulator_env
    )
    assert result.code == 0, result.err
    points = json.loads(result.out)
    assert [point["status"] for point in points] == ["success"] * 3
    assert all(isinstance(point["count"], int) for point in points)
    assert "previous_count" not in points[0]
    for earlier, later in itertools.pairwise(points):
        assert later["previous_count"] == earlier["count"]
        assert later["change"] == later["count"] - earlier["count"]
        assert later["previous_from"] == earlier["from"]


def test_series_of_an_inline_query(emulator: Emulator, emulator_env: dict[str, str]) -> None:
    result = run_cttui(
        "series", "--event", "Charged", "--where", "Amount", "greater_than", "10",
        "--every", "day", "--last", "3", env=emulator_env,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert len(result.out.splitlines()) == 3


def test_the_day_under_way_is_compared_with_no_whole_day(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    save(WEEKLY)
    result = run_cttui(
        "series", "weekly buyers", "--every", "day", "--last", "3", "--json", env=emulator_env
    )
    assert result.code == 0, result.err
    before, yesterday, today = json.loads(result.out)
    assert today["current"]
    assert not yesterday["current"]
    # Today so far against the whole of yesterday would be a fall every morning.
    assert today.get("previous_count") is None
    assert yesterday["previous_count"] == before["count"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("series",), "name a favourite"),
        (("series", "nope", "--event", "X"), "not both"),
        (("series", "nope"), "no favourite named 'nope'"),
        (("series", "--event", "X", "--last", "0"), "--last"),
        (("series", "--event", "X", "--every", "year"), "invalid choice"),
        (("series", "--event", "X", "--alert-change-below", "-twenty"), "percentage"),
    ],
)
def test_series_bad_input_is_one_line_and_exit_2(
    emulator_env: dict[str, str], args: tuple[str, ...], said: str
) -> None:
    result = run_cttui(*args, env=emulator_env)
    assert result.code == 2
    assert said in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_a_breached_limit_exits_4_saying_which_and_by_how_much(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    save(Favorite("weekly buyers", "Charged", (), extra={"alert": {"below": 10_000_000}}))
    result = run_cttui("series", "weekly buyers", "--last", "2", "--no-current", env=emulator_env)
    assert result.code == 4, result.err
    alert = [line for line in result.err.splitlines() if "alert:" in line]
    assert len(alert) == 1
    assert "is below 10,000,000 by" in alert[0]
    # A flag in place of the file's limit: nothing breached.
    calm = run_cttui(
        "series", "weekly buyers", "--last", "2", "--no-current", "--alert-below", "0",
        env=emulator_env,
    )  # fmt: skip
    assert calm.code == 0, calm.err


def test_run_alerts_on_a_change_below_a_percentage(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    save(WEEKLY)
    filled = run_cttui("series", "weekly buyers", "--last", "3", "--no-current", env=emulator_env)
    assert filled.code == 0, filled.err
    # The change of each week from the one before lies between -100% and +inf: a limit of
    # +1000% is breached by any count that did not grow elevenfold.
    result = run_cttui(
        "series", "weekly buyers", "--last", "3", "--no-current",
        "--alert-change-below", "+1000%", env=emulator_env,
    )  # fmt: skip
    assert result.code == 4, result.err
    assert "is below +1000%" in result.err
    assert "vs " in result.err


def test_a_bad_alert_in_the_file_is_one_line_naming_the_favourite(
    emulator_env: dict[str, str],
) -> None:
    save(Favorite("weekly buyers", "Charged", (), extra={"alert": {"below": "many"}}))
    result = run_cttui("series", "weekly buyers", env=emulator_env)
    assert result.code == 2
    assert "weekly buyers" in result.err
    assert "whole number" in result.err


def journal_jobs() -> list[tuple[int, str, str | None, str]]:
    db = sqlite3.connect(journal_file())
    try:
        return [
            (row[0], row[1], row[2], row[3])
            for row in db.execute("SELECT id, state, req_id, body FROM jobs ORDER BY id")
        ]
    finally:
        db.close()


def test_a_series_killed_half_way_loses_nothing_and_the_next_asks_only_what_is_missing(
    partial_emulator: Emulator,
) -> None:
    env = emulator_variables(partial_emulator)
    save(WEEKLY)
    process = subprocess.Popen(
        [CTTUI, "series", "weekly buyers", "--last", "8", "--no-current"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                jobs = journal_jobs() if journal_file().exists() else []
            except sqlite3.OperationalError:  # made, not yet migrated
                jobs = []
            if sum(req_id is not None for _, _, req_id, _ in jobs) >= 3:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the series never got three req_ids")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        process.kill()
    before = journal_jobs()
    pending = {
        body for _, state, req_id, body in before if req_id is not None and state == "pending"
    }
    posted_before = len([r for r in partial_emulator.requests if r.method == "POST"])
    result = run_cttui(
        "series", "weekly buyers", "--last", "8", "--no-current", env=env, timeout=120
    )
    assert result.code == 0, result.err
    assert "taken up from an earlier run" in result.err
    after = journal_jobs()
    # No period asked twice: one job per week, those of the first run kept.
    assert len(after) == 8
    assert [job[0] for job in before] == [job[0] for job in after][: len(before)]
    assert all(state == "done" for _, state, _, _ in after)
    later_posts = [r.body for r in partial_emulator.requests[posted_before:] if r.method == "POST"]
    assert not set(later_posts) & pending
    # (A POST the server refused with 429 is sent again: the killed run's requests were still
    # in flight there.)
    assert len(set(later_posts)) + len(pending) <= 8


def test_count_compare_previous_counts_the_range_before_and_prints_the_change(
    emulator_env: dict[str, str],
) -> None:
    args = ("count", "Charged", "--from", "2026-01-12", "--to", "2026-01-18")
    result = run_cttui(*args, "--compare", "previous", "--json", env=emulator_env)
    assert result.code == 0, result.err
    found = json.loads(result.out)
    alone = run_cttui(
        "count", "Charged", "--from", "2026-01-05", "--to", "2026-01-11", env=emulator_env
    )
    assert found["previous_count"] == int(alone.out)
    assert (found["previous_from"], found["previous_to"]) == ("2026-01-05", "2026-01-11")
    assert found["change"] == found["count"] - found["previous_count"]
    plain = run_cttui(*args, "--compare", "previous", env=emulator_env)
    assert plain.code == 0, plain.err
    assert plain.out.startswith(
        f"{found['count']} 2026-01-12..01-18  vs  {found['previous_count']} 2026-01-05..01-11"
    )
    # Both ranges were counted before: nothing is asked.
    assert "2 known already" in plain.err


def test_run_says_the_change_and_alerts_only_when_nothing_failed(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    save(
        Favorite("weekly buyers", "Charged", (), extra={"alert": {"above": 0}}),
        Favorite("lost", "Charged", (), profile="no-such-profile"),
    )
    result = run_cttui("run", "weekly buyers", "--compare", "previous", "--json", env=emulator_env)
    assert result.code == 4, result.err
    (found,) = json.loads(result.out)
    assert found["change"] == found["count"] - found["previous_count"]
    assert "alert: weekly buyers" in result.err
    assert "is above 0 by" in result.err
    plain = run_cttui("run", "weekly buyers", "--compare", "previous", env=emulator_env)
    assert f"vs {found['previous_from']}.." in plain.out
    failing = run_cttui("run", "weekly buyers", "lost", env=emulator_env)
    assert failing.code == 1
    assert "alert: weekly buyers" in failing.err


def test_series_csv_parses_back_and_o_writes_the_same_bytes(
    emulator: Emulator, emulator_env: dict[str, str], tmp_path: Path
) -> None:
    save(WEEKLY)
    args = ("series", "weekly buyers", "--last", "3", "--no-current", "--format", "csv")
    # Counted first: the two runs compared below both find every week known.
    assert run_cttui(*args, env=emulator_env).code == 0
    # Bytes, as a redirect gets them: text mode would turn the CSV's CRLF into LF.
    printed = subprocess.run(
        [CTTUI, *args],
        env={**os.environ, **emulator_env},
        capture_output=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=60,
    )
    assert printed.returncode == 0, printed.stderr
    rows = list(csv.DictReader(io.StringIO(printed.stdout.decode(), newline="")))
    assert [row["status"] for row in rows] == ["success"] * 3
    assert [row["known"] for row in rows] == ["True"] * 3
    assert all(row["count"].isdigit() for row in rows)
    assert rows[1]["previous_count"] == rows[0]["count"]
    assert printed.stdout.endswith(b"\r\n")
    target = tmp_path / "weeks.csv"
    written = run_cttui(*args, "-o", str(target), env=emulator_env)
    assert written.code == 0, written.err
    assert written.out == ""
    assert target.read_bytes() == printed.stdout
    nowhere = run_cttui(*args, "-o", str(tmp_path / "missing" / "x.csv"), env=emulator_env)
    assert nowhere.code == 2
    assert len(nowhere.err.strip().splitlines()) == 1


def test_favorites_lists_the_change_of_the_last_count(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    save(WEEKLY)
    filled = run_cttui(
        "series", "weekly buyers", "--last", "2", "--no-current", "--json", env=emulator_env
    )
    assert filled.code == 0, filled.err
    earlier, later = json.loads(filled.out)
    listed = run_cttui("favorites", "--json", env=emulator_env)
    (favorite,) = json.loads(listed.out)
    assert favorite["change"]["previous_count"] == earlier["count"]
    assert favorite["change"]["change"] == later["count"] - earlier["count"]
    table = run_cttui("favorites", env=emulator_env)
    assert "CHANGE" in table.out.splitlines()[0]
