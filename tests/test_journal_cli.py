"""The journal as the installed `cttui` meets it: a req_id two servers both handed out, owner
names that are paths, rows that do not parse, and a state directory that is full or read-only."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cttui.api.models import date_to_int
from cttui.console import cells
from cttui.emulator import Emulator, EmulatorConfig
from tests.conftest import CTTUI, emulator_variables, run_cttui
from tests.test_journal_rows import loose_journal

TODAY = date.today()
START = TODAY - timedelta(days=60)
RANGE = ("--from", START.isoformat(), "--to", TODAY.isoformat())
ONE_DAY = ("--from", TODAY.isoformat(), "--to", TODAY.isoformat())


def journal_path() -> Path:
    return Path(os.environ["XDG_STATE_HOME"]) / "cttui" / "journal.sqlite3"


@pytest.fixture
def twins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Emulator, Emulator]]:
    """Two servers that hand out the same req_ids, as one emulator started twice once did."""
    cache = tmp_path_factory.mktemp("twins")
    config = EmulatorConfig(
        seed=5,
        profiles=1_000,
        events=20_000,
        today=TODAY,
        partial_after_days=0,
        compute_seconds=0.2,
        cache_dir=cache,
        req_id_seed=5,
    )
    with Emulator(config) as first, Emulator(config) as second:
        yield first, second


def test_poll_of_a_req_id_another_server_also_gave_counts_this_servers_job(
    twins: tuple[Emulator, Emulator],
) -> None:
    first, second = twins
    env_first = emulator_variables(first)
    sent = run_cttui("count", "Charged", *RANGE, "--no-wait", env=env_first)
    assert sent.code == 3, sent.err
    req_id = sent.out.strip()
    polled = run_cttui("poll", req_id, env=env_first)
    assert polled.code == 0, polled.err
    assert int(polled.out) == first.count("Charged", date_to_int(START), date_to_int(TODAY))

    env_second = emulator_variables(second)
    again = run_cttui("count", "App Launched", *RANGE, "--no-wait", env=env_second)
    assert again.code == 3, again.err
    assert again.out.strip() == req_id, "the twins were meant to hand out the same req_id"
    polled = run_cttui("poll", req_id, env=env_second)
    assert polled.code == 0, polled.err
    expected = second.count("App Launched", date_to_int(START), date_to_int(TODAY))
    assert int(polled.out) == expected
    listed = json.loads(run_cttui("jobs", "--json").out)
    assert [(job["base_url"], job["req_id"], job["state"]) for job in listed] == [
        (first.base_url, req_id, "done"),
        (second.base_url, req_id, "done"),
    ]
    assert listed[1]["count"] == expected


def test_cttui_jobs_never_deletes_a_file_an_owner_names(emulator: Emulator, tmp_path: Path) -> None:
    env = emulator_variables(emulator)
    assert run_cttui("count", "Charged", *RANGE, "--no-wait", env=env).code in (0, 3)
    victims = []
    for number, owner in enumerate(["/abs", "../../../..", "../owners/../.."]):
        victim = tmp_path / f"victim-{number}.lock"
        victim.write_text("keep me")
        victims.append(victim)
        name = (
            str(victim.with_suffix("")) if owner == "/abs" else f"{owner}{victim.with_suffix('')}"
        )
        connection = sqlite3.connect(journal_path())
        with connection:
            connection.execute(
                "INSERT INTO jobs (created, updated, account_id, base_url, state, req_id, owner) "
                "VALUES (1000, 1000, 'A', 'http://127.0.0.1:1', 'pending', '1', ?)",
                (name,),
            )
        connection.close()
    for command in (["jobs"], ["jobs", "--json"], ["jobs", "show", "1"]):
        result = run_cttui(*command)
        assert result.code == 0, result.err
    assert [victim.read_text() for victim in victims] == ["keep me"] * 3


def test_a_row_that_does_not_parse_is_one_line_naming_the_journal(emulator: Emulator) -> None:
    path = journal_path()
    loose_journal(path, state=None)
    for command in (["jobs"], ["jobs", "show", "1"], ["jobs", "--json"]):
        result = run_cttui(*command)
        assert result.code == 2, result
        assert str(path) in result.err
        assert len(result.err.strip().splitlines()) == 1, result.err
        assert "unexpected" not in result.err
    # Counting carries on, in memory, saying why.
    counted = run_cttui("count", "Charged", *ONE_DAY, env=emulator_variables(emulator))
    assert counted.code == 0, counted.err
    assert "warning: " in counted.err
    assert str(path) in counted.err


# --- A full or read-only state directory ------------------------------------------------------

NAMESPACE = textwrap.dedent(
    """
    import json, os, shutil, subprocess, sys
    state, cttui, command = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    copy = state + ".copy"
    shutil.copytree(state, copy)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", state], check=True)
    shutil.copytree(copy, state, dirs_exist_ok=True)
    results = {}
    filler = os.path.join(state, "filler")
    handle = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(handle, b"\\0" * 4096)
    except OSError:
        pass
    os.close(handle)
    for how in ("full", "read-only"):
        if how == "read-only":
            os.remove(filler)
            subprocess.run(["mount", "-o", "remount,ro", state], check=True)
        for name, args in command.items():
            done = subprocess.run([cttui, *args], capture_output=True, text=True, timeout=60)
            results[f"{how} {name}"] = [done.returncode, done.stdout, done.stderr]
    print(json.dumps(results))
    """
)


def in_a_small_disk(commands: dict[str, list[str]], env: dict[str, str]) -> dict[str, list[object]]:
    """Run each command with the state directory on a full disk, then on a read-only one (in a
    mount namespace of the test's own); skips where user namespaces are not allowed."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-Urm", "true"], check=False).returncode:
        if os.environ.get("CTTUI_REQUIRE_MOUNTS"):
            pytest.fail("unshare -Urm is required (CTTUI_REQUIRE_MOUNTS is set)")
        pytest.skip("no user namespaces here (set CTTUI_REQUIRE_MOUNTS=1 to make it a failure)")
    state = Path(os.environ["XDG_STATE_HOME"])
    done = subprocess.run(
        [unshare, "-Urm", sys.executable, "-c", NAMESPACE, str(state), CTTUI, json.dumps(commands)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr
    results: dict[str, list[object]] = json.loads(done.stdout)
    return results


def test_jobs_are_listed_from_a_full_or_read_only_state_directory(emulator: Emulator) -> None:
    env = emulator_variables(emulator)
    counted = run_cttui("count", "Charged", *ONE_DAY, env=env)
    assert counted.code == 0, counted.err
    commands = {
        "list": ["jobs"],
        "show": ["jobs", "show", "1"],
        "count": ["count", "Charged", *ONE_DAY],
    }
    results = in_a_small_disk(commands, env)
    for how in ("full", "read-only"):
        code, out, err = results[f"{how} list"]
        assert (code, err) == (0, ""), results
        assert "done" in str(out)
        assert "Charged" in str(out)
        code, out, err = results[f"{how} show"]
        assert (code, err) == (0, ""), results
        assert counted.out.strip() in str(out).replace(",", "")
        # Counting still counts; the warning says what is wrong, not "move it aside".
        code, out, err = results[f"{how} count"]
        assert (code, str(out).strip()) == (0, counted.out.strip()), results
        reason = "the disk is full" if how == "full" else "read-only"
        assert f"warning: the job journal {journal_path()} cannot be written: " in str(err)
        assert reason in str(err), results
        assert "move it aside" not in str(err)


# --- A req_id the server forgot: the second POST is on record ------------------------------------


class ForgetfulServer(ThreadingHTTPServer):
    """Answers the first POST partial, forgets that req_id, and counts the second POST."""

    posts = 0


class ForgetfulHandler(BaseHTTPRequestHandler):
    server: ForgetfulServer

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.posts += 1
        first = self.server.posts == 1
        self.answer(
            {"status": "partial", "req_id": 111} if first else {"status": "success", "count": 8}
        )

    def do_GET(self) -> None:
        self.answer({"status": "fail", "error": "Invalid req_id: 111", "code": 400})

    def answer(self, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return None


def test_a_forgotten_req_id_shows_its_second_post() -> None:
    server = ForgetfulServer(("127.0.0.1", 0), ForgetfulHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = {
            "CLEVERTAP_ACCOUNT_ID": "TEST-ACC-0001",
            "CLEVERTAP_PASSCODE": "secret",
            "CTTUI_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}",
            "CTTUI_POLL_INTERVAL": "0.1",
        }
        counted = run_cttui("count", "Charged", *RANGE, env=env)
    finally:
        server.shutdown()
        server.server_close()
    assert (counted.code, counted.out.strip(), server.posts) == (0, "8", 2), counted.err
    shown = run_cttui("jobs", "show", "1")
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    [posts] = [line for line in lines if line.strip().startswith("POSTs")]
    assert "sent 2 times" in posts
    submits = [line for line in lines if "  submit  " in line]
    assert len(submits) == 2
    assert "second POST" not in submits[0]
    assert submits[1].endswith("[a second POST of this query]")
    [job] = json.loads(run_cttui("jobs", "--json").out)
    assert [(a["kind"], a["resubmission"]) for a in job["attempts"]] == [
        ("submit", False),
        ("poll", False),
        ("submit", True),
    ]


def test_jobs_table_lines_up_wide_queries_in_cells_and_cuts_them_at_40(
    emulator: Emulator,
) -> None:
    # Unknown events fail at once: each is a job in the journal with its query.
    env = emulator_variables(emulator)
    events = ["売上" * 25, "😀 Launch", "cafe\u0301", "App Launched"]
    for event in events:
        run_cttui("count", event, *ONE_DAY, env=env)
    listed = run_cttui("jobs", env=env)
    assert listed.code == 0, listed.err
    header, *rows = listed.out.splitlines()
    assert len(rows) == 4

    def column_of(line: str, text: str) -> int:
        return cells(line[: line.index(text)])

    # 25 wide pairs are 100 cells: cut at 40, and the columns after it stay in line.
    queries = ["売上" * 9 + "売…", *events[1:]]
    assert [column_of(row, query) for row, query in zip(rows, queries, strict=True)] == [
        column_of(header, "QUERY")
    ] * 4, [header, *rows]
    day = TODAY.isoformat()
    assert [column_of(row, f"  {day}  ") + 2 for row in rows] == [column_of(header, "DATES")] * 4
    assert {cells(row) for row in rows} == {
        cells(header) + len("2026-01-01 00:00") - len("STARTED")
    }


def test_jobs_show_names_the_account_once_when_no_profile_sent_it(emulator: Emulator) -> None:
    # From the environment alone there is no profile: the account is not repeated beside itself.
    env = emulator_variables(emulator)
    assert run_cttui("count", "App Launched", *ONE_DAY, env=env).code == 0
    shown = run_cttui("jobs", "show", "1", env=env)
    assert shown.code == 0, shown.err
    account = [line for line in shown.out.splitlines() if line.startswith("  account")]
    assert account == [f"  account   EMU-LAT-0001 on {emulator.base_url}"]
    # It answered at once: it never had a req_id, and is not waiting for one.
    req_id = [line for line in shown.out.splitlines() if line.startswith("  req_id")]
    assert req_id == ["  req_id    none: answered at once"]
