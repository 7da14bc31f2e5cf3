"""Kill cttui with jobs pending, start it again: every job ends with the emulator's count, and no
job that had a req_id is POSTed twice. The real binary, SIGKILL, and the journal on disk."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from cttui.api.models import date_to_int
from cttui.cli.connect import demo_emulator_config
from cttui.emulator import Emulator, EmulatorConfig
from tests.conftest import CTTUI, DEFAULTS, emulator_variables, require, run_cttui, wait_for
from tests.test_terminal import EDITOR_READY, isolated_env
from tests.tmux import Terminal

TODAY = date.today()
START = TODAY - timedelta(days=90)
EVENTS = ("Charged", "App Launched", "Product Viewed", "Added To Cart", "Notification Clicked")


@pytest.fixture(scope="module")
def slow_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """Every count is partial, and takes 45 s: long enough for three cttui started at once to be
    pending together and killed mid-way, even on a loaded machine (4 s was not: one count was
    done before the last cttui had sent its POST; 20 s failed once beside stress-ng and a full
    suite, once the emulator answered at once rather than 44 ms later)."""
    config = EmulatorConfig(
        seed=11,
        profiles=1_000,
        events=20_000,
        today=TODAY,
        partial_after_days=0,
        compute_seconds=45,
        cache_dir=tmp_path_factory.mktemp("restart-emulator"),
    )
    with Emulator(config) as running:
        yield running


def journal_path(demo: bool = False) -> Path:
    state = Path(os.environ["XDG_STATE_HOME"]) / "cttui"
    return (state / "demo" if demo else state) / "journal.sqlite3"


def journal_rows(demo: bool = False) -> list[tuple[int, str, str | None, int | None, str]]:
    """(id, state, req_id, count, event) of every job, read as another program would."""
    path = journal_path(demo)
    if not path.exists():
        return []
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            rows = db.execute(
                "SELECT id, state, req_id, count, json_extract(body, '$.event_name') FROM jobs "
                "ORDER BY id"
            ).fetchall()
    except sqlite3.OperationalError:  # cttui is creating it right now
        return []
    return [tuple(row) for row in rows]


def true_count(emulator: Emulator, event: str) -> int:
    return emulator.count(event, date_to_int(START), date_to_int(TODAY))


def test_killed_count_commands_resume_with_their_req_ids(
    slow_emulator: Emulator, tmp_path: Path
) -> None:
    env = {**os.environ, **emulator_variables(slow_emulator, 0.3)}
    errors = [tmp_path / f"stderr-{n}" for n in range(3)]
    runs = []
    for event, error_path in zip(EVENTS[:3], errors, strict=True):
        with error_path.open("wb") as stderr:
            runs.append(
                subprocess.Popen(
                    [CTTUI, "count", event, "--from", START.isoformat(), "--to", TODAY.isoformat()],
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                )
            )
    try:
        seen: list[list[tuple[str, bool]]] = [[]]

        def three_pending() -> bool:
            # A cttui that has given up will never be pending: say why at once.
            for run, error_path in zip(runs, errors, strict=True):
                if run.poll() is not None:
                    raise AssertionError(
                        f"a cttui count exited with {run.returncode} before three jobs were "
                        f"pending: {error_path.read_text()!r}"
                    )
            seen[0] = [(row[1], bool(row[2])) for row in journal_rows()]
            return seen[0] == [("pending", True)] * 3

        try:
            wait_for(three_pending, "three pending jobs in the journal", limit=90)
        except AssertionError as error:
            raise AssertionError(f"{error}; the journal had (state, req_id?) {seen[0]}") from None
    finally:
        for run in runs:
            run.send_signal(signal.SIGKILL)
            run.wait(timeout=60)
    before = journal_rows()
    assert [run.returncode for run in runs] == [-signal.SIGKILL] * 3
    assert sum(r.method == "POST" for r in slow_emulator.requests) == 3

    resumed = run_cttui("jobs", "resume", env=emulator_variables(slow_emulator, 0.3), timeout=120)
    assert resumed.code == 0, resumed.err
    after = journal_rows()
    assert [(job_id, req_id) for job_id, _, req_id, _, _ in after] == [
        (job_id, req_id) for job_id, _, req_id, _, _ in before
    ]
    for _, state, _, count, event in after:
        assert (state, count) == ("done", true_count(slow_emulator, event))
        assert f"{count:,} profiles" in resumed.out
    assert {r.method for r in slow_emulator.requests} == {"GET"}
    polled = {r.query["req_id"] for r in slow_emulator.requests}
    assert polled == {req_id for _, _, req_id, _, _ in before}

    # What the journal now says, as scripts and people read it.
    listed = run_cttui("jobs", "--json")
    assert listed.code == 0, listed.err
    assert [(job["id"], job["state"], job["count"]) for job in json.loads(listed.out)] == [
        (job_id, state, count) for job_id, state, _, count, _ in after
    ]
    first_id, _, first_req_id, first_count, _ = after[0]
    shown = run_cttui("jobs", "show", str(first_id))
    assert shown.code == 0, shown.err
    assert f"req_id    {first_req_id}" in shown.out
    assert f"{first_count:,} profiles" in shown.out
    assert "submit  partial: req_id" in shown.out
    assert f"curl -X POST {slow_emulator.base_url}" in shown.out
    assert DEFAULTS.passcode not in listed.out + shown.out
    assert run_cttui("jobs", "show", "99").code == 2


def test_killed_app_finishes_every_job_when_opened_again(
    slow_emulator: Emulator, tmp_path: Path
) -> None:
    """The issue's own scenario: five queries sent, the terminal killed, cttui opened again."""
    tmux = require("tmux", "CTTUI_REQUIRE_TMUX")
    env = {**isolated_env(), **emulator_variables(slow_emulator, 0.3)}
    with Terminal(tmux, tmp_path / "first.sock") as terminal:
        terminal.start([CTTUI], env)
        terminal.wait_for(EDITOR_READY, limit=60)
        # The default range is the last 30 days; every count on this emulator is partial.
        for number, event in enumerate(EVENTS, 1):
            terminal.send_keys(event, literal=True)
            terminal.wait_for(rf".*Event +{event} ")
            terminal.send_keys("C-r")
            terminal.wait_for(rf".* {number}  {event} ")
            terminal.send_keys("C-l")
            terminal.wait_for(r".*Event +the exact event name")
        wait_for(
            lambda: len(journal_rows()) == 5 and all(row[2] for row in journal_rows()),
            f"five jobs with a req_id in the journal: {journal_rows()}",
        )
        assert {row[1] for row in journal_rows()} <= {"pending", "done"}
        pid = terminal.pane_child_pid()
        os.kill(pid, signal.SIGKILL)
        # The killed app leaves the terminal as it was: the shell writes wherever the cursor is.
        terminal.wait_for(r".*EXIT=137")
    posts = sum(r.method == "POST" for r in slow_emulator.requests)
    assert posts == 5

    with Terminal(tmux, tmp_path / "second.sock") as terminal:
        terminal.start([CTTUI], env)
        wait_for(
            lambda: [row[1] for row in journal_rows()] == ["done"] * 5,
            "every job to finish after the restart",
            limit=120,
        )
        screen = terminal.wait_for(r".*Notification Clicked")
        terminal.send_keys("C-q")
        terminal.wait_for(r"^EXIT=0$")
    last_30_days = TODAY - timedelta(days=29)
    for _, _, _, count, event in journal_rows():
        assert count == slow_emulator.count(event, date_to_int(last_30_days), date_to_int(TODAY))
    assert sum(r.method == "POST" for r in slow_emulator.requests) == posts, "a second POST"
    assert "Traceback" not in screen


def test_killed_demo_finishes_its_pending_job_when_run_again() -> None:
    """The demo's emulator lives in cttui's own process; its pending requests outlive it."""
    env = isolated_env()
    command = [CTTUI, "--demo", "count", "Charged", "--from", START.isoformat(),
               "--to", TODAY.isoformat()]  # fmt: skip
    run = subprocess.Popen(
        command,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The first start builds the demo's data: seconds, not minutes.
        wait_for(
            lambda: any(row[1] == "pending" and row[2] for row in journal_rows(demo=True)),
            "the demo's job to be pending",
            limit=90,
        )
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=60)
    [(_, _, req_id, _, _)] = journal_rows(demo=True)
    resumed = run_cttui("--demo", "jobs", "resume", env=env, timeout=90)
    assert resumed.code == 0, resumed.err
    [(_, state, same_req_id, count, _)] = journal_rows(demo=True)
    with Emulator(demo_emulator_config()) as emulator:
        expected = emulator.count("Charged", date_to_int(START), date_to_int(TODAY))
    assert (state, same_req_id, count) == ("done", req_id, expected)
    # The real journal was never touched by the demo.
    assert not journal_path().exists()
