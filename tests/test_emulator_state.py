"""The emulator's state file: pending requests outlive a stop, a crash or a SIGKILL.

Driven over real loopback HTTP, with emulators started one after the other over the same file.
"""

from __future__ import annotations

import dataclasses
import datetime
import http.client
import json
import os
import pathlib
import re
import selectors
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cttui.emulator import Emulator, EmulatorConfig
from cttui.emulator.query import parse_query, query_body
from cttui.emulator.state_file import MAX_AGE_SECONDS
from tests.conftest import wait_for

TODAY = datetime.date(2026, 11, 23)
FIRST_DAY = TODAY - datetime.timedelta(days=364)
API = "/1/counts/profiles.json"
ACCOUNT = "EMU-LAT-0001"
PASSCODE = "state-file-test-passcode-7f3a"
AUTH = {
    "X-CleverTap-Account-Id": ACCOUNT,
    "X-CleverTap-Passcode": PASSCODE,
    "Content-Type": "application/json",
}
DEADLINE_SECONDS = 10.0
# Long enough that nothing a test does between the POST and its polls gets near it.
LONG_COMPUTE = 600.0
BASE = EmulatorConfig(
    passcode=PASSCODE,
    profiles=500,
    events=5_000,
    today=TODAY,
    partial_after_days=0,
    compute_seconds=0.5,
)


def day(value: datetime.date) -> int:
    return int(value.strftime("%Y%m%d"))


YEAR = (day(FIRST_DAY), day(TODAY))
QUERY: dict[str, Any] = {"event_name": "Charged", "from": YEAR[0], "to": YEAR[1]}


def call(base_url: str, method: str, path: str = API, body: object = None) -> Any:
    """One authenticated request on a fresh connection; the decoded body of its 200 answer."""
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=DEADLINE_SECONDS)
    try:
        data = None if body is None else json.dumps(body).encode()
        connection.request(method, path, data, AUTH)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    assert response.status == 200, raw
    return json.loads(raw)


def submit(emulator: Emulator, body: dict[str, Any] | None = None) -> int:
    """POST a query that answers partial; its req_id."""
    answer = call(emulator.base_url, "POST", body=QUERY if body is None else body)
    assert answer["status"] == "partial", answer
    req_id = answer["req_id"]
    assert isinstance(req_id, int)
    return req_id


def poll(emulator: Emulator, req_id: int) -> Any:
    return call(emulator.base_url, "GET", f"{API}?req_id={req_id}")


def wait_for_success(emulator: Emulator, req_id: int) -> Any:
    answers: list[Any] = []

    def done() -> bool:
        answers.append(poll(emulator, req_id))
        return bool(answers[-1]["status"] != "partial")

    wait_for(done, f"req_id {req_id} to finish", DEADLINE_SECONDS)
    return answers[-1]


def expected(emulator: Emulator, body: dict[str, Any] | None = None) -> dict[str, object]:
    query = QUERY if body is None else body
    count = emulator.count(
        query["event_name"], query["from"], query["to"], query.get("event_properties")
    )
    return {"status": "success", "count": count}


def saved(path: pathlib.Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def write(path: pathlib.Path, entries: list[dict[str, Any]]) -> None:
    path.write_text(json.dumps({"version": 1, "pending": entries}), encoding="utf-8")


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return tmp_path_factory.mktemp("emulator-state-cache")


@pytest.fixture
def state_file(tmp_path: pathlib.Path) -> pathlib.Path:
    return tmp_path / "state" / "pending.json"


@pytest.fixture
def make_emulator(cache_dir: pathlib.Path) -> Iterator[Callable[..., Emulator]]:
    """Start emulators over the module's cached store; all are stopped afterwards."""
    started: list[Emulator] = []

    def make(**changes: Any) -> Emulator:
        config = dataclasses.replace(BASE, cache_dir=cache_dir, **changes)
        started.append(Emulator(config).start())
        return started[-1]

    yield make
    for running in started:
        running.stop()


# --- surviving a restart ------------------------------------------------------------------------


def test_a_restarted_emulator_answers_partial_until_the_ready_time(
    make_emulator: Callable[..., Emulator], state_file: pathlib.Path
) -> None:
    first = make_emulator(state_file=state_file, compute_seconds=LONG_COMPUTE)
    posted = time.time()
    req_id = submit(first)
    first.stop()
    second = make_emulator(state_file=state_file, compute_seconds=LONG_COMPUTE)
    for _ in range(3):
        assert poll(second, req_id) == {"status": "partial", "req_id": req_id}
    # The ready time survives as the same wall-clock moment, not as a fresh compute time.
    (entry,) = saved(state_file)["pending"]
    assert posted + LONG_COMPUTE <= entry["ready_at"] <= time.time() + LONG_COMPUTE


def test_a_restarted_emulator_finishes_the_count(
    make_emulator: Callable[..., Emulator], state_file: pathlib.Path
) -> None:
    first = make_emulator(state_file=state_file)
    posted = time.monotonic()
    req_id = submit(first)
    first.stop()
    second = make_emulator(state_file=state_file)
    answer = wait_for_success(second, req_id)
    assert time.monotonic() - posted >= BASE.compute_seconds
    assert answer == expected(second)
    assert answer["count"] > 0
    assert poll(second, req_id) == answer


def test_a_filtered_query_is_counted_again_exactly(
    make_emulator: Callable[..., Emulator], state_file: pathlib.Path
) -> None:
    body = {
        **QUERY,
        "event_properties": [
            {"name": "Category", "operator": "equals", "value": ["Books", "Toys"]},
            {"name": "Amount", "operator": "greater_than", "value": "20.5"},
            {"name": "Coupon", "operator": "exists"},
        ],
    }
    first = make_emulator(state_file=state_file)
    req_id = submit(first, body)
    first.stop()
    second = make_emulator(state_file=state_file)
    assert wait_for_success(second, req_id) == expected(second, body)


def test_pending_requests_survive_a_sigkill(
    make_emulator: Callable[..., Emulator], cache_dir: pathlib.Path, state_file: pathlib.Path
) -> None:
    make_emulator().stop()  # builds the cached store, so the subprocess only opens it
    script = (
        "import datetime, pathlib, sys\n"
        "from cttui.emulator import EmulatorConfig, serve\n"
        "config = EmulatorConfig(passcode=sys.argv[3], profiles=500, events=5_000,"
        " today=datetime.date(2026, 11, 23), partial_after_days=0, compute_seconds=0.5,"
        " cache_dir=pathlib.Path(sys.argv[1]), state_file=pathlib.Path(sys.argv[2]))\n"
        "raise SystemExit(serve(config, sys.stdout))\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(pathlib.Path(__file__).parents[1])}
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(cache_dir), str(state_file), PASSCODE],
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        assert process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            assert selector.select(DEADLINE_SECONDS), "no output from serve"
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\n", process.stdout.readline())
        assert match
        answer = call(match[1], "POST", body=QUERY)
        assert answer["status"] == "partial"
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=DEADLINE_SECONDS) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
    restarted = make_emulator(state_file=state_file)
    assert wait_for_success(restarted, answer["req_id"]) == expected(restarted)


def test_without_a_state_file_a_restart_forgets_the_req_id(
    make_emulator: Callable[..., Emulator],
) -> None:
    first = make_emulator()
    req_id = submit(first)
    first.stop()
    second = make_emulator()
    assert poll(second, req_id) == {
        "status": "fail",
        "error": f"Invalid req_id: {req_id}",
        "code": 400,
    }


def test_new_req_ids_after_a_restart_never_reuse_a_loaded_one(
    make_emulator: Callable[..., Emulator], state_file: pathlib.Path
) -> None:
    seeded = {"compute_seconds": LONG_COMPUTE, "req_id_seed": 4}
    first = make_emulator(state_file=state_file, **seeded)
    loaded = [submit(first) for _ in range(5)]
    first.stop()
    # With a req_id seed, a restart without the file hands out the very same req_ids.
    forgetful = make_emulator(**seeded)
    assert [submit(forgetful) for _ in range(5)] == loaded
    forgetful.stop()
    second = make_emulator(state_file=state_file, **seeded)
    fresh = [submit(second) for _ in range(5)]
    assert len(set(fresh)) == 5
    assert set(fresh).isdisjoint(loaded)
    for req_id in loaded:
        assert poll(second, req_id) == {"status": "partial", "req_id": req_id}
    assert {entry["req_id"] for entry in saved(state_file)["pending"]} == {*loaded, *fresh}


# --- the file -----------------------------------------------------------------------------------


def test_the_state_file_format(
    make_emulator: Callable[..., Emulator], state_file: pathlib.Path
) -> None:
    emulator = make_emulator(state_file=state_file, compute_seconds=LONG_COMPUTE)
    assert not state_file.exists()
    # Keys the server ignores are not kept: only what it needs to count the query again.
    body = {**QUERY, "ignored": {"deep": [1, 2, 3]}}
    before = time.time()
    req_id = submit(emulator, body)
    content = saved(state_file)
    assert content.keys() == {"version", "pending"}
    assert content["version"] == 1
    (entry,) = content["pending"]
    # The count is written only if it happened to finish before the file was.
    if "count" in entry:
        assert entry.pop("count") == expected(emulator)["count"]
    assert before + LONG_COMPUTE <= entry.pop("ready_at") <= time.time() + LONG_COMPUTE
    assert entry == {
        "req_id": req_id,
        "account": ACCOUNT,
        "body": {**QUERY, "event_properties": []},
    }
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    assert sorted(state_file.parent.iterdir()) == [state_file]


def test_a_known_count_is_written_with_the_next_request(
    make_emulator: Callable[..., Emulator], state_file: pathlib.Path
) -> None:
    emulator = make_emulator(state_file=state_file)
    first = submit(emulator)
    count = wait_for_success(emulator, first)["count"]
    second = submit(emulator)
    entries = {entry["req_id"]: entry for entry in saved(state_file)["pending"]}
    assert entries[first]["count"] == count
    assert entries.keys() == {first, second}


def test_the_state_file_never_holds_the_passcode(
    make_emulator: Callable[..., Emulator], state_file: pathlib.Path
) -> None:
    emulator = make_emulator(state_file=state_file)
    for _ in range(3):
        submit(emulator)
    content = state_file.read_bytes()
    assert content
    assert PASSCODE.encode() not in content


def test_a_saved_count_is_answered_as_saved(
    make_emulator: Callable[..., Emulator], state_file: pathlib.Path
) -> None:
    state_file.parent.mkdir()
    entry = {"account": ACCOUNT, "body": QUERY, "ready_at": time.time() - 5, "count": 123_456}
    write(state_file, [{"req_id": 111_111_111_111_111, **entry}])
    emulator = make_emulator(state_file=state_file)
    assert poll(emulator, 111_111_111_111_111) == {"status": "success", "count": 123_456}


def test_entries_this_emulator_cannot_count_are_skipped(
    make_emulator: Callable[..., Emulator], state_file: pathlib.Path
) -> None:
    state_file.parent.mkdir()
    ready_at = time.time() - 5
    write(
        state_file,
        [
            {"req_id": 100, "account": "SOMEONE-ELSE", "body": QUERY, "ready_at": ready_at},
            {"req_id": 200, "account": ACCOUNT, "body": {"event_name": "Nope"}, "ready_at": 0.0},
            {
                "req_id": 300,
                "account": ACCOUNT,
                "body": {**QUERY, "event_name": "Never Happened"},
                "ready_at": ready_at,
            },
            {"req_id": 400, "account": ACCOUNT, "body": QUERY, "ready_at": ready_at},
        ],
    )
    emulator = make_emulator(state_file=state_file)
    for req_id in (100, 200, 300):
        assert poll(emulator, req_id)["error"] == f"Invalid req_id: {req_id}"
    assert wait_for_success(emulator, 400) == expected(emulator)


def test_entries_a_day_past_their_ready_time_are_dropped(
    make_emulator: Callable[..., Emulator], state_file: pathlib.Path
) -> None:
    state_file.parent.mkdir()
    now = time.time()
    write(
        state_file,
        [
            {
                "req_id": 1,
                "account": ACCOUNT,
                "body": QUERY,
                "ready_at": now - MAX_AGE_SECONDS - 60,
            },
            {"req_id": 2, "account": ACCOUNT, "body": QUERY, "ready_at": now - 3600, "count": 7},
        ],
    )
    emulator = make_emulator(state_file=state_file)
    assert poll(emulator, 1)["error"] == "Invalid req_id: 1"
    assert poll(emulator, 2) == {"status": "success", "count": 7}
    fresh = submit(emulator)
    assert [entry["req_id"] for entry in saved(state_file)["pending"]] == [2, fresh]


UNUSABLE: dict[str, tuple[bytes, str]] = {
    "garbage bytes": (b"\x00\xff\xfe garbage \x80", "not UTF-8"),
    "not JSON": (b'{"version": 1, "pending": [', "not JSON"),
    "a list": (b"[]", "not a JSON object"),
    "no version": (b'{"pending": []}', "unsupported version None"),
    "a newer version": (b'{"version": 2, "pending": []}', "unsupported version 2"),
    "true as version": (b'{"version": true, "pending": []}', "unsupported version True"),
    "pending not a list": (b'{"version": 1, "pending": {}}', '"pending" is not a list'),
    "an entry of the wrong shape": (
        b'{"version": 1, "pending": [{"req_id": "12", "account": "a", "body": {}, "ready_at": 1}]}',
        "pending[0].req_id",
    ),
    "an infinite ready time": (
        b'{"version": 1, "pending": [{"req_id": 12, "account": "a", "body": {},'
        b' "ready_at": Infinity}]}',
        "pending[0].ready_at",
    ),
}


@pytest.mark.parametrize(("content", "reason"), list(UNUSABLE.values()), ids=list(UNUSABLE))
def test_an_unusable_state_file_is_ignored(
    make_emulator: Callable[..., Emulator],
    state_file: pathlib.Path,
    capfd: pytest.CaptureFixture[str],
    content: bytes,
    reason: str,
) -> None:
    state_file.parent.mkdir()
    state_file.write_bytes(content)
    emulator = make_emulator(state_file=state_file, quiet=False)
    (line,) = capfd.readouterr().err.splitlines()
    assert line.startswith(f"emulator: ignored the state file {state_file}: ")
    assert reason in line
    req_id = submit(emulator)
    assert wait_for_success(emulator, req_id) == expected(emulator)
    assert [entry["req_id"] for entry in saved(state_file)["pending"]] == [req_id]


def test_an_unusable_state_file_is_ignored_silently_when_quiet(
    make_emulator: Callable[..., Emulator],
    state_file: pathlib.Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    state_file.parent.mkdir()
    state_file.write_bytes(b"garbage")
    emulator = make_emulator(state_file=state_file)
    assert poll(emulator, submit(emulator))["status"] == "partial"
    assert capfd.readouterr().err == ""


def test_a_missing_state_file_is_normal(
    make_emulator: Callable[..., Emulator],
    state_file: pathlib.Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    make_emulator(state_file=state_file, quiet=False)
    assert capfd.readouterr().err == ""
    assert not state_file.parent.exists()


def test_a_state_file_that_cannot_be_written_does_not_fail_requests(
    make_emulator: Callable[..., Emulator],
    tmp_path: pathlib.Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    emulator = make_emulator(state_file=blocker / "pending.json", quiet=False)
    req_id = submit(emulator)
    assert wait_for_success(emulator, req_id) == expected(emulator)
    assert "emulator: cannot write the state file" in capfd.readouterr().err


# --- the saved body -----------------------------------------------------------------------------

BODIES: list[dict[str, Any]] = [
    QUERY,
    {
        **QUERY,
        "event_properties": [
            {"name": "Category", "operator": "equals", "value": "Books"},
            {"name": "Category", "operator": "not_equals", "value": ["Books", 3, 2.5, True]},
            {"name": "value", "operator": "contains", "value": ["piz", "sus"]},
            {"name": "value", "operator": "does_not_contain", "value": "piz"},
            {"name": "Coupon", "operator": "exists", "value": {"ignored": [[]]}},
            {"name": "Coupon", "operator": "does_not_exist"},
            {"name": "Amount", "operator": "greater_than", "value": 100},
            {"name": "Amount", "operator": "greater_than_equals", "value": "50.5"},
            {"name": "Price", "operator": "equals", "value": 1e400},
        ],
    },
]


@pytest.mark.parametrize("body", BODIES)
def test_the_saved_body_parses_back_to_the_same_query(body: dict[str, Any]) -> None:
    query = parse_query(body)
    assert parse_query(json.loads(json.dumps(query_body(query)))) == query
